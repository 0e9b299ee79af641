package openbanking

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// Base URLs of the KFTC services.
const (
	ProductionURL = "https://openapi.openbanking.or.kr"
	TestbedURL    = "https://testapi.openbanking.or.kr"
)

// kst is Korea Standard Time, in which KFTC dates and times are written. It is a
// fixed zone (Korea has no daylight saving time), so it needs no tzdata.
var kst = time.FixedZone("KST", 9*60*60)

// KST returns the Asia/Seoul time zone as the KFTC API uses it.
func KST() *time.Location { return kst }

// maxBody bounds how much of a response body the client reads.
const maxBody = 4 << 20

// Config configures a Client. BaseURL, ClientID and ClientSecret are required;
// everything else has a default.
type Config struct {
	// BaseURL is the service root, e.g. TestbedURL or a simulator's address.
	BaseURL string
	// ClientID and ClientSecret are the institution's credentials.
	ClientID     string
	ClientSecret string
	// ClientUseCode is the institution code (이용기관코드, 10 characters) that
	// prefixes every bank_tran_id. Required for balance and transaction list.
	ClientUseCode string
	// RedirectURI is the registered callback URL used at authorize and code
	// exchange.
	RedirectURI string
	// HTTPClient sends the requests; nil means a client with sane timeouts.
	// Every attempt of a call passes its RoundTrip exactly once: balance and
	// transaction-list requests are kept from being resent by the Transport
	// itself (see forbidResend), so a counting RoundTripper here sees every
	// call that can have reached the bank, retries included.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sequence hands out the daily numbers bank_tran_id values are built from;
	// nil means an in-memory sequence (see MemorySequence).
	Sequence SequenceSource
	// Timeout bounds each HTTP attempt when the caller's context has no
	// earlier deadline; 0 means 30 seconds.
	Timeout time.Duration
	// Retry controls retries of transient and rate-limited inquiry failures.
	Retry RetryPolicy
	// UserAgent is sent with every request; empty means "moimbot".
	UserAgent string
}

// RetryPolicy bounds the retries of inquiry calls. Token endpoint calls are never
// retried automatically: a lost answer to a refresh may already have rotated the
// refresh token, and a code is single use. Each retry of a balance or
// transaction-list call carries a new bank_tran_id: the bank may have consumed
// the old one even when its answer was lost.
type RetryPolicy struct {
	// Attempts is the total number of tries, at least 1; 0 means 4.
	Attempts int
	// BaseDelay is the first backoff; it doubles per retry with full jitter.
	// 0 means 500ms.
	BaseDelay time.Duration
	// MaxDelay caps one backoff; 0 means 10s.
	MaxDelay time.Duration
	// RateLimitDelay is the least wait after a rate-limit answer; 0 means 1s.
	RateLimitDelay time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = 4
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 500 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 10 * time.Second
	}
	if p.RateLimitDelay <= 0 {
		p.RateLimitDelay = time.Second
	}
	return p
}

// backoff returns the wait before retry number n (1-based) after an error of
// class c: exponential with full jitter, capped.
func (p RetryPolicy) backoff(n int, c Class) time.Duration {
	d := p.BaseDelay << min(n-1, 20)
	if d <= 0 || d > p.MaxDelay {
		d = p.MaxDelay
	}
	d = time.Duration(rand.Int64N(int64(d)) + 1)
	if c == ClassRateLimited && d < p.RateLimitDelay {
		d = p.RateLimitDelay
	}
	return d
}

// Client calls the KFTC Open Banking API. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	cfg       Config
	http      *http.Client
	now       func() time.Time
	seq       SequenceSource
	retry     RetryPolicy
	timeout   time.Duration
	userAgent string
}

// New returns a client for cfg. It validates the configuration and does no I/O.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		return nil, errors.New("openbanking: base url is required")
	}
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("openbanking: base url %q is not an absolute http(s) url", cfg.BaseURL)
	}
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("openbanking: client id and client secret are required")
	}
	if cfg.ClientUseCode != "" && len(cfg.ClientUseCode) != 10 {
		return nil, fmt.Errorf("openbanking: client use code %q must be 10 characters", cfg.ClientUseCode)
	}
	c := &Client{
		base:      base,
		cfg:       cfg,
		http:      cfg.HTTPClient,
		now:       cfg.Now,
		seq:       cfg.Sequence,
		retry:     cfg.Retry.withDefaults(),
		timeout:   cfg.Timeout,
		userAgent: cfg.UserAgent,
	}
	if c.http == nil {
		c.http = &http.Client{Transport: http.DefaultTransport}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.seq == nil {
		c.seq = &MemorySequence{Now: c.now}
	}
	if c.timeout <= 0 {
		c.timeout = 30 * time.Second
	}
	if c.userAgent == "" {
		c.userAgent = "moimbot"
	}
	return c, nil
}

func (c *Client) endpoint(path string) string {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + path
	return u.String()
}

// send performs one HTTP exchange bounded by the client's timeout and decodes
// the JSON object it answers. A non-200 status, a transport failure or a body
// that is not a JSON object is returned as *Error without RspCode; a failure
// after a connection was obtained is marked as a lost connection (transient).
// The response code inside the body is not interpreted here.
func (c *Client) send(ctx context.Context, op string, req *http.Request) (object, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var connected atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { connected.Store(true) },
	})
	req = req.WithContext(ctx)
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		err = stripURL(err)
		if connected.Load() && ctx.Err() == nil {
			// Not a dial, TLS or deadline failure: the connection broke
			// under the request.
			err = &connLostError{err: err}
		}
		return nil, &Error{Op: op, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, &Error{Op: op, HTTPStatus: resp.StatusCode, Err: fmt.Errorf("read response: %w", stripURL(err))}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &Error{Op: op, HTTPStatus: resp.StatusCode}
	}
	o, err := decodeObject(body)
	if err != nil {
		return nil, &Error{Op: op, HTTPStatus: resp.StatusCode, Err: err}
	}
	return o, nil
}

// stripURL removes the request URL from a transport error: inquiry URLs carry
// account identifiers that must not end up in logs.
func stripURL(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}

// withRetry runs attempt until it succeeds, fails with an error that is not
// worth repeating, or the retry policy is exhausted. Transient and rate-limited
// errors are retried with backoff, except a bank's maintenance answer, which
// lasts far longer than any backoff.
func (c *Client) withRetry(ctx context.Context, attempt func(ctx context.Context) error) error {
	var err error
	for n := 1; ; n++ {
		err = attempt(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		class := Classify(err)
		if (class != ClassTransient && class != ClassRateLimited) || IsMaintenance(err) || n >= c.retry.Attempts {
			return err
		}
		t := time.NewTimer(c.retry.backoff(n, class))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// checkRsp turns a response code other than success into *Error. For
// bank-relayed calls the bank's own code must be 000 as well.
func checkRsp(op string, h header, bankRelayed bool) error {
	if h.RspCode == "" {
		return &Error{Op: op, HTTPStatus: http.StatusOK, Err: errors.New("response has no rsp_code")}
	}
	if h.RspCode != CodeOK || (bankRelayed && h.BankRspCode != BankCodeOK) {
		return &Error{
			Op:             op,
			HTTPStatus:     http.StatusOK,
			RspCode:        h.RspCode,
			RspMessage:     h.RspMessage,
			BankRspCode:    h.BankRspCode,
			BankRspMessage: h.BankRspMessage,
		}
	}
	return nil
}
