package store

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/moimbot/moimbot/ledger"
)

// encoded is every hand-written encoder applied to values built from s, n
// and t, with encoding/json's output for the same value.
func encoded(s string, n int64, t time.Time) []struct {
	name      string
	got, want []byte
	gotErr    error
	wantErr   error
} {
	d := ledger.Deposit{ID: "a1/" + s, At: t, Direction: ledger.Direction(n & 3), Text: s, Amount: n, Balance: -n}
	m := ledger.Match{Outcome: ledger.Outcome(n & 3), Confidence: int(n % 101),
		Reason: ledger.Reason{Code: ledger.ReasonCode(n & 0x3f), Text: s, Extra: s, ByAmount: n&1 == 1}}
	if n&2 != 0 {
		m.Shares = []ledger.Share{{MemberID: s, Amount: n}, {MemberID: "m2", Amount: 1}}
		m.Candidates = []ledger.Candidate{{MemberID: s, Score: int(n % 100)}}
		m.Reason.Removed = []string{s, "회비"}
	}
	rec := MatchRecord{DepositID: d.ID, AccountID: s, GroupID: "g1", Match: m, By: s, At: t, Note: s, Learned: s, LearnedMember: s}
	if n&4 != 0 {
		rec.Payments = []uint64{uint64(n), math.MaxUint64}
	}
	pay := PaymentRecord{Seq: uint64(n), GroupID: s, Payment: ledger.Payment{MemberID: s, Amount: n, At: t, Ref: s}, Source: SourceDeposit,
		By: s, Recorded: t, Note: s, Voided: n&1 == 0, VoidedBy: s, VoidedAt: t}
	if n&8 != 0 {
		pay.Allocations = []ledger.Allocation{{MemberID: s, Period: ledger.Period(n & 0xffff), Amount: n, Ref: s}, {MemberID: "m1", Amount: 5, Ref: "r"}}
	}
	msg := Message{ID: uint64(n), OutboxMessage: OutboxMessage{Key: s, GroupID: s, Chat: ChatRef{Platform: s, ID: s}, Kind: s, Text: s,
		NotBefore: t, ExpiresAt: t}, State: MessageState(n & 7), Attempts: int(n), Failures: int(n & 1), Interrupted: int(n & 2),
		Folded: int(n & 4), CreatedAt: t, NextAttemptAt: t, LeaseUntil: t, SentAt: t, LastError: s}
	if n&16 != 0 {
		msg.Payload = json.RawMessage(`{"a": [1, 2]}`)
	}
	cur := Cursor{Through: t, FetchedAt: t, Rows: n, LastAt: t, LastBalance: n}
	if n&32 != 0 {
		cur.Gap = &Gap{After: t}
	}

	type result = struct {
		name      string
		got, want []byte
		gotErr    error
		wantErr   error
	}
	var out []result
	add := func(name string, got []byte, gotErr error, v any) {
		want, wantErr := json.Marshal(v)
		out = append(out, result{name, got, want, gotErr, wantErr})
	}
	b, err := encodeStoredRow(storedRow{Deposit: d, Seen: t})
	add("storedRow", b, err, storedRow{Deposit: d, Seen: t})
	b, err = encodeMatchRecord(rec)
	add("MatchRecord", b, err, rec)
	item := ReviewItem{GroupID: s, AccountID: s, Deposit: d, Match: m, Queued: t, Note: s}
	b, err = encodeReviewItem(item)
	add("ReviewItem", b, err, item)
	b, err = encodePayment(pay)
	add("PaymentRecord", b, err, pay)
	b, err = encodeMessage(msg)
	add("Message", b, err, msg)
	b, err = encodeCursor(cur)
	add("Cursor", b, err, cur)
	// The empty and zero forms, where omitempty and omitzero apply.
	b, err = encodeMatchRecord(MatchRecord{})
	add("zero MatchRecord", b, err, MatchRecord{})
	b, err = encodePayment(PaymentRecord{})
	add("zero PaymentRecord", b, err, PaymentRecord{})
	b, err = encodeMessage(Message{})
	add("zero Message", b, err, Message{})
	b, err = encodeCursor(Cursor{})
	add("zero Cursor", b, err, Cursor{})
	b, err = encodeReviewItem(ReviewItem{})
	add("zero ReviewItem", b, err, ReviewItem{})
	return out
}

// TestEncodeLikeJSON checks that the hand-written encoders write what
// encoding/json writes for the same values, byte for byte, and fail where
// it fails.
func TestEncodeLikeJSON(t *testing.T) {
	kst := ledger.KST()
	lmt := time.FixedZone("LMT", 8*3600+27*60+52)
	tests := []struct {
		name string
		s    string
		n    int64
		t    time.Time
	}{
		{"plain", "김민수", 30000, time.Date(2026, 11, 25, 9, 30, 12, 0, kst)},
		{"nanoseconds", "11월회비 김민수", 1, time.Date(2026, 11, 25, 9, 30, 12, 123456789, kst)},
		{"utc", "KIM MINSU", 2, time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)},
		{"zero time", "", 0, time.Time{}},
		{"escapes", "a\"b\\c\n\r\t\b\f\x00\x1f<>&\u2028\u2029'", 3, time.Date(2026, 1, 1, 0, 0, 0, 0, kst)},
		{"invalid utf-8", "김\xff민\xc3수\xe2\x80", 7, time.Date(2026, 1, 1, 0, 0, 0, 0, kst)},
		{"negative", "x", -30000, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"all flags", "m1", 63, time.Date(2026, 6, 1, 0, 0, 0, 1, kst)},
		{"unknown reason code", "x", 60, time.Date(2026, 6, 1, 0, 0, 0, 0, kst)},
		{"sub-minute zone", "x", 5, time.Date(1900, 1, 1, 0, 0, 0, 0, lmt)},
		{"year 10000", "x", 4, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"negative year", "x", 4, time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"zone of a day", "x", 4, time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600))},
		{"large", "x", math.MaxInt64, time.Date(9999, 12, 31, 23, 59, 59, 999999999, kst)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range encoded(tt.s, tt.n, tt.t) {
				if (r.gotErr != nil) != (r.wantErr != nil) {
					t.Errorf("%s: error %v, want %v", r.name, r.gotErr, r.wantErr)
					continue
				}
				if !bytes.Equal(r.got, r.want) {
					t.Errorf("%s:\ngot  %s\nwant %s", r.name, r.got, r.want)
				}
			}
		})
	}
}

// FuzzEncodeLikeJSON checks the hand-written encoders against
// encoding/json on any text (payer texts, names and keys come from banks
// and chats), number and time.
func FuzzEncodeLikeJSON(f *testing.F) {
	f.Add("김민수", int64(30000), int64(1790000000), int64(0), 9*3600)
	f.Add("a\"b\\<>&\u2028\x00\xff", int64(-1), int64(0), int64(999999999), 0)
	f.Add("", int64(63), int64(-62135596800), int64(1), -3600)
	f.Fuzz(func(t *testing.T, s string, n, sec, nsec int64, off int) {
		tm := time.Unix(sec, nsec).In(time.FixedZone("", off%(30*3600)))
		for _, r := range encoded(s, n, tm) {
			if (r.gotErr != nil) != (r.wantErr != nil) {
				t.Fatalf("%s: error %v, want %v", r.name, r.gotErr, r.wantErr)
			}
			if !bytes.Equal(r.got, r.want) {
				t.Fatalf("%s:\ngot  %s\nwant %s", r.name, r.got, r.want)
			}
		}
	})
}
