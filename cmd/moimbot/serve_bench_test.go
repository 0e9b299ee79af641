package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moimbot/moimbot/bot/telegram/telegramtest"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// BenchmarkStatusReply measures a member's /status in a 100-member group
// with no bank read (no account linked): from the update queued at the
// fake Telegram to the board handed to it, through long polling, the
// adapter, the router, the store, the outbox and the adapter's send. The
// commands are 3.1 s apart so that Telegram's limits, which the adapter
// keeps (about one message a second per chat, 20 a minute per group), are
// not what is measured. Run it once (about 95 s):
//
//	go test -run '^$' -bench StatusReply -benchtime 1x ./cmd/moimbot
func BenchmarkStatusReply(b *testing.B) {
	const samples = 30
	rig := newServeRig(b)
	// The group, written before moimbot starts: 100 members, the fake's
	// group chat and treasurer.
	key, err := store.ParseKey(rig.key)
	if err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(context.Background(), rig.dbPath, store.Options{Cipher: key, Now: rig.clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	g := store.Group{Group: ledger.Group{Name: "백명모임", Dues: ledger.DuesRule{Amount: 30000, Day: 25, Start: ledger.MonthOf(rig.clock.Now().In(ledger.KST()))}},
		Settings: store.GroupSettings{Chats: []store.ChatRef{{Platform: "telegram", ID: fmt.Sprint(serveGroupID)}},
			Treasurers: []store.ChatUser{{Platform: "telegram", ID: fmt.Sprint(serveTreasurer)}}}}
	for i := range 100 {
		g.Members = append(g.Members, ledger.Member{ID: fmt.Sprintf("m%03d", i), Name: fmt.Sprintf("회원%03d", i)})
	}
	if _, err := db.PutGroup(context.Background(), "bench", g); err != nil {
		b.Fatal(err)
	}
	db.Close()
	rig.start()
	defer rig.stop()

	var lat []time.Duration
	for b.Loop() {
		for i := range samples {
			board := func(c telegramtest.Call) bool {
				return c.Method == "sendMessage" && c.ChatID == serveGroupID && c.ErrorCode == 0 && strings.Contains(c.Text, "백명모임")
			}
			before := 0
			for _, c := range rig.tg.Calls("sendMessage") {
				if board(c) {
					before++
				}
			}
			start := time.Now()
			if _, err := rig.tg.SendText(serveGroupID, serveMember, "/status"); err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err := rig.tg.WaitN(ctx, before+1, board)
			cancel()
			if err != nil {
				b.Fatalf("sample %d: no board: %v", i, err)
			}
			lat = append(lat, time.Since(start))
			time.Sleep(3100 * time.Millisecond)
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(rig.tg.TooManyRequests()), "429s")
}
