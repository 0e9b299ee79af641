package testbed_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moimbot/moimbot/openbanking/testbed"
)

var reAnyRspCode = regexp.MustCompile(`^[AO][0-9]{4}$`)

// checkJSONAnswer checks that an answer is HTTP 200 JSON with a
// well-formed rsp_code and rsp_message (or, for a token success, an
// access_token), and returns the decoded body.
func checkJSONAnswer(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=UTF-8" {
		t.Fatalf("Content-Type = %q", ct)
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, rec.Body)
	}
	if _, ok := m["access_token"]; ok {
		return m
	}
	code, _ := m["rsp_code"].(string)
	if !reAnyRspCode.MatchString(code) {
		t.Fatalf("rsp_code = %#v, want a response code; body %s", m["rsp_code"], rec.Body)
	}
	if _, ok := m["rsp_message"].(string); !ok {
		t.Fatalf("rsp_message = %#v, want a string", m["rsp_message"])
	}
	return m
}

func FuzzTransactionListQuery(f *testing.F) {
	s := newSession(f, testbed.Config{})
	s.post(f, s.acct.ID, 30, t0.Add(-5*time.Hour), "회비")
	var n atomic.Int64
	valid := s.txQuery(s.fin)
	valid.Set("bank_tran_id", "BTID")
	seed := func(change func(q url.Values)) string {
		q := url.Values{}
		for k, v := range valid {
			q[k] = append([]string(nil), v...)
		}
		change(q)
		return q.Encode()
	}
	f.Add(seed(func(url.Values) {}))
	f.Add(seed(func(q url.Values) { q.Set("sort_order", "A"); q.Set("inquiry_type", "I") }))
	f.Add(seed(func(q url.Values) {
		q.Set("inquiry_base", "T")
		q.Set("from_time", "090000")
		q.Set("to_time", "235959")
	}))
	f.Add(seed(func(q url.Values) { q.Set("befor_inquiry_trace_info", "D000000010ABCDEF0123") }))
	f.Add(seed(func(q url.Values) { q.Set("from_date", "20251124") }))
	f.Add(seed(func(q url.Values) { q.Add("to_date", "20261125") }))
	f.Add("bank_tran_id=%zz&fintech_use_num=" + s.fin)
	f.Add("")
	f.Add(";;&&==")
	f.Fuzz(func(t *testing.T, rawQuery string) {
		// BTID stands for a fresh bank_tran_id, so the fuzzer can reach
		// past the duplicate check.
		id := fmt.Sprintf("%sU%09d", s.inst.ClientUseCode, 500000000+n.Add(1))
		rawQuery = strings.Replace(rawQuery, "BTID", id, 1)
		req := httptest.NewRequest(http.MethodGet, "/v2.0/account/transaction_list/fin_num", nil)
		req.URL.RawQuery = rawQuery
		req.Header.Set("Authorization", "Bearer "+s.tok.AccessToken)
		rec := httptest.NewRecorder()
		s.sim.ServeHTTP(rec, req)
		m := checkJSONAnswer(t, rec)
		switch m["rsp_code"] {
		case "A0000":
			list, ok := m["res_list"].([]any)
			if !ok || len(list) > 25 {
				t.Fatalf("success res_list = %#v, want an array of at most 25", m["res_list"])
			}
			if trace, _ := m["befor_inquiry_trace_info"].(string); len(trace) > 20 {
				t.Fatalf("trace info %q longer than 20", trace)
			}
		case "A0004":
			if msg := m["rsp_message"].(string); !strings.HasPrefix(msg, "요청전문 포맷 에러(") {
				t.Fatalf("A0004 rsp_message = %q, want it to name the parameter", msg)
			}
		case "A0008", "A0304":
		default:
			t.Fatalf("unexpected rsp_code %v for %q", m["rsp_code"], rawQuery)
		}
	})
}

func FuzzTokenForm(f *testing.F) {
	s := newSession(f, testbed.Config{})
	inst, err := s.sim.AddInstitution(testbed.Institution{Name: "퍼즈", ClientID: "fuzz-client",
		ClientSecret: "fuzz-secret", ClientUseCode: "M202699999", RedirectURIs: []string{redirectURI}})
	if err != nil {
		f.Fatal(err)
	}
	// CODE and REFRESH stand for a fresh authorization code and refresh
	// token of the fuzz client.
	freshCode := func(t testing.TB) string {
		q := s.authorizeValues()
		q.Set("client_id", inst.ClientID)
		q.Set("user_seq_no", s.user.UserSeqNo)
		q.Set("consent", "agree")
		q.Set("account", s.acct.ID)
		req := httptest.NewRequest(http.MethodPost, "/oauth/2.0/authorize", strings.NewReader(q.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		s.sim.ServeHTTP(rec, req)
		loc, err := url.Parse(rec.Header().Get("Location"))
		if err != nil || loc.Query().Get("code") == "" {
			t.Fatalf("consent: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		return loc.Query().Get("code")
	}
	post := func(body, contentType string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/oauth/2.0/token", strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		s.sim.ServeHTTP(rec, req)
		return rec
	}
	freshRefresh := func(t *testing.T) string {
		rec := post(url.Values{"grant_type": {"authorization_code"}, "code": {freshCode(t)}, "client_id": {inst.ClientID},
			"client_secret": {inst.ClientSecret}, "redirect_uri": {redirectURI}}.Encode(), "application/x-www-form-urlencoded")
		return checkJSONAnswer(t, rec)["refresh_token"].(string)
	}
	const form = "application/x-www-form-urlencoded; charset=UTF-8"
	f.Add("grant_type=client_credentials&client_id=fuzz-client&client_secret=fuzz-secret&scope=oob", form)
	f.Add("grant_type=authorization_code&code=CODE&client_id=fuzz-client&client_secret=fuzz-secret&redirect_uri="+url.QueryEscape(redirectURI), form)
	f.Add("grant_type=refresh_token&refresh_token=REFRESH&client_id=fuzz-client&client_secret=fuzz-secret&scope=inquiry+login", form)
	f.Add("grant_type=refresh_token&refresh_token=REFRESH&client_id=fuzz-client&client_secret=fuzz-secret&scope=transfer", form)
	f.Add("grant_type=client_credentials&grant_type=client_credentials", form)
	f.Add("grant_type=%zz", form)
	f.Add(`{"grant_type":"client_credentials"}`, "application/json")
	f.Add("", "")
	f.Add("a=b", "multipart/form-data; boundary=x")
	f.Fuzz(func(t *testing.T, body, contentType string) {
		// Only a body that asks for one gets a fresh code or token:
		// making one changes the simulator.
		//lint:ignore S1017 freshCode and freshRefresh have side effects
		if strings.Contains(body, "CODE") {
			body = strings.Replace(body, "CODE", freshCode(t), 1)
		}
		//lint:ignore S1017 freshCode and freshRefresh have side effects
		if strings.Contains(body, "REFRESH") {
			body = strings.Replace(body, "REFRESH", freshRefresh(t), 1)
		}
		m := checkJSONAnswer(t, post(body, contentType))
		if tok, ok := m["access_token"]; ok {
			if s, _ := tok.(string); s == "" || m["token_type"] != "Bearer" {
				t.Fatalf("success body %v", m)
			}
			if _, ok := m["expires_in"].(json.Number); !ok {
				t.Fatalf("expires_in = %#v, want a number", m["expires_in"])
			}
			return
		}
		switch code := m["rsp_code"]; code {
		case "O0001":
			if !regexp.MustCompile(`^인증 파라미터 오류\(\[[0-9]+\]\)$`).MatchString(m["rsp_message"].(string)) {
				t.Fatalf("O0001 rsp_message = %q", m["rsp_message"])
			}
		case "O0002", "O0003":
		default:
			t.Fatalf("unexpected rsp_code %v", code)
		}
	})
}
