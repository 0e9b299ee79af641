package server

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// A group's export as CSV, shared by `moimbot export` and the chat's
// /export: the same tables, words and file names in both.

// ExportTable is one CSV file of a group's export.
type ExportTable struct {
	// Name is the file name, safe to join to a directory.
	Name string
	// Rows are the table's records, the header first.
	Rows [][]string
}

// exportWords are the CSV tables' headers and words in one language.
type exportWords struct {
	// statusHead are the status table's first columns; balance and
	// credit its last.
	statusHead      []string
	balance, credit string
	month           func(ledger.Period) string
	// status is indexed by ledger.Status.
	status       [6]string
	depositsHead []string
	in, out      string
	outcome      map[ledger.Outcome]string
	// matcher names store.ActorMatcher in the decided-by column.
	matcher      string
	reason       func(ledger.Reason) string
	creditAlloc  string
	paymentsHead []string
	yes, no      string
}

// exportLang holds the export's words. English keeps the names the
// reconcile contract and the JSON export use; Korean takes the bot's
// vocabulary (완납, 일부 납부, 미납, 면제, 선납, 적립금).
var exportLang = map[bot.Lang]exportWords{
	bot.Korean: {
		statusHead: []string{"회원 ID", "이름"},
		balance:    "잔액",
		credit:     "적립금",
		month: func(p ledger.Period) string {
			return strconv.Itoa(p.Year()) + "년 " + strconv.Itoa(int(p.Month())) + "월"
		},
		status:       [...]string{"미납", "일부 납부", "완납", "면제", "해당 없음", "선납"},
		depositsHead: []string{"거래 ID", "계좌", "일시", "구분", "내용", "금액", "거래 후 잔액", "처리 결과", "회원", "처리자", "배분", "사유"},
		in:           "입금",
		out:          "출금",
		outcome:      map[ledger.Outcome]string{ledger.OutcomeReview: "확인 필요", ledger.OutcomeMatched: "확인됨", ledger.OutcomeIgnored: "제외"},
		matcher:      "자동",
		reason:       ledger.Reason.Korean,
		creditAlloc:  "적립금",
		paymentsHead: []string{"납부 ID", "회원 ID", "일시", "금액", "기록자", "메모", "취소됨", "배분"},
		yes:          "예",
		no:           "아니요",
	},
	bot.English: {
		statusHead:   []string{"member_id", "name"},
		balance:      "balance",
		credit:       "credit",
		month:        ledger.Period.String,
		status:       [...]string{"unpaid", "partial", "paid", "exempt", "not_owed", "credit"},
		depositsHead: []string{"deposit_id", "account", "time", "direction", "text", "amount", "balance", "outcome", "members", "decided_by", "allocations", "reason"},
		in:           "in",
		out:          "out",
		outcome:      map[ledger.Outcome]string{ledger.OutcomeReview: "review", ledger.OutcomeMatched: "matched", ledger.OutcomeIgnored: "ignored"},
		matcher:      store.ActorMatcher,
		reason:       ledger.Reason.String,
		creditAlloc:  "credit",
		paymentsHead: []string{"payment", "member_id", "time", "amount", "by", "note", "voided", "allocations"},
		yes:          "true",
		no:           "false",
	},
}

// ExportTables turns an export into its three CSV tables in lang: the
// members × months status, every transaction with its decision, and the
// payments the treasurer recorded by hand. Money is plain whole won so
// that a spreadsheet can sum it; times are KST.
func ExportTables(ex store.Export, lang bot.Lang) []ExportTable {
	w, ok := exportLang[lang]
	if !ok {
		w = exportLang[bot.Korean]
	}
	stem := fileStem(ex.Group) + "-" + ex.AsOf.String()
	word := func(table []string, i int) string {
		if i >= 0 && i < len(table) {
			return table[i]
		}
		return ""
	}

	var periods []ledger.Period
	for _, st := range ex.Statuses {
		for _, p := range st.Periods {
			if !slices.Contains(periods, p.Period) {
				periods = append(periods, p.Period)
			}
		}
	}
	slices.Sort(periods)
	head := slices.Clone(w.statusHead)
	for _, p := range periods {
		head = append(head, w.month(p))
	}
	status := [][]string{append(head, w.balance, w.credit)}
	for _, st := range ex.Statuses {
		row := []string{cell(st.MemberID), cell(st.Name)}
		for _, p := range periods {
			s := ""
			if i := slices.IndexFunc(st.Periods, func(ps ledger.PeriodStatus) bool { return ps.Period == p }); i >= 0 {
				s = word(w.status[:], int(st.Periods[i].Status))
			}
			row = append(row, s)
		}
		status = append(status, append(row, strconv.FormatInt(st.Balance, 10), strconv.FormatInt(st.Credit, 10)))
	}

	deposits := [][]string{w.depositsHead}
	for _, d := range ex.Deposits {
		var members []string
		for _, s := range d.Decision.Match.Shares {
			members = append(members, s.MemberID)
		}
		dir := d.Deposit.Direction.String()
		switch d.Deposit.Direction {
		case ledger.In:
			dir = w.in
		case ledger.Out:
			dir = w.out
		}
		by := d.Decision.By
		if by == store.ActorMatcher {
			by = w.matcher
		}
		deposits = append(deposits, []string{
			cell(d.Deposit.ID), cell(d.AccountID), d.Deposit.At.In(ledger.KST()).Format(time.DateTime), dir,
			cell(d.Deposit.Text), strconv.FormatInt(d.Deposit.Amount, 10), strconv.FormatInt(d.Deposit.Balance, 10),
			w.outcome[d.Decision.Match.Outcome], cell(strings.Join(members, " ")), cell(by),
			cell(allocationsCell(d.Allocations, w.creditAlloc)), cell(w.reason(d.Decision.Match.Reason)),
		})
	}

	manual := [][]string{w.paymentsHead}
	for _, p := range ex.Manual {
		voided := w.no
		if p.Voided {
			voided = w.yes
		}
		manual = append(manual, []string{
			cell(p.Payment.Ref), cell(p.Payment.MemberID), p.Payment.At.In(ledger.KST()).Format(time.DateTime),
			strconv.FormatInt(p.Payment.Amount, 10), cell(p.By), cell(p.Note), voided,
			cell(allocationsCell(p.Allocations, w.creditAlloc)),
		})
	}
	return []ExportTable{
		{stem + "-status.csv", status},
		{stem + "-transactions.csv", deposits},
		{stem + "-manual-payments.csv", manual},
	}
}

// UTF8BOM starts every CSV file: without it Excel, on Korean Windows,
// reads the file as CP949 and shows Hangul as garbage.
const UTF8BOM = "\ufeff"

// WriteCSV writes one table as CSV, with a UTF-8 BOM and CRLF line ends.
func WriteCSV(w io.Writer, rows [][]string) error {
	if _, err := io.WriteString(w, UTF8BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return cw.WriteAll(rows)
}

// maxStemRunes bounds the group's part of a file name, well under the
// 255 bytes file systems allow (a Hangul syllable is 3 bytes).
const maxStemRunes = 60

// fileStem turns a group's name into the start of a file name: letters,
// digits, '-' and '_' are kept (Hangul included) and any other run of
// characters, '/', '\\' and '.' among them, becomes one '_', so that no
// name can reach outside the output directory or hide the file. A name
// with nothing left gives the group's id, or "group".
func fileStem(g store.Group) string {
	clean := func(s string) string {
		var b strings.Builder
		n := 0
		under := false
		for _, r := range s {
			if n == maxStemRunes {
				break
			}
			if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || r == '-' || r == '_' {
				b.WriteRune(r)
				under = r == '_'
			} else if !under {
				b.WriteByte('_')
				under = true
			}
			n++
		}
		return strings.Trim(b.String(), "_-")
	}
	if s := clean(g.Name); s != "" {
		return s
	}
	if s := clean(g.ID); s != "" {
		return s
	}
	return "group"
}

// allocationsCell lists allocations as "m1 2024-01 30000; m1 credit 5000",
// naming credit (money kept for no month) with the given word.
func allocationsCell(as []ledger.Allocation, credit string) string {
	var parts []string
	for _, a := range as {
		p := a.Period.String()
		if a.Credit() {
			p = credit
		}
		parts = append(parts, fmt.Sprintf("%s %s %d", a.MemberID, p, a.Amount))
	}
	return strings.Join(parts, "; ")
}

// cell defuses text that a spreadsheet would run as a formula: anyone can
// put "=..." in a transfer's memo.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
