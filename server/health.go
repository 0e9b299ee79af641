package server

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Health and readiness.
//
//	GET /healthz   200 "ok" while the process runs and its database answers a
//	               read; 503 otherwise
//	GET /readyz    200 "ready" when, besides, the engine has started, every
//	               chat adapter is connected, and no linked account's sync
//	               passes have been failing for longer than
//	               PollFailTolerance; 503 with one line per failing part
//	               otherwise
//
// A chat adapter tells whether it is connected by implementing
// Connected() bool; one that does not is taken as connected.

// PollFailTolerance is how long an account's sync passes may keep failing
// before /readyz reports it: the longest wait of the passes' backoff, by
// when a transient fault has had several retries. Skipped passes
// (maintenance, backoff) neither start nor end a streak; a broken link is
// the treasurer's to fix, not a failure here.
const PollFailTolerance = backoffMax

// healthTimeout bounds the database read of a health check.
const healthTimeout = 2 * time.Second

// connector is a chat adapter that knows whether it is connected to its
// platform.
type connector interface {
	Connected() bool
}

// pollHealth tracks, per account, since when its sync passes have been
// failing.
type pollHealth struct {
	mu      sync.Mutex
	failing map[string]time.Time // account id → the first failure of the streak
}

// record notes the outcome of a pass of account id that started at start.
func (h *pollHealth) record(id, outcome string, start time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch outcome {
	case pollOK, pollRelink:
		delete(h.failing, id)
	case pollFailed:
		if h.failing == nil {
			h.failing = make(map[string]time.Time)
		}
		if since, ok := h.failing[id]; !ok || start.Before(since) {
			h.failing[id] = start
		}
	}
}

// failingSince returns the accounts failing since before cutoff, sorted.
func (h *pollHealth) failingSince(cutoff time.Time) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ids []string
	for id, since := range h.failing {
		if since.Before(cutoff) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// passDone records a sync pass that started at start, for the metrics and
// readiness.
func (e *Engine) passDone(ctx context.Context, accountID string, start time.Time, res SyncResult, err error) {
	outcome := passOutcome(ctx, err)
	e.metrics.passDone(res, outcome)
	e.health.record(accountID, outcome, start)
}

// Alive reports whether the engine's database answers a read.
func (e *Engine) Alive(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	// Any read will do: this one is a single key lookup.
	if _, err := e.db.LastRun(ctx, "healthz"); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	return nil
}

// Ready returns what keeps the engine from being ready, one line per
// failing part (see HTTPHealth); none when it is ready.
func (e *Engine) Ready(ctx context.Context) []string {
	var problems []string
	if err := e.Alive(ctx); err != nil {
		problems = append(problems, err.Error())
	}
	// Only accounts still polled count: one unlinked meanwhile is gone.
	failing := e.health.failingSince(e.now().Add(-PollFailTolerance))
	e.mu.Lock()
	started := e.cron != nil
	failing = slices.DeleteFunc(failing, func(id string) bool { _, ok := e.entries[id]; return !ok })
	e.mu.Unlock()
	if !started {
		problems = append(problems, "engine: not started")
	}

	platforms := slices.Sorted(maps.Keys(e.chats))
	if len(platforms) == 0 {
		problems = append(problems, "chat: no platform configured")
	}
	for _, p := range platforms {
		if cc, ok := e.chats[p].(connector); ok && !cc.Connected() {
			problems = append(problems, "chat "+p+": not connected")
		}
	}

	if len(failing) > 0 {
		shown := failing[:min(len(failing), 5)]
		more := ""
		if len(failing) > len(shown) {
			more = fmt.Sprintf(" and %d more", len(failing)-len(shown))
		}
		problems = append(problems, fmt.Sprintf("polls: %d account(s) failing for over %v: %s%s",
			len(failing), PollFailTolerance, strings.Join(shown, ", "), more))
	}
	return problems
}

// HTTPHealth serves GET /healthz and GET /readyz (see Alive and Ready) in
// plain text.
func (e *Engine) HTTPHealth() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := e.Alive(r.Context()); err != nil {
			plain(w, http.StatusServiceUnavailable, err.Error())
			return
		}
		plain(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if problems := e.Ready(r.Context()); len(problems) > 0 {
			plain(w, http.StatusServiceUnavailable, strings.Join(problems, "\n"))
			return
		}
		plain(w, http.StatusOK, "ready")
	})
	return mux
}

// plain writes a short plain-text answer that no cache keeps.
func plain(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintln(w, text)
}
