package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// Router answers the chat commands and button taps of every group: it is
// the bot.Handler that chat adapters deliver updates to. Commands are
// parsed by package bot; the router finds the chat's group, checks who may
// do what (a treasurer's command from anyone else changes nothing),
// applies the change through the store (which audits it under the caller's
// chat user) and queues the reply in the outbox under a key made from the
// update's id, so a redelivered update is not answered twice.
type Router struct {
	e *Engine
}

// Router returns the engine's command router.
func (e *Engine) Router() *Router { return &Router{e: e} }

var _ bot.Handler = (*Router)(nil)

// request is one update being handled.
type request struct {
	u     bot.Update
	g     store.Group
	found bool // g is the chat's group
	lang  bot.Lang
	n     int // replies queued so far
}

func (q *request) actor() string { return q.user().String() }

func (q *request) user() store.ChatUser {
	return store.ChatUser{Platform: q.u.From.Platform, ID: q.u.From.ID}
}

func (q *request) treasurer() bool { return q.found && q.g.Settings.IsTreasurer(q.user()) }

// HandleUpdate implements bot.Handler.
func (r *Router) HandleUpdate(ctx context.Context, u bot.Update) string {
	q := &request{u: u, lang: bot.Korean}
	g, ok, err := r.groupOf(ctx, u)
	if err != nil {
		r.e.log.Error("router: find the chat's group", "chat", u.Chat.String(), "err", err)
		return bot.Reply(q.lang, bot.ReplyFailed)
	}
	if ok {
		q.g, q.found, q.lang = g, true, bot.ParseLang(g.Settings.Language)
	}
	switch {
	case u.Tap != nil:
		return r.tap(ctx, q)
	case u.Membership != nil:
		if err := r.membership(ctx, q); err != nil {
			r.e.log.Error("router: follow a membership change", "chat", u.Chat.String(), "err", err)
		}
		return ""
	case u.Document != nil:
		r.document(ctx, q)
		return ""
	case u.Private && !strings.HasPrefix(strings.TrimSpace(u.Text), "/") && r.e.uploads.waitingPassword(r.e.now(), q.user()):
		r.password(ctx, q)
		return ""
	}
	cmd, err := bot.ParseCommand(u.Text, u.Bot)
	var usage *bot.UsageError
	switch {
	case errors.Is(err, bot.ErrNotCommand), errors.Is(err, bot.ErrOtherBot):
		return ""
	case errors.Is(err, bot.ErrUnknownCommand):
		word, _, _ := strings.Cut(strings.TrimSpace(u.Text), " ")
		r.replyOnly(ctx, q, bot.Reply(q.lang, bot.ReplyUnknownCommand, word))
		return ""
	case errors.As(err, &usage):
		r.replyOnly(ctx, q, usage.Usage(q.lang))
		return ""
	case err != nil:
		r.e.log.Error("router: parse", "err", err)
		return ""
	}
	if err := r.run(ctx, q, cmd); err != nil {
		r.e.log.Error("router: command failed", "command", string(cmd.Name), "chat", u.Chat.String(), "err", err)
		r.replyOnly(ctx, q, bot.Reply(q.lang, bot.ReplyFailed))
	}
	return ""
}

// groupOf finds the group of the update's chat: the group posting to it,
// or, in a direct message, the only group the user is a treasurer of (see
// treasurerGroups for several). It reads the store's chat indexes, not
// every group.
func (r *Router) groupOf(ctx context.Context, u bot.Update) (store.Group, bool, error) {
	gs, err := r.e.db.ChatGroups(ctx, store.ChatRef{Platform: u.Chat.Platform, ID: u.Chat.ID})
	switch {
	case err != nil:
		return store.Group{}, false, err
	case len(gs) > 0:
		return gs[0], true, nil // the lowest id, should two groups share the chat
	case !u.Private:
		return store.Group{}, false, nil
	}
	mine, err := r.e.db.TreasurerGroups(ctx, store.ChatUser{Platform: u.From.Platform, ID: u.From.ID})
	if err != nil || len(mine) != 1 {
		return store.Group{}, false, err
	}
	return mine[0], true, nil
}

// run executes a parsed command.
func (r *Router) run(ctx context.Context, q *request, cmd bot.Command) error {
	switch cmd.Name {
	case bot.CmdHelp:
		if q.u.Private && cmd.Payload != "" {
			// The t.me link that started the private chat: the
			// treasurer can now get the links their DMs could not.
			r.relink(ctx, q)
		}
		return r.help(ctx, q)
	case bot.CmdSetup:
		return r.setup(ctx, q, cmd)
	case bot.CmdLink:
		return r.link(ctx, q)
	case bot.CmdHistory:
		// Also in a DM from a member, whose group is the one they are
		// linked in.
		return r.history(ctx, q, cmd)
	}
	if !q.found {
		if names := r.treasurerGroups(ctx, q); q.u.Private && len(names) > 1 {
			r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyManyGroups, strings.Join(names, ", ")))
			return nil
		}
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyNoGroup))
		return nil
	}
	if q.g.Dues.Amount == 0 && len(q.g.Dues.Changes) == 0 {
		switch cmd.Name {
		case bot.CmdStatus, bot.CmdUnpaid, bot.CmdRemind, bot.CmdPaid:
			// Nothing is owed before the dues are set: a board would
			// call everyone exempt.
			r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyNoDuesYet))
			return nil
		}
	}
	switch cmd.Name {
	case bot.CmdStatus:
		return r.status(ctx, q, cmd)
	case bot.CmdUnpaid:
		return r.unpaidMentioning(ctx, q)
	case bot.CmdMembers:
		return r.members(ctx, q)
	case bot.CmdIAm:
		return r.iam(ctx, q, cmd)
	}
	// The rest change the group or spend bank calls: treasurers only.
	if !q.treasurer() {
		r.replyOnly(ctx, q, bot.Reply(q.lang, bot.ReplyNotTreasurer))
		return nil
	}
	switch cmd.Name {
	case bot.CmdMember:
		return r.member(ctx, q, cmd)
	case bot.CmdDues:
		return r.dues(ctx, q, cmd)
	case bot.CmdPaid:
		return r.paid(ctx, q, cmd)
	case bot.CmdReview:
		return r.review(ctx, q)
	case bot.CmdRemind:
		return r.remind(ctx, q)
	case bot.CmdSync:
		return r.sync(ctx, q)
	case bot.CmdSettings:
		return r.settings(ctx, q, cmd)
	case bot.CmdTreasurer:
		return r.coTreasurer(ctx, q, cmd)
	case bot.CmdExport:
		return r.export(ctx, q)
	}
	return fmt.Errorf("command %q has no handler", cmd.Name)
}

// reply queues text to the update's chat; replies to one update are keyed
// "reply/<update id>/<n>".
func (r *Router) reply(ctx context.Context, q *request, text string, buttons ...[]bot.Button) {
	r.send(ctx, q, q.u.Chat, "", text, buttons)
}

// replyOnly queues text to the update's chat for the caller alone: a
// usage error, a refusal, help. Where the platform has such messages
// (Slack's ephemeral ones) only the caller sees it; elsewhere it is a
// reply like any other.
func (r *Router) replyOnly(ctx context.Context, q *request, text string) {
	m := bot.Message{Chat: q.u.Chat, Text: text}
	if !q.u.Private {
		m.Only = q.u.From.ID
	}
	r.sendMessage(ctx, q, m)
}

// send queues text to chat, replacing the bot's message edit when set.
func (r *Router) send(ctx context.Context, q *request, chat bot.ChatRef, edit, text string, buttons [][]bot.Button) {
	r.sendMessage(ctx, q, bot.Message{Chat: chat, Edit: edit, Text: text, Buttons: buttons})
}

// sendMessage queues m, split within the platform's limit (its buttons, edit
// and tags go with the last part), under the next reply key of q.
func (r *Router) sendMessage(ctx context.Context, q *request, m bot.Message) {
	q.n++
	key := "reply/" + q.u.ID + "/" + strconv.Itoa(q.n)
	parts := bot.Split(m.Text, bot.Limit(m.Chat.Platform))
	var msgs []store.OutboxMessage
	for i, p := range parts {
		part := bot.Message{Key: key, Chat: m.Chat, Kind: bot.KindReply, Text: p}
		if len(parts) > 1 {
			part.Key += "#" + strconv.Itoa(i+1)
		}
		part.Only = m.Only
		if i == len(parts)-1 {
			part.Buttons, part.Edit, part.Tags = m.Buttons, m.Edit, m.Tags
		}
		msgs = append(msgs, outgoing(q.g.ID, part))
	}
	if _, err := r.e.db.Enqueue(ctx, msgs...); err != nil {
		r.e.log.Error("router: queue a reply", "chat", m.Chat.String(), "err", err)
		return
	}
	r.e.dispatch.Wake()
}

func (r *Router) help(ctx context.Context, q *request) error {
	who := bot.RoleAnyone
	if q.treasurer() {
		who = bot.RoleTreasurer
	}
	where := bot.PlaceGroup
	if q.u.Private {
		where = bot.PlaceDM
	}
	var b strings.Builder
	if q.lang == bot.English {
		b.WriteString("moimbot keeps track of who has paid the group's dues.\n")
	} else {
		b.WriteString("모임봇은 모임통장에 누가 회비를 냈는지 챙겨 드려요.\n")
	}
	for _, h := range bot.HelpCommands(q.lang, who, where) {
		b.WriteString("\n/" + string(h.Name))
		if q.lang == bot.Korean && h.Korean != "" {
			b.WriteString(" (/" + h.Korean + ")")
		}
		b.WriteString(" — " + h.Description)
	}
	r.replyOnly(ctx, q, b.String())
	return nil
}

// status posts a month's board: the current dues month through the
// engine (which syncs first when the last read is stale), another month
// from what is stored.
func (r *Router) status(ctx context.Context, q *request, cmd bot.Command) error {
	now := r.e.now()
	current := duesMonth(q.g.Dues.Day, now)
	month := cmd.MonthAt(current)
	if month == current {
		return r.e.RequestStatus(ctx, q.g.ID, q.u.Chat, q.u.ID)
	}
	bk, err := r.e.db.Book(ctx, q.g.ID)
	if err != nil {
		return err
	}
	text := bot.StatusBoard(bot.BoardInput{Lang: q.lang, Group: &q.g.Group, Statuses: bk.Statuses(month), Month: month,
		Due: month.DueDate(q.g.Dues.Day, ledger.KST()), AsOf: now})
	r.reply(ctx, q, text)
	return nil
}

// unpaid posts who has not paid the current month, as the reminders do.
func (r *Router) unpaid(ctx context.Context, q *request) error {
	bk, err := r.e.db.Book(ctx, q.g.ID)
	if err != nil {
		return err
	}
	now := r.e.now()
	month := duesMonth(q.g.Dues.Day, now)
	due := month.DueDate(q.g.Dues.Day, ledger.KST())
	kind, days := bot.ReminderBefore, int(due.Sub(now).Hours()/24)
	if !now.Before(due.AddDate(0, 0, 1)) { // the whole due day is on time
		kind, days = bot.ReminderOverdue, int(now.Sub(due).Hours()/24)
	}
	text, ok := bot.Reminder(bot.ReminderInput{Lang: q.lang, Group: &q.g.Group, Statuses: bk.Statuses(month), Month: month,
		Due: due, Kind: kind, DaysLeft: days})
	if !ok {
		text = bot.Reply(q.lang, bot.ReplyNobodyOwes, month.String())
	}
	r.reply(ctx, q, text)
	return nil
}

func (r *Router) members(ctx context.Context, q *request) error {
	var lines []string
	n := 0
	for _, m := range q.g.Members {
		if m.Left != 0 && m.Left < duesMonth(q.g.Dues.Day, r.e.now()) {
			continue
		}
		n++
		line := m.ID + " " + m.Name
		if m.Exempt {
			line += map[bool]string{true: " (exempt)", false: " (면제)"}[q.lang == bot.English]
		}
		if amt := q.g.Dues.Amount; m.Dues > 0 && m.Dues != amt {
			line += " · " + bot.Won(q.lang, m.Dues)
		}
		for i, a := range m.Aliases {
			sep := ", "
			if i == 0 {
				sep = " · "
			}
			line += sep + a.Text
		}
		lines = append(lines, line)
	}
	r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyMembers, n, strings.Join(lines, "\n")))
	return nil
}

// findMember finds the member a command names, by id or by name. It
// replies and reports false when there is none or more than one.
func (r *Router) findMember(ctx context.Context, q *request, name string) (ledger.Member, bool) {
	var found []ledger.Member
	for _, m := range q.g.Members {
		if m.ID == name || m.Name == name {
			found = append(found, m)
		}
	}
	switch len(found) {
	case 1:
		return found[0], true
	case 0:
		r.replyOnly(ctx, q, bot.Reply(q.lang, bot.ReplyNoMember, name))
	default:
		r.replyOnly(ctx, q, bot.Reply(q.lang, bot.ReplyAmbiguous, name))
	}
	return ledger.Member{}, false
}

func (r *Router) member(ctx context.Context, q *request, cmd bot.Command) error {
	if cmd.Sub == bot.SubAdd {
		for _, m := range q.g.Members {
			if m.Name == cmd.Member && (m.Left == 0 || m.Left >= duesMonth(q.g.Dues.Day, r.e.now())) {
				r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyMemberExists, m.Name))
				return nil
			}
		}
		m := ledger.Member{Name: cmd.Member, Dues: cmd.Amount, Joined: duesMonth(q.g.Dues.Day, r.e.now())}
		if m.Joined < q.g.Dues.Start {
			m.Joined = 0
		}
		for _, a := range cmd.Aliases {
			m.Aliases = append(m.Aliases, ledger.Alias{Text: a})
		}
		m, err := r.e.db.PutMember(ctx, q.actor(), q.g.ID, m)
		if err != nil {
			return err
		}
		dues := q.g.Dues.Amount
		if m.Dues > 0 {
			dues = m.Dues
		}
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyMemberAdded, m.Name, bot.Won(q.lang, dues)))
		return nil
	}
	m, ok := r.findMember(ctx, q, cmd.Member)
	if !ok {
		return nil
	}
	switch cmd.Sub {
	case bot.SubRemove:
		if m.Left != 0 {
			r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyMemberAlreadyLeft, m.Name, m.Left.String()))
			return nil
		}
		// A member without payments leaves the roster; one with payments
		// stays on the books and owes up to the current dues month.
		left := duesMonth(q.g.Dues.Day, r.e.now())
		paid := r.hasPayments(ctx, q.g.ID, m.ID) // read before the write transaction
		var removed bool
		_, err := r.e.db.UpdateGroup(ctx, q.actor(), q.g.ID, func(g *store.Group) error {
			i := slices.IndexFunc(g.Members, func(x ledger.Member) bool { return x.ID == m.ID })
			if i < 0 {
				return fmt.Errorf("member %s: %w", m.ID, store.ErrNotFound)
			}
			if paid {
				g.Members[i].Left = left
				return nil
			}
			g.Members = slices.Delete(g.Members, i, i+1)
			removed = true
			return nil
		})
		switch {
		case err != nil:
			return err
		case removed:
			r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyMemberRemoved, m.Name))
		default:
			r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyMemberLeft, m.Name, left.String()))
		}
	case bot.SubAlias:
		for _, a := range cmd.Aliases {
			if !slices.ContainsFunc(m.Aliases, func(x ledger.Alias) bool { return x.Text == a }) {
				m.Aliases = append(m.Aliases, ledger.Alias{Text: a})
			}
		}
		m, err := r.e.db.PutMember(ctx, q.actor(), q.g.ID, m)
		if err != nil {
			return err
		}
		var texts []string
		for _, a := range m.Aliases {
			texts = append(texts, a.Text)
		}
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyAliasesAdded, m.Name, strings.Join(texts, ", ")))
	case bot.SubExempt:
		// From the current dues month on: the months before keep what the
		// member owed.
		from := duesMonth(q.g.Dues.Day, r.e.now())
		amount := int64(ledger.GroupDues)
		if cmd.On {
			amount = 0
		}
		if _, err := r.e.db.UpdateGroup(ctx, q.actor(), q.g.ID, func(g *store.Group) error {
			return g.SetMemberDues(m.ID, from, amount)
		}); err != nil {
			return err
		}
		key := bot.ReplyExempt
		if !cmd.On {
			key = bot.ReplyNotExempt
		}
		r.reply(ctx, q, bot.Reply(q.lang, key, m.Name))
	}
	return nil
}

// dues sets the group's dues. The first time (a group just set up), from
// the current dues month; later, a change from the current dues month on,
// the months before keeping what they were.
func (r *Router) dues(ctx context.Context, q *request, cmd bot.Command) error {
	g, err := r.e.db.UpdateGroup(ctx, q.actor(), q.g.ID, func(g *store.Group) error {
		if cmd.DueDay != 0 {
			g.Dues.Day = cmd.DueDay
		}
		from := duesMonth(g.Dues.Day, r.e.now())
		if g.Dues.Amount == 0 && len(g.Dues.Changes) == 0 {
			g.Dues.Amount, g.Dues.Start = cmd.Amount, from
			return nil
		}
		g.SetDues(from, cmd.Amount)
		return nil
	})
	if err != nil {
		return err
	}
	r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyDuesSet, bot.Won(q.lang, cmd.Amount), g.Dues.Day))
	return nil
}

// hasPayments reports whether a member has payments on the books.
func (r *Router) hasPayments(ctx context.Context, groupID, memberID string) bool {
	ps, err := r.e.db.Payments(ctx, groupID)
	if err != nil {
		return true // keep them on the books when unsure
	}
	return slices.ContainsFunc(ps, func(p store.PaymentRecord) bool { return p.Payment.MemberID == memberID && !p.Voided })
}

func (r *Router) paid(ctx context.Context, q *request, cmd bot.Command) error {
	m, ok := r.findMember(ctx, q, cmd.Member)
	if !ok {
		return nil
	}
	rec, err := r.e.db.AddManualPayment(ctx, q.actor(), q.g.ID, ledger.Payment{MemberID: m.ID, Amount: cmd.Amount}, "chat: /paid")
	if err != nil {
		return err
	}
	// Money fills the oldest month owed first, as the bank's deposits do:
	// the reply says which months it went to, and when a month was named
	// that it did not reach.
	var months []string
	reached := false
	want := cmd.MonthAt(duesMonth(q.g.Dues.Day, r.e.now()))
	for _, a := range rec.Allocations {
		if a.MemberID != m.ID {
			continue
		}
		if a.Period.IsZero() {
			months = append(months, bot.Reply(q.lang, bot.ReplyCredit))
			continue
		}
		months = append(months, a.Period.String())
		reached = reached || a.Period == want
	}
	text := bot.Reply(q.lang, bot.ReplyPaidRecorded, m.Name, bot.Won(q.lang, cmd.Amount)) + " → " + strings.Join(months, ", ")
	if (cmd.Month != 0 || cmd.MonthOfYear != 0) && !reached {
		text += "\n" + bot.Reply(q.lang, bot.ReplyPaidOldestFirst, want.String())
	}
	r.reply(ctx, q, text)
	return nil
}

// review sends the treasurer, by DM, every deposit waiting for a decision,
// each with its buttons.
func (r *Router) review(ctx context.Context, q *request) error {
	items, err := r.e.db.Review(ctx, q.g.ID)
	if err != nil {
		return err
	}
	if len(items) == 0 {
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyNothingToReview))
		return nil
	}
	dm := q.u.From.Ref()
	for _, it := range items {
		text, buttons := bot.Review(bot.ReviewInput{Lang: q.lang, Group: &q.g.Group, DepositID: it.Deposit.ID, Deposit: it.Deposit, Match: it.Match})
		r.send(ctx, q, dm, "", text, buttons)
	}
	if !q.u.Private {
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyReviewSent, len(items)))
	}
	return nil
}

// remind posts the current month's reminder to the group's chats now.
func (r *Router) remind(ctx context.Context, q *request) error {
	if q.u.Private {
		r.replyOnly(ctx, q, bot.Reply(q.lang, bot.ReplyGroupOnly))
		return nil
	}
	return r.unpaid(ctx, q)
}

// sync reads the group's accounts now, unless the last read is under a
// minute old (each read is a billed call).
func (r *Router) sync(ctx context.Context, q *request) error {
	accts, err := r.e.db.Accounts(ctx, q.g.ID)
	if err != nil {
		return err
	}
	if len(accts) == 0 {
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyNoAccount))
		return nil
	}
	if !slices.ContainsFunc(accts, func(a store.Account) bool { return a.Source != store.SourceStatement }) {
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyStatementOnly))
		return nil
	}
	n, budget := 0, false
	for _, a := range accts {
		cur, err := r.e.db.Cursor(ctx, a.ID)
		if err != nil {
			return err
		}
		if a.Source == store.SourceStatement || !bot.Stale(cur.FetchedAt, r.e.now()) {
			continue
		}
		if ok, err := r.e.withinBudget(ctx, a.ID, r.e.now()); err != nil {
			return err
		} else if !ok {
			budget = true
			continue
		}
		res, err := r.e.Sync(ctx, a.ID)
		if err != nil {
			r.e.log.Warn("router: sync", "account_id", a.ID, "err", err)
			continue
		}
		n += len(res.New)
	}
	r.e.dispatch.Wake()
	if budget && n == 0 {
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplySyncBudget))
		return nil
	}
	r.reply(ctx, q, bot.Reply(q.lang, bot.ReplySyncQueued, n))
	return nil
}

func (r *Router) settings(ctx context.Context, q *request, cmd bot.Command) error {
	if cmd.Setting == "" {
		g := q.g
		s := &g.Settings
		reminders := "끔"
		if q.lang == bot.English {
			reminders = "off"
		}
		if s.Reminder.Enabled {
			reminders = fmt.Sprintf("%v %02d:%02d", s.Reminder.Days, s.Reminder.Hour, s.Reminder.Minute)
		}
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplySettings, string(q.lang), g.Dues.Day, reminders))
		return nil
	}
	g, err := r.e.db.UpdateGroup(ctx, q.actor(), q.g.ID, func(g *store.Group) error {
		s := &g.Settings
		switch cmd.Setting {
		case bot.SettingLanguage:
			s.Language = string(cmd.Lang)
		case bot.SettingDueDay:
			g.Dues.Day = cmd.DueDay
		case bot.SettingReminders:
			s.Reminder.Enabled = cmd.On
		case bot.SettingRemindDays:
			s.Reminder.Days = slices.Clone(cmd.Days)
		case bot.SettingRemindTime:
			s.Reminder.Hour, s.Reminder.Minute = cmd.Hour, cmd.Minute
		default:
			return fmt.Errorf("setting %q has no handler", cmd.Setting)
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.reply(ctx, q, bot.Reply(bot.ParseLang(g.Settings.Language), bot.ReplySettingChanged))
	return nil
}

// tap applies a treasurer's button: assign:<deposit>:<member>,
// ignore:<deposit>, pick:<deposit>. The message with the buttons is
// edited to show the outcome and who decided; a second tap, or a tap by
// someone who is not a treasurer, changes nothing.
func (r *Router) tap(ctx context.Context, q *request) string {
	action, rest, _ := strings.Cut(q.u.Tap.Data, ":")
	if action == "acct" {
		return r.pickAccount(ctx, q, rest)
	}
	if action == actionImport {
		return r.tapImport(ctx, q, rest)
	}
	if action == actionIAm || action == actionIAmNo {
		return r.tapIAm(ctx, q, action == actionIAm, rest)
	}
	depositID, memberID, _ := strings.Cut(rest, ":")
	rec, err := r.e.db.Deposit(ctx, depositID)
	if err != nil {
		r.e.log.Warn("router: tap on an unknown deposit", "deposit_id", depositID, "err", err)
		return bot.Reply(q.lang, bot.ReplyFailed)
	}
	// The deposit's group decides who may tap: a treasurer of several
	// groups gets the review DMs of all of them in one chat.
	if !q.found || q.g.ID != rec.Decision.GroupID {
		g, err := r.e.db.Group(ctx, rec.Decision.GroupID)
		if err != nil {
			r.e.log.Warn("router: the deposit's group", "deposit_id", depositID, "err", err)
			return bot.Reply(q.lang, bot.ReplyFailed)
		}
		q.g, q.found, q.lang = g, true, bot.ParseLang(g.Settings.Language)
	}
	if !q.treasurer() {
		return bot.Reply(q.lang, bot.ReplyNotTreasurer)
	}
	if !rec.InReview {
		return bot.Reply(q.lang, bot.ReplyTapAlready)
	}
	who := nameOrID(q.u.From)
	text, _ := bot.Review(bot.ReviewInput{Lang: q.lang, Group: &q.g.Group, DepositID: depositID, Deposit: rec.Deposit, Match: rec.Decision.Match})
	switch action {
	case "assign":
		m, ok := q.g.Member(memberID)
		if !ok {
			return bot.Reply(q.lang, bot.ReplyFailed)
		}
		if _, err := r.e.Assign(ctx, q.actor(), depositID, memberID); errors.Is(err, store.ErrState) {
			return bot.Reply(q.lang, bot.ReplyTapAlready) // another treasurer was quicker
		} else if err != nil {
			r.e.log.Error("router: assign", "deposit_id", depositID, "err", err)
			return bot.Reply(q.lang, bot.ReplyFailed)
		}
		done := bot.Reply(q.lang, bot.ReplyTapDone, m.Name)
		r.send(ctx, q, q.u.Chat, q.u.Tap.Message, text+"\n\n"+bot.Reply(q.lang, bot.ReplyTapDecided, done, who), nil)
		return done
	case "ignore":
		if err := r.e.db.Ignore(ctx, q.actor(), depositID, "chat: not dues"); errors.Is(err, store.ErrState) {
			return bot.Reply(q.lang, bot.ReplyTapAlready)
		} else if err != nil {
			r.e.log.Error("router: ignore", "deposit_id", depositID, "err", err)
			return bot.Reply(q.lang, bot.ReplyFailed)
		}
		done := bot.Reply(q.lang, bot.ReplyTapIgnored)
		r.send(ctx, q, q.u.Chat, q.u.Tap.Message, text+"\n\n"+bot.Reply(q.lang, bot.ReplyTapDecided, done, who), nil)
		return done
	case "pick":
		var rows [][]bot.Button
		for _, m := range q.g.Members {
			data := "assign:" + depositID + ":" + m.ID
			if m.Exempt || (m.Left != 0 && m.Left < ledger.MonthOf(rec.Deposit.At.In(ledger.KST()))) || len(data) > bot.MaxButtonData {
				continue
			}
			rows = append(rows, []bot.Button{{Text: m.Name, Data: data}})
		}
		if data := "ignore:" + depositID; len(data) <= bot.MaxButtonData {
			rows = append(rows, []bot.Button{{Text: bot.Reply(q.lang, bot.ReplyNotDuesButton), Data: data}})
		}
		r.send(ctx, q, q.u.Chat, q.u.Tap.Message, text+"\n\n"+bot.Reply(q.lang, bot.ReplyTapPick), rows)
		return ""
	}
	return bot.Reply(q.lang, bot.ReplyFailed)
}
