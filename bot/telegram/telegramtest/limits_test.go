package telegramtest_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/moimbot/moimbot/bot/telegram/telegramtest"
)

// epoch is an arbitrary fixed start for the manual clock.
var epoch = time.Date(2030, 3, 4, 5, 6, 7, 0, time.UTC)

// step advances the clock, then sends one message to chat; wantRetry is
// the retry_after of the expected 429, 0 for a delivered message.
type step struct {
	advance   time.Duration
	chat      int64
	wantRetry int
}

func repeat(n int, s step) []step {
	out := make([]step, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func concat(parts ...[]step) []step {
	var out []step
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// manyGroups are supergroup IDs registered by the Global case.
func manyGroups(n int) []int64 {
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = -1002000000000 - int64(i)
	}
	return ids
}

func TestLimits(t *testing.T) {
	groups := manyGroups(31)
	var toEachGroup []step
	for _, id := range groups {
		toEachGroup = append(toEachGroup, step{chat: id})
	}
	toEachGroup[30].wantRetry = 1

	tests := []struct {
		name     string
		limits   telegramtest.Limits
		steps    []step
		wantHits telegramtest.LimitHits
	}{
		{"ChatBurstThenOnePerSecond", telegramtest.DefaultLimits(), []step{
			{0, aliceID, 0}, {0, aliceID, 0}, {0, aliceID, 0},
			{0, aliceID, 1}, // the burst of 3 is spent
			{time.Second, aliceID, 0},
			{0, aliceID, 1},
			{500 * time.Millisecond, aliceID, 1}, // half a second left, rounded up
			{500 * time.Millisecond, aliceID, 0},
		}, telegramtest.LimitHits{Chat: 3}},
		{"ChatsAreIndependent", telegramtest.DefaultLimits(), concat(
			repeat(3, step{chat: aliceID}),
			repeat(3, step{chat: superID}),
			[]step{{0, aliceID, 1}, {0, superID, 1}},
		), telegramtest.LimitHits{Chat: 2}},
		{"GroupTwentyPerMinute", telegramtest.DefaultLimits(), concat(
			[]step{{0, superID, 0}},
			repeat(19, step{advance: time.Second, chat: superID}), // 20 sends at t=0..19s
			[]step{
				{time.Second, superID, 40},     // t=20s: the t=0 send leaves the window at 60s
				{39 * time.Second, superID, 1}, // t=59s
				{time.Second, superID, 0},      // t=60s
				{0, superID, 1},                // the t=1s send leaves at 61s
				{time.Second, superID, 0},      // t=61s
			},
		), telegramtest.LimitHits{Group: 3}},
		{"PrivateChatHasNoGroupLimit", telegramtest.DefaultLimits(), concat(
			[]step{{0, aliceID, 0}},
			repeat(25, step{advance: time.Second, chat: aliceID}),
		), telegramtest.LimitHits{}},
		{"GlobalThirtyPerSecond", telegramtest.DefaultLimits(), concat(
			toEachGroup,
			[]step{{time.Second, groups[30], 0}},
		), telegramtest.LimitHits{Global: 1}},
		{"OnlyGlobal", telegramtest.Limits{GlobalPerSecond: 30}, repeat(10, step{chat: superID}), telegramtest.LimitHits{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := telegramtest.NewClock(epoch)
			f := newFixture(t, telegramtest.WithClock(clock.Now), telegramtest.WithLimits(tc.limits))
			for _, id := range groups {
				f.srv.AddSupergroup(id, fmt.Sprint(id))
			}
			b := f.newSyncBot(t)
			ctx := testCtx(t)
			want429 := 0
			for i, st := range tc.steps {
				clock.Advance(st.advance)
				_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: st.chat, Text: fmt.Sprintf("notice %d", i)})
				var tmr *bot.TooManyRequestsError
				switch {
				case st.wantRetry == 0 && err != nil:
					t.Fatalf("step %d (t=%v, chat %d): err = %v, want delivery", i, clock.Now().Sub(epoch), st.chat, err)
				case st.wantRetry != 0 && (!errors.As(err, &tmr) || tmr.RetryAfter != st.wantRetry):
					t.Fatalf("step %d (t=%v, chat %d): err = %v, want 429 retry_after %d", i, clock.Now().Sub(epoch), st.chat, err, st.wantRetry)
				}
				if st.wantRetry != 0 {
					want429++
				}
			}
			if got := f.srv.TooManyRequests(); got != want429 {
				t.Errorf("TooManyRequests = %d, want %d", got, want429)
			}
			if got := f.srv.LimitHits(); got != tc.wantHits {
				t.Errorf("LimitHits = %+v, want %+v", got, tc.wantHits)
			}
		})
	}
}

func TestLimitsCountEdits(t *testing.T) {
	clock := telegramtest.NewClock(epoch)
	f := newFixture(t, telegramtest.WithClock(clock.Now), telegramtest.WithLimits(telegramtest.DefaultLimits()))
	b := f.newSyncBot(t)
	ctx := testCtx(t)
	var last *models.Message
	for i := range 3 {
		m, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: superID, Text: fmt.Sprint(i)})
		if err != nil {
			t.Fatal(err)
		}
		last = m
	}
	_, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: superID, MessageID: last.ID, Text: "edited"})
	var tmr *bot.TooManyRequestsError
	if !errors.As(err, &tmr) || tmr.RetryAfter != 1 {
		t.Fatalf("edit over the chat limit: err = %v, want 429 retry_after 1", err)
	}
	clock.Advance(time.Second)
	if _, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: superID, MessageID: last.ID, Text: "edited"}); err != nil {
		t.Fatalf("edit after a second: %v", err)
	}
	if _, err := b.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: "x"}); errors.As(err, &tmr) {
		t.Errorf("answerCallbackQuery was rate limited: %v", err)
	}
}

// TestLimitsPacedBroadcast: a notice to each of 1,000 groups, paced at 30
// per second of the manual clock, is delivered without a single 429; the
// same burst unpaced is refused after 30.
func TestLimitsPacedBroadcast(t *testing.T) {
	for _, tc := range []struct {
		name      string
		pace      time.Duration
		want429   int
		wantSends int
	}{
		{"Paced", (time.Second + 29) / 30, 0, 1000},
		{"Unpaced", 0, 970, 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := telegramtest.NewClock(epoch)
			f := newFixture(t, telegramtest.WithClock(clock.Now), telegramtest.WithLimits(telegramtest.DefaultLimits()))
			ids := manyGroups(1000)
			for _, id := range ids {
				f.srv.AddSupergroup(id, "g")
			}
			b := f.newSyncBot(t)
			ctx := testCtx(t)
			for _, id := range ids {
				b.SendMessage(ctx, &bot.SendMessageParams{ChatID: id, Text: "회비 안내"})
				clock.Advance(tc.pace)
			}
			if got := f.srv.TooManyRequests(); got != tc.want429 {
				t.Errorf("TooManyRequests = %d, want %d", got, tc.want429)
			}
			delivered := 0
			for _, c := range f.srv.Calls("sendMessage") {
				if c.OK() {
					delivered++
				}
			}
			if delivered != tc.wantSends {
				t.Errorf("delivered %d, want %d", delivered, tc.wantSends)
			}
		})
	}
}

// TestConcurrentUse exercises the server from many goroutines at once (run
// with -race): sends, injected updates and a long-polling client.
func TestConcurrentUse(t *testing.T) {
	f := newFixture(t)
	const workers, each = 8, 25
	seen := make(chan int64, workers*each)
	f.startBot(t, bot.WithDefaultHandler(func(_ context.Context, _ *bot.Bot, u *models.Update) { seen <- u.ID }))
	b := f.newSyncBot(t)
	ctx := testCtx(t)
	var wg sync.WaitGroup
	errs := make(chan error, 2*workers*each)
	for w := range workers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: superID, Text: fmt.Sprintf("w%d #%d", w, i)}); err != nil {
					errs <- err
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := f.srv.SendText(superID, aliceID, fmt.Sprintf("u%d #%d", w, i)); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	sent := f.srv.Sent(superID)
	if len(sent) != workers*each {
		t.Fatalf("Sent = %d, want %d", len(sent), workers*each)
	}
	ids := map[int]bool{}
	for _, m := range sent {
		if ids[m.MessageID] {
			t.Fatalf("message id %d used twice", m.MessageID)
		}
		ids[m.MessageID] = true
	}
	// Every injected update reaches the client, in order.
	for want := int64(1); want <= workers*each; want++ {
		select {
		case got := <-seen:
			if got != want {
				t.Fatalf("update %d arrived, want %d", got, want)
			}
		case <-ctx.Done():
			t.Fatalf("client saw %d of %d updates", want-1, workers*each)
		}
	}
}
