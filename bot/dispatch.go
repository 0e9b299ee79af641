package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Outbox is the queue of messages the Dispatcher drains. The store
// implements it through a small adapter in cmd.
type Outbox interface {
	// Claim marks due messages as being sent and returns them, at most
	// limit. Only each chat's oldest open message is ever returned, so a
	// chat's messages go out in order. A claimed message that is neither
	// marked sent nor failed is claimed again once its lease runs out.
	Claim(ctx context.Context, now time.Time, limit int) ([]Message, error)
	// MarkSent records that message id was delivered.
	MarkSent(ctx context.Context, id uint64) error
	// MarkFailed records a failed attempt to deliver message id: retry after
	// retryAfter (0: the outbox's own backoff), or never again when
	// permanent. dead reports that the message will not be retried (it was
	// permanent, or its attempts are used up).
	MarkFailed(ctx context.Context, id uint64, retryAfter time.Duration, reason string, permanent bool) (dead bool, err error)
}

// Releaser is an Outbox that can hand a claimed message back without
// attempting it. The Dispatcher releases the messages of a chat it has
// parked after a permanent failure, so that they wait for the park to end
// without an attempt counted against them. With an Outbox that is not a
// Releaser, such a message is marked failed (not permanently) with the park
// as its retry delay instead.
type Releaser interface {
	// Release makes claimed message id pending again, due at notBefore,
	// and no longer counts its claim as an attempt.
	Release(ctx context.Context, id uint64, notBefore time.Time) error
}

// Dispatcher defaults.
const (
	defaultBatch       = 100
	defaultParallel    = 8
	defaultIdle        = time.Second
	defaultSendTimeout = 30 * time.Second
	defaultPark        = time.Minute
	maxPark            = time.Hour
	maxBackoff         = 30 * time.Second
	// bookkeepingTimeout bounds MarkSent, MarkFailed and Release, which
	// run even when the dispatcher's context is cancelled.
	bookkeepingTimeout = 10 * time.Second
)

// Dispatcher delivers the outbox's messages to the chats. Set its fields
// before the first call and do not change them after; a Dispatcher must not
// be copied after first use. Run one Run (or DispatchOnce) at a time:
// concurrent rounds would not deliver a message twice, since Claim hands
// each message out once, but each would have its own Parallel budget. Wake
// may be called from any goroutine at any time, before Run too.
//
// Delivery is at least once: a message is marked sent after its Chat
// accepted it, so a crash in between delivers it again.
type Dispatcher struct {
	// Outbox is the queue to drain.
	Outbox Outbox
	// Chats deliver messages, by ChatRef.Platform. A message whose
	// platform has no Chat fails permanently.
	Chats map[string]Chat
	// Now is the clock passed to Claim; nil means time.Now.
	Now func() time.Time
	// Log receives delivery failures (warn), dead messages (error) and
	// claim failures; nil discards. Message texts are never logged.
	Log *slog.Logger
	// Batch is the number of messages claimed per round; 0 means 100.
	Batch int
	// Parallel is the number of chats delivered to concurrently; 0 means 8.
	Parallel int
	// Idle is how long Run waits between rounds when nothing was due
	// (unless woken), and the first step of its backoff when Claim fails;
	// 0 means 1s.
	Idle time.Duration
	// SendTimeout bounds each Send; 0 means 30s. A Send that times out is a
	// transient failure.
	SendTimeout time.Duration
	// Park is how long a chat is left alone after a permanent failure
	// (the chat is gone, the bot was removed or blocked): its messages
	// are not sent but handed back to the outbox (see Releaser) until the
	// park ends, so a dead chat is not hammered. The park doubles with
	// each further permanent failure of the chat, up to an hour, and
	// ends with the first delivery to it. 0 means 1 minute. Parks are
	// kept in memory only.
	Park time.Duration
	// OnDead is called after a message became dead, with the failure's
	// reason, except for messages of Kind KindDeadLetter (a dead-letter
	// notice about a dead-letter notice would loop). ctx is valid only
	// during the call. It must not block for long; it may be called from
	// several goroutines at once.
	OnDead func(ctx context.Context, m Message, reason string)
	// OnSent, if set, is called after each successful MarkSent (tests and
	// metrics use it); it may be called from several goroutines at once.
	OnSent func(m Message)
	// OnFailed, if set, is called after each failed attempt the outbox
	// recorded: err is the Chat's error (a *RetryAfterError when the
	// platform throttled), and dead reports that the message will not be
	// retried. Messages of a parked chat handed back unsent are no
	// attempts and are not reported. Metrics use it; it may be called from
	// several goroutines at once.
	OnFailed func(m Message, err error, dead bool)

	wakeOnce sync.Once
	wake     chan struct{}

	parkMu sync.Mutex
	parked map[ChatRef]park
}

// park is a chat left alone after permanent failures.
type park struct {
	until time.Time
	n     int // permanent failures in a row
}

func (d *Dispatcher) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Dispatcher) log() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.New(slog.DiscardHandler)
}

func orDefault[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

func (d *Dispatcher) wakeCh() chan struct{} {
	d.wakeOnce.Do(func() { d.wake = make(chan struct{}, 1) })
	return d.wake
}

// Wake makes a waiting Run start its next round now, for a caller that has
// just enqueued a message. It never blocks; a Wake before Run, or several
// before Run gets to them, count as one.
func (d *Dispatcher) Wake() {
	select {
	case d.wakeCh() <- struct{}{}:
	default:
	}
}

// parkedUntil reports until when chat is parked, if it is now.
func (d *Dispatcher) parkedUntil(chat ChatRef, now time.Time) (time.Time, bool) {
	d.parkMu.Lock()
	defer d.parkMu.Unlock()
	p, ok := d.parked[chat]
	if !ok || !now.Before(p.until) {
		return time.Time{}, false
	}
	return p.until, true
}

// parkChat parks chat after a permanent failure, for longer each time in
// a row, and returns until when.
func (d *Dispatcher) parkChat(chat ChatRef, now time.Time) time.Time {
	d.parkMu.Lock()
	defer d.parkMu.Unlock()
	if d.parked == nil {
		d.parked = make(map[ChatRef]park)
	}
	p := d.parked[chat]
	p.n++
	wait := orDefault(d.Park, defaultPark)
	for i := 1; i < p.n && wait < maxPark; i++ {
		wait *= 2
	}
	p.until = now.Add(min(wait, maxPark))
	d.parked[chat] = p
	return p.until
}

// unpark ends chat's park: a message was delivered to it.
func (d *Dispatcher) unpark(chat ChatRef) {
	d.parkMu.Lock()
	defer d.parkMu.Unlock()
	delete(d.parked, chat)
}

// outcome is what happened to one claimed message.
type outcome int

const (
	outcomeLeft     outcome = iota // left claimed: the context was cancelled
	outcomeSent                    // delivered and marked sent
	outcomeFailed                  // the attempt failed and was recorded
	outcomeReleased                // not attempted: its chat is parked
)

// DispatchOnce runs one round: it claims up to Batch due messages, delivers
// them (different chats concurrently, up to Parallel at a time; a chat's
// messages one after another, in order) and marks each sent or failed. A
// RetryAfterError from the Chat retries after its After (the outbox's
// backoff when After is not positive); an error wrapping
// ErrPermanent, or a platform without a Chat, makes the message dead at
// once and parks its chat (see Park): the chat's messages claimed while it
// is parked are handed back to the outbox unsent. Any other error is
// retried after the outbox's backoff. It returns the number of messages
// sent and the errors of Claim, MarkSent, MarkFailed and Release, joined;
// delivery failures are recorded in the outbox, not returned.
//
// When ctx is cancelled during a Send, the message is not marked failed,
// since the failure is the dispatcher's and not the chat's: it stays claimed,
// and the outbox hands it out again when its lease runs out. A message the
// chat accepted is marked sent even if ctx was cancelled meanwhile, so it is
// not sent twice.
func (d *Dispatcher) DispatchOnce(ctx context.Context) (sent int, err error) {
	sent, _, err = d.round(ctx)
	return sent, err
}

// round is DispatchOnce, also reporting whether Claim failed.
func (d *Dispatcher) round(ctx context.Context) (sent int, claimFailed bool, err error) {
	msgs, err := d.Outbox.Claim(ctx, d.now(), orDefault(d.Batch, defaultBatch))
	if err != nil {
		return 0, true, fmt.Errorf("bot: claim: %w", err)
	}
	// Claim returns one message per chat; should it ever return more, they
	// still go out one after another, in the order given.
	var byChat [][]Message
	index := make(map[ChatRef]int)
	for _, m := range msgs {
		i, ok := index[m.Chat]
		if !ok {
			i = len(byChat)
			index[m.Chat] = i
			byChat = append(byChat, nil)
		}
		byChat[i] = append(byChat[i], m)
	}

	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, orDefault(d.Parallel, defaultParallel))
	)
	for _, chatMsgs := range byChat {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			for _, m := range chatMsgs {
				out, err := d.deliver(ctx, m)
				mu.Lock()
				if out == outcomeSent {
					sent++
				}
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
				if out != outcomeSent {
					break // keep the chat's order: its next message waits
				}
			}
		})
	}
	wg.Wait()
	return sent, false, errors.Join(errs...)
}

// deliver sends one claimed message and records the result; the message
// of a parked chat is released instead.
func (d *Dispatcher) deliver(ctx context.Context, m Message) (outcome, error) {
	log := d.log().With("message_id", m.ID, "chat", m.Chat.String(), "kind", m.Kind, "attempt", m.Attempt)
	if ctx.Err() != nil {
		return outcomeLeft, nil
	}
	if until, ok := d.parkedUntil(m.Chat, d.now()); ok {
		return d.release(ctx, m, until)
	}
	var sendErr error
	if chat := d.Chats[m.Chat.Platform]; chat == nil {
		sendErr = fmt.Errorf("bot: no chat for platform %q: %w", m.Chat.Platform, ErrPermanent)
	} else {
		// A send under way is finished even when ctx ends (a shutdown):
		// cut off, the platform might post the message without moimbot
		// learning so, and post it again after the restart. The outbox
		// stops between messages, within SendTimeout.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), orDefault(d.SendTimeout, defaultSendTimeout))
		sendErr = chat.Send(sctx, m)
		cancel()
	}

	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bookkeepingTimeout)
	defer cancel()
	if sendErr == nil {
		if err := d.Outbox.MarkSent(bctx, m.ID); err != nil {
			return outcomeLeft, fmt.Errorf("bot: mark message %d sent: %w", m.ID, err)
		}
		log.Debug("message sent")
		d.unpark(m.Chat)
		if d.OnSent != nil {
			d.OnSent(m)
		}
		return outcomeSent, nil
	}

	var retry time.Duration
	var permanent bool
	var ra *RetryAfterError
	switch {
	case errors.As(sendErr, &ra):
		retry = max(ra.After, 0)
		// A throttle is not a failure: the message waits its turn without
		// using up an attempt, when the outbox can hand it back.
		if r, ok := d.Outbox.(Releaser); ok {
			if err := r.Release(bctx, m.ID, d.now().Add(retry)); err != nil {
				return outcomeFailed, fmt.Errorf("bot: release message %d: %w", m.ID, err)
			}
			log.Debug("throttled by the platform", "retry_after", retry)
			d.failed(m, sendErr, false)
			return outcomeReleased, nil
		}
	case errors.Is(sendErr, ErrPermanent):
		permanent = true
	}
	reason := shorten(sendErr.Error(), maxReasonLen)
	if permanent {
		until := d.parkChat(m.Chat, d.now())
		log.Warn("chat parked after a permanent failure", "until", until)
	}
	dead, err := d.Outbox.MarkFailed(bctx, m.ID, retry, reason, permanent)
	if err != nil {
		return outcomeFailed, fmt.Errorf("bot: mark message %d failed: %w", m.ID, err)
	}
	d.failed(m, sendErr, dead)
	if !dead {
		log.Warn("delivery failed, will retry", "retry_after", retry, "err", reason)
		return outcomeFailed, nil
	}
	log.Error("delivery failed, message dead", "permanent", permanent, "err", reason)
	if d.OnDead != nil && m.Kind != KindDeadLetter {
		d.OnDead(bctx, m, reason)
	}
	return outcomeFailed, nil
}

// failed reports a failed attempt to OnFailed.
func (d *Dispatcher) failed(m Message, err error, dead bool) {
	if d.OnFailed != nil {
		d.OnFailed(m, err, dead)
	}
}

// release hands back a claimed message of a chat parked until until,
// unsent: through Release when the outbox is a Releaser, else as a failed
// attempt to retry when the park ends.
func (d *Dispatcher) release(ctx context.Context, m Message, until time.Time) (outcome, error) {
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bookkeepingTimeout)
	defer cancel()
	if r, ok := d.Outbox.(Releaser); ok {
		if err := r.Release(bctx, m.ID, until); err != nil {
			return outcomeReleased, fmt.Errorf("bot: release message %d: %w", m.ID, err)
		}
		return outcomeReleased, nil
	}
	wait := max(until.Sub(d.now()), time.Second)
	if _, err := d.Outbox.MarkFailed(bctx, m.ID, wait, "chat parked after a permanent failure", false); err != nil {
		return outcomeReleased, fmt.Errorf("bot: mark message %d failed: %w", m.ID, err)
	}
	return outcomeReleased, nil
}

// Run delivers messages until ctx is done, then returns nil. After a round
// that delivered something it starts the next one at once; after a round
// that delivered nothing (nothing was due, or every attempt failed) it
// waits Idle, or less when woken (see Wake), so failing chats are never
// retried in a tight loop. When Claim, MarkSent, MarkFailed or Release
// fail it logs and backs off: Idle, doubling up to 30s while the failures
// go on.
func (d *Dispatcher) Run(ctx context.Context) error {
	log := d.log()
	idle := orDefault(d.Idle, defaultIdle)
	wake := d.wakeCh()
	failures := 0
	for {
		if ctx.Err() != nil {
			return nil
		}
		sent, claimFailed, err := d.round(ctx)
		wait, woken := idle, wake
		switch {
		case err != nil:
			failures++
			wait, woken = backoff(idle, failures), nil
			if claimFailed {
				log.Warn("outbox claim failed", "err", err, "failures", failures, "retry_in", wait)
			} else {
				log.Error("outbox update failed", "err", err, "failures", failures, "retry_in", wait)
			}
		case sent > 0:
			// More may be due (a chat's next message): go on at once.
			failures = 0
			continue
		default:
			failures = 0
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-woken:
			t.Stop()
		case <-t.C:
		}
	}
}

// backoff returns the wait after n failures in a row: base doubled n-1
// times, at most maxBackoff.
func backoff(base time.Duration, n int) time.Duration {
	wait := base
	for i := 1; i < n && wait < maxBackoff; i++ {
		wait *= 2
	}
	return min(wait, maxBackoff)
}
