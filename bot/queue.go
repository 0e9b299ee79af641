package bot

import (
	"context"
	"sync"
)

// ChatQueue hands a chat adapter's incoming events to a handler: one
// goroutine per chat with events pending, so that one chat's events are
// handled in order and one at a time, and different chats' in parallel.
// At most a fixed number of events wait at once; Add blocks beyond that.
// A queue lives for one run of its adapter: once its context has ended,
// pending events are dropped instead of handled, and Close waits for the
// chats' goroutines.
type ChatQueue[T any] struct {
	ctx    context.Context // the handler's context
	key    func(T) string
	handle func(context.Context, T)
	slots  chan struct{} // one per pending event

	mu      sync.Mutex
	chats   map[string]*[]T // pending events of chats with a goroutine
	closed  bool
	dropped int
	wg      sync.WaitGroup
}

// NewChatQueue returns a queue that calls handle with ctx for each event,
// in the order added per key (the event's chat), with at most maxPending
// events waiting.
func NewChatQueue[T any](ctx context.Context, maxPending int, key func(T) string, handle func(context.Context, T)) *ChatQueue[T] {
	return &ChatQueue[T]{ctx: ctx, key: key, handle: handle, slots: make(chan struct{}, max(maxPending, 1)), chats: map[string]*[]T{}}
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

// drain handles the chat's events one by one until none is left. Once the
// queue's context has ended it drops them instead.
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
		stopped := q.ctx.Err() != nil
		if stopped {
			q.dropped++
		}
		q.mu.Unlock()
		if !stopped {
			q.handle(q.ctx, ev)
		}
		<-q.slots
	}
}

// Close stops accepting events, waits for the chats' goroutines and
// returns how many events were dropped. The queue's context must have
// ended, or the pending events must be few: Close waits for them.
func (q *ChatQueue[T]) Close() (dropped int) {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.wg.Wait()
	return q.dropped
}
