package store

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/moimbot/moimbot/ledger"
)

// sameAsJSON checks that a fast-path result got, when ok, is what
// encoding/json reads from raw into a new T: decoding succeeds and the two
// encode alike. It returns a description of the difference, or "".
func sameAsJSON[T any](raw []byte, got T, ok bool) string {
	if !ok {
		return ""
	}
	var want T
	if err := json.Unmarshal(raw, &want); err != nil {
		return "the scanner read " + string(raw) + ", which encoding/json refuses: " + err.Error()
	}
	g, err1 := json.Marshal(got)
	w, err2 := json.Marshal(want)
	if err1 != nil || err2 != nil || !bytes.Equal(g, w) {
		return "from " + string(raw) + "\nscanner       " + string(g) + "\nencoding/json " + string(w)
	}
	return ""
}

// TestScanEncoded: what the encoders write for the cursors and payments of
// a deposit's path takes the fast path, and reads back as encoding/json
// reads it.
func TestScanEncoded(t *testing.T) {
	kst := ledger.KST()
	at := time.Date(2026, 11, 25, 9, 30, 12, 123456789, kst)
	cursors := []Cursor{
		{},
		{Rows: 3},
		{Through: at, FetchedAt: at.UTC(), Rows: 120, LastAt: at.Truncate(time.Second), LastBalance: 1_230_000},
		{Through: at, Rows: 0, LastBalance: -5},
		{FetchedAt: at, Rows: 1, LastAt: at},
	}
	for _, c := range cursors {
		raw, err := encodeCursor(c)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := scanCursor(raw)
		if !ok {
			t.Errorf("cursor %s: the scanner did not read it", raw)
		}
		if diff := sameAsJSON(raw, got, ok); diff != "" {
			t.Error(diff)
		}
	}
	payments := []PaymentRecord{
		{Seq: 1, GroupID: "g1", Payment: ledger.Payment{MemberID: "m1", Amount: 30000, At: at, Ref: "a1/1"}, Source: SourceDeposit, By: ActorMatcher,
			Recorded: at, Allocations: []ledger.Allocation{{MemberID: "m1", Period: ledger.NewPeriod(2026, time.November), Amount: 30000, Ref: "a1/1"}}},
		{Seq: 2, GroupID: "g1", Payment: ledger.Payment{MemberID: "m2", Amount: 70000, At: at, Ref: "manual/3"}, Source: "manual", By: "telegram:42",
			Recorded: at, Note: "현금 납부", Allocations: []ledger.Allocation{
				{MemberID: "m2", Period: ledger.NewPeriod(2026, time.October), Amount: 30000, Ref: "manual/3"},
				{MemberID: "m2", Period: ledger.NewPeriod(2026, time.November), Amount: 30000, Ref: "manual/3"},
				{MemberID: "m2", Amount: 10000, Ref: "manual/3"}, // credit
			}},
		{Seq: 3, GroupID: "g1", Payment: ledger.Payment{MemberID: "m1", Amount: 1, At: at, Ref: "a1/2"}, Source: SourceDeposit, By: ActorMatcher,
			Recorded: at, Voided: true, VoidedBy: "telegram:42", VoidedAt: at},
		{Seq: 18446744073709551615, GroupID: "g1", Payment: ledger.Payment{MemberID: "m3", Amount: 9223372036854775807, At: at.UTC(), Ref: "x"}, Source: "s", By: "b", Recorded: at},
	}
	for _, p := range payments {
		raw, err := encodePayment(p)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := scanBookEntry(raw)
		if !ok {
			t.Errorf("payment %s: the scanner did not read it", raw)
		}
		if diff := sameAsJSON(raw, got, ok); diff != "" {
			t.Error(diff)
		}
		if got.Voided != p.Voided || got.Payment.MemberID != p.Payment.MemberID || got.Payment.Amount != p.Payment.Amount ||
			!got.Payment.At.Equal(p.Payment.At) || got.Payment.Ref != p.Payment.Ref {
			t.Errorf("payment %d read as %+v", p.Seq, got)
		}
	}
}

// TestScanFallsBack: records the scanner does not read are decoded by
// encoding/json, with its result or its error.
func TestScanFallsBack(t *testing.T) {
	const pay = `{"seq":1,"group":"g1","payment":{"member":"m1","amount":30000,"at":"2026-11-25T09:30:12+09:00","ref":"a1/1"},"source":"deposit","by":"matcher","recorded":"2026-11-25T09:30:12+09:00"}`
	tests := []struct {
		name    string
		raw     string
		cursor  bool // a cursor, else a payment
		wantErr bool
		check   func(Cursor, bookEntry) bool
	}{
		{name: "cursor with a gap", cursor: true, raw: `{"rows":2,"gap":{"after":"2026-11-25T09:30:12+09:00"}}`,
			check: func(c Cursor, _ bookEntry) bool { return c.Rows == 2 && c.Gap != nil }},
		{name: "cursor with spaces", cursor: true, raw: `{ "rows": 7 }`, check: func(c Cursor, _ bookEntry) bool { return c.Rows == 7 }},
		{name: "cursor fields in another order", cursor: true, raw: `{"rows":7,"through":"2026-11-25T09:30:12+09:00"}`,
			check: func(c Cursor, _ bookEntry) bool { return c.Rows == 7 && !c.Through.IsZero() }},
		{name: "cursor rows as a float", cursor: true, raw: `{"rows":7.0}`, wantErr: true},
		{name: "cursor rows with a leading zero", cursor: true, raw: `{"rows":07}`, wantErr: true},
		{name: "cursor bad time", cursor: true, raw: `{"through":"yesterday","rows":1}`, wantErr: true},
		{name: "cursor cut short", cursor: true, raw: `{"rows":1`, wantErr: true},
		{name: "cursor and more", cursor: true, raw: `{"rows":1}x`, wantErr: true},
		{name: "escaped member", raw: `{"seq":1,"group":"g1","payment":{"member":"m\"1","amount":5,"at":"2026-11-25T09:30:12+09:00","ref":"r"},"source":"s","by":"b","recorded":"2026-11-25T09:30:12+09:00"}`,
			check: func(_ Cursor, e bookEntry) bool { return e.Payment.MemberID == `m"1` }},
		{name: "voided false written out", raw: pay[:len(pay)-1] + `,"voided":false}`,
			check: func(_ Cursor, e bookEntry) bool { return !e.Voided && e.Payment.Amount == 30000 }},
		{name: "unknown field", raw: pay[:len(pay)-1] + `,"extra":[1,{"a":null}]}`,
			check: func(_ Cursor, e bookEntry) bool { return e.Payment.Amount == 30000 }},
		{name: "invalid UTF-8", raw: `{"seq":1,"group":"g1","payment":{"member":"m` + "\xff" + `","amount":5,"at":"2026-11-25T09:30:12+09:00","ref":"r"},"source":"s","by":"b","recorded":"2026-11-25T09:30:12+09:00"}`,
			check: func(_ Cursor, e bookEntry) bool { return e.Payment.MemberID == "m\ufffd" }},
		{name: "negative seq", raw: `{"seq":-1` + pay[len(`{"seq":1`):], // a book does not read it
			check: func(_ Cursor, e bookEntry) bool { return e.Payment.Amount == 30000 }},
		{name: "amount too large", raw: `{"seq":1,"group":"g1","payment":{"member":"m1","amount":9223372036854775808,"at":"2026-11-25T09:30:12+09:00","ref":"a"},"source":"s","by":"b","recorded":"2026-11-25T09:30:12+09:00"}`, wantErr: true},
		{name: "damaged", raw: pay[:40], wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				c       Cursor
				e       bookEntry
				err     error
				scanned bool
			)
			if tt.cursor {
				_, scanned = scanCursor([]byte(tt.raw))
				c, err = decodeCursor([]byte(tt.raw))
			} else {
				_, scanned = scanBookEntry([]byte(tt.raw))
				e, err = decodeBookEntry([]byte(tt.raw))
			}
			if scanned {
				t.Errorf("the scanner read %s; it should leave it to encoding/json", tt.raw)
			}
			if got := err != nil; got != tt.wantErr {
				t.Fatalf("error = %v, want an error: %v", err, tt.wantErr)
			}
			if tt.check != nil && !tt.check(c, e) {
				t.Errorf("decoded %+v %+v", c, e)
			}
		})
	}
}

// FuzzScanLikeJSON: whatever the scanners read, encoding/json reads too,
// to the same values.
func FuzzScanLikeJSON(f *testing.F) {
	at := time.Date(2026, 11, 25, 9, 30, 12, 5, ledger.KST())
	for _, c := range []Cursor{{}, {Through: at, FetchedAt: at, Rows: 4, LastAt: at, LastBalance: 90000}} {
		raw, _ := encodeCursor(c)
		f.Add(raw)
	}
	for _, p := range []PaymentRecord{
		{Seq: 1, GroupID: "g", Payment: ledger.Payment{MemberID: "m1", Amount: 3, At: at, Ref: "r"}, Recorded: at},
		{Seq: 2, Payment: ledger.Payment{At: at}, Recorded: at, Note: "n", Voided: true, VoidedBy: "v", VoidedAt: at,
			Allocations: []ledger.Allocation{{MemberID: "m", Period: 5, Amount: 1, Ref: "r"}, {MemberID: "m", Amount: 2}}},
	} {
		raw, _ := encodePayment(p)
		f.Add(raw)
	}
	f.Add([]byte(`{"rows":-0}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, ok := scanCursor(raw)
		if diff := sameAsJSON(raw, c, ok); diff != "" {
			t.Fatal(diff)
		}
		e, ok := scanBookEntry(raw)
		if diff := sameAsJSON(raw, e, ok); diff != "" {
			t.Fatal(diff)
		}
	})
}
