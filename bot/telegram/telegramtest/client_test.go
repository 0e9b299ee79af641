package telegramtest_test

import (
	"bytes"
	"context"
	"errors"
	"html"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/moimbot/moimbot/bot/telegram/telegramtest"
)

// These tests drive the fake with the real go-telegram/bot client.

func TestGetMe(t *testing.T) {
	tests := []struct {
		name string
		opts []telegramtest.Option
		want telegramtest.User
	}{
		{"Default", nil, telegramtest.DefaultBot()},
		{"Custom", []telegramtest.Option{
			telegramtest.WithToken("42:OTHER"),
			telegramtest.WithBot(telegramtest.User{ID: 42, FirstName: "Other", Username: "other_bot"}),
		}, telegramtest.User{ID: 42, IsBot: true, FirstName: "Other", Username: "other_bot"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.opts...)
			b, err := bot.New(f.srv.Token, bot.WithServerURL(f.srv.URL)) // New calls getMe
			if err != nil {
				t.Fatalf("bot.New: %v", err)
			}
			me, err := b.GetMe(testCtx(t))
			if err != nil {
				t.Fatal(err)
			}
			if me.ID != tc.want.ID || !me.IsBot || me.Username != tc.want.Username || me.FirstName != tc.want.FirstName {
				t.Errorf("getMe = %+v, want %+v", me, tc.want)
			}
			if got := b.ID(); got != tc.want.ID {
				t.Errorf("token's bot id = %d, want %d", got, tc.want.ID)
			}
			if got := len(f.srv.Calls("getMe")); got != 2 {
				t.Errorf("getMe calls = %d, want 2", got)
			}
		})
	}
}

func TestWrongTokenIsUnauthorized(t *testing.T) {
	f := newFixture(t)
	_, err := bot.New("7000000001:WRONG", bot.WithServerURL(f.srv.URL))
	if !errors.Is(err, bot.ErrorUnauthorized) {
		t.Fatalf("bot.New with a wrong token: err = %v, want ErrorUnauthorized", err)
	}
}

// TestCommandToHandler runs the long-polling client: a user's command
// reaches the handler, whose HTML answer is recorded.
func TestCommandToHandler(t *testing.T) {
	f := newFixture(t)
	f.startBot(t, bot.WithMessageTextHandler("status", bot.MatchTypeCommand,
		func(ctx context.Context, b *bot.Bot, u *models.Update) {
			_, err := b.SendMessage(ctx, &bot.SendMessageParams{
				ChatID:    u.Message.Chat.ID,
				Text:      "<b>회비 현황</b>\n" + html.EscapeString("A&B <3") + " · from " + u.Message.From.FirstName,
				ParseMode: models.ParseModeHTML,
			})
			if err != nil && ctx.Err() == nil {
				t.Errorf("send: %v", err)
			}
		}))

	if _, err := f.srv.SendText(superID, aliceID, "/status"); err != nil {
		t.Fatal(err)
	}
	call, err := f.srv.WaitFor(testCtx(t), telegramtest.Sending(superID))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := call.ParseMode, "HTML"; got != want {
		t.Errorf("parse_mode = %q, want %q", got, want)
	}
	sent := f.srv.Sent(superID)
	if len(sent) != 1 {
		t.Fatalf("Sent = %d messages, want 1", len(sent))
	}
	if got, want := sent[0].Text, "회비 현황\nA&B <3 · from Alice"; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	wantEnt := []telegramtest.MessageEntity{{Type: "bold", Offset: 0, Length: 5}}
	if !equalEntities(sent[0].Entities, wantEnt) {
		t.Errorf("entities = %+v, want %+v", sent[0].Entities, wantEnt)
	}
	if sent[0].Date == 0 || sent[0].From == nil || sent[0].From.ID != telegramtest.DefaultBot().ID {
		t.Errorf("message = %+v, want a date and the bot as sender", sent[0])
	}
}

func TestSendTextEntities(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []telegramtest.MessageEntity
	}{
		{"Command", "/status", []telegramtest.MessageEntity{{Type: "bot_command", Offset: 0, Length: 7}}},
		{"WithBotAndArgs", "/status@moim_test_bot 2026-05", []telegramtest.MessageEntity{{Type: "bot_command", Offset: 0, Length: 21}}},
		{"AfterKorean", "안녕 /help", []telegramtest.MessageEntity{{Type: "bot_command", Offset: 3, Length: 5}}},
		{"AfterEmoji", "😀 /help", []telegramtest.MessageEntity{{Type: "bot_command", Offset: 3, Length: 5}}},
		{"Two", "/start /help", []telegramtest.MessageEntity{{Type: "bot_command", Offset: 0, Length: 6}, {Type: "bot_command", Offset: 7, Length: 5}}},
		{"NotAfterWord", "a/b", nil},
		{"SlashOnly", "/ ", nil},
		{"Path", "/usr/bin", nil},
		{"Plain", "hello", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			m, err := f.srv.SendText(superID, aliceID, tc.text)
			if err != nil {
				t.Fatal(err)
			}
			if !equalEntities(m.Entities, tc.want) {
				t.Errorf("entities of %q = %+v, want %+v", tc.text, m.Entities, tc.want)
			}
			if m.Date == 0 || m.MessageID == 0 {
				t.Errorf("message = %+v, want a date and an id", m)
			}
		})
	}
}

func equalEntities(got, want []telegramtest.MessageEntity) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

// TestSendErrors checks that each error the fake answers surfaces in
// go-telegram/bot as the error type callers branch on.
func TestSendErrors(t *testing.T) {
	kb := func(data string) *models.InlineKeyboardMarkup {
		return &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "OK", CallbackData: data}}}}
	}
	tests := []struct {
		name     string
		setup    func(*telegramtest.Server)
		params   bot.SendMessageParams
		wantIs   error // errors.Is target, nil for none
		wantDesc string
		migrate  int64
	}{
		{"OK", nil, bot.SendMessageParams{ChatID: superID, Text: "hi"}, nil, "", 0},
		{"OKMaxLength", nil, bot.SendMessageParams{ChatID: superID, Text: strings.Repeat("가", 4096)}, nil, "", 0},
		{"OKEmojiAtLimit", nil, bot.SendMessageParams{ChatID: superID, Text: strings.Repeat("😀", 2048)}, nil, "", 0},
		{"OKChatUsername", func(s *telegramtest.Server) {
			s.AddChat(telegramtest.Chat{ID: -1009, Type: telegramtest.ChatSupergroup, Title: "Pub", Username: "moim_pub"})
		}, bot.SendMessageParams{ChatID: "@moim_pub", Text: "hi"}, nil, "", 0},
		{"TooLong", nil, bot.SendMessageParams{ChatID: superID, Text: strings.Repeat("가", 4097)}, bot.ErrorBadRequest, "Bad Request: message is too long", 0},
		{"EmojiTooLong", nil, bot.SendMessageParams{ChatID: superID, Text: strings.Repeat("😀", 2048) + "a"}, bot.ErrorBadRequest, "Bad Request: message is too long", 0},
		{"Empty", nil, bot.SendMessageParams{ChatID: superID, Text: ""}, bot.ErrorBadRequest, "Bad Request: message text is empty", 0},
		{"Blank", nil, bot.SendMessageParams{ChatID: superID, Text: " \n "}, bot.ErrorBadRequest, "Bad Request: message text is empty", 0},
		{"HTMLUnclosed", nil, bot.SendMessageParams{ChatID: superID, Text: "<b>x", ParseMode: models.ParseModeHTML},
			bot.ErrorBadRequest, `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "b"`, 0},
		{"HTMLUnknownTag", nil, bot.SendMessageParams{ChatID: superID, Text: "a <br> b", ParseMode: models.ParseModeHTML},
			bot.ErrorBadRequest, `Bad Request: can't parse entities: Unsupported start tag "br" at byte offset 2`, 0},
		{"HTMLBareLess", nil, bot.SendMessageParams{ChatID: superID, Text: "1 < 2", ParseMode: models.ParseModeHTML},
			bot.ErrorBadRequest, `Bad Request: can't parse entities: Unsupported start tag "" at byte offset 2`, 0},
		{"HTMLBareAmp", nil, bot.SendMessageParams{ChatID: superID, Text: "A & B", ParseMode: models.ParseModeHTML},
			bot.ErrorBadRequest, `Bad Request: can't parse entities: Unescaped "&" at byte offset 2`, 0},
		{"ParseModeUnknown", nil, bot.SendMessageParams{ChatID: superID, Text: "x", ParseMode: "XML"}, bot.ErrorBadRequest, "Bad Request: unsupported parse_mode", 0},
		{"ButtonDataTooLong", nil, bot.SendMessageParams{ChatID: superID, Text: "x", ReplyMarkup: kb(strings.Repeat("d", 65))},
			bot.ErrorBadRequest, "Bad Request: BUTTON_DATA_INVALID", 0},
		{"ButtonWithoutAction", nil, bot.SendMessageParams{ChatID: superID, Text: "x", ReplyMarkup: kb("")},
			bot.ErrorBadRequest, "Bad Request: text buttons are unallowed in the inline keyboard", 0},
		{"UnknownChat", nil, bot.SendMessageParams{ChatID: int64(-999), Text: "x"}, bot.ErrorBadRequest, "Bad Request: chat not found", 0},
		{"NotStarted", nil, bot.SendMessageParams{ChatID: bobID, Text: "x"}, bot.ErrorForbidden, "Forbidden: bot can't initiate conversation with a user", 0},
		{"Blocked", func(s *telegramtest.Server) { s.Block(aliceID) }, bot.SendMessageParams{ChatID: aliceID, Text: "x"},
			bot.ErrorForbidden, "Forbidden: bot was blocked by the user", 0},
		{"KickedFromGroup", func(s *telegramtest.Server) { s.RemoveBot(groupID, aliceID) }, bot.SendMessageParams{ChatID: groupID, Text: "x"},
			bot.ErrorForbidden, "Forbidden: bot was kicked from the group chat", 0},
		{"KickedFromSupergroup", func(s *telegramtest.Server) { s.RemoveBot(superID, aliceID) }, bot.SendMessageParams{ChatID: superID, Text: "x"},
			bot.ErrorForbidden, "Forbidden: bot was kicked from the supergroup chat", 0},
		{"Migrated", func(s *telegramtest.Server) { s.Migrate(groupID, -1005550001, aliceID) }, bot.SendMessageParams{ChatID: groupID, Text: "x"},
			nil, "Bad Request: group chat was upgraded to a supergroup chat", -1005550001},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if tc.setup != nil {
				tc.setup(f.srv)
			}
			b := f.newSyncBot(t)
			msg, err := b.SendMessage(testCtx(t), &tc.params)
			calls := f.srv.Calls("sendMessage")
			if len(calls) != 1 {
				t.Fatalf("recorded %d sendMessage calls, want 1", len(calls))
			}
			call := calls[0]
			if tc.wantDesc == "" {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				if msg.ID == 0 || msg.Date == 0 || call.Message == nil || call.Message.MessageID != msg.ID {
					t.Errorf("message %+v, call %v: want an id and a date, recorded", msg, call)
				}
				return
			}
			if !strings.HasPrefix(call.Description, tc.wantDesc) {
				t.Errorf("description = %q, want %q…", call.Description, tc.wantDesc)
			}
			if tc.migrate != 0 {
				var me *bot.MigrateError
				if !errors.As(err, &me) || int64(me.MigrateToChatID) != tc.migrate {
					t.Fatalf("err = %v, want *bot.MigrateError to %d", err, tc.migrate)
				}
				return
			}
			if !errors.Is(err, tc.wantIs) {
				t.Fatalf("err = %v, want errors.Is %v", err, tc.wantIs)
			}
			if !strings.Contains(err.Error(), tc.wantDesc) {
				t.Errorf("err = %q, want it to carry %q", err, tc.wantDesc)
			}
		})
	}
}

func TestScriptedFaults(t *testing.T) {
	f := newFixture(t)
	b := f.newSyncBot(t)
	ctx := testCtx(t)
	send := func() error {
		_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: superID, Text: "notice"})
		return err
	}

	f.srv.Throttle("sendMessage", 2, 7)
	f.srv.Fail("", 1, http.StatusInternalServerError, "Internal Server Error")
	for i := range 2 {
		var tmr *bot.TooManyRequestsError
		if err := send(); !errors.As(err, &tmr) || tmr.RetryAfter != 7 {
			t.Fatalf("send %d: err = %v, want *bot.TooManyRequestsError with RetryAfter 7", i, err)
		}
	}
	if err := send(); err == nil || !strings.Contains(err.Error(), "500 Internal Server Error") {
		t.Fatalf("send 3: err = %v, want the scripted 500", err)
	}
	if err := send(); err != nil {
		t.Fatalf("send 4: err = %v, want success after the script", err)
	}
	if got := f.srv.TooManyRequests(); got != 2 {
		t.Errorf("TooManyRequests = %d, want 2", got)
	}
	var codes []int
	for _, c := range f.srv.Calls("sendMessage") {
		codes = append(codes, c.ErrorCode)
	}
	if got, want := codes, []int{429, 429, 500, 0}; !equalInts(got, want) {
		t.Errorf("error codes = %v, want %v", got, want)
	}
	if got := len(f.srv.Sent(superID)); got != 1 {
		t.Errorf("delivered %d messages, want 1", got)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestCallbackFlow: the bot posts a keyboard, a user taps it, the bot
// answers the query and edits the message, removing the keyboard.
func TestCallbackFlow(t *testing.T) {
	f := newFixture(t)
	f.startBot(t,
		bot.WithMessageTextHandler("review", bot.MatchTypeCommand, func(ctx context.Context, b *bot.Bot, u *models.Update) {
			_, err := b.SendMessage(ctx, &bot.SendMessageParams{
				ChatID: u.Message.Chat.ID,
				Text:   "입금 10,000원: 홍길동?",
				ReplyMarkup: &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{
					{{Text: "승인", CallbackData: "appr:42"}, {Text: "거절", CallbackData: "deny:42"}},
				}},
			})
			if err != nil && ctx.Err() == nil {
				t.Errorf("send: %v", err)
			}
		}),
		bot.WithCallbackQueryDataHandler("appr:", bot.MatchTypePrefix, func(ctx context.Context, b *bot.Bot, u *models.Update) {
			cq := u.CallbackQuery
			if _, err := b.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: cq.ID, Text: "승인됨"}); err != nil && ctx.Err() == nil {
				t.Errorf("answer: %v", err)
			}
			m := cq.Message.Message
			if m == nil {
				t.Errorf("callback message is inaccessible: %+v", cq.Message)
				return
			}
			if _, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{
				ChatID: m.Chat.ID, MessageID: m.ID, Text: m.Text + " ✅ " + cq.From.FirstName,
			}); err != nil && ctx.Err() == nil {
				t.Errorf("edit: %v", err)
			}
		}))
	ctx := testCtx(t)

	if _, err := f.srv.SendText(superID, aliceID, "/review"); err != nil {
		t.Fatal(err)
	}
	sent, err := f.srv.WaitFor(ctx, telegramtest.Sending(superID))
	if err != nil {
		t.Fatal(err)
	}
	if sent.ReplyMarkup == nil || len(sent.ReplyMarkup.InlineKeyboard[0]) != 2 {
		t.Fatalf("sent markup = %+v, want two buttons", sent.ReplyMarkup)
	}
	q, err := f.srv.Tap(superID, sent.MessageID, aliceID, "appr:42")
	if err != nil {
		t.Fatal(err)
	}
	if q.Message == nil || q.Message.Date == 0 || q.Message.MessageID != sent.MessageID {
		t.Errorf("query message = %+v, want the sent message with a date", q.Message)
	}
	edit, err := f.srv.WaitFor(ctx, func(c telegramtest.Call) bool { return c.Method == "editMessageText" })
	if err != nil {
		t.Fatal(err)
	}
	if !edit.OK() {
		t.Fatalf("edit: %v", edit)
	}
	answers := f.srv.Calls("answerCallbackQuery")
	if len(answers) != 1 || !answers[0].OK() || answers[0].Params["callback_query_id"] != q.ID {
		t.Errorf("answerCallbackQuery calls = %v, want one OK answer to %s", answers, q.ID)
	}
	now, ok := f.srv.Message(superID, sent.MessageID)
	if !ok {
		t.Fatal("message gone")
	}
	if got, want := now.Text, "입금 10,000원: 홍길동? ✅ Alice"; got != want {
		t.Errorf("edited text = %q, want %q", got, want)
	}
	if now.ReplyMarkup != nil || now.EditDate == 0 {
		t.Errorf("edited message = %+v, want no keyboard and an edit date", now)
	}
	if _, err := f.srv.Tap(superID, sent.MessageID, aliceID, "appr:42"); err == nil {
		t.Error("tapping a removed button succeeded")
	}
}

func TestEditErrors(t *testing.T) {
	f := newFixture(t)
	b := f.newSyncBot(t)
	ctx := testCtx(t)
	kb := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "A", CallbackData: "a"}}}}
	m, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: superID, Text: "<b>x</b>", ParseMode: models.ParseModeHTML, ReplyMarkup: kb})
	if err != nil {
		t.Fatal(err)
	}
	user, err := f.srv.SendText(superID, aliceID, "hello")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		params   bot.EditMessageTextParams
		wantDesc string // "" for success
	}{
		{"SameTextAndKeyboard", bot.EditMessageTextParams{ChatID: superID, MessageID: m.ID, Text: "<b>x</b>", ParseMode: models.ParseModeHTML, ReplyMarkup: kb},
			"Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"},
		{"OtherChat", bot.EditMessageTextParams{ChatID: groupID, MessageID: m.ID, Text: "y"}, "Bad Request: message to edit not found"},
		{"UsersMessage", bot.EditMessageTextParams{ChatID: superID, MessageID: user.MessageID, Text: "y"}, "Bad Request: message can't be edited"},
		{"BadHTML", bot.EditMessageTextParams{ChatID: superID, MessageID: m.ID, Text: "<i>y", ParseMode: models.ParseModeHTML},
			`Bad Request: can't parse entities: Can't find end tag corresponding to start tag "i"`},
		{"SameTextOtherFormatting", bot.EditMessageTextParams{ChatID: superID, MessageID: m.ID, Text: "<i>x</i>", ParseMode: models.ParseModeHTML, ReplyMarkup: kb}, ""},
		{"SameTextWithoutKeyboard", bot.EditMessageTextParams{ChatID: superID, MessageID: m.ID, Text: "<i>x</i>", ParseMode: models.ParseModeHTML}, ""},
		{"NowUnchanged", bot.EditMessageTextParams{ChatID: superID, MessageID: m.ID, Text: "<i>x</i>", ParseMode: models.ParseModeHTML},
			"Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.EditMessageText(ctx, &tc.params)
			calls := f.srv.Calls("editMessageText")
			last := calls[len(calls)-1]
			if tc.wantDesc == "" {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				return
			}
			if !errors.Is(err, bot.ErrorBadRequest) || last.Description != tc.wantDesc {
				t.Errorf("err = %v, description %q; want ErrorBadRequest, %q", err, last.Description, tc.wantDesc)
			}
		})
	}
	t.Run("ReplyMarkup", func(t *testing.T) {
		kb2 := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "B", CallbackData: "b"}}}}
		steps := []struct {
			markup   models.ReplyMarkup
			wantDesc string
			wantData string // callback data of the first button after the step, "" for no keyboard
		}{
			{kb2, "", "b"},
			{kb2, "Bad Request: message is not modified", "b"},
			{nil, "", ""}, // no reply_markup removes the keyboard
			{nil, "Bad Request: message is not modified", ""},
		}
		for i, st := range steps {
			_, err := b.EditMessageReplyMarkup(ctx, &bot.EditMessageReplyMarkupParams{ChatID: superID, MessageID: m.ID, ReplyMarkup: st.markup})
			switch {
			case st.wantDesc == "" && err != nil:
				t.Fatalf("step %d: %v", i, err)
			case st.wantDesc != "" && (!errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), st.wantDesc)):
				t.Fatalf("step %d: err = %v, want %q", i, err, st.wantDesc)
			}
			now, _ := f.srv.Message(superID, m.ID)
			got := ""
			if now.ReplyMarkup != nil {
				got = now.ReplyMarkup.InlineKeyboard[0][0].CallbackData
			}
			if got != st.wantData {
				t.Errorf("step %d: keyboard data %q, want %q", i, got, st.wantData)
			}
		}
	})
	if _, err := b.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: superID, MessageID: m.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: superID, MessageID: m.ID, Text: "z"}); !errors.Is(err, bot.ErrorBadRequest) {
		t.Errorf("edit after delete: err = %v, want ErrorBadRequest", err)
	}
	if got := len(f.srv.Sent(superID)); got != 0 {
		t.Errorf("Sent after delete = %d messages, want 0", got)
	}
}

func TestDocuments(t *testing.T) {
	f := newFixture(t)
	b := f.newSyncBot(t)
	ctx := testCtx(t)
	csv := []byte("date,name,amount\n2026-05-01,홍길동,10000\n")

	t.Run("BotUploads", func(t *testing.T) {
		m, err := b.SendDocument(ctx, &bot.SendDocumentParams{
			ChatID:    aliceID,
			Document:  &models.InputFileUpload{Filename: "ledger.csv", Data: bytes.NewReader(csv)},
			Caption:   "<b>5월</b> 장부",
			ParseMode: models.ParseModeHTML,
		})
		if err != nil {
			t.Fatal(err)
		}
		calls := f.srv.Calls("sendDocument")
		if len(calls) != 1 || calls[0].Document == nil {
			t.Fatalf("sendDocument calls = %v, want one with a document", calls)
		}
		up := calls[0].Document
		if up.FileName != "ledger.csv" || !bytes.Equal(up.Data, csv) || calls[0].Text != "<b>5월</b> 장부" {
			t.Errorf("recorded upload %q (%d bytes), caption %q", up.FileName, len(up.Data), calls[0].Text)
		}
		if m.Document == nil || m.Document.FileName != "ledger.csv" || m.Document.MimeType != "text/csv" || m.Document.FileSize != int64(len(csv)) {
			t.Errorf("answered document = %+v", m.Document)
		}
		if m.Caption != "5월 장부" || len(m.CaptionEntities) != 1 {
			t.Errorf("caption = %q %+v, want plain text with one entity", m.Caption, m.CaptionEntities)
		}
		if got := download(t, b, m.Document.FileID); !bytes.Equal(got, csv) {
			t.Errorf("downloaded %q, want %q", got, csv)
		}
	})
	t.Run("UserUploads", func(t *testing.T) {
		m, err := f.srv.SendDocument(aliceID, aliceID, telegramtest.Upload{FileName: "statement.pdf", Data: []byte("%PDF-1.7")}, "")
		if err != nil {
			t.Fatal(err)
		}
		if m.Document.MimeType != "application/pdf" || m.Chat.Type != telegramtest.ChatPrivate {
			t.Errorf("message = %+v, document %+v", m, m.Document)
		}
		if got := download(t, b, m.Document.FileID); string(got) != "%PDF-1.7" {
			t.Errorf("downloaded %q", got)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		tests := []struct {
			name   string
			params bot.SendDocumentParams
			want   string
		}{
			{"Empty", bot.SendDocumentParams{ChatID: aliceID, Document: &models.InputFileUpload{Filename: "a.txt", Data: bytes.NewReader(nil)}}, "Bad Request: file must be non-empty"},
			{"UnknownFileID", bot.SendDocumentParams{ChatID: aliceID, Document: &models.InputFileString{Data: "nope"}}, "Bad Request: wrong file identifier/HTTP URL specified"},
			{"CaptionTooLong", bot.SendDocumentParams{ChatID: aliceID, Document: &models.InputFileUpload{Filename: "a.txt", Data: strings.NewReader("a")}, Caption: strings.Repeat("x", 1025)}, "Bad Request: message caption is too long"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				_, err := b.SendDocument(ctx, &tc.params)
				if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("err = %v, want %q", err, tc.want)
				}
			})
		}
	})
	if _, err := b.GetFile(ctx, &bot.GetFileParams{FileID: "unknown"}); !errors.Is(err, bot.ErrorBadRequest) {
		t.Errorf("getFile unknown: err = %v, want ErrorBadRequest", err)
	}
}

// download fetches a file the way an adapter does: getFile, then GET the
// download link.
func download(t *testing.T, b *bot.Bot, fileID string) []byte {
	t.Helper()
	f, err := b.GetFile(testCtx(t), &bot.GetFileParams{FileID: fileID})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(b.FileDownloadLink(f))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("download status %d", resp.StatusCode)
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestSetMyCommands(t *testing.T) {
	f := newFixture(t)
	b := f.newSyncBot(t)
	ctx := testCtx(t)
	cmds := func(names ...string) []models.BotCommand {
		var out []models.BotCommand
		for _, n := range names {
			out = append(out, models.BotCommand{Command: n, Description: n + " 설명"})
		}
		return out
	}
	ok := []struct {
		name  string
		p     bot.SetMyCommandsParams
		scope telegramtest.CommandScope
		lang  string
	}{
		{"Default", bot.SetMyCommandsParams{Commands: cmds("help")}, telegramtest.CommandScope{Type: "default"}, ""},
		{"Groups", bot.SetMyCommandsParams{Commands: cmds("status", "board"), Scope: &models.BotCommandScopeAllGroupChats{}},
			telegramtest.CommandScope{Type: "all_group_chats"}, ""},
		{"GroupsKorean", bot.SetMyCommandsParams{Commands: cmds("status"), Scope: &models.BotCommandScopeAllGroupChats{}, LanguageCode: "ko"},
			telegramtest.CommandScope{Type: "all_group_chats"}, "ko"},
		{"ChatAdmins", bot.SetMyCommandsParams{Commands: cmds("review"), Scope: &models.BotCommandScopeChatAdministrators{ChatID: superID}},
			telegramtest.CommandScope{Type: "chat_administrators", ChatID: superID}, ""},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := b.SetMyCommands(ctx, &tc.p); err != nil {
				t.Fatal(err)
			}
			got, found := f.srv.Commands(tc.scope, tc.lang)
			if !found || len(got) != len(tc.p.Commands) || got[0].Command != tc.p.Commands[0].Command {
				t.Errorf("Commands(%+v, %q) = %+v, %v; want %+v", tc.scope, tc.lang, got, found, tc.p.Commands)
			}
			read, err := b.GetMyCommands(ctx, &bot.GetMyCommandsParams{Scope: tc.p.Scope, LanguageCode: tc.lang})
			if err != nil || len(read) != len(tc.p.Commands) {
				t.Errorf("getMyCommands = %+v, %v", read, err)
			}
		})
	}
	bad := []struct {
		name string
		p    bot.SetMyCommandsParams
		want string
	}{
		{"UpperCase", bot.SetMyCommandsParams{Commands: []models.BotCommand{{Command: "Status", Description: "d"}}}, "BOT_COMMAND_INVALID"},
		{"Slash", bot.SetMyCommandsParams{Commands: []models.BotCommand{{Command: "/status", Description: "d"}}}, "BOT_COMMAND_INVALID"},
		{"TooLongName", bot.SetMyCommandsParams{Commands: []models.BotCommand{{Command: strings.Repeat("a", 33), Description: "d"}}}, "BOT_COMMAND_INVALID"},
		{"NoDescription", bot.SetMyCommandsParams{Commands: []models.BotCommand{{Command: "status", Description: ""}}}, "BOT_COMMAND_DESCRIPTION_INVALID"},
		{"LongDescription", bot.SetMyCommandsParams{Commands: []models.BotCommand{{Command: "status", Description: strings.Repeat("가", 257)}}}, "BOT_COMMAND_DESCRIPTION_INVALID"},
		{"UnknownChatScope", bot.SetMyCommandsParams{Commands: cmds("x"), Scope: &models.BotCommandScopeChat{ChatID: int64(-5)}}, "chat not found"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := b.SetMyCommands(ctx, &tc.p); !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrorBadRequest %q", err, tc.want)
			}
		})
	}
	if _, err := b.DeleteMyCommands(ctx, &bot.DeleteMyCommandsParams{Scope: &models.BotCommandScopeAllGroupChats{}}); err != nil {
		t.Fatal(err)
	}
	if _, found := f.srv.Commands(telegramtest.CommandScope{Type: "all_group_chats"}, ""); found {
		t.Error("commands still set after deleteMyCommands")
	}
	if _, found := f.srv.Commands(telegramtest.CommandScope{Type: "all_group_chats"}, "ko"); !found {
		t.Error("deleteMyCommands without language removed the ko list")
	}
}

// TestMembershipUpdates: my_chat_member, migration and block updates reach
// the long-polling client and decode into the library's models.
func TestMembershipUpdates(t *testing.T) {
	f := newFixture(t)
	got := make(chan *models.Update, 16)
	f.startBot(t, bot.WithDefaultHandler(func(_ context.Context, _ *bot.Bot, u *models.Update) { got <- u }))
	ctx := testCtx(t)
	next := func() *models.Update {
		t.Helper()
		select {
		case u := <-got:
			return u
		case <-ctx.Done():
			t.Fatal("no update")
			return nil
		}
	}

	if err := f.srv.RemoveBot(superID, aliceID); err != nil {
		t.Fatal(err)
	}
	u := next()
	if u.MyChatMember == nil || u.MyChatMember.NewChatMember.Type != models.ChatMemberTypeBanned ||
		u.MyChatMember.OldChatMember.Type != models.ChatMemberTypeMember || u.MyChatMember.From.ID != aliceID {
		t.Errorf("supergroup removal update = %+v", u.MyChatMember)
	}
	if err := f.srv.RemoveBot(groupID, aliceID); err != nil {
		t.Fatal(err)
	}
	if u := next(); u.MyChatMember == nil || u.MyChatMember.NewChatMember.Type != models.ChatMemberTypeLeft {
		t.Errorf("group removal update = %+v", u.MyChatMember)
	}
	if err := f.srv.AddBot(groupID, aliceID); err != nil {
		t.Fatal(err)
	}
	if u := next(); u.MyChatMember == nil || u.MyChatMember.NewChatMember.Type != models.ChatMemberTypeMember {
		t.Errorf("re-add update = %+v", u.MyChatMember)
	}
	if _, err := f.srv.Migrate(groupID, -1005550002, aliceID); err != nil {
		t.Fatal(err)
	}
	if u := next(); u.Message == nil || u.Message.MigrateToChatID != -1005550002 || u.Message.Chat.ID != groupID {
		t.Errorf("migrate_to message = %+v", u.Message)
	}
	if u := next(); u.Message == nil || u.Message.MigrateFromChatID != groupID || u.Message.Chat.Type != models.ChatTypeSupergroup {
		t.Errorf("migrate_from message = %+v", u.Message)
	}
	if err := f.srv.Block(aliceID); err != nil {
		t.Fatal(err)
	}
	if u := next(); u.MyChatMember == nil || u.MyChatMember.Chat.Type != models.ChatTypePrivate || u.MyChatMember.NewChatMember.Type != models.ChatMemberTypeBanned {
		t.Errorf("block update = %+v", u.MyChatMember)
	}
}

func TestChatMethods(t *testing.T) {
	f := newFixture(t)
	b := f.newSyncBot(t)
	ctx := testCtx(t)
	c, err := b.GetChat(ctx, &bot.GetChatParams{ChatID: superID})
	if err != nil || c.ID != superID || c.Type != models.ChatTypeSupergroup || c.Title != "Moim" {
		t.Fatalf("getChat = %+v, %v", c, err)
	}
	if ok, err := b.LeaveChat(ctx, &bot.LeaveChatParams{ChatID: superID}); err != nil || !ok {
		t.Fatalf("leaveChat = %v, %v", ok, err)
	}
	_, err = b.SendMessage(ctx, &bot.SendMessageParams{ChatID: superID, Text: "x"})
	if !errors.Is(err, bot.ErrorForbidden) || !strings.Contains(err.Error(), "bot is not a member of the supergroup chat") {
		t.Errorf("send after leaving: %v", err)
	}
	if ok, err := b.DeleteWebhook(ctx, &bot.DeleteWebhookParams{DropPendingUpdates: true}); err != nil || !ok {
		t.Errorf("deleteWebhook = %v, %v", ok, err)
	}
	if f.srv.Pending() != 0 {
		t.Errorf("pending = %d after drop_pending_updates, want 0", f.srv.Pending())
	}
	if _, err := b.SetWebhook(ctx, &bot.SetWebhookParams{URL: "http://insecure.example/hook"}); !errors.Is(err, bot.ErrorBadRequest) {
		t.Errorf("setWebhook http: err = %v, want ErrorBadRequest", err)
	}
	if _, err := b.SetWebhook(ctx, &bot.SetWebhookParams{URL: "https://moim.example/hook"}); err != nil {
		t.Fatal(err)
	}
	info, err := b.GetWebhookInfo(ctx)
	if err != nil || info.URL != "https://moim.example/hook" {
		t.Errorf("getWebhookInfo = %+v, %v", info, err)
	}
	if got := f.srv.Webhook(); got != "https://moim.example/hook" {
		t.Errorf("Webhook() = %q", got)
	}
}
