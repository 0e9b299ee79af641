package ledger

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const groupJSON = `{
  "name": "독서모임",
  "dues": {"amount": 30000, "day": 25, "start": "2026-09"},
  "members": [
    {"id": "m01", "name": "김민수", "aliases": ["민수", "김민수엄마"], "dues": 30000, "joined": "2026-09", "left": ""},
    {"id": "m02", "name": "이지은"},
    {"id": "m03", "name": "박서준", "dues": 0}
  ],
  "ignore": ["이자", "결산"]
}`

func TestReadGroup(t *testing.T) {
	if _, err := ReadGroup(strings.NewReader("\ufeff" + groupJSON)); err != nil {
		t.Errorf("group file with a BOM: %v", err)
	}
	def, err := ReadGroup(strings.NewReader(groupJSON))
	if err != nil {
		t.Fatal(err)
	}
	g := def.Group
	if got, want := len(g.Members), 3; got != want {
		t.Fatalf("members = %d, want %d", got, want)
	}
	m1, m2, m3 := g.Members[0], g.Members[1], g.Members[2]
	if m1.Dues != 30000 || m1.Exempt || len(m1.Aliases) != 2 || m1.Joined != NewPeriod(2026, 9) || !m1.Left.IsZero() {
		t.Errorf("m01 = %+v", m1)
	}
	if m2.Dues != 0 || m2.Exempt || g.Rate(&m2) != 30000 {
		t.Errorf("m02 = %+v, rate %d; want the group's default", m2, g.Rate(&m2))
	}
	if !m3.Exempt || g.Rate(&m3) != 0 {
		t.Errorf("m03 = %+v; want exempt", m3)
	}
}

// TestReadGroupWords reads the treasurer's dues words, which the matcher
// then reads beside names.
func TestReadGroupWords(t *testing.T) {
	def, err := ReadGroup(strings.NewReader(strings.Replace(groupJSON, `"ignore"`, `"words": ["스터디", "부서"], "ignore"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(def.Group.Words, ","), "스터디,부서"; got != want {
		t.Errorf("words = %q, want %q", got, want)
	}
	if got := NewMatcher(def.Group).Match(Deposit{Direction: In, Text: "스터디비이지은", Amount: 30000}); got.Outcome != OutcomeMatched {
		t.Errorf("스터디비이지은 = %v (%s), want matched", got.Outcome, got.Reason)
	}
}

func TestReadGroupErrors(t *testing.T) {
	tests := []struct {
		name string
		json string
		want string
	}{
		{"Empty", ``, "empty file"},
		{"InvalidJSON", `{"name": "x",`, "invalid JSON"},
		{"BOMThenInvalid", "\ufeff{\"name\": ", "invalid JSON"},
		{"NotAnObject", `[1,2]`, "must be a JSON object"},
		{"HugeDues", `{"name":"x","dues":{"amount":4611686018427387904,"day":1,"start":"2026-01"},"members":[]}`, "is more than"},
		{"UnknownField", `{"name":"x","dues":{"amount":1,"day":1,"start":"2026-01"},"memberz":[]}`, "unknown field"},
		{"NoDues", `{"name":"x","members":[]}`, "dues is missing"},
		{"NoAmount", `{"name":"x","dues":{"day":1,"start":"2026-01"},"members":[]}`, "dues.amount is missing"},
		{"ZeroAmount", `{"name":"x","dues":{"amount":0,"day":1,"start":"2026-01"},"members":[]}`, "dues amount 0 is not positive"},
		{"NegativeAmount", `{"name":"x","dues":{"amount":-1,"day":1,"start":"2026-01"},"members":[]}`, "dues amount -1 is not positive"},
		{"BadStart", `{"name":"x","dues":{"amount":1,"day":1,"start":"2026-13"},"members":[]}`, "dues.start"},
		{"BadDay", `{"name":"x","dues":{"amount":1,"day":32,"start":"2026-01"},"members":[]}`, "due day 32"},
		{"NoName", `{"name":"","dues":{"amount":1,"day":1,"start":"2026-01"},"members":[]}`, "name is empty"},
		{"DuplicateID", `{"name":"x","dues":{"amount":1,"day":1,"start":"2026-01"},"members":[{"id":"a","name":"가"},{"id":"a","name":"나"}]}`, "used twice"},
		{"NoMemberID", `{"name":"x","dues":{"amount":1,"day":1,"start":"2026-01"},"members":[{"name":"가"}]}`, "has no id"},
		{"NegativeMemberDues", `{"name":"x","dues":{"amount":1,"day":1,"start":"2026-01"},"members":[{"id":"a","name":"가","dues":-5}]}`, "negative dues -5"},
		{"BadJoined", `{"name":"x","dues":{"amount":1,"day":1,"start":"2026-01"},"members":[{"id":"a","name":"가","joined":"2026"}]}`, "joined"},
		{"LeftBeforeJoined", `{"name":"x","dues":{"amount":1,"day":1,"start":"2026-01"},"members":[{"id":"a","name":"가","joined":"2026-05","left":"2026-03"}]}`, "before joining"},
		{"ManualUnknownMember", `{"name":"x","dues":{"amount":1,"day":1,"start":"2026-01"},"members":[{"id":"a","name":"가"}],"manual":[{"member":"zz","date":"2026-01-02","amount":5}]}`, `unknown member id "zz"`},
		{"ManualNegative", `{"name":"x","dues":{"amount":1,"day":1,"start":"2026-01"},"members":[{"id":"a","name":"가"}],"manual":[{"member":"a","date":"2026-01-02","amount":-5}]}`, "amount -5 is not positive"},
		{"ChangeWithoutMonth", `{"name":"x","dues":{"amount":1,"day":1,"start":"2026-01","changes":[{"amount":2}]},"members":[]}`, "dues change 1: from"},
		{"ChangeWithoutAmount", `{"name":"x","dues":{"amount":1,"day":1,"start":"2026-01","changes":[{"from":"2026-05"}]},"members":[]}`, "amount is missing"},
		{"ChangesOutOfOrder", `{"name":"x","dues":{"amount":1,"day":1,"start":"2026-01","changes":[{"from":"2026-05","amount":2},{"from":"2026-03","amount":3}]},"members":[]}`, "not after the one before"},
		{"MemberChangeNegative", `{"name":"x","dues":{"amount":1,"day":1,"start":"2026-01"},"members":[{"id":"a","name":"가","dues_changes":[{"from":"2026-05","amount":-5}]}]}`, "amount -5"},
		{"TrailingData", `{"name":"x","dues":{"amount":1,"day":1,"start":"2026-01"},"members":[]} {}`, "extra data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadGroup(strings.NewReader(tt.json))
			if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadGroup error = %v, want ErrInput containing %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans several lines: %q", err)
			}
		})
	}
}

func TestReadGroupDuesChanges(t *testing.T) {
	def, err := ReadGroup(strings.NewReader(`{"name":"x","dues":{"amount":30000,"day":25,"start":"2026-01",
		"changes":[{"from":"2026-07","amount":35000}]},
		"members":[{"id":"a","name":"가","dues_changes":[{"from":"2026-03","amount":0}]},{"id":"b","name":"나"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	g := def.Group
	a, b := &g.Members[0], &g.Members[1]
	for _, tt := range []struct {
		m    *Member
		p    Period
		want int64
	}{
		{a, NewPeriod(2026, 2), 30000}, {a, NewPeriod(2026, 3), 0}, {b, NewPeriod(2026, 6), 30000}, {b, NewPeriod(2026, 7), 35000},
	} {
		if got := g.MonthlyDues(tt.m, tt.p); got != tt.want {
			t.Errorf("%s in %s = %d, want %d", tt.m.ID, tt.p, got, tt.want)
		}
	}
}

func TestReadTransactions(t *testing.T) {
	want := []BankTransaction{
		{Date: "20261125", Time: "093012", InoutType: "입금", PrintContent: "김민수회비", Amount: 30000, AfterBalance: 130000,
			At: time.Date(2026, 11, 25, 9, 30, 12, 0, KST())},
		{Date: "20261126", Time: "120000", InoutType: "출금", PrintContent: "카드결제", Amount: 12000, AfterBalance: 118000,
			At: time.Date(2026, 11, 26, 12, 0, 0, 0, KST())},
	}
	tests := []struct {
		name string
		data string
	}{
		{"KFTCResponse", `{"rsp_code":"A0000","res_cnt":"2","res_list":[
			{"tran_date":"20261125","tran_time":"093012","inout_type":"입금","tran_type":"현금","print_content":"김민수회비","tran_amt":"30000","after_balance_amt":"130000","branch_name":"x"},
			{"tran_date":"20261126","tran_time":"120000","inout_type":"출금","print_content":"카드결제","tran_amt":"12000","after_balance_amt":"118000"}]}`},
		{"JSONArray", `[
			{"tran_date":"20261125","tran_time":"093012","inout_type":"입금","print_content":"김민수회비","tran_amt":"30000","after_balance_amt":"130000"},
			{"tran_date":"20261126","tran_time":"120000","inout_type":"출금","print_content":"카드결제","tran_amt":"12000","after_balance_amt":"118000"}]`},
		{"NumbersAndPrintedContent", `[
			{"tran_date":"20261125","tran_time":"093012","inout_type":"입금","printed_content":"김민수회비","tran_amt":30000,"after_balance_amt":130000},
			{"tran_date":"20261126","tran_time":"120000","inout_type":"지급","print_content":"카드결제","tran_amt":"12,000","after_balance_amt":"118,000"}]`},
		{"CSV", "tran_date,tran_time,inout_type,print_content,tran_amt,after_balance_amt\n" +
			"20261125,093012,입금,김민수회비,30000,130000\n" +
			"20261126,120000,출금,카드결제,12000,118000\n"},
		{"CSVWithBOMCRLFAndQuotes", "\ufefftran_date,tran_time,inout_type,print_content,tran_amt,after_balance_amt\r\n" +
			"20261125,093012,입금,\"김민수회비\",\"30,000\",130000\r\n\r\n" +
			"20261126,120000,출금,카드결제,12000,118000\r\n"},
		{"CSVPrintedContentAndTrailingEmptyFields", "tran_date,tran_time,inout_type,printed_content,tran_amt,after_balance_amt\n" +
			"20261125,093012,입금,김민수회비,30000,130000,,\n" +
			"20261126,120000,출금,카드결제,12000,118000\n"},
		{"CSVOtherColumnOrder", "memo,print_content,tran_amt,tran_date,tran_time,inout_type,after_balance_amt\n" +
			"a,김민수회비,30000,20261125,093012,입금,130000\n" +
			"b,카드결제,12000,20261126,120000,출금,118000\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadTransactions([]byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("got %d rows, want %d", len(got), len(want))
			}
			for i := range want {
				if !got[i].At.Equal(want[i].At) {
					t.Errorf("row %d At = %v, want %v", i, got[i].At, want[i].At)
				}
				g, w := got[i], want[i]
				g.At, w.At = time.Time{}, time.Time{}
				if g != w {
					t.Errorf("row %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func TestReadTransactionsErrors(t *testing.T) {
	const header = "tran_date,tran_time,inout_type,print_content,tran_amt,after_balance_amt\n"
	tests := []struct {
		name string
		data string
		want string
	}{
		{"Empty", "", "empty file"},
		{"CSVWithoutHeader", "20261125,093012,입금,김민수,30000,130000\n", "the header must be"},
		{"CSVMissingColumn", "tran_date,tran_time,inout_type,print_content,tran_amt\n", "missing after_balance_amt"},
		{"NegativeAmount", header + "20261125,093012,입금,김민수,-30000,130000\n", "line 2: tran_amt -30000 is negative"},
		{"NotANumber", header + "20261125,093012,입금,김민수,abc,130000\n", `line 2: tran_amt: "abc" is not a whole number`},
		{"EmptyAmount", header + "20261125,093012,입금,김민수,,130000\n", "line 2: tran_amt"},
		{"BadDate", header + "2026-11-25,093012,입금,김민수,30000,130000\n", "line 2: tran_date"},
		{"BadTime", header + "20261125,256000,입금,김민수,30000,130000\n", "line 2: tran_date"},
		{"BadInout", header + "20261125,093012,in,김민수,30000,130000\n", `inout_type "in"`},
		{"ShortRow", header + "20261125,093012\n", "line 2: 2 fields"},
		{"UnquotedThousands", header + "20261125,120000,입금,김민수,30,000,30,000\n", "line 2: 8 fields, the header has 6"},
		{"DuplicateColumn", "tran_date,tran_time,inout_type,print_content,tran_amt,tran_amt,after_balance_amt\n", "column tran_amt appears twice"},
		{"KFTCError", `{"rsp_code":"O0001","rsp_message":"토큰 만료","res_list":[]}`, "rsp_code O0001"},
		{"KFTCMorePages", `{"rsp_code":"A0000","next_page_yn":"Y","res_list":[]}`, "more pages"},
		{"ResListNotArray", `{"res_list":{}}`, "res_list is not an array"},
		{"HugeAmount", header + "20261125,120000,입금,김민수,99999999999999,0\n", "is more than"},
		{"BadQuote", header + "20261125,093012,입금,\"김민수,30000,130000\n", "extraneous or missing"},
		{"NotUTF8", header + "20261125,093012,\xc0\xd4\xb1\xdd,\xb1\xe8,30000,130000\n", "not UTF-8"},
		{"InvalidJSON", `{"res_list": [`, "invalid JSON"},
		{"ObjectWithoutResList", `{"rsp_code":"A0000"}`, "no res_list"},
		{"EntryNotObject", `[1]`, "entry 0 is not an object"},
		{"JSONNegative", `[{"tran_date":"20261125","tran_time":"093012","inout_type":"입금","print_content":"x","tran_amt":"-5","after_balance_amt":"0"}]`, "entry 0: tran_amt -5 is negative"},
		{"JSONAmountBool", `[{"tran_date":"20261125","tran_time":"093012","inout_type":"입금","print_content":"x","tran_amt":true}]`, "neither a string nor a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadTransactions([]byte(tt.data))
			if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadTransactions error = %v, want ErrInput containing %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans several lines: %q", err)
			}
		})
	}
}

func TestReconcile(t *testing.T) {
	def, err := ReadGroup(strings.NewReader(groupJSON))
	if err != nil {
		t.Fatal(err)
	}
	def.Manual = []Payment{{MemberID: "m02", Amount: 30000, At: time.Date(2026, 9, 1, 0, 0, 0, 0, KST()), Ref: "manual:0"}}
	txs, err := ReadTransactions([]byte("tran_date,tran_time,inout_type,print_content,tran_amt,after_balance_amt\n" +
		"20261124,210000,입금,김민수회비,30000,30000\n" +
		"20260924,210000,입금,김민수회비,60000,90000\n" +
		"20261001,100000,출금,카드,1000,89000\n" +
		"20261125,100000,입금,김민슈,30000,119000\n"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Reconcile(def, txs, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rep.AsOf.Format("2006-01-02"), "2026-11-25"; got != want {
		t.Errorf("as of = %s, want %s (the latest transaction)", got, want)
	}
	// Allocation runs in time order: the September deposit pays Sep and Oct,
	// so the November one (listed first) pays November.
	if got, want := fmtAllocs(rep.Transactions[0].Allocations), "2026-11:30000"; got != want {
		t.Errorf("tx 0 allocations = %s, want %s", got, want)
	}
	if got, want := fmtAllocs(rep.Transactions[1].Allocations), "2026-09:30000 2026-10:30000"; got != want {
		t.Errorf("tx 1 allocations = %s, want %s", got, want)
	}
	if rep.Transactions[2].Match.Outcome != OutcomeIgnored || rep.Transactions[3].Match.Outcome != OutcomeReview {
		t.Errorf("outcomes = %v %v, want ignored review", rep.Transactions[2].Match.Outcome, rep.Transactions[3].Match.Outcome)
	}
	if got, want := fmtAllocs(rep.Manual[0].Allocations), "2026-09:30000"; got != want {
		t.Errorf("manual allocations = %s, want %s", got, want)
	}
	if got, want := rep.Members[0].Balance, int64(0); got != want {
		t.Errorf("m01 balance = %d, want %d", got, want)
	}
	if got, want := rep.Members[1].Balance, int64(-60000); got != want {
		t.Errorf("m02 balance = %d, want %d", got, want)
	}
}
