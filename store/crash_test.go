package store_test

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// crashEnv names the database the crash child works on.
const crashEnv = "MOIMBOT_STORE_CRASH_DB"

// crashLedger is the bank history the crash child syncs, the same in
// every process.
func crashLedger() []ledger.Deposit {
	return genLedger(rand.New(rand.NewPCG(2024, 3)), 4000, true)
}

// TestCrash kills a process in the middle of sync-like work again and
// again (SIGKILL, so nothing is flushed or closed) and checks after each
// kill that the database opens, is consistent, has lost or doubled no
// transaction and no outbox message, and that work goes on from there.
func TestCrash(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		t.Skip("in the crash child")
	}
	rounds := 30
	if testing.Short() {
		rounds = 10
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	rows := crashLedger()
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	progress := 0
	sent := 0
	for round := range rounds {
		runCrashChild(t, path, time.Duration(5+r.IntN(76))*time.Millisecond)

		db, err := store.Open(ctx, path, store.Options{Timeout: 5 * time.Second})
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		if err := db.Check(ctx); err != nil {
			db.Close()
			t.Fatalf("round %d: %v", round, err)
		}
		accts, err := db.Accounts(ctx, "")
		if err != nil || len(accts) > 1 {
			t.Fatalf("round %d: accounts %+v, %v", round, accts, err)
		}
		var deps []ledger.Deposit
		if len(accts) == 1 {
			deps, _ = db.Deposits(ctx, accts[0].ID)
		}
		if !sameLedger(deps, rows[:len(deps)]) {
			db.Close()
			t.Fatalf("round %d: stored rows are not the bank's first %d:\n%s", round, len(deps), diffLedger(deps, rows[:len(deps)]))
		}
		if len(deps) < progress {
			t.Fatalf("round %d: %d rows stored, %d before the kill", round, len(deps), progress)
		}
		progress = len(deps)
		msgs, _ := db.Messages(ctx, 0)
		var keys, want []string
		n := 0
		for _, m := range msgs {
			keys = append(keys, m.Key)
			if m.State == store.StateSent {
				n++
			}
		}
		for _, d := range deps {
			want = append(want, "deposit/"+d.ID)
		}
		slices.Sort(keys)
		slices.Sort(want)
		if !slices.Equal(keys, want) {
			db.Close()
			t.Fatalf("round %d: %d messages for %d deposits", round, len(keys), len(want))
		}
		if n < sent {
			t.Fatalf("round %d: %d messages sent, %d before", round, n, sent)
		}
		sent = n
		db.Close()
	}
	if progress == 0 {
		t.Fatal("the child never stored anything")
	}
	t.Logf("%d kills: %d of %d rows stored, %d messages sent", rounds, progress, len(rows), sent)
}

// runCrashChild starts the test binary as a crash child, lets it work for
// d after it has opened the database, and kills it.
func runCrashChild(t *testing.T, path string, d time.Duration) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		ok := false
		for sc.Scan() {
			if sc.Text() == "ready" && !ok {
				ok = true
				ready <- true
			}
		}
		if !ok {
			ready <- false
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			cmd.Wait()
			t.Fatal("the crash child exited before it was ready")
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("the crash child did not get ready")
	}
	time.Sleep(d)
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	cmd.Wait()
}

// TestCrashChild is the process TestCrash kills. It syncs crashLedger the
// way the bot polls: each fetch starts at a second boundary at or before
// what is stored and ends anywhere, sometimes an older range is fetched
// again, one notice is enqueued per new deposit, and messages are claimed
// and marked sent or failed. It runs until killed (or for 30 s).
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("run by TestCrash")
	}
	db, err := store.Open(ctx, path, store.Options{Timeout: 10 * time.Second}) // real fsync
	if err != nil {
		t.Fatal(err)
	}
	g, err := db.GroupByName(ctx, testGroup().Name)
	if errors.Is(err, store.ErrNotFound) {
		g, err = db.PutGroup(ctx, "cli", testGroup())
	}
	if err != nil {
		t.Fatal(err)
	}
	accts, err := db.Accounts(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(accts) == 0 {
		a, err := db.PutAccount(ctx, "cli", store.Account{GroupID: g.ID, FintechUseNum: "199000000000000000000001"})
		if err != nil {
			t.Fatal(err)
		}
		accts = append(accts, a)
	}
	acct := accts[0].ID
	fmt.Println("ready")

	rows := crashLedger()
	var starts []int
	for _, run := range secondRuns(rows) {
		starts = append(starts, run[0])
	}
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	notify := func(n store.Notice) []store.OutboxMessage {
		return []store.OutboxMessage{{Key: "deposit/" + n.Deposit.ID, GroupID: n.GroupID, Chat: store.ChatRef{Platform: "telegram", ID: fmt.Sprint(r.IntN(3))}}}
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		cur, err := db.Cursor(ctx, acct)
		if err != nil {
			t.Fatal(err)
		}
		n := int(cur.Rows)
		if n < len(rows) {
			i, _ := slices.BinarySearch(starts, n+1)
			lo := starts[max(0, i-1-r.IntN(3))]
			hi := min(len(rows), n+1+r.IntN(15))
			if r.IntN(5) == 0 { // an older range again
				lo = starts[r.IntN(i)]
				hi = min(hi, lo+1+r.IntN(20))
			}
			fetch := slices.Clone(rows[lo:hi])
			if _, err := db.Ingest(ctx, acct, fetch, store.Cursor{Through: fetch[len(fetch)-1].At}, store.IngestOptions{Notify: notify}); err != nil {
				t.Fatal(err)
			}
		}
		msgs, err := db.Claim(ctx, time.Now(), 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if r.IntN(4) == 0 {
				_, err = db.MarkFailed(ctx, m.ID, time.Millisecond, "flaky chat")
			} else {
				err = db.MarkSent(ctx, m.ID)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.Next(ctx, time.Now().Format("20060102")); err != nil {
			t.Fatal(err)
		}
	}
}
