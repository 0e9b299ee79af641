package ledger

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// ErrMaskedText is returned when the treasurer's decision cannot be learned
// because the payer text is masked (김*수 fits other names too).
var ErrMaskedText = errors.New("masked payer text cannot be learned")

// LearnableAlias returns the alias that text would teach: the payer text
// without dues words, months, bank prefixes and honorifics (11월회비김민 →
// 김민; 점심값김민수 stays whole; 김민수엄마 keeps 엄마). Romanised texts keep
// their words (SMITH JOHNATHA).
func (m *Matcher) LearnableAlias(text string) (string, error) {
	ct := normalizeText(text)
	if ct.masked {
		return "", fmt.Errorf("ledger: learn %q: %w", text, ErrMaskedText)
	}
	if ct.hangul == 0 && len(ct.latin) > 0 {
		var words []string
		for _, w := range ct.latin {
			if !latinNoise[w] {
				words = append(words, strings.ToUpper(w))
			}
		}
		if len(words) > 0 {
			return strings.Join(words, " "), nil
		}
	}
	_, core := m.words.trimUntil(ct.s, kindFamily)
	if core == "" {
		return "", fmt.Errorf("ledger: learn %q: %w", text, ErrNothingToLearn)
	}
	return core, nil
}

// Learn records the treasurer's decision that a deposit with payer text
// belongs to member id: the text's alias (see LearnableAlias) becomes a
// learned alias of the member, so the same text matches by itself next
// time. It returns the alias and whether it was new. It refuses, with
// ErrAliasConflict, an alias that is another member's name or alias, part
// of one (민지 of 박민지), or that contains one (김민수이지은): learning it
// would take that member's deposits. Known words alone (엄마) teach
// nothing (ErrNothingToLearn).
func (g *Group) Learn(id, text string) (Alias, bool, error) {
	mem, ok := g.Member(id)
	if !ok {
		return Alias{}, false, fmt.Errorf("ledger: learn %q: %w %q", text, ErrUnknownMember, id)
	}
	m := NewMatcher(g)
	core, err := m.LearnableAlias(text)
	if err != nil {
		return Alias{}, false, err
	}
	// Known words alone (엄마, 우리) would match far more than this payer.
	if _, rest := m.words.trim(compactKey(core)); rest == "" {
		return Alias{}, false, fmt.Errorf("ledger: learn %q: %w", text, ErrNothingToLearn)
	}
	key := compactKey(core)
	words := normalizeText(core).latin
	for i := range g.Members {
		other := &g.Members[i]
		names := []string{other.Name}
		for _, a := range other.Aliases {
			names = append(names, a.Text)
		}
		for _, n := range names {
			nk := compactKey(n)
			if nk == key || latinEqual(n, core) {
				if other.ID == id {
					return Alias{Text: n}, false, nil
				}
				return Alias{}, false, fmt.Errorf("ledger: learn %q for %q: %w %q", core, id, ErrAliasConflict, other.ID)
			}
			if other.ID == id {
				continue
			}
			// Part of another member's name (민지 of 박민지, DANIEL of
			// DANIEL KIM), or another member's name inside the text
			// (김민수이지은): learning it would take their deposits.
			if strings.Contains(nk, key) || utf8.RuneCountInString(nk) >= 2 && strings.Contains(key, nk) || sharesLatinWord(words, normalizeText(n).latin) {
				return Alias{}, false, fmt.Errorf("ledger: learn %q for %q: %w %q", core, id, ErrAliasConflict, other.ID)
			}
		}
	}
	a := Alias{Text: core, Learned: true}
	mem.Aliases = append(mem.Aliases, a)
	return a, true, nil
}

// sharesLatinWord reports whether a one-word romanised alias is one of a
// romanised name's words.
func sharesLatinWord(alias, name []string) bool {
	return len(alias) == 1 && slices.Contains(name, alias[0])
}

// latinEqual reports whether two romanised names have the same words in
// any order.
func latinEqual(a, b string) bool {
	wa, wb := normalizeText(a).latin, normalizeText(b).latin
	if len(wa) == 0 || len(wa) != len(wb) {
		return false
	}
	count := map[string]int{}
	for _, w := range wa {
		count[w]++
	}
	for _, w := range wb {
		count[w]--
		if count[w] < 0 {
			return false
		}
	}
	return true
}

// Forget removes the learned alias text from member id, undoing Learn: when
// the treasurer takes back an assignment, the alias it taught must not keep
// matching that text to the wrong member. Aliases the treasurer registered
// by hand are never removed. It reports whether an alias was removed.
func (g *Group) Forget(id, text string) bool {
	mem, ok := g.Member(id)
	if !ok {
		return false
	}
	for i, a := range mem.Aliases {
		if a.Learned && a.Text == text {
			mem.Aliases = append(mem.Aliases[:i:i], mem.Aliases[i+1:]...)
			return true
		}
	}
	return false
}
