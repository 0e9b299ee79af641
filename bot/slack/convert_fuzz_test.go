package slack

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/moimbot/moimbot/bot"
)

// checkUpdate checks what every Update made of outside input must hold.
func checkUpdate(t *testing.T, u bot.Update) {
	t.Helper()
	for _, s := range []string{u.ID, u.Chat.ID, u.Title, u.From.ID, u.From.Name, u.Text} {
		if !utf8.ValidString(s) {
			t.Errorf("update %+v holds invalid UTF-8 %q", u, s)
		}
	}
	if u.Tap != nil && (!utf8.ValidString(u.Tap.Data) || !utf8.ValidString(u.Tap.Message) || u.Tap.Data == "") {
		t.Errorf("tap %+v", u.Tap)
	}
	if !strings.HasPrefix(u.ID, "slack:") || u.Chat.Platform != Platform || !validID(u.Chat.ID) || !validID(u.From.ID) {
		t.Errorf("update %+v: want a slack: id and Slack ids", u)
	}
	if u.Private && u.Chat.ID != u.From.ID {
		t.Errorf("private update %+v not in the user's chat", u)
	}
}

func FuzzCommandText(f *testing.F) {
	for _, s := range []string{"", "status 2026-11", "현황", " /status ", "member add A&amp;B &lt;x&gt;",
		"treasurer add <@U0ALICE001|alice>", "\x00\xff", "／현황", "\t\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got := commandText(text)
		if !utf8.ValidString(got) {
			t.Fatalf("commandText(%q) = %q: invalid UTF-8", text, got)
		}
		if !strings.HasPrefix(got, "/") && !strings.HasPrefix(got, "／") {
			t.Fatalf("commandText(%q) = %q: not a command", text, got)
		}
		if strings.IndexFunc(got, unicode.IsControl) >= 0 {
			t.Fatalf("commandText(%q) = %q: control characters", text, got)
		}
	})
}

func FuzzSlashCommandForm(f *testing.F) {
	f.Add("team_id=T1&channel_id=C0MOIM0001&channel_name=moim&user_id=U0ALICE001&user_name=alice&command=%2Fmoim&text=status+2026-11&trigger_id=1.2.abc")
	f.Add("channel_id=D0ALICE001&channel_name=directmessage&user_id=U0ALICE001&text=%ED%98%84%ED%99%A9")
	f.Add("channel_id=G8PSS9T3V&channel_name=privategroup&user_id=U2CERLKJA&text=&trigger_id=")
	f.Add("channel_id=C%FF&user_id=U%00&text=%FF%FE")
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		it, ok := commandItem(slashCommand(form), []byte(body))
		if !ok {
			return
		}
		checkUpdate(t, it.u)
		if it.u.Tap != nil || !strings.HasPrefix(it.u.Text, "/") && !strings.HasPrefix(it.u.Text, "／") {
			t.Errorf("command update %+v", it.u)
		}
	})
}

func FuzzInteraction(f *testing.F) {
	f.Add(`{"type":"block_actions","user":{"id":"U0ALICE001","name":"alice"},"trigger_id":"1.2.x","container":{"type":"message","message_ts":"1700000000.000100","channel_id":"D0ALICE001"},"channel":{"id":"D0ALICE001","name":"directmessage"},"message":{"ts":"1700000000.000100"},"actions":[{"type":"button","action_id":"moim_1","value":"assign:9:m1"}]}`)
	f.Add(`{"type":"block_actions","user":{"id":"U0BOB00001"},"channel":{"id":"C0MOIM0001","name":"moim"},"actions":[{"type":"static_select","selected_option":{"value":"assign:9:m2"}}]}`)
	f.Add(`{"type":"block_actions","user":{"id":"U1"},"channel":{"id":"C1"},"actions":[null]}`)
	f.Add(`{"type":"view_submission","user":{"id":"U1"}}`)
	f.Add(`{"type":"block_actions","actions":[{"value":"\ud800"}]}`)
	f.Fuzz(func(t *testing.T, payload string) {
		var cb slack.InteractionCallback
		if json.Unmarshal([]byte(payload), &cb) != nil {
			return
		}
		it, ok := interactionItem(cb, []byte(payload))
		if !ok {
			return
		}
		checkUpdate(t, it.u)
		if it.u.Tap == nil || it.noticeChannel == "" || it.noticeUser != it.u.From.ID {
			t.Errorf("tap item %+v", it)
		}
	})
}

func FuzzVerify(f *testing.F) {
	f.Add("1531420618", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503", "token=x")
	f.Add("-1", "v0=", "")
	f.Add("99999999999999999999", "v1=zz", "a")
	f.Fuzz(func(t *testing.T, ts, sig, body string) {
		a, err := New(Config{BotToken: "xoxb-1", SigningSecret: "8f742231b10e8888abcd99yyyzzz85a5", Now: func() time.Time { return time.Unix(1531420618, 0) }})
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		h.Set("X-Slack-Request-Timestamp", ts)
		h.Set("X-Slack-Signature", sig)
		if a.verify(h, []byte(body)) == nil && body != "token=x" {
			// Only a correct HMAC passes: the fuzzer cannot forge one.
			t.Errorf("verify accepted ts %q sig %q body %q", ts, sig, body)
		}
	})
}

func FuzzRender(f *testing.F) {
	f.Add("📋 모임 11월 회비 현황 (마감 11월 25일(수))\n✅ 완납 1명: 김민수\n11월 24일(화) 22:10 기준", "assign:1:m1", "김민수", uint8(3), uint8(0))
	f.Add("🔎 확인\n\n<script>&amp;", "", "", uint8(7), uint8(2))
	f.Add("\xff\n\n\n", "ignore:1", "\xfe", uint8(0), uint8(1))
	kinds := []string{bot.KindBoard, bot.KindReview, bot.KindReminder, bot.KindDeposit, bot.KindReply}
	f.Fuzz(func(t *testing.T, text, data, label string, rows, kind uint8) {
		m := bot.Message{Kind: kinds[int(kind)%len(kinds)], Text: text}
		for i := range int(rows % 12) {
			m.Buttons = append(m.Buttons, []bot.Button{{Text: label, Data: data + string(rune('a'+i))}})
		}
		if label != "" {
			m.Tags = []bot.Tag{{Text: label, UserID: "U0ALICE001"}}
		}
		r := render(m)
		if strings.TrimSpace(text) == "" {
			return // nothing to show: Slack answers no_text
		}
		checkLimits(t, r)
	})
}

// eventJSON returns an event_callback carrying inner.
func eventJSON(inner string) string {
	return `{"token":"x","team_id":"T1","api_app_id":"A1","type":"event_callback","event_id":"Ev0001","event_time":1,"event":` + inner + `}`
}

func TestMessageEvents(t *testing.T) {
	a, err := New(Config{BotToken: "xoxb-1", AppToken: "xapp-1"})
	if err != nil {
		t.Fatal(err)
	}
	a.identity.Store(&Identity{UserID: "U0MOIMBOT1"})
	file := `"files":[{"id":"F1","name":"a.xlsx","mimetype":"application/x","size":10,"url_private":"https://files.slack.com/files-pri/T1-F1/a.xlsx","url_private_download":"https://files.slack.com/files-pri/T1-F1/download/a.xlsx"}]`
	tests := []struct {
		name  string
		inner string
		want  *bot.Update // nil: ignored
	}{
		{"Text", `{"type":"message","user":"U0ALICE001","text":"a &amp; b &lt;@U0BOB00001|bob&gt; <@U0BOB00001|bob>","ts":"1.1","channel":"D1","channel_type":"im"}`,
			&bot.Update{ID: "slack:Ev0001", Chat: bot.ChatRef{Platform: "slack", ID: "U0ALICE001"}, Private: true,
				From: bot.User{Platform: "slack", ID: "U0ALICE001"}, Text: "a & b <@U0BOB00001|bob> <@U0BOB00001>", MessageID: "1.1"}},
		{"FileShare", `{"type":"message","subtype":"file_share","user":"U0ALICE001","text":"","ts":"1.2","channel":"D1","channel_type":"im",` + file + `}`,
			&bot.Update{ID: "slack:Ev0001", Chat: bot.ChatRef{Platform: "slack", ID: "U0ALICE001"}, Private: true,
				From: bot.User{Platform: "slack", ID: "U0ALICE001"}, MessageID: "1.2",
				Document: &bot.Document{ID: "F1", Name: "a.xlsx", MIME: "application/x", Size: 10, URL: "https://files.slack.com/files-pri/T1-F1/download/a.xlsx"}}},
		{"InChannel", `{"type":"message","user":"U0ALICE001","text":"hi","ts":"1.1","channel":"C1","channel_type":"channel"}`, nil},
		{"FromABot", `{"type":"message","subtype":"bot_message","bot_id":"B1","text":"hi","ts":"1.1","channel":"D1","channel_type":"im"}`, nil},
		{"FromItself", `{"type":"message","user":"U0MOIMBOT1","text":"hi","ts":"1.1","channel":"D1","channel_type":"im"}`, nil},
		{"Edited", `{"type":"message","subtype":"message_changed","message":{"user":"U0ALICE001","text":"x"},"ts":"1.1","channel":"D1","channel_type":"im"}`, nil},
		{"Empty", `{"type":"message","user":"U0ALICE001","text":"  ","ts":"1.1","channel":"D1","channel_type":"im"}`, nil},
		{"Reaction", `{"type":"reaction_added","user":"U0ALICE001","reaction":"tada"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := eventJSON(tt.inner)
			ev, err := slackevents.ParseEvent(json.RawMessage(raw), slackevents.OptionNoVerifyToken())
			if err != nil {
				t.Fatal(err)
			}
			it, ok := a.callbackItem(ev, []byte(raw))
			switch {
			case tt.want == nil && ok:
				t.Errorf("update %+v, want none", it.u)
			case tt.want != nil && !ok:
				t.Error("no update")
			case tt.want != nil && !reflect.DeepEqual(it.u, *tt.want):
				t.Errorf("update %+v (document %+v), want %+v (document %+v)", it.u, it.u.Document, *tt.want, tt.want.Document)
			}
		})
	}
}

func FuzzEvent(f *testing.F) {
	f.Add(eventJSON(`{"type":"message","user":"U0ALICE001","text":"a &amp; b","ts":"1.1","channel":"D1","channel_type":"im"}`))
	f.Add(eventJSON(`{"type":"message","subtype":"file_share","user":"U1","ts":"1.2","channel":"D1","files":[{"id":"F\u00ff","name":"\ud800","size":-5}]}`))
	f.Add(`{"type":"url_verification","challenge":"x"}`)
	a, err := New(Config{BotToken: "xoxb-1", AppToken: "xapp-1"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		ev, err := slackevents.ParseEvent(json.RawMessage(raw), slackevents.OptionNoVerifyToken())
		if err != nil {
			return
		}
		it, ok := a.callbackItem(ev, []byte(raw))
		if !ok {
			return
		}
		checkUpdate(t, it.u)
		if d := it.u.Document; d != nil && (d.Size < 0 || !utf8.ValidString(d.Name) || !utf8.ValidString(d.URL) || !utf8.ValidString(d.ID)) {
			t.Errorf("document %+v", d)
		}
	})
}
