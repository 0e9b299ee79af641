package slack_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/bot/slack"
	"github.com/moimbot/moimbot/bot/slack/slacktest"
)

const xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func TestSocketFileShare(t *testing.T) {
	srv := newServer(t)
	rec := newRecorder()
	a := newAdapter(t, srv, rec)
	run(t, a)
	ctx := testCtx(t)
	data := bytes.Repeat([]byte("PK\x03\x04statement"), 100)

	env, f, err := srv.ShareFile(ctx, alice, "거래내역.xlsx", xlsx, data)
	if err != nil {
		t.Fatal(err)
	}
	u := rec.next(t)
	want := bot.Document{ID: f.ID, Name: "거래내역.xlsx", MIME: xlsx, Size: int64(len(data)), URL: f.URL}
	if u.Document == nil || *u.Document != want || !u.Private || u.Chat != ref(alice) || u.From.ID != alice || u.MessageID == "" || !strings.HasPrefix(u.ID, "slack:Ev") {
		t.Fatalf("update = %+v (document %+v), want %+v in Alice's chat", u, u.Document, want)
	}
	if _, err := srv.WaitAck(ctx, env); err != nil {
		t.Fatal(err)
	}
	got, err := a.FetchFile(ctx, *u.Document, 1<<20)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("FetchFile = %d bytes, %v; want the %d bytes shared", len(got), err, len(data))
	}
	if c := srv.Calls("files-pri"); len(c) != 1 || c[0].Token != slacktest.TokenBot {
		t.Errorf("downloads = %v, want one with the bot token", c)
	}

	// A plain message in the DM (a workbook's password) comes through
	// with its text and id.
	if _, err := srv.DirectMessage(ctx, alice, "비밀번호 1234 & <x>"); err != nil {
		t.Fatal(err)
	}
	u = rec.next(t)
	if u.Text != "비밀번호 1234 & <x>" || u.Document != nil || !u.Private || u.MessageID == "" {
		t.Errorf("update = %+v, want the text as typed", u)
	}
}

func TestFetchFileRefuses(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t)
	a := newAdapter(t, srv, nil)
	_, f := srv.FileShareEvent(alice, "big.xlsx", xlsx, bytes.Repeat([]byte("x"), 2000))
	other := newAdapter(t, srv, nil, func(c *slack.Config) { c.BotToken = "xoxb-another-workspace" })
	tests := []struct {
		name  string
		a     *slack.Adapter
		d     bot.Document
		limit int64
		calls int // downloads the server saw
	}{
		{"OtherHost", a, bot.Document{URL: "https://files.example.com/x.xlsx"}, 1 << 20, 0},
		{"PlainHTTPFilesHost", a, bot.Document{URL: "http://files.slack.com/x.xlsx"}, 1 << 20, 0},
		{"NoURL", a, bot.Document{ID: f.ID}, 1 << 20, 0},
		{"ReportedTooLarge", a, bot.Document{URL: f.URL, Size: 2000}, 1000, 0},
		{"TooLarge", a, bot.Document{URL: f.URL}, 1000, 1},
		{"Missing", a, bot.Document{URL: srv.URL + "/files-pri/" + srv.TeamID + "-F0/download/x"}, 1 << 20, 1},
		{"TokenCannotRead", other, bot.Document{URL: f.URL}, 1 << 20, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(srv.Calls("files-pri"))
			data, err := tt.a.FetchFile(ctx, tt.d, tt.limit)
			if !errors.Is(err, bot.ErrPermanent) || data != nil {
				t.Errorf("FetchFile = %d bytes, %v; want a permanent error", len(data), err)
			}
			if err != nil && (!strings.HasPrefix(err.Error(), "slack: fetch file: ") || strings.Contains(err.Error(), "xoxb-")) {
				t.Errorf("error text %q", err)
			}
			if n := len(srv.Calls("files-pri")) - before; n != tt.calls {
				t.Errorf("%d downloads, want %d", n, tt.calls)
			}
		})
	}
}

func TestHTTPEvents(t *testing.T) {
	const secret = "0123456789abcdef0123456789abcdef"
	srv := newServer(t)
	rec := newRecorder()
	now := time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)
	clock := &manualClock{t: now}
	a := newAdapter(t, srv, rec, func(c *slack.Config) { c.AppToken, c.SigningSecret, c.Now = "", secret, clock.Now })
	run(t, a)
	hs := httptest.NewServer(a.EventsHandler())
	t.Cleanup(hs.Close)
	send := func(body []byte) (int, string) {
		t.Helper()
		req, err := slacktest.SignedRequest(hs.URL, secret, clock.Now(), body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}

	if code, body := send([]byte(`{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)); code != 200 || body != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("url_verification: %d %q, want the challenge", code, body)
	}
	event, f := srv.FileShareEvent(alice, "거래내역.xls", "application/vnd.ms-excel", []byte("data"))
	if code, _ := send(event); code != 200 {
		t.Fatalf("event: status %d", code)
	}
	u := rec.next(t)
	if u.Document == nil || u.Document.ID != f.ID || u.Chat != ref(alice) || !u.Private {
		t.Fatalf("update = %+v (document %+v)", u, u.Document)
	}
	// Slack retries an event it thinks was not received, signed anew: it
	// is acknowledged and dropped.
	clock.Add(time.Second)
	if code, _ := send(event); code != 200 {
		t.Errorf("retried event: status %d, want 200", code)
	}
	if code, _ := send(srv.DirectMessageEvent(alice, "1234")); code != 200 {
		t.Fatal("message event refused")
	}
	if u := rec.next(t); u.Text != "1234" {
		t.Errorf("update after the retry = %+v, want the message 1234", u)
	}
	if code, _ := send([]byte(`{"type":"event_callback","event":{"type":"reaction_added"}}`)); code != 200 {
		t.Errorf("other event: status %d, want 200", code)
	}
}
