package bot

import (
	"fmt"
	"slices"
	"time"

	"github.com/moimbot/moimbot/ledger"
)

// ReminderKind says which of a month's reminders an occurrence is.
type ReminderKind int

// Reminder kinds.
const (
	ReminderBefore  ReminderKind = iota + 1 // before the due date (negative offset)
	ReminderDueDay                          // on the due date (offset 0)
	ReminderOverdue                         // after the due date (positive offset)
)

// String returns "before", "due_day" or "overdue".
func (k ReminderKind) String() string {
	switch k {
	case ReminderBefore:
		return "before"
	case ReminderDueDay:
		return "due_day"
	case ReminderOverdue:
		return "overdue"
	}
	return fmt.Sprintf("ReminderKind(%d)", int(k))
}

// reminderKindOf returns the kind of a reminder offset days from the due
// date.
func reminderKindOf(offset int) ReminderKind {
	switch {
	case offset < 0:
		return ReminderBefore
	case offset == 0:
		return ReminderDueDay
	}
	return ReminderOverdue
}

// Limits of a ReminderPlan.
const (
	// MaxReminderOffset is the largest distance in days of a reminder from
	// the due date, before or after it.
	MaxReminderOffset = 15
	// DefaultReminderGrace is how late a missed reminder may still be
	// posted (see ReminderPlan.CatchUp).
	DefaultReminderGrace = 6 * time.Hour
)

// ReminderPlan is when a group is reminded: on each of Days relative to the
// due date (−3 three days before, 0 the due day, 3 three days after) at
// Hour:Minute KST. It mirrors the store's settings; the caller converts.
type ReminderPlan struct {
	// Enabled turns the group's reminders on.
	Enabled bool
	// Days are the offsets in days from the due date, −15..15, each once.
	Days []int
	// Hour (0–23) and Minute (0–59) are the time of day in KST.
	Hour, Minute int
}

// DefaultReminderPlan returns the plan of a new group: enabled, three days
// before the due date, on it and three days after, at 10:00 KST (the
// schedule polls often right after these; see PollSchedule).
func DefaultReminderPlan() ReminderPlan {
	return ReminderPlan{Enabled: true, Days: []int{-3, 0, 3}, Hour: 10, Minute: 0}
}

// Validate checks that every day is within −15..15 and appears once, that
// Hour is 0–23 and Minute 0–59. The error names the field at fault
// ("days", "hour" or "minute"). A disabled plan is checked too, so that
// turning it on cannot fail.
func (p ReminderPlan) Validate() error {
	for i, d := range p.Days {
		if d < -MaxReminderOffset || d > MaxReminderOffset {
			return fmt.Errorf("bot: reminder plan: days: %d is outside %d..%d", d, -MaxReminderOffset, MaxReminderOffset)
		}
		if slices.Contains(p.Days[:i], d) {
			return fmt.Errorf("bot: reminder plan: days: %d appears twice", d)
		}
	}
	if p.Hour < 0 || p.Hour > 23 {
		return fmt.Errorf("bot: reminder plan: hour: %d is outside 0..23", p.Hour)
	}
	if p.Minute < 0 || p.Minute > 59 {
		return fmt.Errorf("bot: reminder plan: minute: %d is outside 0..59", p.Minute)
	}
	return nil
}

// Occurrence is one reminder post.
type Occurrence struct {
	At     time.Time     // when it is due (KST)
	Month  ledger.Period // the dues month it is about
	Offset int           // the day offset from the plan
	Kind   ReminderKind  // Before for Offset<0, DueDay for 0, Overdue for >0
}

// Key returns the occurrence's stable idempotency key for groupID,
// "reminder/<group>/<YYYY-MM>/<offset>", e.g. "reminder/g1/2026-11/-3". It
// does not hold the time of day, so a plan moved to another hour does not
// remind twice for the same day.
func (o Occurrence) Key(groupID string) string {
	return fmt.Sprintf("reminder/%s/%s/%d", groupID, o.Month, o.Offset)
}

// Between returns the plan's occurrences in (after, upTo], in time order,
// for a group whose dues fall on dueDay (read as PollSchedule.DueDay is: 0
// means 25; Period.DueDate clamps days past the month's end). The months
// looked at are those whose occurrences can fall in the range, including
// the neighbours of the range's months when an offset crosses a month end
// (a reminder 3 days before dues on the 1st falls in the month before).
// A disabled plan has none. Between expects a valid plan (see Validate).
func (p ReminderPlan) Between(dueDay int, after, upTo time.Time) []Occurrence {
	if !p.Enabled || len(p.Days) == 0 || !upTo.After(after) {
		return nil
	}
	loc := ledger.KST()
	dueDay = pollDueDay(dueDay)
	// A month's reminders lie within reach days of its due date; reach/28+1
	// neighbouring months on each side cover them.
	reach := 0
	for _, d := range p.Days {
		reach = max(reach, d, -d)
	}
	spread := ledger.Period(reach/28 + 1)
	var out []Occurrence
	for m := ledger.MonthOf(after.In(loc)) - spread; m <= ledger.MonthOf(upTo.In(loc))+spread; m++ {
		due := m.DueDate(dueDay, loc)
		for _, off := range p.Days {
			at := time.Date(due.Year(), due.Month(), due.Day()+off, p.Hour, p.Minute, 0, 0, loc)
			if at.After(after) && !at.After(upTo) {
				out = append(out, Occurrence{At: at, Month: m, Offset: off, Kind: reminderKindOf(off)})
			}
		}
	}
	slices.SortFunc(out, func(a, b Occurrence) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return int(a.Month - b.Month)
	})
	return out
}

// CatchUp returns what to post at now when the engine last ran its reminder
// check at last, in time order. The rule:
//
//  1. The candidates are the occurrences in (last, now] (see Between); a
//     zero last means the engine never ran, and the range is
//     (now−grace, now] — nothing older is caught up.
//  2. Per dues month only the newest candidate is kept: an occurrence is
//     dropped when a newer occurrence of the same month is due at or
//     before now (after a long outage the overdue reminder replaces the
//     due-day one, which would say the same thing less accurately).
//  3. A kept occurrence is dropped when it is grace or more late
//     (now − At ≥ grace), or when now is no longer its day in KST (a
//     due-day reminder caught up after midnight would say "today" of the
//     wrong day): a stale reminder is never posted. An older one of the
//     same month does not take its place.
//
// Calling CatchUp again with last set to the previous now never returns an
// occurrence twice, since the ranges do not overlap. Callers still post with
// Occurrence.Key as the idempotency key, so a crash between posting and
// saving last does not post twice.
func (p ReminderPlan) CatchUp(dueDay int, last, now time.Time, grace time.Duration) []Occurrence {
	if last.IsZero() {
		last = now.Add(-grace)
	}
	all := p.Between(dueDay, last, now)
	var out []Occurrence
	for i, o := range all {
		newer := slices.ContainsFunc(all[i+1:], func(n Occurrence) bool { return n.Month == o.Month })
		if !newer && now.Sub(o.At) < grace && sameDay(o.At, now) {
			out = append(out, o)
		}
	}
	return out
}

// Warning is a token-expiry warning: the link to the bank account must be
// renewed within DaysLeft days.
type Warning struct {
	At       time.Time // when it is due (10:00 KST)
	DaysLeft int       // 14 or 3: days from At's date to the expiry day
	Key      string    // stable idempotency key, "expiry/<account>/<YYYYMMDD>/<days>"
}

// expiryWarningDays are the days before a link's expiry day when the
// treasurer is warned.
var expiryWarningDays = [...]int{14, 3}

// ExpiryWarnings returns the token-expiry warnings due in (after, upTo], in
// time order, for accountID's link that expires at expires: at 10:00 KST 14
// days and 3 days before the expiry day (the KST date of expires), each
// only when that instant is still before expires. Each has the stable key
// "expiry/<account>/<expires as 20060102 in KST>/<days>", so a renewed link
// (a new expiry) is warned about afresh. A zero expires has none.
func ExpiryWarnings(accountID string, expires, after, upTo time.Time) []Warning {
	if expires.IsZero() {
		return nil
	}
	loc := ledger.KST()
	e := expires.In(loc)
	var out []Warning
	for _, days := range expiryWarningDays {
		at := time.Date(e.Year(), e.Month(), e.Day()-days, 10, 0, 0, 0, loc)
		if at.Before(expires) && at.After(after) && !at.After(upTo) {
			out = append(out, Warning{
				At:       at,
				DaysLeft: days,
				Key:      fmt.Sprintf("expiry/%s/%s/%d", accountID, e.Format("20060102"), days),
			})
		}
	}
	return out
}

// sameDay reports whether a and b fall on the same calendar day in KST.
func sameDay(a, b time.Time) bool {
	ya, ma, da := a.In(ledger.KST()).Date()
	yb, mb, db := b.In(ledger.KST()).Date()
	return ya == yb && ma == mb && da == db
}
