package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/openbanking"
	"github.com/moimbot/moimbot/statement"
	"github.com/moimbot/moimbot/store"
)

// ImportOptions adjust ImportStatement.
type ImportOptions struct {
	// Actor is who imported the file, for the audit log ("telegram:42",
	// "cli").
	Actor string
	// DryRun reports what the import would do and stores nothing.
	DryRun bool
}

// ImportSummary is what one statement file brought.
type ImportSummary struct {
	// Bank is the reader's profile, AccountID the account the rows went
	// to ("" on a dry run into a statement account not created yet).
	Bank      string
	AccountID string
	// Rows is how many rows the file holds; From and To the period it
	// covers.
	Rows     int
	From, To time.Time
	// New counts the rows not stored before: Deposits of them are money
	// in, and of those Matched were assigned to members, Review wait for
	// the treasurer and Ignored are not dues. Duplicates are rows already
	// stored, from an earlier file or from the bank's API.
	New, Deposits, Matched, Review, Ignored, Duplicates int
	// Notified counts the deposits the group was told about: only those
	// of the last NoticeWindow (an old file fills the book quietly).
	Notified int
	// DryRun is set when nothing was stored.
	DryRun bool
}

// NoticeWindow is how old a deposit from a statement file may be for the
// group to get its notice: older ones are recorded quietly, so that a
// year's file does not flood the chat. Review items are queued either
// way.
const NoticeWindow = 31 * 24 * time.Hour

// ErrNoStatementAccount is returned when a group has several linked bank
// accounts and the file's account number agrees with none of them.
var ErrNoStatementAccount = errors.New("no linked account matches the file's account number")

// statementTimeSlack is how far apart a file's row and a stored row of
// the same direction, amount and balance may be and still be one
// transaction: banks' files often print minutes only, and the bank's API
// gives seconds.
const statementTimeSlack = time.Minute

// ImportStatement stores the rows of a bank statement file for a group,
// through the store's atomic ingest with the same matching, allocation,
// review items and notices as polled rows. The rows go to the group's
// linked KFTC account (the one whose masked number agrees with the file's
// when there are several), so a file and polling never double a
// transaction; a group without one gets a statement account, created on
// the first import, which is never polled.
//
// A row already stored — from an earlier file, an overlapping one, or the
// bank's API, whose texts and seconds may differ from the file's — is
// recognised by its direction, amount and balance after it within
// statementTimeSlack, and skipped.
func (e *Engine) ImportStatement(ctx context.Context, groupID string, st *statement.Statement, opt ImportOptions) (ImportSummary, error) {
	sum := ImportSummary{Bank: st.Bank, Rows: len(st.Rows), From: st.From, To: st.To, DryRun: opt.DryRun}
	g, err := e.db.Group(ctx, groupID)
	if err != nil {
		return sum, fmt.Errorf("import: %w", err)
	}
	acct, found, err := e.statementAccount(ctx, g, st)
	if err != nil {
		return sum, fmt.Errorf("import: %w", err)
	}
	var stored []ledger.Deposit
	if found {
		sum.AccountID = acct.ID
		if stored, err = e.db.Deposits(ctx, acct.ID); err != nil {
			return sum, fmt.Errorf("import: %w", err)
		}
		if acct.StatementAccount != "" {
			// The rows of the files before the bank was linked.
			filed, err := e.db.Deposits(ctx, acct.StatementAccount)
			if err != nil {
				return sum, fmt.Errorf("import: %w", err)
			}
			stored = append(stored, filed...)
		}
	}
	fresh, dups := newRows(st.Rows, stored)
	sum.Duplicates = dups
	if opt.DryRun {
		m := ledger.NewMatcher(&g.Group)
		for _, d := range fresh {
			sum.count(d, m.Match(d).Outcome)
		}
		return sum, nil
	}
	if len(fresh) == 0 {
		return sum, nil
	}
	if !found {
		acct, err = e.db.PutAccount(ctx, opt.Actor, store.Account{GroupID: g.ID, FintechUseNum: "statement:" + g.ID,
			BankName: st.Bank, Masked: maskAccount(st.Account), Source: store.SourceStatement})
		if err != nil {
			return sum, fmt.Errorf("import: %w", err)
		}
		sum.AccountID = acct.ID
	}
	cur, err := e.db.Cursor(ctx, acct.ID)
	if err != nil {
		return sum, fmt.Errorf("import: %w", err)
	}
	if acct.Source == store.SourceStatement {
		// The board of a group on files is as of the last row read.
		if last := fresh[len(fresh)-1].At; last.After(cur.Through) {
			cur.Through = last
		}
	}
	since := e.now().Add(-NoticeWindow)
	notify := func(n store.Notice) []store.OutboxMessage {
		if n.Deposit.At.Before(since) && n.Match.Outcome != ledger.OutcomeReview {
			return nil
		}
		return e.notes.deposit(n)
	}
	res, err := e.db.Ingest(ctx, acct.ID, fresh, store.Cursor{Through: cur.Through}, store.IngestOptions{Notify: notify})
	if err != nil {
		return sum, fmt.Errorf("import: %w", err)
	}
	sum.Duplicates += res.Duplicates
	for _, in := range res.New {
		sum.count(in.Deposit, in.Match.Outcome)
		if in.Deposit.Direction == ledger.In && !in.Deposit.At.Before(since) {
			sum.Notified++
		}
	}
	e.dispatch.Wake()
	e.log.Info("statement imported", "group_id", g.ID, "account_id", acct.ID, "bank", st.Bank,
		"rows", sum.Rows, "new", sum.New, "duplicates", sum.Duplicates)
	return sum, nil
}

// count adds one new row to the summary.
func (s *ImportSummary) count(d ledger.Deposit, o ledger.Outcome) {
	s.New++
	if d.Direction != ledger.In {
		return
	}
	s.Deposits++
	switch o {
	case ledger.OutcomeMatched:
		s.Matched++
	case ledger.OutcomeIgnored:
		s.Ignored++
	default:
		s.Review++
	}
}

// statementAccount picks the account a group's file goes to: its only
// linked bank account, or among several the one whose masked number
// agrees with the file's; without one, its statement account. found is false when the group has none yet (its
// statement account is made on the first import).
func (e *Engine) statementAccount(ctx context.Context, g store.Group, st *statement.Statement) (store.Account, bool, error) {
	accts, err := e.db.Accounts(ctx, g.ID)
	if err != nil {
		return store.Account{}, false, err
	}
	var live, files []store.Account
	for _, a := range accts {
		switch {
		case replaced(a):
			// An account replaced by a later link is no longer the group's.
		case a.Source == store.SourceStatement:
			files = append(files, a)
		default:
			live = append(live, a)
		}
	}
	if len(live) == 0 {
		// No bank account linked: the files' own account, if any.
		live = files
	}
	switch len(live) {
	case 0:
		return store.Account{}, false, nil
	case 1:
		return live[0], true, nil
	}
	for _, a := range live {
		if st.Account != "" && sameAccount(a.Masked, st.Account) {
			return a, true, nil
		}
	}
	return store.Account{}, false, ErrNoStatementAccount
}

// sameAccount reports whether a masked account number (digits and *) and
// a file's full or masked one can be the same account: the digits they
// both show agree, aligned at the end, and at least three of them do.
func sameAccount(masked, number string) bool {
	a, b := accountDigits(masked), accountDigits(number)
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	agree := 0
	for i, j := len(a)-1, len(b)-1; i >= 0 && j >= 0; i, j = i-1, j-1 {
		if a[i] == '*' || b[j] == '*' {
			continue
		}
		if a[i] != b[j] {
			return false
		}
		agree++
	}
	return agree >= 3
}

// accountDigits keeps the digits and mask stars of an account number.
func accountDigits(s string) []rune {
	var out []rune
	for _, r := range s {
		if unicode.IsDigit(r) || r == '*' {
			out = append(out, r)
		}
	}
	return out
}

// maskAccount hides all but the last three digits of an account number,
// the way KFTC's account_num_masked does, so that a full number read from
// a file is never stored.
func maskAccount(s string) string {
	digits := 0
	for _, r := range s {
		if unicode.IsDigit(r) {
			digits++
		}
	}
	var b strings.Builder
	seen := 0
	for _, r := range s {
		if unicode.IsDigit(r) {
			seen++
			if seen <= digits-3 {
				r = '*'
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// newRows converts a file's rows to deposits and drops those already
// among stored (see dropStored).
func newRows(rows []ledger.BankTransaction, stored []ledger.Deposit) ([]ledger.Deposit, int) {
	ds := make([]ledger.Deposit, len(rows))
	for i, t := range rows {
		ds[i] = t.Deposit("")
	}
	return dropStored(ds, stored)
}

// dropStored drops from rows those already among stored: a stored row of
// the same direction, amount and balance after it, within
// statementTimeSlack, each stored row standing for one row at most. It
// returns the rest and how many were dropped.
func dropStored(rows, stored []ledger.Deposit) ([]ledger.Deposit, int) {
	type key struct {
		dir             ledger.Direction
		amount, balance int64
	}
	byKey := make(map[key][]time.Time, len(stored))
	for _, d := range stored {
		k := key{d.Direction, d.Amount, d.Balance}
		byKey[k] = append(byKey[k], d.At)
	}
	var fresh []ledger.Deposit
	dups := 0
	for _, d := range rows {
		k := key{d.Direction, d.Amount, d.Balance}
		if ts := byKey[k]; len(ts) > 0 {
			if i := closest(ts, d.At); i >= 0 {
				byKey[k] = append(ts[:i:i], ts[i+1:]...)
				dups++
				continue
			}
		}
		fresh = append(fresh, d)
	}
	return fresh, dups
}

// windowAfterStatements narrows the window of a fetch for an account that took
// over from statement files: the bank is not read before the minute of
// the files' last row.
func windowAfterStatements(acct store.Account, q openbanking.TransactionQuery) openbanking.TransactionQuery {
	since := acct.StatementThrough.Truncate(time.Minute)
	if since.IsZero() || !q.From.Before(since) {
		return q
	}
	if since.After(q.To) {
		since = q.To
	}
	q.From = since.In(q.From.Location())
	return q
}

// dropFiled drops from a fetch's rows, for an account that took over from
// statement files, those near the files' last row that the statement
// account holds already: its minute is read again, and a file may print
// minutes where the bank's API gives seconds.
func (s *syncer) dropFiled(ctx context.Context, acct store.Account, rows []ledger.Deposit) ([]ledger.Deposit, error) {
	if acct.StatementAccount == "" || len(rows) == 0 || rows[0].At.After(acct.StatementThrough.Add(statementTimeSlack)) {
		return rows, nil
	}
	filed, err := s.db.Deposits(ctx, acct.StatementAccount)
	if err != nil {
		return nil, fmt.Errorf("the statement account's rows: %w", err)
	}
	near := filed[:0:0]
	for _, d := range filed {
		if !d.At.Before(acct.StatementThrough.Truncate(time.Minute).Add(-statementTimeSlack)) {
			near = append(near, d)
		}
	}
	rows, _ = dropStored(rows, near)
	return rows, nil
}

// closest returns the index of the time in ts nearest to t within
// statementTimeSlack, or -1.
func closest(ts []time.Time, t time.Time) int {
	best, bestD := -1, statementTimeSlack+1
	for i, s := range ts {
		d := s.Sub(t)
		if d < 0 {
			d = -d
		}
		if d <= statementTimeSlack && d < bestD {
			best, bestD = i, d
		}
	}
	return best
}
