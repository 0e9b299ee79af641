package slack_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/bot/slack"
	"github.com/moimbot/moimbot/bot/slack/slacktest"
)

// TestSendErrors: Slack's throttling becomes a *bot.RetryAfterError, its
// refusals wrap bot.ErrPermanent, its own failures are transient.
func TestSendErrors(t *testing.T) {
	type want struct {
		retryAfter time.Duration // 0: not a RetryAfterError
		permanent  bool
		code       string // in the error text
	}
	tests := []struct {
		name  string
		fault *slacktest.Fault
		chat  string
		edit  string
		want  want
	}{
		{"429WithRetryAfter", &slacktest.Fault{Status: 429, RetryAfter: 7 * time.Second}, moim, "", want{retryAfter: 7 * time.Second}},
		{"429WithoutRetryAfter", &slacktest.Fault{Status: 429}, moim, "", want{retryAfter: slack.DefaultRetryAfter, code: "429"}},
		{"Ratelimited", &slacktest.Fault{Error: "ratelimited"}, moim, "", want{retryAfter: slack.DefaultRetryAfter, code: "ratelimited"}},
		{"ServerError", &slacktest.Fault{Status: 503}, moim, "", want{code: "503"}},
		{"InternalError", &slacktest.Fault{Error: "internal_error"}, moim, "", want{code: "internal_error"}},
		{"InvalidAuth", &slacktest.Fault{Error: "invalid_auth"}, moim, "", want{permanent: true, code: "invalid_auth"}},
		{"TokenRevoked", &slacktest.Fault{Error: "token_revoked"}, moim, "", want{permanent: true, code: "token_revoked"}},
		{"AccountInactive", &slacktest.Fault{Error: "account_inactive"}, moim, "", want{permanent: true, code: "account_inactive"}},
		{"ChannelNotFound", nil, "C0GONE0001", "", want{permanent: true, code: "channel_not_found"}},
		{"NotInChannel", nil, outside, "", want{permanent: true, code: "not_in_channel"}},
		{"Archived", nil, archived, "", want{permanent: true, code: "is_archived"}},
		{"UnknownUser", nil, "U0NOBODY01", "", want{permanent: true, code: "user_not_found"}},
		{"DeactivatedUser", nil, carol, "", want{permanent: true, code: "user_disabled"}},
		{"EditMissing", nil, moim, "1700000000.999999", want{permanent: true, code: "message_not_found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			if tt.fault != nil {
				srv.Fail("chat.postMessage", 1, *tt.fault)
			}
			a := newAdapter(t, srv, nil)
			err := a.Send(testCtx(t), bot.Message{Chat: ref(tt.chat), Edit: tt.edit, Text: "💰 김민수님 30,000원 입금"})
			if err == nil {
				t.Fatal("Send succeeded")
			}
			var ra *bot.RetryAfterError
			isRA := errors.As(err, &ra)
			switch {
			case tt.want.retryAfter != 0 && (!isRA || ra.After != tt.want.retryAfter):
				t.Errorf("Send = %v, want a RetryAfterError of %v", err, tt.want.retryAfter)
			case tt.want.retryAfter == 0 && isRA:
				t.Errorf("Send = %v, want no RetryAfterError", err)
			}
			if got := isPermanent(err); got != tt.want.permanent {
				t.Errorf("Send = %v, permanent %v, want %v", err, got, tt.want.permanent)
			}
			if errors.Is(err, bot.ErrNotStarted) {
				t.Errorf("Send = %v: ErrNotStarted is Telegram's", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "slack: send: ") && !strings.HasPrefix(msg, "bot: rate limited") || !strings.Contains(msg, tt.want.code) {
				t.Errorf("error text %q, want it to start with slack: send: and name %s", msg, tt.want.code)
			}
			if strings.Contains(msg, srv.BotToken) {
				t.Errorf("error text %q contains the token", msg)
			}
		})
	}
}

func TestSendRejects(t *testing.T) {
	srv := newServer(t)
	a := newAdapter(t, srv, nil)
	tests := []struct {
		name string
		m    bot.Message
	}{
		{"OtherPlatform", bot.Message{Chat: bot.ChatRef{Platform: "telegram", ID: "42"}, Text: "x"}},
		{"MalformedChat", bot.Message{Chat: ref("general"), Text: "x"}},
		{"MalformedEdit", bot.Message{Chat: ref(moim), Edit: "42", Text: "x"}},
		{"MalformedOnly", bot.Message{Chat: ref(moim), Only: "alice", Text: "x"}},
		{"File", bot.Message{Chat: ref(alice), Text: "x", File: &bot.File{Name: "a.xlsx", Data: []byte("x")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := a.Send(testCtx(t), tt.m); !isPermanent(err) {
				t.Errorf("Send = %v, want a permanent error", err)
			}
		})
	}
	if n := len(srv.Calls("")); n != 0 {
		t.Errorf("%d calls reached Slack, want 0", n)
	}
}

// TestSendPacing: three messages go to a channel at once, the fourth only
// a second later; another channel is not held back; a 429 holds the
// channel back for its Retry-After.
func TestSendPacing(t *testing.T) {
	srv := newServer(t)
	srv.AddChannel(slacktest.Channel{ID: "C0OTHER001", Name: "other"})
	clock := &manualClock{t: time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)}
	a := newAdapter(t, srv, nil, func(c *slack.Config) {
		c.Now = clock.Now
		c.Limits = slack.Limits{MaxWait: -1} // Slack's pace, never wait
	})
	ctx := testCtx(t)
	send := func(ch string) error { return a.Send(ctx, bot.Message{Chat: ref(ch), Text: "알림"}) }
	for i := range 3 {
		if err := send(moim); err != nil {
			t.Fatalf("message %d: %v", i+1, err)
		}
	}
	var ra *bot.RetryAfterError
	if err := send(moim); !errors.As(err, &ra) || ra.After != time.Second {
		t.Fatalf("fourth message: %v, want a RetryAfterError of 1s", err)
	}
	if err := send("C0OTHER001"); err != nil {
		t.Errorf("another channel: %v", err)
	}
	clock.Add(time.Second)
	if err := send(moim); err != nil {
		t.Errorf("a second later: %v", err)
	}

	clock.Add(time.Minute)
	srv.Fail("chat.postMessage", 1, slacktest.Fault{Status: 429, RetryAfter: 20 * time.Second})
	if err := send(moim); !errors.As(err, &ra) || ra.After != 20*time.Second {
		t.Fatalf("throttled: %v, want a RetryAfterError of 20s", err)
	}
	calls := len(srv.Calls("chat.postMessage"))
	clock.Add(10 * time.Second)
	if err := send(moim); !errors.As(err, &ra) || ra.After != 10*time.Second {
		t.Errorf("10s after the 429: %v, want a RetryAfterError of 10s", err)
	}
	if n := len(srv.Calls("chat.postMessage")); n != calls {
		t.Errorf("%d calls while held back, want none", n-calls)
	}
	clock.Add(10 * time.Second)
	if err := send(moim); err != nil {
		t.Errorf("after the Retry-After: %v", err)
	}
}

func TestSendTagsAndEscaping(t *testing.T) {
	srv := newServer(t)
	a := newAdapter(t, srv, nil)
	ctx := testCtx(t)
	m := bot.Message{
		Chat: ref(moim), Kind: bot.KindDeposit,
		Text: `💰 김민수님 30,000원 입금 — 보낸 분 "<script>&" · 이지은님`,
		Tags: []bot.Tag{{Text: "김민수", UserID: alice}, {Text: "이지은", UserID: bob}, {Text: "없음", UserID: "U0NOBODY01"}},
	}
	if err := a.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	c, err := srv.WaitFor(ctx, slacktest.Posted(moim))
	if err != nil {
		t.Fatal(err)
	}
	want := `💰 <@` + alice + `>님 30,000원 입금 — 보낸 분 "&lt;script&gt;&amp;" · <@` + bob + `>님`
	if got := c.Args["text"]; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	bs := c.Blocks()
	if len(bs) != 1 || bs[0].Type != "section" || bs[0].Text != want || bs[0].TextType != "mrkdwn" {
		t.Errorf("blocks = %+v, want one mrkdwn section %q", bs, want)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		cfg  slack.Config
		want string // "" for success
	}{
		{"SocketMode", slack.Config{BotToken: "xoxb-1", AppToken: "xapp-1"}, ""},
		{"HTTPMode", slack.Config{BotToken: "xoxb-1", SigningSecret: "s"}, ""},
		{"NoAPIURLSlash", slack.Config{BotToken: "xoxb-1", SigningSecret: "s", APIURL: "http://127.0.0.1:1/api"}, ""},
		{"NoBotToken", slack.Config{AppToken: "xapp-1"}, "bot token"},
		{"UserToken", slack.Config{BotToken: "xoxp-1", AppToken: "xapp-1"}, "xoxb-"},
		{"BotTokenAsAppToken", slack.Config{BotToken: "xoxb-1", AppToken: "xoxb-1"}, "xapp-"},
		{"NeitherMode", slack.Config{BotToken: "xoxb-1"}, "slack: set an app token (Socket Mode) or a signing secret (HTTP mode)"},
		{"BadAPIURL", slack.Config{BotToken: "xoxb-1", AppToken: "xapp-1", APIURL: "ftp://x/"}, "API URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := slack.New(tt.cfg)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("New = %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("New = %v, want an error with %q", err, tt.want)
			case tt.want == "" && a.SocketMode() != (tt.cfg.AppToken != ""):
				t.Errorf("SocketMode = %v", a.SocketMode())
			}
		})
	}
}

// TestSendAPIURLSlash: an API URL without its trailing slash works.
func TestSendAPIURLSlash(t *testing.T) {
	srv := newServer(t)
	a := newAdapter(t, srv, nil, func(c *slack.Config) { c.APIURL = strings.TrimSuffix(srv.APIURL(), "/") })
	if err := a.Send(testCtx(t), bot.Message{Chat: ref(moim), Text: "x"}); err != nil {
		t.Fatal(err)
	}
}
