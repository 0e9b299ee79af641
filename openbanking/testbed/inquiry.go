package testbed

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// bankCodeTran is the bank_code_tran of every bank-relayed answer: the
// testbed's 오픈은행.
const bankCodeTran = "097"

// inquiry returns the handler of an inquiry API.
func (s *Server) inquiry(api string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { s.serveInquiry(api, w, r) }
}

// isBankAPI reports whether api is relayed to a bank and so carries the
// common bank header.
func isBankAPI(api string) bool {
	return api == APIBalance || api == APITransactionList
}

// caller is what the access token says about the caller, and what the
// gateway has already done with the request.
type caller struct {
	clientID  string
	useCode   string
	userSeqNo string
	// spent is set when the request's bank_tran_id was recorded before the
	// parameters were read (an injected fault took the call); it tells
	// whether the id was new then.
	spent *bool
}

// serveInquiry runs the gateway's checks in the contract's order: method,
// bearer header, token, expiry, scope, rate limit, injected fault, and then
// the API itself.
func (s *Server) serveInquiry(api string, w http.ResponseWriter, r *http.Request) {
	s.countAPI(api)
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusOK, rspObject("O0010", rspMessage("O0010")))
		return
	}
	raw, ok := bearerToken(r)
	if !ok {
		writeJSON(w, http.StatusOK, rspObject("O0001", oauthMessage(detailNoBearer)))
		return
	}
	s.mu.Lock()
	rec, code := s.checkAccess(raw, s.clock.Now())
	var c caller
	if rec != nil {
		s.st.countClient(rec.clientID, api)
		c = caller{clientID: rec.clientID, userSeqNo: rec.userSeqNo}
		if inst := s.st.institutions[rec.clientID]; inst != nil {
			c.useCode = inst.ClientUseCode
		}
	}
	if code == "" && !scopeAllows(api, rec.scopes) {
		code = "O0011"
	}
	if code == "" && !s.st.allow(c.clientID, s.wallNow()) {
		code = "O0008"
	}
	var f *Fault
	if code == "" {
		f = s.st.takeFault(api)
	}
	// The request is authenticated: from here on the bank has it. A faulted
	// call has used its bank_tran_id up whether the fault answers, drops
	// the connection or delays past the client's patience, as a real lost
	// answer would (a retry must carry a new one). An injected O code
	// stands for a request the gateway turned away before any bank saw it.
	if f != nil && isBankAPI(api) && !isGatewayCode(f.RspCode) {
		c.spent = s.st.spendTranID(c, r.URL.Query(), s.clock.Now())
	}
	s.mu.Unlock()
	if code != "" {
		writeJSON(w, http.StatusOK, rspObject(code, rspMessage(code)))
		return
	}
	faultBody := func(rspCode, bankRspCode string) *object {
		now := s.clock.Now()
		if gatewayOnlyCode(rspCode) {
			// The token stage's codes carry nothing but the code and
			// message, as the simulator's own answers with them do.
			return rspObject(rspCode, rspMessage(rspCode))
		}
		if !isBankAPI(api) {
			return gatewayHeader(rspCode, rspMessage(rspCode), now)
		}
		tranID, _ := single(r.URL.Query(), "bank_tran_id")
		return bankHeader(rspCode, rspMessage(rspCode), tranID, now, bankRspCode)
	}
	if applyFault(w, r, f, faultBody) {
		return
	}
	s.mu.Lock()
	body := s.answerInquiry(api, c, r.URL.RawQuery, s.clock.Now())
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

// bearerToken returns the token of a single "Authorization: Bearer" header.
func bearerToken(r *http.Request) (string, bool) {
	vals := r.Header.Values("Authorization")
	if len(vals) != 1 {
		return "", false
	}
	scheme, tok, ok := strings.Cut(strings.TrimSpace(vals[0]), " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", false
	}
	return tok, true
}

// scopeAllows reports whether a token with scopes may call api: balance
// and transaction_list need inquiry, user/me and account/list login or
// inquiry. An institution (oob) token may call none of them.
func scopeAllows(api string, scopes []string) bool {
	if isBankAPI(api) {
		return slices.Contains(scopes, "inquiry")
	}
	return slices.Contains(scopes, "inquiry") || slices.Contains(scopes, "login")
}

// gatewayHeader starts an answer of the gateway itself.
func gatewayHeader(rspCode, rspMsg string, now time.Time) *object {
	return new(object).
		set("api_tran_id", newUUID()).
		set("api_tran_dtm", apiTranDtm(now)).
		set("rsp_code", rspCode).
		set("rsp_message", rspMsg)
}

// bankHeader starts a bank-relayed answer with the common header. An empty
// bankRspCode means the request never reached the bank: the bank fields
// are then empty.
func bankHeader(rspCode, rspMsg, bankTranID string, now time.Time, bankRspCode string) *object {
	o := gatewayHeader(rspCode, rspMsg, now).set("bank_tran_id", bankTranID)
	if bankRspCode == "" {
		return o.set("bank_tran_date", "").
			set("bank_code_tran", "").
			set("bank_rsp_code", "").
			set("bank_rsp_message", "")
	}
	return o.set("bank_tran_date", kstDay(now)).
		set("bank_code_tran", bankCodeTran).
		set("bank_rsp_code", bankRspCode).
		set("bank_rsp_message", bankRspMessage(bankRspCode))
}

// answerInquiry validates the parameters and answers the API. The caller
// holds s.mu.
func (s *Server) answerInquiry(api string, c caller, rawQuery string, now time.Time) *object {
	v, err := url.ParseQuery(rawQuery)
	q := &query{v: v}
	if err != nil {
		q.fail("query", "쿼리 문자열을 해석할 수 없음")
	}
	switch api {
	case APIUserMe:
		return s.userMe(c, q, now)
	case APIAccountList:
		return s.accountList(c, q, now)
	case APIBalance:
		return s.balance(c, q, now)
	default:
		return s.transactionList(c, q, now)
	}
}

// gatewayError answers a parameter or authorisation error found by the
// gateway.
func gatewayError(api, code, msg string, q *query, now time.Time) *object {
	if !isBankAPI(api) {
		return gatewayHeader(code, msg, now)
	}
	tranID := ""
	if vals := q.v["bank_tran_id"]; len(vals) > 0 {
		tranID = vals[0]
	}
	return bankHeader(code, msg, tranID, now, "")
}

// checkUser validates user_seq_no against the token's user: a malformed
// value is A0004, another user's is O0004. It returns nil when fine.
func checkUser(api string, c caller, q *query, now time.Time) *object {
	seq := q.req("user_seq_no")
	q.match("user_seq_no", seq, reDigits10, "10자리 숫자가 아님")
	if q.err == nil && seq != c.userSeqNo {
		return gatewayError(api, "O0004", rspMessage("O0004"), q, now)
	}
	return nil
}

// userMe answers GET /v2.0/user/me.
func (s *Server) userMe(c caller, q *query, now time.Time) *object {
	if o := checkUser(APIUserMe, c, q, now); o != nil {
		return o
	}
	if q.err != nil {
		return gatewayError(APIUserMe, "A0004", q.err.message(), q, now)
	}
	u := s.st.users[c.userSeqNo]
	regs := s.userRegistrations(c, false)
	slices.SortFunc(regs, func(a, b *Registration) int { return cmp.Compare(a.FintechUseNum, b.FintechUseNum) })
	list := make([]any, 0, len(regs))
	for _, r := range regs {
		list = append(list, s.accountItem(r, true))
	}
	o := gatewayHeader("A0000", "", now).
		set("user_seq_no", u.UserSeqNo).
		set("user_ci", u.CI).
		set("user_name", u.Name).
		set("res_cnt", formatAmount(int64(len(list)), s.st.quirks.NumericAmounts)).
		set("res_list", list)
	return s.oddKeys(o)
}

// accountList answers GET /v2.0/account/list.
func (s *Server) accountList(c caller, q *query, now time.Time) *object {
	if o := checkUser(APIAccountList, c, q, now); o != nil {
		return o
	}
	cancel := q.req("include_cancel_yn")
	q.oneOf("include_cancel_yn", cancel, "Y", "N")
	order := q.req("sort_order")
	q.oneOf("sort_order", order, "D", "A")
	if q.err != nil {
		return gatewayError(APIAccountList, "A0004", q.err.message(), q, now)
	}
	regs := s.userRegistrations(c, cancel == "Y")
	slices.SortFunc(regs, func(a, b *Registration) int {
		d := a.InquiryAgreedAt.Compare(b.InquiryAgreedAt)
		if d == 0 {
			d = cmp.Compare(a.FintechUseNum, b.FintechUseNum)
		}
		if order == "D" {
			d = -d
		}
		return d
	})
	list := make([]any, 0, len(regs))
	for _, r := range regs {
		list = append(list, s.accountItem(r, false))
	}
	o := gatewayHeader("A0000", "", now).
		set("user_name", s.st.users[c.userSeqNo].Name).
		set("res_cnt", formatAmount(int64(len(list)), s.st.quirks.NumericAmounts)).
		set("res_list", list)
	return s.oddKeys(o)
}

// userRegistrations returns the caller's registrations for the caller's
// institution. The caller holds s.mu.
func (s *Server) userRegistrations(c caller, includeCancelled bool) []*Registration {
	var out []*Registration
	for _, r := range s.st.regsByNum {
		if r.ClientID == c.clientID && r.UserSeqNo == c.userSeqNo && (includeCancelled || !r.Cancelled) {
			out = append(out, r)
		}
	}
	return out
}

// accountItem renders one res_list entry of user/me (withPayer) or
// account/list.
func (s *Server) accountItem(r *Registration, withPayer bool) *object {
	a := s.st.accounts[r.AccountID]
	state := "01"
	if r.Cancelled {
		state = "09"
	}
	transferYN, transferAt := "N", ""
	if r.TransferAgreed {
		transferYN, transferAt = "Y", r.TransferAgreedAt.In(kst).Format(layoutDateTime)
	}
	o := new(object).
		set("fintech_use_num", r.FintechUseNum).
		set("account_alias", a.Alias).
		set("bank_code_std", a.BankCodeStd).
		set("bank_code_sub", a.BankCodeStd+"0001").
		set("bank_name", a.BankName).
		set("savings_bank_name", "").
		set("account_num_masked", maskAccountNum(a.AccountNum)).
		set("account_seq", "").
		set("account_holder_name", a.HolderName).
		set("account_holder_type", "P").
		set("account_type", a.AccountType).
		set("inquiry_agree_yn", "Y").
		set("inquiry_agree_dtime", r.InquiryAgreedAt.In(kst).Format(layoutDateTime)).
		set("transfer_agree_yn", transferYN).
		set("transfer_agree_dtime", transferAt).
		set("account_state", state)
	if withPayer {
		o.set("payer_num", "")
	}
	return s.oddRowKeys(o, "account_alias ", a.Alias)
}

// oddKeys adds the unknown extra key of Quirks.OddKeys.
func (s *Server) oddKeys(o *object) *object {
	if s.st.quirks.OddKeys {
		o.set("testbed_unknown_key", "clients must ignore this")
	}
	return o
}

// oddRowKeys adds to a res_list row, with Quirks.OddKeys, an unknown key
// whose value is an object and the key spaced (one of the row's own keys
// with a trailing space) with the row's value val.
func (s *Server) oddRowKeys(o *object, spaced, val string) *object {
	if s.st.quirks.OddKeys {
		o.set("testbed_unknown_row_key", map[string]any{"note": "clients must ignore this", "list": []int{1, 2}}).
			set(spaced, val)
	}
	return o
}

// checkTranID validates a bank_tran_id against the caller's institution:
// client_use_code (10) + "U" + 9 letters (either case) or digits.
func checkTranID(c caller, q *query, id string) {
	if id == "" {
		return
	}
	switch {
	case len(id) != 20:
		q.fail("bank_tran_id", "20자리가 아님")
	case id[:10] != c.useCode:
		q.fail("bank_tran_id", "이용기관코드가 일치하지 않음")
	case !reTranIDSuffix.MatchString(id[10:]):
		q.fail("bank_tran_id", "형식은 이용기관코드+U+영숫자 9자리")
	}
}

// spendTranID records the request's bank_tran_id for the caller's
// institution, when it is a single, well-formed one, as a bank does with
// every request it receives. It reports whether the id was new, or nil when
// there was none to record. The caller holds s.mu.
func (st *state) spendTranID(c caller, v url.Values, now time.Time) *bool {
	id, dup := single(v, "bank_tran_id")
	if dup || id == "" {
		return nil
	}
	q := &query{v: v}
	if checkTranID(c, q, id); q.err != nil {
		return nil
	}
	fresh := st.useTranID(c.clientID, id, now)
	return &fresh
}

// bankRequest finishes the checks shared by balance and transaction_list
// after format validation: a duplicate bank_tran_id (A0008), ownership of
// the fintech_use_num (A0304) and the maintenance window (A0002). It
// returns the account, or the error answer.
func (s *Server) bankRequest(api string, c caller, q *query, tranID, fin string, now time.Time) (*account, *Registration, *object) {
	if q.err != nil {
		return nil, nil, gatewayError(api, "A0004", q.err.message(), q, now)
	}
	fresh := c.spent != nil && *c.spent
	if c.spent == nil {
		fresh = s.st.useTranID(c.clientID, tranID, now)
	}
	if !fresh {
		return nil, nil, gatewayError(api, "A0008", rspMessage("A0008"), q, now)
	}
	r := s.st.regsByNum[fin]
	if r == nil || r.Cancelled || r.ClientID != c.clientID || r.UserSeqNo != c.userSeqNo {
		return nil, nil, gatewayError(api, "A0304", rspMessage("A0304"), q, now)
	}
	if s.st.maintenance && inMaintenance(now) {
		return nil, nil, bankHeader("A0002", rspMessage("A0002"), tranID, now, "551")
	}
	return s.st.accounts[r.AccountID], r, nil
}

// balance answers GET /v2.0/account/balance/fin_num.
func (s *Server) balance(c caller, q *query, now time.Time) *object {
	tranID := q.req("bank_tran_id")
	checkTranID(c, q, tranID)
	fin := q.req("fintech_use_num")
	q.match("fintech_use_num", fin, reDigits24, "24자리 숫자가 아님")
	q.dateTime("tran_dtime", q.req("tran_dtime"))
	a, r, errBody := s.bankRequest(APIBalance, c, q, tranID, fin, now)
	if errBody != nil {
		return errBody
	}
	numeric := s.st.quirks.NumericAmounts
	bal := a.balance()
	issued := a.created
	lastTran := ""
	if n := len(a.txns); n > 0 {
		if a.txns[0].At.Before(issued) {
			issued = a.txns[0].At
		}
		lastTran = kstDay(a.txns[n-1].At)
	}
	o := bankHeader("A0000", "", tranID, now, "000").
		set("bank_name", a.BankName).
		set("savings_bank_name", "").
		set("fintech_use_num", r.FintechUseNum).
		set("balance_amt", formatAmount(bal, numeric)).
		set("available_amt", formatAmount(max(bal, 0), numeric)).
		set("account_type", a.AccountType).
		set("product_name", a.ProductName).
		set("account_issue_date", kstDay(issued)).
		set("maturity_date", "").
		set("last_tran_date", lastTran)
	return s.oddKeys(o)
}
