package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
)

// reconcileWords are the text report's words in each language.
type reconcileWords struct {
	asOf, dues, name, balance, legend, prepaid               string
	summary, review, candidates, noCandidates, ignoredHeader string
	paid, unpaid, exempt, notOwed, credit                    string
	reason                                                   func(ledger.Reason) string
	// won formats an amount: 30,000원 in Korean, ₩30,000 in English.
	won func(int64) string
}

var reconcileLang = map[string]reconcileWords{
	"ko": {
		asOf: "%s 기준", dues: "회비 %s, 매월 %d일", name: "이름", balance: "잔액",
		legend:  "표기: ✓ 완납 · 금액 부분 납부 · ✗ 미납 · 면제 · - 해당 없음",
		prepaid: "선납", summary: "거래 %d건: 자동 확인 %d · 확인 필요 %d · 제외 %d",
		review: "확인 필요", candidates: "후보", noCandidates: "후보 없음", ignoredHeader: "제외",
		paid: "✓", unpaid: "✗", exempt: "면제", notOwed: "-", credit: "선납",
		reason: ledger.Reason.Korean,
		won:    func(n int64) string { return bot.Won(bot.Korean, n) },
	},
	"en": {
		asOf: "as of %s", dues: "dues %s, due on day %d", name: "Name", balance: "Balance",
		legend:  "Key: ✓ paid · amount partly paid · ✗ unpaid · exempt · - not owed",
		prepaid: "Prepaid", summary: "%d transactions: %d matched · %d to review · %d ignored",
		review: "To review", candidates: "candidates", noCandidates: "no candidates", ignoredHeader: "Ignored",
		paid: "✓", unpaid: "✗", exempt: "exempt", notOwed: "-", credit: "prepaid",
		reason: ledger.Reason.String,
		won:    func(n int64) string { return bot.Won(bot.English, n) },
	},
}

// writeReconcileText prints the human report: a members × months table,
// prepayments, then the deposits that need the treasurer.
func writeReconcileText(out io.Writer, g *ledger.Group, rep *ledger.Report, lang string) error {
	w := bufio.NewWriter(out)
	lw := reconcileLang[lang]
	fmt.Fprintf(w, "%s — %s (%s)\n\n", g.Name, fmt.Sprintf(lw.asOf, rep.AsOf.Format("2006-01-02")),
		fmt.Sprintf(lw.dues, lw.won(g.Dues.Amount), g.Dues.Day))

	asOf := ledger.MonthOf(rep.AsOf)
	nameCol := columns(lw.name) + 2
	for _, ms := range rep.Members {
		nameCol = max(nameCol, columns(ms.Name)+2)
	}
	const cell = 10
	fmt.Fprint(w, padRight(lw.name, nameCol))
	for p := g.Dues.Start; p <= asOf; p++ {
		fmt.Fprint(w, padRight(p.String(), cell))
	}
	fmt.Fprintln(w, lw.balance)
	var prepaid []string
	for _, ms := range rep.Members {
		fmt.Fprint(w, padRight(printable(ms.Name), nameCol))
		var ahead []string
		for _, ps := range ms.Periods {
			if ps.Period > asOf {
				ahead = append(ahead, ps.Period.String())
				continue
			}
			fmt.Fprint(w, padRight(periodCell(ps, lw), cell))
		}
		fmt.Fprintln(w, lw.won(ms.Balance))
		if len(ahead) > 0 {
			prepaid = append(prepaid, fmt.Sprintf("%s %s", ms.Name, strings.Join(ahead, ", ")))
		}
	}
	fmt.Fprintln(w, "\n"+lw.legend)
	if len(prepaid) > 0 {
		fmt.Fprintf(w, "%s: %s\n", lw.prepaid, strings.Join(prepaid, " · "))
	}

	var n outcomeCounts
	for _, l := range rep.Transactions {
		n.add(l.Match.Outcome)
	}
	fmt.Fprintf(w, "\n"+lw.summary+"\n", len(rep.Transactions), n.matched, n.review, n.ignored)
	if n.review > 0 {
		fmt.Fprintf(w, "\n%s\n", lw.review)
		for _, l := range rep.Transactions {
			if l.Match.Outcome != ledger.OutcomeReview {
				continue
			}
			fmt.Fprintf(w, "%s%s — %s", reportLine(l), lw.won(l.Transaction.Amount), printable(lw.reason(l.Match.Reason)))
			if len(l.Match.Candidates) == 0 {
				fmt.Fprintf(w, " (%s)\n", lw.noCandidates)
				continue
			}
			var names []string
			for _, c := range l.Match.Candidates {
				if m, ok := g.Member(c.MemberID); ok {
					names = append(names, printable(fmt.Sprintf("%s(%s)", m.Name, m.ID)))
				}
			}
			fmt.Fprintf(w, " → %s: %s\n", lw.candidates, strings.Join(names, ", "))
		}
	}
	// Ignored deposits are listed too: what is not counted must be
	// visible.
	if n.ignored > 0 {
		fmt.Fprintf(w, "\n%s\n", lw.ignoredHeader)
		for _, l := range rep.Transactions {
			if l.Match.Outcome != ledger.OutcomeIgnored {
				continue
			}
			t := l.Transaction
			fmt.Fprintf(w, "%s%s %s — %s\n", reportLine(l), t.InoutType, lw.won(t.Amount), printable(lw.reason(l.Match.Reason)))
		}
	}
	return w.Flush()
}

// reportLine starts a transaction's line: index, date, time and text.
func reportLine(l ledger.ReportLine) string {
	t := l.Transaction
	return fmt.Sprintf("  #%d %s %s  %s  ", l.Index, t.At.Format("2006-01-02"), t.At.Format("15:04"),
		padRight(printable(t.PrintContent), 16))
}

// outcomeCounts tallies verdicts.
type outcomeCounts struct{ matched, review, ignored int }

func (c *outcomeCounts) add(o ledger.Outcome) {
	switch o {
	case ledger.OutcomeMatched:
		c.matched++
	case ledger.OutcomeReview:
		c.review++
	default:
		c.ignored++
	}
}

// printable replaces control characters (newlines, terminal escapes) that
// bank texts or names may carry, so they cannot break or rewrite the report.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

func periodCell(ps ledger.PeriodStatus, lw reconcileWords) string {
	switch ps.Status {
	case ledger.StatusPaid:
		return lw.paid
	case ledger.StatusPartial:
		return thousands(ps.Paid)
	case ledger.StatusExempt:
		return lw.exempt
	case ledger.StatusNotOwed:
		return lw.notOwed
	case ledger.StatusCredit:
		return lw.credit
	}
	return lw.unpaid
}
