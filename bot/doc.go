// Package bot is moimbot's chat application: the platform-neutral command
// router, the Korean and English messages, deposit notices, reminders and the
// treasurer's review flow. The Telegram and Slack adapters live in its
// subpackages.
//
// The package holds no code yet (see README.md, Status).
package bot
