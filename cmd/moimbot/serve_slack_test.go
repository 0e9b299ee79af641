package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/moimbot/moimbot/bot/slack/slacktest"
	"github.com/moimbot/moimbot/ledger"
)

// The fake Slack workspace of the serve tests.
const (
	slackChannel   = "C0MOIM0001"
	slackTreasurer = "U0TREAS001"
	slackMember    = "U0MEMBER01"
)

// newSlackRig is a serve rig whose bot also (or, with noTelegram, only)
// serves a fake Slack workspace, in Socket Mode unless secret is set.
func newSlackRig(t *testing.T, noTelegram bool, secret string) *serveRig {
	t.Helper()
	rig := newServeRig(t)
	rig.slack = slacktest.NewServer(slacktest.WithClock(rig.clock.Now), slacktest.WithPingInterval(5*time.Second))
	t.Cleanup(rig.slack.Close)
	rig.slack.AddUser(slacktest.User{ID: slackTreasurer, Name: "chongmu"})
	rig.slack.AddUser(slacktest.User{ID: slackMember, Name: "jieun"})
	rig.slack.AddChannel(slacktest.Channel{ID: slackChannel, Name: "moim"})
	rig.noTelegram, rig.slackSecret = noTelegram, secret
	return rig
}

// slackCtx bounds one wait of a Slack test.
func slackCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// slackCommand sends /moim text as user in channel over Socket Mode and
// waits for its ack; it returns the envelope id.
func (rig *serveRig) slackCommand(user, channel, text string) string {
	rig.t.Helper()
	ctx := slackCtx(rig.t.(*testing.T))
	env, err := rig.slack.SlashCommand(ctx, user, channel, text)
	if err != nil {
		rig.t.Fatal(err)
	}
	if _, err := rig.slack.WaitAck(ctx, env); err != nil {
		rig.t.Fatalf("no ack of %q: %v", text, err)
	}
	return env
}

// slackWait waits until the bot has posted or updated a message in
// channel (a DM: the user's D… channel) whose text contains want, and
// returns it as it is now.
func (rig *serveRig) slackWait(channel, want string) slacktest.Message {
	rig.t.Helper()
	call, err := rig.slack.WaitFor(slackCtx(rig.t.(*testing.T)), func(c slacktest.Call) bool {
		return c.OK() && c.Channel == channel && c.TS != "" && strings.Contains(c.Args["text"], want)
	})
	if err != nil {
		var got []string
		for _, m := range rig.slack.Messages(channel) {
			got = append(got, m.Text)
		}
		rig.t.Fatalf("no message in %s containing %q; it has:\n%s\nlog: %s", channel, want, strings.Join(got, "\n---\n"), rig.log)
	}
	m, _ := rig.slack.Message(channel, call.TS)
	return m
}

// slackCount is how many of the bot's messages in channel contain sub.
func (rig *serveRig) slackCount(channel, sub string) int {
	n := 0
	for _, m := range rig.slack.Messages(channel) {
		if strings.Contains(m.Text, sub) {
			n++
		}
	}
	return n
}

// slackTap clicks, as user, the button (or the menu option) labelled
// label under msg.
func (rig *serveRig) slackTap(user string, msg slacktest.Message, label string) {
	rig.t.Helper()
	for _, b := range msg.Blocks() {
		for _, e := range b.Elements {
			value := ""
			if e.Type == "button" && strings.Contains(e.Text, label) {
				value = e.Value
			}
			for _, o := range e.Options {
				if strings.Contains(o.Text, label) {
					value = o.Value
				}
			}
			if value != "" {
				if _, err := rig.slack.Click(slackCtx(rig.t.(*testing.T)), user, msg.Channel, msg.TS, value); err != nil {
					rig.t.Fatal(err)
				}
				return
			}
		}
	}
	rig.t.Fatalf("no button %q under %q", label, msg.Text)
}

// slackSide is the Slack channel and treasurer of the rig.
func (rig *serveRig) slackSide() chatSide {
	dm := rig.slack.DM(slackTreasurer)
	return chatSide{
		say: func(text, want string) {
			rig.slackCommand(slackTreasurer, slackChannel, strings.TrimPrefix(text, "/"))
			rig.slackWait(slackChannel, want)
		},
		waitDM:    func(want string) string { return rig.slackWait(dm, want).Text },
		tapDM:     func(want, label string) { rig.slackTap(slackTreasurer, rig.slackWait(dm, want), label) },
		waitGroup: func(want string) { rig.slackWait(slackChannel, want) },
	}
}

// TestServeSlack replays the Telegram story through Slack in Socket Mode,
// through the real serve wiring, the fake Slack and the KFTC simulator:
// /moim setup, linking in the browser, dues and members, a deposit notice
// in the channel, /moim status, refusals for the caller alone, a review
// decided by a button and a menu, the learned alias the next month, a
// redelivered envelope doing nothing twice, and a restart that posts
// nothing twice.
func TestServeSlack(t *testing.T) {
	rig := newSlackRig(t, true, "")
	rig.start()
	defer func() { rig.stop() }()
	rig.linkOn(rig.slackSide())
	dm := rig.slack.DM(slackTreasurer)

	rig.deposit("김민수", 30000)
	rig.slackWait(slackChannel, "💰 김민수님 30,000원 입금")
	rig.slackCommand(slackMember, slackChannel, "현황")
	board := rig.slackWait(slackChannel, "완납 1명: 김민수")
	if blocks := board.Blocks(); len(blocks) == 0 || blocks[0].Type != "header" {
		t.Errorf("the board is not Block Kit with a header: %+v", blocks)
	}

	// A member's treasurer command is refused to them alone.
	rig.slackCommand(slackMember, slackChannel, "member add 홍길동")
	refusal := rig.slackWait(slackChannel, "총무만 할 수 있는 명령이에요")
	if !refusal.Ephemeral || refusal.Recipient != slackMember {
		t.Errorf("the refusal is not ephemeral to the member: %+v", refusal)
	}

	// An unknown name goes to the treasurer; a button and the member
	// menu decide it, and the DM is updated.
	rig.deposit("이수진", 30000)
	review := rig.slackWait(dm, "확인이 필요한 입금")
	rig.slackTap(slackTreasurer, review, "회원 선택")
	picker := rig.slackWait(dm, "누구의 입금인가요?")
	rig.slackTap(slackTreasurer, picker, "강도윤")
	rig.slackWait(slackChannel, "💰 강도윤님 30,000원 입금 (총무 확인)")
	rig.slackWait(dm, "강도윤님으로 처리했어요")
	if n := len(rig.slack.Calls("chat.update")); n == 0 {
		t.Error("the decision did not update the DM (no chat.update)")
	}

	// A redelivered envelope is acknowledged and does nothing twice.
	env := rig.slackCommand(slackMember, slackChannel, "status")
	rig.slackWait(slackChannel, "완납 2명")
	boards := rig.slackCount(slackChannel, "완납 2명")
	if err := rig.slack.Redeliver(env); err != nil {
		t.Fatal(err)
	}
	if _, err := rig.slack.WaitAcks(slackCtx(t), env, 2); err != nil {
		t.Fatalf("the redelivery was not acknowledged: %v", err)
	}
	rig.slackCommand(slackMember, slackChannel, "members")
	rig.slackWait(slackChannel, "회원 3명")
	if got := rig.slackCount(slackChannel, "완납 2명"); got != boards {
		t.Errorf("the redelivered status posted a board again: %d boards, want %d", got, boards)
	}

	// The next month, the same text is matched by itself.
	rig.clock.Set(time.Date(2026, time.December, 20, 14, 0, 0, 0, ledger.KST()))
	rig.deposit("이수진", 30000)
	rig.slackWait(slackChannel, "💰 강도윤님 30,000원 입금 — 12월 회비 완납")

	// A restart posts nothing twice and notices the next deposit.
	if code := rig.stop(); code != exitOK {
		t.Fatalf("serve exited %d: %s", code, rig.log)
	}
	before := len(rig.slack.Messages(slackChannel))
	rig.start()
	rig.deposit("이지은", 30000)
	rig.slackWait(slackChannel, "💰 이지은님 30,000원 입금")
	for _, want := range []string{"💰 김민수님 30,000원 입금", "💰 강도윤님 30,000원 입금 (총무 확인)", "💰 강도윤님 30,000원 입금 — 12월", "💰 이지은님 30,000원 입금"} {
		if n := rig.slackCount(slackChannel, want); n != 1 {
			t.Errorf("%q posted %d times, want 1", want, n)
		}
	}
	if after := len(rig.slack.Messages(slackChannel)); after != before+1 {
		t.Errorf("the restart posted %d messages to the channel, want 1 (the new notice)", after-before)
	}
}

// TestServeSlackHTTP: in HTTP mode serve takes Slack's signed requests at
// /slack/commands: a correctly signed command runs, a wrongly signed one is
// refused with 401 and runs nothing.
func TestServeSlackHTTP(t *testing.T) {
	const secret = "8f742231b10e8888abcd99yyyzzz85a5"
	rig := newSlackRig(t, true, secret)
	rig.start()
	defer func() { rig.stop() }()
	if _, err := rig.slack.WaitFor(slackCtx(t), slacktest.Method("auth.test")); err != nil {
		t.Fatal(err)
	}
	post := func(body []byte, sign string) int {
		t.Helper()
		req, err := slacktest.SignedRequest(rig.public+slackCommandsPath, sign, rig.clock.Now(), body)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	bad := rig.slack.CommandForm(slackTreasurer, slackChannel, "setup 가짜모임")
	if got := post(bad, "wrong-secret"); got != http.StatusUnauthorized {
		t.Errorf("wrongly signed command: %d, want 401", got)
	}
	good := rig.slack.CommandForm(slackTreasurer, slackChannel, "setup 독서모임")
	code := post(good, secret)
	for code == http.StatusServiceUnavailable { // the adapter is still starting
		time.Sleep(10 * time.Millisecond)
		code = post(rig.slack.CommandForm(slackTreasurer, slackChannel, "setup 독서모임"), secret)
	}
	if code != http.StatusOK {
		t.Fatalf("signed command: %d, want 200", code)
	}
	rig.slackWait(slackChannel, "모임 \"독서모임\"을(를) 만들었어요")
	if n := rig.slackCount(slackChannel, "가짜모임"); n != 0 {
		t.Errorf("the wrongly signed command ran: %d messages", n)
	}
}

// TestServeTelegramAndSlack: one process serves a Telegram group and a
// Slack channel, each group on its own platform: a deposit of the
// Telegram group's account is noticed in Telegram only, and each
// platform's /status answers there.
func TestServeTelegramAndSlack(t *testing.T) {
	rig := newSlackRig(t, false, "")
	rig.start()
	defer func() { rig.stop() }()
	rig.linkGroup()
	slack := rig.slackSide()
	slack.say("/setup 운동모임", "모임 \"운동모임\"을(를) 만들었어요")
	slack.say("/dues 20000 10", "회비를 매월 20,000원, 마감 10일로")
	slack.say("/member add 박서준", "박서준님을 명단에 추가했어요")

	rig.deposit("김민수", 30000)
	rig.waitText(serveGroupID, "💰 김민수님 30,000원 입금")
	rig.slackCommand(slackMember, slackChannel, "status")
	rig.slackWait(slackChannel, "박서준")
	rig.say(serveGroupID, serveMember, "/status", serveGroupID, "✅ 완납 1명: 김민수")
	if n := rig.slackCount(slackChannel, "김민수"); n != 0 {
		t.Errorf("the Telegram group's deposit reached Slack %d times", n)
	}
	if n := rig.count(serveGroupID, "박서준"); n != 0 {
		t.Errorf("the Slack group's roster reached Telegram %d times", n)
	}
}

// TestServeSlackStatement: on Slack, a statement file shared in the bot's
// DM is read like one sent on Telegram: the password is asked for and
// taken from the next DM (Slack does not let a bot delete it), and the
// channel gets the notice.
func TestServeSlackStatement(t *testing.T) {
	rig := newSlackRig(t, true, "")
	rig.start()
	defer func() { rig.stop() }()
	slack := rig.slackSide()
	slack.say("/setup 독서모임", "모임 \"독서모임\"을(를) 만들었어요")
	slack.say("/dues 30000 25", "회비를 매월 30,000원, 마감 25일로")
	slack.say("/member add 김민수", "김민수님을 명단에 추가했어요")

	at := time.Date(2026, time.November, 11, 9, 0, 0, 0, ledger.KST())
	data := statementXLSX(t, []statementRow{{at, true, 30000, "김민수", 130000}}, "900101")
	ctx := slackCtx(t)
	if _, _, err := rig.slack.ShareFile(ctx, slackTreasurer, "거래내역.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", data); err != nil {
		t.Fatal(err)
	}
	dm := rig.slack.DM(slackTreasurer)
	rig.slackWait(dm, "암호가 걸린 파일이에요")
	if _, err := rig.slack.DirectMessage(ctx, slackTreasurer, "900101"); err != nil {
		t.Fatal(err)
	}
	rig.slackWait(dm, "새 거래: 1건 (입금 1건)")
	rig.slackWait(slackChannel, "💰 김민수님 30,000원 입금")

	// The adapter uploads no files: /export says where to get them.
	rig.slackCommand(slackTreasurer, slackChannel, "export")
	if m := rig.slackWait(slackChannel, "moimbot export"); !m.Ephemeral {
		t.Errorf("the export answer is not ephemeral: %+v", m)
	}
}
