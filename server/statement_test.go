package server

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/openbanking/testbed"
	"github.com/moimbot/moimbot/statement"
	"github.com/moimbot/moimbot/store"
)

// bankRow is a statement row for the tests: a deposit unless out.
func bankRow(at time.Time, text string, amount, balance int64, out bool) ledger.BankTransaction {
	at = at.In(ledger.KST())
	t := ledger.BankTransaction{Date: at.Format("20060102"), Time: at.Format("150405"), InoutType: "입금",
		PrintContent: text, Amount: amount, AfterBalance: balance, At: at}
	if out {
		t.InoutType = "출금"
	}
	return t
}

func testStatement(rows ...ledger.BankTransaction) *statement.Statement {
	return &statement.Statement{Bank: "kakaobank", Format: "xlsx", Account: "3333-01-2345678", Rows: rows,
		From: rows[0].At, To: rows[len(rows)-1].At}
}

// TestImportStatementFilesOnly: a group without a linked account runs on
// statement files: the first import makes its statement account (never
// polled, the number masked), matches and notices like a poll, the same
// file again and an overlapping one add only what is new, a dry run
// stores nothing, and the board is as of the last row.
func TestImportStatementFilesOnly(t *testing.T) {
	env := newLoopEnv(t)
	now := env.clock.Now()
	old := now.Add(-40 * 24 * time.Hour)
	first := testStatement(
		bankRow(old, "박서준", 30000, 130000, false),
		bankRow(now.Add(-3*time.Hour), "김민수", 30000, 160000, false),
		bankRow(now.Add(-2*time.Hour), "카페", 12000, 148000, true),
		bankRow(now.Add(-time.Hour), "이수진", 30000, 178000, false),
	)
	type counts struct{ New, Deposits, Matched, Review, Ignored, Duplicates, Notified int }
	of := func(s ImportSummary) counts {
		return counts{s.New, s.Deposits, s.Matched, s.Review, s.Ignored, s.Duplicates, s.Notified}
	}

	dry, err := env.eng.ImportStatement(env.ctx, env.group.ID, first, ImportOptions{Actor: "test", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := of(dry), (counts{New: 4, Deposits: 3, Matched: 2, Review: 1}); got != want {
		t.Errorf("dry run: %+v, want %+v", got, want)
	}
	if accts, _ := env.db.Accounts(env.ctx, env.group.ID); len(accts) != 0 {
		t.Fatalf("a dry run made %d accounts", len(accts))
	}

	sum, err := env.eng.ImportStatement(env.ctx, env.group.ID, first, ImportOptions{Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	// 박서준's deposit is 40 days old: recorded without a notice.
	if got, want := of(sum), (counts{New: 4, Deposits: 3, Matched: 2, Review: 1, Notified: 2}); got != want {
		t.Errorf("first import: %+v, want %+v", got, want)
	}
	acct, err := env.db.Account(env.ctx, sum.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	if acct.Source != store.SourceStatement || acct.Masked != "****-**-****678" {
		t.Errorf("statement account %+v, want source %q and the number masked", acct, store.SourceStatement)
	}
	var notices []string
	for _, m := range env.messages(loopGroupChat, bot.KindDeposit) {
		notices = append(notices, m.Text)
	}
	if len(notices) != 1 || !strings.Contains(notices[0], "김민수님 30,000원 입금") {
		t.Errorf("group notices %q, want one for 김민수", notices)
	}
	if got := len(env.messages(loopTreasurerChat, bot.KindReview)); got != 1 {
		t.Errorf("%d review DMs, want 1 (이수진)", got)
	}

	// The same file again: nothing new.
	again, err := env.eng.ImportStatement(env.ctx, env.group.ID, first, ImportOptions{Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := of(again), (counts{Duplicates: 4}); got != want {
		t.Errorf("same file: %+v, want %+v", got, want)
	}

	// An overlapping file: only its new row.
	next := testStatement(append(first.Rows[1:], bankRow(now.Add(-10*time.Minute), "이지은", 30000, 208000, false))...)
	over, err := env.eng.ImportStatement(env.ctx, env.group.ID, next, ImportOptions{Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := of(over), (counts{New: 1, Deposits: 1, Matched: 1, Duplicates: 3, Notified: 1}); got != want {
		t.Errorf("overlapping file: %+v, want %+v", got, want)
	}
	if got := len(env.messages(loopGroupChat, bot.KindDeposit)); got != 2 {
		t.Errorf("%d group notices, want 2", got)
	}
	cur, err := env.db.Cursor(env.ctx, acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := next.Rows[len(next.Rows)-1].At; !cur.Through.Equal(want) {
		t.Errorf("cursor through %v, want the last row's %v", cur.Through, want)
	}

	// The statement account is never polled.
	r, err := env.eng.roster(env.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.accounts) != 0 {
		t.Errorf("the roster polls %d accounts, want none", len(r.accounts))
	}
}

// TestImportStatementBesidePolling: a file of an account KFTC already
// polls goes to that account, and the rows polling stored are recognised
// although the file's texts and seconds differ from the API's: nothing is
// doubled; a row polling has not seen yet is added once and later polls
// do not add it again.
func TestImportStatementBesidePolling(t *testing.T) {
	env := newLoopEnv(t)
	env.link()
	now := env.clock.Now()
	env.post("입금", "김민수", 30000, now.Add(-2*time.Hour))
	env.post("입금", "이지은", 30000, now.Add(-time.Hour))
	env.mustSync()
	stored, err := env.db.Deposits(env.ctx, env.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) < 2 {
		t.Fatalf("%d rows stored by polling, want at least 2", len(stored))
	}
	// The bank's file prints minutes only and longer texts.
	var rows []ledger.BankTransaction
	for _, d := range stored {
		r := bankRow(d.At.Truncate(time.Minute), d.Text+" 회비", d.Amount, d.Balance, d.Direction == ledger.Out)
		rows = append(rows, r)
	}
	last := stored[len(stored)-1]
	rows = append(rows, bankRow(now.Add(-time.Minute), "박서준", 30000, last.Balance+30000, false))
	sum, err := env.eng.ImportStatement(env.ctx, env.group.ID, testStatement(rows...), ImportOptions{Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if sum.AccountID != env.acct.ID || sum.New != 1 || sum.Duplicates != len(stored) {
		t.Errorf("import: account %s, %d new, %d duplicates; want %s, 1, %d", sum.AccountID, sum.New, sum.Duplicates, env.acct.ID, len(stored))
	}
	accts, err := env.db.Accounts(env.ctx, env.group.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(accts) != 1 {
		t.Errorf("%d accounts, want the linked one only", len(accts))
	}
	// The bank lists that row too, at its own second and with its own
	// text: a later poll reads it and does not add it again.
	env.post("입금", "박서준", 30000, now.Add(-time.Minute))
	env.clock.Advance(2 * time.Minute)
	env.mustSync()
	after, err := env.db.Deposits(env.ctx, env.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(stored)+1 {
		t.Errorf("%d rows after the import and a poll, want %d", len(after), len(stored)+1)
	}

	// Several linked accounts: the file's number picks one, or none.
	second := env.acct
	second.ID, second.FintechUseNum, second.Masked = "", "199000000000000000000777", "1111-22-333***"
	if _, err := env.db.PutAccount(env.ctx, store.ActorCLI, second); err != nil {
		t.Fatal(err)
	}
	if _, err := env.eng.ImportStatement(env.ctx, env.group.ID, &statement.Statement{Bank: "x", Account: "999-99-999999", Rows: rows},
		ImportOptions{Actor: "test"}); !errors.Is(err, ErrNoStatementAccount) {
		t.Errorf("unknown account number: %v, want ErrNoStatementAccount", err)
	}
}

func TestSameAccount(t *testing.T) {
	tests := []struct {
		masked, number string
		want           bool
	}{
		{"3333-01-2345***", "3333-01-2345678", true},
		{"****-**-****678", "3333012345678", true},
		{"3333-01-2345***", "3333-01-2399678", false},
		{"12-***", "12", false}, // too few digits agree
		{"", "3333-01-2345678", false},
		{"3333-01-2345***", "", false},
	}
	for _, tt := range tests {
		if got := sameAccount(tt.masked, tt.number); got != tt.want {
			t.Errorf("sameAccount(%q, %q) = %v, want %v", tt.masked, tt.number, got, tt.want)
		}
	}
}

func TestMaskAccount(t *testing.T) {
	tests := []struct{ in, want string }{
		{"3333-01-2345678", "****-**-****678"},
		{"110123456789", "*********789"},
		{"12", "12"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := maskAccount(tt.in); got != tt.want {
			t.Errorf("maskAccount(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestImportThenLink: a group that ran on statement files links its bank
// account later. The bank is read from where the files ended, so the
// deposits the files brought are not stored or paid again, although the
// bank lists them with other texts and seconds; a later deposit is read;
// and a file covering the old months, imported again, adds nothing.
func TestImportThenLink(t *testing.T) {
	env := newLoopEnv(t)
	now := env.clock.Now()
	var rows []ledger.BankTransaction
	for i, name := range []string{"김민수", "이지은"} {
		tx, err := env.sim.Post(testbed.DemoGroupAccountID, testbed.Posting{InoutType: "입금", PrintContent: name,
			Amount: 30000, At: now.Add(time.Duration(i-3)*time.Hour + 17*time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		// The file prints minutes, and more text than the API.
		rows = append(rows, bankRow(tx.At.Truncate(time.Minute), name+" 회비", tx.Amount, tx.AfterBalance, false))
	}
	file := testStatement(rows...)
	if sum, err := env.eng.ImportStatement(env.ctx, env.group.ID, file, ImportOptions{Actor: "test"}); err != nil || sum.New != 2 {
		t.Fatalf("import: %+v, %v; want 2 new", sum, err)
	}

	acct := env.link()
	if acct.StatementAccount == "" || acct.StatementThrough.IsZero() {
		t.Fatalf("the linked account does not know the files: %+v", acct)
	}
	env.post("입금", "박서준", 30000, now.Add(-10*time.Minute))
	env.mustSync()
	ds, err := env.db.Deposits(env.ctx, acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, d := range ds {
		texts = append(texts, d.Text)
	}
	if len(ds) != 1 || ds[0].Text != "박서준" {
		t.Errorf("the bank account stored %q, want only the deposit after the files", texts)
	}

	// The old file again goes to the bank account now, and adds nothing.
	again, err := env.eng.ImportStatement(env.ctx, env.group.ID, file, ImportOptions{Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if again.AccountID != acct.ID || again.New != 0 || again.Duplicates != 2 {
		t.Errorf("the old file after linking: %+v, want 0 new and 2 duplicates in %s", again, acct.ID)
	}
	// Each member's money counted once: two notices from the files, one
	// from the bank.
	if got := len(env.messages(loopGroupChat, bot.KindDeposit)); got != 3 {
		t.Errorf("%d deposit notices, want 3", got)
	}
}
