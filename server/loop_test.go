package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/openbanking"
	"github.com/moimbot/moimbot/openbanking/testbed"
	"github.com/moimbot/moimbot/store"
)

// The main loop's tests run the real parts together: the KFTC simulator over
// loopback on a controllable clock, the real openbanking client, a real bbolt
// file, the real matcher, the engine's own methods (Sync, runReminders,
// runExpiryWarnings, requestStatus, DispatchOnce) and a fake chat platform.

const loopCallback = "http://127.0.0.1/oauth/callback"

var (
	loopGroupChat     = bot.ChatRef{Platform: "test", ID: "group"}
	loopTreasurerChat = bot.ChatRef{Platform: "test", ID: "treasurer"}
)

// loopKST returns a time in KST.
func loopKST(y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, ledger.KST())
}

// loopStart is when every environment's clock starts: 5 days before the
// demo group's due day (the 25th), in the evening, far from maintenance.
var loopStart = loopKST(2026, 11, 20, 21, 0, 0)

// loopChat is a fake chat platform: it records what it accepted and can be
// told to fail, per chat.
type loopChat struct {
	mu       sync.Mutex
	sent     []bot.Message
	attempts map[bot.ChatRef]int
	fail     map[bot.ChatRef]func(attempt int) error
}

func newLoopChat() *loopChat {
	return &loopChat{attempts: make(map[bot.ChatRef]int), fail: make(map[bot.ChatRef]func(int) error)}
}

// Send implements bot.Chat.
func (c *loopChat) Send(ctx context.Context, m bot.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.attempts[m.Chat]++
	if f := c.fail[m.Chat]; f != nil {
		if err := f(c.attempts[m.Chat]); err != nil {
			return err
		}
	}
	c.sent = append(c.sent, m)
	return nil
}

// failWith makes every Send to chat call f with the attempt number (1, 2, …)
// and return its error.
func (c *loopChat) failWith(chat bot.ChatRef, f func(attempt int) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fail[chat] = f
}

func (c *loopChat) attemptsTo(chat bot.ChatRef) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.attempts[chat]
}

func (c *loopChat) sentTo(chat bot.ChatRef) []bot.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []bot.Message
	for _, m := range c.sent {
		if m.Chat == chat {
			out = append(out, m)
		}
	}
	return out
}

var _ bot.Chat = (*loopChat)(nil)

// loopTransport is the HTTP transport under the client's call counter; a
// test can look at each transaction-list request as it leaves.
type loopTransport struct {
	next     *http.Transport
	mu       sync.Mutex
	onTxList func(*http.Request)
	// editTxList, when set, rewrites each transaction-list answer's body
	// (a bank that hides or reorders rows).
	editTxList func([]byte) []byte
}

// RoundTrip implements http.RoundTripper.
func (tr *loopTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.Contains(r.URL.Path, "/account/transaction_list/") {
		tr.mu.Lock()
		f := tr.onTxList
		tr.mu.Unlock()
		if f != nil {
			f(r)
		}
		tr.mu.Lock()
		edit := tr.editTxList
		tr.mu.Unlock()
		if edit != nil {
			resp, err := tr.next.RoundTrip(r)
			if err != nil {
				return resp, err
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return nil, err
			}
			body = edit(body)
			resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
			resp.Header.Del("Content-Length")
			return resp, nil
		}
	}
	return tr.next.RoundTrip(r)
}

// loopEnv is one main loop wired to its own simulator and database.
type loopEnv struct {
	t     *testing.T
	ctx   context.Context
	clock *testbed.Clock
	sim   *testbed.Server
	party testbed.Demo
	srv   *httptest.Server
	tr    *loopTransport
	path  string
	key   *store.Cipher
	chat  *loopChat
	retry openbanking.RetryPolicy
	// skew is how far the bot's clock is ahead of the bank's (env.clock,
	// which the simulator follows).
	skew time.Duration

	db     *store.DB
	client *openbanking.Client
	calls  *CallCounter
	eng    *Engine
	group  store.Group
	acct   store.Account
}

// newLoopEnv starts a simulator (maintenance on, no rate limit) with the demo
// institution, user and accounts on a clock at loopStart, opens a database
// in t.TempDir(), wires an engine with a fake "test" chat platform and stores
// the demo group (dues of 30,000원 on the 25th from this month, the default
// reminders) with its chat and treasurer on that platform. The account is not
// linked yet (see link). The client tries each inquiry twice, a millisecond
// apart.
func newLoopEnv(t *testing.T) *loopEnv {
	t.Helper()
	return newLoopEnvClock(t, testbed.NewClock(loopStart))
}

// newLoopEnvClock is newLoopEnv on the given clock.
func newLoopEnvClock(t *testing.T, clock *testbed.Clock) *loopEnv {
	t.Helper()
	return newLoopEnvSkew(t, clock, 0)
}

// newLoopEnvSkew is newLoopEnv on the given clock, with the bot's clock
// (the database's, the client's and the engine's) skew ahead of the
// simulator's.
func newLoopEnvSkew(t *testing.T, clock *testbed.Clock, skew time.Duration) *loopEnv {
	t.Helper()
	env := &loopEnv{t: t, ctx: t.Context(), chat: newLoopChat(), clock: clock, skew: skew,
		retry: openbanking.RetryPolicy{Attempts: 2, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond, RateLimitDelay: time.Millisecond}}
	env.sim = testbed.New(testbed.Config{Clock: env.clock, RateLimit: -1})
	var err error
	if env.party, err = testbed.SeedDemoAccounts(env.sim, []string{loopCallback}); err != nil {
		t.Fatal(err)
	}
	env.srv = httptest.NewServer(env.sim)
	t.Cleanup(env.srv.Close)
	env.tr = &loopTransport{next: http.DefaultTransport.(*http.Transport).Clone()}
	t.Cleanup(env.tr.next.CloseIdleConnections)
	env.path = filepath.Join(t.TempDir(), "moimbot.db")
	if env.key, err = store.ParseKey(store.NewKey()); err != nil {
		t.Fatal(err)
	}
	env.open()
	g := testGroup(ledger.MonthOf(env.clock.Now()), bot.Korean)
	g.Settings.Chats = []store.ChatRef{{Platform: loopGroupChat.Platform, ID: loopGroupChat.ID}}
	g.Settings.Treasurers = []store.ChatUser{{Platform: loopTreasurerChat.Platform, ID: loopTreasurerChat.ID}}
	if env.group, err = env.db.PutGroup(env.ctx, "test", g); err != nil {
		t.Fatal(err)
	}
	return env
}

// open opens the database and wires a new client and engine to it.
func (env *loopEnv) open() {
	t := env.t
	t.Helper()
	db, err := store.Open(env.ctx, env.path, store.Options{NoSync: true, Now: env.now, Cipher: env.key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	client, calls, err := NewBankClient(openbanking.Config{BaseURL: env.srv.URL, ClientID: env.party.Institution.ClientID,
		ClientSecret: env.party.Institution.ClientSecret, ClientUseCode: env.party.Institution.ClientUseCode,
		RedirectURI: loopCallback, HTTPClient: &http.Client{Transport: env.tr}, Now: env.now, Sequence: db,
		Timeout: 10 * time.Second, Retry: env.retry})
	if err != nil {
		t.Fatal(err)
	}
	env.db, env.client, env.calls = db, client, calls
	env.eng = New(Config{DB: db, Client: client, Calls: calls,
		Chats: map[string]bot.Chat{loopGroupChat.Platform: env.chat}, Now: env.now})
}

// now is the bot's clock: the simulator's plus the skew.
func (env *loopEnv) now() time.Time { return env.clock.Now().Add(env.skew) }

// reopen closes the database and opens the same file again with a new
// client and engine, as a restarted moimbot would.
func (env *loopEnv) reopen() {
	env.t.Helper()
	if err := env.db.Close(); err != nil {
		env.t.Fatal(err)
	}
	env.open()
}

// link links the demo group account the way a treasurer does, through the
// simulator's consent form, at the clock's now.
func (env *loopEnv) link() store.Account {
	env.t.Helper()
	env.acct = env.linkBank([]string{testbed.DemoGroupAccountID}, "")
	return env.acct
}

// linkBank links, through a consent to the simulator accounts accountIDs,
// the listed account of bank code bank (the first listed when empty) to the
// group.
func (env *loopEnv) linkBank(accountIDs []string, bank string) store.Account {
	t := env.t
	t.Helper()
	consent := func(ctx context.Context, authURL string) (*url.URL, error) {
		return testbed.Consent(ctx, env.srv.Client(), authURL, env.party.User.UserSeqNo, accountIDs, true)
	}
	var pick func([]openbanking.Account) (openbanking.Account, bool)
	if bank != "" {
		pick = func(as []openbanking.Account) (openbanking.Account, bool) {
			for _, a := range as {
				if a.BankCodeStd == bank {
					return a, true
				}
			}
			return openbanking.Account{}, false
		}
	}
	a, err := LinkAccount(env.ctx, env.db, env.client, env.group.ID, "test", consent, pick)
	if err != nil {
		t.Fatalf("linkAccount: %v", err)
	}
	return a
}

// post records a transaction on the demo group account at at.
func (env *loopEnv) post(inout, text string, amount int64, at time.Time) {
	env.t.Helper()
	if _, err := env.sim.Post(testbed.DemoGroupAccountID, testbed.Posting{InoutType: inout, PrintContent: text, Amount: amount, At: at}); err != nil {
		env.t.Fatal(err)
	}
}

// deposit posts a deposit at the clock's now.
func (env *loopEnv) deposit(text string, amount int64) {
	env.t.Helper()
	env.post("입금", text, amount, env.clock.Now())
}

func (env *loopEnv) sync() (SyncResult, error) {
	return env.eng.sync.Sync(env.ctx, env.acct.ID)
}

func (env *loopEnv) mustSync() SyncResult {
	env.t.Helper()
	res, err := env.sync()
	if err != nil {
		env.t.Fatalf("Sync at %s: %v", env.clock.Now().In(ledger.KST()).Format(time.DateTime), err)
	}
	return res
}

// simCalls returns how many calls of api reached the simulator.
func (env *loopEnv) simCalls(api string) int64 { return env.sim.Stats().ByAPI[api] }

// simTotal returns how many calls of any API reached the simulator.
func (env *loopEnv) simTotal() int64 {
	var n int64
	for _, c := range env.sim.Stats().ByAPI {
		n += c
	}
	return n
}

// storedCalls returns the account's transaction-list calls the store counted.
func (env *loopEnv) storedCalls() int64 {
	env.t.Helper()
	counts, err := env.db.CallCounts(env.ctx, env.acct.ID)
	if err != nil {
		env.t.Fatal(err)
	}
	var n int64
	for _, c := range counts {
		n += c.Calls
	}
	return n
}

// messages returns the outbox messages to chat of kind (any kind when
// empty), in enqueue order.
func (env *loopEnv) messages(chat bot.ChatRef, kind string) []store.Message {
	env.t.Helper()
	all, err := env.db.Messages(env.ctx, 0)
	if err != nil {
		env.t.Fatal(err)
	}
	var out []store.Message
	for _, m := range all {
		if m.Chat.Platform == chat.Platform && m.Chat.ID == chat.ID && (kind == "" || m.Kind == kind) {
			out = append(out, m)
		}
	}
	return out
}

func (env *loopEnv) allMessages() []store.Message {
	env.t.Helper()
	all, err := env.db.Messages(env.ctx, 0)
	if err != nil {
		env.t.Fatal(err)
	}
	return all
}

func (env *loopEnv) account() store.Account {
	env.t.Helper()
	a, err := env.db.Account(env.ctx, env.acct.ID)
	if err != nil {
		env.t.Fatal(err)
	}
	return a
}

func (env *loopEnv) token() store.Token {
	env.t.Helper()
	tok, err := env.db.Token(env.ctx, env.acct.TokenName)
	if err != nil {
		env.t.Fatal(err)
	}
	return tok
}

// session returns the syncer's cached session of the account's token (nil
// when none is cached).
func (env *loopEnv) session() *openbanking.Session {
	s := env.eng.sync
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[env.acct.TokenName]
}

func (env *loopEnv) dispatch() int {
	env.t.Helper()
	n, err := env.eng.dispatch.DispatchOnce(env.ctx)
	if err != nil {
		env.t.Fatalf("DispatchOnce: %v", err)
	}
	return n
}

func loopTexts(ms []store.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Text
	}
	return out
}

// TestLoopSyncBasics: a deposit is stored, allocated and announced once, the
// cursor follows the clock, a repeated pass adds nothing, and every call is
// counted the same by the store, the transport and the bank.
func TestLoopSyncBasics(t *testing.T) {
	env := newLoopEnv(t)
	env.link()
	env.clock.Advance(time.Minute)
	env.deposit("김민수", 30000)
	env.clock.Advance(time.Minute)

	res := env.mustSync()
	if got, want := len(res.New), 1; got != want {
		t.Fatalf("first Sync: %d new transactions, want %d", got, want)
	}
	if got, want := res.Calls, 1; got != want {
		t.Errorf("first Sync: Calls = %d, want %d", got, want)
	}
	stored, err := env.db.Deposits(env.ctx, env.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 1 || stored[0].Text != "김민수" || stored[0].Amount != 30000 {
		t.Fatalf("stored deposits = %+v, want one 30,000원 from 김민수", stored)
	}
	rec, err := env.db.Deposit(env.ctx, stored[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Decision.Match.Outcome != ledger.OutcomeMatched || len(rec.Allocations) == 0 || rec.Allocations[0].MemberID != "m01" {
		t.Errorf("decision %v with allocations %+v, want matched and allocated to m01", rec.Decision.Match.Outcome, rec.Allocations)
	}
	msgs := env.allMessages()
	if len(msgs) != 1 {
		t.Fatalf("outbox after the first Sync: %d messages %q, want 1", len(msgs), loopTexts(msgs))
	}
	if m := msgs[0]; m.Chat.ID != loopGroupChat.ID || m.Kind != bot.KindDeposit || !strings.Contains(m.Text, "💰 김민수님 30,000원 입금") {
		t.Errorf("outbox message to %s kind %s text %q, want a deposit notice \"💰 김민수님 30,000원 입금…\" to the group chat", m.Chat, m.Kind, m.Text)
	}
	cur, err := env.db.Cursor(env.ctx, env.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !cur.Through.Equal(env.clock.Now()) {
		t.Errorf("cursor through %s, want the clock's %s", cur.Through, env.clock.Now())
	}

	env.clock.Advance(time.Minute)
	res = env.mustSync()
	if len(res.New) != 0 || res.Duplicates != 1 {
		t.Errorf("second Sync: %d new, %d duplicates; want 0 new and the overlapped deposit as 1 duplicate", len(res.New), res.Duplicates)
	}
	if got := env.allMessages(); len(got) != 1 {
		t.Errorf("outbox after the second Sync: %d messages %q, want still 1", len(got), loopTexts(got))
	}
	if cur, _ := env.db.Cursor(env.ctx, env.acct.ID); !cur.Through.Equal(env.clock.Now()) {
		t.Errorf("cursor through %s after the second Sync, want %s", cur.Through, env.clock.Now())
	}

	stored2, bank, transport := env.storedCalls(), env.simCalls(testbed.APITransactionList), env.calls.total.Load()
	if stored2 != 2 || bank != 2 || transport != 2 {
		t.Errorf("calls after two passes: store %d, simulator %d, transport %d; want 2 each", stored2, bank, transport)
	}
}

// TestLoopFirstSyncQuietHistory: the first pass after linking stores and
// allocates the deposits made before the link without announcing them; a
// deposit within the overlap before the link, and one after it, are
// announced.
func TestLoopFirstSyncQuietHistory(t *testing.T) {
	env := newLoopEnv(t)
	now := env.clock.Now()
	env.post("입금", "김민수", 30000, now.Add(-4*time.Hour))
	env.post("입금", "이지은", 30000, now.Add(-3*time.Hour))
	env.post("입금", "최유나", 30000, now.Add(-10*time.Minute)) // within the 15-minute overlap
	env.link()
	env.clock.Advance(time.Minute)
	env.deposit("박서준", 30000)
	env.clock.Advance(time.Minute)

	res := env.mustSync()
	if got, want := len(res.New), 4; got != want {
		t.Fatalf("first Sync: %d new, want %d", got, want)
	}
	for _, in := range res.New {
		if in.Match.Outcome != ledger.OutcomeMatched || len(in.Allocations) == 0 {
			t.Errorf("%s: outcome %v, %d allocations; want matched and allocated", in.Deposit.Text, in.Match.Outcome, len(in.Allocations))
		}
	}
	bk, err := env.db.Book(env.ctx, env.group.ID)
	if err != nil {
		t.Fatal(err)
	}
	paid := 0
	for _, st := range bk.Statuses(ledger.MonthOf(now)) {
		for _, p := range st.Periods {
			if p.Period == ledger.MonthOf(now) && p.Status == ledger.StatusPaid {
				paid++
			}
		}
	}
	if paid != 4 {
		t.Errorf("%d members paid for the month in the book, want 4 (history is allocated too)", paid)
	}
	var got []string
	for _, m := range env.messages(loopGroupChat, bot.KindDeposit) {
		got = append(got, m.Text)
	}
	if len(got) != 2 || !strings.Contains(got[0], "최유나님") || !strings.Contains(got[1], "박서준님") {
		t.Errorf("deposit notices %q, want only 최유나 (10 minutes before the link) and 박서준 (after it)", got)
	}
	if all := env.allMessages(); len(all) != 2 {
		t.Errorf("outbox holds %d messages %q, want 2", len(all), loopTexts(all))
	}
}

// TestLoopSyncAcrossMidnight: a by-time window from before midnight to after
// the maintenance window reads both days once, and a row the bank lists late
// (timestamped before the cursor, within the overlap) is still read.
func TestLoopSyncAcrossMidnight(t *testing.T) {
	env := newLoopEnv(t)
	env.link()
	env.clock.Set(loopKST(2026, 11, 20, 23, 40, 0))
	// A stored row at the cursor: the next window starts from the earlier
	// of the two, minus the overlap.
	env.deposit("정하늘", 30000)
	env.mustSync()

	env.clock.Set(loopKST(2026, 11, 20, 23, 45, 0))
	env.deposit("김민수", 30000)
	env.clock.Set(loopKST(2026, 11, 21, 0, 12, 0))
	env.deposit("이지은", 30000)
	env.clock.Set(loopKST(2026, 11, 21, 0, 15, 0))
	var (
		mu      sync.Mutex
		queries []url.Values
	)
	env.tr.mu.Lock()
	env.tr.onTxList = func(r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		queries = append(queries, r.URL.Query())
	}
	env.tr.mu.Unlock()
	res := env.mustSync()
	mu.Lock()
	if len(queries) != 1 {
		t.Fatalf("Sync at 00:15 made %d transaction-list calls, want 1", len(queries))
	}
	q := queries[0]
	mu.Unlock()
	// From the cursor and the latest row (both 23:40) minus the 15-minute
	// overlap, by time, across midnight.
	for k, want := range map[string]string{"inquiry_base": "T", "from_date": "20261120", "from_time": "232500", "to_date": "20261121", "to_time": "001500"} {
		if got := q.Get(k); got != want {
			t.Errorf("query %s = %q, want %q", k, got, want)
		}
	}
	if len(res.New) != 2 || res.New[0].Deposit.Text != "김민수" || res.New[1].Deposit.Text != "이지은" {
		t.Fatalf("Sync at 00:15: new %+v, want 김민수 (23:45 the day before) and 이지은 (00:12)", res.New)
	}
	if !res.New[0].Deposit.At.Equal(loopKST(2026, 11, 20, 23, 45, 0)) {
		t.Errorf("김민수's deposit at %s, want 2026-11-20 23:45 KST", res.New[0].Deposit.At)
	}

	// The bank lists a deposit of 00:13 only after the 00:15 query.
	env.post("입금", "박서준", 30000, loopKST(2026, 11, 21, 0, 13, 0))
	env.clock.Set(loopKST(2026, 11, 21, 0, 20, 0))
	res = env.mustSync()
	if len(res.New) != 1 || res.New[0].Deposit.Text != "박서준" {
		t.Fatalf("Sync at 00:20: new %+v, want the late-listed 박서준 (00:13, before the cursor)", res.New)
	}
	if res.Duplicates != 1 {
		t.Errorf("Sync at 00:20: %d duplicates, want 1 (이지은 in the overlap)", res.Duplicates)
	}
	env.clock.Set(loopKST(2026, 11, 21, 0, 25, 0))
	if res = env.mustSync(); len(res.New) != 0 {
		t.Errorf("Sync at 00:25: %d new, want 0", len(res.New))
	}
	stored, err := env.db.Deposits(env.ctx, env.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 4 {
		t.Errorf("%d deposits stored, want 4", len(stored))
	}
	if got := env.messages(loopGroupChat, bot.KindDeposit); len(got) != 4 {
		t.Errorf("%d deposit notices %q, want 4 (each once)", len(got), loopTexts(got))
	}
	if err := env.db.Check(env.ctx); err != nil {
		t.Errorf("Check: %v", err)
	}
}

// TestLoopMaintenance: inside 23:50–00:10 KST a pass makes no call at all;
// at the window's edges it calls; the bank's own maintenance answer is
// reported as maintenance, not retried, and does not back off.
func TestLoopMaintenance(t *testing.T) {
	env := newLoopEnv(t)
	env.link()
	env.mustSync()
	for _, tc := range []struct {
		name  string
		at    time.Time
		maint bool
	}{
		{"23:49:59", loopKST(2026, 11, 20, 23, 49, 59), false},
		{"23:50:00", loopKST(2026, 11, 20, 23, 50, 0), true},
		{"23:55:00", loopKST(2026, 11, 20, 23, 55, 0), true},
		{"00:00:00", loopKST(2026, 11, 21, 0, 0, 0), true},
		{"00:09:59", loopKST(2026, 11, 21, 0, 9, 59), true},
		{"00:10:00", loopKST(2026, 11, 21, 0, 10, 0), false},
	} {
		env.clock.Set(tc.at)
		before, calls := env.simTotal(), env.calls.total.Load()
		_, err := env.sync()
		switch {
		case tc.maint && !errors.Is(err, errMaintenance):
			t.Errorf("%s: Sync error %v, want errMaintenance", tc.name, err)
		case !tc.maint && err != nil:
			t.Errorf("%s: Sync error %v, want success", tc.name, err)
		}
		wantCalls := int64(1)
		if tc.maint {
			wantCalls = 0
		}
		if got := env.simTotal() - before; got != wantCalls {
			t.Errorf("%s: %d calls reached the simulator, want %d", tc.name, got, wantCalls)
		}
		if got := env.calls.total.Load() - calls; got != wantCalls {
			t.Errorf("%s: %d transaction-list calls counted, want %d", tc.name, got, wantCalls)
		}
	}

	// The bank says it is in maintenance outside the usual window.
	env.clock.Set(loopKST(2026, 11, 21, 0, 20, 0))
	if err := env.sim.InjectFault(testbed.Fault{API: testbed.APITransactionList, RspCode: "A0002", BankRspCode: "551"}); err != nil {
		t.Fatal(err)
	}
	before, stored := env.simCalls(testbed.APITransactionList), env.storedCalls()
	_, err := env.sync()
	if !errors.Is(err, errMaintenance) {
		t.Fatalf("Sync on the bank's A0002/551: %v, want errMaintenance", err)
	}
	if !openbanking.IsMaintenance(err) {
		t.Errorf("Sync error %v does not carry the bank's answer", err)
	}
	if got := env.simCalls(testbed.APITransactionList) - before; got != 1 {
		t.Errorf("%d transaction-list calls on a maintenance answer, want 1 (no retry)", got)
	}
	if got := env.storedCalls() - stored; got != 1 {
		t.Errorf("store counted %d calls for the refused pass, want 1", got)
	}
	if r := env.eng.sync.retryAt(env.acct.ID); !r.IsZero() {
		t.Errorf("retryAt = %s after a maintenance answer, want none (no backoff)", r)
	}
	if _, err := env.sync(); err != nil {
		t.Errorf("the next Sync right after the maintenance answer: %v, want success (not errBackoff)", err)
	}
}

// TestLoopTokenRefreshAhead: when the access token expires within three
// weeks a pass refreshes first and stores the new pair before the
// transaction list is called with it.
func TestLoopTokenRefreshAhead(t *testing.T) {
	env := newLoopEnv(t)
	env.link()
	env.mustSync()
	old := env.token()

	// Each transaction-list request: the bearer it carries, and the access
	// token stored at that moment.
	type seen struct{ bearer, stored string }
	var (
		mu    sync.Mutex
		calls []seen
	)
	env.tr.mu.Lock()
	env.tr.onTxList = func(r *http.Request) {
		tok, err := env.db.Token(context.WithoutCancel(r.Context()), env.acct.TokenName)
		mu.Lock()
		defer mu.Unlock()
		s := seen{bearer: strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")}
		if err == nil {
			s.stored = tok.AccessToken
		}
		calls = append(calls, s)
	}
	env.tr.mu.Unlock()

	// 70 days after the link the access token (90 days) has 20 left.
	env.clock.Advance(70 * 24 * time.Hour)
	env.sim.ResetStats()
	env.mustSync()
	got := env.token()
	if got.AccessToken == old.AccessToken || got.RefreshToken == old.RefreshToken {
		t.Fatal("the token pair was not refreshed 20 days before expiry")
	}
	if want := env.clock.Now().Add(7775999 * time.Second); !got.ExpiresAt.Equal(want) {
		t.Errorf("new access token expires %s, want %s", got.ExpiresAt, want)
	}
	if sess := env.session(); sess == nil || sess.Token().AccessToken != got.AccessToken {
		t.Error("the stored pair is not the session's")
	}
	if n := env.simCalls(testbed.APIToken); n != 1 {
		t.Errorf("%d token calls, want 1 refresh", n)
	}
	mu.Lock()
	if len(calls) != 1 {
		t.Fatalf("%d transaction-list calls, want 1", len(calls))
	}
	if c := calls[0]; c.bearer != got.AccessToken || c.stored != got.AccessToken {
		t.Errorf("the transaction list was called with the new token %v, the new token stored before the call %v; want both",
			c.bearer == got.AccessToken, c.stored == got.AccessToken)
	}
	mu.Unlock()
	if n := env.simCalls(testbed.APITransactionList); n != 1 {
		t.Errorf("%d transaction-list calls reached the bank, want 1", n)
	}

	// Refreshed: the next pass does not refresh again.
	env.clock.Advance(time.Minute)
	env.mustSync()
	if n := env.simCalls(testbed.APIToken); n != 1 {
		t.Errorf("%d token calls after another pass, want still 1", n)
	}
}

// TestLoopEarlyRefreshFailure: the refresh three weeks ahead is there to
// leave slack while refreshing fails ("the treasurer's expiry warnings fire
// only when refreshing has failed for a week", sync.go). While the token
// endpoint fails transiently, the access token still has 20 days, so the
// pass must go on reading deposits with it, and refresh on a later pass.
func TestLoopEarlyRefreshFailure(t *testing.T) {
	env := newLoopEnv(t)
	env.link()
	env.mustSync()
	old := env.token()
	env.clock.Advance(70 * 24 * time.Hour) // the access token expires in 20 days
	env.deposit("김민수", 30000)
	env.clock.Advance(time.Minute)
	if err := env.sim.InjectFault(testbed.Fault{API: testbed.APIToken, HTTPStatus: 503, Count: 1}); err != nil {
		t.Fatal(err)
	}
	env.sim.ResetStats()
	res, err := env.sync()
	if err != nil {
		t.Errorf("Sync while the token endpoint answers 503 (access token valid for 20 more days): %v; "+
			"want the pass to read deposits with the current token and leave the early refresh to a later pass", err)
	} else if len(res.New) != 1 {
		t.Errorf("Sync: %d new, want the deposit", len(res.New))
	}
	if n := env.simCalls(testbed.APITransactionList); n != 1 {
		t.Errorf("%d transaction-list calls, want 1", n)
	}
	if got := env.messages(loopGroupChat, bot.KindDeposit); len(got) != 1 {
		t.Errorf("%d deposit notices, want 1", len(got))
	}
	// The endpoint is back: a later pass refreshes.
	env.clock.Advance(10 * time.Minute)
	if _, err := env.sync(); err != nil {
		t.Fatalf("Sync after the token endpoint recovered: %v", err)
	}
	if env.token().AccessToken == old.AccessToken {
		t.Error("the token was not refreshed once the endpoint recovered")
	}
	if a := env.account(); a.Relink != nil {
		t.Errorf("account marked for relink (%+v) by a transient refresh failure", a.Relink)
	}
}

// TestLoopTokenExpiredByBank: an O0003 answer refreshes once, persists the
// new pair and the pass succeeds.
func TestLoopTokenExpiredByBank(t *testing.T) {
	env := newLoopEnv(t)
	env.link()
	env.mustSync()
	old := env.token()
	env.clock.Advance(time.Minute)
	env.deposit("김민수", 30000)
	env.clock.Advance(time.Minute)
	if n := env.sim.ExpireUserTokens(env.party.User.UserSeqNo); n == 0 {
		t.Fatal("ExpireUserTokens expired nothing")
	}
	env.sim.ResetStats()
	res := env.mustSync()
	if len(res.New) != 1 {
		t.Errorf("%d new after the refresh, want 1", len(res.New))
	}
	if got := env.simCalls(testbed.APIToken); got != 1 {
		t.Errorf("%d token calls, want 1 refresh", got)
	}
	if got, want := res.Calls, 2; got != want {
		t.Errorf("Calls = %d, want %d (the refused call and the retry)", got, want)
	}
	if got := env.simCalls(testbed.APITransactionList); got != 2 {
		t.Errorf("%d transaction-list calls reached the bank, want 2", got)
	}
	got := env.token()
	if got.AccessToken == old.AccessToken || got.RefreshToken == old.RefreshToken {
		t.Error("the refreshed pair was not stored")
	}
	if sess := env.session(); sess == nil || sess.Token().AccessToken != got.AccessToken {
		t.Error("the stored pair is not the session's")
	}
	if a := env.account(); a.Relink != nil {
		t.Errorf("account marked for relink (%+v) after a successful refresh", a.Relink)
	}
}

// TestLoopRelink: a refused token, a refused or expired refresh and an
// account the bank no longer lists mark the account for relinking, tell the
// treasurer once and stop the calls; linking again resumes polling.
func TestLoopRelink(t *testing.T) {
	for _, tc := range []struct {
		name   string
		reason string
		break_ func(env *loopEnv)
	}{
		{"RevokedTokenO0002", "O0002", func(env *loopEnv) {
			if err := env.client.Revoke(env.ctx, env.token().AccessToken); err != nil {
				env.t.Fatal(err)
			}
		}},
		{"InjectedO0002", "O0002", func(env *loopEnv) {
			if err := env.sim.InjectFault(testbed.Fault{API: testbed.APITransactionList, RspCode: "O0002"}); err != nil {
				env.t.Fatal(err)
			}
		}},
		{"RefreshRefused", "O0002", func(env *loopEnv) {
			env.clock.Advance(70 * 24 * time.Hour) // due for a refresh
			if err := env.sim.InjectFault(testbed.Fault{API: testbed.APIToken, RspCode: "O0002"}); err != nil {
				env.t.Fatal(err)
			}
		}},
		{"RefreshTokenExpired", "O0003", func(env *loopEnv) {
			env.clock.Advance(101 * 24 * time.Hour) // past the refresh token's 100 days
		}},
		{"RegistrationCancelledA0304", "A0304", func(env *loopEnv) {
			if err := env.sim.CancelRegistration(env.acct.FintechUseNum); err != nil {
				env.t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newLoopEnv(t)
			env.link()
			env.mustSync()
			tc.break_(env)

			_, err := env.sync()
			if !errors.Is(err, errNeedsRelink) {
				t.Fatalf("Sync: %v, want errNeedsRelink", err)
			}
			a := env.account()
			if a.Relink == nil {
				t.Fatal("account not marked for relink")
			}
			if a.Relink.Reason != tc.reason {
				t.Errorf("relink reason %q, want %q", a.Relink.Reason, tc.reason)
			}
			if env.session() != nil {
				t.Error("the broken session is still cached")
			}
			dms := env.messages(loopTreasurerChat, bot.KindRelink)
			if len(dms) != 1 {
				t.Fatalf("%d relink DMs to the treasurer, want 1", len(dms))
			}
			if !strings.Contains(dms[0].Text, "다시 연결") || !strings.Contains(dms[0].Text, tc.reason) {
				t.Errorf("relink DM %q, want it to ask for a new link and name %s", dms[0].Text, tc.reason)
			}
			if got := env.messages(loopGroupChat, ""); len(got) != 0 {
				t.Errorf("group chat got %q, want nothing", loopTexts(got))
			}

			before := env.simTotal()
			for i := range 3 {
				env.clock.Advance(10 * time.Minute)
				if _, err := env.sync(); !errors.Is(err, errNeedsRelink) {
					t.Errorf("Sync %d after the mark: %v, want errNeedsRelink", i+2, err)
				}
			}
			if got := env.simTotal() - before; got != 0 {
				t.Errorf("%d calls reached the bank while the account waits for a relink, want 0", got)
			}
			if got := env.messages(loopTreasurerChat, bot.KindRelink); len(got) != 1 {
				t.Errorf("%d relink DMs after 3 more passes, want still 1", len(got))
			}

			// A pass that read the account before it was marked and then
			// failed the same way does not tell the treasurer again.
			if err := env.eng.sync.markRelink(env.ctx, env.acct, tc.reason, errors.New("late pass")); !errors.Is(err, errNeedsRelink) {
				t.Errorf("markRelink of a marked account: %v, want errNeedsRelink", err)
			}
			if got := env.messages(loopTreasurerChat, bot.KindRelink); len(got) != 1 {
				t.Errorf("%d relink DMs after a second markRelink, want still 1", len(got))
			}

			// The treasurer links again; a deposit made meanwhile is read.
			if tc.reason == "A0304" {
				return // the simulator has no way to restore a cancelled registration's consent here
			}
			env.sim.ClearFaults()
			env.deposit("김민수", 30000)
			env.clock.Advance(time.Minute)
			relinked := env.link()
			if relinked.ID != a.ID || !relinked.Added.Equal(a.Added) {
				t.Errorf("relink made account %s added %s, want the same account %s added %s", relinked.ID, relinked.Added, a.ID, a.Added)
			}
			if a := env.account(); a.Relink != nil {
				t.Fatalf("relink mark %+v still set after linking again", a.Relink)
			}
			res, err := env.sync()
			if err != nil {
				t.Fatalf("Sync after the relink: %v", err)
			}
			if len(res.New) != 1 || res.New[0].Deposit.Text != "김민수" {
				t.Errorf("Sync after the relink: new %+v, want the deposit made while the link was broken", res.New)
			}
			if sess := env.session(); sess == nil || sess.Token().AccessToken != env.token().AccessToken {
				t.Error("the session after the relink does not use the stored new pair")
			}
		})
	}
}

// TestLoopRelinkReplacesCachedSession: the treasurer links the account
// again while its link still works (after an expiry warning); the next pass
// uses the new pair, not the cached session's older one.
func TestLoopRelinkReplacesCachedSession(t *testing.T) {
	env := newLoopEnv(t)
	env.link()
	env.mustSync()
	old := env.session().Token()
	env.clock.Advance(time.Hour)
	env.link()
	stored := env.token()
	if stored.AccessToken == old.AccessToken {
		t.Fatal("linking again stored the same pair")
	}
	env.deposit("김민수", 30000)
	if res := env.mustSync(); len(res.New) != 1 {
		t.Fatalf("new = %d, want 1", len(res.New))
	}
	if got := env.session().Token().AccessToken; got != stored.AccessToken {
		t.Error("the pass used the cached session's old pair, not the relinked one")
	}
	if got := env.token().AccessToken; got != stored.AccessToken {
		t.Error("the stored pair changed: the old session overwrote the relinked one")
	}
}

// TestLoopRelinkCancelledRegistrationReconsent: an account cancelled at the
// bank (A0304) is linked again through a new consent, which renews the
// registration under the same fintech_use_num, and polling resumes.
func TestLoopRelinkCancelledRegistrationReconsent(t *testing.T) {
	env := newLoopEnv(t)
	env.link()
	env.mustSync()
	if err := env.sim.CancelRegistration(env.acct.FintechUseNum); err != nil {
		t.Fatal(err)
	}
	if _, err := env.sync(); !errors.Is(err, errNeedsRelink) {
		t.Fatalf("Sync on a cancelled registration: %v, want errNeedsRelink", err)
	}
	env.clock.Advance(time.Minute)
	relinked := env.link()
	if relinked.ID != env.acct.ID {
		t.Errorf("relink made account %s, want %s", relinked.ID, env.acct.ID)
	}
	if _, err := env.sync(); err != nil {
		t.Errorf("Sync after consenting again: %v", err)
	}
}

// TestLoopConcurrentAccountsShareRefresh: two accounts linked with one
// user's token, synced at the same time when the token is due for a
// refresh, refresh it once (the refresh token rotates, so a second refresh
// with the old one would be refused and break both links) and store both
// accounts' deposits (their commits batched).
func TestLoopConcurrentAccountsShareRefresh(t *testing.T) {
	env := newLoopEnv(t)
	both := []string{testbed.DemoGroupAccountID, testbed.DemoPersonalAccountID}
	group := env.linkBank(both, "090")
	personal := env.linkBank(both, "088")
	if group.TokenName != personal.TokenName || group.ID == personal.ID {
		t.Fatalf("accounts %s (token %s) and %s (token %s), want two accounts of one token", group.ID, group.TokenName, personal.ID, personal.TokenName)
	}
	for _, a := range []store.Account{group, personal} {
		if _, err := env.eng.sync.Sync(env.ctx, a.ID); err != nil {
			t.Fatalf("first Sync of %s: %v", a.ID, err)
		}
	}
	env.clock.Advance(70 * 24 * time.Hour) // 20 days before the access token expires
	env.post("입금", "김민수", 30000, env.clock.Now())
	if _, err := env.sim.Post(testbed.DemoPersonalAccountID, testbed.Posting{InoutType: "입금", PrintContent: "이지은", Amount: 30000, At: env.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	env.clock.Advance(time.Minute)
	env.sim.ResetStats()

	var wg sync.WaitGroup
	results := make([]SyncResult, 2)
	errs := make([]error, 2)
	for i, a := range []store.Account{group, personal} {
		wg.Go(func() { results[i], errs[i] = env.eng.sync.Sync(env.ctx, a.ID) })
	}
	wg.Wait()
	for i, a := range []store.Account{group, personal} {
		if errs[i] != nil {
			t.Errorf("concurrent Sync of %s: %v", a.ID, errs[i])
		} else if len(results[i].New) != 1 {
			t.Errorf("concurrent Sync of %s: %d new, want 1", a.ID, len(results[i].New))
		}
	}
	if n := env.simCalls(testbed.APIToken); n != 1 {
		t.Errorf("%d token calls for two concurrent passes of one token, want 1 shared refresh", n)
	}
	if got := env.messages(loopGroupChat, bot.KindDeposit); len(got) != 2 {
		t.Errorf("%d deposit notices, want 2: %q", len(got), loopTexts(got))
	}
	if got := env.messages(loopTreasurerChat, bot.KindRelink); len(got) != 0 {
		t.Errorf("relink DMs %q, want none", loopTexts(got))
	}
	if err := env.db.Check(env.ctx); err != nil {
		t.Errorf("Check: %v", err)
	}
}

// TestLoopBackoff: transient failures back off exponentially with jitter
// (no calls while backing off), the retry pulls the schedule earlier, and a
// success resets the backoff.
func TestLoopBackoff(t *testing.T) {
	env := newLoopEnv(t)
	env.link()
	env.mustSync()
	env.clock.Advance(time.Minute)
	if err := env.sim.InjectFault(testbed.Fault{API: testbed.APITransactionList, HTTPStatus: 500, Count: 10}); err != nil {
		t.Fatal(err)
	}
	base := env.eng.PollSchedule(env.group)
	sched := RetrySchedule{Base: base, RetryAt: func() time.Time { return env.eng.sync.retryAt(env.acct.ID) }}

	// Nominal waits 1, 2, 4 minutes, jittered to between half and all.
	for i, bound := range []struct{ lo, hi time.Duration }{
		{30 * time.Second, time.Minute},
		{time.Minute, 2 * time.Minute},
		{2 * time.Minute, 4 * time.Minute},
	} {
		n := i + 1
		before := env.simCalls(testbed.APITransactionList)
		_, err := env.sync()
		if err == nil || errors.Is(err, errMaintenance) || errors.Is(err, errBackoff) || errors.Is(err, errNeedsRelink) {
			t.Fatalf("failure %d: Sync error %v, want a plain failure", n, err)
		}
		if got := env.simCalls(testbed.APITransactionList) - before; got != 2 {
			t.Errorf("failure %d: %d calls, want 2 (the client's two attempts)", n, got)
		}
		now := env.clock.Now()
		retryAt := env.eng.sync.retryAt(env.acct.ID)
		if wait := retryAt.Sub(now); wait < bound.lo || wait > bound.hi {
			t.Errorf("failure %d: retry in %s, want %s–%s", n, wait, bound.lo, bound.hi)
		}
		if next := base.Next(now); !retryAt.Before(next) {
			t.Fatalf("failure %d: retry at %s is not before the base schedule's next poll %s; the test needs it earlier", n, retryAt, next)
		}
		if got := sched.Next(now); !got.Equal(retryAt) {
			t.Errorf("failure %d: RetrySchedule.Next = %s, want the retry at %s", n, got, retryAt)
		}

		// Right away, and a second before the retry: skipped without a call.
		before = env.simTotal()
		if _, err := env.sync(); !errors.Is(err, errBackoff) {
			t.Errorf("failure %d: an immediate Sync returned %v, want errBackoff", n, err)
		}
		env.clock.Set(retryAt.Add(-time.Second))
		if _, err := env.sync(); !errors.Is(err, errBackoff) {
			t.Errorf("failure %d: Sync a second before the retry returned %v, want errBackoff", n, err)
		}
		if got := env.simTotal() - before; got != 0 {
			t.Errorf("failure %d: %d calls while backing off, want 0", n, got)
		}
		env.clock.Set(retryAt)
	}

	env.sim.ClearFaults()
	if _, err := env.sync(); err != nil {
		t.Fatalf("Sync after the faults were cleared: %v", err)
	}
	if r := env.eng.sync.retryAt(env.acct.ID); !r.IsZero() {
		t.Errorf("retryAt = %s after a success, want none", r)
	}
	if got := sched.Next(env.clock.Now()); !got.Equal(base.Next(env.clock.Now())) {
		t.Errorf("RetrySchedule.Next = %s after a success, want the base schedule's %s", got, base.Next(env.clock.Now()))
	}
	// The backoff starts over.
	env.clock.Advance(time.Minute)
	if err := env.sim.InjectFault(testbed.Fault{API: testbed.APITransactionList, HTTPStatus: 503, Count: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.sync(); err == nil {
		t.Fatal("Sync succeeded through two 503s")
	}
	if wait := env.eng.sync.retryAt(env.acct.ID).Sub(env.clock.Now()); wait < 30*time.Second || wait > time.Minute {
		t.Errorf("first failure after a success: retry in %s, want 30s–1m (reset)", wait)
	}
	// Every attempt is counted, failed passes included.
	if s, b, tr := env.storedCalls(), env.simCalls(testbed.APITransactionList), env.calls.total.Load(); s != b || tr != b {
		t.Errorf("calls: store %d, simulator %d, transport %d; want equal", s, b, tr)
	}
}

// loopOnce is a schedule that fires once at at, then hourly.
type loopOnce struct{ at time.Time }

// Next implements cron.Schedule.
func (s loopOnce) Next(t time.Time) time.Time {
	if t.Before(s.at) {
		return s.at
	}
	return t.Add(time.Hour)
}

// TestLoopRetrySoon: on cron, an account's next slot is computed before its
// pass runs, so after a failed pass the engine's retrySoon polls again at the
// retry time when that comes before the account's next regular slot, and
// leaves it to the regular slot otherwise. The retry waits on the wall
// clock, so the environment runs on a real-time clock, set to a fixed
// afternoon (far from the bank's maintenance window whatever the wall clock
// says), and the test steps the job (poll, then retrySoon) by hand, moving
// the clock to 100 ms before the retry in between.
func TestLoopRetrySoon(t *testing.T) {
	for _, tc := range []struct {
		name      string
		nextSlot  time.Duration // the account's next regular poll, from now
		wantRetry bool
	}{
		{"BeforeNextSlot", time.Hour, true},
		{"AfterNextSlot", 5 * time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := testbed.NewRealClock()
			clock.Set(time.Date(2026, time.November, 20, 14, 0, 0, 0, ledger.KST()))
			env := newLoopEnvClock(t, clock)
			env.link()
			env.mustSync()

			ctx, cancel := context.WithCancel(env.ctx)
			c := cron.New(cron.WithLocation(seoul()))
			sched := loopOnce{at: clock.Now().Add(tc.nextSlot)}
			entry := c.Schedule(sched, cron.FuncJob(func() {}))
			c.Start()
			env.eng.mu.Lock()
			env.eng.cron, env.eng.retrying = c, map[string]bool{}
			env.eng.entries = map[string]pollEntry{env.acct.ID: {id: entry, sched: sched}}
			env.eng.mu.Unlock()
			extraDone := func(timeout time.Duration) bool {
				done := make(chan struct{})
				go func() {
					env.eng.extra.Wait()
					close(done)
				}()
				select {
				case <-done:
					return true
				case <-time.After(timeout):
					return false
				}
			}
			defer func() {
				cancel()
				if !extraDone(10 * time.Second) {
					t.Error("retry goroutines still running 10 s after cancel")
				}
				<-c.Stop().Done()
			}()

			if err := env.sim.InjectFault(testbed.Fault{API: testbed.APITransactionList, HTTPStatus: 500, Count: 2}); err != nil {
				t.Fatal(err)
			}
			env.eng.Poll(ctx, env.acct.ID)
			retryAt := env.eng.sync.retryAt(env.acct.ID)
			if retryAt.IsZero() {
				t.Fatal("the failed pass asked for no retry")
			}
			// The bank is back; the pass "ended" 100 ms before its retry.
			env.sim.ClearFaults()
			env.sim.ResetStats()
			if tc.wantRetry {
				clock.Set(retryAt.Add(-100 * time.Millisecond))
			}
			lastSync := func() time.Time {
				cur, err := env.db.Cursor(env.ctx, env.acct.ID)
				if err != nil {
					t.Fatal(err)
				}
				return cur.FetchedAt
			}
			lastBefore := lastSync()
			env.eng.retrySoon(ctx, env.acct.ID)

			if !tc.wantRetry {
				if !extraDone(time.Second) {
					t.Error("retrySoon scheduled a retry after the account's next regular slot")
				}
				if n := env.simCalls(testbed.APITransactionList); n != 0 {
					t.Errorf("%d calls, want none before the regular slot", n)
				}
				return
			}
			if !extraDone(5 * time.Second) {
				t.Fatal("no retry ran within 5 s of a retry due in 100 ms")
			}
			if n := env.simCalls(testbed.APITransactionList); n != 1 {
				t.Errorf("%d transaction-list calls at the retry, want 1", n)
			}
			if last := lastSync(); !last.After(lastBefore) || last.Before(retryAt) {
				t.Errorf("last successful pass at %s, want one at or after the retry time %s", last, retryAt)
			}
			if r := env.eng.sync.retryAt(env.acct.ID); !r.IsZero() {
				t.Errorf("retryAt = %s after the retry succeeded, want none", r)
			}
		})
	}
}

// TestLoopRetrySchedule: the retry pulls the poll earlier only when it is
// after t, before the base schedule's next poll and outside maintenance.
func TestLoopRetrySchedule(t *testing.T) {
	base := bot.FixedSchedule{Every: 10 * time.Minute}
	for _, tc := range []struct {
		name    string
		t       time.Time
		retryAt time.Time
		want    time.Time
	}{
		{"NoRetry", loopKST(2026, 11, 20, 21, 1, 0), time.Time{}, loopKST(2026, 11, 20, 21, 10, 0)},
		{"RetryFirst", loopKST(2026, 11, 20, 21, 1, 0), loopKST(2026, 11, 20, 21, 2, 30), loopKST(2026, 11, 20, 21, 2, 30)},
		{"BaseFirst", loopKST(2026, 11, 20, 21, 1, 0), loopKST(2026, 11, 20, 21, 15, 0), loopKST(2026, 11, 20, 21, 10, 0)},
		{"RetryAtT", loopKST(2026, 11, 20, 21, 1, 0), loopKST(2026, 11, 20, 21, 1, 0), loopKST(2026, 11, 20, 21, 10, 0)},
		{"RetryPast", loopKST(2026, 11, 20, 21, 1, 0), loopKST(2026, 11, 20, 20, 0, 0), loopKST(2026, 11, 20, 21, 10, 0)},
		{"RetryInMaintenance", loopKST(2026, 11, 20, 23, 45, 0), loopKST(2026, 11, 20, 23, 55, 0), loopKST(2026, 11, 21, 0, 10, 0)},
		{"RetryBeforeMaintenance", loopKST(2026, 11, 20, 23, 45, 0), loopKST(2026, 11, 20, 23, 48, 0), loopKST(2026, 11, 20, 23, 48, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := RetrySchedule{Base: base, RetryAt: func() time.Time { return tc.retryAt }}
			if got := s.Next(tc.t); !got.Equal(tc.want) {
				t.Errorf("Next(%s) = %s, want %s", tc.t.Format(time.TimeOnly), got.In(ledger.KST()), tc.want)
			}
		})
	}
}

// TestLoopReminders: the default plan (D−3, D, D+3 at 10:00) posts each
// reminder once, catches up after downtime within the grace period, never
// posts a stale one, and survives a restart.
func TestLoopReminders(t *testing.T) {
	job := func(env *loopEnv) string { return "reminders/" + env.group.ID }
	dMinus3 := loopKST(2026, 11, 22, 10, 0, 0)
	dayBefore := loopKST(2026, 11, 21, 10, 0, 0)

	t.Run("OnTime", func(t *testing.T) {
		env := newLoopEnv(t)
		// 김민수 paid in cash: he is not reminded.
		if _, err := env.db.AddManualPayment(env.ctx, "test", env.group.ID, ledger.Payment{MemberID: "m01", Amount: 30000, At: loopStart}, "현금"); err != nil {
			t.Fatal(err)
		}
		n, err := env.eng.RunReminders(env.ctx, dMinus3)
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("runReminders at D−3 10:00 queued %d, want 1", n)
		}
		ms := env.messages(loopGroupChat, bot.KindReminder)
		if len(ms) != 1 {
			t.Fatalf("%d reminders to the group chat, want 1", len(ms))
		}
		text := ms[0].Text
		if !strings.Contains(text, "3일 남았어요") {
			t.Errorf("reminder %q, want the 3-days-left reminder", text)
		}
		for _, name := range []string{"이지은님", "박서준님", "최유나님", "강도윤님", "윤서연님", "한지호님"} {
			if !strings.Contains(text, name) {
				t.Errorf("reminder %q does not name the unpaid %s", text, name)
			}
		}
		for _, name := range []string{"김민수", "정하늘"} {
			if strings.Contains(text, name) {
				t.Errorf("reminder %q names %s, who paid or is exempt", text, name)
			}
		}
		if want := "reminder/" + env.group.ID + "/2026-11/-3/test:group"; ms[0].Key != want {
			t.Errorf("reminder key %q, want %q", ms[0].Key, want)
		}
		if n, err := env.eng.RunReminders(env.ctx, dMinus3.Add(time.Minute)); err != nil || n != 0 {
			t.Errorf("runReminders at 10:01 = %d, %v; want 0, nil", n, err)
		}
		if got := env.messages(loopGroupChat, bot.KindReminder); len(got) != 1 {
			t.Errorf("%d reminders after the 10:01 run, want 1", len(got))
		}
	})

	for _, tc := range []struct {
		name     string
		now      time.Time
		wantKeys []string // offsets of the November reminders posted
	}{
		{"RestartThreeHoursLate", loopKST(2026, 11, 22, 13, 0, 0), []string{"-3"}},
		{"RestartJustWithinGrace", loopKST(2026, 11, 22, 15, 59, 59), []string{"-3"}},
		{"RestartAtGrace", loopKST(2026, 11, 22, 16, 0, 0), nil},
		{"RestartSevenHoursLate", loopKST(2026, 11, 22, 17, 0, 0), nil},
		{"DownOverDMinus3AndD", loopKST(2026, 11, 25, 12, 0, 0), []string{"0"}},
		{"DownOverTheWholeWindow", loopKST(2026, 11, 28, 11, 0, 0), []string{"3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newLoopEnv(t)
			if _, err := env.db.RecordRun(env.ctx, job(env), dayBefore); err != nil {
				t.Fatal(err)
			}
			n, err := env.eng.RunReminders(env.ctx, tc.now)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range env.messages(loopGroupChat, bot.KindReminder) {
				got = append(got, strings.TrimSuffix(strings.TrimPrefix(m.Key, "reminder/"+env.group.ID+"/2026-11/"), "/test:group"))
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.wantKeys) || n != len(tc.wantKeys) {
				t.Errorf("restart at %s after a run the day before: queued %d, reminders %v; want %v",
					tc.now.Format(time.DateTime), n, got, tc.wantKeys)
			}
			// A second pass a minute later posts nothing more.
			if n, err := env.eng.RunReminders(env.ctx, tc.now.Add(time.Minute)); err != nil || n != 0 {
				t.Errorf("runReminders a minute later = %d, %v; want 0, nil", n, err)
			}
		})
	}

	t.Run("EveryonePaid", func(t *testing.T) {
		env := newLoopEnv(t)
		for _, m := range env.group.Members {
			if m.Exempt {
				continue
			}
			if _, err := env.db.AddManualPayment(env.ctx, "test", env.group.ID, ledger.Payment{MemberID: m.ID, Amount: 30000, At: loopStart}, "현금"); err != nil {
				t.Fatal(err)
			}
		}
		n, err := env.eng.RunReminders(env.ctx, dMinus3)
		if err != nil || n != 0 {
			t.Errorf("runReminders with everyone paid = %d, %v; want 0, nil", n, err)
		}
		if got := env.allMessages(); len(got) != 0 {
			t.Errorf("outbox holds %q, want nothing", loopTexts(got))
		}
		last, err := env.db.LastRun(env.ctx, job(env))
		if err != nil {
			t.Fatal(err)
		}
		if !last.Equal(dMinus3) {
			t.Errorf("LastRun = %s, want the run at %s recorded", last, dMinus3)
		}
	})

	t.Run("Reopened", func(t *testing.T) {
		env := newLoopEnv(t)
		if n, err := env.eng.RunReminders(env.ctx, dMinus3); err != nil || n != 1 {
			t.Fatalf("runReminders at D−3 = %d, %v; want 1, nil", n, err)
		}
		env.reopen()
		last, err := env.db.LastRun(env.ctx, job(env))
		if err != nil {
			t.Fatal(err)
		}
		if !last.Equal(dMinus3) {
			t.Errorf("LastRun after reopening = %s, want %s", last, dMinus3)
		}
		for _, at := range []time.Time{dMinus3, dMinus3.Add(time.Minute), dMinus3.Add(3 * time.Hour)} {
			if n, err := env.eng.RunReminders(env.ctx, at); err != nil || n != 0 {
				t.Errorf("new engine, runReminders at %s = %d, %v; want 0, nil", at.Format(time.TimeOnly), n, err)
			}
		}
		if got := env.messages(loopGroupChat, bot.KindReminder); len(got) != 1 {
			t.Errorf("%d reminders after the restart, want 1", len(got))
		}
	})
}

// TestLoopExpiryWarnings: the treasurer is warned 14 and 3 days before the
// refresh token expires, each once, and not about a link already broken.
func TestLoopExpiryWarnings(t *testing.T) {
	// Linked at 2026-11-20 21:00: the refresh token expires on 2027-02-28.
	warn14 := loopKST(2027, 2, 14, 10, 0, 0)
	warn3 := loopKST(2027, 2, 25, 10, 0, 0)

	t.Run("Warned", func(t *testing.T) {
		env := newLoopEnv(t)
		env.link()
		if exp, want := env.token().RefreshExpiresAt, loopStart.Add(100*24*time.Hour); !exp.Equal(want) {
			t.Fatalf("refresh token expires %s, want %s", exp, want)
		}
		for _, step := range []struct {
			at   time.Time
			want int
		}{
			{warn14.Add(-time.Minute), 0},
			{warn14, 1},
			{warn14.Add(time.Minute), 0},
			{warn14.Add(24 * time.Hour), 0},
			{warn3, 1},
			{warn3.Add(time.Minute), 0},
		} {
			env.clock.Set(step.at)
			n, err := env.eng.runExpiryWarnings(env.ctx, step.at)
			if err != nil || n != step.want {
				t.Errorf("runExpiryWarnings at %s = %d, %v; want %d, nil", step.at.Format(time.DateTime), n, err, step.want)
			}
		}
		dms := env.messages(loopTreasurerChat, bot.KindExpiry)
		if len(dms) != 2 {
			t.Fatalf("%d expiry DMs, want 2: %q", len(dms), loopTexts(dms))
		}
		if !strings.Contains(dms[0].Text, "14일 후") || !strings.Contains(dms[1].Text, "3일 후") {
			t.Errorf("expiry DMs %q, want 14 then 3 days", loopTexts(dms))
		}
		if got := env.messages(loopGroupChat, ""); len(got) != 0 {
			t.Errorf("group chat got %q, want nothing", loopTexts(got))
		}
	})

	t.Run("MarkedForRelink", func(t *testing.T) {
		env := newLoopEnv(t)
		env.link()
		if _, err := env.db.MarkRelink(env.ctx, env.acct.ID, "O0002"); err != nil {
			t.Fatal(err)
		}
		for _, at := range []time.Time{warn14, warn3} {
			if n, err := env.eng.runExpiryWarnings(env.ctx, at); err != nil || n != 0 {
				t.Errorf("runExpiryWarnings at %s for a broken link = %d, %v; want 0, nil", at.Format(time.DateTime), n, err)
			}
		}
		if got := env.messages(loopTreasurerChat, bot.KindExpiry); len(got) != 0 {
			t.Errorf("expiry DMs %q for a broken link, want none", loopTexts(got))
		}
	})
}

// TestLoopDeadLetters: a message the chat keeps refusing dies after the
// outbox's attempts, one refused permanently dies at once, and either way
// the treasurer is told once; a throttled message waits as long as asked.
func TestLoopDeadLetters(t *testing.T) {
	enqueue := func(env *loopEnv) uint64 {
		env.t.Helper()
		ids, err := env.db.Enqueue(env.ctx, outgoing(env.group.ID, bot.Message{Key: "test/notice", Chat: loopGroupChat, Kind: bot.KindDeposit, Text: "💰 test"}))
		if err != nil {
			env.t.Fatal(err)
		}
		return ids[0]
	}
	message := func(env *loopEnv, id uint64) store.Message {
		env.t.Helper()
		m, err := env.db.Message(env.ctx, id)
		if err != nil {
			env.t.Fatal(err)
		}
		return m
	}
	checkDeadLetter := func(env *loopEnv, id uint64) {
		env.t.Helper()
		dms := env.messages(loopTreasurerChat, bot.KindDeadLetter)
		if len(dms) != 1 {
			env.t.Fatalf("%d dead-letter DMs to the treasurer, want 1", len(dms))
		}
		if want := fmt.Sprintf("dead/%d/test:treasurer", id); dms[0].Key != want {
			env.t.Errorf("dead-letter key %q, want %q", dms[0].Key, want)
		}
		if n := env.dispatch(); n != 1 {
			env.t.Errorf("the dead-letter DM: %d sent, want 1", n)
		}
		if got := env.chat.sentTo(loopTreasurerChat); len(got) != 1 || got[0].Kind != bot.KindDeadLetter {
			env.t.Errorf("treasurer received %+v, want the dead-letter DM", got)
		}
		env.clock.Advance(2 * time.Hour)
		env.dispatch()
		if got := env.messages(loopTreasurerChat, bot.KindDeadLetter); len(got) != 1 {
			env.t.Errorf("%d dead-letter DMs later, want still 1", len(got))
		}
	}

	t.Run("TransientUntilDead", func(t *testing.T) {
		env := newLoopEnv(t)
		env.chat.failWith(loopGroupChat, func(int) error { return errors.New("connection reset") })
		id := enqueue(env)
		for i := 1; i <= store.DefaultMaxAttempts; i++ {
			if n := env.dispatch(); n != 0 {
				t.Fatalf("attempt %d: %d sent, want 0", i, n)
			}
			m := message(env, id)
			if m.Attempts != i {
				t.Fatalf("after round %d: %d attempts, want %d", i, m.Attempts, i)
			}
			if i == store.DefaultMaxAttempts {
				if m.State != store.StateDead {
					t.Fatalf("after %d attempts: state %s, want dead", i, m.State)
				}
				break
			}
			if m.State != store.StatePending {
				t.Fatalf("after attempt %d: state %s, want pending", i, m.State)
			}
			if got := env.messages(loopTreasurerChat, bot.KindDeadLetter); len(got) != 0 {
				t.Fatalf("dead-letter DM after attempt %d, want none before the message is dead", i)
			}
			// Not before its backoff.
			env.clock.Set(m.NextAttemptAt.Add(-time.Second))
			env.dispatch()
			if got := env.chat.attemptsTo(loopGroupChat); got != i {
				t.Fatalf("a second before the backoff ended: %d attempts, want %d", got, i)
			}
			env.clock.Set(m.NextAttemptAt)
		}
		if got := env.chat.attemptsTo(loopGroupChat); got != store.DefaultMaxAttempts {
			t.Errorf("the chat saw %d attempts, want %d", got, store.DefaultMaxAttempts)
		}
		checkDeadLetter(env, id)
		if got := env.chat.attemptsTo(loopGroupChat); got != store.DefaultMaxAttempts {
			t.Errorf("a dead message was tried again: %d attempts, want %d", got, store.DefaultMaxAttempts)
		}
	})

	t.Run("Permanent", func(t *testing.T) {
		env := newLoopEnv(t)
		env.chat.failWith(loopGroupChat, func(int) error { return fmt.Errorf("test: chat not found: %w", bot.ErrPermanent) })
		id := enqueue(env)
		env.dispatch()
		if m := message(env, id); m.State != store.StateDead || m.Attempts != 1 {
			t.Fatalf("after a permanent failure: %s after %d attempts, want dead after 1", m.State, m.Attempts)
		}
		checkDeadLetter(env, id)
	})

	t.Run("RetryAfter", func(t *testing.T) {
		env := newLoopEnv(t)
		env.chat.failWith(loopGroupChat, func(attempt int) error {
			if attempt == 1 {
				return &bot.RetryAfterError{After: 30 * time.Second, Err: errors.New("429 too many requests")}
			}
			return nil
		})
		id := enqueue(env)
		if n := env.dispatch(); n != 0 {
			t.Fatalf("throttled round: %d sent, want 0", n)
		}
		if m := message(env, id); m.State != store.StatePending || !m.NextAttemptAt.Equal(env.clock.Now().Add(30*time.Second)) {
			t.Errorf("throttled message %s, next attempt %s; want pending until %s", m.State, m.NextAttemptAt, env.clock.Now().Add(30*time.Second))
		}
		env.clock.Advance(29 * time.Second)
		if n := env.dispatch(); n != 0 || env.chat.attemptsTo(loopGroupChat) != 1 {
			t.Errorf("29 s later: %d sent, %d attempts; want 0 sent, 1 attempt", n, env.chat.attemptsTo(loopGroupChat))
		}
		env.clock.Advance(2 * time.Second)
		if n := env.dispatch(); n != 1 {
			t.Errorf("31 s later: %d sent, want 1", n)
		}
		if m := message(env, id); m.State != store.StateSent {
			t.Errorf("state %s, want sent", m.State)
		}
		if got := env.messages(loopTreasurerChat, ""); len(got) != 0 {
			t.Errorf("treasurer told %q about a throttled message, want nothing", loopTexts(got))
		}
	})
}

// TestLoopRequestStatus: a status request syncs first when the last sync is
// older than a minute, so a deposit made a moment ago shows; within a minute
// it answers from what is stored without calling the bank.
func TestLoopRequestStatus(t *testing.T) {
	env := newLoopEnv(t)
	env.link()
	env.mustSync()
	env.clock.Advance(2 * time.Minute)
	env.deposit("김민수", 30000)
	env.clock.Advance(10 * time.Second)

	board := func(requestID string) string {
		t.Helper()
		key := "board/" + env.group.ID + "/" + requestID + "/test:group"
		for _, m := range env.messages(loopGroupChat, bot.KindBoard) {
			if m.Key == key {
				return m.Text
			}
		}
		t.Fatalf("no board message with key %q", key)
		return ""
	}

	before := env.simCalls(testbed.APITransactionList)
	if err := env.eng.RequestStatus(env.ctx, env.group.ID, loopGroupChat, "r1"); err != nil {
		t.Fatal(err)
	}
	if got := env.simCalls(testbed.APITransactionList) - before; got != 1 {
		t.Errorf("status request 2 minutes after the last sync made %d calls, want 1", got)
	}
	if text := board("r1"); !strings.Contains(text, "✅ 완납 1명: 김민수") {
		t.Errorf("board %q, want \"✅ 완납 1명: 김민수\" (the deposit of a moment ago)", text)
	}

	env.clock.Advance(30 * time.Second)
	env.deposit("이지은", 30000)
	env.clock.Advance(10 * time.Second)
	before = env.simCalls(testbed.APITransactionList)
	if err := env.eng.RequestStatus(env.ctx, env.group.ID, loopGroupChat, "r2"); err != nil {
		t.Fatal(err)
	}
	if got := env.simCalls(testbed.APITransactionList) - before; got != 0 {
		t.Errorf("status request 40 s after the last sync made %d calls, want 0", got)
	}
	if text := board("r2"); !strings.Contains(text, "✅ 완납 1명: 김민수") {
		t.Errorf("board %q, want the stored standing \"✅ 완납 1명: 김민수\"", text)
	}
	// The same request again (a redelivered chat update) queues nothing new.
	n := len(env.messages(loopGroupChat, bot.KindBoard))
	if err := env.eng.RequestStatus(env.ctx, env.group.ID, loopGroupChat, "r2"); err != nil {
		t.Fatal(err)
	}
	if got := len(env.messages(loopGroupChat, bot.KindBoard)); got != n {
		t.Errorf("%d boards after a repeated request, want %d", got, n)
	}
}

// TestLoopDuesMonth: the month a chat cares about is the one whose due day
// (its middle, 12:00 KST) is nearest, the later one on a tie.
func TestLoopDuesMonth(t *testing.T) {
	utc := func(y int, m time.Month, d, hh, mm, ss int) time.Time {
		return time.Date(y, m, d, hh, mm, ss, 0, time.UTC)
	}
	for _, tc := range []struct {
		name   string
		dueDay int
		t      time.Time
		want   ledger.Period
	}{
		// A month stays the chat's month until 7 days after its due day
		// (the whole due day counted), then the next due month is.
		{"Due25/Nov24", 25, loopKST(2026, 11, 24, 21, 0, 0), ledger.NewPeriod(2026, 11)},
		{"Due25/Nov25Evening", 25, loopKST(2026, 11, 25, 23, 59, 0), ledger.NewPeriod(2026, 11)},
		{"Due25/Nov28Late", 25, loopKST(2026, 11, 28, 10, 0, 0), ledger.NewPeriod(2026, 11)},
		{"Due25/Dec2LastGraceDay", 25, loopKST(2026, 12, 2, 23, 59, 59), ledger.NewPeriod(2026, 11)},
		{"Due25/Dec3", 25, loopKST(2026, 12, 3, 0, 0, 0), ledger.NewPeriod(2026, 12)},
		{"Due25/Dec5", 25, loopKST(2026, 12, 5, 10, 0, 0), ledger.NewPeriod(2026, 12)},
		{"Due25/Nov9", 25, loopKST(2026, 11, 9, 23, 59, 59), ledger.NewPeriod(2026, 11)},
		{"Due25/Nov2GraceOfOctober", 25, loopKST(2026, 11, 1, 23, 59, 59), ledger.NewPeriod(2026, 10)},
		{"Due1/Oct30", 1, loopKST(2026, 10, 30, 12, 0, 0), ledger.NewPeriod(2026, 11)},
		{"Due1/Nov1", 1, loopKST(2026, 11, 1, 9, 0, 0), ledger.NewPeriod(2026, 11)},
		{"Due1/Nov8LastGraceDay", 1, loopKST(2026, 11, 8, 23, 59, 59), ledger.NewPeriod(2026, 11)},
		{"Due1/Nov9", 1, loopKST(2026, 11, 9, 0, 0, 0), ledger.NewPeriod(2026, 12)},
		// The same instants given in UTC are read in KST.
		{"Due1/UTCNov8KST", 1, utc(2026, 11, 8, 14, 59, 59), ledger.NewPeriod(2026, 11)},
		{"Due1/UTCNov9KST", 1, utc(2026, 11, 8, 15, 0, 0), ledger.NewPeriod(2026, 12)},
		// Dues on the 31st fall on Feb 28 in 2027 and Feb 29 in 2028.
		{"Due31/Feb1", 31, loopKST(2027, 2, 1, 9, 0, 0), ledger.NewPeriod(2027, 1)},
		{"Due31/Feb7LastGraceDay", 31, loopKST(2027, 2, 7, 23, 59, 59), ledger.NewPeriod(2027, 1)},
		{"Due31/Feb8", 31, loopKST(2027, 2, 8, 0, 0, 0), ledger.NewPeriod(2027, 2)},
		{"Due31/Feb28", 31, loopKST(2027, 2, 28, 20, 0, 0), ledger.NewPeriod(2027, 2)},
		{"Due31/Mar7", 31, loopKST(2027, 3, 7, 23, 59, 59), ledger.NewPeriod(2027, 2)},
		{"Due31/Mar8", 31, loopKST(2027, 3, 8, 0, 0, 0), ledger.NewPeriod(2027, 3)},
		{"Due31/LeapFeb29", 31, loopKST(2028, 2, 29, 10, 0, 0), ledger.NewPeriod(2028, 2)},
		{"Due31/LeapMar1", 31, loopKST(2028, 3, 1, 10, 0, 0), ledger.NewPeriod(2028, 2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := duesMonth(tc.dueDay, tc.t); got != tc.want {
				t.Errorf("duesMonth(%d, %s) = %s, want %s", tc.dueDay, tc.t.In(ledger.KST()).Format(time.DateTime), got, tc.want)
			}
		})
	}
}

// TestLoopLinkTakenByAnotherGroup: a bank account linked to one group
// cannot be linked to another; linking it again to its own group keeps the
// account.
func TestLoopLinkTakenByAnotherGroup(t *testing.T) {
	env := newLoopEnv(t)
	first := env.link()
	other := testGroup(ledger.MonthOf(env.clock.Now()), bot.Korean)
	other.Name = "등산모임"
	g2, err := env.db.PutGroup(env.ctx, "test", other)
	if err != nil {
		t.Fatal(err)
	}
	consent := func(ctx context.Context, authURL string) (*url.URL, error) {
		return testbed.Consent(ctx, env.srv.Client(), authURL, env.party.User.UserSeqNo, []string{testbed.DemoGroupAccountID}, true)
	}
	if _, err := LinkAccount(env.ctx, env.db, env.client, g2.ID, "test", consent, nil); err == nil || !strings.Contains(err.Error(), "already linked to another group") {
		t.Errorf("linking another group's account: err = %v", err)
	}
	if again := env.link(); again.ID != first.ID {
		t.Errorf("linking again made account %s, want %s", again.ID, first.ID)
	}
}

// TestLoopReminderExpires: a reminder queued at 10:00 that the chat does
// not take until the grace period is over is dropped, not posted stale, and
// the treasurer gets no dead letter for it.
func TestLoopReminderExpires(t *testing.T) {
	env := newLoopEnv(t)
	dMinus3 := loopKST(2026, 11, 22, 10, 0, 0)
	env.clock.Set(dMinus3)
	if n, err := env.eng.RunReminders(env.ctx, dMinus3); err != nil || n != 1 {
		t.Fatalf("runReminders = %d, %v; want 1", n, err)
	}
	// moimbot is down (or the chat is) until 17:00.
	env.clock.Set(dMinus3.Add(7 * time.Hour))
	if sent := env.dispatch(); sent != 0 {
		t.Errorf("%d messages sent, want the stale reminder dropped", sent)
	}
	ms := env.messages(loopGroupChat, bot.KindReminder)
	if len(ms) != 1 || ms[0].State != store.StateDead || ms[0].LastError != "expired before delivery" {
		t.Fatalf("reminder = %+v, want dead as expired", ms)
	}
	if got := env.messages(loopTreasurerChat, bot.KindDeadLetter); len(got) != 0 {
		t.Errorf("%d dead letters for an expired reminder, want none", len(got))
	}
}

// TestLoopStatusRespectsCallBudget: once an account's month has used its
// call budget, a status request answers from what is stored without a call.
func TestLoopStatusRespectsCallBudget(t *testing.T) {
	env := newLoopEnv(t)
	env.link()
	env.mustSync()
	if err := env.db.AddCalls(env.ctx, env.acct.ID, ledger.MonthOf(env.clock.Now()), statusCallBudget); err != nil {
		t.Fatal(err)
	}
	env.clock.Advance(2 * time.Minute)
	env.sim.ResetStats()
	if err := env.eng.RequestStatus(env.ctx, env.group.ID, loopGroupChat, "r1"); err != nil {
		t.Fatal(err)
	}
	if n := env.simCalls(testbed.APITransactionList); n != 0 {
		t.Errorf("%d calls over budget, want 0", n)
	}
	if got := env.messages(loopGroupChat, bot.KindBoard); len(got) != 1 {
		t.Errorf("%d boards, want the board from stored data", len(got))
	}
}

// TestLoopResavesUnsavedPair: a refreshed pair the store lost (its save
// failed) is saved again by the next pass, so a restart does not bring back
// a refresh token the bank has retired.
func TestLoopResavesUnsavedPair(t *testing.T) {
	env := newLoopEnv(t)
	env.link()
	old := env.token()
	env.clock.Advance(70 * 24 * time.Hour) // inside the early-refresh margin
	env.mustSync()
	refreshed := env.token()
	if refreshed.AccessToken == old.AccessToken {
		t.Fatal("the pass did not refresh")
	}
	// As if that save had failed: the store still holds the retired pair.
	if err := env.db.PutToken(env.ctx, env.acct.TokenName, old); err != nil {
		t.Fatal(err)
	}
	env.clock.Advance(time.Minute)
	env.mustSync()
	if got := env.token(); got.AccessToken != refreshed.AccessToken || got.RefreshToken != refreshed.RefreshToken {
		t.Error("the pass did not save the session's newer pair again")
	}
}

// TestLoopDueDayChangeReschedules: changing a group's due day while moimbot
// runs remakes its accounts' poll entries on the new day's schedule.
func TestLoopDueDayChangeReschedules(t *testing.T) {
	env := newLoopEnv(t)
	env.link()
	c := cron.New(cron.WithLocation(seoul()))
	ctx, cancel := context.WithCancel(env.ctx)
	defer func() {
		cancel()
		env.eng.extra.Wait()
	}()
	env.eng.mu.Lock()
	env.eng.cron, env.eng.entries, env.eng.retrying = c, map[string]pollEntry{}, map[string]bool{}
	env.eng.mu.Unlock()
	if err := env.eng.refreshEntries(ctx); err != nil {
		t.Fatal(err)
	}
	first := env.eng.entries[env.acct.ID]
	g, err := env.db.Group(env.ctx, env.group.ID)
	if err != nil {
		t.Fatal(err)
	}
	g.Dues.Day = 10
	if _, err := env.db.PutGroup(env.ctx, "test", g); err != nil {
		t.Fatal(err)
	}
	if err := env.eng.refreshEntries(ctx); err != nil {
		t.Fatal(err)
	}
	env.eng.mu.Lock()
	got := env.eng.entries[env.acct.ID]
	n := len(c.Entries())
	env.eng.mu.Unlock()
	if got.dueDay != 10 || got.sched != (bot.PollSchedule{DueDay: 10}) || got.id == first.id {
		t.Errorf("entry after the change = %+v (was %+v), want a new entry on due day 10", got, first)
	}
	if n != 1 {
		t.Errorf("%d cron entries, want the old one removed", n)
	}
}
