package telegramtest

// The Bot API objects the server reads and writes, declared here from the
// Bot API documentation rather than borrowed from a client library, so that
// the client under test and the fake check each other. Only the fields the
// fake uses are declared.

// User is a Telegram user or bot (https://core.telegram.org/bots/api#user).
type User struct {
	ID           int64  `json:"id"`
	IsBot        bool   `json:"is_bot"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name,omitempty"`
	Username     string `json:"username,omitempty"`
	LanguageCode string `json:"language_code,omitempty"`
	// The next three are set by getMe only.
	CanJoinGroups           bool `json:"can_join_groups,omitempty"`
	CanReadAllGroupMessages bool `json:"can_read_all_group_messages,omitempty"`
	SupportsInlineQueries   bool `json:"supports_inline_queries,omitempty"`
}

// Chat types (Chat.Type).
const (
	ChatPrivate    = "private"
	ChatGroup      = "group"
	ChatSupergroup = "supergroup"
	ChatChannel    = "channel"
)

// Chat is a chat (https://core.telegram.org/bots/api#chat). A private
// chat's ID is the user's ID; group IDs are negative.
type Chat struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	Title     string `json:"title,omitempty"`
	Username  string `json:"username,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
}

// MessageEntity is a formatted span of a text, with UTF-16 offset and
// length (https://core.telegram.org/bots/api#messageentity).
type MessageEntity struct {
	Type          string `json:"type"`
	Offset        int    `json:"offset"`
	Length        int    `json:"length"`
	URL           string `json:"url,omitempty"`
	Language      string `json:"language,omitempty"`
	CustomEmojiID string `json:"custom_emoji_id,omitempty"`
}

// Document is a general file (https://core.telegram.org/bots/api#document).
type Document struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	FileName     string `json:"file_name,omitempty"`
	MimeType     string `json:"mime_type,omitempty"`
	FileSize     int64  `json:"file_size,omitempty"`
}

// PhotoSize is one size of a photo
// (https://core.telegram.org/bots/api#photosize). The fake stores no
// photos; tests Push messages with them.
type PhotoSize struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	FileSize     int64  `json:"file_size,omitempty"`
}

// File is the answer of getFile (https://core.telegram.org/bots/api#file);
// the bytes are at /file/bot<token>/<FilePath>.
type File struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	FileSize     int64  `json:"file_size,omitempty"`
	FilePath     string `json:"file_path,omitempty"`
}

// InlineKeyboardButton is a button under a message. Of the button kinds
// only callback and URL buttons are kept; copy_text, web_app and the others
// are accepted and dropped.
type InlineKeyboardButton struct {
	Text         string `json:"text"`
	URL          string `json:"url,omitempty"`
	CallbackData string `json:"callback_data,omitempty"`
}

// InlineKeyboardMarkup is an inline keyboard
// (https://core.telegram.org/bots/api#inlinekeyboardmarkup).
type InlineKeyboardMarkup struct {
	InlineKeyboard [][]InlineKeyboardButton `json:"inline_keyboard"`
}

// Message is a message (https://core.telegram.org/bots/api#message). Text
// is what users see: markup removed, entities listed in Entities.
type Message struct {
	MessageID         int                   `json:"message_id"`
	From              *User                 `json:"from,omitempty"`
	Chat              Chat                  `json:"chat"`
	Date              int64                 `json:"date"`
	EditDate          int64                 `json:"edit_date,omitempty"`
	Text              string                `json:"text,omitempty"`
	Entities          []MessageEntity       `json:"entities,omitempty"`
	Photo             []PhotoSize           `json:"photo,omitempty"`
	Document          *Document             `json:"document,omitempty"`
	Caption           string                `json:"caption,omitempty"`
	CaptionEntities   []MessageEntity       `json:"caption_entities,omitempty"`
	MigrateToChatID   int64                 `json:"migrate_to_chat_id,omitempty"`
	MigrateFromChatID int64                 `json:"migrate_from_chat_id,omitempty"`
	ReplyMarkup       *InlineKeyboardMarkup `json:"reply_markup,omitempty"`
}

// CallbackQuery is a tap on an inline button
// (https://core.telegram.org/bots/api#callbackquery). Message has a
// non-zero Date, so clients decode it as an accessible message.
type CallbackQuery struct {
	ID           string   `json:"id"`
	From         User     `json:"from"`
	Message      *Message `json:"message,omitempty"`
	ChatInstance string   `json:"chat_instance"`
	Data         string   `json:"data,omitempty"`
}

// Chat member statuses (ChatMember.Status).
const (
	StatusCreator       = "creator"
	StatusAdministrator = "administrator"
	StatusMember        = "member"
	StatusLeft          = "left"
	StatusKicked        = "kicked"
)

// ChatMember is one member's status in a chat
// (https://core.telegram.org/bots/api#chatmember).
type ChatMember struct {
	Status    string `json:"status"`
	User      User   `json:"user"`
	UntilDate *int64 `json:"until_date,omitempty"`
}

// ChatMemberUpdated reports a change of a member's status
// (https://core.telegram.org/bots/api#chatmemberupdated); in my_chat_member
// updates the member is the bot.
type ChatMemberUpdated struct {
	Chat          Chat       `json:"chat"`
	From          User       `json:"from"`
	Date          int64      `json:"date"`
	OldChatMember ChatMember `json:"old_chat_member"`
	NewChatMember ChatMember `json:"new_chat_member"`
}

// Update is one incoming update (https://core.telegram.org/bots/api#update).
// Exactly one of the pointer fields is set.
type Update struct {
	UpdateID      int64              `json:"update_id"`
	Message       *Message           `json:"message,omitempty"`
	EditedMessage *Message           `json:"edited_message,omitempty"`
	CallbackQuery *CallbackQuery     `json:"callback_query,omitempty"`
	MyChatMember  *ChatMemberUpdated `json:"my_chat_member,omitempty"`
	ChatMember    *ChatMemberUpdated `json:"chat_member,omitempty"`
}

// Type returns the update's kind as named in allowed_updates: "message",
// "edited_message", "callback_query", "my_chat_member", "chat_member", or ""
// for an empty update.
func (u Update) Type() string {
	switch {
	case u.Message != nil:
		return "message"
	case u.EditedMessage != nil:
		return "edited_message"
	case u.CallbackQuery != nil:
		return "callback_query"
	case u.MyChatMember != nil:
		return "my_chat_member"
	case u.ChatMember != nil:
		return "chat_member"
	}
	return ""
}

// BotCommand is one entry of the bot's command menu
// (https://core.telegram.org/bots/api#botcommand).
type BotCommand struct {
	Command     string `json:"command"`
	Description string `json:"description"`
}

// CommandScope is a BotCommandScope
// (https://core.telegram.org/bots/api#botcommandscope): Type is "default",
// "all_private_chats", "all_group_chats", "all_chat_administrators",
// "chat", "chat_administrators" or "chat_member"; ChatID is set for the last
// three and UserID for chat_member. A missing scope is {Type: "default"}.
type CommandScope struct {
	Type   string
	ChatID int64
	UserID int64
}

// WebhookInfo is the answer of getWebhookInfo
// (https://core.telegram.org/bots/api#webhookinfo).
type WebhookInfo struct {
	URL                  string   `json:"url"`
	HasCustomCertificate bool     `json:"has_custom_certificate"`
	PendingUpdateCount   int      `json:"pending_update_count"`
	AllowedUpdates       []string `json:"allowed_updates,omitempty"`
}

// chatFullInfo is the answer of getChat.
type chatFullInfo struct {
	Chat
	AccentColorID    int `json:"accent_color_id"`
	MaxReactionCount int `json:"max_reaction_count"`
}

// okResponse and errorResponse are the two envelopes of every answer.
type okResponse struct {
	OK     bool `json:"ok"`
	Result any  `json:"result"`
}

type errorResponse struct {
	OK          bool                `json:"ok"`
	ErrorCode   int                 `json:"error_code"`
	Description string              `json:"description"`
	Parameters  *responseParameters `json:"parameters,omitempty"`
}

type responseParameters struct {
	RetryAfter      int   `json:"retry_after,omitempty"`
	MigrateToChatID int64 `json:"migrate_to_chat_id,omitempty"`
}
