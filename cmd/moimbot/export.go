package main

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// runExport writes a group's export: by default three CSV files, one table
// each, in the group's language, from the database or, when the bot holds
// the file, from the bot over its control socket.
func runExport(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("export")
	dbPath := dbFlag(e, fs)
	group := fs.String("group", "", "the group's `name` (or id) (required)")
	format := fs.String("format", "csv", "output `format`: csv (three tables, one file each, UTF-8 with a BOM for Excel) or json (one document)")
	out := fs.String("out", "", "write the CSV files into `DIR`, created if missing: <group>-<YYYY-MM>-status.csv,\n"+
		"-transactions.csv and -manual-payments.csv; into one zip of them when DIR ends in .zip;\n"+
		"with --format json, the document into this file\n"+
		"(default: CSV into the current directory, JSON to stdout)")
	force := fs.Bool("force", false, "replace files that exist")
	langFlag := fs.String("lang", "", "`language` of the CSV headers and words: ko or en (default: the group's)")
	asOfFlag := fs.String("as-of", "", "last month of the status, `YYYY-MM` (default: this month)")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if *group == "" {
		return usagef("--group is required")
	}
	if *format != "csv" && *format != "json" {
		return usagef("--format %q is not csv or json", *format)
	}
	if *langFlag != "" && *langFlag != string(bot.Korean) && *langFlag != string(bot.English) {
		return usagef("--lang %q: must be ko or en", *langFlag)
	}
	if *langFlag != "" && *format == "json" {
		return usagef("--lang applies to --format csv only")
	}
	asOf := ledger.MonthOf(time.Now().In(ledger.KST()))
	if *asOfFlag != "" {
		p, err := ledger.ParsePeriod(*asOfFlag)
		if err != nil || p.IsZero() {
			return usagef("--as-of %q is not YYYY-MM", *asOfFlag)
		}
		asOf = p
	}
	zipped := strings.EqualFold(filepath.Ext(*out), ".zip")
	if fi, err := os.Stat(*out); *out != "" && err == nil {
		switch {
		case fi.IsDir() && (*format == "json" || zipped):
			return usagef("--out %s is a directory", *out)
		case !fi.IsDir() && *format == "csv" && !zipped:
			return usagef("--out %s is a file, not a directory (end it in .zip for an archive)", *out)
		}
	}

	ex, hot, err := loadExport(ctx, *dbPath, *group, asOf)
	if errors.Is(err, store.ErrNotFound) {
		return usagef("--group %q: no such group", *group)
	}
	if err != nil {
		return err
	}
	from := ""
	if hot {
		from = " from the running bot"
	}
	done := func(dest string) {
		fmt.Fprintf(e.stdout, "exported %s as of %s%s to %s\n", printable(ex.Group.Name), ex.AsOf, from, dest)
	}

	if *format == "json" {
		write := func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(ex)
		}
		if *out == "" {
			return write(e.stdout)
		}
		if err := refuseExisting(*force, *out); err != nil {
			return err
		}
		if err := writeFileAtomic(*out, write); err != nil {
			return err
		}
		done(*out)
		return nil
	}

	lang := bot.ParseLang(ex.Group.Settings.Language)
	if *langFlag != "" {
		lang = bot.Lang(*langFlag)
	}
	tables := exportTables(ex, lang)
	if zipped {
		if err := refuseExisting(*force, *out); err != nil {
			return err
		}
		if err := writeFileAtomic(*out, func(w io.Writer) error { return writeExportZip(w, tables, time.Now()) }); err != nil {
			return err
		}
		done(*out)
		return nil
	}
	dir := *out
	if dir == "" {
		dir = "."
	}
	paths := make([]string, len(tables))
	names := make([]string, len(tables))
	for i, t := range tables {
		paths[i] = filepath.Join(dir, t.name)
		names[i] = t.name
	}
	if err := refuseExisting(*force, paths...); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err // "mkdir DIR: ..." says it all
	}
	for i, t := range tables {
		if err := writeFileAtomic(paths[i], func(w io.Writer) error { return writeCSV(w, t.rows) }); err != nil {
			return err
		}
	}
	done(dir + ": " + strings.Join(names, ", "))
	return nil
}

// loadExport reads the export of group (a name or an id) as of asOf from
// the database at path or, when another process holds the file, from that
// process over the control socket; hot reports the latter. A group that
// does not exist gives store.ErrNotFound.
func loadExport(ctx context.Context, path, group string, asOf ledger.Period) (ex store.Export, hot bool, err error) {
	db, err := store.Open(ctx, path, store.Options{ReadOnly: true, Timeout: 500 * time.Millisecond})
	if errors.Is(err, store.ErrLocked) {
		sock := adminSocket(path)
		ex, err = exportFromAdmin(ctx, sock, group, asOf)
		if errors.Is(err, errNoAdmin) {
			return ex, false, fmt.Errorf("%s: %w, and %v at %s", path, store.ErrLocked, errNoAdmin, sock)
		}
		return ex, true, err
	}
	if err != nil {
		return ex, false, dbError(path, err)
	}
	defer db.Close()
	ex, err = exportGroup(ctx, db, group, asOf)
	return ex, false, err
}

// exportGroup gathers the export of group, found by name or else by id.
// It is what `moimbot export` reads from the file and what the control
// socket's GET /export serves.
func exportGroup(ctx context.Context, db *store.DB, group string, asOf ledger.Period) (store.Export, error) {
	g, err := db.GroupByName(ctx, group)
	if errors.Is(err, store.ErrNotFound) {
		g, err = db.Group(ctx, group)
	}
	if err != nil {
		return store.Export{}, err
	}
	return db.Export(ctx, g.ID, asOf)
}

// adminNoSuchGroup is the body of the control socket's 404 answer to
// GET /export for a group it does not know; an older bot that does not
// serve /export at all answers 404 too, with another body.
const adminNoSuchGroup = "no such group"

// exportFromAdmin asks the process serving the control socket at sock for
// the export of group as of asOf.
func exportFromAdmin(ctx context.Context, sock, group string, asOf ledger.Period) (store.Export, error) {
	q := url.Values{"group": {group}, "as_of": {asOf.String()}}
	resp, err := adminGet(ctx, sock, "/export?"+q.Encode())
	var se *adminStatusError
	if errors.As(err, &se) && se.code == http.StatusNotFound {
		if se.text == adminNoSuchGroup {
			return store.Export{}, fmt.Errorf("export from the running bot: %w", store.ErrNotFound)
		}
		return store.Export{}, fmt.Errorf("export from the running bot: it does not serve exports (restart it with this moimbot): %w", err)
	}
	if err != nil {
		return store.Export{}, err
	}
	defer resp.Body.Close()
	var ex store.Export
	if err := json.NewDecoder(resp.Body).Decode(&ex); err != nil {
		return store.Export{}, fmt.Errorf("export from the running bot: %w", err)
	}
	return ex, nil
}

// refuseExisting returns a usage error naming the first of paths that
// exists, unless force is set.
func refuseExisting(force bool, paths ...string) error {
	if force {
		return nil
	}
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			return usagef("--out %s: file exists (add --force to replace it)", p)
		}
	}
	return nil
}

// writeFileAtomic writes path (mode 0600: an export names members and
// their payments) through a temporary file beside it, so that a failed
// export leaves neither a half-written file nor a damaged earlier one.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriter(f)
	if err := write(bw); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// exportTable is one CSV file of an export.
type exportTable struct {
	name string // the file name, safe to join to a directory
	rows [][]string
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

// exportTables turns an export into its three CSV tables in lang: the
// members × months status, every transaction with its decision, and the
// payments the treasurer recorded by hand. Money is plain whole won so
// that a spreadsheet can sum it; times are KST.
func exportTables(ex store.Export, lang bot.Lang) []exportTable {
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
	return []exportTable{
		{stem + "-status.csv", status},
		{stem + "-transactions.csv", deposits},
		{stem + "-manual-payments.csv", manual},
	}
}

// utf8BOM starts every CSV file: without it Excel, on Korean Windows,
// reads the file as CP949 and shows Hangul as garbage.
const utf8BOM = "\ufeff"

// writeCSV writes one table as CSV, with a UTF-8 BOM and CRLF line ends.
func writeCSV(w io.Writer, rows [][]string) error {
	if _, err := io.WriteString(w, utf8BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return cw.WriteAll(rows)
}

// writeExportZip writes the tables as one zip archive, a CSV file each,
// stamped with the time modified.
func writeExportZip(w io.Writer, tables []exportTable, modified time.Time) error {
	zw := zip.NewWriter(w)
	for _, t := range tables {
		fh := &zip.FileHeader{Name: t.name, Method: zip.Deflate, Modified: modified.In(ledger.KST())}
		fh.SetMode(0o600)
		fw, err := zw.CreateHeader(fh)
		if err != nil {
			return err
		}
		if err := writeCSV(fw, t.rows); err != nil {
			return err
		}
	}
	return zw.Close()
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
