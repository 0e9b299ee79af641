package testbed_test

import (
	"errors"
	"testing"
	"time"

	"github.com/moimbot/moimbot/openbanking/testbed"
)

func TestClock(t *testing.T) {
	t.Run("FrozenStaysPut", func(t *testing.T) {
		c := testbed.NewClock(t0)
		time.Sleep(2 * time.Millisecond)
		if got := c.Now(); !got.Equal(t0) {
			t.Errorf("Now() = %v, want %v", got, t0)
		}
		c.Advance(90 * 24 * time.Hour)
		if got, want := c.Now(), t0.Add(90*24*time.Hour); !got.Equal(want) {
			t.Errorf("after Advance: Now() = %v, want %v", got, want)
		}
		c.Set(t0)
		if got := c.Now(); !got.Equal(t0) {
			t.Errorf("after Set: Now() = %v, want %v", got, t0)
		}
	})
	t.Run("RealFollowsWallClock", func(t *testing.T) {
		c := testbed.NewRealClock()
		if d := time.Until(c.Now()); d < -time.Second || d > time.Second {
			t.Errorf("Now() is %v off the wall clock", d)
		}
		c.Advance(time.Hour)
		if d := time.Until(c.Now()); d < 59*time.Minute || d > 61*time.Minute {
			t.Errorf("after Advance(1h): %v ahead, want 1h", d)
		}
		c.Set(t0)
		if d := c.Now().Sub(t0); d < 0 || d > time.Second {
			t.Errorf("after Set: %v after t0, want about 0", d)
		}
		time.Sleep(5 * time.Millisecond)
		if !c.Now().After(t0) {
			t.Error("a real clock stopped after Set")
		}
	})
	t.Run("ServerDefaultsToRealClock", func(t *testing.T) {
		s := testbed.New(testbed.Config{})
		if d := time.Until(s.Clock().Now()); d < -time.Second || d > time.Second {
			t.Errorf("default clock is %v off", d)
		}
	})
}

// TestClockRange: both kinds of clock move by the longest duration twice
// (forward, not back), reach year 9999 when set to it, and refuse to leave
// 1970..9999 with ErrClockRange, staying where they were.
func TestClockRange(t *testing.T) {
	clocks := []struct {
		name  string
		new   func() *testbed.Clock
		slack time.Duration // how far a running clock moves during a step
	}{
		{"Frozen", func() *testbed.Clock { return testbed.NewClock(t0) }, 0},
		{"Real", testbed.NewRealClock, time.Second},
	}
	const longest = time.Duration(1<<63 - 1)
	for _, cc := range clocks {
		t.Run(cc.name, func(t *testing.T) {
			near := func(got, want time.Time) bool { d := got.Sub(want); return d >= 0 && d <= cc.slack }
			c := cc.new()
			if err := c.Set(t0); err != nil {
				t.Fatal(err)
			}
			for i := 1; i <= 2; i++ {
				before := c.Now()
				if err := c.Advance(longest); err != nil {
					t.Fatalf("advance %d by the longest duration: %v", i, err)
				}
				if got := c.Now(); !near(got, before.Add(longest)) {
					t.Fatalf("advance %d by the longest duration: %v to %v, want %v", i, before, got, before.Add(longest))
				}
			}
			steps := []struct {
				name    string
				set     time.Time
				advance time.Duration
				wantErr bool
				want    time.Time // where the clock is afterwards
			}{
				{"SetYear9999", time.Date(9999, 6, 1, 0, 0, 0, 0, kst), 0, false, time.Date(9999, 6, 1, 0, 0, 0, 0, kst)},
				{"AdvancePastEnd", time.Time{}, 365 * 24 * time.Hour, true, time.Date(9999, 6, 1, 0, 0, 0, 0, kst)},
				{"SetPastEnd", time.Date(10000, 1, 1, 0, 0, 0, 0, kst), 0, true, time.Date(9999, 6, 1, 0, 0, 0, 0, kst)},
				{"SetEnd", time.Date(9999, 12, 31, 23, 59, 59, 0, kst), 0, false, time.Date(9999, 12, 31, 23, 59, 59, 0, kst)},
				{"SetStart", time.Date(1970, 1, 1, 0, 0, 0, 0, kst), 0, false, time.Date(1970, 1, 1, 0, 0, 0, 0, kst)},
				{"AdvanceBeforeStart", time.Time{}, -time.Hour, true, time.Date(1970, 1, 1, 0, 0, 0, 0, kst)},
				{"SetBeforeStart", time.Date(1969, 12, 31, 0, 0, 0, 0, kst), 0, true, time.Date(1970, 1, 1, 0, 0, 0, 0, kst)},
				{"SetBack", t0, 0, false, t0},
			}
			for _, s := range steps {
				var err error
				if s.set.IsZero() {
					err = c.Advance(s.advance)
				} else {
					err = c.Set(s.set)
				}
				if gotErr := errors.Is(err, testbed.ErrClockRange); gotErr != s.wantErr || (err != nil && !gotErr) {
					t.Errorf("%s: err = %v, want ErrClockRange: %v", s.name, err, s.wantErr)
				}
				if got := c.Now(); !near(got, s.want) {
					t.Errorf("%s: clock at %v, want %v", s.name, got, s.want)
				}
			}
		})
	}
}
