package ledger

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// DuesRule is a group's default monthly dues.
type DuesRule struct {
	// Amount is the default monthly dues in won.
	Amount int64 `json:"amount"`
	// Day is the due day of the month (1–31; a day past the month's end is
	// its last day).
	Day int `json:"day"`
	// Start is the first month owed.
	Start Period `json:"start"`
	// Changes are later changes of the default amount, each from its month
	// on, in month order. Changing dues never rewrites the months before.
	Changes []DuesChange `json:"changes,omitempty"`
}

// DuesChange is a monthly amount that applies from month From on.
type DuesChange struct {
	From   Period `json:"from"`
	Amount int64  `json:"amount"`
}

// GroupDues, as a member's DuesChange amount, returns the member to the
// group's amount (and its later changes) from that month on.
const GroupDues = -1

// amountAt returns the amount of changes in force in p, or base before the
// first change.
func amountAt(base int64, changes []DuesChange, p Period) (int64, bool) {
	amount, changed := base, false
	for _, c := range changes {
		if c.From > p {
			break
		}
		amount, changed = c.Amount, true
	}
	return amount, changed
}

// Alias is another text a member pays under: a nickname, a parent's name, a
// romanised name. Learned aliases come from the treasurer's review decisions.
type Alias struct {
	Text    string `json:"text"`
	Learned bool   `json:"learned,omitempty"`
}

// Member is one person who owes dues.
type Member struct {
	// ID is unique within the group and never reused.
	ID string `json:"id"`
	// Name is the member's name as the treasurer writes it. Two members can
	// share a name.
	Name string `json:"name"`
	// Aliases are the other texts the member pays under.
	Aliases []Alias `json:"aliases,omitempty"`
	// Dues overrides the group's default amount when positive.
	Dues int64 `json:"dues,omitempty"`
	// Exempt members owe nothing (a group's "dues: 0").
	Exempt bool `json:"exempt,omitempty"`
	// DuesChanges are later changes of the member's own amount, each from
	// its month on, in month order; an amount of 0 is exempt from then and
	// GroupDues returns to the group's amount. A change overrides Dues and
	// Exempt.
	DuesChanges []DuesChange `json:"dues_changes,omitempty"`
	// Joined is the first month the member owes; zero means since the
	// group's start.
	Joined Period `json:"joined,omitempty"`
	// Left is the last month the member owes; zero means still a member.
	Left Period `json:"left,omitempty"`
}

// Group is a 모임: a shared account, its members and its dues rule.
type Group struct {
	ID   string   `json:"id"`
	Name string   `json:"name"`
	Dues DuesRule `json:"dues"`
	// Members in the treasurer's order.
	Members []Member `json:"members"`
	// Ignore lists payer texts that are never dues (interest, refunds).
	Ignore []string `json:"ignore,omitempty"`
	// Words are the treasurer's own dues words for the group (합창단 for a
	// choir named 시온성가대, 스터디 for a team whose dues pay for its
	// study), beside those the matcher derives from Name: a payer text
	// such as 합창단비김은혜 or 김은혜 스터디 then reads as dues. A word
	// that is a member's name or alias is not used.
	Words []string `json:"words,omitempty"`
}

// Errors returned by group operations. Callers branch on them with
// errors.Is.
var (
	ErrInvalidGroup   = errors.New("invalid group")
	ErrUnknownMember  = errors.New("unknown member")
	ErrNothingToLearn = errors.New("payer text holds no name to learn")
	ErrAliasConflict  = errors.New("alias already names another member")
)

// Member returns the member with id.
func (g *Group) Member(id string) (*Member, bool) {
	for i := range g.Members {
		if g.Members[i].ID == id {
			return &g.Members[i], true
		}
	}
	return nil, false
}

// MonthlyDues returns what m owes for period p: zero when m is exempt or p
// is before the group's start, before m joined or after m left.
func (g *Group) MonthlyDues(m *Member, p Period) int64 {
	if !g.Owes(m, p) {
		return 0
	}
	return g.RateAt(m, p)
}

// RateAt returns m's monthly dues in force in p, whether or not m owes p:
// zero when exempt.
func (g *Group) RateAt(m *Member, p Period) int64 {
	own, changed := amountAt(0, m.DuesChanges, p)
	switch {
	case changed && own != GroupDues:
		return own
	case changed: // back to the group's amount
	case m.Exempt:
		return 0
	case m.Dues > 0:
		return m.Dues
	}
	amount, _ := amountAt(g.Dues.Amount, g.Dues.Changes, p)
	return amount
}

// latest is a period after every change.
const latest = Period(1<<31 - 1)

// Rate returns m's monthly dues as they stand now (after every change):
// zero when exempt.
func (g *Group) Rate(m *Member) int64 { return g.RateAt(m, latest) }

// SetDues changes the group's default amount from month from on, keeping
// the months before as they were. A change already recorded for from is
// replaced.
func (g *Group) SetDues(from Period, amount int64) {
	g.Dues.Changes = setChange(g.Dues.Changes, from, amount)
}

// SetMemberDues changes member id's own amount from month from on (0:
// exempt from then; GroupDues: back to the group's amount), keeping the
// months before as they were.
func (g *Group) SetMemberDues(id string, from Period, amount int64) error {
	m, ok := g.Member(id)
	if !ok {
		return fmt.Errorf("ledger: set dues: %w %q", ErrUnknownMember, id)
	}
	m.DuesChanges = setChange(m.DuesChanges, from, amount)
	return nil
}

func setChange(changes []DuesChange, from Period, amount int64) []DuesChange {
	changes = slices.DeleteFunc(slices.Clone(changes), func(c DuesChange) bool { return c.From == from })
	changes = append(changes, DuesChange{From: from, Amount: amount})
	slices.SortFunc(changes, func(a, b DuesChange) int { return int(a.From) - int(b.From) })
	return changes
}

// Owes reports whether p is one of m's membership months on or after the
// group's start (exempt members "owe" their months at zero won).
func (g *Group) Owes(m *Member, p Period) bool {
	if p < g.Dues.Start {
		return false
	}
	if !m.Joined.IsZero() && p < m.Joined {
		return false
	}
	if !m.Left.IsZero() && p > m.Left {
		return false
	}
	return true
}

// Validate checks the group's invariants: a name, a dues amount that is not
// negative, a due day in 1..31, a start month, non-empty unique member ids,
// names on every member, no negative dues and joined not after left. A
// dues amount of 0 is a group whose treasurer has not set the dues yet (a
// chat group just set up): nobody owes anything, and deposits are kept as
// credit or sent for review until the dues are set.
func (g *Group) Validate() error {
	if g.Name == "" {
		return fmt.Errorf("%w: name is empty", ErrInvalidGroup)
	}
	if g.Dues.Amount < 0 {
		return fmt.Errorf("%w: dues amount %d is negative", ErrInvalidGroup, g.Dues.Amount)
	}
	if g.Dues.Day < 1 || g.Dues.Day > 31 {
		return fmt.Errorf("%w: due day %d is not 1..31", ErrInvalidGroup, g.Dues.Day)
	}
	if g.Dues.Start.IsZero() {
		return fmt.Errorf("%w: dues start month is missing", ErrInvalidGroup)
	}
	if err := validChanges(g.Dues.Changes, false); err != nil {
		return fmt.Errorf("%w: dues changes: %w", ErrInvalidGroup, err)
	}
	seen := make(map[string]bool, len(g.Members))
	for i, m := range g.Members {
		switch {
		case m.ID == "":
			return fmt.Errorf("%w: member %d has no id", ErrInvalidGroup, i+1)
		case seen[m.ID]:
			return fmt.Errorf("%w: member id %q is used twice", ErrInvalidGroup, m.ID)
		case m.Name == "":
			return fmt.Errorf("%w: member %q has no name", ErrInvalidGroup, m.ID)
		case m.Dues < 0:
			return fmt.Errorf("%w: member %q has negative dues %d", ErrInvalidGroup, m.ID, m.Dues)
		case !m.Joined.IsZero() && !m.Left.IsZero() && m.Left < m.Joined:
			return fmt.Errorf("%w: member %q left (%s) before joining (%s)", ErrInvalidGroup, m.ID, m.Left, m.Joined)
		}
		if err := validChanges(m.DuesChanges, true); err != nil {
			return fmt.Errorf("%w: member %q dues changes: %w", ErrInvalidGroup, m.ID, err)
		}
		seen[m.ID] = true
	}
	return nil
}

// validChanges checks that changes have months, come in month order
// without repeats, and have positive amounts (or zero, when zeroOK).
func validChanges(changes []DuesChange, zeroOK bool) error {
	for i, c := range changes {
		switch {
		case c.From.IsZero():
			return fmt.Errorf("change %d has no month", i+1)
		case i > 0 && c.From <= changes[i-1].From:
			return fmt.Errorf("change %d (%s) is not after the one before", i+1, c.From)
		case c.Amount < 0 && !(zeroOK && c.Amount == GroupDues) || c.Amount == 0 && !zeroOK:
			return fmt.Errorf("change %d has amount %d", i+1, c.Amount)
		}
	}
	return nil
}

// Clone returns a deep copy of g.
func (g *Group) Clone() *Group {
	c := *g
	c.Members = make([]Member, len(g.Members))
	for i, m := range g.Members {
		m.Aliases = slices.Clone(m.Aliases)
		m.DuesChanges = slices.Clone(m.DuesChanges)
		c.Members[i] = m
	}
	c.Ignore = slices.Clone(g.Ignore)
	c.Words = slices.Clone(g.Words)
	c.Dues.Changes = slices.Clone(g.Dues.Changes)
	return &c
}

// Direction says whether money came in or went out.
type Direction uint8

// Directions of a deposit.
const (
	In  Direction = iota + 1 // 입금
	Out                      // 출금
)

// String returns "in" or "out".
func (d Direction) String() string {
	switch d {
	case In:
		return "in"
	case Out:
		return "out"
	}
	return "unknown"
}

// Deposit is one bank transaction of the group account, as the bank reported
// it. Despite the name it can be a withdrawal; the matcher ignores those.
type Deposit struct {
	// ID identifies the transaction in the store (or its input position in
	// an offline reconciliation).
	ID string `json:"id"`
	// At is when the bank booked it, in KST.
	At time.Time `json:"at"`
	// Direction is In for 입금.
	Direction Direction `json:"direction"`
	// Text is print_content as the bank sent it.
	Text string `json:"text"`
	// Amount is positive won.
	Amount int64 `json:"amount"`
	// Balance is the account balance after the transaction (after_balance_amt).
	Balance int64 `json:"balance"`
}

// Share is the part of a deposit that belongs to one member.
type Share struct {
	MemberID string `json:"member"`
	Amount   int64  `json:"amount"`
}
