//go:build unix

package server

// The scale benchmarks of the main loop: the engine's real parts (the KFTC
// client over loopback HTTP, the simulator, a bbolt file with fsync, the
// matcher, the notifier and the outbox dispatcher) driven at 1, 1,000 and
// 10,000 linked accounts. They are benchmarks only, so `go test ./...` never
// runs them:
//
//	go test -run '^$' -bench Scale -benchtime 1x -timeout 30m ./server
//
// BenchmarkScalePollCycle links 10,000 accounts, gives each one new deposit
// and polls every account once through the engine, as cron starts the polls
// of a minute (scalePipelineFeeders started at a time, maxConcurrentPolls
// calling the bank): wall time of the cycle, CPU per account poll, peak
// memory, calls, rows and notices, and then how long the dispatcher takes
// to deliver the 10,000 notices. BenchmarkScaleBareVsPipeline puts the
// same cycle next to the bare transaction-list calls.
//
// BenchmarkScaleNoticeDelay measures the delay moimbot itself adds to a
// notice: from the instant a deposit is visible in the API (sim.Post has
// returned) to the instant the chat adapter's Send is called, through one
// poll of each account with the dispatcher running, at 1 and at 1,000
// accounts. It is not the wait for the next scheduled poll.
//
// Everything runs in this one process, the simulator included: CPU and
// memory figures include the simulator's share, which PollCycle estimates
// separately.

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/openbanking"
	"github.com/moimbot/moimbot/openbanking/testbed"
	"github.com/moimbot/moimbot/store"
)

const (
	// scalePollWorkers is how many transaction-list calls the bare client
	// makes at once, and how many polls NoticeDelay runs at once: the
	// engine's bound on bank calls (maxConcurrentPolls). 32 keeps the
	// connections within newBankClient's MaxIdleConnsPerHost (64), so
	// calls reuse keep-alive connections instead of opening new ones.
	scalePollWorkers = 32
	// scalePipelineFeeders is how many account polls a cycle has started
	// at once: cron starts every poll due in a minute together, and the
	// engine lets maxConcurrentPolls of them call the bank while the
	// others wait for a slot or for their commit (a pass gives its slot
	// back once the bank has answered).
	scalePipelineFeeders = 8 * maxConcurrentPolls
	// scaleLinkWorkers is how many accounts the setup links at once.
	scaleLinkWorkers = 32
	// scaleCycleAccounts is the size of PollCycle and BareVsPipeline,
	// unless scaleAccountsEnv says otherwise.
	scaleCycleAccounts = 10000
	// scaleAccountsEnv names a variable that sets another size for a
	// quicker look (MOIMBOT_BENCH_ACCOUNTS=2000); figures to report are
	// taken at scaleCycleAccounts.
	scaleAccountsEnv = "MOIMBOT_BENCH_ACCOUNTS"
	// scaleStep is how far the shared clock moves before each cycle or
	// round: past syncOverlap, so a poll re-reads no earlier round's rows.
	scaleStep = syncOverlap + time.Minute
	// scaleHeapEvery is how often the heap is sampled during a cycle.
	scaleHeapEvery = 5 * time.Millisecond
	// scaleWaitNotices bounds the wait for a round's notices.
	scaleWaitNotices = 2 * time.Minute
	// scaleDelaySamples is about how many delays each mode of
	// NoticeDelay collects (at least scaleDelayMinRounds rounds).
	scaleDelaySamples   = 100
	scaleDelayMinRounds = 2

	scaleCallback = "http://127.0.0.1/oauth/callback"
	scalePlatform = "bench"
	scaleDues     = 30000
)

// scaleMembers are every benchmark group's members; deposits name them in
// turn, so each one is matched.
var scaleMembers = []string{"김민수", "이지은", "박서준", "최유나", "정하늘", "강도윤", "윤서연", "한지호"}

// scaleAccount is one linked account of the benchmark.
type scaleAccount struct {
	simID     string // the simulator's account id
	userSeqNo string
	groupID   string // also the id of the group's chat
	id        string // the store's account id
}

// scaleEnv is the benchmark world: the simulator on a loopback port, the
// store, the client and the engine, all on one clock.
type scaleEnv struct {
	b       *testing.B
	clock   *testbed.Clock
	sim     *testbed.Server
	capture *scaleCapture
	srv     *httptest.Server
	inst    testbed.Institution
	key     *store.Cipher
	path    string

	db    *store.DB
	eng   *Engine
	calls *CallCounter
	chat  *scaleChat
	logs  *scaleLog

	accounts []scaleAccount
	byGroup  map[string]int // index into accounts by group id
	round    int            // deposits posted to each account so far

	seedTime, linkTime, warmTime time.Duration
	linkVia                      string
	// putAccountTime and accountsTime are one PutAccount (of an account
	// already linked) and one Accounts of a group, after linking.
	putAccountTime, accountsTime time.Duration
}

// scaleAccounts returns how many accounts PollCycle and BareVsPipeline
// link: scaleCycleAccounts, or what scaleAccountsEnv says.
func scaleAccounts(b *testing.B) int {
	v := os.Getenv(scaleAccountsEnv)
	if v == "" {
		return scaleCycleAccounts
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a number of accounts", scaleAccountsEnv, v)
	}
	return n
}

// scaleSetup builds a world of n linked accounts, each the only account of
// its own group, whose group chat is {bench, <group id>}, and polls each
// once (the first sync, which finds nothing), so the measured polls are
// steady-state ones.
func scaleSetup(b *testing.B, n int) *scaleEnv {
	b.Helper()
	ctx := b.Context()
	// A fixed daytime start, away from the maintenance window; the clock
	// then runs in real time from it, and moimbot, the store and the
	// simulator all read it.
	clock := testbed.NewRealClock()
	clock.Set(time.Date(2026, 11, 2, 9, 0, 0, 0, ledger.KST()))
	sim := testbed.New(testbed.Config{Clock: clock, RateLimit: -1, NoMaintenance: true})
	env := &scaleEnv{b: b, clock: clock, sim: sim, path: filepath.Join(b.TempDir(), "moimbot.db"),
		chat: newScaleChat(), logs: &scaleLog{}, byGroup: make(map[string]int, n)}

	start := time.Now()
	var err error
	if env.inst, err = sim.AddInstitution(testbed.Institution{Name: "scale bench", RedirectURIs: []string{scaleCallback}}); err != nil {
		b.Fatal(err)
	}
	env.accounts = make([]scaleAccount, n)
	for i := range n {
		u, err := sim.AddUser(testbed.User{Name: fmt.Sprintf("총무%05d", i)})
		if err != nil {
			b.Fatal(err)
		}
		a, err := sim.AddAccount(testbed.Account{ID: fmt.Sprintf("bench-%05d", i), UserSeqNo: u.UserSeqNo,
			BankCodeStd: "090", AccountNum: fmt.Sprintf("3333-%02d-%07d", 1+i/10000000, i)})
		if err != nil {
			b.Fatal(err)
		}
		env.accounts[i] = scaleAccount{simID: a.ID, userSeqNo: u.UserSeqNo, groupID: fmt.Sprintf("grp%05d", i)}
		env.byGroup[env.accounts[i].groupID] = i
	}
	env.seedTime = time.Since(start)

	env.capture = &scaleCapture{next: sim}
	env.srv = httptest.NewServer(env.capture)
	b.Cleanup(env.srv.Close)
	if env.key, err = store.ParseKey(store.NewKey()); err != nil {
		b.Fatal(err)
	}
	env.open(false)

	// The consent form is posted by the account owner's browser, not by
	// moimbot: it gets its own connection pool.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = scaleLinkWorkers
	b.Cleanup(tr.CloseIdleConnections)
	browser := &http.Client{Transport: tr}
	month := ledger.MonthOf(clock.Now().In(ledger.KST()))
	link := scaleLinkAccount
	env.linkVia = "linkAccount (consent form + token + account/list), PutGroup"
	start = time.Now()
	err = scaleParallel(ctx, n, scaleLinkWorkers, func(ctx context.Context, i int) error {
		a := &env.accounts[i]
		if _, err := env.db.PutGroup(ctx, store.ActorCLI, scaleGroup(a.groupID, i, month)); err != nil {
			return err
		}
		consent := func(ctx context.Context, authURL string) (*url.URL, error) {
			return testbed.Consent(ctx, browser, authURL, a.userSeqNo, []string{a.simID}, true)
		}
		sa, err := link(ctx, env.db, env.eng.sync.client, a.groupID, consent)
		if err != nil {
			return fmt.Errorf("link %s: %w", a.simID, err)
		}
		a.id = sa.ID
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	env.linkTime = time.Since(start)

	// What linking one more account costs at this size.
	first, err := env.db.Account(ctx, env.accounts[0].id)
	if err != nil {
		b.Fatal(err)
	}
	start = time.Now()
	if _, err := env.db.PutAccount(ctx, store.ActorCLI, first); err != nil {
		b.Fatal(err)
	}
	env.putAccountTime = time.Since(start)
	start = time.Now()
	if _, err := env.db.Accounts(ctx, first.GroupID); err != nil {
		b.Fatal(err)
	}
	env.accountsTime = time.Since(start)

	start = time.Now()
	if st := env.cycle(ctx); st.err != nil {
		b.Fatalf("first poll: %v", st.err)
	}
	env.warmTime = time.Since(start)
	return env
}

// open opens the store at env.path and wires a client and an engine to it,
// as moimbot does: the client's bank_tran_id sequence is the store's.
func (env *scaleEnv) open(noSync bool) {
	b := env.b
	db, err := store.Open(b.Context(), env.path, store.Options{Cipher: env.key, Now: env.clock.Now, NoSync: noSync})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	client, calls, err := NewBankClient(openbanking.Config{BaseURL: env.srv.URL, ClientID: env.inst.ClientID,
		ClientSecret: env.inst.ClientSecret, ClientUseCode: env.inst.ClientUseCode, RedirectURI: scaleCallback,
		Now: env.clock.Now, Sequence: db})
	if err != nil {
		b.Fatal(err)
	}
	env.db, env.calls = db, calls
	env.eng = New(Config{DB: db, Client: client, Calls: calls,
		Chats: map[string]bot.Chat{scalePlatform: env.chat}, Now: env.clock.Now, Log: slog.New(env.logs)})
}

// reopen closes the store and opens it again, with or without fsync.
func (env *scaleEnv) reopen(noSync bool) {
	if err := env.db.Close(); err != nil {
		env.b.Fatal(err)
	}
	env.open(noSync)
}

// scaleGroup is benchmark group i: eight members, dues of 30,000원 on the
// 25th, one group chat and one treasurer on the bench platform.
func scaleGroup(id string, i int, month ledger.Period) store.Group {
	g := ledger.Group{ID: id, Name: fmt.Sprintf("벤치모임 %05d", i), Dues: ledger.DuesRule{Amount: scaleDues, Day: 25, Start: month - 2}}
	for j, name := range scaleMembers {
		g.Members = append(g.Members, ledger.Member{ID: fmt.Sprintf("m%d", j+1), Name: name})
	}
	return store.Group{Group: g, Settings: store.GroupSettings{
		Language:   "ko",
		Chats:      []store.ChatRef{{Platform: scalePlatform, ID: id}},
		Treasurers: []store.ChatUser{{Platform: scalePlatform, ID: "t-" + id}},
	}}
}

// scaleLinkAccount links through linkAccount itself.
func scaleLinkAccount(ctx context.Context, db *store.DB, client *openbanking.Client, groupID string,
	consent func(context.Context, string) (*url.URL, error)) (store.Account, error) {
	return LinkAccount(ctx, db, client, groupID, store.ActorCLI, consent, nil)
}

// advance moves the clock on by scaleStep, and further while the next ten
// minutes touch moimbot's maintenance window (a poll then makes no call).
func (env *scaleEnv) advance() {
	env.clock.Advance(scaleStep)
	for bot.InMaintenance(env.clock.Now()) || bot.InMaintenance(env.clock.Now().Add(10*time.Minute)) {
		env.clock.Advance(scaleStep)
	}
}

// post posts the next deposit to account i, naming the member whose turn
// it is, and returns the wall time right after the simulator took it: the
// deposit is visible in the API from then.
func (env *scaleEnv) post(i int) (time.Time, error) {
	name := scaleMembers[env.round%len(scaleMembers)]
	if _, err := env.sim.Post(env.accounts[i].simID, testbed.Posting{InoutType: "입금", PrintContent: name, Amount: scaleDues}); err != nil {
		return time.Time{}, err
	}
	return time.Now(), nil
}

// postAll posts one deposit to every account.
func (env *scaleEnv) postAll() []time.Time {
	at := make([]time.Time, len(env.accounts))
	for i := range env.accounts {
		t, err := env.post(i)
		if err != nil {
			env.b.Fatal(err)
		}
		at[i] = t
	}
	env.round++
	return at
}

// scaleCycleStats is what one poll of every account did.
type scaleCycleStats struct {
	wall, cpu      time.Duration
	rows, notices  int64
	dups           int64
	calls          int64
	peakHeap       uint64
	heapBefore     uint64
	err            error
	accounts       int
	pollsPerSecond float64
}

// cycle polls every account once through the engine (Engine.poll, what
// cron runs), scalePipelineFeeders polls started at a time, and measures
// it. A cycle ends when every pass has committed.
func (env *scaleEnv) cycle(ctx context.Context) scaleCycleStats {
	var rows, notices, dups atomic.Int64
	st := scaleCycleStats{accounts: len(env.accounts), heapBefore: scaleHeapNow()}
	calls0 := env.calls.total.Load()
	stop := scaleSampleHeap()
	cpu0, t0 := scaleCPU(), time.Now()
	st.err = scaleParallel(ctx, len(env.accounts), scalePipelineFeeders, func(ctx context.Context, i int) error {
		res, err := env.eng.poll(ctx, env.accounts[i].id)
		if err != nil {
			return err
		}
		rows.Add(int64(len(res.New)))
		dups.Add(int64(res.Duplicates))
		for _, in := range res.New {
			notices.Add(int64(len(in.Messages)))
		}
		return nil
	})
	st.wall, st.cpu = time.Since(t0), scaleCPU()-cpu0
	st.peakHeap = stop()
	st.rows, st.notices, st.dups = rows.Load(), notices.Load(), dups.Load()
	st.calls = env.calls.total.Load() - calls0
	st.pollsPerSecond = float64(st.accounts) / st.wall.Seconds()
	return st
}

// drain delivers every queued message with the dispatcher and returns how
// long it took and how many it sent.
func (env *scaleEnv) drain(ctx context.Context, want int) (time.Duration, int) {
	b := env.b
	done := env.chat.expect(want)
	t0 := time.Now()
	sent := 0
	for {
		n, err := env.eng.dispatch.DispatchOnce(ctx)
		if err != nil {
			b.Fatal(err)
		}
		sent += n
		if n == 0 {
			break
		}
	}
	took := time.Since(t0)
	select {
	case <-done:
	default:
		b.Fatalf("delivered %d notices, want %d (warnings: %s)", env.chat.received(), want, env.logs.summary())
	}
	if u := env.chat.unexpected(); len(u) > 0 {
		b.Fatalf("%d unexpected messages, the first: %s", len(u), u[0])
	}
	return took, sent
}

// BenchmarkScalePollCycle is the cycle at 10,000 accounts: each account has
// one new deposit, and one poll of every account through the engine (see
// cycle) stores it, matches it and queues its notice; then the dispatcher
// delivers the 10,000 notices. ns/op is the poll cycle alone. After it, the
// same cycle runs once more on the same file opened with NoSync, and the
// transaction-list calls are timed alone (no store) and replayed into the
// simulator's handler alone, to estimate the simulator's share of the CPU.
func BenchmarkScalePollCycle(b *testing.B) {
	ctx := b.Context()
	n := scaleAccounts(b)
	setup := time.Now()
	env := scaleSetup(b, n)
	setupTime := time.Since(setup)

	var st scaleCycleStats
	var drainTime time.Duration
	for b.Loop() {
		b.StopTimer()
		env.advance()
		env.postAll()
		runtime.GC()
		b.StartTimer()
		st = env.cycle(ctx)
		b.StopTimer()
		if st.err != nil {
			b.Fatalf("cycle: %v", st.err)
		}
		if st.rows != int64(n) || st.notices != int64(n) {
			b.Fatalf("cycle stored %d rows and %d notices, want %d of each", st.rows, st.notices, n)
		}
		var sent int
		drainTime, sent = env.drain(ctx, n)
		if sent != n {
			b.Fatalf("dispatcher sent %d, want %d", sent, n)
		}
		b.StartTimer()
	}
	b.StopTimer()
	rss := scaleMaxRSS()
	usage, err := env.db.Usage(ctx)
	if err != nil {
		b.Fatal(err)
	}

	// The calls alone: the same transaction-list query per account through
	// the same client code and loopback HTTP, without the store (an
	// in-memory bank_tran_id sequence, no ingest). The requests are
	// captured and then replayed straight into the simulator's handler.
	alone := env.callsAlone(ctx)
	simCPU, simN := env.replay(ctx)

	// The same cycle on the same file without fsync.
	env.reopen(true)
	env.advance()
	env.postAll()
	runtime.GC()
	ns := env.cycle(ctx)
	if ns.err != nil || ns.rows != int64(n) || ns.notices != int64(n) {
		b.Fatalf("NoSync cycle: %d rows, %d notices, err %v", ns.rows, ns.notices, ns.err)
	}
	nsDrain, _ := env.drain(ctx, n)

	perPoll := func(d time.Duration, k int) float64 { return float64(d) / float64(k) / 1e6 }
	mb := func(v uint64) float64 { return float64(v) / (1 << 20) }
	b.ReportMetric(st.wall.Seconds(), "cycle-s")
	b.ReportMetric(perPoll(st.cpu, n), "cpu-ms/poll")
	b.ReportMetric(mb(st.peakHeap), "heap-peak-MB")
	b.ReportMetric(mb(rss), "maxrss-MB")
	b.ReportMetric(float64(st.calls), "calls")
	b.ReportMetric(float64(st.rows), "rows")
	b.ReportMetric(float64(st.notices), "notices")
	b.ReportMetric(drainTime.Seconds(), "drain-s")
	b.ReportMetric(setupTime.Seconds(), "setup-s")
	b.ReportMetric(perPoll(simCPU, simN), "sim-cpu-ms/call")
	b.ReportMetric(ns.wall.Seconds(), "nosync-cycle-s")
	b.ReportMetric(perPoll(ns.cpu, n), "nosync-cpu-ms/poll")

	// At most nine lines: the testing package cuts a benchmark's log
	// after ten.
	var t strings.Builder
	line := func(label, format string, args ...any) {
		fmt.Fprintf(&t, "%-10s"+format+"\n", append([]any{label}, args...)...)
	}
	fmt.Fprintf(&t, "\n%d accounts, %d polls started at a time, %d calling the bank, GOMAXPROCS=%d, simulator in-process over loopback, store with fsync unless NoSync\n",
		n, scalePipelineFeeders, maxConcurrentPolls, runtime.GOMAXPROCS(0))
	line("setup", "%s in all: seed simulator %s · link %s (%s/account, %d at a time, %s) · first poll of each (cold, no rows) %s",
		setupTime.Round(time.Second), env.seedTime.Round(time.Millisecond), env.linkTime.Round(time.Second),
		(env.linkTime / time.Duration(n)).Round(time.Microsecond), scaleLinkWorkers, env.linkVia, env.warmTime.Round(time.Millisecond))
	line("", "at %d accounts one PutAccount takes %s (indexed by fintech_use_num) and one Accounts(\"\") %s (reads every account)",
		n, env.putAccountTime.Round(time.Microsecond), env.accountsTime.Round(time.Microsecond))
	line("cycle", "%s wall (%.0f polls/s) · %.2f ms CPU per poll (process user+sys, simulator included) · %d calls · %d rows · %d notices · %d duplicates",
		st.wall.Round(time.Millisecond), st.pollsPerSecond, perPoll(st.cpu, n), st.calls, st.rows, st.notices, st.dups)
	line("CPU split", "calls alone (client + loopback HTTP + simulator, no store) %.2f ms/call, %s wall · simulator handler alone %.3f ms/call → moimbot ≈ %.2f ms/poll",
		perPoll(alone.cpu, alone.accounts), alone.wall.Round(time.Millisecond), perPoll(simCPU, simN), perPoll(st.cpu, n)-perPoll(simCPU, simN))
	line("memory", "HeapAlloc %.0f MB before → %.0f MB peak (sampled every %s, simulator included) · max RSS %.0f MB (whole run) · db file %.1f MB (%.1f MB free pages)",
		mb(st.heapBefore), mb(st.peakHeap), scaleHeapEvery, mb(rss), mb(uint64(usage.FileSize)), mb(uint64(usage.FreeBytes)))
	line("drain", "%d notices delivered in %s (%.0f/s; one commit with fsync per Claim and per MarkSent)",
		n, drainTime.Round(time.Millisecond), float64(n)/drainTime.Seconds())
	line("NoSync", "cycle %s (%.0f polls/s) · %.2f ms CPU per poll · drain %s (the same file reopened without fsync, for comparison only)",
		ns.wall.Round(time.Millisecond), ns.pollsPerSecond, perPoll(ns.cpu, n), nsDrain.Round(time.Millisecond))
	b.Log(strings.TrimSuffix(t.String(), "\n"))
}

// callsAlone makes each account's transaction-list call, for the window
// the next pass would read, through a client with an in-memory
// bank_tran_id sequence and no store (see bareCycle), capturing the
// requests the simulator receives.
func (env *scaleEnv) callsAlone(ctx context.Context) scaleCycleStats {
	targets := env.bareClient(ctx)
	from := env.passStarts(ctx)
	runtime.GC()
	env.capture.start()
	st := env.bareCycle(ctx, targets, from)
	env.capture.stop()
	if st.err != nil {
		env.b.Fatalf("calls alone: %v", st.err)
	}
	return st
}

// replay serves the captured transaction-list requests again, each with a
// fresh bank_tran_id, straight to the simulator's handler (no network, no
// client), GOMAXPROCS at a time, and returns the CPU it took.
func (env *scaleEnv) replay(ctx context.Context) (time.Duration, int) {
	b := env.b
	reqs := env.capture.taken()
	if len(reqs) == 0 {
		b.Fatal("no requests captured")
	}
	var seq atomic.Uint64
	seq.Store(1 << 41)
	prepared := make([]*http.Request, len(reqs))
	for i, r := range reqs {
		id, err := openbanking.FormatBankTranID(env.inst.ClientUseCode, seq.Add(1))
		if err != nil {
			b.Fatal(err)
		}
		q := r.URL.Query()
		q.Set("bank_tran_id", id)
		r2 := r.Clone(ctx)
		r2.URL.RawQuery = q.Encode()
		r2.RequestURI = r2.URL.RequestURI()
		prepared[i] = r2
	}
	runtime.GC()
	cpu0 := scaleCPU()
	err := scaleParallel(ctx, len(prepared), runtime.GOMAXPROCS(0), func(ctx context.Context, i int) error {
		rec := httptest.NewRecorder()
		env.sim.ServeHTTP(rec, prepared[i])
		if body := rec.Body.String(); !strings.Contains(body, `"rsp_code":"A0000"`) {
			return fmt.Errorf("replayed request answered %.200s", body)
		}
		return nil
	})
	cpu := scaleCPU() - cpu0
	if err != nil {
		b.Fatalf("replay: %v", err)
	}
	return cpu, len(prepared)
}

// BenchmarkScaleNoticeDelay measures the notice delay moimbot adds at 1
// and at 1,000 accounts: from a deposit's being visible in the API to the
// chat adapter's Send, with the dispatcher running (Run, at the production
// idle wait: the poll path wakes it) and each account polled once right
// away. Two modes, each over several rounds:
//
//   - burst (the p50/p99/max metrics): every account's deposit is posted
//     first, then every account is polled, scalePollWorkers at a time, so a
//     deposit also waits for its account's turn in the cycle;
//   - perpoll: each deposit is posted by the poll's worker right before
//     that account's poll, so the delay is one poll's processing under the
//     load of the others (no wait for a worker).
//
// ns/op is both modes with fsync. Then both run again on the same file
// opened with NoSync, for comparison (the nosync-* metrics).
func BenchmarkScaleNoticeDelay(b *testing.B) {
	for _, n := range []int{1, 1000} {
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) { scaleNoticeDelay(b, n) })
	}
}

func scaleNoticeDelay(b *testing.B, n int) {
	ctx := b.Context()
	setup := time.Now()
	env := scaleSetup(b, n)
	setupTime := time.Since(setup)
	rounds := max(scaleDelayMinRounds, (scaleDelaySamples+n-1)/n)

	var fs scaleDelays
	for b.Loop() {
		fs = env.delays(ctx, rounds)
	}
	b.StopTimer()
	// The same on the same file without fsync, for comparison.
	env.reopen(true)
	ns := env.delays(ctx, rounds)
	if w := env.logs.n.Load(); w > 0 {
		b.Fatalf("%d warnings: %s", w, env.logs.summary())
	}

	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	p := scalePercentile
	b.ReportMetric(ms(p(fs.burst, 0.50)), "p50-ms")
	b.ReportMetric(ms(p(fs.burst, 0.99)), "p99-ms")
	b.ReportMetric(ms(p(fs.burst, 1)), "max-ms")
	b.ReportMetric(ms(p(fs.perPoll, 0.50)), "perpoll-p50-ms")
	b.ReportMetric(ms(p(fs.perPoll, 0.99)), "perpoll-p99-ms")
	b.ReportMetric(ms(p(ns.burst, 0.50)), "nosync-p50-ms")
	b.ReportMetric(ms(p(ns.burst, 0.99)), "nosync-p99-ms")
	b.ReportMetric(setupTime.Seconds(), "setup-s")

	// At most nine lines: the testing package cuts a benchmark's log
	// after ten.
	var t strings.Builder
	w := tabwriter.NewWriter(&t, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "\nnotice delay at %d account(s), deposit visible in the API → chat adapter's Send, GOMAXPROCS=%d; setup %s (%s)\n",
		n, runtime.GOMAXPROCS(0), setupTime.Round(time.Millisecond), env.linkVia)
	fmt.Fprintf(w, "  store\tmode\tsamples\tp50\tp99\tmax\n")
	for _, m := range []struct {
		store, mode string
		ds          []time.Duration
	}{
		{"fsync", "burst: all posted, then one poll each", fs.burst},
		{"fsync", "perpoll: posted right before its poll", fs.perPoll},
		{"NoSync", "burst (comparison only)", ns.burst},
		{"NoSync", "perpoll (comparison only)", ns.perPoll},
	} {
		fmt.Fprintf(w, "  %s\t%s\t%d\t%s\t%s\t%s\n", m.store, m.mode, len(m.ds), p(m.ds, 0.5).Round(time.Microsecond),
			p(m.ds, 0.99).Round(time.Microsecond), p(m.ds, 1).Round(time.Microsecond))
	}
	fmt.Fprintf(w, "  rounds\t%d per mode; with fsync a round (polls and its last notice) took %s median, %s max\n", rounds,
		p(fs.rounds, 0.5).Round(time.Millisecond), p(fs.rounds, 1).Round(time.Millisecond))
	w.Flush()
	b.Log(strings.TrimSuffix(t.String(), "\n"))
}

// scaleDelays are the notice delays of both modes, sorted, and how long
// each round took.
type scaleDelays struct {
	burst, perPoll, rounds []time.Duration
}

// delays runs the notice-delay rounds of both modes with the engine's
// dispatcher running (Run) and returns the delays.
func (env *scaleEnv) delays(ctx context.Context, rounds int) scaleDelays {
	b := env.b
	n := len(env.accounts)
	dctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := env.eng.dispatch.Run(dctx); err != nil {
			b.Error(err)
		}
	})
	defer wg.Wait()
	defer cancel()

	var out scaleDelays
	for mode := range 2 {
		for range rounds {
			env.advance()
			done := env.chat.expect(n)
			postedAt := make([]time.Time, n)
			var before func(int)
			if mode == 0 {
				copy(postedAt, env.postAll())
			} else {
				before = func(i int) {
					t, err := env.post(i)
					if err != nil {
						b.Error(err)
					}
					postedAt[i] = t
				}
			}
			t0 := time.Now()
			err := scaleParallel(ctx, n, scalePollWorkers, func(ctx context.Context, i int) error {
				if before != nil {
					before(i)
				}
				env.eng.Poll(ctx, env.accounts[i].id)
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			if mode == 1 {
				env.round++
			}
			select {
			case <-done:
			case <-time.After(scaleWaitNotices):
				b.Fatalf("%d of %d notices after %s (warnings: %s)", env.chat.received(), n, scaleWaitNotices, env.logs.summary())
			}
			out.rounds = append(out.rounds, time.Since(t0))
			for group, sent := range env.chat.sentAt() {
				d := sent.Sub(postedAt[env.byGroup[group]])
				if mode == 0 {
					out.burst = append(out.burst, d)
				} else {
					out.perPoll = append(out.perPoll, d)
				}
			}
		}
	}
	if u := env.chat.unexpected(); len(u) > 0 {
		b.Fatalf("%d unexpected messages, the first: %s", len(u), u[0])
	}
	slices.Sort(out.burst)
	slices.Sort(out.perPoll)
	slices.Sort(out.rounds)
	return out
}

// scalePercentile returns the nearest-rank q-quantile of sorted ds.
func scalePercentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	i := int(q*float64(len(ds))+0.999999) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}

// scaleParallel runs fn for 0..n-1, workers at a time. After the first
// error it hands out no more work and returns that error.
func scaleParallel(ctx context.Context, n, workers int, fn func(context.Context, int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next    atomic.Int64
		errOnce sync.Once
		first   error
		wg      sync.WaitGroup
	)
	for range min(workers, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(ctx, i); err != nil {
					errOnce.Do(func() { first = err; cancel() })
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// scaleCPU returns the process's user+system CPU time so far.
func scaleCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// scaleMaxRSS returns the process's peak resident set size in bytes.
func scaleMaxRSS() uint64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return uint64(ru.Maxrss) // bytes there, kilobytes elsewhere
	}
	return uint64(ru.Maxrss) * 1024
}

// scaleHeapMetric is the runtime metric scaleHeapNow reads: the bytes of
// heap objects, live or not yet swept, which is what MemStats.HeapAlloc
// reports.
const scaleHeapMetric = "/memory/classes/heap/objects:bytes"

// scaleHeapNow returns the heap's object bytes (HeapAlloc). It reads
// runtime/metrics, not runtime.ReadMemStats, which stops the world: sampled
// every few milliseconds during a cycle, ReadMemStats cost the pipeline
// several percent of its CPU and stalled every goroutine, and the bare
// cycles, which are not sampled, paid nothing.
func scaleHeapNow() uint64 {
	s := []metrics.Sample{{Name: scaleHeapMetric}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// scaleSampleHeap samples HeapAlloc every scaleHeapEvery until the
// returned function is called, which returns the peak.
func scaleSampleHeap() (stop func() uint64) {
	quit := make(chan struct{})
	var peak uint64
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(scaleHeapEvery)
		defer t.Stop()
		for {
			peak = max(peak, scaleHeapNow())
			select {
			case <-quit:
				return
			case <-t.C:
			}
		}
	})
	return func() uint64 {
		close(quit)
		wg.Wait()
		return peak
	}
}

// scaleChat is the bench platform's chat adapter: Send only records when
// it was called. It is safe for concurrent use.
type scaleChat struct {
	mu    sync.Mutex
	sent  map[string]time.Time // by chat id, this round
	count int
	other []string // messages that are not a deposit notice to a group chat
	want  int
	done  chan struct{}
}

var _ bot.Chat = (*scaleChat)(nil)

func newScaleChat() *scaleChat { return &scaleChat{sent: make(map[string]time.Time)} }

// Send implements bot.Chat.
func (c *scaleChat) Send(_ context.Context, m bot.Message) error {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, seen := c.sent[m.Chat.ID]; seen || m.Kind != bot.KindDeposit {
		c.other = append(c.other, m.Kind+" "+m.Key)
		return nil
	}
	c.sent[m.Chat.ID] = now
	c.count++
	if c.done != nil && c.count >= c.want {
		close(c.done)
		c.done = nil
	}
	return nil
}

// expect starts a round that is done after want notices.
func (c *scaleChat) expect(want int) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent, c.count, c.want = make(map[string]time.Time, want), 0, want
	done := make(chan struct{})
	c.done = done
	if want == 0 {
		close(done)
		c.done = nil
	}
	return done
}

// unexpected returns the messages that were not a round's deposit notices.
func (c *scaleChat) unexpected() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.other)
}

func (c *scaleChat) received() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count
}

// sentAt returns this round's Send times by chat id.
func (c *scaleChat) sentAt() map[string]time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.sent)
}

// scaleLog is a slog.Handler that counts warnings and errors and keeps the
// first, so a failed poll (which engine.poll only logs) fails the
// benchmark.
type scaleLog struct {
	n     atomic.Int64
	mu    sync.Mutex
	first string
}

func (l *scaleLog) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelWarn }

func (l *scaleLog) Handle(_ context.Context, r slog.Record) error {
	if l.n.Add(1) > 1 {
		return nil
	}
	var s strings.Builder
	s.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&s, " %s=%v", a.Key, a.Value)
		return true
	})
	l.mu.Lock()
	l.first = s.String()
	l.mu.Unlock()
	return nil
}

func (l *scaleLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *scaleLog) WithGroup(string) slog.Handler      { return l }

func (l *scaleLog) summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.first == "" {
		return "none"
	}
	return fmt.Sprintf("%d, the first: %s", l.n.Load(), l.first)
}

// scaleCapture passes requests to the simulator and, while on, keeps a copy
// of each transaction-list request.
type scaleCapture struct {
	next http.Handler
	on   atomic.Bool
	mu   sync.Mutex
	reqs []*http.Request
}

func (c *scaleCapture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if c.on.Load() && strings.Contains(r.URL.Path, "/account/transaction_list/") {
		cp := r.Clone(context.Background())
		c.mu.Lock()
		c.reqs = append(c.reqs, cp)
		c.mu.Unlock()
	}
	c.next.ServeHTTP(w, r)
}

func (c *scaleCapture) start() { c.on.Store(true) }
func (c *scaleCapture) stop()  { c.on.Store(false) }

// taken returns the captured requests and forgets them.
func (c *scaleCapture) taken() []*http.Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	reqs := c.reqs
	c.reqs = nil
	return reqs
}

// scaleSequence is an in-memory bank_tran_id sequence starting above the
// store's, so calls made outside the store never reuse an id of the day.
type scaleSequence struct{ next uint64 }

var _ openbanking.SequenceSource = (*scaleSequence)(nil)

// Next implements openbanking.SequenceSource.
func (s *scaleSequence) Next(context.Context, string) (uint64, error) {
	return atomic.AddUint64(&s.next, 1), nil
}
