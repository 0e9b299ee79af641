package ledger

import (
	"slices"
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

// latinMonths are English month names, which a payer may add to a
// romanised name (HANNAH CHO DEC). Those that are also given names (May,
// June, Jan) or Korean surnames' spellings (Jun) are not listed.
var latinMonths = map[string]bool{
	"feb": true, "mar": true, "apr": true, "jul": true, "aug": true, "sep": true, "sept": true, "oct": true,
	"nov": true, "dec": true, "january": true, "february": true, "march": true, "april": true, "july": true,
	"september": true, "october": true, "november": true, "december": true, "month": true, "monthly": true,
}

// latinFit is one member a romanised text fits, and how well.
type latinFit struct {
	ref  keyRef // ref.cut when the text was cut at the bank's limit
	conf int
	code ReasonCode
	// oneMonth: the fit holds only on exactly one month of the member's
	// dues (the cut word after the name may start another member's name).
	oneMonth bool
}

// latinWords returns the Latin words of a payer text that may carry a
// name: without bank codes and dues words, and without month names when
// two words at least remain. month is a month name removed from the end.
func latinWords(latin []string) (words []string, month string) {
	for _, w := range latin {
		if !latinNoise[w] {
			words = append(words, w)
		}
	}
	if len(words) > 2 {
		var rest []string
		for _, w := range words {
			if !latinMonths[w] {
				rest = append(rest, w)
			}
		}
		if len(rest) >= 2 {
			if last := words[len(words)-1]; latinMonths[last] {
				month = last
			}
			words = rest
		}
	}
	return words, month
}

// latinFits returns the members a romanised text fits:
//   - a registered Latin name or alias, words in any order (BAKER TOM);
//   - at the bank's 14-character limit, the start of one, two words at
//     least (SMITH JOHNATHA), or one whole, two words at least, and the
//     start of a further word that the bank cut (BAKER TOM MONT for TOM
//     BAKER, whose legal name is BAKER TOM MONTAGUE; JENNIFER WU FE);
//   - a registered Latin alias and the member's Korean surname spelled
//     out, before or after it (LUCY JUNG, JUNG LUCY for 정유진 registered
//     as Lucy), the surname possibly cut at the limit (CHRISTINA JEON).
//
// It also returns the members one word of the text names (DANIEL), as
// candidates for a review.
func (m *Matcher) latinFits(a analysis, words []string, month string, d Deposit) ([]latinFit, candidates) {
	text := strings.Join(words, "")
	atLimit := a.ct.latinCut()
	var fits []latinFit
	add := func(f latinFit) {
		// A month name ending a text of exactly the limit may be the start
		// of another member's name (MARIA SANTOS MAR and MARICEL).
		if month != "" && a.ct.rawRunes == truncLatinRunes {
			if starts, _ := m.otherLatinWord(month, f.ref.member); starts {
				f.oneMonth = true
			}
		}
		for i := range fits {
			if fits[i].ref.member == f.ref.member {
				if f.conf > fits[i].conf {
					fits[i] = f
				}
				return
			}
		}
		fits = append(fits, f)
	}
	var partial candidates
	// A further word cut by the bank: only in a text of exactly the
	// limit, which a longer one (STEPHANIE JEONG KIM) is not.
	var head, frag string
	if atLimit && a.ct.rawRunes == truncLatinRunes && len(words) >= 3 {
		head, frag = strings.Join(words[:len(words)-1], ""), words[len(words)-1]
	}
	for _, lk := range m.latin {
		matched := false
		for o, j := range lk.joined {
			if j == text {
				add(latinFit{ref: lk.ref, conf: confLatin, code: ReasonLatin})
				matched = true
				break
			}
			// Cut at the limit: the whole text, bank codes included, is
			// the start of the name (NGUYEN THI THU of NGUYEN THI THU HA).
			if atLimit && cutWords(a.ct.latin, lk.orders[o]) {
				r := lk.ref
				r.cut = true
				add(latinFit{ref: r, conf: confTruncated, code: ReasonTruncated})
				matched = true
				break
			}
			if head != "" && len(lk.words) >= 2 && j == head {
				// A word of another member's name after it (TOM BAKER
				// ANNA) names two people; the start of one (TOM BAKER
				// ANN) may, unless the amount is one month of this
				// member's dues.
				starts, whole := m.otherLatinWord(frag, lk.ref.member)
				if !whole {
					r := lk.ref
					r.cut = true
					add(latinFit{ref: r, conf: confTruncated, code: ReasonTruncated, oneMonth: starts})
					matched = true
					break
				}
			}
		}
		if !matched && lk.ref.alias {
			if f, ok := m.aliasSurname(lk, words, atLimit); ok {
				add(f)
				matched = true
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
	return fits, partial
}

// aliasSurname reports whether words are the Latin alias lk and the
// member's surname, in either order (LUCY JUNG, JUNG LUCY).
func (m *Matcher) aliasSurname(lk latinKey, words []string, atLimit bool) (latinFit, bool) {
	n := len(lk.words)
	roman := m.romans()
	ri := roman.of[lk.ref.member]
	if ri < 0 || len(words) != n+1 {
		return latinFit{}, false
	}
	rk := roman.keys[ri]
	r := lk.ref
	// An alias that holds the surname already (JEONG TAEHO) is a whole
	// name, not a given name to put a surname beside.
	for _, w := range lk.words {
		if ok, _ := rk.surnameFits(w, false); ok {
			return latinFit{}, false
		}
	}
	if slices.Equal(words[:n], lk.words) {
		// Alias first: the surname ends the text and may have been cut.
		if ok, cut := rk.surnameFits(words[n], atLimit); ok {
			if cut {
				r.cut = true
				return latinFit{ref: r, conf: confTruncated, code: ReasonTruncated}, true
			}
			return latinFit{ref: r, conf: confAliasSur, code: ReasonLatin}, true
		}
	}
	if slices.Equal(words[1:], lk.words) {
		if ok, _ := rk.surnameFits(words[0], false); ok {
			return latinFit{ref: r, conf: confAliasSur, code: ReasonLatin}, true
		}
	}
	return latinFit{}, false
}

// otherLatinWord reports whether frag is the start of a word of another
// member's Latin name or alias (TOM BAKER ANN may be TOM BAKER and ANNA),
// or of a spelling of another member's Korean surname (TOM BAKER KIM), and
// whether it is a whole word of a Latin name or alias.
func (m *Matcher) otherLatinWord(frag string, member int) (starts, whole bool) {
	for _, lk := range m.latin {
		if lk.ref.member == member {
			continue
		}
		for _, w := range lk.words {
			if strings.HasPrefix(w, frag) {
				starts = true
				whole = whole || w == frag
			}
		}
	}
	for _, rk := range m.romans().keys {
		if rk.member == member {
			continue
		}
		for _, sp := range rk.spellings {
			if strings.HasPrefix(sp, frag) {
				starts = true
			}
		}
	}
	return starts, whole
}

// matchLatin matches romanised names (see latinFits).
func (m *Matcher) matchLatin(a analysis, d Deposit) (Match, bool) {
	if len(a.ct.latin) == 0 {
		return Match{}, false
	}
	words, month := latinWords(a.ct.latin)
	if len(words) == 0 {
		return Match{}, false
	}
	text := strings.Join(words, "")
	fits, partial := m.latinFits(a, words, month, d)
	// A text at the bank's limit that spells one member's whole name can
	// still be the start of another's (NGUYEN THI LAN / NGUYEN THI LANH).
	refs := make([]keyRef, 0, len(fits))
	for _, f := range fits {
		refs = append(refs, f.ref)
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
		for _, rk := range m.romans().keys {
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
	fit, ok := fits[0], len(fits) == 1
	if !ok {
		var ref keyRef
		if ref, ok = m.byAmount(refs, d); ok {
			for _, f := range fits {
				if f.ref.member == ref.member {
					fit = f
				}
			}
		}
		reason.ByAmount = ok
	}
	ref := fit.ref
	if !ok || extra != "" || len(a.doubt) > 0 || d.Amount > m.yearOf(ref.member, d) || fit.oneMonth && d.Amount != m.rate(ref.member, d) {
		reason.Code = ReasonSameName
		cut := false
		for _, f := range fits {
			cut = cut || f.ref.cut
		}
		if cut && len(fits) > 1 || ok && fit.oneMonth {
			reason.Code = ReasonTruncAmbig
		}
		if extra != "" || len(a.doubt) > 0 {
			reason.Code, reason.Extra = ReasonExtraText, extra+strings.Join(a.doubt, "")
		} else if ok && d.Amount > m.yearOf(ref.member, d) {
			reason.Code = ReasonLargeAmount
		}
		return Match{Outcome: OutcomeReview, Candidates: m.rankHits(hits, d), Confidence: confAmbiguous, Reason: reason}, true
	}
	if mem := &m.g.Members[ref.member]; m.leftBefore(mem, d) {
		reason.Code = ReasonMemberLeft
		reason.Text = mem.Name
		return Match{Outcome: OutcomeReview, Candidates: m.rankHits(hits, d), Confidence: confExtraText, Reason: reason}, true
	}
	conf := fit.conf
	reason.Code = fit.code
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
