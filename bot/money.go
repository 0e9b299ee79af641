package bot

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxAmount is the largest amount in won a command accepts (1억원): monthly
// dues, a member's own dues and a cash payment alike. Anything larger is
// far more likely a typo (a zero too many) than real dues.
const MaxAmount = 100_000_000

// Errors of ParseWon that callers may branch on with errors.Is. Other
// errors say that the text is not an amount at all.
var (
	ErrAmountZero     = errors.New("amount is zero")
	ErrAmountNegative = errors.New("amount is negative")
	ErrAmountTooLarge = errors.New("amount is over 100,000,000 won")
	ErrAmountFraction = errors.New("amount has a fraction of a won")
)

// Errors of ParseWon for text that is not an amount.
var (
	errNotAmount  = errors.New("not an amount")
	errNoNumber   = errors.New("no number")
	errGrouping   = errors.New("digits not grouped by three")
	errLeadZero   = errors.New("number has a leading zero")
	errDecimals   = errors.New("too many decimals")
	errTwoNumbers = errors.New("two numbers with no unit between them")
	errUnitOrder  = errors.New("units out of order")
)

// wonUnit is a Korean number unit. The large units 만 and 억 multiply the
// whole group of digits and small units before them (3천만 = 3000×10000);
// the small units 천, 백 and 십 (and an English k) multiply the number
// right before them.
type wonUnit struct {
	value int64
	large bool
}

var wonUnits = map[rune]wonUnit{
	'억': {100_000_000, true},
	'만': {10_000, true},
	'천': {1_000, false},
	'k': {1_000, false},
	'K': {1_000, false},
	'백': {100, false},
	'십': {10, false},
}

// maxDecimals bounds the digits after a decimal point: 1.00000001억 is
// still a whole number of won.
const maxDecimals = 8

var pow10 = [maxDecimals + 1]int64{1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000}

// ParseWon reads an amount of money in won as people type it in a chat:
//
//	30000  30,000  30,000원  ₩30,000  \30000  ３００００  30000 원  30000won
//	3만  3만원  만원  3.5만 (35,000)  1만5천  1만 5천원  1만5000  3천만  2.5k
//
// Digits may be grouped by commas in threes. The Korean units 억, 만, 천, 백
// and 십 combine as in speech, larger units first (1만5천 = 15,000,
// 3천만 = 30,000,000, 1만5000 = 15,000); a unit with no digits before it
// counts one (만원 = 10,000). A decimal point is allowed before a unit, and
// the result must be a whole number of won: 3.5만 is 35,000; 30000.5 and
// 3.33333만 are errors. Spaces may stand between the parts but not inside a
// number ("30 000" is an error). The won sign (₩, or the backslash a Korean
// keyboard shows as one) may lead, and 원 or "won" may end the amount.
// Full-width characters are read as their ASCII forms.
//
// The result is 1..MaxAmount. Zero, negative, fractional and larger amounts
// are errors wrapping ErrAmountZero, ErrAmountNegative, ErrAmountFraction
// and ErrAmountTooLarge. The arithmetic is integer only: no float
// rounding, no overflow.
func ParseWon(s string) (int64, error) {
	n, err := parseWon(s)
	if err != nil {
		return 0, fmt.Errorf("bot: amount %q: %w", s, err)
	}
	return n, nil
}

func parseWon(s string) (int64, error) {
	if !utf8.ValidString(s) {
		return 0, errNotAmount
	}
	// NFKC: ３만 → 3만, ￦ → ₩, full-width commas and spaces to ASCII.
	s = strings.TrimFunc(norm.NFKC.String(s), isSeparator)
	if r, size := utf8.DecodeRuneInString(s); r == '-' || r == '−' {
		// Say why rather than "not an amount" when the rest is one.
		if _, err := parseWon(s[size:]); err == nil {
			return 0, ErrAmountNegative
		}
		return 0, errNotAmount
	}
	if rest, ok := strings.CutPrefix(s, "₩"); ok {
		s = rest
	} else {
		s = strings.TrimPrefix(s, `\`)
	}
	if rest, ok := strings.CutSuffix(s, "원"); ok {
		s = rest
	} else if len(s) >= 3 && strings.EqualFold(s[len(s)-3:], "won") {
		s = s[:len(s)-3]
	}

	var w wonReader
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		var err error
		switch u, isUnit := wonUnits[r]; {
		case isSeparator(r):
		case r >= '0' && r <= '9':
			size, err = w.number(s[i:])
		case isUnit && u.large:
			err = w.large(u.value)
		case isUnit:
			err = w.small(u.value)
		default:
			err = errNotAmount
		}
		if err != nil {
			return 0, err
		}
		i += size
	}
	return w.end()
}

// wonReader reads an amount left to right, the way it is spoken: total
// holds what the large units finished, group the small units since the
// last large unit, and cur (= num / 10^scale) the number just read and not
// yet multiplied by a unit. Every value stays within MaxAmount×10^8, so
// nothing overflows.
type wonReader struct {
	total, group int64
	num          int64
	scale        int
	haveNum      bool
	lastLarge    int64 // the last large unit, 0 before any
	lastSmall    int64 // the last small unit of group, 0 before any
	any          bool  // a number or a unit was read
}

// number reads the number at the start of s: digits, optionally grouped
// by commas in threes, optionally with decimals. It returns how many bytes
// it read.
func (w *wonReader) number(s string) (int, error) {
	if w.haveNum {
		return 0, errTwoNumbers
	}
	const limit = MaxAmount * 100_000_000 // ≥ any valid num
	var num int64
	i, inGroup, commas := 0, 0, false
	for ; i < len(s); i++ {
		c := s[i]
		if c == ',' {
			if inGroup == 0 || inGroup > 3 || commas && inGroup != 3 {
				return 0, errGrouping
			}
			commas, inGroup = true, 0
			continue
		}
		if c < '0' || c > '9' {
			break
		}
		if num > limit {
			return 0, ErrAmountTooLarge
		}
		num = num*10 + int64(c-'0')
		inGroup++
	}
	if commas && inGroup != 3 {
		return 0, errGrouping
	}
	if s[0] == '0' && i > 1 {
		return 0, errLeadZero
	}
	scale := 0
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			if scale == maxDecimals {
				return 0, errDecimals
			}
			num = num*10 + int64(s[i]-'0')
			scale++
		}
		if i == start {
			return 0, errNotAmount
		}
	}
	if num > limit {
		return 0, ErrAmountTooLarge
	}
	w.num, w.scale, w.haveNum, w.any = num, scale, true, true
	return i, nil
}

// times returns the pending number (one when there is none) times unit, in
// whole won, and clears it.
func (w *wonReader) times(unit int64) (int64, error) {
	num, scale := int64(1), 0
	if w.haveNum {
		num, scale = w.num, w.scale
	}
	// num/10^scale × unit ≤ MaxAmount ⇔ num ≤ MaxAmount×10^scale / unit.
	if num > MaxAmount*pow10[scale]/unit {
		return 0, ErrAmountTooLarge
	}
	v := num * unit
	if v%pow10[scale] != 0 {
		return 0, ErrAmountFraction
	}
	w.num, w.scale, w.haveNum = 0, 0, false
	return v / pow10[scale], nil
}

// small applies a small unit (천, 백, 십) to the pending number.
func (w *wonReader) small(unit int64) error {
	if w.lastSmall != 0 && unit >= w.lastSmall {
		return errUnitOrder
	}
	v, err := w.times(unit)
	if err != nil {
		return err
	}
	w.group += v
	w.lastSmall = unit
	w.any = true
	return nil
}

// large applies a large unit (만, 억) to the group before it.
func (w *wonReader) large(unit int64) error {
	if w.lastLarge != 0 && unit >= w.lastLarge {
		return errUnitOrder
	}
	var v int64
	switch {
	case w.haveNum && w.scale > 0:
		// 3.5만: the decimal number alone times the unit.
		if w.group != 0 {
			return errNotAmount
		}
		var err error
		if v, err = w.times(unit); err != nil {
			return err
		}
	default:
		g := w.group
		if w.haveNum {
			if w.lastSmall != 0 && w.num >= w.lastSmall {
				return errUnitOrder // 3천5000만
			}
			g += w.num
		} else if g == 0 {
			g = 1 // 만원
		}
		if g > MaxAmount/unit {
			return ErrAmountTooLarge
		}
		v = g * unit
		w.num, w.haveNum = 0, false
	}
	w.total += v
	if w.total > MaxAmount {
		return ErrAmountTooLarge
	}
	w.group, w.lastSmall, w.lastLarge, w.any = 0, 0, unit, true
	return nil
}

// end finishes the amount and checks its bounds.
func (w *wonReader) end() (int64, error) {
	if !w.any {
		return 0, errNoNumber
	}
	if w.haveNum && w.lastSmall != 0 && w.num >= w.lastSmall*pow10[w.scale] {
		return 0, errUnitOrder // 3천5000
	}
	if w.haveNum {
		v, err := w.times(1)
		if err != nil {
			return 0, err
		}
		w.group += v
	}
	if w.lastLarge != 0 && w.group >= w.lastLarge {
		return 0, errUnitOrder // 1만15000
	}
	w.total += w.group
	switch {
	case w.total == 0:
		return 0, ErrAmountZero
	case w.total > MaxAmount:
		return 0, ErrAmountTooLarge
	}
	return w.total, nil
}
