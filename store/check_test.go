package store_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// populated returns the path of a closed database holding a group, an
// account with matched, review and ignored transactions, a manual
// payment and outbox messages.
func populated(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.db")
	db := mustOpenAt(t, path)
	g, a := setup(t, db)
	rows := []ledger.Deposit{in(0, "김민수", 30000, 130000), in(1, "홍길동", 30000, 160000), out(2, "출금", 10000, 150000)}
	if _, err := db.Ingest(ctx, a.ID, rows, store.Cursor{}, store.IngestOptions{Notify: noticeEach}); err != nil {
		t.Fatal(err)
	}
	db.AddManualPayment(ctx, "cli", g.ID, ledger.Payment{MemberID: "m3", Amount: 20000}, "")
	if err := db.Check(ctx); err != nil {
		t.Fatalf("fresh database: %v", err)
	}
	db.Close()
	return path
}

func rawUpdate(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func be(n uint64) []byte {
	b := make([]byte, 8)
	for i := range 8 {
		b[7-i] = byte(n >> (8 * i))
	}
	return b
}

func TestCheckFindsDamage(t *testing.T) {
	tests := []struct {
		name   string
		damage func(tx *bolt.Tx) error
		want   string
	}{
		{"RowDeleted", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("txs")).Bucket([]byte("a1")).Delete(be(1))
		}, "points at missing transaction"},
		{"DecisionDeleted", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("matches")).Delete([]byte("a1/3"))
		}, `transaction "a1/3" has no decision`},
		{"AllocationChanged", func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("payments")).Bucket([]byte("g1"))
			var p store.PaymentRecord
			json.Unmarshal(b.Get(be(1)), &p)
			p.Allocations[0].Amount = 1
			v, _ := json.Marshal(p)
			return b.Put(be(1), v)
		}, "allocations add up to 1"},
		{"CursorAhead", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("cursors")).Put([]byte("a1"), []byte(`{"rows":9}`))
		}, "counts 9 rows, 3 stored"},
		{"KeyIndexedTwice", func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("outbox"))
			var m store.Message
			json.Unmarshal(b.Get(be(2)), &m)
			m.Key = "deposit/a1/1"
			v, _ := json.Marshal(m)
			return b.Put(be(2), v)
		}, `share key "deposit/a1/1"`},
		{"IndexDisagrees", func(tx *bolt.Tx) error {
			idx := tx.Bucket([]byte("txtime")).Bucket([]byte("a1"))
			c := idx.Cursor()
			k, v := c.Last()
			v = append([]byte(nil), v...)
			v[20] ^= 1 // the balance's lowest byte
			return idx.Put(append([]byte(nil), k...), v)
		}, "disagrees with the row"},
		{"ReviewItemLost", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("review")).Delete([]byte("a1/2"))
		}, "needs review but is not in the queue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := populated(t)
			rawUpdate(t, path, tt.damage)
			db := mustOpenAt(t, path)
			err := db.Check(ctx)
			if err == nil {
				t.Fatal("check passed a damaged database")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("check = %v\nwant it to mention %q", err, tt.want)
			}
		})
	}
}

// TestCheckFindsGap: a fetch that skipped rows leaves the balance chain
// broken, and Check says where.
func TestCheckFindsGap(t *testing.T) {
	db := mustOpen(t)
	_, a := setup(t, db)
	db.Ingest(ctx, a.ID, []ledger.Deposit{in(0, "김민수", 30000, 130000)}, store.Cursor{}, store.IngestOptions{})
	db.Ingest(ctx, a.ID, []ledger.Deposit{in(100, "이영희", 30000, 190000)}, store.Cursor{}, store.IngestOptions{})
	err := db.Check(ctx)
	if err == nil || !strings.Contains(err.Error(), "balance chain breaks between a1/1 (after 130000) and a1/2 (before 160000)") {
		t.Errorf("check = %v, want a chain break", err)
	}
}
