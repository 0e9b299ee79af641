// Package telegram connects moimbot to Telegram through the Bot API, on
// github.com/go-telegram/bot. An Adapter receives updates (long polling by
// default, a webhook when Config.WebhookSecret is set), turns them into
// bot.Updates for a bot.Handler, and implements bot.Chat so that the outbox
// dispatcher can deliver messages. The Bot API URL and the HTTP client are
// configurable, so tests run against the fake server in telegramtest.
//
// # Inbound
//
// Run calls getMe (the bot's username, Update.Bot), deleteWebhook (long
// polling only), and setMyCommands for all group chats and all private
// chats, in Korean (no language code, the default) and English ("en"), from
// bot.HelpCommands. Then it polls until its context ends. Each Telegram
// update becomes one bot.Update:
//
//	message with text      Text; From; Chat, Private (a private chat), Title;
//	                       MessageID (message_id)
//	message with document  Document{ID: file_id, Name: file_name, MIME:
//	                       mime_type, Size: file_size}; Text is the caption,
//	                       "" if none; otherwise as a text message
//	callback_query         Tap{Data, Message: the id of the message carrying
//	                       the button}; answered with the Handler's notice,
//	                       also when the Handler panics
//	my_chat_member         Membership{Removed: true} when the bot's new status
//	                       is left or kicked (kicked in a private chat: the
//	                       user blocked the bot); Membership{} when the bot
//	                       joined (again) or was unblocked
//	migrate_to_chat_id     Membership{MovedTo: the supergroup's id}, in the
//	                       old group's chat
//
// Update.ID is "telegram:<update_id>", Chat is {"telegram", chat id} and
// From.ID the user's id, MessageID the message's message_id, all in
// decimal. Messages from bots, edited messages, messages with neither text
// nor a document (photos, even with a caption, stickers, other service
// messages) and the supergroup's migrate_from message are ignored.
//
// The Handler is called for one chat's updates strictly in order and never
// twice at once for one chat, while different chats are handled in
// parallel: each chat with pending updates has one goroutine draining its
// queue, owned by Run, which waits for them before it returns. A panicking
// Handler is recovered and logged, and the adapter goes on.
//
// # Outbound
//
// Send posts m.Text with parse mode HTML, the whole text HTML-escaped (all
// of moimbot's texts are plain, so every name a user typed arrives as
// typed, never as markup), link previews off, m.Buttons as an inline
// keyboard. m.Edit edits that message's text and keyboard instead
// (editMessageText; "message is not modified" is success); m.File is sent
// with sendDocument, m.Text as its caption. Errors are classified for the
// dispatcher:
//
//	429 Too Many Requests           *bot.RetryAfterError with retry_after
//	403 can't initiate conversation wraps bot.ErrNotStarted
//	403 kicked, blocked, not member wraps bot.ErrPermanent
//	400 group upgraded to supergroup *MigratedError (wraps bot.ErrPermanent)
//	other 400, 401, 404             wrap bot.ErrPermanent
//	5xx, network, timeouts          transient (not ErrPermanent)
//
// Error texts start with "telegram: send:" and never contain the token.
//
// # Files and deletions
//
// FetchFile (bot.FileFetcher) downloads a document: getFile, then GET
// <APIURL>/file/bot<token>/<file_path> with the adapter's HTTP client. It
// refuses, without downloading, a file whose size the update or getFile
// reports over the caller's limit, and stops reading once the body passes
// the limit. Telegram lets bots download files of up to 20 MB; getFile's
// "file is too big" becomes an error saying so. DeleteMessage
// (bot.MessageDeleter) calls deleteMessage: a bot may delete its own
// messages, and a user's in a private chat, for 48 hours. Both wrap
// bot.ErrPermanent when retrying cannot help, and their error texts never
// contain the token (which is part of the download URL). Neither is paced.
//
// # Pacing
//
// Telegram allows about one message a second in a chat (short bursts
// allowed), 20 messages a minute in a group and about 30 a second overall,
// and answers 429 beyond. Rather than waiting for 429s, Send keeps under
// these limits itself (Limits): a token bucket per chat (ChatBurst
// messages, then one per ChatInterval), and sliding windows per group (at
// most GroupPerMinute in any minute) and overall (at most GlobalPerSecond
// in any second). Edits and documents count like messages. Each limit is
// kept with a margin of 100 ms, so that network jitter between the
// adapter and Telegram does not push a message over. Send reserves the
// earliest moment every limit admits: when that is at most Limits.MaxWait
// (2 s) away, Send waits for it (or for its context); when it is further,
// Send reserves nothing and returns a *bot.RetryAfterError with the wait at
// once, so that the dispatcher reschedules the message and other chats go
// on. A 429 from Telegram also holds back further sends to that chat for
// its retry_after.
package telegram
