package bot

import (
	"math"
	"testing"
	"time"

	"github.com/moimbot/moimbot/ledger"
)

func TestParseLang(t *testing.T) {
	tests := []struct {
		in   string
		want Lang
	}{
		{"", Korean},
		{"ko", Korean},
		{"KO", Korean},
		{"korean", Korean},
		{"en", English},
		{"EN", English},
		{" english ", English},
		{"English", English},
		{"en-US", English},
		{"fr", Korean},
		{"eng", Korean},
	}
	for _, tt := range tests {
		if got := ParseLang(tt.in); got != tt.want {
			t.Errorf("ParseLang(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWon(t *testing.T) {
	tests := []struct {
		lang Lang
		n    int64
		want string
	}{
		{Korean, 0, "0원"},
		{Korean, 999, "999원"},
		{Korean, 1000, "1,000원"},
		{Korean, 30000, "30,000원"},
		{Korean, 1234567, "1,234,567원"},
		{Korean, -5000, "-5,000원"},
		{Korean, -999, "-999원"},
		{English, 30000, "₩30,000"},
		{English, -5000, "-₩5,000"},
		{English, 100000, "₩100,000"},
		{Korean, math.MaxInt64, "9,223,372,036,854,775,807원"},
		{Korean, math.MinInt64, "-9,223,372,036,854,775,808원"},
		{English, math.MinInt64, "-₩9,223,372,036,854,775,808"},
		{"xx", 30000, "30,000원"},
	}
	for _, tt := range tests {
		if got := Won(tt.lang, tt.n); got != tt.want {
			t.Errorf("Won(%q, %d) = %q, want %q", tt.lang, tt.n, got, tt.want)
		}
	}
}

func TestFormatDate(t *testing.T) {
	// 13:03 UTC is 22:03 in Seoul: the dates must be read in KST.
	at := time.Date(2026, 11, 24, 13, 3, 0, 0, time.UTC)
	midnight := time.Date(2026, 11, 24, 15, 30, 0, 0, time.UTC) // 00:30 on the 25th in Seoul
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"KoreanDate", formatDate(Korean, at), "11월 24일(화)"},
		{"KoreanDateTime", formatDateTime(Korean, at), "11월 24일(화) 22:03"},
		{"EnglishDate", formatDate(English, at), "Tue, Nov 24"},
		{"EnglishDateTime", formatDateTime(English, at), "Tue, Nov 24 22:03"},
		{"KoreanNextDay", formatDateTime(Korean, midnight), "11월 25일(수) 00:30"},
		{"EnglishNextDay", formatDate(English, midnight), "Wed, Nov 25"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestMonthName(t *testing.T) {
	nov26 := ledger.NewPeriod(2026, time.November)
	tests := []struct {
		lang   Lang
		p, ref ledger.Period
		want   string
	}{
		{Korean, nov26, nov26, "11월"},
		{Korean, nov26 + 2, nov26, "2027년 1월"},
		{Korean, nov26 - 1, nov26 + 2, "2026년 10월"},
		{English, nov26, nov26, "November"},
		{English, nov26 + 2, nov26, "January 2027"},
	}
	for _, tt := range tests {
		if got := monthName(tt.lang, tt.p, tt.ref); got != tt.want {
			t.Errorf("monthName(%q, %v, %v) = %q, want %q", tt.lang, tt.p, tt.ref, got, tt.want)
		}
	}
}

func TestLimit(t *testing.T) {
	tests := []struct {
		platform string
		want     int
	}{
		{"telegram", 4096},
		{"slack", 3000},
		{"console", 4096},
		{"", 4096},
	}
	for _, tt := range tests {
		if got := Limit(tt.platform); got != tt.want {
			t.Errorf("Limit(%q) = %d, want %d", tt.platform, got, tt.want)
		}
	}
}
