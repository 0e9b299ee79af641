package slack

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/bot/slack/slacktest"
	"github.com/moimbot/moimbot/ledger"
)

// describe renders blocks as one line each, for comparisons:
// "header: …", "section: …", "context: a | b",
// "actions: [label=value] <placeholder: label=value, …>".
func describe(t *testing.T, r rendered) []string {
	t.Helper()
	raw, err := json.Marshal(r.blocks)
	if err != nil {
		t.Fatal(err)
	}
	var bs []slacktest.Block
	if err := json.Unmarshal(raw, &bs); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, b := range bs {
		switch b.Type {
		case "context":
			out = append(out, "context: "+strings.ReplaceAll(b.Text, "\n", " | "))
		case "actions":
			var els []string
			for _, e := range b.Elements {
				switch e.Type {
				case "button":
					els = append(els, "["+e.Text+"="+e.Value+"]")
				case "static_select":
					var opts []string
					for _, o := range e.Options {
						opts = append(opts, o.Text+"="+o.Value)
					}
					els = append(els, "<"+e.Placeholder+": "+strings.Join(opts, ", ")+">")
				}
			}
			out = append(out, "actions: "+strings.Join(els, " "))
		default:
			out = append(out, b.Type+": "+b.Text)
		}
	}
	return out
}

// checkLimits checks what Slack checks of blocks (see slacktest) and that
// the top-level text is there.
func checkLimits(t *testing.T, r rendered) {
	t.Helper()
	if r.text == "" || !utf8.ValidString(r.text) || utf16Len(r.text) > maxFallback {
		t.Errorf("top-level text %q: want 1–%d units of valid UTF-8", r.text, maxFallback)
	}
	if len(r.blocks) > maxBlocks {
		t.Errorf("%d blocks, want at most %d", len(r.blocks), maxBlocks)
	}
	raw, _ := json.Marshal(r.blocks)
	if !utf8.Valid(raw) {
		t.Error("blocks are not valid UTF-8")
	}
	var bs []slacktest.Block
	_ = json.Unmarshal(raw, &bs)
	ids := map[string]bool{}
	for _, b := range bs {
		n := utf16Len(b.Text)
		switch b.Type {
		case "header":
			if n < 1 || n > maxHeaderText || b.TextType != "plain_text" {
				t.Errorf("header %q: %d units", b.Text, n)
			}
		case "section":
			if n < 1 || n > maxSectionText || b.TextType != "mrkdwn" {
				t.Errorf("section of %d units", n)
			}
		}
		if b.Type == "actions" && (len(b.Elements) == 0 || len(b.Elements) > maxActionElements) {
			t.Errorf("actions block with %d elements", len(b.Elements))
		}
		for _, e := range b.Elements {
			if e.ActionID != "" {
				if ids[e.ActionID] {
					t.Errorf("action_id %s twice", e.ActionID)
				}
				ids[e.ActionID] = true
			}
			if e.Type == "button" && (utf16Len(e.Text) > maxButtonText || e.Text == "" || e.Value == "") {
				t.Errorf("button %q=%q", e.Text, e.Value)
			}
			if e.Type == "static_select" && (len(e.Options) == 0 || len(e.Options) > maxSelectOptions) {
				t.Errorf("select with %d options", len(e.Options))
			}
			for _, o := range e.Options {
				if utf16Len(o.Text) > maxOptionText || o.Value == "" || utf16Len(o.Value) > maxOptionValue {
					t.Errorf("option %q=%q", o.Text, o.Value)
				}
			}
		}
	}
}

// review returns the treasurer's review of a 30,000-won deposit from "엄마"
// with candidates 김민수 and 김민형, as bot.Review renders it.
func review() (string, [][]bot.Button) {
	g := &ledger.Group{ID: "g1", Name: "독서모임", Members: []ledger.Member{{ID: "m1", Name: "김민수"}, {ID: "m2", Name: "김민형"}}}
	return bot.Review(bot.ReviewInput{
		Lang: bot.Korean, Group: g, DepositID: "d1",
		Deposit: ledger.Deposit{ID: "d1", At: time.Date(2026, 11, 24, 21, 3, 0, 0, ledger.KST()), Amount: 30000, Text: "엄마"},
		Match:   ledger.Match{Candidates: []ledger.Candidate{{MemberID: "m1", Score: 70}, {MemberID: "m2", Score: 40}}},
	})
}

func TestRender(t *testing.T) {
	reviewText, reviewButtons := review()
	reviewLines := strings.Split(reviewText, "\n")
	members := func(names ...string) [][]bot.Button {
		var rows [][]bot.Button
		for _, n := range names {
			rows = append(rows, []bot.Button{{Text: n, Data: "assign:d1:" + n}})
		}
		return rows
	}
	seven := members("김민수", "이지은", "박서준", "최유나", "한지호", "윤서연", "정하늘")
	ignore := []bot.Button{{Text: "회비 아님", Data: "ignore:d1"}}

	tests := []struct {
		name string
		m    bot.Message
		want []string
	}{
		{"Board", bot.Message{Kind: bot.KindBoard, Text: "📋 독서모임 11월 회비 현황 (마감 11월 25일(수))\n" +
			"✅ 완납 5명: 김민수, 이지은, 최유나, 강도윤, 윤서연\n🟡 일부 1명: 박서준 15,000원/30,000원\n" +
			"❌ 미납 1명: 한지호 (지난달 미납 포함 60,000원)\n➖ 면제 1명: 정하늘\n" +
			"합계 165,000원 / 210,000원 · 미납 45,000원\n11월 24일(화) 22:10 기준"},
			[]string{
				"header: 📋 독서모임 11월 회비 현황",
				"section: ✅ 완납 5명: 김민수, 이지은, 최유나, 강도윤, 윤서연",
				"section: 🟡 일부 1명: 박서준 15,000원/30,000원",
				"section: ❌ 미납 1명: 한지호 (지난달 미납 포함 60,000원)",
				"section: ➖ 면제 1명: 정하늘",
				"section: 합계 165,000원 / 210,000원 · 미납 45,000원",
				"context: 마감 11월 25일(수) | 11월 24일(화) 22:10 기준",
			}},
		{"BoardEnglishAsReply", bot.Message{Kind: bot.KindReply, Text: "📋 Book Club — November dues (due Wed, Nov 25)\n" +
			"✅ Paid (1): Minsu\n⏳ Not paid yet (1): Jieun\nTotal 30,000 won / 60,000 won · 30,000 won outstanding\nAs of Tue, Nov 24 22:10"},
			[]string{
				"header: 📋 Book Club — November dues",
				"section: ✅ Paid (1): Minsu",
				"section: ⏳ Not paid yet (1): Jieun",
				"section: Total 30,000 won / 60,000 won · 30,000 won outstanding",
				"context: due Wed, Nov 25 | As of Tue, Nov 24 22:10",
			}},
		{"Notice", bot.Message{Kind: bot.KindDeposit, Text: "💰 김민수님 30,000원 입금 — 11월 회비 완납 (6/8명)"},
			[]string{"section: 💰 김민수님 30,000원 입금 — 11월 회비 완납 (6/8명)"}},
		{"Reminder", bot.Message{Kind: bot.KindReminder, Text: "🔔 독서모임 11월 회비 마감이 3일 남았어요 (11월 25일(수))\n" +
			"아직 입금 전: 박서준님 (15,000원 남음), 최유나님\n입금할 때 받는 분 통장에 이름이 보이게 보내 주세요 🙏"},
			[]string{
				"header: 🔔 독서모임 11월 회비 마감이 3일 남았어요 (11월 25일(수))",
				"section: 아직 입금 전: 박서준님 (15,000원 남음), 최유나님",
				"context: 입금할 때 받는 분 통장에 이름이 보이게 보내 주세요 🙏",
			}},
		{"Review", bot.Message{Kind: bot.KindReview, Text: reviewText, Buttons: reviewButtons},
			[]string{
				"header: " + reviewLines[0],
				"section: " + strings.Join(reviewLines[1:], "\n"),
				"actions: [김민수님으로 처리=assign:d1:m1] [김민형님으로 처리=assign:d1:m2] [회비 아님=ignore:d1]",
			}},
		{"ReviewDecided", bot.Message{Kind: bot.KindReply, Text: reviewText + "\n\n✅ 김민수님으로 처리했어요 (alice)"},
			[]string{
				"header: " + reviewLines[0],
				"section: " + strings.Join(reviewLines[1:], "\n"),
				"section: ✅ 김민수님으로 처리했어요 (alice)",
			}},
		{"ReviewCandidatesAndSelect", bot.Message{Kind: bot.KindReview, Text: reviewText,
			Buttons: slices.Concat(reviewButtons, seven)},
			[]string{
				"header: " + reviewLines[0],
				"section: " + strings.Join(reviewLines[1:], "\n"),
				"actions: [김민수님으로 처리=assign:d1:m1] [김민형님으로 처리=assign:d1:m2] [회비 아님=ignore:d1] " +
					"<회원 선택 · Choose a member: 김민수=assign:d1:김민수, 이지은=assign:d1:이지은, 박서준=assign:d1:박서준, " +
					"최유나=assign:d1:최유나, 한지호=assign:d1:한지호, 윤서연=assign:d1:윤서연, 정하늘=assign:d1:정하늘>",
			}},
		{"PickList", bot.Message{Kind: bot.KindReply, Text: "누구의 입금인지 골라 주세요", Buttons: append(slices.Clone(seven), ignore)},
			[]string{
				"section: 누구의 입금인지 골라 주세요",
				"actions: <회원 선택 · Choose a member: 김민수=assign:d1:김민수, 이지은=assign:d1:이지은, 박서준=assign:d1:박서준, " +
					"최유나=assign:d1:최유나, 한지호=assign:d1:한지호, 윤서연=assign:d1:윤서연, 정하늘=assign:d1:정하늘> [회비 아님=ignore:d1]",
			}},
		{"ShortPickList", bot.Message{Kind: bot.KindReply, Text: "골라 주세요", Buttons: append(members("김민수", "이지은"), ignore)},
			[]string{
				"section: 골라 주세요",
				"actions: [김민수=assign:d1:김민수] [이지은=assign:d1:이지은] [회비 아님=ignore:d1]",
			}},
		{"Escaping", bot.Message{Kind: bot.KindBoard, Text: "📋 <b>&모임 11월 회비 현황\n❌ 미납 1명: <script>&amp;\n<@U0ALICE001> 기준"},
			[]string{
				"header: 📋 <b>&모임 11월 회비 현황",
				"section: ❌ 미납 1명: &lt;script&gt;&amp;amp;",
				"context: &lt;@U0ALICE001&gt; 기준",
			}},
		{"Paragraphs", bot.Message{Kind: bot.KindReply, Text: "첫 문단\n둘째 줄\n\n\n둘째 문단\n"},
			[]string{"section: 첫 문단\n둘째 줄", "section: 둘째 문단"}},
		{"TagInTitle", bot.Message{Kind: bot.KindReview, Text: "🔎 김민수님 확인\n30,000원", Tags: []bot.Tag{{Text: "김민수", UserID: "U0ALICE001"}}},
			[]string{"section: 🔎 <@U0ALICE001>님 확인\n30,000원"}},
		{"LongTitle", bot.Message{Kind: bot.KindBoard, Text: "📋 " + strings.Repeat("가", 160) + "\n✅ 완납 0명"},
			[]string{"section: 📋 " + strings.Repeat("가", 160) + "\n✅ 완납 0명"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := render(tt.m)
			checkLimits(t, r)
			if got := describe(t, r); !slices.Equal(got, tt.want) {
				t.Errorf("blocks:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestRenderFallback(t *testing.T) {
	m := bot.Message{
		Kind: bot.KindDeposit, Text: `💰 김민수님 30,000원 — 보낸 분 "<script>&"`,
		Tags: []bot.Tag{{Text: "김민수", UserID: "U0ALICE001"}},
	}
	r := render(m)
	if want := `💰 <@U0ALICE001>님 30,000원 — 보낸 분 "&lt;script&gt;&amp;"`; r.text != want {
		t.Errorf("text = %q, want %q", r.text, want)
	}
}

// TestRenderLong: long texts are split within Slack's limits and keep
// their text; beyond what 50 blocks hold they are cut.
func TestRenderLong(t *testing.T) {
	names := make([]string, 800)
	for i := range names {
		names[i] = "회원" + strconv.Itoa(i)
	}
	longLine := "✅ 완납 800명: " + strings.Join(names, ", ")
	manyLines := make([]string, 80)
	for i := range manyLines {
		manyLines[i] = fmt.Sprintf("❌ 미납 %d: 회원%d", i, i)
	}
	hugeParas := make([]string, 120)
	for i := range hugeParas {
		hugeParas[i] = strings.Repeat("가나다라 ", 400) // 2,000 units
	}
	manyButtons := make([][]bot.Button, 250)
	for i := range manyButtons {
		manyButtons[i] = []bot.Button{{Text: strings.Repeat("긴이름", 30) + strconv.Itoa(i), Data: "assign:d1:m" + strconv.Itoa(i)}}
	}

	tests := []struct {
		name     string
		m        bot.Message
		sections int  // want exactly this many sections; 0: don't care
		keep     bool // all the text is kept
		selects  int
	}{
		{"LongLine", bot.Message{Kind: bot.KindReply, Text: longLine}, 2, true, 0},
		{"ManyBoardLines", bot.Message{Kind: bot.KindBoard, Text: "📋 모임 11월 회비 현황\n" + strings.Join(manyLines, "\n")}, 0, true, 0},
		{"HugeParagraphs", bot.Message{Kind: bot.KindReply, Text: strings.Join(hugeParas, "\n\n")}, 50, false, 0},
		{"ManyMembers", bot.Message{Kind: bot.KindReply, Text: "골라 주세요", Buttons: manyButtons}, 1, true, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := render(tt.m)
			checkLimits(t, r)
			var text []string
			sections, selects := 0, 0
			for _, line := range describe(t, r) {
				if s, ok := strings.CutPrefix(line, "section: "); ok {
					sections++
					text = append(text, s)
				}
				selects += strings.Count(line, "<회원 선택")
			}
			if tt.sections != 0 && sections != tt.sections {
				t.Errorf("%d sections, want %d", sections, tt.sections)
			}
			if selects != tt.selects {
				t.Errorf("%d selects, want %d", selects, tt.selects)
			}
			squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
			got := squash(strings.Join(text, ""))
			if want := squash(tt.m.Text[strings.Index(tt.m.Text, "\n")+1:]); tt.keep && tt.m.Kind == bot.KindBoard && got != want {
				t.Errorf("sections hold %d characters of the text's %d", len(got), len(want))
			}
			if want := squash(tt.m.Text); tt.keep && tt.m.Kind != bot.KindBoard && got != want {
				t.Errorf("sections hold %d characters of the text's %d", len(got), len(want))
			}
			if !tt.keep && !strings.HasSuffix(text[len(text)-1], "…") {
				t.Error("a cut text does not end with …")
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"가나다라", 3, "가나…"},
		{"😀😀😀", 4, "😀…"},
		{"a&amp;b", 5, "a…"},
		{"a<@U123>b", 6, "a…"},
		{"a&amp;b", 7, "a&amp;b"},
	}
	for _, tt := range tests {
		if got := truncateMrkdwn(tt.s, tt.n); got != tt.want || utf16Len(got) > tt.n {
			t.Errorf("truncateMrkdwn(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}
