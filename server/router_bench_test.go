package server

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// BenchmarkRouterGroupOf finds the group of an update among 10,000 groups,
// as every update to the bot does first: a message in a group's chat, and
// a DM from a treasurer of one group.
//
//	go test -run '^$' -bench RouterGroupOf ./server
func BenchmarkRouterGroupOf(b *testing.B) {
	const n = 10000
	db, err := store.Open(b.Context(), filepath.Join(b.TempDir(), "moimbot.db"), store.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	for i := range n {
		g := testGroup(ledger.NewPeriod(2026, 1), bot.Korean)
		g.ID, g.Name = fmt.Sprintf("grp%05d", i), fmt.Sprintf("모임 %05d", i)
		g.Settings.Chats = []store.ChatRef{{Platform: "telegram", ID: fmt.Sprintf("-100%05d", i)}}
		g.Settings.Treasurers = []store.ChatUser{{Platform: "telegram", ID: fmt.Sprintf("%05d", i)}}
		if _, err := db.PutGroup(b.Context(), store.ActorCLI, g); err != nil {
			b.Fatal(err)
		}
	}
	r := &Router{e: &Engine{db: db}}
	i := n / 2
	tests := []struct {
		name string
		u    bot.Update
	}{
		{"group chat", bot.Update{Chat: bot.ChatRef{Platform: "telegram", ID: fmt.Sprintf("-100%05d", i)},
			From: bot.User{Platform: "telegram", ID: "1"}}},
		{"treasurer DM", bot.Update{Chat: bot.ChatRef{Platform: "telegram", ID: fmt.Sprintf("%05d", i)}, Private: true,
			From: bot.User{Platform: "telegram", ID: fmt.Sprintf("%05d", i)}}},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			for b.Loop() {
				g, ok, err := r.groupOf(b.Context(), tt.u)
				if err != nil || !ok || g.ID != fmt.Sprintf("grp%05d", i) {
					b.Fatalf("groupOf = %s, %v, %v", g.ID, ok, err)
				}
			}
		})
	}
}
