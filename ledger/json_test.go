package ledger

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestJSONRoundTrip checks that the domain types survive JSON, which the
// store uses to persist them.
func TestJSONRoundTrip(t *testing.T) {
	m := NewMatcher(testGroup())
	values := []any{
		testGroup(),
		wordsGroup(),
		m.Match(Deposit{Direction: In, Text: "11월회비김민", Amount: 30000}),
		m.Match(Deposit{Direction: In, Text: "김*수", Amount: 30000}),
		m.Match(Deposit{Direction: Out, Text: "카드", Amount: 30000}),
		Deposit{ID: "a/1", At: time.Date(2026, 11, 25, 9, 30, 12, 0, KST()), Direction: In, Text: "김민수", Amount: 30000, Balance: 120000},
		Allocation{MemberID: "m01", Period: NewPeriod(2026, 11), Amount: 30000, Ref: "a/1"},
		Allocation{MemberID: "m01", Amount: 5000, Ref: "a/1"},
		MemberStatus{MemberID: "m01", Name: "김민수", Balance: -30000, Periods: []PeriodStatus{
			{Period: NewPeriod(2026, 10), Due: 30000, Paid: 30000, Status: StatusPaid},
			{Period: NewPeriod(2026, 11), Due: 30000, Status: StatusUnpaid},
			{Period: NewPeriod(2026, 12), Due: 30000, Paid: 30000, Status: StatusCredit},
		}},
	}
	for _, v := range values {
		t.Run(reflect.TypeOf(v).String(), func(t *testing.T) {
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			p := reflect.New(reflect.TypeOf(v))
			if err := json.Unmarshal(b, p.Interface()); err != nil {
				t.Fatalf("unmarshal %s: %v", b, err)
			}
			got := p.Elem().Interface()
			if d, ok := got.(Deposit); ok {
				// time.Time round-trips as an equal instant, not the same struct.
				want := v.(Deposit)
				if !d.At.Equal(want.At) {
					t.Errorf("At = %v, want %v", d.At, want.At)
				}
				d.At, want.At = time.Time{}, time.Time{}
				got, v = d, want
			}
			if !reflect.DeepEqual(got, v) {
				t.Errorf("round trip of %s:\n got %+v\nwant %+v", b, got, v)
			}
		})
	}
}

func TestTextUnmarshalErrors(t *testing.T) {
	var o Outcome
	var s Status
	var p Period
	for name, err := range map[string]error{
		"Outcome": o.UnmarshalText([]byte("maybe")),
		"Status":  s.UnmarshalText([]byte("sort of")),
		"Period":  p.UnmarshalText([]byte("2026-13")),
	} {
		if err == nil {
			t.Errorf("%s accepted an unknown value", name)
		}
	}
}
