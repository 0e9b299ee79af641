package bot

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

type queued struct {
	chat string
	n    int
}

// TestChatQueueOrder: events of one chat are handled in the order added
// and never two at once; all are handled before Close returns.
func TestChatQueueOrder(t *testing.T) {
	var mu sync.Mutex
	got := map[string][]int{}
	running := map[string]bool{}
	q := NewChatQueue(context.Background(), 4, func(e queued) string { return e.chat }, func(_ context.Context, e queued) {
		mu.Lock()
		if running[e.chat] {
			t.Errorf("two events of %s at once", e.chat)
		}
		running[e.chat] = true
		mu.Unlock()
		runtime.Gosched() // let an overlapping call of the chat show itself
		mu.Lock()
		got[e.chat] = append(got[e.chat], e.n)
		running[e.chat] = false
		mu.Unlock()
	})
	for i := range 50 {
		for _, c := range []string{"a", "b", "c"} {
			if !q.Add(context.Background(), queued{c, i}) {
				t.Fatalf("event %d of %s not queued", i, c)
			}
		}
	}
	if dropped := q.Close(); dropped != 0 {
		t.Errorf("dropped %d, want 0", dropped)
	}
	for _, c := range []string{"a", "b", "c"} {
		if want := seq(50); !slices.Equal(got[c], want) {
			t.Errorf("chat %s: handled %v, want %v", c, got[c], want)
		}
	}
	if q.Add(context.Background(), queued{"a", 99}) {
		t.Error("a closed queue took an event")
	}
}

// TestChatQueueDrainsAtStop: once the queue's context ended, Add refuses
// new events, and Close lets the queued ones be handled, in order, with a
// context that has not ended, before it returns.
func TestChatQueueDrainsAtStop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	var handled []string
	q := NewChatQueue(ctx, 8, func(e queued) string { return e.chat }, func(hctx context.Context, e queued) {
		if e.n == 0 {
			started <- struct{}{}
			<-release
		}
		if err := hctx.Err(); err != nil {
			t.Errorf("event %d handled with an ended context: %v", e.n, err)
		}
		handled = append(handled, fmt.Sprint(e.n))
	})
	for i := range 3 {
		q.Add(context.Background(), queued{"a", i})
	}
	<-started // the first is being handled; two wait
	cancel()
	if q.Add(context.Background(), queued{"a", 9}) {
		t.Error("Add after the context ended queued an event")
	}
	close(release)
	if got := q.Close(); got != 0 {
		t.Errorf("dropped %d, want 0", got)
	}
	if want := []string{"0", "1", "2"}; !slices.Equal(handled, want) {
		t.Errorf("handled %v, want %v", handled, want)
	}
}

// TestChatQueueGraceEnds: a handler still running when the grace is over
// sees its context end, and the events behind it are dropped and counted.
func TestChatQueueGraceEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{}, 1)
	var handled []string
	var ended error
	q := NewChatQueue(ctx, 8, func(e queued) string { return e.chat }, func(hctx context.Context, e queued) {
		started <- struct{}{}
		<-hctx.Done() // stuck until Close gives up
		ended = hctx.Err()
		handled = append(handled, fmt.Sprint(e.n))
	})
	for i := range 3 {
		q.Add(context.Background(), queued{"a", i})
	}
	<-started
	cancel()
	if got, want := q.CloseWithin(time.Millisecond), 2; got != want {
		t.Errorf("dropped %d, want %d", got, want)
	}
	if want := []string{"0"}; !slices.Equal(handled, want) {
		t.Errorf("handled %v, want %v", handled, want)
	}
	if !errors.Is(ended, context.Canceled) {
		t.Errorf("the stuck handler's context ended with %v, want context.Canceled", ended)
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}
