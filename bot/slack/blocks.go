package slack

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/moimbot/moimbot/bot"
)

// Slack's Block Kit limits, in characters. The adapter counts UTF-16 code
// units, which is never less than Slack's count.
const (
	maxBlocks         = 50
	maxSectionText    = 3000
	maxHeaderText     = 150
	maxContextItems   = 10
	maxActionElements = 25
	maxButtonText     = 75
	maxButtonValue    = 2000
	maxSelectOptions  = 100
	maxOptionText     = 75
	maxOptionValue    = 150
	// maxFallback bounds the message's top-level text, the notification
	// and fallback text; Slack truncates beyond 40,000 characters and
	// recommends far less.
	maxFallback = 4000
	// maxRenderText bounds the text rendered, in bytes: 50 sections of
	// 3,000 UTF-16 units hold no more (a unit takes at most 3 bytes).
	maxRenderText = maxBlocks * maxSectionText * 3
	// selectRun is the number of consecutive one-button rows of one
	// action ("assign:…", the pick list) from which they become a menu.
	selectRun = 6
)

// selectPlaceholder is the menu's placeholder. The message carries no
// language, so it says it in both.
const selectPlaceholder = "회원 선택 · Choose a member"

// userIDPattern matches the Slack user ids a Tag may carry.
var userIDPattern = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)

// headerMarks start the first line of the texts moimbot writes as a title
// (status board, review, reminders); a reply of the router carrying one
// gets a header too.
var headerMarks = []string{"📋", "🔎", "🔔", "⏰"}

// rendered is a message rendered for chat.postMessage and friends.
type rendered struct {
	// text is the top-level text: the whole message in mrkdwn, shown in
	// notifications and where blocks cannot be.
	text   string
	blocks []slack.Block
}

// span is a tagged name in a text: bytes [start, end) stand for user.
type span struct {
	start, end int
	user       string
}

// line is a line of a text and its offset.
type line struct {
	text string
	off  int
}

// render derives a message's blocks from its kind, text and buttons:
//
//   - a header (plain text) from the first line of a board, reminder or
//     review, or of any text whose first line starts with 📋 🔎 🔔 ⏰,
//     when more lines follow and it fits in 150 characters; a board's
//     due date in parentheses moves to the context line;
//   - the trailing "… 기준"/"As of …" line and a closing line ending in 🙏
//     of such texts as a context block;
//   - the other lines as mrkdwn sections: one per line on a board (paid,
//     partly paid, unpaid, … , total), one per paragraph (separated by a
//     blank line) elsewhere, split at line breaks or spaces to stay within
//     3,000 characters;
//   - the buttons as actions blocks, except that a run of at least
//     selectRun one-button rows of the same action (the part of Data
//     before its first ":") becomes a static_select menu whose option
//     values are the buttons' Data.
//
// Text is escaped for mrkdwn (&, <, >) and each Tag becomes a <@U…>
// mention. Blocks beyond 50 are avoided by merging sections, then by
// cutting the text. The top-level text is the whole text in mrkdwn, cut
// at 4,000 characters.
func render(m bot.Message) rendered {
	text := m.Text
	if len(text) > maxRenderText {
		cut := maxRenderText
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "…"
	}
	text = strings.ReplaceAll(strings.ToValidUTF8(text, "\uFFFD"), "\r\n", "\n")
	spans := tagSpans(text, m.Tags)
	lines := splitLines(text)

	var header, due string
	var body, footer []line
	first := firstNonBlank(lines)
	titled := first >= 0 && wantsHeader(m.Kind, lines, first, spans)
	if titled {
		header = strings.TrimSpace(lines[first].text)
		body = lines[first+1:]
		if m.Kind == bot.KindBoard || strings.HasPrefix(header, "📋") {
			header, due = cutDue(header)
		}
		body, footer = cutContext(body)
	} else {
		body = lines
	}

	var blocks []slack.Block
	if header != "" {
		blocks = append(blocks, slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, header, true, false)))
	}
	perLine := titled && (m.Kind == bot.KindBoard || strings.HasPrefix(header, "📋"))
	sections := sectionTexts(text, body, spans, perLine)
	actions := actionBlocks(m.Buttons)
	foot := contextBlock(text, due, footer, spans)
	budget := maxBlocks - len(blocks) - len(actions)
	if foot != nil {
		budget--
	}
	sections = fitSections(sections, max(budget, 1))
	for _, s := range sections {
		blocks = append(blocks, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, s, false, true), nil, nil))
	}
	if foot != nil {
		blocks = append(blocks, foot)
	}
	blocks = append(blocks, actions...)
	if len(blocks) > maxBlocks {
		blocks = blocks[:maxBlocks]
	}
	return rendered{text: truncateMrkdwn(mrkdwn(text, 0, len(text), spans), maxFallback), blocks: blocks}
}

// tagSpans finds each tag's name in text, in order, each after the
// previous one found; a tag whose name is missing or not valid UTF-8
// (it could match inside a rune), or whose id is not a Slack user id, is
// skipped.
func tagSpans(text string, tags []bot.Tag) []span {
	var out []span
	pos := 0
	for _, t := range tags {
		if t.Text == "" || !utf8.ValidString(t.Text) || !userIDPattern.MatchString(t.UserID) {
			continue
		}
		i := strings.Index(text[pos:], t.Text)
		if i < 0 {
			continue
		}
		start := pos + i
		out = append(out, span{start: start, end: start + len(t.Text), user: t.UserID})
		pos = start + len(t.Text)
	}
	return out
}

// splitLines splits text at "\n", keeping each line's offset.
func splitLines(text string) []line {
	var out []line
	off := 0
	for {
		i := strings.IndexByte(text[off:], '\n')
		if i < 0 {
			return append(out, line{text: text[off:], off: off})
		}
		out = append(out, line{text: text[off : off+i], off: off})
		off += i + 1
	}
}

func firstNonBlank(lines []line) int {
	for i, l := range lines {
		if strings.TrimSpace(l.text) != "" {
			return i
		}
	}
	return -1
}

// wantsHeader reports whether the line first becomes a header block.
func wantsHeader(kind string, lines []line, first int, spans []span) bool {
	l := lines[first]
	title := strings.TrimSpace(l.text)
	if firstNonBlank(lines[first+1:]) < 0 || utf16Len(title) > maxHeaderText {
		return false
	}
	for _, s := range spans {
		if s.start < l.off+len(l.text) && s.end > l.off {
			return false // a header cannot mention anyone
		}
	}
	switch kind {
	case bot.KindBoard, bot.KindReminder, bot.KindReview:
		return true
	}
	for _, mark := range headerMarks {
		if strings.HasPrefix(title, mark) {
			return true
		}
	}
	return false
}

// cutDue takes a board title's trailing due date, " (마감 11월 25일(수))" or
// " (due Wed, Nov 25)", off it: "마감 11월 25일(수)".
func cutDue(title string) (rest, due string) {
	if !strings.HasSuffix(title, ")") {
		return title, ""
	}
	for _, open := range []string{" (마감 ", " (due "} {
		if i := strings.LastIndex(title, open); i > 0 {
			return title[:i], title[i+2 : len(title)-1]
		}
	}
	return title, ""
}

// cutContext takes up to two trailing context lines off body: the "as of"
// line of a board and the closing request of a reminder.
func cutContext(body []line) (rest, context []line) {
	end := len(body)
	for end > 0 && strings.TrimSpace(body[end-1].text) == "" {
		end--
	}
	start := end
	for start > 0 && end-start < 2 && isContextLine(strings.TrimSpace(body[start-1].text)) {
		start--
	}
	if firstNonBlank(body[:start]) < 0 {
		return body, nil // nothing would be left for the sections
	}
	return body[:start], body[start:end]
}

func isContextLine(s string) bool {
	return strings.HasSuffix(s, " 기준") || strings.HasPrefix(s, "As of ") || strings.HasSuffix(s, "🙏")
}

// sectionTexts renders body as section texts: one per line when perLine,
// else one per paragraph; each within maxSectionText.
func sectionTexts(text string, body []line, spans []span, perLine bool) []string {
	var out []string
	var para []line
	flush := func() {
		if len(para) == 0 {
			return
		}
		start := para[0].off
		end := para[len(para)-1].off + len(para[len(para)-1].text)
		out = append(out, pack(atoms(text, start, end, spans), maxSectionText)...)
		para = para[:0]
	}
	for _, l := range body {
		switch {
		case strings.TrimSpace(l.text) == "":
			flush()
		case perLine:
			para = append(para, l)
			flush()
		default:
			para = append(para, l)
		}
	}
	flush()
	return out
}

// fitSections merges sections so that there are at most budget of them,
// then cuts the text when even that is too many.
func fitSections(sections []string, budget int) []string {
	if len(sections) <= budget {
		return sections
	}
	var merged []string
	cur := ""
	for _, s := range sections {
		switch {
		case cur == "":
			cur = s
		case utf16Len(cur)+2+utf16Len(s) <= maxSectionText:
			cur += "\n\n" + s
		default:
			merged = append(merged, cur)
			cur = s
		}
	}
	merged = append(merged, cur)
	if len(merged) <= budget {
		return merged
	}
	merged = merged[:budget]
	last := merged[budget-1]
	merged[budget-1] = strings.TrimSuffix(truncateMrkdwn(last, maxSectionText-2), "…") + "\n…"
	return merged
}

// atoms renders text[start:end] as mrkdwn, one piece per rune (escaped)
// or per mention, so that pack can cut between pieces.
func atoms(text string, start, end int, spans []span) []string {
	var out []string
	for i := start; i < end; {
		if s, ok := spanAt(spans, i); ok && s.end <= end {
			out = append(out, "<@"+s.user+">")
			i = s.end
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		switch r {
		case '&':
			out = append(out, "&amp;")
		case '<':
			out = append(out, "&lt;")
		case '>':
			out = append(out, "&gt;")
		default:
			out = append(out, text[i:i+size])
		}
		i += size
	}
	return out
}

func spanAt(spans []span, i int) (span, bool) {
	for _, s := range spans {
		if s.start == i {
			return s, true
		}
	}
	return span{}, false
}

// mrkdwn renders text[start:end] as mrkdwn.
func mrkdwn(text string, start, end int, spans []span) string {
	return strings.Join(atoms(text, start, end, spans), "")
}

// pack joins atoms into texts of at most limit UTF-16 units, cutting after
// the last line break that fits, else after the last space in the second
// half, else where the limit falls; cut texts are trimmed, empty ones
// dropped.
func pack(pieces []string, limit int) []string {
	var out []string
	for start := 0; start < len(pieces); {
		n, end, nl, sp := 0, start, -1, -1
		for end < len(pieces) {
			l := utf16Len(pieces[end])
			if n+l > limit {
				break
			}
			n += l
			end++
			switch pieces[end-1] {
			case "\n":
				nl = end
			case " ":
				sp = end
			}
		}
		cut := end
		switch {
		case end == len(pieces):
		case nl > start:
			cut = nl
		case sp > start+(end-start)/2:
			cut = sp
		case end == start:
			cut = start + 1 // a piece longer than limit: never happens with runes and mentions
		}
		if s := strings.TrimSpace(strings.Join(pieces[start:cut], "")); s != "" {
			out = append(out, s)
		}
		start = cut
	}
	return out
}

// contextBlock renders the due date and the context lines, nil if none.
func contextBlock(text, due string, lines []line, spans []span) slack.Block {
	var els []slack.MixedElement
	if due != "" {
		els = append(els, slack.NewTextBlockObject(slack.MarkdownType, mrkdwn(due, 0, len(due), nil), false, true))
	}
	for _, l := range lines {
		s := strings.TrimSpace(mrkdwn(text, l.off, l.off+len(l.text), spans))
		if s == "" || len(els) == maxContextItems {
			continue
		}
		els = append(els, slack.NewTextBlockObject(slack.MarkdownType, truncateMrkdwn(s, maxSectionText), false, true))
	}
	if len(els) == 0 {
		return nil
	}
	return slack.NewContextBlock("", els...)
}

// actionBlocks renders rows of buttons (see render).
func actionBlocks(rows [][]bot.Button) []slack.Block {
	var els []slack.BlockElement
	n := 0
	actionID := func() string {
		n++
		return "moim_" + strconv.Itoa(n)
	}
	for i := 0; i < len(rows); {
		j := i
		if len(rows[i]) == 1 {
			for j < len(rows) && len(rows[j]) == 1 && action(rows[j][0].Data) == action(rows[i][0].Data) {
				j++
			}
		}
		if j-i >= selectRun {
			var opts []*slack.OptionBlockObject
			seen := map[string]bool{}
			for _, r := range rows[i:j] {
				b := r[0]
				if b.Data == "" || utf16Len(b.Data) > maxOptionValue || seen[b.Data] {
					continue
				}
				seen[b.Data] = true
				opts = append(opts, slack.NewOptionBlockObject(b.Data, plain(label(b), maxOptionText), nil))
			}
			for len(opts) > 0 {
				k := min(len(opts), maxSelectOptions)
				els = append(els, slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain(selectPlaceholder, maxHeaderText), actionID(), opts[:k]...))
				opts = opts[k:]
			}
			i = j
			continue
		}
		for _, b := range rows[i] {
			if b.Data == "" || utf16Len(b.Data) > maxButtonValue {
				continue
			}
			els = append(els, slack.NewButtonBlockElement(actionID(), b.Data, plain(label(b), maxButtonText)))
		}
		i++
	}
	var out []slack.Block
	for k := 0; len(els) > 0; k++ {
		c := min(len(els), maxActionElements)
		out = append(out, slack.NewActionBlock("moim_actions_"+strconv.Itoa(k+1), els[:c]...))
		els = els[c:]
	}
	return out
}

// action is the action part of a button's Data: "assign" of
// "assign:12:m3".
func action(data string) string {
	a, _, _ := strings.Cut(data, ":")
	return a
}

// label is a button's text, its Data when it has none.
func label(b bot.Button) string {
	if t := strings.TrimSpace(strings.ToValidUTF8(b.Text, "\uFFFD")); t != "" {
		return t
	}
	return strings.ToValidUTF8(b.Data, "\uFFFD")
}

// plain returns a plain_text object of s cut to limit.
func plain(s string, limit int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, truncateUnits(s, limit), true, false)
}

// utf16Len returns the length of s in UTF-16 code units.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// truncateMrkdwn is truncateUnits for mrkdwn: it never cuts inside an
// escape (&amp;) or a mention (<@U…>).
func truncateMrkdwn(s string, n int) string {
	if utf16Len(s) <= n {
		return s
	}
	out := strings.TrimSuffix(truncateUnits(s, n), "…")
	if i := strings.LastIndexAny(out, "&<"); i >= 0 && !strings.ContainsAny(out[i:], ";>") {
		out = out[:i]
	}
	return out + "…"
}

// truncateUnits cuts s to at most n UTF-16 units at a rune boundary,
// marking a cut with "…".
func truncateUnits(s string, n int) string {
	if utf16Len(s) <= n {
		return s
	}
	units, cut := 0, 0
	for i, r := range s {
		units += utf16.RuneLen(r)
		if units > n-1 {
			break
		}
		cut = i + utf8.RuneLen(r)
	}
	return s[:cut] + "…"
}
