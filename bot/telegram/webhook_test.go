package telegram_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/bot/telegram"
	"github.com/moimbot/moimbot/bot/telegram/telegramtest"
)

const secret = "hook-Secret_42"

// webhookUpdate is the JSON of a text message from Alice in the
// supergroup.
func webhookUpdate(t *testing.T, id int64, text string) string {
	t.Helper()
	b, err := json.Marshal(telegramtest.Update{UpdateID: id, Message: &telegramtest.Message{
		MessageID: int(id), Date: 1_700_000_000, Chat: telegramtest.Chat{ID: superID, Type: "supergroup", Title: "Moim"},
		From: &telegramtest.User{ID: aliceID, FirstName: "Alice"}, Text: text,
	}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// post sends body to h with the secret header (unless "") and returns the
// status.
func post(h http.Handler, method, secretHeader, body string) int {
	r := httptest.NewRequest(method, "/telegram/hook", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if secretHeader != "" {
		r.Header.Set("X-Telegram-Bot-Api-Secret-Token", secretHeader)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

func TestWebhook(t *testing.T) {
	srv := newServer(t)
	rec := newRecorder()
	a := newAdapter(t, srv, rec, func(c *telegram.Config) { c.WebhookSecret = secret })
	h := a.WebhookHandler()

	if got := post(h, http.MethodPost, secret, webhookUpdate(t, 1, "too early")); got != http.StatusServiceUnavailable {
		t.Errorf("before Run: status %d, want 503", got)
	}
	run(t, srv, a, true)

	tests := []struct {
		name   string
		method string
		secret string
		body   string
		want   int
	}{
		{"ErrNoSecret", http.MethodPost, "", webhookUpdate(t, 2, "no secret"), http.StatusUnauthorized},
		{"ErrWrongSecret", http.MethodPost, "hook-Secret_43", webhookUpdate(t, 3, "wrong secret"), http.StatusUnauthorized},
		{"ErrSecretPrefix", http.MethodPost, secret[:5], webhookUpdate(t, 4, "prefix"), http.StatusUnauthorized},
		{"ErrMethod", http.MethodGet, secret, "", http.StatusMethodNotAllowed},
		{"ErrBody", http.MethodPost, secret, "{not json", http.StatusBadRequest},
		{"ErrTooLarge", http.MethodPost, secret, `{"update_id":5,"message":{"text":"` + strings.Repeat("a", 1<<20) + `"}}`, http.StatusRequestEntityTooLarge},
		{"OK", http.MethodPost, secret, webhookUpdate(t, 6, "/status"), http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := post(h, tc.method, tc.secret, tc.body); got != tc.want {
				t.Errorf("status %d, want %d", got, tc.want)
			}
		})
	}
	// Only the accepted update reached the handler: updates of one chat
	// are handled in order, so a refused one would have come first.
	u := rec.next(t)
	if u.Text != "/status" || u.ID != "telegram:6" || u.Chat != ref(superID) || u.From.ID != "1001" {
		t.Errorf("update = %+v", u)
	}
	for _, c := range srv.Calls("") {
		if c.Method == "getUpdates" || c.Method == "deleteWebhook" {
			t.Errorf("webhook mode called %s", c.Method)
		}
	}
}

func TestWebhookNotConfigured(t *testing.T) {
	srv := newServer(t)
	a := newAdapter(t, srv, newRecorder())
	if got := post(a.WebhookHandler(), http.MethodPost, "", webhookUpdate(t, 1, "x")); got != http.StatusNotFound {
		t.Errorf("status %d, want 404 in long-polling mode", got)
	}
}

// TestWebhookDrainsAtStop: updates Telegram has delivered (the webhook
// answered 200, so Telegram will not send them again) are still handled
// when Run is told to stop, with a context that has not ended, before Run
// returns; the handler running at the stop finishes too.
func TestWebhookDrainsAtStop(t *testing.T) {
	srv := newServer(t)
	started, release := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	var handled []string
	h := bot.HandlerFunc(func(ctx context.Context, u bot.Update) string {
		if u.Text == "/first" {
			close(started)
			<-release
		}
		mu.Lock()
		defer mu.Unlock()
		if ctx.Err() != nil {
			t.Errorf("%s handled with an ended context", u.Text)
		}
		handled = append(handled, u.Text)
		return ""
	})
	a := newAdapter(t, srv, h, func(c *telegram.Config) { c.WebhookSecret = secret })
	wh := a.WebhookHandler()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	if _, err := srv.WaitN(testCtx(t), 4, method("setMyCommands")); err != nil {
		t.Fatal(err)
	}
	for i, text := range []string{"/first", "/second", "/third"} {
		if got := post(wh, http.MethodPost, secret, webhookUpdate(t, int64(i+1), text)); got != http.StatusOK {
			t.Fatalf("%s: status %d, want 200", text, got)
		}
	}
	<-started
	cancel()
	if got := post(wh, http.MethodPost, secret, webhookUpdate(t, 9, "/late")); got == http.StatusOK {
		t.Error("an update posted after the stop was accepted")
	}
	close(release)
	runReturned(t, done)
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"/first", "/second", "/third"}; !slices.Equal(handled, want) {
		t.Errorf("handled %v, want %v", handled, want)
	}
}
