package testbed

import (
	"crypto/rand"
	"math"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Names of the simulated APIs, as used by Fault.API and Stats.
const (
	APIAuthorize       = "authorize"
	APIToken           = "token"
	APIRevoke          = "revoke"
	APIUserMe          = "user_me"
	APIAccountList     = "account_list"
	APIBalance         = "balance"
	APITransactionList = "transaction_list"
)

// apiNames lists every API name in a fixed order.
var apiNames = []string{APIAuthorize, APIToken, APIRevoke, APIUserMe, APIAccountList, APIBalance, APITransactionList}

// defaultRateLimit is the contract's (decided) default of 10 requests per
// second per client_id.
const defaultRateLimit = 10

// Config configures a Server. The zero value is usable.
type Config struct {
	// Clock is the simulator clock; nil means NewRealClock().
	Clock *Clock
	// SigningKey is the HS256 key of the issued JWTs; nil means 32 random
	// bytes from crypto/rand.
	SigningKey []byte
	// RateLimit is the number of inquiry requests per second allowed per
	// client_id: 0 means the default of 10, a negative value means unlimited.
	RateLimit float64
	// RateBurst is the rate limiter's bucket size; 0 means the same as the
	// rate (at least 1).
	RateBurst int
	// NoMaintenance disables the nightly maintenance window
	// (23:50:00–00:09:59 KST), which is enabled by default.
	NoMaintenance bool
	// Quirks switches on response variants of the real testbed.
	Quirks Quirks
	// WallNow is the wall clock of the rate limiter; nil means time.Now.
	// The rate limiter deliberately ignores the simulator clock so that a
	// frozen simulator clock does not throttle forever.
	WallNow func() time.Time
}

// Quirks switches on response variants that the real testbed is known to
// produce, so clients can be tested against them. Every field defaults to
// the contract's primary form.
type Quirks struct {
	// NumericAmounts renders amounts and counts as JSON numbers instead of
	// quoted strings.
	NumericAmounts bool `json:"numeric_amounts"`
	// PrintedContent names the transaction memo "printed_content" instead
	// of "print_content".
	PrintedContent bool `json:"printed_content"`
	// OddKeys adds a key with a trailing space ("page_record_cnt ") to
	// transaction lists and an unknown extra key to inquiry responses, and
	// to every res_list row (transactions and accounts) an unknown key with
	// an object value and a trailing-space copy of one of its keys.
	OddKeys bool `json:"odd_keys"`
	// EmptyAsA0018 answers an empty transaction page with rsp_code A0018
	// 거래내역 없음 instead of A0000 and an empty res_list.
	EmptyAsA0018 bool `json:"empty_as_a0018"`
	// RevokeO0000 answers a successful revoke with rsp_code O0000 instead
	// of A0000: the contract names no success code for revoke.
	RevokeO0000 bool `json:"revoke_o0000"`
}

// Server is the simulated KFTC Open Banking testbed. It implements
// http.Handler; all its state is in memory, guarded by a mutex, and it is
// safe for concurrent use. Create it with New.
type Server struct {
	clock   *Clock
	key     []byte
	wallNow func() time.Time
	mux     *http.ServeMux

	mu sync.Mutex
	st state
}

// state is everything a Server remembers; it is guarded by Server.mu.
type state struct {
	institutions map[string]*Institution // by client_id
	instOrder    []string
	useCodes     map[string]string // client_use_code → client_id

	users     map[string]*User // by user_seq_no
	userOrder []string

	accounts     map[string]*account // by Account.ID
	accountOrder []string

	regs       map[regKey]*Registration
	regsByNum  map[string]*Registration // by fintech_use_num
	regCounter int64

	codes  map[string]*authCode    // by code
	tokens map[string]*tokenRecord // by jti
	tranID map[string]tranIDLedger // by client_id

	faults []*Fault

	maintenance bool
	rateLimit   float64
	rateBurst   int
	limiters    map[string]*rate.Limiter // by client_id
	quirks      Quirks

	stats Stats

	nextAccountID int
	nextUserSeq   int
	nextUseCode   int
}

// New returns a Server configured by cfg. It does no I/O.
func New(cfg Config) *Server {
	s := &Server{
		clock:   cfg.Clock,
		key:     cfg.SigningKey,
		wallNow: cfg.WallNow,
	}
	if s.clock == nil {
		s.clock = NewRealClock()
	}
	if s.key == nil {
		s.key = make([]byte, 32)
		rand.Read(s.key) // never fails since Go 1.24
	} else {
		s.key = append([]byte(nil), s.key...)
	}
	if s.wallNow == nil {
		s.wallNow = time.Now
	}
	s.st = state{
		institutions: make(map[string]*Institution),
		useCodes:     make(map[string]string),
		users:        make(map[string]*User),
		accounts:     make(map[string]*account),
		regs:         make(map[regKey]*Registration),
		regsByNum:    make(map[string]*Registration),
		codes:        make(map[string]*authCode),
		tokens:       make(map[string]*tokenRecord),
		tranID:       make(map[string]tranIDLedger),
		maintenance:  !cfg.NoMaintenance,
		quirks:       cfg.Quirks,
		stats:        newStats(),
	}
	s.st.setRateLimit(cfg.RateLimit, cfg.RateBurst)
	s.mux = s.routes()
	return s
}

// ServeHTTP serves the Open Banking wire API under /oauth/2.0/ and /v2.0/
// and the admin API under /testbed/. Unknown paths answer 404.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Clock returns the simulator clock.
func (s *Server) Clock() *Clock {
	return s.clock
}

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	// The wire routes take every method so that a wrong one is answered
	// with O0010 like the real gateway, not with the mux's 405.
	mux.HandleFunc("/oauth/2.0/authorize", s.handleAuthorize)
	mux.HandleFunc("/oauth/2.0/token", s.formEndpoint(APIToken, s.token))
	mux.HandleFunc("/oauth/2.0/revoke", s.formEndpoint(APIRevoke, s.revoke))
	mux.HandleFunc("/v2.0/user/me", s.inquiry(APIUserMe))
	mux.HandleFunc("/v2.0/account/list", s.inquiry(APIAccountList))
	mux.HandleFunc("/v2.0/account/balance/fin_num", s.inquiry(APIBalance))
	mux.HandleFunc("/v2.0/account/transaction_list/fin_num", s.inquiry(APITransactionList))
	s.adminRoutes(mux)
	return mux
}

// SetMaintenance switches the nightly maintenance window on or off.
func (s *Server) SetMaintenance(enabled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.maintenance = enabled
}

// SetRateLimit sets the per-client_id rate limit of the inquiry APIs with
// the same meaning as Config.RateLimit and Config.RateBurst, and starts
// every client with a full bucket.
func (s *Server) SetRateLimit(rps float64, burst int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.setRateLimit(rps, burst)
}

// SetQuirks replaces the active response quirks.
func (s *Server) SetQuirks(q Quirks) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.quirks = q
}

// Settings is the runtime configuration that the admin API shows and
// changes.
type Settings struct {
	Maintenance bool    `json:"maintenance"`
	RateLimit   float64 `json:"rate_limit"` // negative: unlimited
	RateBurst   int     `json:"rate_burst"`
	Quirks      Quirks  `json:"quirks"`
}

// Settings returns the runtime configuration in force, with the rate limit
// defaults resolved.
func (s *Server) Settings() Settings {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Settings{
		Maintenance: s.st.maintenance,
		RateLimit:   s.st.rateLimit,
		RateBurst:   s.st.rateBurst,
		Quirks:      s.st.quirks,
	}
}

func (st *state) setRateLimit(rps float64, burst int) {
	switch {
	case rps == 0 || math.IsNaN(rps):
		rps = defaultRateLimit
	case rps < 0:
		rps = -1
	}
	if burst <= 0 {
		burst = max(int(rps), 1)
	}
	st.rateLimit = rps
	st.rateBurst = burst
	st.limiters = make(map[string]*rate.Limiter)
}

// allow reports whether the client may make one more inquiry call at the
// wall-clock time now.
func (st *state) allow(clientID string, now time.Time) bool {
	if st.rateLimit < 0 {
		return true
	}
	l, ok := st.limiters[clientID]
	if !ok {
		l = rate.NewLimiter(rate.Limit(st.rateLimit), st.rateBurst)
		st.limiters[clientID] = l
	}
	return l.AllowN(now, 1)
}

// inMaintenance reports whether t lies in the nightly bank maintenance
// window 23:50:00–00:09:59 KST.
func inMaintenance(t time.Time) bool {
	t = t.In(kst)
	h, m := t.Hour(), t.Minute()
	return h == 23 && m >= 50 || h == 0 && m < 10
}
