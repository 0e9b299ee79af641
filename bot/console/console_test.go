package console_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/bot/console"
)

// fixedNow is 21:03 in Seoul.
func fixedNow() time.Time { return time.Date(2026, 11, 24, 12, 3, 0, 0, time.UTC) }

func label(c bot.ChatRef) string {
	if c.ID == "group" {
		return "독서모임 단톡방"
	}
	return "총무 DM"
}

func TestSend(t *testing.T) {
	tests := []struct {
		name string
		opts console.Options
		msg  bot.Message
		want string
	}{
		{
			name: "Notice",
			opts: console.Options{Now: fixedNow, Label: label},
			msg: bot.Message{Chat: bot.ChatRef{Platform: "console", ID: "group"}, Kind: bot.KindDeposit,
				Text: "💰 김민수님 30,000원 입금 — 11월 회비 완납 (6/8명)"},
			want: "[21:03] 독서모임 단톡방\n  💰 김민수님 30,000원 입금 — 11월 회비 완납 (6/8명)\n\n",
		},
		{
			name: "ReviewWithButtons",
			opts: console.Options{Now: fixedNow, Label: label},
			msg: bot.Message{Chat: bot.ChatRef{Platform: "console", ID: "treasurer"}, Kind: bot.KindReview,
				Text: "🔎 확인이 필요한 입금 — 독서모임\n\n후보: 김민수 (70%)\n",
				Buttons: [][]bot.Button{
					{{Text: "김민수님으로 처리", Data: "assign:a1/42:m01"}, {Text: "회비 아님", Data: "ignore:a1/42"}},
					{},
					{{Text: "회원 선택", Data: "pick:a1/42"}},
				}},
			want: "[21:03] 총무 DM\n  🔎 확인이 필요한 입금 — 독서모임\n\n  후보: 김민수 (70%)\n" +
				"  [김민수님으로 처리] [회비 아님]\n  [회원 선택]\n\n",
		},
		{
			name: "Edit",
			opts: console.Options{Now: fixedNow, Label: label},
			msg: bot.Message{ID: 43, Chat: bot.ChatRef{Platform: "console", ID: "treasurer"}, Kind: bot.KindReply, Edit: "42",
				Text: "🔎 확인이 필요한 입금 — 독서모임\n\n✅ 김민수님으로 처리했어요 (김총무)"},
			want: "[21:03] 총무 DM (수정됨)\n  🔎 확인이 필요한 입금 — 독서모임\n\n  ✅ 김민수님으로 처리했어요 (김총무)\n\n",
		},
		{
			name: "EditMarkedInEnglish",
			opts: console.Options{Now: fixedNow, Label: label, Edited: "(edited)"},
			msg:  bot.Message{Chat: bot.ChatRef{Platform: "console", ID: "treasurer"}, Edit: "42", Text: "✅ Assigned to 김민수"},
			want: "[21:03] 총무 DM (edited)\n  ✅ Assigned to 김민수\n\n",
		},
		{
			name: "NumberedButtons",
			opts: console.Options{Now: fixedNow, Label: label, NumberButtons: true},
			msg: bot.Message{Chat: bot.ChatRef{Platform: "console", ID: "treasurer"}, Kind: bot.KindReview, Text: "누구의 입금인가요?",
				Buttons: [][]bot.Button{
					{{Text: "김민수", Data: "assign:a1/42:m01"}, {Text: "이지은", Data: "assign:a1/42:m02"}},
					{},
					{{Text: "회비 아님", Data: "ignore:a1/42"}},
				}},
			want: "[21:03] 총무 DM\n  누구의 입금인가요?\n  [1 김민수] [2 이지은]\n  [3 회비 아님]\n\n",
		},
		{
			name: "DefaultLabel",
			opts: console.Options{Now: fixedNow},
			msg:  bot.Message{Chat: bot.ChatRef{Platform: "console", ID: "group"}, Text: "hi"},
			want: "[21:03] console:group\n  hi\n\n",
		},
		{
			name: "ControlCharactersNeutralised",
			opts: console.Options{Now: fixedNow},
			msg:  bot.Message{Chat: bot.ChatRef{Platform: "console", ID: "x"}, Text: "보낸 분 \"\x1b[2J엄마\"\r\nok"},
			want: "[21:03] console:x\n  보낸 분 \"\uFFFD[2J엄마\"\n  ok\n\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := console.New(&buf, tt.opts).Send(t.Context(), tt.msg); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("got:\n%q\nwant:\n%q", got, tt.want)
			}
		})
	}
}

func TestMessageID(t *testing.T) {
	tests := []struct {
		name string
		msg  bot.Message
		want string
	}{
		{"OutboxID", bot.Message{ID: 42}, "42"},
		{"EditKeepsTheID", bot.Message{ID: 43, Edit: "42"}, "42"},
		{"NoOutbox", bot.Message{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := console.MessageID(tt.msg); got != tt.want {
				t.Errorf("MessageID = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSendColor(t *testing.T) {
	var buf bytes.Buffer
	c := console.New(&buf, console.Options{Color: true, Now: fixedNow, Label: label})
	msg := bot.Message{Chat: bot.ChatRef{Platform: "console", ID: "group"}, Kind: bot.KindDeposit, Text: "💰 입금",
		Buttons: [][]bot.Button{{{Text: "회비 아님", Data: "ignore:1"}}}}
	if err := c.Send(t.Context(), msg); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	for _, want := range []string{"\x1b[1m\x1b[32m[21:03] 독서모임 단톡방\x1b[0m\n", "  💰 입금\n", "\x1b[36m[회비 아님]\x1b[0m"} {
		if !strings.Contains(got, want) {
			t.Errorf("output %q lacks %q", got, want)
		}
	}
}

// countingWriter records each Write call.
type countingWriter struct {
	mu     sync.Mutex
	writes []string
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, string(p))
	return len(p), nil
}

func TestSendConcurrent(t *testing.T) {
	var w countingWriter
	c := console.New(&w, console.Options{Now: fixedNow})
	const n = 50
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			m := bot.Message{Chat: bot.ChatRef{Platform: "console", ID: fmt.Sprint(i)},
				Text: fmt.Sprintf("line one %d\nline two %d", i, i)}
			if err := c.Send(context.Background(), m); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if len(w.writes) != n {
		t.Fatalf("%d writes, want %d (one per message)", len(w.writes), n)
	}
	for _, s := range w.writes {
		var i int
		if _, err := fmt.Sscanf(s, "[21:03] console:%d\n", &i); err != nil {
			t.Fatalf("write %q: %v", s, err)
		}
		want := fmt.Sprintf("[21:03] console:%d\n  line one %d\n  line two %d\n\n", i, i, i)
		if s != want {
			t.Errorf("write %q, want %q", s, want)
		}
	}
}

// failingWriter fails every write.
type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestSendErrors(t *testing.T) {
	errDisk := errors.New("disk full")
	msg := bot.Message{Chat: bot.ChatRef{Platform: "console", ID: "group"}, Text: "x"}
	t.Run("WriteError", func(t *testing.T) {
		err := console.New(failingWriter{errDisk}, console.Options{}).Send(t.Context(), msg)
		if !errors.Is(err, errDisk) || !strings.HasPrefix(err.Error(), "console: ") {
			t.Errorf("got %v, want the writer's error wrapped", err)
		}
	})
	t.Run("CancelledContext", func(t *testing.T) {
		var buf bytes.Buffer
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		err := console.New(&buf, console.Options{}).Send(ctx, msg)
		if !errors.Is(err, context.Canceled) || buf.Len() != 0 {
			t.Errorf("got %v and %q, want context.Canceled and no output", err, buf.String())
		}
	})
}

func TestColorAuto(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tests := []struct {
		name   string
		w      io.Writer
		getenv func(string) string
		want   bool
	}{
		{"Buffer", &bytes.Buffer{}, env(), false},
		{"RegularFile", f, env(), false},
		{"NoColor", f, env("NO_COLOR", "1"), false},
		{"DumbTerminal", f, env("TERM", "dumb"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := console.ColorAuto(tt.w, tt.getenv); got != tt.want {
				t.Errorf("ColorAuto = %v, want %v", got, tt.want)
			}
		})
	}
}
