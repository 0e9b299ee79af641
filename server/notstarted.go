package server

import (
	"context"
	"errors"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/store"
)

// watchedChat is a chat adapter whose direct messages to a treasurer who
// never opened a private chat with the bot (bot.ErrNotStarted: Telegram's
// 403) make the engine say so in the treasurer's group chats, once, with a
// link that starts the bot.
type watchedChat struct {
	bot.Chat
	e *Engine
}

// Send implements bot.Chat.
func (c watchedChat) Send(ctx context.Context, m bot.Message) error {
	err := c.Chat.Send(ctx, m)
	if errors.Is(err, bot.ErrNotStarted) {
		c.e.tellNotStarted(context.WithoutCancel(ctx), c.Chat, m.Chat)
	}
	return err
}

// tellNotStarted queues, to the group chats of every group whose treasurer
// dm is, the request to start a private chat with the bot. The key makes it
// once per group and person.
func (e *Engine) tellNotStarted(ctx context.Context, chat bot.Chat, dm bot.ChatRef) {
	u := store.ChatUser{Platform: dm.Platform, ID: dm.ID}
	gs, err := e.db.TreasurerGroups(ctx, u)
	if err != nil {
		e.log.Error("find the groups of a treasurer the bot cannot reach", "err", err)
		return
	}
	link := ""
	if named, ok := chat.(interface{ Username() string }); ok && dm.Platform == "telegram" && named.Username() != "" {
		link = "https://t.me/" + named.Username() + "?start=dm"
	}
	for _, g := range gs {
		lang := bot.ParseLang(g.Settings.Language)
		who := "총무"
		if lang == bot.English {
			who = "Treasurer"
		}
		to := link
		if to == "" {
			to = map[bool]string{true: "open the bot's profile and press Start", false: "봇 프로필에서 시작을 눌러 주세요"}[lang == bot.English]
		}
		msgs := e.notes.toChats(g, g.Settings.Chats, bot.KindReply, "not-started/"+g.ID+"/"+u.String(),
			bot.Reply(lang, bot.ReplyNotStarted, who, to), nil)
		if _, err := e.db.Enqueue(ctx, msgs...); err != nil {
			e.log.Error("queue the request to start the bot", "group_id", g.ID, "err", err)
		}
	}
}
