package ledger

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 20, 0, 0, 0, KST()) }

func allocGroup() *Group {
	return &Group{
		Name: "독서모임",
		Dues: DuesRule{Amount: 30000, Day: 25, Start: NewPeriod(2026, 9)},
		Members: []Member{
			{ID: "m01", Name: "김민수"},
			{ID: "m02", Name: "이지은", Dues: 20000},
			{ID: "m03", Name: "박서준", Exempt: true},
			{ID: "m04", Name: "최유리", Joined: NewPeriod(2026, 11)},
			{ID: "m05", Name: "정하늘", Left: NewPeriod(2026, 10)},
		},
	}
}

// fmtAllocs renders allocations as "2026-09:30000 credit:5000".
func fmtAllocs(as []Allocation) string {
	var parts []string
	for _, a := range as {
		p := a.Period.String()
		if a.Credit() {
			p = "credit"
		}
		parts = append(parts, fmt.Sprintf("%s:%d", p, a.Amount))
	}
	return strings.Join(parts, " ")
}

func TestBookApply(t *testing.T) {
	tests := []struct {
		name     string
		payments []Payment // applied in order; the last one's allocations are checked
		want     string
	}{
		{"OnTimeCurrentMonth", []Payment{{MemberID: "m01", Amount: 30000, At: day(2026, 9, 24)}}, "2026-09:30000"},
		{"ArrearsFirst", []Payment{{MemberID: "m01", Amount: 30000, At: day(2026, 11, 24)}}, "2026-09:30000"},
		{"SeveralMonthsAtOnce", []Payment{{MemberID: "m01", Amount: 90000, At: day(2026, 11, 24)}}, "2026-09:30000 2026-10:30000 2026-11:30000"},
		{"Prepayment", []Payment{
			{MemberID: "m01", Amount: 30000, At: day(2026, 9, 24)},
			{MemberID: "m01", Amount: 90000, At: day(2026, 10, 24)},
		}, "2026-10:30000 2026-11:30000 2026-12:30000"},
		{"Partial", []Payment{{MemberID: "m01", Amount: 10000, At: day(2026, 9, 24)}}, "2026-09:10000"},
		{"PartialCompleted", []Payment{
			{MemberID: "m01", Amount: 10000, At: day(2026, 9, 24)},
			{MemberID: "m01", Amount: 20000, At: day(2026, 9, 30)},
		}, "2026-09:20000"},
		{"PartialCompletedAndMore", []Payment{
			{MemberID: "m01", Amount: 10000, At: day(2026, 9, 24)},
			{MemberID: "m01", Amount: 35000, At: day(2026, 10, 2)},
		}, "2026-09:20000 2026-10:15000"},
		{"Overpayment", []Payment{{MemberID: "m01", Amount: 35000, At: day(2026, 9, 24)}}, "2026-09:30000 2026-10:5000"},
		{"OwnDues", []Payment{{MemberID: "m02", Amount: 30000, At: day(2026, 9, 24)}}, "2026-09:20000 2026-10:10000"},
		{"ExemptIsCredit", []Payment{{MemberID: "m03", Amount: 30000, At: day(2026, 9, 24)}}, "credit:30000"},
		{"BeforeJoiningIsPrepayment", []Payment{{MemberID: "m04", Amount: 30000, At: day(2026, 10, 20)}}, "2026-11:30000"},
		{"AfterLeavingPaysArrearsThenCredit", []Payment{{MemberID: "m05", Amount: 90000, At: day(2026, 12, 1)}}, "2026-09:30000 2026-10:30000 credit:30000"},
		{"PrepaymentBounded", []Payment{{MemberID: "m01", Amount: 30000 * 20, At: day(2026, 9, 24)}},
			"2026-09:30000 2026-10:30000 2026-11:30000 2026-12:30000 2027-01:30000 2027-02:30000 2027-03:30000 2027-04:30000 2027-05:30000 2027-06:30000 2027-07:30000 2027-08:30000 2027-09:30000 credit:210000"},
		{"BeforeStartIsPrepayment", []Payment{{MemberID: "m01", Amount: 30000, At: day(2026, 8, 20)}}, "2026-09:30000"},
		{"LongBeforeStartIsCredit", []Payment{{MemberID: "m01", Amount: 60000, At: day(2025, 8, 1)}}, "credit:60000"},
		{"PrepaymentWindowCountsFromThePayment", []Payment{{MemberID: "m04", Amount: 30000, At: day(2025, 10, 20)}}, "credit:30000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBook(allocGroup())
			var got []Allocation
			for i, p := range tt.payments {
				p.Ref = fmt.Sprint(i)
				as, err := b.Apply(p)
				if err != nil {
					t.Fatal(err)
				}
				got = as
			}
			if s := fmtAllocs(got); s != tt.want {
				t.Errorf("allocations = %s, want %s", s, tt.want)
			}
			var sum int64
			for _, a := range got {
				sum += a.Amount
				if a.Ref != fmt.Sprint(len(tt.payments)-1) {
					t.Errorf("allocation ref = %q", a.Ref)
				}
			}
			if last := tt.payments[len(tt.payments)-1].Amount; sum != last {
				t.Errorf("allocations add up to %d, want %d", sum, last)
			}
		})
	}
}

func TestBookApplyErrors(t *testing.T) {
	b := NewBook(allocGroup())
	tests := []struct {
		name string
		p    Payment
		want error
	}{
		{"UnknownMember", Payment{MemberID: "m99", Amount: 1000, At: day(2026, 9, 1)}, ErrUnknownMember},
		{"ZeroAmount", Payment{MemberID: "m01", Amount: 0, At: day(2026, 9, 1)}, ErrInvalidPayment},
		{"NegativeAmount", Payment{MemberID: "m01", Amount: -5, At: day(2026, 9, 1)}, ErrInvalidPayment},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := b.Apply(tt.p); !errors.Is(err, tt.want) {
				t.Errorf("Apply = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestBookStatus(t *testing.T) {
	b := NewBook(allocGroup())
	pays := []Payment{
		{MemberID: "m01", Amount: 30000, At: day(2026, 9, 24)},
		{MemberID: "m01", Amount: 10000, At: day(2026, 10, 24)},
		{MemberID: "m02", Amount: 100000, At: day(2026, 9, 24)},
		{MemberID: "m03", Amount: 5000, At: day(2026, 9, 24)},
	}
	for _, p := range pays {
		if _, err := b.Apply(p); err != nil {
			t.Fatal(err)
		}
	}
	asOf := NewPeriod(2026, 11)
	tests := []struct {
		id          string
		wantPeriods string
		wantBalance int64
	}{
		{"m01", "2026-09:paid:30000/30000 2026-10:partial:10000/30000 2026-11:unpaid:0/30000", -50000},
		{"m02", "2026-09:paid:20000/20000 2026-10:paid:20000/20000 2026-11:paid:20000/20000 2026-12:credit:20000/20000 2027-01:credit:20000/20000", 40000},
		{"m03", "2026-09:exempt:0/0 2026-10:exempt:0/0 2026-11:exempt:0/0", 5000},
		{"m04", "2026-09:not_owed:0/0 2026-10:not_owed:0/0 2026-11:unpaid:0/30000", -30000},
		{"m05", "2026-09:unpaid:0/30000 2026-10:unpaid:0/30000 2026-11:not_owed:0/0", -60000},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			st, err := b.Status(tt.id, asOf)
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, p := range st.Periods {
				parts = append(parts, fmt.Sprintf("%s:%s:%d/%d", p.Period, p.Status, p.Paid, p.Due))
			}
			if got := strings.Join(parts, " "); got != tt.wantPeriods {
				t.Errorf("periods = %s\nwant      %s", got, tt.wantPeriods)
			}
			if st.Balance != tt.wantBalance {
				t.Errorf("balance = %d, want %d", st.Balance, tt.wantBalance)
			}
		})
	}
	if _, err := b.Status("m99", asOf); !errors.Is(err, ErrUnknownMember) {
		t.Errorf("Status(m99) = %v, want ErrUnknownMember", err)
	}
}

// TestBookReplayDeterministic checks that rebuilding a book from the same
// payments in the same order gives the same allocations and statuses.
func TestBookReplayDeterministic(t *testing.T) {
	pays := []Payment{
		{MemberID: "m02", Amount: 5000, At: day(2026, 10, 1), Ref: "a"},
		{MemberID: "m01", Amount: 45000, At: day(2026, 9, 20), Ref: "b"},
		{MemberID: "m01", Amount: 15000, At: day(2026, 9, 20), Ref: "c"},
		{MemberID: "m04", Amount: 70000, At: day(2026, 11, 3), Ref: "d"},
	}
	run := func() string {
		ps := append([]Payment(nil), pays...)
		SortPayments(ps)
		b := NewBook(allocGroup())
		var out []string
		for _, p := range ps {
			as, err := b.Apply(p)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, p.Ref+"="+fmtAllocs(as))
		}
		return strings.Join(out, "; ") + fmt.Sprint(b.Statuses(NewPeriod(2026, 12)))
	}
	first := run()
	if !strings.HasPrefix(first, "b=2026-09:30000 2026-10:15000; c=2026-10:15000; a=") {
		t.Errorf("order = %s", first)
	}
	for range 10 {
		if got := run(); got != first {
			t.Fatalf("replay differs:\n%s\n%s", first, got)
		}
	}
}

// TestDuesChanges: raising dues from a month on changes that month and
// the later ones only; a member's own change and exemption work the same.
func TestDuesChanges(t *testing.T) {
	g := allocGroup()
	g.SetDues(NewPeriod(2026, 11), 35000)
	if err := g.SetMemberDues("m02", NewPeriod(2026, 10), 0); err != nil { // exempt from October
		t.Fatal(err)
	}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		member string
		period Period
		want   int64
	}{
		{"m01", NewPeriod(2026, 9), 30000},
		{"m01", NewPeriod(2026, 10), 30000},
		{"m01", NewPeriod(2026, 11), 35000},
		{"m01", NewPeriod(2027, 3), 35000},
		{"m02", NewPeriod(2026, 9), 20000},
		{"m02", NewPeriod(2026, 10), 0},
	}
	// Back to the group's amount (and its later changes) from next year.
	if err := g.SetMemberDues("m02", NewPeriod(2027, 1), GroupDues); err != nil {
		t.Fatal(err)
	}
	g.SetDues(NewPeriod(2027, 6), 40000)
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	tests = append(tests, []struct {
		member string
		period Period
		want   int64
	}{
		{"m02", NewPeriod(2026, 12), 0},
		{"m02", NewPeriod(2027, 1), 35000},
		{"m02", NewPeriod(2027, 6), 40000},
	}...)
	for _, tt := range tests {
		if got := g.MonthlyDues(mustMember(t, g, tt.member), tt.period); got != tt.want {
			t.Errorf("MonthlyDues(%s, %s) = %d, want %d", tt.member, tt.period, got, tt.want)
		}
	}
	// Money paid before the change keeps its months.
	b := NewBook(g)
	for _, p := range []Payment{
		{MemberID: "m01", Amount: 60000, At: day(2026, 10, 20), Ref: "a"},
		{MemberID: "m01", Amount: 35000, At: day(2026, 11, 20), Ref: "b"},
	} {
		if _, err := b.Apply(p); err != nil {
			t.Fatal(err)
		}
	}
	st, _ := b.Status("m01", NewPeriod(2026, 11))
	for _, ps := range st.Periods {
		if ps.Status != StatusPaid {
			t.Errorf("%s = %s %d/%d, want paid", ps.Period, ps.Status, ps.Paid, ps.Due)
		}
	}
	// The matcher tells same-name members apart by the rate of the
	// deposit's month.
	g2 := &Group{Name: "모임", Dues: DuesRule{Amount: 30000, Day: 1, Start: NewPeriod(2026, 1)},
		Members: []Member{{ID: "a", Name: "정하늘"}, {ID: "b", Name: "정하늘", Dues: 20000}}}
	g2.SetDues(NewPeriod(2026, 6), 20000) // a's dues drop to b's: no longer tellable
	m := NewMatcher(g2)
	if got := m.Match(Deposit{Direction: In, Text: "정하늘", Amount: 30000, At: day(2026, 3, 1)}); got.Outcome != OutcomeMatched || got.Shares[0].MemberID != "a" {
		t.Errorf("March deposit = %v %v, want a by amount", got.Outcome, got.Shares)
	}
	if got := m.Match(Deposit{Direction: In, Text: "정하늘", Amount: 20000, At: day(2026, 7, 1)}); got.Outcome != OutcomeReview {
		t.Errorf("July deposit = %v %v, want review (equal dues)", got.Outcome, got.Shares)
	}
}

func TestDuesChangesValidate(t *testing.T) {
	tests := []struct {
		name    string
		changes []DuesChange
	}{
		{"NoMonth", []DuesChange{{Amount: 1}}},
		{"OutOfOrder", []DuesChange{{From: NewPeriod(2026, 5), Amount: 1}, {From: NewPeriod(2026, 4), Amount: 1}}},
		{"ZeroForGroup", []DuesChange{{From: NewPeriod(2026, 5), Amount: 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := allocGroup()
			g.Dues.Changes = tt.changes
			if err := g.Validate(); err == nil {
				t.Error("Validate accepted bad changes")
			}
		})
	}
}
