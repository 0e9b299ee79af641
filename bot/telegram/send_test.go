package telegram_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/bot/telegram"
	"github.com/moimbot/moimbot/bot/telegram/telegramtest"
)

func TestNew(t *testing.T) {
	ok := telegram.Config{Token: telegramtest.DefaultToken}
	tests := []struct {
		name string
		edit func(*telegram.Config)
		want string // in the error; "" for success
	}{
		{"Defaults", func(*telegram.Config) {}, ""},
		{"ErrNoToken", func(c *telegram.Config) { c.Token = "" }, "malformed token"},
		{"ErrTokenShape", func(c *telegram.Config) { c.Token = "abc:def" }, "malformed token"},
		{"ErrTokenWithSlash", func(c *telegram.Config) { c.Token = "123:abc/../x" }, "malformed token"},
		{"ErrURLScheme", func(c *telegram.Config) { c.APIURL = "ftp://example.org" }, "not an http(s) base URL"},
		{"ErrURLNoHost", func(c *telegram.Config) { c.APIURL = "http://" }, "not an http(s) base URL"},
		{"TrailingSlash", func(c *telegram.Config) { c.APIURL = "http://127.0.0.1:1/" }, ""},
		{"ErrPollTimeout", func(c *telegram.Config) { c.PollTimeout = time.Second }, "poll timeout"},
		{"ErrClientTimeout", func(c *telegram.Config) {
			c.PollTimeout, c.HTTPClient = 10*time.Second, &http.Client{Timeout: 10 * time.Second}
		}, "must exceed the poll timeout"},
		{"ClientTimeout", func(c *telegram.Config) {
			c.PollTimeout, c.HTTPClient = 10*time.Second, &http.Client{Timeout: 20 * time.Second}
		}, ""},
		{"ErrWebhookSecret", func(c *telegram.Config) { c.WebhookSecret = "not secret!" }, "webhook secret"},
		{"WebhookSecret", func(c *telegram.Config) { c.WebhookSecret = "s3cret_-X" }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.edit(&cfg)
			a, err := telegram.New(cfg)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tc.want == "" && a == nil:
				t.Fatal("New returned nil")
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("New: err = %v, want %q", err, tc.want)
			case err != nil && strings.Contains(err.Error(), cfg.Token) && cfg.Token != "":
				t.Errorf("error %q contains the token", err)
			}
		})
	}
}

func TestSend(t *testing.T) {
	srv := newServer(t)
	a := newAdapter(t, srv, nil)
	ctx := testCtx(t)

	t.Run("Text", func(t *testing.T) {
		if err := a.Send(ctx, bot.Message{Chat: ref(superID), Text: "9월 회비 현황\n김민수 30,000원"}); err != nil {
			t.Fatal(err)
		}
		c, err := srv.WaitFor(ctx, telegramtest.Sending(superID))
		if err != nil {
			t.Fatal(err)
		}
		if c.ParseMode != "HTML" {
			t.Errorf("parse_mode = %q, want HTML", c.ParseMode)
		}
		if got := c.Params["link_preview_options"]; !strings.Contains(got, `"is_disabled":true`) {
			t.Errorf("link_preview_options = %q, want previews disabled", got)
		}
		if got, want := c.Message.Text, "9월 회비 현황\n김민수 30,000원"; got != want {
			t.Errorf("text = %q, want %q", got, want)
		}
		if c.ReplyMarkup != nil {
			t.Errorf("reply_markup = %+v, want none", c.ReplyMarkup)
		}
	})

	t.Run("HTMLEscaped", func(t *testing.T) {
		// A member's name as typed, markup and all, shown as typed; the
		// fake rejects a stray "&" or tag, so escaping is checked.
		text := `입금: <b>김민수</b> & co "따옴표" 'x' 30,000원 <a href="http://evil">link</a>`
		if err := a.Send(ctx, bot.Message{Chat: ref(aliceID), Text: text}); err != nil {
			t.Fatal(err)
		}
		sent := srv.Sent(aliceID)
		if len(sent) == 0 {
			t.Fatal("nothing sent")
		}
		m := sent[len(sent)-1]
		if m.Text != text {
			t.Errorf("users see %q, want %q", m.Text, text)
		}
		if len(m.Entities) != 0 {
			t.Errorf("entities = %+v, want none (no markup)", m.Entities)
		}
	})

	t.Run("Tags", func(t *testing.T) {
		// Tagged names become mentions of their users; everything else,
		// a name with markup included, stays escaped text.
		text := "📣 <i>이지은</i> 김민수 박서준"
		tags := []bot.Tag{{Text: "<i>이지은</i>", UserID: "1002"}, {Text: "박서준", UserID: "not-an-id"}, {Text: "김민수", UserID: "1003"}}
		if err := a.Send(ctx, bot.Message{Chat: ref(aliceID), Text: text, Tags: tags}); err != nil {
			t.Fatal(err)
		}
		sent := srv.Sent(aliceID)
		m := sent[len(sent)-1]
		if m.Text != text {
			t.Errorf("users see %q, want %q", m.Text, text)
		}
		var mentioned []string
		for _, e := range m.Entities {
			if e.URL != "" {
				mentioned = append(mentioned, e.URL)
			}
		}
		// 박서준's tag has no Telegram user id and stays text; 김민수 is
		// found after 이지은: tags are matched in order.
		if want := []string{"tg://user?id=1002", "tg://user?id=1003"}; !slices.Equal(mentioned, want) {
			t.Errorf("mentions %q, want %q (entities %+v)", mentioned, want, m.Entities)
		}
	})

	var reviewID int
	t.Run("Buttons", func(t *testing.T) {
		m := bot.Message{Chat: ref(aliceID), Text: "김민수 30,000원 입금 — 누구 회비인가요?", Buttons: [][]bot.Button{
			{{Text: "김민수", Data: "r:1:m:7"}, {Text: "<무시>", Data: "r:1:ignore"}},
			{{Text: "나중에", Data: "r:1:later"}},
		}}
		if err := a.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
		c, err := srv.WaitFor(ctx, func(c telegramtest.Call) bool { return c.OK() && c.Method == "sendMessage" && c.ReplyMarkup != nil })
		if err != nil {
			t.Fatal(err)
		}
		kb := c.ReplyMarkup.InlineKeyboard
		if len(kb) != 2 || len(kb[0]) != 2 || len(kb[1]) != 1 ||
			kb[0][0] != (telegramtest.InlineKeyboardButton{Text: "김민수", CallbackData: "r:1:m:7"}) ||
			kb[0][1].Text != "<무시>" || kb[1][0].CallbackData != "r:1:later" {
			t.Errorf("keyboard = %+v", kb)
		}
		reviewID = c.MessageID
	})

	t.Run("Edit", func(t *testing.T) {
		edit := bot.Message{Chat: ref(aliceID), Edit: itoa(reviewID), Text: "김민수 30,000원 — 김민수 <9월> 회비로 기록"}
		if err := a.Send(ctx, edit); err != nil {
			t.Fatal(err)
		}
		m, ok := srv.Message(aliceID, reviewID)
		if !ok || m.Text != edit.Text || m.ReplyMarkup != nil || m.EditDate == 0 {
			t.Errorf("edited message = %+v, want text %q and no keyboard", m, edit.Text)
		}
		t.Run("NotModified", func(t *testing.T) {
			if err := a.Send(ctx, edit); err != nil {
				t.Errorf("same edit again: %v, want nil", err)
			}
			last := srv.Calls("editMessageText")
			if c := last[len(last)-1]; c.ErrorCode != 400 || !strings.Contains(c.Description, "message is not modified") {
				t.Errorf("last edit call = %v, want 400 not modified", c)
			}
		})
		t.Run("WithButtons", func(t *testing.T) {
			edit.Buttons = [][]bot.Button{{{Text: "되돌리기", Data: "r:1:undo"}}}
			if err := a.Send(ctx, edit); err != nil {
				t.Fatal(err)
			}
			if m, _ := srv.Message(aliceID, reviewID); m.ReplyMarkup == nil || m.ReplyMarkup.InlineKeyboard[0][0].CallbackData != "r:1:undo" {
				t.Errorf("keyboard after edit = %+v", m.ReplyMarkup)
			}
		})
		t.Run("ErrGone", func(t *testing.T) {
			err := a.Send(ctx, bot.Message{Chat: ref(aliceID), Edit: "999999", Text: "x"})
			if !isPermanent(err) {
				t.Errorf("edit of a missing message: %v, want ErrPermanent", err)
			}
		})
	})

	t.Run("File", func(t *testing.T) {
		csv := []byte("month,name,amount\n2026-09,김민수,30000\n")
		m := bot.Message{Chat: ref(aliceID), Text: "회비 내역 <2026>", File: &bot.File{Name: "dues.csv", Data: csv},
			Buttons: [][]bot.Button{{{Text: "OK", Data: "ok"}}}}
		if err := a.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
		c, err := srv.WaitFor(ctx, func(c telegramtest.Call) bool { return c.OK() && c.Method == "sendDocument" })
		if err != nil {
			t.Fatal(err)
		}
		if c.Document == nil || c.Document.FileName != "dues.csv" || string(c.Document.Data) != string(csv) {
			t.Errorf("document = %+v", c.Document)
		}
		if c.Message.Caption != m.Text || c.ParseMode != "HTML" || c.ReplyMarkup == nil {
			t.Errorf("caption = %q (%s), markup %+v", c.Message.Caption, c.ParseMode, c.ReplyMarkup)
		}
	})

	t.Run("ErrEditWithFile", func(t *testing.T) {
		err := a.Send(ctx, bot.Message{Chat: ref(aliceID), Edit: "1", Text: "x", File: &bot.File{Name: "a", Data: []byte("a")}})
		if !isPermanent(err) {
			t.Errorf("err = %v, want ErrPermanent", err)
		}
	})
	t.Run("ErrMalformed", func(t *testing.T) {
		for _, m := range []bot.Message{
			{Chat: bot.ChatRef{Platform: "slack", ID: "C1"}, Text: "x"},
			{Chat: bot.ChatRef{Platform: "telegram", ID: "@moim"}, Text: "x"},
			{Chat: ref(aliceID), Edit: "abc", Text: "x"},
		} {
			if err := a.Send(ctx, m); !isPermanent(err) {
				t.Errorf("Send(%+v) = %v, want ErrPermanent", m, err)
			}
		}
	})
}

func itoa(n int) string { return ref(int64(n)).ID }

func TestSendErrors(t *testing.T) {
	srv := newServer(t)
	a := newAdapter(t, srv, nil)
	ctx := testCtx(t)
	if err := srv.Block(bobID); err != nil {
		t.Fatal(err)
	}
	if err := srv.RemoveBot(superID, aliceID); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Migrate(groupID, -1005550002, aliceID); err != nil {
		t.Fatal(err)
	}
	srv.AddSupergroup(-1009990001, "Busy")
	srv.AddSupergroup(-1009990002, "Broken")

	tests := []struct {
		name      string
		setup     func()
		m         bot.Message
		permanent bool
		check     func(t *testing.T, err error)
	}{
		{name: "RateLimited", setup: func() { srv.Throttle("sendMessage", 1, 7) }, m: bot.Message{Chat: ref(-1009990001), Text: "x"},
			check: func(t *testing.T, err error) {
				var ra *bot.RetryAfterError
				if !errors.As(err, &ra) || ra.After != 7*time.Second {
					t.Errorf("err = %#v, want RetryAfterError after 7s", err)
				}
			}},
		{name: "NotStarted", m: bot.Message{Chat: ref(carolID), Text: "x"}, permanent: true,
			check: func(t *testing.T, err error) {
				if !errors.Is(err, bot.ErrNotStarted) {
					t.Errorf("err = %v, want ErrNotStarted", err)
				}
			}},
		{name: "Blocked", m: bot.Message{Chat: ref(bobID), Text: "x"}, permanent: true,
			check: func(t *testing.T, err error) {
				if errors.Is(err, bot.ErrNotStarted) || !strings.Contains(err.Error(), "blocked") {
					t.Errorf("err = %v, want blocked, not ErrNotStarted", err)
				}
			}},
		{name: "Kicked", m: bot.Message{Chat: ref(superID), Text: "x"}, permanent: true,
			check: func(t *testing.T, err error) {
				if !strings.Contains(err.Error(), "kicked") {
					t.Errorf("err = %v, want kicked", err)
				}
			}},
		{name: "Migrated", m: bot.Message{Chat: ref(groupID), Text: "x"}, permanent: true,
			check: func(t *testing.T, err error) {
				var me *telegram.MigratedError
				if !errors.As(err, &me) || me.From != "-4001" || me.To != "-1005550002" {
					t.Errorf("err = %#v, want MigratedError -4001 → -1005550002", err)
				}
			}},
		{name: "ChatNotFound", m: bot.Message{Chat: ref(-1000000000042), Text: "x"}, permanent: true},
		{name: "BadButton", m: bot.Message{Chat: ref(aliceID), Text: "x", Buttons: [][]bot.Button{{{Text: "x", Data: strings.Repeat("d", 65)}}}}, permanent: true},
		{name: "ServerError", setup: func() { srv.Fail("sendMessage", 1, 500, "Internal Server Error") }, m: bot.Message{Chat: ref(-1009990002), Text: "x"},
			check: func(t *testing.T, err error) {
				var ra *bot.RetryAfterError
				if errors.As(err, &ra) {
					t.Errorf("err = %v, want a plain transient error", err)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
			}
			err := a.Send(ctx, tc.m)
			if err == nil {
				t.Fatal("Send succeeded")
			}
			t.Log(err)
			if got := isPermanent(err); got != tc.permanent {
				t.Errorf("permanent = %v, want %v (err %v)", got, tc.permanent, err)
			}
			if !strings.Contains(err.Error(), "telegram: send: ") || strings.Contains(err.Error(), srv.Token) {
				t.Errorf("error text %q", err)
			}
			if tc.check != nil {
				tc.check(t, err)
			}
		})
	}

	t.Run("Unauthorized", func(t *testing.T) {
		b := newAdapter(t, srv, nil, func(c *telegram.Config) { c.Token = "7000000001:WRONG-token" })
		err := b.Send(ctx, bot.Message{Chat: ref(aliceID), Text: "x"})
		t.Log(err)
		if !isPermanent(err) || strings.Contains(err.Error(), "WRONG-token") {
			t.Errorf("err = %v, want ErrPermanent without the token", err)
		}
	})
	t.Run("NetworkError", func(t *testing.T) {
		dead := telegramtest.NewServer()
		dead.Close()
		b := newAdapter(t, dead, nil)
		err := b.Send(ctx, bot.Message{Chat: ref(aliceID), Text: "x"})
		t.Log(err)
		if err == nil || isPermanent(err) || strings.Contains(err.Error(), dead.Token) {
			t.Errorf("err = %v, want transient without the token", err)
		}
	})
	t.Run("Timeout", func(t *testing.T) {
		tctx, cancel := context.WithCancel(ctx)
		cancel()
		err := a.Send(tctx, bot.Message{Chat: ref(aliceID), Text: "x"})
		if err == nil || isPermanent(err) || !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want transient context.Canceled", err)
		}
	})
}

// TestSendPacing: with small limits, a send that fits waits, one that
// would wait long is handed back at once, and the fake enforcing the same
// limits never answers 429.
func TestSendPacing(t *testing.T) {
	srv := newServer(t, telegramtest.WithLimits(telegramtest.Limits{ChatBurst: 1, ChatInterval: 300 * time.Millisecond, GroupPerMinute: 3}))
	a := newAdapter(t, srv, nil, func(c *telegram.Config) {
		c.Limits = telegram.Limits{ChatBurst: 1, ChatInterval: 300 * time.Millisecond, GroupPerMinute: 3, GlobalPerSecond: -1, MaxWait: time.Second}
	})
	ctx := testCtx(t)
	start := time.Now()
	for i := range 3 {
		if err := a.Send(ctx, bot.Message{Chat: ref(superID), Text: "x" + itoa(i)}); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	// Three sends 300 ms apart, plus the margin: at least 600 ms.
	if d := time.Since(start); d < 600*time.Millisecond {
		t.Errorf("3 sends took %v, want ≥ 600ms", d)
	}
	before := time.Now()
	err := a.Send(ctx, bot.Message{Chat: ref(superID), Text: "fourth"})
	var ra *bot.RetryAfterError
	if !errors.As(err, &ra) || ra.After < 58*time.Second || ra.After > 61*time.Second {
		t.Fatalf("4th send in a minute: %v, want RetryAfterError after ~60s", err)
	}
	if d := time.Since(before); d > time.Second {
		t.Errorf("the refused send took %v, want an immediate answer", d)
	}
	if isPermanent(err) {
		t.Error("pacing error is permanent")
	}
	// Edits count too.
	first := srv.Sent(superID)[0].MessageID
	if err := a.Send(ctx, bot.Message{Chat: ref(superID), Edit: itoa(first), Text: "edited"}); !errors.As(err, &ra) {
		t.Errorf("edit over the group's limit: %v, want RetryAfterError", err)
	}
	// Other chats are not held back by the group's window.
	if err := a.Send(ctx, bot.Message{Chat: ref(aliceID), Text: "dm"}); err != nil {
		t.Fatal(err)
	}
	if n := srv.TooManyRequests(); n != 0 {
		t.Errorf("the fake answered %d 429s, want 0", n)
	}
}

// TestSendHoldsAfter429: after a 429, further sends to the chat wait for
// its retry_after instead of trying again at once.
func TestSendHoldsAfter429(t *testing.T) {
	srv := newServer(t)
	a := newAdapter(t, srv, nil)
	ctx := testCtx(t)
	srv.Throttle("sendMessage", 1, 1)
	var ra *bot.RetryAfterError
	if err := a.Send(ctx, bot.Message{Chat: ref(aliceID), Text: "1"}); !errors.As(err, &ra) || ra.After != time.Second {
		t.Fatalf("err = %v, want RetryAfterError after 1s", err)
	}
	start := time.Now()
	if err := a.Send(ctx, bot.Message{Chat: ref(aliceID), Text: "2"}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 800*time.Millisecond {
		t.Errorf("send after a 429 went out after %v, want ≈1s", d)
	}
}
