package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/slack-go/slack"

	"github.com/moimbot/moimbot/bot"
)

// DefaultRetryAfter is the wait Send reports when Slack throttles without
// saying for how long (a 429 without Retry-After, {"ok":false,
// "error":"ratelimited"}).
const DefaultRetryAfter = 30 * time.Second

var (
	// chatIDPattern matches the ids a ChatRef may carry: a channel (C…,
	// G…), a direct message (D…) or a user (U…, W…).
	chatIDPattern = regexp.MustCompile(`^[CGDUW][A-Z0-9]{2,}$`)
	// tsPattern matches a message timestamp, "1700000000.000100".
	tsPattern = regexp.MustCompile(`^[0-9]{1,12}\.[0-9]{1,9}$`)
)

// transientErrors are the error codes of Slack's own failures, worth a
// retry; every other error code means the request can never succeed.
var transientErrors = map[string]bool{
	"internal_error":      true,
	"fatal_error":         true,
	"service_unavailable": true,
	"request_timeout":     true,
	"timeout":             true,
}

// throttleErrors are the error codes of an {"ok":false} answer that mean
// "too many requests".
var throttleErrors = map[string]bool{
	"ratelimited":            true,
	"rate_limited":           true,
	"message_limit_exceeded": true,
}

// sendError is a classified failure of a Web API call: its text is
// sanitized, and it unwraps to slack-go's error and, when the failure is
// permanent, to bot.ErrPermanent.
type sendError struct {
	msg  string
	errs []error
}

func (e *sendError) Error() string   { return e.msg }
func (e *sendError) Unwrap() []error { return e.errs }

// Send delivers m to its chat. It implements bot.Chat:
//
//   - Chat.ID is a channel (C…, G…), a direct message channel (D…) or a
//     user (U…, W…): the bot's direct message with the user, opened with
//     conversations.open once and remembered;
//   - Edit set: chat.update of that message (in a direct message, the
//     channel conversations.open names);
//   - Only set (and no Edit): chat.postEphemeral to that user in the
//     channel, except in the user's own direct message, where the message
//     is posted (an ephemeral one would vanish on reload);
//   - otherwise chat.postMessage, unfurling off.
//
// The message is rendered as Block Kit blocks with a top-level text (see
// the package documentation). Send returns nil once Slack accepted the
// message; a *bot.RetryAfterError when Slack throttled (its Retry-After,
// else DefaultRetryAfter) or the pacing would wait longer than
// Limits.MaxWait; an error wrapping bot.ErrPermanent when the message can
// never be delivered (an unknown or archived channel, a channel the bot
// is not in, a user who cannot be sent messages, a revoked token, invalid
// blocks, a file: the bot does not upload files); any other error for a
// transient failure (5xx, network, timeouts).
func (a *Adapter) Send(ctx context.Context, m bot.Message) error {
	if m.Chat.Platform != Platform {
		return fmt.Errorf("slack: send: chat %s is not a Slack chat: %w", m.Chat, bot.ErrPermanent)
	}
	if !chatIDPattern.MatchString(m.Chat.ID) {
		return fmt.Errorf("slack: send: malformed chat id %q: %w", m.Chat.ID, bot.ErrPermanent)
	}
	if m.Edit != "" && !tsPattern.MatchString(m.Edit) {
		return fmt.Errorf("slack: send: malformed message timestamp %q: %w", m.Edit, bot.ErrPermanent)
	}
	if m.Only != "" && !userIDPattern.MatchString(m.Only) {
		return fmt.Errorf("slack: send: malformed user id %q: %w", m.Only, bot.ErrPermanent)
	}
	if m.File != nil {
		return fmt.Errorf("slack: send: file %q: files are not supported on Slack: %w", m.File.Name, bot.ErrPermanent)
	}
	channel, user := m.Chat.ID, ""
	if c := channel[0]; c == 'U' || c == 'W' {
		user = channel
		id, err := a.dmChannel(ctx, user)
		if err != nil {
			return a.classify("", "conversations.open", err)
		}
		channel = id
	}
	only := m.Only
	if only == user {
		only = "" // the user's own direct message: post it
	}

	r := render(m)
	opts := []slack.MsgOption{slack.MsgOptionText(r.text, false)}
	if len(r.blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(r.blocks...))
	}
	key := channel
	if only != "" && m.Edit == "" {
		key += "/" + only
	}
	if err := a.pace(ctx, key); err != nil {
		return err
	}
	var method string
	var err error
	switch {
	case m.Edit != "":
		method = "chat.update"
		_, _, _, err = a.api.UpdateMessageContext(ctx, channel, m.Edit, opts...)
	case only != "":
		method = "chat.postEphemeral"
		_, err = a.api.PostEphemeralContext(ctx, channel, only, opts...)
	default:
		method = "chat.postMessage"
		opts = append(opts, slack.MsgOptionDisableLinkUnfurl(), slack.MsgOptionDisableMediaUnfurl())
		_, _, err = a.api.PostMessageContext(ctx, channel, opts...)
	}
	if err != nil && user != "" && errorCode(err) == "channel_not_found" {
		a.forgetDM(user) // opened again next time
	}
	return a.classify(key, method, err)
}

// errorCode returns the Slack error code of err, "" if it has none.
func errorCode(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

// classify turns slack-go's error of a call to method into Send's error;
// a throttled call holds back further sends to key.
func (a *Adapter) classify(key, method string, err error) error {
	if err == nil {
		return nil
	}
	msg := "slack: send: " + method + ": " + a.sanitize(err.Error())
	fail := func(sentinel error) error {
		errs := []error{err}
		if sentinel != nil {
			errs = append(errs, sentinel)
		}
		return &sendError{msg: msg, errs: errs}
	}
	throttled := func(after time.Duration) error {
		if key != "" {
			a.pacer.penalize(a.now(), key, after)
		}
		return &bot.RetryAfterError{After: after, Err: fail(nil)}
	}

	var rl *slack.RateLimitedError
	var sc slack.StatusCodeError
	var se slack.SlackErrorResponse
	switch {
	case errors.As(err, &rl):
		return throttled(max(rl.RetryAfter, time.Second))
	case errors.As(err, &sc):
		switch {
		case sc.Code == http.StatusTooManyRequests:
			return throttled(DefaultRetryAfter)
		case sc.Code >= 500:
			return fail(nil)
		}
		return fail(bot.ErrPermanent) // 404 and the like: a wrong API URL
	case errors.As(err, &se):
		switch {
		case throttleErrors[se.Err]:
			return throttled(DefaultRetryAfter)
		case transientErrors[se.Err]:
			return fail(nil)
		}
		// channel_not_found, not_in_channel, is_archived, user_not_found,
		// user_disabled, cannot_dm_bot, account_inactive, invalid_auth,
		// token_revoked, missing_scope, invalid_blocks, msg_too_long,
		// message_not_found, cant_update_message, …: retrying changes
		// nothing.
		return fail(bot.ErrPermanent)
	}
	return fail(nil) // network errors, timeouts
}

// pace waits until the limits admit a message to key, or returns a
// *bot.RetryAfterError at once when that is more than Limits.MaxWait away.
func (a *Adapter) pace(ctx context.Context, key string) error {
	now := a.now()
	at, ok := a.pacer.reserve(now, key)
	return bot.WaitPaced(ctx, now, at, ok, "slack: send", key)
}

var _ bot.FileSender = (*Adapter)(nil)

// SendsFiles implements bot.FileSender: the adapter does not upload files
// (the app asks for no files:write scope), so a Message with a File is
// refused as permanent.
func (a *Adapter) SendsFiles() bool { return false }
