package store

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/moimbot/moimbot/ledger"
)

// The records every ingested transaction writes (its row, its decision,
// its payments, review item and notice), encoded by hand. They are the
// JSON encoding/json writes for the same values, byte for byte (the tests
// compare the two), at a fraction of the cost: reflection was a quarter of
// Ingest's CPU. A value encoding/json would refuse (a time outside years
// 0–9999, an unknown reason code) or would rewrite (a message's raw JSON
// payload, which it compacts), and a cursor with a gap, are left to
// encoding/json, which says why or writes it.

func encodeStoredRow(r storedRow) ([]byte, error) {
	if !jsonTimeOK(r.Seen) || !jsonTimeOK(r.Deposit.At) {
		return json.Marshal(r)
	}
	b := make([]byte, 0, 160+len(r.Deposit.Text)+len(r.Deposit.ID))
	b = append(b, `{"deposit":`...)
	b = appendDeposit(b, r.Deposit)
	b = append(b, `,"seen":`...)
	b = appendTime(b, r.Seen)
	return append(b, '}'), nil
}

func encodeMatchRecord(r MatchRecord) ([]byte, error) {
	if !jsonTimeOK(r.At) || !matchOK(r.Match) {
		return json.Marshal(r)
	}
	b := make([]byte, 0, 256)
	b = append(b, `{"deposit":`...)
	b = appendString(b, r.DepositID)
	b = append(b, `,"account":`...)
	b = appendString(b, r.AccountID)
	b = append(b, `,"group":`...)
	b = appendString(b, r.GroupID)
	b = append(b, `,"match":`...)
	b = appendMatch(b, r.Match)
	b = append(b, `,"by":`...)
	b = appendString(b, r.By)
	b = append(b, `,"at":`...)
	b = appendTime(b, r.At)
	if len(r.Payments) > 0 {
		b = append(b, `,"payments":[`...)
		for i, p := range r.Payments {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendUint(b, p, 10)
		}
		b = append(b, ']')
	}
	b = appendOptString(b, `,"note":`, r.Note)
	b = appendOptString(b, `,"learned":`, r.Learned)
	b = appendOptString(b, `,"learned_member":`, r.LearnedMember)
	return append(b, '}'), nil
}

func encodeReviewItem(r ReviewItem) ([]byte, error) {
	if !jsonTimeOK(r.Queued) || !jsonTimeOK(r.Deposit.At) || !matchOK(r.Match) {
		return json.Marshal(r)
	}
	b := make([]byte, 0, 320+len(r.Deposit.Text))
	b = append(b, `{"group":`...)
	b = appendString(b, r.GroupID)
	b = append(b, `,"account":`...)
	b = appendString(b, r.AccountID)
	b = append(b, `,"deposit":`...)
	b = appendDeposit(b, r.Deposit)
	b = append(b, `,"match":`...)
	b = appendMatch(b, r.Match)
	b = append(b, `,"queued":`...)
	b = appendTime(b, r.Queued)
	b = appendOptString(b, `,"note":`, r.Note)
	return append(b, '}'), nil
}

func encodePayment(r PaymentRecord) ([]byte, error) {
	if !jsonTimeOK(r.Recorded) || !jsonTimeOK(r.VoidedAt) || !jsonTimeOK(r.Payment.At) {
		return json.Marshal(r)
	}
	b := make([]byte, 0, 256+96*len(r.Allocations))
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, r.Seq, 10)
	b = append(b, `,"group":`...)
	b = appendString(b, r.GroupID)
	b = append(b, `,"payment":{"member":`...)
	b = appendString(b, r.Payment.MemberID)
	b = append(b, `,"amount":`...)
	b = strconv.AppendInt(b, r.Payment.Amount, 10)
	b = append(b, `,"at":`...)
	b = appendTime(b, r.Payment.At)
	b = append(b, `,"ref":`...)
	b = appendString(b, r.Payment.Ref)
	b = append(b, `},"source":`...)
	b = appendString(b, r.Source)
	b = append(b, `,"by":`...)
	b = appendString(b, r.By)
	b = append(b, `,"recorded":`...)
	b = appendTime(b, r.Recorded)
	b = appendOptString(b, `,"note":`, r.Note)
	if r.Voided {
		b = append(b, `,"voided":true`...)
	}
	b = appendOptString(b, `,"voided_by":`, r.VoidedBy)
	if !r.VoidedAt.IsZero() {
		b = append(b, `,"voided_at":`...)
		b = appendTime(b, r.VoidedAt)
	}
	if len(r.Allocations) > 0 {
		b = append(b, `,"allocations":[`...)
		for i, a := range r.Allocations {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"member":`...)
			b = appendString(b, a.MemberID)
			b = append(b, `,"period":`...)
			b = appendString(b, a.Period.String())
			b = append(b, `,"amount":`...)
			b = strconv.AppendInt(b, a.Amount, 10)
			b = append(b, `,"ref":`...)
			b = appendString(b, a.Ref)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

func encodeMessage(m Message) ([]byte, error) {
	for _, t := range []time.Time{m.NotBefore, m.ExpiresAt, m.CreatedAt, m.NextAttemptAt, m.LeaseUntil, m.SentAt} {
		if !jsonTimeOK(t) {
			return json.Marshal(m)
		}
	}
	if len(m.Payload) > 0 {
		return json.Marshal(m)
	}
	b := make([]byte, 0, 320+len(m.Text)+len(m.Key))
	b = append(b, `{"id":`...)
	b = strconv.AppendUint(b, m.ID, 10)
	b = append(b, `,"key":`...)
	b = appendString(b, m.Key)
	b = appendOptString(b, `,"group":`, m.GroupID)
	b = append(b, `,"chat":{"platform":`...)
	b = appendString(b, m.Chat.Platform)
	b = append(b, `,"id":`...)
	b = appendString(b, m.Chat.ID)
	b = append(b, '}')
	b = appendOptString(b, `,"kind":`, m.Kind)
	b = appendOptString(b, `,"text":`, m.Text)
	b = appendOptTime(b, `,"not_before":`, m.NotBefore)
	b = appendOptTime(b, `,"expires_at":`, m.ExpiresAt)
	b = append(b, `,"state":`...)
	b = appendString(b, m.State.String())
	b = append(b, `,"attempts":`...)
	b = strconv.AppendInt(b, int64(m.Attempts), 10)
	b = appendOptInt(b, `,"failures":`, m.Failures)
	b = appendOptInt(b, `,"interrupted":`, m.Interrupted)
	b = appendOptInt(b, `,"folded":`, m.Folded)
	b = append(b, `,"created_at":`...)
	b = appendTime(b, m.CreatedAt)
	b = append(b, `,"next_attempt_at":`...)
	b = appendTime(b, m.NextAttemptAt)
	b = appendOptTime(b, `,"lease_until":`, m.LeaseUntil)
	b = appendOptTime(b, `,"sent_at":`, m.SentAt)
	b = appendOptString(b, `,"last_error":`, m.LastError)
	return append(b, '}'), nil
}

func encodeCursor(c Cursor) ([]byte, error) {
	if c.Gap != nil {
		return json.Marshal(c)
	}
	for _, t := range []time.Time{c.Through, c.FetchedAt, c.LastAt} {
		if !jsonTimeOK(t) {
			return json.Marshal(c)
		}
	}
	b := make([]byte, 0, 160)
	b = append(b, '{')
	if !c.Through.IsZero() {
		b = append(b, `"through":`...)
		b = appendTime(b, c.Through)
		b = append(b, ',')
	}
	if !c.FetchedAt.IsZero() {
		b = append(b, `"fetched_at":`...)
		b = appendTime(b, c.FetchedAt)
		b = append(b, ',')
	}
	b = append(b, `"rows":`...)
	b = strconv.AppendInt(b, c.Rows, 10)
	b = appendOptTime(b, `,"last_at":`, c.LastAt)
	if c.LastBalance != 0 {
		b = append(b, `,"last_balance":`...)
		b = strconv.AppendInt(b, c.LastBalance, 10)
	}
	return append(b, '}'), nil
}

func appendDeposit(b []byte, d ledger.Deposit) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, d.ID)
	b = append(b, `,"at":`...)
	b = appendTime(b, d.At)
	b = append(b, `,"direction":`...)
	b = strconv.AppendUint(b, uint64(d.Direction), 10)
	b = append(b, `,"text":`...)
	b = appendString(b, d.Text)
	b = append(b, `,"amount":`...)
	b = strconv.AppendInt(b, d.Amount, 10)
	b = append(b, `,"balance":`...)
	b = strconv.AppendInt(b, d.Balance, 10)
	return append(b, '}')
}

// matchOK reports whether appendMatch can encode m: encoding/json fails on
// a reason code without a name.
func matchOK(m ledger.Match) bool {
	_, err := m.Reason.Code.MarshalText()
	return err == nil
}

func appendMatch(b []byte, m ledger.Match) []byte {
	b = append(b, `{"outcome":`...)
	b = appendString(b, m.Outcome.String())
	if len(m.Shares) > 0 {
		b = append(b, `,"shares":[`...)
		for i, s := range m.Shares {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"member":`...)
			b = appendString(b, s.MemberID)
			b = append(b, `,"amount":`...)
			b = strconv.AppendInt(b, s.Amount, 10)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if len(m.Candidates) > 0 {
		b = append(b, `,"candidates":[`...)
		for i, c := range m.Candidates {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"member":`...)
			b = appendString(b, c.MemberID)
			b = append(b, `,"score":`...)
			b = strconv.AppendInt(b, int64(c.Score), 10)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"confidence":`...)
	b = strconv.AppendInt(b, int64(m.Confidence), 10)
	r := m.Reason
	b = append(b, `,"reason":{"code":`...)
	b = appendString(b, r.Code.String())
	b = appendOptString(b, `,"text":`, r.Text)
	if len(r.Removed) > 0 {
		b = append(b, `,"removed":[`...)
		for i, s := range r.Removed {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, s)
		}
		b = append(b, ']')
	}
	b = appendOptString(b, `,"extra":`, r.Extra)
	if r.ByAmount {
		b = append(b, `,"by_amount":true`...)
	}
	return append(b, `}}`...)
}

// appendOptString appends name and s unless s is empty (omitempty).
func appendOptString(b []byte, name, s string) []byte {
	if s == "" {
		return b
	}
	return appendString(append(b, name...), s)
}

// appendOptInt appends name and n unless n is zero (omitempty).
func appendOptInt(b []byte, name string, n int) []byte {
	if n == 0 {
		return b
	}
	return strconv.AppendInt(append(b, name...), int64(n), 10)
}

// appendOptTime appends name and t unless t is zero (omitzero).
func appendOptTime(b []byte, name string, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	return appendTime(append(b, name...), t)
}

// jsonTimeOK reports whether t encodes as time.Time.MarshalJSON does
// without an error: a year in 0–9999 and a zone offset under a day.
func jsonTimeOK(t time.Time) bool {
	_, off := t.Zone()
	return t.Year() >= 0 && t.Year() <= 9999 && off > -24*3600 && off < 24*3600
}

// appendTime appends t as time.Time.MarshalJSON does: RFC 3339 with
// nanoseconds, quoted. The caller has checked jsonTimeOK.
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string the way encoding/json writes it:
// ", \ and control characters escaped (\b, \f, \n, \r, \t by name), <, >
// and & as \u003c, \u003e and \u0026, U+2028 and U+2029 as \u2028 and
// \u2029, and each byte of invalid UTF-8 as \ufffd.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
