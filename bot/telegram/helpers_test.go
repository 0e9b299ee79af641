package telegram_test

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/bot/telegram"
	"github.com/moimbot/moimbot/bot/telegram/telegramtest"
)

// Fixed ids used across the tests.
const (
	aliceID = int64(1001) // has started the bot
	bobID   = int64(1002) // has started the bot
	carolID = int64(1003) // has not
	groupID = int64(-4001)
	superID = int64(-1001234567890)
)

// newServer returns a fake Bot API server with Alice, Bob, Carol, a basic
// group and a supergroup.
func newServer(t testing.TB, opts ...telegramtest.Option) *telegramtest.Server {
	t.Helper()
	srv := telegramtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	srv.AddUser(telegramtest.User{ID: aliceID, FirstName: "Alice", LastName: "Kim", Username: "alice"})
	srv.AddUser(telegramtest.User{ID: bobID, FirstName: "Bob"})
	srv.AddUser(telegramtest.User{ID: carolID, FirstName: "Carol"})
	for _, id := range []int64{aliceID, bobID} {
		if err := srv.SetStarted(id, true); err != nil {
			t.Fatal(err)
		}
	}
	srv.AddGroup(groupID, "Old moim")
	srv.AddSupergroup(superID, "Moim")
	return srv
}

// noLimits turns the adapter's pacing off, for tests about other things.
var noLimits = telegram.Limits{ChatInterval: -1, GroupPerMinute: -1, GlobalPerSecond: -1}

// newAdapter returns an adapter talking to srv, with pacing off and a
// 2-second poll; edit adjusts the config first.
func newAdapter(t testing.TB, srv *telegramtest.Server, h bot.Handler, edit ...func(*telegram.Config)) *telegram.Adapter {
	t.Helper()
	cfg := telegram.Config{
		Token:       srv.Token,
		APIURL:      srv.URL,
		Handler:     h,
		Log:         testLogger(t),
		PollTimeout: telegram.MinPollTimeout,
		Limits:      noLimits,
	}
	for _, e := range edit {
		e(&cfg)
	}
	a, err := telegram.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// testLogger logs to the test's output.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p))
	return len(p), nil
}

// run runs a.Run until the test ends, and checks that it returns nil then.
// It returns once the adapter is polling (in long-polling mode).
func run(t *testing.T, srv *telegramtest.Server, a *telegram.Adapter, webhook bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		runReturned(t, done)
	})
	if webhook {
		// Run is running once it has set the commands.
		if _, err := srv.WaitN(testCtx(t), 4, method("setMyCommands")); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err := srv.WaitPolling(testCtx(t)); err != nil {
		t.Fatal(err)
	}
}

// runReturned waits for Run, whose result done carries, to return nil
// (up to 10 s).
func runReturned(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("Run did not return")
	}
}

// testCtx returns a context that ends with the test or after 10 seconds.
func testCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// method matches the calls of a Bot API method.
func method(name string) func(telegramtest.Call) bool {
	return func(c telegramtest.Call) bool { return c.Method == name }
}

// recorder is a Handler that passes updates to a channel and answers taps
// with notice.
type recorder struct {
	updates chan bot.Update
	notice  string
}

func newRecorder() *recorder { return &recorder{updates: make(chan bot.Update, 1024)} }

func (r *recorder) HandleUpdate(_ context.Context, u bot.Update) string {
	r.updates <- u
	if u.Tap != nil {
		return r.notice
	}
	return ""
}

// next returns the next update handled, failing the test after 10 s.
func (r *recorder) next(t *testing.T) bot.Update {
	t.Helper()
	select {
	case u := <-r.updates:
		return u
	case <-time.After(10 * time.Second):
		t.Fatal("no update reached the handler")
		return bot.Update{}
	}
}

// ref is the ChatRef of a Telegram chat id.
func ref(id int64) bot.ChatRef {
	return bot.ChatRef{Platform: "telegram", ID: strconv.FormatInt(id, 10)}
}

// slogTo returns a logger writing text to b, guarded by mu.
func slogTo(mu *sync.Mutex, b *strings.Builder) *slog.Logger {
	return slog.New(slog.NewTextHandler(lockedWriter{mu, b}, nil))
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// isPermanent reports whether err wraps bot.ErrPermanent.
func isPermanent(err error) bool { return errors.Is(err, bot.ErrPermanent) }
