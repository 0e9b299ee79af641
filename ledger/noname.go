package ledger

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// findHits returns the members' keys found in s: longest first, then
// leftmost, never overlapping, in text order.
func (m *Matcher) findHits(s string) []hit {
	if m.maxKey == 0 || s == "" {
		return nil
	}
	var offBuf [64]int
	offs := offBuf[:0]
	for i := range s {
		offs = append(offs, i)
	}
	offs = append(offs, len(s))
	nr := len(offs) - 1
	var all []hit
	for i := 0; i < nr; i++ {
		for l := min(m.maxKey, nr-i); l >= 1; l-- {
			key := s[offs[i]:offs[i+l]]
			refs, ok := m.keys[key]
			if !ok {
				continue
			}
			// A one-syllable key counts only as the whole text.
			if l == 1 && nr != 1 {
				continue
			}
			// A key must not begin or end inside a number or a Latin word
			// (301호 is not inside 1301호), nor sit inside a longer known
			// word (페이 inside 카카오페이).
			if gluedRun(s, offs[i], offs[i+l]) || m.insideWord(s, offs, i, i+l) {
				continue
			}
			all = append(all, hit{start: offs[i], end: offs[i+l], key: key, refs: refs})
			break // the longest key at i is enough
		}
	}
	if len(all) <= 1 {
		return all
	}
	sort.SliceStable(all, func(a, b int) bool {
		return all[a].end-all[a].start > all[b].end-all[b].start
	})
	chosen := all[:0:0]
	for _, h := range all {
		free := true
		for _, c := range chosen {
			if h.start < c.end && c.start < h.end {
				free = false
				break
			}
		}
		if free {
			chosen = append(chosen, h)
		}
	}
	// Overlapping keys of the same member are one name: 이준서아빠 holds
	// the name 이준서 and the alias 준서아빠.
	for _, h := range all {
		if len(h.refs) != 1 {
			continue
		}
		for i := range chosen {
			c := &chosen[i]
			if len(c.refs) != 1 || c.refs[0].member != h.refs[0].member || h.start >= c.end || c.start >= h.end {
				continue
			}
			start, end := min(c.start, h.start), max(c.end, h.end)
			free := true
			for j, o := range chosen {
				if j != i && start < o.end && o.start < end {
					free = false
				}
			}
			if free {
				c.start, c.end, c.key = start, end, s[start:end]
			}
		}
	}
	sort.Slice(chosen, func(a, b int) bool { return chosen[a].start < chosen[b].start })
	return chosen
}

// insideWord reports whether runes [from, to) of s lie inside a longer
// known word; offs are the rune offsets of s.
func (m *Matcher) insideWord(s string, offs []int, from, to int) bool {
	for p := max(0, from-m.words.maxLen+1); p <= from; p++ {
		if n, _ := m.words.longestAt(s[offs[p]:]); n > 0 && offs[p]+n >= offs[to] && n > offs[to]-offs[from] {
			return true
		}
	}
	return false
}

// gluedRun reports whether s[start:end] starts or ends in the middle of a
// run of digits or Latin letters.
func gluedRun(s string, start, end int) bool {
	class := func(r rune) int {
		switch {
		case r >= '0' && r <= '9':
			return 1
		case r >= 'a' && r <= 'z':
			return 2
		}
		return 0
	}
	if start > 0 {
		before, _ := utf8.DecodeLastRuneInString(s[:start])
		first, _ := utf8.DecodeRuneInString(s[start:])
		if c := class(first); c != 0 && c == class(before) {
			return true
		}
	}
	if end < len(s) {
		last, _ := utf8.DecodeLastRuneInString(s[:end])
		after, _ := utf8.DecodeRuneInString(s[end:])
		if c := class(last); c != 0 && c == class(after) {
			return true
		}
	}
	return false
}

// noName handles a text in which no member's name or alias appears whole.
func (m *Matcher) noName(a analysis, d Deposit) Match {
	reason := Reason{Removed: a.removed, Extra: strings.Join(a.family, "")}
	core := strings.Join(a.extras, "")
	review := func(code ReasonCode, text string, conf int, cs []Candidate) Match {
		reason.Code, reason.Text = code, text
		return Match{Outcome: OutcomeReview, Candidates: cs, Confidence: conf, Reason: reason}
	}
	ignored := func(code ReasonCode, text string) Match {
		reason.Code, reason.Text = code, text
		return Match{Outcome: OutcomeIgnored, Confidence: confIgnored, Reason: reason}
	}
	// The group's own ignore texts, when nothing but known words and
	// numbers stands beside them: a member's money is never ignored, so
	// 이자엉 (a typo of 이자영) is a review even where 이자 is ignored.
	for _, ig := range m.ignore {
		if i := strings.Index(a.ct.s, ig); i >= 0 {
			if _, rest := m.words.trim(a.ct.s[:i] + a.ct.s[i+len(ig):]); rest == "" {
				return ignored(ReasonIgnoreText, ig)
			}
		}
	}
	// Interest and refunds, likewise only on their own.
	if a.doubtKind != 0 && core == "" {
		doubt := strings.Join(a.doubt, "")
		switch a.doubtKind {
		case kindInterest:
			return ignored(ReasonInterest, doubt)
		case kindRefund:
			return ignored(ReasonRefund, doubt)
		default:
			return review(ReasonPayService, doubt, confNoName, m.byAmountOnly(d))
		}
	}
	if core == "" {
		return review(ReasonNoName, "", confNoName, nil)
	}
	if a.ct.masked {
		return m.maskedReview(a, d)
	}
	// One jamo off a name or alias: a typo, or someone else.
	var typo candidates
	for k, refs := range m.keys {
		if jamoDistance(core, k) == 1 {
			for _, r := range refs {
				typo.add(r.member, 55+m.amountBonus(r.member, d))
			}
		}
	}
	if len(typo) > 0 {
		return review(ReasonTypo, core, confTypo, typo.list(m.g))
	}
	// Part of a name: a given name alone (민수), or its start (김민) in a
	// text too short to have been cut.
	if utf8.RuneCountInString(core) >= 2 {
		var part candidates
		for k, refs := range m.keys {
			if len(k) > len(core) && strings.Contains(k, core) {
				for _, r := range refs {
					part.add(r.member, 55+m.amountBonus(r.member, d))
				}
			}
		}
		if len(part) > 0 {
			return review(ReasonPartialName, core, confPartial, part.list(m.g))
		}
	}
	return review(ReasonUnknownName, core, confNoName, nil)
}

// maskedReview is the verdict on a masked text (김*수, *민수): always a
// review, with the members whose names fit the mask.
func (m *Matcher) maskedReview(a analysis, d Deposit) Match {
	_, core := m.words.trim(a.ct.s)
	var cs candidates
	for k, refs := range m.keys {
		if maskMatches(core, k) {
			for _, r := range refs {
				cs.add(r.member, 50+m.amountBonus(r.member, d))
			}
		}
	}
	return Match{
		Outcome:    OutcomeReview,
		Candidates: cs.list(m.g),
		Confidence: confMasked,
		Reason:     Reason{Code: ReasonMasked, Text: core, Removed: a.removed},
	}
}

// byAmountOnly lists the members whose dues equal amount, when there are
// few enough for the list to help (at most 3).
func (m *Matcher) byAmountOnly(d Deposit) []Candidate {
	var cs candidates
	for i := range m.g.Members {
		if m.rate(i, d) == d.Amount {
			cs.add(i, 30)
		}
	}
	if len(cs) > 3 {
		return nil
	}
	return cs.list(m.g)
}

// latinNoise are Latin words that carry no name: bank codes and dues words.
var latinNoise = map[string]bool{
	"kb": true, "nh": true, "ibk": true, "sc": true, "sh": true, "atm": true, "cd": true,
	"dues": true, "fee": true, "fees": true, "membership": true, "mr": true, "ms": true, "mrs": true,
}

// matchLatin matches romanised names: the words in any order, the last one
// possibly cut at the bank's 14-character limit.
func (m *Matcher) matchLatin(a analysis, d Deposit) (Match, bool) {
	if len(a.ct.latin) == 0 {
		return Match{}, false
	}
	var words []string
	for _, w := range a.ct.latin {
		if !latinNoise[w] {
			words = append(words, w)
		}
	}
	if len(words) == 0 {
		return Match{}, false
	}
	text := strings.Join(words, "")
	var exact, cut []keyRef
	var partial candidates
	for _, lk := range m.latin {
		matched := false
		for o, j := range lk.joined {
			if j == text {
				exact = appendRef(exact, lk.ref)
				matched = true
				break
			}
			// Cut at the limit: the whole text, bank codes included, is
			// the start of the name (NGUYEN THI THU of NGUYEN THI THU HA).
			if a.ct.latinCut() && cutWords(a.ct.latin, lk.orders[o]) {
				r := lk.ref
				r.cut = true
				cut = appendRef(cut, r)
				matched = true
				break
			}
		}
		if !matched {
			for _, w := range words {
				for _, kw := range lk.words {
					if len(w) >= 2 && w == kw {
						partial.add(lk.ref.member, 50+m.amountBonus(lk.ref.member, d))
					}
				}
			}
		}
	}
	// A text at the bank's limit that spells one member's whole name can
	// still be the start of another's (NGUYEN THI LAN / NGUYEN THI LANH).
	refs := exact
	for _, r := range cut {
		refs = appendRef(refs, r)
	}
	// Hangul text beside a romanised name (a purpose) makes it a review;
	// the Latin words themselves were read above, word by word.
	extra := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return -1
		}
		return r
	}, strings.Join(a.extras, ""))
	reason := Reason{Removed: a.removed, Text: strings.ToUpper(strings.Join(words, " "))}
	if len(refs) == 0 {
		// A romanisation of a member's Hangul name: a candidate, never a
		// match.
		var roman candidates
		for _, rk := range m.roman {
			if rk.matches(words, a.ct.latinCut()) {
				roman.add(rk.member, 55+m.amountBonus(rk.member, d))
			} else if len(words) == 1 {
				if whole, part := rk.matchesOneWord(words[0]); whole {
					roman.add(rk.member, 55+m.amountBonus(rk.member, d))
				} else if part {
					roman.add(rk.member, 45+m.amountBonus(rk.member, d))
				}
			}
		}
		if len(roman) > 0 {
			reason.Code = ReasonRomanised
			return Match{Outcome: OutcomeReview, Candidates: roman.list(m.g), Confidence: confPartial, Reason: reason}, true
		}
		if len(partial) == 0 {
			return Match{}, false
		}
		reason.Code = ReasonPartialName
		return Match{Outcome: OutcomeReview, Candidates: partial.list(m.g), Confidence: confPartial, Reason: reason}, true
	}
	hits := []hit{{key: text, refs: refs}}
	ref, ok := refs[0], len(refs) == 1
	if !ok {
		ref, ok = m.byAmount(refs, d)
		reason.ByAmount = ok
	}
	if !ok || extra != "" || len(a.doubt) > 0 || d.Amount > m.yearOf(ref.member, d) {
		reason.Code = ReasonSameName
		if len(cut) > 0 && len(refs) > 1 {
			reason.Code = ReasonTruncAmbig
		}
		if extra != "" || len(a.doubt) > 0 {
			reason.Code, reason.Extra = ReasonExtraText, extra+strings.Join(a.doubt, "")
		} else if ok {
			reason.Code = ReasonLargeAmount
		}
		return Match{Outcome: OutcomeReview, Candidates: m.rankHits(hits, d), Confidence: confAmbiguous, Reason: reason}, true
	}
	if mem := &m.g.Members[ref.member]; m.leftBefore(mem, d) {
		reason.Code = ReasonMemberLeft
		reason.Text = mem.Name
		return Match{Outcome: OutcomeReview, Candidates: m.rankHits(hits, d), Confidence: confExtraText, Reason: reason}, true
	}
	conf := confLatin
	reason.Code = ReasonLatin
	if ref.cut {
		conf, reason.Code = confTruncated, ReasonTruncated
	}
	if reason.ByAmount {
		conf = min(conf, confByAmount)
	}
	mem := &m.g.Members[ref.member]
	reason.Text += "→" + mem.Name
	return matchedOne(mem, d.Amount, conf, reason), true
}

// cutWords reports whether the text's words are the start of name written
// out (words joined by spaces), cut anywhere after its first word: a cut
// keeps at least two words of the text, so that a surname alone (NGUYEN)
// or bank codes around one (IBK NGUYEN THI) never count.
func cutWords(words, name []string) bool {
	if len(words) < 2 {
		return false
	}
	text, full := strings.Join(words, " "), strings.Join(name, " ")
	return len(text) < len(full) && strings.HasPrefix(full, text)
}

func appendRef(refs []keyRef, r keyRef) []keyRef {
	if containsMember(refs, r.member) {
		return refs
	}
	return append(refs, r)
}
