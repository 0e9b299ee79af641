// Package bot is moimbot's chat application, independent of any chat
// platform: the Korean and English messages moimbot posts (deposit notices,
// status boards, reminders, the treasurer's review requests and warnings),
// the splitting of long texts to a platform's limit, and the dispatcher that
// drains the outbox into the chats.
//
// The package declares the Chat interface its adapters implement (today the
// console adapter in bot/console, which the demo prints through; the
// Telegram and Slack adapters are being built) and the Outbox interface the
// dispatcher consumes. It imports only the standard library, golang.org/x/text
// and the ledger. Message rendering is pure: no I/O and no clock, the
// caller passes every time shown; times are shown in Asia/Seoul.
package bot
