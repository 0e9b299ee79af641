package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/moimbot/moimbot/store"
)

// The chat side's fault matrix runs in two tests, each on its own bot and
// fake Telegram, because the bot keeps Telegram's flood limit of 20
// messages a minute in a group (real time): one test's messages would
// otherwise wait out that minute.

// TestFaultsChatDelivery: a notice whose delivery fails for a while still
// reaches the group, and in order with the notices queued behind it.
//
//   - 429 with retry_after (the fake's Throttle): the notice waits at least
//     retry_after and goes out with the two queued behind it, in order;
//   - 502 (the fake's Fail): retried after the outbox's backoff (the test
//     moves the clock past it), the notice queued behind it follows;
//   - a connection dropped before Telegram saw the call (the proxy):
//     retried, posted once;
//   - the answer lost after Telegram took the message (the proxy): retried
//     and so posted twice, the case go doc ./store documents, counted;
//   - a timeout (the proxy holds the call until the adapter's client gives
//     up, 17 s with serve's 2 s poll): long form only.
func TestFaultsChatDelivery(t *testing.T) {
	t.Parallel()
	began := time.Now()
	rig := newFaultRig(t)
	rig.seedGroup()
	rig.start()
	var rows []figureRow
	var notices []string
	pay := func(name string) string {
		n := rig.pay(name)
		notices = append(notices, n)
		return n
	}

	// 429: the first notice is refused for 2 s.
	since := time.Now()
	rig.tg.Throttle("sendMessage", 1, 2)
	burst := []string{pay("김민수"), pay("이지은"), pay("강도윤")}
	for _, n := range burst {
		rig.waitSince(since, serveGroupID, n)
	}
	var throttledAt, resumedAt time.Time
	for _, c := range rig.tg.Calls("sendMessage") {
		switch {
		case c.ErrorCode == http.StatusTooManyRequests:
			throttledAt = c.Time
		case !throttledAt.IsZero() && c.OK() && c.ChatID == serveGroupID && resumedAt.IsZero():
			resumedAt = c.Time
		}
	}
	if throttledAt.IsZero() || resumedAt.Sub(throttledAt) < 2*time.Second {
		t.Errorf("429 at %s, next post at %s: want at least retry_after (2 s) between", throttledAt.Format(time.StampMilli), resumedAt.Format(time.StampMilli))
	}
	if !rig.inOrder(burst...) {
		t.Errorf("after the 429 the notices were posted out of order")
	}
	rows = append(rows, figureRow{"429 retry_after 2 s", fmt.Sprintf("posted %s times, in order %v, first retry after %s",
		rig.postCounts(burst...), rig.inOrder(burst...), resumedAt.Sub(throttledAt).Round(10*time.Millisecond))})

	// 502: the notice is retried after the outbox's backoff (30 s on the
	// bot's clock); the next one waits behind it.
	since, r := time.Now(), rig.retried("502")
	rig.tg.Fail("sendMessage", 1, http.StatusBadGateway, "Bad Gateway")
	failed := []string{pay("김민수")}
	rig.waitLog(r+1, "delivery failed, will retry", "502")
	synced := rig.logs.count("msg=synced")
	failed = append(failed, pay("이지은"))
	rig.waitLog(synced+1, "msg=synced")
	rig.advance(31 * time.Second)
	for _, n := range failed {
		rig.waitSince(since, serveGroupID, n)
	}
	if !rig.inOrder(failed...) {
		t.Errorf("after the 502 the notices were posted out of order")
	}
	rows = append(rows, figureRow{"502 Bad Gateway", fmt.Sprintf("posted %s times, in order %v", rig.postCounts(failed...), rig.inOrder(failed...))})

	// The proxy's faults, each on the group's next sendMessage.
	for _, p := range []struct {
		name  string
		fault tgFault
		want  int // times posted
		long  bool
	}{
		{"connection dropped before Telegram", tgDrop, 1, false},
		{"answer lost after Telegram took it", tgLost, 2, false},
		{"timeout (held until the client gives up)", tgHang, 1, true},
	} {
		if p.long && !faultsLong {
			rows = append(rows, figureRow{p.name, "(long form only: -tags faults)"})
			continue
		}
		since, r := time.Now(), rig.retried()
		rig.proxy.inject("sendMessage", serveGroupID, p.fault, 1)
		n := pay("강도윤")
		rig.waitLog(r+1, "delivery failed, will retry")
		rig.advance(31 * time.Second)
		rig.waitN(since, serveGroupID, n, p.want)
		got := len(sends(rig.tg, serveGroupID, n))
		if got != p.want {
			t.Errorf("%s: %q posted %d times, want %d", p.name, n, got, p.want)
		}
		outcome := fmt.Sprintf("posted %d times", got)
		if p.want == 2 {
			outcome += " (documented: Telegram took it, the bot cannot know)"
		}
		if hits := rig.proxy.injected(); p.fault == tgHang && len(hits) > 0 {
			h := hits[len(hits)-1]
			outcome += fmt.Sprintf(", the client gave up after %s", h.at.Sub(h.arrived).Round(100*time.Millisecond))
		}
		rows = append(rows, figureRow{p.name, outcome})
	}
	rig.finishChat(t, "chat faults: delivery", began, rows, depositKeys(notices))
}

// TestFaultsChatRefused: a chat that refuses the bot for good gets no more
// attempts, and the treasurer is told.
//
//   - 403 for a DM (the treasurer never started the bot): the review
//     request is dead at once, the group is told once to start the bot, and
//     the dead letter reaches the treasurer once they have;
//   - the bot removed from the group while a notice waits for its retry:
//     the treasurer is told of the removal, the notice is dead and the
//     treasurer gets its dead letter, a deposit meanwhile is stored and not
//     posted, and after the bot is added back and /setup sent there the
//     next notice is posted once.
func TestFaultsChatRefused(t *testing.T) {
	t.Parallel()
	began := time.Now()
	rig := newFaultRig(t)
	rig.seedGroup()
	rig.start()
	var rows []figureRow

	// 403 for a DM: the treasurer has not started the bot. An unknown
	// sender's deposit makes a review request by DM.
	since := time.Now()
	if err := rig.tg.SetStarted(serveTreasurer, false); err != nil {
		t.Fatal(err)
	}
	dead := rig.logs.count("message dead")
	amount := rig.nextAmount()
	rig.deposit("홍길동", amount)
	keys := map[string]bool{fmt.Sprintf("홍길동/%d", amount): true}
	rig.waitLog(dead+1, "message dead", "can't initiate conversation")
	rig.waitSince(since, serveGroupID, "DM을 보낼 수 없어요")
	// The treasurer starts the bot; when the chat's park ends (a minute
	// on the bot's clock), the dead letter reaches them.
	if _, err := rig.tg.SendText(serveTreasurer, serveTreasurer, "/start"); err != nil {
		t.Fatal(err)
	}
	rig.advance(61 * time.Second)
	rig.waitSince(since, serveTreasurer, "📭 독서모임: 메시지를 보내지 못했어요 — 입금 확인 요청")
	notStarted := len(sends(rig.tg, serveGroupID, "DM을 보낼 수 없어요"))
	if notStarted != 1 {
		t.Errorf("the group was asked %d times to start the bot, want once", notStarted)
	}
	letters := len(sends(rig.tg, serveTreasurer, "📭"))
	rows = append(rows, figureRow{"403 DM (bot not started)", fmt.Sprintf("review request dead, group told %d time(s), dead letters to the treasurer %d",
		notStarted, letters)})

	// The bot is removed from the group while a notice waits for its
	// retry.
	since, r := time.Now(), rig.retried("502")
	rig.proxy.inject("sendMessage", serveGroupID, tgBadGateway, 1)
	gone := rig.pay("이지은")
	rig.waitLog(r+1, "delivery failed, will retry", "502")
	if err := rig.tg.RemoveBot(serveGroupID, serveTreasurer); err != nil {
		t.Fatal(err)
	}
	rig.waitSince(since, serveTreasurer, "채팅방에서 내보내졌어요")
	rig.advance(31 * time.Second)
	rig.waitSince(since, serveTreasurer, "📭 독서모임: 메시지를 보내지 못했어요 — 입금 알림")
	synced := rig.logs.count("msg=synced")
	meanwhile := rig.pay("강도윤")
	rig.waitLog(synced+1, "msg=synced")
	// Added back, /setup attaches the chat again, once the dispatcher's
	// park of the chat (a minute after the failure) is over.
	since = time.Now()
	if err := rig.tg.AddBot(serveGroupID, serveTreasurer); err != nil {
		t.Fatal(err)
	}
	rig.advance(61 * time.Second)
	rig.say(serveGroupID, serveTreasurer, "/setup", serveGroupID, "단톡방으로 연결했어요")
	back := rig.pay("김민수")
	rig.waitSince(since, serveGroupID, back)
	for n, want := range map[string]int{gone: 0, meanwhile: 0, back: 1} {
		if got := len(sends(rig.tg, serveGroupID, n)); got != want {
			t.Errorf("%q posted %d times, want %d", n, got, want)
		}
	}
	removed := len(sends(rig.tg, serveTreasurer, "채팅방에서 내보내졌어요"))
	if removed != 1 {
		t.Errorf("the treasurer was told %d times of the removal, want once", removed)
	}
	rows = append(rows, figureRow{"bot removed from the group", fmt.Sprintf("notice dead, treasurer told of the removal %d time(s) and of the notice %d time(s); after /setup the next posted %d time(s)",
		removed, len(sends(rig.tg, serveTreasurer, "📭"))-letters, len(sends(rig.tg, serveGroupID, back)))})
	for k := range depositKeys([]string{gone, meanwhile, back}) {
		keys[k] = true
	}
	rig.finishChat(t, "chat faults: refused", began, rows, keys)
}

// retried counts the dispatcher's retried deliveries whose log line also
// contains subs.
func (rig *faultRig) retried(subs ...string) int {
	return rig.logs.count(append([]string{"delivery failed, will retry"}, subs...)...)
}

// inOrder reports whether the group's notices were first posted in this
// order.
func (rig *faultRig) inOrder(notices ...string) bool {
	last := 0
	for _, n := range notices {
		ss := sends(rig.tg, serveGroupID, n)
		if len(ss) == 0 || ss[0].Message.MessageID < last {
			return false
		}
		last = ss[0].Message.MessageID
	}
	return true
}

// finishChat stops the bot and checks what a chat test leaves behind: a
// clean exit, moimbot check passing, each deposit of keys ("name/amount")
// stored once, paid once when its sender is a member (홍길동 is not), and
// no message still waiting in the outbox. Then it logs the figures.
func (rig *faultRig) finishChat(t *testing.T, title string, began time.Time, rows []figureRow, keys map[string]bool) {
	t.Helper()
	if code := rig.stop(); code != exitOK {
		t.Errorf("serve exited %d: %s", code, rig.log)
	}
	code, out := checkDB(rig.dbPath)
	if code != exitOK {
		t.Errorf("moimbot check: exit %d: %s", code, out)
	}
	db := openStored(t, rig.dbPath, rig.key)
	stored, paid := storedCounts(t, db)
	lost := 0
	for k := range keys {
		if stored[k] != 1 {
			lost++
			t.Errorf("deposit %s stored %d times, want 1", k, stored[k])
		}
		if want := map[bool]int{true: 0, false: 1}[strings.HasPrefix(k, "홍길동/")]; paid[k] != want {
			t.Errorf("deposit %s has %d payments, want %d", k, paid[k], want)
		}
	}
	for _, state := range []store.MessageState{store.StatePending, store.StateSending} {
		ms, err := db.Messages(context.Background(), state)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			t.Errorf("message %d to %v still %s: %.60q", m.ID, m.Chat, state, m.Text)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%d deposits, %d lost, %d answers of 429, check exit %d, %s):\n",
		title, len(keys), lost, rig.tg.TooManyRequests(), code, time.Since(began).Round(time.Millisecond))
	for _, r := range rows {
		fmt.Fprintf(&b, "  %-42s %s\n", r.name, r.outcome)
	}
	t.Log(b.String())
}
