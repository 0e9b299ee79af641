package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/x509roots/fallback/bundle"

	"github.com/moimbot/moimbot/store"
)

// TestNewLogger: text and json at a level; anything else is a usage error
// naming the flag and the variable.
func TestNewLogger(t *testing.T) {
	tests := []struct {
		name, format, level string
		wantErr             string
		wantOut             string // what logging "hello" at info and debug writes
	}{
		{"Text", "text", "info", "", "level=INFO msg=hello"},
		{"JSON", "json", "debug", "", `"level":"DEBUG","msg":"hello"`},
		{"Warn", "text", "warn", "", ""},
		{"BadFormat", "logfmt", "info", "--log-format ($MOIMBOT_LOG_FORMAT) \"logfmt\": want text or json", ""},
		{"BadLevel", "text", "loud", "--log-level ($MOIMBOT_LOG_LEVEL) \"loud\": want debug, info, warn or error", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			log, err := newLogger(&out, tt.format, tt.level)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || !isUsage(err) {
					t.Fatalf("err = %v, want the usage error %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			log.Debug("hello")
			log.Info("hello")
			if got := out.String(); tt.wantOut == "" && got != "" || !strings.Contains(got, tt.wantOut) {
				t.Errorf("logged %q, want %q", got, tt.wantOut)
			}
			if tt.format == "json" {
				for line := range strings.Lines(out.String()) {
					if !json.Valid([]byte(line)) {
						t.Errorf("not a JSON line: %q", line)
					}
				}
			}
		})
	}
}

// TestServeBadObserveSettings: serve refuses a bad log format, admin
// address or trusted proxy, from a flag or its variable, with exit 2 and
// one line, before it starts anything.
func TestServeBadObserveSettings(t *testing.T) {
	tests := []struct {
		name string
		args []string
		vars map[string]string
		want string
	}{
		{"FormatFlag", []string{"--log-format", "xml"}, nil, `--log-format ($MOIMBOT_LOG_FORMAT) "xml": want text or json`},
		{"FormatVar", nil, map[string]string{envLogFormat: "yaml"}, `--log-format ($MOIMBOT_LOG_FORMAT) "yaml"`},
		{"AdminAddr", []string{"--admin-addr", "9090"}, nil, `--admin-addr ($MOIMBOT_ADMIN_ADDR) "9090"`},
		{"TrustedProxy", nil, map[string]string{envTrustedProxy: "10.0.0.0/8, proxy.local"}, `--trusted-proxy ($MOIMBOT_TRUSTED_PROXY): trusted proxy "proxy.local"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var stdout, stderr bytes.Buffer
			vars := map[string]string{envDB: filepath.Join(dir, "moimbot.db")}
			for k, v := range tt.vars {
				vars[k] = v
			}
			code := run(context.Background(), append([]string{"serve", "--testbed"}, tt.args...), func(k string) string { return vars[k] }, &stdout, &stderr)
			if code != exitUsage || !strings.Contains(stderr.String(), tt.want) || strings.Count(stderr.String(), "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want %d and one line with %q", code, stderr.String(), exitUsage, tt.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("files made before the settings were checked: %v", entries)
			}
		})
	}
}

// TestTestbedKey: the first start makes the key file, private; later
// starts read the same key; a missing directory is an error.
func TestTestbedKey(t *testing.T) {
	db := filepath.Join(t.TempDir(), "moimbot.db")
	k1, path, made, err := testbedKey(db)
	if err != nil || !made || path != db+".testbed-key" {
		t.Fatalf("first: %v, %s, made %v; want a new key at %s.testbed-key", err, path, made, db)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	k2, _, made, err := testbedKey(db)
	if err != nil || made {
		t.Fatalf("second: %v, made %v; want the same key read", err, made)
	}
	// The same key: what one seals, the other opens.
	dbPath := filepath.Join(t.TempDir(), "k.db")
	s, err := store.Open(t.Context(), dbPath, store.Options{Cipher: k1, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutSecret(t.Context(), "x", []byte("y")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = store.Open(t.Context(), dbPath, store.Options{Cipher: k2, NoSync: true})
	if err != nil {
		t.Fatalf("the second key does not open what the first sealed: %v", err)
	}
	s.Close()
	if _, _, _, err := testbedKey(filepath.Join(t.TempDir(), "missing", "moimbot.db")); err == nil {
		t.Error("a key in a missing directory: no error")
	}
}

// lineWatch is an io.Writer that keeps what is written and closes seen
// once a line matches re.
type lineWatch struct {
	re   *regexp.Regexp
	mu   sync.Mutex
	b    bytes.Buffer
	once sync.Once
	seen chan []string // the submatches of the first matching line
}

func newLineWatch(re string) *lineWatch {
	return &lineWatch{re: regexp.MustCompile(re), seen: make(chan []string, 1)}
}

func (w *lineWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	if m := w.re.FindStringSubmatch(w.b.String()); m != nil {
		w.once.Do(func() { w.seen <- m })
	}
	return len(p), nil
}

func (w *lineWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// get fetches url and returns the status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeTestbedObservability: serve --testbed starts with nothing but a
// database path (no chat token, no key: it makes one beside the
// database); /healthz answers on both servers, /readyz and /metrics only
// on the admin one, where /readyz names the missing chat platform.
func TestServeTestbedObservability(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{envDB: filepath.Join(dir, "moimbot.db"), envAdminAddr: "127.0.0.1:0"}
	out := newLineWatch(`HTTP on (http://\S+) .*health and metrics on (http://[^,\s]+)`)
	var stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--testbed", "--http-addr", "127.0.0.1:0", "--log-level", "error"},
			func(k string) string { return vars[k] }, out, &stderr)
	}()
	var public, admin string
	select {
	case m := <-out.seen:
		public, admin = m[1], m[2]
	case code := <-done:
		t.Fatalf("serve exited %d before serving:\n%s%s", code, out, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not start within 30 s:\n%s%s", out, stderr.String())
	}

	for _, c := range []struct {
		url      string
		wantCode int
		wantBody string
	}{
		{public + "/healthz", 200, "ok"},
		{admin + "/healthz", 200, "ok"},
		{public + "/metrics", 404, ""},
		{public + "/readyz", 404, ""},
		{admin + "/readyz", 503, "chat: no platform configured"},
		{admin + "/metrics", 200, `moimbot_build_info{goversion=`},
		{admin + "/metrics", 200, `moimbot_outbox_messages{state="pending"} 0`},
		{public + "/link/unknown", 410, ""},
	} {
		code, body := get(t, c.url)
		if code != c.wantCode || !strings.Contains(body, c.wantBody) {
			t.Errorf("GET %s = %d %.200q, want %d with %q", c.url, code, body, c.wantCode, c.wantBody)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "moimbot.db.testbed-key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the testbed key file: %v", err)
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("serve exited %d after cancel, want 0:\n%s", code, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop within 20 s")
	}
}

// TestFallbackRoots: with no system roots at all (an image without
// ca-certificates), the binary still trusts the public roots it embeds.
// The check runs in a child process, since the system roots are loaded
// once per process.
func TestFallbackRoots(t *testing.T) {
	if os.Getenv("MOIMBOT_TEST_FALLBACK_CHILD") == "1" {
		for c := range bundle.Roots() {
			if c.Constraint != nil {
				continue
			}
			cert, err := x509.ParseCertificate(c.Certificate)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cert.Verify(x509.VerifyOptions{}); err != nil {
				t.Fatalf("%s: %v", cert.Subject, err)
			}
			return
		}
		t.Fatal("no unconstrained root in the bundle")
	}
	empty := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFallbackRoots$", "-test.count=1")
	cmd.Env = append(os.Environ(), "MOIMBOT_TEST_FALLBACK_CHILD=1",
		"SSL_CERT_FILE="+filepath.Join(empty, "none.pem"), "SSL_CERT_DIR="+empty)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("without system roots, an embedded root does not verify: %v\n%s", err, out)
	}
}

// TestServeReadyWithTelegram: once the Telegram adapter polls, /readyz is
// ready, and /metrics counts deliveries under the telegram platform.
func TestServeReadyWithTelegram(t *testing.T) {
	rig := newServeRig(t)
	rig.start()
	defer rig.stop()
	if code, body := get(t, rig.public+"/readyz"); code != http.StatusOK || strings.TrimSpace(body) != "ready" {
		t.Errorf("GET /readyz = %d %q, want 200 ready", code, body)
	}
	code, body := get(t, rig.public+"/metrics")
	if want := `moimbot_deliveries_total{outcome="sent",platform="telegram"} 0`; code != http.StatusOK || !strings.Contains(body, want) {
		t.Errorf("GET /metrics = %d, want 200 with %s:\n%.2000s", code, want, body)
	}
}
