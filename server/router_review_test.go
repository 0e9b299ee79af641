package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// TestRouterDuesChangeKeepsPast: /dues changes the dues from the current
// dues month on; /member exempt likewise; the months before keep what
// they were, paid or owed.
func TestRouterDuesChangeKeepsPast(t *testing.T) {
	env := newRouterEnv(t)
	env.cash("m01", 30000) // November paid in full
	env.clock.Set(time.Date(2026, time.December, 10, 12, 0, 0, 0, ledger.KST()))
	wantReply(t, env.say(routerTreasurer, false, "/dues 40000"), "40,000원")
	wantReply(t, env.say(routerTreasurer, false, "/member exempt 이지은"), "면제")
	bk, err := env.db.Book(env.ctx, env.group.ID)
	if err != nil {
		t.Fatal(err)
	}
	status := func(id string, p ledger.Period) ledger.PeriodStatus {
		for _, ms := range bk.Statuses(p) {
			if ms.MemberID != id {
				continue
			}
			for _, ps := range ms.Periods {
				if ps.Period == p {
					return ps
				}
			}
		}
		t.Fatalf("no status of %s in %s", id, p)
		return ledger.PeriodStatus{}
	}
	nov, dec := ledger.NewPeriod(2026, time.November), ledger.NewPeriod(2026, time.December)
	if ps := status("m01", nov); ps.Status != ledger.StatusPaid || ps.Due != 30000 {
		t.Errorf("김민수's November after /dues: %+v, want paid 30,000", ps)
	}
	if ps := status("m01", dec); ps.Due != 40000 {
		t.Errorf("김민수's December due %d, want 40,000", ps.Due)
	}
	if ps := status("m02", nov); ps.Due != 30000 || ps.Status != ledger.StatusUnpaid {
		t.Errorf("이지은's November after /member exempt: %+v, want 30,000 still owed", ps)
	}
	if ps := status("m02", dec); ps.Status != ledger.StatusExempt {
		t.Errorf("이지은's December: %+v, want exempt", ps)
	}
}

// TestRouterRemoveTwice: a member with payments leaves after the current
// month; removing them again changes nothing.
func TestRouterRemoveTwice(t *testing.T) {
	env := newRouterEnv(t)
	env.cash("m01", 30000)
	wantReply(t, env.say(routerTreasurer, false, "/member remove 김민수"), "명단에 남기고")
	left := func() ledger.Period {
		g := env.reloadGroup()
		m, _ := g.Member("m01")
		return m.Left
	}
	first := left()
	env.clock.Advance(60 * 24 * time.Hour)
	wantReply(t, env.say(routerTreasurer, false, "/member remove 김민수"), "이미")
	if got := left(); got != first {
		t.Errorf("left month %s after a second remove, want %s", got, first)
	}
	wantReply(t, env.say(routerTreasurer, false, "/member remove 박서준"), "✅ 박서준님을 명단에서 뺐어요")
}

// TestRouterNoDuesYet: before /dues, the board and the reminders are not
// posted (everyone would read as exempt); the chat is told to set them.
func TestRouterNoDuesYet(t *testing.T) {
	env := newRouterEnv(t)
	env.putGroup(func(g *store.Group) { g.Dues.Amount, g.Dues.Changes = 0, nil })
	for _, cmd := range []string{"/status", "/unpaid", "/remind"} {
		wantReply(t, env.say(routerTreasurer, false, cmd), "회비가 아직 정해지지 않았어요")
	}
	wantReply(t, env.say(routerTreasurer, false, "/dues 25000 10"), "25,000원")
	g := env.reloadGroup()
	if g.Dues.Amount != 25000 || g.Dues.Day != 10 || g.Dues.Start != duesMonth(10, env.clock.Now()) {
		t.Errorf("dues %+v, want 25,000 on the 10th from the current dues month", g.Dues)
	}
}

// TestRouterTreasurerOfTwoGroups: in a DM, a treasurer of two groups is
// told which groups and to use the group chat; /start from the t.me link
// sends the links their first DMs could not.
func TestRouterTreasurerOfTwoGroups(t *testing.T) {
	env := newRouterEnv(t)
	other := testGroup(env.group.Dues.Start, bot.Korean)
	other.Name = "등산회"
	other.Settings.Chats = []store.ChatRef{{Platform: "test", ID: "hiking"}}
	other.Settings.Treasurers = env.group.Settings.Treasurers
	if _, err := env.db.PutGroup(env.ctx, "test", other); err != nil {
		t.Fatal(err)
	}
	wantReply(t, env.say(routerTreasurer, true, "/review"), "여러 모임의 총무시네요(독서모임, 등산회)")

	env.next++
	u := bot.Update{ID: fmt.Sprintf("test:start%d", env.next), Chat: routerTreasurer.Ref(), Private: true, From: routerTreasurer, Text: "/start dm"}
	env.r.HandleUpdate(env.ctx, u)
	links := 0
	for _, m := range env.replies(u) {
		if strings.Contains(m.Text, "MOIMBOT_PUBLIC_URL") || strings.Contains(m.Text, "/link/") {
			links++
		}
	}
	if links != 2 {
		t.Errorf("/start sent %d link messages, want one for each group without an account", links)
	}
}

// TestRouterPaidMonths: /paid says which months the cash went to, and that
// a month named later than the oldest owed was not reached.
func TestRouterPaidMonths(t *testing.T) {
	env := newRouterEnv(t)
	got := env.say(routerTreasurer, false, "/paid 박서준 30000 2027-01")
	wantReply(t, got, "✅ 박서준님이 현금으로 낸 30,000원을 기록했어요. → 2026-11")
	wantReply(t, got, "2027-01에는 가지 않았어요")
	got = env.say(routerTreasurer, false, "/paid 박서준 30000 2026-12")
	wantReply(t, got, "→ 2026-12")
	for _, m := range got {
		if strings.Contains(m.Text, "가지 않았어요") {
			t.Errorf("reply %q says the named month was not reached", m.Text)
		}
	}
}
