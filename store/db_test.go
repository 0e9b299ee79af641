package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/moimbot/moimbot/store"
)

func TestOpen(t *testing.T) {
	t.Run("CreatesFileWithMode0600", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "m.db")
		mustOpenAt(t, path)
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fi.Mode().Perm(), os.FileMode(0o600); got != want {
			t.Errorf("mode = %v, want %v", got, want)
		}
	})
	t.Run("NarrowsWiderMode", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "m.db")
		db := mustOpenAt(t, path)
		db.Close()
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		mustOpenAt(t, path)
		fi, _ := os.Stat(path)
		if got, want := fi.Mode().Perm(), os.FileMode(0o600); got != want {
			t.Errorf("mode = %v, want %v", got, want)
		}
	})
	t.Run("ErrLocked", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "m.db")
		mustOpenAt(t, path)
		start := time.Now()
		_, err := store.Open(ctx, path, store.Options{Timeout: 150 * time.Millisecond})
		if !errors.Is(err, store.ErrLocked) {
			t.Fatalf("second open: err = %v, want ErrLocked", err)
		}
		if !strings.Contains(err.Error(), "database is in use by another moimbot process") {
			t.Errorf("error %q does not say the database is in use", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("second open took %v, want about the timeout", d)
		}
		_, err = store.Open(ctx, path, store.Options{ReadOnly: true, Timeout: 100 * time.Millisecond})
		if !errors.Is(err, store.ErrLocked) {
			t.Errorf("read-only open beside a writer: err = %v, want ErrLocked", err)
		}
	})
	t.Run("ReadOnlySharesAndRefusesWrites", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "m.db")
		db := mustOpenAt(t, path)
		setup(t, db)
		db.Close()
		ro1 := mustOpenAt(t, path, func(o *store.Options) { o.ReadOnly = true })
		ro2 := mustOpenAt(t, path, func(o *store.Options) { o.ReadOnly = true })
		if _, err := ro2.GroupByName(ctx, "독서모임"); err != nil {
			t.Errorf("read: %v", err)
		}
		_, err := ro1.PutGroup(ctx, "cli", testGroup())
		if !errors.Is(err, store.ErrReadOnly) {
			t.Errorf("write: err = %v, want ErrReadOnly", err)
		}
	})
	t.Run("ReadOnlyMissingFile", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "none.db")
		_, err := store.Open(ctx, path, store.Options{ReadOnly: true})
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("err = %v, want ErrNotExist", err)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("read-only open created the file")
		}
	})
	t.Run("NotMoimbot", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "other.db")
		b, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		b.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("stuff")); return err })
		b.Close()
		_, err = store.Open(ctx, path, store.Options{})
		if !errors.Is(err, store.ErrSchema) {
			t.Errorf("err = %v, want ErrSchema", err)
		}
	})
	t.Run("NewerSchema", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "new.db")
		db := mustOpenAt(t, path)
		db.Close()
		setRawSchema(t, path, store.SchemaVersion+1)
		_, err := store.Open(ctx, path, store.Options{})
		if !errors.Is(err, store.ErrSchema) || !strings.Contains(err.Error(), "newer") {
			t.Errorf("err = %v, want ErrSchema saying newer", err)
		}
	})
	t.Run("CanceledContext", func(t *testing.T) {
		c, cancel := context.WithCancel(ctx)
		cancel()
		_, err := store.Open(c, filepath.Join(t.TempDir(), "m.db"), store.Options{})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
	t.Run("ReopenKeepsData", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "m.db")
		db := mustOpenAt(t, path)
		g, _ := setup(t, db)
		db.Close()
		db = mustOpenAt(t, path)
		got, err := db.Group(ctx, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != g.Name {
			t.Errorf("name = %q, want %q", got.Name, g.Name)
		}
	})
	t.Run("MethodsCheckContext", func(t *testing.T) {
		db := mustOpen(t)
		c, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := db.PutGroup(c, "cli", testGroup()); !errors.Is(err, context.Canceled) {
			t.Errorf("put group: err = %v, want context.Canceled", err)
		}
		if _, err := db.Groups(c); !errors.Is(err, context.Canceled) {
			t.Errorf("groups: err = %v, want context.Canceled", err)
		}
	})
}

func setRawSchema(t *testing.T, path string, v uint64) {
	t.Helper()
	rawUpdate(t, path, func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), be(v)) })
}

// TestOpenWrongKeyLeavesFileUnchanged: Open with the wrong key fails before
// it writes anything, even when the file's schema needs migrating: the
// file's bytes are the same afterwards.
func TestOpenWrongKeyLeavesFileUnchanged(t *testing.T) {
	tests := []struct {
		name string
		// age makes the file older, after it was written under the right key.
		age func(t *testing.T, path string)
	}{
		{"CurrentSchema", func(*testing.T, string) {}},
		{"SchemaNeedingMigration", func(t *testing.T, path string) {
			rawUpdate(t, path, func(tx *bolt.Tx) error {
				if err := tx.DeleteBucket([]byte("account_fins")); err != nil {
					return err
				}
				return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), be(2))
			})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "m.db")
			db := mustOpenAt(t, path, withKey(testKey(t, 1)))
			setup(t, db)
			db.Close()
			tt.age(t, path)
			before := fileHash(t, path)
			_, err := store.Open(ctx, path, store.Options{Cipher: testKey(t, 2), Timeout: time.Second})
			if !errors.Is(err, store.ErrWrongKey) {
				t.Fatalf("open with another key: err = %v, want ErrWrongKey", err)
			}
			if got := fileHash(t, path); got != before {
				t.Errorf("sha256 of the file changed from %s to %s", before, got)
			}
			// The right key still opens (and migrates) it.
			db = mustOpenAt(t, path, withKey(testKey(t, 1)))
			if err := db.Check(ctx); err != nil {
				t.Error(err)
			}
		})
	}
}

// fileHash returns the hex sha256 of the file at path.
func fileHash(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
