//go:build unix

package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/bot/telegram/telegramtest"
	"github.com/moimbot/moimbot/openbanking/testbed"
	"github.com/moimbot/moimbot/store"
)

// envFaultsHelper makes TestFaultsServeHelper run moimbot serve.
const envFaultsHelper = "MOIMBOT_TEST_FAULTS_HELPER"

// envClockOffset is the helper's clock: the wall clock plus this many
// nanoseconds.
const envClockOffset = "MOIMBOT_TEST_CLOCK_OFFSET"

// envClockFile, when set, names a file the helper reads its clock offset
// from (nanoseconds, as envClockOffset) on SIGUSR1; it then prints "clock
// moved".
const envClockFile = "MOIMBOT_TEST_CLOCK_FILE"

// envFileSize, when set, is the largest file size in bytes the helper may
// write (RLIMIT_FSIZE), set before serve starts: writes past it fail with
// EFBIG, as on a disk that refuses them.
const envFileSize = "MOIMBOT_TEST_FSIZE"

// TestFaultsServeHelper is moimbot serve in a process of its own, for the
// fault suite to kill, starve of disk and restart. It is configured by the
// MOIMBOT_* variables the parent sets, runs on the parent's clock (the
// wall clock plus MOIMBOT_TEST_CLOCK_OFFSET), polls every 200 ms, and stops
// cleanly on SIGTERM. With MOIMBOT_TEST_FSIZE it may not write past that
// size in any file.
func TestFaultsServeHelper(t *testing.T) {
	if os.Getenv(envFaultsHelper) != "1" {
		t.Skip("the helper process of the fault suite")
	}
	start, err := strconv.ParseInt(os.Getenv(envClockOffset), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	var offset atomic.Int64
	offset.Store(start)
	e := env{getenv: os.Getenv, stdout: os.Stdout, stderr: os.Stderr}
	fs := newFlagSet("serve")
	c := serveFlags(e, fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	c.plan = func(store.Group) cron.Schedule { return serveEvery{200 * time.Millisecond} }
	c.idle, c.pollTimeout = 20*time.Millisecond, 2*time.Second
	if v := os.Getenv(envFileSize); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		var lim syscall.Rlimit
		if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
			t.Fatal(err)
		}
		lim.Cur = n
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
			t.Fatal(err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if file := os.Getenv(envClockFile); file != "" {
		var wg sync.WaitGroup
		defer wg.Wait()
		moved := make(chan os.Signal, 1)
		signal.Notify(moved, syscall.SIGUSR1)
		defer signal.Stop(moved)
		mctx, cancel := context.WithCancel(ctx)
		defer cancel()
		wg.Go(func() {
			for {
				select {
				case <-mctx.Done():
					return
				case <-moved:
				}
				b, err := os.ReadFile(file)
				if err == nil {
					var n int64
					if n, err = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil {
						offset.Store(n)
					}
				}
				fmt.Fprintln(os.Stdout, "clock moved:", err)
			}
		})
	}
	if err := serve(ctx, e, c); err != nil {
		t.Fatal(err)
	}
}

// faultChild is a helper process running moimbot serve.
type faultChild struct {
	cmd   *exec.Cmd
	out   *logWatch
	start time.Time
	done  chan struct{} // closed when the process has been waited for
	err   error         // Wait's error, once done is closed
}

// spawn starts moimbot serve in a helper process on the rig's database,
// its bank and its fake Telegram (directly, unless extraEnv names the
// proxy), on the rig's clock, logging at level to what becomes the rig's
// log. The process is killed when the test ends, if it still runs.
func (rig *faultRig) spawn(t *testing.T, level string, extraEnv ...string) *faultChild {
	t.Helper()
	offset := time.Until(rig.clock.Now())
	cmd := exec.Command(os.Args[0], "-test.run=^TestFaultsServeHelper$")
	cmd.Env = append(os.Environ(), envFaultsHelper+"=1", envClockOffset+"="+strconv.FormatInt(int64(offset), 10),
		envDB+"="+rig.dbPath, store.EnvSecretKey+"="+rig.key, envLogLevel+"="+level,
		envHTTPAddr+"="+strings.TrimPrefix(rig.public, "http://"), envPublicURL+"="+rig.public,
		envKFTCBaseURL+"="+rig.bankURL, envKFTCClientID+"="+rig.party.Institution.ClientID,
		envKFTCSecret+"="+rig.party.Institution.ClientSecret, envKFTCUseCode+"="+rig.party.Institution.ClientUseCode,
		envTelegramToken+"="+rig.tg.Token, envTelegramAPIURL+"="+rig.tg.URL)
	cmd.Env = append(cmd.Env, extraEnv...)
	c := &faultChild{cmd: cmd, out: newLogWatch(), done: make(chan struct{})}
	rig.logs = c.out
	cmd.Stdout, cmd.Stderr = c.out, c.out
	c.start = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(c.kill)
	return c
}

// kill ends the process with SIGKILL and waits for it.
func (c *faultChild) kill() {
	c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
}

// term asks the process to stop with SIGTERM and returns Wait's error, or
// kills it after 20 s.
func (c *faultChild) term(t *testing.T) error {
	t.Helper()
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		return c.err
	case <-time.After(20 * time.Second):
		c.kill()
		t.Fatalf("moimbot serve did not stop within 20 s of SIGTERM:\n%s", c.out)
		return nil
	}
}

// waitReady waits until the child's Telegram adapter has started (its
// deleteWebhook call, after the engine started), given how many such
// calls there were before it was spawned.
func (rig *faultRig) waitReady(t *testing.T, c *faultChild, before int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := rig.tg.WaitN(ctx, before+1, func(c telegramtest.Call) bool { return c.Method == "deleteWebhook" }); err != nil {
		t.Fatalf("the helper never started: %v\n%s", err, c.out)
	}
}

// moveClock moves the bank's clock and the clock of c, a helper spawned
// with envClockFile=file, by d, and waits until the helper has taken it.
func (rig *faultRig) moveClock(t *testing.T, c *faultChild, file string, d time.Duration) {
	t.Helper()
	rig.advance(d)
	offset := time.Until(rig.clock.Now())
	if err := os.WriteFile(file, []byte(strconv.FormatInt(int64(offset), 10)), 0o600); err != nil {
		t.Fatal(err)
	}
	n := c.out.count("clock moved: <nil>")
	c.cmd.Process.Signal(syscall.SIGUSR1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.out.wait(ctx, n+1, "clock moved: <nil>"); err != nil {
		t.Fatalf("the helper's clock did not move: %v\n%s", err, c.out)
	}
}

// The fault suite's settings.
const (
	envFaultKills = "MOIMBOT_FAULT_KILLS"
	envFaultSeed  = "MOIMBOT_FAULT_SEED"
)

// faultSeed returns the seed of a test's random choices: MOIMBOT_FAULT_SEED
// when set, else a new one. It is logged either way.
func faultSeed(t *testing.T) uint64 {
	t.Helper()
	seed := rand.Uint64()
	if v := os.Getenv(envFaultSeed); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("%s=%q: %v", envFaultSeed, v, err)
		}
	}
	t.Logf("seed %d (replay with %s=%d)", seed, envFaultSeed, seed)
	return seed
}

// leftSending returns how long after the bot's clock the last lease of a
// message a kill left claimed ("sending") runs out, plus a second; 0 when
// there is none. The bot claims such a message again, as interrupted, once
// its lease (store.DefaultLease, 2 minutes) has run out.
func (rig *faultRig) leftSending(t *testing.T) time.Duration {
	t.Helper()
	k, err := store.ParseKey(rig.key)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), rig.dbPath, store.Options{ReadOnly: true, Cipher: k, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms, err := db.Messages(context.Background(), store.StateSending)
	if err != nil {
		t.Fatal(err)
	}
	var wait time.Duration
	for _, m := range ms {
		wait = max(wait, m.LeaseUntil.Sub(rig.clock.Now())+time.Second)
	}
	return wait
}

// faultKills is how many times TestFaultsKill kills the bot.
func faultKills(t *testing.T) int {
	t.Helper()
	n := 5
	if faultsLong {
		n = 100
	}
	if v := os.Getenv(envFaultKills); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number", envFaultKills, v)
		}
	}
	return n
}

// posting is a deposit the test made at the bank.
type posting struct {
	name   string
	amount int64
	at     time.Time
}

// life is one run of the helper process: from its start to its kill (the
// last one is stopped with SIGTERM).
type life struct {
	start, end time.Time
	early      bool // killed during start-up
}

// TestFaultsKill kills moimbot serve with SIGKILL at random moments while
// deposits arrive at the bank, polls run and the outbox delivers, and
// restarts it on the same database file each time, 5 times in the short
// form and 100 in the long one (MOIMBOT_FAULT_KILLS). A tenth of the kills
// land during start-up (opening the database, the first poll), the rest
// 0–1.5 s after the Telegram adapter started. After each kill, moimbot
// check runs on the file. When a kill left a message claimed ("sending"),
// the bot's and the bank's clocks jump ahead to the end of its lease (2
// minutes), as if the restart took that long, so that the message is
// tried again at once rather than 2 real minutes later.
//
// At the end the last run delivers what is left and stops cleanly, and
// the test compares: every deposit posted to the bank is stored exactly
// once and paid exactly once (read from the file after the last stop) and
// was noticed in the group at least once (goal: none lost), and a notice
// posted twice is attributed to the documented crash window (go doc
// ./store) when the kill of the run that first posted it came after the
// fake Telegram took the message and the outbox shows that attempt as
// interrupted (its sent mark never written); any other duplicate fails the
// test. The figures are logged.
func TestFaultsKill(t *testing.T) {
	t.Parallel()
	began := time.Now()
	kills := faultKills(t)
	seed := faultSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0x6d6f696d626f74))
	rig := newFaultRig(t)
	rig.seedGroup()

	// Deposits arrive at the bank every 0.3–1.2 s, whether the bot runs or
	// not, each with an amount of its own.
	members := []string{"김민수", "이지은", "강도윤"}
	var (
		mu      sync.Mutex
		posted  []posting
		postErr error
	)
	depositCtx, stopDeposits := context.WithCancel(context.Background())
	depositsDone := make(chan struct{})
	depositRNG := rand.New(rand.NewPCG(seed, 1))
	go func() {
		defer close(depositsDone)
		for i := int64(1); ; i++ {
			wait := time.NewTimer(300*time.Millisecond + time.Duration(depositRNG.Int64N(int64(900*time.Millisecond))))
			select {
			case <-depositCtx.Done():
				wait.Stop()
				return
			case <-wait.C:
			}
			p := posting{name: members[depositRNG.IntN(len(members))], amount: 20_000 + i, at: rig.clock.Now()}
			if _, err := rig.sim.Post(testbed.DemoGroupAccountID, testbed.Posting{InoutType: "입금", PrintContent: p.name, Amount: p.amount, At: p.at}); err != nil {
				mu.Lock()
				postErr = err
				mu.Unlock()
				return
			}
			mu.Lock()
			posted = append(posted, p)
			mu.Unlock()
		}
	}()
	defer func() {
		stopDeposits()
		<-depositsDone
	}()

	var lives []life
	checks, passes, jumps := 0, 0, 0
	var jumped time.Duration
	check := func() {
		checks++
		if code, out := checkDB(rig.dbPath); code == exitOK {
			passes++
		} else {
			t.Errorf("moimbot check after kill %d: exit %d: %s", len(lives), code, out)
		}
	}
	for range kills {
		before := len(rig.tg.Calls("deleteWebhook"))
		c := rig.spawn(t, "warn")
		early := rng.IntN(10) == 0
		if early {
			time.Sleep(time.Duration(rng.Int64N(int64(300 * time.Millisecond)))) // a random moment of start-up
		} else {
			rig.waitReady(t, c, before)
			time.Sleep(time.Duration(rng.Int64N(int64(1500 * time.Millisecond)))) // a random moment of work
		}
		lives = append(lives, life{start: c.start, end: time.Now(), early: early})
		c.kill()
		check()
		if d := rig.leftSending(t); d > 0 {
			jumps, jumped = jumps+1, jumped+d
			if err := rig.clock.Advance(d); err != nil {
				t.Fatal(err)
			}
		}
	}
	stopDeposits()
	<-depositsDone
	mu.Lock()
	if postErr != nil {
		t.Fatalf("post a deposit: %v", postErr)
	}
	all := slices.Clone(posted)
	mu.Unlock()

	// The last run: every deposit is noticed, then a clean stop.
	before := len(rig.tg.Calls("deleteWebhook"))
	c := rig.spawn(t, "warn")
	rig.waitReady(t, c, before)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute+time.Duration(len(all))*3*time.Second)
	defer cancel()
	for _, p := range all {
		notice := noticeOf(p.name, p.amount)
		if _, err := rig.tg.WaitFor(ctx, func(c telegramtest.Call) bool {
			return c.OK() && c.ChatID == serveGroupID && c.Message != nil && strings.HasPrefix(c.Message.Text, notice)
		}); err != nil {
			t.Errorf("%q never posted: %v", notice, err)
			break
		}
	}
	if err := c.term(t); err != nil {
		t.Errorf("the last run did not stop cleanly: %v\n%s", err, c.out)
	}
	lives = append(lives, life{start: c.start, end: time.Now()})
	check()

	// What the file and the chat hold.
	db := openStored(t, rig.dbPath, rig.key)
	stored, paid := storedCounts(t, db)
	msgs, err := db.Messages(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	lifeOf := func(at time.Time) int {
		for i := len(lives) - 1; i >= 0; i-- {
			if !at.Before(lives[i].start) {
				return i
			}
		}
		return -1
	}
	var lostStore, doubledStore, lostChat, inWindow, outside int
	var dupLines []string
	for _, p := range all {
		k := p.name + "/" + strconv.FormatInt(p.amount, 10)
		switch {
		case stored[k] == 0:
			lostStore++
			t.Errorf("deposit %s was never stored", k)
		case stored[k] > 1 || paid[k] != 1:
			doubledStore++
			t.Errorf("deposit %s stored %d times with %d payments, want 1 and 1", k, stored[k], paid[k])
		}
		notice := noticeOf(p.name, p.amount)
		ss := sends(rig.tg, serveGroupID, notice)
		if len(ss) == 0 {
			lostChat++
			continue
		}
		if len(ss) == 1 {
			continue
		}
		var m store.Message
		for _, mm := range msgs {
			if mm.Kind == bot.KindDeposit && strings.HasPrefix(mm.Text, notice) {
				m = mm
			}
		}
		first, again := lifeOf(ss[0].Time), lifeOf(ss[1].Time)
		window := first >= 0 && first < len(lives)-1 && again > first && m.Interrupted > 0 && len(ss) == 2
		line := fmt.Sprintf("%q posted %d times: first in run %d, %s before its kill; again in run %d; outbox: %d attempts, %d interrupted",
			notice, len(ss), first+1, lives[max(first, 0)].end.Sub(ss[0].Time).Round(time.Microsecond), again+1, m.Attempts, m.Interrupted)
		if window {
			inWindow++
			dupLines = append(dupLines, "  in the crash window: "+line)
		} else {
			outside++
			dupLines = append(dupLines, "  OUTSIDE the crash window: "+line)
			t.Errorf("a notice posted twice outside the documented crash window: %s", line)
		}
	}
	if lostChat > 0 {
		t.Errorf("%d deposits never noticed in the chat", lostChat)
	}
	early := 0
	for _, l := range lives {
		if l.early {
			early++
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "SIGKILL suite (seed %d):\n", seed)
	fmt.Fprintf(&b, "  %-34s %d (%d during start-up)\n", "kills", kills, early)
	fmt.Fprintf(&b, "  %-34s %d\n", "deposits posted to the bank", len(all))
	fmt.Fprintf(&b, "  %-34s %d\n", "deposits stored exactly once", len(all)-lostStore-doubledStore)
	fmt.Fprintf(&b, "  %-34s %d lost, %d doubled\n", "store", lostStore, doubledStore)
	fmt.Fprintf(&b, "  %-34s %d noticed, %d never\n", "chat", len(all)-lostChat, lostChat)
	fmt.Fprintf(&b, "  %-34s %d (inside the crash window %d, outside %d)\n", "notices posted twice", inWindow+outside, inWindow, outside)
	fmt.Fprintf(&b, "  %-34s %d/%d\n", "moimbot check passes", passes, checks)
	fmt.Fprintf(&b, "  %-34s %d (the clocks jumped %s in all)\n", "kills leaving a message sending", jumps, jumped.Round(time.Second))
	fmt.Fprintf(&b, "  %-34s %s\n", "wall time", time.Since(began).Round(time.Millisecond))
	for _, l := range dupLines {
		b.WriteString(l + "\n")
	}
	t.Log(b.String())
}
