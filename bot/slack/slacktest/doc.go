// Package slacktest is a fake Slack server for tests, in the manner of
// net/http/httptest: NewServer starts a Web API and a Socket Mode endpoint
// on a loopback address, clients reach the Web API at Server.APIURL()
// (slack-go with slack.OptionAPIURL, moimbot's Slack adapter with
// Config.APIURL), and tests script users, channels, commands, clicks and
// faults and inspect what the bot did. Only tests import it.
//
// It is written from Slack's API documentation, independently of any
// client library (slack-go's own slacktest is RTM-oriented: no Socket
// Mode hello, pings or ack recording, no token checks; see
// /work/shared/go-libs.md §3.6), so the client under test and the fake
// check each other.
//
//	srv := slacktest.NewServer()
//	defer srv.Close()
//	srv.AddUser(slacktest.User{ID: "U01", Name: "minsu"})
//	srv.AddChannel(slacktest.Channel{ID: "C01", Name: "moim"})
//	// … run the bot with the API URL srv.APIURL(), the tokens srv.BotToken, srv.AppToken
//	env, _ := srv.SlashCommand(ctx, "U01", "C01", "status 2026-11")
//	srv.WaitAck(ctx, env)                                   // acknowledged
//	call, _ := srv.WaitFor(ctx, slacktest.Posted("C01"))   // the bot's answer
//
// # Web API
//
// POST (or GET) /api/<method> with arguments in the query string, a form,
// multipart or JSON body; the token in the "token" argument or an
// "Authorization: Bearer" header. Answers are {"ok":true,…} or
// {"ok":false,"error":"<code>"} with HTTP 200, as Slack answers. Checks,
// in order: an unknown method is unknown_method; no token not_authed; a
// token that is neither the bot's nor the app's invalid_auth; the wrong
// kind of token not_allowed_token_type (apps.connections.open takes the
// app-level token, everything else the bot token); then injected faults
// (Fail), then the method:
//
//	auth.test              the bot's identity: team_id, user_id, bot_id
//	apps.connections.open  a one-use ws:// URL of the Socket Mode endpoint
//	conversations.open     users=<one user id>: the bot's D… channel with
//	                       them (already_open on later calls); unknown user
//	                       user_not_found, a deleted one user_disabled, the
//	                       bot itself cannot_dm_bot
//	chat.postMessage       channel = C…/G…/D… id or a user id (their DM)
//	chat.postEphemeral     channel and user (user_not_found if unknown)
//	chat.update            channel and ts of a message of the bot's
//	                       (message_not_found otherwise)
//
// Posting checks the channel (channel_not_found; is_archived; not_in_channel
// for a channel the bot is not in), the content (no_text without text or
// blocks; msg_too_long for text over 40,000 characters) and the blocks:
// invalid_blocks_format unless a JSON array, invalid_blocks beyond 50
// blocks, for an unknown block type, a section or context text outside
// 1–3,000 characters, a header that is not plain_text of 1–150, an emoji
// flag on mrkdwn, an actions block with 0 or more than 25 elements, a
// button label over 75 or value over 2,000, a static_select with 0 or more
// than 100 options (option text ≤ 75, value ≤ 150, values unique), and
// duplicate block_id or action_id values. Characters are counted as
// Unicode code points.
//
// Injected faults (Fail) replace the next calls of a method: a 429 with or
// without Retry-After (body {"ok":false,"error":"ratelimited"}), a 5xx with
// an HTML body, or a 200 {"ok":false} with any error code.
//
// # Socket Mode
//
// GET /socket-mode?ticket=… upgrades to a WebSocket, sends
// {"type":"hello"}, then a WebSocket ping every ping interval
// (WithPingInterval; slack-go reconnects after 30 s without one). The
// helpers send envelopes over the newest open connection, waiting for one:
// SlashCommand (type slash_commands, accepts_response_payload true, a
// payload as Slack's: team, channel and its name, "directmessage" in a
// DM, user and name, command /moim, the text escaped as Slack escapes it,
// response_url, trigger_id) and Click (type interactive, a block_actions
// payload for the button or static_select option with the given value,
// looked up in the stored message). Redeliver sends an envelope again with
// retry_attempt increased and retry_reason "timeout"; SendEnvelope sends
// any other type or payload. DirectMessage and
// ShareFile send events_api envelopes (an event_callback with a message.im
// event: a user wrote to the bot, or shared a file with it, in their
// direct message); the file is served at its url_private_download to the
// bot token and redirects anyone else to a sign-in page (HTML), as Slack
// does. Every frame a client
// sends with an envelope_id is recorded as an Ack (WaitAck, WaitAcks, Acks)
// with its latency. DropConnections closes the connections without a close
// frame, Disconnect sends Slack's disconnect request; WaitConnected awaits
// the n-th connection.
//
// # HTTP mode
//
// CommandForm, ClickForm, DirectMessageEvent and FileShareEvent build the
// bodies Slack posts to an app's request URLs, and Signature and
// SignedRequest sign them with a signing secret as Slack does (v0,
// HMAC-SHA256 over "v0:<timestamp>:<body>").
//
// # Recording and waiting
//
// Every Web API request is recorded as a Call (Calls) before it is
// answered, so once a client's call has returned it is in Calls. Messages
// and Message return the bot's messages as they are now. WaitFor, WaitN
// (with matchers such as Posted, Ephemeral, Updated, Method), WaitAck and
// WaitConnected block until what they wait for has happened, so tests need
// no sleeps. Message timestamps and call times read the server's clock
// (WithClock); pings and latencies real time.
//
// # Not modelled
//
// Channel membership of users (postEphemeral to any known user succeeds),
// group DMs, threads, file uploads by the bot, Events API events other
// than message.im, rate limits other than the injected ones, response_url
// (the URLs in payloads point at the server but answer 404), and every
// argument not named above (accepted and ignored). File downloads are
// recorded as calls of the pseudo-method "files-pri".
package slacktest
