//go:build unix

package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/moimbot/moimbot/ledger"
)

// TestOpenWaitsForSwap is the race a code review found: a process that
// opens the database while Compact or Restore swaps the file must end up
// on the new file, not on the old one it was waiting for.
func TestOpenWaitsForSwap(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "moimbot.db")
	ctx := context.Background()
	create := func(p, name string) {
		db, err := Open(ctx, p, Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.PutGroup(ctx, "test", Group{Group: ledger.Group{Name: name, Dues: ledger.DuesRule{Amount: 1, Day: 1, Start: ledger.NewPeriod(2026, 1)}}}); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	create(path, "old")
	create(filepath.Join(dir, "new.db"), "new")

	// Play Compact: hold the lock file, then swap the database file.
	lock, err := acquireLock(path, true, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	opened := make(chan *DB, 1)
	go func() {
		db, err := Open(ctx, path, Options{Timeout: 10 * time.Second, NoSync: true})
		if err != nil {
			t.Error(err)
		}
		opened <- db
	}()
	time.Sleep(200 * time.Millisecond)
	if err := os.Rename(filepath.Join(dir, "new.db"), path); err != nil {
		t.Fatal(err)
	}
	releaseLock(lock)
	db := <-opened
	if db == nil {
		t.FailNow()
	}
	defer db.Close()
	if _, err := db.GroupByName(ctx, "new"); err != nil {
		t.Errorf("the waiting opener did not get the swapped-in file: %v", err)
	}
}

func TestLockedWhileHeld(t *testing.T) {
	path := filepath.Join(t.TempDir(), "moimbot.db")
	db, err := Open(context.Background(), path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := Compact(context.Background(), path); !errors.Is(err, ErrLocked) {
		t.Errorf("compact while open: %v, want ErrLocked", err)
	}
	if _, err := Restore(context.Background(), path, path, time.Now()); !errors.Is(err, ErrLocked) {
		t.Errorf("restore while open: %v, want ErrLocked", err)
	}
}

// TestCompactThroughSymlink: a database reached through a symlink (a
// mounted volume) is compacted in place; the link stays a link.
func TestCompactThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "volume.db")
	db, err := Open(context.Background(), real, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	link := filepath.Join(dir, "moimbot.db")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if _, err := Compact(context.Background(), link); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(link)
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("after compact, %s is %v (%v), want still a symlink", link, fi.Mode(), err)
	}
	if _, err := Verify(context.Background(), real); err != nil {
		t.Errorf("the real file: %v", err)
	}
}
