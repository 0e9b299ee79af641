package server

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/openbanking/testbed"
	"github.com/moimbot/moimbot/store"
)

// routerEnv drives the router of a loop environment as a chat adapter
// would: updates from the group chat or a DM, each with a new id.
type routerEnv struct {
	*loopEnv
	r    *Router
	next int
}

func newRouterEnv(t *testing.T) *routerEnv {
	env := newLoopEnv(t)
	return &routerEnv{loopEnv: env, r: env.eng.Router()}
}

// treasurer and member are the test platform's users; the loop group's
// treasurer chats with the bot in the DM whose id is the user's id.
var (
	routerTreasurer = bot.User{Platform: "test", ID: loopTreasurerChat.ID, Name: "김총무"}
	routerMember    = bot.User{Platform: "test", ID: "u-member", Name: "이지은"}
)

// say sends text as from in the group chat (or, with dm, in from's DM) and
// returns the replies queued to that chat by it.
func (env *routerEnv) say(from bot.User, dm bool, text string) []store.Message {
	env.t.Helper()
	env.next++
	u := bot.Update{ID: "test:" + strconv.Itoa(env.next), Chat: loopGroupChat, From: from, Text: text, Bot: "moim_test_bot"}
	if dm {
		u.Chat, u.Private = from.Ref(), true
	}
	if notice := env.r.HandleUpdate(env.ctx, u); notice != "" {
		env.t.Errorf("a message answered with a notice %q", notice)
	}
	return env.replies(u)
}

// tap taps a button with data under the message msgID in from's DM and
// returns the notice and the replies.
func (env *routerEnv) tap(from bot.User, msgID, data string) (string, []store.Message) {
	env.t.Helper()
	env.next++
	u := bot.Update{ID: "test:" + strconv.Itoa(env.next), Chat: from.Ref(), Private: true, From: from,
		Tap: &bot.Tap{Data: data, Message: msgID}}
	notice := env.r.HandleUpdate(env.ctx, u)
	return notice, env.replies(u)
}

func (env *routerEnv) replies(u bot.Update) []store.Message {
	var out []store.Message
	for _, m := range env.allMessages() {
		if strings.HasPrefix(m.Key, "reply/"+u.ID+"/") {
			out = append(out, m)
		}
	}
	return out
}

func (env *routerEnv) reloadGroup() store.Group {
	env.t.Helper()
	g, err := env.db.Group(env.ctx, env.group.ID)
	if err != nil {
		env.t.Fatal(err)
	}
	return g
}

func wantReply(t *testing.T, got []store.Message, want string) {
	t.Helper()
	if len(got) == 0 {
		t.Errorf("no reply, want one containing %q", want)
		return
	}
	var texts []string
	for _, m := range got {
		texts = append(texts, m.Text)
	}
	if all := strings.Join(texts, "\n"); !strings.Contains(all, want) {
		t.Errorf("reply %q, want it to contain %q", all, want)
	}
}

// TestRouterCommands runs the roster and dues commands as a treasurer and
// a member would type them, and checks the replies and what changed.
func TestRouterCommands(t *testing.T) {
	env := newRouterEnv(t)
	before := len(env.group.Members)

	tests := []struct {
		name string
		from bot.User
		dm   bool
		text string
		want string
	}{
		{"MemberCannotAdd", routerMember, false, "/member add 홍길동", "총무만 할 수 있는 명령이에요"},
		{"Add", routerTreasurer, false, `/member add "홍 길동" 20000 길동이`, "✅ 홍 길동님을 명단에 추가했어요 (월 20,000원)"},
		{"AddKorean", routerTreasurer, false, "/멤버 추가 오세훈", "✅ 오세훈님을 명단에 추가했어요 (월 30,000원)"},
		{"AddTwice", routerTreasurer, false, "/member add 오세훈", "오세훈님은 이미 명단에 있어요"},
		{"Alias", routerTreasurer, false, "/member alias 오세훈 세훈이 SEHUN", "✅ 오세훈님의 별칭: 세훈이, SEHUN"},
		{"Exempt", routerTreasurer, false, "/member exempt 오세훈", "✅ 오세훈님은 이제 회비 면제예요"},
		{"UnknownMember", routerTreasurer, false, "/member alias 없는사람 x", `명단에 "없는사람" 님이 없어요`},
		{"Members", routerMember, false, "/members", "홍 길동 · 20,000원 · 길동이"},
		{"BadDues", routerTreasurer, false, "/dues 삼만원", "사용법: /회비"},
		{"Dues", routerTreasurer, false, "/dues 3만 10", "✅ 회비를 매월 30,000원, 마감 10일로 정했어요"},
		{"OtherBot", routerTreasurer, false, "/dues@other_bot 50000", ""},
		{"NotACommand", routerMember, false, "안녕하세요", ""},
		{"Unknown", routerMember, false, "/frobnicate", "모르는 명령이에요: /frobnicate"},
		{"Export", routerTreasurer, false, "/export", "회비 내역 CSV를 DM으로 보냈어요"},
		{"Settings", routerMember, false, "/settings", "총무만"},
		{"SettingsShow", routerTreasurer, false, "/settings", "마감일: 매월 10일"},
		{"SettingsEnglish", routerTreasurer, false, "/settings language en", "✅ Setting changed."},
		{"HelpEnglish", routerMember, false, "/help", "/status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := env.say(tt.from, tt.dm, tt.text)
			if tt.want == "" {
				if len(got) != 0 {
					t.Errorf("%q answered %q, want no answer", tt.text, got[0].Text)
				}
				return
			}
			wantReply(t, got, tt.want)
		})
	}

	g := env.reloadGroup()
	if got, want := len(g.Members), before+2; got != want {
		t.Errorf("%d members, want %d", got, want)
	}
	if g.Dues.Amount != 30000 || g.Dues.Day != 10 {
		t.Errorf("dues %d on day %d, want 30000 on day 10", g.Dues.Amount, g.Dues.Day)
	}
	if g.Settings.Language != "en" {
		t.Errorf("language %q, want en", g.Settings.Language)
	}
	// Every change is audited under the treasurer's chat user.
	audit, err := env.db.Audit(env.ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	byTreasurer := 0
	for _, a := range audit {
		if a.Actor == "test:"+loopTreasurerChat.ID {
			byTreasurer++
		}
		if a.Actor == "test:"+routerMember.ID {
			t.Errorf("the member changed something: %+v", a)
		}
	}
	if byTreasurer == 0 {
		t.Error("no audit entry by the treasurer")
	}
	// A redelivered update is not answered twice: the reply keys repeat.
	u := bot.Update{ID: "test:again", Chat: loopGroupChat, From: routerMember, Text: "/members"}
	env.r.HandleUpdate(env.ctx, u)
	env.r.HandleUpdate(env.ctx, u)
	if n := len(env.replies(u)); n != 1 {
		t.Errorf("a redelivered update queued %d replies, want 1", n)
	}
}

// TestRouterReviewTap: a deposit under a name nobody has reaches the
// treasurer by DM; /review sends it again with buttons; the treasurer's
// tap assigns it, edits the DM to say who decided, and the group gets the
// notice; a second tap and a member's tap change nothing.
func TestRouterReviewTap(t *testing.T) {
	env := newRouterEnv(t)
	env.link()
	env.mustSync()
	env.deposit("이수진", 30000)
	env.mustSync()

	got := env.say(routerTreasurer, true, "/review")
	if len(got) != 1 {
		t.Fatalf("/review queued %d messages, want 1", len(got))
	}
	var p payload
	if err := jsonUnmarshal(got[0].Payload, &p); err != nil || len(p.Buttons) == 0 {
		t.Fatalf("the review has no buttons (%v)", err)
	}
	var assign string
	for _, row := range p.Buttons {
		for _, b := range row {
			if strings.HasPrefix(b.Data, "pick:") {
				assign = b.Data
			}
		}
	}
	if assign == "" {
		t.Fatalf("no pick button in %+v", p.Buttons)
	}
	depositID := strings.TrimPrefix(assign, "pick:")

	notice, _ := env.tap(routerMember, "42", "assign:"+depositID+":m06")
	if !strings.Contains(notice, "총무만") {
		t.Errorf("a member's tap answered %q", notice)
	}
	_, picked := env.tap(routerTreasurer, "42", assign)
	if len(picked) != 1 || !strings.Contains(picked[0].Text, "누구의 입금인가요?") {
		t.Fatalf("pick answered %+v", picked)
	}
	if err := jsonUnmarshal(picked[0].Payload, &p); err != nil || p.Edit != "42" {
		t.Errorf("pick did not edit message 42: %+v, %v", p, err)
	}

	notice, edited := env.tap(routerTreasurer, "42", "assign:"+depositID+":m06")
	if notice != "강도윤님으로 처리했어요" {
		t.Errorf("tap notice %q", notice)
	}
	if len(edited) != 1 || !strings.Contains(edited[0].Text, "✅ 강도윤님으로 처리했어요 (김총무)") {
		t.Errorf("the DM edit is %+v", edited)
	}
	notices := env.messages(loopGroupChat, bot.KindDeposit)
	if len(notices) == 0 || !strings.Contains(notices[len(notices)-1].Text, "💰 강도윤님 30,000원 입금 (총무 확인)") {
		t.Errorf("no group notice of the assignment: %v", loopTexts(notices))
	}
	if notice, again := env.tap(routerTreasurer, "42", "assign:"+depositID+":m01"); notice != "이미 처리된 입금이에요" || len(again) != 0 {
		t.Errorf("second tap: %q, %d messages", notice, len(again))
	}
	rec, err := env.db.Deposit(env.ctx, depositID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.InReview || rec.Allocations[0].MemberID != "m06" {
		t.Errorf("deposit after the taps: in review %v, allocations %+v", rec.InReview, rec.Allocations)
	}
}

func jsonUnmarshal(raw []byte, v any) error { return json.Unmarshal(raw, v) }

// TestRouterLongBoard: a board longer than a Telegram message (4,096
// UTF-16 units) is split at line ends into messages within the limit, the
// last carrying the footer.
func TestRouterLongBoard(t *testing.T) {
	env := newRouterEnv(t)
	g := env.reloadGroup()
	for i := range 400 {
		g.Members = append(g.Members, ledger.Member{ID: fmt.Sprintf("x%03d", i), Name: fmt.Sprintf("아주긴이름의회원%03d", i)})
	}
	if _, err := env.db.PutGroup(env.ctx, "test", g); err != nil {
		t.Fatal(err)
	}
	chat := bot.ChatRef{Platform: "telegram", ID: "-100"}
	g = env.reloadGroup()
	g.Settings.Chats = append(g.Settings.Chats, store.ChatRef{Platform: chat.Platform, ID: chat.ID})
	if _, err := env.db.PutGroup(env.ctx, "test", g); err != nil {
		t.Fatal(err)
	}
	env.next++
	u := bot.Update{ID: "test:long", Chat: chat, From: routerMember, Text: "/status 2026-12"}
	env.r.HandleUpdate(env.ctx, u)
	parts := env.replies(u)
	if len(parts) < 2 {
		t.Fatalf("the board came in %d message(s), want it split", len(parts))
	}
	for i, p := range parts {
		if n := len(utf16.Encode([]rune(p.Text))); n > bot.Limit("telegram") {
			t.Errorf("part %d has %d UTF-16 units, over %d", i+1, n, bot.Limit("telegram"))
		}
	}
	if last := parts[len(parts)-1].Text; !strings.Contains(last, "합계") {
		t.Errorf("the last part lacks the totals:\n%s", last)
	}
}

// TestRouterSyncBudget: /sync reads the bank when the last read is over a
// minute old, and not once the month's call budget is spent.
func TestRouterSyncBudget(t *testing.T) {
	env := newRouterEnv(t)
	env.link()
	env.mustSync()
	env.clock.Advance(2 * time.Minute)
	env.deposit("김민수", 30000)
	wantReply(t, env.say(routerTreasurer, false, "/sync"), "새 거래 1건")

	env.clock.Advance(2 * time.Minute)
	if err := env.db.AddCalls(env.ctx, env.acct.ID, ledger.MonthOf(env.clock.Now().In(ledger.KST())), statusCallBudget); err != nil {
		t.Fatal(err)
	}
	before := env.simCalls(testbed.APITransactionList)
	wantReply(t, env.say(routerTreasurer, false, "/sync"), "조회 횟수")
	if got := env.simCalls(testbed.APITransactionList); got != before {
		t.Errorf("/sync made %d calls past the budget", got-before)
	}
}
