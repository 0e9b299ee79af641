package server

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/store"
)

// TestRouterMembership: a group chat that became a supergroup is followed
// to its new id; a chat the bot was removed from gets no more posts, the
// treasurer is told, and /setup in the chat after the bot is added back
// makes it the group's chat again.
func TestRouterMembership(t *testing.T) {
	env := newRouterEnv(t)
	chats := func() []store.ChatRef { return env.reloadGroup().Settings.Chats }
	member := func(ms bot.Membership, chat bot.ChatRef) {
		env.next++
		env.r.HandleUpdate(env.ctx, bot.Update{ID: fmt.Sprintf("test:m%d", env.next), Chat: chat, Title: "우리 방",
			From: routerTreasurer, Membership: &ms})
	}

	moved := bot.ChatRef{Platform: "test", ID: "super"}
	member(bot.Membership{MovedTo: moved.ID}, loopGroupChat)
	if got, want := chats(), []store.ChatRef{{Platform: "test", ID: "super"}}; !slices.Equal(got, want) {
		t.Fatalf("chats after the move = %v, want %v", got, want)
	}

	member(bot.Membership{Removed: true}, moved)
	if got := chats(); len(got) != 0 {
		t.Fatalf("chats after the removal = %v, want none", got)
	}
	told := false
	for _, m := range env.messages(loopTreasurerChat, "") {
		told = told || strings.Contains(m.Text, `moimbot이 "우리 방" 채팅방에서 내보내졌어요`)
	}
	if !told {
		t.Error("the treasurer was not told of the removal")
	}

	member(bot.Membership{}, moved) // added back: nothing yet
	if got := chats(); len(got) != 0 {
		t.Fatalf("chats after the bot was added back = %v, want none before /setup", got)
	}
	env.next++
	u := bot.Update{ID: fmt.Sprintf("test:s%d", env.next), Chat: moved, From: routerTreasurer, Text: "/setup"}
	env.r.HandleUpdate(env.ctx, u)
	wantReply(t, env.replies(u), "이 채팅방을 다시 \"독서모임\" 모임의 단톡방으로 연결했어요")
	if got, want := chats(), []store.ChatRef{{Platform: "test", ID: "super"}}; !slices.Equal(got, want) {
		t.Errorf("chats after /setup = %v, want %v", got, want)
	}
	if gs, _ := env.db.Groups(env.ctx); len(gs) != 1 {
		t.Errorf("%d groups, want the one group", len(gs))
	}
}

// TestNotStartedTreasurer: a DM to a treasurer who never opened a private
// chat with the bot fails for good, and the group is asked once, with the
// link that starts the bot, to have the treasurer do so.
func TestNotStartedTreasurer(t *testing.T) {
	env := newRouterEnv(t)
	env.chat.failWith(loopTreasurerChat, func(int) error {
		return fmt.Errorf("telegram: send: %w", bot.ErrNotStarted)
	})
	for range 2 {
		env.say(routerTreasurer, false, "/link") // each answers by DM
		for env.dispatch() > 0 {
		}
	}
	var asks []string
	for _, m := range env.chat.sentTo(loopGroupChat) {
		if strings.Contains(m.Text, "먼저 봇과 1:1 대화를 시작해 주세요") {
			asks = append(asks, m.Text)
		}
	}
	if len(asks) != 1 {
		t.Errorf("the group was asked %d times, want once: %q", len(asks), asks)
	}
}

// usernameChat is a Telegram-like chat with a bot username that refuses
// DMs to users who never started the bot.
type usernameChat struct{ sent []bot.Message }

func (c *usernameChat) Username() string { return "moim_test_bot" }

func (c *usernameChat) Send(_ context.Context, m bot.Message) error {
	if !strings.HasPrefix(m.Chat.ID, "-") {
		return fmt.Errorf("telegram: send: %w", bot.ErrNotStarted)
	}
	c.sent = append(c.sent, m)
	return nil
}

// TestNotStartedTelegramLink: on Telegram the group gets the link that
// opens a private chat with the bot.
func TestNotStartedTelegramLink(t *testing.T) {
	env := newLoopEnv(t)
	tg := &usernameChat{}
	env.eng = New(Config{DB: env.db, Client: env.client, Calls: env.calls, Chats: map[string]bot.Chat{"telegram": tg}, Now: env.clock.Now})
	g := env.group
	g.Settings.Chats = []store.ChatRef{{Platform: "telegram", ID: "-100"}}
	g.Settings.Treasurers = []store.ChatUser{{Platform: "telegram", ID: "7"}}
	if _, err := env.db.PutGroup(env.ctx, "test", g); err != nil {
		t.Fatal(err)
	}
	r := env.eng.Router()
	r.HandleUpdate(env.ctx, bot.Update{ID: "telegram:1", Chat: bot.ChatRef{Platform: "telegram", ID: "-100"},
		From: bot.User{Platform: "telegram", ID: "7"}, Text: "/link"})
	for env.dispatch() > 0 {
	}
	found := false
	for _, m := range tg.sent {
		found = found || strings.Contains(m.Text, "https://t.me/moim_test_bot?start=dm")
	}
	if !found {
		t.Errorf("the group was not given the t.me link: %+v", tg.sent)
	}
}
