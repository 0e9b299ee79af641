package server

import (
	"fmt"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// DemoGroup is the 독서모임 that `moimbot demo` plays and the tests use:
// eight members, 30,000원 due on dueDay from the month start, 정하늘 (m05)
// exempt, 한지호 (m08) known by his nickname 지호짱, posting to chat with
// treasurer as its treasurer.
func DemoGroup(start ledger.Period, dueDay int, lang bot.Lang, chat, treasurer bot.ChatRef) store.Group {
	g := ledger.Group{Name: "독서모임", Dues: ledger.DuesRule{Amount: 30000, Day: dueDay, Start: start}, Ignore: []string{"이자"}}
	for i, name := range []string{"김민수", "이지은", "박서준", "최유나", "정하늘", "강도윤", "윤서연", "한지호"} {
		g.Members = append(g.Members, ledger.Member{ID: fmt.Sprintf("m%02d", i+1), Name: name})
	}
	g.Members[4].Exempt = true
	g.Members[7].Aliases = []ledger.Alias{{Text: "지호짱"}}
	return store.Group{Group: g, Settings: store.GroupSettings{
		Language:   string(lang),
		Reminder:   DefaultReminder(),
		Chats:      []store.ChatRef{{Platform: chat.Platform, ID: chat.ID}},
		Treasurers: []store.ChatUser{{Platform: treasurer.Platform, ID: treasurer.ID}},
	}}
}
