package store

import (
	"fmt"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// groupCommit commits the writes of concurrent callers together, in one
// bbolt transaction and one fsync: the writes that arrive while a commit
// is under way wait for it, and then one of them leads the next group.
// When the last group had company, the leader waits gatherDelay for more
// before it commits; a lone write commits at once. Each commit costs a
// millisecond or more of CPU whatever its size (two fsyncs, the freelist,
// the pages near the root of every bucket it touches): in the scale
// benchmark's cycle of 10,000 polls, groups of about 50 instead of 8 took
// a quarter off the CPU of each poll.
// bbolt's own Batch gathers for a fixed delay too, but then queues each
// gathered group for the writer, so under load it commits many small
// groups one after the other.
//
// A write may run more than once: when another write of its group fails,
// the group is rolled back, the failed write is run alone (by its own
// caller, so that a panic surfaces there), and the rest are committed again
// without it.
type groupCommit struct {
	mu      sync.Mutex
	queue   []*commitCall
	leading bool // a caller is committing a group
	last    int  // how many writes the last group had
}

// gatherDelay is how long the leader of a group waits for more writes when
// the last group had more than one (bbolt's Batch waits as long).
const gatherDelay = 10 * time.Millisecond

// maxGroup is the most writes one group commits (bbolt's Batch's bound);
// the rest wait for the next.
const maxGroup = 1000

// commitCall is one caller's write waiting in a groupCommit.
type commitCall struct {
	fn  func(*bolt.Tx) error
	err error
	// wake says what became of the call: done (err is its result), to be
	// run alone, or to lead the next group.
	wake chan commitWake
}

type commitWake uint8

const (
	wakeDone commitWake = iota
	wakeSolo
	wakeLead
)

// update runs fn in a write transaction of db, committed with the writes
// of concurrent callers (see groupCommit).
func (g *groupCommit) update(db *bolt.DB, fn func(*bolt.Tx) error) error {
	c := &commitCall{fn: fn, wake: make(chan commitWake, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, c)
	if g.leading {
		g.mu.Unlock()
		if w := <-c.wake; w != wakeLead {
			return c.result(db, w)
		}
		g.mu.Lock()
	}
	g.leading = true
	gather := g.last > 1
	g.mu.Unlock()
	if gather {
		time.Sleep(gatherDelay) // writes queue meanwhile
	}
	g.mu.Lock()
	n := min(len(g.queue), maxGroup)
	calls := slices.Clone(g.queue[:n])
	g.queue = slices.Delete(g.queue, 0, n)
	g.last = len(calls)
	g.mu.Unlock()

	commitCalls(db, calls)

	// Hand the lead to the first caller that came meanwhile.
	g.mu.Lock()
	if len(g.queue) > 0 {
		g.queue[0].wake <- wakeLead
	} else {
		g.leading = false
	}
	g.mu.Unlock()
	return c.result(db, <-c.wake)
}

// result is the outcome of a call woken with w.
func (c *commitCall) result(db *bolt.DB, w commitWake) error {
	if w == wakeSolo {
		return db.Update(c.fn)
	}
	return c.err
}

// commitCalls commits calls in one transaction and wakes each with its
// outcome; a call that fails is taken out, woken to run alone, and the
// others are committed again.
func commitCalls(db *bolt.DB, calls []*commitCall) {
	for len(calls) > 0 {
		failed := -1
		err := db.Update(func(tx *bolt.Tx) error {
			for i, c := range calls {
				if err := callSafely(c.fn, tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			c := calls[failed]
			calls = slices.Delete(calls, failed, failed+1)
			c.wake <- wakeSolo
			continue
		}
		// Success, or an error of the commit itself, is everyone's.
		for _, c := range calls {
			c.err = err
			c.wake <- wakeDone
		}
		return
	}
}

// callSafely runs fn, turning a panic into an error: the call is then run
// alone by its caller, where the panic happens again.
func callSafely(fn func(*bolt.Tx) error, tx *bolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in a grouped write: %v", p)
		}
	}()
	return fn(tx)
}
