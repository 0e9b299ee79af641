package statement

import (
	"fmt"
	"testing"
)

func TestParseDateTime(t *testing.T) {
	tests := []struct {
		in     string
		serial bool
		want   string // "" for not a date
	}{
		{"2026.11.24 19:03:11", false, "2026-11-24 19:03:11 time"},
		{"2026-11-24 19:03", false, "2026-11-24 19:03:00 time"},
		{"2026/11/24", false, "2026-11-24 00:00:00"},
		{"20261124", false, "2026-11-24 00:00:00"},
		{"20261124190311", false, "2026-11-24 19:03:11 time"},
		{"20261124 190311", false, "2026-11-24 19:03:11 time"},
		{"2026.11.24", false, "2026-11-24 00:00:00"},
		{"2026. 11. 24.", false, "2026-11-24 00:00:00"},
		{"2026년 11월 24일", false, "2026-11-24 00:00:00"},
		{"2026-11-24(화)", false, "2026-11-24 00:00:00"},
		{"2026-11-24 오후 7:03:11", false, "2026-11-24 19:03:11 time"},
		{"2026-11-24 오전 12:30", false, "2026-11-24 00:30:00 time"},
		{"2026-11-24 PM 12:30", false, "2026-11-24 12:30:00 time"},
		{"2026-11-24T19:03:11", false, "2026-11-24 19:03:11 time"},
		{"2026-11-24 19:03:11.250", false, "2026-11-24 19:03:11 time"},
		{"２０２６－１１－２４", false, "2026-11-24 00:00:00"},
		{"46350", true, "2026-11-24 00:00:00"},
		{"46350.79387731481", true, "2026-11-24 19:03:11 time"},
		{"46350.79387731481", false, ""},
		{"46350", false, ""},
		{"2026-02-30", false, ""},
		{"2026-13-01", false, ""},
		{"2026-11-24 24:00", false, ""},
		{"2026-11-24 오후 13:00", false, ""},
		{"26.11.24", false, ""},
		{"합계", false, ""},
		{"총 3건", false, ""},
		{"", false, ""},
		{"12345", true, ""},
		{"2026", false, ""},
	}
	for _, tt := range tests {
		c, ok := parseDateTime(tt.in, tt.serial)
		got := ""
		if ok {
			got = c.time().Format("2006-01-02 15:04:05")
			if c.hasTime {
				got += " time"
			}
		}
		if got != tt.want {
			t.Errorf("parseDateTime(%q, %v) = %q, want %q", tt.in, tt.serial, got, tt.want)
		}
	}
}

func TestParseTimeOfDay(t *testing.T) {
	tests := []struct {
		in     string
		serial bool
		want   string
	}{
		{"19:03:11", false, "19:03:11"},
		{"19:03", false, "19:03:00"},
		{"9:03:11", false, "09:03:11"},
		{"190311", false, "19:03:11"},
		{"1903", false, "19:03:00"},
		{"90311", false, "09:03:11"},
		{"903", false, "09:03:00"},
		{"오후 7:03", false, "19:03:00"},
		{"2026-11-24 19:03:11", false, "19:03:11"},
		{"0.79387731481", true, "19:03:11"},
		{"46350.5", true, "12:00:00"},
		{"0.99999999", true, "00:00:00"}, // rounds up to the next midnight
		{"190311", true, "19:03:11"},
		{"0.5", false, ""},
		{"25:00", false, ""},
		{"19:60", false, ""},
		{"abc", false, ""},
		{"", false, ""},
	}
	for _, tt := range tests {
		h, m, s, ok := parseTimeOfDay(tt.in, tt.serial)
		got := ""
		if ok {
			got = fmt.Sprintf("%02d:%02d:%02d", h, m, s)
		}
		if got != tt.want {
			t.Errorf("parseTimeOfDay(%q, %v) = %q, want %q", tt.in, tt.serial, got, tt.want)
		}
	}
}

func TestParseWon(t *testing.T) {
	tests := []struct {
		in    string
		want  int64
		empty bool
		ok    bool
	}{
		{"30000", 30000, false, true},
		{"30,000", 30000, false, true},
		{"30,000원", 30000, false, true},
		{"₩30,000", 30000, false, true},
		{"￦30,000", 30000, false, true},
		{"\\30,000", 30000, false, true},
		{" 30 000 ", 30000, false, true},
		{"30,000 KRW", 30000, false, true},
		{"-12,500", -12500, false, true},
		{"+12,500", 12500, false, true},
		{"(12,500)", -12500, false, true},
		{"12,500-", -12500, false, true},
		{"30000.0", 30000, false, true},
		{"1.7449637E7", 17449637, false, true},
		{"３０，０００", 30000, false, true},
		{"0", 0, false, true},
		{"", 0, true, true},
		{"-", 0, true, true},
		{"  ", 0, true, true},
		{"30000.5", 0, false, false},
		{"NaN", 0, false, false},
		{"Inf", 0, false, false},
		{"0x10", 0, false, false},
		{"1e400", 0, false, false},
		{"--5", 0, false, false},
		{"삼만원", 0, false, false},
		{"1000000000001", 0, false, false},
		{"99999999999999999999", 0, false, false},
		{"()", 0, false, false},
	}
	for _, tt := range tests {
		got, empty, ok := parseWon(tt.in)
		if got != tt.want || empty != tt.empty || ok != tt.ok {
			t.Errorf("parseWon(%q) = %d, %v, %v; want %d, %v, %v", tt.in, got, empty, ok, tt.want, tt.empty, tt.ok)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		in   string
		want direction
	}{
		{"입금", dirIn}, {"출금", dirOut}, {"이체입금", dirIn}, {"타행 입금", dirIn}, {"지급", dirOut}, {"입", dirIn},
		{"출", dirOut}, {"이자입금", dirIn}, {"프로모션입금", dirIn}, {"Deposit", dirIn}, {"DEBIT", dirOut},
		{"입금취소", dirUnknown}, {"출금취소", dirUnknown}, {"체크카드결제", dirUnknown}, {"송금", dirUnknown},
		{"입출금", dirUnknown}, {"", dirUnknown},
	}
	for _, tt := range tests {
		if got := classify(tt.in); got != tt.want {
			t.Errorf("classify(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestParsePeriod(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2026.11.01 ~ 2026.11.30", "2026-11-01 00:00:00 - 2026-11-30 23:59:59"},
		{"2026.05.01 - 2026.05.26", "2026-05-01 00:00:00 - 2026-05-26 23:59:59"},
		{"2026-11-01~2026-11-30", "2026-11-01 00:00:00 - 2026-11-30 23:59:59"},
		{"20261101~20261130", "2026-11-01 00:00:00 - 2026-11-30 23:59:59"},
		{"2026년 11월 1일 ~ 2026년 11월 30일", "2026-11-01 00:00:00 - 2026-11-30 23:59:59"},
		{"2026.11.30 ~ 2026.11.01", ""},
		{"2026.11.01", ""},
		{"최근 1개월", ""},
	}
	for _, tt := range tests {
		from, to, ok := parsePeriod(tt.in)
		got := ""
		if ok {
			got = from.Format("2006-01-02 15:04:05") + " - " + to.Format("2006-01-02 15:04:05")
		}
		if got != tt.want {
			t.Errorf("parsePeriod(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"거래 후 잔액", "거래후잔액"},
		{"입금(원)", "입금"},
		{"출금 (원)", "출금"},
		{"잔액[원]", "잔액"},
		{"*거래일시", "거래일시"},
		{"Amount", "amount"},
		{"보낸분/받는분", "보낸분/받는분"},
		{"거래\n일시", "거래일시"},
		{"（원）금액", "금액"},
	}
	for _, tt := range tests {
		if got := normName(tt.in); got != tt.want {
			t.Errorf("normName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestProfiles checks that every profile is detected from its own header
// and from no other profile's, and that Profiles returns copies.
func TestProfiles(t *testing.T) {
	ps := Profiles()
	for _, p := range ps {
		names := map[string]bool{}
		for _, h := range p.Header {
			names[normName(h)] = true
		}
		if got := detectProfile(names, ""); got.Name != p.Name {
			t.Errorf("header of %s detected as %s", p.Name, got.Name)
		}
		if p.Display == "" || p.Layout == "" || p.Basis == "" || len(p.Formats) == 0 {
			t.Errorf("profile %s lacks a description", p.Name)
		}
		if p.Encrypted != (p.Password != "") {
			t.Errorf("profile %s: Encrypted %v with Password %q", p.Name, p.Encrypted, p.Password)
		}
	}
	union := func(names ...string) map[string]bool {
		m := map[string]bool{}
		for _, n := range names {
			p, _ := profileByName(n)
			for _, h := range p.Header {
				m[normName(h)] = true
			}
		}
		return m
	}
	for _, tt := range []struct {
		header map[string]bool
		hints  string
		want   string
	}{
		{union("nh", "kbank"), "", "nh"}, // more of its header
		{union("nh", "kbank"), "x|케이뱅크거래내역|", "kbank"},
		{union("shinhan", "kbank"), "", "generic"}, // a tie
		{union("shinhan", "kbank"), "신한은행", "shinhan"},
		{map[string]bool{"거래일시": true, "입금": true, "출금": true, "내용": true}, "카카오뱅크", "generic"},
	} {
		if got := detectProfile(tt.header, tt.hints); got.Name != tt.want {
			t.Errorf("detectProfile(%v, %q) = %s, want %s", tt.header, tt.hints, got.Name, tt.want)
		}
	}
	ps[0].Header[0] = "changed"
	if Profiles()[0].Header[0] == "changed" {
		t.Error("Profiles shares its slices with the package")
	}
}
