// Package server is the long-running moimbot: the engine that polls the
// linked bank accounts, posts notices and reminders and drains the outbox;
// the sync pass; linking an account through the KFTC consent flow; and the
// notifier that renders what the store queued. It is the application layer
// between the pieces it wires: the store (package store), the KFTC client
// (package openbanking) and the platform-neutral chat side (package bot),
// which never import each other. Chat adapters (bot/console, bot/telegram,
// bot/slack)
// implement bot.Chat and are handed to it by the command that configures it
// (cmd/moimbot), so this package imports no adapter.
//
// # The main loop
//
// The Engine is what runs for months without anyone watching. It
// owns a robfig/cron scheduler in Asia/Seoul with Recover and
// SkipIfStillRunning, and on it:
//
//   - one poll entry per linked account, on the group's adaptive schedule
//     (bot.PollSchedule: often around the due day and in the evening, rarely
//     otherwise, never in the bank's 23:50–00:10 maintenance window); a failed
//     pass backs off 1, 2, 4 … minutes with jitter, on a timer of its own;
//   - a minute job for the reminders and the token-expiry warnings, caught
//     up after downtime from the last run stored in the database;
//   - a daily job that prunes the outbox;
//   - beside the scheduler, the outbox dispatcher (bot.Dispatcher), woken
//     whenever a pass or a job queued a message.
//
// One pass of an account (Engine.Sync) reads the transaction list by
// time from the stored cursor or the latest stored row, whichever is
// earlier, minus 15 minutes, to now, every page, and hands the rows (in time
// order) to store.DB.Ingest, which deduplicates, matches, allocates, queues
// the notices and advances the cursor in one transaction: a crash mid-pass
// loses nothing and repeats nothing. The cursor follows the bank's clock
// (api_tran_dtm) when it is behind the bot's. A break of the balance chain
// (every row carries the balance after it, every answer the account's
// balance) is read again from the start of its day, and so is the previous
// day once a day; a gap the bank never fills reaches the treasurer once,
// after a day, and so do ten failed passes in a row. A fetch past its page
// bound stores what it read and goes on from there next time. The access token is refreshed three
// weeks before it expires and once on O0003, the rotated pair stored before
// it is used; a link the bank no longer honours marks the account for
// relinking and tells the treasurer once. The notifier renders
// what the store queued in the group's language.
//
// # Chat, statement files, health
//
// The Router is the bot.Handler every adapter (bot/telegram, bot/slack)
// hands updates to: it parses the commands (package bot), checks who may
// do what, changes the group through the store and queues the replies, a
// reply meant for the caller alone marked so (Slack shows it ephemeral).
// A bank statement file a treasurer sends the bot by DM is fetched through
// the adapter (bot.FileFetcher), read by package statement (asking for an
// encrypted workbook's password, whose message is deleted where the
// platform allows), and stored by Engine.ImportStatement through the same
// atomic ingest as polled rows: into the group's linked account, or a
// statement account that is never polled, skipping rows already stored
// by direction, amount and balance within a minute. HTTPHandler serves
// the link pages and the OAuth callback; HTTPHealth /healthz and /readyz;
// Metrics the Prometheus metrics.
//
// Everything takes its time from an injected clock, so the demo and the
// tests drive the same code on a virtual one.
package server
