package bot

import (
	"context"
	"fmt"
)

// User is a person on a chat platform.
type User struct {
	// Platform is the ChatRef platform: "telegram", "slack", "console".
	Platform string
	// ID is the platform's id of the user; in a direct message it is also
	// the chat's id.
	ID string
	// Name is the display name, Username the handle without its "@", if
	// any.
	Name, Username string
}

// Ref is the user's direct-message chat.
func (u User) Ref() ChatRef { return ChatRef{Platform: u.Platform, ID: u.ID} }

// Update is something a person did in a chat that moimbot may answer: a
// message (a command or not) or the tap of a button under one of the bot's
// messages. Adapters make Updates from their platform's events and hand
// them to a Handler.
type Update struct {
	// ID is the platform's id of the update, unique per platform: replies
	// are queued under keys made from it, so a redelivered update is not
	// answered twice.
	ID string
	// Chat is where it happened; Private is true for a direct message with
	// the bot, and Title is a group's title.
	Chat    ChatRef
	Private bool
	Title   string
	// From is who did it.
	From User
	// Bot is the bot's own username on the platform, for commands
	// addressed to a bot by name (/status@moim_bot).
	Bot string
	// Text is a message's text (a document's caption).
	Text string
	// MessageID is the platform's id of the message, when the update is
	// one (see MessageDeleter).
	MessageID string
	// Document is set when the message carries a file.
	Document *Document
	// ReplyTo is the author of the message this one answers, if any: a
	// command about a person (/treasurer add) may name them by replying to
	// one of their messages.
	ReplyTo *User
	// Tap is set when a button was tapped.
	Tap *Tap
	// Membership is set when the bot was added to or removed from Chat, or
	// the chat moved to a new id.
	Membership *Membership
}

// Tap is the tap of a button.
type Tap struct {
	// Data is the tapped Button's Data.
	Data string
	// Message is the platform's id of the message that carries the button
	// (Message.Edit replaces it).
	Message string
}

// Document is a file a person sent to the bot. Chats that implement
// FileFetcher download it.
type Document struct {
	// ID is the platform's id of the file.
	ID string
	// Name is the file name as sent, MIME its media type, if known.
	Name, MIME string
	// Size is the size in bytes the platform reports, 0 if unknown.
	Size int64
	// URL is where the platform serves the file, when it says so in the
	// update (Slack's url_private); empty otherwise.
	URL string
}

// Membership is a change of the bot's place in a chat.
type Membership struct {
	// Removed is true when the bot was removed from the chat or blocked.
	Removed bool
	// MovedTo is the chat's new id when it moved (a Telegram group that
	// became a supergroup).
	MovedTo string
}

// Handler answers updates. An adapter calls HandleUpdate for the updates
// of one chat in the order they happened, never two of one chat at once.
// Replies go through the outbox; the returned text, if any, is a short
// notice the platform shows the person who tapped a button (Telegram's
// callback answer). HandleUpdate must not panic; adapters recover anyway.
type Handler interface {
	HandleUpdate(ctx context.Context, u Update) (notice string)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, u Update) string

// HandleUpdate calls f.
func (f HandlerFunc) HandleUpdate(ctx context.Context, u Update) string { return f(ctx, u) }

// ErrNotStarted marks a direct message that failed because the user never
// opened a private chat with the bot (Telegram's 403 "bot can't initiate
// conversation with a user"). It wraps ErrPermanent: the message is dead,
// and the group may be told how to start the bot.
var ErrNotStarted = fmt.Errorf("%w: the user has not started a chat with the bot", ErrPermanent)
