// Package ledger is moimbot's domain: groups, members, dues rules, deposits,
// the matcher that turns a deposit's payer text into a member (or a review
// item for the treasurer), and the allocation of money to months. It imports
// only the standard library and golang.org/x/text; every other package imports
// it, never the reverse. Everything here is a pure function of its inputs: no
// I/O, no clock, no randomness.
//
// # Matching
//
// A Matcher is built from a Group (NewMatcher) and decides each Deposit with
// Match. Wrongly marking someone as paid is the worst mistake the product
// can make, so a deposit is matched only when one reading of its text is
// clearly right; everything else goes to review, where the treasurer decides
// with one tap. The steps:
//
//  1. Normalise: NFKC (full-width Latin and digits become ASCII, decomposed
//     or half-width Hangul composes), Latin folded to lower case, spaces and
//     punctuation removed, mask characters (*, ＊, ○, O between Hangul) kept
//     as '*'.
//  2. Find names: every member's name and alias (registered or learned) that
//     occurs in the text, longest first and never overlapping, so 이민수
//     wins over 이민. One-syllable aliases count only as the whole text. An
//     alias right after the member's surname is one name with it (정루시 for
//     정유진, registered as 루시), and names only the members of that surname.
//  3. Trim what surrounds them, at the edges only: months and years (11월,
//     11월분, 9-10월, 12월~1월, 2달, 2026), months in words (십일월, 유월,
//     시월, 이번달, 지난달, 다음달), dues words (회비, 월회비, 모임비, 곗돈,
//     입금...), the group's own words, bank and channel prefixes (카뱅, 토스,
//     KB, 타행, ATM), honorifics and job titles (님, 팀장, 과장), business
//     words (상회, 주식회사) and parents (엄마, 아빠: a parent paying).
//     Anything left is unknown text, such as 점심값 or a sibling or spouse
//     (동생, 남편: they may be members too), and makes the deposit a review.
//     The group's own words come from its name, split at digits and at
//     words such as 클럽, 성가대 or 반 (요가비 and 클래스비 in "수요 요가
//     클래스", 민턴비 in "수요 배드민턴 클럽", 팀비 and 2팀회비 in "영업2팀",
//     미술비 and 반비 in "토요 미술반"), and from the treasurer's list
//     (Group.Words: 합창단 gives 합창단, 합창단비, 합창단회비). A word of the
//     name that is a member's name or alias, or its start or end (소망 of
//     김소망 in "소망교회"), is not one; a treasurer's word that is a name or
//     alias is not used. A group word glued to a name that runs into it
//     makes the deposit a review: 미술반지원 is 미술 + 반지원, or 미술반 and
//     지원, a given name.
//  4. Decide: one member → matched. A name shared by several members is
//     matched only when the amount equals exactly one of their monthly
//     dues. Several members → a joint deposit, matched when the amount is a
//     whole number of months of the sum of their dues and split in proportion.
//     A text cut at the bank's limit (7 Hangul or 14 Latin characters) that
//     ends with the start of exactly one member's name is matched as cut
//     (11월회비김민 → 김민수); a name that is also the start of a longer name
//     in such a text (이민 / 이민수) needs the amount to decide. Romanised names
//     match registered Latin names and aliases in either word order, beside
//     dues words and English months (TOM BAKER DUES, BAKER TOM FEE); at the
//     14-character limit, also when the whole text (two words at least) is
//     the start of one, or when it is one whole (two words at least) and the
//     start of a further word the bank cut (BAKER TOM MONT for BAKER TOM
//     MONTAGUE) that is no other member's name; if it may start one (TOM
//     BAKER ANDR), only on exactly one month's dues. A registered Latin
//     alias with the member's Korean surname spelled out matches too (LUCY
//     JUNG or JUNG LUCY for 정유진, registered as Lucy): the surname spelled
//     exactly as it is usually written (JUNG, CHUNG, JEONG), or cut at the
//     limit (CHRISTINA JEON); when the spelling fits several members with
//     that alias (YOO for 유 and 류), the amount decides. An alias
//     registered for several members (a parent paying for two children)
//     pays for all of them when the amount is a whole number of months of
//     their dues together. A name or alias that is also an everyday word
//     (우리, 하나) is matched only on exactly one month's dues. A member
//     whose name is in another member's alias (박종민 and 박종민처, his
//     wife) has a household: an amount that pays for both together, and is
//     not one month of their own, is a review.
//  5. Otherwise review, with ranked candidates: a one-jamo typo (김민슈), a
//     masked name (김*수), a given name or the start of a name alone, an
//     unregistered romanisation of a Hangul name (KIM MINSU), a former member
//     (money after their last month is usually a standing order that kept
//     running), more than a year of dues at once, and a text with no name at all.
//     Withdrawals, the group's ignore texts, bank interest (이자, 결산이자) and
//     merchant refunds (토스페이맨, 환불) are ignored. A payment service's name
//     alone (카카오페이) is a review.
//
// Every verdict carries a Reason (rule, name, removed words) that the bot
// renders in Korean or English, and a confidence. Matches are at or above
// MatchThreshold; reviews are below it.
//
// # Learning
//
// When the treasurer assigns a review deposit to a member, Group.Learn turns
// the payer text into a learned alias of that member, so the same text
// matches by itself next time. It refuses aliases that would take another
// member's deposits, and masked texts.
//
// # Allocation
//
// A Book applies payments (matched shares, assigned reviews, cash) in time
// order. A member's money pays the oldest month they still owe, then the
// current month, then up to PrepayMonths later months; what is left is
// credit. Exempt members and months before joining or after leaving owe
// nothing. Dues can change from a month on (Group.SetDues,
// Group.SetMemberDues) without touching the months before, and the matcher
// compares amounts with the dues of the deposit's own month. The same payments in the same order always give the same
// allocations, so a book can be rebuilt from stored payments.
//
// # Offline reconciliation
//
// ReadGroup, ReadTransactions and Reconcile implement `moimbot reconcile`
// (docs/reconcile.md): the same matcher and allocator over a group file and
// a CSV or KFTC JSON export.
package ledger
