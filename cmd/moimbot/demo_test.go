package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/moimbot/moimbot/ledger"
)

// demoMonth names p as the demo's messages do when they speak of ref's
// month: "11월", or "2027년 1월" in another year.
func demoMonth(p, ref ledger.Period) string {
	if p.Year() == ref.Year() {
		return fmt.Sprintf("%d월", p.Month())
	}
	return fmt.Sprintf("%d년 %d월", p.Year(), p.Month())
}

// demoPrepaid names the two months 윤서연 pays in advance, next and the one
// after: "12월~2027년 1월", "2027년 1~2월", "11~12월".
func demoPrepaid(month ledger.Period) string {
	a, b := month+1, month+2
	if a.Year() != b.Year() {
		return demoMonth(a, month) + "~" + demoMonth(b, a)
	}
	return strings.TrimSuffix(demoMonth(a, month), "월") + fmt.Sprintf("~%d월", b.Month())
}

// demoStoryLines are the lines the demo's story must show when it is set in
// month, in the order they appear: each scripted deposit's notice (once),
// the reminders, the review and the treasurer's two taps on its buttons
// (through the command router, which edits the DM), the refreshed token and
// the final board.
func demoStoryLines(month ledger.Period) []string {
	m, n := demoMonth(month, month), demoMonth(month+1, month+1)
	return []string{
		"동의 화면에서 카카오뱅크 3333-01-2345*** 조회를 허용", // OAuth code flow
		"💰 김민수님 30,000원 입금 — " + m + " 회비 완납 (1/7명)",
		"🔔 독서모임 " + m + " 회비 마감이 3일 남았어요",
		fmt.Sprintf("입금 \"%d월회비이지은\" 30,000원", month.Month()),
		"💰 이지은님 30,000원 입금 — " + m + " 회비 완납 (2/7명)",
		"💰 박서준님 15,000원 입금 — " + m + " 회비 일부 납부, 15,000원 남음 (2/7명)",
		"💰 윤서연님 90,000원 입금 — " + m + " 회비 완납, " + demoPrepaid(month) + "분 선납 (3/7명)",
		"⏳ 입금 전 3명: 최유나, 강도윤, 한지호",                                       // the board during maintenance, before the due day
		"[00:10] 독서모임 단톡방\n  💰 최유나님 30,000원 입금 — " + m + " 회비 완납 (4/7명)", // maintenance skipped
		"🔎 확인이 필요한 입금 — 독서모임",
		"이유: 명단에 없는 이름 이수진",
		"[회원 선택]",
		"총무 김총무님 DM (수정됨)\n", // the router's edit after the tap on [회원 선택]
		"누구의 입금인가요?",
		"[강도윤]",
		"💰 강도윤님 30,000원 입금 (총무 확인) — " + m + " 회비 완납 (5/7명)",
		"✅ 강도윤님으로 처리했어요 (김총무)", // the DM edited once decided
		"🔔 오늘은 독서모임 " + m + " 회비 마감일이에요",
		"💰 박서준님 15,000원 입금 — " + m + " 회비 완납 (6/7명)", // the name the bank cut
		"⏰ 독서모임 " + m + " 회비 마감이 3일 지났어요",
		"아직 입금 전: 한지호님\n",
		"💰 한지호님 30,000원 입금 — " + m + " 회비 완납 (7/7명)", // late, by nickname
		"🔑 조회가 O0003", // the expired token refreshed
		"💰 김민수님 30,000원 입금 — " + n + " 회비 완납 (2/7명)",
		"💰 강도윤님 30,000원 입금 — " + n + " 회비 완납 (3/7명)", // the learned alias
		fmt.Sprintf("입금 \"이지은 %d월\" 30,000원", (month + 1).Month()),
		"💰 이지은님 30,000원 입금 — " + n + " 회비 완납 (4/7명)",
		"💰 박서준님 30,000원 입금 — " + n + " 회비 완납 (5/7명)",
		"💰 최유나님 30,000원 입금 — " + n + " 회비 완납 (6/7명)",
		"💰 한지호님 30,000원 입금 — " + n + " 회비 완납 (7/7명)",
		"📋 독서모임 " + n + " 회비 현황",
		"✅ 완납 7명: 김민수, 이지은, 박서준, 최유나, 강도윤, 윤서연, 한지호",
		"➖ 면제 1명: 정하늘",
		"합계 210,000원 / 210,000원 · 전원 완납",
		"📊 거래내역 조회",
	}
}

// demoNotices is how many deposit notices the story posts: eight deposits
// the month it is set in, twice 박서준 among them, and six the next.
const demoNotices = 14

// checkDemoStory checks the demo's output against the story set in month:
// every line in order, each deposit noticed exactly once.
func checkDemoStory(t *testing.T, stdout string, month ledger.Period) {
	t.Helper()
	rest := stdout
	for _, want := range demoStoryLines(month) {
		i := strings.Index(rest, want)
		if i < 0 {
			if strings.Contains(stdout, want) {
				t.Errorf("demo output has %q out of order", want)
			} else {
				t.Errorf("demo output lacks %q", want)
			}
			continue
		}
		if strings.HasPrefix(want, "💰") {
			if n := strings.Count(stdout, want); n != 1 {
				t.Errorf("%q appears %d times, want 1", want, n)
			}
		}
		rest = rest[i+len(want):]
	}
	if got := strings.Count(stdout, "💰 "); got != demoNotices {
		t.Errorf("%d deposit notices, want %d", got, demoNotices)
	}
	if strings.Contains(stdout, "❌ 미납") {
		t.Errorf("a board shows an unpaid member")
	}
	if t.Failed() {
		t.Logf("output:\n%s", stdout)
	}
}

// TestDemoStory plays the story set in every month of 2026–2028 (a leap
// February, 28- to 31-day months, December into January), and from starts
// in the bank's maintenance window at a month's turn, where the month in
// KST differs from the month in UTC.
func TestDemoStory(t *testing.T) {
	type start struct {
		flag  string
		month ledger.Period
	}
	var starts []start
	for y := 2026; y <= 2028; y++ {
		for m := time.January; m <= time.December; m++ {
			// A different day each month: the story depends on the month only.
			day := 1 + (y*12+int(m))%28
			starts = append(starts, start{fmt.Sprintf("%d-%02d-%02d", y, m, day), ledger.NewPeriod(y, m)})
		}
	}
	starts = append(starts,
		start{"2026-12-31T23:55", ledger.NewPeriod(2026, time.December)}, // 14:55 UTC
		start{"2027-01-01T00:05", ledger.NewPeriod(2027, time.January)},  // 15:05 UTC on December 31
		start{"2028-02-29T23:50", ledger.NewPeriod(2028, time.February)},
	)
	for _, s := range starts {
		t.Run(s.flag, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCmd(t, "demo", "-speed", "1e9", "-start", s.flag)
			if code != exitOK {
				t.Fatalf("demo exit code = %d\nstderr: %s\nstdout: %s", code, stderr, stdout)
			}
			checkDemoStory(t, stdout, s.month)
		})
	}
}

// TestDemo plays the README's first command in-process, on the real clock,
// at full speed: whatever today is, the story is told whole.
func TestDemo(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCmd(t, "demo", "-speed", "1e9")
	if code != exitOK {
		t.Fatalf("demo exit code = %d\nstderr: %s\nstdout: %s", code, stderr, stdout)
	}
	// The month is the one of whenever the test runs: read it back from the
	// first notice and check the story against it.
	kst := ledger.KST()
	now := time.Now().In(kst)
	months := []ledger.Period{ledger.MonthOf(now), ledger.MonthOf(now.Add(-time.Minute))}
	for _, month := range months {
		if strings.Contains(stdout, "💰 김민수님 30,000원 입금 — "+demoMonth(month, month)+" 회비 완납 (1/7명)") {
			checkDemoStory(t, stdout, month)
			return
		}
	}
	t.Errorf("the story is not set in this month (%v):\n%s", months, stdout)
}

// TestDemoSameStory checks that --start fixes the story: two runs from the
// same date print the same.
func TestDemoSameStory(t *testing.T) {
	t.Parallel()
	_, a, _ := runCmd(t, "demo", "-speed", "1e9", "-start", "2027-03-10")
	_, b, _ := runCmd(t, "demo", "-speed", "1e9", "-start", "2027-03-10")
	// The simulator's address and the temporary database differ.
	clean := func(s string) string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			if !strings.Contains(l, "127.0.0.1:") {
				out = append(out, l)
			}
		}
		return strings.Join(out, "\n")
	}
	if clean(a) != clean(b) {
		t.Errorf("two runs from the same start differ:\n%s\n---\n%s", a, b)
	}
}

// TestDemoInterrupted stops the demo with Ctrl-C (a cancelled context)
// while the story plays: one line, no internal error text, exit 130.
func TestDemoInterrupted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"demo", "-start", "2027-05-01"}, noEnv, &out, &errOut) }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "💰") {
		if time.Now().After(deadline) {
			t.Fatalf("no notice after 30 s:\n%s\nstderr: %s", out.String(), errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != exitInterrupted {
			t.Errorf("exit code = %d, want %d", code, exitInterrupted)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("demo did not stop on Ctrl-C")
	}
	if got, want := errOut.String(), "moimbot demo: interrupted\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
}
