// Package bot is moimbot's chat application, independent of any chat
// platform: the Korean and English messages moimbot posts (deposit notices,
// status boards, reminders, the treasurer's review requests and warnings),
// the splitting of long texts to a platform's limit, and the dispatcher that
// drains the outbox into the chats; and the parsing of the group's chat
// commands (ParseCommand for a whole Telegram message such as "/현황" or
// "/status@moim_bot 2026-11", ParseArgs for Slack's "/moim status"), with
// their usage lines and help in both languages from one table.
//
// The package declares the Chat interface its adapters implement (today the
// console adapter in bot/console, which the demo prints through; the
// Telegram and Slack adapters are being built) and the Outbox interface the
// dispatcher consumes. It imports only the standard library, golang.org/x/text
// and the ledger. Message rendering is pure: no I/O and no clock, the
// caller passes every time shown; times are shown in Asia/Seoul.
package bot
