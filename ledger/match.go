package ledger

import (
	"fmt"
	"strings"
)

// Outcome is what the matcher concluded about a deposit.
type Outcome uint8

// Outcomes. The zero value is OutcomeReview: when in doubt, ask.
const (
	// OutcomeReview: not confident; the treasurer decides. Nothing is
	// allocated.
	OutcomeReview Outcome = iota
	// OutcomeMatched: confident; Shares say whose money it is.
	OutcomeMatched
	// OutcomeIgnored: not dues (a withdrawal, interest, a refund, one of
	// the group's ignore texts).
	OutcomeIgnored
)

// String returns "review", "matched" or "ignored".
func (o Outcome) String() string {
	switch o {
	case OutcomeMatched:
		return "matched"
	case OutcomeIgnored:
		return "ignored"
	}
	return "review"
}

// MarshalText implements encoding.TextMarshaler.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (o *Outcome) UnmarshalText(b []byte) error {
	switch string(b) {
	case "review":
		*o = OutcomeReview
	case "matched":
		*o = OutcomeMatched
	case "ignored":
		*o = OutcomeIgnored
	default:
		return fmt.Errorf("ledger: unknown outcome %q", b)
	}
	return nil
}

// Candidate is a member a review deposit could belong to.
type Candidate struct {
	MemberID string `json:"member"`
	// Score ranks candidates, 0–100; higher is likelier.
	Score int `json:"score"`
}

// Match is the matcher's verdict on one deposit.
type Match struct {
	Outcome Outcome `json:"outcome"`
	// Shares split the deposit between members when matched; they add up
	// to the deposit's amount.
	Shares []Share `json:"shares,omitempty"`
	// Candidates are the plausible members, best first: for a review, who
	// it could be; for a match, the matched members.
	Candidates []Candidate `json:"candidates,omitempty"`
	// Confidence is 0–100. Matches are at least MatchThreshold.
	Confidence int `json:"confidence"`
	// Reason says why, in a form the bot can render in any language.
	Reason Reason `json:"reason"`
}

// MatchThreshold is the confidence at and above which the matcher marks a
// deposit as paid without asking.
const MatchThreshold = 80

// Confidence levels. Each is the matcher's estimate that the verdict is
// right; only patterns that real payer texts show to be safe reach
// MatchThreshold.
const (
	confExact      = 100 // the whole text is a member's name or alias
	confClean      = 97  // a name, plus dues words, months or a bank prefix
	confFamily     = 92  // a name plus 엄마/아빠: a relative paying
	confLatin      = 95  // a romanised name, either order
	confAliasSur   = 90  // a registered alias and the member's surname (LUCY JUNG)
	confJoint      = 93  // two names, amount the sum of their dues
	confTruncated  = 88  // the text was cut at the bank's limit mid-name
	confByAmount   = 85  // same-name members told apart by their dues
	confExtraText  = 60  // a name plus text we do not understand
	confPartial    = 55  // a given name or the start of a name only
	confTypo       = 50  // one jamo off
	confMasked     = 40  // 김*수
	confAmbiguous  = 45  // several members fit equally
	confNoName     = 0
	confIgnored    = 100
	maxPlausibleMo = 12 // more than a year's dues in one deposit is reviewed
)

// ReasonCode names the rule that decided a match.
type ReasonCode uint8

// Reason codes.
const (
	ReasonNone ReasonCode = iota
	// Matched.
	ReasonName      // the member's name
	ReasonAlias     // a registered alias
	ReasonLearned   // an alias learned from the treasurer's decision
	ReasonTruncated // the text ends with the start of the name (cut by the bank)
	ReasonLatin     // a romanised name, words in either order
	ReasonJoint     // names of several members and the sum of their dues
	// Ignored.
	ReasonWithdrawal // money out
	ReasonIgnoreText // one of the group's ignore texts
	ReasonInterest   // bank interest
	ReasonRefund     // a refund or cashback
	// Review.
	ReasonNoName        // no name in the text
	ReasonUnknownName   // a name that is not on the roster
	ReasonPayService    // a payment service instead of a person
	ReasonSameName      // several members share the name and the amount does not tell them apart
	ReasonTruncAmbig    // a cut-off text that fits several members
	ReasonTypo          // one letter off a member's name
	ReasonMasked        // a masked name
	ReasonPartialName   // a given name or the start of a name only
	ReasonExtraText     // a name plus text that may mean it is not dues
	ReasonJointAmount   // several names, but the amount is not the sum of their dues
	ReasonLargeAmount   // more than a year of dues at once
	ReasonInvalidAmount // zero or negative amount
	ReasonMemberLeft    // the member had left before the deposit's month
	ReasonRomanised     // a romanisation of a member's Hangul name, not registered
	ReasonEverydayWord  // a name that is also an everyday word, and not one month's dues
	ReasonHousehold     // one name, but the amount also fits that member and their household together
)

// reasonNames are the codes' stable names, used in JSON (the store keeps
// decisions) so that adding a code never changes a stored one.
var reasonNames = map[ReasonCode]string{
	ReasonNone: "none", ReasonName: "name", ReasonAlias: "alias", ReasonLearned: "learned",
	ReasonTruncated: "truncated", ReasonLatin: "latin", ReasonJoint: "joint",
	ReasonWithdrawal: "withdrawal", ReasonIgnoreText: "ignore_text", ReasonInterest: "interest",
	ReasonRefund: "refund", ReasonNoName: "no_name", ReasonUnknownName: "unknown_name",
	ReasonPayService: "pay_service", ReasonSameName: "same_name", ReasonTruncAmbig: "truncated_ambiguous",
	ReasonTypo: "typo", ReasonMasked: "masked", ReasonPartialName: "partial_name",
	ReasonExtraText: "extra_text", ReasonJointAmount: "joint_amount", ReasonLargeAmount: "large_amount",
	ReasonInvalidAmount: "invalid_amount", ReasonMemberLeft: "member_left", ReasonRomanised: "romanised",
	ReasonEverydayWord: "everyday_word", ReasonHousehold: "household",
}

// String returns the code's stable name, e.g. "truncated".
func (c ReasonCode) String() string {
	if n, ok := reasonNames[c]; ok {
		return n
	}
	return fmt.Sprintf("reason(%d)", uint8(c))
}

// MarshalText implements encoding.TextMarshaler with the stable name.
func (c ReasonCode) MarshalText() ([]byte, error) {
	if _, ok := reasonNames[c]; !ok {
		return nil, fmt.Errorf("ledger: unknown reason code %d", uint8(c))
	}
	return []byte(reasonNames[c]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *ReasonCode) UnmarshalText(b []byte) error {
	for code, name := range reasonNames {
		if name == string(b) {
			*c = code
			return nil
		}
	}
	return fmt.Errorf("ledger: unknown reason code %q", b)
}

var reasonEnglish = map[ReasonCode]string{
	ReasonName:          "name %s",
	ReasonAlias:         "alias %s",
	ReasonLearned:       "learned alias %s",
	ReasonTruncated:     "name cut off as %s",
	ReasonLatin:         "romanised name %s",
	ReasonJoint:         "names %s with the sum of their dues",
	ReasonWithdrawal:    "withdrawal",
	ReasonIgnoreText:    "ignore text %s",
	ReasonInterest:      "bank interest %s",
	ReasonRefund:        "refund %s",
	ReasonNoName:        "no name in the text",
	ReasonUnknownName:   "%s is not a member's name",
	ReasonPayService:    "payment service %s, payer unknown",
	ReasonSameName:      "several members are named %s",
	ReasonTruncAmbig:    "cut-off text %s fits several members",
	ReasonTypo:          "%s is one letter off a member's name",
	ReasonMasked:        "masked name %s",
	ReasonPartialName:   "%s is only part of a name",
	ReasonExtraText:     "name %s with other text",
	ReasonJointAmount:   "names %s but the amount is not the sum of their dues",
	ReasonLargeAmount:   "name %s but the amount is more than a year of dues",
	ReasonInvalidAmount: "amount is not positive",
	ReasonMemberLeft:    "%s left the group before this deposit",
	ReasonRomanised:     "%s looks like a romanised member name that is not registered",
	ReasonEverydayWord:  "%s is also an everyday word and the amount is not one month's dues",
	ReasonHousehold:     "the amount may pay for %s together",
}

var reasonKorean = map[ReasonCode]string{
	ReasonName:          "이름 %s",
	ReasonAlias:         "별칭 %s",
	ReasonLearned:       "학습된 별칭 %s",
	ReasonTruncated:     "잘린 이름 %s",
	ReasonLatin:         "영문 이름 %s",
	ReasonJoint:         "이름 %s, 회비 합계와 금액 일치",
	ReasonWithdrawal:    "출금",
	ReasonIgnoreText:    "제외 문구 %s",
	ReasonInterest:      "은행 이자",
	ReasonRefund:        "환불 %s",
	ReasonNoName:        "이름 없음",
	ReasonUnknownName:   "명단에 없는 이름 %s",
	ReasonPayService:    "결제 서비스 %s, 입금자 불명",
	ReasonSameName:      "동명이인 %s",
	ReasonTruncAmbig:    "잘린 이름 %s, 여러 명 가능",
	ReasonTypo:          "이름과 한 글자 다른 %s",
	ReasonMasked:        "가려진 이름 %s",
	ReasonPartialName:   "이름 일부만 있는 %s",
	ReasonExtraText:     "이름 %s와 다른 문구",
	ReasonJointAmount:   "이름 %s, 금액이 회비 합계와 다름",
	ReasonLargeAmount:   "이름 %s, 1년치 회비 초과 금액",
	ReasonInvalidAmount: "금액 오류",
	ReasonMemberLeft:    "탈퇴한 회원 %s의 입금",
	ReasonRomanised:     "등록되지 않은 영문 이름 %s",
	ReasonEverydayWord:  "일상어와 같은 이름 %s, 금액이 한 달 회비와 다름",
	ReasonHousehold:     "%s 함께 낸 금액일 수 있음",
}

// Reason explains a verdict: the rule, the text it rests on, and what was
// removed from the payer text first. The bot renders it in the group's
// language; String gives English.
type Reason struct {
	Code ReasonCode `json:"code"`
	// Text is the name, alias or text the rule rests on (joined with "+"
	// for several members).
	Text string `json:"text,omitempty"`
	// Removed lists the words and numbers removed before matching (회비,
	// 11월, 카뱅).
	Removed []string `json:"removed,omitempty"`
	// Extra is text left over beside the name (점심값, 엄마).
	Extra string `json:"extra,omitempty"`
	// ByAmount is set when the amount chose between members.
	ByAmount bool `json:"by_amount,omitempty"`
}

// String renders the reason in English, e.g. "name 김민수 after removing
// 회비".
func (r Reason) String() string { return r.render(reasonEnglish, "after removing", "by amount", ", ") }

// Korean renders the reason in Korean, e.g. "이름 김민수 (회비·11월 제거)".
func (r Reason) Korean() string { return r.render(reasonKorean, "", "금액으로 구분", "·") }

func (r Reason) render(table map[ReasonCode]string, removing, byAmount, sep string) string {
	f, ok := table[r.Code]
	if !ok {
		return ""
	}
	s := f
	if strings.Contains(f, "%s") {
		s = fmt.Sprintf(f, r.Text)
	}
	var notes []string
	if r.Extra != "" && r.Code != ReasonExtraText {
		notes = append(notes, "+"+r.Extra)
	}
	if r.ByAmount {
		notes = append(notes, byAmount)
	}
	if len(r.Removed) > 0 {
		if removing != "" {
			notes = append(notes, removing+" "+strings.Join(r.Removed, sep))
		} else {
			notes = append(notes, strings.Join(r.Removed, sep)+" 제거")
		}
	} else if r.Extra != "" && r.Code == ReasonExtraText {
		notes = append(notes, r.Extra)
	}
	if len(notes) == 0 {
		return s
	}
	if removing != "" {
		return s + " " + strings.Join(notes, "; ")
	}
	return s + " (" + strings.Join(notes, ", ") + ")"
}
