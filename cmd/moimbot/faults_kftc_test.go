package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/moimbot/moimbot/openbanking/testbed"
)

// TestFaultsKFTC runs the KFTC fault matrix through the running bot. Each
// fault is queued in the simulator for the next transaction-list call and
// a member's deposit is posted at once, so the fault hits the pass that
// would read it or the one before. The bot must get past every fault with
// the deposit stored once and noticed once in the group, and say nothing
// to anyone unless someone has to act: O0002 (the bank no longer honours
// the link) reaches the treasurer once, and so do ten failed passes in a
// row; the deposits made meanwhile are noticed after the treasurer links
// the account again. Faults the client retries within the pass (O0003
// after a token refresh, O0008, HTTP 500, a dropped connection, a timeout)
// cost nothing else; a maintenance answer (A0002 with bank code 551) waits
// for the next scheduled poll; a pass that fails outright (A0004, A0008)
// backs off, and the test moves the clock past the backoff. The timeout
// waits out the client's real 30 s per attempt, so it runs in the long
// form only.
func TestFaultsKFTC(t *testing.T) {
	t.Parallel()
	began := time.Now()
	rig := newFaultRig(t)
	rig.seedGroup()
	rig.start()
	members := []string{"김민수", "이지은", "강도윤"}

	tl := testbed.APITransactionList
	tests := []struct {
		name  string
		fault testbed.Fault
		// failed, when set, is what the log's "sync failed" line of the
		// failed pass names: the pass backs off and the test moves the
		// clock past the backoff (at most a minute after one failure).
		failed string
		// long: only in the long form.
		long bool
	}{
		{name: "O0003 access token expired", fault: testbed.Fault{API: tl, RspCode: "O0003"}},
		{name: "O0008 rate limit", fault: testbed.Fault{API: tl, RspCode: "O0008"}},
		{name: "A0002/551 maintenance", fault: testbed.Fault{API: tl, RspCode: "A0002", BankRspCode: "551"}},
		{name: "A0004 bad request", fault: testbed.Fault{API: tl, RspCode: "A0004"}, failed: "A0004"},
		{name: "A0008 duplicate bank_tran_id", fault: testbed.Fault{API: tl, RspCode: "A0008"}, failed: "A0008"},
		{name: "HTTP 500", fault: testbed.Fault{API: tl, HTTPStatus: http.StatusInternalServerError}},
		{name: "dropped connection", fault: testbed.Fault{API: tl, Drop: true}},
		{name: "timeout (35 s, client gives up at 30 s)", fault: testbed.Fault{API: tl, Delay: 35 * time.Second}, long: true},
	}
	type row struct {
		name            string
		failedPasses    int
		notices, alerts int
		took            time.Duration
		skipped         bool
	}
	var rows []row
	var notices []string
	alerts := func() int { return len(rig.tg.Sent(serveTreasurer)) }
	for i, tt := range tests {
		if tt.long && !faultsLong {
			rows = append(rows, row{name: tt.name, skipped: true})
			continue
		}
		since, failed, told := time.Now(), rig.logs.count("sync failed"), alerts()
		before := rig.logs.count("sync failed", tt.failed)
		if err := rig.sim.InjectFault(tt.fault); err != nil {
			t.Fatal(err)
		}
		notice := rig.pay(members[i%len(members)])
		notices = append(notices, notice)
		if tt.failed != "" {
			rig.waitLog(before+1, "sync failed", tt.failed)
			rig.advance(time.Minute + time.Second)
		}
		if tt.fault.Delay > 0 {
			rig.patience = tt.fault.Delay + 20*time.Second
		}
		rig.waitSince(since, serveGroupID, notice)
		rig.patience = 20 * time.Second
		if left := rig.sim.Faults(); len(left) > 0 {
			t.Errorf("%s: the fault was never hit: %+v", tt.name, left)
		}
		r := row{name: tt.name, failedPasses: rig.logs.count("sync failed") - failed,
			notices: len(sends(rig.tg, serveGroupID, notice)), alerts: alerts() - told, took: time.Since(since)}
		if r.alerts != 0 {
			t.Errorf("%s: the treasurer got %d messages, want none: nothing to do", tt.name, r.alerts)
		}
		rows = append(rows, r)
	}

	// O0002: the treasurer is told once, polls stop until the account is
	// linked again, and then both deposits are noticed.
	since, failed := time.Now(), rig.logs.count("sync failed")
	if err := rig.sim.InjectFault(testbed.Fault{API: tl, RspCode: "O0002"}); err != nil {
		t.Fatal(err)
	}
	broken := []string{rig.pay("김민수")}
	rig.waitSince(since, serveTreasurer, "계좌 연결이 끊겼어요 (O0002)")
	broken = append(broken, rig.pay("이지은"))
	rig.relink()
	for _, n := range broken {
		rig.waitSince(since, serveGroupID, n)
	}
	notices = append(notices, broken...)
	rows = append(rows, row{name: "O0002 link revoked (relinked)", failedPasses: rig.logs.count("sync failed") - failed,
		notices: len(sends(rig.tg, serveGroupID, broken[0])) + len(sends(rig.tg, serveGroupID, broken[1])),
		alerts:  len(sends(rig.tg, serveTreasurer, "계좌 연결이 끊겼어요")), took: time.Since(since)})

	// Ten failed passes in a row (A0004 each time, each pass backing off
	// 1, 2, 4 … minutes): the treasurer is told once, and the deposit is
	// noticed when the bank answers again.
	since, failed = time.Now(), rig.logs.count("sync failed")
	base := rig.logs.count("sync failed", "A0004")
	if err := rig.sim.InjectFault(testbed.Fault{API: tl, RspCode: "A0004", Count: 10}); err != nil {
		t.Fatal(err)
	}
	notice := rig.pay("강도윤")
	notices = append(notices, notice)
	for n := 1; n <= 10; n++ {
		rig.waitLog(base+n, "sync failed", "A0004")
		rig.advance(min(time.Minute<<(n-1), time.Hour) + time.Second)
	}
	rig.waitSince(since, serveGroupID, notice)
	rows = append(rows, row{name: "A0004 ten passes in a row", failedPasses: rig.logs.count("sync failed") - failed,
		notices: len(sends(rig.tg, serveGroupID, notice)), alerts: len(sends(rig.tg, serveTreasurer, "10번 연속 실패했어요")), took: time.Since(since)})

	if code := rig.stop(); code != exitOK {
		t.Errorf("serve exited %d: %s", code, rig.log)
	}
	for _, n := range notices {
		if got := len(sends(rig.tg, serveGroupID, n)); got != 1 {
			t.Errorf("%q posted %d times, want 1", n, got)
		}
	}
	for _, c := range []struct {
		text string
		want int
	}{{"계좌 연결이 끊겼어요", 1}, {"연속 실패했어요", 1}, {"📭", 0}} {
		if got := len(sends(rig.tg, serveTreasurer, c.text)); got != c.want {
			t.Errorf("the treasurer got %d messages with %q, want %d", got, c.text, c.want)
		}
	}
	code, out := checkDB(rig.dbPath)
	if code != exitOK {
		t.Errorf("moimbot check: exit %d: %s", code, out)
	}
	stored, paid := storedCounts(t, openStored(t, rig.dbPath, rig.key))
	lost := 0
	for k := range depositKeys(notices) {
		if stored[k] != 1 || paid[k] != 1 {
			lost++
			t.Errorf("deposit %s: stored %d times with %d payments, want 1 and 1", k, stored[k], paid[k])
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "KFTC fault matrix (%d deposits, %d lost, check exit %d, %s):\n", len(notices), lost, code, time.Since(began).Round(time.Millisecond))
	fmt.Fprintf(&b, "  %-40s %13s %8s %15s %9s\n", "fault", "failed passes", "notices", "treasurer told", "noticed")
	for _, r := range rows {
		if r.skipped {
			fmt.Fprintf(&b, "  %-40s %s\n", r.name, "(long form only: -tags faults)")
			continue
		}
		fmt.Fprintf(&b, "  %-40s %13d %8d %15d %9s\n", r.name, r.failedPasses, r.notices, r.alerts, r.took.Round(10*time.Millisecond))
	}
	t.Log(b.String())
}

// depositKeys turns notice prefixes back into the "name/amount" keys of
// storedCounts.
func depositKeys(notices []string) map[string]bool {
	keys := map[string]bool{}
	for _, n := range notices {
		name, rest, _ := strings.Cut(strings.TrimPrefix(n, "💰 "), "님 ")
		amount := strings.NewReplacer(",", "", "원 입금", "").Replace(rest)
		keys[name+"/"+amount] = true
	}
	return keys
}

// relink plays the treasurer linking the group's account again after the
// bank stopped honouring the link: /link in the group, the link from the
// DM in the browser with the simulator's scripted consent, and the account
// picked with a button.
func (rig *faultRig) relink() {
	t := rig.t
	t.Helper()
	since := time.Now()
	if _, err := rig.tg.SendText(serveGroupID, serveTreasurer, "/link"); err != nil {
		t.Fatal(err)
	}
	dm := rig.waitSince(since, serveTreasurer, "/link/")
	var link string
	for _, f := range strings.Fields(dm.Text) {
		if strings.HasPrefix(f, rig.public+"/link/") {
			link = f
		}
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Post(link, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cb, err := testbed.Consent(context.Background(), nil, resp.Header.Get("Location"), rig.party.User.UserSeqNo,
		[]string{testbed.DemoGroupAccountID, testbed.DemoPersonalAccountID}, true)
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := rig.get(cb.String()); resp.StatusCode != http.StatusOK {
		t.Fatalf("callback: %d\n%s", resp.StatusCode, body)
	}
	pick := rig.waitSince(since, serveTreasurer, "어느 계좌가 모임통장인가요?")
	rig.tap(serveTreasurer, pick, serveTreasurer, "카카오뱅크")
	rig.waitSince(since, serveGroupID, "계좌를 연결했어요")
}
