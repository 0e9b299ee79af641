package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// tranSeqDays is how many days of bank_tran_id sequences are kept.
const tranSeqDays = 7

// tranSeqBlock is how many numbers Next reserves with one commit.
const tranSeqBlock = 100

// seqBlock is the current day's reserved numbers: next+1 through limit may
// still be handed out.
type seqBlock struct {
	mu    sync.Mutex
	day   string
	next  uint64
	limit uint64
}

// Next returns the next number of day's bank_tran_id sequence (day is
// YYYYMMDD, KST), starting at 1. A number is never handed out twice, even
// across restarts: numbers are reserved in blocks of 100 with one commit
// (the stored value is the highest reserved number), so a transaction-list
// call does not cost an fsync, and a restart skips the rest of the block.
// It implements openbanking.SequenceSource. Days older than a week are
// dropped.
func (db *DB) Next(ctx context.Context, day string) (uint64, error) {
	if _, err := time.Parse("20060102", day); err != nil {
		return 0, fmt.Errorf("store: next bank_tran_id: %w: day %q is not YYYYMMDD", ErrInvalid, day)
	}
	s := &db.seq
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.day == day && s.next < s.limit {
		s.next++
		return s.next, nil
	}
	var n uint64
	err := db.update(ctx, "next bank_tran_id", func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTranSeq)
		if v := b.Get([]byte(day)); len(v) == 8 {
			n = binary.BigEndian.Uint64(v)
		} else {
			// A new day: drop old ones. Keys are YYYYMMDD, so they sort by
			// date.
			var old [][]byte
			c := b.Cursor()
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				old = append(old, append([]byte(nil), k...))
			}
			if len(old) >= tranSeqDays {
				for _, k := range old[:len(old)-tranSeqDays+1] {
					if string(k) < day {
						if err := b.Delete(k); err != nil {
							return err
						}
					}
				}
			}
		}
		return b.Put([]byte(day), be64(n+tranSeqBlock))
	})
	if err != nil {
		return 0, err
	}
	s.day, s.next, s.limit = day, n+1, n+tranSeqBlock
	return s.next, nil
}
