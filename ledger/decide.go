package ledger

import (
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// analysis is what the matcher read from one payer text.
type analysis struct {
	ct        compactText
	hits      []hit
	removed   []string // dues words, months, bank prefixes, honorifics
	family    []string // 엄마, 아빠 ...
	doubt     []string // interest, refund or payment-service words
	doubtKind wordKind // the strongest kind of doubt word: interest, refund, then payment service
	extras    []string // unknown text, in order
	truncated bool     // the bank may have cut the text
	// straddled holds what is left of a name when a group word glued to it
	// takes its edge (지원 of 반지원 in 미술반지원): another reading.
	straddled []string
}

// Match decides whose money d is. It never fails: whatever it cannot place
// with confidence is a review.
func (m *Matcher) Match(d Deposit) Match {
	if d.Direction == Out {
		return Match{Outcome: OutcomeIgnored, Confidence: confIgnored, Reason: Reason{Code: ReasonWithdrawal}}
	}
	if d.Amount <= 0 {
		return Match{Outcome: OutcomeReview, Reason: Reason{Code: ReasonInvalidAmount, Text: d.Text}}
	}
	a := m.analyse(d.Text)
	if a.ct.masked {
		return m.maskedReview(a, d)
	}
	if len(a.hits) == 0 {
		if res, ok := m.matchLatin(a, d); ok {
			return res
		}
		return m.noName(a, d)
	}
	return m.decide(a, d)
}

func (m *Matcher) analyse(text string) analysis {
	a := analysis{ct: normalizeText(text)}
	a.truncated = m.mayBeTruncated(a.ct)
	a.hits = m.findHits(a.ct.s)
	s := a.ct.s
	for i := range a.hits {
		lo := 0
		if i > 0 {
			lo = a.hits[i-1].end
		}
		m.withSurname(s, lo, &a.hits[i])
	}
	pos, prevKey := 0, 0
	n := len(a.hits)
	for i := 0; i <= n; i++ {
		end := len(s)
		if i < n {
			end = a.hits[i].start
		}
		m.trimSegment(&a, pos, s[pos:end], end == len(s), prevKey)
		if i < n {
			pos = a.hits[i].end
			prevKey = utf8.RuneCountInString(a.hits[i].key)
		}
	}
	// A text cut at the bank's limit can end with a member's name that is
	// also the start of a longer one (이민 / 이민수): both are candidates.
	if a.truncated && len(a.hits) > 0 {
		if last := &a.hits[len(a.hits)-1]; last.end == len(s) {
			last.refs = m.withCut(last.key, last.refs)
		}
	}
	// A group word glued to a name that runs into it makes the name
	// doubtful: 미술반지원 is 미술 + 반지원 or 미술반 + 지원.
	for i, h := range a.hits {
		lo, hi := 0, len(s)
		if i > 0 {
			lo = a.hits[i-1].end
		}
		if i+1 < len(a.hits) {
			hi = a.hits[i+1].start
		}
		if w, rest := m.straddle(a.ct, lo, h, hi); w != "" {
			a.extras = append(a.extras, w)
			a.straddled = append(a.straddled, rest)
		}
	}
	return a
}

// withSurname widens an alias hit to the member's Hangul surname written
// just before it, after lo: 정루시 is 정유진, registered as 루시. Only the
// members with that surname stay (루시 registered for 정유진 and 서지안:
// 정루시 is 정유진). Only a two-syllable alias, a given name or nickname,
// is widened, and only by a Korean surname: an alias that is a whole name
// (박은정, a parent's), a parent's (지호엄마), a stall (가동3호), an
// everyday word (하나: 이하나 may be anyone) or also someone's name is
// left alone.
func (m *Matcher) withSurname(s string, lo int, h *hit) {
	if utf8.RuneCountInString(h.key) != 2 || m.everyday(h.key) {
		return
	}
	for _, r := range h.key {
		if !isHangulSyllable(r) {
			return
		}
	}
	var keep []keyRef
	sur := ""
	roman := m.romans()
	for _, r := range h.refs {
		if !r.alias || r.cut {
			return
		}
		ri := roman.of[r.member]
		if ri < 0 {
			continue
		}
		sn := roman.keys[ri].sur
		if _, korean := surnameSpellings[sn]; !korean || h.start-len(sn) < lo || s[h.start-len(sn):h.start] != sn {
			continue
		}
		switch {
		case len(sn) > len(sur): // a two-syllable surname (남궁) over a one-syllable one
			keep, sur = []keyRef{r}, sn
		case sn == sur:
			keep = append(keep, r)
		}
	}
	if len(keep) == 0 {
		return
	}
	h.start -= len(sur)
	h.key = s[h.start:h.end]
	h.refs = keep
}

// straddle returns a group word (Matcher.own) that runs across an edge of
// hit h, from the text between lo and hi beside it, and what it leaves of
// the hit; or "": in 미술반지원 the group's word 미술반 runs into the name
// 반지원 and leaves 지원. A space at the edge keeps them apart. (The
// built-in words have been read beside names in the corpus: 김서연회비 is
// 김서연 and 회비, not 김서 and 연회비.)
func (m *Matcher) straddle(ct compactText, lo int, h hit, hi int) (word, rest string) {
	s := ct.s
	// inner are the rune boundaries strictly inside the hit.
	var innerBuf [8]int
	inner := innerBuf[:0]
	for i := range s[h.start:h.end] {
		if i > 0 {
			inner = append(inner, h.start+i)
		}
	}
	if len(inner) == 0 {
		return "", ""
	}
	if h.start > lo && !ct.brokenAt(h.start) {
		p := h.start
		for n := 1; p > lo && n < m.words.maxLen; n++ {
			_, size := utf8.DecodeLastRuneInString(s[:p])
			p -= size
			for _, q := range inner {
				if m.own[s[p:q]] != 0 {
					return s[p:q], s[q:h.end]
				}
			}
		}
	}
	if h.end < hi && !ct.brokenAt(h.end) {
		q := h.end
		for n := 1; q < hi && n < m.words.maxLen; n++ {
			_, size := utf8.DecodeRuneInString(s[q:])
			q += size
			for _, p := range inner {
				if m.own[s[p:q]] != 0 {
					return s[p:q], s[h.start:p]
				}
			}
		}
	}
	return "", ""
}

// trimSegment trims known words off one segment of text outside the names.
// An unknown core at the very end of a cut-off text that starts a member's
// name becomes a hit of its own (11월회비김민 → 김민수). at is the
// segment's byte offset in the compact text; prevKey is the length in runes
// of the name just before the segment (0 for none).
func (m *Matcher) trimSegment(a *analysis, at int, seg string, atEnd bool, prevKey int) {
	if seg == "" {
		return
	}
	// After a two-syllable name, the next syllable may be the rest of a
	// stranger's name: 김민 + 형 is 김민형, not 김민's brother; 김옥 + 분 is
	// 김옥분; 안나 + 연회비 may be 안나연 + 회비, and 김민 + 구월회비 김민구 +
	// 월회비. When a word starts right there and is one syllable, or one
	// syllable and another word (at least as long as the rest of it), keep
	// that syllable as unknown text, unless a space kept them apart.
	if prevKey == 2 && !a.ct.brokenAt(at) {
		if r, size := utf8.DecodeRuneInString(seg); isHangulSyllable(r) {
			n, k := m.words.prefix(seg)
			rest, _ := m.words.longestAt(seg[size:])
			if (n == size && k != kindPolite) || n > size && (m.words.has(seg[size:n]) || rest >= n-size) {
				a.extras = append(a.extras, seg[:size])
				seg = seg[size:]
				if seg == "" {
					return
				}
			}
		}
	}
	// The end of a text cut at the bank's limit may be the start of a
	// member's name, even where it spells a word: 11월회비배민 is 배민수 cut,
	// not a 배민 refund. The longest such ending is a hit of its own.
	if atEnd && a.truncated {
		if cut, refs := m.cutEnding(seg); cut > 0 {
			end := len(a.ct.s)
			m.trimSegment(a, at, seg[:len(seg)-cut], false, prevKey)
			a.hits = append(a.hits, hit{start: end - cut, end: end, key: seg[len(seg)-cut:], refs: refs})
			return
		}
	}
	removed, core := m.words.trim(seg)
	for _, p := range removed {
		switch p.kind {
		case kindFamily:
			a.family = append(a.family, p.text)
		case kindRelative:
			a.extras = append(a.extras, p.text)
		case kindInterest, kindRefund, kindPayService:
			// kindInterest < kindRefund < kindPayService: a refund through a
			// payment service (네이버페이환불) is a refund.
			if a.doubtKind == 0 || p.kind < a.doubtKind {
				a.doubtKind = p.kind
			}
			a.doubt = append(a.doubt, p.text)
		default:
			a.removed = append(a.removed, p.text)
		}
	}
	if core != "" {
		a.extras = append(a.extras, core)
	}
}

// cutEnding returns the byte length of the longest ending of seg (two
// syllables or more) that is the start of a longer name or alias, and the
// members it fits; 0 when none is.
func (m *Matcher) cutEnding(seg string) (int, []keyRef) {
	n := utf8.RuneCountInString(seg)
	start := len(seg)
	var best int
	var bestRefs []keyRef
	for l := 1; l <= n && l < m.maxKey; l++ {
		r, size := utf8.DecodeLastRuneInString(seg[:start])
		start -= size
		// A name starts with a Hangul syllable (12 of 12월분 is no name).
		if l < 2 || !isHangulSyllable(r) {
			continue
		}
		if refs := m.prefixRefs(seg[start:]); len(refs) > 0 {
			best, bestRefs = len(seg)-start, refs
		}
	}
	return best, bestRefs
}

// withCut adds to refs the members whose keys start with key and are
// longer: a cut-off text may hold the start of their name.
func (m *Matcher) withCut(key string, refs []keyRef) []keyRef {
	more := m.prefixRefs(key)
	if len(more) == 0 {
		return refs
	}
	out := slices.Clone(refs)
	for _, r := range more {
		if !containsMember(out, r.member) {
			out = append(out, r)
		}
	}
	return out
}

// prefixRefs returns the members with a key that starts with p and is
// longer than p, marked as cut; p must be at least two runes.
func (m *Matcher) prefixRefs(p string) []keyRef {
	if utf8.RuneCountInString(p) < 2 {
		return nil
	}
	// A two-syllable surname alone (남궁 of 남궁민) is not enough of a name.
	if _, ok := surnameSpellings[p]; ok && utf8.RuneCountInString(p) == 2 {
		return nil
	}
	var out []keyRef
	for k, refs := range m.keys {
		if len(k) > len(p) && strings.HasPrefix(k, p) {
			for _, r := range refs {
				// Learned aliases are whole texts the treasurer confirmed
				// (간식비김민수); their starts are not names.
				if r.learned || containsMember(out, r.member) {
					continue
				}
				r.cut = true
				out = append(out, r)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].member < out[j].member })
	return out
}

func containsMember(refs []keyRef, member int) bool {
	for _, r := range refs {
		if r.member == member {
			return true
		}
	}
	return false
}

// mayBeTruncated reports whether the bank may have cut the text at its
// length limit.
func (m *Matcher) mayBeTruncated(ct compactText) bool {
	if ct.hangul > 0 {
		return ct.rawRunes >= truncHangulRunes || ct.runes >= truncHangulRunes
	}
	return ct.rawRunes >= truncLatinRunes
}

// yearOf is the most one deposit from member i may hold before it looks
// like more than dues: a year of their dues, or of the group's default for
// an exempt member.
func (m *Matcher) yearOf(i int, d Deposit) int64 {
	r := m.rate(i, d)
	if r == 0 {
		r, _ = amountAt(m.g.Dues.Amount, m.g.Dues.Changes, m.month(d))
	}
	return r * maxPlausibleMo
}

// rate is member i's monthly dues.
func (m *Matcher) rate(i int, d Deposit) int64 { return m.g.RateAt(&m.g.Members[i], m.month(d)) }

// month is the month whose dues rates apply to d: its own, or the latest
// when it has no time.
func (m *Matcher) month(d Deposit) Period {
	if d.At.IsZero() {
		return latest
	}
	return MonthOf(d.At.In(KST()))
}

// fitsAmount reports whether amount is a whole number of months (1..12) of
// member i's dues.
func (m *Matcher) fitsAmount(i int, d Deposit) bool {
	r := m.rate(i, d)
	return r > 0 && d.Amount%r == 0 && d.Amount/r <= maxPlausibleMo
}

// byAmount picks the one member of refs whose monthly dues equal amount;
// ok is false unless exactly one does. Multiples (two months of one, three
// of the other) are not enough to tell members apart.
func (m *Matcher) byAmount(refs []keyRef, d Deposit) (keyRef, bool) {
	var found keyRef
	n := 0
	for _, r := range refs {
		if m.rate(r.member, d) == d.Amount {
			found = r
			n++
		}
	}
	return found, n == 1
}

// resolvedHit is a hit narrowed to one member, if possible.
type resolvedHit struct {
	h        hit
	ref      keyRef
	ok       bool
	byAmount bool
}

func (m *Matcher) decide(a analysis, d Deposit) Match {
	reason := Reason{Removed: a.removed, Extra: strings.Join(a.family, "")}
	rs := make([]resolvedHit, 0, len(a.hits))
	distinct := map[int]bool{}
	for _, h := range a.hits {
		r := resolvedHit{h: h}
		switch {
		case len(h.refs) == 1:
			r.ref, r.ok = h.refs[0], true
		case len(a.hits) == 1:
			r.ref, r.ok = m.byAmount(h.refs, d)
			r.byAmount = r.ok
		}
		if r.ok {
			distinct[r.ref.member] = true
		}
		rs = append(rs, r)
	}
	candidates := m.rankHits(a.hits, d, a.straddled...)
	review := func(code ReasonCode, text string, conf int) Match {
		reason.Code, reason.Text = code, text
		return Match{Outcome: OutcomeReview, Candidates: candidates, Confidence: conf, Reason: reason}
	}
	allOK := true
	keys := make([]string, 0, len(rs))
	for _, r := range rs {
		allOK = allOK && r.ok
		keys = append(keys, r.h.key)
	}
	joinedKeys := strings.Join(keys, "+")

	// Text we do not understand beside a name (점심값김민수), or a refund
	// or interest word: the money may not be dues.
	if extra := strings.Join(append(slices.Clone(a.doubt), a.extras...), ""); extra != "" {
		reason.Extra = strings.Join(append(slices.Clone(a.family), extra), "")
		return review(ReasonExtraText, joinedKeys, confExtraText)
	}
	// An alias shared by several members (a parent registered for two
	// children) with a whole number of months of all their dues pays for
	// all of them.
	if len(rs) == 1 && !allOK {
		if joint, ok := m.sharedAlias(rs[0].h, d); ok {
			return m.joint(joint, d, reason, review, joinedKeys)
		}
	}
	if !allOK {
		code := ReasonSameName
		for _, r := range rs {
			for _, ref := range r.h.refs {
				if ref.cut {
					code = ReasonTruncAmbig
				}
			}
		}
		return review(code, joinedKeys, confAmbiguous)
	}
	if len(distinct) == 1 {
		return m.single(rs[0], d, reason, review)
	}
	// 우리 김민수 may be 정우리 (alias 우리) and 김민수 together, or 김민수
	// alone through 우리은행: a name that is also an everyday word makes a
	// joint deposit doubtful.
	for _, r := range rs {
		if m.everyday(r.h.key) {
			return review(ReasonEverydayWord, r.h.key, confAmbiguous)
		}
	}
	return m.joint(rs, d, reason, review, joinedKeys)
}

// sharedAlias splits a hit whose key is an alias of every member it names
// (never a name: two people called 김민지 are not one payer) into one
// resolved hit a member, when amount is a whole number of months of the
// sum of their dues.
func (m *Matcher) sharedAlias(h hit, d Deposit) ([]resolvedHit, bool) {
	var sum int64
	for _, r := range h.refs {
		rate := m.rate(r.member, d)
		// A nickname that is part of the members' names (민지 for 김민지 and
		// 박민지) is not one payer for both.
		if !r.alias || r.cut || rate == 0 || strings.Contains(compactKey(m.g.Members[r.member].Name), h.key) {
			return nil, false
		}
		sum += rate
	}
	if d.Amount%sum != 0 || d.Amount/sum > maxPlausibleMo {
		return nil, false
	}
	out := make([]resolvedHit, len(h.refs))
	for i, r := range h.refs {
		out[i] = resolvedHit{h: h, ref: r, ok: true}
	}
	return out, true
}

// everyday reports whether key is also an everyday word the matcher knows
// (우리 and 하나 are banks, 나래 is not): a member known by such a word is
// matched only on exactly one month's dues.
func (m *Matcher) everyday(key string) bool {
	_, ok := m.words.kind(key)
	return ok
}

// single is a deposit naming one member.
func (m *Matcher) single(r resolvedHit, d Deposit, reason Reason, review func(ReasonCode, string, int) Match) Match {
	mem := &m.g.Members[r.ref.member]
	if d.Amount > m.yearOf(r.ref.member, d) {
		return review(ReasonLargeAmount, mem.Name, confExtraText)
	}
	if m.leftBefore(mem, d) {
		return review(ReasonMemberLeft, mem.Name, confExtraText)
	}
	if m.everyday(r.h.key) && d.Amount != m.rate(r.ref.member, d) {
		return review(ReasonEverydayWord, r.h.key, confExtraText)
	}
	if y, ok := m.forHousehold(r.ref.member, d); ok {
		res := review(ReasonHousehold, mem.Name+"+"+m.g.Members[y].Name, confAmbiguous)
		res.Candidates = append(res.Candidates, Candidate{MemberID: m.g.Members[y].ID, Score: 50 + m.amountBonus(y, d)})
		return res
	}
	code, conf, text := ReasonName, confClean, mem.Name
	switch {
	case r.ref.cut:
		code, conf, text = ReasonTruncated, confTruncated, r.h.key+"→"+mem.Name
	case r.ref.learned:
		code, text = ReasonLearned, r.ref.display+"→"+mem.Name
	case r.ref.alias:
		code, text = ReasonAlias, r.ref.display+"→"+mem.Name
	}
	if code != ReasonTruncated && len(reason.Removed) == 0 && reason.Extra == "" {
		conf = confExact
	}
	if reason.Extra != "" {
		conf = min(conf, confFamily)
	}
	if r.byAmount {
		conf = min(conf, confByAmount)
		reason.ByAmount = true
	}
	reason.Code, reason.Text = code, text
	return matchedOne(mem, d.Amount, conf, reason)
}

// forHousehold returns a member of i's household (see households) when the
// amount is a whole number of months of their dues together and not one
// month of i's own: 박종민 sending 40,000 may pay two months of his own or
// one each for him and his wife, registered as 박종민처. A member who owes
// nothing (exempt, or gone) is not paid for.
func (m *Matcher) forHousehold(i int, d Deposit) (int, bool) {
	own := m.rate(i, d)
	if d.Amount == own {
		return 0, false
	}
	for _, y := range m.household[i] {
		other := m.rate(y, d)
		if other == 0 || m.leftBefore(&m.g.Members[y], d) {
			continue
		}
		if sum := own + other; d.Amount%sum == 0 && d.Amount/sum <= maxPlausibleMo {
			return y, true
		}
	}
	return 0, false
}

// matchedOne is the verdict that the whole amount is mem's.
func matchedOne(mem *Member, amount int64, conf int, reason Reason) Match {
	return Match{
		Outcome:    OutcomeMatched,
		Shares:     []Share{{MemberID: mem.ID, Amount: amount}},
		Candidates: []Candidate{{MemberID: mem.ID, Score: conf}},
		Confidence: conf,
		Reason:     reason,
	}
}

// leftBefore reports whether mem had left the group before the month of d:
// money from a former member is likely a standing order that kept running,
// for the treasurer to refund.
func (m *Matcher) leftBefore(mem *Member, d Deposit) bool {
	return !mem.Left.IsZero() && !d.At.IsZero() && MonthOf(d.At.In(KST())) > mem.Left
}

// joint is a deposit naming several members: matched when the amount is a
// whole number of months of the sum of their dues, split in proportion to
// their dues.
func (m *Matcher) joint(rs []resolvedHit, d Deposit, reason Reason, review func(ReasonCode, string, int) Match, keys string) Match {
	var idx []int
	var sum int64
	conf := confJoint
	for _, r := range rs {
		if r.ref.cut {
			conf = confTruncated
		}
		if slices.Contains(idx, r.ref.member) {
			continue
		}
		rate := m.rate(r.ref.member, d)
		if rate == 0 {
			return review(ReasonJointAmount, keys, confAmbiguous)
		}
		if mem := &m.g.Members[r.ref.member]; m.leftBefore(mem, d) {
			return review(ReasonMemberLeft, mem.Name, confAmbiguous)
		}
		idx = append(idx, r.ref.member)
		sum += rate
	}
	if d.Amount%sum != 0 || d.Amount/sum > maxPlausibleMo {
		return review(ReasonJointAmount, keys, confAmbiguous)
	}
	if reason.Extra != "" {
		conf = min(conf, confFamily)
	}
	k := d.Amount / sum
	shares := make([]Share, 0, len(idx))
	cands := make([]Candidate, 0, len(idx))
	names := make([]string, 0, len(idx))
	for _, i := range idx {
		mem := &m.g.Members[i]
		shares = append(shares, Share{MemberID: mem.ID, Amount: k * m.rate(i, d)})
		cands = append(cands, Candidate{MemberID: mem.ID, Score: conf})
		names = append(names, mem.Name)
	}
	reason.Code, reason.Text = ReasonJoint, strings.Join(names, "+")
	return Match{Outcome: OutcomeMatched, Shares: shares, Candidates: cands, Confidence: conf, Reason: reason}
}

// rankHits lists the members of the hits as review candidates: whole names
// before cut-off ones, members whose dues fit the amount first; then the
// members whose name or alias holds one of parts (two runes at least).
func (m *Matcher) rankHits(hits []hit, d Deposit, parts ...string) []Candidate {
	var cs candidates
	for _, h := range hits {
		for _, r := range h.refs {
			s := 60
			if r.cut {
				s -= 10
			}
			cs.add(r.member, s+m.amountBonus(r.member, d))
		}
	}
	for _, p := range parts {
		if utf8.RuneCountInString(p) < 2 {
			continue
		}
		for k, refs := range m.keys {
			if len(k) > len(p) && strings.Contains(k, p) {
				for _, r := range refs {
					cs.add(r.member, 55+m.amountBonus(r.member, d))
				}
			}
		}
	}
	return cs.list(m.g)
}

// amountBonus scores how well amount fits member i's dues.
func (m *Matcher) amountBonus(i int, d Deposit) int {
	switch {
	case m.rate(i, d) == d.Amount:
		return 10
	case m.fitsAmount(i, d):
		return 5
	}
	return 0
}

// candidates collects scored members, keeping each member's best score.
type candidates []struct{ member, score int }

func (c *candidates) add(member, score int) {
	for i := range *c {
		if (*c)[i].member == member {
			(*c)[i].score = max((*c)[i].score, score)
			return
		}
	}
	*c = append(*c, struct{ member, score int }{member, score})
}

// list returns the candidates best first, ties in roster order.
func (c candidates) list(g *Group) []Candidate {
	if len(c) == 0 {
		return nil
	}
	sort.SliceStable(c, func(i, j int) bool {
		if c[i].score != c[j].score {
			return c[i].score > c[j].score
		}
		return c[i].member < c[j].member
	})
	out := make([]Candidate, len(c))
	for i, x := range c {
		out[i] = Candidate{MemberID: g.Members[x.member].ID, Score: x.score}
	}
	return out
}
