package openbanking_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moimbot/moimbot/openbanking"
	"github.com/moimbot/moimbot/openbanking/testbed"
)

const callback = "http://127.0.0.1:8080/oauth/callback"

// start is the simulator clock in every test: a Wednesday morning in KST.
var start = time.Date(2026, 11, 25, 10, 0, 0, 0, openbanking.KST())

// env is a simulator on a loopback port with one institution, one user with a
// 모임통장, and a client configured for them.
type env struct {
	sim     *testbed.Server
	srv     *httptest.Server
	inst    testbed.Institution
	user    testbed.User
	account testbed.Account
	client  *openbanking.Client
	// calls counts the inquiry requests the client sent through its
	// http.Client, the way cmd/moimbot counts billed calls.
	calls *countingTransport
}

type envOption func(*testbed.Config, *openbanking.Config)

func fastRetry(attempts int) envOption {
	return func(_ *testbed.Config, c *openbanking.Config) {
		c.Retry = openbanking.RetryPolicy{Attempts: attempts, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, RateLimitDelay: 5 * time.Millisecond}
	}
}

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	simCfg := testbed.Config{Clock: testbed.NewClock(start), RateLimit: -1}
	cliCfg := openbanking.Config{RedirectURI: callback}
	fastRetry(4)(&simCfg, &cliCfg)
	for _, o := range opts {
		o(&simCfg, &cliCfg)
	}
	e := &env{sim: testbed.New(simCfg)}
	e.srv = httptest.NewServer(e.sim)
	t.Cleanup(e.srv.Close)
	var err error
	if e.inst, err = e.sim.AddInstitution(testbed.Institution{Name: "모임봇", RedirectURIs: []string{callback}}); err != nil {
		t.Fatal(err)
	}
	if e.user, err = e.sim.AddUser(testbed.User{Name: "김총무"}); err != nil {
		t.Fatal(err)
	}
	if e.account, err = e.sim.AddAccount(testbed.Account{UserSeqNo: e.user.UserSeqNo, BankCodeStd: "090", AccountNum: "3333-01-2345678", Alias: "독서모임", Balance: 100000}); err != nil {
		t.Fatal(err)
	}
	cliCfg.BaseURL = e.srv.URL
	cliCfg.ClientID = e.inst.ClientID
	cliCfg.ClientSecret = e.inst.ClientSecret
	if cliCfg.ClientUseCode == "" {
		cliCfg.ClientUseCode = e.inst.ClientUseCode
	}
	if cliCfg.HTTPClient == nil {
		cliCfg.HTTPClient = e.srv.Client()
	}
	hc := *cliCfg.HTTPClient
	e.calls = &countingTransport{next: hc.Transport}
	if e.calls.next == nil {
		e.calls.next = http.DefaultTransport
	}
	hc.Transport = e.calls
	cliCfg.HTTPClient = &hc
	cliCfg.Now = e.sim.Clock().Now
	if e.client, err = openbanking.New(cliCfg); err != nil {
		t.Fatal(err)
	}
	return e
}

// link runs the OAuth code flow: authorize URL, consent by form POST, callback,
// code exchange.
func (e *env) link(t testing.TB) openbanking.Token {
	t.Helper()
	state := openbanking.NewState()
	u, err := e.client.AuthorizeURL(state, openbanking.AuthorizeOptions{ClientInfo: "group-1"})
	if err != nil {
		t.Fatal(err)
	}
	loc, err := testbed.Consent(context.Background(), e.srv.Client(), u, e.user.UserSeqNo, []string{e.account.ID}, true)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := openbanking.ParseCallback(loc.Query(), state)
	if err != nil {
		t.Fatal(err)
	}
	if cb.ClientInfo != "group-1" {
		t.Errorf("client_info = %q, want group-1", cb.ClientInfo)
	}
	tok, err := e.client.ExchangeCode(context.Background(), cb.Code)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (e *env) fintechUseNum(t testing.TB, tok openbanking.Token) string {
	t.Helper()
	list, err := e.client.AccountList(context.Background(), tok.AccessToken, tok.UserSeqNo, openbanking.AccountListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Accounts) != 1 {
		t.Fatalf("account list has %d accounts, want 1", len(list.Accounts))
	}
	return list.Accounts[0].FintechUseNum
}

// post adds n deposits one minute apart, ending before the simulator's now.
func (e *env) post(t testing.TB, n int, at time.Time) {
	t.Helper()
	for i := range n {
		_, err := e.sim.Post(e.account.ID, testbed.Posting{
			InoutType: "입금", PrintContent: fmt.Sprintf("회비%03d", i), Amount: 30000,
			At: at.Add(time.Duration(i) * time.Minute),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func wantCode(t *testing.T, err error, code string, class openbanking.Class) {
	t.Helper()
	e, ok := errors.AsType[*openbanking.Error](err)
	if !ok {
		t.Fatalf("err = %v, want *openbanking.Error with %s", err, code)
	}
	if e.RspCode != code {
		t.Errorf("rsp_code = %q, want %q (%v)", e.RspCode, code, err)
	}
	if got := openbanking.Classify(err); got != class {
		t.Errorf("class = %v, want %v", got, class)
	}
}

func TestOAuthCodeFlowAndInquiries(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tok := e.link(t)
	if tok.UserSeqNo != e.user.UserSeqNo || tok.TokenType != "Bearer" || tok.RefreshToken == "" {
		t.Errorf("token = %v, want user %s with a refresh token", tok, e.user.UserSeqNo)
	}
	if got, want := tok.ExpiresAt, start.Add(7775999*time.Second); !got.Equal(want) {
		t.Errorf("expires at %v, want %v", got, want)
	}
	if !strings.Contains(tok.Scope, "inquiry") {
		t.Errorf("scope = %q, want inquiry", tok.Scope)
	}

	t.Run("UserMe", func(t *testing.T) {
		me, err := e.client.UserMe(ctx, tok.AccessToken, tok.UserSeqNo)
		if err != nil {
			t.Fatal(err)
		}
		if me.UserName != "김총무" || me.UserSeqNo != e.user.UserSeqNo || len(me.Accounts) != 1 {
			t.Errorf("user/me = %+v", me)
		}
	})
	fin := e.fintechUseNum(t, tok)
	t.Run("AccountList", func(t *testing.T) {
		list, err := e.client.AccountList(ctx, tok.AccessToken, tok.UserSeqNo, openbanking.AccountListOptions{IncludeCancelled: true, Ascending: true})
		if err != nil {
			t.Fatal(err)
		}
		a := list.Accounts[0]
		if len(a.FintechUseNum) != 24 || a.BankCodeStd != "090" || a.AccountAlias != "독서모임" || strings.Contains(a.AccountNumMasked, "2345678") {
			t.Errorf("account = %+v", a)
		}
	})
	t.Run("Balance", func(t *testing.T) {
		b, err := e.client.Balance(ctx, tok.AccessToken, fin)
		if err != nil {
			t.Fatal(err)
		}
		if b.BalanceAmt != 100000 || b.FintechUseNum != fin || len(b.BankTranID) != 20 {
			t.Errorf("balance = %+v, want 100000", b)
		}
	})
	t.Run("ClientCredentials", func(t *testing.T) {
		it, err := e.client.ClientCredentials(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if it.Scope != "oob" || it.ClientUseCode != e.inst.ClientUseCode || it.RefreshToken != "" {
			t.Errorf("institution token = %v (use code %q)", it, it.ClientUseCode)
		}
	})
	t.Run("CodeIsSingleUse", func(t *testing.T) {
		state := openbanking.NewState()
		u, _ := e.client.AuthorizeURL(state, openbanking.AuthorizeOptions{})
		loc, err := testbed.Consent(ctx, e.srv.Client(), u, e.user.UserSeqNo, []string{e.account.ID}, true)
		if err != nil {
			t.Fatal(err)
		}
		cb, err := openbanking.ParseCallback(loc.Query(), state)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.client.ExchangeCode(ctx, cb.Code); err != nil {
			t.Fatal(err)
		}
		_, err = e.client.ExchangeCode(ctx, cb.Code)
		wantCode(t, err, "O0001", openbanking.ClassPermanent)
	})
	t.Run("Cancel", func(t *testing.T) {
		state := openbanking.NewState()
		u, _ := e.client.AuthorizeURL(state, openbanking.AuthorizeOptions{})
		loc, err := testbed.Consent(ctx, e.srv.Client(), u, e.user.UserSeqNo, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		_, err = openbanking.ParseCallback(loc.Query(), state)
		wantCode(t, err, "access_denied", openbanking.ClassPermanent)
	})
	t.Run("WrongState", func(t *testing.T) {
		u, _ := e.client.AuthorizeURL(openbanking.NewState(), openbanking.AuthorizeOptions{})
		loc, err := testbed.Consent(ctx, e.srv.Client(), u, e.user.UserSeqNo, []string{e.account.ID}, true)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := openbanking.ParseCallback(loc.Query(), openbanking.NewState()); err == nil {
			t.Error("callback with a foreign state accepted")
		}
	})
}

func TestTransactionsPaging(t *testing.T) {
	e := newEnv(t)
	tok := e.link(t)
	fin := e.fintechUseNum(t, tok)
	e.post(t, 60, start.Add(-48*time.Hour))
	for _, desc := range []bool{false, true} {
		t.Run(fmt.Sprintf("Descending=%v", desc), func(t *testing.T) {
			e.sim.ResetStats()
			list, err := e.client.Transactions(context.Background(), tok.AccessToken, openbanking.TransactionQuery{
				FintechUseNum: fin, From: start.AddDate(0, 0, -7), To: start, Descending: desc,
			})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := list.Pages, 3; got != want {
				t.Errorf("pages = %d, want %d", got, want)
			}
			if got, want := len(list.Rows), 60; got != want {
				t.Fatalf("rows = %d, want %d", got, want)
			}
			if got := e.sim.Stats().ByAPI["transaction_list"]; got != 3 {
				t.Errorf("transaction_list calls = %d, want 3", got)
			}
			for i, r := range list.Rows {
				want := i
				if desc {
					want = 59 - i
				}
				if r.PrintContent != fmt.Sprintf("회비%03d", want) || r.Amount != 30000 || !r.IsDeposit() {
					t.Fatalf("row %d = %+v, want 회비%03d", i, r, want)
				}
				if r.AfterBalance != 100000+int64(want+1)*30000 {
					t.Fatalf("row %d after balance = %d", i, r.AfterBalance)
				}
			}
			if list.BalanceAmt != 100000+60*30000 {
				t.Errorf("balance = %d", list.BalanceAmt)
			}
		})
	}
}

func TestTransactionsTimeWindowAcrossMidnight(t *testing.T) {
	e := newEnv(t)
	tok := e.link(t)
	fin := e.fintechUseNum(t, tok)
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, openbanking.KST())
	for _, at := range []time.Time{
		day.Add(22 * time.Hour),                // before the window
		day.Add(23*time.Hour + 30*time.Minute), // inside
		day.Add(24*time.Hour + 20*time.Minute), // inside, next day
		day.Add(24*time.Hour + 2*time.Hour),    // after
	} {
		if _, err := e.sim.Post(e.account.ID, testbed.Posting{InoutType: "입금", PrintContent: at.Format("1504"), Amount: 1000, At: at}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := e.client.Transactions(context.Background(), tok.AccessToken, openbanking.TransactionQuery{
		FintechUseNum: fin, ByTime: true, From: day.Add(23 * time.Hour), To: day.Add(25 * time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range list.Rows {
		got = append(got, r.PrintContent)
	}
	if want := "2330,0020"; strings.Join(got, ",") != want {
		t.Errorf("rows = %v, want %s", got, want)
	}
}

func TestTransactionsInquiryType(t *testing.T) {
	e := newEnv(t)
	tok := e.link(t)
	fin := e.fintechUseNum(t, tok)
	at := start.Add(-time.Hour)
	if _, err := e.sim.Post(e.account.ID, testbed.Posting{InoutType: "입금", PrintContent: "김민수", Amount: 30000, At: at}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sim.Post(e.account.ID, testbed.Posting{InoutType: "출금", PrintContent: "모임식대", Amount: 50000, At: at.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		typ  openbanking.InquiryType
		want string
	}{
		{openbanking.InquiryAll, "김민수,모임식대"},
		{openbanking.InquiryDeposits, "김민수"},
		{openbanking.InquiryWithdrawals, "모임식대"},
	}
	for _, tt := range tests {
		t.Run(string(tt.typ), func(t *testing.T) {
			list, err := e.client.Transactions(context.Background(), tok.AccessToken, openbanking.TransactionQuery{FintechUseNum: fin, Type: tt.typ, From: start, To: start})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range list.Rows {
				got = append(got, r.PrintContent)
			}
			if strings.Join(got, ",") != tt.want {
				t.Errorf("rows = %v, want %s", got, tt.want)
			}
		})
	}
}

// TestQuirks runs the client against every response variant the real service is
// known to produce.
func TestQuirks(t *testing.T) {
	tests := []struct {
		name   string
		quirks testbed.Quirks
	}{
		{"Plain", testbed.Quirks{}},
		{"NumericAmounts", testbed.Quirks{NumericAmounts: true}},
		{"PrintedContent", testbed.Quirks{PrintedContent: true}},
		{"OddKeys", testbed.Quirks{OddKeys: true}},
		{"All", testbed.Quirks{NumericAmounts: true, PrintedContent: true, OddKeys: true, EmptyAsA0018: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			tok := e.link(t)
			fin := e.fintechUseNum(t, tok)
			e.post(t, 30, start.Add(-2*time.Hour))
			e.sim.SetQuirks(tt.quirks)
			list, err := e.client.Transactions(context.Background(), tok.AccessToken, openbanking.TransactionQuery{FintechUseNum: fin, From: start, To: start})
			if err != nil {
				t.Fatal(err)
			}
			if len(list.Rows) != 30 || list.Pages != 2 {
				t.Fatalf("rows = %d pages = %d, want 30 rows on 2 pages", len(list.Rows), list.Pages)
			}
			if r := list.Rows[29]; r.PrintContent != "회비029" || r.Amount != 30000 || r.AfterBalance != 100000+30*30000 {
				t.Errorf("last row = %+v", r)
			}
			b, err := e.client.Balance(context.Background(), tok.AccessToken, fin)
			if err != nil {
				t.Fatal(err)
			}
			if b.BalanceAmt != 100000+30*30000 {
				t.Errorf("balance = %d", b.BalanceAmt)
			}
		})
	}
}

func TestNoTransactions(t *testing.T) {
	for _, a0018 := range []bool{false, true} {
		t.Run(fmt.Sprintf("A0018=%v", a0018), func(t *testing.T) {
			e := newEnv(t)
			tok := e.link(t)
			fin := e.fintechUseNum(t, tok)
			e.sim.SetQuirks(testbed.Quirks{EmptyAsA0018: a0018})
			list, err := e.client.Transactions(context.Background(), tok.AccessToken, openbanking.TransactionQuery{FintechUseNum: fin, From: start, To: start})
			if err != nil {
				t.Fatal(err)
			}
			if len(list.Rows) != 0 || list.Pages != 1 {
				t.Errorf("rows = %d pages = %d, want none on 1 page", len(list.Rows), list.Pages)
			}
		})
	}
}

func TestRefreshRotation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tok := e.link(t)
	e.sim.Clock().Advance(time.Hour)
	fresh, err := e.client.Refresh(ctx, tok.RefreshToken, tok.Scope)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.AccessToken == tok.AccessToken || fresh.RefreshToken == tok.RefreshToken {
		t.Error("refresh did not rotate the pair")
	}
	if got, want := fresh.ExpiresAt, start.Add(time.Hour+7775999*time.Second); !got.Equal(want) {
		t.Errorf("expires at %v, want %v", got, want)
	}
	if _, err := e.client.Balance(ctx, fresh.AccessToken, e.fintechUseNum(t, fresh)); err != nil {
		t.Fatalf("new access token: %v", err)
	}
	_, err = e.client.Refresh(ctx, tok.RefreshToken, tok.Scope)
	if got := openbanking.Classify(err); got != openbanking.ClassRelink {
		t.Errorf("old refresh token: class %v (%v), want relink", got, err)
	}
}

func TestRevokedToken(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tok := e.link(t)
	fin := e.fintechUseNum(t, tok)
	if err := e.client.Revoke(ctx, tok.AccessToken); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.Balance(ctx, tok.AccessToken, fin)
	wantCode(t, err, "O0002", openbanking.ClassRelink)
	_, err = e.client.Refresh(ctx, tok.RefreshToken, tok.Scope)
	if got := openbanking.Classify(err); got != openbanking.ClassRelink {
		t.Errorf("refresh after revoke: class %v (%v), want relink", got, err)
	}
}

// TestRevokeSuccessCodes checks that a revoke succeeds on either success
// code (issue 13, finding 2): the contract names none for revoke, the
// simulator answers A0000 and, with its quirk, O0000.
func TestRevokeSuccessCodes(t *testing.T) {
	tests := []struct {
		name   string
		quirks testbed.Quirks
	}{
		{"A0000", testbed.Quirks{}},
		{"O0000", testbed.Quirks{RevokeO0000: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			tok := e.link(t)
			fin := e.fintechUseNum(t, tok)
			e.sim.SetQuirks(tt.quirks)
			if err := e.client.Revoke(ctx, tok.AccessToken); err != nil {
				t.Fatalf("revoke: %v", err)
			}
			_, err := e.client.Balance(ctx, tok.AccessToken, fin)
			wantCode(t, err, "O0002", openbanking.ClassRelink)
		})
	}
}

// TestRevokeFailures checks the revoke answers that are not a success, from a
// fixed answer each.
func TestRevokeFailures(t *testing.T) {
	tests := []struct {
		name string
		body string
		code string // the error's rsp_code; "" for a malformed answer
	}{
		{"TokenRejected", `{"rsp_code":"O0002","rsp_message":"Access Token 거부"}`, "O0002"},
		{"BadParameter", `{"rsp_code":"O0001","rsp_message":"인증 파라미터 오류([3000201])"}`, "O0001"},
		{"OtherCode", `{"rsp_code":"A0003","rsp_message":"내부 처리 에러"}`, "A0003"},
		{"NoRspCode", `{"access_token":"x","refresh_token":"y"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.URL.Path != "/oauth/2.0/revoke" {
					t.Errorf("request %s %s, want POST /oauth/2.0/revoke", r.Method, r.URL.Path)
				}
				w.Header().Set("Content-Type", "application/json; charset=UTF-8")
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			c, err := openbanking.New(openbanking.Config{BaseURL: srv.URL, ClientID: "id", ClientSecret: "secret", HTTPClient: srv.Client()})
			if err != nil {
				t.Fatal(err)
			}
			err = c.Revoke(context.Background(), "access")
			e, ok := errors.AsType[*openbanking.Error](err)
			if !ok {
				t.Fatalf("err = %v, want *openbanking.Error", err)
			}
			if e.RspCode != tt.code {
				t.Errorf("rsp_code = %q, want %q (%v)", e.RspCode, tt.code, err)
			}
		})
	}
}

func TestExpiredTokenAfter90Days(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tok := e.link(t)
	fin := e.fintechUseNum(t, tok)
	e.sim.Clock().Advance(90 * 24 * time.Hour)
	_, err := e.client.Balance(ctx, tok.AccessToken, fin)
	wantCode(t, err, "O0003", openbanking.ClassTokenExpired)

	// A session refreshes once on O0003 and retries; the refresh token lives
	// 100 days.
	saver := &recordingSaver{}
	s := e.client.NewSession(tok, saver)
	if _, err := s.Balance(ctx, fin); err != nil {
		t.Fatalf("session balance: %v", err)
	}
	if len(saver.saved) != 1 || saver.saved[0].AccessToken == tok.AccessToken {
		t.Errorf("saved %d tokens, want the one refreshed pair", len(saver.saved))
	}
}

func TestSessionRefreshesForcedExpiryOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tok := e.link(t)
	fin := e.fintechUseNum(t, tok)
	// The token's own expiry is months away, so only the O0003 answer can
	// trigger the refresh.
	if err := e.sim.ExpireToken(tok.AccessToken); err != nil {
		t.Fatal(err)
	}
	saver := &recordingSaver{}
	s := e.client.NewSession(tok, saver)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := s.Transactions(ctx, openbanking.TransactionQuery{FintechUseNum: fin, From: start, To: start})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if len(saver.saved) != 1 {
		t.Errorf("refreshed %d times, want once for all concurrent calls", len(saver.saved))
	}
	if s.Token().AccessToken != saver.saved[0].AccessToken {
		t.Error("session does not use the saved pair")
	}
}

func TestSessionRefreshesAheadOfExpiry(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tok := e.link(t)
	fin := e.fintechUseNum(t, tok)
	e.sim.Clock().Advance(89*24*time.Hour + 12*time.Hour)
	e.sim.ResetStats()
	saver := &recordingSaver{}
	s := e.client.NewSession(tok, saver)
	if _, err := s.Balance(ctx, fin); err != nil {
		t.Fatal(err)
	}
	if len(saver.saved) != 1 {
		t.Fatalf("saved %d tokens, want 1", len(saver.saved))
	}
	if got := e.sim.Stats().ByAPI["balance"]; got != 1 {
		t.Errorf("balance calls = %d, want 1 (refresh before the call, no O0003 round trip)", got)
	}
}

func TestSessionSaveFailure(t *testing.T) {
	e := newEnv(t)
	tok := e.link(t)
	fin := e.fintechUseNum(t, tok)
	e.sim.Clock().Advance(90 * 24 * time.Hour)
	s := e.client.NewSession(tok, failingSaver{})
	_, err := s.Balance(context.Background(), fin)
	if err == nil || !strings.Contains(err.Error(), "save refreshed token") {
		t.Errorf("err = %v, want the save failure", err)
	}
}

type recordingSaver struct {
	mu    sync.Mutex
	saved []openbanking.Token
}

func (r *recordingSaver) SaveToken(_ context.Context, t openbanking.Token) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.saved = append(r.saved, t)
	return nil
}

type failingSaver struct{}

func (failingSaver) SaveToken(context.Context, openbanking.Token) error {
	return errors.New("disk full")
}

func TestOOBTokenOnInquiry(t *testing.T) {
	e := newEnv(t)
	tok := e.link(t)
	fin := e.fintechUseNum(t, tok)
	it, err := e.client.ClientCredentials(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.client.Balance(context.Background(), it.AccessToken, fin)
	wantCode(t, err, "O0011", openbanking.ClassPermanent)
	_, err = e.client.TransactionPage(context.Background(), it.AccessToken, openbanking.TransactionQuery{FintechUseNum: fin, From: start, To: start}, "")
	wantCode(t, err, "O0011", openbanking.ClassPermanent)
}

// fixedSequence always returns the same number, as a broken sequence store
// would.
type fixedSequence struct{}

func (fixedSequence) Next(context.Context, string) (uint64, error) { return 42, nil }

func TestReusedBankTranID(t *testing.T) {
	e := newEnv(t, func(_ *testbed.Config, c *openbanking.Config) { c.Sequence = fixedSequence{} })
	tok := e.link(t)
	fin := e.fintechUseNum(t, tok)
	if _, err := e.client.Balance(context.Background(), tok.AccessToken, fin); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.Balance(context.Background(), tok.AccessToken, fin)
	wantCode(t, err, "A0008", openbanking.ClassPermanent)
}

func TestWrongBankTranIDPrefix(t *testing.T) {
	e := newEnv(t, func(_ *testbed.Config, c *openbanking.Config) { c.ClientUseCode = "M209999999" })
	tok := e.link(t)
	_, err := e.client.Balance(context.Background(), tok.AccessToken, e.fintechUseNum(t, tok))
	wantCode(t, err, "A0004", openbanking.ClassPermanent)
}

func TestForeignAccount(t *testing.T) {
	e := newEnv(t)
	tok := e.link(t)
	_, err := e.client.Balance(context.Background(), tok.AccessToken, "199999999999999999999999")
	wantCode(t, err, "A0304", openbanking.ClassPermanent)
}

func TestMaintenanceWindowNotRetried(t *testing.T) {
	e := newEnv(t)
	tok := e.link(t)
	fin := e.fintechUseNum(t, tok)
	e.sim.Clock().Set(time.Date(2026, 11, 25, 23, 55, 0, 0, openbanking.KST()))
	e.sim.ResetStats()
	_, err := e.client.Transactions(context.Background(), tok.AccessToken, openbanking.TransactionQuery{FintechUseNum: fin, From: start, To: start})
	wantCode(t, err, "A0002", openbanking.ClassTransient)
	if !openbanking.IsMaintenance(err) {
		t.Errorf("err = %v, want maintenance", err)
	}
	if got := e.sim.Stats().ByAPI["transaction_list"]; got != 1 {
		t.Errorf("calls = %d, want 1: maintenance is not retried", got)
	}
}

func TestRateLimit(t *testing.T) {
	t.Run("GivesUp", func(t *testing.T) {
		e := newEnv(t, fastRetry(1))
		tok := e.link(t)
		fin := e.fintechUseNum(t, tok)
		e.sim.SetRateLimit(1, 1)
		var err error
		for range 3 {
			if _, err = e.client.Balance(context.Background(), tok.AccessToken, fin); err != nil {
				break
			}
		}
		wantCode(t, err, "O0008", openbanking.ClassRateLimited)
	})
	t.Run("BacksOff", func(t *testing.T) {
		e := newEnv(t, func(_ *testbed.Config, c *openbanking.Config) {
			c.Retry = openbanking.RetryPolicy{Attempts: 5, BaseDelay: 10 * time.Millisecond, MaxDelay: 100 * time.Millisecond, RateLimitDelay: 60 * time.Millisecond}
		})
		tok := e.link(t)
		fin := e.fintechUseNum(t, tok)
		e.sim.SetRateLimit(20, 1)
		for i := range 5 {
			if _, err := e.client.Balance(context.Background(), tok.AccessToken, fin); err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
		}
	})
}

// TestTransientFaults runs the client against injected faults over kept-alive
// connections. Every call that reached the simulator must also have passed the
// client's http.Client, so that a counter there sees the calls KFTC bills.
func TestTransientFaults(t *testing.T) {
	tests := []struct {
		name      string
		fault     testbed.Fault
		attempts  int
		wantErr   bool
		wantCalls int64
		wantClass openbanking.Class
	}{
		{"HTTP500Recovers", testbed.Fault{API: "balance", Count: 2, HTTPStatus: 500}, 4, false, 3, 0},
		{"HTTP500GivesUp", testbed.Fault{API: "balance", Count: 10, HTTPStatus: 500}, 4, true, 4, openbanking.ClassTransient},
		{"DropRecovers", testbed.Fault{API: "balance", Count: 1, Drop: true}, 4, false, 2, 0},
		{"DropGivesUp", testbed.Fault{API: "balance", Count: 10, Drop: true}, 3, true, 3, openbanking.ClassTransient},
		{"DelayedDropRecovers", testbed.Fault{API: "balance", Count: 1, Drop: true, Delay: 20 * time.Millisecond}, 4, false, 2, 0},
		{"A0003Recovers", testbed.Fault{API: "balance", Count: 3, RspCode: "A0003"}, 4, false, 4, 0},
		{"A0007GivesUp", testbed.Fault{Count: 10, RspCode: "A0007"}, 2, true, 2, openbanking.ClassTransient},
		{"A0015Recovers", testbed.Fault{API: "balance", Count: 1, RspCode: "A0015"}, 4, false, 2, 0},
		{"PermanentNotRetried", testbed.Fault{API: "balance", Count: 1, RspCode: "A0013"}, 4, true, 1, openbanking.ClassPermanent},
		{"OtherAPIUntouched", testbed.Fault{API: "transaction_list", Count: 5, HTTPStatus: 500}, 4, false, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, fastRetry(tt.attempts))
			tok := e.link(t)
			fin := e.fintechUseNum(t, tok) // leaves a kept-alive connection
			if err := e.sim.InjectFault(tt.fault); err != nil {
				t.Fatal(err)
			}
			e.sim.ResetStats()
			e.calls.n.Store(0)
			_, err := e.client.Balance(context.Background(), tok.AccessToken, fin)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if got := openbanking.Classify(err); got != tt.wantClass {
					t.Errorf("class = %v, want %v (%v)", got, tt.wantClass, err)
				}
			}
			if got := e.sim.Stats().ByAPI["balance"]; got != tt.wantCalls {
				t.Errorf("balance calls = %d, want %d", got, tt.wantCalls)
			}
			if got := e.calls.n.Load(); got != tt.wantCalls {
				t.Errorf("counted calls = %d, want %d", got, tt.wantCalls)
			}
		})
	}
}

func TestTimeouts(t *testing.T) {
	t.Run("PerAttemptTimeoutRetried", func(t *testing.T) {
		e := newEnv(t, func(_ *testbed.Config, c *openbanking.Config) { c.Timeout = 300 * time.Millisecond })
		tok := e.link(t)
		fin := e.fintechUseNum(t, tok)
		if err := e.sim.InjectFault(testbed.Fault{API: "balance", Count: 1, Delay: 2 * time.Second}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.client.Balance(context.Background(), tok.AccessToken, fin); err != nil {
			t.Fatalf("err = %v, want success on the retry", err)
		}
	})
	t.Run("CallerDeadline", func(t *testing.T) {
		e := newEnv(t)
		tok := e.link(t)
		fin := e.fintechUseNum(t, tok)
		if err := e.sim.InjectFault(testbed.Fault{API: "balance", Count: 5, Delay: 2 * time.Second}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		began := time.Now()
		_, err := e.client.Balance(ctx, tok.AccessToken, fin)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want deadline exceeded", err)
		}
		if d := time.Since(began); d > 1500*time.Millisecond {
			t.Errorf("returned after %v, want soon after the caller's deadline", d)
		}
	})
}

func TestErrorsCarryNoSecrets(t *testing.T) {
	e := newEnv(t, fastRetry(1))
	ctx := context.Background()
	tok := e.link(t)
	fin := e.fintechUseNum(t, tok)
	var errs []error
	_, err := e.client.Refresh(ctx, "garbage-refresh-token", "")
	errs = append(errs, err)
	if err := e.sim.InjectFault(testbed.Fault{Count: 1, Drop: true}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.Balance(ctx, tok.AccessToken, fin)
	errs = append(errs, err)
	e.sim.Clock().Advance(91 * 24 * time.Hour)
	_, err = e.client.Transactions(ctx, tok.AccessToken, openbanking.TransactionQuery{FintechUseNum: fin, From: start, To: start})
	errs = append(errs, err)
	e.srv.Close()
	_, err = e.client.ExchangeCode(ctx, "some-code")
	errs = append(errs, err)
	for _, err := range errs {
		if err == nil {
			t.Fatal("call succeeded, want an error")
		}
		msg := fmt.Sprintf("%v %+v %#v", err, err, err)
		for _, secret := range []string{tok.AccessToken, tok.RefreshToken, e.inst.ClientSecret, fin, "garbage-refresh-token"} {
			if strings.Contains(msg, secret) {
				t.Errorf("error %q contains a secret", err)
			}
		}
	}
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("linked", "token", tok)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("linked", "token", tok)
	if !strings.Contains(logged.String(), tok.UserSeqNo) {
		t.Errorf("log line lacks the user_seq_no: %s", logged.String())
	}
	if s := fmt.Sprintf("%v %+v %#v %s", tok, tok, tok, tok) + logged.String(); strings.Contains(s, tok.AccessToken) || strings.Contains(s, tok.RefreshToken) {
		t.Errorf("formatted or logged token shows its secrets: %s", s)
	}
}

func TestContextRequired(t *testing.T) {
	e := newEnv(t)
	tok := e.link(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.client.Balance(ctx, tok.AccessToken, "x")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want canceled", err)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  openbanking.Config
	}{
		{"NoBaseURL", openbanking.Config{ClientID: "a", ClientSecret: "b"}},
		{"RelativeBaseURL", openbanking.Config{BaseURL: "/v2.0", ClientID: "a", ClientSecret: "b"}},
		{"FTP", openbanking.Config{BaseURL: "ftp://127.0.0.1", ClientID: "a", ClientSecret: "b"}},
		{"NoClientID", openbanking.Config{BaseURL: "http://127.0.0.1", ClientSecret: "b"}},
		{"NoSecret", openbanking.Config{BaseURL: "http://127.0.0.1", ClientID: "a"}},
		{"ShortUseCode", openbanking.Config{BaseURL: "http://127.0.0.1", ClientID: "a", ClientSecret: "b", ClientUseCode: "M2026"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := openbanking.New(tt.cfg); err == nil {
				t.Error("New succeeded, want error")
			}
		})
	}
}

func TestAuthorizeURL(t *testing.T) {
	c, err := openbanking.New(openbanking.Config{BaseURL: "http://127.0.0.1:9443/", ClientID: "cid", ClientSecret: "sec", RedirectURI: callback})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AuthorizeURL("short", openbanking.AuthorizeOptions{}); err == nil {
		t.Error("short state accepted")
	}
	state := openbanking.NewState()
	u, err := c.AuthorizeURL(state, openbanking.AuthorizeOptions{ClientInfo: "x y"})
	if err != nil {
		t.Fatal(err)
	}
	want := "http://127.0.0.1:9443/oauth/2.0/authorize?auth_type=0&client_id=cid&client_info=x+y&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Foauth%2Fcallback&response_type=code&scope=login+inquiry&state=" + state
	if u != want {
		t.Errorf("url =\n %s\nwant\n %s", u, want)
	}
	if strings.Contains(u, "sec") {
		t.Error("authorize url contains the client secret")
	}
}

// The simulator must answer unknown paths with 404 so a misconfigured base URL
// fails loudly.
func TestUnknownPath(t *testing.T) {
	e := newEnv(t)
	resp, err := e.srv.Client().Get(e.srv.URL + "/v2.0/nope")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("status = %d, want 404", resp.StatusCode)
	}
}

// TestRefreshWithoutRotation covers the alternative the contract names for its
// (decided) rotation: a refresh answer without refresh_token keeps the old one.
// The simulator always rotates, so this one case uses a fixed answer.
func TestRefreshWithoutRotation(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/oauth/2.0/token" || r.FormValue("grant_type") != "refresh_token" || r.FormValue("refresh_token") != "old-refresh" {
			t.Errorf("unexpected request %s %s %v", r.Method, r.URL.Path, r.Form)
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.Write([]byte(`{"access_token":"new-access","token_type":"Bearer","expires_in":7775999,"scope":"inquiry login","user_seq_no":"1100000001"}`))
	}))
	defer srv.Close()
	c, err := openbanking.New(openbanking.Config{BaseURL: srv.URL, ClientID: "id", ClientSecret: "secret", HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.Refresh(context.Background(), "old-refresh", "inquiry login")
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "new-access" || tok.RefreshToken != "old-refresh" {
		t.Errorf("token = %q/%q, want new-access/old-refresh", tok.AccessToken, tok.RefreshToken)
	}
}

func TestSessionUserMeAndAccountListRefresh(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tok := e.link(t)
	if err := e.sim.ExpireToken(tok.AccessToken); err != nil {
		t.Fatal(err)
	}
	saver := &recordingSaver{}
	s := e.client.NewSession(tok, saver)
	me, err := s.UserMe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if me.UserSeqNo != tok.UserSeqNo {
		t.Errorf("user/me user = %q, want %q", me.UserSeqNo, tok.UserSeqNo)
	}
	list, err := s.AccountList(ctx, openbanking.AccountListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Accounts) != 1 || len(saver.saved) != 1 {
		t.Errorf("accounts = %d, refreshes = %d; want 1 and 1", len(list.Accounts), len(saver.saved))
	}
	if s.Token().Expired(start) {
		t.Error("refreshed token is expired")
	}
}

func TestTransactionQueryValidation(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		q    openbanking.TransactionQuery
	}{
		{"NoAccount", openbanking.TransactionQuery{From: start, To: start}},
		{"BadType", openbanking.TransactionQuery{FintechUseNum: "1", Type: "X", From: start, To: start}},
		{"NoFrom", openbanking.TransactionQuery{FintechUseNum: "1", To: start}},
		{"ToBeforeFrom", openbanking.TransactionQuery{FintechUseNum: "1", From: start, To: start.Add(-time.Hour)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.sim.ResetStats()
			_, err := e.client.Transactions(context.Background(), "token", tt.q)
			if err == nil {
				t.Fatal("invalid query accepted")
			}
			if got := e.sim.Stats().ByAPI["transaction_list"]; got != 0 {
				t.Errorf("invalid query reached the service %d times", got)
			}
		})
	}
}

func TestSessionRefreshWithin(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tok := e.link(t)
	saver := &recordingSaver{}
	s := e.client.NewSession(tok, saver)
	const margin = 21 * 24 * time.Hour
	tests := []struct {
		name    string
		advance time.Duration
		want    bool
	}{
		{"fresh token", 0, false},
		{"still outside the margin", 68 * 24 * time.Hour, false},
		{"inside the margin", 2 * 24 * time.Hour, true},
		{"just refreshed", time.Hour, false},
	}
	for _, tt := range tests {
		e.sim.Clock().Advance(tt.advance)
		got, err := s.RefreshWithin(ctx, margin)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got != tt.want {
			t.Errorf("%s: refreshed = %v, want %v", tt.name, got, tt.want)
		}
	}
	if len(saver.saved) != 1 {
		t.Fatalf("saved %d pairs, want 1", len(saver.saved))
	}
	if got := s.Token(); got.AccessToken != saver.saved[0].AccessToken || got.AccessToken == tok.AccessToken {
		t.Error("the session does not use the saved new pair")
	}
}
