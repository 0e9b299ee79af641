package server

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// setup creates the group of a group chat: named as the command says, or
// after the chat; the caller becomes its treasurer; dues are set later
// with /dues (until then nobody owes anything). The treasurer gets the
// bank link by DM.
func (r *Router) setup(ctx context.Context, q *request, cmd bot.Command) error {
	if q.u.Private {
		r.replyOnly(ctx, q, bot.Reply(q.lang, bot.ReplyGroupOnly))
		return nil
	}
	if q.found {
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyGroupExists, q.g.Name))
		return nil
	}
	// The bot was added back to a group's chat it had been removed from:
	// the chat is that group's again.
	if g, ok, err := r.removedFrom(ctx, q); err != nil {
		return err
	} else if ok {
		chat := store.ChatRef{Platform: q.u.Chat.Platform, ID: q.u.Chat.ID}
		if g, err = r.e.db.UpdateGroup(ctx, q.actor(), g.ID, func(g *store.Group) error {
			g.Settings.Removed = slices.DeleteFunc(slices.Clone(g.Settings.Removed), func(c store.ChatRef) bool { return c == chat })
			if !slices.Contains(g.Settings.Chats, chat) {
				g.Settings.Chats = append(slices.Clone(g.Settings.Chats), chat)
			}
			return nil
		}); err != nil {
			return err
		}
		q.g, q.found, q.lang = g, true, bot.ParseLang(g.Settings.Language)
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyReattached, g.Name))
		return nil
	}
	name := cmd.Group
	if name == "" {
		name = strings.TrimSpace(q.u.Title)
	}
	if name == "" {
		name = "moimbot"
	}
	now := r.e.now()
	g := store.Group{
		Group: ledger.Group{Name: name, Dues: ledger.DuesRule{Day: 25, Start: ledger.MonthOf(now.In(ledger.KST()))}},
		Settings: store.GroupSettings{
			Language:   string(r.e.lang),
			Reminder:   DefaultReminder(),
			Chats:      []store.ChatRef{{Platform: q.u.Chat.Platform, ID: q.u.Chat.ID}},
			Treasurers: []store.ChatUser{q.user()},
		},
	}
	// Names are unique across the groups moimbot keeps: a second 독서모임
	// elsewhere becomes "독서모임 (2)".
	base := name
	for i := 2; ; i++ {
		_, err := r.e.db.GroupByName(ctx, g.Name)
		if errors.Is(err, store.ErrNotFound) {
			break
		}
		if err != nil {
			return err
		}
		g.Name = base + " (" + strconv.Itoa(i) + ")"
	}
	g, err := r.e.db.PutGroup(ctx, q.actor(), g)
	if err != nil {
		return err
	}
	q.g, q.found, q.lang = g, true, bot.ParseLang(g.Settings.Language)
	r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyGroupCreated, g.Name, nameOrID(q.u.From)))
	r.sendLink(ctx, q)
	return nil
}

// link sends the treasurer a new bank link by DM.
func (r *Router) link(ctx context.Context, q *request) error {
	if !q.found {
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyNoGroup))
		return nil
	}
	if !q.treasurer() {
		r.replyOnly(ctx, q, bot.Reply(q.lang, bot.ReplyNotTreasurer))
		return nil
	}
	r.sendLink(ctx, q)
	if !q.u.Private {
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyLinkSent))
	}
	return nil
}

// sendLink DMs the caller a one-time link to connect the group's account.
func (r *Router) sendLink(ctx context.Context, q *request) {
	url, ok := r.e.NewLink(q.g.ID, q.user())
	text := bot.Reply(q.lang, bot.ReplyLinkOff)
	if ok {
		text = bot.Reply(q.lang, bot.ReplyLinkDM, q.g.Name, url)
	}
	r.send(ctx, q, q.u.From.Ref(), "", text, nil)
}

// pickAccount applies the treasurer's tap on one of the accounts a
// consent listed ("acct:<pick>:<i>"): the account is linked to the group,
// the DM edited, and the group told.
func (r *Router) pickAccount(ctx context.Context, q *request, rest string) string {
	pick, index, _ := strings.Cut(rest, ":")
	g, a, err := r.e.pickAccount(ctx, q.user(), pick, index)
	switch {
	case errors.Is(err, errPickGone):
		return bot.Reply(q.lang, bot.ReplyLinkGone)
	case errors.Is(err, ErrLinkedElsewhere):
		return bot.Reply(q.lang, bot.ReplyLinkElsewhere)
	case err != nil:
		r.e.log.Error("router: link the picked account", "err", err)
		return bot.Reply(q.lang, bot.ReplyFailed)
	}
	q.g, q.found, q.lang = g, true, bot.ParseLang(g.Settings.Language)
	done := bot.Reply(q.lang, bot.ReplyLinked, g.Name, strings.TrimSpace(a.BankName+" "+a.Masked))
	r.send(ctx, q, q.u.Chat, q.u.Tap.Message, done, nil)
	for _, c := range g.Settings.Chats {
		r.send(ctx, q, bot.ChatRef{Platform: c.Platform, ID: c.ID}, "", done, nil)
	}
	return done
}

// treasurerGroups names the groups the caller is a treasurer of (none
// when they cannot be read).
func (r *Router) treasurerGroups(ctx context.Context, q *request) []string {
	gs, _ := r.ownGroups(ctx, q)
	names := make([]string, len(gs))
	for i, g := range gs {
		names[i] = g.Name
	}
	return names
}

// relink sends a fresh bank link for every group the caller is a treasurer
// of that has no linked account: after Telegram refused their DMs because
// they had not started the bot, the first link never reached them.
func (r *Router) relink(ctx context.Context, q *request) {
	gs, err := r.ownGroups(ctx, q)
	if err != nil {
		return
	}
	for _, g := range gs {
		if accts, err := r.e.db.Accounts(ctx, g.ID); err != nil || len(accts) > 0 {
			continue
		}
		saved := q.g
		q.g = g
		r.sendLink(ctx, q)
		q.g = saved
	}
}
