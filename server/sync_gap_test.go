package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/openbanking/testbed"
)

// Tests of issue 12: rows the bank lists late or never, and fetches that
// used to fail every pass.

// editRows returns a transaction-list body rewriter that passes res_list
// through f and fixes page_record_cnt.
func editRows(t *testing.T, f func([]map[string]any) []map[string]any) func([]byte) []byte {
	return func(body []byte) []byte {
		var o map[string]any
		if err := json.Unmarshal(body, &o); err != nil {
			t.Errorf("edit transaction list: %v", err)
			return body
		}
		raw, _ := o["res_list"].([]any)
		rows := make([]map[string]any, 0, len(raw))
		for _, r := range raw {
			if m, ok := r.(map[string]any); ok {
				rows = append(rows, m)
			}
		}
		rows = f(rows)
		o["res_list"], o["page_record_cnt"] = rows, fmt.Sprint(len(rows))
		out, err := json.Marshal(o)
		if err != nil {
			t.Errorf("edit transaction list: %v", err)
			return body
		}
		return out
	}
}

// hideRows hides the rows whose print_content is text while *hidden is true.
func hideRows(t *testing.T, env *loopEnv, text string, hidden *bool) {
	env.tr.mu.Lock()
	defer env.tr.mu.Unlock()
	env.tr.editTxList = editRows(t, func(rows []map[string]any) []map[string]any {
		env.tr.mu.Lock() // only hidden needs the lock; RoundTrip released it
		h := *hidden
		env.tr.mu.Unlock()
		if !h {
			return rows
		}
		return slices.DeleteFunc(rows, func(r map[string]any) bool { return r["print_content"] == text })
	})
}

// syncSkipMaintenance runs a pass, allowing the maintenance window.
func (env *loopEnv) syncSkipMaintenance() SyncResult {
	env.t.Helper()
	res, err := env.sync()
	if err != nil && !errors.Is(err, errMaintenance) {
		env.t.Fatalf("Sync at %s: %v", env.now().In(ledger.KST()).Format(time.DateTime), err)
	}
	return res
}

// TestLoopLateListing: deposits the bank lists 20 minutes, 2 hours and a
// day after their time, and deposits listed by a bank whose clock is 30
// minutes behind or ahead of the bot's, are all stored and each announced
// once, each pass making one call.
func TestLoopLateListing(t *testing.T) {
	tests := []struct {
		name string
		// late is how far before the bank's now the deposit is listed;
		// skew is how far the bot's clock is ahead of the bank's.
		late, skew time.Duration
	}{
		{name: "Listed20MinutesLate", late: 20 * time.Minute},
		{name: "Listed2HoursLate", late: 2 * time.Hour},
		{name: "Listed1DayLate", late: 24 * time.Hour},
		{name: "BankClock30MinutesBehind", skew: 30 * time.Minute},
		{name: "BankClock30MinutesAhead", skew: -30 * time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newLoopEnvSkew(t, testbed.NewClock(loopStart), tc.skew)
			env.link()
			env.mustSync()
			// Two quiet days, so that the deposit a day late follows the
			// demo history (the simulator's history is append-only).
			env.clock.Advance(48 * time.Hour)
			env.mustSync()
			before := len(env.messages(loopGroupChat, bot.KindDeposit))
			calls := env.storedCalls()

			env.post("입금", "김민수", 30000, env.clock.Now().Add(-tc.late))
			var got []string
			passes := 0
			for i := 0; i <= 12; i++ {
				res := env.mustSync()
				passes++
				for _, in := range res.New {
					got = append(got, in.Deposit.Text)
				}
				env.clock.Advance(5 * time.Minute)
			}
			if want := []string{"김민수"}; !slices.Equal(got, want) {
				t.Errorf("new deposits over an hour of passes = %q, want %q", got, want)
			}
			stored, err := env.db.Deposits(env.ctx, env.acct.ID)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(stored); n == 0 || stored[n-1].Text != "김민수" {
				t.Errorf("latest stored deposit is not 김민수's: %+v", stored[max(0, n-1):])
			}
			if got, want := len(env.messages(loopGroupChat, bot.KindDeposit))-before, 1; got != want {
				t.Errorf("%d deposit notices, want %d", got, want)
			}
			if got, want := env.storedCalls()-calls, int64(passes); got != want {
				t.Errorf("%d calls in %d passes, want %d (one each)", got, passes, want)
			}
			if err := env.db.Check(env.ctx); err != nil {
				t.Errorf("Check: %v", err)
			}
		})
	}
}

// TestLoopChainGapNeverFilled: a row the bank books (its balance counts)
// but never lists breaks the balance chain; moimbot re-reads, keeps the gap
// and tells the treasurer once, a day after it first saw it.
func TestLoopChainGapNeverFilled(t *testing.T) {
	env := newLoopEnv(t)
	env.link()
	env.mustSync()
	hidden := true
	hideRows(t, env, "유령", &hidden)
	env.clock.Advance(10 * time.Minute)
	env.deposit("김민수", 30000)
	env.clock.Advance(time.Minute)
	env.deposit("유령", 10000)
	env.clock.Advance(time.Minute)
	env.deposit("이지은", 30000)
	env.clock.Advance(time.Minute)
	seen := env.now()
	res := env.mustSync()
	if got := len(res.New); got != 2 {
		t.Fatalf("Sync: %d new, want 2 (김민수 and 이지은)", got)
	}
	cur, err := env.db.Cursor(env.ctx, env.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cur.Gap == nil || cur.Gap.Told {
		t.Fatalf("cursor gap %+v after the pass, want an untold gap", cur.Gap)
	}
	for env.now().Sub(seen) < 23*time.Hour {
		env.clock.Advance(30 * time.Minute)
		env.syncSkipMaintenance()
	}
	if got := env.messages(loopTreasurerChat, bot.KindGap); len(got) != 0 {
		t.Errorf("gap notices after 23 hours: %q, want none yet", loopTexts(got))
	}
	for env.now().Sub(seen) < 30*time.Hour {
		env.clock.Advance(30 * time.Minute)
		env.syncSkipMaintenance()
	}
	got := env.messages(loopTreasurerChat, bot.KindGap)
	if len(got) != 1 {
		t.Fatalf("gap notices after 30 hours: %q, want 1", loopTexts(got))
	}
	if want := "21:10 이후 거래 하나가 은행 거래내역에 보이지 않아요"; !strings.Contains(got[0].Text, want) {
		t.Errorf("gap notice %q, want it to contain %q", got[0].Text, want)
	}
	if got := env.messages(loopGroupChat, bot.KindDeposit); len(got) != 2 {
		t.Errorf("%d deposit notices, want 2 (each once)", len(got))
	}
	// About 30 hours of passes every half hour: one call each, a re-read
	// every 3 hours and once a day.
	if calls := env.storedCalls(); calls > 80 {
		t.Errorf("%d calls in 30 hours, want at most 80", calls)
	}
}

// TestLoopChainGapFilledLate: a row the bank lists late, more than the
// overlap before the latest stored row, is found by the re-read of the
// gap, stored and announced once, and the gap is closed.
func TestLoopChainGapFilledLate(t *testing.T) {
	env := newLoopEnv(t)
	env.link()
	env.mustSync()
	hidden := true
	hideRows(t, env, "최유나", &hidden)
	env.clock.Advance(10 * time.Minute)
	env.deposit("김민수", 30000)
	env.clock.Advance(time.Minute)
	env.deposit("최유나", 30000)
	env.clock.Advance(30 * time.Minute)
	env.deposit("이지은", 30000)
	env.clock.Advance(time.Minute)
	env.mustSync()
	env.tr.mu.Lock()
	hidden = false
	env.tr.mu.Unlock()
	var found []string
	for range 8 { // four hours
		env.clock.Advance(30 * time.Minute)
		for _, in := range env.syncSkipMaintenance().New {
			found = append(found, in.Deposit.Text)
		}
	}
	if want := []string{"최유나"}; !slices.Equal(found, want) {
		t.Errorf("new deposits after the bank listed the row = %q, want %q", found, want)
	}
	cur, err := env.db.Cursor(env.ctx, env.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cur.Gap != nil {
		t.Errorf("cursor gap %+v, want it closed", cur.Gap)
	}
	if got := env.messages(loopGroupChat, bot.KindDeposit); len(got) != 3 {
		t.Errorf("%d deposit notices %q, want 3 (each once)", len(got), loopTexts(got))
	}
	if got := env.messages(loopTreasurerChat, bot.KindGap); len(got) != 0 {
		t.Errorf("gap notices %q, want none", loopTexts(got))
	}
	if err := env.db.Check(env.ctx); err != nil {
		t.Errorf("Check: %v", err)
	}
}

// TestLoopRowsOutOfOrder: a bank that lists each page's rows out of time
// order does not stop the account from syncing.
func TestLoopRowsOutOfOrder(t *testing.T) {
	env := newLoopEnv(t)
	env.tr.editTxList = editRows(t, func(rows []map[string]any) []map[string]any {
		slices.Reverse(rows)
		return rows
	})
	env.link()
	env.clock.Advance(time.Minute)
	env.deposit("김민수", 30000)
	env.clock.Advance(time.Minute)
	env.deposit("이지은", 30000)
	env.clock.Advance(time.Minute)
	for i := range 2 {
		if _, err := env.sync(); err != nil {
			t.Fatalf("pass %d: %v", i+1, err)
		}
		env.clock.Advance(time.Minute)
	}
	if got := env.messages(loopGroupChat, bot.KindDeposit); len(got) != 2 {
		t.Errorf("%d deposit notices %q, want 2", len(got), loopTexts(got))
	}
	if err := env.db.Check(env.ctx); err != nil {
		t.Errorf("Check: %v", err)
	}
}

// TestLoopPageBound: a fetch past the page bound stores what it read,
// moves the cursor to it and backs off; the next pass goes on from there.
func TestLoopPageBound(t *testing.T) {
	env := newLoopEnv(t)
	env.eng.sync.maxPages = 2
	env.link()
	env.mustSync()
	for i := range 60 {
		env.clock.Advance(time.Minute)
		env.deposit(fmt.Sprintf("입금%02d", i+1), 1000)
	}
	env.clock.Advance(time.Minute)
	res, err := env.sync()
	if err == nil {
		t.Fatal("Sync past the page bound: no error, want one")
	}
	if got, want := len(res.New), 50; got != want {
		t.Errorf("Sync past the page bound stored %d rows, want %d (two pages)", got, want)
	}
	at := env.eng.sync.retryAt(env.acct.ID)
	if at.IsZero() {
		t.Fatal("no backoff after the page bound")
	}
	env.clock.Set(at.Add(time.Second))
	res = env.mustSync()
	if got, want := len(res.New), 10; got != want {
		t.Errorf("the next pass stored %d rows, want the remaining %d", got, want)
	}
	n := 0
	for _, m := range env.allMessages() {
		if m.Chat.ID == loopGroupChat.ID || m.Chat.ID == loopTreasurerChat.ID {
			n++
		}
	}
	if n == 0 {
		t.Error("no notices for the 60 deposits")
	}
	if err := env.db.Check(env.ctx); err != nil {
		t.Errorf("Check: %v", err)
	}
}

// TestLoopStuckNotice: after stuckAfter failed passes in a row the
// treasurer is told once.
func TestLoopStuckNotice(t *testing.T) {
	env := newLoopEnv(t)
	env.link()
	env.mustSync()
	if err := env.sim.InjectFault(testbed.Fault{API: testbed.APITransactionList, HTTPStatus: 500, Count: 1000}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= stuckAfter+3; i++ {
		if _, err := env.sync(); err == nil {
			t.Fatalf("pass %d succeeded, want a failure", i)
		}
		want := 0
		if i >= stuckAfter {
			want = 1
		}
		if got := env.messages(loopTreasurerChat, bot.KindSyncStuck); len(got) != want {
			t.Fatalf("after %d failed passes: %d failure notices %q, want %d", i, len(got), loopTexts(got), want)
		}
		env.clock.Set(env.eng.sync.retryAt(env.acct.ID).Add(time.Second))
		if bot.InMaintenance(env.now()) {
			env.clock.Advance(20 * time.Minute)
		}
	}
}
