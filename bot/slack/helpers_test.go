package slack_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/bot/slack"
	"github.com/moimbot/moimbot/bot/slack/slacktest"
)

// Fixed ids used across the tests.
const (
	alice    = "U0ALICE001" // a workspace member
	bob      = "U0BOB00001" // a workspace member
	carol    = "U0CAROL001" // deactivated
	moim     = "C0MOIM0001" // the group's channel, the bot is in it
	archived = "C0OLD00001" // archived
	outside  = "C0OUT00001" // the bot is not in it
)

// newServer returns a fake Slack with Alice, Bob, Carol (deactivated), the
// group's channel, an archived channel and one the bot is not in.
func newServer(t testing.TB, opts ...slacktest.Option) *slacktest.Server {
	t.Helper()
	srv := slacktest.NewServer(opts...)
	t.Cleanup(srv.Close)
	srv.AddUser(slacktest.User{ID: alice, Name: "alice"})
	srv.AddUser(slacktest.User{ID: bob, Name: "bob"})
	srv.AddUser(slacktest.User{ID: carol, Name: "carol", Deleted: true})
	srv.AddChannel(slacktest.Channel{ID: moim, Name: "moim"})
	srv.AddChannel(slacktest.Channel{ID: archived, Name: "old", Archived: true})
	srv.AddChannel(slacktest.Channel{ID: outside, Name: "random", NotMember: true})
	return srv
}

// noLimits turns the adapter's pacing off, for tests about other things.
var noLimits = slack.Limits{ChannelInterval: -1}

// newAdapter returns a Socket Mode adapter talking to srv with pacing off;
// edit adjusts the config first.
func newAdapter(t testing.TB, srv *slacktest.Server, h bot.Handler, edit ...func(*slack.Config)) *slack.Adapter {
	t.Helper()
	cfg := slack.Config{
		BotToken: srv.BotToken,
		AppToken: srv.AppToken,
		APIURL:   srv.APIURL(),
		Handler:  h,
		Log:      testLogger(t),
		Limits:   noLimits,
	}
	for _, e := range edit {
		e(&cfg)
	}
	a, err := slack.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// testLogger logs warnings and errors to the test's output.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p))
	return len(p), nil
}

// run runs a.Run until the test ends, checking that it returns nil then,
// and returns once the adapter is connected.
func run(t testing.TB, a *slack.Adapter) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run = %v, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := a.WaitConnected(wctx); err != nil {
		select {
		case err := <-done:
			t.Fatalf("Run = %v before connecting", err)
		default:
		}
		t.Fatal(err)
	}
}

// testCtx returns a context that ends with the test or after 10 seconds.
func testCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
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
func (r *recorder) next(t testing.TB) bot.Update {
	t.Helper()
	select {
	case u := <-r.updates:
		return u
	case <-time.After(10 * time.Second):
		t.Fatal("no update reached the handler")
		return bot.Update{}
	}
}

// ref is the ChatRef of a Slack channel or user id.
func ref(id string) bot.ChatRef { return bot.ChatRef{Platform: "slack", ID: id} }

// isPermanent reports whether err wraps bot.ErrPermanent.
func isPermanent(err error) bool { return errors.Is(err, bot.ErrPermanent) }

// manualClock is a clock tests move by hand.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
