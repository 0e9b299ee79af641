package bot_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
)

// remOcc builds an expected occurrence at 10:00 KST.
func remOcc(y int, mo time.Month, d int, month string, offset int) bot.Occurrence {
	p, err := ledger.ParsePeriod(month)
	if err != nil {
		panic(err)
	}
	kind := bot.ReminderOverdue
	switch {
	case offset < 0:
		kind = bot.ReminderBefore
	case offset == 0:
		kind = bot.ReminderDueDay
	}
	return bot.Occurrence{At: schedAt(y, mo, d, 10, 0, 0), Month: p, Offset: offset, Kind: kind}
}

// remString renders occurrences for comparison and failure messages.
func remString(occs []bot.Occurrence) string {
	var b strings.Builder
	for i, o := range occs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s %+d %v", schedFormat(o.At), o.Month, o.Offset, o.Kind)
	}
	return "[" + b.String() + "]"
}

func TestDefaultReminderPlan(t *testing.T) {
	p := bot.DefaultReminderPlan()
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	if got, want := fmt.Sprint(p), "{true [-3 0 3] 10 0}"; got != want {
		t.Errorf("DefaultReminderPlan() = %s, want %s", got, want)
	}
	// Each call returns its own slice.
	p.Days[0] = 7
	if got, want := bot.DefaultReminderPlan().Days[0], -3; got != want {
		t.Errorf("Days[0] after changing a copy = %d, want %d", got, want)
	}
}

func TestReminderPlanValidate(t *testing.T) {
	tests := []struct {
		name string
		plan bot.ReminderPlan
		want string // a part of the error; "" for none
	}{
		{"Default", bot.DefaultReminderPlan(), ""},
		{"Limits", bot.ReminderPlan{Enabled: true, Days: []int{-15, 15}, Hour: 23, Minute: 59}, ""},
		{"Midnight", bot.ReminderPlan{Days: []int{0}}, ""},
		{"NoDays", bot.ReminderPlan{Enabled: true, Hour: 9}, ""},
		{"DayTooEarly", bot.ReminderPlan{Days: []int{-16}, Hour: 10}, "days: -16 is outside -15..15"},
		{"DayTooLate", bot.ReminderPlan{Days: []int{0, 16}, Hour: 10}, "days: 16 is outside"},
		{"DuplicateDay", bot.ReminderPlan{Days: []int{-3, 0, -3}, Hour: 10}, "days: -3 appears twice"},
		{"HourNegative", bot.ReminderPlan{Days: []int{0}, Hour: -1}, "hour: -1"},
		{"Hour24", bot.ReminderPlan{Days: []int{0}, Hour: 24}, "hour: 24 is outside 0..23"},
		{"Minute60", bot.ReminderPlan{Days: []int{0}, Hour: 10, Minute: 60}, "minute: 60 is outside 0..59"},
		{"MinuteNegative", bot.ReminderPlan{Days: []int{0}, Hour: 10, Minute: -5}, "minute: -5"},
		{"DisabledChecked", bot.ReminderPlan{Enabled: false, Days: []int{20}}, "days: 20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.plan.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestReminderKindString(t *testing.T) {
	tests := []struct {
		kind bot.ReminderKind
		want string
	}{
		{bot.ReminderBefore, "before"},
		{bot.ReminderDueDay, "due_day"},
		{bot.ReminderOverdue, "overdue"},
		{0, "ReminderKind(0)"},
	}
	for _, tt := range tests {
		if got := tt.kind.String(); got != tt.want {
			t.Errorf("ReminderKind(%d).String() = %q, want %q", int(tt.kind), got, tt.want)
		}
	}
}

func TestOccurrenceKey(t *testing.T) {
	tests := []struct {
		occ  bot.Occurrence
		want string
	}{
		{remOcc(2026, 11, 22, "2026-11", -3), "reminder/g1/2026-11/-3"},
		{remOcc(2026, 11, 25, "2026-11", 0), "reminder/g1/2026-11/0"},
		{remOcc(2026, 12, 3, "2026-11", 3), "reminder/g1/2026-11/3"},
	}
	for _, tt := range tests {
		if got := tt.occ.Key("g1"); got != tt.want {
			t.Errorf("Key(g1) = %q, want %q", got, tt.want)
		}
	}
}

func TestReminderPlanBetween(t *testing.T) {
	def := bot.DefaultReminderPlan()
	tests := []struct {
		name        string
		plan        bot.ReminderPlan
		dueDay      int
		after, upTo time.Time
		want        []bot.Occurrence
	}{
		{
			"Month", def, 25, schedAt(2026, 11, 1, 0, 0, 0), schedAt(2026, 12, 1, 0, 0, 0),
			[]bot.Occurrence{
				remOcc(2026, 11, 22, "2026-11", -3),
				remOcc(2026, 11, 25, "2026-11", 0),
				remOcc(2026, 11, 28, "2026-11", 3),
			},
		},
		{
			"ZeroIs25", def, 0, schedAt(2026, 11, 24, 0, 0, 0), schedAt(2026, 11, 26, 0, 0, 0),
			[]bot.Occurrence{remOcc(2026, 11, 25, "2026-11", 0)},
		},
		{
			"ExcludesAfterIncludesUpTo", def, 25, schedAt(2026, 11, 22, 10, 0, 0), schedAt(2026, 11, 25, 10, 0, 0),
			[]bot.Occurrence{remOcc(2026, 11, 25, "2026-11", 0)},
		},
		{
			"Day1CrossesMonthEnds", def, 1, schedAt(2026, 11, 1, 0, 0, 0), schedAt(2026, 12, 1, 0, 0, 0),
			[]bot.Occurrence{
				remOcc(2026, 11, 1, "2026-11", 0),
				remOcc(2026, 11, 4, "2026-11", 3),
				remOcc(2026, 11, 28, "2026-12", -3),
			},
		},
		{
			"Day1IntoNewYear", def, 1, schedAt(2026, 12, 20, 0, 0, 0), schedAt(2027, 1, 10, 0, 0, 0),
			[]bot.Occurrence{
				remOcc(2026, 12, 29, "2027-01", -3),
				remOcc(2027, 1, 1, "2027-01", 0),
				remOcc(2027, 1, 4, "2027-01", 3),
			},
		},
		{
			"Day31ShortMonths", def, 31, schedAt(2026, 2, 1, 0, 0, 0), schedAt(2026, 3, 31, 0, 0, 0),
			[]bot.Occurrence{
				remOcc(2026, 2, 3, "2026-01", 3),
				remOcc(2026, 2, 25, "2026-02", -3),
				remOcc(2026, 2, 28, "2026-02", 0),
				remOcc(2026, 3, 3, "2026-02", 3),
				remOcc(2026, 3, 28, "2026-03", -3),
			},
		},
		{
			"Day31April", def, 31, schedAt(2026, 4, 4, 0, 0, 0), schedAt(2026, 5, 4, 0, 0, 0),
			[]bot.Occurrence{
				remOcc(2026, 4, 27, "2026-04", -3),
				remOcc(2026, 4, 30, "2026-04", 0),
				remOcc(2026, 5, 3, "2026-04", 3),
			},
		},
		{
			"FarOffsets", bot.ReminderPlan{Enabled: true, Days: []int{15, -15}, Hour: 10}, 1,
			schedAt(2026, 1, 1, 0, 0, 0), schedAt(2026, 2, 1, 0, 0, 0),
			[]bot.Occurrence{
				remOcc(2026, 1, 16, "2026-01", 15),
				remOcc(2026, 1, 17, "2026-02", -15),
			},
		},
		{
			"OtherTime", bot.ReminderPlan{Enabled: true, Days: []int{-1}, Hour: 21, Minute: 30}, 25,
			schedAt(2026, 11, 1, 0, 0, 0), schedAt(2026, 12, 1, 0, 0, 0),
			[]bot.Occurrence{{At: schedAt(2026, 11, 24, 21, 30, 0), Month: ledger.NewPeriod(2026, 11), Offset: -1, Kind: bot.ReminderBefore}},
		},
		{
			"FromUTC", def, 25, time.Date(2026, 11, 25, 0, 59, 0, 0, time.UTC), time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC),
			[]bot.Occurrence{remOcc(2026, 11, 25, "2026-11", 0)},
		},
		{"Disabled", bot.ReminderPlan{Days: []int{-3, 0, 3}, Hour: 10}, 25, schedAt(2026, 11, 1, 0, 0, 0), schedAt(2026, 12, 1, 0, 0, 0), nil},
		{"EmptyRange", def, 25, schedAt(2026, 11, 25, 10, 0, 0), schedAt(2026, 11, 25, 10, 0, 0), nil},
		{"ReversedRange", def, 25, schedAt(2026, 12, 1, 0, 0, 0), schedAt(2026, 11, 1, 0, 0, 0), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.plan.Between(tt.dueDay, tt.after, tt.upTo)
			if remString(got) != remString(tt.want) {
				t.Errorf("Between(%d, %s, %s) =\n%s, want\n%s", tt.dueDay, schedFormat(tt.after), schedFormat(tt.upTo), remString(got), remString(tt.want))
			}
		})
	}
}

func TestReminderPlanCatchUp(t *testing.T) {
	def := bot.DefaultReminderPlan()
	grace := bot.DefaultReminderGrace
	tests := []struct {
		name      string
		plan      bot.ReminderPlan
		dueDay    int
		last, now time.Time
		grace     time.Duration
		want      []bot.Occurrence
	}{
		{
			"OnTime", def, 25, schedAt(2026, 11, 25, 9, 59, 0), schedAt(2026, 11, 25, 10, 0, 0), grace,
			[]bot.Occurrence{remOcc(2026, 11, 25, "2026-11", 0)},
		},
		{"NothingDue", def, 25, schedAt(2026, 11, 25, 10, 0, 0), schedAt(2026, 11, 25, 10, 1, 0), grace, nil},
		{
			"DownOverReminderWithinGrace", def, 25, schedAt(2026, 11, 25, 9, 0, 0), schedAt(2026, 11, 25, 14, 0, 0), grace,
			[]bot.Occurrence{remOcc(2026, 11, 25, "2026-11", 0)},
		},
		{
			"JustWithinGrace", def, 25, schedAt(2026, 11, 25, 9, 0, 0), schedAt(2026, 11, 25, 15, 59, 59), grace,
			[]bot.Occurrence{remOcc(2026, 11, 25, "2026-11", 0)},
		},
		{"ExactlyGraceLate", def, 25, schedAt(2026, 11, 25, 9, 0, 0), schedAt(2026, 11, 25, 16, 0, 0), grace, nil},
		{"TooLate", def, 25, schedAt(2026, 11, 25, 9, 0, 0), schedAt(2026, 11, 26, 9, 0, 0), grace, nil},
		{
			"DownAcrossTwoOnlyNewest", def, 25, schedAt(2026, 11, 21, 12, 0, 0), schedAt(2026, 11, 25, 11, 0, 0), grace,
			[]bot.Occurrence{remOcc(2026, 11, 25, "2026-11", 0)},
		},
		{
			// The newest is stale; the older one does not take its place.
			"DownAcrossTwoNewestStale", def, 25, schedAt(2026, 11, 21, 12, 0, 0), schedAt(2026, 11, 25, 17, 0, 0), grace, nil,
		},
		{
			"DownAcrossAllThree", def, 25, schedAt(2026, 11, 1, 0, 0, 0), schedAt(2026, 11, 28, 10, 30, 0), grace,
			[]bot.Occurrence{remOcc(2026, 11, 28, "2026-11", 3)},
		},
		{
			// Dues on the 1st: the overdue reminder of November and the
			// before reminder of December are of different months.
			// November's +3 (the 4th) replaces its due-day reminder (the
			// 1st) but is not today's; December's −3 (the 28th) is.
			"NewestPerMonthOnlyToday", def, 1, schedAt(2026, 11, 1, 0, 0, 0), schedAt(2026, 11, 28, 12, 0, 0), 30 * 24 * time.Hour,
			[]bot.Occurrence{remOcc(2026, 11, 28, "2026-12", -3)},
		},
		{
			// A reminder at 22:00 caught up after midnight would call the
			// past day "today".
			"NotAfterMidnight", bot.ReminderPlan{Enabled: true, Days: []int{0}, Hour: 22}, 25,
			schedAt(2026, 11, 25, 21, 0, 0), schedAt(2026, 11, 26, 1, 0, 0), grace, nil,
		},
		{
			"NeverRanWithinGrace", def, 25, time.Time{}, schedAt(2026, 11, 25, 12, 0, 0), grace,
			[]bot.Occurrence{remOcc(2026, 11, 25, "2026-11", 0)},
		},
		{"NeverRanTooLate", def, 25, time.Time{}, schedAt(2026, 11, 25, 16, 0, 0), grace, nil},
		{"NeverRanLongAfter", def, 25, time.Time{}, schedAt(2026, 11, 27, 12, 0, 0), grace, nil},
		{"Disabled", bot.ReminderPlan{Days: []int{0}, Hour: 10}, 25, schedAt(2026, 11, 25, 9, 0, 0), schedAt(2026, 11, 25, 11, 0, 0), grace, nil},
		{"ZeroGrace", def, 25, schedAt(2026, 11, 25, 9, 0, 0), schedAt(2026, 11, 25, 10, 0, 0), 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.plan.CatchUp(tt.dueDay, tt.last, tt.now, tt.grace)
			if remString(got) != remString(tt.want) {
				t.Errorf("CatchUp(%d, %s, %s, %v) =\n%s, want\n%s", tt.dueDay, schedFormat(tt.last), schedFormat(tt.now), tt.grace, remString(got), remString(tt.want))
			}
		})
	}
}

// TestReminderPlanCatchUpRepeated runs the engine's reminder check from
// Oct 2026 to Feb 2027 with last = the previous now, at several tick
// intervals, some with outages: no occurrence is ever posted twice, and
// while the engine checks more often than the grace, none is missed.
func TestReminderPlanCatchUpRepeated(t *testing.T) {
	plan := bot.DefaultReminderPlan()
	from, to := schedAt(2026, 10, 1, 0, 0, 0), schedAt(2027, 2, 1, 0, 0, 0)
	tests := []struct {
		name    string
		dueDay  int
		tick    time.Duration
		outages bool // skip 3 of every 29 ticks
		missing bool // some occurrences may never be posted
	}{
		{"Minute", 25, time.Minute, false, false},
		{"SevenMinutes", 1, 7 * time.Minute, false, false},
		{"FiveHours", 31, 5 * time.Hour, false, false},
		{"SevenHours", 25, 7 * time.Hour, false, true},
		{"HourWithOutages", 1, time.Hour, true, false},
		{"ThreeHoursWithOutages", 31, 3 * time.Hour, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			posted := map[string]int{}
			var last time.Time
			for i, now := 0, from; now.Before(to); i, now = i+1, now.Add(tt.tick) {
				if tt.outages && i%29 >= 26 {
					continue
				}
				for _, o := range plan.CatchUp(tt.dueDay, last, now, bot.DefaultReminderGrace) {
					posted[o.Key("g")]++
					if late := now.Sub(o.At); late < 0 || late >= bot.DefaultReminderGrace {
						t.Errorf("%s posted at %s, %v late", o.Key("g"), schedFormat(now), late)
					}
				}
				last = now
			}
			for key, n := range posted {
				if n != 1 {
					t.Errorf("%s posted %d times, want once", key, n)
				}
			}
			all := plan.Between(tt.dueDay, from.Add(bot.DefaultReminderGrace), to.Add(-bot.DefaultReminderGrace))
			for _, o := range all {
				if posted[o.Key("g")] == 0 && !tt.missing {
					t.Errorf("%s never posted", o.Key("g"))
				}
			}
			if len(posted) == 0 {
				t.Errorf("nothing posted")
			}
		})
	}
}

func TestExpiryWarnings(t *testing.T) {
	expires := schedAt(2026, 12, 20, 15, 30, 0)
	w14 := bot.Warning{At: schedAt(2026, 12, 6, 10, 0, 0), DaysLeft: 14, Key: "expiry/acc1/20261220/14"}
	w3 := bot.Warning{At: schedAt(2026, 12, 17, 10, 0, 0), DaysLeft: 3, Key: "expiry/acc1/20261220/3"}
	tests := []struct {
		name        string
		expires     time.Time
		after, upTo time.Time
		want        []bot.Warning
	}{
		{"Both", expires, schedAt(2026, 11, 1, 0, 0, 0), schedAt(2027, 1, 1, 0, 0, 0), []bot.Warning{w14, w3}},
		{"ExcludesAfter", expires, w14.At, w3.At, []bot.Warning{w3}},
		{"IncludesUpTo", expires, w14.At.Add(-time.Second), w14.At, []bot.Warning{w14}},
		{"Between", expires, w14.At, w3.At.Add(-time.Second), nil},
		{"AfterExpiry", expires, expires, expires.AddDate(0, 1, 0), nil},
		{
			"EarlyMorningExpiry", schedAt(2026, 12, 20, 0, 30, 0), schedAt(2026, 12, 1, 0, 0, 0), schedAt(2027, 1, 1, 0, 0, 0),
			[]bot.Warning{w14, w3},
		},
		{
			// 2026-12-19 16:00 UTC is 2026-12-20 01:00 KST.
			"UTCExpiry", time.Date(2026, 12, 19, 16, 0, 0, 0, time.UTC), schedAt(2026, 12, 1, 0, 0, 0), schedAt(2027, 1, 1, 0, 0, 0),
			[]bot.Warning{w14, w3},
		},
		{
			"AcrossMonths", schedAt(2027, 1, 2, 9, 0, 0), schedAt(2026, 12, 1, 0, 0, 0), schedAt(2027, 1, 31, 0, 0, 0),
			[]bot.Warning{
				{At: schedAt(2026, 12, 19, 10, 0, 0), DaysLeft: 14, Key: "expiry/acc1/20270102/14"},
				{At: schedAt(2026, 12, 30, 10, 0, 0), DaysLeft: 3, Key: "expiry/acc1/20270102/3"},
			},
		},
		{"Zero", time.Time{}, schedAt(2026, 12, 1, 0, 0, 0), schedAt(2027, 1, 1, 0, 0, 0), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := bot.ExpiryWarnings("acc1", tt.expires, tt.after, tt.upTo)
			if g, w := expString(got), expString(tt.want); g != w {
				t.Errorf("ExpiryWarnings(acc1, %s, %s, %s) =\n%s, want\n%s", schedFormat(tt.expires), schedFormat(tt.after), schedFormat(tt.upTo), g, w)
			}
		})
	}
}

// expString renders warnings for comparison and failure messages.
func expString(ws []bot.Warning) string {
	var b strings.Builder
	for _, w := range ws {
		fmt.Fprintf(&b, "[%s %d %s]", schedFormat(w.At), w.DaysLeft, w.Key)
	}
	return b.String()
}
