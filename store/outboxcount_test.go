package store_test

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/moimbot/moimbot/store"
)

// checkOutboxStats compares OutboxStats with what reading every message
// gives.
func checkOutboxStats(t *testing.T, db *store.DB) {
	t.Helper()
	st, err := db.OutboxStats(ctx)
	if err != nil {
		t.Fatalf("outbox stats: %v", err)
	}
	msgs, err := db.Messages(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[store.MessageState]int{store.StatePending: 0, store.StateSending: 0, store.StateSent: 0, store.StateDead: 0}
	var oldest time.Time
	for _, m := range msgs {
		want[m.State]++
		if m.State != store.StatePending && m.State != store.StateSending {
			continue
		}
		due := m.CreatedAt
		if m.NotBefore.After(due) {
			due = m.NotBefore
		}
		if oldest.IsZero() || due.Before(oldest) {
			oldest = due
		}
	}
	if !maps.Equal(st.Counts, want) {
		t.Errorf("outbox counts = %v, the messages say %v", st.Counts, want)
	}
	if !st.OldestDue.Equal(oldest) {
		t.Errorf("oldest due = %v, the messages say %v", st.OldestDue, oldest)
	}
}

// TestOutboxCounts follows messages through every way a message moves:
// enqueued (a repeated key adds nothing), claimed, sent, failed, released,
// dead by failures, by interrupted sends and by expiry, requeued, marked
// dead, and pruned.
func TestOutboxCounts(t *testing.T) {
	c := newClock()
	db := mustOpen(t, withClock(c), func(o *store.Options) { o.MaxAttempts = 1; o.Lease = time.Minute })
	checkOutboxStats(t, db)
	chats := []store.ChatRef{{Platform: "telegram", ID: "1"}, {Platform: "telegram", ID: "2"}, {Platform: "telegram", ID: "3"},
		{Platform: "telegram", ID: "4"}, {Platform: "telegram", ID: "5"}}
	var msgs []store.OutboxMessage
	for i, chat := range chats {
		msgs = append(msgs, store.OutboxMessage{Key: fmt.Sprint("k", i), Chat: chat, Text: "x"})
	}
	msgs[4].ExpiresAt = c.Now().Add(time.Minute)
	ids, err := db.Enqueue(ctx, append(msgs, msgs[0])...) // the repeat is not a new message
	if err != nil {
		t.Fatal(err)
	}
	checkOutboxStats(t, db)
	step := func(name string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkOutboxStats(t, db)
	}
	if _, err := db.Claim(ctx, c.Now(), 4); err != nil { // 0-3 sending, 4 pending
		t.Fatal(err)
	}
	checkOutboxStats(t, db)
	step("sent", db.MarkSent(ctx, ids[0]))
	_, err = db.MarkFailed(ctx, ids[1], time.Second, "HTTP 502") // dead: one attempt allowed
	step("failed", err)
	step("released", db.Release(ctx, ids[2], c.Now()))
	_, err = db.MarkDead(ctx, ids[3], "HTTP 403")
	step("marked dead", err)
	step("requeued", db.Requeue(ctx, "telegram:42", ids[1]))
	c.Advance(2 * time.Minute) // message 4 expires
	_, err = db.Claim(ctx, c.Now(), 10)
	step("claimed again", err)
	c.Advance(time.Minute) // the leases run out: the senders stopped
	_, err = db.Claim(ctx, c.Now(), 10)
	step("interrupted", err)
	c.Advance(40 * 24 * time.Hour)
	n, err := db.PruneOutbox(ctx, c.Now())
	step("pruned", err)
	if n == 0 {
		t.Error("pruned nothing")
	}
	if err := db.Check(ctx); err != nil {
		t.Error(err)
	}
}

// TestOutboxCountsCheck: Check reports counts that disagree with the
// messages, and damaged counts do not stop messages from moving.
func TestOutboxCountsCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "moimbot.db")
	c := newClock() // the messages' clock and the claim's
	db := mustOpenAt(t, path, withClock(c))
	ids, err := db.Enqueue(ctx, store.OutboxMessage{Key: "k", Chat: chatA, Text: "x"}, store.OutboxMessage{Key: "k2", Chat: chatB, Text: "y"})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("outbox_counts"), []byte("short"))
	})
	db = mustOpenAt(t, path, withClock(c))
	if err := db.Check(ctx); err == nil || !strings.Contains(err.Error(), "outbox counts of 5 bytes") {
		t.Errorf("check = %v, want it to name the damaged counts", err)
	}
	if _, err := db.OutboxStats(ctx); !errors.Is(err, store.ErrDamaged) {
		t.Errorf("outbox stats = %v, want ErrDamaged", err)
	}
	// Messages still move; the counts start again from zero.
	if _, err := db.Claim(ctx, c.Now(), 10); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkSent(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.OutboxStats(ctx); err != nil {
		t.Errorf("outbox stats after the counts were written again: %v", err)
	}
	db.Close()
	// Counts that are well formed but wrong.
	wrong := make([]byte, 32)
	wrong[31] = 7 // seven dead messages
	rawUpdate(t, path, func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte("outbox_counts"), wrong) })
	db = mustOpenAt(t, path)
	want := "the outbox counts say pending 0, sending 0, sent 0, dead 7, the messages pending 0, sending 1, sent 1, dead 0"
	if err := db.Check(ctx); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("check = %v, want it to say %q", err, want)
	}
}
