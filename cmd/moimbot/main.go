// Command moimbot keeps track of who has paid the monthly dues of a group
// account (모임통장) by reading the account's transactions through the KFTC Open
// Banking API and reporting to the group's chat.
//
// Run "moimbot help" for the subcommands: serve (the bot: the Telegram and
// Slack adapters, polling, reminders, the outbox and the pages that link a
// bank account, configured by flags and MOIMBOT_* variables; --testbed runs
// the KFTC simulator in the same process), demo (the whole main loop on the
// embedded simulator and an accelerated clock, then a prompt to type
// commands), reconcile (the ledger offline on an exported statement or the
// bank's own statement file), import (the rows of the bank's statement
// files into a group, directly or through the running bot), the
// database commands (backup, restore, compact, check, export, migrate,
// rotate-key, calls), testbed (the KFTC simulator on a loopback port) and
// healthcheck (a running serve's /healthz, for a container's HEALTHCHECK).
// serve also answers /readyz and Prometheus /metrics, on MOIMBOT_ADMIN_ADDR
// when set.
//
// The long-running application (the engine, the sync pass, linking, the
// notifier, the command router and the link pages) is package server; this
// command is its configuration, wiring and subcommands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	// Asia/Seoul for the cron scheduler even on images without zoneinfo
	// (scratch, distroless).
	_ "time/tzdata"

	// Trusted roots for HTTPS (KFTC, Telegram, Slack) on images without
	// ca-certificates. crypto/x509 uses them only when the system offers
	// no roots at all (no readable bundle, or an empty one; see
	// x509.SetFallbackRoots): a host's or image's own bundle, and
	// SSL_CERT_FILE / SSL_CERT_DIR, still win. GODEBUG=x509usefallbackroots=1
	// forces them. They are as fresh as this module's version.
	_ "golang.org/x/crypto/x509roots/fallback"
)

// version is stamped at build time: go build -ldflags "-X main.version=v1.2.3".
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runWith(ctx, os.Args[1:], env{getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
	stop()
	os.Exit(code)
}
