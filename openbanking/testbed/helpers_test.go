package testbed_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moimbot/moimbot/openbanking/testbed"
)

var kst = time.FixedZone("KST", 9*60*60)

// t0 is the frozen simulator time of most tests: a Wednesday morning.
var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, kst)

const (
	redirectURI = "http://127.0.0.1:8080/oauth/callback"
	testState   = "abcdefghijklmnopqrstuvwxyz012345" // 32 characters
	testKey     = "0123456789abcdef0123456789abcdef"
)

// wallClock is a settable wall clock for the rate limiter.
type wallClock struct {
	mu  sync.Mutex
	now time.Time
}

func (w *wallClock) Now() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *wallClock) Advance(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.now = w.now.Add(d)
}

// fixture is a simulator on a loopback port with one institution, two
// users and an account each.
type fixture struct {
	sim    *testbed.Server
	srv    *httptest.Server
	client *http.Client // does not follow redirects
	clock  *testbed.Clock
	wall   *wallClock
	inst   testbed.Institution
	user   testbed.User
	acct   testbed.Account // the user's 모임통장
	acct2  testbed.Account // the user's second account
	other  testbed.User
	oacct  testbed.Account // other's account
	tranN  atomic.Int64
}

// newFixture starts a simulator with cfg; a nil Clock becomes a frozen
// clock at t0 and a nil WallNow a settable wall clock; RateLimit 0 becomes
// unlimited.
func newFixture(t testing.TB, cfg testbed.Config) *fixture {
	t.Helper()
	f := &fixture{wall: &wallClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}}
	if cfg.Clock == nil {
		cfg.Clock = testbed.NewClock(t0)
	}
	if cfg.WallNow == nil {
		cfg.WallNow = f.wall.Now
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = -1
	}
	if cfg.SigningKey == nil {
		cfg.SigningKey = []byte(testKey)
	}
	f.clock = cfg.Clock
	f.sim = testbed.New(cfg)
	f.srv = httptest.NewServer(f.sim)
	t.Cleanup(f.srv.Close)
	f.client = f.srv.Client()
	f.client.CheckRedirect = noFollow
	f.client.Timeout = 10 * time.Second

	var err error
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	f.inst, err = f.sim.AddInstitution(testbed.Institution{Name: "모임봇", RedirectURIs: []string{redirectURI}})
	must(err)
	f.user, err = f.sim.AddUser(testbed.User{Name: "김총무"})
	must(err)
	f.acct, err = f.sim.AddAccount(testbed.Account{UserSeqNo: f.user.UserSeqNo, BankCodeStd: "090",
		AccountNum: "3333-01-2345678", Alias: "독서모임 모임통장", Balance: 100000})
	must(err)
	f.acct2, err = f.sim.AddAccount(testbed.Account{UserSeqNo: f.user.UserSeqNo, BankCodeStd: "088", AccountNum: "110-123-456789"})
	must(err)
	f.other, err = f.sim.AddUser(testbed.User{Name: "이지은"})
	must(err)
	f.oacct, err = f.sim.AddAccount(testbed.Account{UserSeqNo: f.other.UserSeqNo, BankCodeStd: "004", AccountNum: "123456-01-234567"})
	must(err)
	return f
}

// authorizeValues returns a valid authorization query.
func (f *fixture) authorizeValues() url.Values {
	return url.Values{
		"response_type": {"code"},
		"client_id":     {f.inst.ClientID},
		"redirect_uri":  {redirectURI},
		"scope":         {"login inquiry"},
		"state":         {testState},
		"auth_type":     {"0"},
	}
}

// do sends a request and returns the status, headers and body.
func (f *fixture) do(t testing.TB, req *http.Request) (int, http.Header, []byte) {
	t.Helper()
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp.StatusCode, resp.Header, body
}

// postForm posts form to path as application/x-www-form-urlencoded.
func (f *fixture) postForm(t testing.TB, path string, form url.Values) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	return f.do(t, req)
}

// consent posts the consent form and returns the redirect location.
func (f *fixture) consent(t testing.TB, q url.Values, userSeqNo, consent string, accountIDs ...string) *url.URL {
	t.Helper()
	form := url.Values{}
	for k, v := range q {
		form[k] = v
	}
	form.Set("user_seq_no", userSeqNo)
	form.Set("consent", consent)
	for _, id := range accountIDs {
		form.Add("account", id)
	}
	status, h, body := f.postForm(t, "/oauth/2.0/authorize", form)
	if status != http.StatusFound {
		t.Fatalf("consent status = %d, want 302; body %s", status, body)
	}
	loc, err := url.Parse(h.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// code runs the consent for the fixture's user and both accounts and
// returns the authorization code.
func (f *fixture) code(t testing.TB) string {
	t.Helper()
	loc := f.consent(t, f.authorizeValues(), f.user.UserSeqNo, "agree", f.acct.ID, f.acct2.ID)
	c := loc.Query().Get("code")
	if c == "" {
		t.Fatalf("no code in %s", loc)
	}
	return c
}

// tokens is a user token response.
type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	UserSeqNo    string `json:"user_seq_no"`
	Scope        string `json:"scope"`
}

// login runs the whole code flow and returns the user tokens.
func (f *fixture) login(t testing.TB) tokens {
	t.Helper()
	_, _, body := f.postForm(t, "/oauth/2.0/token", f.codeForm(f.code(t)))
	var tok tokens
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token response %s: %v", body, err)
	}
	return tok
}

func (f *fixture) codeForm(code string) url.Values {
	return url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"client_id":     {f.inst.ClientID},
		"client_secret": {f.inst.ClientSecret},
		"redirect_uri":  {redirectURI},
	}
}

// oobToken returns an institution token.
func (f *fixture) oobToken(t testing.TB) string {
	t.Helper()
	_, _, body := f.postForm(t, "/oauth/2.0/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {f.inst.ClientID},
		"client_secret": {f.inst.ClientSecret}, "scope": {"oob"},
	})
	m := decode(t, body)
	tok, _ := m["access_token"].(string)
	if tok == "" {
		t.Fatalf("client_credentials: %s", body)
	}
	return tok
}

// fintech returns the fintech_use_num of the account with the given id
// registered to the fixture's institution.
func (f *fixture) fintech(t testing.TB, accountID string) string {
	t.Helper()
	for _, r := range f.sim.Registrations() {
		if r.AccountID == accountID && r.ClientID == f.inst.ClientID {
			return r.FintechUseNum
		}
	}
	t.Fatalf("account %s is not registered", accountID)
	return ""
}

// tranID returns a fresh, well-formed bank_tran_id.
func (f *fixture) tranID() string {
	return fmt.Sprintf("%sU%09d", f.inst.ClientUseCode, f.tranN.Add(1))
}

// get calls an inquiry API with a bearer token ("" for none).
func (f *fixture) get(t testing.TB, path string, q url.Values, bearer string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.srv.URL+path+"?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	status, h, body := f.do(t, req)
	if ct := h.Get("Content-Type"); status == http.StatusOK && ct != "application/json; charset=UTF-8" {
		t.Errorf("Content-Type = %q, want application/json; charset=UTF-8", ct)
	}
	return status, decode(t, body)
}

// txQuery returns a valid transaction_list query for fin covering the
// last 30 days.
func (f *fixture) txQuery(fin string) url.Values {
	now := f.clock.Now().In(kst)
	return url.Values{
		"bank_tran_id":    {f.tranID()},
		"fintech_use_num": {fin},
		"inquiry_type":    {"A"},
		"inquiry_base":    {"D"},
		"from_date":       {now.AddDate(0, 0, -30).Format("20060102")},
		"to_date":         {now.Format("20060102")},
		"sort_order":      {"D"},
		"tran_dtime":      {now.Format("20060102150405")},
	}
}

func (f *fixture) balanceQuery(fin string) url.Values {
	return url.Values{
		"bank_tran_id":    {f.tranID()},
		"fintech_use_num": {fin},
		"tran_dtime":      {f.clock.Now().In(kst).Format("20060102150405")},
	}
}

// decode parses a JSON object keeping numbers as json.Number.
func decode(t testing.TB, body []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, body)
	}
	return m
}

// str returns m[key] as a string, failing if it is not one.
func str(t testing.TB, m map[string]any, key string) string {
	t.Helper()
	s, ok := m[key].(string)
	if !ok {
		t.Fatalf("%s = %#v (%T), want a string", key, m[key], m[key])
	}
	return s
}

// rows returns m["res_list"] as a slice of objects.
func rows(t testing.TB, m map[string]any) []map[string]any {
	t.Helper()
	list, ok := m["res_list"].([]any)
	if !ok {
		t.Fatalf("res_list = %#v, want an array", m["res_list"])
	}
	out := make([]map[string]any, 0, len(list))
	for _, r := range list {
		out = append(out, r.(map[string]any))
	}
	return out
}

// wantRsp checks rsp_code (and, when given, that rsp_message contains msg).
func wantRsp(t testing.TB, m map[string]any, code, msg string) {
	t.Helper()
	if got := m["rsp_code"]; got != code {
		t.Errorf("rsp_code = %v (rsp_message %v), want %s", got, m["rsp_message"], code)
	}
	if msg != "" {
		if got, _ := m["rsp_message"].(string); !strings.Contains(got, msg) {
			t.Errorf("rsp_message = %q, want it to contain %q", got, msg)
		}
	}
}

// post posts deposits of 1000원 one minute apart starting at start.
func (f *fixture) post(t testing.TB, accountID string, n int, start time.Time, text string) {
	t.Helper()
	for i := range n {
		_, err := f.sim.Post(accountID, testbed.Posting{
			InoutType: "입금", PrintContent: fmt.Sprintf("%s%03d", text, i), Amount: 1000,
			At: start.Add(time.Duration(i) * time.Minute),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// newServer serves sim on a loopback port for the test's lifetime.
func newServer(t testing.TB, sim *testbed.Server) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return srv
}

func readAll(t testing.TB, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func noFollow(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
