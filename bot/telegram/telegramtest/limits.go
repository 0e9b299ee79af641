package telegramtest

import (
	"sync"
	"time"
)

// Limits are the flood limits the server enforces on sending methods
// (sendMessage, sendDocument, editMessageText, editMessageReplyMarkup) when
// built WithLimits. A zero field disables that limit. Telegram publishes
// these limits only loosely ("about one message per second in a chat, short
// bursts allowed; no more than 20 messages per minute in a group; about 30
// messages per second overall"), so this is a model of them:
//
//   - Per chat, a token bucket (GCRA): ChatBurst messages at once, then one
//     every ChatInterval. Applies to every chat, private chats included.
//   - Per group, supergroup or channel, a sliding window: at most
//     GroupPerMinute messages in any 60 seconds.
//   - Overall, a sliding window: at most GlobalPerSecond messages in any
//     second, all chats together.
//
// A call over any limit answers 429 "Too Many Requests: retry after N" with
// parameters.retry_after N, the whole seconds until every exceeded limit
// admits it again (rounded up, at least 1). A refused call does not use up
// capacity, and nothing punishes retrying early beyond another 429.
// Telegram's real behaviour (longer penalties after repeated floods,
// separate limits for paid broadcasts, edits weighed differently) is not
// modelled. Time is the server's clock (WithClock), so tests can step
// through the limits without sleeping.
type Limits struct {
	ChatBurst       int
	ChatInterval    time.Duration
	GroupPerMinute  int
	GlobalPerSecond int
}

// DefaultLimits returns the model of Telegram's published limits: bursts
// of 3 then 1 message per second per chat, 20 messages per minute per
// group, 30 messages per second overall.
func DefaultLimits() Limits {
	return Limits{ChatBurst: 3, ChatInterval: time.Second, GroupPerMinute: 20, GlobalPerSecond: 30}
}

// LimitHits counts the sends refused by each enforced limit. A send over
// several limits counts in each.
type LimitHits struct {
	Chat, Group, Global int
}

// limiter enforces Limits. It is guarded by the Server's mutex.
type limiter struct {
	l      Limits
	tat    map[int64]time.Time // per chat: GCRA theoretical arrival time
	groups map[int64]*window
	global window
	hits   LimitHits
}

func newLimiter(l Limits) *limiter {
	return &limiter{l: l, tat: map[int64]time.Time{}, groups: map[int64]*window{}}
}

// allow admits a send to chatID at now, or returns how long to wait.
func (lm *limiter) allow(now time.Time, chatID int64, group bool) (time.Duration, bool) {
	var wait time.Duration
	refused := false

	var tat time.Time
	if lm.l.ChatBurst > 0 && lm.l.ChatInterval > 0 {
		tat = lm.tat[chatID]
		if tat.Before(now) {
			tat = now
		}
		slack := time.Duration(lm.l.ChatBurst-1) * lm.l.ChatInterval
		if w := tat.Sub(now) - slack; w > 0 {
			wait, refused = max(wait, w), true
			lm.hits.Chat++
		}
	}
	var gw *window
	if group && lm.l.GroupPerMinute > 0 {
		gw = lm.groups[chatID]
		if gw == nil {
			gw = &window{}
			lm.groups[chatID] = gw
		}
		if w := gw.wait(now, time.Minute, lm.l.GroupPerMinute); w > 0 {
			wait, refused = max(wait, w), true
			lm.hits.Group++
		}
	}
	if lm.l.GlobalPerSecond > 0 {
		if w := lm.global.wait(now, time.Second, lm.l.GlobalPerSecond); w > 0 {
			wait, refused = max(wait, w), true
			lm.hits.Global++
		}
	}
	if refused {
		return wait, false
	}
	if lm.l.ChatBurst > 0 && lm.l.ChatInterval > 0 {
		lm.tat[chatID] = tat.Add(lm.l.ChatInterval)
	}
	if gw != nil {
		gw.times = append(gw.times, now)
	}
	if lm.l.GlobalPerSecond > 0 {
		lm.global.times = append(lm.global.times, now)
	}
	return 0, true
}

// window is a sliding window of send times, oldest first.
type window struct {
	times []time.Time
}

// wait forgets sends older than span and returns how long until one more
// send fits under limit, 0 if it fits now.
func (w *window) wait(now time.Time, span time.Duration, limit int) time.Duration {
	cut := 0
	for cut < len(w.times) && !w.times[cut].After(now.Add(-span)) {
		cut++
	}
	w.times = w.times[cut:]
	if len(w.times) < limit {
		return 0
	}
	return w.times[len(w.times)-limit].Add(span).Sub(now)
}

// retryAfter rounds a wait up to whole seconds, at least 1.
func retryAfter(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	return max(s, 1)
}

// Clock is a manual clock for WithClock: it stands still until Advance or
// Set moves it. It is safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set sets the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}
