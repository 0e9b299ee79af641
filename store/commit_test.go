package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// openCommitDB opens a bare bbolt file with one bucket for the group commit
// tests.
func openCommitDB(t *testing.T) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "commit.db"), 0o600, &bolt.Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("b")); return err }); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestGroupCommit runs many writes at once through one groupCommit, some of
// which fail or panic: every other write is committed, each failure is its
// own write's error (and changes nothing), each panic happens in its own
// caller, and the writes shared fewer commits than there were writes.
func TestGroupCommit(t *testing.T) {
	db := openCommitDB(t)
	var g groupCommit
	// Hold the writer until every write has been handed to g, so that
	// they are grouped.
	hold, held := make(chan struct{}), make(chan struct{})
	go db.Update(func(*bolt.Tx) error { close(held); <-hold; return nil })
	<-held

	const n = 64
	errFail := errors.New("refused")
	results := make([]error, n)
	panics := make([]any, n)
	commits := make([]int, n) // the transaction each write was committed in
	var started, wg sync.WaitGroup
	started.Add(n)
	for i := range n {
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			key := fmt.Appendf(nil, "k%02d", i)
			started.Done()
			results[i] = g.update(db, func(tx *bolt.Tx) error {
				commits[i] = tx.ID()
				if err := tx.Bucket([]byte("b")).Put(key, []byte("v")); err != nil {
					return err
				}
				switch {
				case i%16 == 5:
					return errFail
				case i%16 == 9:
					panic("bad write")
				}
				return nil
			})
		})
	}
	started.Wait()
	// The first write leads and waits for the writer; the others queue.
	for queued := 0; queued < n-1; runtime.Gosched() {
		g.mu.Lock()
		queued = len(g.queue)
		g.mu.Unlock()
	}
	close(hold)
	wg.Wait()
	distinct := make(map[int]bool)
	for i, id := range commits {
		if i%16 != 5 && i%16 != 9 {
			distinct[id] = true
		}
	}
	if len(distinct) > 3 {
		t.Errorf("%d writes that succeeded were committed in %d transactions, want them grouped", n-n/8, len(distinct))
	}

	err := db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("b"))
		for i := range n {
			got := b.Get(fmt.Appendf(nil, "k%02d", i)) != nil
			want := i%16 != 5 && i%16 != 9
			if got != want {
				t.Errorf("write %d stored = %v, want %v", i, got, want)
			}
			switch {
			case i%16 == 5:
				if !errors.Is(results[i], errFail) {
					t.Errorf("write %d: error %v, want %v", i, results[i], errFail)
				}
			case i%16 == 9:
				if panics[i] != "bad write" {
					t.Errorf("write %d: panic %v in its caller, want bad write", i, panics[i])
				}
			default:
				if results[i] != nil || panics[i] != nil {
					t.Errorf("write %d: error %v, panic %v", i, results[i], panics[i])
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if g.leading || len(g.queue) != 0 {
		t.Errorf("after the writes: leading %v, %d queued", g.leading, len(g.queue))
	}
}

// TestGroupCommitAlone checks that a lone write commits at once, in its own
// caller, and reports the commit's outcome.
func TestGroupCommitAlone(t *testing.T) {
	db := openCommitDB(t)
	var g groupCommit
	for i := range 3 {
		if err := g.update(db, func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("b")).Put(fmt.Appendf(nil, "k%d", i), []byte("v"))
		}); err != nil {
			t.Fatal(err)
		}
	}
	var got int
	db.View(func(tx *bolt.Tx) error { got = tx.Bucket([]byte("b")).Stats().KeyN; return nil })
	if got != 3 {
		t.Errorf("%d keys stored, want 3", got)
	}
	if err := g.update(db, func(tx *bolt.Tx) error { return tx.Bucket([]byte("b")).Put(nil, nil) }); err == nil {
		t.Error("a write bbolt refuses: no error")
	}
}
