package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// callRow is one account's transaction-list calls in one month, with what
// a treasurer recognises the account by.
type callRow struct {
	Account string        `json:"account"`
	Group   string        `json:"group"`
	Bank    string        `json:"bank,omitempty"`
	Masked  string        `json:"masked,omitempty"`
	Month   ledger.Period `json:"month"`
	Calls   int64         `json:"calls"`
}

// callRows reads every account's call counts, named by group and bank
// account.
func callRows(ctx context.Context, db *store.DB) ([]callRow, error) {
	counts, err := db.CallCounts(ctx, "")
	if err != nil {
		return nil, err
	}
	accts, err := db.Accounts(ctx, "")
	if err != nil {
		return nil, err
	}
	groups, err := db.Groups(ctx)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]store.Account, len(accts))
	for _, a := range accts {
		byID[a.ID] = a
	}
	names := make(map[string]string, len(groups))
	for _, g := range groups {
		names[g.ID] = g.Name
	}
	rows := make([]callRow, 0, len(counts))
	for _, c := range counts {
		a := byID[c.AccountID]
		rows = append(rows, callRow{Account: c.AccountID, Group: names[a.GroupID], Bank: a.BankName, Masked: a.Masked, Month: c.Month, Calls: c.Calls})
	}
	return rows, nil
}

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
	rows, err := readCallRows(ctx, *dbPath)
	if err != nil {
		return err
	}
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if rows == nil {
			rows = []callRow{}
		}
		return enc.Encode(rows)
	}
	if len(rows) == 0 {
		fmt.Fprintln(e.stdout, "no transaction-list calls recorded")
		return nil
	}
	width := columns("group")
	for _, r := range rows {
		width = max(width, columns(printable(r.Group)))
	}
	fmt.Fprintf(e.stdout, "%s  %-8s %-30s %-8s %8s\n", padRight("group", width), "account", "bank account", "month", "calls")
	for _, r := range rows {
		fmt.Fprintf(e.stdout, "%s  %-8s %s %-8s %8d\n", padRight(printable(r.Group), width), r.Account,
			padRight(printable(strings.TrimSpace(r.Bank+" "+r.Masked)), 30), r.Month, r.Calls)
	}
	return nil
}

// readCallRows reads the call counts from the file, or asks the running bot.
func readCallRows(ctx context.Context, path string) ([]callRow, error) {
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
		var rows []callRow
		if err := json.NewDecoder(resp.Body).Decode(&rows); err != nil {
			return nil, fmt.Errorf("call counts from the running bot: %w", err)
		}
		return rows, nil
	}
	if err != nil {
		return nil, dbError(path, err)
	}
	defer db.Close()
	return callRows(ctx, db)
}
