//go:build unix

package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/moimbot/moimbot/store"
)

// The helper process: `moimbot serve` in a process of its own, so the test
// can SIGKILL it. It runs on the clock the parent gives as an offset from
// the wall clock, polling every 200 ms.
const envServeHelper = "MOIMBOT_TEST_SERVE_HELPER"

func TestServeHelperProcess(t *testing.T) {
	if os.Getenv(envServeHelper) != "1" {
		t.Skip("the helper process of TestServeKill")
	}
	offset, err := strconv.ParseInt(os.Getenv("MOIMBOT_TEST_CLOCK_OFFSET"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	e := env{getenv: os.Getenv, stdout: os.Stdout, stderr: os.Stderr}
	fs := newFlagSet("serve")
	c := serveFlags(e, fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return time.Now().Add(time.Duration(offset)) }
	c.plan = func(store.Group) cron.Schedule { return serveEvery{200 * time.Millisecond} }
	c.idle, c.pollTimeout, c.logLevel = 20*time.Millisecond, 2*time.Second, "warn"
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	if err := serve(ctx, e, c); err != nil {
		t.Fatal(err)
	}
}

// TestServeKill: moimbot serve is killed with SIGKILL, once after a notice
// went out and once right after a new deposit reached the bank, and
// restarted on the same database each time: no message is posted twice,
// the deposit read while it died is noticed once, the board is as it was,
// and the next deposit is still noticed.
func TestServeKill(t *testing.T) {
	rig := newServeRig(t)
	// The first part in-process, as TestServeTelegram: a linked group with
	// three members.
	rig.start()
	rig.linkGroup()
	if code := rig.stop(); code != exitOK {
		t.Fatalf("serve exited %d: %s", code, rig.log)
	}

	offset := time.Until(rig.clock.Now())
	var proc *exec.Cmd
	var logs strings.Builder
	startProc := func() {
		t.Helper()
		if _, port, _ := net.SplitHostPort(strings.TrimPrefix(rig.public, "http://")); port == "" {
			t.Fatal("no port")
		}
		proc = exec.Command(os.Args[0], "-test.run=^TestServeHelperProcess$", "-test.v")
		proc.Env = append(os.Environ(), envServeHelper+"=1",
			"MOIMBOT_TEST_CLOCK_OFFSET="+strconv.FormatInt(int64(offset), 10),
			envDB+"="+rig.dbPath, store.EnvSecretKey+"="+rig.key,
			envHTTPAddr+"="+strings.TrimPrefix(rig.public, "http://"), envPublicURL+"="+rig.public,
			envKFTCBaseURL+"="+rig.bankURL, envKFTCClientID+"="+rig.party.Institution.ClientID,
			envKFTCSecret+"="+rig.party.Institution.ClientSecret, envKFTCUseCode+"="+rig.party.Institution.ClientUseCode,
			envTelegramToken+"="+rig.tg.Token, envTelegramAPIURL+"="+rig.tg.URL)
		proc.Stdout, proc.Stderr = &logs, &logs
		if err := proc.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { proc.Process.Kill(); proc.Wait() })
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := rig.tg.WaitPolling(ctx); err != nil {
			t.Fatalf("the helper never polled: %v\n%s", err, logs.String())
		}
	}
	kill := func() {
		t.Helper()
		proc.Process.Signal(syscall.SIGKILL)
		proc.Wait()
	}

	startProc()
	rig.deposit("김민수", 30000)
	rig.waitText(serveGroupID, "💰 김민수님 30,000원 입금")
	// Killed a moment after the notice: the chat's answer is recorded. (In
	// the millisecond between the chat's answer and that record, a kill
	// makes the message go out again after the restart: Telegram offers no
	// way to ask whether it has a message; see go doc ./store.)
	time.Sleep(time.Second)
	kill()
	startProc()
	// Killed at once after a deposit reached the bank (polls run every
	// 200 ms): it is in the bank but not yet noticed.
	rig.deposit("이지은", 30000)
	kill()
	startProc()
	rig.waitText(serveGroupID, "💰 이지은님 30,000원 입금")
	rig.say(serveGroupID, serveMember, "/status", serveGroupID, "✅ 완납 2명: 김민수, 이지은")
	rig.deposit("강도윤", 30000)
	rig.waitText(serveGroupID, "💰 강도윤님 30,000원 입금")
	// Let a few polls and the dispatcher run, so a duplicate would show.
	time.Sleep(time.Second)
	for _, who := range []string{"김민수", "이지은", "강도윤"} {
		if n := rig.count(serveGroupID, "💰 "+who+"님 30,000원 입금"); n != 1 {
			t.Errorf("%s's notice posted %d times, want 1\n%s", who, n, logs.String())
		}
	}
	if n := rig.count(serveGroupID, "✅ 완납 2명: 김민수, 이지은"); n != 1 {
		t.Errorf("the board posted %d times, want 1", n)
	}
}
