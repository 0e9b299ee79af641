package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/openbanking"
	"github.com/moimbot/moimbot/openbanking/testbed"
	"github.com/moimbot/moimbot/store"
)

// connChat is a chat adapter that says whether it is connected.
type connChat struct {
	*loopChat
	up atomic.Bool
}

func (c *connChat) Connected() bool { return c.up.Load() }

// never is a poll schedule that never comes: the tests poll by hand.
type never struct{}

func (never) Next(t time.Time) time.Time { return t.AddDate(100, 0, 0) }

// probe asks h for path and returns the status and the body.
func probe(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Result().Body)
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("%s: Content-Type %q, want text/plain", path, ct)
	}
	return rec.Code, strings.TrimSpace(string(body))
}

// TestReadyz walks an engine through the states /readyz tells apart: not
// started, a chat not connected, an account failing for less and for more
// than PollFailTolerance, and recovered. /healthz stays 200 throughout,
// and both fail once the database is closed.
func TestReadyz(t *testing.T) {
	env := newLoopEnv(t)
	chat := &connChat{loopChat: env.chat}
	env.eng = New(Config{DB: env.db, Client: env.client, Calls: env.calls, Now: env.now,
		Chats: map[string]bot.Chat{"test": chat}, Plan: func(store.Group) cron.Schedule { return never{} }})
	env.link()
	h := env.eng.HTTPHealth()

	type want struct {
		status int
		body   string // a line of the body
	}
	check := func(step string, ready, alive want) {
		t.Helper()
		if code, body := probe(t, h, "/readyz"); code != ready.status || !strings.Contains(body, ready.body) {
			t.Errorf("%s: /readyz = %d %q, want %d with %q", step, code, body, ready.status, ready.body)
		}
		if code, body := probe(t, h, "/healthz"); code != alive.status || !strings.Contains(body, alive.body) {
			t.Errorf("%s: /healthz = %d %q, want %d with %q", step, code, body, alive.status, alive.body)
		}
	}
	ok := want{http.StatusOK, "ok"}
	check("before Start", want{503, "engine: not started"}, ok)

	// The bank fails every call until told otherwise.
	if err := env.sim.InjectFault(testbed.Fault{API: testbed.APITransactionList, RspCode: openbanking.CodeInternal, Count: 1000}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(env.ctx)
	wait, err := env.eng.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); wait() }()
	check("started, chat not connected", want{503, "chat test: not connected"}, ok)
	chat.up.Store(true)

	// Start polled the account once on its own; this pass fails too, or
	// backs off after that one: either way the streak began now.
	env.eng.Poll(env.ctx, env.acct.ID)
	check("failing for a moment", want{200, "ready"}, ok)
	env.clock.Advance(PollFailTolerance - time.Minute)
	env.eng.Poll(env.ctx, env.acct.ID)
	check("failing within the tolerance", want{200, "ready"}, ok)
	env.clock.Advance(2 * time.Minute)
	check("failing for longer", want{503, "polls: 1 account(s) failing for over 1h0m0s: " + env.acct.ID}, ok)

	env.sim.ClearFaults()
	env.clock.Advance(backoffMax)
	env.eng.Poll(env.ctx, env.acct.ID)
	check("recovered", want{200, "ready"}, ok)

	env.db.Close()
	check("database closed", want{503, "database: "}, want{503, "database: "})
}

// TestReadyzNoChat: an engine without any chat platform is not ready.
func TestReadyzNoChat(t *testing.T) {
	env := newLoopEnv(t)
	eng := New(Config{DB: env.db, Client: env.client, Calls: env.calls, Now: env.now})
	ctx, cancel := context.WithCancel(env.ctx)
	wait, err := eng.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); wait() }()
	if got := eng.Ready(env.ctx); len(got) != 1 || got[0] != "chat: no platform configured" {
		t.Errorf("Ready = %q, want the missing platform", got)
	}
}

// TestPollHealth: which outcomes start, keep and end a failing streak.
func TestPollHealth(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 21, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		outcomes []string
		want     bool // failing since t0 at the end
	}{
		{"Failed", []string{pollFailed}, true},
		{"FailedThenBackoff", []string{pollFailed, pollBackoff, pollMaintenance, pollCancelled, pollFailed}, true},
		{"Recovered", []string{pollFailed, pollOK}, false},
		{"Relink", []string{pollFailed, pollRelink}, false},
		{"SkipsAlone", []string{pollBackoff, pollMaintenance}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h pollHealth
			for i, o := range tt.outcomes {
				h.record("a1", o, t0.Add(time.Duration(i)*time.Minute))
			}
			got := len(h.failingSince(t0.Add(time.Second))) == 1
			if got != tt.want {
				t.Errorf("failing since %v = %v, want %v", t0, got, tt.want)
			}
		})
	}
}
