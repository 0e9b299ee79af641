// Command moimbot keeps track of who has paid the monthly dues of a group
// account (모임통장) by reading the account's transactions through the KFTC Open
// Banking API and reporting to the group's chat.
//
// Run "moimbot help" for the subcommands: demo (the whole main loop on the
// embedded simulator and an accelerated clock), reconcile (the ledger offline
// on an exported statement), the database commands (backup, restore,
// compact, check, export, migrate, rotate-key, calls) and testbed (the KFTC
// simulator on a loopback port).
//
// # The main loop
//
// The engine (engine.go) is what runs for months without anyone watching. It
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
// One pass of an account (the syncer, sync.go) reads the transaction list by
// time from the stored cursor minus 15 minutes to now, every page, and hands
// the rows to store.DB.Ingest, which deduplicates, matches, allocates, queues
// the notices and advances the cursor in one transaction: a crash mid-pass
// loses nothing and repeats nothing. The access token is refreshed three
// weeks before it expires and once on O0003, the rotated pair stored before
// it is used; a link the bank no longer honours marks the account for
// relinking and tells the treasurer once. The notifier (notify.go) renders
// what the store queued in the group's language.
//
// Everything takes its time from an injected clock, so the demo and the
// tests drive the same code on a virtual one.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	// Asia/Seoul for the cron scheduler even on images without zoneinfo
	// (scratch, distroless).
	_ "time/tzdata"
)

// version is stamped at build time: go build -ldflags "-X main.version=v1.2.3".
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
