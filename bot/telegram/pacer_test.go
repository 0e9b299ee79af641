package telegram

import (
	"cmp"
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"slices"
	"testing"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/bot/telegram/telegramtest"
)

// TestPacer checks the pacer's reservations on a made-up clock: each
// request asks at its offset, and gets a moment (offset of the reservation)
// and whether it was reserved. Then the reserved sends are replayed, at
// their moments, against the fake server enforcing the same limits on a
// manual clock: none may be refused.
func TestPacer(t *testing.T) {
	const (
		dm    = int64(1001)
		dm2   = int64(1002)
		group = int64(-100)
	)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	type req struct {
		at   time.Duration // when Send asks
		chat int64
		want time.Duration // the moment it gets
		ok   bool          // reserved (want-at ≤ MaxWait)
	}
	def := DefaultLimits()
	tests := []struct {
		name  string
		lim   Limits
		setup func(p *pacer, t0 time.Time)
		reqs  []req
	}{
		{"ChatBurstThenInterval", def, nil, []req{
			{0, dm, 0, true},
			{0, dm, 0, true},
			{0, dm, ms(100), true}, // the third of the burst, after the margin
			{0, dm, ms(1100), true},
			{0, dm, ms(2100), false}, // over MaxWait: not reserved
			{0, dm2, 0, true},        // other chats go on
			{ms(2100), dm, ms(2100), true},
		}},
		{"ChatBurstOfOne", Limits{ChatBurst: 1, ChatInterval: time.Second, GroupPerMinute: -1, GlobalPerSecond: -1}, nil, []req{
			{0, dm, 0, true},
			{0, dm, ms(1100), true},
			{ms(5000), dm, ms(5000), true},
		}},
		{"GroupPerMinute", Limits{ChatInterval: -1, GroupPerMinute: 3, GlobalPerSecond: -1}, nil, []req{
			{0, group, 0, true},
			{ms(10_000), group, ms(10_000), true},
			{ms(20_000), group, ms(20_000), true},
			{ms(30_000), group, ms(60_100), false}, // the window is full until the first send leaves it
			{ms(59_000), group, ms(60_100), true},
			{ms(59_000), group, ms(70_100), false},
			{ms(59_000), dm, ms(59_000), true}, // private chats have no group window
		}},
		{"GlobalPerSecond", Limits{ChatInterval: -1, GroupPerMinute: -1, GlobalPerSecond: 3}, nil, []req{
			{0, 1, 0, true},
			{0, 2, 0, true},
			{ms(500), 3, ms(500), true},
			{ms(500), 4, ms(1100), true},
			{ms(600), 5, ms(1100), true},
			{ms(600), 6, ms(1600), true},
			{ms(600), 7, ms(2200), true}, // exactly MaxWait
			{ms(600), 8, ms(2200), true},
			{ms(600), 9, ms(2700), false},
		}},
		{"FutureReservations", Limits{ChatBurst: 1, ChatInterval: time.Second, GroupPerMinute: -1, GlobalPerSecond: 2, MaxWait: 5 * time.Second}, nil, []req{
			{0, 1, 0, true},
			{0, 1, ms(1100), true}, // reserved ahead by its chat's interval
			{0, 2, 0, true},        // fits between them
			{0, 3, ms(1100), true},
			{0, 4, ms(2200), true}, // (0, 1.1] holds two from 1.1 on
		}},
		{"FutureWindowFull", Limits{ChatInterval: -1, GroupPerMinute: -1, GlobalPerSecond: 2, MaxWait: 5 * time.Second},
			func(p *pacer, t0 time.Time) {
				p.penalize(t0, 1, ms(1100))
				p.penalize(t0, 2, ms(1500))
			}, []req{
				{0, 1, ms(1100), true},
				{0, 2, ms(1500), true},
				// Nothing before 0.5, but the window (0.4, 1.5] is full
				// already.
				{ms(500), 3, ms(2200), true},
			}},
		{"GroupAndGlobal", Limits{ChatInterval: -1, GroupPerMinute: 2, GlobalPerSecond: 2}, nil, []req{
			{0, group, 0, true},
			{0, -101, 0, true},
			{0, group, ms(1100), true},      // global window first
			{0, group, ms(60_100), false},   // then the group's
			{ms(100), -102, ms(1100), true}, // the global window has room again at 1.1
		}},
		{"After429", def, func(p *pacer, t0 time.Time) { p.penalize(t0, dm, 3*time.Second) }, []req{
			{0, dm, ms(3000), false},
			{ms(1500), dm, ms(3000), true},
			{0, dm2, 0, true},
		}},
		{"Off", Limits{ChatInterval: -1, GroupPerMinute: -1, GlobalPerSecond: -1}, nil, []req{
			{0, group, 0, true}, {0, group, 0, true}, {0, group, 0, true}, {0, group, 0, true},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
			p := newPacer(tc.lim)
			if tc.setup != nil {
				tc.setup(p, t0)
			}
			var reserved []pacedSend
			for i, r := range tc.reqs {
				at, ok := p.reserve(t0.Add(r.at), r.chat)
				if got := at.Sub(t0); got != r.want || ok != r.ok {
					t.Errorf("request %d (at %v to %d) = %v, %v; want %v, %v", i, r.at, r.chat, got, ok, r.want, r.ok)
				}
				if ok {
					reserved = append(reserved, pacedSend{at: at.Sub(t0), chat: r.chat})
				}
			}
			replay(t, tc.lim.normalize(), t0, reserved)
		})
	}
}

// pacedSend is a reserved send: its moment after t0 and its chat.
type pacedSend struct {
	at   time.Duration
	chat int64
}

// replay sends a message at each reserved moment, in time order, to a fake
// server enforcing lim on a manual clock, and fails on a 429.
func replay(t *testing.T, lim Limits, t0 time.Time, sends []pacedSend) {
	t.Helper()
	clock := telegramtest.NewClock(t0)
	srv := telegramtest.NewServer(telegramtest.WithClock(clock.Now), telegramtest.WithLimits(telegramtest.Limits{
		ChatBurst: lim.ChatBurst, ChatInterval: lim.ChatInterval, GroupPerMinute: lim.GroupPerMinute, GlobalPerSecond: lim.GlobalPerSecond,
	}))
	defer srv.Close()
	b, err := tg.New(srv.Token, tg.WithSkipGetMe(), tg.WithServerURL(srv.URL),
		tg.WithHTTPClient(time.Minute, &http.Client{Timeout: 5 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	slices.SortStableFunc(sends, func(a, b pacedSend) int { return cmp.Compare(a.at, b.at) })
	for _, s := range sends {
		if s.chat > 0 {
			srv.AddUser(telegramtest.User{ID: s.chat, FirstName: "U"})
			if err := srv.SetStarted(s.chat, true); err != nil {
				t.Fatal(err)
			}
		} else {
			srv.AddSupergroup(s.chat, "G")
		}
	}
	for _, s := range sends {
		clock.Set(t0.Add(s.at))
		_, err := b.SendMessage(context.Background(), &tg.SendMessageParams{ChatID: s.chat, Text: "x"})
		var tmr *tg.TooManyRequestsError
		if errors.As(err, &tmr) {
			t.Errorf("the fake refused the send at %v to %d: %v", s.at, s.chat, err)
		} else if err != nil {
			t.Fatal(err)
		}
	}
}

// TestPacerRandom: bursts of requests to a mix of chats, on a made-up
// clock; every reservation replayed against the fake with Telegram's limits
// passes, and none is earlier than its request or later than MaxWait.
func TestPacerRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 17))
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	lim := DefaultLimits()
	p := newPacer(lim)
	var reserved []pacedSend
	now := time.Duration(0)
	for range 3000 {
		now += time.Duration(rng.IntN(40)) * time.Millisecond
		chat := int64(rng.IntN(60) + 1)
		if rng.IntN(2) == 0 {
			chat = -chat
		}
		at, ok := p.reserve(t0.Add(now), chat)
		wait := at.Sub(t0) - now
		if wait < 0 || ok != (wait <= lim.MaxWait) {
			t.Fatalf("request at %v to %d: reserved %v (ok %v)", now, chat, at.Sub(t0), ok)
		}
		if ok {
			reserved = append(reserved, pacedSend{at: at.Sub(t0), chat: chat})
		}
	}
	if len(reserved) < 1000 {
		t.Fatalf("only %d of 3000 requests reserved", len(reserved))
	}
	replay(t, lim, t0, reserved)
}

// TestConvertReplyTo: a message answering another person's message carries
// its author, for commands about a person (/treasurer add in reply).
func TestConvertReplyTo(t *testing.T) {
	a := &Adapter{}
	u := &models.Update{ID: 9, Message: &models.Message{ID: 3, Date: 1, Chat: models.Chat{ID: -100, Type: "supergroup"},
		From: &models.User{ID: 7, FirstName: "총무"}, Text: "/treasurer add",
		ReplyToMessage: &models.Message{ID: 2, Date: 1, Chat: models.Chat{ID: -100, Type: "supergroup"},
			From: &models.User{ID: 8, FirstName: "민수", Username: "minsu"}}}}
	it, ok := a.convert(u)
	if !ok {
		t.Fatal("the update was dropped")
	}
	if got, want := it.u.ReplyTo, (&bot.User{Platform: "telegram", ID: "8", Name: "민수", Username: "minsu"}); got == nil || *got != *want {
		t.Errorf("ReplyTo = %+v, want %+v", got, want)
	}
	u.Message.ReplyToMessage.From.IsBot = true
	if it, _ := a.convert(u); it.u.ReplyTo != nil {
		t.Errorf("a reply to a bot's message names %+v, want nobody", it.u.ReplyTo)
	}
}
