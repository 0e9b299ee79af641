package server

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// goneChat is a Chat whose every chat is gone.
type goneChat struct{ sends atomic.Int64 }

func (c *goneChat) Send(context.Context, bot.Message) error {
	c.sends.Add(1)
	return fmt.Errorf("test: chat not found: %w", bot.ErrPermanent)
}

// boundEnv is a real store with a group whose group chat and treasurer
// cannot be reached, the notifier's dead letters, and a dispatcher over the
// server's outbox.
type boundEnv struct {
	db      *store.DB
	chat    *goneChat
	d       *bot.Dispatcher
	now     *time.Time
	initial int
}

func newBoundEnv(t *testing.T) *boundEnv {
	t.Helper()
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, ledger.KST())
	env := &boundEnv{chat: &goneChat{}, now: &now}
	clock := func() time.Time { return *env.now }
	db, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "moimbot.db"), store.Options{NoSync: true, Now: clock, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	env.db = db
	groupChat, treasurer := store.ChatRef{Platform: "telegram", ID: "-1001"}, store.ChatUser{Platform: "telegram", ID: "42"}
	g, err := db.PutGroup(t.Context(), "cli", store.Group{
		Group: ledger.Group{Name: "독서모임", Dues: ledger.DuesRule{Amount: 30000, Day: 10, Start: ledger.NewPeriod(2026, time.January)},
			Members: []ledger.Member{{ID: "m1", Name: "김민수"}}},
		Settings: store.GroupSettings{Language: "ko", Chats: []store.ChatRef{groupChat}, Treasurers: []store.ChatUser{treasurer}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The server's notifier builds the dead letters.
	notes := &notifier{now: clock, log: slog.New(slog.DiscardHandler)}
	db.SetDeadLetter(notes.deadLetter)
	var msgs []store.OutboxMessage
	for i := range 20 {
		msgs = append(msgs, store.OutboxMessage{Key: fmt.Sprint("deposit/", i), GroupID: g.ID, Chat: groupChat, Kind: bot.KindDeposit, Text: "💰"})
	}
	for i := range 3 {
		msgs = append(msgs, store.OutboxMessage{Key: fmt.Sprint("review/", i), GroupID: g.ID, Chat: store.ChatRef(treasurer), Kind: bot.KindReview, Text: "?"})
	}
	if _, err := db.Enqueue(t.Context(), msgs...); err != nil {
		t.Fatal(err)
	}
	env.initial = len(msgs)
	env.d = &bot.Dispatcher{Outbox: outbox{db}, Chats: map[string]bot.Chat{"telegram": env.chat}, Now: clock, Idle: 10 * time.Millisecond}
	return env
}

// count returns how many messages the outbox holds, and how many of them
// are dead letters and pending dead letters.
func (env *boundEnv) count(t *testing.T) (all, letters, pending int) {
	t.Helper()
	ms, err := env.db.Messages(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Kind == bot.KindDeadLetter {
			letters++
			if m.State == store.StatePending {
				pending++
			}
		}
	}
	return len(ms), letters, pending
}

// TestOutboxBoundedWhenEveryChatFails: every chat, the treasurer's too,
// fails permanently. Dead letters about dead letters are never queued,
// dead letters to one chat coalesce, and parked chats are not hammered, so
// the outbox stays bounded by what was queued in the first place.
func TestOutboxBoundedWhenEveryChatFails(t *testing.T) {
	t.Run("Rounds", func(t *testing.T) {
		env := newBoundEnv(t)
		const rounds, step = 1000, 10 * time.Second
		for range rounds {
			if _, err := env.d.DispatchOnce(t.Context()); err != nil {
				t.Fatal(err)
			}
			*env.now = env.now.Add(step)
		}
		all, letters, pending := env.count(t)
		t.Logf("after %d dispatch rounds %v apart: %d messages in the outbox (%d queued at the start, %d dead letters, %d pending), %d sends",
			rounds, step, all, env.initial, letters, pending, env.chat.sends.Load())
		if most := 2 * env.initial; all > most {
			t.Errorf("%d messages in the outbox, want at most %d", all, most)
		}
		if pending > 1 {
			t.Errorf("%d pending dead letters to the one treasurer, want at most 1", pending)
		}
		// Parked chats: 2 chats over 2.8 h of parks doubling from a
		// minute to an hour is about 20 sends, not one per round.
		if got, most := env.chat.sends.Load(), int64(30); got > most {
			t.Errorf("%d sends to chats that are gone, want at most %d", got, most)
		}
	})
	t.Run("Run", func(t *testing.T) {
		// The real dispatch loop for half a second (the clock does not
		// move, so no park ends).
		env := newBoundEnv(t)
		ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
		defer cancel()
		if err := env.d.Run(ctx); err != nil {
			t.Fatal(err)
		}
		all, letters, pending := env.count(t)
		t.Logf("after 500ms of Run: %d messages in the outbox (%d queued at the start, %d dead letters, %d pending), %d sends",
			all, env.initial, letters, pending, env.chat.sends.Load())
		if most := env.initial + 2; all > most {
			t.Errorf("%d messages in the outbox, want at most %d", all, most)
		}
	})
}

// TestDeadLetterKind: the store gives dead letters the dispatcher's dead
// letter kind.
func TestDeadLetterKind(t *testing.T) {
	if got, want := store.KindDeadLetter, bot.KindDeadLetter; got != want {
		t.Errorf("store.KindDeadLetter = %q, want bot.KindDeadLetter %q", got, want)
	}
}
