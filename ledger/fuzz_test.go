package ledger

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzMatch checks that the matcher never panics, is deterministic, keeps
// its invariants (shares add up to the amount, matched verdicts at or above
// the threshold, reviews below it, a deposit naming a member never
// ignored) on two rosters (testGroup and wordsGroup), and that learning a
// text never breaks another member.
func FuzzMatch(f *testing.F) {
	for _, s := range []string{
		"김민수", "11월회비김민", "김 민수", "KIM MINSU", "ＫＩＭ", "김*수", "김민슈", "토스페이맨", "결산이자",
		"김민수이지은", "이민", "11월회비이민", "9-10월회비", "2026회비", "民秀", "\u1100\u1161", "", "   ", "O", "김O수",
		"SMITH JOHNATHA", "😀😀", "\xff\xfe", "회비회비회비회비회비회비회비회비회비회비회비회비",
		// Issue 17: group words, aliases with surnames, Latin names with
		// more after them, months in words (see wordsGroup).
		"미술비이지원", "반비반지원", "미술반지원", "부서회비부서연", "서연부서회비", "스터디회비부서", "팀장김민준",
		"LUCY JUNG", "JUNG LUCY", "LUCY", "JAKE YOO", "정루시", "11월회비조한나", "BAKER TOM MONT", "TOM BAKER ANDR",
		"TOM BAKER ANNA", "CHRISTENSEN AN", "LUCY JUNG DEC", "십일월회비김민", "이번달회비", "12월~1월이지은", "이지은 2달",
		"박종민", "박종민처",
	} {
		f.Add(s, int64(30000))
	}
	f.Add("박서준", int64(-1))
	f.Add("김민수", int64(1<<62))
	f.Add("박종민", int64(100000))
	f.Add("LUCY", int64(25000))
	groups := []*Group{testGroup(), wordsGroup()}
	var ms, ms2 []*Matcher
	for _, g := range groups {
		ms = append(ms, NewMatcher(g))
		ms2 = append(ms2, NewMatcher(g))
	}
	f.Fuzz(func(t *testing.T, text string, amount int64) {
		d := Deposit{Direction: In, Text: text, Amount: amount}
		for i, m := range ms {
			checkVerdict(t, groups[i], m.Match(d), ms2[i].Match(d), text, amount)
		}
		// Learning a text for m02 never changes a deposit of another member's
		// exact name.
		g := testGroup()
		if _, _, err := g.Learn("m02", text); err == nil {
			if v := NewMatcher(g).Match(Deposit{Direction: In, Text: "김민수", Amount: 30000}); v.Outcome != OutcomeMatched || v.Shares[0].MemberID != "m01" {
				t.Fatalf("after learning %q for m02, 김민수 = %+v", text, v)
			}
		}
	})
}

// checkVerdict checks one verdict of FuzzMatch: the same as again (from a
// second matcher of the same group), shares that add up to the amount,
// confidence on the right side of the threshold, and no deposit naming a
// member of g ignored.
func checkVerdict(t *testing.T, g *Group, got, again Match, text string, amount int64) {
	t.Helper()
	if fmt.Sprintf("%+v", again) != fmt.Sprintf("%+v", got) {
		t.Fatalf("not deterministic for %q:\n%+v\n%+v", text, got, again)
	}
	switch got.Outcome {
	case OutcomeMatched:
		var sum int64
		for _, s := range got.Shares {
			if s.Amount <= 0 {
				t.Fatalf("share %+v not positive", s)
			}
			sum += s.Amount
		}
		if sum != amount {
			t.Fatalf("Match(%q, %d): shares add up to %d", text, amount, sum)
		}
		if got.Confidence < MatchThreshold {
			t.Fatalf("matched with confidence %d", got.Confidence)
		}
	case OutcomeReview:
		if len(got.Shares) != 0 || got.Confidence >= MatchThreshold {
			t.Fatalf("review with shares %v, confidence %d", got.Shares, got.Confidence)
		}
	case OutcomeIgnored:
		// A deposit naming a member is never ignored.
		c := normalizeText(text).s
		for _, mem := range g.Members {
			if k := compactKey(mem.Name); utf8.RuneCountInString(k) >= 2 && strings.Contains(c, k) {
				t.Fatalf("Match(%q) ignored a deposit naming %s", text, mem.Name)
			}
		}
	}
	if r := got.Reason.String(); !utf8.ValidString(r) && utf8.ValidString(text) {
		t.Fatalf("reason %q is not valid UTF-8", r)
	}
}

// FuzzReadTransactions checks that the transaction reader never panics,
// is deterministic and returns only valid rows or an ErrInput.
func FuzzReadTransactions(f *testing.F) {
	const header = "tran_date,tran_time,inout_type,print_content,tran_amt,after_balance_amt\n"
	for _, s := range []string{
		header + "20261125,093012,입금,김민수,30000,130000\n",
		header + "20261125,093012,입금,\"김,민수\",\"30,000\",\n",
		`{"res_list":[{"tran_date":"20261125","tran_time":"093012","inout_type":"입금","print_content":"x","tran_amt":"1","after_balance_amt":"1"}]}`,
		`[{"tran_date":"20261125","tran_time":"093012","inout_type":"출금","printed_content":"x","tran_amt":1}]`,
		"", "[", "{}", "\ufeff" + header, header + "\n\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ReadTransactions(data)
		again, err2 := ReadTransactions(bytes.Clone(data))
		if fmt.Sprint(got, err) != fmt.Sprint(again, err2) {
			t.Fatalf("not deterministic")
		}
		if err != nil {
			if !strings.Contains(err.Error(), ErrInput.Error()) {
				t.Fatalf("error %v is not an input error", err)
			}
			return
		}
		for _, r := range got {
			if r.Amount < 0 || r.At.IsZero() || (r.InoutType != "입금" && r.InoutType != "출금") {
				t.Fatalf("invalid row accepted: %+v", r)
			}
		}
	})
}

// FuzzReadGroup checks that the group reader never panics and that what it
// accepts is a valid group a matcher can be built from.
func FuzzReadGroup(f *testing.F) {
	f.Add(groupJSON)
	f.Add(`{"name":"x","dues":{"amount":1,"day":1,"start":"2026-01"},"members":[{"id":"a","name":"가","aliases":["나"]}],"manual":[{"member":"a","date":"2026-01-02","amount":5}]}`)
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, data string) {
		def, err := ReadGroup(strings.NewReader(data))
		if err != nil {
			return
		}
		if err := def.Group.Validate(); err != nil {
			t.Fatalf("accepted an invalid group: %v", err)
		}
		m := NewMatcher(def.Group)
		m.Match(Deposit{Direction: In, Text: "김민수", Amount: 1})
	})
}
