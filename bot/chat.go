package bot

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ChatRef names a chat on a platform: {"telegram", "-1001234"},
// {"slack", "C0ABC"}, {"console", "group"}. A direct message to a user is a
// ChatRef whose ID is the user's id.
type ChatRef struct {
	Platform string
	ID       string
}

// String returns "platform:id".
func (c ChatRef) String() string { return c.Platform + ":" + c.ID }

// MaxButtonData is the longest Button.Data in bytes: Telegram's limit for
// callback data.
const MaxButtonData = 64

// Button is a one-tap action under a message. Data is the callback payload
// the platform hands back when the button is tapped; it is at most
// MaxButtonData bytes.
type Button struct {
	Text string
	Data string
}

// Message kinds. The dispatcher treats KindDeadLetter specially (see
// Dispatcher.OnDead); the others only label messages for logs and adapters.
const (
	KindDeposit    = "deposit"     // a deposit notice in the group chat
	KindReview     = "review"      // a deposit for the treasurer to decide
	KindReminder   = "reminder"    // a dues reminder in the group chat
	KindBoard      = "board"       // a month's status board
	KindRelink     = "relink"      // the bank link stopped working
	KindExpiry     = "expiry"      // the bank link expires soon
	KindGap        = "gap"         // the bank's balance chain shows a missing row
	KindSyncStuck  = "sync_stuck"  // polling an account keeps failing
	KindDeadLetter = "dead_letter" // a message could not be delivered
	KindReply      = "reply"       // a reply to a command
)

// Message is one message to deliver.
type Message struct {
	// ID is the outbox id, 0 if none.
	ID uint64
	// Key is the idempotency key the message was enqueued under.
	Key string
	// Chat is where the message goes.
	Chat ChatRef
	// Kind is one of the Kind constants.
	Kind string
	// Text is the message text, at most Limit(Chat.Platform) UTF-16 code
	// units (see Split).
	Text string
	// Buttons are rows of buttons under the message.
	Buttons [][]Button
	// Edit, when set, is the platform's id of a message the bot sent to
	// Chat earlier: Send replaces that message's text and buttons instead
	// of posting a new one (the treasurer's review message, once decided).
	Edit string
	// File, when set, is sent as a document with Text as its caption.
	File *File
	// Tags mark names in Text that stand for chat users, so that a
	// platform that can notify a user by name (Telegram) links each to its
	// user; elsewhere the names stay plain text.
	Tags []Tag
	// Only, when set, is the id of the one user in Chat who is meant to
	// see the message: a reply that concerns only the caller (a usage
	// error, a refusal, help). A platform with such messages (Slack's
	// ephemeral messages) shows it to that user alone; elsewhere it is
	// posted to Chat like any other.
	Only string
	// Attempt counts delivery attempts: 1 for the first.
	Attempt int
}

// Tag is a name in a message's text that stands for a chat user.
type Tag struct {
	// Text is the name as it stands in the text; the first occurrence
	// after the previous tag's is the one linked.
	Text string
	// UserID is the user's id on the message's platform.
	UserID string
}

// File is a document attached to a message.
type File struct {
	Name string
	Data []byte
}

// Chat delivers messages to one platform. Send returns nil once the platform
// accepted the message; a *RetryAfterError when the platform throttles; an
// error wrapping ErrPermanent when delivery can never succeed (the chat does
// not exist, the bot was removed or blocked); any other error for a
// transient failure worth retrying. Send must return promptly when ctx is
// done. Implementations are safe for concurrent use.
type Chat interface {
	Send(ctx context.Context, m Message) error
}

// ErrPermanent marks a delivery failure that retrying cannot fix. Chats wrap
// it: fmt.Errorf("telegram: send: chat not found: %w", bot.ErrPermanent).
var ErrPermanent = errors.New("bot: permanent delivery failure")

// RetryAfterError is returned by a Chat when the platform throttles: the
// message may be sent again after After.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

// Error describes the throttling.
func (e *RetryAfterError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("bot: rate limited, retry after %v", e.After)
	}
	return fmt.Sprintf("bot: rate limited, retry after %v: %v", e.After, e.Err)
}

// Unwrap returns the platform's error.
func (e *RetryAfterError) Unwrap() error { return e.Err }

// FileFetcher is implemented by a Chat that can download the documents
// people send to the bot (Update.Document).
type FileFetcher interface {
	// FetchFile returns the document's bytes. It fails, without reading
	// more, when the document is larger than max bytes.
	FetchFile(ctx context.Context, d Document, max int64) ([]byte, error)
}

// FileSender is implemented by a Chat that says whether it can deliver
// Message.File; a Chat that does not implement it can.
type FileSender interface {
	SendsFiles() bool
}

// MessageDeleter is implemented by a Chat that can delete a message a
// person sent (a workbook password typed into a direct message).
type MessageDeleter interface {
	// DeleteMessage deletes the message with the platform's id msg in
	// chat.
	DeleteMessage(ctx context.Context, chat ChatRef, msg string) error
}

// Limit returns the maximum length of a message text on platform in UTF-16
// code units: 4096 on Telegram, 3000 on Slack (the text of one Block Kit
// section), and 4096 anywhere else.
func Limit(platform string) int {
	switch platform {
	case "slack":
		return 3000
	default:
		return 4096
	}
}
