// Package telegramtest is a fake Telegram Bot API server for tests, in the
// manner of net/http/httptest: NewServer starts it on a loopback address,
// clients reach it at Server.URL (go-telegram/bot with
// bot.WithServerURL(srv.URL); the moimbot command through
// MOIMBOT_TELEGRAM_API_URL), and tests script users, chats and faults and
// inspect what the bot did. Only tests import it.
//
// It implements the Bot API wire format from the Bot API documentation,
// independently of any client library, so the client under test and the
// fake check each other.
//
//	srv := telegramtest.NewServer()
//	defer srv.Close()
//	alice := srv.AddUser(telegramtest.User{ID: 1001, FirstName: "Alice"})
//	grp := srv.AddSupergroup(-1001234567890, "Moim")
//	srv.SendText(grp.ID, alice.ID, "/status")           // the bot receives it via getUpdates
//	call, err := srv.WaitFor(ctx, telegramtest.Sending(grp.ID)) // the bot's answer
//
// # Faithful
//
//   - Requests: POST or GET /bot<token>/<method> and /bot<token>/test/<method>;
//     method names case-insensitive; parameters from the query string and
//     from multipart/form-data (go-telegram/bot's format, including the
//     empty body of parameterless calls), application/x-www-form-urlencoded
//     or application/json bodies. Non-string values are JSON: chat_id as a
//     number, a string of digits or "@username"; reply_markup, entities,
//     scope, allowed_updates as JSON text.
//   - Answers: {"ok":true,"result":…} or {"ok":false,"error_code":N,
//     "description":"…","parameters":{"retry_after":N,"migrate_to_chat_id":N}}
//     with the HTTP status set to error_code; a wrong token is 401
//     "Unauthorized", an unknown method 404 "Not Found". Error descriptions
//     are Telegram's where known; the guesses are listed below.
//   - getUpdates long polling: confirms and forgets updates below offset (a
//     negative offset keeps the last -offset), answers at most limit
//     updates, waits up to timeout seconds (capped, WithMaxPollTimeout) and
//     returns as soon as an update is queued, answers [] on timeout, stops
//     when the request's context ends or the server closes. A second
//     concurrent poll ends the first with 409 "Conflict: terminated by other
//     getUpdates request…"; polling with a webhook set is 409 as well.
//     allowed_updates is remembered and filters updates queued later (the
//     default drops chat_member); update_ids increase from 1.
//   - Messages: per-chat message IDs; date from the server clock; text as
//     users see it (markup removed, entities with UTF-16 offsets); limits of
//     4096 UTF-16 units for text ("message is too long") and 1024 for
//     captions, counted after parsing; empty text is "message text is
//     empty"; invalid UTF-8 is rejected.
//   - HTML parse mode, following Telegram's parser (ParseHTML): the allowed
//     tags, character references and the "can't parse entities:
//     Unsupported start tag …" family of errors.
//   - Inline keyboards: button text required, callback_data 1–64 bytes else
//     "BUTTON_DATA_INVALID", a button with no action is "text buttons are
//     unallowed in the inline keyboard"; an empty copy_text (which
//     go-telegram/bot sends on every button) is ignored.
//   - editMessageText and editMessageReplyMarkup: the message must be the
//     bot's and exist in that chat; a missing reply_markup removes the
//     keyboard; identical text, entities and keyboard are "message is not
//     modified…".
//   - Chats: a DM to a user who has not started the bot is 403 "Forbidden:
//     bot can't initiate conversation with a user"; a blocked bot is 403
//     "Forbidden: bot was blocked by the user"; removed from a group, 403
//     "Forbidden: bot was kicked from the group chat" (supergroup chat,
//     channel chat); after leaveChat, 403 "Forbidden: bot is not a member of
//     the group chat"; a migrated group, 400 "Bad Request: group chat was
//     upgraded to a supergroup chat" with migrate_to_chat_id; an unknown
//     chat, 400 "Bad Request: chat not found".
//   - Injected updates look like a client's: bot_command entities, non-zero
//     dates, callback queries carrying the message, my_chat_member status
//     changes (left for a basic group, kicked for a supergroup), both
//     migration service messages, documents (file_id, file_unique_id,
//     file_name, mime_type from the file name's extension, file_size; the
//     caption beside them) retrievable with getFile (file_path) and GET
//     /file/bot<token>/<file_path>, which answers the bytes with a
//     Content-Length.
//   - getFile refuses files over 20 MB with 400 "Bad Request: file is too
//     big" and unknown ids with "Bad Request: invalid file_id"; a download
//     with a wrong token is 401, of an unknown path 404.
//   - deleteMessage deletes the bot's messages anywhere and users' messages
//     in private chats, if sent less than 48 hours ago (server clock), else
//     "Bad Request: message can't be deleted"; a missing or deleted message
//     is "Bad Request: message to delete not found".
//
// Methods: getMe, getUpdates, sendMessage, sendDocument, editMessageText,
// editMessageReplyMarkup, deleteMessage, answerCallbackQuery, getFile,
// setMyCommands, deleteMyCommands, getMyCommands (per scope and
// language_code; command names ^[a-z0-9_]{1,32}$, descriptions 1–256
// characters), setWebhook, deleteWebhook, getWebhookInfo, getChat,
// leaveChat.
//
// # Simplified or stricter
//
//   - A "&" in text that does not start a character reference is rejected
//     ("can't parse entities: Unescaped \"&\" …"); Telegram keeps it as a
//     literal "&". The fake is stricter so that missing escaping shows up.
//   - MarkdownV2 and Markdown are accepted but not parsed: the text is kept
//     verbatim, without entities. Explicit entities are kept as given.
//   - Telegram's automatic entities (URLs, mentions, hashtags) are not
//     added to the bot's messages; user messages get bot_command entities
//     only.
//   - Privacy mode is not modelled: every user message in a group reaches
//     the bot. The bot is not a group admin: it can delete only its own
//     messages in groups.
//   - Inline mode, channels' special rules, reply parameters, link
//     previews, message threads and every other parameter not named above
//     are accepted and ignored. Webhooks are recorded (HTTPS URLs only) but
//     never called. A document given as an HTTP URL is refused, since the
//     fake fetches nothing. Callback queries do not expire.
//   - Some error descriptions are best guesses where Telegram's exact text
//     is not documented (BOT_COMMAND_DESCRIPTION_INVALID, "message
//     identifier is not specified", "can't parse request: …").
//   - Rate limits are off unless built WithLimits; Limits documents exactly
//     what is modelled. Scripted faults (Throttle, Fail) work either way.
//   - SetFileFault makes getFile report another file_size (a file over
//     20 MB without allocating it, or a wrong size), and makes a download
//     chunked (without Content-Length), fail with an HTTP status (404 for
//     an expired link) or hang up.
//
// # Time
//
// Message dates, recorded call times and rate limits read the server's
// clock (WithClock, default time.Now; Clock is a manual one). Long-poll
// timeouts use real time, so a stopped clock cannot hang a poll.
//
// # Recording and waiting
//
// Every API request is recorded as a Call (Calls), including failed ones,
// before it is answered: once a client's call returns, it is in Calls.
// File downloads are recorded the same way as Downloads. Sent returns the
// bot's messages in a chat as they are now, Deleted the messages
// deleteMessage removed from it. WaitFor and WaitN (with matchers such as
// Sending) block until matching calls arrive, and WaitPolling until a
// client is long polling, so tests need no sleeps.
// Close ends pending long polls and waits for requests in flight; the
// server starts no goroutines of its own besides httptest's.
package telegramtest
