package bot

import (
	"context"
	"sync"
	"time"
)

// DrainGrace is how long Close lets the events a stopping queue still
// holds be handled before it drops the rest: a command received just
// before SIGTERM is answered (its reply queued in the store's outbox)
// rather than lost. When it runs out, the handlers' context ends; a
// handler that heeds its context (as the store's calls and HTTP requests
// do) then returns, so a stuck one holds the shutdown about this long.
const DrainGrace = 5 * time.Second

// ChatQueue hands a chat adapter's incoming events to a handler: one
// goroutine per chat with events pending, so that one chat's events are
// handled in order and one at a time, and different chats' in parallel.
// At most a fixed number of events wait at once; Add blocks beyond that.
// A queue lives for one run of its adapter: once its context has ended,
// Add refuses new events, and Close lets the ones already queued be
// handled for up to DrainGrace, then drops the rest.
//
// The handler's context is not the queue's: it ends when Close gives up
// on the remaining events, so that a handler running when the adapter is
// told to stop finishes its work (a store write, a queued reply) instead
// of failing half-way.
type ChatQueue[T any] struct {
	ctx    context.Context // the run's: Add refuses events once it ended
	hctx   context.Context // the handler's: ends when Close gives up
	hstop  context.CancelFunc
	key    func(T) string
	handle func(context.Context, T)
	slots  chan struct{} // one per pending event

	mu      sync.Mutex
	chats   map[string]*[]T // pending events of chats with a goroutine
	closed  bool
	dropped int
	wg      sync.WaitGroup
}

// NewChatQueue returns a queue that calls handle for each event, in the
// order added per key (the event's chat), with at most maxPending events
// waiting. handle's context carries ctx's values but not its end (see
// ChatQueue).
func NewChatQueue[T any](ctx context.Context, maxPending int, key func(T) string, handle func(context.Context, T)) *ChatQueue[T] {
	hctx, hstop := context.WithCancel(context.WithoutCancel(ctx))
	return &ChatQueue[T]{ctx: ctx, hctx: hctx, hstop: hstop, key: key, handle: handle,
		slots: make(chan struct{}, max(maxPending, 1)), chats: map[string]*[]T{}}
}

// Add queues ev for its chat, waiting while the queue is full. It reports
// false if ev was not queued: ctx (the caller's) or the queue's context
// ended, or the queue is closed.
func (q *ChatQueue[T]) Add(ctx context.Context, ev T) bool {
	if q.ctx.Err() != nil {
		return false // a free slot must not win the select below
	}
	select {
	case q.slots <- struct{}{}:
	case <-ctx.Done():
		return false
	case <-q.ctx.Done():
		return false
	}
	key := q.key(ev)
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		<-q.slots
		return false
	}
	pending := q.chats[key]
	if pending == nil {
		pending = new([]T)
		q.chats[key] = pending
		q.wg.Add(1)
		go q.drain(key, pending)
	}
	*pending = append(*pending, ev)
	return true
}

// drain handles the chat's events one by one until none is left. Once
// Close has given up on them it drops them instead.
func (q *ChatQueue[T]) drain(key string, pending *[]T) {
	defer q.wg.Done()
	var zero T
	for {
		q.mu.Lock()
		if len(*pending) == 0 {
			delete(q.chats, key)
			q.mu.Unlock()
			return
		}
		ev := (*pending)[0]
		(*pending)[0] = zero
		*pending = (*pending)[1:]
		stopped := q.hctx.Err() != nil
		if stopped {
			q.dropped++
		}
		q.mu.Unlock()
		if !stopped {
			q.handle(q.hctx, ev)
		}
		<-q.slots
	}
}

// Close stops accepting events, lets the queued ones be handled for up to
// DrainGrace, then ends the handlers' context, drops what is left, waits
// for the chats' goroutines and returns how many events were dropped.
func (q *ChatQueue[T]) Close() (dropped int) { return q.CloseWithin(DrainGrace) }

// CloseWithin is Close with a grace other than DrainGrace.
func (q *ChatQueue[T]) CloseWithin(grace time.Duration) (dropped int) {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	done := make(chan struct{})
	go func() {
		q.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		q.hstop()
		<-done
	}
	q.hstop()
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dropped
}
