package server

import (
	"strings"
	"testing"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// TestFileStem: a group's name becomes a file name that stays inside the
// output directory (moved here from cmd/moimbot with the export tables).
func TestFileStem(t *testing.T) {
	tests := []struct {
		name, id, want string
	}{
		{"독서모임", "g1", "독서모임"},
		{"Book Club 2026", "g1", "Book_Club_2026"},
		{"../../etc/passwd", "g1", "etc_passwd"},
		{"..", "g2", "g2"},
		{"/", "", "group"},
		{".hidden", "g1", "hidden"},
		{`C:\Users\모임`, "g1", "C_Users_모임"},
		{"a/../b", "g1", "a_b"},
		{"-rf", "g1", "rf"},
		{"모임\x00\n이름", "g1", "모임_이름"},
		{strings.Repeat("가", 100), "g1", strings.Repeat("가", maxStemRunes)},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := fileStem(store.Group{Group: ledger.Group{ID: tt.id, Name: tt.name}}); got != tt.want {
				t.Errorf("fileStem(%q) = %q, want %q", tt.name, got, tt.want)
			}
		})
	}
}
