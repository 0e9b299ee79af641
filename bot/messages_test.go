package bot

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/moimbot/moimbot/ledger"
)

var (
	oct26 = ledger.NewPeriod(2026, time.October)
	nov26 = ledger.NewPeriod(2026, time.November)
	dec26 = ledger.NewPeriod(2026, time.December)
)

// msgTime returns a time in Seoul in 2026.
func msgTime(month time.Month, day, hour, minute int) time.Time {
	return time.Date(2026, month, day, hour, minute, 0, 0, ledger.KST())
}

// msgGroup returns 독서모임: dues 30,000원 on the 25th from October 2026,
// with m08 정하늘 exempt. extra members are added at the end of the roster.
func msgGroup(extra ...ledger.Member) *ledger.Group {
	g := &ledger.Group{
		ID:   "g1",
		Name: "독서모임",
		Dues: ledger.DuesRule{Amount: 30000, Day: 25, Start: oct26},
		Members: []ledger.Member{
			{ID: "m01", Name: "김민수"},
			{ID: "m02", Name: "이지은"},
			{ID: "m03", Name: "박서준"},
			{ID: "m04", Name: "최유나"},
			{ID: "m05", Name: "한지호"},
			{ID: "m06", Name: "강도윤"},
			{ID: "m07", Name: "윤서연"},
			{ID: "m08", Name: "정하늘", Exempt: true},
		},
	}
	g.Members = append(g.Members, extra...)
	return g
}

// msgEnglish renames g's members and group for English messages.
func msgEnglish(g *ledger.Group) *ledger.Group {
	g = g.Clone()
	g.Name = "Book Club"
	names := map[string]string{
		"m01": "Kim Minsu", "m02": "Lee Jieun", "m03": "Park Seojun", "m04": "Choi Yuna",
		"m05": "Han Jiho", "m06": "Kang Doyun", "m07": "Yoon Seoyeon", "m08": "Jung Haneul", "m09": "Oh Sehun",
	}
	for i := range g.Members {
		g.Members[i].Name = names[g.Members[i].ID]
	}
	return g
}

// msgPay is a payment in month p (on the 20th).
func msgPay(id string, amount int64, p ledger.Period) ledger.Payment {
	at := time.Date(p.Year(), p.Month(), 20, 12, 0, 0, 0, ledger.KST())
	return ledger.Payment{MemberID: id, Amount: amount, At: at, Ref: fmt.Sprintf("%s/%s/%d", id, p, amount)}
}

// msgPayAll pays one month's dues for each member in p.
func msgPayAll(p ledger.Period, ids ...string) []ledger.Payment {
	var out []ledger.Payment
	for _, id := range ids {
		out = append(out, msgPay(id, 30000, p))
	}
	return out
}

// msgOctPaid is October paid by everyone who owes it except 한지호 (m05).
func msgOctPaid(g *ledger.Group) []ledger.Payment {
	var ids []string
	for _, m := range g.Members {
		if m.ID != "m05" && !m.Exempt {
			ids = append(ids, m.ID)
		}
	}
	return msgPayAll(oct26, ids...)
}

// msgApply applies prior, then deposit (the payments of one deposit), and
// returns the deposit's allocations and the statuses as of asOf.
func msgApply(t *testing.T, g *ledger.Group, asOf ledger.Period, prior []ledger.Payment, deposit ...ledger.Payment) ([]ledger.Allocation, []ledger.MemberStatus) {
	t.Helper()
	b := ledger.NewBook(g)
	for _, p := range prior {
		if _, err := b.Apply(p); err != nil {
			t.Fatalf("apply %+v: %v", p, err)
		}
	}
	var allocs []ledger.Allocation
	for _, p := range deposit {
		as, err := b.Apply(p)
		if err != nil {
			t.Fatalf("apply %+v: %v", p, err)
		}
		allocs = append(allocs, as...)
	}
	return allocs, b.Statuses(asOf)
}

// msgConcat joins payment lists.
func msgConcat(ps ...[]ledger.Payment) []ledger.Payment {
	var out []ledger.Payment
	for _, p := range ps {
		out = append(out, p...)
	}
	return out
}

func TestDepositNotice(t *testing.T) {
	g := msgGroup(ledger.Member{ID: "m09", Name: "오세훈"}) // 8 members owe, 정하늘 is exempt
	base := msgConcat(msgOctPaid(g), msgPayAll(nov26, "m02", "m04", "m06", "m07", "m09"))
	tests := []struct {
		name     string
		lang     Lang
		prior    []ledger.Payment
		deposit  []ledger.Payment
		month    ledger.Period
		assigned bool
		want     string
	}{
		{
			name:    "Full",
			prior:   base,
			deposit: []ledger.Payment{msgPay("m01", 30000, nov26)},
			want:    "💰 김민수님 30,000원 입금 — 11월 회비 완납 (6/8명)",
		},
		{
			name:    "Partial",
			prior:   base,
			deposit: []ledger.Payment{msgPay("m03", 15000, nov26)},
			want:    "💰 박서준님 15,000원 입금 — 11월 회비 일부 납부, 15,000원 남음 (5/8명)",
		},
		{
			name:    "CompletingPartial",
			prior:   msgConcat(base, []ledger.Payment{msgPay("m03", 15000, nov26)}),
			deposit: []ledger.Payment{msgPay("m03", 15000, nov26)},
			want:    "💰 박서준님 15,000원 입금 — 11월 회비 완납 (6/8명)",
		},
		{
			name:    "Arrears",
			prior:   msgConcat(msgOctPaid(g), msgPayAll(nov26, "m01", "m02", "m04", "m06", "m07", "m09")),
			deposit: []ledger.Payment{msgPay("m05", 60000, nov26)},
			want:    "💰 한지호님 60,000원 입금 — 10월·11월 회비 완납 (7/8명)",
		},
		{
			name:    "ArrearsOnly",
			prior:   base,
			deposit: []ledger.Payment{msgPay("m05", 30000, nov26)},
			want:    "💰 한지호님 30,000원 입금 — 10월 회비 완납 (11월 5/8명)",
		},
		{
			name:    "ArrearsAndPartial",
			prior:   base,
			deposit: []ledger.Payment{msgPay("m05", 45000, nov26)},
			want:    "💰 한지호님 45,000원 입금 — 10월 회비 완납, 11월 회비 일부 납부, 15,000원 남음 (5/8명)",
		},
		{
			name:    "Prepayment",
			prior:   msgConcat(msgOctPaid(g), msgPayAll(nov26, "m01", "m02", "m03", "m04", "m06", "m09")),
			deposit: []ledger.Payment{msgPay("m07", 90000, nov26)},
			want:    "💰 윤서연님 90,000원 입금 — 11월 회비 완납, 12월~2027년 1월분 선납 (7/8명)",
		},
		{
			name:    "PrepaymentOneMonthAndPart",
			prior:   msgConcat(msgOctPaid(g), msgPayAll(nov26, "m01", "m02", "m03", "m04", "m06", "m09")),
			deposit: []ledger.Payment{msgPay("m07", 75000, nov26)},
			want:    "💰 윤서연님 75,000원 입금 — 11월 회비 완납, 12월분 선납, 2027년 1월 일부 선납 (7/8명)",
		},
		{
			name:    "Credit",
			prior:   base,
			deposit: []ledger.Payment{msgPay("m08", 10000, nov26)},
			want:    "💰 정하늘님 10,000원 입금 — 10,000원은 적립금으로 보관 (11월 5/8명)",
		},
		{
			name:     "Assigned",
			prior:    base,
			deposit:  []ledger.Payment{msgPay("m01", 30000, nov26)},
			assigned: true,
			want:     "💰 김민수님 30,000원 입금 (총무 확인) — 11월 회비 완납 (6/8명)",
		},
		{
			name:    "JointSameMonths",
			prior:   msgConcat(msgOctPaid(g), msgPayAll(nov26, "m04", "m06", "m07", "m09")),
			deposit: []ledger.Payment{msgPay("m01", 30000, nov26), msgPay("m02", 30000, nov26)},
			want:    "💰 김민수님·이지은님 60,000원 입금 — 11월 회비 완납 (6/8명)",
		},
		{
			name:    "JointDifferentMonths",
			prior:   base,
			deposit: []ledger.Payment{msgPay("m01", 30000, nov26), msgPay("m05", 60000, nov26)},
			want:    "💰 김민수님·한지호님 90,000원 입금 — 김민수님 11월 회비 완납 / 한지호님 10월·11월 회비 완납 (7/8명)",
		},
		{
			name:    "OtherMonthCounterStaysOnMonth",
			prior:   msgConcat(msgOctPaid(g), msgPayAll(nov26, "m01", "m02", "m04", "m06", "m07", "m09")),
			deposit: []ledger.Payment{msgPay("m05", 30000, oct26)},
			want:    "💰 한지호님 30,000원 입금 — 10월 회비 완납 (11월 6/8명)",
		},
		{
			// A prepayment only: the count is November's, and says so.
			name:    "PrepaymentOnlyNamesTheCountedMonth",
			prior:   msgConcat(base, msgPayAll(nov26, "m01", "m03", "m05", "m08")),
			deposit: []ledger.Payment{msgPay("m01", 30000, nov26)},
			want:    "💰 김민수님 30,000원 입금 — 12월분 선납 (11월 7/8명)",
		},
		{
			name:    "EnglishFull",
			lang:    English,
			prior:   base,
			deposit: []ledger.Payment{msgPay("m01", 30000, nov26)},
			want:    "💰 Kim Minsu paid ₩30,000 — November dues paid in full (6/8)",
		},
		{
			name:    "EnglishPartial",
			lang:    English,
			prior:   base,
			deposit: []ledger.Payment{msgPay("m03", 15000, nov26)},
			want:    "💰 Park Seojun paid ₩15,000 — part of November dues, ₩15,000 to go (5/8)",
		},
		{
			name:    "EnglishArrears",
			lang:    English,
			prior:   msgConcat(msgOctPaid(g), msgPayAll(nov26, "m01", "m02", "m04", "m06", "m07", "m09")),
			deposit: []ledger.Payment{msgPay("m05", 60000, nov26)},
			want:    "💰 Han Jiho paid ₩60,000 — October and November dues paid (7/8)",
		},
		{
			name:    "EnglishPrepayment",
			lang:    English,
			prior:   msgConcat(msgOctPaid(g), msgPayAll(nov26, "m01", "m02", "m03", "m04", "m06", "m09")),
			deposit: []ledger.Payment{msgPay("m07", 90000, nov26)},
			want:    "💰 Yoon Seoyeon paid ₩90,000 — November dues paid, December–January 2027 paid in advance (7/8)",
		},
		{
			name:    "EnglishCredit",
			lang:    English,
			prior:   base,
			deposit: []ledger.Payment{msgPay("m08", 10000, nov26)},
			want:    "💰 Jung Haneul paid ₩10,000 — ₩10,000 kept as credit (November 5/8)",
		},
		{
			name:     "EnglishAssignedJoint",
			lang:     English,
			prior:    msgConcat(msgOctPaid(g), msgPayAll(nov26, "m04", "m06", "m07", "m09")),
			deposit:  []ledger.Payment{msgPay("m01", 30000, nov26), msgPay("m02", 30000, nov26)},
			assigned: true,
			want:     "💰 Kim Minsu and Lee Jieun paid ₩60,000 (confirmed by the treasurer) — November dues paid in full (6/8)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			month := tt.month
			if month == 0 {
				month = nov26
			}
			allocs, statuses := msgApply(t, g, month, tt.prior, tt.deposit...)
			var amount int64
			for _, p := range tt.deposit {
				amount += p.Amount
			}
			grp := g
			if tt.lang == English {
				grp = msgEnglish(g)
			}
			got := DepositNotice(NoticeInput{
				Lang:        tt.lang,
				Group:       grp,
				Deposit:     ledger.Deposit{ID: "a1/42", At: tt.deposit[0].At, Direction: ledger.In, Text: "입금", Amount: amount},
				Allocations: allocs,
				Statuses:    statuses,
				Month:       month,
				Assigned:    tt.assigned,
			})
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestDepositNoticeEdges(t *testing.T) {
	g := msgGroup()
	t.Run("UnknownMemberRendersID", func(t *testing.T) {
		got := DepositNotice(NoticeInput{
			Group:       g,
			Deposit:     ledger.Deposit{Amount: 30000},
			Allocations: []ledger.Allocation{{MemberID: "m99", Period: nov26, Amount: 30000}},
			Month:       nov26,
		})
		want := "💰 m99님 30,000원 입금 — 11월 회비 완납"
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("NoAllocations", func(t *testing.T) {
		got := DepositNotice(NoticeInput{Group: g, Deposit: ledger.Deposit{Text: "엄마", Amount: 30000}, Month: nov26})
		want := `💰 보낸 분 "엄마" 30,000원 입금`
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("NilGroup", func(t *testing.T) {
		got := DepositNotice(NoticeInput{
			Deposit:     ledger.Deposit{Amount: 30000},
			Allocations: []ledger.Allocation{{MemberID: "m01", Period: nov26, Amount: 30000}},
			Month:       nov26,
		})
		want := "💰 m01님 30,000원 입금 — 11월 회비 완납"
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}

func TestCountMonth(t *testing.T) {
	g := msgGroup(
		ledger.Member{ID: "m09", Name: "오세훈", Joined: dec26},            // not a member yet in November
		ledger.Member{ID: "m10", Name: "서지민", Dues: 20000, Left: oct26}, // left after October
	)
	prior := msgConcat(msgOctPaid(g), msgPayAll(nov26, "m01", "m02"), []ledger.Payment{msgPay("m03", 60000, oct26)})
	tests := []struct {
		name            string
		asOf, month     ledger.Period
		wantPaid, owing int
	}{
		{"Current", nov26, nov26, 3, 7},
		{"Earlier", nov26, oct26, 7, 8},
		// 박서준 prepaid November in October: as of October, November shows as
		// credit and counts as paid; the others are owed and unpaid.
		{"LaterMonthFromEarlierStatuses", oct26, nov26, 3, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, statuses := msgApply(t, g, tt.asOf, prior)
			paid, owing := countMonth(g, statuses, tt.month)
			if paid != tt.wantPaid || owing != tt.owing {
				t.Errorf("got %d/%d, want %d/%d", paid, owing, tt.wantPaid, tt.owing)
			}
		})
	}
}

// msgBoardStatuses returns the statuses of the board example: five paid,
// 박서준 half paid, 한지호 owing October and November, 정하늘 exempt.
func msgBoardStatuses(t *testing.T, g *ledger.Group) []ledger.MemberStatus {
	t.Helper()
	prior := msgConcat(msgOctPaid(g), msgPayAll(nov26, "m01", "m02", "m04", "m06", "m07"), []ledger.Payment{msgPay("m03", 15000, nov26)})
	_, statuses := msgApply(t, g, nov26, prior)
	return statuses
}

func TestStatusBoard(t *testing.T) {
	g := msgGroup()
	due := nov26.DueDate(g.Dues.Day, ledger.KST())
	asOf := msgTime(time.November, 24, 22, 10)
	statuses := msgBoardStatuses(t, g)

	allPaidGroup := msgGroup(ledger.Member{ID: "m09", Name: "오세훈", Joined: dec26})
	_, allPaid := msgApply(t, allPaidGroup, nov26, msgConcat(
		msgPayAll(oct26, "m01", "m02", "m03", "m04", "m05", "m06", "m07"),
		msgPayAll(nov26, "m01", "m02", "m03", "m04", "m05", "m06", "m07")))

	_, onlyNovOwed := msgApply(t, g, nov26, msgConcat(
		msgPayAll(oct26, "m01", "m02", "m03", "m04", "m05", "m06", "m07"),
		msgPayAll(nov26, "m01", "m02", "m03", "m04", "m06", "m07")))

	longArrears := msgGroup()
	longArrears.Dues.Start = oct26 - 1
	_, longStatuses := msgApply(t, longArrears, nov26, msgConcat(
		msgPayAll(oct26-1, "m01", "m02", "m03", "m04", "m06", "m07"),
		msgOctPaid(longArrears),
		msgPayAll(nov26, "m01", "m02", "m03", "m04", "m06", "m07")))

	tests := []struct {
		name string
		in   BoardInput
		want string
	}{
		{
			name: "Korean",
			in:   BoardInput{Group: g, Statuses: statuses, Month: nov26, Due: due, AsOf: asOf},
			want: `📋 독서모임 11월 회비 현황 (마감 11월 25일(수))
✅ 완납 5명: 김민수, 이지은, 최유나, 강도윤, 윤서연
🟡 일부 1명: 박서준 15,000원/30,000원
❌ 미납 1명: 한지호 (지난달 미납 포함 60,000원)
➖ 면제 1명: 정하늘
합계 165,000원 / 210,000원 · 남은 금액 45,000원
11월 24일(화) 22:10 기준`,
		},
		{
			name: "English",
			in:   BoardInput{Lang: English, Group: msgEnglish(g), Statuses: statuses, Month: nov26, Due: due, AsOf: asOf},
			want: `📋 Book Club — November dues (due Wed, Nov 25)
✅ Paid (5): Kim Minsu, Lee Jieun, Choi Yuna, Kang Doyun, Yoon Seoyeon
🟡 Partly paid (1): Park Seojun ₩15,000/₩30,000
❌ Unpaid (1): Han Jiho (₩60,000 with last month)
➖ Exempt (1): Jung Haneul
Total ₩165,000 / ₩210,000 · ₩45,000 outstanding
As of Tue, Nov 24 22:10`,
		},
		{
			name: "BeforeDueNotPaidYet",
			in:   BoardInput{Group: g, Statuses: onlyNovOwed, Month: nov26, Due: due, AsOf: msgTime(time.November, 25, 23, 59)},
			want: `📋 독서모임 11월 회비 현황 (마감 11월 25일(수))
✅ 완납 6명: 김민수, 이지은, 박서준, 최유나, 강도윤, 윤서연
⏳ 입금 전 1명: 한지호
➖ 면제 1명: 정하늘
합계 180,000원 / 210,000원 · 남은 금액 30,000원
11월 25일(수) 23:59 기준`,
		},
		{
			name: "AfterDueUnpaid",
			in:   BoardInput{Group: g, Statuses: onlyNovOwed, Month: nov26, Due: due, AsOf: msgTime(time.November, 26, 0, 0)},
			want: `📋 독서모임 11월 회비 현황 (마감 11월 25일(수))
✅ 완납 6명: 김민수, 이지은, 박서준, 최유나, 강도윤, 윤서연
❌ 미납 1명: 한지호
➖ 면제 1명: 정하늘
합계 180,000원 / 210,000원 · 미납 30,000원
11월 26일(목) 00:00 기준`,
		},
		{
			name: "EnglishBeforeDue",
			in:   BoardInput{Lang: English, Group: msgEnglish(g), Statuses: onlyNovOwed, Month: nov26, Due: due, AsOf: asOf},
			want: `📋 Book Club — November dues (due Wed, Nov 25)
✅ Paid (6): Kim Minsu, Lee Jieun, Park Seojun, Choi Yuna, Kang Doyun, Yoon Seoyeon
⏳ Not paid yet (1): Han Jiho
➖ Exempt (1): Jung Haneul
Total ₩180,000 / ₩210,000 · ₩30,000 outstanding
As of Tue, Nov 24 22:10`,
		},
		{
			name: "AllPaidNotYetJoinedLeftOut",
			in:   BoardInput{Group: allPaidGroup, Statuses: allPaid, Month: nov26},
			want: `📋 독서모임 11월 회비 현황
✅ 완납 7명: 김민수, 이지은, 박서준, 최유나, 한지호, 강도윤, 윤서연
➖ 면제 1명: 정하늘
합계 210,000원 / 210,000원 · 전원 완납`,
		},
		{
			name: "EarlierArrears",
			in:   BoardInput{Group: longArrears, Statuses: longStatuses, Month: nov26},
			want: `📋 독서모임 11월 회비 현황
✅ 완납 6명: 김민수, 이지은, 박서준, 최유나, 강도윤, 윤서연
❌ 미납 1명: 한지호 (이전 미납 포함 90,000원)
➖ 면제 1명: 정하늘
합계 180,000원 / 210,000원 · 미납 30,000원`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StatusBoard(tt.in); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestStatusBoardLongRoster(t *testing.T) {
	g := &ledger.Group{ID: "big", Name: "동문회", Dues: ledger.DuesRule{Amount: 10000, Day: 10, Start: nov26}}
	var ids []string
	for i := range 150 {
		id := fmt.Sprintf("m%03d", i)
		g.Members = append(g.Members, ledger.Member{ID: id, Name: fmt.Sprintf("회원%03d", i)})
		if i%3 == 0 {
			ids = append(ids, id)
		}
	}
	var prior []ledger.Payment
	for _, id := range ids {
		prior = append(prior, msgPay(id, 10000, nov26))
	}
	_, statuses := msgApply(t, g, nov26, prior)
	board := StatusBoard(BoardInput{Group: g, Statuses: statuses, Month: nov26})
	if got, want := strings.Count(board, "\n"), 3; got != want {
		t.Errorf("board has %d line breaks, want %d:\n%s", got, want, board)
	}
	if !strings.Contains(board, "✅ 완납 50명: 회원000, 회원003") || !strings.Contains(board, "❌ 미납 100명: 회원001, 회원002") {
		t.Errorf("board sections wrong:\n%s", board)
	}
	for _, part := range Split(board, 300) {
		if n := utf16Len(part); n > 300 {
			t.Errorf("part of %d units", n)
		}
	}
}

func TestReminder(t *testing.T) {
	g := msgGroup()
	due := nov26.DueDate(g.Dues.Day, ledger.KST())
	statuses := msgBoardStatuses(t, g)
	// 한지호 owes October too: the reminder shows the whole amount.
	const tail = "\n아직 입금 전: 박서준님 (15,000원 남음), 한지호님 (지난달 미납 포함 60,000원)\n입금할 때 받는 분 통장에 이름이 보이게 보내 주세요 🙏"
	const tailEn = "\nNot paid yet: Park Seojun (₩15,000 to go), Han Jiho (₩60,000 with last month)\nWhen you transfer, please make sure your name shows to the recipient 🙏"
	tests := []struct {
		name string
		in   ReminderInput
		want string
	}{
		{
			name: "Before",
			in:   ReminderInput{Group: g, Statuses: statuses, Month: nov26, Due: due, Kind: ReminderBefore, DaysLeft: 3},
			want: "🔔 독서모임 11월 회비 마감이 3일 남았어요 (11월 25일(수))" + tail,
		},
		{
			name: "DueDay",
			in:   ReminderInput{Group: g, Statuses: statuses, Month: nov26, Due: due, Kind: ReminderDueDay},
			want: "🔔 오늘은 독서모임 11월 회비 마감일이에요 (11월 25일(수))" + tail,
		},
		{
			name: "BeforeWithNoDaysLeftIsDueDay",
			in:   ReminderInput{Group: g, Statuses: statuses, Month: nov26, Due: due, Kind: ReminderBefore},
			want: "🔔 오늘은 독서모임 11월 회비 마감일이에요 (11월 25일(수))" + tail,
		},
		{
			name: "Overdue",
			in:   ReminderInput{Group: g, Statuses: statuses, Month: nov26, Due: due, Kind: ReminderOverdue, DaysLeft: 3},
			want: "⏰ 독서모임 11월 회비 마감이 3일 지났어요 (11월 25일(수))" + tail,
		},
		{
			name: "EnglishBefore",
			in:   ReminderInput{Lang: English, Group: msgEnglish(g), Statuses: statuses, Month: nov26, Due: due, Kind: ReminderBefore, DaysLeft: 1},
			want: "🔔 Book Club: November dues are due in 1 day (Wed, Nov 25)" + tailEn,
		},
		{
			name: "EnglishDueDay",
			in:   ReminderInput{Lang: English, Group: msgEnglish(g), Statuses: statuses, Month: nov26, Due: due, Kind: ReminderDueDay},
			want: "🔔 Book Club: November dues are due today (Wed, Nov 25)" + tailEn,
		},
		{
			name: "EnglishOverdue",
			in:   ReminderInput{Lang: English, Group: msgEnglish(g), Statuses: statuses, Month: nov26, Due: due, Kind: ReminderOverdue, DaysLeft: 3},
			want: "⏰ Book Club: November dues were due 3 days ago (Wed, Nov 25)" + tailEn,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Reminder(tt.in)
			if !ok || got != tt.want {
				t.Errorf("got (%v)\n%s\nwant\n%s", ok, got, tt.want)
			}
		})
	}

	t.Run("NobodyOwes", func(t *testing.T) {
		_, statuses := msgApply(t, g, oct26, msgPayAll(oct26, "m01", "m02", "m03", "m04", "m05", "m06", "m07"))
		got, ok := Reminder(ReminderInput{Group: g, Statuses: statuses, Month: oct26, Kind: ReminderDueDay})
		if ok || got != "" {
			t.Errorf("got (%q, %v), want (\"\", false)", got, ok)
		}
	})
}

func TestReview(t *testing.T) {
	g := msgGroup(ledger.Member{ID: "m09", Name: "김민형"})
	at := msgTime(time.November, 24, 21, 3)
	dep := ledger.Deposit{ID: "a1/42", At: at, Direction: ledger.In, Text: "엄마", Amount: 30000}
	match := ledger.Match{
		Outcome:    ledger.OutcomeReview,
		Candidates: []ledger.Candidate{{MemberID: "m01", Score: 70}, {MemberID: "m09", Score: 40}},
		Confidence: 40,
		Reason:     ledger.Reason{Code: ledger.ReasonNoName},
	}
	many := match
	many.Candidates = []ledger.Candidate{{MemberID: "m01", Score: 50}, {MemberID: "m02", Score: 40}, {MemberID: "m03", Score: 30}, {MemberID: "m04", Score: 20}, {MemberID: "m05", Score: 10}}
	none := match
	none.Candidates = nil
	long := strings.Repeat("x", 55) // "assign:" + long + ":m01" is 66 bytes

	tests := []struct {
		name        string
		in          ReviewInput
		wantText    string
		wantButtons [][]Button
	}{
		{
			name: "Korean",
			in:   ReviewInput{Group: g, DepositID: "a1/42", Deposit: dep, Match: match},
			wantText: "🔎 확인이 필요한 입금 — 독서모임\n11월 24일(화) 21:03 · 30,000원 · 보낸 분 \"엄마\"\n" +
				"이유: " + match.Reason.Korean() + "\n후보: 김민수 (70%), 김민형 (40%)",
			wantButtons: [][]Button{
				{{Text: "김민수님으로 처리", Data: "assign:a1/42:m01"}},
				{{Text: "김민형님으로 처리", Data: "assign:a1/42:m09"}},
				{{Text: "회비 아님", Data: "ignore:a1/42"}},
			},
		},
		{
			name: "English",
			in:   ReviewInput{Lang: English, Group: msgEnglish(g), DepositID: "a1/42", Deposit: dep, Match: none},
			wantText: "🔎 Deposit to review — Book Club\nTue, Nov 24 21:03 · ₩30,000 · from \"엄마\"\n" +
				"Reason: " + match.Reason.String() + "\nCandidates: none",
			wantButtons: [][]Button{
				{{Text: "Choose member", Data: "pick:a1/42"}},
				{{Text: "Not dues", Data: "ignore:a1/42"}},
			},
		},
		{
			name: "AtMostFourCandidateButtons",
			in:   ReviewInput{Group: g, DepositID: "a1/7", Deposit: dep, Match: many},
			wantText: "🔎 확인이 필요한 입금 — 독서모임\n11월 24일(화) 21:03 · 30,000원 · 보낸 분 \"엄마\"\n" +
				"이유: " + match.Reason.Korean() + "\n후보: 김민수 (50%), 이지은 (40%), 박서준 (30%), 최유나 (20%), 한지호 (10%)",
			wantButtons: [][]Button{
				{{Text: "김민수님으로 처리", Data: "assign:a1/7:m01"}},
				{{Text: "이지은님으로 처리", Data: "assign:a1/7:m02"}},
				{{Text: "박서준님으로 처리", Data: "assign:a1/7:m03"}},
				{{Text: "최유나님으로 처리", Data: "assign:a1/7:m04"}},
				{{Text: "회비 아님", Data: "ignore:a1/7"}},
			},
		},
		{
			name: "LongIDsBecomePick",
			in: ReviewInput{Group: g, DepositID: long, Deposit: ledger.Deposit{Amount: 30000},
				Match: ledger.Match{Candidates: []ledger.Candidate{{MemberID: "m01", Score: 60}}}},
			wantText: "🔎 확인이 필요한 입금 — 독서모임\n30,000원 · 보낸 분 표시 없음\n후보: 김민수 (60%)",
			wantButtons: [][]Button{
				{{Text: "회원 선택", Data: "pick:" + long}},
				{{Text: "회비 아님", Data: "ignore:" + long}},
			},
		},
		{
			name:     "IDTooLongForAnyButton",
			in:       ReviewInput{Group: g, DepositID: long + long, Deposit: ledger.Deposit{Amount: 30000}},
			wantText: "🔎 확인이 필요한 입금 — 독서모임\n30,000원 · 보낸 분 표시 없음\n후보: 없음",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, buttons := Review(tt.in)
			if text != tt.wantText {
				t.Errorf("text:\n%s\nwant:\n%s", text, tt.wantText)
			}
			if !reflect.DeepEqual(buttons, tt.wantButtons) {
				t.Errorf("buttons = %q, want %q", buttons, tt.wantButtons)
			}
			for _, row := range buttons {
				for _, b := range row {
					if len(b.Data) > MaxButtonData {
						t.Errorf("button %q has %d bytes of data", b.Text, len(b.Data))
					}
				}
			}
		})
	}
}

func TestAccountNotices(t *testing.T) {
	expires := msgTime(time.December, 9, 10, 0)
	tests := []struct {
		name, got, want string
	}{
		{
			"Relink",
			RelinkNotice(Korean, "독서모임", "카카오뱅크", "3333-01-2345***", "O0002"),
			"⚠️ 독서모임 카카오뱅크 3333-01-2345*** 계좌 연결이 끊겼어요 (O0002). 입금을 계속 확인하려면 계좌를 다시 연결해 주세요.",
		},
		{
			"RelinkNoReason",
			RelinkNotice(Korean, "독서모임", "", "", ""),
			"⚠️ 독서모임 계좌 연결이 끊겼어요. 입금을 계속 확인하려면 계좌를 다시 연결해 주세요.",
		},
		{
			"RelinkEnglish",
			RelinkNotice(English, "Book Club", "KakaoBank", "3333-01-2345***", "refresh failed"),
			"⚠️ Book Club: the KakaoBank 3333-01-2345*** account link stopped working (refresh failed). Link the account again to keep tracking deposits.",
		},
		{
			"Expiry",
			ExpiryWarning(Korean, "독서모임", "카카오뱅크", "3333-01-2345***", expires, 14),
			"⚠️ 독서모임 카카오뱅크 3333-01-2345*** 계좌 연결이 14일 후(12월 9일(수)) 만료돼요. 만료 전에 다시 연결해 주세요.",
		},
		{
			"ExpiryToday",
			ExpiryWarning(Korean, "독서모임", "카카오뱅크", "3333-01-2345***", expires, 0),
			"⚠️ 독서모임 카카오뱅크 3333-01-2345*** 계좌 연결이 오늘(12월 9일(수)) 만료돼요. 만료 전에 다시 연결해 주세요.",
		},
		{
			"Expired",
			ExpiryWarning(Korean, "독서모임", "카카오뱅크", "3333-01-2345***", expires, -1),
			"⚠️ 독서모임 카카오뱅크 3333-01-2345*** 계좌 연결이 12월 9일(수)에 만료됐어요. 입금을 계속 확인하려면 다시 연결해 주세요.",
		},
		{
			"ExpiryEnglish",
			ExpiryWarning(English, "Book Club", "KakaoBank", "3333-01-2345***", expires, 3),
			"⚠️ Book Club: the KakaoBank 3333-01-2345*** account link expires in 3 days (Wed, Dec 9). Link the account again before it expires.",
		},
		{
			"DeadLetter",
			DeadLetterNotice(Korean, "독서모임", ChatRef{"telegram", "-1001234"}, KindDeposit, "chat not found", 5),
			"📭 독서모임: 메시지를 보내지 못했어요 — 입금 알림, telegram:-1001234, 5회 시도 (chat not found). 봇이 그 채팅방에 아직 있는지 확인해 주세요.",
		},
		{
			"DeadLetterEnglish",
			DeadLetterNotice(English, "Book Club", ChatRef{"slack", "C0ABC"}, KindReminder, "", 1),
			"📭 Book Club: a message could not be delivered — dues reminder to slack:C0ABC, 1 attempt. Check that the bot is still in that chat.",
		},
		{
			"DeadLetterUnknownKind",
			DeadLetterNotice(English, "Book Club", ChatRef{"slack", "C0ABC"}, "poll", "timeout", 3),
			"📭 Book Club: a message could not be delivered — poll to slack:C0ABC, 3 attempts (timeout). Check that the bot is still in that chat.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got  %s\nwant %s", tt.got, tt.want)
			}
		})
	}
}

func TestShorten(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"abcdefghij", 6, "abc…"},
		{"가나다라", 7, "가…"}, // never cuts inside 나
	}
	for _, tt := range tests {
		if got := shorten(tt.in, tt.n); got != tt.want {
			t.Errorf("shorten(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
