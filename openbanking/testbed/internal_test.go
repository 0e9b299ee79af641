package testbed

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMaskAccountNum(t *testing.T) {
	tests := []struct{ in, want string }{
		{"3333-01-2345678", "3333-01-2345***"},
		{"110-123-456789", "110-123-456***"},
		{"1234567", "1234***"},
		{"12-3", "**-*"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := maskAccountNum(tt.in); got != tt.want {
				t.Errorf("maskAccountNum(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestInMaintenance(t *testing.T) {
	day := time.Date(2026, 11, 25, 0, 0, 0, 0, kst)
	tests := []struct {
		name string
		at   time.Time
		want bool
	}{
		{"2349_59", day.Add(23*time.Hour + 49*time.Minute + 59*time.Second), false},
		{"2350_00", day.Add(23*time.Hour + 50*time.Minute), true},
		{"0009_59", day.Add(9*time.Minute + 59*time.Second), true},
		{"0010_00", day.Add(10 * time.Minute), false},
		{"UTCInput", time.Date(2026, 11, 25, 14, 55, 0, 0, time.UTC), true}, // 23:55 KST
		{"Noon", day.Add(12 * time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := inMaintenance(tt.at); got != tt.want {
				t.Errorf("inMaintenance(%v) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}

func TestJWT(t *testing.T) {
	key := []byte("k")
	tok, err := signJWT(key, jwtClaims{Aud: "1100000001", Scope: []string{"inquiry", "login"}, Iss: tokenIssuer, Exp: 1, Jti: "j"})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("RoundTrip", func(t *testing.T) {
		c, err := verifyJWT(key, tok)
		if err != nil || c.Aud != "1100000001" || !slices.Equal(c.Scope, []string{"inquiry", "login"}) || c.Jti != "j" {
			t.Errorf("verifyJWT = %+v, %v", c, err)
		}
	})
	parts := strings.Split(tok, ".")
	bad := []struct{ name, token string }{
		{"OtherKey", func() string { s, _ := signJWT([]byte("other"), jwtClaims{Jti: "j"}); return s }()},
		{"TwoParts", parts[0] + "." + parts[1]},
		{"NoneAlg", "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + "."},
		{"TamperedPayload", parts[0] + "." + parts[1] + "A." + parts[2]},
		{"Empty", ""},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := verifyJWT(key, tt.token); err == nil {
				t.Errorf("verifyJWT(%q) = nil error", tt.token)
			}
		})
	}
}

func TestTraceInfo(t *testing.T) {
	s := New(Config{SigningKey: []byte("k")})
	f := &txFilter{fin: "090202600001000000000001", inquiryType: "A", inquiryBase: "D", sortOrder: "D", fromDate: "20261101", toDate: "20261125"}
	trace := s.traceInfo(f, 42)
	if len(trace) != 20 {
		t.Fatalf("trace %q has %d characters, want 20", trace, len(trace))
	}
	if seq, ok := s.parseTraceInfo(f, trace); !ok || seq != 42 {
		t.Errorf("parseTraceInfo = %d, %v; want 42, true", seq, ok)
	}
	other := *f
	other.sortOrder = "A"
	for name, tr := range map[string]string{
		"OtherSeq":  trace[:9] + "3" + trace[10:],
		"Signed":    "D+00000042" + trace[10:],
		"Lowercase": strings.ToLower(trace),
		"Short":     trace[:19],
	} {
		t.Run(name, func(t *testing.T) {
			if _, ok := s.parseTraceInfo(f, tr); ok {
				t.Errorf("parseTraceInfo(%q) accepted", tr)
			}
		})
	}
	t.Run("OtherSortOrder", func(t *testing.T) {
		if _, ok := s.parseTraceInfo(&other, trace); ok {
			t.Error("accepted for the other sort order")
		}
	})
}

func TestNormalizeScopes(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"login inquiry", []string{"inquiry", "login"}},
		{" inquiry  login login ", []string{"inquiry", "login"}},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := normalizeScopes(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("normalizeScopes(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
