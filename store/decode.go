package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// The records every poll reads, a sync cursor, and every payment of the
// group when a deposit is decided, are decoded by a scanner of exactly what
// the encoders of encode.go (and encoding/json, which writes the same
// bytes) write: no whitespace, the fields in the struct's order, strings
// without escapes, integers without fraction or exponent. A record that is
// not in that form (an escaped string, an older writer, damage) is decoded
// by encoding/json, which also gives the error. The scanner accepts only
// what encoding/json accepts, with the same result (FuzzScanLikeJSON): it
// is a shortcut, never a second reading of the format. encoding/json spent
// a payment's four microseconds on it, and a group three years old has
// some three hundred payments.

// jsonScan reads b from the front. Once a read fails, ok is false and
// every later read does nothing; the caller checks ok at the end.
type jsonScan struct {
	b  []byte
	ok bool
}

// lit consumes l, which must come next.
func (s *jsonScan) lit(l string) {
	if !s.peek(l) {
		s.ok = false
	}
}

// peek consumes l and reports true when l comes next.
func (s *jsonScan) peek(l string) bool {
	if !s.ok || len(s.b) < len(l) || string(s.b[:len(l)]) != l {
		return false
	}
	s.b = s.b[len(l):]
	return true
}

// quoted consumes a string and returns it with its quotes. It fails on an
// escape, a control character or invalid UTF-8, which encoding/json would
// unescape or replace.
func (s *jsonScan) quoted() []byte {
	if !s.ok || len(s.b) == 0 || s.b[0] != '"' {
		s.ok = false
		return nil
	}
	end := bytes.IndexByte(s.b[1:], '"')
	if end < 0 {
		s.ok = false
		return nil
	}
	q := s.b[:end+2]
	for _, c := range q[1 : end+1] {
		if c < 0x20 || c == '\\' {
			s.ok = false
			return nil
		}
	}
	if !utf8.Valid(q) {
		s.ok = false
		return nil
	}
	s.b = s.b[end+2:]
	return q
}

// str consumes a string.
func (s *jsonScan) str() string {
	q := s.quoted()
	if !s.ok {
		return ""
	}
	return string(q[1 : len(q)-1])
}

// skipStr consumes a string the caller does not need.
func (s *jsonScan) skipStr() { s.quoted() }

// time consumes a time as time.Time.UnmarshalJSON reads it.
func (s *jsonScan) time() time.Time {
	var t time.Time
	q := s.quoted()
	if s.ok && t.UnmarshalJSON(q) != nil {
		s.ok = false
	}
	return t
}

// number consumes an integer in JSON's grammar: -?(0|[1-9][0-9]*).
func (s *jsonScan) number() []byte {
	if !s.ok {
		return nil
	}
	i := 0
	if i < len(s.b) && s.b[i] == '-' {
		i++
	}
	start := i
	for i < len(s.b) && s.b[i] >= '0' && s.b[i] <= '9' {
		i++
	}
	digits := i - start
	if digits == 0 || (digits > 1 && s.b[start] == '0') {
		s.ok = false
		return nil
	}
	n := s.b[:i]
	s.b = s.b[i:]
	return n
}

// int consumes an integer that fits an int64.
func (s *jsonScan) int() int64 {
	n := s.number()
	if !s.ok {
		return 0
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		s.ok = false
	}
	return v
}

// uint consumes an integer that fits a uint64.
func (s *jsonScan) uint() uint64 {
	n := s.number()
	if !s.ok {
		return 0
	}
	v, err := strconv.ParseUint(string(n), 10, 64)
	if err != nil {
		s.ok = false
	}
	return v
}

// end reports whether everything was read, and read well.
func (s *jsonScan) end() bool { return s.ok && len(s.b) == 0 }

// scanCursor reads a Cursor as encodeCursor writes it without a gap.
func scanCursor(raw []byte) (Cursor, bool) {
	var c Cursor
	s := jsonScan{b: raw, ok: true}
	s.lit("{")
	if s.peek(`"through":`) {
		c.Through = s.time()
		s.lit(",")
	}
	if s.peek(`"fetched_at":`) {
		c.FetchedAt = s.time()
		s.lit(",")
	}
	s.lit(`"rows":`)
	c.Rows = s.int()
	if s.peek(`,"last_at":`) {
		c.LastAt = s.time()
	}
	if s.peek(`,"last_balance":`) {
		c.LastBalance = s.int()
	}
	s.lit("}")
	return c, s.end()
}

// decodeCursor decodes a stored cursor.
func decodeCursor(raw []byte) (Cursor, error) {
	if c, ok := scanCursor(raw); ok {
		return c, nil
	}
	var c Cursor
	err := json.Unmarshal(raw, &c)
	return c, err
}

// getCursor reads account accountID's cursor from the cursors bucket (the
// zero Cursor when there is none).
func getCursor(tx *bolt.Tx, accountID string) (Cursor, error) {
	raw := tx.Bucket(bucketCursors).Get([]byte(accountID))
	if raw == nil {
		return Cursor{}, nil
	}
	c, err := decodeCursor(raw)
	if err != nil {
		return Cursor{}, fmt.Errorf("decode %q: %w", accountID, err)
	}
	return c, nil
}

// scanBookEntry reads the part of a PaymentRecord a book needs, from the
// record as encodePayment writes it.
func scanBookEntry(raw []byte) (bookEntry, bool) {
	var e bookEntry
	s := jsonScan{b: raw, ok: true}
	s.lit(`{"seq":`)
	s.uint()
	s.lit(`,"group":`)
	s.skipStr()
	s.lit(`,"payment":{"member":`)
	e.Payment.MemberID = s.str()
	s.lit(`,"amount":`)
	e.Payment.Amount = s.int()
	s.lit(`,"at":`)
	e.Payment.At = s.time()
	s.lit(`,"ref":`)
	e.Payment.Ref = s.str()
	s.lit(`},"source":`)
	s.skipStr()
	s.lit(`,"by":`)
	s.skipStr()
	s.lit(`,"recorded":`)
	s.time()
	if s.peek(`,"note":`) {
		s.skipStr()
	}
	e.Voided = s.peek(`,"voided":true`)
	if s.peek(`,"voided_by":`) {
		s.skipStr()
	}
	if s.peek(`,"voided_at":`) {
		s.time()
	}
	if s.peek(`,"allocations":[`) {
		for first := true; s.ok && (first || s.peek(",")); first = false {
			s.lit(`{"member":`)
			s.skipStr()
			s.lit(`,"period":`)
			s.skipStr()
			s.lit(`,"amount":`)
			s.int()
			s.lit(`,"ref":`)
			s.skipStr()
			s.lit("}")
		}
		s.lit("]")
	}
	s.lit("}")
	return e, s.end()
}

// decodeBookEntry decodes the part of a stored PaymentRecord a book needs.
func decodeBookEntry(raw []byte) (bookEntry, error) {
	if e, ok := scanBookEntry(raw); ok {
		return e, nil
	}
	var e bookEntry
	err := json.Unmarshal(raw, &e)
	return e, err
}
