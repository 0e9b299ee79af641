package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/server"
	"github.com/moimbot/moimbot/store"
)

// TestImportCommand: `moimbot import` reads statement files and stores
// their rows for a group: --dry-run stores nothing, a second run of the
// same file adds nothing, an encrypted workbook needs its password (flag
// or variable), and a bad file or group is one line with nothing stored.
func TestImportCommand(t *testing.T) {
	path := exportFixture(t, "", "")
	dir := t.TempDir()
	at := func(d int) time.Time { return time.Date(2024, time.March, d, 10, 0, 0, 0, ledger.KST()) }
	rows := []statementRow{{at(4), true, 30000, "김민수", 530000}, {at(5), true, 30000, "모르는사람", 560000}}
	plain := filepath.Join(dir, "plain.xlsx")
	locked := filepath.Join(dir, "locked.xlsx")
	if err := os.WriteFile(plain, statementXLSX(t, rows, ""), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(locked, statementXLSX(t, rows, "900101"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("거래일시,금액\n2024.03.04 10:00:00,30000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rowCount := func() int {
		t.Helper()
		db, err := store.Open(context.Background(), path, store.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		accts, err := db.Accounts(context.Background(), "g1")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, a := range accts {
			ds, err := db.Deposits(context.Background(), a.ID)
			if err != nil {
				t.Fatal(err)
			}
			n += len(ds)
		}
		return n
	}
	before := rowCount()
	tests := []struct {
		name    string
		vars    map[string]string
		args    []string
		code    int
		want    string
		newRows int
	}{
		{"DryRun", nil, []string{"--dry-run", plain}, exitOK, "would store 2 new (deposits 2: matched 1, to review 1", 0},
		{"NoPassword", nil, []string{locked}, exitError, "locked.xlsx: the workbook is encrypted: give its password with --password or $MOIMBOT_STATEMENT_PASSWORD", 0},
		{"WrongPassword", nil, []string{"--password", "123456", locked}, exitError, "locked.xlsx: the password does not open the workbook", 0},
		{"BadFile", nil, []string{plain, bad}, exitError, "bad.csv: statement: no column for the payer's name", 0},
		{"NoGroup", nil, []string{"--group", "없는모임", plain}, exitError, "없는모임", 0},
		{"Stored", map[string]string{envStatementPassword: "900101"}, []string{locked}, exitOK, "stored 2 new", 2},
		{"Again", nil, []string{plain}, exitOK, "stored 0 new (deposits 0: matched 0, to review 0, not dues 0), 2 already recorded", 2},
		{"NoFile", nil, nil, exitUsage, "name at least one statement FILE", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"import", "--db", path, "--group", "독서모임"}, tt.args...)
			if tt.name == "NoGroup" {
				args = append([]string{"import", "--db", path}, tt.args...)
			}
			code, stdout, stderr := runEnv(t, tt.vars, args...)
			if code != tt.code || !strings.Contains(stdout+stderr, tt.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and %q", code, stdout, stderr, tt.code, tt.want)
			}
			if got := rowCount() - before; got != tt.newRows {
				t.Errorf("%d rows stored in all, want %d", got, tt.newRows)
			}
		})
	}
}

// TestImportThroughRunningBot: with the database held by a running bot,
// import sends the rows (never the password) over the control socket, and
// the bot stores them.
func TestImportThroughRunningBot(t *testing.T) {
	path := exportFixture(t, "", "")
	file := filepath.Join(t.TempDir(), "locked.xlsx")
	at := time.Date(2024, time.March, 4, 10, 0, 0, 0, ledger.KST())
	if err := os.WriteFile(file, statementXLSX(t, []statementRow{{at, true, 30000, "김민수", 530000}}, "900101"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	db, err := store.Open(ctx, path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	served := make(chan error, 1)
	go func() { served <- serveAdmin(ctx, db, server.New(server.Config{DB: db}), adminSocket(path)) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Error(err)
		}
	}()
	for i := 0; i < 200; i++ { // the socket appears when serveAdmin listens
		if _, err := os.Stat(adminSocket(path)); err == nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	code, stdout, stderr := runEnv(t, nil, "import", "--db", path, "--group", "독서모임", "--password", "900101", file)
	if code != exitOK || !strings.Contains(stdout, "stored 1 new") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	accts, err := db.Accounts(ctx, "g1")
	if err != nil {
		t.Fatal(err)
	}
	// The fixture's group polls one account: the file's row went there.
	if len(accts) != 1 {
		t.Fatalf("accounts after the import: %+v, want the linked one only", accts)
	}
	ds, err := db.Deposits(ctx, accts[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(ds, func(d ledger.Deposit) bool { return d.Text == "김민수" && d.At.Equal(at) }) {
		t.Errorf("the file's row is not among the account's %d rows", len(ds))
	}
}
