package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestLinkPagesHeaders: every answer of the link pages' handler, pages,
// redirects and errors alike, carries the headers that keep the one-time
// link out of Referers, caches and frames.
func TestLinkPagesHeaders(t *testing.T) {
	env := newLinkEnv(t)
	link := env.setupLink()
	want := map[string]string{
		"Referrer-Policy":         "no-referrer",
		"Cache-Control":           "no-store",
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": pageCSP,
	}
	type answer struct {
		name     string
		do       func() (int, string, *http.Response)
		wantCode int
	}
	req := func(method, path string) func() (int, string, *http.Response) {
		return func() (int, string, *http.Response) {
			r, err := http.NewRequest(method, env.web.URL+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := env.client.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b), resp
		}
	}
	for _, a := range []answer{
		{"Page", func() (int, string, *http.Response) { return env.get(link) }, http.StatusOK},
		{"RedirectToBank", func() (int, string, *http.Response) { return env.post(link) }, http.StatusSeeOther},
		{"SpentLink", func() (int, string, *http.Response) { return env.get(link) }, http.StatusGone},
		{"UnknownLink", req(http.MethodPost, "/link/nope"), http.StatusGone},
		{"ForgedState", req(http.MethodGet, "/oauth/callback?state=forged&code=x"), http.StatusBadRequest},
		{"NotFound", req(http.MethodGet, "/elsewhere"), http.StatusNotFound},
		{"WrongMethod", req(http.MethodPut, "/link/nope"), http.StatusMethodNotAllowed},
	} {
		t.Run(a.name, func(t *testing.T) {
			code, _, resp := a.do()
			if code != a.wantCode {
				t.Errorf("status %d, want %d", code, a.wantCode)
			}
			for h, v := range want {
				if got := resp.Header.Get(h); got != v {
					t.Errorf("%s = %q, want %q", h, got, v)
				}
			}
		})
	}
}

// TestLinkPagesBodyLimit: a body larger than maxLinkBody cannot be read.
func TestLinkPagesBodyLimit(t *testing.T) {
	var readErr error
	h := guardPages(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, readErr = io.ReadAll(r.Body)
	}))
	for _, tt := range []struct {
		size    int
		wantErr bool
	}{{maxLinkBody, false}, {maxLinkBody + 1, true}} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/link/x", strings.NewReader(strings.Repeat("a", tt.size))))
		var mbe *http.MaxBytesError
		if got := errors.As(readErr, &mbe); got != tt.wantErr {
			t.Errorf("body of %d bytes: read error %v, want a MaxBytesError: %v", tt.size, readErr, tt.wantErr)
		}
	}
}

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// TestRateLimiter: each client gets its burst, then waits; 429 says how
// long; the bucket refills; clients do not share buckets, except the
// addresses of one IPv6 /64.
func TestRateLimiter(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 20, 21, 0, 0, 0, time.UTC)}
	l := NewRateLimiter(RateLimitConfig{Every: 10 * time.Second, Burst: 2, Now: clock.now})
	h := l.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "page") }))
	get := func(remote string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/link/x", nil)
		r.RemoteAddr = remote
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	steps := []struct {
		name, remote string
		advance      time.Duration
		wantCode     int
		wantRetry    string
	}{
		{"First", "192.0.2.1:1000", 0, 200, ""},
		{"Second", "192.0.2.1:1001", 0, 200, ""},
		{"OverBurst", "192.0.2.1:1002", 0, 429, "10"},
		{"OtherClient", "192.0.2.2:1000", 0, 200, ""},
		{"StillWaiting", "192.0.2.1:1003", 3 * time.Second, 429, "7"},
		{"Refilled", "192.0.2.1:1004", 7 * time.Second, 200, ""},
		{"SameSlash64", "[2001:db8::1]:443", 0, 200, ""},
		{"SameSlash64Again", "[2001:db8::2]:443", 0, 200, ""},
		{"SameSlash64Over", "[2001:db8::ffff:3]:443", 0, 429, "10"},
		{"OtherSlash64", "[2001:db8:0:1::1]:443", 0, 200, ""},
		// 192.0.2.2 has used one of its two; the other came back.
		{"MappedIPv4IsIPv4", "[::ffff:192.0.2.2]:1", 0, 200, ""},
		{"MappedIPv4Again", "192.0.2.2:2", 0, 200, ""},
		{"MappedIPv4Over", "[::ffff:192.0.2.2]:2", 0, 429, "10"},
	}
	for _, s := range steps {
		clock.t = clock.t.Add(s.advance)
		rec := get(s.remote)
		if rec.Code != s.wantCode || rec.Header().Get("Retry-After") != s.wantRetry {
			t.Errorf("%s: %d with Retry-After %q, want %d with %q", s.name, rec.Code, rec.Header().Get("Retry-After"), s.wantCode, s.wantRetry)
		}
	}
}

// TestRateLimiterBounded: the clients remembered never exceed MaxClients;
// those whose bucket is full again go first, then the longest idle.
func TestRateLimiterBounded(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 20, 21, 0, 0, 0, time.UTC)}
	l := NewRateLimiter(RateLimitConfig{Every: time.Second, Burst: 1, MaxClients: 3, Now: clock.now})
	addr := func(s string) netip.Addr { return netip.MustParseAddr(s) }
	for _, a := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"} {
		if _, ok := l.allow(addr(a)); !ok {
			t.Fatalf("%s refused on its first request", a)
		}
		clock.t = clock.t.Add(100 * time.Millisecond)
	}
	// A fourth client: none is idle long enough, so the longest idle
	// (192.0.2.1) is forgotten, and may come back at once.
	if _, ok := l.allow(addr("192.0.2.4")); !ok {
		t.Fatal("a fourth client refused")
	}
	if got := len(l.clients); got != 3 {
		t.Errorf("%d clients remembered, want 3", got)
	}
	if _, ok := l.allow(addr("192.0.2.2")); ok {
		t.Error("192.0.2.2 was forgotten, want it remembered (not the longest idle)")
	}
	// Later every bucket is full again: all of them make room.
	clock.t = clock.t.Add(time.Minute)
	for i := range 10 {
		l.allow(netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}))
		if got := len(l.clients); got > 3 {
			t.Fatalf("%d clients remembered, want at most 3", got)
		}
	}
}

// TestClientAddr: X-Forwarded-For counts only behind a trusted proxy, and
// then only its rightmost address that is not a trusted proxy.
func TestClientAddr(t *testing.T) {
	proxies, err := ParseTrustedProxies("127.0.0.1, 10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"Direct", "192.0.2.7:5555", nil, "192.0.2.7"},
		{"DirectIgnoresHeader", "192.0.2.7:5555", []string{"198.51.100.1"}, "192.0.2.7"},
		{"ProxyNoHeader", "127.0.0.1:5555", nil, "127.0.0.1"},
		{"ProxyOneHop", "127.0.0.1:5555", []string{"198.51.100.1"}, "198.51.100.1"},
		{"ProxySpoofedLeft", "127.0.0.1:5555", []string{"6.6.6.6, 198.51.100.1"}, "198.51.100.1"},
		{"ProxyChain", "10.1.2.3:5555", []string{"198.51.100.1, 10.9.9.9"}, "198.51.100.1"},
		{"ProxyTwoHeaders", "10.1.2.3:5555", []string{"6.6.6.6", "198.51.100.1, 10.9.9.9"}, "198.51.100.1"},
		{"ProxyGarbled", "127.0.0.1:5555", []string{"198.51.100.1, junk"}, "127.0.0.1"},
		{"AllTrusted", "127.0.0.1:5555", []string{"10.0.0.1"}, "10.0.0.1"},
		{"IPv6", "[2001:db8::1]:443", nil, "2001:db8::1"},
	}
	l := NewRateLimiter(RateLimitConfig{TrustedProxies: proxies})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			got, ok := l.ClientAddr(r)
			if !ok || got.String() != tt.want {
				t.Errorf("ClientAddr = %v, %v; want %s", got, ok, tt.want)
			}
		})
	}
}

// FuzzClientAddr: whatever the headers, the address is the connection's
// or, behind a trusted proxy, one of the forwarded ones, and never a
// panic.
func FuzzClientAddr(f *testing.F) {
	f.Add("127.0.0.1:1", "198.51.100.1, 10.0.0.1")
	f.Add("192.0.2.1:1", "::1")
	f.Add("[::1]:1", " ,,[::1], fe80::1%eth0")
	f.Add("junk", "")
	proxies, _ := ParseTrustedProxies("127.0.0.1,::1,10.0.0.0/8")
	l := NewRateLimiter(RateLimitConfig{TrustedProxies: proxies})
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		got, ok := l.ClientAddr(r)
		ap, err := netip.ParseAddrPort(remote)
		if err != nil {
			if ok {
				t.Fatalf("remote %q is no address, got %v", remote, got)
			}
			return
		}
		if !ok || !got.IsValid() || got.Zone() != "" || got.Is4In6() {
			t.Fatalf("ClientAddr = %v, %v", got, ok)
		}
		direct := ap.Addr().Unmap().WithZone("")
		if got == direct {
			return
		}
		if !l.isTrusted(direct) {
			t.Fatalf("remote %v is not a trusted proxy, but the client is %v", direct, got)
		}
		found := false
		for hop := range strings.SplitSeq(xff, ",") {
			if a, err := netip.ParseAddr(strings.TrimSpace(hop)); err == nil && a.Unmap().WithZone("") == got {
				found = true
			}
		}
		if !found {
			t.Fatalf("client %v is neither the remote %v nor in X-Forwarded-For %q", got, direct, xff)
		}
		l.allow(got)
	})
}

// TestParseTrustedProxies: addresses and prefixes, and what is refused.
func TestParseTrustedProxies(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"", "[]", false},
		{"127.0.0.1", "[127.0.0.1/32]", false},
		{" 10.1.2.3/8 , ::1 ", "[10.0.0.0/8 ::1/128]", false},
		{"::ffff:10.0.0.1", "[10.0.0.1/32]", false},
		{"localhost", "", true},
		{"10.0.0.0/33", "", true},
		{"fe80::1%eth0", "", true},
	}
	for _, tt := range tests {
		got, err := ParseTrustedProxies(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseTrustedProxies(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		parts := make([]string, len(got))
		for i, p := range got {
			parts[i] = p.String()
		}
		if s := fmt.Sprint(parts); err == nil && s != tt.want {
			t.Errorf("ParseTrustedProxies(%q) = %s, want %s", tt.in, s, tt.want)
		}
	}
}
