package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// dispClock is a settable clock.
type dispClock struct {
	mu sync.Mutex
	t  time.Time
}

func newDispClock() *dispClock {
	return &dispClock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
}

func (c *dispClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *dispClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// dispMsg is a message in a dispOutbox.
type dispMsg struct {
	Message
	state      string // pending, sending, sent or dead
	attempts   int
	next       time.Time // when a pending message is due
	leaseUntil time.Time // when a sending message may be claimed again
	reason     string
}

// dispFailure is one MarkFailed call.
type dispFailure struct {
	ID         uint64
	RetryAfter time.Duration
	Reason     string
	Permanent  bool
}

// dispOutbox is an in-memory Outbox with the store's semantics: messages
// are pending, sending, sent or dead; Claim takes each chat's oldest open
// message only, when it is due (pending) or its lease ran out (sending); a
// failed attempt retries after retryAfter or Backoff, and the message is
// dead after MaxAttempts attempts or a permanent failure; Release hands a
// claimed message back without counting the attempt.
type dispOutbox struct {
	clock       *dispClock
	MaxAttempts int
	Backoff     time.Duration
	Lease       time.Duration

	mu          sync.Mutex
	msgs        []*dispMsg
	claimErrs   []error // returned by the next Claims, in order
	markSentErr error
	failures    []dispFailure
	releases    int
	// claimed, if set, receives the number of messages of every Claim.
	claimed chan int
}

var (
	_ Outbox   = (*dispOutbox)(nil)
	_ Releaser = (*dispOutbox)(nil)
)

func newDispOutbox(clock *dispClock) *dispOutbox {
	return &dispOutbox{clock: clock, MaxAttempts: 3, Backoff: time.Minute, Lease: 5 * time.Minute}
}

// add enqueues a message for chat and returns its id.
func (o *dispOutbox) add(chat ChatRef, kind, text string) uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	id := uint64(len(o.msgs) + 1)
	o.msgs = append(o.msgs, &dispMsg{
		Message: Message{ID: id, Key: fmt.Sprintf("k%d", id), Chat: chat, Kind: kind, Text: text},
		state:   "pending",
	})
	return id
}

func (o *dispOutbox) msg(id uint64) dispMsg {
	o.mu.Lock()
	defer o.mu.Unlock()
	return *o.msgs[id-1]
}

func (o *dispOutbox) failureCalls() []dispFailure {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.failures)
}

func (o *dispOutbox) Claim(ctx context.Context, now time.Time, limit int) ([]Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	o.mu.Lock()
	if len(o.claimErrs) > 0 {
		err := o.claimErrs[0]
		o.claimErrs = o.claimErrs[1:]
		o.mu.Unlock()
		return nil, err
	}
	var out []Message
	seen := make(map[ChatRef]bool)
	for _, m := range o.msgs {
		if len(out) == limit {
			break
		}
		if m.state == "sent" || m.state == "dead" || seen[m.Chat] {
			continue
		}
		seen[m.Chat] = true // only the chat's oldest open message
		due := (m.state == "pending" && !now.Before(m.next)) ||
			(m.state == "sending" && !now.Before(m.leaseUntil))
		if !due {
			continue
		}
		m.state = "sending"
		m.attempts++
		m.leaseUntil = now.Add(o.Lease)
		c := m.Message
		c.Attempt = m.attempts
		out = append(out, c)
	}
	claimed := o.claimed
	o.mu.Unlock()
	if claimed != nil {
		claimed <- len(out)
	}
	return out, nil
}

func (o *dispOutbox) MarkSent(ctx context.Context, id uint64) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.markSentErr != nil {
		return o.markSentErr
	}
	m := o.msgs[id-1]
	if m.state != "sending" {
		return fmt.Errorf("message %d is %s", id, m.state)
	}
	m.state = "sent"
	return nil
}

func (o *dispOutbox) MarkFailed(ctx context.Context, id uint64, retryAfter time.Duration, reason string, permanent bool) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	m := o.msgs[id-1]
	if m.state != "sending" {
		return false, fmt.Errorf("message %d is %s", id, m.state)
	}
	o.failures = append(o.failures, dispFailure{ID: id, RetryAfter: retryAfter, Reason: reason, Permanent: permanent})
	m.reason = reason
	if permanent || m.attempts >= o.MaxAttempts {
		m.state = "dead"
		return true, nil
	}
	if retryAfter <= 0 {
		retryAfter = o.Backoff
	}
	m.state = "pending"
	m.next = o.clock.Now().Add(retryAfter)
	return false, nil
}

func (o *dispOutbox) Release(ctx context.Context, id uint64, notBefore time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	m := o.msgs[id-1]
	if m.state != "sending" {
		return fmt.Errorf("message %d is %s", id, m.state)
	}
	o.releases++
	m.state, m.next = "pending", notBefore
	m.attempts--
	return nil
}

func (o *dispOutbox) releaseCount() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.releases
}

// dispChat is a Chat that records what it delivered; send, if set, decides
// each attempt (nil error: delivered).
type dispChat struct {
	send func(ctx context.Context, m Message) error

	mu    sync.Mutex
	calls int
	got   []Message
}

var _ Chat = (*dispChat)(nil)

func (c *dispChat) Send(ctx context.Context, m Message) error {
	c.mu.Lock()
	c.calls++
	c.mu.Unlock()
	if c.send != nil {
		if err := c.send(ctx, m); err != nil {
			return err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, m)
	return nil
}

func (c *dispChat) texts() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, m := range c.got {
		out = append(out, m.Chat.ID+"/"+m.Text)
	}
	return out
}

func (c *dispChat) callCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// deadRecorder records OnDead calls.
type deadRecorder struct {
	mu      sync.Mutex
	ids     []uint64
	reasons []string
}

func (r *deadRecorder) OnDead(ctx context.Context, m Message, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ctx.Err() != nil {
		reason += " (ctx done)"
	}
	r.ids = append(r.ids, m.ID)
	r.reasons = append(r.reasons, reason)
}

func (r *deadRecorder) calls() ([]uint64, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.ids), slices.Clone(r.reasons)
}

func TestDispatchInOrderPerChat(t *testing.T) {
	clock := newDispClock()
	ob := newDispOutbox(clock)
	a, b := ChatRef{"test", "A"}, ChatRef{"test", "B"}
	ob.add(a, KindDeposit, "a1")
	ob.add(b, KindDeposit, "b1")
	ob.add(a, KindDeposit, "a2")
	ob.add(a, KindDeposit, "a3")
	ob.add(b, KindDeposit, "b2")
	chat := &dispChat{}
	d := &Dispatcher{Outbox: ob, Chats: map[string]Chat{"test": chat}, Now: clock.Now}

	var rounds []int
	for range 10 {
		sent, err := d.DispatchOnce(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if sent == 0 {
			break
		}
		rounds = append(rounds, sent)
	}
	if want := []int{2, 2, 1}; !slices.Equal(rounds, want) {
		t.Errorf("sent per round = %v, want %v", rounds, want)
	}
	var gotA, gotB []string
	for _, s := range chat.texts() {
		if strings.HasPrefix(s, "A/") {
			gotA = append(gotA, s)
		} else {
			gotB = append(gotB, s)
		}
	}
	if want := []string{"A/a1", "A/a2", "A/a3"}; !slices.Equal(gotA, want) {
		t.Errorf("chat A got %v, want %v", gotA, want)
	}
	if want := []string{"B/b1", "B/b2"}; !slices.Equal(gotB, want) {
		t.Errorf("chat B got %v, want %v", gotB, want)
	}
}

func TestDispatchParallelChats(t *testing.T) {
	t.Run("AllAtOnce", func(t *testing.T) {
		// Each Send waits until all three are in flight: this only
		// finishes when the three chats are delivered concurrently.
		clock := newDispClock()
		ob := newDispOutbox(clock)
		for _, id := range []string{"A", "B", "C"} {
			ob.add(ChatRef{"test", id}, KindBoard, id)
		}
		var arrived sync.WaitGroup
		arrived.Add(3)
		all := make(chan struct{})
		go func() { arrived.Wait(); close(all) }()
		chat := &dispChat{send: func(ctx context.Context, m Message) error {
			arrived.Done()
			select {
			case <-all:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}}
		d := &Dispatcher{Outbox: ob, Chats: map[string]Chat{"test": chat}, Now: clock.Now, Parallel: 3, SendTimeout: 10 * time.Second}
		sent, err := d.DispatchOnce(t.Context())
		if sent != 3 || err != nil {
			t.Errorf("DispatchOnce = %d, %v; want 3, nil", sent, err)
		}
	})

	t.Run("AtMostParallel", func(t *testing.T) {
		clock := newDispClock()
		ob := newDispOutbox(clock)
		for i := range 6 {
			ob.add(ChatRef{"test", fmt.Sprint(i)}, KindBoard, "x")
		}
		var inFlight, most atomic.Int32
		two := make(chan struct{})
		var once sync.Once
		chat := &dispChat{send: func(ctx context.Context, m Message) error {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				old := most.Load()
				if n <= old || most.CompareAndSwap(old, n) {
					break
				}
			}
			if n == 2 {
				once.Do(func() { close(two) })
			}
			<-two // the first sends wait until two are in flight
			return nil
		}}
		d := &Dispatcher{Outbox: ob, Chats: map[string]Chat{"test": chat}, Now: clock.Now, Parallel: 2}
		sent, err := d.DispatchOnce(t.Context())
		if sent != 6 || err != nil {
			t.Errorf("DispatchOnce = %d, %v; want 6, nil", sent, err)
		}
		if got := most.Load(); got != 2 {
			t.Errorf("at most %d sends in flight, want 2", got)
		}
	})
}

func TestDispatchRetryAfter(t *testing.T) {
	clock := newDispClock()
	ob := newDispOutbox(clock)
	id := ob.add(ChatRef{"test", "A"}, KindReminder, "hello")
	first := true
	chat := &dispChat{send: func(ctx context.Context, m Message) error {
		if first {
			first = false
			return fmt.Errorf("telegram: send: %w", &RetryAfterError{After: 10 * time.Second, Err: errors.New("429 too many requests")})
		}
		return nil
	}}
	d := &Dispatcher{Outbox: ob, Chats: map[string]Chat{"test": chat}, Now: clock.Now}

	steps := []struct {
		advance   time.Duration
		wantSent  int
		wantCalls int
	}{
		{0, 0, 1},
		{5 * time.Second, 0, 1}, // not claimed before its time
		{4 * time.Second, 0, 1},
		{time.Second, 1, 2},
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		sent, err := d.DispatchOnce(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if sent != s.wantSent || chat.callCount() != s.wantCalls {
			t.Errorf("step %d: sent %d after %d calls, want %d after %d", i, sent, chat.callCount(), s.wantSent, s.wantCalls)
		}
	}
	// A throttle is handed back, not counted as a failed attempt.
	if fails := ob.failureCalls(); len(fails) != 0 {
		t.Errorf("MarkFailed calls = %+v, want none", fails)
	}
	if n := ob.releaseCount(); n != 1 {
		t.Errorf("%d releases, want 1", n)
	}
	if got := ob.msg(id); got.state != "sent" || got.attempts != 1 {
		t.Errorf("message is %s after %d attempts, want sent after 1", got.state, got.attempts)
	}
	if got := chat.got[0].Attempt; got != 1 {
		t.Errorf("delivered with Attempt %d, want 1", got)
	}
}

func TestDispatchFailureKinds(t *testing.T) {
	tests := []struct {
		name          string
		err           error
		wantRetry     time.Duration
		wantPermanent bool
		wantReason    string
	}{
		{"Transient", errors.New("connection reset"), 0, false, "connection reset"},
		{"RetryAfter", &RetryAfterError{After: 3 * time.Second}, 3 * time.Second, false, "bot: rate limited, retry after 3s"},
		{"WrappedRetryAfter", fmt.Errorf("slack: %w", &RetryAfterError{After: time.Minute, Err: errors.New("ratelimited")}), time.Minute, false, "slack: bot: rate limited, retry after 1m0s: ratelimited"},
		{"Permanent", fmt.Errorf("telegram: chat not found: %w", ErrPermanent), 0, true, "telegram: chat not found: bot: permanent delivery failure"},
		{"LongReasonShortened", errors.New(strings.Repeat("가", 300)), 0, false, strings.Repeat("가", 65) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newDispClock()
			ob := newDispOutbox(clock)
			ob.add(ChatRef{"test", "A"}, KindDeposit, "x")
			chat := &dispChat{send: func(context.Context, Message) error { return tt.err }}
			d := &Dispatcher{Outbox: ob, Chats: map[string]Chat{"test": chat}, Now: clock.Now}
			if _, err := d.DispatchOnce(t.Context()); err != nil {
				t.Fatal(err)
			}
			got := ob.failureCalls()
			want := []dispFailure{{ID: 1, RetryAfter: tt.wantRetry, Reason: tt.wantReason, Permanent: tt.wantPermanent}}
			if tt.wantRetry > 0 {
				// A throttle is handed back through Release instead.
				want = nil
				if n := ob.releaseCount(); n != 1 {
					t.Errorf("%d releases, want 1", n)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("MarkFailed calls = %+v, want %+v", got, want)
			}
		})
	}
}

func TestDispatchBoundedRetries(t *testing.T) {
	clock := newDispClock()
	ob := newDispOutbox(clock)
	id := ob.add(ChatRef{"test", "A"}, KindDeposit, "x")
	next := ob.add(ChatRef{"test", "A"}, KindDeposit, "y")
	fail := true
	chat := &dispChat{send: func(_ context.Context, m Message) error {
		if m.ID == id && fail {
			return errors.New("boom")
		}
		return nil
	}}
	var dead deadRecorder
	d := &Dispatcher{Outbox: ob, Chats: map[string]Chat{"test": chat}, Now: clock.Now, OnDead: dead.OnDead}
	for range 6 {
		if _, err := d.DispatchOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
		clock.Advance(ob.Backoff)
	}
	if got := chat.callCount(); got != 4 { // three attempts, then the next message
		t.Errorf("Send called %d times, want 4", got)
	}
	ids, reasons := dead.calls()
	if !slices.Equal(ids, []uint64{id}) || !slices.Equal(reasons, []string{"boom"}) {
		t.Errorf("OnDead calls = %v %q, want [%d] [boom]", ids, reasons, id)
	}
	if got := ob.msg(id); got.state != "dead" || got.attempts != 3 {
		t.Errorf("message is %s after %d attempts, want dead after 3", got.state, got.attempts)
	}
	if got := ob.msg(next); got.state != "sent" {
		t.Errorf("next message of the chat is %s, want sent", got.state)
	}
}

func TestDispatchPermanent(t *testing.T) {
	tests := []struct {
		name       string
		platform   string
		kind       string
		wantDead   []uint64
		wantReason string
	}{
		{"ChatGone", "test", KindDeposit, []uint64{1}, "gone: bot: permanent delivery failure"},
		{"UnknownPlatform", "irc", KindDeposit, []uint64{1}, `bot: no chat for platform "irc": bot: permanent delivery failure`},
		{"DeadLetterNotReported", "test", KindDeadLetter, nil, "gone: bot: permanent delivery failure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newDispClock()
			ob := newDispOutbox(clock)
			ob.add(ChatRef{tt.platform, "A"}, tt.kind, "x")
			chat := &dispChat{send: func(context.Context, Message) error { return fmt.Errorf("gone: %w", ErrPermanent) }}
			var dead deadRecorder
			d := &Dispatcher{Outbox: ob, Chats: map[string]Chat{"test": chat}, Now: clock.Now, OnDead: dead.OnDead}
			sent, err := d.DispatchOnce(t.Context())
			if sent != 0 || err != nil {
				t.Fatalf("DispatchOnce = %d, %v; want 0, nil", sent, err)
			}
			m := ob.msg(1)
			if m.state != "dead" || m.attempts != 1 || m.reason != tt.wantReason {
				t.Errorf("message is %s after %d attempts (%q), want dead after 1 (%q)", m.state, m.attempts, m.reason, tt.wantReason)
			}
			ids, _ := dead.calls()
			if !slices.Equal(ids, tt.wantDead) {
				t.Errorf("OnDead for %v, want %v", ids, tt.wantDead)
			}
		})
	}
}

// TestDispatchParksChat: after a permanent failure a chat is left alone
// for a while, longer after each permanent failure in a row; its messages
// are handed back unsent meanwhile, other chats are served, and a delivery
// ends the park.
func TestDispatchParksChat(t *testing.T) {
	clock := newDispClock()
	ob := newDispOutbox(clock)
	gone, fine := ChatRef{"test", "gone"}, ChatRef{"test", "fine"}
	for range 5 {
		ob.add(gone, KindDeposit, "x")
	}
	var reachable atomic.Bool
	var toGone atomic.Int32
	chat := &dispChat{send: func(_ context.Context, m Message) error {
		if m.Chat != gone {
			return nil
		}
		toGone.Add(1)
		if !reachable.Load() {
			return fmt.Errorf("chat not found: %w", ErrPermanent)
		}
		return nil
	}}
	d := &Dispatcher{Outbox: ob, Chats: map[string]Chat{"test": chat}, Now: clock.Now, Park: time.Minute}
	steps := []struct {
		name      string
		advance   time.Duration
		reachable bool
		addFine   bool
		wantGone  int // Sends to the gone chat so far
		wantSent  int // this round
	}{
		{"FirstFailureParks", 0, false, false, 1, 0},
		{"ParkedChatNotTried", 0, false, true, 1, 1},
		{"StillParked", 59 * time.Second, false, false, 1, 0},
		{"ParkOverFailsAgain", time.Second, false, false, 2, 0},
		{"ParkDoubled", time.Minute, false, false, 2, 0},
		{"DoubledParkOver", time.Minute, false, false, 3, 0},
		{"ParkedFourMinutes", 3 * time.Minute, false, false, 3, 0},
		{"BackAndDelivered", time.Minute, true, false, 4, 1},
		{"NextAtOnce", 0, true, false, 5, 1},
	}
	for _, s := range steps {
		clock.Advance(s.advance)
		reachable.Store(s.reachable)
		if s.addFine {
			ob.add(fine, KindDeposit, "y")
		}
		sent, err := d.DispatchOnce(t.Context())
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := int(toGone.Load()); got != s.wantGone || sent != s.wantSent {
			t.Fatalf("%s: %d sends to the gone chat, %d sent; want %d, %d", s.name, got, sent, s.wantGone, s.wantSent)
		}
	}
	// The released messages were never counted as attempts.
	for id := uint64(1); id <= 5; id++ {
		if m := ob.msg(id); m.attempts > 1 {
			t.Errorf("message %d: %d attempts, want at most 1", id, m.attempts)
		}
	}
	if ob.releaseCount() == 0 {
		t.Error("nothing released")
	}
}

// noRelease hides the dispOutbox's Release.
type noRelease struct{ Outbox }

// TestDispatchParksWithoutReleaser: with an Outbox that cannot release, a
// parked chat's message is marked failed, not permanently, to come back
// when the park ends.
func TestDispatchParksWithoutReleaser(t *testing.T) {
	clock := newDispClock()
	ob := newDispOutbox(clock)
	ob.add(ChatRef{"test", "A"}, KindDeposit, "x")
	ob.add(ChatRef{"test", "A"}, KindDeposit, "y")
	chat := &dispChat{send: func(context.Context, Message) error { return fmt.Errorf("gone: %w", ErrPermanent) }}
	d := &Dispatcher{Outbox: noRelease{ob}, Chats: map[string]Chat{"test": chat}, Now: clock.Now, Park: time.Minute}
	for range 2 {
		if _, err := d.DispatchOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
		clock.Advance(20 * time.Second)
	}
	want := []dispFailure{
		{ID: 1, Reason: "gone: bot: permanent delivery failure", Permanent: true},
		{ID: 2, RetryAfter: 40 * time.Second, Reason: "chat parked after a permanent failure"},
	}
	if got := ob.failureCalls(); !slices.Equal(got, want) {
		t.Errorf("MarkFailed calls = %+v, want %+v", got, want)
	}
	if got := chat.callCount(); got != 1 {
		t.Errorf("Send called %d times, want 1", got)
	}
}

// TestDispatchCancelMidSend: a shutdown while a message is being sent lets
// the send finish and records it, so the platform never posts a message
// moimbot did not record (and would post again after the restart); a
// message not yet started stays pending.
func TestDispatchCancelMidSend(t *testing.T) {
	clock := newDispClock()
	ob := newDispOutbox(clock)
	id := ob.add(ChatRef{"test", "A"}, KindDeposit, "x")
	started := make(chan struct{})
	cancelled := make(chan struct{})
	chat := &dispChat{send: func(ctx context.Context, m Message) error {
		close(started)
		<-cancelled
		// The platform answers after the shutdown began; the send's own
		// context is still live.
		return ctx.Err()
	}}
	d := &Dispatcher{Outbox: ob, Chats: map[string]Chat{"test": chat}, Now: clock.Now}

	ctx, cancel := context.WithCancel(t.Context())
	type result struct {
		sent int
		err  error
	}
	done := make(chan result)
	go func() {
		sent, err := d.DispatchOnce(ctx)
		done <- result{sent, err}
	}()
	<-started
	cancel()
	close(cancelled)
	if r := <-done; r.sent != 1 || r.err != nil {
		t.Errorf("DispatchOnce = %d, %v; want 1, nil", r.sent, r.err)
	}
	if fails := ob.failureCalls(); len(fails) != 0 {
		t.Errorf("MarkFailed called: %+v", fails)
	}
	if m := ob.msg(id); m.state != "sent" {
		t.Errorf("message is %s, want sent", m.state)
	}
	// After the shutdown began, nothing new is started.
	other := ob.add(ChatRef{"test", "B"}, KindDeposit, "y")
	if sent, _ := d.DispatchOnce(ctx); sent != 0 {
		t.Errorf("DispatchOnce after cancel sent %d, want 0", sent)
	}
	if m := ob.msg(other); m.state != "pending" {
		t.Errorf("a message queued after the shutdown is %s, want pending", m.state)
	}
}

func TestDispatchAcceptedDespiteCancel(t *testing.T) {
	// The chat took the message and the context was cancelled meanwhile: it
	// is marked sent, not sent again.
	clock := newDispClock()
	ob := newDispOutbox(clock)
	ob.add(ChatRef{"test", "A"}, KindDeposit, "x")
	ctx, cancel := context.WithCancel(t.Context())
	chat := &dispChat{send: func(context.Context, Message) error { cancel(); return nil }}
	d := &Dispatcher{Outbox: ob, Chats: map[string]Chat{"test": chat}, Now: clock.Now}
	if sent, err := d.DispatchOnce(ctx); sent != 1 || err != nil {
		t.Errorf("DispatchOnce = %d, %v; want 1, nil", sent, err)
	}
	if m := ob.msg(1); m.state != "sent" {
		t.Errorf("message is %s, want sent", m.state)
	}
}

func TestDispatchSendTimeout(t *testing.T) {
	clock := newDispClock()
	ob := newDispOutbox(clock)
	ob.add(ChatRef{"test", "A"}, KindDeposit, "x")
	chat := &dispChat{send: func(ctx context.Context, m Message) error {
		<-ctx.Done()
		return ctx.Err()
	}}
	d := &Dispatcher{Outbox: ob, Chats: map[string]Chat{"test": chat}, Now: clock.Now, SendTimeout: time.Millisecond}
	if sent, err := d.DispatchOnce(t.Context()); sent != 0 || err != nil {
		t.Errorf("DispatchOnce = %d, %v; want 0, nil", sent, err)
	}
	want := []dispFailure{{ID: 1, Reason: context.DeadlineExceeded.Error()}}
	if got := ob.failureCalls(); !slices.Equal(got, want) {
		t.Errorf("MarkFailed calls = %+v, want %+v", got, want)
	}
}

func TestDispatchOutboxErrors(t *testing.T) {
	errDB := errors.New("database closed")
	t.Run("Claim", func(t *testing.T) {
		clock := newDispClock()
		ob := newDispOutbox(clock)
		ob.claimErrs = []error{errDB}
		d := &Dispatcher{Outbox: ob, Now: clock.Now}
		sent, err := d.DispatchOnce(t.Context())
		if sent != 0 || !errors.Is(err, errDB) || !strings.HasPrefix(err.Error(), "bot: claim: ") {
			t.Errorf("DispatchOnce = %d, %v; want 0 and the claim error", sent, err)
		}
	})
	t.Run("MarkSent", func(t *testing.T) {
		clock := newDispClock()
		ob := newDispOutbox(clock)
		ob.add(ChatRef{"test", "A"}, KindDeposit, "x")
		ob.markSentErr = errDB
		var onSent atomic.Int32
		d := &Dispatcher{Outbox: ob, Chats: map[string]Chat{"test": &dispChat{}}, Now: clock.Now,
			OnSent: func(Message) { onSent.Add(1) }}
		sent, err := d.DispatchOnce(t.Context())
		if sent != 0 || !errors.Is(err, errDB) {
			t.Errorf("DispatchOnce = %d, %v; want 0 and the outbox error", sent, err)
		}
		if onSent.Load() != 0 {
			t.Error("OnSent called although MarkSent failed")
		}
	})
}

func TestDispatchRun(t *testing.T) {
	t.Run("ReturnsNilWhenCancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		d := &Dispatcher{Outbox: newDispOutbox(newDispClock())}
		if err := d.Run(ctx); err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	})

	t.Run("NextRoundAtOnceAfterSending", func(t *testing.T) {
		clock := newDispClock()
		ob := newDispOutbox(clock)
		for _, text := range []string{"1", "2", "3"} {
			ob.add(ChatRef{"test", "A"}, KindDeposit, text)
		}
		sentCh := make(chan Message, 3)
		d := &Dispatcher{Outbox: ob, Chats: map[string]Chat{"test": &dispChat{}}, Now: clock.Now,
			Idle: time.Hour, OnSent: func(m Message) { sentCh <- m }}
		got := runUntil(t, d, sentCh)
		if want := []string{"1", "2", "3"}; !slices.Equal(got, want) {
			t.Errorf("sent %v, want %v", got, want)
		}
	})

	t.Run("Wake", func(t *testing.T) {
		clock := newDispClock()
		ob := newDispOutbox(clock)
		ob.claimed = make(chan int, 10)
		sentCh := make(chan Message, 1)
		d := &Dispatcher{Outbox: ob, Chats: map[string]Chat{"test": &dispChat{}}, Now: clock.Now,
			Idle: time.Hour, OnSent: func(m Message) { sentCh <- m }}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- d.Run(ctx) }()
		if n := <-ob.claimed; n != 0 { // the first round found nothing; Run now idles for an hour
			t.Fatalf("first round claimed %d", n)
		}
		ob.add(ChatRef{"test", "A"}, KindReview, "woken")
		d.Wake()
		select {
		case m := <-sentCh:
			if m.Text != "woken" {
				t.Errorf("sent %q", m.Text)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Wake did not start a round")
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	})

	t.Run("WaitsAfterRoundWithoutProgress", func(t *testing.T) {
		// A message that fails and is due again at once (an outbox
		// without backoff) must not make Run spin: a round that
		// delivered nothing waits Idle.
		clock := newDispClock()
		ob := newDispOutbox(clock)
		ob.Backoff, ob.MaxAttempts = 0, 1<<30
		ob.add(ChatRef{"test", "A"}, KindDeposit, "x")
		chat := &dispChat{send: func(context.Context, Message) error { return errors.New("connection reset") }}
		const idle, run = 20 * time.Millisecond, 300 * time.Millisecond
		d := &Dispatcher{Outbox: ob, Chats: map[string]Chat{"test": chat}, Now: clock.Now, Idle: idle}
		ctx, cancel := context.WithTimeout(t.Context(), run)
		defer cancel()
		if err := d.Run(ctx); err != nil {
			t.Fatal(err)
		}
		// About run/idle = 15 rounds; without the wait, thousands.
		if got, most := chat.callCount(), int(run/idle)*3; got > most {
			t.Errorf("%d attempts in %v with Idle %v, want at most %d", got, run, idle, most)
		}
	})

	t.Run("WakeNeverBlocks", func(t *testing.T) {
		var d Dispatcher
		for range 5 {
			d.Wake()
		}
	})

	t.Run("BacksOffWhenClaimFails", func(t *testing.T) {
		clock := newDispClock()
		ob := newDispOutbox(clock)
		ob.claimErrs = []error{errors.New("db"), errors.New("db"), errors.New("db")}
		ob.add(ChatRef{"test", "A"}, KindDeposit, "after failures")
		sentCh := make(chan Message, 1)
		d := &Dispatcher{Outbox: ob, Chats: map[string]Chat{"test": &dispChat{}}, Now: clock.Now,
			Idle: time.Millisecond, OnSent: func(m Message) { sentCh <- m }}
		got := runUntil(t, d, sentCh)
		if want := []string{"after failures"}; !slices.Equal(got, want) {
			t.Errorf("sent %v, want %v", got, want)
		}
	})
}

// runUntil runs d until it has sent cap(sentCh) messages (its OnSent
// reports them on sentCh), then stops it and returns the texts sent.
func runUntil(t *testing.T, d *Dispatcher, sentCh chan Message) []string {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	var got []string
	go func() { done <- d.Run(ctx) }()
	for {
		select {
		case m := <-sentCh:
			got = append(got, m.Text)
			if len(got) == cap(sentCh) {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("Run = %v, want nil", err)
				}
				return got
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("only %v sent", got)
		}
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		base time.Duration
		n    int
		want time.Duration
	}{
		{time.Second, 1, time.Second},
		{time.Second, 2, 2 * time.Second},
		{time.Second, 5, 16 * time.Second},
		{time.Second, 6, 30 * time.Second},
		{time.Second, 1000, 30 * time.Second},
		{time.Millisecond, 3, 4 * time.Millisecond},
		{time.Minute, 1, 30 * time.Second},
	}
	for _, tt := range tests {
		if got := backoff(tt.base, tt.n); got != tt.want {
			t.Errorf("backoff(%v, %d) = %v, want %v", tt.base, tt.n, got, tt.want)
		}
	}
}
