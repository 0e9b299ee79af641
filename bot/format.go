package bot

import (
	"strconv"
	"strings"
	"time"

	"github.com/moimbot/moimbot/ledger"
)

// Lang is the language of moimbot's messages.
type Lang string

// Languages. Korean is the default.
const (
	Korean  Lang = "ko"
	English Lang = "en"
)

// ParseLang reads a language setting: "en", "EN", "english" or a tag such as
// "en-US" give English; anything else, including "", gives Korean.
func ParseLang(s string) Lang {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "en" || s == "english" || strings.HasPrefix(s, "en-") || strings.HasPrefix(s, "en_") {
		return English
	}
	return Korean
}

// Won formats n won with thousands separators: "30,000원" and "-5,000원" in
// Korean, "₩30,000" and "-₩5,000" in English.
func Won(lang Lang, n int64) string {
	sign := ""
	u := uint64(n)
	if n < 0 {
		sign = "-"
		u = -u // two's complement: correct for math.MinInt64 too
	}
	digits := strconv.FormatUint(u, 10)
	var b strings.Builder
	b.Grow(len(digits) + len(digits)/3 + 5)
	b.WriteString(sign)
	if lang == English {
		b.WriteString("₩")
	}
	for i := range len(digits) {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(digits[i])
	}
	if lang != English {
		b.WriteString("원")
	}
	return b.String()
}

var koreanWeekdays = [...]string{"일", "월", "화", "수", "목", "금", "토"}

// formatDate renders t's day in KST: "11월 25일(수)" or "Wed, Nov 25".
func formatDate(lang Lang, t time.Time) string {
	t = t.In(ledger.KST())
	if lang == English {
		return t.Format("Mon, Jan 2")
	}
	return strconv.Itoa(int(t.Month())) + "월 " + strconv.Itoa(t.Day()) + "일(" + koreanWeekdays[t.Weekday()] + ")"
}

// formatDateTime renders t in KST to the minute: "11월 25일(수) 21:03" or
// "Wed, Nov 25 21:03".
func formatDateTime(lang Lang, t time.Time) string {
	return formatDate(lang, t) + " " + t.In(ledger.KST()).Format("15:04")
}

// monthName names p: "11월" or "November", with the year ("2027년 1월",
// "January 2027") when it differs from ref's year.
func monthName(lang Lang, p, ref ledger.Period) string {
	sameYear := p.Year() == ref.Year()
	if lang == English {
		if sameYear {
			return p.Month().String()
		}
		return p.Month().String() + " " + strconv.Itoa(p.Year())
	}
	if sameYear {
		return strconv.Itoa(int(p.Month())) + "월"
	}
	return strconv.Itoa(p.Year()) + "년 " + strconv.Itoa(int(p.Month())) + "월"
}

// monthRange names the months from a to b: "12월~2027년 1월", "2027년
// 1~2월", "11~12월"; "December–January 2027", "January–February 2027". A
// range of one month is monthName.
func monthRange(lang Lang, a, b, ref ledger.Period) string {
	if a == b {
		return monthName(lang, a, ref)
	}
	if lang == English {
		if a.Year() == b.Year() {
			return a.Month().String() + "–" + monthName(lang, b, ref)
		}
		return monthName(lang, a, ref) + "–" + monthName(lang, b, a)
	}
	if a.Year() == b.Year() {
		return strings.TrimSuffix(monthName(lang, a, ref), "월") + "~" + strconv.Itoa(int(b.Month())) + "월"
	}
	return monthName(lang, a, ref) + "~" + monthName(lang, b, a)
}

// endOfDay returns the midnight that ends t's day in KST.
func endOfDay(t time.Time) time.Time {
	y, m, d := t.In(ledger.KST()).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, ledger.KST())
}
