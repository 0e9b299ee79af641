package server

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// TestBoardSplitsWithinLimits renders the board of a 400-member group for
// a Telegram and a Slack chat: each part fits its platform, the parts have
// distinct keys in order, and together they are the whole board.
func TestBoardSplitsWithinLimits(t *testing.T) {
	g := store.Group{Group: ledger.Group{ID: "g1", Name: "대학 동문회", Dues: ledger.DuesRule{Amount: 10000, Day: 10, Start: ledger.NewPeriod(2026, time.January)}}}
	for i := range 400 {
		g.Members = append(g.Members, ledger.Member{ID: fmt.Sprintf("m%03d", i), Name: fmt.Sprintf("회원%03d번", i)})
	}
	bk := ledger.NewBook(&g.Group)
	for i := 0; i < 400; i += 3 {
		if _, err := bk.Apply(ledger.Payment{MemberID: g.Members[i].ID, Amount: 5000 * int64(i%3+1), At: time.Date(2026, 11, 5, 20, 0, 0, 0, ledger.KST()), Ref: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	n := &notifier{now: time.Now}
	now := time.Date(2026, 11, 9, 12, 0, 0, 0, ledger.KST())
	whole := bot.StatusBoard(bot.BoardInput{Lang: bot.Korean, Group: &g.Group, Statuses: bk.Statuses(ledger.NewPeriod(2026, time.November)),
		Month: ledger.NewPeriod(2026, time.November), Due: ledger.NewPeriod(2026, time.November).DueDate(10, ledger.KST()), AsOf: now})
	for _, platform := range []string{"telegram", "slack"} {
		msgs := n.board(g, bk, now, now, bot.ChatRef{Platform: platform, ID: "C1"}, "board/g1/r1")
		if len(msgs) < 2 {
			t.Fatalf("%s: %d messages; a 400-member board should need several", platform, len(msgs))
		}
		var joined strings.Builder
		for i, m := range msgs {
			if got, limit := len(utf16.Encode([]rune(m.Text))), bot.Limit(platform); got > limit {
				t.Errorf("%s part %d: %d UTF-16 units, limit %d", platform, i+1, got, limit)
			}
			if want := fmt.Sprintf("board/g1/r1/%s:C1#%d", platform, i+1); m.Key != want {
				t.Errorf("%s part %d key = %q, want %q", platform, i+1, m.Key, want)
			}
			joined.WriteString(m.Text)
		}
		if joined.String() != whole {
			t.Errorf("%s: the parts do not make up the board", platform)
		}
	}
}
