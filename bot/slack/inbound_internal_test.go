package slack

import "testing"

// TestSeenSetRemoveThenAdd: an id removed (its update was not queued) and
// added again is remembered for a whole turn of the ring, not forgotten
// when the ring comes back to the slot it had first.
func TestSeenSetRemoveThenAdd(t *testing.T) {
	s := newSeenSet(3)
	s.add("a") // slot 0
	s.remove("a")
	s.add("b") // slot 1
	s.add("a") // slot 2
	s.add("c") // slot 0 again: frees nothing "a" holds
	if s.add("a") {
		t.Error(`"a" was forgotten after one more id; want it remembered`)
	}
	tests := []struct {
		id   string
		want bool // add reports new
	}{{"b", true}, {"c", false}, {"d", true}}
	s.add("e") // slot 1: "b" goes
	for _, tt := range tests {
		if got := s.add(tt.id); got != tt.want {
			t.Errorf("add(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}
