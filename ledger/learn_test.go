package ledger

import (
	"errors"
	"testing"
)

func TestLearn(t *testing.T) {
	tests := []struct {
		name      string
		member    string
		text      string
		wantAlias string
		wantNew   bool
		wantErr   error
		// next is a later deposit that must now match member.
		next string
	}{
		{"UnregisteredNickname", "m02", "지은이", "지은이", true, nil, "12월회비지은이"},
		{"CutName", "m01", "11월회비김민", "김민", true, nil, "12월회비김민"},
		{"MonthInWords", "m02", "십일월회비지은이", "지은이", true, nil, "지난달 지은이"},
		{"ParentOwnName", "m08", "박영희", "박영희", true, nil, "박영희"},
		{"PurposeTextKept", "m01", "점심값김민수", "점심값김민수", true, nil, "점심값김민수"},
		{"FamilyWordKept", "m02", "지은맘", "지은맘", true, nil, "지은맘"},
		{"Latin", "m07", "PARK DAN", "PARK DAN", true, nil, "DAN PARK"},
		{"AlreadyKnown", "m01", "김민수회비", "김민수", false, nil, ""},
		{"AnotherMembersName", "m01", "이지은", "", false, ErrAliasConflict, ""},
		{"SameNameOtherMember", "m09", "정하늘", "정하늘", false, nil, ""},
		{"Masked", "m01", "김*수", "", false, ErrMaskedText, ""},
		{"NothingLeft", "m01", "11월회비", "", false, ErrNothingToLearn, ""},
		{"UnknownMember", "m99", "김민수", "", false, ErrUnknownMember, ""},
		{"PartOfAnotherName", "m04", "11월회비이민", "", false, ErrAliasConflict, ""}, // 이민 is m03's name
		{"GivenNamePartOfAnother", "m09", "하늘", "", false, ErrAliasConflict, ""}, // part of m10's 정하늘 too
		{"ContainsAnotherName", "m01", "김민수이지은", "", false, ErrAliasConflict, ""},
		{"KnownWordsOnly", "m01", "엄마", "", false, ErrNothingToLearn, ""},
		{"LatinWordOfAnother", "m12", "DANIEL", "", false, ErrAliasConflict, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := testGroup()
			before := len(g.Members[0].Aliases)
			a, added, err := g.Learn(tt.member, tt.text)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Learn(%s, %q) error = %v, want %v", tt.member, tt.text, err, tt.wantErr)
			}
			if err != nil {
				if len(g.Members[0].Aliases) != before {
					t.Errorf("a failed Learn changed the group")
				}
				return
			}
			if a.Text != tt.wantAlias || added != tt.wantNew {
				t.Errorf("Learn = %q (new %v), want %q (new %v)", a.Text, added, tt.wantAlias, tt.wantNew)
			}
			if added && !a.Learned {
				t.Errorf("learned alias not marked as learned")
			}
			if tt.next == "" {
				return
			}
			amount := g.Rate(mustMember(t, g, tt.member))
			got := NewMatcher(g).Match(Deposit{Direction: In, Text: tt.next, Amount: amount})
			if got.Outcome != OutcomeMatched || got.Shares[0].MemberID != tt.member {
				t.Errorf("after learning, Match(%q) = %v %v (%s), want matched %s", tt.next, got.Outcome, got.Shares, got.Reason, tt.member)
			}
		})
	}
}

// TestLearnBeforeAfter is the review loop: a deposit goes to review, the
// treasurer assigns it, and the same text then matches by itself.
func TestLearnBeforeAfter(t *testing.T) {
	g := testGroup()
	d := Deposit{Direction: In, Text: "지은아빠", Amount: 30000}
	if got := NewMatcher(g).Match(d); got.Outcome != OutcomeReview {
		t.Fatalf("before: %v (%s), want review", got.Outcome, got.Reason)
	}
	if _, _, err := g.Learn("m02", d.Text); err != nil {
		t.Fatal(err)
	}
	got := NewMatcher(g).Match(d)
	if got.Outcome != OutcomeMatched || got.Reason.Code != ReasonLearned {
		t.Fatalf("after: %v %v (%s), want matched by learned alias", got.Outcome, got.Reason.Code, got.Reason)
	}
}

func mustMember(t *testing.T, g *Group, id string) *Member {
	t.Helper()
	m, ok := g.Member(id)
	if !ok {
		t.Fatalf("no member %s", id)
	}
	return m
}

func TestForget(t *testing.T) {
	g := testGroup()
	if _, _, err := g.Learn("m02", "지은이"); err != nil {
		t.Fatal(err)
	}
	if g.Forget("m02", "민수") || g.Forget("m01", "민수") {
		t.Error("Forget removed an alias that was not learned")
	}
	if !g.Forget("m02", "지은이") {
		t.Error("Forget did not remove the learned alias")
	}
	if g.Forget("m02", "지은이") || g.Forget("m99", "x") {
		t.Error("Forget removed something twice or for an unknown member")
	}
	if got := len(mustMember(t, g, "m01").Aliases); got != 3 {
		t.Errorf("m01 keeps %d aliases, want 3", got)
	}
}
