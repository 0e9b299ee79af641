package openbanking_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moimbot/moimbot/openbanking"
	"github.com/moimbot/moimbot/openbanking/testbed"
)

// countingTransport counts the inquiry requests that pass through it the way
// cmd/moimbot's call counter does: one per RoundTrip of the caller's
// http.Client, in front of the real transport.
type countingTransport struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasPrefix(r.URL.Path, "/v2.0/") {
		c.n.Add(1)
	}
	return c.next.RoundTrip(r)
}

// lossyBank serves the simulator, but answers the inquiry request number
// dropAt (1-based, counting requests to path) the way a bank behind a dropped
// connection does: the simulator processes the request, so its bank_tran_id is
// consumed, and then the connection is closed without an answer.
type lossyBank struct {
	sim    http.Handler
	path   string
	dropAt int

	mu      sync.Mutex
	seen    int
	tranIDs []string // bank_tran_id of every request to path, in order
	conns   []string // the client address of every request to path
	bodies  []string // requests to path that announced a body
}

func (b *lossyBank) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != b.path {
		b.sim.ServeHTTP(w, r)
		return
	}
	b.mu.Lock()
	b.seen++
	n := b.seen
	b.tranIDs = append(b.tranIDs, r.URL.Query().Get("bank_tran_id"))
	b.conns = append(b.conns, r.RemoteAddr)
	if r.ContentLength != 0 || len(r.TransferEncoding) > 0 || r.Header.Get("Content-Length") != "" {
		b.bodies = append(b.bodies, fmt.Sprintf("%s with length %d, encoding %v", r.Method, r.ContentLength, r.TransferEncoding))
	}
	b.mu.Unlock()
	if n != b.dropAt {
		b.sim.ServeHTTP(w, r)
		return
	}
	b.sim.ServeHTTP(httptest.NewRecorder(), r) // the bank did the work
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

// TestDroppedKeepAliveConnection reproduces issue 13, finding 1: a call warms a
// keep-alive connection, and the bank then consumes the next call's
// bank_tran_id and drops that reused connection without answering. net/http
// would silently resend the GET with the same bank_tran_id (A0008, a permanent
// error, and a second call that no counter in front of the transport sees).
// The client must instead retry with a new bank_tran_id, succeed, and let
// every call pass the caller's transport so that it is counted.
func TestDroppedKeepAliveConnection(t *testing.T) {
	tests := []struct {
		name string
		path string
		call func(ctx context.Context, c *openbanking.Client, tok openbanking.Token, fin string) error
	}{
		{"TransactionList", "/v2.0/account/transaction_list/fin_num",
			func(ctx context.Context, c *openbanking.Client, tok openbanking.Token, fin string) error {
				_, err := c.TransactionPage(ctx, tok.AccessToken, openbanking.TransactionQuery{FintechUseNum: fin, From: start, To: start}, "")
				return err
			}},
		{"Balance", "/v2.0/account/balance/fin_num",
			func(ctx context.Context, c *openbanking.Client, tok openbanking.Token, fin string) error {
				_, err := c.Balance(ctx, tok.AccessToken, fin)
				return err
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := testbed.New(testbed.Config{Clock: testbed.NewClock(start), RateLimit: -1})
			bank := &lossyBank{sim: sim, path: tt.path, dropAt: 2}
			srv := httptest.NewServer(bank)
			t.Cleanup(srv.Close)
			inst, user, acct := seedSimulator(t, sim)
			counter := &countingTransport{next: srv.Client().Transport}
			c, err := openbanking.New(openbanking.Config{
				BaseURL: srv.URL, ClientID: inst.ClientID, ClientSecret: inst.ClientSecret,
				ClientUseCode: inst.ClientUseCode, RedirectURI: callback,
				HTTPClient: &http.Client{Transport: counter}, Now: sim.Clock().Now,
				Retry: openbanking.RetryPolicy{Attempts: 4, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond},
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			tok := linkWith(t, c, srv, user, acct)
			fin := registeredFintech(t, sim, inst, acct)

			if err := tt.call(ctx, c, tok, fin); err != nil { // warms the connection
				t.Fatalf("first call: %v", err)
			}
			sim.ResetStats()
			counter.n.Store(0)
			if err := tt.call(ctx, c, tok, fin); err != nil {
				t.Fatalf("call over the dropped connection: %v", err)
			}

			bank.mu.Lock()
			ids, conns, bodies := slices.Clone(bank.tranIDs), slices.Clone(bank.conns), slices.Clone(bank.bodies)
			bank.mu.Unlock()
			// The request is kept from being resent, but is still a
			// plain GET without a body on the wire.
			if len(bodies) > 0 {
				t.Errorf("requests announced a body: %v", bodies)
			}
			if got, want := len(ids), 3; got != want {
				t.Fatalf("the bank received %d calls (%v), want %d: warm-up, dropped, retry", got, ids, want)
			}
			if conns[1] != conns[0] {
				t.Errorf("the dropped call came on %s, want the warmed connection %s", conns[1], conns[0])
			}
			if ids[2] == ids[1] {
				t.Errorf("the retry resent bank_tran_id %s, want a new one", ids[2])
			}
			if got, want := counter.n.Load(), int64(2); got != want {
				t.Errorf("counted calls = %d, want %d (every call that reached the bank)", got, want)
			}
			if got, want := sim.Stats().ByAPI[apiOf(tt.path)], int64(2); got != want {
				t.Errorf("simulator calls = %d, want %d", got, want)
			}
		})
	}
}

func apiOf(path string) string {
	if strings.Contains(path, "balance") {
		return testbed.APIBalance
	}
	return testbed.APITransactionList
}

// seedSimulator adds the institution, user and account that newEnv adds.
func seedSimulator(t *testing.T, sim *testbed.Server) (testbed.Institution, testbed.User, testbed.Account) {
	t.Helper()
	inst, err := sim.AddInstitution(testbed.Institution{Name: "모임봇", RedirectURIs: []string{callback}})
	if err != nil {
		t.Fatal(err)
	}
	user, err := sim.AddUser(testbed.User{Name: "김총무"})
	if err != nil {
		t.Fatal(err)
	}
	acct, err := sim.AddAccount(testbed.Account{UserSeqNo: user.UserSeqNo, BankCodeStd: "090", AccountNum: "3333-01-2345678", Balance: 100000})
	if err != nil {
		t.Fatal(err)
	}
	return inst, user, acct
}

// linkWith runs the code flow for user and acct and returns the token pair.
func linkWith(t *testing.T, c *openbanking.Client, srv *httptest.Server, user testbed.User, acct testbed.Account) openbanking.Token {
	t.Helper()
	state := openbanking.NewState()
	u, err := c.AuthorizeURL(state, openbanking.AuthorizeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	loc, err := testbed.Consent(context.Background(), srv.Client(), u, user.UserSeqNo, []string{acct.ID}, true)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := openbanking.ParseCallback(loc.Query(), state)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.ExchangeCode(context.Background(), cb.Code)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// registeredFintech returns the fintech_use_num of acct for inst.
func registeredFintech(t *testing.T, sim *testbed.Server, inst testbed.Institution, acct testbed.Account) string {
	t.Helper()
	for _, r := range sim.Registrations() {
		if r.AccountID == acct.ID && r.ClientID == inst.ClientID {
			return r.FintechUseNum
		}
	}
	t.Fatalf("account %s is not registered", acct.ID)
	return ""
}
