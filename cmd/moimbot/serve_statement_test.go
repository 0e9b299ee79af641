package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/moimbot/moimbot/bot/telegram/telegramtest"
	"github.com/moimbot/moimbot/ledger"
)

// statementRow is one row of a synthetic bank statement.
type statementRow struct {
	at      time.Time
	in      bool
	amount  int64
	text    string
	balance int64
}

// statementXLSX builds a transaction history workbook the way a bank app
// exports one: a preamble (the account, the period), a header row, the
// rows newest first; encrypted with password when it is set.
func statementXLSX(t *testing.T, rows []statementRow, password string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	set := func(cell string, v any) {
		if err := f.SetCellValue(sheet, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	set("A1", "거래내역조회")
	set("A2", "계좌번호")
	set("B2", "3333-01-2345678")
	set("A3", "조회기간")
	set("B3", rows[0].at.Format("2006.01.02")+" ~ "+rows[len(rows)-1].at.Format("2006.01.02"))
	for i, h := range []string{"거래일시", "구분", "거래금액", "거래 후 잔액", "거래구분", "내용", "메모"} {
		cell, _ := excelize.CoordinatesToCellName(i+1, 5)
		set(cell, h)
	}
	line := 6
	for _, r := range slices.Backward(rows) {
		kind, amount := "입금", r.amount
		if !r.in {
			kind, amount = "출금", -r.amount
		}
		for col, v := range []any{r.at.In(ledger.KST()).Format("2006.01.02 15:04:05"), kind, amount, r.balance, "일반입금", r.text, ""} {
			cell, _ := excelize.CoordinatesToCellName(col+1, line)
			set(cell, v)
		}
		line++
	}
	var buf bytes.Buffer
	opts := excelize.Options{}
	if password != "" {
		opts.Password = password
	}
	if err := f.Write(&buf, opts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestServeStatementUpload runs issue 15's story through serve and the fake
// Telegram: a group on statement files alone; the treasurer sends an
// encrypted workbook by DM, the bot asks for its password, deletes the
// message that carried it, answers with a summary, and the group gets the
// notices; the same file again is nothing new; an overlapping second file
// brings only its new rows.
func TestServeStatementUpload(t *testing.T) {
	rig := newServeRig(t)
	rig.start()
	defer func() { rig.stop() }()

	rig.say(serveGroupID, serveTreasurer, "/setup 독서모임", serveGroupID, "모임 \"독서모임\"을(를) 만들었어요")
	rig.say(serveGroupID, serveTreasurer, "/dues 30000 25", serveGroupID, "회비를 매월 30,000원, 마감 25일로")
	for _, name := range []string{"김민수", "이지은", "강도윤"} {
		rig.say(serveGroupID, serveTreasurer, "/member add "+name, serveGroupID, name+"님을 명단에 추가했어요")
	}

	day := func(d, h int) time.Time { return time.Date(2026, time.November, d, h, 0, 0, 0, ledger.KST()) }
	first := []statementRow{
		{day(9, 10), true, 30000, "김민수", 130000},
		{day(10, 11), false, 12000, "카페", 118000},
		{day(11, 9), true, 30000, "이수진", 148000},
	}
	second := append(slices.Clone(first), statementRow{day(12, 9), true, 30000, "이지은", 178000})
	const password = "900101"

	send := func(name string, data []byte) {
		t.Helper()
		if _, err := rig.tg.SendDocument(serveTreasurer, serveTreasurer, telegramtest.Upload{FileName: name, Data: data}, ""); err != nil {
			t.Fatal(err)
		}
	}

	// An encrypted workbook: the password is asked, its message deleted.
	send("거래내역.xlsx", statementXLSX(t, first, password))
	rig.waitText(serveTreasurer, "암호가 걸린 파일이에요")
	msg, err := rig.tg.SendText(serveTreasurer, serveTreasurer, "123456")
	if err != nil {
		t.Fatal(err)
	}
	rig.waitText(serveTreasurer, "암호가 맞지 않아요")
	msg2, err := rig.tg.SendText(serveTreasurer, serveTreasurer, password)
	if err != nil {
		t.Fatal(err)
	}
	rig.waitText(serveTreasurer, "거래 3건을 읽었어요")
	summary := rig.waitText(serveTreasurer, "새 거래: 3건 (입금 2건)")
	for _, want := range []string{"회원과 맞춘 입금: 1건", "확인이 필요한 입금: 1건", "이미 기록된 거래 (건너뜀): 0건"} {
		if !strings.Contains(summary.Text, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary.Text)
		}
	}
	if got := rig.tg.Deleted(serveTreasurer); !slices.Contains(got, msg.MessageID) || !slices.Contains(got, msg2.MessageID) {
		t.Errorf("deleted messages %v, want the two password messages %d and %d", got, msg.MessageID, msg2.MessageID)
	}
	for _, m := range rig.tg.Sent(serveTreasurer) {
		if strings.Contains(m.Text, password) {
			t.Errorf("the bot repeated the password: %q", m.Text)
		}
	}
	if strings.Contains(rig.log.String(), password) {
		t.Error("the password reached the log")
	}

	// The group gets the notice; the unknown payer goes to review.
	rig.waitText(serveGroupID, "💰 김민수님 30,000원 입금")
	rig.waitText(serveTreasurer, "확인이 필요한 입금")

	// The same file again: nothing new, nothing posted twice.
	send("거래내역.xlsx", statementXLSX(t, first, password))
	rig.waitText(serveTreasurer, "암호가 걸린 파일이에요")
	if _, err := rig.tg.SendText(serveTreasurer, serveTreasurer, password); err != nil {
		t.Fatal(err)
	}
	rig.waitText(serveTreasurer, "모두 이미 기록된 거래예요")

	// An overlapping file, unencrypted: only the new row.
	send("거래내역2.xlsx", statementXLSX(t, second, ""))
	rig.waitText(serveTreasurer, "새 거래: 1건 (입금 1건)")
	rig.waitText(serveGroupID, "💰 이지은님 30,000원 입금")
	// Notices leave the outbox in order: a second notice of the first
	// file would have come before this one.
	for _, want := range []string{"💰 김민수님 30,000원 입금", "💰 이지은님 30,000원 입금"} {
		if n := rig.count(serveGroupID, want); n != 1 {
			t.Errorf("%q posted %d times, want 1", want, n)
		}
	}
	// The board is as of the file's last row.
	rig.say(serveGroupID, serveMember, "/status", serveGroupID, "완납 2명")
}
