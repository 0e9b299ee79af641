package server

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// notifier turns what happened into outbox messages: it decides who hears
// about what (the group chats, or the treasurers by DM), renders the text
// with package bot in the group's language, splits long texts within the
// platform's limit and gives every message an idempotency key built from what
// it is about, so that re-running a job never queues it twice.
type notifier struct {
	now func() time.Time
	log *slog.Logger
	// grace is how late a reminder may still be delivered.
	grace time.Duration
}

// deposit is the store.NotifyFunc of Ingest and Assign: a matched deposit
// is announced in the group chats, a doubtful one goes to the treasurers with
// one-tap buttons, an ignored one (interest, a withdrawal) to nobody.
func (n *notifier) deposit(no store.Notice) []store.OutboxMessage {
	g := no.Group
	lang := bot.ParseLang(g.Settings.Language)
	switch no.Match.Outcome {
	case ledger.OutcomeMatched:
		month := duesMonth(g.Dues.Day, no.Deposit.At)
		in := bot.NoticeInput{Lang: lang, Group: &g.Group, Deposit: no.Deposit, Allocations: no.Allocations,
			Month: month, Assigned: no.Event == store.EventAssigned}
		if no.Book != nil {
			in.Statuses = no.Book.Statuses(month)
		}
		text := bot.DepositNotice(in)
		key := "deposit/" + no.Deposit.ID
		if no.Event == store.EventAssigned {
			// An assignment can be undone and made again; each is news.
			key = "assigned/" + no.Deposit.ID + "/" + strconv.FormatInt(n.now().UnixNano(), 36)
		}
		return n.toChats(g, g.Settings.Chats, bot.KindDeposit, key, text, nil)
	case ledger.OutcomeReview:
		text, buttons := bot.Review(bot.ReviewInput{Lang: lang, Group: &g.Group, DepositID: no.Deposit.ID, Deposit: no.Deposit, Match: no.Match})
		return n.toChats(g, dms(g.Settings.Treasurers), bot.KindReview, "review/"+no.Deposit.ID, text, buttons)
	}
	return nil
}

// reminder builds a reminder occurrence's posts; none when nobody owes
// money for the month.
func (n *notifier) reminder(g store.Group, bk *ledger.Book, o bot.Occurrence) []store.OutboxMessage {
	in := bot.ReminderInput{Lang: bot.ParseLang(g.Settings.Language), Group: &g.Group, Statuses: bk.Statuses(o.Month),
		Month: o.Month, Due: o.Month.DueDate(g.Dues.Day, ledger.KST()), Kind: o.Kind, DaysLeft: int(abs(int64(o.Offset)))}
	text, ok := bot.Reminder(in)
	if !ok {
		return nil
	}
	return expire(n.toChats(g, g.Settings.Chats, bot.KindReminder, o.Key(g.ID), text, nil), o.At.Add(n.grace))
}

// expire sets the messages' expiry: a reminder or a board delivered late
// would name people who have paid since.
func expire(ms []store.OutboxMessage, at time.Time) []store.OutboxMessage {
	for i := range ms {
		ms[i].ExpiresAt = at
	}
	return ms
}

// board builds the current month's status board for one chat, as of
// asOf (how far the bank has been read).
func (n *notifier) board(g store.Group, bk *ledger.Book, now, asOf time.Time, chat bot.ChatRef, key string) []store.OutboxMessage {
	month := duesMonth(g.Dues.Day, now)
	text := bot.StatusBoard(bot.BoardInput{Lang: bot.ParseLang(g.Settings.Language), Group: &g.Group, Statuses: bk.Statuses(month),
		Month: month, Due: month.DueDate(g.Dues.Day, ledger.KST()), AsOf: asOf})
	return expire(n.toChats(g, []store.ChatRef{{Platform: chat.Platform, ID: chat.ID}}, bot.KindBoard, key, text, nil), now.Add(boardExpiry))
}

// boardExpiry is how long an undelivered status board is still worth
// sending.
const boardExpiry = 30 * time.Minute

// expiry builds a token-expiry warning for the treasurers.
func (n *notifier) expiry(g store.Group, a store.Account, expires time.Time, w bot.Warning) []store.OutboxMessage {
	text := bot.ExpiryWarning(bot.ParseLang(g.Settings.Language), g.Name, a.BankName, a.Masked, expires, w.DaysLeft)
	return n.toChats(g, dms(g.Settings.Treasurers), bot.KindExpiry, w.Key, text, nil)
}

// relink builds the treasurers' notice that an account must be linked again.
func (n *notifier) relink(g store.Group, a store.Account, reason string) []store.OutboxMessage {
	text := bot.RelinkNotice(bot.ParseLang(g.Settings.Language), g.Name, a.BankName, a.Masked, reason)
	key := "relink/" + a.ID + "/" + strconv.FormatInt(n.now().Unix(), 10)
	return n.toChats(g, dms(g.Settings.Treasurers), bot.KindRelink, key, text, nil)
}

// deadLetter builds the treasurers' notice that a message was given up; it
// is the store's DeadLetterFunc.
func (n *notifier) deadLetter(m store.Message, g store.Group) []store.OutboxMessage {
	text := bot.DeadLetterNotice(bot.ParseLang(g.Settings.Language), g.Name, bot.ChatRef{Platform: m.Chat.Platform, ID: m.Chat.ID}, m.Kind, m.LastError, m.Attempts)
	return n.toChats(g, dms(g.Settings.Treasurers), bot.KindDeadLetter, "dead/"+strconv.FormatUint(m.ID, 10), text, nil)
}

// onDead is the dispatcher's OnDead hook. The treasurer's dead letter is
// queued by the store in the transaction that made the message dead (see
// store.DB.SetDeadLetter); this only logs.
func (n *notifier) onDead(_ context.Context, m bot.Message, reason string) {
	n.log.Warn("message given up", "message_id", m.ID, "chat", m.Chat.String(), "kind", m.Kind, "reason", reason)
}

// toChats addresses text to each chat, split within the chat platform's
// length limit; part i of a split text gets the key suffix "#i".
func (n *notifier) toChats(g store.Group, chats []store.ChatRef, kind, key, text string, buttons [][]bot.Button) []store.OutboxMessage {
	if len(chats) == 0 {
		n.log.Warn("no chat to send to", "group_id", g.ID, "kind", kind)
	}
	var out []store.OutboxMessage
	for _, c := range chats {
		chat := bot.ChatRef{Platform: c.Platform, ID: c.ID}
		parts := bot.Split(text, bot.Limit(c.Platform))
		for i, p := range parts {
			m := bot.Message{Key: key + "/" + chat.String(), Chat: chat, Kind: kind, Text: p}
			if len(parts) > 1 {
				m.Key += "#" + strconv.Itoa(i+1)
			}
			if i == len(parts)-1 {
				m.Buttons = buttons
			}
			out = append(out, outgoing(g.ID, m))
		}
	}
	return out
}

// dms addresses the treasurers directly: a direct message goes to the chat
// whose id is the user's id.
func dms(users []store.ChatUser) []store.ChatRef {
	out := make([]store.ChatRef, 0, len(users))
	for _, u := range users {
		out = append(out, store.ChatRef(u))
	}
	return out
}

// duesMonth is the dues month a chat cares about at t: the month whose due
// date fell within the last duesGrace days (late payers are still paying
// it), else the month whose due date comes next. With dues on the 25th, a
// deposit on 11월 24일 or 11월 30일 is for November and one on 12월 5일 for
// December; with dues on the 1st, a deposit on 10월 30일 is for November.
func duesMonth(dueDay int, t time.Time) ledger.Period {
	t = t.In(ledger.KST())
	m := ledger.MonthOf(t) - 1
	for ; ; m++ {
		// The whole due day counts: a deposit at 21:00 on the 25th is
		// on time.
		due := m.DueDate(dueDay, ledger.KST()).AddDate(0, 0, 1)
		if t.Before(due.AddDate(0, 0, duesGrace)) {
			return m
		}
	}
}

// duesGrace is how many days after its due day a month stays the one the
// chat is about.
const duesGrace = 7

// gap builds the treasurers' notice that the bank's balance chain shows a
// row the bank never listed. The key names the gap, so it is queued once.
func (n *notifier) gap(g store.Group, a store.Account, gp store.Gap) []store.OutboxMessage {
	text := bot.GapNotice(bot.ParseLang(g.Settings.Language), g.Name, a.BankName, a.Masked, gp.After)
	key := "gap/" + a.ID + "/" + strconv.FormatInt(gp.After.Unix(), 10)
	return n.toChats(g, dms(g.Settings.Treasurers), bot.KindGap, key, text, nil)
}

// stuck builds the treasurers' notice that an account's passes keep
// failing, since since. The key names the streak, so it is queued once.
func (n *notifier) stuck(g store.Group, a store.Account, since time.Time, failures int) []store.OutboxMessage {
	text := bot.SyncStuckNotice(bot.ParseLang(g.Settings.Language), g.Name, a.BankName, a.Masked, since, failures)
	key := "stuck/" + a.ID + "/" + strconv.FormatInt(since.Unix(), 10)
	return n.toChats(g, dms(g.Settings.Treasurers), bot.KindSyncStuck, key, text, nil)
}
