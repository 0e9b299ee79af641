package testbed

import (
	"net/url"
	"regexp"
	"slices"
	"time"
)

var (
	reDate8 = regexp.MustCompile(`^[0-9]{8}$`)
	reTime6 = regexp.MustCompile(`^[0-9]{6}$`)
	reDT14  = regexp.MustCompile(`^[0-9]{14}$`)
)

// paramError is the first bad parameter of a request; it becomes A0004
// with a rsp_message naming the parameter.
type paramError struct {
	name, reason string
}

func (e *paramError) message() string {
	return rspMessage("A0004") + "(" + e.name + ": " + e.reason + ")"
}

// query validates query-string parameters, remembering the first error.
// Every method is a no-op once an error has been recorded.
type query struct {
	v   url.Values
	err *paramError
}

func (q *query) fail(name, reason string) {
	if q.err == nil {
		q.err = &paramError{name: name, reason: reason}
	}
}

// req returns the single, non-empty value of a required parameter.
func (q *query) req(name string) string {
	val, dup := single(q.v, name)
	switch {
	case dup:
		q.fail(name, "중복된 파라미터")
	case val == "":
		q.fail(name, "필수 파라미터 누락")
	}
	return val
}

// opt returns the value of an optional parameter; an empty value counts as
// absent.
func (q *query) opt(name string) string {
	val, dup := single(q.v, name)
	if dup {
		q.fail(name, "중복된 파라미터")
	}
	return val
}

// oneOf checks that a present value is one of allowed.
func (q *query) oneOf(name, val string, allowed ...string) {
	if val != "" && !slices.Contains(allowed, val) {
		q.fail(name, "허용되지 않은 값")
	}
}

// match checks that a present value matches re.
func (q *query) match(name, val string, re *regexp.Regexp, reason string) {
	if val != "" && !re.MatchString(val) {
		q.fail(name, reason)
	}
}

// date parses a present YYYYMMDD value as midnight KST.
func (q *query) date(name, val string) time.Time {
	if val == "" {
		return time.Time{}
	}
	t, err := time.ParseInLocation(layoutDate, val, kst)
	if !reDate8.MatchString(val) || err != nil {
		q.fail(name, "YYYYMMDD 형식이 아님")
		return time.Time{}
	}
	return t
}

// clock parses a present hhmmss value as an offset from midnight.
func (q *query) clock(name, val string) time.Duration {
	if val == "" {
		return 0
	}
	t, err := time.Parse(layoutTime, val)
	if !reTime6.MatchString(val) || err != nil {
		q.fail(name, "hhmmss 형식이 아님")
		return 0
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second
}

// dateTime checks a present YYYYMMDDhhmmss value.
func (q *query) dateTime(name, val string) {
	if val == "" {
		return
	}
	if _, err := time.ParseInLocation(layoutDateTime, val, kst); !reDT14.MatchString(val) || err != nil {
		q.fail(name, "YYYYMMDDhhmmss 형식이 아님")
	}
}
