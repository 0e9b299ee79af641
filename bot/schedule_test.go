package bot_test

import (
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
)

// The schedules are what cron runs.
var (
	_ cron.Schedule = bot.PollSchedule{}
	_ cron.Schedule = bot.FixedSchedule{}
)

// schedAt returns the KST instant of the given date and time.
func schedAt(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, ledger.KST())
}

// schedFormat formats t in its own zone, so that a result outside KST shows.
func schedFormat(t time.Time) string { return t.Format("2006-01-02 15:04:05 MST") }

func TestInMaintenance(t *testing.T) {
	tests := []struct {
		name string
		t    time.Time
		want bool
	}{
		{"BeforeWindow", schedAt(2026, 3, 10, 23, 49, 59), false},
		{"Start", schedAt(2026, 3, 10, 23, 50, 0), true},
		{"LateEvening", schedAt(2026, 3, 10, 23, 59, 59), true},
		{"Midnight", schedAt(2026, 3, 11, 0, 0, 0), true},
		{"LastSecond", schedAt(2026, 3, 11, 0, 9, 59), true},
		{"End", schedAt(2026, 3, 11, 0, 10, 0), false},
		{"Noon", schedAt(2026, 3, 11, 12, 0, 0), false},
		{"UTCInWindow", time.Date(2026, 3, 10, 14, 55, 0, 0, time.UTC), true},
		{"UTCMidnightOutside", time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC), false},
		{"UTCAfterWindow", time.Date(2026, 3, 10, 15, 10, 0, 0, time.UTC), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bot.InMaintenance(tt.t); got != tt.want {
				t.Errorf("InMaintenance(%s) = %v, want %v", schedFormat(tt.t), got, tt.want)
			}
		})
	}
}

func TestMaintenanceEnd(t *testing.T) {
	tests := []struct {
		name    string
		t, want time.Time
	}{
		{"Outside", schedAt(2026, 3, 10, 23, 49, 59), schedAt(2026, 3, 10, 23, 49, 59)},
		{"BeforeMidnight", schedAt(2026, 3, 10, 23, 50, 0), schedAt(2026, 3, 11, 0, 10, 0)},
		{"AfterMidnight", schedAt(2026, 3, 11, 0, 5, 0), schedAt(2026, 3, 11, 0, 10, 0)},
		{"MonthEnd", schedAt(2026, 2, 28, 23, 59, 0), schedAt(2026, 3, 1, 0, 10, 0)},
		{"YearEnd", schedAt(2026, 12, 31, 23, 55, 0), schedAt(2027, 1, 1, 0, 10, 0)},
		{"End", schedAt(2026, 3, 11, 0, 10, 0), schedAt(2026, 3, 11, 0, 10, 0)},
		{"UTC", time.Date(2026, 3, 10, 14, 55, 0, 0, time.UTC), schedAt(2026, 3, 11, 0, 10, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bot.MaintenanceEnd(tt.t); !got.Equal(tt.want) {
				t.Errorf("MaintenanceEnd(%s) = %s, want %s", schedFormat(tt.t), schedFormat(got), schedFormat(tt.want))
			}
		})
	}
}

func TestStale(t *testing.T) {
	now := schedAt(2026, 3, 10, 20, 0, 0)
	tests := []struct {
		name string
		last time.Time
		want bool
	}{
		{"Never", time.Time{}, true},
		{"JustNow", now, false},
		{"OneMinute", now.Add(-time.Minute), false},
		{"OverOneMinute", now.Add(-time.Minute - time.Second), true},
		{"Hour", now.Add(-time.Hour), true},
		{"OtherZone", now.Add(-30 * time.Second).UTC(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bot.Stale(tt.last, now); got != tt.want {
				t.Errorf("Stale(%s, %s) = %v, want %v", schedFormat(tt.last), schedFormat(now), got, tt.want)
			}
		})
	}
}

func TestDueWindow(t *testing.T) {
	tests := []struct {
		name   string
		dueDay int
		t      time.Time
		want   bool
	}{
		{"Day25Start", 25, schedAt(2026, 3, 22, 0, 0, 0), true},
		{"Day25BeforeStart", 25, schedAt(2026, 3, 21, 23, 59, 59), false},
		{"Day25End", 25, schedAt(2026, 3, 28, 23, 59, 59), true},
		{"Day25AfterEnd", 25, schedAt(2026, 3, 29, 0, 0, 0), false},
		{"Day25Mid", 25, schedAt(2026, 3, 10, 12, 0, 0), false},
		{"ZeroIs25", 0, schedAt(2026, 3, 25, 12, 0, 0), true},
		{"ZeroIs25Outside", 0, schedAt(2026, 3, 20, 12, 0, 0), false},
		// Dues on the 1st: the window starts in the month before.
		{"Day1PreviousYear", 1, schedAt(2025, 12, 29, 0, 0, 0), true},
		{"Day1PreviousYearBefore", 1, schedAt(2025, 12, 28, 23, 59, 59), false},
		{"Day1End", 1, schedAt(2026, 1, 4, 23, 59, 59), true},
		{"Day1AfterEnd", 1, schedAt(2026, 1, 5, 0, 0, 0), false},
		{"Day1ShortFebruary", 1, schedAt(2026, 2, 26, 0, 0, 0), true},
		{"Day1ShortFebruaryBefore", 1, schedAt(2026, 2, 25, 23, 59, 59), false},
		// Dues on the 31st: Feb 28 in February, Apr 30 in April.
		{"Day31February", 31, schedAt(2026, 2, 25, 0, 0, 0), true},
		{"Day31FebruaryBefore", 31, schedAt(2026, 2, 24, 23, 59, 59), false},
		{"Day31IntoMarch", 31, schedAt(2026, 3, 3, 23, 59, 59), true},
		{"Day31MarchGap", 31, schedAt(2026, 3, 4, 0, 0, 0), false},
		{"Day31March", 31, schedAt(2026, 3, 28, 0, 0, 0), true},
		{"Day31IntoApril", 31, schedAt(2026, 4, 3, 12, 0, 0), true},
		{"Day31AprilGap", 31, schedAt(2026, 4, 4, 0, 0, 0), false},
		{"Day31April", 31, schedAt(2026, 4, 27, 0, 0, 0), true},
		{"Day31AprilBefore", 31, schedAt(2026, 4, 26, 23, 59, 59), false},
		{"Day31IntoMay", 31, schedAt(2026, 5, 3, 23, 59, 59), true},
		{"Day31NewYear", 31, schedAt(2027, 1, 3, 10, 0, 0), true},
		{"Day30February", 30, schedAt(2026, 3, 3, 12, 0, 0), true},
		{"Day29IntoMarchAndMarch", 29, schedAt(2026, 3, 26, 0, 0, 0), true},
		// The window is read in KST.
		{"UTCInside", 25, time.Date(2026, 3, 21, 15, 0, 0, 0, time.UTC), true},
		{"UTCOutside", 25, time.Date(2026, 3, 21, 14, 59, 59, 0, time.UTC), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bot.DueWindow(tt.dueDay, tt.t); got != tt.want {
				t.Errorf("DueWindow(%d, %s) = %v, want %v", tt.dueDay, schedFormat(tt.t), got, tt.want)
			}
		})
	}
}

func TestPollScheduleNext(t *testing.T) {
	tests := []struct {
		name    string
		dueDay  int
		t, want time.Time
	}{
		// 2026-03-10 is outside the window of the 25th: 00:10 07:00 11:00
		// 16:00 20:00 21:00 22:00.
		{"QuietMidnight", 25, schedAt(2026, 3, 10, 0, 0, 0), schedAt(2026, 3, 10, 0, 10, 0)},
		{"QuietAt0010", 25, schedAt(2026, 3, 10, 0, 10, 0), schedAt(2026, 3, 10, 7, 0, 0)},
		{"QuietMorning", 25, schedAt(2026, 3, 10, 6, 59, 59), schedAt(2026, 3, 10, 7, 0, 0)},
		{"QuietAt0700", 25, schedAt(2026, 3, 10, 7, 0, 0), schedAt(2026, 3, 10, 11, 0, 0)},
		{"QuietAfternoon", 25, schedAt(2026, 3, 10, 11, 0, 0), schedAt(2026, 3, 10, 16, 0, 0)},
		{"QuietEvening", 25, schedAt(2026, 3, 10, 16, 0, 0), schedAt(2026, 3, 10, 20, 0, 0)},
		{"QuietPeak", 25, schedAt(2026, 3, 10, 20, 30, 0), schedAt(2026, 3, 10, 21, 0, 0)},
		{"QuietLate", 25, schedAt(2026, 3, 10, 21, 0, 0), schedAt(2026, 3, 10, 22, 0, 0)},
		{"QuietAcrossMidnight", 25, schedAt(2026, 3, 10, 22, 0, 0), schedAt(2026, 3, 11, 0, 10, 0)},
		{"QuietInMaintenance", 25, schedAt(2026, 3, 10, 23, 55, 0), schedAt(2026, 3, 11, 0, 10, 0)},
		// 2026-03-25 is the due day.
		{"DueNight", 25, schedAt(2026, 3, 25, 0, 10, 0), schedAt(2026, 3, 25, 1, 10, 0)},
		{"DueMorningEnd", 25, schedAt(2026, 3, 25, 9, 58, 0), schedAt(2026, 3, 25, 10, 0, 0)},
		{"DueReminder", 25, schedAt(2026, 3, 25, 10, 0, 0), schedAt(2026, 3, 25, 10, 3, 0)},
		{"DueReminderSeconds", 25, schedAt(2026, 3, 25, 10, 4, 30), schedAt(2026, 3, 25, 10, 6, 0)},
		{"DueReminderEnd", 25, schedAt(2026, 3, 25, 10, 58, 0), schedAt(2026, 3, 25, 11, 0, 0)},
		{"DueDaytime", 25, schedAt(2026, 3, 25, 11, 0, 0), schedAt(2026, 3, 25, 11, 8, 0)},
		{"DueDaytimeEnd", 25, schedAt(2026, 3, 25, 17, 56, 0), schedAt(2026, 3, 25, 18, 0, 0)},
		{"DueEvening", 25, schedAt(2026, 3, 25, 18, 0, 0), schedAt(2026, 3, 25, 18, 4, 0)},
		{"DuePeak", 25, schedAt(2026, 3, 25, 20, 0, 30), schedAt(2026, 3, 25, 20, 3, 0)},
		{"DuePeakEnd", 25, schedAt(2026, 3, 25, 21, 59, 0), schedAt(2026, 3, 25, 22, 0, 0)},
		{"DueLast", 25, schedAt(2026, 3, 25, 23, 46, 0), schedAt(2026, 3, 25, 23, 48, 0)},
		{"DueAcrossMaintenance", 25, schedAt(2026, 3, 25, 23, 48, 0), schedAt(2026, 3, 26, 0, 10, 0)},
		{"DueInMaintenance", 25, schedAt(2026, 3, 25, 23, 49, 59), schedAt(2026, 3, 26, 0, 10, 0)},
		{"DueFromUTC", 25, time.Date(2026, 3, 25, 1, 0, 0, 0, time.UTC), schedAt(2026, 3, 25, 10, 3, 0)},
		// The other days of the window.
		{"EveNoReminderBurst", 25, schedAt(2026, 3, 24, 10, 0, 0), schedAt(2026, 3, 24, 10, 15, 0)},
		{"BeforeReminder", 25, schedAt(2026, 3, 22, 10, 0, 0), schedAt(2026, 3, 22, 10, 3, 0)},
		{"BeforeReminderMorning", 25, schedAt(2026, 3, 22, 7, 0, 0), schedAt(2026, 3, 22, 8, 0, 0)},
		{"NearNight", 25, schedAt(2026, 3, 26, 0, 10, 0), schedAt(2026, 3, 26, 2, 10, 0)},
		{"TailMorning", 25, schedAt(2026, 3, 27, 7, 0, 0), schedAt(2026, 3, 27, 11, 0, 0)},
		{"OverdueReminder", 25, schedAt(2026, 3, 28, 9, 0, 0), schedAt(2026, 3, 28, 10, 0, 0)},
		{"OverdueReminderBurst", 25, schedAt(2026, 3, 28, 10, 0, 0), schedAt(2026, 3, 28, 10, 3, 0)},
		{"AfterWindow", 25, schedAt(2026, 3, 29, 10, 0, 0), schedAt(2026, 3, 29, 11, 0, 0)},
		{"ZeroIs25", 0, schedAt(2026, 3, 25, 10, 0, 0), schedAt(2026, 3, 25, 10, 3, 0)},
		{"AcrossMonthEnd", 25, schedAt(2026, 3, 31, 23, 50, 0), schedAt(2026, 4, 1, 0, 10, 0)},
		// Dues on the 1st: the eve is the last day of the month before.
		{"Day1EveInFebruary", 1, schedAt(2026, 2, 28, 20, 0, 0), schedAt(2026, 2, 28, 20, 3, 0)},
		{"Day1BeforeInFebruary", 1, schedAt(2026, 2, 26, 10, 0, 0), schedAt(2026, 2, 26, 10, 3, 0)},
		{"Day1DueNight", 1, schedAt(2026, 2, 28, 23, 48, 0), schedAt(2026, 3, 1, 0, 10, 0)},
		{"Day1Due", 1, schedAt(2026, 3, 1, 0, 10, 0), schedAt(2026, 3, 1, 1, 10, 0)},
		{"Day1NewYearEve", 1, schedAt(2026, 12, 31, 10, 0, 0), schedAt(2026, 12, 31, 10, 15, 0)},
		// Dues on the 31st: Feb 28 and Apr 30.
		{"Day31February", 31, schedAt(2026, 2, 28, 10, 0, 0), schedAt(2026, 2, 28, 10, 3, 0)},
		{"Day31FebruaryEve", 31, schedAt(2026, 2, 27, 10, 0, 0), schedAt(2026, 2, 27, 10, 15, 0)},
		{"Day31IntoMarch", 31, schedAt(2026, 3, 1, 0, 10, 0), schedAt(2026, 3, 1, 2, 10, 0)},
		{"Day31MarchOverdue", 31, schedAt(2026, 3, 3, 10, 0, 0), schedAt(2026, 3, 3, 10, 3, 0)},
		{"Day31MarchQuiet", 31, schedAt(2026, 3, 4, 10, 0, 0), schedAt(2026, 3, 4, 11, 0, 0)},
		{"Day31April", 31, schedAt(2026, 4, 30, 10, 0, 0), schedAt(2026, 4, 30, 10, 3, 0)},
		{"Day31AprilEve", 31, schedAt(2026, 4, 29, 10, 0, 0), schedAt(2026, 4, 29, 10, 15, 0)},
		{"Day31IntoMay", 31, schedAt(2026, 5, 1, 0, 10, 0), schedAt(2026, 5, 1, 2, 10, 0)},
		{"Day30February", 30, schedAt(2026, 2, 28, 20, 0, 0), schedAt(2026, 2, 28, 20, 3, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := bot.PollSchedule{DueDay: tt.dueDay}.Next(tt.t)
			if schedFormat(got) != schedFormat(tt.want) {
				t.Errorf("PollSchedule{%d}.Next(%s) = %s, want %s", tt.dueDay, schedFormat(tt.t), schedFormat(got), schedFormat(tt.want))
			}
		})
	}
}

// TestPollScheduleMonths walks every poll of every due day through every
// month of 2026–2027.
func TestPollScheduleMonths(t *testing.T) {
	const target = 950 // calls a month; the hard limit is 1,000
	loc := ledger.KST()
	first, last := ledger.NewPeriod(2026, time.January), ledger.NewPeriod(2027, time.December)
	worst, worstDay, worstMonth := 0, 0, ledger.Period(0)
	for d := 1; d <= 31; d++ {
		s := bot.PollSchedule{DueDay: d}
		for m := first; m <= last; m++ {
			start, end := m.Start(loc), (m + 1).Start(loc)
			polls, midnights := 0, 0
			prev := start.Add(-time.Nanosecond)
			for p := s.Next(prev); p.Before(end); prev, p = p, s.Next(p) {
				polls++
				if !p.After(prev) {
					t.Fatalf("due day %d: Next(%s) = %s, not after it", d, schedFormat(prev), schedFormat(p))
				}
				if p.Location() != loc || p.Second() != 0 || p.Nanosecond() != 0 {
					t.Fatalf("due day %d: poll %s is not a whole minute in KST", d, schedFormat(p))
				}
				if bot.InMaintenance(p) {
					t.Fatalf("due day %d: poll %s is in the maintenance window", d, schedFormat(p))
				}
				// Any instant between two polls leads to the later one.
				if mid := prev.Add(p.Sub(prev) / 2); !s.Next(mid).Equal(p) {
					t.Fatalf("due day %d: Next(%s) = %s, want %s", d, schedFormat(mid), schedFormat(s.Next(mid)), schedFormat(p))
				}
				if h, mi, _ := p.Clock(); h == 0 && mi == 10 {
					midnights++
				}
			}
			if days := end.AddDate(0, 0, -1).Day(); midnights != days {
				t.Errorf("due day %d, %s: %d polls at 00:10, want %d", d, m, midnights, days)
			}
			if polls > target {
				t.Errorf("due day %d, %s: %d polls, want ≤ %d", d, m, polls, target)
			}
			if polls > worst {
				worst, worstDay, worstMonth = polls, d, m
			}
		}
	}
	t.Logf("most polls in a month: %d (due day %d, %s)", worst, worstDay, worstMonth)
}

// TestPollScheduleBusierInWindow checks the shape of the table: the due day
// and its eve poll most, the evening more than the night, and days outside
// the window a handful of times.
func TestPollScheduleBusierInWindow(t *testing.T) {
	s := bot.PollSchedule{DueDay: 25}
	count := func(from, to time.Time) int {
		n := 0
		for p := s.Next(from.Add(-time.Nanosecond)); p.Before(to); p = s.Next(p) {
			n++
		}
		return n
	}
	day := func(d int) int { return count(schedAt(2026, 3, d, 0, 0, 0), schedAt(2026, 3, d+1, 0, 0, 0)) }
	tests := []struct {
		name      string
		got, want int
	}{
		{"Quiet", day(10), 7},
		{"Before", day(22), 51},
		{"Near", day(23), 70},
		{"Eve", day(24), 174},
		{"Due", day(25), 190},
		{"AfterNear", day(26), 70},
		{"Tail", day(27), 20},
		{"Overdue", day(28), 51},
		{"DueEvening", count(schedAt(2026, 3, 25, 18, 0, 0), schedAt(2026, 3, 25, 23, 50, 0)), 98},
		{"DueNight", count(schedAt(2026, 3, 25, 0, 0, 0), schedAt(2026, 3, 25, 7, 0, 0)), 7},
		{"DueAfterReminder", count(schedAt(2026, 3, 25, 10, 0, 0), schedAt(2026, 3, 25, 11, 0, 0)), 20},
		{"QuietEvening", count(schedAt(2026, 3, 10, 18, 0, 0), schedAt(2026, 3, 11, 0, 0, 0)), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("polls = %d, want %d", tt.got, tt.want)
			}
		})
	}
}

func TestFixedScheduleNext(t *testing.T) {
	tests := []struct {
		name    string
		every   time.Duration
		t, want time.Time
	}{
		{"TenMinutes", 10 * time.Minute, schedAt(2026, 3, 10, 12, 5, 30), schedAt(2026, 3, 10, 12, 10, 0)},
		{"OnAPoll", 10 * time.Minute, schedAt(2026, 3, 10, 12, 10, 0), schedAt(2026, 3, 10, 12, 20, 0)},
		{"BeforeMaintenance", 10 * time.Minute, schedAt(2026, 3, 10, 23, 40, 0), schedAt(2026, 3, 11, 0, 10, 0)},
		{"InMaintenance", 10 * time.Minute, schedAt(2026, 3, 10, 23, 55, 0), schedAt(2026, 3, 11, 0, 10, 0)},
		{"AfterMaintenance", 10 * time.Minute, schedAt(2026, 3, 11, 0, 10, 0), schedAt(2026, 3, 11, 0, 20, 0)},
		{"SevenMinutes", 7 * time.Minute, schedAt(2026, 3, 11, 0, 1, 0), schedAt(2026, 3, 11, 0, 10, 0)},
		{"SevenMinutesAfter", 7 * time.Minute, schedAt(2026, 3, 11, 0, 10, 0), schedAt(2026, 3, 11, 0, 14, 0)},
		{"SevenMinutesDayEnd", 7 * time.Minute, schedAt(2026, 3, 10, 23, 30, 0), schedAt(2026, 3, 10, 23, 34, 0)},
		{"FiveHoursWrap", 5 * time.Hour, schedAt(2026, 3, 10, 20, 0, 0), schedAt(2026, 3, 11, 0, 10, 0)},
		{"Zero", 0, schedAt(2026, 3, 10, 12, 5, 30), schedAt(2026, 3, 10, 12, 6, 0)},
		{"NinetySeconds", 90 * time.Second, schedAt(2026, 3, 10, 12, 5, 0), schedAt(2026, 3, 10, 12, 6, 0)},
		{"Daily", 48 * time.Hour, schedAt(2026, 3, 10, 12, 0, 0), schedAt(2026, 3, 11, 0, 10, 0)},
		{"FromUTC", 10 * time.Minute, time.Date(2026, 3, 10, 3, 5, 0, 0, time.UTC), schedAt(2026, 3, 10, 12, 10, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := bot.FixedSchedule{Every: tt.every}.Next(tt.t)
			if schedFormat(got) != schedFormat(tt.want) {
				t.Errorf("FixedSchedule{%v}.Next(%s) = %s, want %s", tt.every, schedFormat(tt.t), schedFormat(got), schedFormat(tt.want))
			}
		})
	}
}

func TestFixedScheduleDay(t *testing.T) {
	tests := []struct {
		every time.Duration
		want  int
	}{
		{10 * time.Minute, 142}, // the 144 of the grid less 00:00 and 23:50
		{time.Hour, 24},         // 00:00 becomes 00:10
		{7 * time.Minute, 204},  // the 206 of the grid less 00:00, 00:07 and 23:55, plus 00:10
	}
	for _, tt := range tests {
		t.Run(tt.every.String(), func(t *testing.T) {
			s := bot.FixedSchedule{Every: tt.every}
			from, to := schedAt(2026, 3, 10, 0, 0, 0), schedAt(2026, 3, 11, 0, 0, 0)
			got := 0
			for p := s.Next(from.Add(-time.Nanosecond)); p.Before(to); p = s.Next(p) {
				if bot.InMaintenance(p) {
					t.Fatalf("poll %s is in the maintenance window", schedFormat(p))
				}
				got++
			}
			if got != tt.want {
				t.Errorf("polls a day = %d, want %d", got, tt.want)
			}
		})
	}
}

// TestCronAcceptsSchedules checks that robfig/cron takes the schedules as
// they are, in a scheduler running in KST (it is not started).
func TestCronAcceptsSchedules(t *testing.T) {
	c := cron.New(cron.WithLocation(ledger.KST()))
	for _, s := range []cron.Schedule{bot.PollSchedule{DueDay: 25}, bot.FixedSchedule{Every: 10 * time.Minute}} {
		if id := c.Schedule(s, cron.FuncJob(func() {})); id == 0 {
			t.Errorf("Schedule(%T) returned entry 0", s)
		}
	}
	if got, want := len(c.Entries()), 2; got != want {
		t.Errorf("entries = %d, want %d", got, want)
	}
	// The default reminder time agrees with the cron spec an operator
	// would write for it.
	spec, err := cron.ParseStandard("CRON_TZ=Asia/Seoul 0 10 * * *")
	if err != nil {
		t.Fatal(err)
	}
	p := bot.DefaultReminderPlan()
	from := schedAt(2026, 3, 24, 12, 0, 0)
	got := spec.Next(from)
	want := schedAt(2026, 3, 25, p.Hour, p.Minute, 0)
	if !got.Equal(want) {
		t.Errorf("spec.Next(%s) = %s, want %s", schedFormat(from), schedFormat(got), schedFormat(want))
	}
}
