//go:build unix

package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/openbanking"
)

// scaleCompareRounds is how many bare cycles and pipeline cycles
// BareVsPipeline runs, alternating which goes first.
const scaleCompareRounds = 3

// scaleProfileEnv names a file to write a CPU profile of the last pipeline
// cycle of BareVsPipeline to (go test's -cpuprofile covers the setup too).
const scaleProfileEnv = "MOIMBOT_BENCH_CPUPROFILE"

// scaleBare is one account's bare transaction-list call.
type scaleBare struct {
	sess *openbanking.Session
	fin  string
}

// bareClient returns a session per account on a client of its own, with an
// in-memory bank_tran_id sequence starting above the store's.
func (env *scaleEnv) bareClient(ctx context.Context) []scaleBare {
	b := env.b
	client, _, err := NewBankClient(openbanking.Config{BaseURL: env.srv.URL, ClientID: env.inst.ClientID,
		ClientSecret: env.inst.ClientSecret, ClientUseCode: env.inst.ClientUseCode, RedirectURI: scaleCallback,
		Now: env.clock.Now, Sequence: &scaleSequence{next: 1 << 40}})
	if err != nil {
		b.Fatal(err)
	}
	out := make([]scaleBare, len(env.accounts))
	for i, a := range env.accounts {
		acct, err := env.db.Account(ctx, a.id)
		if err != nil {
			b.Fatal(err)
		}
		tok, err := env.db.Token(ctx, acct.TokenName)
		if err != nil {
			b.Fatal(err)
		}
		out[i] = scaleBare{client.NewSession(fromStoreToken(tok), nil), acct.FintechUseNum}
	}
	return out
}

// passStarts returns, for each account, where the engine's next pass will
// start reading (syncer.query on the account's stored cursor): the window
// the bare calls of the same round read, so that both read the same rows.
// It runs outside the timed part.
func (env *scaleEnv) passStarts(ctx context.Context) []time.Time {
	b := env.b
	now := env.clock.Now()
	out := make([]time.Time, len(env.accounts))
	for i, a := range env.accounts {
		acct, err := env.db.Account(ctx, a.id)
		if err != nil {
			b.Fatal(err)
		}
		cur, err := env.db.Cursor(ctx, a.id)
		if err != nil {
			b.Fatal(err)
		}
		q, err := env.eng.sync.query(ctx, acct, cur, now)
		if err != nil {
			b.Fatal(err)
		}
		out[i] = q.From
	}
	return out
}

// bareCycle makes every account's transaction-list call once, from the
// account's from (see passStarts) to now, scalePollWorkers at a time, and
// measures it.
func (env *scaleEnv) bareCycle(ctx context.Context, targets []scaleBare, from []time.Time) scaleCycleStats {
	to := env.clock.Now().In(ledger.KST()).Truncate(time.Second)
	var rows atomic.Int64
	st := scaleCycleStats{accounts: len(targets)}
	cpu0, t0 := scaleCPU(), time.Now()
	st.err = scaleParallel(ctx, len(targets), scalePollWorkers, func(ctx context.Context, i int) error {
		list, err := targets[i].sess.Transactions(ctx, openbanking.TransactionQuery{FintechUseNum: targets[i].fin,
			Type: openbanking.InquiryAll, From: from[i], To: to, ByTime: true})
		if err == nil && len(list.Rows) == 0 {
			err = errors.New("no rows")
		}
		rows.Add(int64(len(list.Rows)))
		return err
	})
	st.wall, st.cpu = time.Since(t0), scaleCPU()-cpu0
	st.rows = rows.Load()
	st.pollsPerSecond = float64(st.accounts) / st.wall.Seconds()
	return st
}

// BenchmarkScaleBareVsPipeline puts moimbot's poll pipeline next to the
// bank call it is built around, in one process on one world of 10,000
// linked accounts:
//
//	go test -run '^$' -bench BareVsPipeline -benchtime 1x -timeout 30m ./server
//
// The bare client makes each account's transaction-list call and nothing
// else: the same client code, session and loopback HTTP to the same
// simulator, scalePollWorkers calls at a time, with an in-memory
// bank_tran_id sequence and no store. Its query is the one the engine's
// pass makes in the same round (the window from the account's cursor,
// less the overlap the engine re-reads), so both read the same rows, which
// the benchmark checks. The pipeline is PollCycle's cycle,
// the engine's own poll of each account (Engine.poll, what cron runs,
// scalePipelineFeeders started at a time): the pass's reads,
// the same call within the engine's bound of maxConcurrentPolls calls at a
// time, then the store's Ingest (dedupe, match, allocate, enqueue the
// notice, advance the cursor, count the call) committed with fsync, and the
// balance-chain check. Every account has one new deposit in each cycle, so
// every pipeline pass matches, allocates and queues a notice. The two
// alternate, scaleCompareRounds cycles each, so that a machine shared with
// other work slows both alike. With MOIMBOT_BENCH_CPUPROFILE set to a file
// name, the last pipeline cycle is profiled into it.
func BenchmarkScaleBareVsPipeline(b *testing.B) {
	ctx := b.Context()
	n := scaleAccounts(b)
	setup := time.Now()
	env := scaleSetup(b, n)
	targets := env.bareClient(ctx)
	setupTime := time.Since(setup)
	setupRSS := scaleMaxRSS()

	var bare, pipe []scaleCycleStats
	for b.Loop() {
		bare, pipe = nil, nil
		for r := range scaleCompareRounds {
			b.StopTimer()
			env.advance()
			env.postAll()
			from := env.passStarts(ctx)
			runtime.GC()
			b.StartTimer()
			runBare := func() {
				st := env.bareCycle(ctx, targets, from)
				if st.err != nil {
					b.Fatalf("bare cycle: %v", st.err)
				}
				bare = append(bare, st)
			}
			runPipe := func() {
				stop := func() {}
				if path := os.Getenv(scaleProfileEnv); path != "" && r == scaleCompareRounds-1 {
					stop = scaleProfile(b, path)
				}
				st := env.cycle(ctx)
				stop()
				if st.err != nil {
					b.Fatalf("pipeline cycle: %v", st.err)
				}
				if st.rows != int64(n) || st.notices != int64(n) {
					b.Fatalf("pipeline cycle stored %d rows and %d notices, want %d of each", st.rows, st.notices, n)
				}
				pipe = append(pipe, st)
			}
			if r%2 == 0 {
				runBare()
				runPipe()
			} else {
				runPipe()
				runBare()
			}
			// Both read the same window: the round's new rows and the
			// overlap's rows the passes found already stored.
			if got, want := bare[r].rows, pipe[r].rows+pipe[r].dups; got != want {
				b.Fatalf("round %d: the bare calls read %d rows and the passes %d; they must read the same", r+1, got, want)
			}
		}
	}
	b.StopTimer()
	if w := env.logs.n.Load(); w > 0 {
		b.Fatalf("%d warnings: %s", w, env.logs.summary())
	}
	// The outbox is not drained: the notices stay queued, as the pipeline
	// left them.

	var bareWall, pipeWall, bareCPU, pipeCPU time.Duration
	for i := range bare {
		bareWall += bare[i].wall
		pipeWall += pipe[i].wall
		bareCPU += bare[i].cpu
		pipeCPU += pipe[i].cpu
	}
	perPoll := func(d time.Duration, k int) float64 { return float64(d) / float64(k) / 1e6 }
	polls := n * len(bare)
	ratio := float64(pipeWall) / float64(bareWall)
	b.ReportMetric(ratio, "x-bare")
	b.ReportMetric(float64(pipeCPU)/float64(bareCPU), "cpu-x-bare")
	b.ReportMetric(bareWall.Seconds()/float64(len(bare)), "bare-s")
	b.ReportMetric(pipeWall.Seconds()/float64(len(pipe)), "pipeline-s")
	b.ReportMetric(perPoll(bareCPU, polls), "bare-cpu-ms/call")
	b.ReportMetric(perPoll(pipeCPU, polls), "pipeline-cpu-ms/poll")
	b.ReportMetric(mbOf(scaleMaxRSS()), "maxrss-MB")
	b.ReportMetric(setupTime.Seconds(), "setup-s")

	// At most nine lines: the testing package cuts a benchmark's log
	// after ten.
	var t strings.Builder
	fmt.Fprintf(&t, "\n%d accounts, GOMAXPROCS=%d, simulator in-process over loopback; bare: %d calls at a time; pipeline: Engine.poll, %d started at a time, %d calling the bank, store with fsync\n",
		n, runtime.GOMAXPROCS(0), scalePollWorkers, scalePipelineFeeders, maxConcurrentPolls)
	for i := range bare {
		first := "bare first"
		if i%2 == 1 {
			first = "pipeline first"
		}
		fmt.Fprintf(&t, "round %d (%s), %d rows read: bare %s (%.3f ms CPU/call) · pipeline %s (%.3f ms CPU/poll, %d calls, %d duplicates, heap peak %.0f MB) · %.2f× wall, %.2f× CPU\n",
			i+1, first, bare[i].rows, bare[i].wall.Round(time.Millisecond), perPoll(bare[i].cpu, n), pipe[i].wall.Round(time.Millisecond),
			perPoll(pipe[i].cpu, n), pipe[i].calls, pipe[i].dups, mbOf(pipe[i].peakHeap), float64(pipe[i].wall)/float64(bare[i].wall), float64(pipe[i].cpu)/float64(bare[i].cpu))
	}
	fmt.Fprintf(&t, "all: pipeline %.2f× the bare client's wall time, %.2f× its CPU · setup %s (max RSS then %.0f MB) · now %s",
		ratio, float64(pipeCPU)/float64(bareCPU), setupTime.Round(time.Second), mbOf(setupRSS), scaleMemory())
	b.Log(t.String())
}

// scaleProfile starts a CPU profile written to path; the returned function
// stops it.
func scaleProfile(b *testing.B, path string) (stop func()) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func mbOf(v uint64) float64 { return float64(v) / (1 << 20) }

// scaleMemory describes the process's memory now: peak and current resident
// set, split into anonymous memory (the heap, stacks) and file pages (the
// mapped database), from /proc/self/status where there is one.
func scaleMemory() string {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := fmt.Sprintf("HeapAlloc %.0f MB, HeapSys %.0f MB", mbOf(ms.HeapAlloc), mbOf(ms.HeapSys))
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return s + fmt.Sprintf(", max RSS %.0f MB", mbOf(scaleMaxRSS()))
	}
	var parts []string
	for line := range strings.Lines(string(raw)) {
		k, v, ok := strings.Cut(line, ":")
		switch k {
		case "VmHWM", "VmRSS", "RssAnon", "RssFile":
			if ok {
				parts = append(parts, k+" "+strings.Join(strings.Fields(v), " "))
			}
		}
	}
	return s + " · " + strings.Join(parts, ", ")
}
