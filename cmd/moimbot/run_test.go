package main

import (
	"bytes"
	"context"
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
)

// syncBuffer is a bytes.Buffer safe for a command writing while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func noEnv(string) string { return "" }

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, noEnv, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestRunUsage(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"Help", []string{"help"}, exitOK, "Commands:", ""},
		{"HelpFlag", []string{"--help"}, exitOK, "testbed", ""},
		{"NoArgs", nil, exitUsage, "", "Usage: moimbot"},
		{"Unknown", []string{"frobnicate"}, exitUsage, "", `moimbot: unknown command "frobnicate" (run "moimbot help")` + "\n"},
		{"BadFlag", []string{"testbed", "-nope"}, exitUsage, "", "moimbot testbed: flag provided but not defined: -nope\n"},
		{"BadFlagValue", []string{"testbed", "-rate-limit", "fast"}, exitUsage, "", "moimbot testbed: invalid value"},
		{"ExtraArgument", []string{"version", "now"}, exitUsage, "", "moimbot version: unexpected argument \"now\"\n"},
		{"NotLoopback", []string{"testbed", "-addr", "0.0.0.0:9443"}, exitUsage, "", "is not a loopback address"},
		{"BadAddr", []string{"testbed", "-addr", "nope"}, exitUsage, "", "moimbot testbed: -addr \"nope\""},
		{"BadPort", []string{"testbed", "-addr", "127.0.0.1:99999"}, exitUsage, "", "moimbot testbed: -addr \"127.0.0.1:99999\": the port must be a number from 0 to 65535\n"},
		{"BadRedirect", []string{"testbed", "-redirect-uri", "ftp://x"}, exitUsage, "", "moimbot testbed: -redirect-uri: testbed: add institution: redirect_uri \"ftp://x\" must be"},
		{"CommandHelp", []string{"testbed", "-h"}, exitOK, "-addr", ""},
		{"DemoBadDays", []string{"demo", "-days", "-1"}, exitUsage, "", "moimbot demo: -days -1"},
		{"DemoTooManyDays", []string{"demo", "-days", "121"}, exitUsage, "", "moimbot demo: -days 121"},
		{"DemoBadStart", []string{"demo", "-start", "2026-13-01"}, exitUsage, "", "moimbot demo: -start \"2026-13-01\": want YYYY-MM-DD"},
		{"DemoBadSpeed", []string{"demo", "-speed", "0.5"}, exitUsage, "", "moimbot demo: -speed 0.5"},
		{"DemoBadLang", []string{"demo", "-lang", "fr"}, exitUsage, "", "moimbot demo: -lang \"fr\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.wantCode, stderr)
			}
			if !strings.Contains(stdout, tt.wantStdout) {
				t.Errorf("stdout = %q, want it to contain %q", stdout, tt.wantStdout)
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tt.wantStderr)
			}
			if tt.wantCode == exitUsage && strings.Count(strings.TrimSpace(stderr), "\n") > 0 && tt.args != nil {
				t.Errorf("usage error spans several lines: %q", stderr)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := runCmd(t, "version")
	if code != exitOK || !strings.HasPrefix(stdout, "moimbot ") {
		t.Errorf("version: code %d stdout %q", code, stdout)
	}
}

// TestVersionStamp builds the binary with -ldflags -X and runs it.
func TestVersionStamp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "moimbot")
	build := exec.Command("go", "build", "-ldflags", "-X main.version=v9.8.7-test", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), "moimbot v9.8.7-test\n"; got != want {
		t.Errorf("version = %q, want %q", got, want)
	}
}

// TestTestbedCommand runs `moimbot testbed` on a free loopback port and talks
// to it with a plain HTTP client, then stops it the way Ctrl-C does.
func TestTestbedCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"testbed", "-addr", "127.0.0.1:0"}, noEnv, &stdout, &stderr) }()

	re := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case code := <-done:
			t.Fatalf("testbed exited early with %d: %s", code, stderr.String())
		default:
		}
	}
	if base == "" {
		t.Fatalf("testbed did not say where it listens; stdout %q", stdout.String())
	}
	for _, want := range []string{"client_id", "client_secret", "client_use_code", "admin API", base + "/testbed/", "consent page"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}

	tests := []struct {
		name, path, want string
	}{
		{"AdminIndex", "/testbed/", "POST   /testbed/accounts/{id}/transactions"},
		{"AccountListWithoutToken", "/v2.0/account/list?user_seq_no=1100000001&include_cancel_yn=N&sort_order=D", `"O0001"`},
		{"GetOnTokenEndpoint", "/oauth/2.0/token", `"O0010"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Get(base + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("status = %d, want 200", resp.StatusCode)
			}
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(body), tt.want) {
				t.Errorf("body %q lacks %q", body, tt.want)
			}
		})
	}

	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit code after cancel = %d, want 0 (stderr %q)", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("testbed did not stop on cancel")
	}
}

// TestDemoDefaultPace runs `moimbot demo` exactly as the README says and
// checks the README's promise: exit 0 within 60 seconds.
func TestDemoDefaultPace(t *testing.T) {
	t.Parallel()
	start := time.Now()
	code, stdout, stderr := runCmd(t, "demo")
	if code != exitOK {
		t.Fatalf("demo exit code = %d\nstderr: %s\nstdout: %s", code, stderr, stdout)
	}
	if took := time.Since(start); took > 60*time.Second {
		t.Errorf("demo took %s, the README promises at most 60 s", took.Round(time.Second))
	}
}

// TestDemoEnglish plays the story with English messages.
func TestDemoEnglish(t *testing.T) {
	code, stdout, stderr := runCmd(t, "demo", "-speed", "1e9", "-lang", "en")
	if code != exitOK {
		t.Fatalf("demo exit code = %d\nstderr: %s", code, stderr)
	}
	for _, want := range []string{"💰 김민수 paid ₩30,000", "group chat", "The end"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("English demo output lacks %q:\n%s", want, stdout)
		}
	}
}

// TestDemoKeep runs `moimbot demo --keep`: after the story the simulator
// still answers, the database's control socket serves call counts, and
// Ctrl-C (a cancelled context) stops everything with exit 0.
func TestDemoKeep(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"demo", "-speed", "1e9", "-keep"}, noEnv, &out, &errOut) }()
	simRe := regexp.MustCompile(`시뮬레이터 (http://127\.0\.0\.1:\d+) \(관리 API`)
	dbRe := regexp.MustCompile(`데이터베이스 (\S+moimbot\.db) \(백업`)
	deadline := time.Now().Add(30 * time.Second)
	for !simRe.MatchString(out.String()) || !dbRe.MatchString(out.String()) {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no --keep instructions after 30 s:\n%s\nstderr: %s", out.String(), errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	base := simRe.FindStringSubmatch(out.String())[1]
	dbPath := dbRe.FindStringSubmatch(out.String())[1]
	t.Cleanup(func() { os.RemoveAll(filepath.Dir(dbPath)) })

	resp, err := http.Get(base + "/testbed/accounts")
	if err != nil {
		t.Fatalf("the simulator stopped answering: %v", err)
	}
	resp.Body.Close()
	waitForSocket(t, adminSocket(dbPath))
	code, stdout, stderr := runCmd(t, "calls", "--db", dbPath)
	if code != exitOK || !strings.Contains(stdout, "독서모임") {
		t.Errorf("calls against the kept database: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit code after Ctrl-C = %d, want 0 (stderr %q)", code, errOut.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("demo --keep did not stop on cancel")
	}
	if !strings.Contains(out.String(), "멈췄습니다") {
		t.Errorf("no goodbye line after stopping:\n%s", out.String())
	}
}
