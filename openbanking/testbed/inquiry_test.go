package testbed_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/moimbot/moimbot/openbanking/testbed"
)

const (
	pathUserMe  = "/v2.0/user/me"
	pathList    = "/v2.0/account/list"
	pathBalance = "/v2.0/account/balance/fin_num"
	pathTx      = "/v2.0/account/transaction_list/fin_num"
)

// session is a fixture with a logged-in user.
type session struct {
	*fixture
	tok tokens
	fin string // fintech_use_num of the 모임통장
}

func newSession(t testing.TB, cfg testbed.Config) *session {
	t.Helper()
	f := newFixture(t, cfg)
	tok := f.login(t)
	return &session{fixture: f, tok: tok, fin: f.fintech(t, f.acct.ID)}
}

// otherFixture returns a token issued by a different simulator signed
// with key.
func otherToken(t *testing.T, key string) string {
	t.Helper()
	f := newFixture(t, testbed.Config{SigningKey: []byte(key)})
	return f.login(t).AccessToken
}

func TestInquiryRejectsAuth(t *testing.T) {
	type call struct {
		method, path, bearer, rawAuth string
		q                             url.Values
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, s *session) call
		code  string
		msg   string
	}{
		{"POSTOnTransactionList", func(t *testing.T, s *session) call {
			return call{method: http.MethodPost, path: pathTx, bearer: s.tok.AccessToken, q: s.txQuery(s.fin)}
		}, "O0010", "허용되지 않은 http method"},
		{"POSTOnBalance", func(t *testing.T, s *session) call {
			return call{method: http.MethodPost, path: pathBalance, bearer: s.tok.AccessToken, q: s.balanceQuery(s.fin)}
		}, "O0010", ""},
		{"PUTOnUserMe", func(t *testing.T, s *session) call {
			return call{method: http.MethodPut, path: pathUserMe, bearer: s.tok.AccessToken}
		}, "O0010", ""},
		{"MissingBearer", func(t *testing.T, s *session) call {
			return call{path: pathTx, q: s.txQuery(s.fin)}
		}, "O0001", "[992]"},
		{"BasicScheme", func(t *testing.T, s *session) call {
			return call{path: pathBalance, rawAuth: "Basic " + s.tok.AccessToken, q: s.balanceQuery(s.fin)}
		}, "O0001", "[992]"},
		{"BearerWithoutToken", func(t *testing.T, s *session) call {
			return call{path: pathBalance, rawAuth: "Bearer ", q: s.balanceQuery(s.fin)}
		}, "O0001", "[992]"},
		{"GarbledToken", func(t *testing.T, s *session) call {
			return call{path: pathTx, bearer: "eyJhbGciOiJIUzI1NiJ9.garbage.sig", q: s.txQuery(s.fin)}
		}, "O0002", "Access Token 거부"},
		{"TamperedPayload", func(t *testing.T, s *session) call {
			parts := strings.Split(s.tok.AccessToken, ".")
			return call{path: pathTx, bearer: parts[0] + "." + parts[1] + "x." + parts[2], q: s.txQuery(s.fin)}
		}, "O0002", ""},
		{"OtherSigningKey", func(t *testing.T, s *session) call {
			return call{path: pathBalance, bearer: otherToken(t, "another key of the right length!"), q: s.balanceQuery(s.fin)}
		}, "O0002", ""},
		{"UnknownJTI", func(t *testing.T, s *session) call {
			// Signed with the same key, but by another simulator.
			return call{path: pathBalance, bearer: otherToken(t, testKey), q: s.balanceQuery(s.fin)}
		}, "O0002", ""},
		{"RefreshTokenAsBearer", func(t *testing.T, s *session) call {
			return call{path: pathBalance, bearer: s.tok.RefreshToken, q: s.balanceQuery(s.fin)}
		}, "O0002", ""},
		{"RevokedToken", func(t *testing.T, s *session) call {
			s.postForm(t, "/oauth/2.0/revoke", url.Values{"client_id": {s.inst.ClientID},
				"client_secret": {s.inst.ClientSecret}, "access_token": {s.tok.AccessToken}})
			return call{path: pathTx, bearer: s.tok.AccessToken, q: s.txQuery(s.fin)}
		}, "O0002", ""},
		{"ExpiredAfter90Days", func(t *testing.T, s *session) call {
			s.clock.Advance(90 * 24 * time.Hour)
			return call{path: pathTx, bearer: s.tok.AccessToken, q: s.txQuery(s.fin)}
		}, "O0003", "Access Token 만료"},
		{"ExpireToken", func(t *testing.T, s *session) call {
			if err := s.sim.ExpireToken(s.tok.AccessToken); err != nil {
				t.Fatal(err)
			}
			return call{path: pathUserMe, bearer: s.tok.AccessToken, q: url.Values{"user_seq_no": {s.user.UserSeqNo}}}
		}, "O0003", ""},
		{"ExpireUserTokens", func(t *testing.T, s *session) call {
			if got := s.sim.ExpireUserTokens(s.user.UserSeqNo); got != 1 {
				t.Errorf("ExpireUserTokens = %d, want 1", got)
			}
			return call{path: pathBalance, bearer: s.tok.AccessToken, q: s.balanceQuery(s.fin)}
		}, "O0003", ""},
		{"OobTokenOnBalance", func(t *testing.T, s *session) call {
			return call{path: pathBalance, bearer: s.oobToken(t), q: s.balanceQuery(s.fin)}
		}, "O0011", "허용되지 않은 Scope 입니다."},
		{"OobTokenOnTransactionList", func(t *testing.T, s *session) call {
			return call{path: pathTx, bearer: s.oobToken(t), q: s.txQuery(s.fin)}
		}, "O0011", ""},
		{"OobTokenOnUserMe", func(t *testing.T, s *session) call {
			return call{path: pathUserMe, bearer: s.oobToken(t), q: url.Values{"user_seq_no": {s.user.UserSeqNo}}}
		}, "O0011", ""},
		{"LoginOnlyTokenOnBalance", func(t *testing.T, s *session) call {
			q := s.authorizeValues()
			q.Set("scope", "login")
			loc := s.consent(t, q, s.user.UserSeqNo, "agree", s.acct.ID)
			_, _, body := s.postForm(t, "/oauth/2.0/token", s.codeForm(loc.Query().Get("code")))
			return call{path: pathBalance, bearer: str(t, decode(t, body), "access_token"), q: s.balanceQuery(s.fin)}
		}, "O0011", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession(t, testbed.Config{})
			c := tt.setup(t, s)
			if c.method == "" {
				c.method = http.MethodGet
			}
			req, _ := http.NewRequest(c.method, s.srv.URL+c.path+"?"+c.q.Encode(), nil)
			switch {
			case c.rawAuth != "":
				req.Header.Set("Authorization", c.rawAuth)
			case c.bearer != "":
				req.Header.Set("Authorization", "Bearer "+c.bearer)
			}
			status, h, body := s.do(t, req)
			if status != http.StatusOK || h.Get("Content-Type") != "application/json; charset=UTF-8" {
				t.Errorf("status, Content-Type = %d, %q; want 200 JSON", status, h.Get("Content-Type"))
			}
			wantRsp(t, decode(t, body), tt.code, tt.msg)
		})
	}
}

func TestRateLimit(t *testing.T) {
	s := newSession(t, testbed.Config{RateLimit: 2, RateBurst: 2})
	call := func() string {
		_, m := s.get(t, pathBalance, s.balanceQuery(s.fin), s.tok.AccessToken)
		return m["rsp_code"].(string)
	}
	tests := []struct {
		name    string
		advance time.Duration
		want    string
	}{
		{"FirstInBurst", 0, "A0000"},
		{"SecondInBurst", 0, "A0000"},
		{"BeyondTheRate", 0, "O0008"},
		{"StillBeyond", 100 * time.Millisecond, "O0008"},
		{"RefilledAfterHalfSecond", 400 * time.Millisecond, "A0000"},
		{"EmptyAgain", 0, "O0008"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.wall.Advance(tt.advance)
			if got := call(); got != tt.want {
				t.Errorf("rsp_code = %s, want %s", got, tt.want)
			}
		})
	}
	t.Run("PerClient", func(t *testing.T) {
		// Another institution's bucket is full while this one's is empty.
		other, err := s.sim.AddInstitution(testbed.Institution{Name: "다른앱", RedirectURIs: []string{redirectURI}})
		if err != nil {
			t.Fatal(err)
		}
		q := s.authorizeValues()
		q.Set("client_id", other.ClientID)
		loc := s.consent(t, q, s.user.UserSeqNo, "agree", s.acct.ID)
		form := s.codeForm(loc.Query().Get("code"))
		form.Set("client_id", other.ClientID)
		form.Set("client_secret", other.ClientSecret)
		_, _, body := s.postForm(t, "/oauth/2.0/token", form)
		var fin string
		for _, r := range s.sim.Registrations() {
			if r.ClientID == other.ClientID {
				fin = r.FintechUseNum
			}
		}
		bq := s.balanceQuery(fin)
		bq.Set("bank_tran_id", other.ClientUseCode+"U000000001")
		_, m := s.get(t, pathBalance, bq, str(t, decode(t, body), "access_token"))
		wantRsp(t, m, "A0000", "")
		if got := call(); got != "O0008" {
			t.Errorf("first client after the other's call: rsp_code = %s, want O0008", got)
		}
	})
	t.Run("SetRateLimitUnlimited", func(t *testing.T) {
		s.sim.SetRateLimit(-1, 0)
		for range 5 {
			if got := call(); got != "A0000" {
				t.Fatalf("rsp_code = %s, want A0000", got)
			}
		}
	})
	t.Run("MessageIsUsageLimit", func(t *testing.T) {
		s.sim.SetRateLimit(0.001, 1)
		call()
		_, m := s.get(t, pathBalance, s.balanceQuery(s.fin), s.tok.AccessToken)
		wantRsp(t, m, "O0008", "사용량 한도 초과")
	})
}

func TestTransactionListRejectsParameters(t *testing.T) {
	s := newSession(t, testbed.Config{})
	today := t0.Format("20060102")
	tests := []struct {
		name   string
		change func(q url.Values)
		param  string // the parameter rsp_message must name
	}{
		{"MissingBankTranID", func(q url.Values) { q.Del("bank_tran_id") }, "bank_tran_id"},
		{"MissingFintechUseNum", func(q url.Values) { q.Del("fintech_use_num") }, "fintech_use_num"},
		{"MissingInquiryType", func(q url.Values) { q.Del("inquiry_type") }, "inquiry_type"},
		{"MissingInquiryBase", func(q url.Values) { q.Del("inquiry_base") }, "inquiry_base"},
		{"MissingFromDate", func(q url.Values) { q.Del("from_date") }, "from_date"},
		{"MissingToDate", func(q url.Values) { q.Del("to_date") }, "to_date"},
		{"MissingSortOrder", func(q url.Values) { q.Del("sort_order") }, "sort_order"},
		{"MissingTranDtime", func(q url.Values) { q.Del("tran_dtime") }, "tran_dtime"},
		{"EmptyInquiryType", func(q url.Values) { q.Set("inquiry_type", "") }, "inquiry_type"},
		{"DuplicateFromDate", func(q url.Values) { q.Add("from_date", q.Get("from_date")) }, "from_date"},
		{"DuplicateSortOrder", func(q url.Values) { q.Add("sort_order", "D") }, "sort_order"},
		{"DuplicateTraceInfo", func(q url.Values) {
			q["befor_inquiry_trace_info"] = []string{"D000000001AAAAAAAAAA", "D000000001AAAAAAAAAA"}
		}, "befor_inquiry_trace_info"},
		{"BadInquiryType", func(q url.Values) { q.Set("inquiry_type", "X") }, "inquiry_type"},
		{"LowercaseInquiryType", func(q url.Values) { q.Set("inquiry_type", "a") }, "inquiry_type"},
		{"BadInquiryBase", func(q url.Values) { q.Set("inquiry_base", "Z") }, "inquiry_base"},
		{"BadSortOrder", func(q url.Values) { q.Set("sort_order", "ASC") }, "sort_order"},
		{"BadMonth", func(q url.Values) { q.Set("from_date", "20261301") }, "from_date"},
		{"February30", func(q url.Values) { q.Set("from_date", "20260230") }, "from_date"},
		{"DashedDate", func(q url.Values) { q.Set("to_date", "2026-11-25") }, "to_date"},
		{"ShortDate", func(q url.Values) { q.Set("to_date", "2026112") }, "to_date"},
		{"BadTranDtime", func(q url.Values) { q.Set("tran_dtime", "20261125256000") }, "tran_dtime"},
		{"ShortTranDtime", func(q url.Values) { q.Set("tran_dtime", "202611251000") }, "tran_dtime"},
		{"FromAfterTo", func(q url.Values) { q.Set("from_date", "20261120"); q.Set("to_date", "20261110") }, "from_date"},
		{"RangeOver365Days", func(q url.Values) { q.Set("from_date", "20251124"); q.Set("to_date", today) }, "to_date"},
		{"BankTranIDTooShort", func(q url.Values) { q.Set("bank_tran_id", s.inst.ClientUseCode+"U12345678") }, "bank_tran_id"},
		{"BankTranIDTooLong", func(q url.Values) { q.Set("bank_tran_id", s.inst.ClientUseCode+"U1234567890") }, "bank_tran_id"},
		{"BankTranIDWrongPrefix", func(q url.Values) { q.Set("bank_tran_id", "M209999999U123456789") }, "bank_tran_id"},
		{"BankTranIDNoU", func(q url.Values) { q.Set("bank_tran_id", s.inst.ClientUseCode+"X123456789") }, "bank_tran_id"},
		{"BankTranIDSymbol", func(q url.Values) { q.Set("bank_tran_id", s.inst.ClientUseCode+"Uabcd-fghi") }, "bank_tran_id"},
		{"BankTranIDLowercaseU", func(q url.Values) { q.Set("bank_tran_id", s.inst.ClientUseCode+"uABCDEFGHI") }, "bank_tran_id"},
		{"BankTranIDHangul", func(q url.Values) { q.Set("bank_tran_id", s.inst.ClientUseCode+"U가나다") }, "bank_tran_id"},
		{"FintechUseNumShort", func(q url.Values) { q.Set("fintech_use_num", s.fin[:23]) }, "fintech_use_num"},
		{"FromTimeWithD", func(q url.Values) { q.Set("from_time", "000000") }, "from_time"},
		{"ToTimeWithD", func(q url.Values) { q.Set("to_time", "235959") }, "to_time"},
		{"BadTime", func(q url.Values) {
			q.Set("inquiry_base", "T")
			q.Set("from_time", "246000")
			q.Set("to_time", "235959")
		}, "from_time"},
		{"TimeWindowReversed", func(q url.Values) {
			q.Set("inquiry_base", "T")
			q.Set("from_date", today)
			q.Set("to_date", today)
			q.Set("from_time", "120000")
			q.Set("to_time", "110000")
		}, "from_date"},
		{"BogusTraceInfo", func(q url.Values) { q.Set("befor_inquiry_trace_info", "D000000001ABCDEFABCD") }, "befor_inquiry_trace_info"},
		{"ShortTraceInfo", func(q url.Values) { q.Set("befor_inquiry_trace_info", "1T2026112500025") }, "befor_inquiry_trace_info"},
		{"BadQueryEscape", nil, "query"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := s.txQuery(s.fin)
			raw := ""
			if tt.change != nil {
				tt.change(q)
				raw = q.Encode()
			} else {
				raw = q.Encode() + "&x=%zz"
			}
			req, _ := http.NewRequest(http.MethodGet, s.srv.URL+pathTx+"?"+raw, nil)
			req.Header.Set("Authorization", "Bearer "+s.tok.AccessToken)
			_, _, body := s.do(t, req)
			m := decode(t, body)
			wantRsp(t, m, "A0004", "요청전문 포맷 에러")
			wantRsp(t, m, "A0004", tt.param)
			if _, ok := m["res_list"]; ok {
				t.Error("error answer has a res_list")
			}
		})
	}
}

func TestTraceInfoBoundToRequest(t *testing.T) {
	s := newSession(t, testbed.Config{})
	s.post(t, s.acct.ID, 30, t0.Add(-2*time.Hour), "회비")
	q := s.txQuery(s.fin)
	_, m := s.get(t, pathTx, q, s.tok.AccessToken)
	trace := str(t, m, "befor_inquiry_trace_info")
	if m["next_page_yn"] != "Y" || len(trace) == 0 || len(trace) > 20 {
		t.Fatalf("first page next_page_yn %v, trace %q", m["next_page_yn"], trace)
	}
	tests := []struct {
		name   string
		change func(q url.Values)
		want   string
	}{
		{"SameFilters", func(q url.Values) {}, "A0000"},
		{"OtherSortOrder", func(q url.Values) { q.Set("sort_order", "A") }, "A0004"},
		{"OtherInquiryType", func(q url.Values) { q.Set("inquiry_type", "I") }, "A0004"},
		{"OtherFromDate", func(q url.Values) { q.Set("from_date", t0.AddDate(0, 0, -29).Format("20060102")) }, "A0004"},
		{"OtherAccount", func(q url.Values) { q.Set("fintech_use_num", s.fintech(t, s.acct2.ID)) }, "A0004"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := s.txQuery(s.fin)
			tt.change(next)
			next.Set("befor_inquiry_trace_info", trace)
			_, m := s.get(t, pathTx, next, s.tok.AccessToken)
			wantRsp(t, m, tt.want, "")
		})
	}
}

func TestOtherInquiriesRejectParameters(t *testing.T) {
	s := newSession(t, testbed.Config{})
	tests := []struct {
		name string
		path string
		q    url.Values
		code string
		msg  string
	}{
		{"UserMeMissingUser", pathUserMe, url.Values{}, "A0004", "user_seq_no"},
		{"UserMeMalformedUser", pathUserMe, url.Values{"user_seq_no": {"12345"}}, "A0004", "user_seq_no"},
		{"UserMeDuplicateUser", pathUserMe, url.Values{"user_seq_no": {s.user.UserSeqNo, s.user.UserSeqNo}}, "A0004", "user_seq_no"},
		{"UserMeOtherUser", pathUserMe, url.Values{"user_seq_no": {s.other.UserSeqNo}}, "O0004", "API 접근권한이 없음"},
		{"ListOtherUser", pathList, url.Values{"user_seq_no": {s.other.UserSeqNo}, "include_cancel_yn": {"N"}, "sort_order": {"D"}}, "O0004", ""},
		{"ListBadCancelYN", pathList, url.Values{"user_seq_no": {s.user.UserSeqNo}, "include_cancel_yn": {"X"}, "sort_order": {"D"}}, "A0004", "include_cancel_yn"},
		{"ListMissingSortOrder", pathList, url.Values{"user_seq_no": {s.user.UserSeqNo}, "include_cancel_yn": {"N"}}, "A0004", "sort_order"},
		{"ListBadSortOrder", pathList, url.Values{"user_seq_no": {s.user.UserSeqNo}, "include_cancel_yn": {"N"}, "sort_order": {"X"}}, "A0004", "sort_order"},
		{"BalanceMissingFintech", pathBalance, url.Values{"bank_tran_id": {s.tranID()}, "tran_dtime": {"20261125100000"}}, "A0004", "fintech_use_num"},
		{"BalanceMalformedFintech", pathBalance, url.Values{"bank_tran_id": {s.tranID()}, "fintech_use_num": {"12345"}, "tran_dtime": {"20261125100000"}}, "A0004", "fintech_use_num"},
		{"BalanceMissingTranDtime", pathBalance, url.Values{"bank_tran_id": {s.tranID()}, "fintech_use_num": {s.fin}}, "A0004", "tran_dtime"},
		{"BalanceBadTranID", pathBalance, url.Values{"bank_tran_id": {"M202699999U123456789"}, "fintech_use_num": {s.fin}, "tran_dtime": {"20261125100000"}}, "A0004", "bank_tran_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, m := s.get(t, tt.path, tt.q, s.tok.AccessToken)
			wantRsp(t, m, tt.code, tt.msg)
		})
	}
}

func TestDuplicateBankTranID(t *testing.T) {
	s := newSession(t, testbed.Config{})
	id := s.tranID()
	q := s.balanceQuery(s.fin)
	q.Set("bank_tran_id", id)
	steps := []struct {
		name   string
		before func()
		path   string
		q      url.Values
		want   string
	}{
		{"RejectedFormatDoesNotRecord", nil, pathTx, func() url.Values {
			tq := s.txQuery(s.fin)
			tq.Set("bank_tran_id", id)
			tq.Set("inquiry_type", "X")
			return tq
		}(), "A0004"},
		{"FirstUse", nil, pathBalance, q, "A0000"},
		{"SameDayAgain", nil, pathBalance, q, "A0008"},
		{"SameDayOtherAPI", nil, pathTx, func() url.Values {
			tq := s.txQuery(s.fin)
			tq.Set("bank_tran_id", id)
			return tq
		}(), "A0008"},
		{"LaterSameDay", func() { s.clock.Set(time.Date(2026, 11, 25, 23, 40, 0, 0, kst)) }, pathBalance, q, "A0008"},
		{"NextKSTDay", func() { s.clock.Set(time.Date(2026, 11, 26, 0, 30, 0, 0, kst)) }, pathBalance, q, "A0000"},
		{"NextDayAgain", nil, pathBalance, q, "A0008"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.before != nil {
				st.before()
			}
			_, m := s.get(t, st.path, st.q, s.tok.AccessToken)
			wantRsp(t, m, st.want, "")
			if st.want == "A0008" {
				wantRsp(t, m, "A0008", "중복거래")
				if m["bank_tran_id"] != id {
					t.Errorf("bank_tran_id = %v, want the echo %s", m["bank_tran_id"], id)
				}
			}
		})
	}
	t.Run("OtherInstitutionMayUseSameSuffix", func(t *testing.T) {
		// ids are per institution; a different prefix is a different id,
		// and this one is simply not ours.
		q := s.balanceQuery(s.fin)
		q.Set("bank_tran_id", "M209999999"+id[10:])
		_, m := s.get(t, pathBalance, q, s.tok.AccessToken)
		wantRsp(t, m, "A0004", "bank_tran_id")
	})
}

// TestBankTranIDAlphanumeric checks that the 9 characters after the U may be
// any alphanumerics (§3), in either case, and that ids are compared exactly.
func TestBankTranIDAlphanumeric(t *testing.T) {
	s := newSession(t, testbed.Config{})
	tests := []struct {
		name   string
		path   string
		suffix string
		want   string
	}{
		{"Lowercase", pathBalance, "Uabcdefghi", "A0000"},
		{"MixedCase", pathTx, "UaB3dE5gH7", "A0000"},
		{"UpperCaseIsAnotherID", pathBalance, "UABCDEFGHI", "A0000"},
		{"LowercaseReused", pathTx, "Uabcdefghi", "A0008"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := s.balanceQuery(s.fin)
			if tt.path == pathTx {
				q = s.txQuery(s.fin)
			}
			q.Set("bank_tran_id", s.inst.ClientUseCode+tt.suffix)
			_, m := s.get(t, tt.path, q, s.tok.AccessToken)
			wantRsp(t, m, tt.want, "")
			if got := m["bank_tran_id"]; got != q.Get("bank_tran_id") {
				t.Errorf("bank_tran_id = %v, want the echo %s", got, q.Get("bank_tran_id"))
			}
		})
	}
}

func TestForeignFintechUseNum(t *testing.T) {
	s := newSession(t, testbed.Config{})
	// The other user registers an account for the same institution.
	loc := s.consent(t, s.authorizeValues(), s.other.UserSeqNo, "agree", s.oacct.ID)
	if loc.Query().Get("code") == "" {
		t.Fatalf("consent of the other user: %s", loc)
	}
	// The user registers the same account for another institution.
	inst2, err := s.sim.AddInstitution(testbed.Institution{Name: "다른앱", RedirectURIs: []string{redirectURI}})
	if err != nil {
		t.Fatal(err)
	}
	q2 := s.authorizeValues()
	q2.Set("client_id", inst2.ClientID)
	s.consent(t, q2, s.user.UserSeqNo, "agree", s.acct.ID)
	var otherInstFin string
	for _, r := range s.sim.Registrations() {
		if r.ClientID == inst2.ClientID {
			otherInstFin = r.FintechUseNum
		}
	}
	if otherInstFin == s.fin || otherInstFin == "" {
		t.Fatalf("fintech_use_num for another institution = %q, want a different one than %s", otherInstFin, s.fin)
	}
	cancelled := s.fintech(t, s.acct2.ID)
	if err := s.sim.CancelRegistration(cancelled); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		fin  string
	}{
		{"OtherUsersAccount", s.fintech(t, s.oacct.ID)},
		{"OtherInstitutionsNumber", otherInstFin},
		{"NeverIssued", "090202600001999999999999"},
		{"CancelledRegistration", cancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range []string{pathBalance, pathTx} {
				q := s.balanceQuery(tt.fin)
				if path == pathTx {
					q = s.txQuery(tt.fin)
				}
				_, m := s.get(t, path, q, s.tok.AccessToken)
				wantRsp(t, m, "A0304", "핀테크이용번호 정보 불일치")
			}
		})
	}
	t.Run("OwnAccountWorks", func(t *testing.T) {
		_, m := s.get(t, pathBalance, s.balanceQuery(s.fin), s.tok.AccessToken)
		wantRsp(t, m, "A0000", "")
	})
}

func TestMaintenanceWindow(t *testing.T) {
	s := newSession(t, testbed.Config{})
	day := time.Date(2026, 11, 25, 0, 0, 0, 0, kst)
	tests := []struct {
		name string
		at   time.Time
		in   bool
	}{
		{"Before2349_59", day.Add(23*time.Hour + 49*time.Minute + 59*time.Second), false},
		{"Start2350_00", day.Add(23*time.Hour + 50*time.Minute), true},
		{"Midnight", day.Add(24 * time.Hour), true},
		{"End0009_59", day.Add(24*time.Hour + 9*time.Minute + 59*time.Second), true},
		{"After0010_00", day.Add(24*time.Hour + 10*time.Minute), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.clock.Set(tt.at)
			for _, path := range []string{pathBalance, pathTx} {
				q := s.balanceQuery(s.fin)
				if path == pathTx {
					q = s.txQuery(s.fin)
				}
				_, m := s.get(t, path, q, s.tok.AccessToken)
				if !tt.in {
					wantRsp(t, m, "A0000", "")
					continue
				}
				wantRsp(t, m, "A0002", "참가기관 에러")
				for k, want := range map[string]string{"bank_rsp_code": "551", "bank_rsp_message": "은행 점검시간", "bank_code_tran": "097"} {
					if got := m[k]; got != want {
						t.Errorf("%s: %s = %v, want %s", path, k, got, want)
					}
				}
			}
			// user/me and account/list are not relayed to a bank.
			_, m := s.get(t, pathUserMe, url.Values{"user_seq_no": {s.user.UserSeqNo}}, s.tok.AccessToken)
			wantRsp(t, m, "A0000", "")
		})
	}
	t.Run("Disabled", func(t *testing.T) {
		s.clock.Set(day.Add(23*time.Hour + 55*time.Minute))
		s.sim.SetMaintenance(false)
		defer s.sim.SetMaintenance(true)
		_, m := s.get(t, pathBalance, s.balanceQuery(s.fin), s.tok.AccessToken)
		wantRsp(t, m, "A0000", "")
	})
	t.Run("ConfigNoMaintenance", func(t *testing.T) {
		s2 := newSession(t, testbed.Config{NoMaintenance: true})
		s2.clock.Set(day.Add(23*time.Hour + 55*time.Minute))
		_, m := s2.get(t, pathBalance, s2.balanceQuery(s2.fin), s2.tok.AccessToken)
		wantRsp(t, m, "A0000", "")
	})
}

var (
	reDtm  = regexp.MustCompile(`^[0-9]{17}$`)
	reMask = regexp.MustCompile(`^[0-9*-]+$`)
)

func TestInquirySuccessBodies(t *testing.T) {
	s := newSession(t, testbed.Config{})
	if _, err := s.sim.Post(s.acct.ID, testbed.Posting{InoutType: "출금", PrintContent: "모임식대", Amount: 130000, At: t0.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	t.Run("Balance", func(t *testing.T) {
		q := s.balanceQuery(s.fin)
		_, m := s.get(t, pathBalance, q, s.tok.AccessToken)
		wantRsp(t, m, "A0000", "")
		want := map[string]any{
			"rsp_message": "", "bank_tran_id": q.Get("bank_tran_id"), "bank_tran_date": "20261125",
			"bank_code_tran": "097", "bank_rsp_code": "000", "bank_rsp_message": "",
			"bank_name": "카카오뱅크", "savings_bank_name": "", "fintech_use_num": s.fin,
			"balance_amt": "-30000", "available_amt": "0", "account_type": "1", "product_name": "입출금통장",
			"account_issue_date": "20261125", "maturity_date": "", "last_tran_date": "20261125",
		}
		for k, v := range want {
			if m[k] != v {
				t.Errorf("%s = %#v, want %#v", k, m[k], v)
			}
		}
		if !reUUID.MatchString(str(t, m, "api_tran_id")) || !reDtm.MatchString(str(t, m, "api_tran_dtm")) {
			t.Errorf("api_tran_id, api_tran_dtm = %v, %v", m["api_tran_id"], m["api_tran_dtm"])
		}
		if got := m["api_tran_dtm"]; got != "20261125100000000" {
			t.Errorf("api_tran_dtm = %v, want 20261125100000000", got)
		}
	})
	t.Run("UserMe", func(t *testing.T) {
		_, m := s.get(t, pathUserMe, url.Values{"user_seq_no": {s.user.UserSeqNo}}, s.tok.AccessToken)
		wantRsp(t, m, "A0000", "")
		if m["user_seq_no"] != s.user.UserSeqNo || m["user_name"] != "김총무" || m["user_ci"] != s.user.CI || m["res_cnt"] != "2" {
			t.Errorf("user/me = %v", m)
		}
		for _, r := range rows(t, m) {
			if _, ok := r["payer_num"]; !ok {
				t.Errorf("user/me account lacks payer_num: %v", r)
			}
		}
	})
	t.Run("AccountList", func(t *testing.T) {
		_, m := s.get(t, pathList, url.Values{"user_seq_no": {s.user.UserSeqNo}, "include_cancel_yn": {"N"}, "sort_order": {"D"}}, s.tok.AccessToken)
		wantRsp(t, m, "A0000", "")
		if m["user_name"] != "김총무" || m["res_cnt"] != "2" {
			t.Errorf("account/list header = %v", m)
		}
		keys := []string{"fintech_use_num", "account_alias", "bank_code_std", "bank_code_sub", "bank_name",
			"savings_bank_name", "account_num_masked", "account_seq", "account_holder_name", "account_holder_type",
			"account_type", "inquiry_agree_yn", "inquiry_agree_dtime", "transfer_agree_yn", "transfer_agree_dtime", "account_state"}
		var found bool
		for _, r := range rows(t, m) {
			for _, k := range keys {
				if _, ok := r[k].(string); !ok {
					t.Errorf("account lacks string %s: %v", k, r)
				}
			}
			if len(r["bank_code_sub"].(string)) != 7 || !reMask.MatchString(r["account_num_masked"].(string)) {
				t.Errorf("bank_code_sub, account_num_masked = %v, %v", r["bank_code_sub"], r["account_num_masked"])
			}
			if r["fintech_use_num"] == s.fin {
				found = true
				want := map[string]string{"account_alias": "독서모임 모임통장", "bank_code_std": "090", "bank_name": "카카오뱅크",
					"account_num_masked": "3333-01-2345***", "account_holder_name": "김총무", "account_holder_type": "P",
					"account_type": "1", "inquiry_agree_yn": "Y", "inquiry_agree_dtime": "20261125100000",
					"transfer_agree_yn": "N", "account_state": "01"}
				for k, v := range want {
					if r[k] != v {
						t.Errorf("%s = %v, want %s", k, r[k], v)
					}
				}
			}
		}
		if !found {
			t.Errorf("account list lacks %s", s.fin)
		}
	})
	t.Run("AccountListCancelled", func(t *testing.T) {
		cancelled := s.fintech(t, s.acct2.ID)
		if err := s.sim.CancelRegistration(cancelled); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			yn    string
			count int
		}{{"N", 1}, {"Y", 2}} {
			_, m := s.get(t, pathList, url.Values{"user_seq_no": {s.user.UserSeqNo}, "include_cancel_yn": {tt.yn}, "sort_order": {"A"}}, s.tok.AccessToken)
			list := rows(t, m)
			if len(list) != tt.count {
				t.Errorf("include_cancel_yn=%s: %d accounts, want %d", tt.yn, len(list), tt.count)
			}
			for _, r := range list {
				if r["fintech_use_num"] == cancelled && r["account_state"] != "09" {
					t.Errorf("cancelled account_state = %v, want 09", r["account_state"])
				}
			}
		}
	})
}
