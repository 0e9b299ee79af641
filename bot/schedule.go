package bot

import (
	"time"

	"github.com/moimbot/moimbot/ledger"
)

// This file decides when moimbot polls a linked account's transaction list.
// Every poll is one KFTC Open Banking call (about 30원 in production), so the
// schedule spends its calls where deposits are likely: in the days around the
// due date, in the evening, and right after a reminder is posted.

// InMaintenance reports whether t (any zone) falls in the bank's nightly
// maintenance window, 23:50:00–00:09:59 KST, when balance and
// transaction-list calls fail (A0002 / bank_rsp_code 551).
func InMaintenance(t time.Time) bool {
	t = t.In(ledger.KST())
	h, m, _ := t.Clock()
	return (h == 23 && m >= 50) || (h == 0 && m < 10)
}

// MaintenanceEnd returns the first instant after the window that holds t
// (00:10:00 KST of the right day); t itself when t is outside the window.
func MaintenanceEnd(t time.Time) time.Time {
	if !InMaintenance(t) {
		return t
	}
	k := t.In(ledger.KST())
	day := k.Day()
	if k.Hour() == 23 {
		day++
	}
	return time.Date(k.Year(), k.Month(), day, 0, 10, 0, 0, ledger.KST())
}

// Stale reports whether a sync done at last is too old to answer a member's
// status request at now (older than one minute), so the engine syncs right
// away first. A zero last (never synced) is stale.
func Stale(last, now time.Time) bool {
	return last.IsZero() || now.Sub(last) > time.Minute
}

// pollDueDay returns the due day d stands for: 0 (or less) is 25, and a
// day past 31 is 31 (Period.DueDate then clamps it to the month's end).
func pollDueDay(d int) int {
	switch {
	case d < 1:
		return 25
	case d > 31:
		return 31
	}
	return d
}

// DueWindow reports whether t lies in the due window of dueDay: from 00:00
// of 3 days before the due date to 23:59:59 of 3 days after, in KST. The due
// date is computed with Period.DueDate for t's month and for the
// neighbouring months, so windows crossing month ends work (dues on the 1st
// put the last three days of the month before in the window; dues on the
// 31st put the 1st–3rd of the next month in it). dueDay is read as
// PollSchedule.DueDay is: 0 means 25.
func DueWindow(dueDay int, t time.Time) bool {
	_, ok := pollDueOffset(pollDueDay(dueDay), t)
	return ok
}

// pollDueOffset returns t's date (in KST) minus the due date of dueDay
// whose window holds it, in days (−3..3), and whether there is one. Windows
// never overlap: due dates are at least 28 days apart.
func pollDueOffset(dueDay int, t time.Time) (int, bool) {
	t = t.In(ledger.KST())
	today := pollDayNumber(t)
	m := ledger.MonthOf(t)
	for p := m - 1; p <= m+1; p++ {
		off := today - pollDayNumber(p.DueDate(dueDay, ledger.KST()))
		if off >= -3 && off <= 3 {
			return off, true
		}
	}
	return 0, false
}

// pollDayNumber counts the calendar days of t's date (as written in t's
// location) since 1970-01-01, so that date differences never depend on the
// zone's offsets.
func pollDayNumber(t time.Time) int {
	y, m, d := t.Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// pollDay is a kind of day of the polling table.
type pollDay int

const (
	pollQuiet    pollDay = iota // outside the due window
	pollTail                    // due+2: a few late payers
	pollReminder                // due−3 and due+3: the before and overdue reminders go out at 10:00
	pollNear                    // due−2 and due+1
	pollEve                     // due−1, the second busiest day
	pollDue                     // the due day, the busiest (its reminder goes out at 10:00)
)

// pollDayByOffset maps a day's offset from the due date (−3..3) to its kind.
var pollDayByOffset = [7]pollDay{
	pollReminder, pollNear, pollEve, pollDue, pollNear, pollTail, pollReminder,
}

// pollBand is a part of the day, as offsets from 00:00 KST, polled at one
// interval: at its start and every interval after it while before its end.
type pollBand struct{ start, end time.Duration }

// pollBands cover the day except the maintenance window 23:50–00:10.
var pollBands = [...]pollBand{
	{10 * time.Minute, 7 * time.Hour},               // night: 00:10 picks up the late evening
	{7 * time.Hour, 10 * time.Hour},                 // morning
	{10 * time.Hour, 11 * time.Hour},                // after the 10:00 reminder
	{11 * time.Hour, 18 * time.Hour},                // daytime
	{18 * time.Hour, 20 * time.Hour},                // early evening
	{20 * time.Hour, 22 * time.Hour},                // the evening peak of transfers
	{22 * time.Hour, 23*time.Hour + 50*time.Minute}, // late evening, up to maintenance
}

const (
	pollNone = 0       // no poll in the band
	pollOnce = 24 * 60 // one poll, at the band's start
)

// pollMinutes is the polling table: the interval in minutes of each kind of
// day (rows) in each band (columns, as in pollBands). The doc comment of
// PollSchedule shows the same table; keep them in step. Every row polls in
// the night band, so every day has its 00:10 poll.
var pollMinutes = [...][len(pollBands)]int{
	//             night     morning   10–11     11–18  18–20     20–22  22–23:50
	pollQuiet:    {pollOnce, pollOnce, pollNone, 300, pollNone, 60, pollOnce},
	pollTail:     {pollOnce, pollOnce, pollNone, 120, 30, 20, 30},
	pollReminder: {pollOnce, 60, 3, 60, 20, 15, 20},
	pollNear:     {120, 30, 30, 20, 10, 8, 12},
	pollEve:      {60, 15, 15, 8, 4, 3, 4},
	pollDue:      {60, 15, 3, 8, 4, 3, 4},
}

// PollSchedule is the default polling schedule of one linked account. It
// implements cron.Schedule (github.com/robfig/cron/v3).
//
// Polls fall on whole minutes in KST, at the start of each band of the day
// and every interval after it within the band, by the kind of day relative
// to the group's due date D:
//
//	day                  00:10–07  07–10  10–11  11–18  18–20  20–22  22–23:50  polls/day
//	D (due day)              60     15      3      8      4      3       4        190
//	D−1                      60     15     15      8      4      3       4        174
//	D−2, D+1                120     30     30     20     10      8      12         70
//	D−3, D+3 (reminders)   once     60      3     60     20     15      20         51
//	D+2                    once   once      –    120     30     20      30         20
//	outside the window     once   once      –    300      –     60    once          7
//
// Intervals are in minutes; "once" is one poll at the band's start and "–"
// none. The due window is D−3..D+3 (see DueWindow). The reminder days D−3,
// D and D+3 poll often from 10:00, when the default reminders are posted and
// members pay right after reading them. Nothing is polled during the bank's
// maintenance, 23:50–00:10; the 00:10 poll picks up the late evening.
//
// A calendar month costs about 790 polls (transaction-list calls) and at
// most 914 in 2026–2027: the worst month is a 31-day month after a short
// one, which holds the last days of one due window and all of the next, as
// March does for dues on the 26th–30th (10 window days for the 28th). In
// the month simulation (schedule_sim_test.go) half of the deposits inside
// the due window are seen within about 3½ minutes, against 5 minutes for
// polling every 10 minutes at about 4,400 calls a month.
type PollSchedule struct {
	// DueDay is the group's due day of month, 1–31 (past the month end
	// means the last day); 0 means 25.
	DueDay int
}

// Next returns the first poll strictly after t, in KST. It is never inside
// the maintenance window, falls on a whole minute and depends only on t and
// s.
func (s PollSchedule) Next(t time.Time) time.Time {
	t = t.In(ledger.KST())
	y, m, d := t.Date()
	// Every day polls at 00:10, so the next poll is today or tomorrow.
	for i := 0; ; i++ {
		day := time.Date(y, m, d+i, 0, 0, 0, 0, ledger.KST())
		if p, ok := s.nextOn(day, t); ok {
			return p
		}
	}
}

// nextOn returns the first poll of day (00:00 KST) strictly after t.
func (s PollSchedule) nextOn(day, t time.Time) (time.Time, bool) {
	kind := pollQuiet
	if off, ok := pollDueOffset(pollDueDay(s.DueDay), day); ok {
		kind = pollDayByOffset[off+3]
	}
	for i, b := range pollBands {
		every := time.Duration(pollMinutes[kind][i]) * time.Minute
		if every == 0 {
			continue
		}
		start, end := day.Add(b.start), day.Add(b.end)
		if !t.Before(end) {
			continue
		}
		p := start
		if !t.Before(start) {
			p = start.Add((t.Sub(start)/every + 1) * every)
		}
		if p.Before(end) {
			return p, true
		}
	}
	return time.Time{}, false
}

// FixedSchedule polls every Every, skipping the maintenance window (for
// comparison and for users who want it). It implements cron.Schedule.
type FixedSchedule struct {
	// Every is the interval, rounded down to whole minutes; less than a
	// minute means a minute. Polls fall at 00:00 KST and every Every after
	// it within the day; a poll that would fall in 23:50–00:10 happens at
	// 00:10 instead.
	Every time.Duration
}

// Next returns the first poll strictly after t, in KST.
func (s FixedSchedule) Next(t time.Time) time.Time {
	every := s.Every.Truncate(time.Minute)
	if every < time.Minute {
		every = time.Minute
	}
	t = t.In(ledger.KST())
	y, m, d := t.Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, ledger.KST())
	p := day.Add((t.Sub(day)/every + 1) * every)
	if tomorrow := time.Date(y, m, d+1, 0, 0, 0, 0, ledger.KST()); p.After(tomorrow) {
		p = tomorrow
	}
	return MaintenanceEnd(p)
}
