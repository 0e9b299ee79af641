package testbed_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/moimbot/moimbot/openbanking/testbed"
)

// admin calls the admin API and decodes the JSON answer (nil for none).
func (f *fixture) admin(t testing.TB, method, path, body string) (int, any) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	status, _, raw := f.do(t, req)
	if len(bytes.TrimSpace(raw)) == 0 {
		return status, nil
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return status, string(raw)
	}
	return status, v
}

// adminCase is one admin API call and the status it must get.
type adminCase struct {
	name   string
	method string
	path   string
	body   string
	status int
}

// runAdminCases runs the cases in order; a 4xx answer must carry an error.
func runAdminCases(t *testing.T, f *fixture, cases []adminCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, v := f.admin(t, tc.method, tc.path, tc.body)
			if status != tc.status {
				t.Fatalf("%s %s: status = %d, want %d; body %v", tc.method, tc.path, status, tc.status, v)
			}
			// Unknown paths get the mux's plain 404; an unknown id on a
			// known route gets a JSON error.
			knownRoute := strings.HasPrefix(tc.path, "/testbed/accounts/") ||
				strings.HasPrefix(tc.path, "/testbed/registrations/") || tc.path == "/testbed/tokens/expire"
			if status == http.StatusBadRequest || status == http.StatusNotFound && knownRoute {
				m, ok := v.(map[string]any)
				if e, _ := m["error"].(string); !ok || e == "" {
					t.Errorf("error answer = %v, want {\"error\": …}", v)
				}
			}
		})
	}
}

func TestAdminInstitutions(t *testing.T) {
	f := newFixture(t, testbed.Config{})
	status, v := f.admin(t, http.MethodPost, "/testbed/institutions", `{"name":"새 앱","redirect_uris":["https://127.0.0.1/cb"]}`)
	if status != http.StatusCreated {
		t.Fatalf("status = %d, want 201: %v", status, v)
	}
	m := v.(map[string]any)
	if !regexp.MustCompile(`^M2026[0-9]{5}$`).MatchString(m["client_use_code"].(string)) || m["client_id"] == "" || m["client_secret"] == "" {
		t.Errorf("generated fields = %v", m)
	}
	if got := m["scopes"].([]any); len(got) != 3 {
		t.Errorf("default scopes = %v, want login inquiry transfer", got)
	}
	elevenURIs := `["http://127.0.0.1/1","http://127.0.0.1/2","http://127.0.0.1/3","http://127.0.0.1/4","http://127.0.0.1/5","http://127.0.0.1/6","http://127.0.0.1/7","http://127.0.0.1/8","http://127.0.0.1/9","http://127.0.0.1/10","http://127.0.0.1/11"]`
	runAdminCases(t, f, []adminCase{
		{"List", http.MethodGet, "/testbed/institutions", "", http.StatusOK},
		{"FixedCredentials", http.MethodPost, "/testbed/institutions", `{"name":"고정","client_id":"fixed-client","client_secret":"s","client_use_code":"M202612345","scopes":["inquiry"]}`, http.StatusCreated},
		{"DuplicateClientID", http.MethodPost, "/testbed/institutions", `{"name":"x","client_id":"fixed-client"}`, http.StatusBadRequest},
		{"DuplicateClientUseCode", http.MethodPost, "/testbed/institutions", `{"name":"x","client_use_code":"M202612345"}`, http.StatusBadRequest},
		{"BadClientUseCode", http.MethodPost, "/testbed/institutions", `{"name":"x","client_use_code":"M2026"}`, http.StatusBadRequest},
		{"MissingName", http.MethodPost, "/testbed/institutions", `{}`, http.StatusBadRequest},
		{"ElevenRedirectURIs", http.MethodPost, "/testbed/institutions", `{"name":"x","redirect_uris":` + elevenURIs + `}`, http.StatusBadRequest},
		{"RelativeRedirectURI", http.MethodPost, "/testbed/institutions", `{"name":"x","redirect_uris":["/cb"]}`, http.StatusBadRequest},
		{"FTPRedirectURI", http.MethodPost, "/testbed/institutions", `{"name":"x","redirect_uris":["ftp://127.0.0.1/cb"]}`, http.StatusBadRequest},
		{"UnknownScope", http.MethodPost, "/testbed/institutions", `{"name":"x","scopes":["oob"]}`, http.StatusBadRequest},
		{"BadJSON", http.MethodPost, "/testbed/institutions", `{"name":`, http.StatusBadRequest},
		{"UnknownField", http.MethodPost, "/testbed/institutions", `{"name":"x","colour":"red"}`, http.StatusBadRequest},
		{"TrailingData", http.MethodPost, "/testbed/institutions", `{"name":"x"} {}`, http.StatusBadRequest},
		{"WrongType", http.MethodPost, "/testbed/institutions", `{"name":7}`, http.StatusBadRequest},
		{"WrongMethod", http.MethodPut, "/testbed/institutions", `{}`, http.StatusMethodNotAllowed},
	})
	if got := len(f.sim.Institutions()); got != 3 {
		t.Errorf("%d institutions, want 3", got)
	}
}

func TestAdminUsersAndAccounts(t *testing.T) {
	f := newFixture(t, testbed.Config{})
	status, v := f.admin(t, http.MethodPost, "/testbed/users", `{"name":"박서준"}`)
	if status != http.StatusCreated {
		t.Fatalf("status = %d: %v", status, v)
	}
	u := v.(map[string]any)
	if !regexp.MustCompile(`^[0-9]{10}$`).MatchString(u["user_seq_no"].(string)) || len(u["ci"].(string)) != 88 {
		t.Errorf("generated user = %v", u)
	}
	seq := u["user_seq_no"].(string)
	status, v = f.admin(t, http.MethodPost, "/testbed/accounts", `{"user_seq_no":"`+seq+`","bank_code_std":"092","account_num":"1000-1234-5678","balance":5000}`)
	if status != http.StatusCreated {
		t.Fatalf("status = %d: %v", status, v)
	}
	a := v.(map[string]any)
	for k, want := range map[string]string{"bank_name": "토스뱅크", "holder_name": "박서준", "account_type": "1", "product_name": "입출금통장"} {
		if a[k] != want {
			t.Errorf("%s = %v, want %s", k, a[k], want)
		}
	}
	runAdminCases(t, f, []adminCase{
		{"ListUsers", http.MethodGet, "/testbed/users", "", http.StatusOK},
		{"FixedUser", http.MethodPost, "/testbed/users", `{"user_seq_no":"1234567890","name":"최유나","ci":"x"}`, http.StatusCreated},
		{"DuplicateUser", http.MethodPost, "/testbed/users", `{"user_seq_no":"1234567890","name":"최유나"}`, http.StatusBadRequest},
		{"MalformedUserSeqNo", http.MethodPost, "/testbed/users", `{"user_seq_no":"123","name":"x"}`, http.StatusBadRequest},
		{"UserWithoutName", http.MethodPost, "/testbed/users", `{}`, http.StatusBadRequest},
		{"ListAccounts", http.MethodGet, "/testbed/accounts", "", http.StatusOK},
		{"AccountUnknownUser", http.MethodPost, "/testbed/accounts", `{"user_seq_no":"1999999999","bank_code_std":"090","account_num":"3333-01-0000001"}`, http.StatusBadRequest},
		{"AccountBadBankCode", http.MethodPost, "/testbed/accounts", `{"user_seq_no":"` + seq + `","bank_code_std":"90","account_num":"3333-01-0000001"}`, http.StatusBadRequest},
		{"AccountUnknownBankNoName", http.MethodPost, "/testbed/accounts", `{"user_seq_no":"` + seq + `","bank_code_std":"999","account_num":"3333-01-0000001"}`, http.StatusBadRequest},
		{"AccountUnknownBankWithName", http.MethodPost, "/testbed/accounts", `{"user_seq_no":"` + seq + `","bank_code_std":"999","bank_name":"테스트은행","account_num":"3333-01-0000001"}`, http.StatusCreated},
		{"AccountDuplicateNumber", http.MethodPost, "/testbed/accounts", `{"user_seq_no":"` + seq + `","bank_code_std":"999","bank_name":"테스트은행","account_num":"3333-01-0000001"}`, http.StatusBadRequest},
		{"AccountBadNumber", http.MethodPost, "/testbed/accounts", `{"user_seq_no":"` + seq + `","bank_code_std":"090","account_num":"abc"}`, http.StatusBadRequest},
		{"AccountBadType", http.MethodPost, "/testbed/accounts", `{"user_seq_no":"` + seq + `","bank_code_std":"090","account_num":"3333-01-0000002","account_type":"9"}`, http.StatusBadRequest},
		{"AccountFixedID", http.MethodPost, "/testbed/accounts", `{"id":"my-acct","user_seq_no":"` + seq + `","bank_code_std":"090","account_num":"3333-01-0000003"}`, http.StatusCreated},
		{"AccountDuplicateID", http.MethodPost, "/testbed/accounts", `{"id":"my-acct","user_seq_no":"` + seq + `","bank_code_std":"090","account_num":"3333-01-0000004"}`, http.StatusBadRequest},
		{"AccountBadID", http.MethodPost, "/testbed/accounts", `{"id":"a/b","user_seq_no":"` + seq + `","bank_code_std":"090","account_num":"3333-01-0000005"}`, http.StatusBadRequest},
		{"AccountBalanceAsString", http.MethodPost, "/testbed/accounts", `{"user_seq_no":"` + seq + `","bank_code_std":"090","account_num":"3333-01-0000006","balance":"5000"}`, http.StatusBadRequest},
	})

	t.Run("ListShowsRegistrationsAndBalance", func(t *testing.T) {
		f.login(t)
		if _, err := f.sim.Post(f.acct.ID, testbed.Posting{InoutType: "입금", Amount: 30000, PrintContent: "김민수"}); err != nil {
			t.Fatal(err)
		}
		_, v := f.admin(t, http.MethodGet, "/testbed/accounts", "")
		var found bool
		for _, item := range v.([]any) {
			a := item.(map[string]any)
			if a["id"] != f.acct.ID {
				continue
			}
			found = true
			if a["current_balance"].(json.Number).String() != "130000" || a["balance"].(json.Number).String() != "100000" {
				t.Errorf("balance, current_balance = %v, %v; want 100000, 130000", a["balance"], a["current_balance"])
			}
			regs := a["registrations"].([]any)
			if len(regs) != 1 || regs[0].(map[string]any)["fintech_use_num"] != f.fintech(t, f.acct.ID) ||
				regs[0].(map[string]any)["client_id"] != f.inst.ClientID {
				t.Errorf("registrations = %v", regs)
			}
		}
		if !found {
			t.Errorf("account %s not listed", f.acct.ID)
		}
	})
}

func TestAdminTransactions(t *testing.T) {
	f := newFixture(t, testbed.Config{})
	path := "/testbed/accounts/" + f.acct.ID + "/transactions"
	status, v := f.admin(t, http.MethodPost, path, `{"inout_type":"입금","print_content":"11월회비김민수","amount":30000,"at":"2026-11-25T09:30:00+09:00"}`)
	if status != http.StatusCreated {
		t.Fatalf("status = %d: %v", status, v)
	}
	tx := v.(map[string]any)
	if tx["seq"].(json.Number).String() != "1" || tx["after_balance"].(json.Number).String() != "130000" ||
		tx["tran_type"] != "타행환" || tx["at"] != "2026-11-25T09:30:00+09:00" {
		t.Errorf("transaction = %v", tx)
	}
	runAdminCases(t, f, []adminCase{
		{"Withdrawal", http.MethodPost, path, `{"inout_type":"출금","print_content":"모임식대","amount":184000}`, http.StatusCreated},
		{"List", http.MethodGet, path, "", http.StatusOK},
		{"UnknownAccountGET", http.MethodGet, "/testbed/accounts/nope/transactions", "", http.StatusNotFound},
		{"UnknownAccountPOST", http.MethodPost, "/testbed/accounts/nope/transactions", `{"inout_type":"입금","amount":1}`, http.StatusNotFound},
		{"BadInoutType", http.MethodPost, path, `{"inout_type":"deposit","amount":1}`, http.StatusBadRequest},
		{"ZeroAmount", http.MethodPost, path, `{"inout_type":"입금","amount":0}`, http.StatusBadRequest},
		{"NegativeAmount", http.MethodPost, path, `{"inout_type":"입금","amount":-5}`, http.StatusBadRequest},
		{"FractionalAmount", http.MethodPost, path, `{"inout_type":"입금","amount":1.5}`, http.StatusBadRequest},
		{"PrintContent21Chars", http.MethodPost, path, `{"inout_type":"입금","amount":1,"print_content":"가나다라마바사아자차카타파하가나다라마바사"}`, http.StatusBadRequest},
		{"PrintContent20Chars", http.MethodPost, path, `{"inout_type":"입금","amount":1,"print_content":"가나다라마바사아자차카타파하가나다라마바"}`, http.StatusCreated},
		{"BeforeLatest", http.MethodPost, path, `{"inout_type":"입금","amount":1,"at":"2026-11-25T09:00:00+09:00"}`, http.StatusBadRequest},
		{"InTheFuture", http.MethodPost, path, `{"inout_type":"입금","amount":1,"at":"2026-11-25T10:00:01+09:00"}`, http.StatusBadRequest},
		{"BadTime", http.MethodPost, path, `{"inout_type":"입금","amount":1,"at":"yesterday"}`, http.StatusBadRequest},
	})
	txs, err := f.sim.Transactions(f.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(txs), 3; got != want {
		t.Errorf("%d transactions, want %d", got, want)
	}
	if got, want := txs[len(txs)-1].AfterBalance, int64(100000+30000-184000+1); got != want {
		t.Errorf("after_balance = %d, want %d", got, want)
	}
}

func TestAdminFaults(t *testing.T) {
	f := newFixture(t, testbed.Config{})
	runAdminCases(t, f, []adminCase{
		{"Inject", http.MethodPost, "/testbed/faults", `{"api":"balance","count":2,"rsp_code":"A0003"}`, http.StatusCreated},
		{"InjectDelay", http.MethodPost, "/testbed/faults", `{"api":"transaction_list","delay":"2s"}`, http.StatusCreated},
		{"InjectDrop", http.MethodPost, "/testbed/faults", `{"drop":true}`, http.StatusCreated},
		{"BadDelay", http.MethodPost, "/testbed/faults", `{"delay":"2 sec"}`, http.StatusBadRequest},
		{"DelayAsNumber", http.MethodPost, "/testbed/faults", `{"delay":2000000000}`, http.StatusBadRequest},
		{"UnknownAPI", http.MethodPost, "/testbed/faults", `{"api":"pay","http_status":500}`, http.StatusBadRequest},
		{"UnknownField", http.MethodPost, "/testbed/faults", `{"http_status":500,"when":"now"}`, http.StatusBadRequest},
		{"NoEffect", http.MethodPost, "/testbed/faults", `{"api":"balance"}`, http.StatusBadRequest},
	})
	t.Run("List", func(t *testing.T) {
		_, v := f.admin(t, http.MethodGet, "/testbed/faults", "")
		list := v.([]any)
		if len(list) != 3 {
			t.Fatalf("faults = %v, want 3", list)
		}
		first := list[0].(map[string]any)
		if first["api"] != "balance" || first["count"].(json.Number).String() != "2" || first["bank_rsp_code"] != "000" {
			t.Errorf("first fault = %v", first)
		}
		if got := list[1].(map[string]any)["delay"]; got != "2s" {
			t.Errorf("delay = %v, want 2s", got)
		}
	})
	t.Run("Clear", func(t *testing.T) {
		if status, _ := f.admin(t, http.MethodDelete, "/testbed/faults", ""); status != http.StatusNoContent {
			t.Errorf("status = %d, want 204", status)
		}
		if got := f.sim.Faults(); len(got) != 0 {
			t.Errorf("faults after clear = %v", got)
		}
	})
}

func TestAdminTokensExpire(t *testing.T) {
	s := newSession(t, testbed.Config{})
	second := s.login(t)
	runAdminCases(t, s.fixture, []adminCase{
		{"Neither", http.MethodPost, "/testbed/tokens/expire", `{}`, http.StatusBadRequest},
		{"Both", http.MethodPost, "/testbed/tokens/expire", `{"access_token":"a","user_seq_no":"1100000001"}`, http.StatusBadRequest},
		{"UnknownToken", http.MethodPost, "/testbed/tokens/expire", `{"access_token":"garbage"}`, http.StatusNotFound},
		{"UnknownUser", http.MethodPost, "/testbed/tokens/expire", `{"user_seq_no":"1999999999"}`, http.StatusNotFound},
		{"OneToken", http.MethodPost, "/testbed/tokens/expire", `{"access_token":"` + s.tok.AccessToken + `"}`, http.StatusOK},
	})
	t.Run("OneTokenExpired", func(t *testing.T) {
		_, m := s.get(t, pathUserMe, url.Values{"user_seq_no": {s.user.UserSeqNo}}, s.tok.AccessToken)
		wantRsp(t, m, "O0003", "")
		_, m = s.get(t, pathUserMe, url.Values{"user_seq_no": {s.user.UserSeqNo}}, second.AccessToken)
		wantRsp(t, m, "A0000", "")
	})
	t.Run("UserTokens", func(t *testing.T) {
		status, v := s.admin(t, http.MethodPost, "/testbed/tokens/expire", `{"user_seq_no":"`+s.user.UserSeqNo+`"}`)
		if status != http.StatusOK || v.(map[string]any)["expired"].(json.Number).String() != "1" {
			t.Errorf("status %d, body %v; want 200 {\"expired\":1}", status, v)
		}
		_, m := s.get(t, pathUserMe, url.Values{"user_seq_no": {s.user.UserSeqNo}}, second.AccessToken)
		wantRsp(t, m, "O0003", "")
	})
	t.Run("RefreshStillWorks", func(t *testing.T) {
		_, _, body := s.postForm(t, "/oauth/2.0/token", s.refreshForm(second.RefreshToken, "inquiry login"))
		if !strings.Contains(string(body), "access_token") {
			t.Errorf("refresh after forced expiry: %s", body)
		}
	})
}

func TestAdminClock(t *testing.T) {
	f := newFixture(t, testbed.Config{})
	now := func() string {
		_, v := f.admin(t, http.MethodGet, "/testbed/clock", "")
		return v.(map[string]any)["now"].(string)
	}
	if got, want := now(), "2026-11-25T10:00:00+09:00"; got != want {
		t.Errorf("now = %s, want %s", got, want)
	}
	runAdminCases(t, f, []adminCase{
		{"Set", http.MethodPost, "/testbed/clock", `{"set":"2026-12-01T00:00:00Z"}`, http.StatusOK},
		{"Advance", http.MethodPost, "/testbed/clock", `{"advance":"2160h"}`, http.StatusOK},
		{"Neither", http.MethodPost, "/testbed/clock", `{}`, http.StatusBadRequest},
		{"Both", http.MethodPost, "/testbed/clock", `{"set":"2026-12-01T00:00:00Z","advance":"1h"}`, http.StatusBadRequest},
		{"BadTime", http.MethodPost, "/testbed/clock", `{"set":"2026-12-01"}`, http.StatusBadRequest},
		{"BadDuration", http.MethodPost, "/testbed/clock", `{"advance":"90 days"}`, http.StatusBadRequest},
		{"SetPastYear9999", http.MethodPost, "/testbed/clock", `{"set":"10000-01-01T00:00:00Z"}`, http.StatusBadRequest},
		{"SetBefore1970", http.MethodPost, "/testbed/clock", `{"set":"1969-12-31T00:00:00Z"}`, http.StatusBadRequest},
		{"AdvanceLongest", http.MethodPost, "/testbed/clock", `{"advance":"2562047h"}`, http.StatusOK},      // to 2319
		{"AdvanceLongestAgain", http.MethodPost, "/testbed/clock", `{"advance":"2562047h"}`, http.StatusOK}, // to 2611
		{"SetBack", http.MethodPost, "/testbed/clock", `{"set":"2027-03-01T00:00:00Z"}`, http.StatusOK},
		{"AdvanceBefore1970", http.MethodPost, "/testbed/clock", `{"advance":"-2562047h"}`, http.StatusBadRequest},
	})
	if got, want := now(), "2027-03-01T09:00:00+09:00"; got != want {
		t.Errorf("now after set and advance = %s, want %s", got, want)
	}
	if got := f.clock.Now(); !got.Equal(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Clock().Now() = %v", got)
	}
}

// TestAdminClockRange: the clock reaches year 9999 when told to, and an
// answer outside its range is a 400 that says so, with the clock left
// where it was.
func TestAdminClockRange(t *testing.T) {
	f := newFixture(t, testbed.Config{})
	post := func(body string) (int, string) {
		t.Helper()
		status, v := f.admin(t, http.MethodPost, "/testbed/clock", body)
		raw, _ := json.Marshal(v)
		return status, string(raw)
	}
	if status, body := post(`{"set":"9999-06-01T00:00:00+09:00"}`); status != http.StatusOK || !strings.Contains(body, "9999-06-01T00:00:00+09:00") {
		t.Errorf("set year 9999: %d %s", status, body)
	}
	status, body := post(`{"advance":"8760h"}`)
	if status != http.StatusBadRequest || !strings.Contains(body, "9999-12-31") {
		t.Errorf("advance a year past 9999-06-01: %d %s, want 400 naming the range", status, body)
	}
	if got, want := f.clock.Now(), time.Date(9999, 6, 1, 0, 0, 0, 0, kst); !got.Equal(want) {
		t.Errorf("after a refused advance the clock is at %v, want %v", got, want)
	}
}

func TestAdminSettings(t *testing.T) {
	s := newSession(t, testbed.Config{})
	_, v := s.admin(t, http.MethodGet, "/testbed/settings", "")
	m := v.(map[string]any)
	if m["maintenance"] != true || m["rate_limit"].(json.Number).String() != "-1" {
		t.Errorf("settings = %v, want maintenance on and unlimited rate", m)
	}
	runAdminCases(t, s.fixture, []adminCase{
		{"NegativeBurst", http.MethodPost, "/testbed/settings", `{"rate_burst":-1}`, http.StatusBadRequest},
		{"UnknownField", http.MethodPost, "/testbed/settings", `{"maintenence":false}`, http.StatusBadRequest},
		{"UnknownQuirk", http.MethodPost, "/testbed/settings", `{"quirks":{"numeric":true}}`, http.StatusBadRequest},
		{"Update", http.MethodPost, "/testbed/settings", `{"maintenance":false,"rate_limit":1,"rate_burst":1,"quirks":{"numeric_amounts":true}}`, http.StatusOK},
	})
	t.Run("Applied", func(t *testing.T) {
		got := s.sim.Settings()
		want := testbed.Settings{Maintenance: false, RateLimit: 1, RateBurst: 1, Quirks: testbed.Quirks{NumericAmounts: true}}
		if got != want {
			t.Errorf("Settings() = %+v, want %+v", got, want)
		}
		s.clock.Set(time.Date(2026, 11, 25, 23, 55, 0, 0, kst))
		_, m := s.get(t, pathBalance, s.balanceQuery(s.fin), s.tok.AccessToken)
		wantRsp(t, m, "A0000", "")
		if _, ok := m["balance_amt"].(json.Number); !ok {
			t.Errorf("balance_amt = %#v, want a number", m["balance_amt"])
		}
		_, m = s.get(t, pathBalance, s.balanceQuery(s.fin), s.tok.AccessToken)
		wantRsp(t, m, "O0008", "")
	})
	t.Run("RateWithoutBurst", func(t *testing.T) {
		s.admin(t, http.MethodPost, "/testbed/settings", `{"rate_limit":4}`)
		if got := s.sim.Settings(); got.RateLimit != 4 || got.RateBurst != 4 {
			t.Errorf("rate, burst = %v, %v; want 4, 4", got.RateLimit, got.RateBurst)
		}
	})
}

func TestAdminStats(t *testing.T) {
	s := newSession(t, testbed.Config{})
	s.sim.ResetStats()
	s.get(t, pathBalance, s.balanceQuery(s.fin), s.tok.AccessToken)
	s.get(t, pathBalance, s.balanceQuery(s.fin), "garbled")                // rejected, client unknown
	s.get(t, pathTx, url.Values{}, s.tok.AccessToken)                      // rejected with A0004
	s.postForm(t, "/oauth/2.0/token", url.Values{"client_id": {"nobody"}}) // unknown client
	_, v := s.admin(t, http.MethodGet, "/testbed/stats", "")
	m := v.(map[string]any)
	byAPI := m["by_api"].(map[string]any)
	for api, want := range map[string]string{"balance": "2", "transaction_list": "1", "token": "1"} {
		if got := byAPI[api]; got == nil || got.(json.Number).String() != want {
			t.Errorf("by_api[%s] = %v, want %s", api, got, want)
		}
	}
	if got := m["by_client"].(map[string]any)[s.inst.ClientID]; got == nil || got.(json.Number).String() != "2" {
		t.Errorf("by_client = %v, want 2 for %s", m["by_client"], s.inst.ClientID)
	}
	perAPI := m["by_client_api"].(map[string]any)[s.inst.ClientID].(map[string]any)
	if perAPI["balance"].(json.Number).String() != "1" || perAPI["transaction_list"].(json.Number).String() != "1" {
		t.Errorf("by_client_api = %v", perAPI)
	}
	if status, _ := s.admin(t, http.MethodDelete, "/testbed/stats", ""); status != http.StatusNoContent {
		t.Errorf("DELETE status = %d, want 204", status)
	}
	if got := s.sim.Stats(); len(got.ByAPI) != 0 || len(got.ByClient) != 0 {
		t.Errorf("stats after reset = %+v", got)
	}
}

func TestAdminRegistrationsAndUnknownPaths(t *testing.T) {
	s := newSession(t, testbed.Config{})
	runAdminCases(t, s.fixture, []adminCase{
		{"List", http.MethodGet, "/testbed/registrations", "", http.StatusOK},
		{"CancelUnknown", http.MethodDelete, "/testbed/registrations/000000000000000000000000", "", http.StatusNotFound},
		{"Cancel", http.MethodDelete, "/testbed/registrations/" + s.fin, "", http.StatusNoContent},
		{"UnknownAdminPath", http.MethodGet, "/testbed/nothing", "", http.StatusNotFound},
		{"UnknownWirePath", http.MethodGet, "/v2.0/account/transfer", "", http.StatusNotFound},
		{"Root", http.MethodGet, "/", "", http.StatusNotFound},
	})
	_, m := s.get(t, pathBalance, s.balanceQuery(s.fin), s.tok.AccessToken)
	wantRsp(t, m, "A0304", "")
	// Re-consent reactivates the same number.
	s.login(t)
	_, m = s.get(t, pathBalance, s.balanceQuery(s.fin), s.tok.AccessToken)
	wantRsp(t, m, "A0000", "")
}
