package store_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/moimbot/moimbot/store"
)

func TestNextBankTranID(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	db := mustOpenAt(t, path)
	for want := uint64(1); want <= 3; want++ {
		if got, err := db.Next(ctx, "20240310"); err != nil || got != want {
			t.Fatalf("next = %d, %v; want %d", got, err, want)
		}
	}
	if got, _ := db.Next(ctx, "20240311"); got != 1 {
		t.Errorf("a new day starts at %d, want 1", got)
	}
	db.Close()
	db = mustOpenAt(t, path)
	// The rest of the reserved block is skipped, never reused.
	if got, _ := db.Next(ctx, "20240310"); got != 101 {
		t.Errorf("after reopening: %d, want 101 (the next block)", got)
	}
	if _, err := db.Next(ctx, "2024-03-10"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("bad day: err = %v", err)
	}

	t.Run("Concurrent", func(t *testing.T) {
		var mu sync.Mutex
		seen := map[uint64]bool{}
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 25 {
					n, err := db.Next(ctx, "20240320")
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					if seen[n] {
						t.Errorf("number %d handed out twice", n)
					}
					seen[n] = true
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(seen) != 200 {
			t.Errorf("%d numbers, want 200", len(seen))
		}
	})
	t.Run("OldDaysDropped", func(t *testing.T) {
		for d := 1; d <= 20; d++ {
			db.Next(ctx, fmt.Sprintf("202405%02d", d))
		}
		// A day far in the past was dropped: it starts again at 1. (Only
		// a clock going back a week could ask for it.)
		if got, _ := db.Next(ctx, "20240501"); got != 1 {
			t.Errorf("old day = %d, want 1 (dropped)", got)
		}
		if got, _ := db.Next(ctx, "20240520"); got != 101 {
			t.Errorf("recent day = %d, want 101 (kept, after its reserved block)", got)
		}
	})
}
