package ledger

import (
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
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
	// roman is the romanisations of the members' names, built on first
	// use (romans): most payer texts are Hangul.
	romanOnce sync.Once
	roman     romanIndex
	// household lists, for each member, the other members whose alias
	// holds their name (김정희 registered as 박종민처 for 박종민).
	household [][]int
	words     *wordList
	// own are the group's own words (ownWords), also in words.
	own    map[string]wordKind
	ignore []string // compact ignore texts
}

// romanIndex is the romanisations of a group's Korean names.
type romanIndex struct {
	keys []romanKey
	// of maps a member to their romanKey in keys, or -1 when their name is
	// not a Korean name.
	of []int
}

// romans returns the romanisations of the members' names, built on first
// use.
func (m *Matcher) romans() *romanIndex {
	m.romanOnce.Do(func() {
		m.roman.of = make([]int, len(m.g.Members))
		for i, mem := range m.g.Members {
			m.roman.of[i] = -1
			if rk, ok := newRomanKey(i, compactKey(mem.Name)); ok {
				m.roman.of[i] = len(m.roman.keys)
				m.roman.keys = append(m.roman.keys, rk)
			}
		}
	})
	return &m.roman
}

// NewMatcher indexes g's names and aliases. It copies what it needs: later
// changes to g need a new Matcher.
func NewMatcher(g *Group) *Matcher { return SharedMatcher(g.Clone()) }

// SharedMatcher is NewMatcher without the copy: the matcher keeps g, which
// must not change while the matcher is in use. It is for a caller that
// keeps g unchanged anyway, such as a cache of decoded groups.
func SharedMatcher(g *Group) *Matcher {
	m := &Matcher{
		g:    g,
		keys: make(map[string][]keyRef),
	}
	// Every name and alias in compact form, normalised once.
	names := make([]string, len(g.Members))
	aliases := make([][]string, len(g.Members))
	for i, mem := range g.Members {
		name := normalizeText(mem.Name)
		names[i] = name.s
		m.addKey(name, keyRef{member: i, display: mem.Name})
		for _, a := range mem.Aliases {
			alias := normalizeText(a.Text)
			aliases[i] = append(aliases[i], alias.s)
			m.addKey(alias, keyRef{member: i, alias: true, learned: a.Learned, display: a.Text})
		}
	}
	m.own = m.ownWords(g)
	m.words = newWordList(m.own)
	m.household = households(names, aliases)
	for _, t := range g.Ignore {
		if c := compactKey(t); c != "" {
			m.ignore = append(m.ignore, c)
		}
	}
	return m
}

// ownWords returns the group's own dues words: those derived from its name
// (groupWords), less any that would swallow a member's name, being a name
// or alias or its start or end (성가 of member 성가은 in "시온성가대", 소망
// of 김소망 in "소망교회": neither they nor 성가회비 or 소망회비 are dues
// words, so that 소망회비 still shows 김소망 as a candidate); and the
// treasurer's words (Group.Words), less any that are a name or alias. A
// name always wins over a group word.
func (m *Matcher) ownWords(g *Group) map[string]wordKind {
	out := make(map[string]wordKind)
	keys := make([]string, 0, len(m.keys))
	for k := range m.keys {
		keys = append(keys, k)
	}
	for base, forms := range groupWordForms(g.Name) {
		if utf8.RuneCountInString(base) >= 2 && edgeOfKey(keys, base) {
			continue
		}
		for _, w := range forms {
			if !edgeOfKey(keys, w) {
				out[w] = kindDues
			}
		}
	}
	for w, k := range treasurerWords(g.Words) {
		if _, ok := m.keys[w]; !ok {
			out[w] = k
		}
	}
	return out
}

// edgeOfKey reports whether w is one of keys (the members' names and
// aliases), or the start or end of one.
func edgeOfKey(keys []string, w string) bool {
	for _, k := range keys {
		if strings.HasPrefix(k, w) || strings.HasSuffix(k, w) {
			return true
		}
	}
	return false
}

// households finds, for each member, the other members registered under an
// alias that holds the member's whole name: 김정희 as 박종민처 (박종민's
// wife), or a parent as 김민수엄마. Members who share a name (two 박영수 told
// apart as 대구박영수 and 서울박영수) are not a household. names and aliases
// are the members' names and aliases in compact form.
func households(names []string, aliases [][]string) [][]int {
	out := make([][]int, len(names))
	for x, name := range names {
		if utf8.RuneCountInString(name) < 2 {
			continue
		}
		for y := range names {
			if y == x || names[y] == name {
				continue
			}
			for _, a := range aliases[y] {
				if strings.Contains(a, name) && !holdsLongerName(names, a, name) {
					out[x] = append(out[x], y)
					break
				}
			}
		}
	}
	return out
}

// holdsLongerName reports whether text holds a member's name (names are the
// members' names in compact form) that is longer than name and contains it
// (이민수엄마 holds 이민수, not 이민).
func holdsLongerName(names []string, text, name string) bool {
	for _, k := range names {
		if len(k) > len(name) && strings.Contains(k, name) && strings.Contains(text, k) {
			return true
		}
	}
	return false
}

// addKey indexes ct, a name or alias in normalised form.
func (m *Matcher) addKey(ct compactText, ref keyRef) {
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
