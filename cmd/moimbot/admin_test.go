package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// TestBackupFromRunningBot holds the database open read-write, as the bot
// does, serves the control socket, and runs `moimbot backup` beside it: the
// copy comes hot from the running process.
func TestBackupFromRunningBot(t *testing.T) {
	path := storeFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	db, err := store.Open(ctx, path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sock := adminSocket(path)
	// A socket file left by a crashed bot is replaced.
	if err := os.WriteFile(sock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- serveAdmin(ctx, db, nil, sock) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serveAdmin: %v", err)
		}
		if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("socket left behind after stop: %v", err)
		}
	}()
	waitForSocket(t, sock)
	if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}

	out := filepath.Join(t.TempDir(), "hot.db")
	code, stdout, stderr := runEnv(t, nil, "backup", "--db", path, "--out", out)
	if code != exitOK || !strings.Contains(stdout, "from the running bot") {
		t.Fatalf("backup: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	info, err := store.Verify(context.Background(), out)
	if err != nil || info.Transactions != 3 {
		t.Fatalf("hot copy: %+v, %v; want 3 transactions", info, err)
	}
}

// TestBackupWithoutBot covers a locked database with nobody on the socket:
// a stale socket file, or none at all.
func TestBackupWithoutBot(t *testing.T) {
	path := storeFixture(t)
	db, err := store.Open(context.Background(), path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := filepath.Join(t.TempDir(), "x.db")
	for _, stale := range []bool{false, true} {
		if stale {
			ln, err := net.Listen("unix", adminSocket(path))
			if err != nil {
				t.Fatal(err)
			}
			ln.(*net.UnixListener).SetUnlinkOnClose(false)
			ln.Close()
		}
		code, _, stderr := runEnv(t, nil, "backup", "--db", path, "--out", out)
		if code != exitError || !strings.Contains(stderr, "in use by another moimbot process") || !strings.Contains(stderr, "no running moimbot answers") {
			t.Errorf("stale=%v: exit %d, stderr %q", stale, code, stderr)
		}
		if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stale=%v: a failed backup left %s", stale, out)
		}
	}
}

func waitForSocket(t *testing.T, sock string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("control socket %s did not come up", sock)
}

// TestCallsCommand shows the call counts from the file, and from the
// running bot over the control socket when the bot holds the file.
func TestCallsCommand(t *testing.T) {
	path := storeFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := store.Open(ctx, path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddCalls(ctx, "a1", ledger.NewPeriod(2026, time.November), 812); err != nil {
		t.Fatal(err)
	}
	db.Close()

	code, stdout, stderr := runEnv(t, nil, "calls", "--db", path)
	if code != exitOK || !strings.Contains(stdout, "독서모임  a1       3333-**-***1234") || !strings.Contains(stdout, "2026-11       812") {
		t.Fatalf("calls: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	db, err = store.Open(ctx, path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	code, _, stderr = runEnv(t, nil, "calls", "--db", path)
	if code != exitError || !strings.Contains(stderr, "in use by another moimbot process") {
		t.Errorf("locked, nobody serving: exit %d, stderr %q", code, stderr)
	}
	served := make(chan error, 1)
	go func() { served <- serveAdmin(ctx, db, nil, adminSocket(path)) }()
	waitForSocket(t, adminSocket(path))
	code, stdout, stderr = runEnv(t, nil, "calls", "--db", path, "--format", "json")
	if code != exitOK || !strings.Contains(stdout, `"calls": 812`) || !strings.Contains(stdout, `"month": "2026-11"`) {
		t.Errorf("calls from the running bot: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	cancel()
	if err := <-served; err != nil {
		t.Error(err)
	}
	if code, _, _ := runEnv(t, nil, "calls", "--db", path, "--format", "xml"); code != exitUsage {
		t.Errorf("--format xml: exit %d, want %d", code, exitUsage)
	}
}

// TestBackupStalledClientDoesNotBlockWrites: a client that sends GET
// /backup on the control socket and never reads the answer does not hold
// up the bot's writes, even those that must grow the file.
func TestBackupStalledClientDoesNotBlockWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "moimbot.db")
	ctx, cancel := context.WithCancel(context.Background())
	db, err := store.Open(ctx, path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	chat := store.ChatRef{Platform: "telegram", ID: "-1"}
	text := strings.Repeat("가", 20000) // 60 KB
	enqueue := func(from, to int) error {
		for i := from; i < to; i++ {
			if _, err := db.Enqueue(ctx, store.OutboxMessage{Key: fmt.Sprint("m", i), Chat: chat, Text: text}); err != nil {
				return err
			}
		}
		return nil
	}
	// 2 MB: far more than the socket buffers hold.
	if err := enqueue(0, 32); err != nil {
		t.Fatal(err)
	}
	sock := adminSocket(path)
	served := make(chan error, 1)
	go func() { served <- serveAdmin(ctx, db, nil, sock) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serveAdmin: %v", err)
		}
	}()
	waitForSocket(t, sock)

	conn, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /backup HTTP/1.1\r\nHost: moimbot\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	// Read the first bytes, so the backup has surely started, then stop.
	if _, err := io.ReadFull(conn, make([]byte, 64)); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(path)
	wrote := make(chan error, 1)
	go func() { wrote <- enqueue(32, 160) }() // 8 MB more: the file grows
	select {
	case err := <-wrote:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		conn.Close() // let the backup end, so the test does too
		t.Fatal("writes blocked for 10s behind a backup client that stopped reading")
	}
	if after, _ := os.Stat(path); after.Size() <= before.Size() {
		t.Errorf("the file did not grow (%d to %d bytes): the test proves nothing", before.Size(), after.Size())
	}
}

// TestAdminServerTimeouts: the control socket's and the simulator's HTTP
// servers time out slow reads, writes and idle connections, not only slow
// headers.
func TestAdminServerTimeouts(t *testing.T) {
	tests := []struct {
		name string
		srv  *http.Server
	}{
		{"ControlSocket", adminServer(nil, nil)},
		{"Testbed", testbedServer(http.NotFoundHandler())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]time.Duration{
				"ReadHeaderTimeout": tt.srv.ReadHeaderTimeout,
				"ReadTimeout":       tt.srv.ReadTimeout,
				"WriteTimeout":      tt.srv.WriteTimeout,
				"IdleTimeout":       tt.srv.IdleTimeout,
			}
			for name, d := range got {
				if d <= 0 {
					t.Errorf("%s = %v, want a timeout", name, d)
				}
			}
		})
	}
}
