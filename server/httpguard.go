package server

import (
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// The guards of the HTTP surface: security headers and a body limit on the
// link pages (HTTPHandler), and a per-client rate limit for whoever serves
// them (RateLimiter).

// maxLinkBody bounds a request body to the link pages: the consent form
// posts no fields.
const maxLinkBody = 8 << 10

// pageCSP is the link pages' Content-Security-Policy: nothing but their
// inline style, a form that may post anywhere (it leads to the bank's
// consent page, through a redirect), and no framing.
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; form-action *; frame-ancestors 'none'; base-uri 'none'"

// guardPages sets the link pages' security headers on every answer of h,
// redirects and errors included, before h writes it: the one-time link in
// the URL must never leak in a Referer (no-referrer), be cached (no-store)
// or be framed (CSP frame-ancestors and X-Frame-Options). It also bounds
// request bodies to maxLinkBody.
func guardPages(h http.Handler) http.Handler {
	h = http.MaxBytesHandler(h, maxLinkBody)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", pageCSP)
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// RateLimitConfig configures a RateLimiter. The zero value is usable.
type RateLimitConfig struct {
	// Every is the sustained interval between one client's requests; 0
	// means 3 s (20 a minute).
	Every time.Duration
	// Burst is how many requests a client may make at once; 0 means 20.
	// Linking an account takes three (the page, its form, the bank's
	// redirect back).
	Burst int
	// MaxClients bounds the clients remembered; 0 means 10,000. When it is
	// reached, clients idle long enough to have a full bucket again are
	// forgotten first, then the longest idle.
	MaxClients int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed: a request from one of them is counted against the
	// rightmost address of that header that is not itself a trusted
	// proxy. Without any, X-Forwarded-For is ignored and the client is the
	// connection's remote address.
	TrustedProxies []netip.Prefix
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// RateLimiter limits the requests of each client address with a token
// bucket (golang.org/x/time/rate). An IPv6 client is its /64, which one
// host usually owns whole. A request over the limit is answered 429 Too
// Many Requests with a Retry-After in seconds. It is safe for concurrent
// use.
type RateLimiter struct {
	every   time.Duration
	burst   int
	max     int
	trusted []netip.Prefix
	now     func() time.Time

	mu      sync.Mutex
	clients map[netip.Prefix]*limitedClient
}

type limitedClient struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewRateLimiter returns a rate limiter for c.
func NewRateLimiter(c RateLimitConfig) *RateLimiter {
	l := &RateLimiter{every: c.Every, burst: c.Burst, max: c.MaxClients, trusted: c.TrustedProxies, now: c.Now,
		clients: make(map[netip.Prefix]*limitedClient)}
	if l.every <= 0 {
		l.every = 3 * time.Second
	}
	if l.burst <= 0 {
		l.burst = 20
	}
	if l.max <= 0 {
		l.max = 10_000
	}
	if l.now == nil {
		l.now = time.Now
	}
	return l
}

// Wrap returns h behind the limit.
func (l *RateLimiter) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr, ok := l.ClientAddr(r)
		if !ok {
			// A remote address net/http did not fill (a test's
			// handler call): nothing to count it against.
			h.ServeHTTP(w, r)
			return
		}
		if wait, ok := l.allow(addr); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			plain(w, http.StatusTooManyRequests, "too many requests: try again later")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// ClientAddr returns the address r is counted against: the connection's
// remote address, or, when that is a trusted proxy, the rightmost address
// of X-Forwarded-For that is not one.
func (l *RateLimiter) ClientAddr(r *http.Request) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	addr := ap.Addr().Unmap().WithZone("")
	if !l.isTrusted(addr) {
		return addr, true
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a garbled hop: trust nothing left of it
		}
		hop = hop.Unmap().WithZone("")
		addr = hop
		if !l.isTrusted(hop) {
			break
		}
	}
	return addr, true
}

func (l *RateLimiter) isTrusted(a netip.Addr) bool {
	for _, p := range l.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// allow takes a token from addr's bucket, or says how long until one is
// there.
func (l *RateLimiter) allow(addr netip.Addr) (time.Duration, bool) {
	bits := 32
	if addr.Is6() {
		bits = 64
	}
	key, _ := addr.Prefix(bits)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.clients[key]
	if c == nil {
		l.makeRoom(now)
		c = &limitedClient{lim: rate.NewLimiter(rate.Every(l.every), l.burst)}
		l.clients[key] = c
	}
	c.seen = now
	res := c.lim.ReserveN(now, 1)
	if wait := res.DelayFrom(now); wait > 0 {
		res.CancelAt(now)
		return wait, false
	}
	return 0, true
}

// makeRoom forgets clients until there is room for one more; the caller
// holds mu. A client idle for the time its bucket takes to refill is as
// good as new; when none is, the longest idle goes.
func (l *RateLimiter) makeRoom(now time.Time) {
	if len(l.clients) < l.max {
		return
	}
	full := l.every * time.Duration(l.burst)
	var oldest netip.Prefix
	var oldestSeen time.Time
	for k, c := range l.clients {
		if now.Sub(c.seen) >= full {
			delete(l.clients, k)
			continue
		}
		if oldestSeen.IsZero() || c.seen.Before(oldestSeen) {
			oldest, oldestSeen = k, c.seen
		}
	}
	if len(l.clients) >= l.max {
		delete(l.clients, oldest)
	}
}

// ParseTrustedProxies parses a comma-separated list of IP addresses and
// CIDR prefixes ("127.0.0.1, 10.0.0.0/8, ::1").
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: want an IP address or a CIDR prefix", f)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("trusted proxy %q: want an IP address or a CIDR prefix", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
