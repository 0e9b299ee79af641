package ledger

import (
	"fmt"
	"strconv"
	"time"
)

// Period is one calendar month of dues, counted as months since year 0
// (year*12 + month-1). The zero Period means "no month" (an unset joined or
// left month, or money kept as credit). Periods compare with < and >, and
// p+1 is the next month.
type Period int32

// MonthOf returns the period of the calendar month that holds t, read in t's
// location. Pass times in Asia/Seoul (see KST).
func MonthOf(t time.Time) Period {
	return NewPeriod(t.Year(), t.Month())
}

// NewPeriod returns the period of year and month. Months outside 1..12 roll
// over the way time.Date does.
func NewPeriod(year int, month time.Month) Period {
	return Period(year*12 + int(month) - 1)
}

// ParsePeriod parses "YYYY-MM". The empty string gives the zero Period.
func ParsePeriod(s string) (Period, error) {
	if s == "" {
		return 0, nil
	}
	if len(s) != 7 || s[4] != '-' {
		return 0, fmt.Errorf("ledger: month %q is not YYYY-MM", s)
	}
	y, err1 := strconv.Atoi(s[:4])
	m, err2 := strconv.Atoi(s[5:])
	if err1 != nil || err2 != nil || s[0] == '+' || s[0] == '-' || s[5] == '+' || s[5] == '-' {
		return 0, fmt.Errorf("ledger: month %q is not YYYY-MM", s)
	}
	if y < 1 || m < 1 || m > 12 {
		return 0, fmt.Errorf("ledger: month %q is out of range", s)
	}
	return NewPeriod(y, time.Month(m)), nil
}

// Year returns the calendar year of p.
func (p Period) Year() int { return int(p) / 12 }

// Month returns the calendar month of p.
func (p Period) Month() time.Month { return time.Month(int(p)%12 + 1) }

// IsZero reports whether p is the zero Period.
func (p Period) IsZero() bool { return p == 0 }

// String formats p as "YYYY-MM", or "" for the zero Period.
func (p Period) String() string {
	if p == 0 {
		return ""
	}
	return fmt.Sprintf("%04d-%02d", p.Year(), int(p.Month()))
}

// Start returns midnight of the first day of p in loc.
func (p Period) Start(loc *time.Location) time.Time {
	return time.Date(p.Year(), p.Month(), 1, 0, 0, 0, 0, loc)
}

// DueDate returns the due day of p in loc; a day past the end of the month
// (31 in November) is the month's last day.
func (p Period) DueDate(day int, loc *time.Location) time.Time {
	last := (p + 1).Start(loc).AddDate(0, 0, -1).Day()
	if day < 1 {
		day = 1
	}
	if day > last {
		day = last
	}
	return time.Date(p.Year(), p.Month(), day, 0, 0, 0, 0, loc)
}

// MarshalText implements encoding.TextMarshaler.
func (p Period) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *Period) UnmarshalText(b []byte) error {
	v, err := ParsePeriod(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

var kst = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		// Korea has kept UTC+9 without daylight saving since 1988.
		return time.FixedZone("KST", 9*60*60)
	}
	return loc
}()

// KST returns the Asia/Seoul location, or a fixed UTC+9 zone when the
// system has no time zone database.
func KST() *time.Location { return kst }
