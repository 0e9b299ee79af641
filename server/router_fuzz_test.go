package server

import (
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/openbanking"
	"github.com/moimbot/moimbot/store"
)

// fuzzUser is the one who types in FuzzRouter: a member linked to 박서준
// (m03) with /iam, not a treasurer.
var fuzzUser = bot.User{Platform: "test", ID: "u-fuzz", Name: "박서준", Username: "seojun_p"}

// fuzzCommands are the seed texts: every command in its Latin and Korean
// forms, with good and bad arguments.
var fuzzCommands = []string{
	"", "/", "hello", "/frobnicate", "/status@moim_test_bot", "/status@other_bot", "／현황",
	"/help", "/start", "/start abc-1", "/도움말 회비", "/help nothing",
	"/status", "/현황 11월", "/status 2026-11", "/status 1999-01",
	"/unpaid", "/미납", "/members", "/명단", "/멤버목록", "/member list",
	"/member add 홍길동", `/멤버 추가 "홍 길동" 20000 길동이`, "/member add “홍 길동”", "/member remove 김민수",
	"/member alias 김민수 민수엄마", "/멤버 면제 정하늘 끄기", "/member exempt 김민수 on",
	"/dues 30000 25", "/회비 3만 말일", "/dues 삼만원",
	"/paid 김민수 30000", "/납부 김민수 30000 2026-11", "/paid 김민수",
	"/review", "/확인", "/remind", "/알림", "/sync", "/동기화",
	"/history", "/내역", "/history 김민수", "/내역 박서준", "/history m01", `/history "a b`,
	"/iam 김민수", "/나 박서준", "/iam", "/iam 없는사람",
	"/treasurer add 12345678", "/총무 추가 @minsu_kim", "/treasurer remove 12345678", "/총무 삭제 <@U0ABC>",
	"/treasurer add @seojun_p", "/treasurer remove @seojun_p", "/treasurer",
	"/settings", "/설정 언어 영어", "/settings language en", "/settings dueday 말일", "/settings reminders off",
	"/settings remind_days -3,0,3", "/설정 알림시각 10:00",
	"/export", "/내보내기", "/setup", "/개설 새모임", "/link", "/연결",
}

// FuzzRouter: for any text from a member who is not a treasurer, in the
// group chat or in a DM, and any button data they tap, the router does not
// panic and changes nothing: the groups (members, dues, settings), the
// review queue, the payments and the chat links stay as they were, and the
// audit log gains no entry.
func FuzzRouter(f *testing.F) {
	ctx := f.Context()
	r, db, depositID := newFuzzRouter(f)
	for _, text := range fuzzCommands {
		f.Add(uint8(0), text)
		f.Add(uint8(1), text)
	}
	for _, data := range []string{
		"assign:" + depositID + ":m03", "ignore:" + depositID, "pick:" + depositID, "assign:" + depositID + ":m99",
		"iam:g1:m03:u-fuzz", "iamno:g1:m03:u-fuzz", "iam:g1:m01:" + fuzzUser.ID, "iam:g1:m01", "iam:::",
		"acct:1", "assign::", ":", "", "pick:nothing",
	} {
		f.Add(uint8(2), data)
	}
	var next atomic.Int64
	f.Fuzz(func(t *testing.T, where uint8, text string) {
		before, err := dataSnapshot(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		audit, err := db.Audit(ctx, store.AuditFilter{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		u := bot.Update{ID: "fuzz:" + strconv.FormatInt(next.Add(1), 10), Chat: loopGroupChat, From: fuzzUser, Bot: "moim_test_bot", Text: text}
		switch where % 3 {
		case 1:
			u.Chat, u.Private = fuzzUser.Ref(), true
		case 2:
			u.Chat, u.Private, u.Text = fuzzUser.Ref(), true, ""
			u.Tap = &bot.Tap{Data: text, Message: "1"}
		}
		r.HandleUpdate(ctx, u)

		after, err := dataSnapshot(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if after != before {
			t.Fatalf("update %+v changed the data:\nbefore %s\nafter  %s", u, before, after)
		}
		got, err := db.Audit(ctx, store.AuditFilter{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(audit) || len(got) > 0 && got[0].Seq != audit[0].Seq {
			t.Fatalf("update %+v was audited: %+v", u, got)
		}
	})
}

// newFuzzRouter is a router on its own database, without a bank: the demo
// group with the loop tests' chat and treasurer, fuzzUser linked to m03, a
// manual payment, and one deposit waiting for review, whose id it returns.
// The clock stands still, so the account's last read never goes stale and
// nothing calls the bank (the client points at a closed port anyway).
func newFuzzRouter(f *testing.F) (*Router, *store.DB, string) {
	f.Helper()
	ctx := f.Context()
	now := func() time.Time { return loopStart }
	db, err := store.Open(ctx, filepath.Join(f.TempDir(), "fuzz.db"), store.Options{NoSync: true, Now: now})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	client, calls, err := NewBankClient(openbanking.Config{BaseURL: "http://127.0.0.1:1", ClientID: "fuzz", ClientSecret: "fuzz",
		ClientUseCode: "F123456789", RedirectURI: loopCallback, Now: now, Sequence: db, Timeout: time.Second})
	if err != nil {
		f.Fatal(err)
	}
	eng := New(Config{DB: db, Client: client, Calls: calls, Chats: map[string]bot.Chat{"test": newLoopChat()}, Now: now})

	g := testGroup(ledger.MonthOf(loopStart), bot.Korean)
	g.Settings.Chats = []store.ChatRef{{Platform: loopGroupChat.Platform, ID: loopGroupChat.ID}}
	g.Settings.Treasurers = []store.ChatUser{{Platform: loopTreasurerChat.Platform, ID: loopTreasurerChat.ID}}
	if g, err = db.PutGroup(ctx, "test", g); err != nil {
		f.Fatal(err)
	}
	if err := db.LinkChatUser(ctx, "test", g.ID, store.ChatUser{Platform: fuzzUser.Platform, ID: fuzzUser.ID}, "m03"); err != nil {
		f.Fatal(err)
	}
	if _, err := db.AddManualPayment(ctx, "test", g.ID, ledger.Payment{MemberID: "m01", Amount: 30000}, "test"); err != nil {
		f.Fatal(err)
	}
	a, err := db.PutAccount(ctx, "test", store.Account{GroupID: g.ID, FintechUseNum: "fuzz-fin", BankName: "테스트은행"})
	if err != nil {
		f.Fatal(err)
	}
	row := ledger.Deposit{At: loopStart.Add(-time.Hour), Direction: ledger.In, Text: "엄마", Amount: 30000, Balance: 30000}
	res, err := db.Ingest(ctx, a.ID, []ledger.Deposit{row}, store.Cursor{Through: loopStart}, store.IngestOptions{})
	if err != nil {
		f.Fatal(err)
	}
	review, err := db.Review(ctx, g.ID)
	if err != nil || len(review) != 1 || len(res.New) != 1 {
		f.Fatalf("the fuzz group's review queue: %+v (%v), want the one deposit", review, err)
	}
	return eng.Router(), db, review[0].Deposit.ID
}
