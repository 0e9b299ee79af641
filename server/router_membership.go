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
	if ms.MovedTo == "" && !ms.Removed {
		return nil // added again: /setup attaches the chat
	}
	g, err := r.e.db.UpdateGroup(ctx, "bot:"+old.Platform, q.g.ID, func(g *store.Group) error {
		s := &g.Settings
		i := slices.Index(s.Chats, old)
		if i < 0 {
			return nil
		}
		if ms.MovedTo != "" {
			s.Chats = slices.Clone(s.Chats)
			s.Chats[i] = store.ChatRef{Platform: old.Platform, ID: ms.MovedTo}
			return nil
		}
		s.Chats = slices.Delete(slices.Clone(s.Chats), i, i+1)
		if !slices.Contains(s.Removed, old) {
			s.Removed = append(slices.Clone(s.Removed), old)
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.e.log.Info("router: group chat changed", "group_id", g.ID, "chat", old.String(), "moved_to", ms.MovedTo, "removed", ms.Removed)
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

// removedFrom is the group whose chat this was before the bot was removed
// from it, if the caller is one of its treasurers.
func (r *Router) removedFrom(ctx context.Context, q *request) (store.Group, bool, error) {
	gs, err := r.ownGroups(ctx, q)
	if err != nil {
		return store.Group{}, false, err
	}
	chat := store.ChatRef{Platform: q.u.Chat.Platform, ID: q.u.Chat.ID}
	for _, g := range gs {
		if slices.Contains(g.Settings.Removed, chat) {
			return g, true, nil
		}
	}
	return store.Group{}, false, nil
}
