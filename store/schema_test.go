package store_test

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// writeV1 builds a schema-1 file by hand, as moimbot's first layout wrote
// it: member aliases as plain strings and no group name index.
func writeV1(t *testing.T, path string) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = b.Update(func(tx *bolt.Tx) error {
		for _, name := range []string{"meta", "groups", "accounts", "cursors", "txs", "outbox", "audit"} {
			if _, err := tx.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		if err := tx.Bucket([]byte("meta")).Put([]byte("schema_version"), []byte{0, 0, 0, 0, 0, 0, 0, 1}); err != nil {
			return err
		}
		groups := tx.Bucket([]byte("groups"))
		if err := groups.Put([]byte("g1"), []byte(`{"id":"g1","name":"산악회","dues":{"amount":20000,"day":5,"start":"2023-01"},
			"members":[{"id":"m1","name":"김민수","aliases":["민수","KIM MINSU"]},{"id":"m2","name":"이영희"}],
			"settings":{"language":"en"}}`)); err != nil {
			return err
		}
		return groups.Put([]byte("g2"), []byte(`{"id":"g2","name":"풋살","dues":{"amount":10000,"day":1,"start":"2024-01"},"members":[]}`))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMigrateFromV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	writeV1(t, path)

	// Read-only opens do not migrate.
	if _, err := store.Open(ctx, path, store.Options{ReadOnly: true}); err == nil {
		t.Fatal("read-only open of a schema-1 file succeeded, want an error asking for a migration")
	}
	if info, err := store.Verify(ctx, path); err != nil || info.Schema != 1 {
		t.Fatalf("verify v1: info %+v, err %v", info, err)
	}

	db := mustOpenAt(t, path)
	g, err := db.GroupByName(ctx, "산악회")
	if err != nil {
		t.Fatalf("group by name after migration: %v", err)
	}
	m, ok := g.Member("m1")
	if !ok {
		t.Fatal("member m1 lost")
	}
	if got, want := m.Aliases, []ledger.Alias{{Text: "민수"}, {Text: "KIM MINSU"}}; !slices.Equal(got, want) {
		t.Errorf("aliases = %+v, want %+v", got, want)
	}
	if got, want := g.Settings.Language, "en"; got != want {
		t.Errorf("language = %q, want %q", got, want)
	}
	if got, want := g.Dues.Start, ledger.NewPeriod(2023, time.January); got != want {
		t.Errorf("start = %v, want %v", got, want)
	}
	if _, err := db.GroupByName(ctx, "풋살"); err != nil {
		t.Errorf("second group: %v", err)
	}
	// The migrated database works: buckets added since schema 1 exist.
	if _, err := db.Enqueue(ctx, store.OutboxMessage{Key: "k", Chat: store.ChatRef{Platform: "telegram", ID: "1"}}); err != nil {
		t.Errorf("enqueue after migration: %v", err)
	}
	if _, err := db.Next(ctx, "20240301"); err != nil {
		t.Errorf("next after migration: %v", err)
	}
	if err := db.Check(ctx); err != nil {
		t.Errorf("check after migration: %v", err)
	}
	db.Close()
	info, err := store.Verify(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := info.Schema, uint64(store.SchemaVersion); got != want {
		t.Errorf("schema after migration = %d, want %d", got, want)
	}
	// Opening again runs no migration twice.
	db = mustOpenAt(t, path)
	g, _ = db.GroupByName(ctx, "산악회")
	if m, _ := g.Member("m1"); len(m.Aliases) != 2 {
		t.Errorf("aliases after reopening = %+v", m.Aliases)
	}
}
