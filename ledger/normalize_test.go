package ledger

import (
	"slices"
	"testing"
	"time"
)

func TestNormalizeText(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		want       string
		wantLatin  []string
		wantMasked bool
		wantRaw    int
	}{
		{"Hangul unchanged", "김민수", "김민수", nil, false, 3},
		{"spaces removed", "김 민수", "김민수", nil, false, 4},
		{"punctuation removed", "김민수(11월)", "김민수11월", nil, false, 8},
		{"Latin folded to lower case", "KIM MINSU", "kimminsu", []string{"kim", "minsu"}, false, 9},
		{"full-width Latin via NFKC", "ＫＩＭ ＭＩＮＳＵ", "kimminsu", []string{"kim", "minsu"}, false, 9},
		{"full-width digits via NFKC", "１１월회비", "11월회비", nil, false, 5},
		{"decomposed Hangul composes", "\u1100\u1175\u11b7\u1106\u1175\u11ab\u1109\u116e", "김민수", nil, false, 3},
		{"stray jamo kept as unknown text", "ㅋㅋ", "\u110f\u110f", nil, false, 2},
		{"asterisk mask", "김*수", "김*수", nil, true, 3},
		{"full-width asterisk mask", "김＊수", "김*수", nil, true, 3},
		{"circle mask", "김○수", "김*수", nil, true, 3},
		{"capital O between Hangul is a mask", "김O수", "김*수", nil, true, 3},
		{"O elsewhere is a letter", "OH MINSU", "ohminsu", []string{"oh", "minsu"}, false, 8},
		{"emoji dropped", "김민수🙏", "김민수", nil, false, 4},
		{"dash and tilde dropped", "9-10월 회비", "910월회비", nil, false, 8},
		{"leading and trailing space trimmed", "  김민수  ", "김민수", nil, false, 3},
		{"Hanja kept", "金민수", "金민수", nil, false, 3},
		{"empty", "", "", nil, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := normalizeText(tt.in)
			if got.s != tt.want {
				t.Errorf("normalizeText(%q).s = %q, want %q", tt.in, got.s, tt.want)
			}
			if !slices.Equal(got.latin, tt.wantLatin) {
				t.Errorf("latin = %q, want %q", got.latin, tt.wantLatin)
			}
			if got.masked != tt.wantMasked {
				t.Errorf("masked = %v, want %v", got.masked, tt.wantMasked)
			}
			if got.rawRunes != tt.wantRaw {
				t.Errorf("rawRunes = %d, want %d", got.rawRunes, tt.wantRaw)
			}
		})
	}
}

func TestTrim(t *testing.T) {
	wl := newWordList(groupWords("수요 배드민턴 클럽"))
	tests := []struct {
		name        string
		in          string
		wantRemoved []string
		wantCore    string
	}{
		{"dues suffix", "김민수회비", []string{"회비"}, "김민수"},
		{"dues prefix", "회비김민수", []string{"회비"}, "김민수"},
		{"month and dues", "11월회비김민수", []string{"11월", "회비"}, "김민수"},
		{"month with 분", "김민수11월분", []string{"11월분"}, "김민수"},
		{"month range", "910월회비김민수", []string{"910월", "회비"}, "김민수"},
		{"year", "2026년회비김민수", []string{"2026년", "회비"}, "김민수"},
		{"bare number", "김민수2026", []string{"2026"}, "김민수"},
		{"monthly dues word", "월회비김민수", []string{"월회비"}, "김민수"},
		{"meeting dues word", "모임비김민수", []string{"모임비"}, "김민수"},
		{"deposit word", "김민수입금", []string{"입금"}, "김민수"},
		{"bank prefix", "카뱅김민수", []string{"카뱅"}, "김민수"},
		{"Latin bank code", "kb김민수", []string{"kb"}, "김민수"},
		{"honorific", "김민수님", []string{"님"}, "김민수"},
		{"family word kept as a piece", "김민수엄마", []string{"엄마"}, "김민수"},
		{"group word", "배드민턴비이수진", []string{"배드민턴비"}, "이수진"},
		{"group word with 회비", "배드민턴회비이수진", []string{"배드민턴회비"}, "이수진"},
		{"words only at the edges", "김형수", nil, "김형수"},
		{"purpose text stays", "점심값김민수", nil, "점심값김민수"},
		{"all noise", "11월회비", []string{"11월", "회비"}, ""},
		{"interest word", "결산이자", []string{"결산이자"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			removed, core := wl.trim(tt.in)
			var got []string
			for _, p := range removed {
				got = append(got, p.text)
			}
			if !slices.Equal(got, tt.wantRemoved) || core != tt.wantCore {
				t.Errorf("trim(%q) = %q, %q; want %q, %q", tt.in, got, core, tt.wantRemoved, tt.wantCore)
			}
		})
	}
}

func TestGroupWords(t *testing.T) {
	tests := []struct {
		group string
		text  string
	}{
		{"수요 배드민턴 클럽", "배드민턴비"},
		{"수요 배드민턴 클럽", "클럽회비"},
		{"한울산악회", "산악회비"},
		{"한울산악회", "한울회비"},
		{"독서모임", "독서모임비"},
		{"독서모임", "독서비"},
		{"강남 테니스 동호회", "테니스비"},
		{"강남 테니스 동호회", "동호회비"},
		{"수요 요가 클래스", "요가비"},
		{"수요 요가 클래스", "요가"},
		{"수요 요가 클래스", "클래스비"},
		{"해솔전자 영업2팀", "영업2팀"},
		{"해솔전자 영업2팀", "팀비"},
		{"해솔전자 영업2팀", "팀회비"},
		{"해솔전자 영업2팀", "2팀회비"},
		{"해솔전자 영업2팀", "영업비"},
		{"소망교회 시온성가대", "성가대비"},
		{"소망교회 시온성가대", "성가대"},
		{"소망교회 시온성가대", "교회비"},
		{"토요 미술반", "미술반비"},
		{"토요 미술반", "미술비"},
		{"토요 미술반", "반비"},
		{"토요 미술반", "반회비"},
		{"서초 영어회화 클럽", "회화비"},
		{"새벽달 러닝크루", "러닝회비"},
	}
	for _, tt := range tests {
		t.Run(tt.group+"/"+tt.text, func(t *testing.T) {
			if got := groupWords(tt.group)[tt.text]; got != kindDues {
				t.Errorf("groupWords(%q)[%q] = %v, want dues", tt.group, tt.text, got)
			}
		})
	}
	// Not words: a one-syllable part alone, and the last two syllables of a
	// three-syllable word (가대 of 성가대, 래스 of 클래스).
	for _, tt := range []struct{ group, text string }{
		{"토요 미술반", "반"},
		{"해솔전자 영업2팀", "팀"},
		{"소망교회 시온성가대", "가대비"},
		{"소망교회 시온성가대", "대비"},
		{"수요 요가 클래스", "래스비"},
	} {
		if got, ok := groupWords(tt.group)[tt.text]; ok {
			t.Errorf("groupWords(%q)[%q] = %v, want no word", tt.group, tt.text, got)
		}
	}
}

// TestOwnWords checks that a word of the group's name that is a member's
// name or alias, or the start or end of one, is dropped with its forms,
// while the treasurer's words are kept unless they are a name.
func TestOwnWords(t *testing.T) {
	g := &Group{
		Name: "소망교회 시온성가대",
		Dues: DuesRule{Amount: 10000, Day: 1, Start: NewPeriod(2026, 1)},
		Members: []Member{
			{ID: "a", Name: "김소망"}, {ID: "b", Name: "성가은"}, {ID: "c", Name: "이시온"},
			{ID: "d", Name: "부서연", Aliases: []Alias{{Text: "찬양"}}},
		},
		Words: []string{"부서", "찬양"},
	}
	own := NewMatcher(g).own
	for _, w := range []string{"성가대", "성가대비", "교회", "교회비", "부서", "부서회비"} {
		if own[w] != kindDues {
			t.Errorf("own[%q] = %v, want dues", w, own[w])
		}
	}
	for _, w := range []string{"소망", "소망회비", "시온", "시온회비", "찬양"} {
		if k, ok := own[w]; ok {
			t.Errorf("own[%q] = %v, want no word", w, k)
		}
	}
}

func TestJamoDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"김민수", "김민수", 0},
		{"김민슈", "김민수", 1}, // medial ㅠ for ㅜ
		{"김민숙", "김민수", 1}, // a final consonant added
		{"김빈수", "김민수", 1}, // initial ㅂ for ㅁ
		{"김민지", "김민수", 2},
		{"김민", "김민수", -1},
		{"kim", "kin", -1},
	}
	for _, tt := range tests {
		t.Run(tt.a+"/"+tt.b, func(t *testing.T) {
			if got := jamoDistance(tt.a, tt.b); got != tt.want {
				t.Errorf("jamoDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestMaskMatches(t *testing.T) {
	tests := []struct {
		masked, name string
		want         bool
	}{
		{"김*수", "김민수", true},
		{"김*수", "김영수", true},
		{"김*수", "김민지", false},
		{"김**", "김민수", true},
		{"***", "김민수", false},
		{"김*", "김민수", false},
	}
	for _, tt := range tests {
		t.Run(tt.masked+"/"+tt.name, func(t *testing.T) {
			if got := maskMatches(tt.masked, tt.name); got != tt.want {
				t.Errorf("maskMatches(%q, %q) = %v, want %v", tt.masked, tt.name, got, tt.want)
			}
		})
	}
}

func TestParsePeriod(t *testing.T) {
	tests := []struct {
		in      string
		want    Period
		wantErr bool
	}{
		{"2026-11", NewPeriod(2026, time.November), false},
		{"2026-01", NewPeriod(2026, time.January), false},
		{"", 0, false},
		{"2026-13", 0, true},
		{"2026-00", 0, true},
		{"2026-1", 0, true},
		{"26-11", 0, true},
		{"2026/11", 0, true},
		{"+026-11", 0, true},
		{"2026-+1", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePeriod(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParsePeriod(%q) = %v, %v; want %v, err %v", tt.in, got, err, tt.want, tt.wantErr)
			}
			if err == nil && got.String() != tt.in {
				t.Errorf("String() = %q, want %q", got.String(), tt.in)
			}
		})
	}
}

func TestPeriodArithmetic(t *testing.T) {
	p := NewPeriod(2026, time.December)
	if got, want := (p + 1).String(), "2027-01"; got != want {
		t.Errorf("2026-12 + 1 = %s, want %s", got, want)
	}
	if got, want := MonthOf(time.Date(2026, 11, 30, 23, 59, 0, 0, KST())).String(), "2026-11"; got != want {
		t.Errorf("MonthOf = %s, want %s", got, want)
	}
	if got, want := NewPeriod(2026, time.November).DueDate(31, KST()).Day(), 30; got != want {
		t.Errorf("due day 31 in November = %d, want %d", got, want)
	}
	if got, want := NewPeriod(2026, time.February).DueDate(30, KST()).Day(), 28; got != want {
		t.Errorf("due day 30 in February 2026 = %d, want %d", got, want)
	}
}

func TestNormalizeTextBreaks(t *testing.T) {
	tests := []struct {
		in   string
		want []int // byte offsets in the compact text
	}{
		{"김민수", nil},
		{"김 민수", []int{3}},
		{"안나 연회비", []int{6}},
		{"  (11월) 김민수 ", []int{5}},
		{"KIM MINSU", []int{3}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := normalizeText(tt.in).breaks; !slices.Equal(got, tt.want) {
				t.Errorf("breaks of %q = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
