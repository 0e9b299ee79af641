package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/moimbot/moimbot/openbanking"
	"github.com/moimbot/moimbot/openbanking/testbed"
)

// stringsFlag is a repeatable string flag.
type stringsFlag []string

// String implements flag.Value.
func (s *stringsFlag) String() string { return strings.Join(*s, ",") }

// Set implements flag.Value; each use of the flag adds a value.
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

const defaultCallback = "http://127.0.0.1:8080/oauth/callback"

func runTestbed(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("testbed")
	addr := fs.String("addr", "127.0.0.1:9443", "loopback `host:port` to listen on (plain HTTP)")
	var redirects stringsFlag
	fs.Var(&redirects, "redirect-uri", "registered callback `URL` of the demo institution (repeatable, at most 10; default "+defaultCallback+")")
	rate := fs.Float64("rate-limit", 10, "requests per second per client before O0008; negative disables the limit")
	noMaint := fs.Bool("no-maintenance", false, "disable the nightly maintenance window (23:50–00:10 KST answers A0002/551)")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if err := checkLoopback(*addr); err != nil {
		return err
	}
	if len(redirects) == 0 {
		redirects = stringsFlag{defaultCallback}
	}

	sim := testbed.New(testbed.Config{RateLimit: *rate, NoMaintenance: *noMaint})
	demo, err := testbed.SeedDemo(sim, redirects)
	if err != nil {
		return usagef("-redirect-uri: %v", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	base := "http://" + ln.Addr().String()
	srv := testbedServer(sim)
	printTestbed(e, base, demo)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	fmt.Fprintln(e.stdout, "stopping testbed")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// testbedServer is the simulator's HTTP server. Its requests are small
// forms and JSON; a response waits at most for an injected delay fault, so
// the write timeout cuts only delays longer than any client waits (a
// longer delay then acts as a dropped connection).
func testbedServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
}

// checkLoopback refuses listen addresses outside the loopback range: the
// simulator has an unauthenticated admin API.
func checkLoopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return usagef("-addr %q: %v", addr, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return usagef("-addr %q: the port must be a number from 0 to 65535", addr)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return usagef("-addr %q is not a loopback address (the admin API has no authentication)", addr)
	}
	return nil
}

func printTestbed(e env, base string, demo testbed.Demo) {
	w := e.stdout
	in := demo.Institution
	fmt.Fprintf(w, "KFTC Open Banking testbed simulator listening on %s\n\n", base)
	fmt.Fprintf(w, "  base URL          %s\n", base)
	fmt.Fprintf(w, "  client_id         %s\n", in.ClientID)
	fmt.Fprintf(w, "  client_secret     %s\n", in.ClientSecret)
	fmt.Fprintf(w, "  client_use_code   %s\n", in.ClientUseCode)
	fmt.Fprintf(w, "  redirect_uri      %s\n", strings.Join(in.RedirectURIs, ", "))
	fmt.Fprintf(w, "  demo user         %s (user_seq_no %s)\n", demo.User.Name, demo.User.UserSeqNo)
	for _, a := range demo.Accounts {
		fmt.Fprintf(w, "  account           %s %s %s (id %s)\n", a.BankName, a.MaskedNum(), a.Alias, a.ID)
	}
	fmt.Fprintf(w, "  admin API         %s/testbed/ (lists its routes)\n", base)
	c, err := openbanking.New(openbanking.Config{BaseURL: base, ClientID: in.ClientID, ClientSecret: in.ClientSecret, RedirectURI: in.RedirectURIs[0]})
	if err == nil {
		if u, err := c.AuthorizeURL(openbanking.NewState(), openbanking.AuthorizeOptions{}); err == nil {
			fmt.Fprintf(w, "  consent page      %s\n", u)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Press Ctrl-C to stop.")
}
