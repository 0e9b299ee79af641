package bot

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/moimbot/moimbot/ledger"
)

// memberName returns the name of member id in g, or id itself when g does
// not know it.
func memberName(g *ledger.Group, id string) string {
	if g != nil {
		if m, ok := g.Member(id); ok && m.Name != "" {
			return m.Name
		}
	}
	return id
}

// statusName returns the name of ms's member: the group's, else the one
// the status carries, else the id.
func statusName(g *ledger.Group, ms ledger.MemberStatus) string {
	if g != nil {
		if m, ok := g.Member(ms.MemberID); ok && m.Name != "" {
			return m.Name
		}
	}
	if ms.Name != "" {
		return ms.Name
	}
	return ms.MemberID
}

// groupName returns g's name, or "" for a nil group.
func groupName(g *ledger.Group) string {
	if g == nil {
		return ""
	}
	return g.Name
}

// polite adds the Korean honorific 님 to a name; English names stay as they
// are.
func polite(lang Lang, name string) string {
	if lang == English {
		return name
	}
	return name + "님"
}

// joinAnd joins items the English way: "A", "A and B", "A, B and C".
func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// plural returns "1 day" or "3 days".
func plural(n int, word string) string {
	if n == 1 || n == -1 {
		return strconv.Itoa(n) + " " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// monthState returns member id's month p from statuses, normalised to one of
// StatusUnpaid, StatusPartial, StatusPaid, StatusExempt and StatusNotOwed: a
// later month paid in advance (StatusCredit) is paid or partial by its
// amounts. A month statuses do not list (after their as-of month, not
// prepaid) is taken from the group as owed and unpaid. ok is false when
// statuses do not hold the member.
func monthState(g *ledger.Group, statuses []ledger.MemberStatus, id string, p ledger.Period) (ps ledger.PeriodStatus, ok bool) {
	i := slices.IndexFunc(statuses, func(ms ledger.MemberStatus) bool { return ms.MemberID == id })
	if i < 0 {
		return ledger.PeriodStatus{}, false
	}
	return periodOf(g, statuses[i], p), true
}

// periodOf is monthState for one member's status.
func periodOf(g *ledger.Group, ms ledger.MemberStatus, p ledger.Period) ledger.PeriodStatus {
	j := slices.IndexFunc(ms.Periods, func(ps ledger.PeriodStatus) bool { return ps.Period == p })
	if j >= 0 {
		ps := ms.Periods[j]
		if ps.Status == ledger.StatusCredit {
			switch {
			case ps.Due == 0:
				ps.Status = ledger.StatusExempt
			case ps.Paid >= ps.Due:
				ps.Status = ledger.StatusPaid
			case ps.Paid > 0:
				ps.Status = ledger.StatusPartial
			default:
				ps.Status = ledger.StatusUnpaid
			}
		}
		return ps
	}
	ps := ledger.PeriodStatus{Period: p, Status: ledger.StatusNotOwed}
	if g == nil {
		return ps
	}
	m, ok := g.Member(ms.MemberID)
	if !ok || !g.Owes(m, p) {
		return ps
	}
	ps.Due = g.MonthlyDues(m, p)
	if ps.Due == 0 {
		ps.Status = ledger.StatusExempt
	} else {
		ps.Status = ledger.StatusUnpaid
	}
	return ps
}

// countMonth counts the members who owe money for p (due above zero: exempt
// and not-owed members are left out) and those of them who paid it in full.
func countMonth(g *ledger.Group, statuses []ledger.MemberStatus, p ledger.Period) (paid, owing int) {
	for _, ms := range statuses {
		ps := periodOf(g, ms, p)
		if ps.Due <= 0 {
			continue
		}
		owing++
		if ps.Status == ledger.StatusPaid {
			paid++
		}
	}
	return paid, owing
}

// counter renders " (6/8명)" or " (6/8)", or "" when nobody owes; a
// non-empty month names the counted month: " (11월 6/8명)".
func counter(lang Lang, paid, owing int, month string) string {
	if owing == 0 {
		return ""
	}
	if month != "" {
		month += " "
	}
	s := " (" + month + strconv.Itoa(paid) + "/" + strconv.Itoa(owing)
	if lang == English {
		return s + ")"
	}
	return s + "명)"
}

// NoticeInput is what a deposit notice needs.
type NoticeInput struct {
	Lang    Lang
	Group   *ledger.Group
	Deposit ledger.Deposit
	// Allocations are the deposit's allocations, for one member or several
	// (a joint deposit); a zero Period is credit.
	Allocations []ledger.Allocation
	// Statuses are the group's statuses after this deposit, as of Month.
	Statuses []ledger.MemberStatus
	// Month is the month the chat cares about now: the current dues month.
	Month ledger.Period
	// Assigned is set when the treasurer assigned the deposit after a
	// review.
	Assigned bool
}

// payerShare is what one deposit paid for one member.
type payerShare struct {
	id     string
	months []ledger.Period // sorted, without credit
	credit int64
}

// shares groups allocations by member, in the order members first appear.
func shares(allocs []ledger.Allocation) []payerShare {
	var out []payerShare
	for _, a := range allocs {
		i := slices.IndexFunc(out, func(s payerShare) bool { return s.id == a.MemberID })
		if i < 0 {
			out = append(out, payerShare{id: a.MemberID})
			i = len(out) - 1
		}
		if a.Credit() {
			out[i].credit += a.Amount
		} else if !slices.Contains(out[i].months, a.Period) {
			out[i].months = append(out[i].months, a.Period)
		}
	}
	for i := range out {
		slices.Sort(out[i].months)
	}
	return out
}

// DepositNotice renders the group chat's one-line notice of a deposit:
//
//	💰 김민수님 30,000원 입금 — 11월 회비 완납 (6/8명)
//	💰 박서준님 15,000원 입금 — 11월 회비 일부 납부, 15,000원 남음 (5/8명)
//	💰 한지호님 60,000원 입금 — 10월·11월 회비 완납 (7/8명)
//	💰 윤서연님 90,000원 입금 — 11월 회비 완납, 12월~2027년 1월분 선납 (7/8명)
//
// Credit adds ", 10,000원은 적립금으로 보관". A joint deposit names every
// payer (김민수님·이지은님) and, when their months differ, each payer's
// months. The counter is always Month's: members who paid it in full out of
// the members who owe it; it names the month ("(12월 7/7명)") when the
// deposit paid none of Month.
func DepositNotice(in NoticeInput) string {
	lang := in.Lang
	ss := shares(in.Allocations)

	var b strings.Builder
	b.WriteString("💰 ")
	var payers []string
	for _, s := range ss {
		payers = append(payers, polite(lang, memberName(in.Group, s.id)))
	}
	switch {
	case len(payers) > 0 && lang == English:
		b.WriteString(joinAnd(payers))
	case len(payers) > 0:
		b.WriteString(strings.Join(payers, "·"))
	case lang == English:
		b.WriteString(`"` + in.Deposit.Text + `"`)
	default:
		b.WriteString(`보낸 분 "` + in.Deposit.Text + `"`)
	}
	if lang == English {
		b.WriteString(" paid " + Won(lang, in.Deposit.Amount))
	} else {
		b.WriteString(" " + Won(lang, in.Deposit.Amount) + " 입금")
	}
	if in.Assigned {
		if lang == English {
			b.WriteString(" (confirmed by the treasurer)")
		} else {
			b.WriteString(" (총무 확인)")
		}
	}

	descs := make([]string, len(ss))
	same := true
	for i, s := range ss {
		descs[i] = strings.Join(shareClauses(in, s), ", ")
		same = same && descs[i] == descs[0]
	}
	var desc string
	switch {
	case len(ss) == 0:
	case same:
		desc = descs[0]
	default:
		parts := make([]string, 0, len(ss))
		for i, s := range ss {
			if descs[i] == "" {
				continue
			}
			name := polite(lang, memberName(in.Group, s.id))
			if lang == English {
				parts = append(parts, name+": "+descs[i])
			} else {
				parts = append(parts, name+" "+descs[i])
			}
		}
		desc = strings.Join(parts, " / ")
	}
	if desc != "" {
		b.WriteString(" — " + desc)
	}
	paid, owing := countMonth(in.Group, in.Statuses, in.Month)
	month := ""
	if !slices.ContainsFunc(in.Allocations, func(a ledger.Allocation) bool { return a.Period == in.Month }) {
		// The money paid other months only (a prepayment, old arrears):
		// say whose count this is, or "(7/7명)" would read as that month's.
		month = monthName(lang, in.Month, in.Month)
	}
	b.WriteString(counter(lang, paid, owing, month))
	return b.String()
}

// shareClauses describes what one payer's share paid for, month by month,
// as comma-separated clauses: the months up to Month paid in full, each
// month left partly paid, the later months paid in advance and the credit.
func shareClauses(in NoticeInput, s payerShare) []string {
	lang := in.Lang
	state := func(p ledger.Period) ledger.PeriodStatus {
		ps, ok := monthState(in.Group, in.Statuses, s.id, p)
		if !ok {
			ps = periodOf(in.Group, ledger.MemberStatus{MemberID: s.id}, p)
			for _, a := range in.Allocations {
				if a.MemberID == s.id && a.Period == p {
					ps.Paid += a.Amount
				}
			}
			switch {
			case ps.Paid > 0 && ps.Due == 0:
				// A member the group does not know: what is paid is
				// all there is to tell.
				ps.Status = ledger.StatusPaid
			case ps.Paid >= ps.Due:
				ps.Status = ledger.StatusPaid
			case ps.Paid > 0:
				ps.Status = ledger.StatusPartial
			}
		}
		return ps
	}
	name := func(p ledger.Period) string { return monthName(lang, p, in.Month) }

	var full, partial, ahead []ledger.PeriodStatus
	for _, p := range s.months {
		ps := state(p)
		switch {
		case p > in.Month:
			ahead = append(ahead, ps)
		case ps.Status == ledger.StatusPartial || ps.Status == ledger.StatusUnpaid:
			partial = append(partial, ps)
		default:
			full = append(full, ps)
		}
	}

	var out []string
	if len(full) > 0 {
		names := make([]string, len(full))
		for i, ps := range full {
			names[i] = name(ps.Period)
		}
		if lang == English {
			c := joinAnd(names) + " dues paid"
			if len(full) == 1 && len(partial) == 0 && len(ahead) == 0 {
				c += " in full"
			}
			out = append(out, c)
		} else {
			out = append(out, strings.Join(names, "·")+" 회비 완납")
		}
	}
	for _, ps := range partial {
		left := Won(lang, max(ps.Due-ps.Paid, 0))
		if lang == English {
			out = append(out, "part of "+name(ps.Period)+" dues, "+left+" to go")
		} else {
			out = append(out, name(ps.Period)+" 회비 일부 납부, "+left+" 남음")
		}
	}
	// Months paid in advance: runs of consecutive months paid in full, and
	// months paid in part on their own.
	for i := 0; i < len(ahead); {
		ps := ahead[i]
		if ps.Status == ledger.StatusPartial || ps.Status == ledger.StatusUnpaid {
			if lang == English {
				out = append(out, "part of "+name(ps.Period)+" paid in advance")
			} else {
				out = append(out, name(ps.Period)+" 일부 선납")
			}
			i++
			continue
		}
		j := i + 1
		for j < len(ahead) && ahead[j].Period == ahead[j-1].Period+1 &&
			ahead[j].Status != ledger.StatusPartial && ahead[j].Status != ledger.StatusUnpaid {
			j++
		}
		run := monthRange(lang, ps.Period, ahead[j-1].Period, in.Month)
		if lang == English {
			out = append(out, run+" paid in advance")
		} else {
			out = append(out, run+"분 선납")
		}
		i = j
	}
	if s.credit > 0 {
		if lang == English {
			out = append(out, Won(lang, s.credit)+" kept as credit")
		} else {
			out = append(out, Won(lang, s.credit)+"은 적립금으로 보관")
		}
	}
	return out
}

// BoardInput is what the status board of a month needs.
type BoardInput struct {
	Lang  Lang
	Group *ledger.Group
	// Statuses are the group's statuses as of Month.
	Statuses []ledger.MemberStatus
	Month    ledger.Period
	// Due is the month's due date (Month.DueDate(group.Dues.Day, KST));
	// the zero time leaves it out.
	Due time.Time
	// AsOf is the time shown in the footer; the zero time leaves it out.
	AsOf time.Time
}

// StatusBoard renders who has paid Month's dues, members in roster order
// and empty sections left out:
//
//	📋 독서모임 11월 회비 현황 (마감 11월 25일(수))
//	✅ 완납 5명: 김민수, 이지은, 최유나, 강도윤, 윤서연
//	🟡 일부 1명: 박서준 15,000원/30,000원
//	❌ 미납 1명: 한지호 (지난달 미납 포함 60,000원)
//	➖ 면제 1명: 정하늘
//	합계 165,000원 / 210,000원 · 미납 45,000원
//	11월 24일(화) 22:10 기준
//
// A member who also owes earlier months shows the whole amount owed. Until
// the end of the due day, members who have not paid this month (and owe no
// earlier one) are listed as "⏳ 입금 전" (not paid yet), as the reminders
// call them, and the total says "남은 금액"; "❌ 미납" (unpaid) is for after
// it, for members who owe earlier months, and for boards without Due or
// AsOf.
// Members who do not owe Month (not yet joined, already left) are left out.
// A long roster makes long lines: split the text with Split to post it.
func StatusBoard(in BoardInput) string {
	lang := in.Lang
	en := lang == English
	// Until the due day is over, a member who has not paid is not late:
	// the board says "not paid yet" as the reminders do; "unpaid" is for
	// after it, and for members who owe earlier months.
	late := in.Due.IsZero() || in.AsOf.IsZero() || !in.AsOf.Before(endOfDay(in.Due))
	var paid, partial, notYet, unpaid, exempt []string
	var total, collected int64
	for _, ms := range in.Statuses {
		ps := periodOf(in.Group, ms, in.Month)
		name := statusName(in.Group, ms)
		switch ps.Status {
		case ledger.StatusExempt:
			exempt = append(exempt, name)
			continue
		case ledger.StatusNotOwed:
			continue
		}
		if ps.Due <= 0 {
			continue
		}
		total += ps.Due
		collected += min(ps.Paid, ps.Due)
		switch ps.Status {
		case ledger.StatusPaid:
			paid = append(paid, name)
		case ledger.StatusPartial:
			partial = append(partial, name+" "+Won(lang, ps.Paid)+"/"+Won(lang, ps.Due)+arrears(lang, in.Group, ms, ps, in.Month))
		default:
			if more := arrears(lang, in.Group, ms, ps, in.Month); more != "" || late {
				unpaid = append(unpaid, name+more)
			} else {
				notYet = append(notYet, name)
			}
		}
	}

	var b strings.Builder
	month := monthName(lang, in.Month, in.Month)
	if en {
		b.WriteString("📋 " + groupName(in.Group) + " — " + month + " dues")
		if !in.Due.IsZero() {
			b.WriteString(" (due " + formatDate(lang, in.Due) + ")")
		}
	} else {
		b.WriteString("📋 " + groupName(in.Group) + " " + month + " 회비 현황")
		if !in.Due.IsZero() {
			b.WriteString(" (마감 " + formatDate(lang, in.Due) + ")")
		}
	}
	section := func(emoji, ko, eng string, names []string) {
		if len(names) == 0 {
			return
		}
		if en {
			b.WriteString("\n" + emoji + " " + eng + " (" + strconv.Itoa(len(names)) + "): ")
		} else {
			b.WriteString("\n" + emoji + " " + ko + " " + strconv.Itoa(len(names)) + "명: ")
		}
		b.WriteString(strings.Join(names, ", "))
	}
	section("✅", "완납", "Paid", paid)
	section("🟡", "일부", "Partly paid", partial)
	section("⏳", "입금 전", "Not paid yet", notYet)
	section("❌", "미납", "Unpaid", unpaid)
	section("➖", "면제", "Exempt", exempt)

	out := total - collected
	if en {
		b.WriteString("\nTotal " + Won(lang, collected) + " / " + Won(lang, total))
		if out > 0 {
			b.WriteString(" · " + Won(lang, out) + " outstanding")
		} else if total > 0 {
			b.WriteString(" · everyone has paid")
		}
	} else {
		b.WriteString("\n합계 " + Won(lang, collected) + " / " + Won(lang, total))
		switch {
		case out > 0 && late:
			b.WriteString(" · 미납 " + Won(lang, out))
		case out > 0:
			b.WriteString(" · 남은 금액 " + Won(lang, out))
		case total > 0:
			b.WriteString(" · 전원 완납")
		}
	}
	if !in.AsOf.IsZero() {
		if en {
			b.WriteString("\nAs of " + formatDateTime(lang, in.AsOf))
		} else {
			b.WriteString("\n" + formatDateTime(lang, in.AsOf) + " 기준")
		}
	}
	return b.String()
}

// arrears renders the whole amount a member owes when it is more than what
// is left of month (ps): " (지난달 미납 포함 60,000원)", or "" otherwise.
func arrears(lang Lang, g *ledger.Group, ms ledger.MemberStatus, ps ledger.PeriodStatus, month ledger.Period) string {
	left := ps.Due - ps.Paid
	owed := -ms.Balance
	if owed <= left {
		return ""
	}
	var earlier []ledger.Period
	for _, e := range ms.Periods {
		if e.Period < month && (e.Status == ledger.StatusUnpaid || e.Status == ledger.StatusPartial) {
			earlier = append(earlier, e.Period)
		}
	}
	lastMonth := len(earlier) == 1 && earlier[0] == month-1
	switch {
	case lang == English && lastMonth:
		return " (" + Won(lang, owed) + " with last month)"
	case lang == English:
		return " (" + Won(lang, owed) + " with earlier months)"
	case lastMonth:
		return " (지난달 미납 포함 " + Won(lang, owed) + ")"
	default:
		return " (이전 미납 포함 " + Won(lang, owed) + ")"
	}
}

// ReminderInput is what a dues reminder needs.
type ReminderInput struct {
	Lang  Lang
	Group *ledger.Group
	// Statuses are the group's statuses as of Month.
	Statuses []ledger.MemberStatus
	Month    ledger.Period
	// Due is the month's due date.
	Due time.Time
	// Kind is the reminder's kind (ReminderKind is declared with the
	// reminder schedule, in reminders.go).
	Kind ReminderKind
	// DaysLeft is the number of days to the due date for ReminderBefore,
	// and the number of days past it for ReminderOverdue.
	DaysLeft int
}

// Reminder renders the reminder post naming who has not paid Month yet:
//
//	🔔 독서모임 11월 회비 마감이 3일 남았어요 (11월 25일(수))
//	아직 입금 전: 박서준님 (15,000원 남음), 한지호님 (지난달 미납 포함 60,000원), 최유나님
//	입금할 때 받는 분 통장에 이름이 보이게 보내 주세요 🙏
//
// ReminderDueDay starts "🔔 오늘은 독서모임 11월 회비 마감일이에요" and
// ReminderOverdue "⏰ 독서모임 11월 회비 마감이 3일 지났어요". A
// ReminderBefore with DaysLeft below 1 reads as the due day; a
// ReminderOverdue with DaysLeft below 1 as one day overdue; any other Kind
// reads as the due day. ok is false when nobody owes money for Month: then
// there is nothing to post.
func Reminder(in ReminderInput) (text string, ok bool) {
	lang := in.Lang
	en := lang == English
	var owing []string
	for _, ms := range in.Statuses {
		ps := periodOf(in.Group, ms, in.Month)
		if ps.Due <= 0 || (ps.Status != ledger.StatusUnpaid && ps.Status != ledger.StatusPartial) {
			continue
		}
		name := polite(lang, statusName(in.Group, ms))
		if more := arrears(lang, in.Group, ms, ps, in.Month); more != "" {
			// Earlier months are owed too: the whole amount.
			name += more
		} else if ps.Status == ledger.StatusPartial {
			left := Won(lang, ps.Due-ps.Paid)
			if en {
				name += " (" + left + " to go)"
			} else {
				name += " (" + left + " 남음)"
			}
		}
		owing = append(owing, name)
	}
	if len(owing) == 0 {
		return "", false
	}

	g := groupName(in.Group)
	month := monthName(lang, in.Month, in.Month)
	date := ""
	if !in.Due.IsZero() {
		date = " (" + formatDate(lang, in.Due) + ")"
	}
	kind, days := in.Kind, in.DaysLeft
	if kind == ReminderBefore && days < 1 {
		kind = ReminderDueDay
	}
	if kind == ReminderOverdue {
		days = max(days, 1)
	}
	var b strings.Builder
	switch {
	case kind == ReminderBefore && en:
		b.WriteString("🔔 " + g + ": " + month + " dues are due in " + plural(days, "day") + date)
	case kind == ReminderBefore:
		b.WriteString("🔔 " + g + " " + month + " 회비 마감이 " + strconv.Itoa(days) + "일 남았어요" + date)
	case kind == ReminderOverdue && en:
		b.WriteString("⏰ " + g + ": " + month + " dues were due " + plural(days, "day") + " ago" + date)
	case kind == ReminderOverdue:
		b.WriteString("⏰ " + g + " " + month + " 회비 마감이 " + strconv.Itoa(days) + "일 지났어요" + date)
	case en:
		b.WriteString("🔔 " + g + ": " + month + " dues are due today" + date)
	default:
		b.WriteString("🔔 오늘은 " + g + " " + month + " 회비 마감일이에요" + date)
	}
	if en {
		b.WriteString("\nNot paid yet: " + strings.Join(owing, ", "))
		b.WriteString("\nWhen you transfer, please make sure your name shows to the recipient 🙏")
	} else {
		b.WriteString("\n아직 입금 전: " + strings.Join(owing, ", "))
		b.WriteString("\n입금할 때 받는 분 통장에 이름이 보이게 보내 주세요 🙏")
	}
	return b.String(), true
}

// ReviewInput is a deposit the matcher was not sure about, for the
// treasurer's direct message.
type ReviewInput struct {
	Lang  Lang
	Group *ledger.Group
	// DepositID is the stored deposit's id, used in the buttons' data.
	DepositID string
	Deposit   ledger.Deposit
	Match     ledger.Match
}

// maxReviewButtons bounds the candidate buttons of a review.
const maxReviewButtons = 4

// Review renders the treasurer's review message:
//
//	🔎 확인이 필요한 입금 — 독서모임
//	11월 24일(화) 21:03 · 30,000원 · 보낸 분 "엄마"
//	이유: <Match.Reason.Korean()>
//	후보: 김민수 (70%), 김민형 (40%)
//
// and its one-tap buttons, one row each: a button per candidate (the first
// four of Match.Candidates, "김민수님으로 처리", data
// "assign:<depositID>:<memberID>"); "회원 선택" (data "pick:<depositID>")
// when there are no candidates; and "회비 아님" (data "ignore:<depositID>").
// Button data never exceeds MaxButtonData bytes: a candidate whose data would
// is replaced by the "회원 선택" button, and a button whose data cannot fit
// even so is left out.
func Review(in ReviewInput) (text string, buttons [][]Button) {
	lang := in.Lang
	en := lang == English
	d := in.Deposit

	var b strings.Builder
	if en {
		b.WriteString("🔎 Deposit to review — " + groupName(in.Group) + "\n")
	} else {
		b.WriteString("🔎 확인이 필요한 입금 — " + groupName(in.Group) + "\n")
	}
	var line []string
	if !d.At.IsZero() {
		line = append(line, formatDateTime(lang, d.At))
	}
	line = append(line, Won(lang, d.Amount))
	switch {
	case d.Text == "" && en:
		line = append(line, "no sender name")
	case d.Text == "":
		line = append(line, "보낸 분 표시 없음")
	case en:
		line = append(line, `from "`+d.Text+`"`)
	default:
		line = append(line, `보낸 분 "`+d.Text+`"`)
	}
	b.WriteString(strings.Join(line, " · "))
	reason := in.Match.Reason.Korean()
	if en {
		reason = in.Match.Reason.String()
	}
	if reason != "" {
		if en {
			b.WriteString("\nReason: " + reason)
		} else {
			b.WriteString("\n이유: " + reason)
		}
	}
	cands := make([]string, len(in.Match.Candidates))
	for i, c := range in.Match.Candidates {
		cands[i] = memberName(in.Group, c.MemberID) + " (" + strconv.Itoa(c.Score) + "%)"
	}
	switch {
	case len(cands) == 0 && en:
		b.WriteString("\nCandidates: none")
	case len(cands) == 0:
		b.WriteString("\n후보: 없음")
	case en:
		b.WriteString("\nCandidates: " + strings.Join(cands, ", "))
	default:
		b.WriteString("\n후보: " + strings.Join(cands, ", "))
	}

	pick := len(in.Match.Candidates) == 0
	for i, c := range in.Match.Candidates {
		if i == maxReviewButtons {
			break
		}
		data := "assign:" + in.DepositID + ":" + c.MemberID
		if len(data) > MaxButtonData {
			pick = true
			continue
		}
		name := memberName(in.Group, c.MemberID)
		label := name + "님으로 처리"
		if en {
			label = "Assign to " + name
		}
		buttons = append(buttons, []Button{{Text: label, Data: data}})
	}
	if data := "pick:" + in.DepositID; pick && len(data) <= MaxButtonData {
		label := "회원 선택"
		if en {
			label = "Choose member"
		}
		buttons = append(buttons, []Button{{Text: label, Data: data}})
	}
	if data := "ignore:" + in.DepositID; len(data) <= MaxButtonData {
		label := "회비 아님"
		if en {
			label = "Not dues"
		}
		buttons = append(buttons, []Button{{Text: label, Data: data}})
	}
	return b.String(), buttons
}

// account joins a bank name and a masked account number: "카카오뱅크
// 3333-01-2345***".
func account(bank, masked string) string {
	return strings.TrimSpace(bank + " " + masked)
}

// RelinkNotice renders the treasurer's direct message that the group's bank
// link stopped working and must be linked again; reason is a short code
// such as "O0002" or "refresh failed", shown in parentheses ("" leaves it
// out).
func RelinkNotice(lang Lang, group, bank, masked string, reason string) string {
	acct := account(bank, masked)
	why := ""
	if reason != "" {
		why = " (" + reason + ")"
	}
	if lang == English {
		link := "the account link"
		if acct != "" {
			link = "the " + acct + " account link"
		}
		return "⚠️ " + group + ": " + link + " stopped working" + why +
			". Link the account again to keep tracking deposits."
	}
	if acct != "" {
		acct += " "
	}
	return "⚠️ " + group + " " + acct + "계좌 연결이 끊겼어요" + why +
		". 입금을 계속 확인하려면 계좌를 다시 연결해 주세요."
}

// GapNotice renders the treasurer's direct message that the bank's balance
// chain shows a transaction the bank has not listed, after the one at after,
// even when read again for a day:
//
//	⚠️ 독서모임 카카오뱅크 3333-01-2345*** 계좌: 11월 20일(금) 21:05 이후 거래 하나가 은행 거래내역에 보이지 않아요. 잔액이 맞지 않으니 은행 앱에서 확인하고 빠진 입금은 직접 기록해 주세요.
func GapNotice(lang Lang, group, bank, masked string, after time.Time) string {
	acct := account(bank, masked)
	at := formatDateTime(lang, after)
	if lang == English {
		where := "the account"
		if acct != "" {
			where = "the " + acct + " account"
		}
		return "⚠️ " + group + ": a transaction after " + at + " is missing from the bank's list for " + where +
			": the balances do not add up. Check the bank app and record a missing deposit by hand."
	}
	if acct != "" {
		acct += " "
	}
	return "⚠️ " + group + " " + acct + "계좌: " + at + " 이후 거래 하나가 은행 거래내역에 보이지 않아요. " +
		"잔액이 맞지 않으니 은행 앱에서 확인하고 빠진 입금은 직접 기록해 주세요."
}

// SyncStuckNotice renders the treasurer's direct message that reading the
// account from the bank has failed failures times in a row since since;
// moimbot keeps trying.
func SyncStuckNotice(lang Lang, group, bank, masked string, since time.Time, failures int) string {
	acct := account(bank, masked)
	at := formatDateTime(lang, since)
	if lang == English {
		where := "the account"
		if acct != "" {
			where = "the " + acct + " account"
		}
		return "⚠️ " + group + ": reading " + where + " from the bank has failed " + plural(failures, "time") +
			" in a row since " + at + ". New deposits are not announced until it works again; moimbot keeps trying."
	}
	if acct != "" {
		acct += " "
	}
	return "⚠️ " + group + " " + acct + "계좌 거래내역 조회가 " + at + "부터 " + strconv.Itoa(failures) +
		"번 연속 실패했어요. 다시 될 때까지 새 입금은 알려 드리지 못해요. 계속 다시 시도하고 있어요."
}

// ExpiryWarning renders the treasurer's direct message that the bank link
// expires in daysLeft days, at expires:
//
//	⚠️ 독서모임 카카오뱅크 3333-01-2345*** 계좌 연결이 14일 후(12월 9일(수)) 만료돼요. 만료 전에 다시 연결해 주세요.
//
// daysLeft 0 reads "오늘", and a negative daysLeft says the link has expired.
func ExpiryWarning(lang Lang, group, bank, masked string, expires time.Time, daysLeft int) string {
	acct := account(bank, masked)
	date := formatDate(lang, expires)
	if lang == English {
		link := "the account link"
		if acct != "" {
			link = "the " + acct + " account link"
		}
		switch {
		case daysLeft < 0:
			return "⚠️ " + group + ": " + link + " expired on " + date + ". Link the account again to keep tracking deposits."
		case daysLeft == 0:
			return "⚠️ " + group + ": " + link + " expires today (" + date + "). Link the account again before it expires."
		default:
			return "⚠️ " + group + ": " + link + " expires in " + plural(daysLeft, "day") + " (" + date + "). Link the account again before it expires."
		}
	}
	if acct != "" {
		acct += " "
	}
	switch {
	case daysLeft < 0:
		return "⚠️ " + group + " " + acct + "계좌 연결이 " + date + "에 만료됐어요. 입금을 계속 확인하려면 다시 연결해 주세요."
	case daysLeft == 0:
		return "⚠️ " + group + " " + acct + "계좌 연결이 오늘(" + date + ") 만료돼요. 만료 전에 다시 연결해 주세요."
	default:
		return "⚠️ " + group + " " + acct + "계좌 연결이 " + strconv.Itoa(daysLeft) + "일 후(" + date + ") 만료돼요. 만료 전에 다시 연결해 주세요."
	}
}

// kindLabels name message kinds in DeadLetterNotice.
var kindLabels = map[string][2]string{ // kind → {Korean, English}
	KindDeposit:    {"입금 알림", "deposit notice"},
	KindReview:     {"입금 확인 요청", "review request"},
	KindReminder:   {"회비 알림", "dues reminder"},
	KindBoard:      {"회비 현황", "status board"},
	KindRelink:     {"계좌 재연결 안내", "re-link notice"},
	KindExpiry:     {"계좌 만료 안내", "expiry warning"},
	KindGap:        {"거래내역 누락 안내", "missing transaction notice"},
	KindSyncStuck:  {"조회 실패 안내", "sync failure notice"},
	KindDeadLetter: {"전송 실패 안내", "delivery failure notice"},
	KindReply:      {"답장", "reply"},
}

// maxReasonLen bounds a failure reason shown or recorded, in bytes.
const maxReasonLen = 200

// shorten cuts s to at most n bytes at a rune boundary, marking the cut with
// "…".
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// DeadLetterNotice renders the treasurer's direct message that a message of
// kind (a Kind constant) to chat could not be delivered after attempts
// attempts, with the last failure's reason.
func DeadLetterNotice(lang Lang, group string, chat ChatRef, kind, reason string, attempts int) string {
	label, ok := kindLabels[kind]
	if !ok {
		label = [2]string{kind, kind}
	}
	why := ""
	if reason != "" {
		why = " (" + shorten(reason, maxReasonLen) + ")"
	}
	if lang == English {
		return "📭 " + group + ": a message could not be delivered — " + label[1] + " to " + chat.String() +
			", " + plural(attempts, "attempt") + why + ". Check that the bot is still in that chat."
	}
	return "📭 " + group + ": 메시지를 보내지 못했어요 — " + label[0] + ", " + chat.String() +
		", " + strconv.Itoa(attempts) + "회 시도" + why + ". 봇이 그 채팅방에 아직 있는지 확인해 주세요."
}
