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

// Dispatcher defaults.
const (
	defaultBatch       = 100
	defaultParallel    = 8
	defaultIdle        = time.Second
	defaultSendTimeout = 30 * time.Second
	maxBackoff         = 30 * time.Second
	// bookkeepingTimeout bounds MarkSent and MarkFailed, which run even
	// when the dispatcher's context is cancelled.
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
	// OnDead is called after a message became dead, with the failure's
	// reason, except for messages of Kind KindDeadLetter (a dead-letter
	// notice about a dead-letter notice would loop). ctx is valid only
	// during the call. It must not block for long; it may be called from
	// several goroutines at once.
	OnDead func(ctx context.Context, m Message, reason string)
	// OnSent, if set, is called after each successful MarkSent (tests and
	// metrics use it); it may be called from several goroutines at once.
	OnSent func(m Message)

	wakeOnce sync.Once
	wake     chan struct{}
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

// outcome is what happened to one claimed message.
type outcome int

const (
	outcomeLeft   outcome = iota // left claimed: the context was cancelled
	outcomeSent                  // delivered and marked sent
	outcomeFailed                // the attempt failed and was recorded
)

// DispatchOnce runs one round: it claims up to Batch due messages, delivers
// them (different chats concurrently, up to Parallel at a time; a chat's
// messages one after another, in order) and marks each sent or failed. A
// RetryAfterError from the Chat retries after its After (the outbox's
// backoff when After is not positive); an error wrapping
// ErrPermanent, or a platform without a Chat, makes the message dead at
// once; any other error is retried after the outbox's backoff. It returns
// the number of messages sent and the errors of Claim, MarkSent and
// MarkFailed, joined; delivery failures are recorded in the outbox, not
// returned.
//
// When ctx is cancelled during a Send, the message is not marked failed,
// since the failure is the dispatcher's and not the chat's: it stays claimed,
// and the outbox hands it out again when its lease runs out. A message the
// chat accepted is marked sent even if ctx was cancelled meanwhile, so it is
// not sent twice.
func (d *Dispatcher) DispatchOnce(ctx context.Context) (sent int, err error) {
	sent, _, _, err = d.round(ctx)
	return sent, err
}

// round is DispatchOnce, also returning how many attempts failed and
// whether Claim failed.
func (d *Dispatcher) round(ctx context.Context) (sent, failed int, claimFailed bool, err error) {
	msgs, err := d.Outbox.Claim(ctx, d.now(), orDefault(d.Batch, defaultBatch))
	if err != nil {
		return 0, 0, true, fmt.Errorf("bot: claim: %w", err)
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
				switch out {
				case outcomeSent:
					sent++
				case outcomeFailed:
					failed++
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
	return sent, failed, false, errors.Join(errs...)
}

// deliver sends one claimed message and records the result.
func (d *Dispatcher) deliver(ctx context.Context, m Message) (outcome, error) {
	log := d.log().With("message_id", m.ID, "chat", m.Chat.String(), "kind", m.Kind, "attempt", m.Attempt)
	if ctx.Err() != nil {
		return outcomeLeft, nil
	}
	var sendErr error
	if chat := d.Chats[m.Chat.Platform]; chat == nil {
		sendErr = fmt.Errorf("bot: no chat for platform %q: %w", m.Chat.Platform, ErrPermanent)
	} else {
		sctx, cancel := context.WithTimeout(ctx, orDefault(d.SendTimeout, defaultSendTimeout))
		sendErr = chat.Send(sctx, m)
		cancel()
		if sendErr != nil && ctx.Err() != nil {
			log.Debug("delivery interrupted, message left claimed", "err", sendErr)
			return outcomeLeft, nil
		}
	}

	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bookkeepingTimeout)
	defer cancel()
	if sendErr == nil {
		if err := d.Outbox.MarkSent(bctx, m.ID); err != nil {
			return outcomeLeft, fmt.Errorf("bot: mark message %d sent: %w", m.ID, err)
		}
		log.Debug("message sent")
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
	case errors.Is(sendErr, ErrPermanent):
		permanent = true
	}
	reason := shorten(sendErr.Error(), maxReasonLen)
	dead, err := d.Outbox.MarkFailed(bctx, m.ID, retry, reason, permanent)
	if err != nil {
		return outcomeFailed, fmt.Errorf("bot: mark message %d failed: %w", m.ID, err)
	}
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

// Run delivers messages until ctx is done, then returns nil. After a round
// that sent or failed something it starts the next one at once; after an
// idle round it waits Idle, or less when woken (see Wake). When Claim,
// MarkSent or MarkFailed fail it logs and backs off: Idle, doubling up to
// 30s while the failures go on.
func (d *Dispatcher) Run(ctx context.Context) error {
	log := d.log()
	idle := orDefault(d.Idle, defaultIdle)
	wake := d.wakeCh()
	failures := 0
	for {
		if ctx.Err() != nil {
			return nil
		}
		sent, failed, claimFailed, err := d.round(ctx)
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
		case sent+failed > 0:
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
