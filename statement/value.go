package statement

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/moimbot/moimbot/ledger"
)

// maxWon bounds an amount or a balance, as ledger.ReadTransactions does: far
// above any group's money, far below where int64 sums overflow.
const maxWon = 1_000_000_000_000

// normName normalises a header or preamble key for comparison: NFKC, lower
// case, without white space, parenthesised or bracketed parts ("(원)") and
// required-field stars.
func normName(s string) string {
	s = strings.ToLower(norm.NFKC.String(s))
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '(' || r == '[':
			depth++
		case r == ')' || r == ']':
			if depth > 0 {
				depth--
			}
		case depth > 0, unicode.IsSpace(r), r == '*', r == '※':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// cleanText is a cell's text for PrintContent, Account and Holder: runs of
// white space (including no-break spaces and line breaks) become one space,
// and the ends are trimmed.
func cleanText(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// dropParens removes parenthesised parts, such as the weekday in
// "2026-11-24(화)".
func dropParens(s string) string {
	if !strings.Contains(s, "(") {
		return s
	}
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '(':
			depth++
		case r == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// civil is a wall-clock date and time in Asia/Seoul.
type civil struct {
	y, mo, d, h, mi, s int
	hasTime            bool
}

func (c civil) time() time.Time {
	return time.Date(c.y, time.Month(c.mo), c.d, c.h, c.mi, c.s, 0, ledger.KST())
}

// valid reports whether c names a real date and time of day.
func (c civil) valid() bool {
	if c.y < 1900 || c.y > 2200 || c.h < 0 || c.h > 23 || c.mi < 0 || c.mi > 59 || c.s < 0 || c.s > 59 {
		return false
	}
	t := time.Date(c.y, time.Month(c.mo), c.d, 0, 0, 0, 0, time.UTC)
	return t.Year() == c.y && int(t.Month()) == c.mo && t.Day() == c.d
}

// isNumber reports whether s is a plain decimal number (digits with at most
// one '.'), as Excel stores a date serial.
func isNumber(s string) bool {
	dot := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
		case c == '.' && !dot && i > 0:
			dot = true
		default:
			return false
		}
	}
	return s != ""
}

// excelEpoch is day 0 of Excel's 1900 date system as used for every date
// after February 1900.
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// fromSerial converts an Excel date serial (days since excelEpoch, the
// fraction being the time of day) to civil, rounding to the second.
func fromSerial(f float64) civil {
	days := math.Floor(f)
	secs := int(math.Round((f - days) * 86400))
	t := excelEpoch.AddDate(0, 0, int(days)).Add(time.Duration(secs) * time.Second)
	return civil{y: t.Year(), mo: int(t.Month()), d: t.Day(), h: t.Hour(), mi: t.Minute(), s: t.Second(), hasTime: secs != 0}
}

// Excel serials accepted as dates: 1954-10-03 up to 2119-01-08, so that a
// plain number (an amount, 20261124) is never taken for one.
const (
	minSerial = 20000
	maxSerial = 80000
)

// meridiem removes a Korean or English AM/PM marker from s and reports it:
// +1 for PM, -1 for AM, 0 for none.
func meridiem(s string) (string, int) {
	for _, m := range []struct {
		word string
		pm   int
	}{{"오후", 1}, {"pm", 1}, {"오전", -1}, {"am", -1}} {
		if i := strings.Index(s, m.word); i >= 0 {
			return s[:i] + " " + s[i+len(m.word):], m.pm
		}
	}
	return s, 0
}

// digitRuns splits s into its runs of ASCII digits. It fails when s holds
// anything but digits and the separators dates and times are written with.
func digitRuns(s string) ([]string, bool) {
	var runs []string
	start := -1
	for i, r := range s {
		if r >= '0' && r <= '9' {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			runs = append(runs, s[start:i])
			start = -1
		}
		if !strings.ContainsRune(" .-/:t년월일시분초,", r) && !unicode.IsSpace(r) {
			return nil, false
		}
	}
	if start >= 0 {
		runs = append(runs, s[start:])
	}
	return runs, len(runs) > 0
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// parseClock reads a time of day from digit runs: hhmmss, hhmm (or hmmss,
// hmm), h m, h m s, or h m s and a fraction of a second (ignored).
func parseClock(runs []string) (h, mi, s int, ok bool) {
	if len(runs) == 1 && (len(runs[0]) == 5 || len(runs[0]) == 3) {
		// A number cell loses the leading zero of 090311 or 0903.
		runs = []string{"0" + runs[0]}
	}
	switch {
	case len(runs) == 1 && len(runs[0]) == 6:
		return atoi(runs[0][:2]), atoi(runs[0][2:4]), atoi(runs[0][4:]), true
	case len(runs) == 1 && len(runs[0]) == 4:
		return atoi(runs[0][:2]), atoi(runs[0][2:]), 0, true
	case len(runs) >= 2 && len(runs) <= 4 && len(runs[0]) <= 2 && len(runs[1]) == 2 && (len(runs) < 3 || len(runs[2]) == 2):
		if len(runs) >= 3 {
			s = atoi(runs[2])
		}
		return atoi(runs[0]), atoi(runs[1]), s, true
	}
	return 0, 0, 0, false
}

// parseDateTime reads a date with an optional time: 2026.11.24 19:03:11,
// 2026-11-24 19:03, 2026/11/24, 20261124, 20261124190311, 2026. 11. 24.,
// 2026년 11월 24일, 2026-11-24 오후 7:03:11, 2026-11-24T19:03:11. With
// serial, an Excel date serial (46350.79) is read too.
func parseDateTime(raw string, serial bool) (civil, bool) {
	s := strings.ToLower(strings.TrimSpace(dropParens(norm.NFKC.String(raw))))
	if s == "" {
		return civil{}, false
	}
	if serial && isNumber(s) {
		if f, err := strconv.ParseFloat(s, 64); err == nil && f >= minSerial && f < maxSerial {
			c := fromSerial(f)
			return c, c.valid()
		}
	}
	s, pm := meridiem(s)
	runs, ok := digitRuns(s)
	if !ok {
		return civil{}, false
	}
	var c civil
	var rest []string
	switch first := runs[0]; {
	case len(first) == 14:
		c = civil{y: atoi(first[:4]), mo: atoi(first[4:6]), d: atoi(first[6:8]), h: atoi(first[8:10]), mi: atoi(first[10:12]), s: atoi(first[12:]), hasTime: true}
		if len(runs) > 1 {
			return civil{}, false
		}
	case len(first) == 8:
		c = civil{y: atoi(first[:4]), mo: atoi(first[4:6]), d: atoi(first[6:])}
		rest = runs[1:]
	case len(first) == 4 && len(runs) >= 3 && len(runs[1]) <= 2 && len(runs[2]) <= 2:
		c = civil{y: atoi(first), mo: atoi(runs[1]), d: atoi(runs[2])}
		rest = runs[3:]
	default:
		return civil{}, false
	}
	if len(rest) > 0 {
		h, mi, sec, ok := parseClock(rest)
		if !ok {
			return civil{}, false
		}
		c.h, c.mi, c.s, c.hasTime = h, mi, sec, true
	}
	if pm != 0 {
		if !c.hasTime || c.h > 12 || c.h == 0 {
			return civil{}, false
		}
		c.h = applyMeridiem(c.h, pm)
	}
	return c, c.valid()
}

func applyMeridiem(h, pm int) int {
	switch {
	case pm > 0 && h < 12:
		return h + 12
	case pm < 0 && h == 12:
		return 0
	}
	return h
}

// parseTimeOfDay reads a time column: 19:03:11, 19:03, 190311, 오후 7:03:11,
// a full date and time (whose time is taken) and, with serial, an Excel time
// (the fraction of a day, 0.7938) or date-time serial.
func parseTimeOfDay(raw string, serial bool) (h, mi, s int, ok bool) {
	str := strings.ToLower(strings.TrimSpace(norm.NFKC.String(raw)))
	if str == "" {
		return 0, 0, 0, false
	}
	if serial && isNumber(str) && strings.Contains(str, ".") || str == "0" {
		if f, err := strconv.ParseFloat(str, 64); err == nil && (f < 1 || f >= minSerial && f < maxSerial) {
			c := fromSerial(f + minSerial) // any whole day; only the fraction counts
			return c.h, c.mi, c.s, true
		}
	}
	if c, ok := parseDateTime(raw, serial); ok && c.hasTime {
		return c.h, c.mi, c.s, true
	}
	str, pm := meridiem(str)
	runs, ok := digitRuns(str)
	if !ok {
		return 0, 0, 0, false
	}
	if h, mi, s, ok = parseClock(runs); !ok {
		return 0, 0, 0, false
	}
	if pm != 0 {
		if h > 12 || h == 0 {
			return 0, 0, 0, false
		}
		h = applyMeridiem(h, pm)
	}
	if h > 23 || mi > 59 || s > 59 {
		return 0, 0, 0, false
	}
	return h, mi, s, true
}

// parseWon parses an amount of won: digits with thousands separators,
// spaces, a 원, ₩ or KRW mark, a leading - or +, a trailing -, or
// parentheses for a negative; a number with a zero fraction (30000.0,
// 3E4), as spreadsheets store it, too. empty reports a blank cell (or one
// holding only "-").
func parseWon(raw string) (v int64, empty bool, ok bool) {
	s := strings.TrimSpace(norm.NFKC.String(raw))
	neg := false
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		neg, s = true, s[1:len(s)-1]
	}
	s = strings.Map(func(r rune) rune {
		if r == ',' || r == '원' || r == '₩' || r == '\\' || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	s = strings.TrimPrefix(strings.TrimSuffix(strings.ToLower(s), "krw"), "krw")
	if s == "" || s == "-" {
		if neg {
			return 0, false, false // "()"
		}
		return 0, true, true
	}
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = !neg, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	case strings.HasSuffix(s, "-"):
		neg, s = !neg, s[:len(s)-1]
	}
	if s == "" {
		return 0, false, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && s[0] != '+' && s[0] != '-' {
		if n > maxWon {
			return 0, false, false
		}
		if neg {
			n = -n
		}
		return n, false, true
	}
	if !floatLike(s) {
		return 0, false, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || f > maxWon {
		return 0, false, false
	}
	n := int64(f)
	if neg {
		n = -n
	}
	return n, false, true
}

// floatLike reports whether s is digits with an optional fraction and
// exponent, the only float syntax parseWon accepts (never NaN, Inf or hex).
func floatLike(s string) bool {
	i, digits := 0, 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i, digits = i+1, digits+1
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start || i-start > 2 {
			return false
		}
	}
	return i == len(s)
}

// periodDate finds the dates in a preamble's period text.
var periodDate = regexp.MustCompile(`(\d{4})\s*[.\-/년]\s*(\d{1,2})\s*[.\-/월]\s*(\d{1,2})|(\d{4})(\d{2})(\d{2})`)

// parsePeriod reads "2026.11.01 ~ 2026.11.30", "2026-11-01 - 2026-11-30" or
// "20261101~20261130" into the first day's start and the last day's end.
func parsePeriod(s string) (from, to time.Time, ok bool) {
	m := periodDate.FindAllStringSubmatch(norm.NFKC.String(s), -1)
	if len(m) < 2 {
		return time.Time{}, time.Time{}, false
	}
	day := func(g []string) (civil, bool) {
		if g[1] == "" {
			g = []string{g[0], g[4], g[5], g[6]}
		}
		c := civil{y: atoi(g[1]), mo: atoi(g[2]), d: atoi(g[3])}
		return c, c.valid()
	}
	a, ok1 := day(m[0])
	b, ok2 := day(m[len(m)-1])
	if !ok1 || !ok2 {
		return time.Time{}, time.Time{}, false
	}
	b.h, b.mi, b.s = 23, 59, 59
	from, to = a.time(), b.time()
	if to.Before(from) {
		return time.Time{}, time.Time{}, false
	}
	return from, to, true
}
