package testbed

import (
	"crypto/rand"
	"encoding/hex"
	"regexp"
	"time"
)

// alnumMixed is the alphabet of authorization codes.
const alnumMixed = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Formats shared by the wire handlers and the admin operations.
var (
	reDigits10     = regexp.MustCompile(`^[0-9]{10}$`)
	reDigits24     = regexp.MustCompile(`^[0-9]{24}$`)
	reBankCode     = regexp.MustCompile(`^[0-9]{3}$`)
	reClientUse    = regexp.MustCompile(`^[A-Z][0-9]{9}$`)
	reClientID     = regexp.MustCompile(`^[A-Za-z0-9._~-]{1,100}$`)
	reAccountID    = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	reAccountNum   = regexp.MustCompile(`^[0-9]+(-[0-9]+)*$`)
	reRspCode      = regexp.MustCompile(`^[A-Z][0-9]{4}$`)
	reBankRspCode  = regexp.MustCompile(`^[0-9]{3}$`)
	reTranIDSuffix = regexp.MustCompile(`^U[0-9A-Za-z]{9}$`)
)

// randomString returns n characters drawn uniformly from alphabet using
// crypto/rand. len(alphabet) must be at most 256.
func randomString(n int, alphabet string) string {
	out := make([]byte, 0, n)
	// Rejection sampling keeps the distribution uniform.
	limit := 256 - 256%len(alphabet)
	buf := make([]byte, n+16)
	for len(out) < n {
		rand.Read(buf) // never fails since Go 1.24
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out)
}

// newUUID returns a random (version 4) UUID in its canonical text form.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// Wire formats of dates and times, always rendered in KST.
const (
	layoutDate     = "20060102"
	layoutTime     = "150405"
	layoutDateTime = "20060102150405"
	layoutDtm      = "20060102150405.000"
)

// apiTranDtm formats t as YYYYMMDDhhmmssSSS in KST.
func apiTranDtm(t time.Time) string {
	s := t.In(kst).Format(layoutDtm)
	return s[:14] + s[15:]
}

// kstDay returns the KST calendar day of t as YYYYMMDD.
func kstDay(t time.Time) string {
	return t.In(kst).Format(layoutDate)
}
