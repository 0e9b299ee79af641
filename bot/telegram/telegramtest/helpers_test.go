package telegramtest_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/moimbot/moimbot/bot/telegram/telegramtest"
)

// Fixed IDs used across the tests.
const (
	aliceID = int64(1001)
	bobID   = int64(1002)
	groupID = int64(-4001)
	superID = int64(-1001234567890)
)

// fixture is a server with two users (Alice has started the bot, Bob has
// not), a basic group and a supergroup.
type fixture struct {
	srv *telegramtest.Server
}

func newFixture(t *testing.T, opts ...telegramtest.Option) *fixture {
	t.Helper()
	srv := telegramtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	srv.AddUser(telegramtest.User{ID: aliceID, FirstName: "Alice", Username: "alice"})
	srv.AddUser(telegramtest.User{ID: bobID, FirstName: "Bob"})
	if err := srv.SetStarted(aliceID, true); err != nil {
		t.Fatal(err)
	}
	srv.AddGroup(groupID, "Old moim")
	srv.AddSupergroup(superID, "Moim")
	return &fixture{srv: srv}
}

// testCtx returns a context that ends with the test or after 10 seconds.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newSyncBot returns a go-telegram/bot client for ProcessUpdate-style
// tests: no getMe at construction, handlers run inline.
func (f *fixture) newSyncBot(t *testing.T, opts ...bot.Option) *bot.Bot {
	t.Helper()
	opts = append([]bot.Option{
		bot.WithServerURL(f.srv.URL),
		bot.WithSkipGetMe(),
		bot.WithNotAsyncHandlers(),
		bot.WithHTTPClient(time.Second, &http.Client{Timeout: 5 * time.Second}),
		bot.WithErrorsHandler(func(error) {}),
	}, opts...)
	b, err := bot.New(f.srv.Token, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// startBot runs a long-polling go-telegram/bot client until the test ends.
// Its poll timeout is 3 s (getUpdates timeout=2).
func (f *fixture) startBot(t *testing.T, opts ...bot.Option) *bot.Bot {
	t.Helper()
	opts = append([]bot.Option{
		bot.WithServerURL(f.srv.URL),
		bot.WithHTTPClient(3*time.Second, &http.Client{Timeout: 10 * time.Second}),
		bot.WithNotAsyncHandlers(), // handlers end before Start returns
		bot.WithDefaultHandler(func(context.Context, *bot.Bot, *models.Update) {}),
		bot.WithErrorsHandler(func(err error) { t.Logf("bot error: %v", err) }),
	}, opts...)
	b, err := bot.New(f.srv.Token, opts...) // calls getMe
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Start(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return b
}
