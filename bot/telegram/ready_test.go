package telegram_test

import (
	"context"
	"testing"
	"time"

	"github.com/moimbot/moimbot/bot/telegram/telegramtest"
)

// TestConnected: the adapter is not connected before Run, nor while a
// failed startup call waits for its retry; it is once it polls, and no
// longer after Run returned.
func TestConnected(t *testing.T) {
	srv := newServer(t)
	a := newAdapter(t, srv, newRecorder())
	if a.Connected() {
		t.Error("Connected before Run = true, want false")
	}
	srv.Fail("getMe", 1, 502, "Bad Gateway")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()

	// The first getMe failed: Run waits a second before the next one.
	if _, err := srv.WaitFor(testCtx(t), func(c telegramtest.Call) bool { return c.Method == "getMe" && c.ErrorCode == 502 }); err != nil {
		t.Fatal(err)
	}
	if a.Connected() {
		t.Error("Connected while getMe is being retried = true, want false")
	}
	if err := srv.WaitPolling(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if !a.Connected() {
		t.Error("Connected while polling = false, want true")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if a.Connected() {
		t.Error("Connected after Run returned = true, want false")
	}
}
