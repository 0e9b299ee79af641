package store_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// benchBatch is how many transactions one Ingest (or one raw Update)
// stores: four pages of a KFTC transaction list.
const benchBatch = 100

// benchOverlap is how many already stored rows each fetch repeats, as
// overlapping polls do.
const benchOverlap = 20

func benchRows(n int) []ledger.Deposit {
	rows := make([]ledger.Deposit, n)
	bal := int64(1_000_000)
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, ledger.KST())
	for i := range rows {
		at = at.Add(time.Duration(1+i%7) * time.Second)
		bal += 30000
		rows[i] = ledger.Deposit{At: at, Direction: ledger.In, Text: fmt.Sprintf("회원%03d", i%500), Amount: 30000, Balance: bal}
	}
	return rows
}

// BenchmarkIngest measures transactions stored per second through Ingest:
// deduplication against the stored rows (each fetch repeats the last
// benchOverlap rows), the txs and index writes, the decision record and
// the cursor, with a matcher that decides nothing, benchBatch new rows per
// transaction. Compare with BenchmarkRawPut.
func BenchmarkIngest(b *testing.B) {
	for _, sync := range []bool{true, false} {
		b.Run(syncName(sync), func(b *testing.B) {
			db := mustOpenAt(b, filepath.Join(b.TempDir(), "bench.db"), func(o *store.Options) { o.NoSync = !sync })
			_, a := setup(b, db)
			rows := benchRows((b.N + 1) * benchBatch)
			opts := store.IngestOptions{Matcher: noMatch{}}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				lo, hi := i*benchBatch, (i+1)*benchBatch
				res, err := db.Ingest(ctx, a.ID, rows[max(0, lo-benchOverlap):hi], store.Cursor{}, opts)
				if err != nil {
					b.Fatal(err)
				}
				if len(res.New) != benchBatch {
					b.Fatalf("new = %d, want %d", len(res.New), benchBatch)
				}
			}
			b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkRawPut puts the same number of JSON-encoded transactions into
// one bbolt bucket, benchBatch per Update, with nothing else: the floor
// Ingest is measured against.
func BenchmarkRawPut(b *testing.B) {
	for _, sync := range []bool{true, false} {
		b.Run(syncName(sync), func(b *testing.B) {
			db, err := bolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, &bolt.Options{Timeout: time.Second, NoSync: !sync})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("txs")); return err })
			rows := benchRows((b.N + 1) * benchBatch)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				err := db.Update(func(tx *bolt.Tx) error {
					bk := tx.Bucket([]byte("txs"))
					for _, d := range rows[i*benchBatch : (i+1)*benchBatch] {
						seq, _ := bk.NextSequence()
						v, err := json.Marshal(d)
						if err != nil {
							return err
						}
						if err := bk.Put(be(seq), v); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkIngestVsRawPut is BenchmarkIngest and BenchmarkRawPut in one
// run, alternating one Ingest and one raw Update of benchBatch rows each,
// so that a machine shared with other work slows both alike; x-raw is
// Ingest's rows per second over the raw puts' (the goal is at least 0.5
// with fsync).
func BenchmarkIngestVsRawPut(b *testing.B) {
	for _, sync := range []bool{true, false} {
		b.Run(syncName(sync), func(b *testing.B) {
			dir := b.TempDir()
			db := mustOpenAt(b, filepath.Join(dir, "bench.db"), func(o *store.Options) { o.NoSync = !sync })
			_, a := setup(b, db)
			raw, err := bolt.Open(filepath.Join(dir, "raw.db"), 0o600, &bolt.Options{Timeout: time.Second, NoSync: !sync})
			if err != nil {
				b.Fatal(err)
			}
			defer raw.Close()
			if err := raw.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("txs")); return err }); err != nil {
				b.Fatal(err)
			}
			rows := benchRows((b.N + 1) * benchBatch)
			opts := store.IngestOptions{Matcher: noMatch{}}
			var ingest, put time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				lo, hi := i*benchBatch, (i+1)*benchBatch
				t0 := time.Now()
				res, err := db.Ingest(ctx, a.ID, rows[max(0, lo-benchOverlap):hi], store.Cursor{}, opts)
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				err = raw.Update(func(tx *bolt.Tx) error {
					bk := tx.Bucket([]byte("txs"))
					for _, d := range rows[lo:hi] {
						seq, _ := bk.NextSequence()
						v, err := json.Marshal(d)
						if err != nil {
							return err
						}
						if err := bk.Put(be(seq), v); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				ingest, put = ingest+t1.Sub(t0), put+time.Since(t1)
				if len(res.New) != benchBatch {
					b.Fatalf("new = %d, want %d", len(res.New), benchBatch)
				}
			}
			n := float64(b.N * benchBatch)
			b.ReportMetric(n/ingest.Seconds(), "ingest-rows/s")
			b.ReportMetric(n/put.Seconds(), "raw-rows/s")
			b.ReportMetric(put.Seconds()/ingest.Seconds(), "x-raw")
		})
	}
}

func syncName(sync bool) string {
	if sync {
		return "fsync"
	}
	return "nosync"
}

// BenchmarkIngestHistory measures one deposit's Ingest in a group with a
// history of payments: deciding a deposit and building its notice read the
// group's book, which replays every payment the group has. Each measured
// deposit names no member (it goes to review and adds no payment), so the
// history stays at its size; NoSync, so the figure is the store's work and
// not the disk's.
func BenchmarkIngestHistory(b *testing.B) {
	for _, hist := range []int{10, 300, 3000} {
		b.Run(fmt.Sprintf("payments=%d", hist), func(b *testing.B) {
			db := mustOpen(b)
			_, a := setup(b, db)
			at := time.Date(2024, 1, 1, 9, 0, 0, 0, ledger.KST())
			bal := int64(0)
			next := func(text string) []ledger.Deposit {
				at = at.Add(time.Minute)
				bal += 30000
				return []ledger.Deposit{{At: at, Direction: ledger.In, Text: text, Amount: 30000, Balance: bal}}
			}
			opts := store.IngestOptions{Notify: func(store.Notice) []store.OutboxMessage { return nil }}
			for range hist {
				if _, err := db.Ingest(ctx, a.ID, next("김민수"), store.Cursor{Through: at}, opts); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				res, err := db.Ingest(ctx, a.ID, next("알수없음"), store.Cursor{Through: at}, opts)
				if err != nil {
					b.Fatal(err)
				}
				if len(res.New) != 1 || len(res.New[0].Allocations) != 0 {
					b.Fatalf("ingested %+v, want one deposit without payments", res.New)
				}
			}
		})
	}
}
