//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/moimbot/moimbot/store"
)

// refusedSize is the file size limit that makes the disk refuse the bot's
// writes: bbolt's two meta pages (4 KiB each) fit under it, every other
// page lies beyond it, and every commit writes at least one such page (a
// changed leaf, the freelist) before its meta page.
const refusedSize = 8192

// TestFaultsDisk: a disk that refuses writes, under a bot that is running
// and under one that starts. The fault is RLIMIT_FSIZE, set on the bot's
// process by the test (prlimit(2)) while it runs: every write past the
// first 8 KiB of any file fails with EFBIG ("file too large"), on the file
// bbolt already holds open, and Go ignores the SIGXFSZ that comes with it.
// The alternatives do less: chmod and a read-only directory do not touch a
// file descriptor already open for writing, and do not stop root at all
// (CI runs as root); remounting a filesystem read-only is refused while a
// file on it is open for writing (EBUSY); and a full filesystem (a tiny
// tmpfs, which needs mount privileges, filled up) refuses only new blocks,
// so bbolt's commits into pages it has written before still succeed, and
// which commit fails is a matter of chance. The limit refuses every
// commit, for any user, without privileges. What it does not exercise: a
// failing fsync (the limit fails the write itself) and the kernel's own
// ENOSPC and EROFS paths.
//
// Starting on such a disk (the limit set by the helper before serve):
// serve stops at once with an error naming the cause, and leaves the file
// byte for byte as it was. Under a running bot: the deposit read while
// writes are refused is not stored, each pass fails with an error naming
// the cause, a member's /status fails with one in the log, the bot keeps
// running; once writes are allowed again the deposit is stored and noticed
// once, the next too, and /status is answered. Refused exactly between
// Telegram taking a notice and the bot marking it sent (the proxy's hook):
// the mark fails, the notice stays claimed until its lease runs out (the
// test moves the helper's clock), holding back the group's next notice,
// and is then posted again, the documented case; the next follows in
// order. moimbot check passes after the refused start and after the last
// stop, and every deposit is stored and paid once.
func TestFaultsDisk(t *testing.T) {
	t.Parallel()
	began := time.Now()
	rig := newFaultRig(t)
	rig.seedGroup()
	var rows []figureRow

	// Started on a disk that refuses writes.
	was, err := os.ReadFile(rig.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	c := rig.spawn(t, "info", fmt.Sprintf("%s=%d", envFileSize, refusedSize))
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("serve kept running on a disk that refuses writes:\n%s", c.out)
	}
	startErr := lineWith(c.out.String(), "file too large")
	if c.err == nil || startErr == "" {
		t.Errorf("serve on a disk that refuses writes: exit %v, want a failure naming the cause:\n%s", c.err, c.out)
	}
	is, err := os.ReadFile(rig.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(is, was) {
		t.Errorf("the refused start changed the database file")
	}
	code, out := checkDB(rig.dbPath)
	if code != exitOK {
		t.Errorf("moimbot check after the refused start: exit %d: %s", code, out)
	}
	rows = append(rows, figureRow{"serve started, writes refused", fmt.Sprintf("%v: %s; file unchanged %v, check exit %d", c.err, startErr, bytes.Equal(is, was), code)})

	// Refused under the running bot, then allowed again. The bot reaches
	// Telegram through the proxy, and its clock can be moved.
	before := len(rig.tg.Calls("deleteWebhook"))
	clockFile := filepath.Join(t.TempDir(), "clock")
	c = rig.spawn(t, "debug", envTelegramAPIURL+"="+rig.proxy.URL, envClockFile+"="+clockFile)
	pid := c.cmd.Process.Pid
	rig.waitReady(t, c, before)
	since := time.Now()
	first := rig.pay("김민수")
	rig.waitSince(since, serveGroupID, first)
	// Its sent mark is written (the last part of the test is about a
	// refused mark).
	waitLine(t, c.out, `msg="message sent"`, "kind=deposit")
	if err := setFileSizeLimit(pid, refusedSize); err != nil {
		t.Fatalf("limit the bot's file size: %v", err)
	}
	refused := rig.pay("이지은")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.out.wait(ctx, 1, "sync failed", "file too large"); err != nil {
		t.Fatalf("passes failing on refused writes: %v\n%s", err, c.out)
	}
	// A member asks for the board meanwhile: the reply cannot be queued.
	if _, err := rig.tg.SendText(serveGroupID, serveMember, "/status"); err != nil {
		t.Fatal(err)
	}
	if err := c.out.wait(ctx, 1, "command failed", "command=status", "file too large"); err != nil {
		t.Errorf("no log line of the failed /status: %v\n%s", err, c.out)
	}
	failures := c.out.count("sync failed", "file too large")
	if err := setFileSizeLimit(pid, ^uint64(0)); err != nil {
		t.Fatalf("lift the bot's file size limit: %v", err)
	}
	// A pass whose rows could not be stored backs off as after a failed
	// bank call (each pass is a paid call): the next runs after it.
	rig.moveClock(t, c, clockFile, time.Hour)
	unanswered := len(sends(rig.tg, serveGroupID, "회비 현황"))
	rig.waitSince(since, serveGroupID, refused)
	after := rig.pay("강도윤")
	rig.waitSince(since, serveGroupID, after)
	asked := time.Now()
	if _, err := rig.tg.SendText(serveGroupID, serveMember, "/status"); err != nil {
		t.Fatal(err)
	}
	rig.waitSince(asked, serveGroupID, "회비 현황")
	rows = append(rows, figureRow{"writes refused under the running bot", fmt.Sprintf("%d failed passes: %s", failures, lineWith(c.out.String(), "sync failed"))})
	rows = append(rows, figureRow{"  a member's /status meanwhile", fmt.Sprintf("%d answers; %s", unanswered, lineWith(c.out.String(), "command failed"))})
	rows = append(rows, figureRow{"  writes allowed again", fmt.Sprintf("after the backoff: deposits posted %s times, /status answered", rig.postCounts(first, refused, after))})

	// Refused between Telegram taking a notice and the bot marking it
	// sent: the mark fails, the notice stays claimed until its lease runs
	// out, holding back the group's next notice, and is then posted again
	// (the documented case, go doc ./store); the next follows in order.
	since = time.Now()
	limited := make(chan error, 1)
	rig.proxy.injectThen("sendMessage", serveGroupID, func() { limited <- setFileSizeLimit(pid, refusedSize) })
	twice := rig.pay("이지은")
	select {
	case err := <-limited:
		if err != nil {
			t.Fatalf("limit the bot's file size: %v", err)
		}
	case <-ctx.Done():
		t.Fatalf("the notice never reached Telegram:\n%s", c.out)
	}
	waitLine(t, c.out, "mark message", "sent", "file too large")
	if err := setFileSizeLimit(pid, ^uint64(0)); err != nil {
		t.Fatalf("lift the bot's file size limit: %v", err)
	}
	synced := c.out.count("msg=synced")
	next := rig.pay("강도윤")
	if err := c.out.wait(ctx, synced+1, "msg=synced"); err != nil {
		t.Fatalf("the next deposit was not stored: %v\n%s", err, c.out)
	}
	held := len(sends(rig.tg, serveGroupID, next)) == 0
	rig.moveClock(t, c, clockFile, store.DefaultLease+time.Second)
	again := rig.waitN(since, serveGroupID, twice, 2)
	if m := rig.waitSince(since, serveGroupID, next); m.MessageID < again.MessageID || !held {
		t.Errorf("the next notice was posted before the refused one was posted again")
	}
	rows = append(rows, figureRow{"mark sent refused", fmt.Sprintf("%s; posted %s times, the next held back %v",
		lineWith(c.out.String(), "mark message"), rig.postCounts(twice, next), held)})

	if err := c.term(t); err != nil {
		t.Errorf("serve did not stop cleanly: %v\n%s", err, c.out)
	}
	code, out = checkDB(rig.dbPath)
	if code != exitOK {
		t.Errorf("moimbot check after the refused writes: exit %d: %s", code, out)
	}
	rows = append(rows, figureRow{"after the last stop", fmt.Sprintf("check exit %d", code)})
	stored, paid := storedCounts(t, openStored(t, rig.dbPath, rig.key))
	notices := []string{first, refused, after, twice, next}
	for k := range depositKeys(notices) {
		if stored[k] != 1 || paid[k] != 1 {
			t.Errorf("deposit %s stored %d times with %d payments, want 1 and 1", k, stored[k], paid[k])
		}
	}
	for _, n := range notices {
		want := 1
		if n == twice {
			want = 2
		}
		if got := len(sends(rig.tg, serveGroupID, n)); got != want {
			t.Errorf("%q posted %d times, want %d", n, got, want)
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "disk refusing writes (RLIMIT_FSIZE %d bytes, %s):\n", refusedSize, time.Since(began).Round(time.Millisecond))
	for _, r := range rows {
		fmt.Fprintf(&b, "  %-38s %s\n", r.name, r.outcome)
	}
	t.Log(b.String())
}

// setFileSizeLimit sets the soft RLIMIT_FSIZE of process pid to n bytes,
// keeping its hard limit, so that it can be lifted again without
// privileges.
func setFileSizeLimit(pid int, n uint64) error {
	var old syscall.Rlimit
	if err := prlimit(pid, syscall.RLIMIT_FSIZE, nil, &old); err != nil {
		return err
	}
	lim := syscall.Rlimit{Cur: min(n, old.Max), Max: old.Max}
	return prlimit(pid, syscall.RLIMIT_FSIZE, &lim, nil)
}

// prlimit is prlimit(2), which the syscall package does not export.
func prlimit(pid, resource int, limit, old *syscall.Rlimit) error {
	_, _, errno := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), uintptr(resource),
		uintptr(unsafe.Pointer(limit)), uintptr(unsafe.Pointer(old)), 0, 0)
	if errno != 0 {
		return fmt.Errorf("prlimit: %w", errno)
	}
	return nil
}

// waitLine waits until the log has a line containing every one of subs.
func waitLine(t *testing.T, w *logWatch, subs ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := w.wait(ctx, 1, subs...); err != nil {
		t.Fatalf("no log line with %q: %v\n%s", subs, err, w)
	}
}

// lineWith returns the first line of s containing sub, without its
// timestamp, shortened; "" if there is none.
func lineWith(s, sub string) string {
	for line := range strings.Lines(s) {
		if strings.Contains(line, sub) {
			line = strings.TrimSpace(line)
			if i := strings.Index(line, " level="); i >= 0 && strings.HasPrefix(line, "time=") {
				line = line[i+1:]
			}
			if r := []rune(line); len(r) > 200 {
				line = string(r[:200]) + "…"
			}
			return line
		}
	}
	return ""
}
