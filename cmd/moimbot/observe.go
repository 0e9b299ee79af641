package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/moimbot/moimbot/server"
)

// The observability and HTTP settings of moimbot serve.
const (
	envAdminAddr    = "MOIMBOT_ADMIN_ADDR"
	envLogFormat    = "MOIMBOT_LOG_FORMAT"
	envLogLevel     = "MOIMBOT_LOG_LEVEL"
	envTrustedProxy = "MOIMBOT_TRUSTED_PROXY"
)

// newLogger returns serve's logger: format is text (or empty) or json,
// level one of slog's level names (debug, info, warn, error).
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("--log-level ($%s) %q: want debug, info, warn or error", envLogLevel, level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usagef("--log-format ($%s) %q: want text or json", envLogFormat, format)
}

// The limits of serve's HTTP servers: a client that sends its request or
// reads the answer slowly cannot hold a connection for long, and headers
// and bodies are bounded.
const (
	httpReadHeaderTimeout = 10 * time.Second
	httpReadTimeout       = 30 * time.Second
	httpWriteTimeout      = 30 * time.Second
	httpIdleTimeout       = 2 * time.Minute
	httpMaxHeaderBytes    = 32 << 10
	// httpMaxBody bounds every request body; the link pages' own bound is
	// smaller, and a Telegram webhook update is at most as large.
	httpMaxBody = 1 << 20
)

// newHTTPServer returns a server for h with serve's limits; its own
// errors (a bad TLS handshake, a panic in a handler) go to log at warn.
func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           http.MaxBytesHandler(h, httpMaxBody),
		ReadHeaderTimeout: httpReadHeaderTimeout,
		ReadTimeout:       httpReadTimeout,
		WriteTimeout:      httpWriteTimeout,
		IdleTimeout:       httpIdleTimeout,
		MaxHeaderBytes:    httpMaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// publicHandler is what serve's public HTTP server answers: the link pages
// and the OAuth callback behind the per-client rate limit, the extra
// routes (the Telegram webhook), and /healthz. With no separate admin
// address (ops is nil) it also serves /readyz and /metrics.
func publicHandler(eng *server.Engine, limiter *server.RateLimiter, ops http.Handler, extra map[string]http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", limiter.Wrap(eng.HTTPHandler()))
	for pattern, h := range extra {
		mux.Handle(pattern, h)
	}
	mux.Handle("GET /healthz", eng.HTTPHealth())
	if ops != nil {
		mux.Handle("GET /readyz", ops)
		mux.Handle("GET /metrics", ops)
	}
	return mux
}

// opsHandler serves /healthz, /readyz and /metrics.
func opsHandler(eng *server.Engine, metrics *server.Metrics, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	health := eng.HTTPHealth()
	mux.Handle("GET /healthz", health)
	mux.Handle("GET /readyz", health)
	mux.Handle("GET /metrics", metrics.Handler(log))
	return mux
}

// listen opens a TCP listener on addr, named what in its error.
func listen(ctx context.Context, what, addr string) (net.Listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: listen: %w", what, err)
	}
	return ln, nil
}

// defaultHTTPAddr is serve's HTTP address when none is set.
const defaultHTTPAddr = "127.0.0.1:8080"

// observeFlags declares serve's flags of this file, each defaulting to its
// variable.
func observeFlags(e env, fs *flag.FlagSet, c *serveConfig) {
	fs.StringVar(&c.logFormat, "log-format", orDefault(e.getenv(envLogFormat), "text"), "log `format`: text or json ($"+envLogFormat+")")
	fs.StringVar(&c.adminAddr, "admin-addr", e.getenv(envAdminAddr), "`address` of a second HTTP server for /healthz, /readyz and /metrics; empty: the HTTP server serves them ($"+envAdminAddr+")")
	fs.StringVar(&c.trustedProxy, "trusted-proxy", e.getenv(envTrustedProxy), "comma-separated `addresses` or CIDR prefixes of reverse proxies whose X-Forwarded-For names the client, for the link pages' rate limit ($"+envTrustedProxy+")")
}

// checkObserve checks serve's settings of this file and returns the link
// pages' rate limiter.
func checkObserve(c *serveConfig) (*server.RateLimiter, error) {
	if c.adminAddr != "" {
		if _, _, err := net.SplitHostPort(c.adminAddr); err != nil {
			return nil, usagef("--admin-addr ($%s) %q: %v", envAdminAddr, c.adminAddr, err)
		}
	}
	proxies, err := server.ParseTrustedProxies(c.trustedProxy)
	if err != nil {
		return nil, usagef("--trusted-proxy ($%s): %v", envTrustedProxy, err)
	}
	return server.NewRateLimiter(server.RateLimitConfig{TrustedProxies: proxies}), nil
}

// adminNote is how serve's start line names the admin server at url.
func adminNote(url string) string {
	if url == "" {
		return ""
	}
	return ", health and metrics on " + url
}
