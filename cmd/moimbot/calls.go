package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/moimbot/moimbot/store"
)

// runCalls prints how many transaction-list calls (KFTC charges for each)
// every linked account made, month by month: from the database, or from
// the running bot over its control socket when the bot holds the file.
func runCalls(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("calls")
	dbPath := dbFlag(e, fs)
	format := fs.String("format", "text", "output `format`: text or json")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return usagef("--format %q: must be text or json", *format)
	}
	counts, err := callCounts(ctx, *dbPath)
	if err != nil {
		return err
	}
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if counts == nil {
			counts = []store.CallCount{}
		}
		return enc.Encode(counts)
	}
	if len(counts) == 0 {
		fmt.Fprintln(e.stdout, "no transaction-list calls recorded")
		return nil
	}
	fmt.Fprintf(e.stdout, "%-10s %-8s %8s\n", "account", "month", "calls")
	for _, c := range counts {
		fmt.Fprintf(e.stdout, "%-10s %-8s %8d\n", c.AccountID, c.Month, c.Calls)
	}
	return nil
}

// callCounts reads the call counts from the file, or asks the running bot.
func callCounts(ctx context.Context, path string) ([]store.CallCount, error) {
	db, err := store.Open(ctx, path, store.Options{ReadOnly: true, Timeout: 500 * time.Millisecond})
	if errors.Is(err, store.ErrLocked) {
		resp, aerr := adminGet(ctx, adminSocket(path), "/calls")
		if errors.Is(aerr, errNoAdmin) {
			return nil, dbError(path, err)
		}
		if aerr != nil {
			return nil, aerr
		}
		defer resp.Body.Close()
		var counts []store.CallCount
		if err := json.NewDecoder(resp.Body).Decode(&counts); err != nil {
			return nil, fmt.Errorf("call counts from the running bot: %w", err)
		}
		return counts, nil
	}
	if err != nil {
		return nil, dbError(path, err)
	}
	defer db.Close()
	return db.CallCounts(ctx, "")
}
