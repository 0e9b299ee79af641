package server

import (
	"context"
	"slices"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/store"
)

// membership follows a change of the bot's place in a chat: a group chat
// that moved to a new id (a Telegram group that became a supergroup) is
// followed there; a group chat the bot was removed from gets no more posts,
// and the treasurers are told by DM. /setup in a chat the bot was added to
// again attaches that chat to the group it was removed from (setup).
func (r *Router) membership(ctx context.Context, q *request) error {
	ms := q.u.Membership
	if !q.found || q.u.Private {
		return nil
	}
	old := store.ChatRef{Platform: q.u.Chat.Platform, ID: q.u.Chat.ID}
	g := q.g
	i := slices.Index(g.Settings.Chats, old)
	if i < 0 {
		return nil
	}
	chats := slices.Clone(g.Settings.Chats)
	switch {
	case ms.MovedTo != "":
		chats[i] = store.ChatRef{Platform: old.Platform, ID: ms.MovedTo}
		r.e.log.Info("router: group chat moved", "group_id", g.ID, "from", old.ID, "to", ms.MovedTo)
	case ms.Removed:
		chats = slices.Delete(chats, i, i+1)
		r.e.log.Info("router: removed from a group chat", "group_id", g.ID, "chat", old.String())
	default:
		return nil // added again: /setup attaches the chat
	}
	g.Settings.Chats = chats
	g, err := r.e.db.PutGroup(ctx, "bot:"+old.Platform, g)
	if err != nil {
		return err
	}
	if ms.Removed {
		title := q.u.Title
		if title == "" {
			title = g.Name
		}
		for _, t := range g.Settings.Treasurers {
			r.send(ctx, q, bot.ChatRef{Platform: t.Platform, ID: t.ID}, "", bot.Reply(q.lang, bot.ReplyRemoved, title, g.Name), nil)
		}
	}
	return nil
}

// orphanGroup is the one group the caller is a treasurer of that posts to
// no chat of this platform (the bot was removed from its chat), if any.
func (r *Router) orphanGroup(ctx context.Context, q *request) (store.Group, bool, error) {
	gs, err := r.e.db.Groups(ctx)
	if err != nil {
		return store.Group{}, false, err
	}
	var found []store.Group
	for _, g := range gs {
		if !g.Settings.IsTreasurer(q.user()) {
			continue
		}
		if !slices.ContainsFunc(g.Settings.Chats, func(c store.ChatRef) bool { return c.Platform == q.u.Chat.Platform }) {
			found = append(found, g)
		}
	}
	if len(found) != 1 {
		return store.Group{}, false, nil
	}
	return found[0], true, nil
}
