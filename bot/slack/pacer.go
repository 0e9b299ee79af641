package slack

import (
	"sync"
	"time"
)

// Limits pace Send. Slack allows about one message a second in a channel,
// with short bursts, and answers 429 beyond.
type Limits struct {
	// ChannelInterval is the steady pace per channel: one message per
	// interval. Default 1s; negative: no pacing.
	ChannelInterval time.Duration
	// ChannelBurst is how many messages may go to a channel at once before
	// the pace applies. Default 3; negative: no pacing.
	ChannelBurst int
	// MaxWait is the longest Send waits for the pace; beyond it Send
	// returns a *bot.RetryAfterError at once. Default 2s; negative: never
	// wait.
	MaxWait time.Duration
}

// DefaultLimits returns one message a second per channel, bursts of 3, and
// a MaxWait of 2 seconds.
func DefaultLimits() Limits {
	return Limits{ChannelInterval: time.Second, ChannelBurst: 3, MaxWait: 2 * time.Second}
}

// normalize fills in defaults and zeroes the limits that are off.
func (l Limits) normalize() Limits {
	def := DefaultLimits()
	out := l
	switch {
	case l.ChannelInterval < 0 || l.ChannelBurst < 0:
		out.ChannelInterval, out.ChannelBurst = 0, 0
	default:
		if l.ChannelInterval == 0 {
			out.ChannelInterval = def.ChannelInterval
		}
		if l.ChannelBurst == 0 {
			out.ChannelBurst = def.ChannelBurst
		}
	}
	switch {
	case l.MaxWait < 0:
		out.MaxWait = 0
	case l.MaxWait == 0:
		out.MaxWait = def.MaxWait
	}
	return out
}

// sweepEvery is how often the pacer forgets idle channels.
const sweepEvery = time.Minute

// pacer keeps sends to each key (a channel, or a channel and user for
// ephemeral messages) under Limits with a GCRA token bucket: tat is the
// theoretical arrival time of the key's next send. It is safe for
// concurrent use.
type pacer struct {
	lim Limits

	mu    sync.Mutex
	tat   map[string]time.Time
	hold  map[string]time.Time // no send before (after a 429)
	swept time.Time
}

func newPacer(l Limits) *pacer {
	return &pacer{lim: l.normalize(), tat: map[string]time.Time{}, hold: map[string]time.Time{}}
}

// reserve returns the earliest moment at or after now when a message to
// key fits the limits. If it is at most MaxWait away the moment is
// reserved and ok is true; otherwise nothing is reserved.
func (p *pacer) reserve(now time.Time, key string) (at time.Time, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sweep(now)
	at = later(now, p.hold[key])
	on := p.lim.ChannelBurst > 0
	tolerance := time.Duration(p.lim.ChannelBurst-1) * p.lim.ChannelInterval
	if tat, found := p.tat[key]; on && found {
		at = later(at, tat.Add(-tolerance))
	}
	if at.Sub(now) > p.lim.MaxWait {
		return at, false
	}
	if on {
		p.tat[key] = later(p.tat[key], at).Add(p.lim.ChannelInterval)
	}
	return at, true
}

// penalize holds back sends to key until now+d: Slack answered 429.
func (p *pacer) penalize(now time.Time, key string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hold[key] = later(p.hold[key], now.Add(d))
}

// sweep forgets keys that no longer hold anything back, once a minute.
func (p *pacer) sweep(now time.Time) {
	if now.Sub(p.swept) < sweepEvery {
		return
	}
	p.swept = now
	for k, tat := range p.tat {
		if !tat.After(now) {
			delete(p.tat, k)
		}
	}
	for k, h := range p.hold {
		if !h.After(now) {
			delete(p.hold, k)
		}
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
