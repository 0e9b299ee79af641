// Package slack connects moimbot to Slack, on github.com/slack-go/slack.
// An Adapter receives the /moim slash command and button clicks, turns
// them into bot.Updates for a bot.Handler (the shared command parser and
// router), and implements bot.Chat so that the outbox dispatcher can
// deliver messages as Block Kit. The Web API URL and the HTTP client are
// configurable, so tests run against the fake server in slacktest.
//
// # Connection modes
//
// With an app-level token (Config.AppToken, "xapp-…"), Run uses Socket
// Mode: slack-go's client opens a WebSocket (apps.connections.open) and
// reopens it after a drop, a missing ping or Slack's disconnect request.
// Every envelope is acknowledged at once, before any work, and only then
// queued for the Handler; an envelope seen before (Slack redelivers one
// whose ack came late, with retry_attempt > 0) is acknowledged and
// dropped, as is a second update with the same id. The last 4,096 ids,
// envelope and update ids together, are remembered.
//
// With a signing secret (Config.SigningSecret), CommandsHandler,
// InteractionsHandler and EventsHandler serve Slack's requests in HTTP
// mode; the caller mounts them at the app's request URLs (/slack/commands,
// /slack/interactions, /slack/events). Every request must carry Slack's
// v0 signature
// (HMAC-SHA256 of "v0:<timestamp>:<body>", compared in constant time) with
// a timestamp within 5 minutes of Config.Now; a replay of an accepted
// request within that window, a missing or wrong signature and a stale
// timestamp are answered 401 and logged without the body, a body over 64
// KiB 413. An accepted request is queued and answered 200 with an empty
// body at once; the replies go out through Send. Both may be configured:
// Socket Mode then receives, and the handlers accept signed requests too.
//
// Run calls auth.test first (Identity), retrying transient failures, and
// returns an error if the token is refused. Connected reports whether
// updates can arrive (a WebSocket is open, or HTTP mode is running), for a
// readiness probe.
//
// # Inbound
//
// "/moim status 2026-11" becomes an Update with Text "/status 2026-11",
// "/moim 현황" "/현황", "/moim" alone "/help"; a leading slash is kept
// ("/moim /status"). Slack's escaping (&amp; &lt; &gt;) is undone and a
// mention "<@U123|name>" becomes "<@U123>"; invalid UTF-8 becomes U+FFFD
// and control characters spaces. A click on a button, or on an option of
// a menu, becomes Update{Tap: {Data: the button's value, Message: the
// timestamp of the message carrying it}}; the Handler's notice, if any,
// is shown to the user who clicked (chat.postEphemeral). Other
// interactions are acknowledged and ignored.
//
// With the message.im event subscribed (Events API, over Socket Mode or
// EventsHandler), what a person writes to the bot in its direct message
// becomes an Update too: Text (Slack's escaping undone) and MessageID (the
// message's timestamp), and Document for a shared file (the first, if
// several; URL is its url_private_download), which FetchFile downloads
// with the bot token (files:read). Messages of bots, edits, deletions and
// messages elsewhere are ignored.
//
//	Update.ID    "slack:<trigger_id>" ("slack:<event_id>" for events), the
//	             same for every redelivery
//	Update.From  {Platform: "slack", ID: user_id, Name: user_name}
//	Update.Chat  {"slack", channel id} in a channel, titled with its name;
//	             {"slack", user id} with Private set in a direct message
//	             (a D… channel)
//
// The Handler is called for one chat's updates strictly in order and never
// twice at once for one chat, while different chats are handled in
// parallel; a panicking Handler is recovered and logged. Run waits for the
// calls in progress before it returns.
//
// # Outbound
//
// Send posts to a channel (C…, G…) or a direct message: a ChatRef whose ID
// is a user id (U…, W…) is the bot's direct message with the user, opened
// once with conversations.open (safe when several sends want it at once)
// and remembered. Message.Edit becomes chat.update of that message,
// Message.Only chat.postEphemeral to that user (in the user's own direct
// message the message is posted instead). Message.File is refused as a
// permanent error: the app has no files:write scope. Errors are
// classified for the dispatcher:
//
//	429 with Retry-After             *bot.RetryAfterError with Retry-After
//	429 without it, "ratelimited"    *bot.RetryAfterError of DefaultRetryAfter (30s)
//	5xx, internal_error, network     transient (not ErrPermanent)
//	any other error code             wraps bot.ErrPermanent: channel_not_found,
//	(channel_not_found, …), 4xx      not_in_channel, is_archived, user_not_found,
//	                                 user_disabled, account_inactive,
//	                                 invalid_auth, token_revoked, invalid_blocks, …
//
// Error texts start with "slack: send:" and never contain a token.
//
// # Block Kit
//
// Each message is rendered as blocks plus a top-level text (the whole text
// in mrkdwn, for notifications), derived from its Kind, Text and Buttons:
// the first line of a board, reminder or review (or of any text starting
// with 📋 🔎 🔔 ⏰) becomes a header, a board's "(마감 …)" and "… 기준"
// lines and a reminder's closing request a context block, each board line
// a section (paid, partly paid, unpaid, …, total), other paragraphs one
// section each, and the buttons actions blocks; six or more consecutive
// one-button rows of one action (the member pick list, "assign:…") become
// a static_select menu whose option values are the buttons' Data. Text is
// escaped for mrkdwn (&, <, >), and each Message.Tag with a Slack user id
// becomes a <@U…> mention of that user. Slack's limits are kept: sections
// are split at line breaks or spaces within 3,000 characters, headers are
// at most 150 (a longer first line stays a section), button labels are
// cut at 75, menus hold 100 options, and a message that would need more
// than 50 blocks has its sections merged, then its text cut with "…".
//
// # Pacing
//
// Slack allows about one message a second per channel with short bursts.
// Send keeps each channel (each channel and user, for ephemeral messages)
// under Limits with a token bucket: ChannelBurst messages at once, then
// one per ChannelInterval. When the next free moment is at most
// Limits.MaxWait (2 s) away, Send waits for it; when further, it returns a
// *bot.RetryAfterError at once, so that the dispatcher reschedules the
// message and other channels go on. A 429 also holds back the channel for
// its Retry-After.
package slack
