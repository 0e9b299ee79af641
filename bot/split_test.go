package bot

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		limit int
		want  []string
	}{
		{"Empty", "", 10, nil},
		{"Fits", "안녕하세요", 5, []string{"안녕하세요"}},
		{"AtLineBreaks", "aaa\nbbb\nccc", 8, []string{"aaa\nbbb\n", "ccc"}},
		{"LastLineBreakThatFits", "aa\nbb\ncc\ndd", 6, []string{"aa\nbb\n", "cc\ndd"}},
		{"LineFitsExactly", "aaaa\nbb", 4, []string{"aaaa", "\nbb"}},
		{"LongLineAtSpace", "aaa bbb ccc", 9, []string{"aaa bbb ", "ccc"}},
		{"SpaceTooEarlyIgnored", "a bbbbbbbbbb", 8, []string{"a bbbbbb", "bbbb"}},
		{"LongLineAtRunes", "가나다라마바", 4, []string{"가나다라", "마바"}},
		{"SurrogatePairsCountTwo", "😀😀😀", 4, []string{"😀😀", "😀"}},
		{"SurrogatePairNeverHalved", "a😀b", 2, []string{"a", "😀", "b"}},
		{"LimitBelowTwoIsTwo", "abc", 0, []string{"ab", "c"}},
		{"NegativeLimit", "😀", -5, []string{"😀"}},
		{"LeadingBlankLinesStayWithText", "\n\nabcdef", 4, []string{"\n\nab", "cdef"}},
		{"OnlyWhiteSpace", "\n\n\n", 2, []string{"\n\n", "\n"}},
		{"TrailingNewlineKept", "abc\n", 3, []string{"abc", "\n"}},
		{"InvalidBytesCountOne", "a\xffb\xfe", 2, []string{"a\xff", "b\xfe"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Split(tt.text, tt.limit)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Split(%q, %d) = %q, want %q", tt.text, tt.limit, got, tt.want)
			}
		})
	}
}

func TestSplitBoard(t *testing.T) {
	// A realistic long message splits at line breaks, and each part fits.
	var b strings.Builder
	for i := range 400 {
		b.WriteString("💰 김민수님 30,000원 입금 — 11월 회비 완납 (6/8명)")
		if i < 399 {
			b.WriteString("\n")
		}
	}
	text := b.String()
	parts := Split(text, Limit("telegram"))
	if len(parts) < 2 {
		t.Fatalf("got %d parts, want several", len(parts))
	}
	for i, p := range parts {
		if n := utf16Len(p); n > 4096 {
			t.Errorf("part %d has %d units", i, n)
		}
		if i < len(parts)-1 && !strings.HasSuffix(p, "\n") {
			t.Errorf("part %d does not end at a line break: %q", i, p[len(p)-20:])
		}
	}
	if got := strings.Join(parts, ""); got != text {
		t.Error("parts do not join back to the text")
	}
}

func TestUTF16Len(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"회비", 2},
		{"😀", 2},
		{"💰 a", 4},
		{"\xff\xfe", 2},
	}
	for _, tt := range tests {
		if got := utf16Len(tt.in); got != tt.want {
			t.Errorf("utf16Len(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func FuzzSplit(f *testing.F) {
	f.Add("💰 김민수님 30,000원 입금\n— 11월 회비 완납 (6/8명)", 7)
	f.Add("a😀b\n\n\nc d e f g", 2)
	f.Add("\xff\xf0\x9f\x98", 3)
	f.Add("", 0)
	f.Add("line one\nline two is longer than the limit\n", 10)
	f.Fuzz(func(t *testing.T, text string, limit int) {
		limit = limit % 5000
		parts := Split(text, limit)
		if got := strings.Join(parts, ""); got != text {
			t.Fatalf("Split(%q, %d) = %q: joins to %q", text, limit, parts, got)
		}
		max := max(limit, 2)
		valid := utf8.ValidString(text)
		for i, p := range parts {
			if p == "" {
				t.Fatalf("part %d is empty", i)
			}
			if n := utf16Len(p); n > max {
				t.Fatalf("part %d %q has %d units, limit %d", i, p, n, max)
			}
			if valid && !utf8.ValidString(p) {
				t.Fatalf("part %d %q is not valid UTF-8", i, p)
			}
		}
	})
}
