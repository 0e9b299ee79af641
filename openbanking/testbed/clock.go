package testbed

import (
	"sync"
	"time"
)

// kst is Korea Standard Time. Korea has not observed daylight saving time
// since 1988, so a fixed zone is exact and needs no tzdata.
var kst = time.FixedZone("KST", 9*60*60)

// Clock is the simulator's controllable clock. Token expiry, authorization
// code expiry, the maintenance window, bank_tran_id days, date clamping and
// the default time of postings all follow it. It is safe for concurrent use.
type Clock struct {
	mu     sync.Mutex
	frozen bool
	at     time.Time     // the current time of a frozen clock
	offset time.Duration // added to time.Now by a real clock
}

// NewClock returns a clock frozen at start. It moves only when Advance or
// Set is called, which makes tests deterministic.
func NewClock(start time.Time) *Clock {
	return &Clock{frozen: true, at: start}
}

// NewRealClock returns a clock that follows time.Now plus an offset. Advance
// and Set change the offset, so a running simulator can be moved forward
// (for example past a token's expiry) while time keeps flowing.
func NewRealClock() *Clock {
	return &Clock{}
}

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen {
		return c.at
	}
	return time.Now().Add(c.offset)
}

// Advance moves the clock by d. A negative d moves it back.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen {
		c.at = c.at.Add(d)
		return
	}
	c.offset += d
}

// Set moves the clock to t. A real clock keeps running from t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen {
		c.at = t
		return
	}
	c.offset = time.Until(t)
}
