package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// damagedFixture is storeFixture with a few hundred more transactions, so
// that the file's pages reach past 64 KiB. It returns the path, bbolt's
// page size and the bytes below bbolt's high water mark.
func damagedFixture(t *testing.T) (path string, pageSize, used int64) {
	t.Helper()
	path = storeFixture(t)
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	accts, err := db.Accounts(ctx, "")
	if err != nil || len(accts) != 1 {
		t.Fatalf("accounts %v, %v", accts, err)
	}
	var rows []ledger.Deposit
	at, bal := time.Date(2024, 4, 1, 9, 0, 0, 0, ledger.KST()), int64(180000)
	for i := range 400 {
		bal += 1000
		rows = append(rows, ledger.Deposit{At: at.Add(time.Duration(i) * time.Minute), Direction: ledger.In, Text: "김민수", Amount: 1000, Balance: bal})
	}
	if _, err := db.Ingest(ctx, accts[0].ID, rows, store.Cursor{}, store.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	pageSize = int64(b.Info().PageSize)
	b.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
	if used <= 64<<10 {
		t.Fatalf("fixture uses %d bytes, want more than 64 KiB", used)
	}
	return path, pageSize, used
}

// damageCases damage a copy of the fixture in place.
func damageCases() []struct {
	name string
	do   func(raw []byte, pageSize, used int64) []byte
} {
	// garble writes random bytes (from a fixed seed) over every page
	// from page 2 (after the meta pages) up to the high water mark, from
	// byte skip of each page on.
	garble := func(skip int64) func([]byte, int64, int64) []byte {
		return func(raw []byte, pageSize, used int64) []byte {
			r := rand.New(rand.NewPCG(uint64(skip), 3))
			for p := 2 * pageSize; p < used; p += pageSize {
				for i := p + skip; i < p+pageSize; i++ {
					raw[i] = byte(r.Uint32())
				}
			}
			return raw
		}
	}
	return []struct {
		name string
		do   func(raw []byte, pageSize, used int64) []byte
	}{
		{"Empty", func([]byte, int64, int64) []byte { return nil }},
		{"NotBbolt", func([]byte, int64, int64) []byte {
			return bytes.Repeat([]byte("moimbot.db is a text file now\n"), 500)
		}},
		{"CutMidPage", func(raw []byte, pageSize, used int64) []byte {
			return raw[:used/pageSize/2*pageSize+pageSize/2]
		}},
		{"CutAt16KiB", func(raw []byte, _, _ int64) []byte { return raw[:16<<10] }},
		{"CutAt64KiB", func(raw []byte, _, _ int64) []byte { return raw[:64<<10] }},
		{"ZeroedMetaPages", func(raw []byte, pageSize, _ int64) []byte {
			clear(raw[:2*pageSize])
			return raw
		}},
		{"OverwrittenPages", garble(0)},
		{"GarbledPageBodies", garble(16)},
	}
}

func sum(t *testing.T, path string) [sha256.Size]byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(raw)
}

// TestStoreCommandsOnDamagedFile runs every command that opens an existing
// database on damaged files: each says in one line that the file is
// damaged and how to restore a backup, exits non-zero without a Go trace,
// and leaves the file byte for byte as it was.
func TestStoreCommandsOnDamagedFile(t *testing.T) {
	fixture, pageSize, used := damagedFixture(t)
	healthy, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{store.EnvSecretKey: oldKey, envNewSecretKey: newKey}
	commands := []struct {
		name string
		vars map[string]string
		args func(db, dir string) []string
	}{
		{"Check", nil, func(db, _ string) []string { return []string{"check", "--db", db} }},
		{"Calls", nil, func(db, _ string) []string { return []string{"calls", "--db", db} }},
		{"Export", nil, func(db, _ string) []string { return []string{"export", "--db", db, "--group", "독서모임"} }},
		{"Migrate", nil, func(db, _ string) []string { return []string{"migrate", "--db", db} }},
		{"Compact", nil, func(db, _ string) []string { return []string{"compact", "--db", db} }},
		{"CompactIfNeeded", nil, func(db, _ string) []string { return []string{"compact", "--db", db, "--if-needed"} }},
		{"Backup", nil, func(db, dir string) []string {
			return []string{"backup", "--db", db, "--out", filepath.Join(dir, "backup.db")}
		}},
		{"RotateKey", keys, func(db, _ string) []string { return []string{"rotate-key", "--db", db} }},
		{"RestoreFrom", nil, func(db, dir string) []string {
			return []string{"restore", "--db", filepath.Join(dir, "target.db"), "--from", db}
		}},
	}
	for _, d := range damageCases() {
		t.Run(d.name, func(t *testing.T) {
			damaged := d.do(bytes.Clone(healthy), pageSize, used)
			for _, c := range commands {
				t.Run(c.name, func(t *testing.T) {
					dir := t.TempDir()
					path := filepath.Join(dir, "moimbot.db")
					if err := os.WriteFile(path, damaged, 0o600); err != nil {
						t.Fatal(err)
					}
					target := filepath.Join(dir, "target.db") // restore's healthy --db
					if err := os.WriteFile(target, healthy, 0o600); err != nil {
						t.Fatal(err)
					}
					code, stdout, stderr := runEnv(t, c.vars, c.args(path, dir)...)
					if code == exitOK {
						t.Errorf("exit code = %d, want non-zero", code)
					}
					if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
						t.Errorf("stderr = %q, want one line", stderr)
					}
					if !strings.Contains(stderr, "damaged") || !strings.Contains(stderr, "moimbot restore") {
						t.Errorf("stderr = %q, want it to say the file is damaged and suggest moimbot restore", stderr)
					}
					for _, trace := range []string{"goroutine", "panic", "fatal error", "SIGBUS"} {
						if strings.Contains(stdout+stderr, trace) {
							t.Errorf("output has %q: %q", trace, stdout+stderr)
						}
					}
					if stdout != "" {
						t.Errorf("stdout = %q, want nothing", stdout)
					}
					if got, want := sum(t, path), sha256.Sum256(damaged); got != want {
						t.Error("the damaged file changed")
					}
					if got, want := sum(t, target), sha256.Sum256(healthy); got != want {
						t.Error("restore's target changed")
					}
					if _, err := os.Stat(filepath.Join(dir, "backup.db")); err == nil {
						t.Error("backup wrote a copy of the damaged file")
					}
				})
			}
		})
	}
}

// TestRestoreOverDamagedFile is the way back the damaged-file message
// suggests: restore replaces the damaged file and keeps it as it was.
func TestRestoreOverDamagedFile(t *testing.T) {
	fixture, pageSize, used := damagedFixture(t)
	healthy, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range damageCases() {
		t.Run(d.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "moimbot.db")
			damaged := d.do(bytes.Clone(healthy), pageSize, used)
			if err := os.WriteFile(path, damaged, 0o600); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := runEnv(t, nil, "restore", "--db", path, "--from", fixture)
			if code != exitOK {
				t.Fatalf("restore: %d %q", code, stderr)
			}
			kept, _ := filepath.Glob(path + ".before-restore-*")
			if len(kept) != 1 || !strings.Contains(stdout, kept[0]) {
				t.Fatalf("kept files %v, stdout %q; want one, named", kept, stdout)
			}
			if got, want := sum(t, kept[0]), sha256.Sum256(damaged); got != want {
				t.Error("the kept damaged file changed")
			}
			if code, stdout, stderr := runEnv(t, nil, "check", "--db", path); code != exitOK {
				t.Errorf("check after restore: %d %q %q", code, stdout, stderr)
			}
		})
	}
}

// TestStoreCommandsOutputDirectory: an output path whose directory does
// not exist, or that is a directory, is a usage error.
func TestStoreCommandsOutputDirectory(t *testing.T) {
	path := storeFixture(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-such-dir")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"BackupOutDirMissing", []string{"backup", "--db", path, "--out", filepath.Join(missing, "x.db")}, "--out " + filepath.Join(missing, "x.db") + ": directory " + missing + " does not exist"},
		{"BackupOutIsDir", []string{"backup", "--db", path, "--out", dir, "--force"}, "--out " + dir + " is a directory"},
		{"RestoreDBDirMissing", []string{"restore", "--db", filepath.Join(missing, "x.db"), "--from", path}, "--db " + filepath.Join(missing, "x.db") + ": directory " + missing + " does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runEnv(t, nil, tt.args...)
			if got, want := code, exitUsage; got != want {
				t.Errorf("exit code = %d, want %d (stderr %q)", got, want, stderr)
			}
			if got, want := stderr, "moimbot "+tt.args[0]+": "+tt.want+"\n"; got != want {
				t.Errorf("stderr = %q, want %q", got, want)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
		})
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("a command created the missing directory")
	}
}
