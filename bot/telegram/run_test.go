package telegram_test

import (
	"context"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/bot/telegram"
	"github.com/moimbot/moimbot/bot/telegram/telegramtest"
)

func TestRunStartup(t *testing.T) {
	srv := newServer(t)
	a := newAdapter(t, srv, newRecorder())
	if got := a.Username(); got != "" {
		t.Errorf("Username before Run = %q, want \"\"", got)
	}
	run(t, srv, a, false)

	if got, want := a.Username(), srv.Bot().Username; got != want {
		t.Errorf("Username = %q, want %q", got, want)
	}
	var order []string
	for _, c := range srv.Calls("") {
		if c.Method != "getUpdates" && !slices.Contains(order, c.Method) {
			order = append(order, c.Method)
		}
	}
	if want := []string{"getMe", "deleteWebhook", "setMyCommands"}; !slices.Equal(order, want) {
		t.Errorf("calls before polling = %v, want %v", order, want)
	}
	// A poll is recorded once answered: at the latest after its 1-second
	// timeout.
	if c, err := srv.WaitFor(testCtx(t), method("getUpdates")); err != nil {
		t.Fatal(err)
	} else if !strings.Contains(c.Params["allowed_updates"], "my_chat_member") {
		t.Errorf("allowed_updates = %s, want my_chat_member in it", c.Params["allowed_updates"])
	}

	valid := regexp.MustCompile(`^[a-z0-9_]{1,32}$`)
	menus := map[string][]string{}
	for _, scope := range []string{"all_group_chats", "all_private_chats"} {
		for _, lang := range []string{"", "en"} {
			cmds, ok := srv.Commands(telegramtest.CommandScope{Type: scope}, lang)
			if !ok || len(cmds) == 0 {
				t.Errorf("no commands for %s/%q", scope, lang)
				continue
			}
			var names []string
			for _, c := range cmds {
				if !valid.MatchString(c.Command) || c.Description == "" {
					t.Errorf("%s/%q: bad command %+v", scope, lang, c)
				}
				names = append(names, c.Command)
			}
			menus[scope+"/"+lang] = names
		}
	}
	group, private := menus["all_group_chats/"], menus["all_private_chats/"]
	if !slices.Contains(group, "unpaid") || slices.Contains(group, "review") {
		t.Errorf("group menu = %v, want unpaid and not review", group)
	}
	if !slices.Contains(private, "review") || slices.Contains(private, "unpaid") || !slices.Contains(private, "status") {
		t.Errorf("private menu = %v, want review and status, not unpaid", private)
	}
	if !slices.Equal(group, menus["all_group_chats/en"]) || !slices.Equal(private, menus["all_private_chats/en"]) {
		t.Error("the Korean and English menus list different commands")
	}
	ko, _ := srv.Commands(telegramtest.CommandScope{Type: "all_group_chats"}, "")
	en, _ := srv.Commands(telegramtest.CommandScope{Type: "all_group_chats"}, "en")
	if !strings.Contains(ko[1].Description, "/현황") || strings.Contains(en[1].Description, "현황") {
		t.Errorf("status described as %q (ko) and %q (en)", ko[1].Description, en[1].Description)
	}
}

func TestRunErrUnauthorized(t *testing.T) {
	srv := newServer(t)
	a := newAdapter(t, srv, newRecorder(), func(c *telegram.Config) { c.Token = "7000000001:WRONG-token" })
	err := a.Run(testCtx(t))
	if err == nil || !strings.Contains(err.Error(), "Unauthorized") || strings.Contains(err.Error(), "WRONG-token") {
		t.Errorf("Run = %v, want Unauthorized without the token", err)
	}
}

func TestRunErrNoHandler(t *testing.T) {
	srv := newServer(t)
	a := newAdapter(t, srv, nil)
	if err := a.Run(testCtx(t)); err == nil {
		t.Error("Run without a handler succeeded")
	}
}

// TestRunRetriesStartup: a failing getMe is retried, not fatal.
func TestRunRetriesStartup(t *testing.T) {
	srv := newServer(t)
	srv.Fail("getMe", 1, 502, "Bad Gateway")
	a := newAdapter(t, srv, newRecorder())
	run(t, srv, a, false)
	if n := len(srv.Calls("getMe")); n != 2 {
		t.Errorf("getMe called %d times, want 2", n)
	}
}

func TestRunUpdates(t *testing.T) {
	srv := newServer(t)
	rec := newRecorder()
	rec.notice = "기록했어요 <3"
	a := newAdapter(t, srv, rec)
	run(t, srv, a, false)
	ctx := testCtx(t)
	botName := srv.Bot().Username

	t.Run("GroupCommand", func(t *testing.T) {
		m, err := srv.SendText(superID, aliceID, "/status@"+botName+" 2026-09")
		if err != nil {
			t.Fatal(err)
		}
		u := rec.next(t)
		want := bot.Update{
			Chat:      ref(superID),
			Title:     "Moim",
			From:      bot.User{Platform: "telegram", ID: "1001", Name: "Alice Kim", Username: "alice"},
			Bot:       botName,
			Text:      "/status@" + botName + " 2026-09",
			MessageID: strconv.Itoa(m.MessageID),
		}
		if !strings.HasPrefix(u.ID, "telegram:") {
			t.Errorf("ID = %q, want telegram:<update_id>", u.ID)
		}
		u.ID = ""
		if !equalUpdate(u, want) {
			t.Errorf("update = %+v, want %+v", u, want)
		}
	})

	t.Run("Private", func(t *testing.T) {
		if _, err := srv.SendText(bobID, bobID, "/현황"); err != nil {
			t.Fatal(err)
		}
		u := rec.next(t)
		if !u.Private || u.Chat != ref(bobID) || u.From.ID != "1002" || u.From.Name != "Bob" || u.Text != "/현황" {
			t.Errorf("update = %+v", u)
		}
	})

	t.Run("Tap", func(t *testing.T) {
		if err := a.Send(ctx, bot.Message{Chat: ref(aliceID), Text: "누구 회비?", Buttons: [][]bot.Button{{{Text: "김민수", Data: "r:9:m:1"}}}}); err != nil {
			t.Fatal(err)
		}
		sent := srv.Sent(aliceID)
		msgID := sent[len(sent)-1].MessageID
		q, err := srv.Tap(aliceID, msgID, aliceID, "r:9:m:1")
		if err != nil {
			t.Fatal(err)
		}
		u := rec.next(t)
		if u.Tap == nil || u.Tap.Data != "r:9:m:1" || u.Tap.Message != strconv.Itoa(msgID) || u.Chat != ref(aliceID) || u.From.ID != "1001" || !u.Private {
			t.Errorf("update = %+v (tap %+v)", u, u.Tap)
		}
		c, err := srv.WaitFor(ctx, func(c telegramtest.Call) bool {
			return c.Method == "answerCallbackQuery" && c.Params["callback_query_id"] == q.ID
		})
		if err != nil {
			t.Fatal(err)
		}
		if !c.OK() || c.Params["text"] != rec.notice {
			t.Errorf("answer = %v, text %q, want %q", c, c.Params["text"], rec.notice)
		}
	})

	t.Run("TapInaccessible", func(t *testing.T) {
		// A tap on a message too old to be shown: date 0.
		srv.Push(telegramtest.Update{CallbackQuery: &telegramtest.CallbackQuery{
			ID: "old-query", From: telegramtest.User{ID: aliceID, FirstName: "Alice"}, ChatInstance: "1", Data: "r:1:later",
			Message: &telegramtest.Message{MessageID: 3, Chat: telegramtest.Chat{ID: superID, Type: "supergroup"}},
		}})
		u := rec.next(t)
		if u.Tap == nil || u.Tap.Data != "r:1:later" || u.Tap.Message != "3" || u.Chat != ref(superID) {
			t.Errorf("update = %+v (tap %+v)", u, u.Tap)
		}
		if _, err := srv.WaitFor(ctx, func(c telegramtest.Call) bool {
			return c.Method == "answerCallbackQuery" && c.Params["callback_query_id"] == "old-query"
		}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("Document", func(t *testing.T) {
		m, err := srv.SendDocument(aliceID, aliceID, telegramtest.Upload{FileName: "거래내역.csv", Data: []byte("a,b\n")}, "5월 /import")
		if err != nil {
			t.Fatal(err)
		}
		u := rec.next(t)
		want := bot.Document{ID: m.Document.FileID, Name: "거래내역.csv", MIME: "text/csv", Size: 4}
		if u.Document == nil || *u.Document != want || u.Text != "5월 /import" || !u.Private || u.MessageID != strconv.Itoa(m.MessageID) {
			t.Errorf("update = %+v, document %+v; want document %+v with its caption", u, u.Document, want)
		}
	})

	t.Run("Ignored", func(t *testing.T) {
		// A bot's message, a bot's document and a photo with a caption
		// reach no handler; the message after them does.
		group := telegramtest.Chat{ID: superID, Type: "supergroup"}
		other := &telegramtest.User{ID: 5000, IsBot: true, FirstName: "Other"}
		srv.Push(telegramtest.Update{Message: &telegramtest.Message{MessageID: 100, Date: 1, Chat: group, From: other, Text: "/status"}})
		srv.Push(telegramtest.Update{Message: &telegramtest.Message{MessageID: 101, Date: 1, Chat: group, From: other,
			Document: &telegramtest.Document{FileID: "F", FileUniqueID: "U", FileName: "a.csv"}}})
		srv.Push(telegramtest.Update{Message: &telegramtest.Message{MessageID: 102, Date: 1, Chat: group,
			From:    &telegramtest.User{ID: aliceID, FirstName: "Alice"},
			Photo:   []telegramtest.PhotoSize{{FileID: "P", FileUniqueID: "Q", Width: 90, Height: 90}},
			Caption: "/status",
		}})
		if _, err := srv.SendText(superID, aliceID, "after"); err != nil {
			t.Fatal(err)
		}
		if u := rec.next(t); u.Text != "after" {
			t.Errorf("update = %+v, want the text after", u)
		}
	})

	t.Run("Membership", func(t *testing.T) {
		tests := []struct {
			name string
			do   func() error
			chat int64
			want bot.Membership
		}{
			{"KickedFromSupergroup", func() error { return srv.RemoveBot(superID, aliceID) }, superID, bot.Membership{Removed: true}},
			{"LeftBasicGroup", func() error { return srv.RemoveBot(groupID, aliceID) }, groupID, bot.Membership{Removed: true}},
			{"AddedAgain", func() error { return srv.AddBot(groupID, aliceID) }, groupID, bot.Membership{}},
			{"Blocked", func() error { return srv.Block(bobID) }, bobID, bot.Membership{Removed: true}},
			{"Unblocked", func() error { return srv.Unblock(bobID) }, bobID, bot.Membership{}},
			{"Migrated", func() error { _, err := srv.Migrate(groupID, -1005550002, aliceID); return err }, groupID, bot.Membership{MovedTo: "-1005550002"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if err := tc.do(); err != nil {
					t.Fatal(err)
				}
				u := rec.next(t)
				if u.Membership == nil || *u.Membership != tc.want || u.Chat != ref(tc.chat) || u.From.ID != "1001" && tc.chat != bobID {
					t.Errorf("update = %+v, membership %+v, want %+v in %d", u, u.Membership, tc.want, tc.chat)
				}
			})
		}
		// The supergroup's migrate_from message is not passed on: the
		// next update is the next message.
		if _, err := srv.SendText(-1005550002, aliceID, "hello"); err != nil {
			t.Fatal(err)
		}
		if u := rec.next(t); u.Text != "hello" || u.Chat != ref(-1005550002) {
			t.Errorf("update = %+v, want the message in the new supergroup", u)
		}
	})
}

func equalUpdate(a, b bot.Update) bool {
	return a.ID == b.ID && a.Chat == b.Chat && a.Private == b.Private && a.Title == b.Title && a.From == b.From &&
		a.Bot == b.Bot && a.Text == b.Text && a.MessageID == b.MessageID && (a.Document == nil) == (b.Document == nil) &&
		(a.Tap == nil) == (b.Tap == nil) && (a.Membership == nil) == (b.Membership == nil)
}

// TestRunOrderPerChat: many chats' updates are handled in parallel, one
// chat's in order and one at a time.
func TestRunOrderPerChat(t *testing.T) {
	const chats, perChat = 20, 20
	srv := newServer(t)
	var (
		mu       sync.Mutex
		seen     = map[string][]int{}
		inFlight = map[string]*atomic.Int32{}
		overlap  atomic.Int32
		maxPar   atomic.Int32
		par      atomic.Int32
		done     = make(chan struct{})
		total    int
	)
	for c := range chats {
		inFlight[ref(-2000-int64(c)).ID] = new(atomic.Int32)
	}
	h := bot.HandlerFunc(func(_ context.Context, u bot.Update) string {
		if inFlight[u.Chat.ID].Add(1) > 1 {
			overlap.Add(1)
		}
		if p := par.Add(1); p > maxPar.Load() {
			maxPar.Store(p)
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond) // work, so that chats overlap
		n, _ := strconv.Atoi(strings.TrimPrefix(u.Text, "m"))
		mu.Lock()
		seen[u.Chat.ID] = append(seen[u.Chat.ID], n)
		total++
		if total == chats*perChat {
			close(done)
		}
		mu.Unlock()
		par.Add(-1)
		inFlight[u.Chat.ID].Add(-1)
		return ""
	})
	a := newAdapter(t, srv, h)
	for c := range chats {
		srv.AddSupergroup(-2000-int64(c), "g"+strconv.Itoa(c))
	}
	run(t, srv, a, false)
	for i := range perChat {
		for c := range chats {
			if _, err := srv.SendText(-2000-int64(c), aliceID, "m"+strconv.Itoa(i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	select {
	case <-done:
	case <-testCtx(t).Done():
		t.Fatalf("handled %d of %d updates", total, chats*perChat)
	}
	mu.Lock()
	defer mu.Unlock()
	for chat, ns := range seen {
		if !slices.IsSorted(ns) || len(ns) != perChat {
			t.Errorf("chat %s handled %v, want 0..%d in order", chat, ns, perChat-1)
		}
	}
	if n := overlap.Load(); n != 0 {
		t.Errorf("%d updates handled while another of their chat was", n)
	}
	if maxPar.Load() < 2 {
		t.Errorf("at most %d updates handled at once, want chats in parallel", maxPar.Load())
	}
}

// TestRunHandlerPanic: a panicking handler is recovered, a tap is still
// answered, and later updates are handled.
func TestRunHandlerPanic(t *testing.T) {
	srv := newServer(t)
	rec := newRecorder()
	h := bot.HandlerFunc(func(ctx context.Context, u bot.Update) string {
		if u.Text == "/boom" || u.Tap != nil {
			panic("boom " + srv.Token) // the token must not reach the log
		}
		return rec.HandleUpdate(ctx, u)
	})
	var logged strings.Builder
	var logMu sync.Mutex
	a := newAdapter(t, srv, h, func(c *telegram.Config) { c.Log = slogTo(&logMu, &logged) })
	run(t, srv, a, false)
	ctx := testCtx(t)

	if _, err := srv.SendText(superID, aliceID, "/boom"); err != nil {
		t.Fatal(err)
	}
	if err := a.Send(ctx, bot.Message{Chat: ref(superID), Text: "x", Buttons: [][]bot.Button{{{Text: "b", Data: "d"}}}}); err != nil {
		t.Fatal(err)
	}
	sent := srv.Sent(superID)
	q, err := srv.Tap(superID, sent[len(sent)-1].MessageID, aliceID, "d")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.WaitFor(ctx, func(c telegramtest.Call) bool {
		return c.Method == "answerCallbackQuery" && c.Params["callback_query_id"] == q.ID && c.OK()
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.SendText(superID, aliceID, "/status"); err != nil {
		t.Fatal(err)
	}
	if u := rec.next(t); u.Text != "/status" {
		t.Errorf("update = %+v", u)
	}
	logMu.Lock()
	defer logMu.Unlock()
	if s := logged.String(); strings.Count(s, "handler panicked") != 2 || strings.Contains(s, srv.Token) {
		t.Errorf("log = %s\nwant two panics logged without the token", s)
	}
}

// TestRunStops: Run returns nil when its context ends and the handlers in
// progress have finished, with its own goroutines and the per-chat ones
// gone.
func TestRunStops(t *testing.T) {
	srv := newServer(t)
	block := make(chan struct{})
	h := bot.HandlerFunc(func(ctx context.Context, u bot.Update) string {
		if u.Text == "/slow" {
			select {
			case <-block:
			case <-ctx.Done():
			}
		}
		return ""
	})
	a := newAdapter(t, srv, h)
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	if err := srv.WaitPolling(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	for c := range 10 {
		id := -3000 - int64(c)
		srv.AddSupergroup(id, "g")
		for range 5 {
			if _, err := srv.SendText(id, aliceID, "/slow"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := srv.WaitN(testCtx(t), 2, method("getUpdates")); err != nil {
		t.Fatal(err)
	}
	// The handlers in progress are finished, not cut off (a command is
	// never left half-applied), and the updates still queued are handled
	// too (within bot.DrainGrace): Run returns once they are.
	cancel()
	close(block)
	runReturned(t, done)
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before Run, %d after:\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}

func TestRunAlreadyRunning(t *testing.T) {
	srv := newServer(t)
	a := newAdapter(t, srv, newRecorder())
	run(t, srv, a, false)
	if err := a.Run(testCtx(t)); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second Run = %v, want already running", err)
	}
}
