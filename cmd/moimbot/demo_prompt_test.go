package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/moimbot/moimbot/openbanking/testbed"
)

// keptDB matches the kept database's path in the --keep instructions.
var keptDB = regexp.MustCompile(`(?:데이터베이스|database) (\S+moimbot\.db) \((?:백업|backup)`)

// removeKept removes the database directory a --keep run left, once the
// test is over.
func removeKept(t *testing.T, out *syncBuffer) {
	t.Helper()
	t.Cleanup(func() {
		if m := keptDB.FindStringSubmatch(out.String()); m != nil {
			os.RemoveAll(filepath.Dir(m[1]))
		}
	})
}

// runDemoPrompt runs the demo with stdin and returns its exit code through
// done; the output collects in out.
func runDemoPrompt(ctx context.Context, t *testing.T, stdin io.Reader, out, errOut *syncBuffer, args ...string) <-chan int {
	t.Helper()
	removeKept(t, out)
	done := make(chan int, 1)
	args = append([]string{"demo", "--speed", "1e9", "--start", "2027-03-10"}, args...)
	go func() { done <- runWith(ctx, args, env{getenv: noEnv, stdin: stdin, stdout: out, stderr: errOut}) }()
	return done
}

// waitExit waits for the demo's exit code.
func waitExit(t *testing.T, done <-chan int, out, errOut *syncBuffer) int {
	t.Helper()
	select {
	case code := <-done:
		return code
	case <-time.After(60 * time.Second):
		t.Fatalf("the demo did not end:\n%s\nstderr: %s", out.String(), errOut.String())
		return -1
	}
}

// checkInOrder checks that s has each of wants, in order.
func checkInOrder(t *testing.T, s string, wants ...string) {
	t.Helper()
	rest := s
	for _, want := range wants {
		i := strings.Index(rest, want)
		if i < 0 {
			if strings.Contains(s, want) {
				t.Errorf("output has %q out of order", want)
			} else {
				t.Errorf("output lacks %q", want)
			}
			continue
		}
		rest = rest[i+len(want):]
	}
	if t.Failed() {
		t.Logf("output:\n%s", s)
	}
}

// TestDemoPrompt scripts the prompt of `moimbot demo --keep --prompt`:
// the treasurer asks for the board, a member tries a treasurer's command
// and is refused, the treasurer adds a member and lists the roster. Each
// reply comes back through the router, the outbox and the console adapter
// before the next line is read.
func TestDemoPrompt(t *testing.T) {
	t.Parallel()
	in := strings.NewReader(strings.Join([]string{
		"/status",
		"/as 김민수",
		"/member add 홍길동",
		"/as 총무",
		"/member add 홍길동",
		"/members",
		"/quit",
		"/members", // after /quit: never read
	}, "\n") + "\n")
	var out, errOut syncBuffer
	done := runDemoPrompt(t.Context(), t, in, &out, &errOut, "--keep", "--prompt")
	if code := waitExit(t, done, &out, &errOut); code != exitOK {
		t.Fatalf("exit code = %d\nstderr: %s\nstdout: %s", code, errOut.String(), out.String())
	}
	stdout := out.String()
	i := strings.Index(stdout, "⌨️")
	if i < 0 {
		t.Fatalf("no prompt help:\n%s", stdout)
	}
	checkInOrder(t, stdout[i:],
		"/as 김민수 — 회원으로 보내기", // the help line
		"김총무(총무)> /status\n",
		"[09:00] 독서모임 단톡방\n  📋 독서모임 4월 회비 현황",
		"김총무(총무)> /as 김민수\n",
		"이제 김민수님(m01)으로 보냅니다.",
		"김민수> /member add 홍길동\n",
		"독서모임 단톡방\n  총무만 할 수 있는 명령이에요. 바뀐 것은 없어요.",
		"김민수> /as 총무\n",
		"이제 총무 김총무님으로 보냅니다.",
		"김총무(총무)> /member add 홍길동\n",
		"✅ 홍길동님을 명단에 추가했어요 (월 30,000원).",
		"김총무(총무)> /members\n",
		"👥 회원 9명",
		" 홍길동\n", // the new member's line in the roster
		"김총무(총무)> /quit\n",
		"▶ 멈췄습니다.",
	)
	if n := strings.Count(stdout, "👥 회원"); n != 1 {
		t.Errorf("%d roster replies, want 1 (nothing is read after /quit)", n)
	}
	if n := strings.Count(stdout, "✅ 홍길동님을 명단에 추가했어요"); n != 1 {
		t.Errorf("홍길동 added %d times, want once (the member's try changes nothing)", n)
	}
}

// TestDemoPromptTap decides a new deposit from the prompt: a deposit from
// an unknown name, posted through the simulator's admin API, is read by the
// treasurer's /sync in the DM; the review arrives there with numbered
// buttons; /tap on "choose a member" edits the DM with the members, and
// /tap on one assigns it. A member, who received no buttons, cannot tap.
func TestDemoPromptTap(t *testing.T) {
	t.Parallel()
	pr, pw := io.Pipe()
	defer pw.Close()
	var out, errOut syncBuffer
	done := runDemoPrompt(t.Context(), t, pr, &out, &errOut, "--keep", "--prompt")
	// wait waits for re in the output after the last occurrence of after
	// (anywhere when after is empty), and returns its submatches.
	wait := func(after string, re *regexp.Regexp) []string {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			s := out.String()
			if i := strings.LastIndex(s, after); i >= 0 {
				if m := re.FindStringSubmatch(s[i:]); m != nil {
					return m
				}
			}
			select {
			case code := <-done:
				t.Fatalf("the demo ended with %d before %v:\n%s\nstderr: %s", code, re, out.String(), errOut.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %v after 60 s:\n%s\nstderr: %s", re, out.String(), errOut.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	send := func(line string) {
		t.Helper()
		if _, err := io.WriteString(pw, line+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	post := func(url, body string) {
		t.Helper()
		resp, err := http.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("POST %s: %s", url, resp.Status)
		}
	}

	base := wait("🏁", regexp.MustCompile(`시뮬레이터 (http://127\.0\.0\.1:\d+) \(관리 API`))[1]
	const help = "⌨️"
	wait(help, regexp.MustCompile(`김총무\(총무\)> $`))
	post(base+"/testbed/accounts/"+testbed.DemoGroupAccountID+"/transactions", `{"inout_type":"입금","print_content":"오세훈","amount":30000}`)
	// Two minutes on, the last read is stale: /sync reads the bank (unless
	// the engine's poll every minute got there first).
	post(base+"/testbed/clock", `{"advance":"2m"}`)

	send("dm /sync")
	pick := wait(help, regexp.MustCompile(`보낸 분 "오세훈"(?s:.*)\[(\d+) 회원 선택\]`))[1]
	wait(help, regexp.MustCompile(`🔄 은행 내역을 읽었어요`))
	send("/as 김민수")
	send("/tap 1")
	wait(help, regexp.MustCompile(`김민수님이 받은 메시지에 누를 버튼이 없어요`))
	send("/as 총무")
	send("/tap " + pick)
	member := wait("> /tap "+pick+"\n", regexp.MustCompile(`누구의 입금인가요\?(?s:.*)\[(\d+) 강도윤\]`))[1]
	send("/tap " + member)
	// The tap's notice is printed when the tap returns; the group's notice
	// and the DM's edit come from the outbox, each chat in its own order,
	// so either may come first.
	wait("> /tap "+member+"\n", regexp.MustCompile(`✅ 강도윤님으로 처리했어요 \(김총무\)`))
	wait("> /tap "+member+"\n", regexp.MustCompile(`💰 강도윤님 30,000원 입금 \(총무 확인\)`))
	send("/quit")
	if code := waitExit(t, done, &out, &errOut); code != exitOK {
		t.Fatalf("exit code = %d\nstderr: %s\nstdout: %s", code, errOut.String(), out.String())
	}
	stdout := out.String()
	stdout = stdout[strings.Index(stdout, help):]
	checkInOrder(t, stdout,
		"김총무(총무)> dm /sync\n",
		"총무 김총무님 DM\n  🔄 은행 내역을 읽었어요",
		"김총무(총무)> /as 김민수\n",
		"김민수> /tap 1\n",
		"김민수님이 받은 메시지에 누를 버튼이 없어요.",
		"김총무(총무)> /tap "+pick+"\n",
		"👆 [회원 선택]",
		"총무 김총무님 DM (수정됨)\n",
		"누구의 입금인가요?",
		"["+member+" 강도윤]",
		"김총무(총무)> /tap "+member+"\n",
		"👆 [강도윤]",
		"↪ 강도윤님으로 처리했어요",
		"▶ 멈췄습니다.",
	)
	for _, async := range []string{"💰 강도윤님 30,000원 입금 (총무 확인)", "✅ 강도윤님으로 처리했어요 (김총무)"} {
		checkInOrder(t, stdout, "👆 [강도윤]", async, "▶ 멈췄습니다.")
	}
	checkInOrder(t, stdout, "총무 김총무님 DM\n  🔎 확인이 필요한 입금 — 독서모임", `보낸 분 "오세훈"`, "["+pick+" 회원 선택]")
}

// TestDemoPromptEnglish checks that --prompt alone keeps the demo running
// for the prompt, in the demo's language, and that end of input ends it.
func TestDemoPromptEnglish(t *testing.T) {
	t.Parallel()
	var out, errOut syncBuffer
	done := runDemoPrompt(t.Context(), t, strings.NewReader("/as nobody\n/tap 1\n"), &out, &errOut, "--prompt", "--lang", "en")
	if code := waitExit(t, done, &out, &errOut); code != exitOK {
		t.Fatalf("exit code = %d\nstderr: %s\nstdout: %s", code, errOut.String(), out.String())
	}
	checkInOrder(t, out.String(),
		"▶ --keep: the simulator and the database keep running",
		"⌨️  Type commands: each line is a message to the group chat",
		"/as treasurer — back to the treasurer",
		"김총무 (treasurer)> /as nobody\n",
		`No member "nobody" on the roster`,
		"김총무 (treasurer)> /tap 1\n",
		"김총무 has no message with buttons to tap.",
		"▶ Stopped.",
	)
}
