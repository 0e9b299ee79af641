package bot_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
)

// The month simulation compares PollSchedule with polling every ten minutes:
// what a linked account costs in transaction-list calls per calendar month,
// and how long a member's deposit waits before a poll sees it (and the bot
// can post its notice).
//
// Deposit model (seeded, so every run sees the same deposits). A group has
// 8–40 members and dues on day D; each member pays each month's dues once:
//
//   - the day: 75% pay on time, clustered around the due date: D−3 10%,
//     D−2 14%, D−1 30%, D 36%, D+1 10% (of the on-time payers); 15% pay
//     early, uniformly 4–14 days before D (payday, or whenever they think
//     of it); 10% pay late, uniformly 1–10 days after D;
//   - about 5% pay in two parts: part first, the rest 1–5 days later;
//   - the time of day follows Korean transfer habits: 55% between 18:00 and
//     24:00 (18–20 27%, 20–22 50%, 22–24 23% of these), 25% between 12:00
//     and 18:00, 12% between 07:00 and 12:00, 8% between 00:00 and 07:00
//     (60% of these before 02:00). On the reminder days (D−3, D and D+3,
//     reminders at 10:00) half of the morning payers react to the reminder:
//     10:00 plus an exponential delay with a mean of 15 minutes. Within its
//     range the time is uniform to the second.
//
// A poll at p sees the deposits with At ≤ p: a deposit's delay is the time
// to the first poll at or after it. A poll is one transaction-list call of
// one page (25 rows); a poll that sees more new rows needs a call per page.
const (
	simPageSize   = 25
	simGroupsEach = 4 // groups (accounts) simulated per due day
	simMonths     = 12
)

var simDueDays = []int{1, 10, 25, 31}

// simDepositTimes returns the deposits of one group with dues on dueDay for
// the dues months first..last, in time order.
func simDepositTimes(r *rand.Rand, dueDay int, first, last ledger.Period) []time.Time {
	members := 8 + r.IntN(33)
	var out []time.Time
	for p := first; p <= last; p++ {
		due := p.DueDate(dueDay, ledger.KST())
		for range members {
			off := simPayDay(r)
			out = append(out, simTimeOn(r, due, off))
			if r.Float64() < 0.05 {
				out = append(out, simTimeOn(r, due, off+1+r.IntN(5)))
			}
		}
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// simPayDay returns the day a member pays, as an offset from the due date.
func simPayDay(r *rand.Rand) int {
	u := r.Float64()
	switch {
	case u < 0.15:
		return -4 - r.IntN(11)
	case u < 0.25:
		return 1 + r.IntN(10)
	}
	onTime := [...]struct{ off, weight int }{{-3, 10}, {-2, 14}, {-1, 30}, {0, 36}, {1, 10}}
	w := r.IntN(100)
	for _, o := range onTime {
		if w < o.weight {
			return o.off
		}
		w -= o.weight
	}
	return 0
}

// simTimeOn returns a time of day on the day off days from due, by the
// model above.
func simTimeOn(r *rand.Rand, due time.Time, off int) time.Time {
	day := due.AddDate(0, 0, off)
	between := func(fromHour, toHour int) time.Time {
		secs := fromHour*3600 + r.IntN((toHour-fromHour)*3600)
		return day.Add(time.Duration(secs) * time.Second)
	}
	u := r.Float64()
	switch {
	case u < 0.55:
		v := r.Float64()
		switch {
		case v < 0.27:
			return between(18, 20)
		case v < 0.77:
			return between(20, 22)
		}
		return between(22, 24)
	case u < 0.80:
		return between(12, 18)
	case u < 0.92:
		reminderDay := off == -3 || off == 0 || off == 3
		if reminderDay && r.Float64() < 0.5 {
			d := time.Duration(r.ExpFloat64() * float64(15*time.Minute)).Truncate(time.Second)
			if d < 2*time.Hour {
				return day.Add(10*time.Hour + d)
			}
		}
		return between(7, 12)
	}
	if r.Float64() < 0.6 {
		return between(0, 2)
	}
	return between(2, 7)
}

// simStats gathers one schedule's figures.
type simStats struct {
	calls         []int // per account and calendar month
	extra         int   // calls for second and later pages
	inWindow, all []time.Duration
}

// simPolls returns the polls of s from the start of month first until two
// days after the last of the simulated months (so that the last deposits
// are seen too).
func simPolls(s interface{ Next(time.Time) time.Time }, first ledger.Period) []time.Time {
	loc := ledger.KST()
	start, end := first.Start(loc), (first+simMonths).Start(loc).AddDate(0, 0, 2)
	var polls []time.Time
	for p := s.Next(start.Add(-time.Nanosecond)); p.Before(end); p = s.Next(p) {
		polls = append(polls, p)
	}
	return polls
}

// simRun lets polls see deposits (both in time order) over the calendar
// months [first, first+simMonths) and adds the figures to st.
func simRun(st *simStats, polls []time.Time, dueDay int, first ledger.Period, deposits []time.Time) {
	loc := ledger.KST()
	start, end := first.Start(loc), (first + simMonths).Start(loc)
	lo, _ := slices.BinarySearchFunc(deposits, start, time.Time.Compare)
	hi, _ := slices.BinarySearchFunc(deposits, end, time.Time.Compare)
	deposits = deposits[lo:hi]
	calls := make([]int, simMonths)
	j := 0 // the first deposit the polls have not seen
	for _, p := range polls {
		seen := 0
		for ; j < len(deposits) && !deposits[j].After(p); j++ {
			seen++
			d := p.Sub(deposits[j])
			st.all = append(st.all, d)
			if bot.DueWindow(dueDay, deposits[j]) {
				st.inWindow = append(st.inWindow, d)
			}
		}
		if p.Before(end) {
			pages := max(1, (seen+simPageSize-1)/simPageSize)
			calls[ledger.MonthOf(p)-first] += pages
			st.extra += pages - 1
		}
	}
	st.calls = append(st.calls, calls...)
}

// add appends o's figures to st.
func (st *simStats) add(o *simStats) {
	st.calls = append(st.calls, o.calls...)
	st.extra += o.extra
	st.inWindow = append(st.inWindow, o.inWindow...)
	st.all = append(st.all, o.all...)
}

// simQuantile returns the q-quantile of ds (nearest rank), sorting ds.
func simQuantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(math.Ceil(q*float64(len(ds)))) - 1
	return ds[max(i, 0)]
}

// simSummary is one line of the simulation's table.
type simSummary struct {
	maxCalls  int
	meanCalls float64
	winMedian time.Duration
	winP95    time.Duration
	allMedian time.Duration
	allP95    time.Duration
	deposits  int
	inWindow  int
	extra     int
}

func (st *simStats) summary() simSummary {
	sum := 0
	for _, c := range st.calls {
		sum += c
	}
	return simSummary{
		maxCalls:  slices.Max(st.calls),
		meanCalls: float64(sum) / float64(len(st.calls)),
		winMedian: simQuantile(st.inWindow, 0.5),
		winP95:    simQuantile(st.inWindow, 0.95),
		allMedian: simQuantile(st.all, 0.5),
		allP95:    simQuantile(st.all, 0.95),
		deposits:  len(st.all),
		inWindow:  len(st.inWindow),
		extra:     st.extra,
	}
}

func TestMonthSimulation(t *testing.T) {
	first := ledger.NewPeriod(2026, time.January)
	schedules := []struct {
		name string
		make func(dueDay int) interface{ Next(time.Time) time.Time }
	}{
		{"PollSchedule", func(d int) interface{ Next(time.Time) time.Time } { return bot.PollSchedule{DueDay: d} }},
		{"Fixed 10m", func(int) interface{ Next(time.Time) time.Time } { return bot.FixedSchedule{Every: 10 * time.Minute} }},
	}

	totals := make([]simStats, len(schedules))
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "schedule\tdue day\tdeposits\tin window\tcalls/month max\tmean\textra calls\twindow median\tp95\tall median\tp95\t\n")
	for _, d := range simDueDays {
		per := make([]simStats, len(schedules))
		polls := make([][]time.Time, len(schedules))
		for i, s := range schedules {
			polls[i] = simPolls(s.make(d), first)
		}
		for g := range simGroupsEach {
			r := rand.New(rand.NewPCG(2026, uint64(d*100+g)))
			deposits := simDepositTimes(r, d, first-1, first+simMonths)
			for i := range schedules {
				simRun(&per[i], polls[i], d, first, deposits)
			}
		}
		for i, s := range schedules {
			simLine(w, s.name, fmt.Sprint(d), per[i].summary())
			totals[i].add(&per[i])
		}
	}
	sums := make([]simSummary, len(schedules))
	for i, s := range schedules {
		sums[i] = totals[i].summary()
		simLine(w, s.name, "all", sums[i])
	}
	w.Flush()
	t.Logf("calls per account per month (%d months from %s, %d accounts per due day) and deposit-to-poll delays:\n%s",
		simMonths, first, simGroupsEach, b.String())

	poll := sums[0]
	if got, want := poll.maxCalls, 1000; got > want {
		t.Errorf("PollSchedule: max calls per month = %d, want ≤ %d", got, want)
	}
	if got, want := poll.winMedian, 5*time.Minute; got > want {
		t.Errorf("PollSchedule: median delay in the due window = %v, want ≤ %v", got, want)
	}
}

// simLine writes one row of the table.
func simLine(w *tabwriter.Writer, name, due string, s simSummary) {
	fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%.0f\t%d\t%v\t%v\t%v\t%v\t\n", name, due, s.deposits, s.inWindow,
		s.maxCalls, s.meanCalls, s.extra, s.winMedian, s.winP95, s.allMedian, s.allP95)
}
