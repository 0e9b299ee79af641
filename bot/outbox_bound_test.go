package bot_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// storeOutbox is the store's outbox as a bot.Outbox and bot.Releaser, the
// way the server wires them.
type storeOutbox struct{ db *store.DB }

var (
	_ bot.Outbox   = storeOutbox{}
	_ bot.Releaser = storeOutbox{}
)

func (o storeOutbox) Claim(ctx context.Context, now time.Time, limit int) ([]bot.Message, error) {
	ms, err := o.db.Claim(ctx, now, limit)
	out := make([]bot.Message, 0, len(ms))
	for _, m := range ms {
		out = append(out, bot.Message{ID: m.ID, Key: m.Key, Chat: bot.ChatRef{Platform: m.Chat.Platform, ID: m.Chat.ID},
			Kind: m.Kind, Text: m.Text, Attempt: m.Attempts})
	}
	return out, err
}

func (o storeOutbox) MarkSent(ctx context.Context, id uint64) error { return o.db.MarkSent(ctx, id) }

func (o storeOutbox) MarkFailed(ctx context.Context, id uint64, retryAfter time.Duration, reason string, permanent bool) (bool, error) {
	var (
		m   store.Message
		err error
	)
	if permanent {
		m, err = o.db.MarkDead(ctx, id, reason)
	} else {
		m, err = o.db.MarkFailed(ctx, id, retryAfter, reason)
	}
	return m.State == store.StateDead, err
}

func (o storeOutbox) Release(ctx context.Context, id uint64, notBefore time.Time) error {
	return o.db.Release(ctx, id, notBefore)
}

// goneChat is a Chat whose every chat is gone.
type goneChat struct{ sends atomic.Int64 }

func (c *goneChat) Send(context.Context, bot.Message) error {
	c.sends.Add(1)
	return fmt.Errorf("test: chat not found: %w", bot.ErrPermanent)
}

// boundEnv is a real store with a group whose group chat and treasurer
// cannot be reached, the server's dead-letter function, and a dispatcher
// over them.
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
	// As the server's notifier builds it (a DM to each treasurer).
	db.SetDeadLetter(func(m store.Message, g store.Group) []store.OutboxMessage {
		var out []store.OutboxMessage
		for _, u := range g.Settings.Treasurers {
			chat := bot.ChatRef{Platform: u.Platform, ID: u.ID}
			text := bot.DeadLetterNotice(bot.ParseLang(g.Settings.Language), g.Name, bot.ChatRef{Platform: m.Chat.Platform, ID: m.Chat.ID},
				m.Kind, m.LastError, m.Attempts)
			out = append(out, store.OutboxMessage{Key: fmt.Sprintf("dead/%d/%s", m.ID, chat), GroupID: g.ID,
				Chat: store.ChatRef(u), Kind: bot.KindDeadLetter, Text: text})
		}
		return out
	})
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
	env.d = &bot.Dispatcher{Outbox: storeOutbox{db}, Chats: map[string]bot.Chat{"telegram": env.chat}, Now: clock, Idle: 10 * time.Millisecond}
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
