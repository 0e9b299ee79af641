package testbed

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// kst is Korea Standard Time. Korea has not observed daylight saving time
// since 1988, so a fixed zone is exact and needs no tzdata.
var kst = time.FixedZone("KST", 9*60*60)

// The range of the simulator's clock: KFTC dates are eight digits
// (YYYYMMDD), so no time after year 9999 can be told, and nothing here
// predates 1970. Advance and Set refuse to leave the range.
var (
	clockMin = time.Date(1970, 1, 1, 0, 0, 0, 0, kst)
	clockMax = time.Date(9999, 12, 31, 23, 59, 59, 0, kst)
)

// ErrClockRange is returned by Advance and Set for a time outside the
// clock's range, 1970-01-01T00:00:00+09:00 to 9999-12-31T23:59:59+09:00.
var ErrClockRange = errors.New("outside the clock's range, 1970-01-01T00:00:00+09:00 to 9999-12-31T23:59:59+09:00")

// Clock is the simulator's controllable clock. Token expiry, authorization
// code expiry, the maintenance window, bank_tran_id days, date clamping and
// the default time of postings all follow it. It is safe for concurrent use.
//
// Its time stays within 1970-01-01 and 9999-12-31 (KST): Advance and Set
// refuse to leave that range with ErrClockRange and leave the clock as it
// was, and a running clock stops at the end.
type Clock struct {
	mu sync.Mutex
	// at is the current time of a frozen clock, and the time a running
	// clock showed at since.
	at     time.Time
	frozen bool
	since  time.Time // when a running clock showed at (with a monotonic reading)
}

// NewClock returns a clock frozen at start (brought within the clock's
// range). It moves only when Advance or Set is called, which makes tests
// deterministic.
func NewClock(start time.Time) *Clock {
	return &Clock{frozen: true, at: clamp(start)}
}

// NewRealClock returns a clock that follows time.Now. Advance and Set move
// it, and it keeps running from where it was put, so a running simulator
// can be moved forward (for example past a token's expiry) while time keeps
// flowing.
func NewRealClock() *Clock {
	now := time.Now()
	return &Clock{at: now.Round(0), since: now}
}

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now()
}

func (c *Clock) now() time.Time {
	if c.frozen {
		return c.at
	}
	return clamp(c.at.Add(time.Since(c.since)))
}

// Advance moves the clock by d; a negative d moves it back. It fails with
// ErrClockRange, and leaves the clock as it was, when that would leave the
// clock's range.
func (c *Clock) Advance(d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	to := c.now().Add(d)
	if !inRange(to) {
		return fmt.Errorf("testbed: advance clock by %v to %s: %w", d, to.In(kst).Format(time.RFC3339), ErrClockRange)
	}
	c.set(to)
	return nil
}

// Set moves the clock to t; a running clock keeps running from t. It fails
// with ErrClockRange, and leaves the clock as it was, when t is outside the
// clock's range.
func (c *Clock) Set(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !inRange(t) {
		return fmt.Errorf("testbed: set clock to %s: %w", t.In(kst).Format(time.RFC3339), ErrClockRange)
	}
	c.set(t)
	return nil
}

func (c *Clock) set(t time.Time) {
	c.at = t
	if !c.frozen {
		c.since = time.Now()
	}
}

func inRange(t time.Time) bool { return !t.Before(clockMin) && !t.After(clockMax) }

func clamp(t time.Time) time.Time {
	switch {
	case t.Before(clockMin):
		return clockMin
	case t.After(clockMax):
		return clockMax
	}
	return t
}
