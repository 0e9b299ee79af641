package testbed_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moimbot/moimbot/openbanking/testbed"
)

// page is one transaction_list page.
type page struct {
	rsp   map[string]any
	rows  []map[string]any
	next  string
	trace string
}

// fetchPage requests one page of q, with a fresh bank_tran_id and trace.
func (s *session) fetchPage(t testing.TB, q url.Values, trace string) page {
	t.Helper()
	q.Set("bank_tran_id", s.tranID())
	q.Del("befor_inquiry_trace_info")
	if trace != "" {
		q.Set("befor_inquiry_trace_info", trace)
	}
	_, m := s.get(t, pathTx, q, s.tok.AccessToken)
	wantRsp(t, m, "A0000", "")
	p := page{rsp: m, rows: rows(t, m), next: str(t, m, "next_page_yn"), trace: str(t, m, "befor_inquiry_trace_info")}
	if got, want := str(t, m, "page_record_cnt"), fmt.Sprint(len(p.rows)); got != want {
		t.Errorf("page_record_cnt = %s, want %s", got, want)
	}
	if len(p.trace) > 20 {
		t.Errorf("befor_inquiry_trace_info %q is longer than 20", p.trace)
	}
	return p
}

// memos returns the print_content of the rows.
func memos(rows []map[string]any) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r["print_content"].(string))
	}
	return out
}

func TestPaging(t *testing.T) {
	for _, order := range []string{"D", "A"} {
		t.Run("Sort"+order, func(t *testing.T) {
			s := newSession(t, testbed.Config{})
			s.post(t, s.acct.ID, 62, t0.Add(-3*time.Hour), "회비")
			q := s.txQuery(s.fin)
			q.Set("sort_order", order)
			var got []string
			var sizes []int
			trace := ""
			for i := 0; ; i++ {
				if i > 5 {
					t.Fatal("more than 5 pages")
				}
				p := s.fetchPage(t, q, trace)
				sizes = append(sizes, len(p.rows))
				got = append(got, memos(p.rows)...)
				if p.next == "N" {
					break
				}
				if p.next != "Y" || p.trace == "" {
					t.Fatalf("next_page_yn %q, trace %q", p.next, p.trace)
				}
				trace = p.trace
			}
			if want := []int{25, 25, 12}; !slices.Equal(sizes, want) {
				t.Errorf("page sizes = %v, want %v", sizes, want)
			}
			var want []string
			for i := range 62 {
				want = append(want, fmt.Sprintf("회비%03d", i))
			}
			if order == "D" {
				slices.Reverse(want)
			}
			if !slices.Equal(got, want) {
				t.Errorf("rows = %v\nwant %v", got, want)
			}
		})
	}
}

func TestPagingStableWhileRowsArrive(t *testing.T) {
	tests := []struct {
		order string
		// wantNew is whether the rows posted between pages show up (at
		// the end) in this order.
		wantNew bool
	}{
		{"D", false},
		{"A", true},
	}
	for _, tt := range tests {
		t.Run("Sort"+tt.order, func(t *testing.T) {
			s := newSession(t, testbed.Config{})
			s.post(t, s.acct.ID, 60, t0.Add(-3*time.Hour), "old")
			q := s.txQuery(s.fin)
			q.Set("sort_order", tt.order)
			p1 := s.fetchPage(t, q, "")
			s.clock.Advance(10 * time.Minute)
			s.post(t, s.acct.ID, 3, s.clock.Now().Add(-5*time.Minute), "new")
			p2 := s.fetchPage(t, q, p1.trace)
			s.post(t, s.acct.ID, 2, s.clock.Now().Add(-time.Minute), "newer")
			p3 := s.fetchPage(t, q, p2.trace)
			all := slices.Concat(memos(p1.rows), memos(p2.rows), memos(p3.rows))
			seen := map[string]bool{}
			for _, m := range all {
				if seen[m] {
					t.Errorf("row %s repeated", m)
				}
				seen[m] = true
			}
			for i := range 60 {
				if m := fmt.Sprintf("old%03d", i); !seen[m] {
					t.Errorf("row %s missing", m)
				}
			}
			newRows := len(all) - 60
			if tt.wantNew && newRows != 5 || !tt.wantNew && newRows != 0 {
				t.Errorf("%d new rows in the pages, want %v", newRows, tt.wantNew)
			}
			if p3.next != "N" {
				t.Errorf("third page next_page_yn = %s, want N", p3.next)
			}
			if got, want := str(t, p3.rsp, "balance_amt"), fmt.Sprint(100000+65*1000); got != want {
				t.Errorf("balance_amt = %s, want the current balance %s", got, want)
			}
		})
	}
}

func TestTransactionRows(t *testing.T) {
	s := newSession(t, testbed.Config{})
	at := t0.Add(-time.Hour)
	for i, p := range []testbed.Posting{
		{InoutType: "입금", PrintContent: "11월회비김민수", Amount: 30000, At: at},
		{InoutType: "출금", PrintContent: "모임식대", Amount: 184000, At: at.Add(time.Minute), BranchName: "강남"},
		{InoutType: "입금", TranType: "이자", PrintContent: "이자", Amount: 87, At: at.Add(2 * time.Minute)},
	} {
		if _, err := s.sim.Post(s.acct.ID, p); err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
	}
	tests := []struct {
		inquiryType string
		want        []string
	}{
		{"A", []string{"이자", "모임식대", "11월회비김민수"}},
		{"I", []string{"이자", "11월회비김민수"}},
		{"O", []string{"모임식대"}},
	}
	for _, tt := range tests {
		t.Run("InquiryType"+tt.inquiryType, func(t *testing.T) {
			q := s.txQuery(s.fin)
			q.Set("inquiry_type", tt.inquiryType)
			p := s.fetchPage(t, q, "")
			if got := memos(p.rows); !slices.Equal(got, tt.want) {
				t.Errorf("rows = %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("Fields", func(t *testing.T) {
		p := s.fetchPage(t, s.txQuery(s.fin), "")
		want := map[string]string{
			"tran_date": "20261125", "tran_time": "090100", "inout_type": "출금", "tran_type": "대체",
			"print_content": "모임식대", "tran_amt": "184000", "after_balance_amt": "-54000", "branch_name": "강남",
		}
		row := p.rows[1]
		if len(row) != len(want) {
			t.Errorf("row keys = %v, want %d keys", row, len(want))
		}
		for k, v := range want {
			if row[k] != v {
				t.Errorf("%s = %#v, want %q", k, row[k], v)
			}
		}
		if got := p.rows[2]["tran_type"]; got != "타행환" {
			t.Errorf("default deposit tran_type = %v, want 타행환", got)
		}
		for k, v := range map[string]string{"balance_amt": "-53913", "bank_name": "카카오뱅크", "fintech_use_num": s.fin, "next_page_yn": "N", "bank_rsp_code": "000"} {
			if p.rsp[k] != v {
				t.Errorf("%s = %v, want %s", k, p.rsp[k], v)
			}
		}
	})
}

func TestTransactionWindows(t *testing.T) {
	s := newSession(t, testbed.Config{})
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, kst)
	for _, at := range []time.Time{
		day.Add(-time.Second),                  // 22nd 23:59:59
		day.Add(22 * time.Hour),                // before the window
		day.Add(23 * time.Hour),                // on the window's start
		day.Add(23*time.Hour + 30*time.Minute), // inside
		day.Add(24*time.Hour + 20*time.Minute), // inside, next day
		day.Add(25 * time.Hour),                // on the window's end
		day.Add(26 * time.Hour),                // after
	} {
		if _, err := s.sim.Post(s.acct.ID, testbed.Posting{InoutType: "입금", PrintContent: at.Format("0102-1504"), Amount: 1000, At: at}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		set  map[string]string
		want []string
	}{
		{"TimeWindowAcrossMidnight", map[string]string{"inquiry_base": "T", "from_date": "20261123", "from_time": "230000",
			"to_date": "20261124", "to_time": "010000", "sort_order": "A"},
			[]string{"1123-2300", "1123-2330", "1124-0020", "1124-0100"}},
		{"TimeWindowNewestFirst", map[string]string{"inquiry_base": "T", "from_date": "20261123", "from_time": "230001",
			"to_date": "20261124", "to_time": "005959"},
			[]string{"1124-0020", "1123-2330"}},
		// §4.4 does not make from_time and to_time required with
		// inquiry_base=T: an absent one leaves its day whole.
		{"TimeWindowWithoutFromTime", map[string]string{"inquiry_base": "T", "from_date": "20261123",
			"to_date": "20261124", "to_time": "002000", "sort_order": "A"},
			[]string{"1123-2200", "1123-2300", "1123-2330", "1124-0020"}},
		{"TimeWindowWithoutToTime", map[string]string{"inquiry_base": "T", "from_date": "20261123", "from_time": "233000",
			"to_date": "20261124", "sort_order": "A"},
			[]string{"1123-2330", "1124-0020", "1124-0100", "1124-0200"}},
		{"TimeWindowWithoutTimes", map[string]string{"inquiry_base": "T", "from_date": "20261123",
			"to_date": "20261123", "sort_order": "A"},
			[]string{"1123-2200", "1123-2300", "1123-2330"}},
		{"DateRangeOneDay", map[string]string{"from_date": "20261123", "to_date": "20261123", "sort_order": "A"},
			[]string{"1123-2200", "1123-2300", "1123-2330"}},
		{"DateRangeTwoDays", map[string]string{"from_date": "20261122", "to_date": "20261123", "sort_order": "A"},
			[]string{"1122-2359", "1123-2200", "1123-2300", "1123-2330"}},
		{"FutureToDateClamped", map[string]string{"from_date": "20261124", "to_date": "20261231", "sort_order": "A"},
			[]string{"1124-0020", "1124-0100", "1124-0200"}},
		{"FutureRangeClampedToToday", map[string]string{"from_date": "20261201", "to_date": "20261210"}, nil},
		{"Exactly365Days", map[string]string{"from_date": "20251125", "to_date": "20261125", "inquiry_type": "O"}, nil},
		{"Over365DaysUntilClamped", map[string]string{"from_date": "20260101", "to_date": "20270301", "inquiry_type": "O"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := s.txQuery(s.fin)
			for k, v := range tt.set {
				q.Set(k, v)
			}
			p := s.fetchPage(t, q, "")
			if got := memos(p.rows); !slices.Equal(got, tt.want) {
				t.Errorf("rows = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestQuirks(t *testing.T) {
	s := newSession(t, testbed.Config{})
	s.post(t, s.acct.ID, 2, t0.Add(-time.Hour), "회비")
	empty := s.txQuery(s.fin)
	empty.Set("inquiry_type", "O")

	t.Run("Default", func(t *testing.T) {
		p := s.fetchPage(t, s.txQuery(s.fin), "")
		if _, ok := p.rsp["page_record_cnt "]; ok {
			t.Error("odd key without the quirk")
		}
		_, m := s.get(t, pathTx, empty, s.tok.AccessToken)
		wantRsp(t, m, "A0000", "")
		if list, ok := m["res_list"].([]any); !ok || len(list) != 0 {
			t.Errorf("empty res_list = %#v, want []", m["res_list"])
		}
	})
	t.Run("NumericAmounts", func(t *testing.T) {
		s.sim.SetQuirks(testbed.Quirks{NumericAmounts: true})
		defer s.sim.SetQuirks(testbed.Quirks{})
		q := s.txQuery(s.fin)
		q.Set("bank_tran_id", s.tranID())
		_, m := s.get(t, pathTx, q, s.tok.AccessToken)
		for _, k := range []string{"balance_amt", "page_record_cnt"} {
			if _, ok := m[k].(json.Number); !ok {
				t.Errorf("%s = %#v, want a JSON number", k, m[k])
			}
		}
		r := rows(t, m)[0]
		for _, k := range []string{"tran_amt", "after_balance_amt"} {
			if _, ok := r[k].(json.Number); !ok {
				t.Errorf("%s = %#v, want a JSON number", k, r[k])
			}
		}
		if got := r["tran_amt"].(json.Number).String(); got != "1000" {
			t.Errorf("tran_amt = %s, want 1000", got)
		}
		_, m = s.get(t, pathBalance, s.balanceQuery(s.fin), s.tok.AccessToken)
		if _, ok := m["balance_amt"].(json.Number); !ok {
			t.Errorf("balance balance_amt = %#v, want a JSON number", m["balance_amt"])
		}
		_, m = s.get(t, pathUserMe, url.Values{"user_seq_no": {s.user.UserSeqNo}}, s.tok.AccessToken)
		if _, ok := m["res_cnt"].(json.Number); !ok {
			t.Errorf("res_cnt = %#v, want a JSON number", m["res_cnt"])
		}
	})
	t.Run("PrintedContent", func(t *testing.T) {
		s.sim.SetQuirks(testbed.Quirks{PrintedContent: true})
		defer s.sim.SetQuirks(testbed.Quirks{})
		q := s.txQuery(s.fin)
		_, m := s.get(t, pathTx, q, s.tok.AccessToken)
		r := rows(t, m)[0]
		if _, ok := r["print_content"]; ok {
			t.Error("row has print_content")
		}
		if got := r["printed_content"]; got != "회비001" {
			t.Errorf("printed_content = %v, want 회비001", got)
		}
	})
	t.Run("OddKeys", func(t *testing.T) {
		s.sim.SetQuirks(testbed.Quirks{OddKeys: true})
		defer s.sim.SetQuirks(testbed.Quirks{})
		_, m := s.get(t, pathTx, s.txQuery(s.fin), s.tok.AccessToken)
		if got := m["page_record_cnt "]; got != "2" {
			t.Errorf(`"page_record_cnt " = %v, want "2"`, got)
		}
		known := []string{"api_tran_id", "api_tran_dtm", "rsp_code", "rsp_message", "bank_tran_id", "bank_tran_date",
			"bank_code_tran", "bank_rsp_code", "bank_rsp_message", "bank_name", "savings_bank_name", "fintech_use_num",
			"balance_amt", "page_record_cnt", "page_record_cnt ", "next_page_yn", "befor_inquiry_trace_info", "res_list"}
		var unknown []string
		for k := range m {
			if !slices.Contains(known, k) {
				unknown = append(unknown, k)
			}
		}
		if len(unknown) == 0 {
			t.Error("no unknown key")
		}
		// Rows carry odd keys too, so a client's tolerance of them inside
		// res_list is tested.
		for i, r := range rows(t, m) {
			if _, ok := r["testbed_unknown_row_key"].(map[string]any); !ok {
				t.Errorf("row %d = %v, want an unknown key with an object value", i, r)
			}
			if r["inout_type "] != r["inout_type"] {
				t.Errorf("row %d: \"inout_type \" = %v, want a copy of inout_type %v", i, r["inout_type "], r["inout_type"])
			}
		}
		_, m = s.get(t, pathList, url.Values{"user_seq_no": {s.user.UserSeqNo}, "include_cancel_yn": {"N"}, "sort_order": {"D"}}, s.tok.AccessToken)
		for i, r := range rows(t, m) {
			if _, ok := r["testbed_unknown_row_key"]; !ok {
				t.Errorf("account row %d = %v, want an unknown key", i, r)
			}
		}
	})
	t.Run("EmptyAsA0018", func(t *testing.T) {
		s.sim.SetQuirks(testbed.Quirks{EmptyAsA0018: true})
		defer s.sim.SetQuirks(testbed.Quirks{})
		empty.Set("bank_tran_id", s.tranID())
		_, m := s.get(t, pathTx, empty, s.tok.AccessToken)
		wantRsp(t, m, "A0018", "거래내역 없음")
		// A non-empty answer is unchanged.
		_, m = s.get(t, pathTx, s.txQuery(s.fin), s.tok.AccessToken)
		wantRsp(t, m, "A0000", "")
	})
	t.Run("FromConfig", func(t *testing.T) {
		s2 := newSession(t, testbed.Config{Quirks: testbed.Quirks{PrintedContent: true, NumericAmounts: true}})
		s2.post(t, s2.acct.ID, 1, t0.Add(-time.Hour), "회비")
		_, m := s2.get(t, pathTx, s2.txQuery(s2.fin), s2.tok.AccessToken)
		r := rows(t, m)[0]
		if _, ok := r["tran_amt"].(json.Number); !ok || r["printed_content"] == nil {
			t.Errorf("row = %v, want numeric amounts and printed_content", r)
		}
		if !strings.HasPrefix(str(t, m, "befor_inquiry_trace_info"), "D") {
			t.Errorf("trace info = %v", m["befor_inquiry_trace_info"])
		}
	})
}
