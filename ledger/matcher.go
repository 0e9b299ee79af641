package ledger

import (
	"slices"
	"strings"
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
	roman  []romanKey
	// romanOf maps a member to their romanKey in roman, or -1 when their
	// name is not a Korean name.
	romanOf []int
	// household lists, for each member, the other members whose alias
	// holds their name (김정희 registered as 박종민처 for 박종민).
	household [][]int
	words     *wordList
	// own are the group's own words (ownWords), also in words.
	own    map[string]wordKind
	ignore []string // compact ignore texts
}

// NewMatcher indexes g's names and aliases. It copies what it needs: later
// changes to g need a new Matcher.
func NewMatcher(g *Group) *Matcher {
	g = g.Clone()
	m := &Matcher{
		g:       g,
		keys:    make(map[string][]keyRef),
		romanOf: make([]int, len(g.Members)),
	}
	for i, mem := range g.Members {
		m.addKey(mem.Name, keyRef{member: i, display: mem.Name})
		m.romanOf[i] = -1
		if rk, ok := newRomanKey(i, compactKey(mem.Name)); ok {
			m.romanOf[i] = len(m.roman)
			m.roman = append(m.roman, rk)
		}
		for _, a := range mem.Aliases {
			m.addKey(a.Text, keyRef{member: i, alias: true, learned: a.Learned, display: a.Text})
		}
	}
	m.own = m.ownWords(g)
	m.words = newWordList(m.own)
	m.household = households(g)
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
	for base, forms := range groupWordForms(g.Name) {
		if utf8.RuneCountInString(base) >= 2 && m.edgeOfKey(base) {
			continue
		}
		for _, w := range forms {
			if !m.edgeOfKey(w) {
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

// edgeOfKey reports whether w is a member's name or alias, or the start or
// end of one.
func (m *Matcher) edgeOfKey(w string) bool {
	for k := range m.keys {
		if strings.HasPrefix(k, w) || strings.HasSuffix(k, w) {
			return true
		}
	}
	return false
}

// households finds, for each member, the other members registered under an
// alias that holds the member's whole name: 김정희 as 박종민처 (박종민's
// wife), or a parent as 김민수엄마. Members who share a name (two 박영수 told
// apart as 대구박영수 and 서울박영수) are not a household.
func households(g *Group) [][]int {
	out := make([][]int, len(g.Members))
	for x := range g.Members {
		name := compactKey(g.Members[x].Name)
		if utf8.RuneCountInString(name) < 2 {
			continue
		}
		for y := range g.Members {
			if y == x || compactKey(g.Members[y].Name) == name {
				continue
			}
			for _, a := range g.Members[y].Aliases {
				if strings.Contains(compactKey(a.Text), name) && !holdsLongerName(g, compactKey(a.Text), name) {
					out[x] = append(out[x], y)
					break
				}
			}
		}
	}
	return out
}

// holdsLongerName reports whether text holds a member's name that is
// longer than name and contains it (이민수엄마 holds 이민수, not 이민).
func holdsLongerName(g *Group, text, name string) bool {
	for _, mem := range g.Members {
		if k := compactKey(mem.Name); len(k) > len(name) && strings.Contains(k, name) && strings.Contains(text, k) {
			return true
		}
	}
	return false
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
