package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/openbanking"
	"github.com/moimbot/moimbot/store"
)

// The store's persistent sequence is what the KFTC client needs.
var _ openbanking.SequenceSource = (*store.DB)(nil)

var (
	oldKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	newKey = base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32))
)

const secretAccess = "ACCESS-TOKEN-do-not-print-7f3a"

// storeFixture writes a database with a group, an account, three
// transactions (one a spreadsheet formula), a manual payment and a token
// sealed under oldKey, and returns its path.
func storeFixture(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "moimbot.db")
	c, err := store.ParseKey(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), path, store.Options{NoSync: true, Cipher: c})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	g, err := db.PutGroup(ctx, "cli", store.Group{Group: ledger.Group{
		Name: "독서모임",
		Dues: ledger.DuesRule{Amount: 30000, Day: 10, Start: ledger.NewPeriod(2024, time.January)},
		Members: []ledger.Member{
			{ID: "m1", Name: "김민수"},
			{ID: "m2", Name: "이영희"},
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := db.PutAccount(ctx, "cli", store.Account{GroupID: g.ID, FintechUseNum: "199000000000000000000001", Masked: "3333-**-***1234"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 3, 10, 9, 0, 0, 0, ledger.KST())
	rows := []ledger.Deposit{
		{At: at, Direction: ledger.In, Text: "김민수", Amount: 60000, Balance: 160000},
		{At: at.Add(time.Minute), Direction: ledger.In, Text: "=HYPERLINK(\"x\")", Amount: 30000, Balance: 190000},
		{At: at.Add(2 * time.Minute), Direction: ledger.Out, Text: "출금", Amount: 10000, Balance: 180000},
	}
	if _, err := db.Ingest(ctx, a.ID, rows, store.Cursor{}, store.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddManualPayment(ctx, "cli", g.ID, ledger.Payment{MemberID: "m2", Amount: 30000, At: at}, "cash"); err != nil {
		t.Fatal(err)
	}
	if err := db.PutToken(ctx, "1100000001", store.Token{AccessToken: secretAccess, RefreshToken: "REFRESH-do-not-print"}); err != nil {
		t.Fatal(err)
	}
	return path
}

func runEnv(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, func(k string) string { return vars[k] }, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestStoreCommandsUsage(t *testing.T) {
	path := storeFixture(t)
	dir := t.TempDir()
	existing := filepath.Join(dir, "exists.db")
	os.WriteFile(existing, []byte("x"), 0o600)
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, bytes.Repeat([]byte("junk"), 2048), 0o600)
	missing := filepath.Join(dir, "missing.db")
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"BackupNoOut", nil, []string{"backup", "--db", path}, "moimbot backup: --out is required"},
		{"BackupOutExists", nil, []string{"backup", "--db", path, "--out", existing}, "file exists"},
		{"BackupOutIsDB", nil, []string{"backup", "--db", path, "--out", path}, "is the database itself"},
		{"BackupNoDB", nil, []string{"backup", "--db", missing, "--out", filepath.Join(dir, "b")}, "--db " + missing + ": no such file"},
		{"BackupNotMoimbot", nil, []string{"backup", "--db", junk, "--out", filepath.Join(dir, "b")}, "--db " + junk},
		{"RestoreNoFrom", nil, []string{"restore", "--db", path}, "--from is required"},
		{"RestoreFromMissing", nil, []string{"restore", "--db", path, "--from", missing}, "--from " + missing + ": no such file"},
		{"RestoreFromJunk", nil, []string{"restore", "--db", path, "--from", junk}, "--from " + junk},
		{"RotateNoCurrentKey", map[string]string{envNewSecretKey: newKey}, []string{"rotate-key", "--db", path}, "current key: no secret key configured"},
		{"RotateNoNewKey", map[string]string{store.EnvSecretKey: oldKey}, []string{"rotate-key", "--db", path}, "--new-key-file FILE or MOIMBOT_NEW_SECRET_KEY"},
		{"RotateBadNewKey", map[string]string{store.EnvSecretKey: oldKey, envNewSecretKey: "c2hvcnQ="}, []string{"rotate-key", "--db", path}, "MOIMBOT_NEW_SECRET_KEY: secret key is not base64 of 32 bytes"},
		{"RotateNewKeyFileMissing", map[string]string{store.EnvSecretKey: oldKey}, []string{"rotate-key", "--db", path, "--new-key-file", missing}, "--new-key-file " + missing + ": no such file"},
		{"RotateNewKeyFileTooLarge", map[string]string{store.EnvSecretKey: oldKey}, []string{"rotate-key", "--db", path, "--new-key-file", "/dev/zero"}, "--new-key-file /dev/zero: secret key is not base64 of 32 bytes (the file is larger than 4096 bytes)"},
		{"RotateKeyFileTooLarge", map[string]string{store.EnvSecretKeyFile: "/dev/zero", envNewSecretKey: newKey}, []string{"rotate-key", "--db", path}, "current key: secret key file /dev/zero: secret key is not base64 of 32 bytes (the file is larger than 4096 bytes)"},
		{"RotateWrongCurrentKey", map[string]string{store.EnvSecretKey: newKey, envNewSecretKey: oldKey}, []string{"rotate-key", "--db", path}, "MOIMBOT_SECRET_KEY: not the key of"},
		{"CheckNoDB", nil, []string{"check", "--db", missing}, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runEnv(t, tt.env, tt.args...)
			if code != exitUsage {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tt.want)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("usage error spans several lines: %q", stderr)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			for _, secret := range []string{oldKey, newKey, secretAccess} {
				if strings.Contains(stderr, secret) {
					t.Errorf("stderr shows a secret: %q", stderr)
				}
			}
		})
	}
}

func TestBackupAndRestoreCommands(t *testing.T) {
	path := storeFixture(t)
	out := filepath.Join(t.TempDir(), "backup.db")
	code, stdout, stderr := runEnv(t, nil, "backup", "--db", path, "--out", out)
	if code != exitOK || !strings.Contains(stdout, "backed up") {
		t.Fatalf("backup: %d %q %q", code, stdout, stderr)
	}
	if info, err := store.Verify(context.Background(), out); err != nil || info.Transactions != 3 {
		t.Fatalf("backup copy: %+v, %v", info, err)
	}
	if code, _, stderr := runEnv(t, nil, "backup", "--db", path, "--out", out, "--force"); code != exitOK {
		t.Errorf("backup --force: %d %q", code, stderr)
	}

	// $MOIMBOT_DB names the database when --db is absent.
	code, stdout, stderr = runEnv(t, map[string]string{envDB: path}, "restore", "--from", out)
	if code != exitOK || !strings.Contains(stdout, ".before-restore-") {
		t.Fatalf("restore: %d %q %q", code, stdout, stderr)
	}
	matches, _ := filepath.Glob(path + ".before-restore-*")
	if len(matches) != 1 {
		t.Errorf("kept files = %v, want one", matches)
	}

	t.Run("WhileTheBotRuns", func(t *testing.T) {
		db, err := store.Open(context.Background(), path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, args := range [][]string{
			{"backup", "--db", path, "--out", filepath.Join(t.TempDir(), "x.db")},
			{"restore", "--db", path, "--from", out},
			{"compact", "--db", path},
			{"export", "--db", path, "--group", "독서모임"},
		} {
			code, _, stderr := runEnv(t, nil, args...)
			if code != exitError || !strings.Contains(stderr, "in use by another moimbot process") {
				t.Errorf("%s: %d %q, want exit 1 saying the database is in use", args[0], code, stderr)
			}
		}
	})
}

func TestCompactAndCheckCommands(t *testing.T) {
	path := storeFixture(t)
	code, stdout, stderr := runEnv(t, nil, "compact", "--db", path, "--if-needed")
	if code != exitOK || !strings.Contains(stdout, "not needed") {
		t.Errorf("compact --if-needed: %d %q %q", code, stdout, stderr)
	}
	code, stdout, stderr = runEnv(t, nil, "compact", "--db", path)
	if code != exitOK || !strings.Contains(stdout, "compacted") {
		t.Errorf("compact: %d %q %q", code, stdout, stderr)
	}
	code, stdout, stderr = runEnv(t, nil, "check", "--db", path)
	if code != exitOK || !strings.Contains(stdout, "consistent") {
		t.Errorf("check: %d %q %q", code, stdout, stderr)
	}
}

func TestRotateKeyCommand(t *testing.T) {
	path := storeFixture(t)
	keyFile := filepath.Join(t.TempDir(), "new.key")
	os.WriteFile(keyFile, []byte(newKey+"\n"), 0o600)
	code, stdout, stderr := runEnv(t, map[string]string{store.EnvSecretKey: oldKey}, "rotate-key", "--db", path, "--new-key-file", keyFile)
	if code != exitOK || !strings.Contains(stdout, "re-encrypted 1 secrets") {
		t.Fatalf("rotate-key: %d %q %q", code, stdout, stderr)
	}
	for _, secret := range []string{oldKey, newKey, secretAccess} {
		if strings.Contains(stdout+stderr, secret) {
			t.Errorf("output shows a secret: %q", stdout+stderr)
		}
	}
	next, _ := store.ParseKey(newKey)
	db, err := store.Open(context.Background(), path, store.Options{Cipher: next})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := db.Token(context.Background(), "1100000001")
	db.Close()
	if err != nil || tok.AccessToken != secretAccess {
		t.Errorf("token under the new key: %v", err)
	}
	// And back, with the new key from the environment.
	code, _, stderr = runEnv(t, map[string]string{store.EnvSecretKeyFile: keyFile, envNewSecretKey: oldKey}, "rotate-key", "--db", path)
	if code != exitOK {
		t.Errorf("rotate back: %d %q", code, stderr)
	}
}

// writeSchema1 writes a minimal database of moimbot's first schema.
func writeSchema1(t *testing.T, path string) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = b.Update(func(tx *bolt.Tx) error {
		for _, name := range []string{"meta", "groups"} {
			if _, err := tx.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		if err := tx.Bucket([]byte("meta")).Put([]byte("schema_version"), []byte{0, 0, 0, 0, 0, 0, 0, 1}); err != nil {
			return err
		}
		return tx.Bucket([]byte("groups")).Put([]byte("g1"), []byte(`{"id":"g1","name":"산악회","dues":{"amount":20000,"day":5,"start":"2023-01"},"members":[{"id":"m1","name":"김민수","aliases":["민수"]}]}`))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBackupThenMigrate is the upgrade path: the old file can be backed up
// before anything changes it, and migrate brings it to the current schema.
func TestBackupThenMigrate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "old.db")
	writeSchema1(t, path)
	if code, _, stderr := runEnv(t, nil, "check", "--db", path); code != exitUsage || !strings.Contains(stderr, "moimbot migrate") {
		t.Errorf("check of schema 1: %d %q, want advice to migrate", code, stderr)
	}
	out := filepath.Join(dir, "before-migrate.db")
	if code, _, stderr := runEnv(t, nil, "backup", "--db", path, "--out", out); code != exitOK {
		t.Fatalf("backup of schema 1: %d %q", code, stderr)
	}
	if info, err := store.Verify(context.Background(), out); err != nil || info.Schema != 1 {
		t.Errorf("backup copy: %+v, %v; want schema 1", info, err)
	}
	code, stdout, stderr := runEnv(t, nil, "migrate", "--db", path)
	if code != exitOK || !strings.Contains(stdout, "migrated from schema 1 to") {
		t.Fatalf("migrate: %d %q %q", code, stdout, stderr)
	}
	if code, stdout, _ := runEnv(t, nil, "migrate", "--db", path); code != exitOK || !strings.Contains(stdout, "already at schema") {
		t.Errorf("migrate again: %d %q", code, stdout)
	}
	if code, _, stderr := runEnv(t, nil, "check", "--db", path); code != exitOK {
		t.Errorf("check after migrate: %d %q", code, stderr)
	}
}

func TestStoreCommandsGuards(t *testing.T) {
	path := storeFixture(t)
	dir := filepath.Dir(path)
	keys := map[string]string{"MOIMBOT_SECRET_KEY": oldKey, envNewSecretKey: newKey}
	tests := []struct {
		name       string
		vars       map[string]string
		args       []string
		wantStderr string
	}{
		{"BackupOntoItselfSpelledOtherwise", nil, []string{"backup", "--db", path, "--out", filepath.Join(dir, ".", "moimbot.db"), "--force"}, "is the database itself"},
		{"RotateKeyMissingFile", keys, []string{"rotate-key", "--db", filepath.Join(dir, "typo.db")}, "typo.db: no such file"},
		{"MigrateMissingFile", nil, []string{"migrate", "--db", filepath.Join(dir, "typo.db")}, "typo.db: no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runEnv(t, tt.vars, tt.args...)
			if code != exitUsage || !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tt.wantStderr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "typo.db")); err == nil {
		t.Error("a command created the mistyped database")
	}
}
