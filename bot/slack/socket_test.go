package slack_test

import (
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/bot/slack"
	"github.com/moimbot/moimbot/bot/slack/slacktest"
)

func TestSocketCommand(t *testing.T) {
	srv := newServer(t)
	rec := newRecorder()
	a := newAdapter(t, srv, rec)
	run(t, a)
	ctx := testCtx(t)

	if id, ok := a.Identity(); !ok || id.UserID != srv.BotUserID || id.TeamID != srv.TeamID {
		t.Errorf("Identity = %+v, %v; want the bot user %s of team %s", id, ok, srv.BotUserID, srv.TeamID)
	}
	tests := []struct {
		name, typed, want string
	}{
		{"Subcommand", "status 2026-11", "/status 2026-11"},
		{"Korean", "현황", "/현황"},
		{"Member", "member add 김민수 30000", "/member add 김민수 30000"},
		{"Bare", "", "/help"},
		{"Escaped", "member add A&B <x>", "/member add A&B <x>"},
		{"LeadingSlash", " /status ", "/status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := srv.SlashCommand(ctx, alice, moim, tt.typed)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := srv.WaitAck(ctx, env); err != nil {
				t.Fatal(err)
			}
			u := rec.next(t)
			want := bot.Update{
				Chat:  ref(moim),
				Title: "moim",
				From:  bot.User{Platform: "slack", ID: alice, Name: "alice"},
				Text:  tt.want,
			}
			if !strings.HasPrefix(u.ID, "slack:") || len(u.ID) < 10 {
				t.Errorf("ID = %q, want slack:<trigger id>", u.ID)
			}
			u.ID = ""
			if u.Chat != want.Chat || u.Title != want.Title || u.From != want.From || u.Text != want.Text || u.Private || u.Tap != nil {
				t.Errorf("update = %+v, want %+v", u, want)
			}
		})
	}

	t.Run("Replies", func(t *testing.T) {
		// A board to the channel, a usage error only the caller sees.
		if err := a.Send(ctx, bot.Message{Chat: ref(moim), Kind: bot.KindBoard, Text: "📋 모임 11월 회비 현황\n✅ 완납 1명: 김민수"}); err != nil {
			t.Fatal(err)
		}
		c, err := srv.WaitFor(ctx, slacktest.Posted(moim))
		if err != nil {
			t.Fatal(err)
		}
		if c.Token != slacktest.TokenBot || len(c.Blocks()) != 2 || c.Args["text"] == "" {
			t.Errorf("post = %v with %d blocks, want the bot token, 2 blocks and a text", c, len(c.Blocks()))
		}
		if err := a.Send(ctx, bot.Message{Chat: ref(moim), Kind: bot.KindReply, Text: "사용법: /moim status [연-월]", Only: alice}); err != nil {
			t.Fatal(err)
		}
		e, err := srv.WaitFor(ctx, slacktest.Ephemeral(moim, alice))
		if err != nil {
			t.Fatal(err)
		}
		if got := e.Args["text"]; got != "사용법: /moim status [연-월]" {
			t.Errorf("ephemeral text = %q", got)
		}
	})
}

func TestSocketDirectMessage(t *testing.T) {
	srv := newServer(t)
	rec := newRecorder()
	a := newAdapter(t, srv, rec)
	run(t, a)
	ctx := testCtx(t)
	dm := srv.DM(alice)

	env, err := srv.SlashCommand(ctx, alice, dm, "확인")
	if err != nil {
		t.Fatal(err)
	}
	u := rec.next(t)
	if !u.Private || u.Chat != ref(alice) || u.Title != "" || u.Text != "/확인" {
		t.Errorf("update = %+v, want a private /확인 in Alice's chat", u)
	}
	if _, err := srv.WaitAck(ctx, env); err != nil {
		t.Fatal(err)
	}

	// Concurrent messages to Alice open the direct message once.
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := range 10 {
		wg.Go(func() {
			errs <- a.Send(ctx, bot.Message{Chat: ref(alice), Kind: bot.KindReview, Text: "🔎 확인이 필요한 입금 " + string(rune('A'+i)) + "\n30,000원"})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := len(srv.Calls("conversations.open")); n != 1 {
		t.Errorf("conversations.open called %d times, want 1", n)
	}
	if n := len(srv.Messages(dm)); n != 10 {
		t.Errorf("%d messages in the DM, want 10", n)
	}
	// Only set to the DM's own user: posted, not ephemeral.
	if err := a.Send(ctx, bot.Message{Chat: ref(alice), Text: "도움말", Only: alice}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.WaitFor(ctx, slacktest.Posted(dm)); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Calls("chat.postEphemeral")); n != 0 {
		t.Errorf("%d ephemeral posts, want 0", n)
	}
}

func TestSocketTapAndEdit(t *testing.T) {
	srv := newServer(t)
	rec := newRecorder()
	rec.notice = "김민수님으로 처리했어요"
	a := newAdapter(t, srv, rec)
	run(t, a)
	ctx := testCtx(t)
	dm := srv.DM(alice)

	review := bot.Message{
		Chat: ref(alice), Kind: bot.KindReview,
		Text: "🔎 확인이 필요한 입금 — 모임\n11월 24일(화) 21:03 · 30,000원 · 보낸 분 \"엄마\"\n후보: 김민수 (70%)",
		Buttons: [][]bot.Button{
			{{Text: "김민수님으로 처리", Data: "assign:9:m1"}},
			{{Text: "회비 아님", Data: "ignore:9"}},
		},
	}
	if err := a.Send(ctx, review); err != nil {
		t.Fatal(err)
	}
	post, err := srv.WaitFor(ctx, slacktest.Posted(dm))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("Button", func(t *testing.T) {
		env, err := srv.Click(ctx, alice, dm, post.TS, "assign:9:m1")
		if err != nil {
			t.Fatal(err)
		}
		u := rec.next(t)
		if u.Tap == nil || u.Tap.Data != "assign:9:m1" || u.Tap.Message != post.TS || !u.Private || u.Chat != ref(alice) || u.From.ID != alice {
			t.Fatalf("update = %+v (tap %+v)", u, u.Tap)
		}
		if _, err := srv.WaitAck(ctx, env); err != nil {
			t.Fatal(err)
		}
		// The notice goes to the tapper alone.
		e, err := srv.WaitFor(ctx, slacktest.Ephemeral(dm, alice))
		if err != nil {
			t.Fatal(err)
		}
		if e.Args["text"] != rec.notice {
			t.Errorf("notice = %q, want %q", e.Args["text"], rec.notice)
		}
	})

	t.Run("Edit", func(t *testing.T) {
		decided := bot.Message{Chat: ref(alice), Kind: bot.KindReply, Edit: post.TS, Text: review.Text + "\n\n✅ 김민수님으로 처리했어요 (alice)"}
		if err := a.Send(ctx, decided); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.WaitFor(ctx, slacktest.Updated(dm, post.TS)); err != nil {
			t.Fatal(err)
		}
		m, _ := srv.Message(dm, post.TS)
		if m.Edits != 1 || !strings.Contains(m.Text, "처리했어요") {
			t.Errorf("message = %+v, want it edited to the decision", m)
		}
		for _, b := range m.Blocks() {
			if b.Type == "actions" {
				t.Errorf("the decided message still has buttons: %+v", b)
			}
		}
	})

	t.Run("Select", func(t *testing.T) {
		var rows [][]bot.Button
		for _, name := range []string{"김민수", "이지은", "박서준", "최유나", "한지호", "윤서연", "정하늘"} {
			rows = append(rows, []bot.Button{{Text: name, Data: "assign:9:" + name}})
		}
		rows = append(rows, []bot.Button{{Text: "회비 아님", Data: "ignore:9"}})
		if err := a.Send(ctx, bot.Message{Chat: ref(alice), Edit: post.TS, Text: review.Text + "\n\n누구의 입금인지 골라 주세요", Buttons: rows}); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.WaitN(ctx, 2, slacktest.Updated(dm, post.TS)); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Click(ctx, alice, dm, post.TS, "assign:9:한지호"); err != nil {
			t.Fatal(err)
		}
		if u := rec.next(t); u.Tap == nil || u.Tap.Data != "assign:9:한지호" || u.Tap.Message != post.TS {
			t.Errorf("update = %+v (tap %+v), want the picked member", u, u.Tap)
		}
	})
}

// TestSocketUnreadable: an envelope slack-go cannot decode is
// acknowledged all the same, and reaches no handler.
func TestSocketUnreadable(t *testing.T) {
	srv := newServer(t)
	rec := newRecorder()
	a := newAdapter(t, srv, rec)
	run(t, a)
	ctx := testCtx(t)
	for _, typ := range []string{"some_new_type", "slash_commands"} {
		env, err := srv.SendEnvelope(ctx, typ, json.RawMessage(`{"text": 42}`))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := srv.WaitAck(ctx, env); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.SlashCommand(ctx, alice, moim, "status"); err != nil {
		t.Fatal(err)
	}
	if u := rec.next(t); u.Text != "/status" {
		t.Errorf("update = %+v, want the /status after the unreadable envelopes", u)
	}
}

func TestSocketRedelivery(t *testing.T) {
	srv := newServer(t)
	rec := newRecorder()
	a := newAdapter(t, srv, rec)
	run(t, a)
	ctx := testCtx(t)

	env, err := srv.SlashCommand(ctx, alice, moim, "status")
	if err != nil {
		t.Fatal(err)
	}
	first := rec.next(t)
	if _, err := srv.WaitAck(ctx, env); err != nil {
		t.Fatal(err)
	}
	if err := srv.Redeliver(env); err != nil {
		t.Fatal(err)
	}
	acks, err := srv.WaitAcks(ctx, env, 2)
	if err != nil {
		t.Fatal(err)
	}
	if acks[1].Attempt != 1 {
		t.Errorf("second ack acknowledges attempt %d, want 1", acks[1].Attempt)
	}
	// The redelivery reached no handler: the next update is the next
	// command.
	if _, err := srv.SlashCommand(ctx, alice, moim, "unpaid"); err != nil {
		t.Fatal(err)
	}
	if u := rec.next(t); u.Text != "/unpaid" || u.ID == first.ID {
		t.Errorf("update after the redelivery = %+v, want /unpaid", u)
	}
}

func TestSocketReconnect(t *testing.T) {
	srv := newServer(t)
	rec := newRecorder()
	a := newAdapter(t, srv, rec)
	run(t, a)
	ctx := testCtx(t)

	tests := []struct {
		name   string
		break_ func()
	}{
		{"Dropped", func() {
			if n := srv.DropConnections(); n != 1 {
				t.Errorf("dropped %d connections, want 1", n)
			}
		}},
		{"DisconnectRequested", srv.Disconnect},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The adapter may see its connection before the fake has
			// registered it (and sent hello): break it only then.
			if err := srv.WaitConnected(ctx, i+1); err != nil {
				t.Fatal(err)
			}
			tt.break_()
			if err := srv.WaitConnected(ctx, i+2); err != nil {
				t.Fatal(err)
			}
			if err := a.WaitConnected(ctx); err != nil {
				t.Fatal(err)
			}
			env, err := srv.SlashCommand(ctx, bob, moim, "status")
			if err != nil {
				t.Fatal(err)
			}
			if u := rec.next(t); u.Text != "/status" || u.From.ID != bob {
				t.Errorf("update = %+v", u)
			}
			if _, err := srv.WaitAck(ctx, env); err != nil {
				t.Fatal(err)
			}
		})
	}
	if got := len(srv.Calls("apps.connections.open")); got != 3 {
		t.Errorf("apps.connections.open called %d times, want 3", got)
	}
}

// TestSocketOrder: one chat's updates reach the handler one at a time, in
// order; a panicking handler is recovered.
func TestSocketOrder(t *testing.T) {
	srv := newServer(t)
	var mu sync.Mutex
	busy := map[string]bool{}
	overlap := false
	handled := make(chan bot.Update, 16)
	h := bot.HandlerFunc(func(_ context.Context, u bot.Update) string {
		mu.Lock()
		overlap = overlap || busy[u.Chat.ID]
		busy[u.Chat.ID] = true
		mu.Unlock()
		defer func() {
			mu.Lock()
			busy[u.Chat.ID] = false
			mu.Unlock()
			handled <- u
		}()
		if u.Text == "/panic" {
			panic("boom")
		}
		return ""
	})
	a := newAdapter(t, srv, h)
	run(t, a)
	ctx := testCtx(t)
	texts := []string{"a", "panic", "b", "c", "d"}
	for _, x := range texts {
		if _, err := srv.SlashCommand(ctx, alice, moim, x); err != nil {
			t.Fatal(err)
		}
	}
	// A command in another chat goes through too.
	if _, err := srv.SlashCommand(ctx, bob, srv.DM(bob), "e"); err != nil {
		t.Fatal(err)
	}
	var inMoim []string
	for range len(texts) + 1 {
		select {
		case u := <-handled:
			if u.Chat == ref(moim) {
				inMoim = append(inMoim, u.Text)
			}
		case <-ctx.Done():
			t.Fatalf("handled %v, want %d updates", inMoim, len(texts)+1)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(inMoim, " ") != "/a /panic /b /c /d" || overlap {
		t.Errorf("handled %v (overlap %v), want /a /panic /b /c /d one at a time", inMoim, overlap)
	}
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(*slack.Config)
		want string
	}{
		{"BotToken", func(c *slack.Config) { c.BotToken = "xoxb-wrong-token-value" }, "invalid_auth"},
		{"AppToken", func(c *slack.Config) { c.AppToken = "xapp-wrong-token-value" }, "invalid_auth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			a := newAdapter(t, srv, newRecorder(), tt.edit)
			err := a.Run(testCtx(t))
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "wrong-token") {
				t.Errorf("Run = %v, want %s without the token", err, tt.want)
			}
			if a.Connected() {
				t.Error("Connected after Run failed")
			}
		})
	}
	t.Run("NoHandler", func(t *testing.T) {
		srv := newServer(t)
		if err := newAdapter(t, srv, nil).Run(testCtx(t)); err == nil {
			t.Error("Run without a handler succeeded")
		}
	})
}

// TestRunRetriesAuthTest: a failing auth.test is retried, not fatal.
func TestRunRetriesAuthTest(t *testing.T) {
	srv := newServer(t)
	srv.Fail("auth.test", 1, slacktest.Fault{Status: 503})
	a := newAdapter(t, srv, newRecorder())
	run(t, a)
	if n := len(srv.Calls("auth.test")); n != 2 {
		t.Errorf("auth.test called %d times, want 2", n)
	}
}

// TestRunShutdown: cancelling Run's context returns nil once the handler
// call in progress has finished, and leaves no goroutine behind.
func TestRunShutdown(t *testing.T) {
	srv := newServer(t)
	before := runtime.NumGoroutine()

	started, release := make(chan struct{}), make(chan struct{})
	finished := make(chan struct{})
	h := bot.HandlerFunc(func(context.Context, bot.Update) string {
		close(started)
		<-release
		close(finished)
		return ""
	})
	a := newAdapter(t, srv, h)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	tctx := testCtx(t)
	if err := a.WaitConnected(tctx); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.SlashCommand(tctx, alice, moim, "status"); err != nil {
		t.Fatal(err)
	}
	<-started
	cancel()
	select {
	case err := <-done:
		t.Fatalf("Run returned %v while the handler was running", err)
	case <-time.After(50 * time.Millisecond): // a bounded check that Run waits, not a synchronisation
	}
	close(release)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	select {
	case <-finished:
	default:
		t.Error("Run returned before the handler finished")
	}
	if a.Connected() {
		t.Error("Connected after Run returned")
	}
	srv.Close()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines after shutdown, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond)
	}
}
