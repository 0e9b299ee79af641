package bot

import (
	"unicode/utf8"
)

// Split cuts text into parts of at most limit UTF-16 code units each (the
// unit Telegram and Slack count message lengths in; see Limit), so a long
// text can go out as several messages. Nothing is added or dropped:
// strings.Join(parts, "") == text, always.
//
// Each part is as long as it can be and ends, in order of preference:
//
//  1. just after the last "\n" that fits, so the "\n" ends the part (chat
//     platforms ignore it);
//  2. when no "\n" fits (a line longer than limit), just after the last space
//     in the second half of what fits, the space ending the part;
//  3. otherwise at the last rune boundary that fits.
//
// A cut is never inside a UTF-8 sequence or between the two halves of a
// surrogate pair (a rune above U+FFFF counts 2 units); a byte that is not
// valid UTF-8 counts as one unit, as the U+FFFD it becomes. A cut that would
// leave a part of only white space (blank lines at the start of a part) is
// made further on instead, so a part is white space only when the text holds
// more than limit units of white space in a row. No part is empty: the empty
// text gives no parts (nil). A limit below 2 is taken as 2, the least that
// holds every rune; a text of at most limit units is one part.
func Split(text string, limit int) []string {
	limit = max(limit, 2)
	if text == "" {
		return nil
	}
	if utf16Len(text) <= limit {
		return []string{text}
	}
	var parts []string
	for rest := text; rest != ""; {
		cut := cutPoint(rest, limit)
		parts = append(parts, rest[:cut])
		rest = rest[cut:]
	}
	return parts
}

// cutPoint returns the length in bytes of the next part of rest (see Split).
func cutPoint(rest string, limit int) int {
	units, w := 0, 0
	lastNL, lastSpace := -1, -1 // byte index just after the last "\n" / " " that fits
	solid := -1                 // byte index just after the first non-space rune
	for w < len(rest) {
		r, size := utf8.DecodeRuneInString(rest[w:])
		u := 1
		if r > 0xFFFF {
			u = 2
		}
		if units+u > limit {
			break
		}
		units += u
		w += size
		switch r {
		case '\n':
			lastNL = w
		case ' ':
			lastSpace = w
		case '\t', '\r':
		default:
			if solid < 0 {
				solid = w
			}
		}
	}
	switch {
	case w == len(rest):
		return w // the rest fits
	case solid < 0:
		return w // nothing but white space fits: no better cut
	case lastNL >= solid:
		return lastNL
	case rest[w] == '\n':
		return w // the line fits exactly; its "\n" starts the next part
	case lastSpace >= solid && lastSpace >= w/2:
		return lastSpace
	}
	return w
}

// utf16Len returns the length of s in UTF-16 code units, counting each byte
// that is not valid UTF-8 as one unit.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}
