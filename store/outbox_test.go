package store_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

var chatA, chatB = store.ChatRef{Platform: "telegram", ID: "-100A"}, store.ChatRef{Platform: "slack", ID: "CB"}

func TestOutboxStateMachine(t *testing.T) {
	type step struct {
		op      string // claim, sent, fail, requeue, wait
		d       time.Duration
		err     error
		claimed int // for claim
		state   store.MessageState
		tries   int
	}
	const lease = time.Minute
	tests := []struct {
		name      string
		notBefore time.Duration
		steps     []step
	}{
		{"Delivered", 0, []step{
			{op: "claim", claimed: 1, state: store.StateSending, tries: 1},
			{op: "sent", state: store.StateSent, tries: 1},
			{op: "claim", claimed: 0, state: store.StateSent, tries: 1},
		}},
		{"RetriedAfterFailure", 0, []step{
			{op: "claim", claimed: 1, state: store.StateSending, tries: 1},
			{op: "fail", d: 5 * time.Minute, state: store.StatePending, tries: 1},
			{op: "claim", claimed: 0, state: store.StatePending, tries: 1},
			{op: "wait", d: 5 * time.Minute},
			{op: "claim", claimed: 1, state: store.StateSending, tries: 2},
			{op: "sent", state: store.StateSent, tries: 2},
		}},
		{"DefaultBackoff", 0, []step{
			{op: "claim", claimed: 1, state: store.StateSending, tries: 1},
			{op: "fail", state: store.StatePending, tries: 1},
			{op: "wait", d: 29 * time.Second},
			{op: "claim", claimed: 0, state: store.StatePending, tries: 1},
			{op: "wait", d: time.Second},
			{op: "claim", claimed: 1, state: store.StateSending, tries: 2},
			{op: "fail", state: store.StatePending, tries: 2},
			{op: "wait", d: 59 * time.Second},
			{op: "claim", claimed: 0, state: store.StatePending, tries: 2},
		}},
		{"DeadAfterMaxAttempts", 0, []step{
			{op: "claim", claimed: 1}, {op: "fail", d: time.Second, state: store.StatePending},
			{op: "wait", d: time.Second},
			{op: "claim", claimed: 1}, {op: "fail", d: time.Second, state: store.StatePending},
			{op: "wait", d: time.Second},
			{op: "claim", claimed: 1}, {op: "fail", d: time.Second, state: store.StateDead, tries: 3},
			{op: "wait", d: time.Hour},
			{op: "claim", claimed: 0, state: store.StateDead},
			{op: "requeue", state: store.StatePending, tries: 0},
			{op: "claim", claimed: 1, state: store.StateSending, tries: 1},
		}},
		{"LeaseExpires", 0, []step{
			{op: "claim", claimed: 1, state: store.StateSending, tries: 1},
			{op: "wait", d: lease - time.Second},
			{op: "claim", claimed: 0, state: store.StateSending, tries: 1},
			{op: "wait", d: time.Second},
			{op: "claim", claimed: 1, state: store.StateSending, tries: 2},
			{op: "sent", state: store.StateSent},
		}},
		{"NotBefore", 10 * time.Minute, []step{
			{op: "claim", claimed: 0, state: store.StatePending},
			{op: "wait", d: 10 * time.Minute},
			{op: "claim", claimed: 1, state: store.StateSending},
		}},
		{"SentWhilePending", 0, []step{{op: "sent", err: store.ErrState, state: store.StatePending}}},
		{"FailedWhilePending", 0, []step{{op: "fail", err: store.ErrState, state: store.StatePending}}},
		{"SentTwice", 0, []step{{op: "claim", claimed: 1}, {op: "sent"}, {op: "sent", state: store.StateSent}}},
		{"FailedAfterSent", 0, []step{{op: "claim", claimed: 1}, {op: "sent"}, {op: "fail", err: store.ErrState, state: store.StateSent}}},
		{"RequeueNotDead", 0, []step{{op: "requeue", err: store.ErrState, state: store.StatePending}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			db := mustOpen(t, withClock(c), func(o *store.Options) { o.MaxAttempts = 3; o.Lease = lease })
			ids, err := db.Enqueue(ctx, store.OutboxMessage{Key: "k", Chat: chatA, Text: "hello", NotBefore: c.Now().Add(tt.notBefore)})
			if err != nil {
				t.Fatal(err)
			}
			id := ids[0]
			for i, s := range tt.steps {
				var err error
				switch s.op {
				case "claim":
					var got []store.Message
					got, err = db.Claim(ctx, c.Now(), 10)
					if len(got) != s.claimed {
						t.Fatalf("step %d: claimed %d, want %d", i+1, len(got), s.claimed)
					}
				case "sent":
					err = db.MarkSent(ctx, id)
				case "fail":
					_, err = db.MarkFailed(ctx, id, s.d, "HTTP 502")
				case "requeue":
					err = db.Requeue(ctx, "telegram:42", id)
				case "wait":
					c.Advance(s.d)
					continue
				}
				if !errors.Is(err, s.err) {
					t.Fatalf("step %d %s: err = %v, want %v", i+1, s.op, err, s.err)
				}
				m, err := db.Message(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if s.state != 0 && m.State != s.state {
					t.Fatalf("step %d %s: state = %s, want %s", i+1, s.op, m.State, s.state)
				}
				if s.tries != 0 && m.Attempts != s.tries {
					t.Fatalf("step %d %s: attempts = %d, want %d", i+1, s.op, m.Attempts, s.tries)
				}
				checkOutboxStats(t, db)
			}
			if err := db.Check(ctx); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestClaimKeepsEachChatInOrder(t *testing.T) {
	c := newClock()
	db := mustOpen(t, withClock(c))
	ids, err := db.Enqueue(ctx,
		store.OutboxMessage{Key: "a1", Chat: chatA},
		store.OutboxMessage{Key: "a2", Chat: chatA},
		store.OutboxMessage{Key: "b1", Chat: chatB},
		store.OutboxMessage{Key: "b2", Chat: chatB},
	)
	if err != nil {
		t.Fatal(err)
	}
	claim := func() []string {
		t.Helper()
		ms, err := db.Claim(ctx, c.Now(), 10)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, m := range ms {
			keys = append(keys, m.Key)
		}
		return keys
	}
	if got, want := claim(), []string{"a1", "b1"}; !slices.Equal(got, want) {
		t.Errorf("first claim = %v, want %v", got, want)
	}
	if got := claim(); len(got) != 0 {
		t.Errorf("claim while both chats are sending = %v, want none", got)
	}
	db.MarkSent(ctx, ids[0])
	db.MarkFailed(ctx, ids[2], time.Hour, "chat unavailable")
	// b1 failed and waits: b2 must not overtake it.
	if got, want := claim(), []string{"a2"}; !slices.Equal(got, want) {
		t.Errorf("claim = %v, want %v", got, want)
	}
	db.MarkSent(ctx, ids[1])
	if ms, _ := db.Claim(ctx, c.Now().Add(time.Hour), 10); len(ms) != 1 || ms[0].Key != "b1" {
		t.Errorf("claim an hour later = %+v, want b1", ms)
	}
}

func TestEnqueue(t *testing.T) {
	db := mustOpen(t)
	ids, err := db.Enqueue(ctx, store.OutboxMessage{Key: "x", Chat: chatA}, store.OutboxMessage{Key: "x", Chat: chatA})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := db.Enqueue(ctx, store.OutboxMessage{Key: "x", Chat: chatB, Text: "different"})
	if ids[0] != ids[1] || again[0] != ids[0] {
		t.Errorf("ids = %v and %v, want one id", ids, again)
	}
	if msgs, _ := db.Messages(ctx, 0); len(msgs) != 1 || msgs[0].Chat != chatA {
		t.Errorf("messages = %+v, want the first only", msgs)
	}
	for _, tt := range []struct {
		name string
		m    store.OutboxMessage
	}{
		{"NoKey", store.OutboxMessage{Chat: chatA}},
		{"NoChat", store.OutboxMessage{Key: "y"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := db.Enqueue(ctx, tt.m); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestPruneOutbox(t *testing.T) {
	c := newClock()
	db := mustOpen(t, withClock(c))
	ids, _ := db.Enqueue(ctx, store.OutboxMessage{Key: "old", Chat: chatA}, store.OutboxMessage{Key: "open", Chat: chatB})
	db.Claim(ctx, c.Now(), 10)
	db.MarkSent(ctx, ids[0])
	c.Advance(48 * time.Hour)
	n, err := db.PruneOutbox(ctx, c.Now().Add(-24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("pruned %d, %v; want 1", n, err)
	}
	if _, err := db.Message(ctx, ids[0]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("pruned message: err = %v", err)
	}
	if _, err := db.Message(ctx, ids[1]); err != nil {
		t.Errorf("open message pruned: %v", err)
	}
	if err := db.Check(ctx); err != nil {
		t.Error(err)
	}
	if got, want := store.StateDead.String(), "dead"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}

// TestClaimBuriesMessageThatKillsItsSender: a message whose delivery
// crashes the process every time is re-claimed after each lease until its
// attempts are used up; then it is dead and the chat's next message goes.
func TestClaimBuriesMessageThatKillsItsSender(t *testing.T) {
	path := filepath.Join(t.TempDir(), "moimbot.db")
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, ledger.KST())
	db, err := store.Open(ctx, path, store.Options{NoSync: true, MaxAttempts: 3, Lease: time.Minute, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	chat := store.ChatRef{Platform: "telegram", ID: "-1"}
	ids, err := db.Enqueue(ctx, store.OutboxMessage{Key: "poison", Chat: chat, Text: "x"}, store.OutboxMessage{Key: "next", Chat: chat, Text: "y"})
	if err != nil {
		t.Fatal(err)
	}
	for attempt := 1; attempt <= 3; attempt++ {
		got, err := db.Claim(ctx, now, 10)
		if err != nil || len(got) != 1 || got[0].ID != ids[0] {
			t.Fatalf("attempt %d: claimed %+v, %v", attempt, got, err)
		}
		now = now.Add(2 * time.Minute) // the sender died; the lease runs out
	}
	got, err := db.Claim(ctx, now, 10)
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := db.Message(ctx, ids[0]); m.State != store.StateDead {
		t.Errorf("poison message state = %v, want dead", m.State)
	}
	if len(got) != 1 || got[0].ID != ids[1] {
		t.Errorf("after the poison message died, claimed %+v; want the chat's next message", got)
	}
}

// TestInterruptedLastAttemptIsRetried: the process died after the chat
// accepted the last allowed attempt, before MarkSent. The interrupted
// attempt is not a failure: the message is claimed once more and can be
// marked sent, and nobody is told it was given up.
func TestInterruptedLastAttemptIsRetried(t *testing.T) {
	c := newClock()
	db := mustOpen(t, withClock(c), func(o *store.Options) { o.MaxAttempts = 3; o.Lease = time.Minute })
	g, _ := setup(t, db)
	var letters int
	db.SetDeadLetter(func(m store.Message, g store.Group) []store.OutboxMessage {
		letters++
		return []store.OutboxMessage{{Key: fmt.Sprintf("dead/%d", m.ID), GroupID: g.ID, Chat: chatB, Text: "given up"}}
	})
	ids, err := db.Enqueue(ctx, store.OutboxMessage{Key: "k", GroupID: g.ID, Chat: chatA, Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	for attempt := 1; attempt < 3; attempt++ {
		if got, err := db.Claim(ctx, c.Now(), 10); err != nil || len(got) != 1 {
			t.Fatalf("attempt %d: claimed %d, %v", attempt, len(got), err)
		}
		if _, err := db.MarkFailed(ctx, ids[0], time.Second, "HTTP 502"); err != nil {
			t.Fatal(err)
		}
		c.Advance(time.Second)
	}
	// The third and last attempt: the chat takes the message, then the
	// process dies before MarkSent.
	if got, err := db.Claim(ctx, c.Now(), 10); err != nil || len(got) != 1 {
		t.Fatalf("last attempt: claimed %d, %v", len(got), err)
	}
	c.Advance(2 * time.Minute) // the lease runs out; the process restarted
	got, err := db.Claim(ctx, c.Now(), 10)
	if err != nil {
		t.Fatal(err)
	}
	m, err := db.Message(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || m.State != store.StateSending {
		t.Fatalf("after the interrupted last attempt: claimed %d, state %s; want the message claimed again", len(got), m.State)
	}
	if m.Failures != 2 || m.Interrupted != 1 || m.Attempts != 4 {
		t.Errorf("failures %d, interrupted %d, attempts %d; want 2, 1, 4", m.Failures, m.Interrupted, m.Attempts)
	}
	if err := db.MarkSent(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if letters != 0 {
		t.Errorf("%d dead letters for a delivered message, want 0", letters)
	}
	if err := db.Check(ctx); err != nil {
		t.Error(err)
	}
}

func TestRelease(t *testing.T) {
	c := newClock()
	db := mustOpen(t, withClock(c), func(o *store.Options) { o.MaxAttempts = 2 })
	ids, err := db.Enqueue(ctx, store.OutboxMessage{Key: "k", Chat: chatA, Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Release(ctx, ids[0], c.Now()); !errors.Is(err, store.ErrState) {
		t.Errorf("Release of a pending message: err = %v, want ErrState", err)
	}
	// Released more often than MaxAttempts: never dead, since never tried.
	for i := range 3 {
		if got, err := db.Claim(ctx, c.Now(), 10); err != nil || len(got) != 1 {
			t.Fatalf("claim %d: %d, %v", i+1, len(got), err)
		}
		if err := db.Release(ctx, ids[0], c.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got, err := db.Claim(ctx, c.Now().Add(time.Minute-time.Second), 10); err != nil || len(got) != 0 {
			t.Fatalf("claimed %d before the release ran out (%v), want 0", len(got), err)
		}
		c.Advance(time.Minute)
	}
	m, err := db.Message(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if m.State != store.StatePending || m.Attempts != 0 || m.Failures != 0 {
		t.Errorf("after releases: %s, %d attempts, %d failures; want pending, 0, 0", m.State, m.Attempts, m.Failures)
	}
	if err := db.Check(ctx); err != nil {
		t.Error(err)
	}
}
