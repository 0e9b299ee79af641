package server

import (
	"context"
	"errors"
	"fmt"
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
	"github.com/moimbot/moimbot/bot/console"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/openbanking"
	"github.com/moimbot/moimbot/openbanking/testbed"
	"github.com/moimbot/moimbot/store"
)

// e2eEvery is a sub-second poll schedule, so the end-to-end test runs the
// real cron scheduler without waiting minutes for a poll.
type e2eEvery struct{ d time.Duration }

func (s e2eEvery) Next(t time.Time) time.Time { return t.Add(s.d) }

// e2eCount counts sub in what the console chat printed so far.
func e2eCount(screen *syncBuffer, sub string) int { return strings.Count(screen.String(), sub) }

// e2eFlakyChat is the console chat behind a switch that makes every send
// fail, as a chat service that is down would.
type e2eFlakyChat struct {
	*console.Chat
	mu   sync.Mutex
	down bool
}

func (c *e2eFlakyChat) Send(ctx context.Context, m bot.Message) error {
	c.mu.Lock()
	down := c.down
	c.mu.Unlock()
	if down {
		return errors.New("chat service unavailable")
	}
	return c.Chat.Send(ctx, m)
}

// e2eRig is one run of moimbot: a database opened from path and an engine
// started on the cron scheduler, against a simulator that outlives it.
type e2eRig struct {
	db   *store.DB
	eng  *Engine
	chat *e2eFlakyChat
	stop func()
}

func e2eStart(t *testing.T, clock *testbed.Clock, srvURL string, party testbed.Demo, path string, key *store.Cipher, screen *syncBuffer, down bool) *e2eRig {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	db, err := store.Open(ctx, path, store.Options{Cipher: key, NoSync: true, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	client, calls, err := NewBankClient(openbanking.Config{BaseURL: srvURL, ClientID: party.Institution.ClientID,
		ClientSecret: party.Institution.ClientSecret, ClientUseCode: party.Institution.ClientUseCode,
		RedirectURI: e2eCallback, Sequence: db, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	chat := &e2eFlakyChat{Chat: console.New(screen, console.Options{}), down: down}
	eng := New(Config{DB: db, Client: client, Calls: calls, Chats: map[string]bot.Chat{"console": chat}, Now: clock.Now,
		Idle: 20 * time.Millisecond, Plan: func(store.Group) cron.Schedule { return e2eEvery{150 * time.Millisecond} }})
	r := &e2eRig{db: db, eng: eng, chat: chat}
	wait, err := eng.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.stop = func() {
		cancel()
		wait()
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	}
	return r
}

const e2eCallback = "http://127.0.0.1/oauth/callback"

// e2eWaitFor waits until cond holds, failing the test after 20 s.
func e2eWaitFor(t *testing.T, what string, cond func() bool, screen *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; the chat shows:\n%s", what, screen)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// e2ePost posts a deposit through the simulator's admin API over HTTP, as
// a bank records it.
func e2ePost(t *testing.T, srvURL, text string, amount int64) {
	t.Helper()
	body := fmt.Sprintf(`{"inout_type":"입금","print_content":%q,"amount":%d}`, text, amount)
	resp, err := http.Post(srvURL+"/testbed/accounts/"+testbed.DemoGroupAccountID+"/transactions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		t.Fatalf("post deposit: %s", resp.Status)
	}
}

// TestEndToEnd runs moimbot as it runs in production, in-process: the KFTC
// simulator over loopback, a bbolt file, the engine on the real cron
// scheduler and the console chat adapter. A deposit posted through the
// simulator's admin API becomes exactly one notice; a status request shows
// the member as paid; and restarts — one between polls, one while the chat
// service is down with a notice still queued — lose nothing and duplicate
// nothing.
func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	// The engine runs on the real cron scheduler, so the clock runs in real
	// time, from a fixed afternoon: no reminder is due then, the bank's
	// maintenance window is hours away, and the test means the same on any
	// day at any hour.
	clock := testbed.NewRealClock()
	clock.Set(time.Date(2026, time.November, 12, 14, 0, 0, 0, ledger.KST()))
	sim := testbed.New(testbed.Config{Clock: clock, RateLimit: -1, NoMaintenance: true})
	party, err := testbed.SeedDemoAccounts(sim, []string{e2eCallback})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "moimbot.db")
	key, err := store.ParseKey(store.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	screen := &syncBuffer{}

	// Set up the group and link its account before the first start.
	db, err := store.Open(ctx, path, store.Options{Cipher: key, NoSync: true, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	client, _, err := NewBankClient(openbanking.Config{BaseURL: srv.URL, ClientID: party.Institution.ClientID,
		ClientSecret: party.Institution.ClientSecret, ClientUseCode: party.Institution.ClientUseCode, RedirectURI: e2eCallback, Sequence: db, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	g, err := db.PutGroup(ctx, "test", testGroup(ledger.MonthOf(clock.Now().In(ledger.KST())), bot.Korean))
	if err != nil {
		t.Fatal(err)
	}
	consent := func(ctx context.Context, authURL string) (*url.URL, error) {
		return testbed.Consent(ctx, srv.Client(), authURL, party.User.UserSeqNo, []string{testbed.DemoGroupAccountID}, true)
	}
	acct, err := LinkAccount(ctx, db, client, g.ID, "test", consent, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	polls := func(r *e2eRig) int64 { return r.eng.sync.calls.total.Load() }
	// settle waits for a few more polls and an empty outbox, so that a
	// duplicate would have had every chance to appear.
	settle := func(r *e2eRig) {
		t.Helper()
		n := polls(r)
		e2eWaitFor(t, "three more polls", func() bool { return polls(r) >= n+3 }, screen)
		e2eWaitFor(t, "an empty outbox", func() bool {
			open, err := r.db.Messages(ctx, store.StatePending)
			sending, err2 := r.db.Messages(ctx, store.StateSending)
			return err == nil && err2 == nil && len(open)+len(sending) == 0
		}, screen)
	}

	// 1. A deposit becomes exactly one notice.
	r := e2eStart(t, clock, srv.URL, party, path, key, screen, false)
	e2eWaitFor(t, "the first poll", func() bool { return polls(r) > 0 }, screen)
	e2ePost(t, srv.URL, "김민수", 30000)
	const kim = "💰 김민수님 30,000원 입금 — "
	e2eWaitFor(t, "김민수's notice", func() bool { return e2eCount(screen, kim) > 0 }, screen)
	settle(r)
	if got := e2eCount(screen, kim); got != 1 {
		t.Errorf("김민수's notice printed %d times, want 1", got)
	}

	// 2. A status request shows him as paid.
	if err := r.eng.RequestStatus(ctx, g.ID, testGroupChat, "req-1"); err != nil {
		t.Fatal(err)
	}
	e2eWaitFor(t, "the status board", func() bool { return e2eCount(screen, "📋 독서모임") > 0 }, screen)
	if !strings.Contains(screen.String(), "✅ 완납 1명: 김민수") {
		t.Errorf("the board does not show 김민수 as paid:\n%s", screen)
	}

	// 3. A restart with a deposit made while moimbot was down.
	r.stop()
	e2ePost(t, srv.URL, "이지은", 30000)
	r = e2eStart(t, clock, srv.URL, party, path, key, screen, false)
	const lee = "💰 이지은님 30,000원 입금 — "
	e2eWaitFor(t, "이지은's notice", func() bool { return e2eCount(screen, lee) > 0 }, screen)
	settle(r)

	// 4. The chat service goes down: the notice is stored and retried, and
	// survives a restart; it is delivered once when the chat is back.
	r.chat.mu.Lock()
	r.chat.down = true
	r.chat.mu.Unlock()
	e2ePost(t, srv.URL, "박서준", 30000)
	e2eWaitFor(t, "a failed delivery attempt", func() bool {
		ms, err := r.db.Messages(ctx, 0)
		if err != nil {
			return false
		}
		for _, m := range ms {
			if m.Kind == bot.KindDeposit && m.Attempts > 0 && m.LastError != "" {
				return true
			}
		}
		return false
	}, screen)
	r.stop()
	r = e2eStart(t, clock, srv.URL, party, path, key, screen, false)
	// The failed attempt set a backoff (30 s); move it forward rather than
	// wait, as an operator's `requeue` would.
	pending, err := r.db.Messages(ctx, store.StatePending)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 {
		t.Fatalf("%d pending messages after the restart, want the one undelivered notice", len(pending))
	}
	r.stop()
	e2eDue(t, clock, path, key, pending[0].ID)
	r = e2eStart(t, clock, srv.URL, party, path, key, screen, false)
	const park = "💰 박서준님 30,000원 입금 — "
	e2eWaitFor(t, "박서준's notice", func() bool { return e2eCount(screen, park) > 0 }, screen)
	settle(r)
	defer r.stop()

	for _, tt := range []struct {
		text string
		want int
	}{{kim, 1}, {lee, 1}, {park, 1}, {"📋 독서모임", 1}} {
		if got := e2eCount(screen, tt.text); got != tt.want {
			t.Errorf("%q printed %d times, want %d", tt.text, got, tt.want)
		}
	}
	deps, err := r.db.Deposits(ctx, acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(deps), 3; got != want {
		t.Errorf("stored %d deposits, want %d", got, want)
	}
	if err := r.db.Check(ctx); err != nil {
		t.Error(err)
	}
	counts, err := r.db.CallCounts(ctx, acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) == 0 || counts[0].Calls == 0 {
		t.Errorf("call counts %+v, want the polls counted", counts)
	}
}

// e2eDue makes an outbox message due now by failing it once more with no
// wait, on the stopped database, so the test need not sit out the backoff.
func e2eDue(t *testing.T, clock *testbed.Clock, path string, key *store.Cipher, id uint64) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{Cipher: key, NoSync: true, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m, err := db.Message(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	claimed, err := db.Claim(ctx, m.NextAttemptAt, 10)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim %d: %v, %v", id, claimed, err)
	}
	if _, err := db.MarkFailed(ctx, id, time.Nanosecond, "test: due now"); err != nil {
		t.Fatal(err)
	}
}
