package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// The router's commands about people: /iam and the treasurer's
// confirmation of it, /history, /treasurer, /export, and the mentions
// /unpaid adds for members linked with /iam.

// Tap actions of /iam's confirmation, sent to the treasurers:
// "iam:<group id>:<member id>:<user id>" links the user,
// "iamno:<group id>:<member id>:<user id>" declines. The user is on the
// platform of the treasurer who taps: /iam asks only the treasurers on the
// asker's platform.
const (
	actionIAm   = "iam"
	actionIAmNo = "iamno"
)

// iamData is the button data of /iam's confirmation, and false when it does
// not fit a button or an id holds the separator.
func iamData(action, groupID, memberID, userID string) (string, bool) {
	for _, s := range []string{groupID, memberID, userID} {
		if s == "" || strings.Contains(s, ":") {
			return "", false
		}
	}
	data := action + ":" + groupID + ":" + memberID + ":" + userID
	return data, len(data) <= bot.MaxButtonData
}

// nameOrID is how a message names who did something: the display name,
// else the platform's id.
func nameOrID(u bot.User) string {
	if u.Name != "" {
		return u.Name
	}
	return u.ID
}

// chatUserName names a chat user for the treasurer: the display name and
// the @username when the platform gave them, else the id.
func chatUserName(u bot.User) string {
	s := u.Name
	if u.Username != "" {
		s = strings.TrimSpace(s + " @" + u.Username)
	}
	if s == "" {
		s = u.ID
	}
	return s
}

// iam links the asker's chat account to the roster member they name, once
// a treasurer confirms: each treasurer on the asker's platform gets the
// request by DM with a confirm and a decline button (see tapIAm). A
// treasurer's own /iam needs no confirmation.
func (r *Router) iam(ctx context.Context, q *request, cmd bot.Command) error {
	if q.u.Private {
		r.replyOnly(ctx, q, bot.Reply(q.lang, bot.ReplyGroupOnly))
		return nil
	}
	m, ok := r.findMember(ctx, q, cmd.Member)
	if !ok {
		return nil
	}
	linked, err := r.e.db.ChatUserMember(ctx, q.g.ID, q.user())
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if linked == m.ID {
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyIAmAlready, m.Name))
		return nil
	}
	if q.treasurer() {
		if err := r.e.db.LinkChatUser(ctx, q.actor(), q.g.ID, q.user(), m.ID); err != nil {
			return err
		}
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyIAmLinked, m.Name))
		return nil
	}
	yes, ok1 := iamData(actionIAm, q.g.ID, m.ID, q.u.From.ID)
	no, ok2 := iamData(actionIAmNo, q.g.ID, m.ID, q.u.From.ID)
	if !ok1 || !ok2 {
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyIAmUnsupported))
		return nil
	}
	text := bot.Reply(q.lang, bot.ReplyIAmConfirm, q.g.Name, chatUserName(q.u.From), q.u.From.ID, m.Name, m.ID)
	buttons := [][]bot.Button{{
		{Text: bot.Reply(q.lang, bot.ReplyIAmYes), Data: yes},
		{Text: bot.Reply(q.lang, bot.ReplyIAmNo), Data: no},
	}}
	var asked []store.ChatUser
	for _, t := range slices.Concat(q.g.Settings.Treasurers, q.g.Settings.CoTreasurers) {
		// A user id means nothing on another platform.
		if t.Platform != q.u.From.Platform || slices.Contains(asked, t) {
			continue
		}
		r.send(ctx, q, bot.ChatRef{Platform: t.Platform, ID: t.ID}, "", text, buttons)
		asked = append(asked, t)
	}
	if len(asked) == 0 {
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyIAmNoTreasurer))
		return nil
	}
	r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyIAmAsked, m.Name))
	return nil
}

// tapIAm applies a treasurer's answer to /iam (rest is "<group id>:<member
// id>:<user id>"): confirm links the user to the member, audited under the
// treasurer, edits the request to say who decided and tells the group;
// decline only edits the request. A tap by someone who is not a treasurer
// of the group, or a second confirm, changes nothing.
func (r *Router) tapIAm(ctx context.Context, q *request, confirm bool, rest string) string {
	parts := strings.Split(rest, ":")
	if len(parts) != 3 || slices.Contains(parts, "") {
		return bot.Reply(q.lang, bot.ReplyFailed)
	}
	groupID, memberID, userID := parts[0], parts[1], parts[2]
	if !q.found || q.g.ID != groupID {
		g, err := r.e.db.Group(ctx, groupID)
		if err != nil {
			r.e.log.Warn("router: the group of an /iam answer", "group_id", groupID, "err", err)
			return bot.Reply(q.lang, bot.ReplyFailed)
		}
		q.g, q.found, q.lang = g, true, bot.ParseLang(g.Settings.Language)
	}
	if !q.treasurer() {
		return bot.Reply(q.lang, bot.ReplyNotTreasurer)
	}
	m, ok := q.g.Member(memberID)
	if !ok {
		return bot.Reply(q.lang, bot.ReplyFailed)
	}
	user := store.ChatUser{Platform: q.u.From.Platform, ID: userID}
	linked, err := r.e.db.ChatUserMember(ctx, groupID, user)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		r.e.log.Error("router: chat user member", "group_id", groupID, "err", err)
		return bot.Reply(q.lang, bot.ReplyFailed)
	}
	if linked == memberID {
		return bot.Reply(q.lang, bot.ReplyIAmAlready, m.Name)
	}
	decider := nameOrID(q.u.From)
	request := bot.Reply(q.lang, bot.ReplyIAmRequest, q.g.Name, userID, m.Name, m.ID)
	if !confirm {
		done := bot.Reply(q.lang, bot.ReplyIAmDeclined)
		r.send(ctx, q, q.u.Chat, q.u.Tap.Message, request+"\n\n"+bot.Reply(q.lang, bot.ReplyTapDecided, done, decider), nil)
		return done
	}
	if err := r.e.db.LinkChatUser(ctx, q.actor(), groupID, user, memberID); err != nil {
		r.e.log.Error("router: link a chat user", "group_id", groupID, "err", err)
		return bot.Reply(q.lang, bot.ReplyFailed)
	}
	done := bot.Reply(q.lang, bot.ReplyIAmLinkedTap, m.Name)
	r.send(ctx, q, q.u.Chat, q.u.Tap.Message, request+"\n\n"+bot.Reply(q.lang, bot.ReplyTapDecided, done, decider), nil)
	for _, c := range q.g.Settings.Chats {
		if c.Platform == user.Platform {
			r.send(ctx, q, bot.ChatRef{Platform: c.Platform, ID: c.ID}, "", bot.Reply(q.lang, bot.ReplyIAmLinked, m.Name), nil)
		}
	}
	return done
}

// History limits: the months and payments one reply lists, newest first.
const (
	historyMonths   = 12
	historyPayments = 10
)

// history posts a member's months (paid, partly paid, unpaid, exempt,
// paid ahead) and payments. Anyone linked with /iam may ask for their own,
// also in a DM to the bot; a treasurer for anyone's.
func (r *Router) history(ctx context.Context, q *request, cmd bot.Command) error {
	if !q.found && q.u.Private {
		if err := r.linkedGroup(ctx, q); err != nil {
			return err
		}
	}
	if !q.found {
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyNoGroup))
		return nil
	}
	own, err := r.e.db.ChatUserMember(ctx, q.g.ID, q.user())
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	var m ledger.Member
	switch {
	case cmd.Member == "" && own == "":
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyHistoryNotLinked))
		return nil
	case cmd.Member == "":
		mine, ok := q.g.Member(own)
		if !ok {
			// Linked to a member since removed from the roster.
			r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyHistoryNotLinked))
			return nil
		}
		m = *mine
	default:
		// Someone else's history is the treasurer's: decided before the
		// roster is searched, so a refusal says nothing about the name.
		if mine, ok := q.g.Member(own); !q.treasurer() && (!ok || cmd.Member != mine.ID && cmd.Member != mine.Name) {
			r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyHistoryOthers))
			return nil
		}
		var ok bool
		if m, ok = r.findMember(ctx, q, cmd.Member); !ok {
			return nil
		}
	}
	bk, err := r.e.db.Book(ctx, q.g.ID)
	if err != nil {
		return err
	}
	month := duesMonth(q.g.Dues.Day, r.e.now())
	st, err := bk.Status(m.ID, month)
	if err != nil {
		return fmt.Errorf("history of %s: %w", m.ID, err)
	}
	pays, err := r.e.db.Payments(ctx, q.g.ID)
	if err != nil {
		return err
	}
	var mine []store.PaymentRecord
	for _, p := range pays {
		if p.Payment.MemberID == m.ID && !p.Voided {
			mine = append(mine, p)
		}
	}
	r.reply(ctx, q, historyText(q.lang, m, month, st, mine))
	return nil
}

// linkedGroup finds, for a DM from someone who is no group's only
// treasurer, the one group their chat user is linked in, and makes it the
// request's group. It leaves the request without a group when there is
// none, or more than one.
func (r *Router) linkedGroup(ctx context.Context, q *request) error {
	found, err := r.e.db.LinkedGroups(ctx, q.user())
	if err != nil {
		return err
	}
	if len(found) == 1 {
		q.g, q.found, q.lang = found[0], true, bot.ParseLang(found[0].Settings.Language)
	}
	return nil
}

// historyText renders /history's reply: the months as of month and the
// payments, each newest first and at most historyMonths and
// historyPayments of them, then what is owed or kept as credit.
func historyText(lang bot.Lang, m ledger.Member, month ledger.Period, st ledger.MemberStatus, pays []store.PaymentRecord) string {
	monthName := func(p ledger.Period) string {
		return bot.Reply(lang, bot.ReplyHistoryMonth, p.Year(), int(p.Month()), p.Month().String())
	}
	var lines []string
	lines = append(lines, bot.Reply(lang, bot.ReplyHistoryHead, m.Name, monthName(month)))
	var months []string
	for _, ps := range slices.Backward(st.Periods) {
		var s string
		switch ps.Status {
		case ledger.StatusPaid:
			s = bot.Reply(lang, bot.ReplyHistoryPaid)
		case ledger.StatusPartial:
			s = bot.Reply(lang, bot.ReplyHistoryPartial, bot.Won(lang, ps.Paid), bot.Won(lang, ps.Due))
		case ledger.StatusUnpaid:
			s = bot.Reply(lang, bot.ReplyHistoryUnpaid)
		case ledger.StatusExempt:
			s = bot.Reply(lang, bot.ReplyHistoryExempt)
		case ledger.StatusCredit:
			s = bot.Reply(lang, bot.ReplyHistoryAhead, bot.Won(lang, ps.Paid))
		default: // not owed: before joining or after leaving
			continue
		}
		months = append(months, monthName(ps.Period)+": "+s)
	}
	lines = append(lines, limitLines(lang, months, historyMonths)...)

	lines = append(lines, "", bot.Reply(lang, bot.ReplyHistoryDeposits))
	if len(pays) == 0 {
		lines = append(lines, bot.Reply(lang, bot.ReplyHistoryNone))
	}
	var paid []string
	for _, p := range slices.Backward(pays) {
		line := p.Payment.At.In(ledger.KST()).Format(time.DateOnly) + " " + bot.Won(lang, p.Payment.Amount)
		if p.Source == store.SourceManual {
			line += bot.Reply(lang, bot.ReplyHistoryCash)
		}
		paid = append(paid, line)
	}
	lines = append(lines, limitLines(lang, paid, historyPayments)...)

	if st.Balance < 0 || st.Credit > 0 {
		lines = append(lines, "")
	}
	if st.Balance < 0 {
		lines = append(lines, bot.Reply(lang, bot.ReplyHistoryOwes, bot.Won(lang, -st.Balance)))
	}
	if st.Credit > 0 {
		lines = append(lines, bot.Reply(lang, bot.ReplyHistoryCredit, bot.Won(lang, st.Credit)))
	}
	return strings.Join(lines, "\n")
}

// limitLines keeps the first n lines and says how many more there were.
func limitLines(lang bot.Lang, lines []string, n int) []string {
	if len(lines) <= n {
		return lines
	}
	return append(lines[:n:n], bot.Reply(lang, bot.ReplyHistoryMore, len(lines)-n))
}

// coTreasurer adds or removes a treasurer. A co-treasurer is added;
// removing takes a co-treasurer, or a main treasurer when a main treasurer
// asks and another one stays.
//
// The user is named by replying to one of their messages with the command,
// or by a platform user id (a Telegram number, a Slack "<@U…>" mention). A
// Telegram @username cannot be turned into a user id (the Bot API offers
// no lookup, and the store keeps chat users as platform and id), so a
// @username resolves only to the person asking or the one replied to; any
// other answers with the ways that work.
func (r *Router) coTreasurer(ctx context.Context, q *request, cmd bot.Command) error {
	var u store.ChatUser
	name := cmd.User.String()
	to := q.u.ReplyTo
	switch {
	case cmd.User.ID != "":
		u = store.ChatUser{Platform: q.u.From.Platform, ID: cmd.User.ID}
	case cmd.User.Username != "" && strings.EqualFold(cmd.User.Username, q.u.From.Username):
		u = q.user()
	case cmd.User.Username != "" && to != nil && strings.EqualFold(cmd.User.Username, to.Username),
		cmd.User == (bot.Mention{}) && to != nil:
		u, name = store.ChatUser{Platform: to.Platform, ID: to.ID}, to.Name
		if name == "" {
			name = to.ID
		}
	case cmd.User == (bot.Mention{}):
		r.replyOnly(ctx, q, bot.UsageWith("/", bot.CmdTreasurer, cmd.Sub, q.lang))
		return nil
	default:
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyTreasurerUsername, cmd.User.Username))
		return nil
	}
	g := q.g
	s := &g.Settings
	is := func(x store.ChatUser) bool { return x == u }
	key := bot.ReplyTreasurerAdded
	switch {
	case cmd.Sub == bot.SubAdd && s.IsTreasurer(u):
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyTreasurerExists, name))
		return nil
	case cmd.Sub == bot.SubAdd:
		s.CoTreasurers = append(slices.Clone(s.CoTreasurers), u)
	case slices.Contains(s.CoTreasurers, u):
		s.CoTreasurers = slices.DeleteFunc(slices.Clone(s.CoTreasurers), is)
		key = bot.ReplyTreasurerRemoved
	case !slices.Contains(s.Treasurers, u):
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyTreasurerNotFound, name))
		return nil
	case !slices.Contains(s.Treasurers, q.user()):
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyTreasurerMainOnly))
		return nil
	case len(s.Treasurers) == 1:
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyTreasurerLast))
		return nil
	default:
		s.Treasurers = slices.DeleteFunc(slices.Clone(s.Treasurers), is)
		key = bot.ReplyTreasurerRemoved
	}
	// The decision was made on the group as read; the change is applied
	// to the group as stored, so that a concurrent change is kept.
	if _, err := r.e.db.UpdateGroup(ctx, q.actor(), q.g.ID, func(cur *store.Group) error {
		cur.Settings.Treasurers, cur.Settings.CoTreasurers = s.Treasurers, s.CoTreasurers
		return nil
	}); err != nil {
		return err
	}
	r.reply(ctx, q, bot.Reply(q.lang, key, name))
	return nil
}

// maxExportBytes bounds the CSV files /export sends: they travel through
// the outbox, which keeps them in the database until pruned. A larger
// export is for `moimbot export` on the server.
const maxExportBytes = 1 << 20

// export sends the treasurer, by DM, the group's export as CSV files in
// the group's language (the tables of `moimbot export`: the members'
// months, the bank's transactions and the cash payments; a table with
// nothing but its header is left out, except the first).
func (r *Router) export(ctx context.Context, q *request) error {
	if fs, ok := r.e.chats[q.u.From.Platform].(bot.FileSender); ok && !fs.SendsFiles() {
		r.replyOnly(ctx, q, bot.Reply(q.lang, bot.ReplyExportNoFiles))
		return nil
	}
	month := duesMonth(q.g.Dues.Day, r.e.now())
	ex, err := r.e.db.Export(ctx, q.g.ID, month)
	if err != nil {
		return err
	}
	var (
		files []*bot.File
		size  int
	)
	for i, t := range ExportTables(ex, q.lang) {
		if i > 0 && len(t.Rows) <= 1 {
			continue
		}
		var b bytes.Buffer
		if err := WriteCSV(&b, t.Rows); err != nil {
			return fmt.Errorf("export %s: %w", t.Name, err)
		}
		size += b.Len()
		files = append(files, &bot.File{Name: t.Name, Data: b.Bytes()})
	}
	if size > maxExportBytes {
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyExportTooBig, (size+1023)/1024))
		return nil
	}
	caption := bot.Reply(q.lang, bot.ReplyExportCaption, q.g.Name, month.String())
	var msgs []store.OutboxMessage
	for i, f := range files {
		q.n++
		m := bot.Message{Key: fmt.Sprintf("reply/%s/%d", q.u.ID, q.n), Chat: q.u.From.Ref(), Kind: bot.KindReply, File: f}
		if i == 0 {
			m.Text = caption
		}
		msgs = append(msgs, outgoing(q.g.ID, m))
	}
	if _, err := r.e.db.Enqueue(ctx, msgs...); err != nil {
		return err
	}
	r.e.dispatch.Wake()
	if !q.u.Private {
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyExportSent))
	}
	return nil
}

// unpaidMentioning posts /unpaid's reply and then, when any member who
// owes this month is linked to a chat user with /iam, a line mentioning
// them, so their phones ring: on Slack as "<@U…>", elsewhere as the
// member's name tagged with the user (Telegram links it, tg://user?id=…).
func (r *Router) unpaidMentioning(ctx context.Context, q *request) error {
	if err := r.unpaid(ctx, q); err != nil {
		return err
	}
	links, err := r.e.db.ChatLinks(ctx, q.g.ID)
	if err != nil || len(links) == 0 {
		return err
	}
	bk, err := r.e.db.Book(ctx, q.g.ID)
	if err != nil {
		return err
	}
	month := duesMonth(q.g.Dues.Day, r.e.now())
	var names []string
	var tags []bot.Tag
	seen := map[store.ChatUser]bool{}
	for _, st := range bk.Statuses(month) { // in roster order
		owes := slices.ContainsFunc(st.Periods, func(ps ledger.PeriodStatus) bool {
			return ps.Period == month && ps.Due > 0 && (ps.Status == ledger.StatusUnpaid || ps.Status == ledger.StatusPartial)
		})
		if !owes {
			continue
		}
		for _, l := range links {
			if l.MemberID != st.MemberID || l.User.Platform != q.u.Chat.Platform || seen[l.User] {
				continue
			}
			seen[l.User] = true
			if l.User.Platform == "slack" {
				names = append(names, "<@"+l.User.ID+">")
				continue
			}
			name := memberNameOf(&q.g.Group, st.MemberID)
			names = append(names, name)
			tags = append(tags, bot.Tag{Text: name, UserID: l.User.ID})
		}
	}
	if len(names) > 0 {
		r.sendMessage(ctx, q, bot.Message{Chat: q.u.Chat, Text: bot.Reply(q.lang, bot.ReplyUnpaidMentions, strings.Join(names, " ")), Tags: tags})
	}
	return nil
}

// memberNameOf is the roster name of member id, or id itself.
func memberNameOf(g *ledger.Group, id string) string {
	if m, ok := g.Member(id); ok {
		return m.Name
	}
	return id
}
