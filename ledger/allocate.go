package ledger

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"
)

// PrepayMonths bounds prepayment: a payment covers at most this many months
// after the month it was made in. Anything beyond stays as credit.
const PrepayMonths = 12

// Payment is money that belongs to one member: a matched deposit's share, a
// review deposit the treasurer assigned, or cash handed to the treasurer.
type Payment struct {
	MemberID string    `json:"member"`
	Amount   int64     `json:"amount"`
	At       time.Time `json:"at"`
	// Ref names the source: a deposit's ID or a manual entry's ID.
	Ref string `json:"ref"`
}

// Allocation is part of a payment applied to one month of one member's
// dues. A zero Period is credit: money kept for the member, owed to no
// month.
type Allocation struct {
	MemberID string `json:"member"`
	Period   Period `json:"period"`
	Amount   int64  `json:"amount"`
	Ref      string `json:"ref"`
}

// Credit reports whether a is money kept as credit.
func (a Allocation) Credit() bool { return a.Period.IsZero() }

// ErrInvalidPayment is returned for payments with no member or a
// non-positive amount.
var ErrInvalidPayment = errors.New("invalid payment")

// Book holds what each member of a group has paid, month by month. Apply
// payments in the order they were made (see SortPayments); the same
// payments in the same order always give the same allocations, so a Book
// can be rebuilt from stored payments at any time.
type Book struct {
	g      *Group
	paid   map[string]map[Period]int64
	credit map[string]int64
}

// NewBook returns an empty book for g. The book keeps a copy of g.
func NewBook(g *Group) *Book {
	return &Book{g: g.Clone(), paid: make(map[string]map[Period]int64), credit: make(map[string]int64)}
}

// Apply allocates p: first the oldest month the member still owes money
// for (arrears), then the current month, then later months as prepayment
// (at most PrepayMonths after p's month), each month up to its dues; a
// remainder stays as credit. Exempt members' money and money paid after a
// member's last month is credit.
func (b *Book) Apply(p Payment) ([]Allocation, error) {
	if p.Amount <= 0 {
		return nil, fmt.Errorf("ledger: apply payment %q: %w: amount %d is not positive", p.Ref, ErrInvalidPayment, p.Amount)
	}
	m, ok := b.g.Member(p.MemberID)
	if !ok {
		return nil, fmt.Errorf("ledger: apply payment %q: %w %q", p.Ref, ErrUnknownMember, p.MemberID)
	}
	first := b.g.Dues.Start
	if m.Joined > first {
		first = m.Joined
	}
	// At most PrepayMonths after the payment's month: money paid long
	// before the dues start (or before joining) stays credit.
	last := MonthOf(p.At.In(KST())) + PrepayMonths
	if !m.Left.IsZero() && m.Left < last {
		last = m.Left
	}
	paid := b.paid[m.ID]
	if paid == nil {
		paid = make(map[Period]int64)
		b.paid[m.ID] = paid
	}
	left := p.Amount
	var out []Allocation
	for per := first; per <= last && left > 0; per++ {
		due := b.g.MonthlyDues(m, per)
		if owe := due - paid[per]; owe > 0 {
			n := min(owe, left)
			paid[per] += n
			left -= n
			out = append(out, Allocation{MemberID: m.ID, Period: per, Amount: n, Ref: p.Ref})
		}
	}
	if left > 0 {
		b.credit[m.ID] += left
		out = append(out, Allocation{MemberID: m.ID, Amount: left, Ref: p.Ref})
	}
	return out, nil
}

// SortPayments orders payments by time, keeping the input order of
// payments made at the same instant.
func SortPayments(ps []Payment) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].At.Before(ps[j].At) })
}

// Status of one member's month.
type Status uint8

// Statuses of a period.
const (
	StatusUnpaid  Status = iota // owed, nothing paid
	StatusPartial               // owed, part paid
	StatusPaid                  // owed and fully paid
	StatusExempt                // the member's dues are zero
	StatusNotOwed               // before the member joined or after they left
	StatusCredit                // a month after the as-of month, paid in advance
)

var statusNames = [...]string{"unpaid", "partial", "paid", "exempt", "not_owed", "credit"}

// String returns the status as the reconcile contract spells it: unpaid,
// partial, paid, exempt, not_owed or credit.
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "unknown"
}

// MarshalText implements encoding.TextMarshaler.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Status) UnmarshalText(b []byte) error {
	i := slices.Index(statusNames[:], string(b))
	if i < 0 {
		return fmt.Errorf("ledger: unknown status %q", b)
	}
	*s = Status(i)
	return nil
}

// PeriodStatus is one member's month.
type PeriodStatus struct {
	Period Period `json:"period"`
	Due    int64  `json:"due"`
	Paid   int64  `json:"paid"`
	Status Status `json:"status"`
}

// MemberStatus is one member's standing as of a month.
type MemberStatus struct {
	MemberID string `json:"id"`
	Name     string `json:"name"`
	// Balance is credit (positive) or arrears (negative): everything paid
	// minus everything due up to and including the as-of month.
	Balance int64 `json:"balance"`
	// Credit is money kept for the member, owed to no month.
	Credit  int64          `json:"credit"`
	Periods []PeriodStatus `json:"periods"`
}

// Status returns member id's months from the group's start through asOf,
// plus any later month already paid in advance.
func (b *Book) Status(id string, asOf Period) (MemberStatus, error) {
	m, ok := b.g.Member(id)
	if !ok {
		return MemberStatus{}, fmt.Errorf("ledger: status: %w %q", ErrUnknownMember, id)
	}
	paid := b.paid[id]
	st := MemberStatus{MemberID: id, Name: m.Name, Credit: b.credit[id]}
	var due, total int64
	for per := b.g.Dues.Start; per <= asOf; per++ {
		ps := PeriodStatus{Period: per, Due: b.g.MonthlyDues(m, per), Paid: paid[per]}
		switch {
		case !b.g.Owes(m, per):
			ps.Status = StatusNotOwed
		case ps.Due == 0:
			ps.Status = StatusExempt
		case ps.Paid >= ps.Due:
			ps.Status = StatusPaid
		case ps.Paid > 0:
			ps.Status = StatusPartial
		default:
			ps.Status = StatusUnpaid
		}
		due += ps.Due
		st.Periods = append(st.Periods, ps)
	}
	later := make([]Period, 0)
	for per, amt := range paid {
		total += amt
		if per > asOf && amt > 0 {
			later = append(later, per)
		}
	}
	slices.Sort(later)
	for _, per := range later {
		st.Periods = append(st.Periods, PeriodStatus{Period: per, Due: b.g.MonthlyDues(m, per), Paid: paid[per], Status: StatusCredit})
	}
	st.Balance = total + st.Credit - due
	return st, nil
}

// Statuses returns every member's status as of asOf, in roster order.
func (b *Book) Statuses(asOf Period) []MemberStatus {
	out := make([]MemberStatus, 0, len(b.g.Members))
	for _, m := range b.g.Members {
		st, _ := b.Status(m.ID, asOf) // the member exists: it comes from the roster
		out = append(out, st)
	}
	return out
}
