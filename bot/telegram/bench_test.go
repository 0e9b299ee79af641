package telegram_test

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/bot/telegram"
	"github.com/moimbot/moimbot/bot/telegram/telegramtest"
)

// memOutbox is an in-memory bot.Outbox: messages in enqueue order, each
// chat's oldest open one claimable when due, a one-minute lease.
type memOutbox struct {
	mu       sync.Mutex
	msgs     []*memMessage
	deferred int // failed attempts that will be retried
	dead     int
}

type memMessage struct {
	m     bot.Message
	due   time.Time
	lease time.Time
	state string // "pending", "claimed", "sent", "dead"
}

func (o *memOutbox) add(m bot.Message) {
	o.mu.Lock()
	defer o.mu.Unlock()
	m.ID = uint64(len(o.msgs) + 1)
	o.msgs = append(o.msgs, &memMessage{m: m, state: "pending"})
}

func (o *memOutbox) Claim(_ context.Context, now time.Time, limit int) ([]bot.Message, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []bot.Message
	open := map[bot.ChatRef]bool{}
	for _, e := range o.msgs {
		if len(out) == limit {
			break
		}
		if e.state == "sent" || e.state == "dead" || open[e.m.Chat] {
			continue
		}
		open[e.m.Chat] = true // later messages of the chat wait for this one
		if e.due.After(now) || e.state == "claimed" && e.lease.After(now) {
			continue
		}
		e.state, e.lease = "claimed", now.Add(time.Minute)
		e.m.Attempt++
		out = append(out, e.m)
	}
	return out, nil
}

func (o *memOutbox) MarkSent(_ context.Context, id uint64) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs[id-1].state = "sent"
	return nil
}

func (o *memOutbox) MarkFailed(_ context.Context, id uint64, retryAfter time.Duration, _ string, permanent bool) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	e := o.msgs[id-1]
	if permanent {
		e.state = "dead"
		o.dead++
		return true, nil
	}
	if retryAfter <= 0 {
		retryAfter = time.Second
	}
	e.state, e.due = "pending", time.Now().Add(retryAfter)
	o.deferred++
	return false, nil
}

// BenchmarkDeliverGroups1000 is the must-show: 1,000 groups each
// get a notice at once, through the real bot.Dispatcher (default settings:
// batches of 100, 8 chats at a time) and the adapter, to the fake enforcing
// Telegram's limits (telegramtest.DefaultLimits). It reports the seconds to
// deliver all of them, the 429s the fake answered (the goal: none) and the
// sends the adapter's pacing handed back to the outbox. Telegram's 30
// messages a second overall make it take over 33 seconds (about 37 with
// the adapter's margin), so run it once:
//
//	go test ./bot/telegram -run '^$' -bench 'DeliverGroups1000' -benchtime 1x
//
// BenchmarkDeliverGroups100 is the same with 100 groups (about 3.5 s).
func BenchmarkDeliverGroups1000(b *testing.B) { benchmarkDeliverGroups(b, 1000) }

// BenchmarkDeliverGroups100 is BenchmarkDeliverGroups1000 scaled down to
// 100 groups.
func BenchmarkDeliverGroups100(b *testing.B) { benchmarkDeliverGroups(b, 100) }

func benchmarkDeliverGroups(b *testing.B, groups int) {
	var elapsed time.Duration
	var tooMany, deferred, dead int
	for b.Loop() {
		srv := telegramtest.NewServer(telegramtest.WithLimits(telegramtest.DefaultLimits()))
		out := &memOutbox{}
		for g := range groups {
			id := -1_000_000_000_000 - int64(g)
			srv.AddSupergroup(id, "모임 "+strconv.Itoa(g))
			out.add(bot.Message{Chat: ref(id), Kind: bot.KindDeposit, Key: "deposit:" + strconv.Itoa(g),
				Text: "입금 확인: 김민수 30,000원 — 11월 회비 완납"})
		}
		a, err := telegram.New(telegram.Config{Token: srv.Token, APIURL: srv.URL}) // Telegram's limits
		if err != nil {
			b.Fatal(err)
		}
		var mu sync.Mutex
		sent := 0
		all := make(chan struct{})
		d := &bot.Dispatcher{Outbox: out, Chats: map[string]bot.Chat{"telegram": a}, OnSent: func(bot.Message) {
			mu.Lock()
			defer mu.Unlock()
			if sent++; sent == groups {
				close(all)
			}
		}}
		ctx, cancel := context.WithCancel(context.Background())
		stopped := make(chan error, 1)
		start := time.Now()
		go func() { stopped <- d.Run(ctx) }()
		select {
		case <-all:
		case <-time.After(5 * time.Minute):
			b.Fatalf("delivered %d of %d in 5 minutes", sent, groups)
		}
		elapsed += time.Since(start)
		cancel()
		<-stopped
		tooMany += srv.TooManyRequests()
		out.mu.Lock()
		deferred += out.deferred
		dead += out.dead
		out.mu.Unlock()
		srv.Close()
	}
	n := float64(b.N)
	b.ReportMetric(elapsed.Seconds()/n, "s/delivery")
	b.ReportMetric(float64(groups)/(elapsed.Seconds()/n), "msgs/s")
	b.ReportMetric(float64(tooMany)/n, "429s")
	b.ReportMetric(float64(deferred)/n, "deferrals")
	if dead > 0 {
		b.Errorf("%d messages dead", dead)
	}
}

// BenchmarkSendLatency measures one Send to the fake (no limits, pacing
// off) from the call to Telegram's answer, round-robin over 100 groups,
// and reports the median and 99th percentile.
func BenchmarkSendLatency(b *testing.B) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	for g := range 100 {
		srv.AddSupergroup(-1_000_000_000_000-int64(g), "g")
	}
	a := newAdapter(b, srv, nil)
	ctx := context.Background()
	var lat []time.Duration
	i := 0
	for b.Loop() {
		m := bot.Message{Chat: ref(-1_000_000_000_000 - int64(i%100)), Text: "입금 확인: 김민수 <30,000원> & co", Buttons: [][]bot.Button{{{Text: "확인", Data: "ok:" + strconv.Itoa(i)}}}}
		start := time.Now()
		if err := a.Send(ctx, m); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		i++
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}
