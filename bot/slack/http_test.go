package slack_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/bot/slack"
	"github.com/moimbot/moimbot/bot/slack/slacktest"
)

// Slack's documented example of a signed request ("Verifying requests
// from Slack").
const (
	vectorSecret    = "8f742231b10e8888abcd99yyyzzz85a5"
	vectorTimestamp = 1531420618
	vectorBody      = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	vectorSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

// httpMode starts an HTTP-mode adapter with the signing secret and the
// clock, and a loopback server with its handlers at /slack/commands and
// /slack/interactions; it returns the adapter and the server's URL.
func httpMode(t *testing.T, srv *slacktest.Server, h bot.Handler, secret string, now func() time.Time) (*slack.Adapter, string) {
	t.Helper()
	a := newAdapter(t, srv, h, func(c *slack.Config) {
		c.AppToken, c.SigningSecret, c.Now = "", secret, now
	})
	run(t, a)
	mux := http.NewServeMux()
	mux.Handle("/slack/commands", a.CommandsHandler())
	mux.Handle("/slack/interactions", a.InteractionsHandler())
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return a, hs.URL
}

// post sends req and returns the status.
func post(t *testing.T, req *http.Request) int {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestHTTPSignatureVector(t *testing.T) {
	if got := slacktest.Signature(vectorSecret, vectorTimestamp, []byte(vectorBody)); got != vectorSignature {
		t.Fatalf("slacktest.Signature = %s, want %s", got, vectorSignature)
	}
	srv := newServer(t)
	rec := newRecorder()
	clock := &manualClock{t: time.Unix(vectorTimestamp, 0)}
	_, base := httpMode(t, srv, rec, vectorSecret, clock.Now)

	send := func() int {
		req, err := http.NewRequest(http.MethodPost, base+"/slack/commands", strings.NewReader(vectorBody))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Slack-Request-Timestamp", strconv.Itoa(vectorTimestamp))
		req.Header.Set("X-Slack-Signature", vectorSignature)
		return post(t, req)
	}
	if got := send(); got != http.StatusOK {
		t.Fatalf("status = %d, want 200", got)
	}
	u := rec.next(t)
	want := bot.Update{
		ID:    "slack:398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
		Chat:  ref("G8PSS9T3V"),
		Title: "foobar",
		From:  bot.User{Platform: "slack", ID: "U2CERLKJA", Name: "roadrunner"},
		Text:  "/help",
	}
	if u.ID != want.ID || u.Chat != want.Chat || u.Title != want.Title || u.From != want.From || u.Text != want.Text || u.Private {
		t.Errorf("update = %+v, want %+v", u, want)
	}
	// The same request again, four minutes later: a replay.
	clock.Add(4 * time.Minute)
	if got := send(); got != http.StatusUnauthorized {
		t.Errorf("replay: status = %d, want 401", got)
	}
}

func TestHTTPRejects(t *testing.T) {
	const secret = "0123456789abcdef0123456789abcdef"
	srv := newServer(t)
	rec := newRecorder()
	now := time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)
	clock := &manualClock{t: now}
	_, base := httpMode(t, srv, rec, secret, clock.Now)
	url := base + "/slack/commands"

	signed := func(secret string, ts time.Time, body []byte) *http.Request {
		req, err := slacktest.SignedRequest(url, secret, ts, body)
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	accepted := signed(secret, now, srv.CommandForm(alice, moim, "status"))
	if got := post(t, accepted); got != http.StatusOK {
		t.Fatalf("a signed command: status = %d, want 200", got)
	}
	if u := rec.next(t); u.Text != "/status" {
		t.Fatalf("update = %+v", u)
	}
	tests := []struct {
		name string
		req  func() *http.Request
		want int
	}{
		{"WrongSecret", func() *http.Request { return signed("another-secret", now, srv.CommandForm(alice, moim, "x")) }, 401},
		{"SixMinutesOld", func() *http.Request {
			return signed(secret, now.Add(-6*time.Minute), srv.CommandForm(alice, moim, "x"))
		}, 401},
		{"SixMinutesAhead", func() *http.Request { return signed(secret, now.Add(6*time.Minute), srv.CommandForm(alice, moim, "x")) }, 401},
		{"NoSignature", func() *http.Request {
			r := signed(secret, now, srv.CommandForm(alice, moim, "x"))
			r.Header.Del("X-Slack-Signature")
			return r
		}, 401},
		{"NoTimestamp", func() *http.Request {
			r := signed(secret, now, srv.CommandForm(alice, moim, "x"))
			r.Header.Del("X-Slack-Request-Timestamp")
			return r
		}, 401},
		{"MalformedSignature", func() *http.Request {
			r := signed(secret, now, srv.CommandForm(alice, moim, "x"))
			r.Header.Set("X-Slack-Signature", "v0=zz")
			return r
		}, 401},
		{"TamperedBody", func() *http.Request {
			r := signed(secret, now, srv.CommandForm(alice, moim, "x"))
			tampered, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(srv.CommandForm(alice, moim, "y")))
			tampered.Header = r.Header
			return tampered
		}, 401},
		{"TooLarge", func() *http.Request {
			body := append(srv.CommandForm(alice, moim, "x"), []byte("&pad="+strings.Repeat("a", slack.MaxRequestBody))...)
			return signed(secret, now, body)
		}, 413},
		{"NotPost", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, url, nil)
			return r
		}, 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := post(t, tt.req()); got != tt.want {
				t.Errorf("status = %d, want %d", got, tt.want)
			}
		})
	}
	// None of them ran: the next update is the next good command.
	if got := post(t, signed(secret, now, srv.CommandForm(bob, moim, "unpaid"))); got != http.StatusOK {
		t.Fatalf("status = %d, want 200", got)
	}
	if u := rec.next(t); u.Text != "/unpaid" || u.From.ID != bob {
		t.Errorf("update = %+v, want Bob's /unpaid", u)
	}
}

// TestHTTPReplay: a request accepted once is refused when sent again
// within the window.
func TestHTTPReplay(t *testing.T) {
	const secret = "0123456789abcdef0123456789abcdef"
	srv := newServer(t)
	rec := newRecorder()
	now := time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)
	_, base := httpMode(t, srv, rec, secret, func() time.Time { return now })
	body := srv.CommandForm(alice, moim, "status")
	for i, want := range []int{200, 401} {
		req, err := slacktest.SignedRequest(base+"/slack/commands", secret, now, body)
		if err != nil {
			t.Fatal(err)
		}
		if got := post(t, req); got != want {
			t.Errorf("request %d: status = %d, want %d", i+1, got, want)
		}
	}
}

func TestHTTPInteractions(t *testing.T) {
	const secret = "0123456789abcdef0123456789abcdef"
	srv := newServer(t)
	rec := newRecorder()
	rec.notice = "처리했어요"
	now := time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)
	a, base := httpMode(t, srv, rec, secret, func() time.Time { return now })
	url := base + "/slack/interactions"
	ctx := testCtx(t)

	if err := a.Send(ctx, bot.Message{Chat: ref(moim), Text: "버튼", Buttons: [][]bot.Button{{{Text: "확인", Data: "ok:1"}}}}); err != nil {
		t.Fatal(err)
	}
	p, err := srv.WaitFor(ctx, slacktest.Posted(moim))
	if err != nil {
		t.Fatal(err)
	}
	body, err := srv.ClickForm(bob, moim, p.TS, "ok:1")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := slacktest.SignedRequest(url, secret, now, body)
	if got := post(t, req); got != http.StatusOK {
		t.Fatalf("status = %d, want 200", got)
	}
	u := rec.next(t)
	if u.Tap == nil || u.Tap.Data != "ok:1" || u.Tap.Message != p.TS || u.Chat != ref(moim) || u.From.ID != bob {
		t.Errorf("update = %+v (tap %+v)", u, u.Tap)
	}
	if _, err := srv.WaitFor(ctx, slacktest.Ephemeral(moim, bob)); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, body string
		want       int
	}{
		{"OtherInteraction", "payload=" + `{"type":"view_closed","user":{"id":"U0BOB00001"}}`, 200},
		{"NoPayload", "foo=bar", 400},
		{"BadJSON", "payload={", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := slacktest.SignedRequest(url, secret, now, []byte(tt.body))
			if got := post(t, req); got != tt.want {
				t.Errorf("status = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestHTTPNotServing(t *testing.T) {
	const secret = "0123456789abcdef0123456789abcdef"
	srv := newServer(t)
	now := time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		secret string
		want   int
	}{
		{"NotRunning", secret, http.StatusServiceUnavailable},
		{"SocketModeOnly", "", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAdapter(t, srv, newRecorder(), func(c *slack.Config) {
				c.SigningSecret, c.Now = tt.secret, func() time.Time { return now }
			})
			hs := httptest.NewServer(a.CommandsHandler())
			defer hs.Close()
			req, _ := slacktest.SignedRequest(hs.URL, secret, now, srv.CommandForm(alice, moim, "status"))
			if got := post(t, req); got != tt.want {
				t.Errorf("status = %d, want %d", got, tt.want)
			}
		})
	}
}
