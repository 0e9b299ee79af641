package telegramtest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// HTMLError is a markup error found by ParseHTML. Its Error text is what
// Telegram puts after "Bad Request: can't parse entities: ".
type HTMLError struct {
	Msg string
}

// Error returns the message, e.g. `Unsupported start tag "p" at byte
// offset 0`.
func (e *HTMLError) Error() string { return e.Msg }

func htmlErrorf(format string, args ...any) error {
	return &HTMLError{Msg: fmt.Sprintf(format, args...)}
}

// htmlTags are the tags Telegram's HTML parse mode accepts.
var htmlTags = map[string]bool{
	"a": true, "b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true,
	"s": true, "strike": true, "del": true, "span": true, "tg-spoiler": true, "tg-emoji": true,
	"code": true, "pre": true, "blockquote": true,
}

type openTag struct {
	name   string
	arg    string // href, language, spoiler class, emoji id, "expandable"
	offset int    // UTF-16 offset in the output where the tag's content starts
}

// ParseHTML parses text in Telegram's HTML parse mode the way the Bot API
// does (its tdlib parser): it returns the text users see and its entities
// (UTF-16 offsets, sorted by offset), or an *HTMLError. Tags: b, strong, i,
// em, u, ins, s, strike, del, span class="tg-spoiler", tg-spoiler, a href,
// code (class="language-…" inside pre), pre, blockquote [expandable],
// tg-emoji emoji-id; tag and attribute names are case-insensitive, unknown
// attributes are ignored. Character references: &lt; &gt; &amp; &quot; and
// numeric ones (&#39; &#x27;). Leading and trailing white space is removed.
//
// One deliberate difference: Telegram keeps a "&" that does not start a
// character reference as a literal "&"; ParseHTML rejects it, so a test
// catches text that was not escaped (html.EscapeString). Inside attribute
// values a stray "&" is kept, as Telegram does. A literal ">" is accepted,
// as Telegram does.
func ParseHTML(text string) (string, []MessageEntity, error) {
	src := strings.TrimSpace(text)
	var out strings.Builder
	u16 := 0
	var stack []openTag
	var ents []MessageEntity
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '&':
			r, n, ok := decodeCharRef(src[i:])
			if !ok {
				return "", nil, htmlErrorf("Unescaped \"&\" at byte offset %d (Telegram would keep it; telegramtest wants &amp;)", i)
			}
			out.WriteRune(r)
			u16 += utf16Len(r)
			i += n
		case c != '<':
			r, n := utf8.DecodeRuneInString(src[i:])
			out.WriteString(src[i : i+n])
			u16 += utf16Len(r)
			i += n
		case i+1 < len(src) && src[i+1] == '/':
			start := i
			if len(stack) == 0 {
				return "", nil, htmlErrorf("Unexpected end tag at byte offset %d", start)
			}
			j := i + 2
			for j < len(src) && !isHTMLSpace(src[j]) && src[j] != '>' {
				j++
			}
			name := strings.ToLower(src[i+2 : j])
			for j < len(src) && isHTMLSpace(src[j]) {
				j++
			}
			if j >= len(src) || src[j] != '>' {
				return "", nil, htmlErrorf("Unclosed end tag at byte offset %d", start)
			}
			top := stack[len(stack)-1]
			if name != "" && name != top.name {
				return "", nil, htmlErrorf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", start, top.name, name)
			}
			var err error
			if ents, err = closeTag(ents, top, u16); err != nil {
				return "", nil, err
			}
			stack = stack[:len(stack)-1]
			i = j + 1
		default:
			tag, next, err := parseStartTag(src, i)
			if err != nil {
				return "", nil, err
			}
			tag.offset = u16
			stack = append(stack, tag)
			i = next
		}
	}
	if len(stack) > 0 {
		return "", nil, htmlErrorf("Can't find end tag corresponding to start tag \"%s\"", stack[len(stack)-1].name)
	}
	plain, ents := trimEntities(out.String(), ents)
	sort.SliceStable(ents, func(a, b int) bool {
		if ents[a].Offset != ents[b].Offset {
			return ents[a].Offset < ents[b].Offset
		}
		return ents[a].Length > ents[b].Length
	})
	return plain, ents, nil
}

// parseStartTag parses the start tag at src[start] == '<' and returns it
// with the index after its '>'.
func parseStartTag(src string, start int) (openTag, int, error) {
	j := start + 1
	for j < len(src) && !isHTMLSpace(src[j]) && src[j] != '>' {
		j++
	}
	if j >= len(src) {
		return openTag{}, 0, htmlErrorf("Unclosed start tag at byte offset %d", start)
	}
	tag := openTag{name: strings.ToLower(src[start+1 : j])}
	if !htmlTags[tag.name] {
		return openTag{}, 0, htmlErrorf("Unsupported start tag \"%s\" at byte offset %d", tag.name, start)
	}
	unclosed := func() error {
		return htmlErrorf("Unclosed start tag \"%s\" at byte offset %d", tag.name, start)
	}
	for {
		for j < len(src) && isHTMLSpace(src[j]) {
			j++
		}
		if j >= len(src) {
			return openTag{}, 0, unclosed()
		}
		if src[j] == '>' {
			break
		}
		attrStart := j
		for j < len(src) && !isHTMLSpace(src[j]) && !strings.ContainsRune("=>/\"'", rune(src[j])) {
			j++
		}
		attr := strings.ToLower(src[attrStart:j])
		if attr == "" {
			return openTag{}, 0, htmlErrorf("Empty attribute name in the tag \"%s\" at byte offset %d", tag.name, start)
		}
		for j < len(src) && isHTMLSpace(src[j]) {
			j++
		}
		if j >= len(src) {
			return openTag{}, 0, unclosed()
		}
		if src[j] != '=' {
			if tag.name == "blockquote" && attr == "expandable" {
				tag.arg = "expandable"
			}
			continue
		}
		j++
		for j < len(src) && isHTMLSpace(src[j]) {
			j++
		}
		if j >= len(src) {
			return openTag{}, 0, unclosed()
		}
		var value string
		if q := src[j]; q == '"' || q == '\'' {
			j++
			var b strings.Builder
			for j < len(src) && src[j] != q {
				if src[j] == '&' {
					if r, n, ok := decodeCharRef(src[j:]); ok {
						b.WriteRune(r)
						j += n
						continue
					}
				}
				b.WriteByte(src[j])
				j++
			}
			if j >= len(src) {
				return openTag{}, 0, unclosed()
			}
			j++
			value = b.String()
		} else {
			vs := j
			for j < len(src) && isNameTokenChar(src[j]) {
				j++
			}
			if j >= len(src) {
				return openTag{}, 0, unclosed()
			}
			if !isHTMLSpace(src[j]) && src[j] != '>' {
				return openTag{}, 0, htmlErrorf("Unexpected end of name token at byte offset %d", j)
			}
			value = strings.ToLower(src[vs:j])
		}
		switch {
		case tag.name == "a" && attr == "href":
			tag.arg = value
		case tag.name == "code" && attr == "class" && strings.HasPrefix(value, "language-"):
			tag.arg = strings.TrimPrefix(value, "language-")
		case tag.name == "span" && attr == "class" && value == "tg-spoiler":
			tag.arg = "spoiler"
		case tag.name == "tg-emoji" && attr == "emoji-id":
			tag.arg = value
		case tag.name == "blockquote" && attr == "expandable":
			tag.arg = "expandable"
		}
	}
	if tag.name == "span" && tag.arg != "spoiler" {
		return openTag{}, 0, htmlErrorf("Tag \"span\" must have class \"tg-spoiler\" at byte offset %d", start)
	}
	return tag, j + 1, nil
}

// closeTag appends the entity of a closed tag whose content ends at UTF-16
// offset end. Empty elements make no entity.
func closeTag(ents []MessageEntity, t openTag, end int) ([]MessageEntity, error) {
	length := end - t.offset
	if length <= 0 {
		return ents, nil
	}
	e := MessageEntity{Offset: t.offset, Length: length}
	switch t.name {
	case "b", "strong":
		e.Type = "bold"
	case "i", "em":
		e.Type = "italic"
	case "u", "ins":
		e.Type = "underline"
	case "s", "strike", "del":
		e.Type = "strikethrough"
	case "span", "tg-spoiler":
		e.Type = "spoiler"
	case "tg-emoji":
		if _, err := strconv.ParseInt(t.arg, 10, 64); err != nil {
			return nil, htmlErrorf("Invalid custom emoji identifier specified")
		}
		e.Type, e.CustomEmojiID = "custom_emoji", t.arg
	case "a":
		if t.arg == "" {
			return ents, nil // tdlib drops a link without a usable URL
		}
		e.Type, e.URL = "text_link", t.arg
	case "code":
		// The language stays until a surrounding pre claims it;
		// trimEntities drops it from a plain code entity.
		e.Type, e.Language = "code", t.arg
	case "pre":
		// <pre><code class="language-x">…</code></pre> is one pre entity
		// with a language.
		if n := len(ents); n > 0 && ents[n-1].Type == "code" && ents[n-1].Offset == e.Offset && ents[n-1].Length == e.Length {
			ents[n-1].Type = "pre"
			return ents, nil
		}
		e.Type = "pre"
	case "blockquote":
		e.Type = "blockquote"
		if t.arg == "expandable" {
			e.Type = "expandable_blockquote"
		}
	}
	return append(ents, e), nil
}

// trimEntities removes leading and trailing white space from text, moving
// and clipping the entities, and drops the language of code entities that
// did not become pre.
func trimEntities(text string, ents []MessageEntity) (string, []MessageEntity) {
	trimmed := strings.TrimRightFunc(text, unicode.IsSpace)
	end := utf16Count(trimmed)
	trimmed2 := strings.TrimLeftFunc(trimmed, unicode.IsSpace)
	shift := end - utf16Count(trimmed2)
	out := ents[:0]
	for _, e := range ents {
		if e.Type == "code" {
			e.Language = ""
		}
		from, to := e.Offset, e.Offset+e.Length
		from = max(from, shift)
		to = min(to, end)
		if to <= from {
			continue
		}
		e.Offset, e.Length = from-shift, to-from
		out = append(out, e)
	}
	return trimmed2, out
}

// decodeCharRef decodes the character reference at the start of s
// ("&lt;", "&#60;", "&#x3C;") and returns the rune and its length in bytes.
func decodeCharRef(s string) (rune, int, bool) {
	semi := strings.IndexByte(s, ';')
	if semi < 2 || semi > 12 {
		return 0, 0, false
	}
	name := s[1:semi]
	switch name {
	case "lt":
		return '<', semi + 1, true
	case "gt":
		return '>', semi + 1, true
	case "amp":
		return '&', semi + 1, true
	case "quot":
		return '"', semi + 1, true
	}
	if name[0] != '#' || len(name) < 2 {
		return 0, 0, false
	}
	digits, base := name[1:], 10
	if digits[0] == 'x' || digits[0] == 'X' {
		digits, base = digits[1:], 16
	}
	if digits == "" || strings.ContainsAny(digits, "+-") {
		return 0, 0, false
	}
	n, err := strconv.ParseUint(digits, base, 32)
	if err != nil || n == 0 || n > unicode.MaxRune || (n >= 0xD800 && n <= 0xDFFF) {
		return 0, 0, false
	}
	return rune(n), semi + 1, true
}

func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isNameTokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-'
}

func utf16Len(r rune) int {
	if n := utf16.RuneLen(r); n > 0 {
		return n
	}
	return 1 // an invalid rune is one replacement character
}

// utf16Count returns the length of s in UTF-16 code units, the unit of
// Telegram's length limits and entity offsets.
func utf16Count(s string) int {
	n := 0
	for _, r := range s {
		n += utf16Len(r)
	}
	return n
}
