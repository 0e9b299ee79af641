package ledger

import (
	"strings"
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
		"상회", "상사", "주식회사", "유한회사", "컴퍼니"},
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

// wordList is a set of words matched greedily, longest first.
type wordList struct {
	words  map[string]wordKind
	maxLen int // in runes
}

func newWordList(extra map[string]wordKind) *wordList {
	wl := &wordList{words: make(map[string]wordKind)}
	add := func(w string, k wordKind) {
		w = compactKey(w)
		if w == "" {
			return
		}
		if old, ok := wl.words[w]; ok && old < k {
			// The first (lower) kind wins: dues over channel, for example.
			return
		}
		wl.words[w] = k
		if n := utf8.RuneCountInString(w); n > wl.maxLen {
			wl.maxLen = n
		}
	}
	for k, ws := range builtinWords {
		for _, w := range ws {
			add(w, k)
		}
	}
	for w, k := range extra {
		add(w, k)
	}
	return wl
}

// groupWords turns a group's name into dues words: a text like 배드민턴비 in
// "수요 배드민턴 클럽" reads as dues, as do 민턴비 (the usual short form),
// 산악회비 in "한울산악회" and 셀회비 in "청년부 3셀".
func groupWords(name string) map[string]wordKind {
	out := make(map[string]wordKind)
	suffixes := []string{"산악회", "동호회", "동창회", "동문회", "친목회", "소모임", "모임", "클럽", "스터디", "계", "회"}
	var words, short []string
	for _, w := range strings.Fields(name) {
		w = strings.TrimLeft(compactKey(w), "0123456789")
		switch n := utf8.RuneCountInString(w); {
		case n == 0:
			continue
		case n == 1:
			// 셀 in "3셀": only with 비 or 회비 after it.
			short = append(short, w)
			continue
		case n >= 3:
			// The last two syllables are the everyday short form: 배드민턴 →
			// 민턴.
			r := []rune(w)
			short = append(short, string(r[n-2:]))
		}
		words = append(words, w)
		for _, s := range suffixes {
			if stem, ok := strings.CutSuffix(w, s); ok && utf8.RuneCountInString(stem) >= 2 {
				words = append(words, stem)
				if utf8.RuneCountInString(s) >= 2 {
					words = append(words, s)
				}
			}
		}
	}
	for _, w := range words {
		out[w] = kindDues
		out[w+"비"] = kindDues
		out[w+"회비"] = kindDues
		if stem, ok := strings.CutSuffix(w, "회"); ok && stem != "" {
			out[stem+"회비"] = kindDues
		}
	}
	for _, w := range short {
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
// 3개월, 11월치, 25일, 2차, 28세손 (a clan generation). Longer units
// first. 회 is not one: 2026회비 is a year
// and a dues word.
var numberUnits = []string{"개월분", "개월치", "개월", "월분", "월치", "분기", "세손", "월", "년", "일", "분", "차", "번", "세"}

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
		if k, ok := wl.words[s[start:]]; ok {
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
		if k, ok := wl.words[s[:ends[i]]]; ok {
			return ends[i], k
		}
	}
	return 0, 0
}
