package slacktest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/moimbot/moimbot/bot/slack/slacktest"
)

const (
	alice = "U0ALICE001"
	carol = "U0CAROL001"
	moim  = "C0MOIM0001"
)

func newServer(t *testing.T) *slacktest.Server {
	t.Helper()
	srv := slacktest.NewServer(slacktest.WithClock(func() time.Time { return time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC) }))
	t.Cleanup(srv.Close)
	srv.AddUser(slacktest.User{ID: alice, Name: "alice"})
	srv.AddUser(slacktest.User{ID: carol, Name: "carol", Deleted: true})
	srv.AddChannel(slacktest.Channel{ID: moim, Name: "moim"})
	srv.AddChannel(slacktest.Channel{ID: "C0OLD00001", Name: "old", Archived: true})
	srv.AddChannel(slacktest.Channel{ID: "C0OUT00001", Name: "random", NotMember: true})
	return srv
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// code returns the Slack error code of err, or its text.
func code(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestTokens(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t)
	tests := []struct {
		name     string
		bot, app string
		call     func(*slack.Client) error
		want     string
		kind     slacktest.TokenKind
	}{
		{"Bot", srv.BotToken, "", func(c *slack.Client) error { _, err := c.AuthTestContext(ctx); return err }, "", slacktest.TokenBot},
		{"None", "", "", func(c *slack.Client) error { _, err := c.AuthTestContext(ctx); return err }, "not_authed", slacktest.TokenNone},
		{"Wrong", "xoxb-wrong", "", func(c *slack.Client) error { _, err := c.AuthTestContext(ctx); return err }, "invalid_auth", slacktest.TokenInvalid},
		{"AppForBotMethod", srv.AppToken, "", func(c *slack.Client) error { _, err := c.AuthTestContext(ctx); return err }, "not_allowed_token_type", slacktest.TokenApp},
		{"App", srv.BotToken, srv.AppToken, func(c *slack.Client) error { _, _, err := c.StartSocketModeContext(ctx); return err }, "", slacktest.TokenApp},
		{"BotForAppMethod", srv.BotToken, srv.BotToken, func(c *slack.Client) error { _, _, err := c.StartSocketModeContext(ctx); return err }, "not_allowed_token_type", slacktest.TokenBot},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := len(srv.Calls(""))
			c := slack.New(tt.bot, slack.OptionAPIURL(srv.APIURL()), slack.OptionAppLevelToken(tt.app))
			if got := code(tt.call(c)); got != tt.want {
				t.Errorf("error %q, want %q", got, tt.want)
			}
			calls := srv.Calls("")
			if len(calls) != n+1 || calls[n].Token != tt.kind {
				t.Errorf("recorded %v, want one call with a %s token", calls[n:], tt.kind)
			}
		})
	}
	t.Run("UnknownMethod", func(t *testing.T) {
		res, err := http.PostForm(srv.APIURL()+"chat.nothing", url.Values{"token": {srv.BotToken}})
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body struct {
			OK    bool
			Error string
		}
		_ = json.NewDecoder(res.Body).Decode(&body)
		if body.OK || body.Error != "unknown_method" {
			t.Errorf("answer %+v, want unknown_method", body)
		}
	})
}

// section returns a section block of text.
func section(text string) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)
}

func button(id, label, value string) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(id, value, slack.NewTextBlockObject(slack.PlainTextType, label, false, false))
}

func TestPostChecks(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t)
	api := slack.New(srv.BotToken, slack.OptionAPIURL(srv.APIURL()))
	many := make([]slack.Block, 51)
	for i := range many {
		many[i] = section("x")
	}
	opts := make([]*slack.OptionBlockObject, 101)
	for i := range opts {
		opts[i] = slack.NewOptionBlockObject(fmt.Sprint(i), slack.NewTextBlockObject(slack.PlainTextType, "o", false, false), nil)
	}
	text := func(s string) slack.MsgOption { return slack.MsgOptionText(s, false) }
	blocks := slack.MsgOptionBlocks
	tests := []struct {
		name    string
		channel string
		opts    []slack.MsgOption
		want    string
	}{
		{"Text", moim, []slack.MsgOption{text("hi")}, ""},
		{"Blocks", moim, []slack.MsgOption{text("hi"), blocks(section("*hi*"), slack.NewActionBlock("a", button("b1", "OK", "ok:1")))}, ""},
		{"ToUser", alice, []slack.MsgOption{text("hi")}, ""},
		{"UnknownChannel", "C0NONE0001", []slack.MsgOption{text("hi")}, "channel_not_found"},
		{"Archived", "C0OLD00001", []slack.MsgOption{text("hi")}, "is_archived"},
		{"NotMember", "C0OUT00001", []slack.MsgOption{text("hi")}, "not_in_channel"},
		{"NoText", moim, []slack.MsgOption{text("")}, "no_text"},
		{"TooLong", moim, []slack.MsgOption{text(strings.Repeat("가", 40001))}, "msg_too_long"},
		{"51Blocks", moim, []slack.MsgOption{text("x"), blocks(many...)}, "invalid_blocks"},
		{"LongSection", moim, []slack.MsgOption{text("x"), blocks(section(strings.Repeat("가", 3001)))}, "invalid_blocks"},
		{"LongHeader", moim, []slack.MsgOption{text("x"), blocks(slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, strings.Repeat("a", 151), false, false)))}, "invalid_blocks"},
		{"LongButton", moim, []slack.MsgOption{text("x"), blocks(slack.NewActionBlock("", button("b", strings.Repeat("a", 76), "v")))}, "invalid_blocks"},
		{"SameActionID", moim, []slack.MsgOption{text("x"), blocks(slack.NewActionBlock("", button("b", "a", "1"), button("b", "b", "2")))}, "invalid_blocks"},
		{"101Options", moim, []slack.MsgOption{text("x"), blocks(slack.NewActionBlock("", slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "s", opts...)))}, "invalid_blocks"},
		{"100Options", moim, []slack.MsgOption{text("x"), blocks(slack.NewActionBlock("", slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "s", opts[:100]...)))}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, ts, err := api.PostMessageContext(ctx, tt.channel, tt.opts...)
			if got := code(err); got != tt.want {
				t.Fatalf("error %q, want %q", got, tt.want)
			}
			if tt.want == "" {
				if _, ok := srv.Message(ch, ts); !ok {
					t.Errorf("message %s %s not stored", ch, ts)
				}
			}
		})
	}
	t.Run("Raw", func(t *testing.T) {
		res, err := http.PostForm(srv.APIURL()+"chat.postMessage", url.Values{"token": {srv.BotToken}, "channel": {moim}, "blocks": {"{"}})
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body struct{ Error string }
		_ = json.NewDecoder(res.Body).Decode(&body)
		if body.Error != "invalid_blocks_format" {
			t.Errorf("error %q, want invalid_blocks_format", body.Error)
		}
	})
}

func TestConversationsAndUpdates(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t)
	api := slack.New(srv.BotToken, slack.OptionAPIURL(srv.APIURL()))
	open := func(user string) (string, bool, error) {
		ch, _, already, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}})
		if ch == nil {
			return "", already, err
		}
		return ch.ID, already, err
	}
	dm, already, err := open(alice)
	if err != nil || dm != srv.DM(alice) || already {
		t.Fatalf("open = %s, %v, %v; want %s, new", dm, already, err, srv.DM(alice))
	}
	if _, already, _ := open(alice); !already {
		t.Error("second open not already_open")
	}
	for user, want := range map[string]string{"U0NOBODY01": "user_not_found", carol: "user_disabled", srv.BotUserID: "cannot_dm_bot"} {
		if _, _, err := open(user); code(err) != want {
			t.Errorf("open %s: %v, want %s", user, err, want)
		}
	}

	_, ts, err := api.PostMessageContext(ctx, dm, slack.MsgOptionText("before", false))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, dm, ts, slack.MsgOptionText("after", false)); err != nil {
		t.Fatal(err)
	}
	if m, _ := srv.Message(dm, ts); m.Text != "after" || m.Edits != 1 {
		t.Errorf("message = %+v, want edited to after", m)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, dm, "1.000001", slack.MsgOptionText("x", false)); code(err) != "message_not_found" {
		t.Errorf("update of a missing message: %v", err)
	}
	if _, err := api.PostEphemeralContext(ctx, moim, "U0NOBODY01", slack.MsgOptionText("x", false)); code(err) != "user_not_found" {
		t.Errorf("ephemeral to nobody: %v", err)
	}
	ets, err := api.PostEphemeralContext(ctx, moim, alice, slack.MsgOptionText("only you", false))
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := srv.Message(moim, ets); !ok || !m.Ephemeral || m.Recipient != alice {
		t.Errorf("ephemeral = %+v", m)
	}
}

func TestFaults(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t)
	api := slack.New(srv.BotToken, slack.OptionAPIURL(srv.APIURL()))
	srv.Fail("chat.postMessage", 1, slacktest.Fault{Status: 429, RetryAfter: 3 * time.Second})
	srv.Fail("chat.postMessage", 1, slacktest.Fault{Status: 429})
	srv.Fail("chat.postMessage", 2, slacktest.Fault{Status: 503})
	srv.Fail("chat.postMessage", 1, slacktest.Fault{Error: "ratelimited"})
	post := func() error {
		_, _, err := api.PostMessageContext(ctx, moim, slack.MsgOptionText("x", false))
		return err
	}
	var rl *slack.RateLimitedError
	if err := post(); !errors.As(err, &rl) || rl.RetryAfter != 3*time.Second {
		t.Errorf("first: %v, want RateLimitedError 3s", err)
	}
	var sc slack.StatusCodeError
	for _, want := range []int{429, 503, 503} {
		if err := post(); !errors.As(err, &sc) || sc.Code != want {
			t.Errorf("%v, want StatusCodeError %d", err, want)
		}
	}
	if err := post(); code(err) != "ratelimited" {
		t.Errorf("%v, want ratelimited", err)
	}
	if err := post(); err != nil {
		t.Errorf("after the faults: %v", err)
	}
	calls := srv.Calls("chat.postMessage")
	if len(calls) != 6 || calls[0].RetryAfter != 3*time.Second || calls[0].Status != 429 || calls[1].RetryAfter != 0 || !calls[5].OK() {
		t.Errorf("calls = %v", calls)
	}
}

// dial opens a Socket Mode connection as a client would and reads hello.
func dial(t *testing.T, srv *slacktest.Server) (*websocket.Conn, chan struct{}) {
	t.Helper()
	ctx := testCtx(t)
	_, wsURL, err := slack.New(srv.BotToken, slack.OptionAPIURL(srv.APIURL()), slack.OptionAppLevelToken(srv.AppToken)).StartSocketModeContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ws, res, err := websocket.DefaultDialer.DialContext(ctx, wsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	t.Cleanup(func() { ws.Close() })
	pinged := make(chan struct{}, 16)
	ws.SetPingHandler(func(string) error {
		select {
		case pinged <- struct{}{}:
		default:
		}
		return nil
	})
	var hello struct{ Type string }
	if err := ws.ReadJSON(&hello); err != nil || hello.Type != "hello" {
		t.Fatalf("first frame %+v, %v; want hello", hello, err)
	}
	// A second use of the same URL is refused.
	if _, res, err := websocket.DefaultDialer.DialContext(ctx, wsURL, nil); err == nil || res == nil || res.StatusCode != http.StatusUnauthorized {
		t.Errorf("second dial with the ticket: %v, want 401", err)
	}
	return ws, pinged
}

func TestSocketMode(t *testing.T) {
	srv := slacktest.NewServer(slacktest.WithPingInterval(10 * time.Millisecond))
	t.Cleanup(srv.Close)
	srv.AddUser(slacktest.User{ID: alice, Name: "alice"})
	srv.AddChannel(slacktest.Channel{ID: moim, Name: "moim"})
	ctx := testCtx(t)
	ws, pinged := dial(t, srv)
	if err := srv.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}

	type envelope struct {
		EnvelopeID   string          `json:"envelope_id"`
		Type         string          `json:"type"`
		Payload      json.RawMessage `json:"payload"`
		Accepts      bool            `json:"accepts_response_payload"`
		RetryAttempt int             `json:"retry_attempt"`
		RetryReason  string          `json:"retry_reason"`
	}
	// One goroutine reads, so that pings are answered all along.
	frames := make(chan envelope)
	go func() {
		defer close(frames)
		for {
			var e envelope
			if err := ws.ReadJSON(&e); err != nil {
				return
			}
			frames <- e
		}
	}()
	read := func() envelope {
		t.Helper()
		select {
		case e, ok := <-frames:
			if !ok {
				t.Fatal("connection closed")
			}
			return e
		case <-ctx.Done():
			t.Fatal("no envelope")
		}
		return envelope{}
	}
	id, err := srv.SlashCommand(ctx, alice, moim, "member add A&B")
	if err != nil {
		t.Fatal(err)
	}
	e := read()
	var cmd slack.SlashCommand
	if err := json.Unmarshal(e.Payload, &cmd); err != nil {
		t.Fatal(err)
	}
	if e.EnvelopeID != id || e.Type != "slash_commands" || !e.Accepts || e.RetryAttempt != 0 ||
		cmd.Command != "/moim" || cmd.Text != "member add A&amp;B" || cmd.UserID != alice || cmd.UserName != "alice" ||
		cmd.ChannelID != moim || cmd.ChannelName != "moim" || cmd.TriggerID == "" || cmd.TeamID != srv.TeamID {
		t.Errorf("envelope %+v with command %+v", e, cmd)
	}
	select {
	case <-pinged:
	case <-ctx.Done():
		t.Fatal("no ping")
	}
	if err := ws.WriteJSON(map[string]any{"envelope_id": id}); err != nil {
		t.Fatal(err)
	}
	if a, err := srv.WaitAck(ctx, id); err != nil || a.Attempt != 0 || a.Latency <= 0 {
		t.Errorf("ack %+v, %v", a, err)
	}
	if err := srv.Redeliver(id); err != nil {
		t.Fatal(err)
	}
	if e := read(); e.EnvelopeID != id || e.RetryAttempt != 1 || e.RetryReason != "timeout" {
		t.Errorf("redelivery %+v", e)
	}

	// A click needs a message with the button.
	api := slack.New(srv.BotToken, slack.OptionAPIURL(srv.APIURL()))
	_, ts, err := api.PostMessageContext(ctx, moim, slack.MsgOptionText("x", false), slack.MsgOptionBlocks(
		slack.NewActionBlock("a", button("b1", "OK", "ok:1"),
			slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "s1",
				slack.NewOptionBlockObject("pick:2", slack.NewTextBlockObject(slack.PlainTextType, "Two", false, false), nil)))))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Click(ctx, alice, moim, ts, "nothing"); err == nil {
		t.Error("a click on a missing button succeeded")
	}
	for _, tc := range []struct{ value, typ string }{{"ok:1", "button"}, {"pick:2", "static_select"}} {
		if _, err := srv.Click(ctx, alice, moim, ts, tc.value); err != nil {
			t.Fatal(err)
		}
		e := read()
		var cb slack.InteractionCallback
		if err := json.Unmarshal(e.Payload, &cb); err != nil {
			t.Fatal(err)
		}
		a := cb.ActionCallback.BlockActions
		if e.Type != "interactive" || cb.Type != slack.InteractionTypeBlockActions || len(a) != 1 || string(a[0].Type) != tc.typ ||
			a[0].Value+a[0].SelectedOption.Value != tc.value || cb.Container.MessageTs != ts || cb.Channel.ID != moim || cb.User.ID != alice {
			t.Errorf("click %s: %+v", tc.value, cb)
		}
	}

	if n := srv.DropConnections(); n != 1 {
		t.Errorf("dropped %d, want 1", n)
	}
	if _, ok := <-frames; ok {
		t.Error("a frame after the drop")
	}
	// Whether or not the server has noticed the drop yet, nothing can be
	// delivered.
	if err := srv.Redeliver(id); err == nil {
		t.Error("Redeliver without a connection succeeded")
	}
}

func TestHTTPPayloads(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t)
	// The signature of Slack's documented example.
	body := "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	if got := slacktest.Signature("8f742231b10e8888abcd99yyyzzz85a5", 1531420618, []byte(body)); got != "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503" {
		t.Errorf("Signature = %s", got)
	}
	// slack-go's own verifier accepts what SignedRequest signs.
	now := time.Now()
	req, err := slacktest.SignedRequest("http://127.0.0.1/slack/commands", "secret", now, srv.CommandForm(alice, moim, "현황"))
	if err != nil {
		t.Fatal(err)
	}
	sv, err := slack.NewSecretsVerifier(req.Header, "secret")
	if err != nil {
		t.Fatal(err)
	}
	raw := new(bytes.Buffer)
	_, _ = raw.ReadFrom(req.Body)
	_, _ = sv.Write(raw.Bytes())
	if err := sv.Ensure(); err != nil {
		t.Errorf("slack-go rejects the signature: %v", err)
	}
	req.Body = http.NoBody
	r2, _ := http.NewRequest(http.MethodPost, "/", bytes.NewReader(raw.Bytes()))
	r2.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	cmd, err := slack.SlashCommandParse(r2)
	if err != nil || cmd.Text != "현황" || cmd.UserID != alice || cmd.Command != "/moim" {
		t.Errorf("command %+v, %v", cmd, err)
	}

	api := slack.New(srv.BotToken, slack.OptionAPIURL(srv.APIURL()))
	_, ts, err := api.PostMessageContext(ctx, moim, slack.MsgOptionText("x", false), slack.MsgOptionBlocks(slack.NewActionBlock("a", button("b1", "OK", "ok:1"))))
	if err != nil {
		t.Fatal(err)
	}
	form, err := srv.ClickForm(alice, moim, ts, "ok:1")
	if err != nil {
		t.Fatal(err)
	}
	r3, _ := http.NewRequest(http.MethodPost, "/", bytes.NewReader(form))
	r3.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	cb, err := slack.InteractionCallbackParse(r3)
	if err != nil || len(cb.ActionCallback.BlockActions) != 1 || cb.ActionCallback.BlockActions[0].Value != "ok:1" {
		t.Errorf("interaction %+v, %v", cb, err)
	}
}

func TestEvents(t *testing.T) {
	srv := newServer(t)
	body, f := srv.FileShareEvent(alice, "a.xlsx", "application/x", []byte("data"))
	ev, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
	if err != nil {
		t.Fatal(err)
	}
	cb, _ := ev.Data.(*slackevents.EventsAPICallbackEvent)
	m, _ := ev.InnerEvent.Data.(*slackevents.MessageEvent)
	if cb == nil || m == nil || cb.EventID == "" || !m.IsIM() || m.SubType != "file_share" || m.User != alice || m.Channel != srv.DM(alice) ||
		m.Message == nil || len(m.Message.Files) != 1 || m.Message.Files[0].ID != f.ID || m.Message.Files[0].URLPrivateDownload != f.URL {
		t.Fatalf("event %+v, message %+v", cb, m)
	}
	get := func(token string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodGet, f.URL, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b := new(bytes.Buffer)
		_, _ = b.ReadFrom(res.Body)
		return res, b.String()
	}
	if res, got := get(srv.BotToken); res.StatusCode != 200 || got != "data" || res.Header.Get("Content-Type") != "application/x" {
		t.Errorf("download with the bot token: %d %q", res.StatusCode, got)
	}
	for _, token := range []string{"", "xoxb-other"} {
		if res, got := get(token); res.Request.URL.Path != "/signin" || !strings.Contains(got, "Sign in") {
			t.Errorf("download with %q ended at %s: %q, want the sign-in page", token, res.Request.URL, got)
		}
	}
}
