package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/moimbot/moimbot/bot"
)

const (
	// maxPending bounds the updates queued and not yet handled, all chats
	// together; beyond it, accepting an update waits, which holds back
	// getUpdates (or the webhook's caller).
	maxPending = 1024
	// answerTimeout bounds answerCallbackQuery.
	answerTimeout = 10 * time.Second
	// maxNotice is Telegram's limit on a callback answer's text, in UTF-16
	// code units.
	maxNotice = 200
	// secretHeader carries the webhook's secret token.
	secretHeader = "X-Telegram-Bot-Api-Secret-Token"
)

// item is an update waiting for the Handler.
type item struct {
	u bot.Update
	// callback is the callback query to answer, "" if none.
	callback string
	// skip marks a callback query without a chat (from an inline
	// message): it is only answered.
	skip bool
}

// inbox queues updates by chat: one chat's in order, different chats' in
// parallel (see bot.ChatQueue). It lives for one Run: its context is
// Run's.
type inbox = bot.ChatQueue[item]

func newInbox(ctx context.Context, a *Adapter) *inbox {
	return bot.NewChatQueue(ctx, maxPending, func(it item) string { return it.u.Chat.ID }, a.handle)
}

// onUpdate is go-telegram/bot's default handler: it runs in the library's
// single worker, in getUpdates order, and queues the update.
func (a *Adapter) onUpdate(ctx context.Context, _ *tg.Bot, u *models.Update) {
	if in := a.inbox.Load(); in != nil {
		a.accept(ctx, in, u)
	}
}

// accept converts u and queues it; a callback query without a chat is
// answered at once. It reports false if u should have been queued but was
// not.
func (a *Adapter) accept(ctx context.Context, in *inbox, u *models.Update) bool {
	it, ok := a.convert(u)
	switch {
	case !ok:
		return true
	case it.skip:
		a.answer(context.WithoutCancel(ctx), it.callback, "") // even while Run is stopping
		return true
	}
	return in.Add(ctx, it)
}

// handle calls the Handler, recovering a panic, and answers a callback
// query with the notice the Handler returned ("" after a panic).
func (a *Adapter) handle(ctx context.Context, it item) {
	var notice string
	if it.callback != "" {
		defer func() { a.answer(ctx, it.callback, notice) }()
	}
	defer func() {
		if r := recover(); r != nil {
			notice = ""
			a.log.Error("telegram: handler panicked",
				"update_id", it.u.ID, "chat", it.u.Chat.String(),
				"panic", a.sanitize(fmt.Sprint(r)), "stack", a.sanitize(string(debug.Stack())))
		}
	}()
	// ctx is the queue's: it does not end when Run is told to stop, so an
	// update being handled is finished then, unless the queue's grace
	// (bot.DrainGrace) runs out first; handlerTimeout bounds it.
	hctx, cancel := context.WithTimeout(ctx, handlerTimeout)
	defer cancel()
	notice = a.handler.HandleUpdate(hctx, it.u)
}

// handlerTimeout bounds the handling of one update.
const handlerTimeout = time.Minute

// answer answers a callback query, so that the user's client stops
// waiting; notice, if any, is shown to them.
func (a *Adapter) answer(ctx context.Context, id, notice string) {
	actx, cancel := context.WithTimeout(ctx, answerTimeout)
	defer cancel()
	_, err := a.api.AnswerCallbackQuery(actx, &tg.AnswerCallbackQueryParams{CallbackQueryID: id, Text: truncateUTF16(notice, maxNotice)})
	if err != nil {
		a.log.Warn("telegram: answer callback query failed", "err", a.sanitize(err.Error()))
	}
}

// truncateUTF16 cuts s to at most n UTF-16 code units, at a rune boundary.
func truncateUTF16(s string, n int) string {
	units := 0
	for i, r := range s {
		units += utf16.RuneLen(r)
		if units > n {
			return s[:i]
		}
	}
	return s
}

// convert makes a bot.Update of u; false if moimbot ignores u.
func (a *Adapter) convert(u *models.Update) (item, bool) {
	base := bot.Update{ID: "telegram:" + strconv.FormatInt(u.ID, 10), Bot: a.Username()}
	switch {
	case u.Message != nil:
		m := u.Message
		setChat(&base, m.Chat)
		if m.ID != 0 {
			base.MessageID = strconv.Itoa(m.ID)
		}
		if m.From != nil {
			base.From = user(*m.From)
		}
		if m.MigrateToChatID != 0 {
			base.Membership = &bot.Membership{MovedTo: strconv.FormatInt(m.MigrateToChatID, 10)}
			return item{u: base}, true
		}
		if m.From == nil || m.From.IsBot {
			return item{}, false
		}
		switch d := m.Document; {
		case d != nil && d.FileID != "":
			base.Document = &bot.Document{ID: d.FileID, Name: d.FileName, MIME: d.MimeType, Size: max(d.FileSize, 0)}
			base.Text = m.Caption
		case m.Text != "":
			base.Text = m.Text
		default: // photos, stickers, other service messages…
			return item{}, false
		}
		if r := m.ReplyToMessage; r != nil && r.From != nil && !r.From.IsBot {
			to := user(*r.From)
			base.ReplyTo = &to
		}
		return item{u: base}, true

	case u.CallbackQuery != nil:
		q := u.CallbackQuery
		it := item{callback: q.ID}
		var msgID int
		switch {
		case q.Message.Message != nil:
			setChat(&base, q.Message.Message.Chat)
			msgID = q.Message.Message.ID
		case q.Message.InaccessibleMessage != nil && q.Message.InaccessibleMessage.Chat.ID != 0:
			setChat(&base, q.Message.InaccessibleMessage.Chat)
			msgID = q.Message.InaccessibleMessage.MessageID
		default: // an inline message: no chat to speak of
			it.skip = true
			return it, true
		}
		if q.From.IsBot {
			it.skip = true
			return it, true
		}
		base.From = user(q.From)
		base.Tap = &bot.Tap{Data: q.Data}
		if msgID != 0 {
			base.Tap.Message = strconv.Itoa(msgID)
		}
		it.u = base
		return it, true

	case u.MyChatMember != nil:
		c := u.MyChatMember
		setChat(&base, c.Chat)
		base.From = user(c.From)
		switch {
		case gone(c.NewChatMember.Type):
			base.Membership = &bot.Membership{Removed: true}
		case present(c.NewChatMember) && !present(c.OldChatMember):
			base.Membership = &bot.Membership{}
		default: // promoted, restricted, …: still there
			return item{}, false
		}
		return item{u: base}, true
	}
	return item{}, false
}

// gone reports whether a member with status t has left the chat: left, or
// kicked (for the bot in a private chat: blocked).
func gone(t models.ChatMemberType) bool {
	return t == models.ChatMemberTypeLeft || t == models.ChatMemberTypeBanned
}

// present reports whether m is in the chat.
func present(m models.ChatMember) bool {
	switch m.Type {
	case models.ChatMemberTypeOwner, models.ChatMemberTypeAdministrator, models.ChatMemberTypeMember:
		return true
	case models.ChatMemberTypeRestricted:
		return m.Restricted != nil && m.Restricted.IsMember
	}
	return false
}

func setChat(u *bot.Update, c models.Chat) {
	u.Chat = bot.ChatRef{Platform: Platform, ID: strconv.FormatInt(c.ID, 10)}
	u.Private = c.Type == models.ChatTypePrivate
	u.Title = c.Title
}

func user(u models.User) bot.User {
	return bot.User{
		Platform: Platform,
		ID:       strconv.FormatInt(u.ID, 10),
		Name:     strings.TrimSpace(u.FirstName + " " + u.LastName),
		Username: u.Username,
	}
}

// WebhookHandler returns the handler for Telegram's webhook requests, to
// be mounted at the URL registered with setWebhook. It answers 404 unless
// the adapter is in webhook mode (Config.WebhookSecret), 405 to anything
// but POST, 401 when the X-Telegram-Bot-Api-Secret-Token header is not the
// secret (compared in constant time), 413 to a body over 1 MiB, 400 to a
// body that is not an update, and 503 while Run is not running (Telegram
// retries later). Otherwise it queues the update for the Handler and
// answers 200 at once. Telegram may deliver updates over several
// connections at once; their order is then the order they arrive in.
func (a *Adapter) WebhookHandler() http.Handler {
	return http.HandlerFunc(a.serveWebhook)
}

func (a *Adapter) serveWebhook(w http.ResponseWriter, r *http.Request) {
	if a.secret == "" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get(secretHeader)), []byte(a.secret)) != 1 {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	var u models.Update
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err := dec.Decode(&u); err != nil {
		if _, ok := err.(*http.MaxBytesError); ok {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "bad update", http.StatusBadRequest)
		return
	}
	in := a.inbox.Load()
	if in == nil || !a.accept(r.Context(), in, &u) {
		http.Error(w, "not running", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}
