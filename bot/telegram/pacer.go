package telegram

import (
	"slices"
	"sort"
	"sync"
	"time"
)

// Limits pace Send under Telegram's flood limits (see the package
// documentation). A zero field means its default (DefaultLimits); a
// negative one turns that limit off.
type Limits struct {
	// ChatInterval and ChatBurst: ChatBurst messages to one chat at once,
	// then one every ChatInterval. Defaults 1s and 3.
	ChatInterval time.Duration
	ChatBurst    int
	// GroupPerMinute bounds the messages to one group or supergroup (a
	// chat with a negative id) in any minute. Default 20.
	GroupPerMinute int
	// GlobalPerSecond bounds the messages to all chats together in any
	// second. Default 30.
	GlobalPerSecond int
	// MaxWait is the longest Send waits for the limits; beyond it Send
	// returns a *bot.RetryAfterError at once. Default 2s; negative: never
	// wait.
	MaxWait time.Duration
}

// DefaultLimits returns Telegram's published limits: about one message a
// second per chat with short bursts (3), 20 a minute per group, 30 a second
// overall; and a MaxWait of 2 seconds.
func DefaultLimits() Limits {
	return Limits{ChatInterval: time.Second, ChatBurst: 3, GroupPerMinute: 20, GlobalPerSecond: 30, MaxWait: 2 * time.Second}
}

// normalize fills in defaults and zeroes the limits that are off.
func (l Limits) normalize() Limits {
	def := DefaultLimits()
	pick := func(v, d int) int {
		switch {
		case v < 0:
			return 0
		case v == 0:
			return d
		}
		return v
	}
	pickD := func(v, d time.Duration) time.Duration {
		switch {
		case v < 0:
			return 0
		case v == 0:
			return d
		}
		return v
	}
	out := Limits{
		ChatInterval:    pickD(l.ChatInterval, def.ChatInterval),
		ChatBurst:       pick(l.ChatBurst, def.ChatBurst),
		GroupPerMinute:  pick(l.GroupPerMinute, def.GroupPerMinute),
		GlobalPerSecond: pick(l.GlobalPerSecond, def.GlobalPerSecond),
		MaxWait:         pickD(l.MaxWait, def.MaxWait),
	}
	if out.ChatInterval == 0 || out.ChatBurst == 0 {
		out.ChatInterval, out.ChatBurst = 0, 0
	}
	return out
}

const (
	// margin is kept under every limit, so that network jitter between
	// the adapter and Telegram does not push a message over one.
	margin = 100 * time.Millisecond
	// groupSpan and globalSpan are the sliding windows' lengths, margin
	// included.
	groupSpan  = time.Minute + margin
	globalSpan = time.Second + margin
	// sweepEvery is how often the pacer forgets idle chats.
	sweepEvery = time.Minute
)

// pacer schedules sends under Limits. Each admitted send reserves a moment
// (now or later): per chat, a GCRA token bucket (tat, the theoretical
// arrival time of the next send); per group and overall, a sorted list of
// reserved moments, checked as a sliding window. Reservations may lie in
// the future, so the windows are checked on both sides of a new moment.
// A reservation whose wait is cancelled keeps its moment, which errs on
// the safe side. It is safe for concurrent use.
type pacer struct {
	lim Limits

	mu     sync.Mutex
	tat    map[int64]time.Time // per chat: GCRA theoretical arrival time
	hold   map[int64]time.Time // per chat: no send before (after a 429)
	groups map[int64][]time.Time
	global []time.Time
	swept  time.Time
}

func newPacer(l Limits) *pacer {
	return &pacer{lim: l.normalize(), tat: map[int64]time.Time{}, hold: map[int64]time.Time{}, groups: map[int64][]time.Time{}}
}

// reserve returns the earliest moment at or after now when a message to
// chat fits every limit. If it is at most MaxWait away, the moment is
// reserved and ok is true; otherwise nothing is reserved.
func (p *pacer) reserve(now time.Time, chat int64) (at time.Time, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sweep(now)

	l := p.lim
	chatOn := l.ChatBurst > 0
	tolerance := p.tolerance()
	groupOn := chat < 0 && l.GroupPerMinute > 0
	var group []time.Time
	if groupOn {
		group = prune(p.groups[chat], now, groupSpan)
	}
	globalOn := l.GlobalPerSecond > 0
	if globalOn {
		p.global = prune(p.global, now, globalSpan)
	}

	at = later(now, p.hold[chat])
	if tat, found := p.tat[chat]; chatOn && found {
		at = later(at, tat.Add(-tolerance))
	}
	// Each step moves at forward to a moment when a reservation leaves a
	// window; there are finitely many, so this ends.
	for {
		if groupOn {
			if next, fits := fit(group, at, groupSpan, l.GroupPerMinute); !fits {
				at = next
				continue
			}
		}
		if globalOn {
			if next, fits := fit(p.global, at, globalSpan, l.GlobalPerSecond); !fits {
				at = next
				continue
			}
		}
		break
	}
	if at.Sub(now) > l.MaxWait {
		if groupOn {
			p.groups[chat] = group
		}
		return at, false
	}

	if chatOn {
		p.tat[chat] = later(p.tat[chat], at).Add(l.ChatInterval)
	}
	if groupOn {
		p.groups[chat] = insert(group, at)
	}
	if globalOn {
		p.global = insert(p.global, at)
	}
	return at, true
}

// tolerance is how far the per-chat bucket's tat may lie ahead of a send:
// ChatBurst-1 intervals, less the margin.
func (p *pacer) tolerance() time.Duration {
	return time.Duration(p.lim.ChatBurst-1)*p.lim.ChatInterval - margin
}

// penalize holds back sends to chat until now+d: Telegram answered 429
// with retry_after d.
func (p *pacer) penalize(now time.Time, chat int64, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hold[chat] = later(p.hold[chat], now.Add(d))
}

// sweep forgets chats whose limits no longer hold anything back, once a
// minute.
func (p *pacer) sweep(now time.Time) {
	if now.Sub(p.swept) < sweepEvery {
		return
	}
	p.swept = now
	tolerance := p.tolerance()
	for chat, tat := range p.tat {
		// Forgetting tat changes nothing once it and the earliest moment
		// it admits have passed.
		if !tat.After(now) && !tat.Add(-tolerance).After(now) {
			delete(p.tat, chat)
		}
	}
	for chat, hold := range p.hold {
		if !hold.After(now) {
			delete(p.hold, chat)
		}
	}
	for chat, w := range p.groups {
		if len(w) == 0 || !w[len(w)-1].After(now.Add(-groupSpan)) {
			delete(p.groups, chat)
		}
	}
}

// fit reports whether one more send at t keeps every window of length span
// that contains t at or under limit sends. If not, next is the earliest
// moment after t at which it might: when the next reservation leaves the
// windows containing t. w is sorted.
func fit(w []time.Time, t time.Time, span time.Duration, limit int) (next time.Time, fits bool) {
	// The windows (s-span, s] containing t have s in [t, t+span); the
	// number of sends in one changes only when s passes a send, so the
	// fullest is the one ending at t or at a send after t.
	full := count(w, t.Add(-span), t) >= limit
	for i := upper(w, t); !full && i < len(w) && w[i].Before(t.Add(span)); i++ {
		full = count(w, w[i].Add(-span), w[i]) >= limit
	}
	if !full {
		return t, true
	}
	// Between t and the first moment a send leaves (w[j]+span > t), sends
	// only enter the windows containing the candidate moment, so none fits.
	j := upper(w, t.Add(-span))
	return w[j].Add(span), false
}

// count returns the number of sends in (from, to].
func count(w []time.Time, from, to time.Time) int { return upper(w, to) - upper(w, from) }

// upper returns the number of sends at or before t.
func upper(w []time.Time, t time.Time) int {
	return sort.Search(len(w), func(i int) bool { return w[i].After(t) })
}

// insert adds t to the sorted w.
func insert(w []time.Time, t time.Time) []time.Time { return slices.Insert(w, upper(w, t), t) }

// prune drops the sends at or before now-span, which no window from now on
// contains.
func prune(w []time.Time, now time.Time, span time.Duration) []time.Time {
	i := upper(w, now.Add(-span))
	if i == 0 {
		return w
	}
	return append(w[:0], w[i:]...)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
