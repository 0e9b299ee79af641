package ledger

import (
	"slices"
	"strings"
)

// Bank length limits: a payer text this long may have been cut mid-name.
const (
	truncHangulRunes = 7  // 7 Hangul (14 bytes in EUC-KR)
	truncLatinRunes  = 14 // 14 Latin characters
)

// keyRef is one member known by a key (a compact name or alias).
type keyRef struct {
	member  int // index into Group.Members
	alias   bool
	learned bool
	// cut marks a member reached through a cut-off text: the key is only
	// the start of this member's name or alias.
	cut     bool
	display string // the name or alias as written
}

// latinKey is a member's romanised name as words.
type latinKey struct {
	ref   keyRef
	words []string
	// orders holds the words in every order (KIM MINSU, MINSU KIM), and
	// joined each order concatenated (KIMMINSU).
	orders [][]string
	joined []string
}

// Matcher matches deposits of one group. Build it with NewMatcher after the
// group changes; it is safe for concurrent use.
type Matcher struct {
	g      *Group
	keys   map[string][]keyRef // compact Hangul key → members
	maxKey int                 // longest key in runes
	latin  []latinKey
	roman  []romanKey
	words  *wordList
	ignore []string // compact ignore texts
}

// NewMatcher indexes g's names and aliases. It copies what it needs: later
// changes to g need a new Matcher.
func NewMatcher(g *Group) *Matcher {
	g = g.Clone()
	m := &Matcher{
		g:     g,
		keys:  make(map[string][]keyRef),
		words: newWordList(groupWords(g.Name)),
	}
	for i, mem := range g.Members {
		m.addKey(mem.Name, keyRef{member: i, display: mem.Name})
		if rk, ok := newRomanKey(i, compactKey(mem.Name)); ok {
			m.roman = append(m.roman, rk)
		}
		for _, a := range mem.Aliases {
			m.addKey(a.Text, keyRef{member: i, alias: true, learned: a.Learned, display: a.Text})
		}
	}
	for _, t := range g.Ignore {
		if c := compactKey(t); c != "" {
			m.ignore = append(m.ignore, c)
		}
	}
	return m
}

func (m *Matcher) addKey(text string, ref keyRef) {
	ct := normalizeText(text)
	if ct.s == "" || ct.masked {
		return
	}
	if ct.hangul == 0 && len(ct.latin) > 0 {
		words := slices.Clone(ct.latin)
		lk := latinKey{ref: ref, words: words}
		permute(words, func(p []string) {
			lk.orders = append(lk.orders, slices.Clone(p))
			lk.joined = append(lk.joined, strings.Join(p, ""))
		})
		m.latin = append(m.latin, lk)
		return
	}
	for _, r := range m.keys[ct.s] {
		if r.member == ref.member {
			return // the same member twice under one key
		}
	}
	m.keys[ct.s] = append(m.keys[ct.s], ref)
	if ct.runes > m.maxKey {
		m.maxKey = ct.runes
	}
}

// permute calls f with every order of words (up to 4 words; longer names
// only in the given order).
func permute(words []string, f func([]string)) {
	if len(words) > 4 {
		f(words)
		return
	}
	var rec func(k int)
	rec = func(k int) {
		if k == len(words) {
			f(words)
			return
		}
		for i := k; i < len(words); i++ {
			words[k], words[i] = words[i], words[k]
			rec(k + 1)
			words[k], words[i] = words[i], words[k]
		}
	}
	words = slices.Clone(words) // rec swaps in place
	rec(0)
}

// hit is a key found in a compact text.
type hit struct {
	start, end int // byte offsets in the compact text
	key        string
	refs       []keyRef
}
