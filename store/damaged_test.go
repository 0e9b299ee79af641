package store_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// layout is what the damage cases need to know of a healthy file.
type layout struct {
	pageSize int64
	used     int64    // bytes below bbolt's high water mark
	types    []string // page type by page id: meta, freelist, branch, leaf, free, overflow
}

// layoutOf reads the layout of the healthy file at path.
func layoutOf(t *testing.T, path string) layout {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, PreLoadFreelist: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	l := layout{pageSize: int64(b.Info().PageSize)}
	err = b.View(func(tx *bolt.Tx) error {
		l.used = tx.Size()
		for id := 0; ; {
			info, err := tx.Page(id)
			if err != nil || info == nil {
				return err
			}
			l.types = append(l.types, info.Type)
			for range info.OverflowCount {
				l.types = append(l.types, "overflow")
			}
			id += 1 + info.OverflowCount
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// damagedBase writes a healthy, closed database of more than 64 KiB of
// pages (a group, an account with a few hundred transactions, a manual
// payment) and returns its path and layout.
func damagedBase(t *testing.T) (string, layout) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "base.db")
	db := mustOpenAt(t, path)
	g, a := setup(t, db)
	rows := genLedger(rand.New(rand.NewPCG(10, 0)), 600, false)
	if _, err := db.Ingest(ctx, a.ID, rows, store.Cursor{}, store.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddManualPayment(ctx, "cli", g.ID, ledger.Payment{MemberID: "m3", Amount: 20000, At: t0}, "cash"); err != nil {
		t.Fatal(err)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatalf("base database: %v", err)
	}
	db.Close()
	l := layoutOf(t, path)
	if l.used <= 64<<10 {
		t.Fatalf("base database uses %d bytes, want more than 64 KiB", l.used)
	}
	return path, l
}

// damage is one way a database file gets damaged.
type damage struct {
	name string
	do   func(t *testing.T, path string, l layout)
}

// damages are the damaged files every store command must refuse cleanly.
func damages() []damage {
	truncate := func(size func(l layout) int64) func(*testing.T, string, layout) {
		return func(t *testing.T, path string, l layout) {
			t.Helper()
			if err := os.Truncate(path, size(l)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// overwrite writes random bytes (from a fixed seed) over the pages
	// pick chooses, from byte skip of each page on.
	overwrite := func(skip int64, pick func(id int, typ string) bool) func(*testing.T, string, layout) {
		return func(t *testing.T, path string, l layout) {
			t.Helper()
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(uint64(len(raw)), 7))
			n := 0
			for id, typ := range l.types {
				if !pick(id, typ) {
					continue
				}
				for i := int64(id)*l.pageSize + skip; i < int64(id+1)*l.pageSize; i++ {
					raw[i] = byte(r.Uint32())
				}
				n++
			}
			if n == 0 {
				t.Fatal("no page to overwrite")
			}
			if err := os.WriteFile(path, raw, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	tree := func(_ int, typ string) bool { return typ == "branch" || typ == "leaf" }
	return []damage{
		{"Empty", truncate(func(layout) int64 { return 0 })},
		{"NotBbolt", func(t *testing.T, path string, _ layout) {
			t.Helper()
			if err := os.WriteFile(path, bytes.Repeat([]byte("this is not a database\n"), 1000), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"CutInMetaPage", truncate(func(layout) int64 { return 100 })},
		{"CutAfterFirstPage", truncate(func(l layout) int64 { return l.pageSize })},
		{"CutMidPage", truncate(func(l layout) int64 { return l.used/l.pageSize/2*l.pageSize + l.pageSize/2 })},
		{"CutAt16KiB", truncate(func(layout) int64 { return 16 << 10 })},
		{"CutAt64KiB", truncate(func(layout) int64 { return 64 << 10 })},
		{"CutLastPage", truncate(func(l layout) int64 { return l.used - l.pageSize })},
		{"ZeroedMetaPages", func(t *testing.T, path string, l layout) {
			t.Helper()
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteAt(make([]byte, 2*l.pageSize), 0); err != nil {
				t.Fatal(err)
			}
		}},
		{"OverwrittenPages", overwrite(0, func(id int, _ string) bool { return id >= 2 })},
		{"OverwrittenFreelist", overwrite(0, func(_ int, typ string) bool { return typ == "freelist" })},
		{"OverwrittenTreePages", overwrite(0, tree)},
		{"GarbledPageBodies", overwrite(16, tree)},
	}
}

func fileSum(t *testing.T, path string) [sha256.Size]byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(raw)
}

// copyBase copies the base database to a new file in its own directory.
func copyBase(t *testing.T, base string) string {
	t.Helper()
	raw, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "moimbot.db")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDamagedFile opens, verifies, compacts and restores from damaged
// files: each fails with ErrDamaged, in one line without stutter, and
// leaves the file exactly as it was.
func TestDamagedFile(t *testing.T) {
	base, l := damagedBase(t)
	good := copyBase(t, base)
	ops := []struct {
		name string
		do   func(path string) error
	}{
		{"Open", func(path string) error {
			db, err := store.Open(ctx, path, store.Options{NoSync: true, Timeout: time.Second})
			if err == nil {
				db.Close()
			}
			return err
		}},
		{"OpenReadOnly", func(path string) error {
			db, err := store.Open(ctx, path, store.Options{ReadOnly: true, AnySchema: true, Timeout: time.Second})
			if err == nil {
				db.Close()
			}
			return err
		}},
		{"Verify", func(path string) error { _, err := store.Verify(ctx, path); return err }},
		{"Compact", func(path string) error { _, err := store.Compact(ctx, path); return err }},
		{"RestoreFrom", func(path string) error {
			_, err := store.Restore(ctx, path, copyBase(t, base), time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC))
			return err
		}},
	}
	for _, d := range damages() {
		t.Run(d.name, func(t *testing.T) {
			for _, op := range ops {
				t.Run(op.name, func(t *testing.T) {
					path := copyBase(t, base)
					d.do(t, path, l)
					before := fileSum(t, path)
					err := op.do(path)
					if !errors.Is(err, store.ErrDamaged) {
						t.Fatalf("err = %v, want ErrDamaged", err)
					}
					msg := err.Error()
					if !strings.HasPrefix(msg, "store: ") || strings.Contains(msg, "store: store:") || strings.Contains(msg, "\n") {
						t.Errorf("err = %q, want one line starting with one %q", msg, "store: ")
					}
					if got := fileSum(t, path); got != before {
						t.Error("the damaged file changed")
					}
					if _, err := os.Stat(path + ".compact.tmp"); err == nil {
						t.Error("compact left its temporary file")
					}
				})
			}
		})
	}
	// The way back: restoring a backup over a damaged file works, and
	// keeps the damaged file as it was.
	t.Run("RestoreOverDamaged", func(t *testing.T) {
		for _, d := range damages() {
			path := copyBase(t, base)
			d.do(t, path, l)
			before := fileSum(t, path)
			kept, err := store.Restore(ctx, good, path, time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatalf("%s: %v", d.name, err)
			}
			if got := fileSum(t, kept); got != before {
				t.Errorf("%s: the kept damaged file changed", d.name)
			}
			db := mustOpenAt(t, path)
			if err := db.Check(ctx); err != nil {
				t.Errorf("%s: restored database: %v", d.name, err)
			}
			db.Close()
		}
	})
}

// TestDamagedPageSweep overwrites each page of a healthy file in turn,
// whole or all but its header. Overwriting a page in use (a tree page, the
// freelist) is damage: Open fails with ErrDamaged and leaves the file as
// it was. Overwriting a free page, or one meta page (bbolt falls back to
// the other, the previous transaction's), is not: the database opens and
// is consistent. Nothing crashes.
func TestDamagedPageSweep(t *testing.T) {
	base, l := damagedBase(t)
	healthy, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		skip int64 // bytes of each page left as they were
	}{
		{"Whole", 0},
		{"BodyOnly", 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(tt.skip), 11))
			for id, typ := range l.types {
				raw := bytes.Clone(healthy)
				for i := int64(id)*l.pageSize + tt.skip; i < int64(id+1)*l.pageSize; i++ {
					raw[i] = byte(r.Uint32())
				}
				path := filepath.Join(t.TempDir(), "moimbot.db")
				if err := os.WriteFile(path, raw, 0o600); err != nil {
					t.Fatal(err)
				}
				db, err := store.Open(ctx, path, store.Options{NoSync: true, Timeout: time.Second})
				inUse := typ == "branch" || typ == "leaf" || typ == "freelist"
				if got, want := errors.Is(err, store.ErrDamaged), inUse; got != want {
					t.Errorf("page %d (%s): err = %v, want ErrDamaged: %v", id, typ, err, want)
				}
				if err != nil {
					if got, want := fileSum(t, path), sha256.Sum256(raw); got != want {
						t.Errorf("page %d (%s): the damaged file changed", id, typ)
					}
					continue
				}
				if err := db.Check(ctx); err != nil {
					t.Errorf("page %d (%s): check: %v", id, typ, err)
				}
				db.Close()
			}
		})
	}
}

// TestDamagedWhileOpen damages the file under an open database: reads that
// meet the damage fail with ErrDamaged instead of killing the process
// (SIGBUS on the truncated mapping), and Check says what it found.
func TestDamagedWhileOpen(t *testing.T) {
	base, l := damagedBase(t)
	t.Run("Truncated", func(t *testing.T) {
		path := copyBase(t, base)
		db, err := store.Open(ctx, path, store.Options{ReadOnly: true, Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		// Keep the meta pages only: every tree page is gone.
		if err := os.Truncate(path, 2*l.pageSize); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Groups(ctx); !errors.Is(err, store.ErrDamaged) || !strings.Contains(err.Error(), "faulted") {
			t.Errorf("groups: err = %v, want ErrDamaged saying the read faulted", err)
		}
		err = db.Check(ctx)
		if !errors.Is(err, store.ErrDamaged) || !strings.Contains(err.Error(), "cut short") {
			t.Errorf("check: err = %v, want ErrDamaged saying the file is cut short", err)
		}
	})
	t.Run("OverwrittenFreelist", func(t *testing.T) {
		path := copyBase(t, base)
		db, err := store.Open(ctx, path, store.Options{ReadOnly: true, Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		free := -1
		for id, typ := range l.types {
			if typ == "freelist" {
				free = id
			}
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.WriteAt(bytes.Repeat([]byte{0xa5}, int(l.pageSize)), int64(free)*l.pageSize)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		err = db.Check(ctx)
		if got, want := err, store.ErrDamaged; !errors.Is(got, want) || !strings.Contains(got.Error(), "freelist") {
			t.Errorf("check: err = %v, want ErrDamaged naming the freelist", got)
		}
	})
}
