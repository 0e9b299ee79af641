package ledger

import (
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Romanised payer texts (KIM MINSU) of members registered only in Hangul
// are never matched automatically: spellings vary too much (김 is KIM or
// GIM, 이 is LEE, YI or RHEE, 민수 is MINSU or MINSOO) and a stranger with
// the same romanisation is as likely. They become review candidates, and
// the treasurer's decision teaches the alias.

// Revised Romanization of Korean, per jamo, without sound changes.
var (
	rrInitial = [...]string{"g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"}
	rrMedial  = [...]string{"a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi", "yu", "eu", "ui", "i"}
	rrFinal   = [...]string{"", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p", "t", "t", "ng", "t", "t", "k", "t", "p", "t"}
)

// surnameSpellings lists the usual passport spellings of common surnames
// beyond their Revised Romanization.
var surnameSpellings = map[string][]string{
	"김": {"kim"}, "이": {"lee", "yi", "rhee", "rhie", "ri"}, "박": {"park", "pak"}, "최": {"choi", "choe"},
	"정": {"jung", "chung", "jeong"}, "강": {"kang"}, "조": {"cho"}, "윤": {"yoon"}, "장": {"chang"},
	"임": {"lim", "yim"}, "한": {"hahn"}, "오": {"oh"}, "서": {"suh"}, "신": {"shin"}, "권": {"kwon"},
	"황": {"whang"}, "안": {"ahn"}, "송": {"soung"}, "전": {"jun", "chun", "chon"}, "홍": {"hong"},
	"유": {"yoo", "you", "ryu"}, "류": {"ryu", "yoo", "yu", "lyu"}, "고": {"ko", "koh"}, "문": {"moon"}, "양": {"yang"},
	"손": {"sohn"}, "배": {"bae", "pae"}, "백": {"baek", "paik", "paek"}, "허": {"heo", "huh", "hur"},
	"남": {"nam"}, "심": {"shim"}, "노": {"noh", "roh"}, "하": {"ha"}, "곽": {"kwak"}, "성": {"sung", "seong"},
	"차": {"cha"}, "주": {"joo", "chu"}, "우": {"woo"}, "구": {"koo", "ku"}, "민": {"min"}, "진": {"jin", "chin"},
	"지": {"ji", "chi"}, "엄": {"um", "eom"}, "채": {"chae"}, "원": {"won"}, "천": {"chun", "cheon"},
	"방": {"bang"}, "공": {"kong"}, "현": {"hyun"}, "함": {"ham"}, "변": {"byun", "byeon"}, "염": {"yeom"},
	"여": {"yeo", "yuh"}, "추": {"choo"}, "도": {"do", "doh"}, "석": {"suk", "seok"}, "설": {"sul"},
	"길": {"gil", "kil"}, "표": {"pyo"}, "명": {"myung"}, "기": {"ki"}, "반": {"ban", "pan"}, "왕": {"wang"},
	"금": {"keum", "kum"}, "육": {"yook", "yuk"}, "인": {"in"}, "제": {"je"}, "탁": {"tak"}, "국": {"kook"},
	"나": {"na", "ra"}, "라": {"ra", "la"}, "선": {"sun", "seon"}, "소": {"so"}, "봉": {"bong"},
	"남궁": {"namkoong", "namgung"}, "황보": {"hwangbo"}, "제갈": {"jegal"}, "선우": {"sunwoo", "seonu"}, "독고": {"dokko"},
}

// romanize spells a Hangul string in Revised Romanization; other runes are
// dropped.
func romanize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if !isHangulSyllable(r) {
			continue
		}
		i := int(r - hangulBase)
		b.WriteString(rrInitial[i/(hangulMedial*hangulFinal)])
		b.WriteString(rrMedial[i/hangulFinal%hangulMedial])
		b.WriteString(rrFinal[i%hangulFinal])
	}
	return b.String()
}

// skeleton reduces a romanised spelling to what survives the usual
// variations: vowels spelled oo/u, eo/o, ee/i, ae/e; voiced and unvoiced
// consonants (g/k, d/t, b/p, j/ch); r/l; h and y glides; doubled letters.
func skeleton(s string) string {
	s = strings.ToLower(s)
	for _, r := range [][2]string{
		{"ch", "j"}, {"sh", "s"}, {"ph", "p"}, {"th", "t"}, {"kh", "k"},
		{"oo", "u"}, {"ou", "u"}, {"ee", "i"}, {"eo", "o"}, {"eu", "u"}, {"ae", "e"}, {"oe", "e"},
		{"g", "k"}, {"d", "t"}, {"b", "p"}, {"r", "l"}, {"h", ""}, {"y", ""}, {"w", ""},
	} {
		s = strings.ReplaceAll(s, r[0], r[1])
	}
	var b strings.Builder
	var prev rune
	for _, r := range s {
		if r != prev && r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
		prev = r
	}
	return b.String()
}

// romanKey is a Hangul name's romanisation skeletons.
type romanKey struct {
	member   int
	surnames []string // skeletons
	given    string   // skeleton
	// sur is the surname in Hangul (정, 남궁), and spellings its exact
	// romanisations in lower case (jeong, jung, chung).
	sur       string
	spellings []string
}

// newRomanKey returns the romanisation of a Korean name of two to four
// syllables, or false. name must be compact (compactKey).
func newRomanKey(member int, name string) (romanKey, bool) {
	n := utf8.RuneCountInString(name)
	if n < 2 || n > 4 || strings.ContainsFunc(name, func(r rune) bool { return !isHangulSyllable(r) }) {
		return romanKey{}, false
	}
	r := []rune(name)
	cut := 1
	if _, ok := surnameSpellings[string(r[:2])]; ok && n >= 3 {
		cut = 2
	}
	sur, given := string(r[:cut]), string(r[cut:])
	sr := romanSurname(sur)
	return romanKey{member: member, given: skeleton(romanize(given)), sur: sur, surnames: sr.skeletons, spellings: sr.spellings}, true
}

// surnameRoman is a surname's romanisations: their skeletons, and the
// exact spellings in lower case.
type surnameRoman struct {
	skeletons, spellings []string
}

// knownSurnames are the romanisations of the surnames in surnameSpellings,
// worked out once and shared by every matcher (read only).
var knownSurnames = sync.OnceValue(func() map[string]surnameRoman {
	out := make(map[string]surnameRoman, len(surnameSpellings))
	for sur := range surnameSpellings {
		out[sur] = newSurnameRoman(sur)
	}
	return out
})

// romanSurname returns a surname's romanisations.
func romanSurname(sur string) surnameRoman {
	if sr, ok := knownSurnames()[sur]; ok {
		return sr
	}
	return newSurnameRoman(sur)
}

func newSurnameRoman(sur string) surnameRoman {
	sr := surnameRoman{skeletons: []string{skeleton(romanize(sur))}, spellings: []string{romanize(sur)}}
	for _, sp := range surnameSpellings[sur] {
		sr.skeletons = append(sr.skeletons, skeleton(sp))
		if !slices.Contains(sr.spellings, sp) {
			sr.spellings = append(sr.spellings, sp)
		}
	}
	return sr
}

// surnameFits reports whether a Latin word spells the surname exactly
// (JUNG, CHUNG or JEONG for 정; never a looser look-alike) or, when the
// text may have been cut at the bank's limit, is the start of a spelling,
// two letters at least (JEON of JEONG); cut reports the latter.
func (k romanKey) surnameFits(word string, mayBeCut bool) (ok, cut bool) {
	if slices.Contains(k.spellings, word) {
		return true, false
	}
	if mayBeCut && len(word) >= 2 {
		for _, sp := range k.spellings {
			if len(sp) > len(word) && strings.HasPrefix(sp, word) {
				return true, true
			}
		}
	}
	return false, false
}

// matches reports whether Latin words (surname first or last) spell the
// name; a cut-off text may end in the middle of the last word.
func (k romanKey) matches(words []string, cut bool) bool {
	if len(words) < 2 {
		return false
	}
	try := func(sur string, given []string) bool {
		s := skeleton(sur)
		found := false
		for _, ks := range k.surnames {
			if s == ks {
				found = true
				break
			}
		}
		if !found {
			return false
		}
		g := skeleton(strings.Join(given, ""))
		return g == k.given || cut && len(g) >= 2 && strings.HasPrefix(k.given, g)
	}
	return try(words[0], words[1:]) || try(words[len(words)-1], words[:len(words)-1])
}

// matchesOneWord reports whether a single Latin word spells the whole name
// (KIMMINSU, MINSUKIM) or, with partial set, only the given name (MINSU).
func (k romanKey) matchesOneWord(word string) (whole, partial bool) {
	w := skeleton(word)
	for _, s := range k.surnames {
		if w == s+k.given || w == k.given+s {
			return true, false
		}
	}
	return false, len(k.given) >= 3 && w == k.given
}
