package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// keyOutboxCounts is the meta key of the outbox's message counts by state:
// four big-endian u64s, pending, sending, sent and dead. They change in the
// transaction that enqueues, moves or prunes a message (enqueueTx,
// putMessage, PruneOutbox), so that /metrics does not read every message
// (a month of a large installation's messages is hundreds of thousands);
// schema 4's migration counts the messages, and Check compares the counts
// with them. A file without the key has no messages. The counts are for
// monitoring only: damaged counts never stop a message from moving (a
// count that would go below zero stays at zero); Check reports them.
var keyOutboxCounts = []byte("outbox_counts")

// outboxCounts are messages by state, indexed by MessageState (0 unused).
type outboxCounts [StateDead + 1]uint64

// readOutboxCounts returns the kept counts, or zero counts and an error
// wrapping ErrDamaged when the stored value is not four counts.
func readOutboxCounts(tx *bolt.Tx) (outboxCounts, error) {
	var c outboxCounts
	v := tx.Bucket(bucketMeta).Get(keyOutboxCounts)
	if v == nil {
		return c, nil
	}
	if len(v) != 8*int(StateDead) {
		return c, fmt.Errorf("%w: outbox counts of %d bytes", ErrDamaged, len(v))
	}
	for s := StatePending; s <= StateDead; s++ {
		c[s] = binary.BigEndian.Uint64(v[8*(s-1):])
	}
	return c, nil
}

func writeOutboxCounts(tx *bolt.Tx, c outboxCounts) error {
	v := make([]byte, 0, 8*int(StateDead))
	for s := StatePending; s <= StateDead; s++ {
		v = binary.BigEndian.AppendUint64(v, c[s])
	}
	return tx.Bucket(bucketMeta).Put(keyOutboxCounts, v)
}

// countMessages moves n messages from state from to state to in the
// counts; a zero from is a new message, a zero to a deleted one.
func countMessages(tx *bolt.Tx, from, to MessageState, n uint64) error {
	if from == to || n == 0 {
		return nil
	}
	c, _ := readOutboxCounts(tx) // damaged counts start again from zero
	if from != 0 {
		c[from] -= min(c[from], n)
	}
	if to != 0 {
		c[to] += n
	}
	return writeOutboxCounts(tx, c)
}

// countAllMessages counts the stored messages by state.
func countAllMessages(tx *bolt.Tx) (outboxCounts, error) {
	var c outboxCounts
	err := forStored(tx, bucketOutbox, "message", func(m *Message) error {
		if m.State >= StatePending && m.State <= StateDead {
			c[m.State]++
		}
		return nil
	})
	return c, err
}

// OutboxStats is the outbox at a glance, for monitoring.
type OutboxStats struct {
	// Counts are the messages in each state.
	Counts map[MessageState]int
	// OldestDue is when the longest-waiting open (pending or sending)
	// message became due: when it was queued, or its NotBefore if later.
	// Zero when no message is open.
	OldestDue time.Time
}

// OutboxStats returns the message counts by state, kept as messages move,
// and the due time of the oldest open message, read from the open
// messages alone.
func (db *DB) OutboxStats(ctx context.Context) (OutboxStats, error) {
	var st OutboxStats
	err := db.view(ctx, "outbox stats", func(tx *bolt.Tx) error {
		c, err := readOutboxCounts(tx)
		if err != nil {
			return err
		}
		st = OutboxStats{Counts: make(map[MessageState]int, int(StateDead))}
		for s := StatePending; s <= StateDead; s++ {
			st.Counts[s] = int(c[s])
		}
		return tx.Bucket(bucketOutboxOpen).ForEach(func(k, _ []byte) error {
			m, err := getMessage(tx, binary.BigEndian.Uint64(k))
			if err != nil {
				return err
			}
			due := m.CreatedAt
			if m.NotBefore.After(due) {
				due = m.NotBefore // a message held back was not late before then
			}
			if st.OldestDue.IsZero() || due.Before(st.OldestDue) {
				st.OldestDue = due
			}
			return nil
		})
	})
	return st, err
}

// String returns "pending 3, sending 0, sent 120, dead 1".
func (c outboxCounts) String() string {
	return fmt.Sprintf("pending %d, sending %d, sent %d, dead %d", c[StatePending], c[StateSending], c[StateSent], c[StateDead])
}
