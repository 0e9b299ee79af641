package ledger

import (
	"strings"
	"sync"
	"unicode/utf8"
)

// wordKind says what a known word in a payer text means.
type wordKind uint8

const (
	// kindDues: the word says "this is dues" (회비, 모임비, the group's own
	// activity word). Removed before matching.
	kindDues wordKind = iota + 1
	// kindChannel: a bank or channel prefix some apps add (카뱅, 타행, ATM).
	kindChannel
	// kindPolite: honorifics and sign-offs (님, 드림).
	kindPolite
	// kindFamily: a relative paying for the member (엄마, 아빠). Kept in
	// the reason; still a confident match next to a member's name.
	kindFamily
	// kindRelative: a sibling or spouse (동생, 남편), who may be a member
	// too: beside a name it makes the deposit a review.
	kindRelative
	// kindInterest: bank interest; never dues.
	kindInterest
	// kindRefund: merchant refunds and cashbacks; never dues.
	kindRefund
	// kindPayService: a payment service's name in place of a person's; the
	// payer is unknown.
	kindPayService
)

// Words in compact form (see normalizeText), grouped by meaning. Latin words
// are lower case. Longer words win over their prefixes.
var builtinWords = map[wordKind][]string{
	kindDues: {
		"회비", "월회비", "월회", "모임비", "모임회비", "회원비", "회원회비", "곗돈", "계돈", "계비", "계모임",
		"정기회비", "정기", "연회비", "년회비", "반기회비", "분기회비", "월납", "납부", "입금", "송금", "이체", "보냄", "보내요", "입니다",
		"회비입금", "회비납부", "분", "월분", "년",
		"나머지", "잔금", "잔액", "미납", "미납분", "밀린", "차액", "추가", "선납", "선입금", "dues", "fee", "fees", "membership",
		// Months in words (십일월회비, 유월 김민수) and relative to the
		// deposit (이번달회비, 김민수 지난달).
		"일월", "이월", "삼월", "사월", "오월", "유월", "육월", "칠월", "팔월", "구월", "시월", "십월", "십일월", "십이월",
		"이번달", "이달", "지난달", "저번달", "다음달", "담달", "금월", "당월", "전월", "익월", "내달",
	},
	kindChannel: {
		"카뱅", "카카오뱅크", "카카오", "토뱅", "토스뱅크", "토스", "케뱅", "케이뱅크", "국민", "국민은행",
		"신한", "신한은행", "우리", "우리은행", "하나", "하나은행", "농협", "기업", "기업은행", "씨티",
		"새마을", "새마을금고", "우체국", "수협", "신협", "부산", "대구", "경남", "광주", "전북", "제주",
		"산업", "타행", "당행", "인뱅", "인터넷", "모바일", "스뱅", "폰뱅", "텔레", "자동", "자동이체",
		"오픈뱅킹", "펌뱅킹", "창구", "현금", "대체", "무통장", "무통장입금", "atm", "cd", "kb", "nh", "ibk", "sc", "sh", "ibs",
	},
	kindPolite: {"님", "드림", "올림", "씨", "입니다", "합니다", "드립니다", "보내요", "이에요", "예요", "감사합니다", "감사",
		// A member's business account: 김민수상회, 주식회사 김민수.
		"상회", "상사", "주식회사", "유한회사", "컴퍼니",
		// Job titles in a company team: 팀장김민준, 김민준 과장.
		"팀장", "파트장", "부장", "차장", "과장", "대리", "주임", "실장", "본부장"},
	kindFamily: {
		"엄마", "아빠", "맘", "어머니", "아버지", "모친", "부친", "부모", "할머니", "할아버지", "할매",
		"네", "母", "父",
	},
	kindRelative: {"누나", "언니", "오빠", "형", "동생", "남편", "아내", "와이프", "처", "신랑"},
	kindInterest: {"이자", "결산이자", "예금이자", "이자지급", "결산", "세금환급", "원천세", "이자입금"},
	// Merchants' refunds only: a bare 환불, 반환 or 취소 may be a member
	// returning money, which the treasurer must see.
	kindRefund: {
		"토스페이맨", "토스페이먼", "토스페이먼츠", "캐시백", "결제취소", "쿠팡", "지마켓", "11번가",
	},
	kindPayService: {"카카오페이", "네이버페이", "페이코", "토스페이", "스마일페이", "삼성페이", "페이팔", "당근페이", "페이"},
}

// wordList is a set of words matched greedily, longest first: a group's
// own words over the built-in ones, which all matchers share.
type wordList struct {
	words map[string]wordKind
	// base is the shared built-in list under words (nil for the built-in
	// list itself); words overrides it.
	base   *wordList
	maxLen int // in runes, of words and base
}

// kind returns w's kind.
func (wl *wordList) kind(w string) (wordKind, bool) {
	if k, ok := wl.words[w]; ok {
		return k, true
	}
	if wl.base != nil {
		return wl.base.kind(w)
	}
	return 0, false
}

// has reports whether w is a word of a kind other than zero.
func (wl *wordList) has(w string) bool {
	k, _ := wl.kind(w)
	return k != 0
}

// add adds the normalised form of w with kind k, unless a lower or equal
// kind holds it already (dues over channel, for example).
func (wl *wordList) add(w string, k wordKind) { wl.addCompact(compactKey(w), k) }

// addCompact is add for a word already in compact form.
func (wl *wordList) addCompact(w string, k wordKind) {
	if w == "" {
		return
	}
	if old, ok := wl.kind(w); ok && old <= k {
		return
	}
	wl.words[w] = k
	if n := utf8.RuneCountInString(w); n > wl.maxLen {
		wl.maxLen = n
	}
}

// builtinWordList is the built-in words, normalised once and shared by
// every matcher: normalising them for each matcher cost more than the
// matching, and a copy in each of thousands of cached matchers would cost
// memory.
var builtinWordList = sync.OnceValue(func() *wordList {
	wl := &wordList{words: make(map[string]wordKind)}
	for k, ws := range builtinWords {
		for _, w := range ws {
			wl.add(w, k)
		}
	}
	return wl
})

// newWordList returns the built-in words and extra, the group's own, in
// compact form.
func newWordList(extra map[string]wordKind) *wordList {
	b := builtinWordList()
	wl := &wordList{words: make(map[string]wordKind, len(extra)), base: b, maxLen: b.maxLen}
	for w, k := range extra {
		wl.addCompact(w, k)
	}
	return wl
}

// groupSuffixes are the nouns a group's name ends with that say what kind
// of group it is, longest first: 한울산악회 is 한울 and 산악회, 시온성가대 is
// 시온 and 성가대, 미술반 is 미술 and 반. A one-syllable one is a dues word
// only with 비 or 회비 after it (반비, 팀회비).
var groupSuffixes = []string{
	"산악회", "동호회", "동창회", "동문회", "친목회", "종친회", "소모임", "동아리", "성가대", "찬양대", "합창단", "클래스", "스터디",
	"모임", "클럽", "교회", "성당", "교실", "크루",
	"계", "회", "반", "팀", "부", "단", "대", "방", "과",
}

// groupWords turns a group's name into dues words: a text like 배드민턴비 in
// "수요 배드민턴 클럽" reads as dues, as do 민턴비 (the usual short form),
// 산악회비 and 한울회비 in "한울산악회", 셀회비 in "청년부 3셀", 팀비 and
// 2팀회비 in "영업2팀", and 성가대비 in "소망교회 시온성가대". The words are
// the name's words, split at digits and at the suffixes above; each one
// also counts with 비 and 회비 after it. NewMatcher drops those that would
// swallow a member's name (see Matcher.ownWords).
func groupWords(name string) map[string]wordKind {
	out := make(map[string]wordKind)
	for _, forms := range groupWordForms(name) {
		for _, w := range forms {
			out[w] = kindDues
		}
	}
	return out
}

// groupWordForms returns groupWords grouped by the word they come from:
// 요가 → 요가, 요가비, 요가회비; a one-syllable word (반 of 미술반) comes
// only with 비 or 회비 and is not itself in its list.
func groupWordForms(name string) map[string][]string {
	var words, short []string
	var split func(w string)
	split = func(w string) {
		n := utf8.RuneCountInString(w)
		switch {
		case n == 0:
			return
		case n == 1:
			// 셀 in "3셀": only with 비 or 회비 after it.
			short = append(short, w)
			return
		}
		words = append(words, w)
		for _, s := range groupSuffixes {
			if stem, ok := strings.CutSuffix(w, s); ok && utf8.RuneCountInString(stem) >= 2 {
				split(stem)
				if utf8.RuneCountInString(s) == 1 {
					short = append(short, s)
				} else {
					words = append(words, s)
				}
				return
			}
		}
		// The last two syllables of a longer word that does not split are
		// its everyday short form: 배드민턴 → 민턴, 영어회화 → 회화. (Of
		// three, they are rarely a word: 클래스 → 래스.)
		if n >= 4 {
			r := []rune(w)
			short = append(short, string(r[n-2:]))
		}
	}
	for _, f := range strings.Fields(name) {
		f = strings.TrimLeft(compactKey(f), "0123456789")
		parts := scriptRuns(f)
		if len(parts) == 1 {
			split(f)
			continue
		}
		// 영업2팀: the whole word, 영업, 팀, and 2팀.
		if utf8.RuneCountInString(f) >= 2 {
			words = append(words, f)
		}
		for i, p := range parts {
			if p[0] >= '0' && p[0] <= '9' {
				if i+1 < len(parts) {
					short = append(short, p+parts[i+1])
				}
				continue
			}
			split(p)
		}
	}
	out := make(map[string][]string)
	for _, w := range words {
		out[w] = append(out[w], w, w+"비", w+"회비")
		if stem, ok := strings.CutSuffix(w, "회"); ok && stem != "" {
			out[w] = append(out[w], stem+"회비")
		}
	}
	for _, w := range short {
		out[w] = append(out[w], w+"비", w+"회비")
	}
	return out
}

// scriptRuns splits a compact word into its runs of digits, of Latin
// letters and of other letters: 영업2팀 → 영업, 2, 팀.
func scriptRuns(w string) []string {
	class := func(r rune) int {
		switch {
		case r >= '0' && r <= '9':
			return 1
		case r >= 'a' && r <= 'z':
			return 2
		}
		return 3
	}
	var out []string
	start, prev := 0, 0
	for i, r := range w {
		if c := class(r); i > 0 && c != prev {
			out = append(out, w[start:i])
			start = i
		}
		prev = class(r)
	}
	if start < len(w) {
		out = append(out, w[start:])
	}
	return out
}

// treasurerWords turns the treasurer's words for a group (Group.Words) into
// dues words, each also with 비 and 회비 after it: 합창단, 합창단비,
// 합창단회비.
func treasurerWords(ws []string) map[string]wordKind {
	out := make(map[string]wordKind)
	for _, w := range ws {
		w = compactKey(w)
		if w == "" {
			continue
		}
		out[w] = kindDues
		out[w+"비"] = kindDues
		out[w+"회비"] = kindDues
	}
	return out
}

// piece is a known word or number trimmed off a payer text.
type piece struct {
	text string
	kind wordKind
}

// numberUnits are the units that follow a number: 11월, 11월분, 2026년,
// 3개월, 11월치, 2달, 25일, 2차, 28세손 (a clan generation). Longer units
// first. 회 is not one: 2026회비 is a year
// and a dues word.
var numberUnits = []string{"개월분", "개월치", "개월", "월분", "월치", "달치", "달분", "분기", "세손", "월", "달", "년", "일", "분", "차", "번", "세"}

// trim removes known words and numbers (with their unit) from both ends of
// seg, outside in, and returns them with the core left between. Words are
// only taken at the edges, never from inside the core, so that a name that
// happens to contain a word (김형수 and 형) is left whole.
func (wl *wordList) trim(seg string) (removed []piece, core string) {
	return wl.trimUntil(seg, 0)
}

// trimUntil is trim that stops at the first word of kind stop on each side.
func (wl *wordList) trimUntil(seg string, stop wordKind) (removed []piece, core string) {
	for seg != "" {
		n, k := wl.prefix(seg)
		if n == 0 || stop != 0 && k == stop {
			break
		}
		removed = append(removed, piece{seg[:n], k})
		seg = seg[n:]
	}
	var tail []piece
	for seg != "" {
		n, k := wl.suffix(seg)
		if n == 0 || stop != 0 && k == stop {
			break
		}
		tail = append(tail, piece{seg[len(seg)-n:], k})
		seg = seg[:len(seg)-n]
	}
	for i := len(tail) - 1; i >= 0; i-- {
		removed = append(removed, tail[i])
	}
	return removed, seg
}

// prefix returns the byte length and kind of the known word or number at
// the start of s, or 0.
func (wl *wordList) prefix(s string) (int, wordKind) {
	w, k := wl.longestAt(s) // a word may start with digits: 11번가
	if j := digitsPrefix(s); j > 0 {
		n := j
		for _, unit := range numberUnits {
			if strings.HasPrefix(s[j:], unit) {
				n += len(unit)
				break
			}
		}
		if n >= w {
			return n, kindDues
		}
	}
	return w, k
}

// suffix returns the byte length and kind of the known word or number at
// the end of s, or 0.
func (wl *wordList) suffix(s string) (int, wordKind) {
	for _, unit := range numberUnits {
		if rest, ok := strings.CutSuffix(s, unit); ok {
			if j := digitsSuffix(rest); j > 0 {
				return j + len(unit), kindDues
			}
		}
	}
	if j := digitsSuffix(s); j > 0 {
		return j, kindDues
	}
	// Longest word ending at the end of s.
	start := len(s)
	best, bestKind := 0, wordKind(0)
	for n := 0; n < wl.maxLen && start > 0; n++ {
		_, sz := utf8.DecodeLastRuneInString(s[:start])
		start -= sz
		if k, ok := wl.kind(s[start:]); ok {
			best, bestKind = len(s)-start, k
		}
	}
	return best, bestKind
}

func digitsPrefix(s string) int {
	j := 0
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	return j
}

func digitsSuffix(s string) int {
	j := len(s)
	for j > 0 && s[j-1] >= '0' && s[j-1] <= '9' {
		j--
	}
	return len(s) - j
}

// longestAt returns the byte length and kind of the longest known word at
// the start of s, or 0.
func (wl *wordList) longestAt(s string) (int, wordKind) {
	// Byte offsets of the first maxLen rune boundaries.
	end := 0
	var ends [16]int
	n := 0
	for n < wl.maxLen && n < len(ends) && end < len(s) {
		_, sz := utf8.DecodeRuneInString(s[end:])
		end += sz
		ends[n] = end
		n++
	}
	for i := n - 1; i >= 0; i-- {
		if k, ok := wl.kind(s[:ends[i]]); ok {
			return ends[i], k
		}
	}
	return 0, 0
}
