package server

import (
	"context"
	"testing"
	"time"

	"github.com/moimbot/moimbot/store"
)

// TestLoopPollFreesSlotBeforeCommit: a pass holds its slot for the bank's
// call only; while its rows are decided and committed the slot is free
// for another account's call, and the pass still returns only after the
// commit.
func TestLoopPollFreesSlotBeforeCommit(t *testing.T) {
	env := newLoopEnv(t)
	env.link()
	env.mustSync() // the first sync, which finds nothing
	env.eng.slots = make(chan struct{}, 1)
	env.clock.Advance(time.Minute)
	env.deposit("김민수", 30000)
	env.clock.Advance(time.Minute)

	notify := env.eng.sync.notify
	var held []int
	env.eng.sync.notify = func(n store.Notice) []store.OutboxMessage {
		held = append(held, len(env.eng.slots))
		return notify(n)
	}
	res, err := env.eng.poll(env.ctx, env.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(held) == 0 {
		t.Fatal("the pass built no notice")
	}
	for _, n := range held {
		if n != 0 {
			t.Errorf("slots taken while the pass's rows were decided: %d, want 0", n)
		}
	}
	if len(res.New) != 1 || len(res.New[0].Messages) != 1 {
		t.Errorf("pass stored %d new rows, want 1 with its notice", len(res.New))
	}
	if got := len(env.eng.slots); got != 0 {
		t.Errorf("slots taken after the pass: %d, want 0", got)
	}
}

// TestLoopCancelAfterFetchKeepsRows: a pass cancelled once the bank has
// answered (here while its rows are being decided, without its slot) still
// stores what it read, and the cursor follows: nothing fetched is lost,
// and the next pass does not announce it again.
func TestLoopCancelAfterFetchKeepsRows(t *testing.T) {
	env := newLoopEnv(t)
	env.link()
	env.mustSync()
	env.clock.Advance(time.Minute)
	env.deposit("김민수", 30000)
	env.clock.Advance(time.Minute)

	ctx, cancel := context.WithCancel(env.ctx)
	defer cancel()
	notify := env.eng.sync.notify
	env.eng.sync.notify = func(n store.Notice) []store.OutboxMessage {
		cancel()
		return notify(n)
	}
	if _, err := env.eng.poll(ctx, env.acct.ID); err != nil {
		t.Logf("cancelled pass: %v", err)
	}
	env.eng.sync.notify = notify

	stored, err := env.db.Deposits(env.ctx, env.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 1 {
		t.Fatalf("stored %d deposits after the cancelled pass, want the 1 it read", len(stored))
	}
	cur, err := env.db.Cursor(env.ctx, env.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !cur.Through.Equal(env.clock.Now()) {
		t.Errorf("cursor through %s, want %s", cur.Through, env.clock.Now())
	}
	if got := len(env.allMessages()); got != 1 {
		t.Errorf("%d messages queued, want the deposit's notice", got)
	}
	env.clock.Advance(time.Minute)
	if res := env.mustSync(); len(res.New) != 0 {
		t.Errorf("the next pass stored %d new rows, want 0", len(res.New))
	}
}
