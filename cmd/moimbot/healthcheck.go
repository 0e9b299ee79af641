package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// runHealthcheck is `moimbot healthcheck`: it asks a running moimbot's
// /healthz and succeeds on 200 only. It needs no shell and no curl, so a
// container image with nothing but the binary can run it as its
// HEALTHCHECK.
func runHealthcheck(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("healthcheck")
	target := fs.String("url", defaultHealthURL(e.getenv), "the `URL` to ask (default from $"+envAdminAddr+", else $"+envHTTPAddr+")")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this `duration`")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	u, err := url.Parse(*target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("--url %q: want an absolute http or https URL", *target)
	}
	if *timeout <= 0 {
		return usagef("--timeout %v: must be positive", *timeout)
	}
	return healthcheck(ctx, *target, *timeout)
}

// healthcheck asks target once and returns nil on 200 OK, else an error
// of one line: the status and the first line of the answer, or why no
// answer came.
func healthcheck(ctx context.Context, target string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", target, err)
	}
	client := &http.Client{
		// No proxy, no connection kept: one question to a local server.
		Transport: &http.Transport{DisableKeepAlives: true},
		// A redirect is not health.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("%s: %w", target, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		line := firstLine(strings.TrimSpace(string(body)))
		if line != "" {
			line = ": " + line
		}
		return fmt.Errorf("%s: %s%s", target, resp.Status, line)
	}
	return nil
}

// defaultHealthURL is the /healthz of the moimbot serve configured by the
// environment: on its admin address when one is set, else on its HTTP
// address, else on serve's default. A wildcard host (0.0.0.0, ::, none)
// is asked on loopback.
func defaultHealthURL(getenv func(string) string) string {
	addr := getenv(envAdminAddr)
	if addr == "" {
		addr = orDefault(getenv(envHTTPAddr), defaultHTTPAddr)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr + "/healthz" // --url's check reports it
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz"
}
