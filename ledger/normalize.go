package ledger

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// maskRune stands for any masked character in a compact text: banks and
// apps hide part of a name with '*', '＊', '○', '●', 'O' between Hangul or
// similar.
const maskRune = '*'

// compactText is a payer text reduced to the characters that can carry a
// name: Hangul syllables, Latin letters (lower case), digits and masks, with
// spaces and punctuation removed. latin keeps the Latin words apart, since
// their order and boundaries matter for romanised names.
type compactText struct {
	// s is the compact form.
	s string
	// runes is how many runes s holds.
	runes int
	// rawRunes counts the runes of the trimmed, NFKC-normalised text,
	// spaces included: what the bank's length limit applied to.
	rawRunes int
	// hangul counts Hangul syllables.
	hangul int
	// latin lists the lower-cased Latin words in order.
	latin []string
	// masked reports a mask character.
	masked bool
	// latinLast reports that the text ends with a Latin letter.
	latinLast bool
	// breaks are the byte offsets in s where a space or punctuation stood
	// in the original text, in order.
	breaks []int
}

// brokenAt reports whether the original text had a space or punctuation
// at byte offset i of s.
func (ct compactText) brokenAt(i int) bool {
	for _, b := range ct.breaks {
		if b == i {
			return true
		}
	}
	return false
}

// latinCut reports whether a romanised name at the end of the text may
// have been cut at the bank's 14-character limit.
func (ct compactText) latinCut() bool {
	return ct.latinLast && ct.rawRunes >= truncLatinRunes
}

// normalizeText applies NFKC (full-width Latin and digits become ASCII,
// half-width and decomposed Hangul compose), folds Latin to lower case and
// drops everything but Hangul syllables, Latin letters, digits and mask
// characters.
func normalizeText(text string) compactText {
	if !norm.NFKC.IsNormalString(text) {
		text = norm.NFKC.String(text)
	}
	text = strings.TrimSpace(text)
	var (
		b      strings.Builder
		out    compactText
		word   strings.Builder
		prev   rune
		inWord bool
	)
	b.Grow(len(text))
	flushWord := func() {
		if inWord {
			out.latin = append(out.latin, word.String())
			word.Reset()
			inWord = false
		}
	}
	runes := []rune(text)
	gap := false
	for i, r := range runes {
		out.rawRunes++
		if gap && (isHangulSyllable(r) || isMask(r) || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			out.breaks = append(out.breaks, b.Len())
			gap = false
		}
		switch {
		case isHangulSyllable(r):
			flushWord()
			b.WriteRune(r)
			out.runes++
			out.hangul++
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'):
			lr := unicode.ToLower(r)
			// An O (either case) between two Hangul syllables is a mask
			// (김O수).
			if (r == 'O' || r == 'o') && isHangulSyllable(prev) && i+1 < len(runes) && isHangulSyllable(runes[i+1]) {
				flushWord()
				b.WriteRune(maskRune)
				out.runes++
				out.masked = true
				break
			}
			b.WriteRune(lr)
			word.WriteRune(lr)
			inWord = true
			out.runes++
		case r >= '0' && r <= '9':
			flushWord()
			b.WriteRune(r)
			out.runes++
		case isMask(r):
			flushWord()
			b.WriteRune(maskRune)
			out.runes++
			out.masked = true
		case unicode.IsLetter(r):
			// Other scripts (Hanja, kana, Cyrillic...) stay, lower-cased,
			// so that they are never mistaken for nothing.
			flushWord()
			b.WriteRune(unicode.ToLower(r))
			out.runes++
		default:
			// Spaces, punctuation, symbols: separators only.
			flushWord()
			gap = b.Len() > 0
		}
		prev = r
	}
	out.latinLast = inWord
	flushWord()
	out.s = b.String()
	return out
}

func isHangulSyllable(r rune) bool { return r >= 0xAC00 && r <= 0xD7A3 }

func isMask(r rune) bool {
	switch r {
	case '*', '○', '●', '◯', '□', '■', '×', '◎':
		return true
	}
	return false
}

// compactKey normalises a member name or alias the same way as payer texts.
func compactKey(s string) string { return normalizeText(s).s }

// Hangul syllable decomposition (Unicode 3.12): syllable = 0xAC00 +
// (initial*21 + medial)*28 + final.
const (
	hangulBase   = 0xAC00
	hangulMedial = 21
	hangulFinal  = 28
)

// jamoDistance counts the jamo (initial, medial, final) that differ between
// two Hangul strings of equal syllable count; -1 when they cannot be
// compared. A typo one key off (김민슈 for 김민수) is distance 1.
func jamoDistance(a, b string) int {
	if utf8.RuneCountInString(a) != utf8.RuneCountInString(b) {
		return -1
	}
	d := 0
	for len(a) > 0 {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		a, b = a[na:], b[nb:]
		if ra == rb {
			continue
		}
		if !isHangulSyllable(ra) || !isHangulSyllable(rb) {
			return -1
		}
		ia, ib := int(ra-hangulBase), int(rb-hangulBase)
		if ia/(hangulMedial*hangulFinal) != ib/(hangulMedial*hangulFinal) {
			d++
		}
		if ia/hangulFinal%hangulMedial != ib/hangulFinal%hangulMedial {
			d++
		}
		if ia%hangulFinal != ib%hangulFinal {
			d++
		}
	}
	return d
}

// maskMatches reports whether a masked text (김*수) fits name: same length,
// equal wherever the text is not masked, at least one unmasked syllable.
func maskMatches(masked, name string) bool {
	if utf8.RuneCountInString(masked) != utf8.RuneCountInString(name) {
		return false
	}
	known := 0
	for len(masked) > 0 {
		rm, nm := utf8.DecodeRuneInString(masked)
		rn, nn := utf8.DecodeRuneInString(name)
		masked, name = masked[nm:], name[nn:]
		if rm == maskRune {
			continue
		}
		if rm != rn {
			return false
		}
		known++
	}
	return known > 0
}
