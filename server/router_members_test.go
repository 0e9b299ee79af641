package server

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// routerStranger is a user in the group chat who is neither a treasurer
// nor linked to a member.
var routerStranger = bot.User{Platform: "test", ID: "u-stranger", Name: "나그네", Username: "stranger_1"}

// routerCase is one command typed in a table test and what its reply must
// contain.
type routerCase struct {
	name string
	from bot.User
	dm   bool
	text string
	want string
}

// run types each case in order and checks its reply.
func (env *routerEnv) run(t *testing.T, tests []routerCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantReply(t, env.say(tt.from, tt.dm, tt.text), tt.want)
		})
	}
}

// dataSnapshot is everything a command may change, as JSON: the groups
// (members, dues, settings), each group's review queue, payments and chat
// links. The outbox is left out: anyone may get a reply.
func dataSnapshot(ctx context.Context, db *store.DB) (string, error) {
	gs, err := db.Groups(ctx)
	if err != nil {
		return "", err
	}
	snap := map[string]any{"groups": gs}
	for _, g := range gs {
		review, err := db.Review(ctx, g.ID)
		if err != nil {
			return "", err
		}
		pays, err := db.Payments(ctx, g.ID)
		if err != nil {
			return "", err
		}
		links, err := db.ChatLinks(ctx, g.ID)
		if err != nil {
			return "", err
		}
		snap["review/"+g.ID], snap["payments/"+g.ID], snap["links/"+g.ID] = review, pays, links
	}
	b, err := json.Marshal(snap)
	return string(b), err
}

func (env *routerEnv) snapshot() string {
	env.t.Helper()
	s, err := dataSnapshot(env.ctx, env.db)
	if err != nil {
		env.t.Fatal(err)
	}
	return s
}

// auditBy returns the audit entries of actor u, newest first.
func (env *routerEnv) auditBy(u bot.User) []store.AuditEntry {
	env.t.Helper()
	all, err := env.db.Audit(env.ctx, store.AuditFilter{Limit: 1000})
	if err != nil {
		env.t.Fatal(err)
	}
	var out []store.AuditEntry
	for _, a := range all {
		if a.Actor == u.Platform+":"+u.ID {
			out = append(out, a)
		}
	}
	return out
}

// payloadOf decodes an outbox message's payload.
func payloadOf(t *testing.T, m store.Message) payload {
	t.Helper()
	var p payload
	if len(m.Payload) > 0 {
		if err := json.Unmarshal(m.Payload, &p); err != nil {
			t.Fatalf("payload of %s: %v", m.Key, err)
		}
	}
	return p
}

func (env *routerEnv) putGroup(change func(g *store.Group)) {
	env.t.Helper()
	g := env.reloadGroup()
	change(&g)
	if _, err := env.db.PutGroup(env.ctx, "test", g); err != nil {
		env.t.Fatal(err)
	}
}

func (env *routerEnv) linkUser(u bot.User, memberID string) {
	env.t.Helper()
	if err := env.db.LinkChatUser(env.ctx, "test", env.group.ID, store.ChatUser{Platform: u.Platform, ID: u.ID}, memberID); err != nil {
		env.t.Fatal(err)
	}
}

func (env *routerEnv) cash(memberID string, amount int64) {
	env.t.Helper()
	if _, err := env.db.AddManualPayment(env.ctx, "test", env.group.ID, ledger.Payment{MemberID: memberID, Amount: amount}, "test"); err != nil {
		env.t.Fatal(err)
	}
}

// TestRouterIAm: a member's /iam reaches the treasurer by DM with a
// confirm and a decline button; only the treasurer's confirm links them,
// audited under the treasurer, and tells the group; taps by others and
// a second confirm change nothing.
func TestRouterIAm(t *testing.T) {
	env := newRouterEnv(t)
	before := env.snapshot()
	env.run(t, []routerCase{
		{"Missing", routerMember, false, "/iam", "사용법: /나 <이름>"},
		{"TwoNames", routerMember, false, "/나 이지은 김민수", "사용법: /나 <이름>"},
		{"Unknown", routerMember, false, "/iam 없는사람", `명단에 "없는사람" 님이 없어요`},
		{"InDM", routerMember, true, "/iam 이지은", "이 채팅방에는 아직 모임이 없어요"},
		{"TreasurerInDM", routerTreasurer, true, "/iam 김민수", "모임 단톡방에서 써 주세요"},
	})
	if got := env.snapshot(); got != before {
		t.Errorf("refused /iam changed the data:\n%s\nwant\n%s", got, before)
	}

	got := env.say(routerMember, false, "/나 이지은")
	wantReply(t, got, "🙋 총무님께 이지은님이 맞는지 확인을 부탁했어요")
	var ask store.Message
	for _, m := range got {
		if m.Chat.ID == loopTreasurerChat.ID {
			ask = m
		}
	}
	if !strings.Contains(ask.Text, "이지은 (사용자 번호 u-member) 님이 명단의 이지은님(m02)이라고 해요") {
		t.Fatalf("the treasurer's DM is %q", ask.Text)
	}
	var data []string
	for _, row := range payloadOf(t, ask).Buttons {
		for _, b := range row {
			data = append(data, b.Data)
		}
	}
	wantData := []string{"iam:" + env.group.ID + ":m02:u-member", "iamno:" + env.group.ID + ":m02:u-member"}
	if !slices.Equal(data, wantData) {
		t.Fatalf("buttons %q, want %q", data, wantData)
	}

	linked := func() string {
		id, err := env.db.ChatUserMember(env.ctx, env.group.ID, store.ChatUser{Platform: "test", ID: "u-member"})
		if err != nil {
			return ""
		}
		return id
	}
	taps := []struct {
		name       string
		from       bot.User
		data       string
		wantNotice string
		wantLink   string
	}{
		{"MemberConfirms", routerMember, wantData[0], "총무만 할 수 있는 명령이에요", ""},
		{"StrangerConfirms", routerStranger, wantData[0], "총무만 할 수 있는 명령이에요", ""},
		{"Malformed", routerTreasurer, "iam:" + env.group.ID + ":m02", "처리하지 못했어요", ""},
		{"UnknownGroup", routerTreasurer, "iam:g404:m02:u-member", "처리하지 못했어요", ""},
		{"UnknownMember", routerTreasurer, "iam:" + env.group.ID + ":m99:u-member", "처리하지 못했어요", ""},
		{"Decline", routerTreasurer, wantData[1], "연결하지 않았어요", ""},
		{"Confirm", routerTreasurer, wantData[0], "이지은님으로 연결했어요", "m02"},
		{"ConfirmAgain", routerTreasurer, wantData[0], "이미 이지은님으로 연결되어 있어요", "m02"},
	}
	for _, tt := range taps {
		t.Run(tt.name, func(t *testing.T) {
			notice, _ := env.tap(tt.from, "77", tt.data)
			if !strings.Contains(notice, tt.wantNotice) {
				t.Errorf("notice %q, want %q", notice, tt.wantNotice)
			}
			if got := linked(); got != tt.wantLink {
				t.Errorf("linked to %q, want %q", got, tt.wantLink)
			}
		})
	}

	// The confirm edited the DM and told the group, once.
	var edits, told int
	for _, m := range env.allMessages() {
		if p := payloadOf(t, m); p.Edit == "77" && strings.Contains(m.Text, "✅ 이지은님으로 연결했어요 (김총무)") {
			edits++
		}
		if m.Chat.ID == loopGroupChat.ID && strings.Contains(m.Text, "✅ 이지은님의 채팅 계정을 명단과 연결했어요") {
			told++
		}
	}
	if edits != 1 || told != 1 {
		t.Errorf("%d DM edits and %d group posts of the link, want 1 and 1", edits, told)
	}
	if a := env.auditBy(routerTreasurer); len(a) != 1 || a[0].Action != store.ActionChatLink || a[0].Target != "test:u-member" {
		t.Errorf("the treasurer's audit entries: %+v, want one chat.link of test:u-member", a)
	}
	for _, u := range []bot.User{routerMember, routerStranger} {
		if a := env.auditBy(u); len(a) != 0 {
			t.Errorf("audit entries by %s: %+v", u.ID, a)
		}
	}

	env.run(t, []routerCase{
		{"Again", routerMember, false, "/iam 이지은", "이미 이지은님으로 연결되어 있어요"},
		{"TreasurerLinksSelf", routerTreasurer, false, "/iam 김민수", "✅ 김민수님의 채팅 계정을 명단과 연결했어요"},
	})
	if id, err := env.db.ChatUserMember(env.ctx, env.group.ID, store.ChatUser{Platform: "test", ID: loopTreasurerChat.ID}); err != nil || id != "m01" {
		t.Errorf("the treasurer is linked to %q (%v), want m01", id, err)
	}

	// A user on another platform asks the treasurers on theirs: none.
	other := bot.User{Platform: "other", ID: "x1", Name: "외부"}
	u := bot.Update{ID: "test:other", Chat: loopGroupChat, From: other, Text: "/iam 박서준"}
	env.r.HandleUpdate(env.ctx, u)
	wantReply(t, env.replies(u), "확인해 줄 총무가 없어요")

	// English.
	env.putGroup(func(g *store.Group) { g.Settings.Language = "en" })
	stranger := env.say(routerStranger, false, "/iam 박서준")
	wantReply(t, stranger, "Asked the treasurer to confirm that you are 박서준")
	wantReply(t, stranger, "나그네 @stranger_1 (user id u-stranger) says they are 박서준 (m03) on the roster")
}

// TestRouterHistory: a linked member sees their own months and payments,
// in the group and by DM; a treasurer sees anyone's; anyone else asking
// for someone's is refused and nothing changes.
func TestRouterHistory(t *testing.T) {
	env := newRouterEnv(t)
	// Dues from September: 이지은 paid one month in cash and owes two.
	env.putGroup(func(g *store.Group) { g.Dues.Start = ledger.NewPeriod(2026, 9) })
	env.linkUser(routerMember, "m02")
	env.cash("m02", 30000)
	env.cash("m01", 100000)
	before := env.snapshot()

	env.run(t, []routerCase{
		{"Own", routerMember, false, "/history", "📒 이지은님의 회비 내역 (2026년 11월 기준)\n2026년 11월: 미납\n2026년 10월: 미납\n2026년 9월: 완납\n\n입금\n2026-11-20 30,000원 (현금)\n\n밀린 회비: 60,000원"},
		{"OwnKorean", routerMember, false, "/내역", "2026년 9월: 완납"},
		{"OwnByName", routerMember, false, "/내역 이지은", "📒 이지은님의 회비 내역"},
		{"OwnByID", routerMember, false, "/history m02", "📒 이지은님의 회비 내역"},
		{"OwnInDM", routerMember, true, "/history", "2026-11-20 30,000원 (현금)"},
		{"Others", routerMember, false, "/history 김민수", "다른 분의 내역은 총무만 볼 수 있어요"},
		{"OthersUnknown", routerMember, false, "/history 없는사람", "다른 분의 내역은 총무만 볼 수 있어요"},
		{"NotLinked", routerStranger, false, "/history", "단톡방에서 /나 <이름> 으로"},
		{"NotLinkedOthers", routerStranger, false, "/history 이지은", "다른 분의 내역은 총무만"},
		{"NotLinkedDM", routerStranger, true, "/history", "이 채팅방에는 아직 모임이 없어요"},
		{"TreasurerAny", routerTreasurer, false, "/history 김민수", "📒 김민수님의 회비 내역 (2026년 11월 기준)\n2026년 12월: 선납 10,000원\n2026년 11월: 완납\n2026년 10월: 완납\n2026년 9월: 완납"},
		{"TreasurerDM", routerTreasurer, true, "/내역 김민수", "2026-11-20 100,000원 (현금)"},
		{"TreasurerUnknown", routerTreasurer, false, "/history 없는사람", `명단에 "없는사람" 님이 없어요`},
		{"TreasurerNotLinked", routerTreasurer, false, "/history", "단톡방에서 /나 <이름> 으로"},
		{"TwoNames", routerMember, false, "/history 이지은 김민수", "사용법: /내역 [이름]"},
		{"Unquoted", routerMember, false, `/history "이 지은`, "사용법: /내역 [이름]"},
	})
	if got := env.snapshot(); got != before {
		t.Errorf("/history changed the data")
	}
	if a := env.auditBy(routerMember); len(a) != 0 {
		t.Errorf("audit entries by the member: %+v", a)
	}

	env.putGroup(func(g *store.Group) { g.Settings.Language = "en" })
	env.run(t, []routerCase{
		{"English", routerMember, false, "/history", "📒 Dues history of 이지은 (as of November 2026)\nNovember 2026: unpaid\nOctober 2026: unpaid\nSeptember 2026: paid\n\nPayments\n2026-11-20 ₩30,000 (cash)\n\nOwed: ₩60,000"},
		{"EnglishOthers", routerMember, false, "/history 김민수", "Only a treasurer can see someone else's history"},
		{"EnglishUsage", routerMember, false, "/history a b", "Usage: /history [name]"},
	})
}

// TestHistoryText checks the limits and the states /history renders.
func TestHistoryText(t *testing.T) {
	m := ledger.Member{ID: "m01", Name: "김민수"}
	nov := ledger.NewPeriod(2026, 11)
	var periods []ledger.PeriodStatus
	for p := nov - 13; p <= nov; p++ {
		periods = append(periods, ledger.PeriodStatus{Period: p, Due: 30000, Status: ledger.StatusPaid})
	}
	periods[0].Status = ledger.StatusNotOwed
	periods[len(periods)-1] = ledger.PeriodStatus{Period: nov, Due: 30000, Paid: 10000, Status: ledger.StatusPartial}
	periods[len(periods)-2].Status = ledger.StatusExempt
	var pays []store.PaymentRecord
	for i := range 12 {
		pays = append(pays, store.PaymentRecord{Source: store.SourceDeposit,
			Payment: ledger.Payment{MemberID: "m01", Amount: int64(1000 * (i + 1)), At: loopKST(2026, 1, i+1, 9, 0, 0)}})
	}
	got := historyText(bot.Korean, m, nov, ledger.MemberStatus{MemberID: "m01", Balance: -20000, Credit: 500, Periods: periods}, pays)
	for _, want := range []string{
		"2026년 11월: 일부 납부 (10,000원 / 30,000원)\n2026년 10월: 면제\n2026년 9월: 완납",
		"2025년 12월: 완납\n… 이전 1건\n", // 13 owed months, 12 shown
		"입금\n2026-01-12 12,000원\n",
		"2026-01-03 3,000원\n… 이전 2건\n",
		"밀린 회비: 20,000원\n적립금: 500원",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("history\n%s\nwant it to contain\n%s", got, want)
		}
	}
	if strings.Contains(got, "2025년 10월") {
		t.Errorf("history lists a month not owed:\n%s", got)
	}
}

// TestRouterTreasurer: treasurers add and remove co-treasurers by user id;
// a @username resolves only to the asker; the last main treasurer stays,
// and a co-treasurer cannot remove a main one; nobody else changes
// anything.
func TestRouterTreasurer(t *testing.T) {
	env := newRouterEnv(t)
	second := bot.User{Platform: "test", ID: "777777", Name: "박총무"}
	co := bot.User{Platform: "test", ID: "12345678", Name: "최공동"}
	self := routerTreasurer
	self.Username = "kim_chongmu"
	env.putGroup(func(g *store.Group) {
		g.Settings.Treasurers = append(g.Settings.Treasurers, store.ChatUser{Platform: "test", ID: second.ID})
	})
	before := env.snapshot()
	env.run(t, []routerCase{
		{"Member", routerMember, false, "/treasurer add 12345678", "총무만 할 수 있는 명령이에요. 바뀐 것은 없어요."},
		{"MemberRemove", routerMember, false, "/총무 삭제 777777", "총무만 할 수 있는 명령이에요"},
		{"Missing", routerTreasurer, false, "/treasurer", "/총무 추가 [@사용자 또는 그 사람의 메시지에 답장]"},
		{"MissingUser", routerTreasurer, false, "/treasurer add", "사용법: /총무 추가 [@사용자 또는 그 사람의 메시지에 답장]"},
		{"BadSub", routerTreasurer, false, "/treasurer promote 12345678", "/총무 삭제 [@사용자 또는 그 사람의 메시지에 답장]"},
		{"NotAMention", routerTreasurer, false, "/treasurer add minsu", "사용법: /총무 추가 [@사용자 또는 그 사람의 메시지에 답장]"},
		{"TwoUsers", routerTreasurer, false, "/treasurer add 123456 654321", "사용법: /총무 추가 [@사용자 또는 그 사람의 메시지에 답장]"},
		{"Username", routerTreasurer, false, "/treasurer add @minsu_kim", "@minsu_kim 님을 찾을 수 없어요"},
		{"NotFound", routerTreasurer, false, "/treasurer remove 5555555", "5555555 님은 총무가 아니에요. 바뀐 것은 없어요."},
		{"ExistsSelf", self, false, "/treasurer add @Kim_Chongmu", "@kim_chongmu 님은 이미 총무예요"},
	})
	if got := env.snapshot(); got != before {
		t.Errorf("refused or wrong /treasurer commands changed the data")
	}
	if a := env.auditBy(routerMember); len(a) != 0 {
		t.Errorf("audit entries by the member: %+v", a)
	}

	env.run(t, []routerCase{
		{"Add", routerTreasurer, false, "/treasurer add 12345678", "✅ 12345678 님을 공동 총무로 추가했어요"},
		{"AddAgain", routerTreasurer, false, "/treasurer add 12345678", "12345678 님은 이미 총무예요"},
		{"AddKorean", routerTreasurer, false, "/총무 추가 98765", "✅ 98765 님을 공동 총무로 추가했어요"},
		{"CoUsesTreasurerCommand", co, false, "/dues 40000", "✅ 회비를 매월 40,000원"},
		{"CoRemovesMain", co, false, "/treasurer remove 777777", "모임을 맡은 총무는 공동 총무가 뺄 수 없어요"},
		{"CoRemovesCo", co, false, "/treasurer remove 98765", "✅ 98765 님은 이제 총무가 아니에요"},
		{"RemoveMain", routerTreasurer, false, "/treasurer remove 777777", "✅ 777777 님은 이제 총무가 아니에요"},
		{"RemoveLast", self, false, "/총무 삭제 @kim_chongmu", "마지막 총무는 뺄 수 없어요"},
		{"RemovedCannot", second, false, "/treasurer add 444444", "총무만 할 수 있는 명령이에요"},
	})
	s := env.reloadGroup().Settings
	wantMain := []store.ChatUser{{Platform: "test", ID: loopTreasurerChat.ID}}
	wantCo := []store.ChatUser{{Platform: "test", ID: co.ID}}
	if !slices.Equal(s.Treasurers, wantMain) || !slices.Equal(s.CoTreasurers, wantCo) {
		t.Errorf("treasurers %v and co-treasurers %v, want %v and %v", s.Treasurers, s.CoTreasurers, wantMain, wantCo)
	}
	if n := len(env.auditBy(routerTreasurer)); n != 3 {
		t.Errorf("%d audit entries by the treasurer, want 3 (two adds, one removal)", n)
	}
	if a := env.auditBy(second); len(a) != 0 {
		t.Errorf("audit entries by the removed treasurer: %+v", a)
	}

	env.putGroup(func(g *store.Group) { g.Settings.Language = "en" })
	env.run(t, []routerCase{
		{"EnglishUsername", routerTreasurer, false, "/treasurer add @minsu_kim", "Cannot look up @minsu_kim"},
		{"EnglishUsage", routerTreasurer, false, "/treasurer add", "Usage: /treasurer add [@user, or in reply to their message]"},
		{"EnglishMember", routerMember, false, "/treasurer add 1234567", "Only a treasurer can do that; nothing was changed."},
	})
}

// readCSV checks that a file is one CSV table after a UTF-8 BOM and
// returns its rows.
func readCSV(t *testing.T, f *bot.File) [][]string {
	t.Helper()
	rest, ok := bytes.CutPrefix(f.Data, []byte(UTF8BOM))
	if !ok {
		t.Errorf("%s has no UTF-8 BOM", f.Name)
	}
	rows, err := csv.NewReader(bytes.NewReader(rest)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	return rows
}

// TestRouterExport: /export sends the treasurer the CSV tables by DM as
// files, through the outbox to the chat; others are refused.
func TestRouterExport(t *testing.T) {
	env := newRouterEnv(t)
	env.cash("m01", 30000)
	env.run(t, []routerCase{
		{"Member", routerMember, false, "/export", "총무만 할 수 있는 명령이에요"},
		{"MemberDM", routerMember, true, "/내보내기", "이 채팅방에는 아직 모임이 없어요"},
		{"Argument", routerTreasurer, false, "/export csv", "사용법: /내보내기"},
	})
	treasurerDM := bot.ChatRef{Platform: "test", ID: loopTreasurerChat.ID}
	if ms := env.messages(treasurerDM, ""); len(ms) != 0 {
		t.Fatalf("refused exports sent %d DMs", len(ms))
	}

	got := env.say(routerTreasurer, false, "/내보내기")
	wantReply(t, got, "📄 회비 내역 CSV를 DM으로 보냈어요")
	for env.dispatch() > 0 { // one message of a chat at a time
	}
	sent := env.chat.sentTo(treasurerDM)
	var names []string
	for _, m := range sent {
		if m.File != nil {
			names = append(names, m.File.Name)
		}
	}
	// No bank transactions yet: that table is left out.
	wantNames := []string{"독서모임-2026-11-status.csv", "독서모임-2026-11-manual-payments.csv"}
	if !slices.Equal(names, wantNames) {
		t.Fatalf("files %q, want %q", names, wantNames)
	}
	if sent[0].Text != "📄 독서모임 회비 내역 (2026-11 기준)" || sent[1].Text != "" {
		t.Errorf("captions %q and %q", sent[0].Text, sent[1].Text)
	}
	status := readCSV(t, sent[0].File)
	if got, want := status[0], []string{"회원 ID", "이름", "2026년 11월", "잔액", "적립금"}; !slices.Equal(got, want) {
		t.Errorf("status header %q, want %q", got, want)
	}
	if got, want := status[1], []string{"m01", "김민수", "완납", "0", "0"}; !slices.Equal(got, want) {
		t.Errorf("status row %q, want %q", got, want)
	}
	if manual := readCSV(t, sent[1].File); len(manual) != 2 || manual[1][0] != "manual/1" {
		t.Errorf("manual payments %q", manual)
	}

	// In a DM there is no note besides the files; in English, English.
	env.putGroup(func(g *store.Group) { g.Settings.Language = "en" })
	got = env.say(routerTreasurer, true, "/export")
	if len(got) != 2 || got[0].Text != "📄 독서모임 dues records (as of 2026-11)" {
		t.Fatalf("DM export queued %d messages: %q", len(got), loopTexts(got))
	}
	if p := payloadOf(t, got[0]); p.File == nil || !bytes.Contains(p.File.Data, []byte("member_id,name,2026-11,balance,credit")) {
		t.Errorf("the English status file is %+v", p.File)
	}
}

// TestRouterExportTooBig: an export over a mebibyte is refused with a
// reply and sends nothing.
func TestRouterExportTooBig(t *testing.T) {
	env := newRouterEnv(t)
	env.putGroup(func(g *store.Group) {
		for i := range 12000 {
			g.Members = append(g.Members, ledger.Member{ID: fmt.Sprintf("x%05d", i), Name: strings.Repeat("가", 30)})
		}
	})
	got := env.say(routerTreasurer, false, "/export")
	wantReply(t, got, "내역이 너무 커서")
	if len(got) != 1 {
		t.Errorf("queued %d messages, want the one reply", len(got))
	}
}

// TestRouterUnpaidMentions: /unpaid mentions the members who owe and are
// linked to a user of the chat's platform, by their roster name tagged
// with the user (Telegram turns the tag into a mention); a Slack user is
// not mentioned in another platform's chat.
func TestRouterUnpaidMentions(t *testing.T) {
	env := newRouterEnv(t)
	member := routerMember
	member.Username = "jieun_lee"
	env.linkUser(member, "m02")
	for _, l := range []struct{ id, member string }{{"U0OWES", "m03"}, {"U0PAID", "m04"}} {
		if err := env.db.LinkChatUser(env.ctx, "test", env.group.ID, store.ChatUser{Platform: "slack", ID: l.id}, l.member); err != nil {
			t.Fatal(err)
		}
	}
	env.cash("m04", 30000)

	tests := []struct {
		name string
		from bot.User
		text string
	}{
		{"Member", member, "/unpaid"},
		{"Korean", member, "/미납"},
		{"Stranger", routerStranger, "/unpaid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := env.say(tt.from, false, tt.text)
			if len(got) != 2 || !strings.Contains(got[0].Text, "아직 입금 전") {
				t.Fatalf("replies %q, want the reminder and the mentions", loopTexts(got))
			}
			if got, want := got[1].Text, "📣 이지은"; got != want {
				t.Errorf("mentions %q, want %q", got, want)
			}
			if p := payloadOf(t, got[1]); !slices.Equal(p.Tags, []bot.Tag{{Text: "이지은", UserID: member.ID}}) {
				t.Errorf("tags %+v, want 이지은 tagged with %s", p.Tags, member.ID)
			}
		})
	}

	// Once the mentioned member has paid, no line.
	env.cash("m02", 30000)
	if got := env.say(member, false, "/unpaid"); len(got) != 1 {
		t.Errorf("replies %q, want only the reminder", loopTexts(got))
	}
}

// TestOutboxFile: a message's file survives the outbox.
func TestOutboxFile(t *testing.T) {
	env := newRouterEnv(t)
	f := &bot.File{Name: "a.csv", Data: []byte(UTF8BOM + "a,b\r\n")}
	if _, err := env.db.Enqueue(env.ctx, outgoing(env.group.ID, bot.Message{Key: "k", Chat: loopTreasurerChat, Kind: bot.KindReply, Text: "t", File: f})); err != nil {
		t.Fatal(err)
	}
	ms, err := outbox{env.db}.Claim(env.ctx, env.clock.Now(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].File == nil || ms[0].File.Name != f.Name || !bytes.Equal(ms[0].File.Data, f.Data) {
		t.Errorf("claimed %+v, want the file %+v", ms, f)
	}
}

// TestRouterTreasurerByReply: /treasurer add in reply to someone's message
// makes that person a co-treasurer; a @username that is the replied-to
// person's works too.
func TestRouterTreasurerByReply(t *testing.T) {
	env := newRouterEnv(t)
	minsu := bot.User{Platform: "test", ID: "4242", Name: "김민수", Username: "minsu_kim"}
	say := func(text string) []store.Message {
		env.next++
		u := bot.Update{ID: fmt.Sprintf("test:r%d", env.next), Chat: loopGroupChat, From: routerTreasurer, Text: text, ReplyTo: &minsu}
		env.r.HandleUpdate(env.ctx, u)
		return env.replies(u)
	}
	wantReply(t, say("/treasurer add"), "✅ 김민수 님을 공동 총무로 추가했어요")
	g := env.reloadGroup()
	if !slices.Contains(g.Settings.CoTreasurers, store.ChatUser{Platform: "test", ID: minsu.ID}) {
		t.Fatalf("co-treasurers %+v, want 김민수", g.Settings.CoTreasurers)
	}
	wantReply(t, say("/총무 삭제 @Minsu_Kim"), "✅ 김민수 님은 이제 총무가 아니에요")
	if g := env.reloadGroup(); len(g.Settings.CoTreasurers) != 0 {
		t.Errorf("co-treasurers %+v after the removal, want none", g.Settings.CoTreasurers)
	}
}
