package ledger

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Bounds on amounts in the input, far above any real group's and far
// below where int64 sums could overflow.
const (
	maxDues = 10_000_000_000    // 100억원 a month
	maxWon  = 1_000_000_000_000 // 1조원 in one transaction or balance
)

// Bounds on the input of an offline reconciliation, far above any real
// group's files: a larger file, or a longer CSV line, is refused before it
// is parsed rather than allowed to fill the memory.
const (
	// MaxGroupSize is the largest group file ReadGroup reads.
	MaxGroupSize = 4 << 20 // 4 MiB
	// MaxTransactionsSize is the largest transaction file
	// ReadTransactions parses.
	MaxTransactionsSize = 64 << 20 // 64 MiB
	// MaxCSVLine is the longest line of a transaction CSV.
	MaxCSVLine = 64 << 10 // 64 KiB
)

// ErrInput marks a problem with the input of an offline reconciliation
// (a group file or a transaction file). The message names the problem.
var ErrInput = errors.New("invalid input")

func inputErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInput, fmt.Sprintf(format, args...))
}

// groupFile is GROUP.json as the reconcile contract defines it.
type groupFile struct {
	Name string `json:"name"`
	Dues *struct {
		Amount  *int64       `json:"amount"`
		Day     int          `json:"day"`
		Start   string       `json:"start"`
		Changes []changeFile `json:"changes"`
	} `json:"dues"`
	Members []struct {
		ID          string       `json:"id"`
		Name        string       `json:"name"`
		Aliases     []string     `json:"aliases"`
		Dues        *int64       `json:"dues"`
		DuesChanges []changeFile `json:"dues_changes"`
		Joined      string       `json:"joined"`
		Left        string       `json:"left"`
	} `json:"members"`
	Ignore []string        `json:"ignore"`
	Words  []string        `json:"words"`
	Manual []ManualPayment `json:"manual"`
}

// changeFile is a dues change in GROUP.json: {"from": "2027-01", "amount":
// 35000}.
type changeFile struct {
	From   string `json:"from"`
	Amount *int64 `json:"amount"`
}

func readChanges(where string, in []changeFile) ([]DuesChange, error) {
	var out []DuesChange
	for i, c := range in {
		from, err := ParsePeriod(c.From)
		if err != nil || from.IsZero() {
			return nil, inputErr("%s change %d: from %q is not YYYY-MM", where, i+1, c.From)
		}
		if c.Amount == nil {
			return nil, inputErr("%s change %d: amount is missing", where, i+1)
		}
		out = append(out, DuesChange{From: from, Amount: *c.Amount})
	}
	return out, nil
}

// ManualPayment is money a member handed to the treasurer outside the bank
// (cash), listed in GROUP.json's optional "manual" array.
type ManualPayment struct {
	MemberID string `json:"member"`
	// Date is YYYY-MM-DD.
	Date   string `json:"date"`
	Amount int64  `json:"amount"`
	Note   string `json:"note,omitempty"`
}

// GroupDefinition is a parsed GROUP.json: the group and its manual
// payments.
type GroupDefinition struct {
	Group  *Group
	Manual []Payment
}

// ReadGroup parses GROUP.json (see the reconcile contract in docs). It
// rejects unknown fields, a missing or non-positive dues amount, bad months,
// duplicate or empty member ids, negative dues and manual payments for
// unknown members or with non-positive amounts. It reads at most
// MaxGroupSize bytes, and refuses a longer input.
func ReadGroup(r io.Reader) (*GroupDefinition, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxGroupSize+1))
	if err != nil {
		return nil, inputErr("%v", err)
	}
	if len(data) > MaxGroupSize {
		return nil, inputErr("the group file is larger than %d MiB", MaxGroupSize>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 BOM from editors
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] != '{' {
		return nil, inputErr("the group file must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f groupFile
	if err := dec.Decode(&f); err != nil {
		return nil, inputErr("%s", jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, inputErr("extra data after the group object")
	}
	if f.Dues == nil {
		return nil, inputErr("dues is missing")
	}
	if f.Dues.Amount == nil {
		return nil, inputErr("dues.amount is missing")
	}
	if *f.Dues.Amount <= 0 {
		// A chat group may exist before its dues are set; a file to
		// reconcile needs them.
		return nil, inputErr("dues amount %d is not positive", *f.Dues.Amount)
	}
	if *f.Dues.Amount > maxDues {
		return nil, inputErr("dues.amount %d is more than %d", *f.Dues.Amount, int64(maxDues))
	}
	start, err := ParsePeriod(f.Dues.Start)
	if err != nil || start.IsZero() {
		return nil, inputErr("dues.start %q is not YYYY-MM", f.Dues.Start)
	}
	g := &Group{
		Name:   strings.TrimSpace(f.Name),
		Dues:   DuesRule{Amount: *f.Dues.Amount, Day: f.Dues.Day, Start: start},
		Ignore: f.Ignore,
		Words:  f.Words,
	}
	if g.Dues.Changes, err = readChanges("dues", f.Dues.Changes); err != nil {
		return nil, err
	}
	if g.Dues.Day == 0 {
		return nil, inputErr("dues.day is missing or 0 (it is the due day, 1..31)")
	}
	for i, fm := range f.Members {
		m := Member{ID: fm.ID, Name: strings.TrimSpace(fm.Name)}
		where := fmt.Sprintf("member %d (%q)", i+1, fm.ID)
		for _, a := range fm.Aliases {
			if strings.TrimSpace(a) == "" {
				return nil, inputErr("%s has an empty alias", where)
			}
			m.Aliases = append(m.Aliases, Alias{Text: a})
		}
		if fm.Dues != nil {
			if *fm.Dues < 0 {
				return nil, inputErr("%s has negative dues %d", where, *fm.Dues)
			}
			if *fm.Dues > maxDues {
				return nil, inputErr("%s has dues %d, more than %d", where, *fm.Dues, int64(maxDues))
			}
			if *fm.Dues == 0 {
				m.Exempt = true
			} else {
				m.Dues = *fm.Dues
			}
		}
		if m.DuesChanges, err = readChanges(where+" dues", fm.DuesChanges); err != nil {
			return nil, err
		}
		if m.Joined, err = ParsePeriod(fm.Joined); err != nil {
			return nil, inputErr("%s: joined %q is not YYYY-MM", where, fm.Joined)
		}
		if m.Left, err = ParsePeriod(fm.Left); err != nil {
			return nil, inputErr("%s: left %q is not YYYY-MM", where, fm.Left)
		}
		g.Members = append(g.Members, m)
	}
	if err := g.Validate(); err != nil {
		return nil, inputErr("%s", strings.TrimPrefix(err.Error(), ErrInvalidGroup.Error()+": "))
	}
	def := &GroupDefinition{Group: g}
	for i, mp := range f.Manual {
		where := fmt.Sprintf("manual payment %d", i+1)
		if mp.Amount > maxWon {
			return nil, inputErr("%s: amount %d is more than %d", where, mp.Amount, int64(maxWon))
		}
		if _, ok := g.Member(mp.MemberID); !ok {
			return nil, inputErr("%s: unknown member id %q", where, mp.MemberID)
		}
		if mp.Amount <= 0 {
			return nil, inputErr("%s: amount %d is not positive", where, mp.Amount)
		}
		d, err := time.ParseInLocation("2006-01-02", mp.Date, KST())
		if err != nil {
			return nil, inputErr("%s: date %q is not YYYY-MM-DD", where, mp.Date)
		}
		def.Manual = append(def.Manual, Payment{MemberID: mp.MemberID, Amount: mp.Amount, At: d, Ref: fmt.Sprintf("manual:%d", i)})
	}
	return def, nil
}

// jsonProblem turns a decoding error into a short description with the
// byte offset where it has one.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d: %v", syn.Offset, syn)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("%s: expected %s, got JSON %s", typ.Field, typ.Type, typ.Value)
		}
		return fmt.Sprintf("expected %s, got JSON %s", typ.Type, typ.Value)
	case errors.Is(err, io.EOF):
		return "empty file"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "invalid JSON: unexpected end of file"
	}
	return "invalid JSON: " + err.Error()
}

// BankTransaction is one row of a transaction export: a KFTC res_list entry
// or a CSV line, as given.
type BankTransaction struct {
	Date         string // tran_date, YYYYMMDD
	Time         string // tran_time, hhmmss
	InoutType    string // 입금 or 출금
	PrintContent string
	Amount       int64
	AfterBalance int64
	At           time.Time // Date and Time in KST
}

// Deposit converts t to a Deposit with id.
func (t BankTransaction) Deposit(id string) Deposit {
	dir := In
	if t.InoutType != "입금" {
		dir = Out
	}
	return Deposit{ID: id, At: t.At, Direction: dir, Text: t.PrintContent, Amount: t.Amount, Balance: t.AfterBalance}
}

// CSVHeader is the header a transaction CSV must have (extra columns are
// allowed and ignored; the order is free).
var CSVHeader = []string{"tran_date", "tran_time", "inout_type", "print_content", "tran_amt", "after_balance_amt"}

// ReadTransactions parses a transaction file: a KFTC transaction_list
// response (an object with res_list), a JSON array of res_list entries, or
// a CSV file with CSVHeader. Amounts may be strings or numbers, with or
// without thousands separators; negative amounts are an error. Data of
// more than MaxTransactionsSize bytes, and a CSV line longer than
// MaxCSVLine, are refused.
func ReadTransactions(data []byte) ([]BankTransaction, error) {
	if len(data) > MaxTransactionsSize {
		return nil, inputErr("the transaction file is larger than %d MiB", MaxTransactionsSize>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 BOM from spreadsheet exports
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, inputErr("empty file")
	}
	switch trimmed[0] {
	case '{':
		var body struct {
			RspCode    string          `json:"rsp_code"`
			RspMessage string          `json:"rsp_message"`
			NextPage   string          `json:"next_page_yn"`
			ResList    json.RawMessage `json:"res_list"`
		}
		if err := json.Unmarshal(trimmed, &body); err != nil {
			return nil, inputErr("%s", jsonProblem(err))
		}
		switch {
		case body.RspCode != "" && body.RspCode != "A0000":
			return nil, inputErr("the KFTC response is an error, not a transaction list (rsp_code %s %s)", body.RspCode, body.RspMessage)
		case body.NextPage == "Y":
			return nil, inputErr("the KFTC response has more pages (next_page_yn Y): export every page into one list")
		case body.ResList == nil:
			return nil, inputErr("the JSON object has no res_list")
		}
		var list []json.RawMessage
		if err := json.Unmarshal(body.ResList, &list); err != nil {
			return nil, inputErr("res_list is not an array")
		}
		return readEntries(list)
	case '[':
		var list []json.RawMessage
		if err := json.Unmarshal(trimmed, &list); err != nil {
			return nil, inputErr("%s", jsonProblem(err))
		}
		return readEntries(list)
	}
	return readCSV(data)
}

func readEntries(list []json.RawMessage) ([]BankTransaction, error) {
	out := make([]BankTransaction, 0, len(list))
	for i, raw := range list {
		var e map[string]json.RawMessage
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, inputErr("res_list entry %d is not an object", i)
		}
		field := func(name string) (string, error) {
			v, ok := e[name]
			if !ok || string(v) == "null" {
				return "", nil
			}
			var s string
			if err := json.Unmarshal(v, &s); err == nil {
				return s, nil
			}
			var n json.Number
			if err := json.Unmarshal(v, &n); err == nil {
				return n.String(), nil
			}
			return "", inputErr("res_list entry %d: %s is neither a string nor a number", i, name)
		}
		var vals [6]string
		for j, name := range CSVHeader {
			v, err := field(name)
			if err != nil {
				return nil, err
			}
			vals[j] = v
		}
		if vals[3] == "" {
			// Some banks spell it printed_content.
			v, err := field("printed_content")
			if err != nil {
				return nil, err
			}
			vals[3] = v
		}
		t, err := parseRow(vals)
		if err != nil {
			return nil, inputErr("res_list entry %d: %v", i, err)
		}
		out = append(out, t)
	}
	return out, nil
}

func readCSV(data []byte) ([]BankTransaction, error) {
	if !utf8.Valid(data) {
		return nil, inputErr("not UTF-8 text (save the CSV as UTF-8)")
	}
	// encoding/csv holds a whole line (and record) in memory, several
	// times over: look at the line lengths first.
	for line, rest := 1, data; len(rest) > 0; line++ {
		n := bytes.IndexByte(rest, '\n')
		if n < 0 {
			n = len(rest)
		}
		if n > MaxCSVLine {
			return nil, inputErr("line %d is longer than %d KiB: not a transaction export", line, MaxCSVLine>>10)
		}
		rest = rest[min(n+1, len(rest)):]
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return nil, inputErr("line 1: %v", csvProblem(err))
	}
	col := make(map[string]int, len(header))
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		if name == "printed_content" {
			name = "print_content" // as some banks spell it
		}
		if _, dup := col[name]; dup && name != "" {
			return nil, inputErr("line 1: column %s appears twice", name)
		}
		col[name] = i
	}
	idx := make([]int, len(CSVHeader))
	for j, name := range CSVHeader {
		i, ok := col[name]
		if !ok {
			return nil, inputErr("line 1: the header must be %s (missing %s)", strings.Join(CSVHeader, ","), name)
		}
		idx[j] = i
	}
	var out []BankTransaction
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, inputErr("%v", csvProblem(err))
		}
		line, _ := r.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		if len(rec) < len(header) || len(rec) > len(header) && strings.TrimSpace(strings.Join(rec[len(header):], "")) != "" {
			return nil, inputErr("line %d: %d fields, the header has %d (quote a field that holds a comma, like \"30,000\")", line, len(rec), len(header))
		}
		var vals [6]string
		for j, i := range idx {
			vals[j] = rec[i]
		}
		t, err := parseRow(vals)
		if err != nil {
			return nil, inputErr("line %d: %v", line, err)
		}
		out = append(out, t)
	}
}

func csvProblem(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("line %d: %v", pe.Line, pe.Err)
	}
	if err == io.EOF {
		return "empty file"
	}
	return err.Error()
}

// parseRow checks one transaction's fields, in CSVHeader order.
func parseRow(v [6]string) (BankTransaction, error) {
	t := BankTransaction{
		Date:         strings.TrimSpace(v[0]),
		Time:         strings.TrimSpace(v[1]),
		InoutType:    strings.TrimSpace(v[2]),
		PrintContent: v[3],
	}
	if t.Time == "" {
		t.Time = "000000"
	}
	at, err := time.ParseInLocation("20060102150405", t.Date+t.Time, KST())
	if err != nil || len(t.Date) != 8 || len(t.Time) != 6 {
		return t, fmt.Errorf("tran_date %q and tran_time %q are not YYYYMMDD and hhmmss", t.Date, t.Time)
	}
	t.At = at
	switch t.InoutType {
	case "입금":
	case "출금", "지급":
		t.InoutType = "출금"
	default:
		return t, fmt.Errorf("inout_type %q is not 입금 or 출금", t.InoutType)
	}
	if t.Amount, err = parseWon(v[4]); err != nil {
		return t, fmt.Errorf("tran_amt: %w", err)
	}
	if t.Amount < 0 {
		return t, fmt.Errorf("tran_amt %s is negative", strings.TrimSpace(v[4]))
	}
	if t.Amount > maxWon {
		return t, fmt.Errorf("tran_amt %s is more than %d", strings.TrimSpace(v[4]), int64(maxWon))
	}
	if strings.TrimSpace(v[5]) != "" {
		if t.AfterBalance, err = parseWon(v[5]); err != nil {
			return t, fmt.Errorf("after_balance_amt: %w", err)
		}
		if t.AfterBalance > maxWon || t.AfterBalance < -maxWon {
			return t, fmt.Errorf("after_balance_amt %s is out of range", strings.TrimSpace(v[5]))
		}
	}
	return t, nil
}

// parseWon parses a won amount: digits with an optional sign, thousands
// separators and a trailing 원.
func parseWon(s string) (int64, error) {
	c := strings.TrimSpace(s)
	c = strings.TrimSuffix(c, "원")
	c = strings.ReplaceAll(c, ",", "")
	if c == "" {
		return 0, fmt.Errorf("%q is empty", s)
	}
	n, err := strconv.ParseInt(c, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number of won", s)
	}
	return n, nil
}

// Report is the result of an offline reconciliation.
type Report struct {
	AsOf         time.Time
	Transactions []ReportLine
	Manual       []ReportManual
	Members      []MemberStatus
}

// ReportLine is one input transaction with its verdict.
type ReportLine struct {
	Index       int
	Transaction BankTransaction
	Match       Match
	Allocations []Allocation
}

// ReportManual is one manual payment with its allocations.
type ReportManual struct {
	Payment     Payment
	Allocations []Allocation
}

// Reconcile runs the matcher over txs and allocates the matched money and
// the manual payments in time order (input order within the same second).
// asOf bounds the months reported; the zero time means the date of the
// latest transaction (or of the first day of the group's start month when
// there are none).
func Reconcile(def *GroupDefinition, txs []BankTransaction, asOf time.Time) (*Report, error) {
	g := def.Group
	if asOf.IsZero() {
		asOf = g.Dues.Start.Start(KST())
		if len(txs) > 0 {
			asOf = latestDay(txs)
		}
	}
	m := NewMatcher(g)
	rep := &Report{AsOf: asOf}
	var pays []Payment
	for i, t := range txs {
		d := t.Deposit(strconv.Itoa(i))
		mt := m.Match(d)
		rep.Transactions = append(rep.Transactions, ReportLine{Index: i, Transaction: t, Match: mt})
		if mt.Outcome == OutcomeMatched {
			for _, s := range mt.Shares {
				pays = append(pays, Payment{MemberID: s.MemberID, Amount: s.Amount, At: t.At, Ref: d.ID})
			}
		}
	}
	// Manual payments go before bank deposits of the same instant.
	pays = append(append([]Payment(nil), def.Manual...), pays...)
	SortPayments(pays)
	book := NewBook(g)
	manual := map[string]int{}
	for i, p := range def.Manual {
		manual[p.Ref] = i
		rep.Manual = append(rep.Manual, ReportManual{Payment: p})
	}
	for _, p := range pays {
		allocs, err := book.Apply(p)
		if err != nil {
			return nil, fmt.Errorf("ledger: reconcile: %w", err)
		}
		if i, ok := manual[p.Ref]; ok {
			rep.Manual[i].Allocations = append(rep.Manual[i].Allocations, allocs...)
			continue
		}
		i, _ := strconv.Atoi(p.Ref)
		rep.Transactions[i].Allocations = append(rep.Transactions[i].Allocations, allocs...)
	}
	rep.Members = book.Statuses(MonthOf(asOf))
	return rep, nil
}

func latestDay(txs []BankTransaction) time.Time {
	var last time.Time
	for _, t := range txs {
		if t.At.After(last) {
			last = t.At
		}
	}
	return time.Date(last.Year(), last.Month(), last.Day(), 0, 0, 0, 0, KST())
}
