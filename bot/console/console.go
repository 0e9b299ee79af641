// Package console is a bot.Chat that prints messages to a terminal or any
// io.Writer: the chat of `moimbot demo` and of local runs without a chat
// platform.
package console

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/term"

	"github.com/moimbot/moimbot/bot"
)

// kst is Korea Standard Time. Korea has had no daylight saving time since
// 1988, so a fixed zone shows the same clock as Asia/Seoul.
var kst = time.FixedZone("KST", 9*60*60)

// Options configure a Chat.
type Options struct {
	// Color turns on ANSI colours; ColorAuto decides for a writer.
	Color bool
	// Now gives the time shown on each message, in KST as "15:04"; nil
	// means time.Now.
	Now func() time.Time
	// Label names a chat in the header, e.g. "독서모임 단톡방" or "총무 DM";
	// nil means ChatRef.String.
	Label func(bot.ChatRef) string
	// Edited marks the header of a message that replaces an earlier one
	// (bot.Message.Edit); empty means "(수정됨)".
	Edited string
	// NumberButtons numbers the buttons across a message's rows, [1 회원
	// 선택] [2 회비 아님], for a reader who taps them by number.
	NumberButtons bool
}

// Chat prints messages to a writer, one block per message. It is safe for
// concurrent use: each message is written with one Write call, under a lock,
// so messages never interleave.
type Chat struct {
	mu   sync.Mutex
	w    io.Writer
	opts Options
}

var _ bot.Chat = (*Chat)(nil)

// New returns a Chat that prints to w.
func New(w io.Writer, opts Options) *Chat {
	return &Chat{w: w, opts: opts}
}

// ColorAuto reports whether to colour output to w: w is an *os.File that is
// a terminal, NO_COLOR is unset or empty and TERM is not "dumb". getenv reads
// the environment; nil means os.Getenv.
func ColorAuto(w io.Writer, getenv func(string) string) bool {
	if getenv == nil {
		getenv = os.Getenv
	}
	if getenv("NO_COLOR") != "" || getenv("TERM") == "dumb" {
		return false
	}
	f, ok := w.(*os.File)
	return ok && f != nil && term.IsTerminal(int(f.Fd()))
}

// ANSI escape sequences.
const (
	reset   = "\x1b[0m"
	dim     = "\x1b[2m"
	bold    = "\x1b[1m"
	red     = "\x1b[31m"
	green   = "\x1b[32m"
	yellow  = "\x1b[33m"
	blue    = "\x1b[34m"
	magenta = "\x1b[35m"
	cyan    = "\x1b[36m"
)

// kindColor is the header colour of each message kind.
func kindColor(kind string) string {
	switch kind {
	case bot.KindDeposit:
		return green
	case bot.KindReview:
		return yellow
	case bot.KindReminder:
		return cyan
	case bot.KindBoard:
		return blue
	case bot.KindRelink, bot.KindExpiry:
		return magenta
	case bot.KindDeadLetter:
		return red
	}
	return ""
}

// MessageID is the id under which a Chat shows m, the id a tap on m's
// buttons names (bot.Tap.Message) and an edit replaces (bot.Message.Edit):
// the id of the message m replaces when it is an edit, else m's outbox id.
// A message sent outside an outbox (ID 0) has no id: it cannot be edited.
func MessageID(m bot.Message) string {
	switch {
	case m.Edit != "":
		return m.Edit
	case m.ID != 0:
		return strconv.FormatUint(m.ID, 10)
	}
	return ""
}

// Send prints m as a block:
//
//	[21:03] 독서모임 단톡방
//	  💰 김민수님 30,000원 입금 — 11월 회비 완납 (6/8명)
//	  [김민수님으로 처리] [회비 아님]
//
// followed by an empty line. A message that edits an earlier one (a chat
// cannot change what a terminal printed) is printed again in full, its
// header marked with Options.Edited. Control characters in the text (terminal
// escape sequences from a payer's text, say) are shown as U+FFFD. It returns
// ctx's error when ctx is done, and the writer's error, wrapped.
func (c *Chat) Send(ctx context.Context, m bot.Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("console: send: %w", err)
	}
	now := time.Now
	if c.opts.Now != nil {
		now = c.opts.Now
	}
	label := m.Chat.String()
	if c.opts.Label != nil {
		label = c.opts.Label(m.Chat)
	}

	var b strings.Builder
	header := "[" + now().In(kst).Format("15:04") + "] " + clean(label)
	if m.Edit != "" {
		edited := c.opts.Edited
		if edited == "" {
			edited = "(수정됨)"
		}
		header += " " + clean(edited)
	}
	if c.opts.Color {
		b.WriteString(bold + kindColor(m.Kind) + header + reset + "\n")
	} else {
		b.WriteString(header + "\n")
	}
	for line := range strings.Lines(strings.TrimRight(m.Text, "\n")) {
		line = clean(strings.TrimRight(line, "\r\n"))
		if line == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString("  " + line + "\n")
	}
	n := 0
	for _, row := range m.Buttons {
		if len(row) == 0 {
			continue
		}
		labels := make([]string, len(row))
		for i, btn := range row {
			n++
			if c.opts.NumberButtons {
				labels[i] = "[" + strconv.Itoa(n) + " " + clean(btn.Text) + "]"
			} else {
				labels[i] = "[" + clean(btn.Text) + "]"
			}
		}
		if c.opts.Color {
			b.WriteString("  " + cyan + strings.Join(labels, " ") + reset + "\n")
		} else {
			b.WriteString("  " + strings.Join(labels, " ") + "\n")
		}
	}
	b.WriteString("\n")

	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := io.WriteString(c.w, b.String()); err != nil {
		return fmt.Errorf("console: write: %w", err)
	}
	return nil
}

// clean replaces control characters (including tabs and line breaks) with
// U+FFFD, so text from outside cannot drive the terminal.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return unicode.ReplacementChar
		}
		return r
	}, s)
}
