package telegram

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/moimbot/moimbot/bot"
)

// MigratedError is Send's error when the chat was a basic group that
// became a supergroup: Telegram refuses messages to the old id From and
// names the new one, To (both decimal chat ids). It wraps bot.ErrPermanent,
// since the message can never reach From; the server moves the group to
// To and queues its messages again for the new chat. Telegram also reports
// the move as an update (Membership.MovedTo), which may arrive before or
// after the first failed send.
type MigratedError struct {
	From, To string
}

// Error describes the move.
func (e *MigratedError) Error() string {
	return fmt.Sprintf("telegram: send: group %s was upgraded to supergroup %s", e.From, e.To)
}

// Unwrap returns bot.ErrPermanent.
func (e *MigratedError) Unwrap() error { return bot.ErrPermanent }

// opError is a classified failure of a Bot API call or a download: its
// text is sanitized, and it unwraps to the underlying error and, when the
// failure is permanent, to bot.ErrPermanent (or bot.ErrNotStarted).
type opError struct {
	msg  string
	errs []error
}

func (e *opError) Error() string   { return e.msg }
func (e *opError) Unwrap() []error { return e.errs }

// Send delivers m to its chat (see the package documentation for the
// mapping to the Bot API, the errors and the pacing). It implements
// bot.Chat: nil once Telegram accepted the message, a *bot.RetryAfterError
// when Telegram throttled or the pacing would wait longer than
// Limits.MaxWait, an error wrapping bot.ErrPermanent (bot.ErrNotStarted, a
// *MigratedError) when the message can never be delivered, and any other
// error for a transient failure. A message with both Edit and File is a
// permanent error: Telegram cannot attach a file to a text message.
func (a *Adapter) Send(ctx context.Context, m bot.Message) error {
	if m.Chat.Platform != Platform {
		return fmt.Errorf("telegram: send: chat %s is not a Telegram chat: %w", m.Chat, bot.ErrPermanent)
	}
	chatID, err := strconv.ParseInt(m.Chat.ID, 10, 64)
	if err != nil || chatID == 0 {
		return fmt.Errorf("telegram: send: malformed chat id %q: %w", m.Chat.ID, bot.ErrPermanent)
	}
	var editID int
	if m.Edit != "" {
		if m.File != nil {
			return fmt.Errorf("telegram: send: cannot edit message %s to add a file: %w", m.Edit, bot.ErrPermanent)
		}
		if editID, err = strconv.Atoi(m.Edit); err != nil || editID <= 0 {
			return fmt.Errorf("telegram: send: malformed message id %q: %w", m.Edit, bot.ErrPermanent)
		}
	}
	if err := a.pace(ctx, chatID); err != nil {
		return err
	}

	text := tagged(m.Text, m.Tags)
	markup := keyboard(m.Buttons)
	noPreview := &models.LinkPreviewOptions{IsDisabled: tg.True()}
	var method string
	switch {
	case editID != 0:
		method = "editMessageText"
		p := &tg.EditMessageTextParams{ChatID: chatID, MessageID: editID, Text: text, ParseMode: models.ParseModeHTML, LinkPreviewOptions: noPreview}
		if markup != nil {
			p.ReplyMarkup = markup
		}
		_, err = a.api.EditMessageText(ctx, p)
	case m.File != nil:
		method = "sendDocument"
		name := m.File.Name
		if name == "" {
			name = "document"
		}
		p := &tg.SendDocumentParams{
			ChatID:    chatID,
			Document:  &models.InputFileUpload{Filename: name, Data: bytes.NewReader(m.File.Data)},
			Caption:   text,
			ParseMode: models.ParseModeHTML,
		}
		if markup != nil {
			p.ReplyMarkup = markup
		}
		_, err = a.api.SendDocument(ctx, p)
	default:
		method = "sendMessage"
		p := &tg.SendMessageParams{ChatID: chatID, Text: text, ParseMode: models.ParseModeHTML, LinkPreviewOptions: noPreview}
		if markup != nil {
			p.ReplyMarkup = markup
		}
		_, err = a.api.SendMessage(ctx, p)
	}
	return a.classify(chatID, method, err)
}

// keyboard returns the inline keyboard of rows, nil if there are no
// buttons.
func keyboard(rows [][]bot.Button) *models.InlineKeyboardMarkup {
	var kb [][]models.InlineKeyboardButton
	for _, row := range rows {
		var r []models.InlineKeyboardButton
		for _, b := range row {
			r = append(r, models.InlineKeyboardButton{Text: b.Text, CallbackData: b.Data})
		}
		if len(r) > 0 {
			kb = append(kb, r)
		}
	}
	if len(kb) == 0 {
		return nil
	}
	return &models.InlineKeyboardMarkup{InlineKeyboard: kb}
}

// classify turns the library's error of a call to method for chatID into
// Send's error.
func (a *Adapter) classify(chatID int64, method string, err error) error {
	if err == nil {
		return nil
	}
	msg := "telegram: send: " + method + ": " + a.describe(err)
	fail := func(sentinel error) error {
		errs := []error{err}
		if sentinel != nil {
			errs = append(errs, sentinel)
		}
		return &opError{msg: msg, errs: errs}
	}

	var tmr *tg.TooManyRequestsError
	var mig *tg.MigrateError
	switch {
	case errors.As(err, &tmr):
		// Its Message already names the wait; Error adds it again.
		msg = "telegram: send: " + method + ": " + a.describe(errors.New(tmr.Message))
		after := time.Duration(max(tmr.RetryAfter, 1)) * time.Second
		a.pacer.penalize(a.now(), chatID, after)
		return &bot.RetryAfterError{After: after, Err: fail(nil)}
	case errors.As(err, &mig):
		return &MigratedError{From: strconv.FormatInt(chatID, 10), To: strconv.Itoa(mig.MigrateToChatID)}
	case errors.Is(err, tg.ErrorForbidden):
		if strings.Contains(msg, "can't initiate conversation") {
			return fail(bot.ErrNotStarted)
		}
		return fail(bot.ErrPermanent) // kicked, blocked, not a member, deactivated
	case errors.Is(err, tg.ErrorBadRequest):
		if strings.Contains(msg, "message is not modified") {
			return nil // the edit changes nothing: the message already says it
		}
		return fail(bot.ErrPermanent) // chat not found, bad markup, too long: never succeeds
	case errors.Is(err, tg.ErrorUnauthorized), errors.Is(err, tg.ErrorNotFound):
		return fail(bot.ErrPermanent) // a wrong token or API URL: a configuration error
	}
	return fail(nil) // 5xx, 409, network errors, timeouts: worth retrying
}

// describe renders the library's error without its redundant prefixes
// ("forbidden, Forbidden: …" becomes "Forbidden: …") and without the
// token.
func (a *Adapter) describe(err error) string {
	s := err.Error()
	for _, sentinel := range []error{tg.ErrorForbidden, tg.ErrorBadRequest, tg.ErrorUnauthorized, tg.ErrorNotFound, tg.ErrorConflict, tg.ErrorTooManyRequests} {
		if errors.Is(err, sentinel) || strings.HasPrefix(s, sentinel.Error()+", ") {
			s = strings.TrimPrefix(s, sentinel.Error()+", ")
			break
		}
	}
	return a.sanitize(s)
}

// pace waits until the limits admit a message to chatID, or returns a
// *bot.RetryAfterError at once when that is more than Limits.MaxWait away.
func (a *Adapter) pace(ctx context.Context, chatID int64) error {
	now := a.now()
	at, ok := a.pacer.reserve(now, chatID)
	return bot.WaitPaced(ctx, now, at, ok, "telegram: send", fmt.Sprintf("chat %d", chatID))
}

// tagged escapes text for HTML mode and links each tagged name to its user
// (a text mention: tg://user?id=…, which notifies the user where their
// privacy settings allow it). A tag whose name is not found, in order, or
// whose id is not a Telegram user id, stays plain text.
func tagged(text string, tags []bot.Tag) string {
	var b strings.Builder
	rest := text
	for _, t := range tags {
		id, err := strconv.ParseInt(t.UserID, 10, 64)
		i := strings.Index(rest, t.Text)
		if t.Text == "" || err != nil || id <= 0 || i < 0 {
			continue
		}
		b.WriteString(html.EscapeString(rest[:i]))
		b.WriteString(`<a href="tg://user?id=` + strconv.FormatInt(id, 10) + `">` + html.EscapeString(t.Text) + `</a>`)
		rest = rest[i+len(t.Text):]
	}
	b.WriteString(html.EscapeString(rest))
	return b.String()
}
