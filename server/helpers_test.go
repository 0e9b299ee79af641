package server

import (
	"bytes"
	"sync"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// The test group's chats on the console adapter.
var (
	testGroupChat     = bot.ChatRef{Platform: "console", ID: "group"}
	testTreasurerChat = bot.ChatRef{Platform: "console", ID: "treasurer"}
)

// testGroup is the demo's 독서모임, due on the 25th, in the console chats.
func testGroup(start ledger.Period, lang bot.Lang) store.Group {
	return DemoGroup(start, 25, lang, testGroupChat, testTreasurerChat)
}

// syncBuffer is a bytes.Buffer safe for a writer goroutine while the test
// reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
