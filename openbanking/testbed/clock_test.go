package testbed_test

import (
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
