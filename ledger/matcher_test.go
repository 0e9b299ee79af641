package ledger

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// testGroup is a roster with every hard case: aliases (nickname, parent,
// romanised), a same-name pair with equal dues and one with different
// dues, a prefix pair, different dues, an exempt member and a foreign
// member with a romanised name.
func testGroup() *Group {
	return &Group{
		Name: "수요 배드민턴 클럽",
		Dues: DuesRule{Amount: 30000, Day: 25, Start: NewPeriod(2026, 9)},
		Members: []Member{
			{ID: "m01", Name: "김민수", Aliases: []Alias{{Text: "민수"}, {Text: "김민수엄마"}, {Text: "KIM MINSU"}}},
			{ID: "m02", Name: "이지은"},
			{ID: "m03", Name: "이민"},
			{ID: "m04", Name: "이민수", Dues: 20000},
			{ID: "m05", Name: "박서준"},
			{ID: "m06", Name: "박서준", Dues: 50000},
			{ID: "m07", Name: "DANIEL PARK"},
			{ID: "m08", Name: "이수진"},
			{ID: "m09", Name: "정하늘"},
			{ID: "m10", Name: "정하늘"},
			{ID: "m11", Name: "최유리", Exempt: true},
			{ID: "m12", Name: "JOHNATHAN SMITH"},
			{ID: "m13", Name: "한가람", Aliases: []Alias{{Text: "가람이네", Learned: true}}},
		},
		Ignore: []string{"결산"},
	}
}

func TestMatch(t *testing.T) {
	m := NewMatcher(testGroup())
	type want struct {
		outcome    Outcome
		members    string // matched members, "m01" or "m01+m02"
		candidates string // first candidates for review, comma-separated
		code       ReasonCode
	}
	matched := func(members string, code ReasonCode) want { return want{OutcomeMatched, members, "", code} }
	review := func(cands string, code ReasonCode) want { return want{OutcomeReview, "", cands, code} }
	ignored := func(code ReasonCode) want { return want{OutcomeIgnored, "", "", code} }
	tests := []struct {
		name   string
		text   string
		amount int64
		want   want
	}{
		// Names and what surrounds them.
		{"ExactName", "김민수", 30000, matched("m01", ReasonName)},
		{"DuesSuffix", "김민수회비", 30000, matched("m01", ReasonName)},
		{"DuesPrefix", "회비김민수", 30000, matched("m01", ReasonName)},
		{"MonthAndDuesPrefix", "11월회비김민수", 30000, matched("m01", ReasonName)},
		{"Spaced", "김 민수", 30000, matched("m01", ReasonName)},
		{"ParenthesisedMonth", "김민수(11월)", 30000, matched("m01", ReasonName)},
		{"MonthRange", "9-10월회비이지은", 60000, matched("m02", ReasonName)},
		{"MonthWithBun", "이지은11월분", 30000, matched("m02", ReasonName)},
		{"Year", "2026회비이지은", 30000, matched("m02", ReasonName)},
		{"BankPrefix", "카뱅 이지은", 30000, matched("m02", ReasonName)},
		{"LatinBankCode", "KB이지은", 30000, matched("m02", ReasonName)},
		{"Honorific", "이지은님", 30000, matched("m02", ReasonName)},
		{"MeetingWord", "모임비이지은", 30000, matched("m02", ReasonName)},
		{"GroupWord", "배드민턴비이수진", 30000, matched("m08", ReasonName)},
		{"FamilyUnregistered", "이지은엄마", 30000, matched("m02", ReasonName)},
		{"RestOfPartial", "이지은 나머지", 15000, matched("m02", ReasonName)},
		{"MonthsWord", "이지은 3개월", 90000, matched("m02", ReasonName)},
		// Aliases.
		{"NicknameAlias", "민수", 30000, matched("m01", ReasonAlias)},
		{"ParentAlias", "김민수엄마", 30000, matched("m01", ReasonAlias)},
		{"LearnedAlias", "가람이네", 30000, matched("m13", ReasonLearned)},
		{"LearnedAliasWithMonth", "12월가람이네", 30000, matched("m13", ReasonLearned)},
		// Truncation at 7 Hangul.
		{"TruncatedName", "11월회비김민", 30000, matched("m01", ReasonTruncated)},
		{"ShortPrefixIsNotTruncation", "회비김민", 30000, review("m01", ReasonPartialName)},
		{"TruncatedPrefixPairByAmount", "11월회비이민", 20000, matched("m04", ReasonTruncated)},
		{"TruncatedPrefixPairExactByAmount", "11월회비이민", 30000, matched("m03", ReasonName)},
		{"TruncatedPrefixPairUnclear", "11월회비이민", 100000, review("m03", ReasonTruncAmbig)},
		// Prefix pair without truncation: longest name wins.
		{"PrefixPairShort", "이민", 30000, matched("m03", ReasonName)},
		{"PrefixPairLong", "이민수", 20000, matched("m04", ReasonName)},
		{"PrefixPairShortWithDues", "이민회비", 30000, matched("m03", ReasonName)},
		{"PrefixPairLongWithDues", "이민수회비", 20000, matched("m04", ReasonName)},
		// Romanised names.
		{"LatinAlias", "KIM MINSU", 30000, matched("m01", ReasonLatin)},
		{"LatinReversed", "MINSU KIM", 30000, matched("m01", ReasonLatin)},
		{"LatinName", "DANIEL PARK", 30000, matched("m07", ReasonLatin)},
		{"LatinNameReversed", "PARK DANIEL", 30000, matched("m07", ReasonLatin)},
		{"FullWidthLatin", "ＫＩＭ ＭＩＮＳＵ", 30000, matched("m01", ReasonLatin)},
		{"LatinLowerCase", "daniel park", 30000, matched("m07", ReasonLatin)},
		{"LatinTruncatedAt14", "SMITH JOHNATHA", 30000, matched("m12", ReasonTruncated)},
		{"LatinGivenNameOnly", "DANIEL", 30000, review("m07", ReasonPartialName)},
		{"LatinUnknown", "JOHN DOE", 30000, review("", ReasonUnknownName)},
		// Joint deposits.
		{"JointSumOfDues", "김민수이지은", 60000, matched("m01+m02", ReasonJoint)},
		{"JointDifferentDues", "이지은이민수", 50000, matched("m02+m04", ReasonJoint)},
		{"JointTwoMonths", "김민수이지은", 120000, matched("m01+m02", ReasonJoint)},
		{"JointWrongAmount", "김민수이지은", 30000, review("m01", ReasonJointAmount)},
		// Same name.
		{"SameNameEqualDues", "정하늘", 30000, review("m09", ReasonSameName)},
		{"SameNameDifferentDues", "박서준", 50000, matched("m06", ReasonName)},
		{"SameNameDifferentDuesOther", "박서준", 30000, matched("m05", ReasonName)},
		{"SameNameAmountFitsBoth", "박서준", 150000, review("m05", ReasonSameName)},
		// Doubt.
		{"Typo", "김민슈", 30000, review("m01", ReasonTypo)},
		{"TypoWithDues", "11월회비김민슈", 30000, review("m01", ReasonTypo)},
		{"Masked", "김*수", 30000, review("m01", ReasonMasked)},
		{"MaskedFitsSeveral", "이*수", 20000, review("m04", ReasonMasked)},
		{"PurposeText", "점심값김민수", 30000, review("m01", ReasonExtraText)},
		{"NameInsideStrangerName", "이민호", 30000, review("m03", ReasonExtraText)},
		{"GivenNameOnly", "지은", 30000, review("m02", ReasonPartialName)},
		{"Stranger", "홍길동", 30000, review("", ReasonUnknownName)},
		{"DuesWordsOnly", "11월회비", 30000, review("", ReasonNoName)},
		{"Empty", "", 30000, review("", ReasonNoName)},
		{"LargeAmount", "김민수", 3000000, review("m01", ReasonLargeAmount)},
		{"ZeroAmount", "김민수", 0, review("", ReasonInvalidAmount)},
		{"PayService", "카카오페이", 30000, review("", ReasonPayService)},
		{"NameWithRefundWord", "김민수환불", 30000, review("m01", ReasonExtraText)},
		// Exempt members still pay sometimes: their money is theirs.
		{"ExemptMember", "최유리", 30000, matched("m11", ReasonName)},
		// Not dues.
		{"Interest", "이자", 123, ignored(ReasonInterest)},
		{"SettlementInterest", "결산이자", 412, ignored(ReasonIgnoreText)},
		{"DepositInterest", "예금이자", 412, ignored(ReasonInterest)},
		{"TossPaymentsRefund", "토스페이맨", 12000, ignored(ReasonRefund)},
		{"Cashback", "캐시백", 12000, ignored(ReasonRefund)},
		{"BareRefundWordIsReview", "환불", 12000, review("", ReasonUnknownName)},
		{"QuarterlyInterest", "3분기이자", 1200, ignored(ReasonInterest)},
		{"MerchantRefund", "쿠팡", 8900, ignored(ReasonRefund)},
		{"ElevenStreetIsAWord", "11번가", 8900, ignored(ReasonRefund)},
		{"IgnoreTextBesideUnknownText", "결산엉", 30000, review("", ReasonUnknownName)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := m.Match(Deposit{Direction: In, Text: tt.text, Amount: tt.amount})
			var members []string
			var sum int64
			for _, s := range got.Shares {
				members = append(members, s.MemberID)
				sum += s.Amount
			}
			if got.Outcome != tt.want.outcome || strings.Join(members, "+") != tt.want.members || got.Reason.Code != tt.want.code {
				t.Fatalf("Match(%q, %d) = %v %v %v (%s), want %v %q code %v",
					tt.text, tt.amount, got.Outcome, members, got.Reason.Code, got.Reason, tt.want.outcome, tt.want.members, tt.want.code)
			}
			if got.Outcome == OutcomeMatched {
				if sum != tt.amount {
					t.Errorf("shares add up to %d, want %d", sum, tt.amount)
				}
				if got.Confidence < MatchThreshold {
					t.Errorf("confidence %d below the threshold %d", got.Confidence, MatchThreshold)
				}
			}
			if got.Outcome == OutcomeReview {
				if got.Confidence >= MatchThreshold {
					t.Errorf("review with confidence %d at or above the threshold", got.Confidence)
				}
				var first string
				if len(got.Candidates) > 0 {
					first = got.Candidates[0].MemberID
				}
				if first != tt.want.candidates {
					t.Errorf("first candidate = %q, want %q (all %v)", first, tt.want.candidates, got.Candidates)
				}
			}
			if got.Reason.String() == "" || got.Reason.Korean() == "" {
				t.Errorf("reason %v renders empty", got.Reason.Code)
			}
		})
	}
}

func TestMatchWithdrawalIgnored(t *testing.T) {
	m := NewMatcher(testGroup())
	got := m.Match(Deposit{Direction: Out, Text: "김민수", Amount: 30000})
	if got.Outcome != OutcomeIgnored || got.Reason.Code != ReasonWithdrawal {
		t.Errorf("withdrawal = %v %v, want ignored withdrawal", got.Outcome, got.Reason.Code)
	}
}

func TestMatchJointSplitsInProportion(t *testing.T) {
	m := NewMatcher(testGroup())
	got := m.Match(Deposit{Direction: In, Text: "이지은이민수", Amount: 100000})
	want := []Share{{"m02", 60000}, {"m04", 40000}}
	if !slices.Equal(got.Shares, want) {
		t.Errorf("shares = %v, want %v", got.Shares, want)
	}
}

func TestReasonRendering(t *testing.T) {
	m := NewMatcher(testGroup())
	tests := []struct {
		text        string
		wantEnglish string
		wantKorean  string
	}{
		{"김민수회비", "name 김민수 after removing 회비", "이름 김민수 (회비 제거)"},
		{"11월회비김민수", "name 김민수 after removing 11월, 회비", "이름 김민수 (11월·회비 제거)"},
		{"김민수", "name 김민수", "이름 김민수"},
		{"11월회비김민", "name cut off as 김민→김민수 after removing 11월, 회비", "잘린 이름 김민→김민수 (11월·회비 제거)"},
		{"김민슈", "김민슈 is one letter off a member's name", "이름과 한 글자 다른 김민슈"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			r := m.Match(Deposit{Direction: In, Text: tt.text, Amount: 30000}).Reason
			if got := r.String(); got != tt.wantEnglish {
				t.Errorf("String() = %q, want %q", got, tt.wantEnglish)
			}
			if got := r.Korean(); got != tt.wantKorean {
				t.Errorf("Korean() = %q, want %q", got, tt.wantKorean)
			}
		})
	}
}

// TestMatchDeterministic runs the same deposits through two matchers built
// from the same group: map iteration must not leak into verdicts.
func TestMatchDeterministic(t *testing.T) {
	texts := []string{"김*수", "이*수", "11월회비이민", "정하늘", "김민슈", "지은", "박서준", "KIM MINSU"}
	for _, text := range texts {
		var first string
		for i := 0; i < 20; i++ {
			got := fmt.Sprintf("%+v", NewMatcher(testGroup()).Match(Deposit{Direction: In, Text: text, Amount: 30000}))
			if i == 0 {
				first = got
			} else if got != first {
				t.Fatalf("Match(%q) differs between runs:\n%s\n%s", text, first, got)
			}
		}
	}
}

func TestMatchShortNameNotPartOfLongerName(t *testing.T) {
	m := NewMatcher(testGroup())
	for _, text := range []string{"이민형", "이민분", "이민네", "이민맘"} {
		t.Run(text, func(t *testing.T) {
			got := m.Match(Deposit{Direction: In, Text: text, Amount: 30000})
			if got.Outcome != OutcomeReview {
				t.Errorf("Match(%q) = %v %v (%s), want review: the text may be a stranger's name", text, got.Outcome, got.Shares, got.Reason)
			}
		})
	}
	// A three-syllable name with a relative stays a match.
	if got := m.Match(Deposit{Direction: In, Text: "이지은맘", Amount: 30000}); got.Outcome != OutcomeMatched {
		t.Errorf("이지은맘 = %v, want matched", got.Outcome)
	}
}

func TestMatchRomanisedUnregistered(t *testing.T) {
	m := NewMatcher(testGroup())
	tests := []struct {
		text string
		want string // first candidate
	}{
		{"LEE JIEUN", "m02"},
		{"JIEUN LEE", "m02"},
		{"YI JI EUN", "m02"},
		{"PARK SEOJUN", "m05"},
		{"CHUNG HANEUL", "m09"},
		{"HAN GARAM", "m13"},
		{"LEE SOOJIN", "m08"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got := m.Match(Deposit{Direction: In, Text: tt.text, Amount: 30000})
			if got.Outcome != OutcomeReview || got.Reason.Code != ReasonRomanised || len(got.Candidates) == 0 || got.Candidates[0].MemberID != tt.want {
				t.Errorf("Match(%q) = %v %v %v (%s), want review with candidate %s", tt.text, got.Outcome, got.Reason.Code, got.Candidates, got.Reason, tt.want)
			}
		})
	}
}

func TestRomanize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"김민수", "gimminsu"},
		{"이지은", "ijieun"},
		{"정하늘", "jeonghaneul"},
		{"최유리", "choeyuri"},
		{"한가람", "hangaram"},
	}
	for _, tt := range tests {
		if got := romanize(tt.in); got != tt.want {
			t.Errorf("romanize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestMatchRosterQuirks covers rosters where names and aliases overlap:
// a parent registered for two children, a child's name inside the
// parent's alias, and aliases that are everyday words.
func TestMatchRosterQuirks(t *testing.T) {
	g := &Group{
		Name: "FC새싹 학부모회",
		Dues: DuesRule{Amount: 30000, Day: 10, Start: NewPeriod(2026, 3)},
		Members: []Member{
			{ID: "k1", Name: "김지호", Aliases: []Alias{{Text: "김태성"}}},
			{ID: "k2", Name: "김지안", Aliases: []Alias{{Text: "김태성"}}},
			{ID: "k3", Name: "이준서", Aliases: []Alias{{Text: "준서아빠"}}},
			{ID: "k4", Name: "정우리", Aliases: []Alias{{Text: "우리"}}},
			{ID: "k5", Name: "김민지"},
			{ID: "k6", Name: "김민지"},
		},
	}
	m := NewMatcher(g)
	tests := []matchCase{
		{"SharedParentAliasPaysBoth", "김태성", 60000, OutcomeMatched, "k1+k2"},
		{"SharedParentAliasTwoMonthsEach", "김태성", 120000, OutcomeMatched, "k1+k2"},
		{"SharedParentAliasOneChild", "김태성", 30000, OutcomeReview, ""},
		{"SameNameIsNotSharedAlias", "김민지", 60000, OutcomeReview, ""},
		{"NameInsideAlias", "이준서아빠", 30000, OutcomeMatched, "k3"},
		{"EverydayWordOneMonth", "우리회비", 30000, OutcomeMatched, "k4"},
		{"EverydayWordOtherAmount", "우리회비", 60000, OutcomeReview, ""},
		{"FullNameOtherAmount", "정우리", 60000, OutcomeMatched, "k4"},
		{"MonthWorth", "11월치정우리", 30000, OutcomeMatched, "k4"},
	}
	checkMatches(t, m, tests)
}

func TestMatchLatinCutAmbiguity(t *testing.T) {
	g := &Group{
		Name: "무지개 모임",
		Dues: DuesRule{Amount: 20000, Day: 15, Start: NewPeriod(2026, 8)},
		Members: []Member{
			{ID: "a", Name: "NGUYEN THI LAN"},
			{ID: "b", Name: "NGUYEN THI LANH", Dues: 30000},
			{ID: "c", Name: "김민수상회장"},
			{ID: "d", Name: "박종민"},
		},
	}
	m := NewMatcher(g)
	tests := []matchCase{
		{"", "NGUYEN THI LAN", 20000, OutcomeMatched, "a"}, // the amount decides
		{"", "NGUYEN THI LAN", 30000, OutcomeMatched, "b"},
		{"", "NGUYEN THI LAN", 60000, OutcomeReview, ""},
		{"", "NGUYEN LAN", 20000, OutcomeReview, ""}, // not at the limit, not a whole name
		{"", "박종민상회", 20000, OutcomeMatched, "d"},
		{"", "주식회사박종민", 20000, OutcomeMatched, "d"},
		{"", "28세손박종민", 20000, OutcomeMatched, "d"},
		{"", "무통장박종민", 20000, OutcomeMatched, "d"},
	}
	checkMatches(t, m, tests)
}

// TestMatchReviewFindings pins the cases a code review found: a cut name
// that spells a refund or interest word, an everyday-word alias in a joint
// deposit, a two-syllable name glued to a word whose first syllable may end
// a longer name, Latin cut-offs that are not at the end or not at the
// limit, and a huge amount from an exempt member.
func TestMatchReviewFindings(t *testing.T) {
	g := &Group{
		Name: "모임",
		Dues: DuesRule{Amount: 30000, Day: 25, Start: NewPeriod(2026, 1)},
		Members: []Member{
			{ID: "b", Name: "배민수"},
			{ID: "k", Name: "김민수"},
			{ID: "e", Name: "이자영"},
			{ID: "u", Name: "정우리", Aliases: []Alias{{Text: "우리"}}},
			{ID: "n", Name: "안나"},
			{ID: "c", Name: "CHRISTOPHER LEE"},
			{ID: "x", Name: "최유리", Exempt: true},
		},
		Ignore: []string{"이자"},
	}
	m := NewMatcher(g)
	tests := []struct {
		name   string
		text   string
		amount int64
		want   Outcome
	}{
		{"CutNameSpellsRefundWord", "11월회비배민", 30000, OutcomeMatched},
		{"CutNameSpellsIgnoreText", "11월회비이자", 30000, OutcomeMatched},
		{"EverydayAliasInJoint", "우리 김민수", 60000, OutcomeReview},
		{"GluedAnnualDuesWord", "안나연회비", 30000, OutcomeReview},
		{"SpacedAnnualDuesWord", "안나 연회비", 360000, OutcomeMatched},
		{"LatinNotAtEnd", "LEE CHRIS 회비", 30000, OutcomeReview},
		{"LatinShort", "LEE CHRIS", 30000, OutcomeReview},
		{"LatinCutAtLimit", "CHRISTOPHER LE", 30000, OutcomeMatched},
		{"ExemptHugeAmount", "최유리", 3000000, OutcomeReview},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := m.Match(Deposit{Direction: In, Text: tt.text, Amount: tt.amount})
			if got.Outcome != tt.want {
				t.Errorf("Match(%q, %d) = %v %v (%s), want %v", tt.text, tt.amount, got.Outcome, got.Shares, got.Reason, tt.want)
			}
		})
	}
}

func TestMatchRelatives(t *testing.T) {
	m := NewMatcher(testGroup())
	tests := []struct {
		text string
		want Outcome
	}{
		{"이지은엄마", OutcomeMatched}, // a parent pays for the member
		{"이지은아버지", OutcomeMatched},
		{"이지은동생", OutcomeReview}, // a sibling may be a member too
		{"이지은남편", OutcomeReview},
		{"이지은언니", OutcomeReview},
	}
	for _, tt := range tests {
		if got := m.Match(Deposit{Direction: In, Text: tt.text, Amount: 30000}); got.Outcome != tt.want {
			t.Errorf("Match(%q) = %v (%s), want %v", tt.text, got.Outcome, got.Reason, tt.want)
		}
	}
}

// TestMatchSecondReviewFindings pins what an adversarial review found after
// the first fixes.
func TestMatchSecondReviewFindings(t *testing.T) {
	g := &Group{
		Name: "모임",
		Dues: DuesRule{Amount: 30000, Day: 25, Start: NewPeriod(2026, 1)},
		Members: []Member{
			{ID: "k", Name: "김영수", Aliases: []Alias{{Text: "301호"}}},
			{ID: "l", Name: "이영희", Aliases: []Alias{{Text: "12호"}}},
			{ID: "n", Name: "남궁민"},
			{ID: "v", Name: "NGUYEN THI LAN"},
			{ID: "m", Name: "김민수", Aliases: []Alias{{Text: "간식비김민수", Learned: true}}},
			{ID: "p", Name: "NGUYEN VAN MINH"},
			{ID: "h", Name: "TRAN THI THU HA"},
			{ID: "c", Name: "MARICEL DELA CRUZ"},
			{ID: "f", Name: "페이"},
		},
	}
	m := NewMatcher(g)
	tests := []matchCase{
		{"UnitNumberInsideLongerNumber", "1301호", 30000, OutcomeReview, ""},
		{"UnitNumberInsideLongerNumber2", "112호", 30000, OutcomeReview, ""},
		{"UnitNumber", "301호", 30000, OutcomeMatched, "k"},
		{"CutMonthIsNoName", "김영수님 12", 60000, OutcomeMatched, "k"},
		{"SurnameOnlyIsNoCut", "11월회비남궁", 30000, OutcomeReview, ""},
		{"LatinNoisePaddingIsNoCut", "IBK NGUYEN THI", 30000, OutcomeReview, ""},
		{"LearnedAliasIsNoCutPrefix", "12월 모임 간식비", 30000, OutcomeReview, ""},
		{"LearnedAliasWhole", "간식비김민수", 30000, OutcomeMatched, "m"},
		{"LatinNameWithBankCodeLetters", "NGUYEN VAN MINH", 30000, OutcomeMatched, "p"},
		{"PoliteAfterShortName", "남궁민님", 30000, OutcomeMatched, "n"},
		{"LatinCutAtWordBoundary", "TRAN THI THU H", 30000, OutcomeMatched, "h"},
		{"LatinCutOneLetterLeft", "MARICEL DELA C", 30000, OutcomeMatched, "c"},
		{"NameInsideKnownWord", "카카오페이", 30000, OutcomeReview, ""},
		{"NameOnItsOwn", "페이", 30000, OutcomeMatched, "f"},
	}
	checkMatches(t, m, tests)
}

// matchCase is one deposit of a roster test and the verdict it must get.
type matchCase struct {
	name    string // the subtest's name; the text and amount when empty
	text    string
	amount  int64
	want    Outcome
	members string // the matched members, joined by "+"
}

// checkMatches runs each case through m as a subtest.
func checkMatches(t *testing.T, m *Matcher, cases []matchCase) {
	t.Helper()
	for _, tt := range cases {
		name := tt.name
		if name == "" {
			name = fmt.Sprintf("%s/%d", tt.text, tt.amount)
		}
		t.Run(name, func(t *testing.T) {
			got := m.Match(Deposit{Direction: In, Text: tt.text, Amount: tt.amount})
			var members []string
			for _, s := range got.Shares {
				members = append(members, s.MemberID)
			}
			if got.Outcome != tt.want || strings.Join(members, "+") != tt.members {
				t.Errorf("Match(%q, %d) = %v %v (%s), want %v %q", tt.text, tt.amount, got.Outcome, members, got.Reason, tt.want, tt.members)
			}
		})
	}
}

// wordsGroup is a roster for the kinds of payer text in issue 17: a group
// whose name and treasurer's words make dues words, one of them the start
// of a member's name (부서 and 부서연) and one running into a name (미술반
// and 반지원); an English alias shared by two members with different
// surnames and dues (Lucy), and one shared by two members whose surnames
// are both spelled YOO (JAKE for 유 and 류); Latin names; a household
// registered through an alias (박종민처).
func wordsGroup() *Group {
	return &Group{
		Name:  "토요 미술반",
		Words: []string{"부서", "스터디"},
		Dues:  DuesRule{Amount: 50000, Day: 5, Start: NewPeriod(2026, 1)},
		Members: []Member{
			{ID: "w01", Name: "정유진", Aliases: []Alias{{Text: "Lucy"}, {Text: "루시"}}},
			{ID: "w02", Name: "서지안", Aliases: []Alias{{Text: "Lucy"}, {Text: "지안"}}, Dues: 25000},
			{ID: "w03", Name: "정수민"},
			{ID: "w04", Name: "TOM BAKER"},
			{ID: "w05", Name: "ANNA CHRISTENSEN"},
			{ID: "w06", Name: "ANDREW CHRISTENSEN"},
			{ID: "w07", Name: "반지원"},
			{ID: "w08", Name: "이지원"},
			{ID: "w09", Name: "부서연"},
			{ID: "w10", Name: "김서연"},
			{ID: "w11", Name: "박종민"},
			{ID: "w12", Name: "김정희", Aliases: []Alias{{Text: "박종민처"}}},
			{ID: "w13", Name: "유민호", Aliases: []Alias{{Text: "JAKE"}, {Text: "Kevin"}}},
			{ID: "w14", Name: "류현우", Aliases: []Alias{{Text: "JAKE"}}, Dues: 30000},
			{ID: "w15", Name: "김민준"},
			{ID: "w16", Name: "조민지", Aliases: []Alias{{Text: "한나"}, {Text: "하나"}}},
			{ID: "w17", Name: "최하린", Aliases: []Alias{{Text: "박은정"}}},
			{ID: "w18", Name: "바트체첵", Aliases: []Alias{{Text: "체첵"}}},
			{ID: "w19", Name: "DECLAN ROSS"},
		},
	}
}

// TestMatchGroupWords covers dues words made from the group's name (토요
// 미술반: 미술비, 반비, 반회비) and the treasurer's words (부서, 스터디), and
// their traps: a word that is the start of a member's name (부서 of
// 부서연), a word that runs into a name (미술반 and 반지원: 미술반지원 is
// 미술 + 반지원 or 미술반 + 지원) and a word alone.
func TestMatchGroupWords(t *testing.T) {
	m := NewMatcher(wordsGroup())
	checkMatches(t, m, []matchCase{
		{"DerivedWordBeforeName", "미술비이지원", 50000, OutcomeMatched, "w08"},
		{"DerivedShortWord", "반비이지원", 50000, OutcomeMatched, "w08"},
		{"DerivedShortWordWithDues", "반회비김서연", 50000, OutcomeMatched, "w10"},
		{"GroupNameAndName", "미술반 김서연", 50000, OutcomeMatched, "w10"},
		{"NameThenActivity", "김서연 미술", 50000, OutcomeMatched, "w10"},
		{"ShortWordThenNameStartingWithIt", "반비반지원", 50000, OutcomeMatched, "w07"},
		{"MonthThenNameStartingWithWord", "십일월반지원", 50000, OutcomeMatched, "w07"},
		{"WordRunsIntoName", "미술반지원", 50000, OutcomeReview, ""},
		{"SpaceKeepsWordAndNameApart", "미술반 반지원", 50000, OutcomeMatched, "w07"},
		{"DerivedWordAlone", "반회비", 50000, OutcomeReview, ""},
		{"GroupNameAlone", "토요미술반", 50000, OutcomeReview, ""},
		{"TreasurerWord", "스터디비김민준", 50000, OutcomeMatched, "w15"},
		{"TreasurerWordAfterName", "김민준스터디", 50000, OutcomeMatched, "w15"},
		{"TreasurerWordStartsName", "부서회비부서연", 50000, OutcomeMatched, "w09"},
		{"NameStartingWithTreasurerWord", "부서연부서회비", 50000, OutcomeMatched, "w09"},
		{"NameAloneStartsWithWord", "부서연", 50000, OutcomeMatched, "w09"},
		{"TreasurerWordAlone", "부서회비", 50000, OutcomeReview, ""},
		{"GivenNameOfTwoAndWord", "서연부서회비", 50000, OutcomeReview, ""},
		{"TreasurerWordThenOtherName", "부서회비김서연", 50000, OutcomeMatched, "w10"},
		{"CutNameStartingLikeWord", "스터디회비부서", 50000, OutcomeMatched, "w09"},
		{"CutNameAfterTreasurerWord", "스터디회비김서", 50000, OutcomeMatched, "w10"},
		{"JobTitle", "팀장김민준", 50000, OutcomeMatched, "w15"},
		{"JobTitleAfter", "김민준 과장", 50000, OutcomeMatched, "w15"},
	})
	// The other reading of 미술반지원 (미술반 + 지원) is offered too.
	got := m.Match(Deposit{Direction: In, Text: "미술반지원", Amount: 50000})
	var cands []string
	for _, c := range got.Candidates {
		cands = append(cands, c.MemberID)
	}
	if !slices.Contains(cands, "w07") || !slices.Contains(cands, "w08") {
		t.Errorf("미술반지원 candidates = %v, want w07 and w08", cands)
	}
}

// TestMatchDerivedWordIsName: a word of the group's name that is a
// member's name, or the start or end of one, is no dues word; the name
// wins.
func TestMatchDerivedWordIsName(t *testing.T) {
	g := &Group{
		Name: "김민수 팬클럽 소망교회 시온성가대",
		Dues: DuesRule{Amount: 10000, Day: 10, Start: NewPeriod(2026, 9)},
		Members: []Member{
			{ID: "a", Name: "김민수"},
			{ID: "b", Name: "성가은"},
			{ID: "c", Name: "김소망"},
			{ID: "d", Name: "이시온"},
			{ID: "e", Name: "김은혜"},
		},
		Words: []string{"김은혜", "합창단"},
	}
	m := NewMatcher(g)
	checkMatches(t, m, []matchCase{
		// 김민수 is a word of the name but a member first: not an everyday
		// word, so two months still match.
		{"NameInGroupName", "김민수", 20000, OutcomeMatched, "a"},
		{"NameInGroupNameWithWord", "팬클럽비김민수", 10000, OutcomeMatched, "a"},
		{"WordThenNameStartingLikeIt", "성가대성가은", 10000, OutcomeMatched, "b"},
		{"CutNameStartingLikeWord", "성가대회비성가", 10000, OutcomeMatched, "b"},
		{"WordAlone", "성가대비", 10000, OutcomeReview, ""},
		{"WordThenNameEndingLikeChurch", "성가대김소망", 10000, OutcomeMatched, "c"},
		{"GivenNameThatIsChurchName", "소망회비", 10000, OutcomeReview, ""},
		{"GivenNameThatIsChoirName", "시온회비", 10000, OutcomeReview, ""},
		{"ChoirNameAlone", "시온성가대", 10000, OutcomeReview, ""},
		// A treasurer's word that is a member's name is not used.
		{"TreasurerWordIsName", "김은혜", 20000, OutcomeMatched, "e"},
		{"TreasurerWord", "합창단비김은혜", 10000, OutcomeMatched, "e"},
	})
	// 소망회비 and 시온회비 name no one for sure, but the members whose given
	// name it is are the candidates.
	for text, want := range map[string]string{"소망회비": "c", "시온회비": "d"} {
		got := m.Match(Deposit{Direction: In, Text: text, Amount: 10000})
		if len(got.Candidates) == 0 || got.Candidates[0].MemberID != want {
			t.Errorf("Match(%q) candidates = %v, want %s first", text, got.Candidates, want)
		}
	}
	// Without the treasurer's word, 합창단비 is text the matcher does not
	// know.
	g.Words = nil
	if got := NewMatcher(g).Match(Deposit{Direction: In, Text: "합창단비김은혜", Amount: 10000}); got.Outcome != OutcomeReview {
		t.Errorf("합창단비김은혜 without the word = %v (%s), want review", got.Outcome, got.Reason)
	}
}

// TestMatchAliasWithSurname covers a registered alias written with the
// member's surname: romanised (LUCY JUNG, JUNG LUCY) or in Hangul (정루시),
// with its traps: an alias shared by two members, a surname spelling that
// fits two members (YOO for 유 and 류), and an unregistered romanisation.
func TestMatchAliasWithSurname(t *testing.T) {
	m := NewMatcher(wordsGroup())
	tests := []matchCase{
		{"AliasThenSurname", "LUCY JUNG", 50000, OutcomeMatched, "w01"},
		{"SurnameThenAlias", "JUNG LUCY", 50000, OutcomeMatched, "w01"},
		{"OtherSpelling", "LUCY CHUNG", 50000, OutcomeMatched, "w01"},
		{"SharedAliasOtherSurname", "LUCY SEO", 25000, OutcomeMatched, "w02"},
		{"SurnameDecidesNotAmount", "LUCY SEO", 50000, OutcomeMatched, "w02"},
		{"SurnameOfNeither", "LUCY KIM", 50000, OutcomeReview, ""},
		{"WithDuesWord", "JUNG LUCY DUES", 50000, OutcomeMatched, "w01"},
		{"WithMonth", "LUCY JUNG DEC", 50000, OutcomeMatched, "w01"},
		{"UnregisteredRomanisation", "JUNG SUMIN", 50000, OutcomeReview, ""},
		{"SharedAliasAloneByAmount", "LUCY", 25000, OutcomeMatched, "w02"},
		{"SharedAliasAloneByAmountOther", "LUCY", 50000, OutcomeMatched, "w01"},
		{"SharedAliasAloneAmountFitsBoth", "LUCY", 100000, OutcomeReview, ""},
		// YOO spells both 유 and 류, and both are JAKE: only the amount
		// tells them apart.
		{"SurnameFitsTwoByAmount", "JAKE YOO", 30000, OutcomeMatched, "w14"},
		{"SurnameFitsTwoByAmountOther", "JAKE YOO", 50000, OutcomeMatched, "w13"},
		{"SurnameFitsTwoAmountFitsBoth", "JAKE YOO", 150000, OutcomeReview, ""},
		{"SurnameFitsTwoOtherSpelling", "JAKE RYU", 150000, OutcomeReview, ""},
		{"SurnameFitsOne", "JAKE LYU", 150000, OutcomeMatched, "w14"},
		{"AliasOfOneSurnameFitsTwo", "KEVIN YOO", 50000, OutcomeMatched, "w13"},
		{"HangulAliasWithSurname", "정루시", 50000, OutcomeMatched, "w01"},
		{"HangulAliasWithSurnameSpaced", "정 루시", 50000, OutcomeMatched, "w01"},
		{"HangulAliasWithMonth", "11월회비조한나", 50000, OutcomeMatched, "w16"},
		{"HangulAliasOtherSurname", "서루시", 50000, OutcomeReview, ""},
		{"HangulAliasEverydayWordKeepsCaution", "조하나", 100000, OutcomeReview, ""},
		{"HangulGivenNameAliasWithSurnameIsName", "서지안", 25000, OutcomeMatched, "w02"},
		// Only a two-syllable alias takes a Korean surname: not a parent's
		// whole name, nor a name whose first syllable is no Korean surname.
		{"FullNameAliasTakesNoSurname", "최박은정", 50000, OutcomeReview, ""},
		{"NoKoreanSurname", "바체첵", 50000, OutcomeReview, ""},
	}
	checkMatches(t, m, tests)
	got := m.Match(Deposit{Direction: In, Text: "LUCY JUNG", Amount: 50000})
	if got.Reason.Code != ReasonLatin || got.Confidence != confAliasSur {
		t.Errorf("LUCY JUNG = %v confidence %d, want %v %d", got.Reason.Code, got.Confidence, ReasonLatin, confAliasSur)
	}
	// Cut at 14: CHRISTINA JEONG → CHRISTINA JEON, with a second Christina
	// whose surname is 강.
	g := &Group{
		Name: "서초 영어회화 클럽",
		Dues: DuesRule{Amount: 30000, Day: 10, Start: NewPeriod(2026, 9)},
		Members: []Member{
			{ID: "k", Name: "강지민", Aliases: []Alias{{Text: "Christina"}}},
			{ID: "j", Name: "정소영", Aliases: []Alias{{Text: "Christina"}}},
			{ID: "c", Name: "전미래", Aliases: []Alias{{Text: "Chris"}}},
		},
	}
	checkMatches(t, NewMatcher(g), []matchCase{
		{"ExactAtLimit", "CHRISTINA KANG", 30000, OutcomeMatched, "k"},
		{"SurnameCut", "CHRISTINA JEON", 30000, OutcomeMatched, "j"},
		{"SurnameCutNotAtLimit", "CHRIS JEO", 30000, OutcomeReview, ""},
		{"ExactSurnameNotCut", "CHRIS JEON", 30000, OutcomeMatched, "c"},
		{"SharedAliasAlone", "CHRISTINA", 30000, OutcomeReview, ""},
	})
}

// TestMatchLatinNameAndMore covers romanised names with something after
// them: a dues word or month, or, at the bank's 14-character limit, the
// start of a third word the bank cut (BAKER TOM MONT for TOM BAKER, whose
// legal name is BAKER TOM MONTAGUE).
func TestMatchLatinNameAndMore(t *testing.T) {
	m := NewMatcher(wordsGroup())
	checkMatches(t, m, []matchCase{
		{"ReversedWithCutWord", "BAKER TOM MONT", 50000, OutcomeMatched, "w04"},
		{"WithCutWord", "TOM BAKER MONT", 50000, OutcomeMatched, "w04"},
		{"ReversedWithDuesWord", "BAKER TOM FEE", 50000, OutcomeMatched, "w04"},
		{"WithDuesWord", "TOM BAKER DUES", 50000, OutcomeMatched, "w04"},
		{"WithMonth", "TOM BAKER OCT", 50000, OutcomeMatched, "w04"},
		{"NotAtLimit", "BAKER TOM MON", 50000, OutcomeReview, ""},
		// ANDR starts another member's name: one month of Tom's dues is
		// his, more may pay for both.
		{"CutWordStartsOtherName", "TOM BAKER ANDR", 50000, OutcomeMatched, "w04"},
		{"CutWordStartsOtherNameMoreThanAMonth", "TOM BAKER ANDR", 100000, OutcomeReview, ""},
		// ANNA is another member's whole word: two people.
		{"OtherMembersWord", "TOM BAKER ANNA", 50000, OutcomeReview, ""},
		{"SurnameOnlyCutFitsTwo", "CHRISTENSEN AN", 50000, OutcomeReview, ""},
		{"CutFitsOne", "CHRISTENSEN ANN", 50000, OutcomeMatched, "w05"},
		{"OtherGivenName", "BAKER THOMAS", 50000, OutcomeReview, ""},
		{"OtherGivenNameCut", "BAKER THOMAS J", 50000, OutcomeReview, ""},
		// A text longer than the limit was not cut there.
		{"LongerThanLimit", "TOM BAKER MONTAG", 50000, OutcomeReview, ""},
		// PARK spells 박종민's surname: one month of Tom's dues only.
		{"CutWordIsOtherSurname", "TOM BAKER PARK", 50000, OutcomeMatched, "w04"},
		{"CutWordIsOtherSurnameMore", "TOM BAKER PARK", 100000, OutcomeReview, ""},
		// DEC at the limit is December or the start of DECLAN ROSS.
		{"MonthAtLimitStartsOtherName", "LUCY CHUNG DEC", 50000, OutcomeMatched, "w01"},
		{"MonthAtLimitStartsOtherNameMore", "LUCY CHUNG DEC", 100000, OutcomeReview, ""},
		{"MonthBeforeLimit", "LUCY JUNG DEC", 100000, OutcomeMatched, "w01"},
	})
}

// TestMatchMonthWords covers months written in Hangul words (십일월, 유월,
// 시월) and relative to the deposit (이번달, 지난달, 다음달), and month ranges.
func TestMatchMonthWords(t *testing.T) {
	m := NewMatcher(testGroup())
	checkMatches(t, m, []matchCase{
		{"", "십일월회비김민수", 30000, OutcomeMatched, "m01"},
		{"", "유월회비이지은", 30000, OutcomeMatched, "m02"},
		{"", "시월 이지은", 30000, OutcomeMatched, "m02"},
		{"", "칠월분이지은", 30000, OutcomeMatched, "m02"},
		{"", "십이월 김민수", 30000, OutcomeMatched, "m01"},
		{"", "이번달회비이지은", 30000, OutcomeMatched, "m02"},
		{"", "이지은지난달", 30000, OutcomeMatched, "m02"},
		{"", "다음달 이지은", 30000, OutcomeMatched, "m02"},
		{"", "12월~1월이지은", 60000, OutcomeMatched, "m02"},
		{"", "1,2월이지은", 60000, OutcomeMatched, "m02"},
		{"", "이지은 2달", 60000, OutcomeMatched, "m02"},
		{"", "이지은 3달치", 90000, OutcomeMatched, "m02"},
		{"CutAfterMonthWord", "십일월회비김민", 30000, OutcomeMatched, "m01"},
		{"CutAfterRelativeMonth", "이번달회비김민", 30000, OutcomeMatched, "m01"},
		{"CutPrefixPairByAmount", "이번달회비이민", 20000, OutcomeMatched, "m04"},
		{"CutPrefixPairUnclear", "지난달회비이민", 100000, OutcomeReview, ""},
		{"MonthWordOnly", "십일월회비", 30000, OutcomeReview, ""},
		{"RelativeMonthOnly", "다음달회비", 30000, OutcomeReview, ""},
		{"MonthWordBesideStranger", "시월 홍길동", 30000, OutcomeReview, ""},
		// After a two-syllable name a month word's first syllable may end a
		// stranger's name: 이민구 + 월회비.
		{"TwoSyllableNameGluedToMonth", "이민구월회비", 30000, OutcomeReview, ""},
		{"TwoSyllableNameSpacedFromMonth", "이민 구월회비", 30000, OutcomeMatched, "m03"},
		{"TwoSyllableNameThenRelativeMonth", "이민 지난달", 30000, OutcomeMatched, "m03"},
	})
}

// TestMatchHousehold: a member whose name is in another member's alias
// (김정희 registered as 박종민처, his wife) may pay for both: an amount that
// fits both of them together, and is not one month of his own, is a
// review.
func TestMatchHousehold(t *testing.T) {
	m := NewMatcher(wordsGroup())
	checkMatches(t, m, []matchCase{
		{"OneMonth", "박종민", 50000, OutcomeMatched, "w11"},
		{"BothOrTwoMonths", "박종민", 100000, OutcomeReview, ""},
		{"ThreeMonthsNotBoth", "박종민", 150000, OutcomeMatched, "w11"},
		{"TheWife", "박종민처", 50000, OutcomeMatched, "w12"},
	})
	got := m.Match(Deposit{Direction: In, Text: "박종민", Amount: 100000})
	var cands []string
	for _, c := range got.Candidates {
		cands = append(cands, c.MemberID)
	}
	if got.Reason.Code != ReasonHousehold || !slices.Equal(cands, []string{"w11", "w12"}) {
		t.Errorf("박종민 100000 = %v, candidates %v; want household, w11 and w12", got.Reason.Code, cands)
	}
	if got.Reason.String() == "" || got.Reason.Korean() == "" {
		t.Errorf("household reason renders empty")
	}
	// Two members of one name told apart by aliases are not a household.
	g := &Group{
		Name: "종친회",
		Dues: DuesRule{Amount: 20000, Day: 5, Start: NewPeriod(2026, 9)},
		Members: []Member{
			{ID: "a", Name: "박영수", Aliases: []Alias{{Text: "대구박영수"}}},
			{ID: "b", Name: "박영수", Aliases: []Alias{{Text: "서울박영수"}}},
			{ID: "c", Name: "이민"},
			{ID: "d", Name: "이민수"},
			{ID: "e", Name: "정미숙", Aliases: []Alias{{Text: "이민수엄마"}}},
			{ID: "f", Name: "최경호"},
			{ID: "g", Name: "윤영자", Aliases: []Alias{{Text: "최경호처"}}, Exempt: true},
		},
	}
	checkMatches(t, NewMatcher(g), []matchCase{
		{"SameNameAliases", "대구박영수", 40000, OutcomeMatched, "a"},
		{"NameInsideLongerName", "이민", 40000, OutcomeMatched, "c"},
		{"ParentAlias", "이민수", 40000, OutcomeReview, ""},
		{"ExemptSpouseOwesNothing", "최경호", 40000, OutcomeMatched, "f"},
	})
}
