package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHealthcheck: exit 0 on 200 and nothing printed; exit 1 with one line
// on anything else, no answer included; exit 2 for a malformed call.
func TestHealthcheck(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			io.WriteString(w, "ok\n")
		case "/sick":
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "database: store: closed\nmore\n")
		case "/moved":
			http.Redirect(w, r, "/healthz", http.StatusFound)
		}
	}))
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/healthz"
	ln.Close()

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string // a part of the one line on stderr; "" for none
	}{
		{"Healthy", []string{"--url", srv.URL + "/healthz"}, exitOK, ""},
		{"Unhealthy", []string{"--url", srv.URL + "/sick"}, exitError, "503 Service Unavailable: database: store: closed"},
		{"Redirect", []string{"--url", srv.URL + "/moved"}, exitError, "302 Found"},
		{"Refused", []string{"--url", refused}, exitError, "connection refused"},
		{"NotAURL", []string{"--url", "127.0.0.1:8080"}, exitUsage, "want an absolute http or https URL"},
		{"BadTimeout", []string{"--url", srv.URL, "--timeout", "0s"}, exitUsage, "must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"healthcheck"}, tt.args...), func(string) string { return "" }, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.wantCode, stderr.String())
			}
			got := stderr.String()
			if tt.wantErr == "" && got != "" || !strings.Contains(got, tt.wantErr) {
				t.Errorf("stderr %q, want it to contain %q", got, tt.wantErr)
			}
			if n := strings.Count(got, "\n"); n > 1 {
				t.Errorf("stderr has %d lines, want at most one", n)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q, want nothing", stdout.String())
			}
		})
	}
}

// TestDefaultHealthURL: the admin address wins over the HTTP address, and
// a wildcard host is asked on loopback.
func TestDefaultHealthURL(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"Default", nil, "http://127.0.0.1:8080/healthz"},
		{"HTTPAddr", map[string]string{envHTTPAddr: "127.0.0.1:9000"}, "http://127.0.0.1:9000/healthz"},
		{"AllInterfaces", map[string]string{envHTTPAddr: "0.0.0.0:8080"}, "http://127.0.0.1:8080/healthz"},
		{"NoHost", map[string]string{envHTTPAddr: ":8080"}, "http://127.0.0.1:8080/healthz"},
		{"IPv6Any", map[string]string{envHTTPAddr: "[::]:8080"}, "http://[::1]:8080/healthz"},
		{"AdminAddr", map[string]string{envHTTPAddr: "0.0.0.0:8080", envAdminAddr: "127.0.0.1:9090"}, "http://127.0.0.1:9090/healthz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := defaultHealthURL(func(k string) string { return tt.vars[k] }); got != tt.want {
				t.Errorf("defaultHealthURL = %q, want %q", got, tt.want)
			}
		})
	}
}
