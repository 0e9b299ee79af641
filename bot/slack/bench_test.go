package slack_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/bot/slack"
	"github.com/moimbot/moimbot/bot/slack/slacktest"
)

// concurrentCommands is how many slash commands the benchmarks send at
// once.
const concurrentCommands = 200

// benchUsers returns n users added to srv.
func benchUsers(srv *slacktest.Server, n int) []string {
	users := make([]string, n)
	for i := range users {
		users[i] = fmt.Sprintf("U0BENCH%04d", i)
		srv.AddUser(slacktest.User{ID: users[i], Name: fmt.Sprintf("member%d", i)})
	}
	return users
}

// reportLatency reports the 50th and 99th percentiles of ls in ms.
func reportLatency(b *testing.B, ls []time.Duration) {
	slices.Sort(ls)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(ls[len(ls)/2]), "p50-ms")
	b.ReportMetric(ms(ls[len(ls)*99/100]), "p99-ms")
	b.ReportMetric(ms(ls[len(ls)-1]), "max-ms")
}

// BenchmarkSocketModeAck: 200 slash commands arrive at once over Socket
// Mode, each from another member of the channel; the latency is from the
// fake server writing an envelope to receiving its ack, through slack-go's
// client and the adapter. Slack wants acks within 3 s.
func BenchmarkSocketModeAck(b *testing.B) {
	srv := newServer(b)
	users := benchUsers(srv, concurrentCommands)
	var handled sync.WaitGroup
	h := bot.HandlerFunc(func(context.Context, bot.Update) string { handled.Done(); return "" })
	a := newAdapter(b, srv, h)
	run(b, a)
	ctx := context.Background()
	var ls []time.Duration
	for b.Loop() {
		handled.Add(concurrentCommands)
		lat := make([]time.Duration, concurrentCommands)
		var wg sync.WaitGroup
		for i, u := range users {
			wg.Go(func() {
				env, err := srv.SlashCommand(ctx, u, moim, "status")
				if err != nil {
					b.Error(err)
					return
				}
				ack, err := srv.WaitAck(ctx, env)
				if err != nil {
					b.Error(err)
					return
				}
				lat[i] = ack.Latency
			})
		}
		wg.Wait()
		handled.Wait()
		ls = append(ls, lat...)
	}
	reportLatency(b, ls)
}

// BenchmarkHTTPModeAck: 200 signed slash command requests arrive at once
// at CommandsHandler over loopback HTTP; the latency is the request's
// round trip (signature check, queueing, the 200 answer).
func BenchmarkHTTPModeAck(b *testing.B) {
	const secret = "0123456789abcdef0123456789abcdef"
	srv := newServer(b)
	users := benchUsers(srv, concurrentCommands)
	var handled sync.WaitGroup
	h := bot.HandlerFunc(func(context.Context, bot.Update) string { handled.Done(); return "" })
	a := newAdapter(b, srv, h, func(c *slack.Config) { c.AppToken, c.SigningSecret = "", secret })
	run(b, a)
	hs := httptest.NewServer(a.CommandsHandler())
	b.Cleanup(hs.Close)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = concurrentCommands
	client := &http.Client{Transport: tr}
	b.Cleanup(tr.CloseIdleConnections)
	var ls []time.Duration
	for b.Loop() {
		handled.Add(concurrentCommands)
		reqs := make([]*http.Request, len(users))
		for i, u := range users {
			req, err := slacktest.SignedRequest(hs.URL, secret, time.Now(), srv.CommandForm(u, moim, "status"))
			if err != nil {
				b.Fatal(err)
			}
			reqs[i] = req
		}
		lat := make([]time.Duration, len(reqs))
		var wg sync.WaitGroup
		for i, req := range reqs {
			wg.Go(func() {
				start := time.Now()
				res, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				res.Body.Close()
				lat[i] = time.Since(start)
				if res.StatusCode != http.StatusOK {
					b.Errorf("status %d", res.StatusCode)
				}
			})
		}
		wg.Wait()
		handled.Wait()
		ls = append(ls, lat...)
	}
	reportLatency(b, ls)
}
