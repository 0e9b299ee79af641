package statement

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/moimbot/moimbot/ledger"
)

// role is what a column holds.
type role int

const (
	roleNone    role = iota
	roleDate         // the date, perhaps with the time
	roleTime         // the time of day
	roleIn           // money in
	roleOut          // money out
	roleAmount       // one amount column, with a direction column or a sign
	roleDir          // 입금 or 출금 (구분)
	roleKind         // a kind of transaction that may say 입금 or 출금 (거래구분)
	roleParty        // the counterparty: the payer text first tried
	roleDesc         // a description or kind: tried second
	roleMemo         // a memo: tried last
	roleBalance      // the balance after the transaction
)

// columnNames are the names each role is recognised by, best first, as
// normName writes them (so "거래 후 잔액" and "잔액(원)" match too).
var columnNames = map[role][]string{
	roleDate: {"거래일시", "거래일자", "거래일", "거래날짜", "입출금일시", "입출금일자", "일시", "일자", "날짜",
		"datetime", "date", "transactiondate", "tran_date"},
	roleTime:   {"거래시간", "거래시각", "시간", "시각", "time", "tran_time"},
	roleIn:     {"입금액", "입금금액", "입금", "맡기신금액", "입금하신금액", "받은금액", "deposit", "deposits", "credit", "moneyin"},
	roleOut:    {"출금액", "출금금액", "출금", "찾으신금액", "출금하신금액", "지급액", "지급금액", "지급", "withdrawal", "withdrawals", "debit", "moneyout"},
	roleAmount: {"거래금액", "금액", "거래액", "amount", "tran_amt"},
	roleDir:    {"입출금구분", "입출구분", "입/출금", "입출금", "구분", "inout_type", "inout"},
	roleKind:   {"거래구분", "거래유형", "거래종류", "type"},
	roleParty: {"입금자명", "입금자", "입금인", "보낸분/받는분", "받는분/보내는분", "보낸분", "받는분", "보내는분", "보낸사람", "받는사람",
		"의뢰인/수취인", "의뢰인", "수취인", "상대예금주명", "상대계좌예금주명", "상대방", "거래처", "기재내용", "거래기록사항", "내용",
		"counterparty", "payee", "payer", "name"},
	roleDesc: {"적요", "거래내용", "적요내용", "거래적요", "통장표시내용", "통장인자내용", "인자내용", "description", "details",
		"print_content", "printed_content"},
	roleMemo:    {"메모", "송금메모", "이체메모", "비고", "memo", "note", "notes", "remarks"},
	roleBalance: {"거래후잔액", "잔액", "거래후잔고", "잔고", "통장잔액", "balance", "after_balance_amt"},
}

type roleRank struct {
	role role
	rank int
}

// nameRoles maps a normalised column name to its role and rank.
var nameRoles = func() map[string]roleRank {
	m := map[string]roleRank{}
	for r, names := range columnNames {
		for i, n := range names {
			m[normName(n)] = roleRank{r, i}
		}
	}
	return m
}()

// totalWords mark a total or footer row (normalised).
var totalWords = []string{"합계", "소계", "총계", "누계", "총입금", "총출금", "입금합계", "출금합계", "건수", "total"}

// preambleKeys are the preamble's keys (normalised).
var preambleKeys = map[string]string{
	"계좌번호": "account", "계좌": "account", "조회계좌": "account", "조회계좌번호": "account", "예금계좌": "account",
	"account": "account", "accountnumber": "account", "accountno": "account",
	"예금주": "holder", "예금주명": "holder", "성명": "holder", "고객명": "holder", "이름": "holder", "성함": "holder",
	"accountholder": "holder", "holder": "holder",
	"조회기간": "period", "거래기간": "period", "기간": "period", "period": "period",
}

// layout is where the roles are in the header (-1 for none).
type layout struct {
	date, time, in, out, amount, dir, balance int
	texts                                     []int // payer text columns, in the order they are tried
}

// analyse finds the columns of header and scores it: the number of
// different kinds of column it names (text columns count once, as do 구분
// and 거래구분).
func analyse(header []string) (layout, int) {
	l := layout{date: -1, time: -1, in: -1, out: -1, amount: -1, dir: -1, balance: -1}
	best := map[role]int{}
	type text struct{ tier, pos int }
	var texts []text
	for i, h := range header {
		rr, ok := nameRoles[normName(h)]
		if !ok {
			continue
		}
		switch rr.role {
		case roleParty, roleDesc, roleMemo:
			texts = append(texts, text{int(rr.role), i})
			continue
		}
		if j, seen := best[rr.role]; !seen || rr.rank < nameRoles[normName(header[j])].rank {
			best[rr.role] = i
		}
	}
	score := 0
	pick := func(r role) int {
		if i, ok := best[r]; ok {
			score++
			return i
		}
		return -1
	}
	l.date, l.time, l.in, l.out, l.amount, l.balance = pick(roleDate), pick(roleTime), pick(roleIn), pick(roleOut), pick(roleAmount), pick(roleBalance)
	if i, ok := best[roleDir]; ok {
		l.dir, score = i, score+1
	} else if i, ok := best[roleKind]; ok {
		l.dir, score = i, score+1
	}
	sort.SliceStable(texts, func(a, b int) bool { return texts[a].tier < texts[b].tier })
	for _, t := range texts {
		l.texts = append(l.texts, t.pos)
	}
	if len(texts) > 0 {
		score++
	}
	return l, score
}

// check returns a FormatError naming the first missing column of l, or
// nil.
func (l layout) check(header []string) error {
	found := foundList(header)
	switch {
	case l.date < 0:
		return formatErr("no column for the date; found: %s", found)
	case l.amount < 0 && (l.in < 0) != (l.out < 0):
		has, lacks := header[max(l.in, l.out)], "출금"
		if l.in < 0 {
			lacks = "입금"
		}
		return formatErr("there is a column %s but none for %s, and no single amount column; found: %s", cleanText(has), lacks, found)
	case l.amount < 0 && l.in < 0:
		return formatErr("no column for the amount (거래금액, or 입금 and 출금); found: %s", found)
	case len(l.texts) == 0:
		return formatErr("no column for the payer's name; found: %s", found)
	}
	return nil
}

// inOut reports whether l reads separate 입금 and 출금 columns.
func (l layout) inOut() bool { return l.in >= 0 && l.out >= 0 }

func foundList(header []string) string {
	var names []string
	for _, h := range header {
		if h = cleanText(h); h != "" {
			names = append(names, h)
		}
	}
	if len(names) == 0 {
		return "nothing"
	}
	return strings.Join(names, ", ")
}

// direction is what a 구분 cell says.
type direction int

const (
	dirUnknown direction = iota
	dirIn
	dirOut
)

// classify reads a 구분 or 거래구분 value. A cancellation (입금취소) says
// neither (its money goes the other way), nor does 입출금.
func classify(v string) direction {
	s := normName(v)
	switch {
	case s == "" || strings.Contains(s, "취소") || strings.Contains(s, "입출"):
		return dirUnknown
	case s == "입" || s == "in" || s == "credit" || s == "deposit" || s == "+":
		return dirIn
	case s == "출" || s == "지" || s == "out" || s == "debit" || s == "withdrawal" || s == "-":
		return dirOut
	}
	in := strings.Contains(s, "입금")
	out := strings.Contains(s, "출금") || strings.Contains(s, "지급")
	switch {
	case in && !out:
		return dirIn
	case out && !in:
		return dirOut
	}
	return dirUnknown
}

// record is one data row, read but not yet given its direction (which may
// depend on whether the file has a negative amount anywhere).
type record struct {
	row     int
	at      time.Time
	amount  int64 // signed for an amount column; positive with dir set for 입금/출금 columns
	dir     direction
	dirText string // the 구분 cell, for errors
	text    string
	balance int64
}

type bufRow struct {
	cells []string
	row   int
}

// scanner turns rows into a Statement: it buffers the first rows of a sheet
// to find the header, then reads each row below it.
type scanner struct {
	opt    Options
	forced *Profile
	format string
	hints  []string // file name, sheet names, title

	buf      []bufRow // the current sheet's first rows, while no header is found
	firstBuf []bufRow // the first sheet's, for the error when none has a header

	header     []string
	normHeader []string // header, normalised
	pre        []bufRow // rows above the header
	lay        *layout
	prof       *Profile
	count      int // rows below the header
	recs       []record
	skipped    []Skipped
	// anyNeg reports a negative amount in the single amount column, and
	// outPositive a positive one whose 구분 says 출금: together they tell
	// whether the column carries the direction as its sign.
	anyNeg, outPositive bool
}

func newScanner(opt Options, forced *Profile) *scanner {
	return &scanner{opt: opt, forced: forced}
}

// startSheet prepares for the rows of another sheet (or table).
func (s *scanner) startSheet(name string) {
	s.buf = nil
	if name != "" {
		s.hints = append(s.hints, name)
	}
}

// found reports whether a header was found.
func (s *scanner) found() bool { return s.lay != nil }

// feed takes the next row of the current sheet; row counts from 1. more is
// false when the sheet has no header in its first rows, and its other rows
// need not be read.
func (s *scanner) feed(cells []string, row int) (more bool, err error) {
	if s.lay != nil {
		return true, s.data(cells, row)
	}
	s.buf = append(s.buf, bufRow{slices.Clone(cells), row})
	if len(s.buf) < maxHeaderScan {
		return true, nil
	}
	return s.decide()
}

// endSheet is called after the last row of a sheet.
func (s *scanner) endSheet() error {
	if s.lay == nil && len(s.buf) > 0 {
		_, err := s.decide()
		return err
	}
	return nil
}

// decide picks the header among the buffered rows and reads the rows below
// it; more is false when there is none.
func (s *scanner) decide() (more bool, err error) {
	best, bestScore := -1, 1
	for i, r := range s.buf {
		if _, score := analyse(r.cells); score > bestScore {
			best, bestScore = i, score
		}
	}
	if best < 0 {
		if s.firstBuf == nil {
			s.firstBuf = s.buf
		}
		s.buf = nil
		return false, nil
	}
	h := s.buf[best]
	l, _ := analyse(h.cells)
	if err := l.check(h.cells); err != nil {
		return false, err
	}
	s.header, s.lay, s.pre = h.cells, &l, s.buf[:best]
	names := map[string]bool{}
	for _, c := range h.cells {
		n := normName(c)
		s.normHeader = append(s.normHeader, n)
		names[n] = true
	}
	s.prof = s.forced
	if s.prof == nil {
		s.prof = detectProfile(names, s.hintText())
	}
	rest := s.buf[best+1:]
	s.buf = nil
	for _, r := range rest {
		if err := s.data(r.cells, r.row); err != nil {
			return false, err
		}
	}
	return true, nil
}

// hintText is the normalised text in which bank names are looked for.
func (s *scanner) hintText() string {
	var b strings.Builder
	for _, h := range s.hints {
		b.WriteString(normName(h))
		b.WriteByte('|')
	}
	for _, r := range s.pre {
		for _, c := range r.cells {
			b.WriteString(normName(c))
			b.WriteByte('|')
		}
	}
	return b.String()
}

func cell(cells []string, i int) string {
	if i < 0 || i >= len(cells) {
		return ""
	}
	return strings.TrimSpace(cells[i])
}

func (s *scanner) skip(row int, reason string) {
	s.skipped = append(s.skipped, Skipped{Row: row, Reason: reason})
}

// data reads one row below the header.
func (s *scanner) data(cells []string, row int) error {
	s.count++
	if s.count > s.opt.MaxRows {
		return tooLarge("more than %d rows below the header", s.opt.MaxRows)
	}
	filled := 0
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			filled++
		}
	}
	l, h := s.lay, s.header
	switch {
	case filled == 0:
		return nil
	case filled == 1:
		s.skip(row, "note")
		return nil
	case s.repeatsHeader(cells):
		s.skip(row, "repeated header")
		return nil
	}
	serial := s.format == "xlsx"
	dateCell := cell(cells, l.date)
	if dateCell == "" {
		s.skip(row, "total or footer")
		return nil
	}
	c, ok := parseDateTime(dateCell, serial)
	if !ok {
		if hasTotalWord(cells) {
			s.skip(row, "total or footer")
			return nil
		}
		return rowErr(row, "%s %q is not a date", cleanText(h[l.date]), dateCell)
	}
	if l.time >= 0 {
		if tc := cell(cells, l.time); tc != "" {
			hh, mm, ss, ok := parseTimeOfDay(tc, serial)
			if !ok {
				return rowErr(row, "%s %q is not a time of day", cleanText(h[l.time]), tc)
			}
			c.h, c.mi, c.s = hh, mm, ss
		}
	}
	rec := record{row: row, at: c.time()}
	won := func(i int) (v int64, empty bool, err error) {
		v, empty, ok := parseWon(cell(cells, i))
		if !ok {
			return 0, false, rowErr(row, "%s %q is not an amount of won", cleanText(h[i]), cell(cells, i))
		}
		return v, empty, nil
	}
	if l.inOut() {
		in, _, err := won(l.in)
		if err != nil {
			return err
		}
		out, _, err := won(l.out)
		if err != nil {
			return err
		}
		switch {
		case in < 0 || out < 0:
			i := l.in
			if out < 0 {
				i = l.out
			}
			return rowErr(row, "%s %q is negative", cleanText(h[i]), cell(cells, i))
		case in > 0 && out > 0:
			return rowErr(row, "both %s (%s) and %s (%s) hold an amount, so the direction is ambiguous",
				cleanText(h[l.in]), cell(cells, l.in), cleanText(h[l.out]), cell(cells, l.out))
		case in == 0 && out == 0:
			s.skip(row, "no money moved")
			return nil
		case in > 0:
			rec.amount, rec.dir = in, dirIn
		default:
			rec.amount, rec.dir = out, dirOut
		}
	} else {
		v, empty, err := won(l.amount)
		if err != nil {
			return err
		}
		if empty {
			return rowErr(row, "%s is empty", cleanText(h[l.amount]))
		}
		if v == 0 {
			s.skip(row, "no money moved")
			return nil
		}
		rec.amount = v
		if l.dir >= 0 {
			rec.dirText = cell(cells, l.dir)
			rec.dir = classify(rec.dirText)
		}
		s.anyNeg = s.anyNeg || v < 0
		s.outPositive = s.outPositive || v > 0 && rec.dir == dirOut
	}
	for _, i := range l.texts {
		if t := cleanText(cell(cells, i)); t != "" {
			rec.text = t
			break
		}
	}
	if l.balance >= 0 {
		b, _, err := won(l.balance)
		if err != nil {
			return err
		}
		rec.balance = b
	}
	s.recs = append(s.recs, rec)
	return nil
}

func (s *scanner) repeatsHeader(cells []string) bool {
	n := 0
	for i, h := range s.normHeader {
		if h == "" {
			continue
		}
		if c := cell(cells, i); c != strings.TrimSpace(s.header[i]) && normName(c) != h {
			return false
		}
		n++
	}
	return n > 0
}

func hasTotalWord(cells []string) bool {
	for _, c := range cells {
		n := normName(c)
		for _, w := range totalWords {
			if strings.Contains(n, w) {
				return true
			}
		}
	}
	return false
}

// noHeader is the error for a file none of whose sheets has a header: the
// checks of the best partial header when a row names some column, else a
// sentence showing the first row with text.
func (s *scanner) noHeader() error {
	rows := s.firstBuf
	if rows == nil {
		rows = s.buf
	}
	best, bestScore := -1, 0
	for i, r := range rows {
		if _, score := analyse(r.cells); score > bestScore {
			best, bestScore = i, score
		}
	}
	if best >= 0 {
		l, _ := analyse(rows[best].cells)
		if err := l.check(rows[best].cells); err != nil {
			return err
		}
	}
	for _, r := range rows {
		if f := foundList(r.cells); f != "nothing" {
			return formatErr("no header row naming a date, an amount and a payer in the first %d rows; the first row with text has: %s", maxHeaderScan, f)
		}
	}
	return formatErr("no header row naming a date, an amount and a payer in the first %d rows; they are empty", maxHeaderScan)
}

// finish gives every record its direction and returns the Statement.
func (s *scanner) finish() (*Statement, error) {
	if s.lay == nil {
		return nil, s.noHeader()
	}
	l, h := s.lay, s.header
	// The single amount column is signed when the profile says so, or when
	// it has a negative amount and no 출금 row with a positive one.
	signed := s.prof.signed || s.anyNeg && !s.outPositive
	if !l.inOut() && l.dir < 0 && !signed && len(s.recs) > 0 {
		return nil, formatErr("the amount column %s has no sign and no column says 입금 or 출금, so deposits cannot be told from withdrawals",
			cleanText(h[l.amount]))
	}
	st := &Statement{Bank: s.prof.Name, Format: s.format, Skipped: s.skipped}
	st.Columns = s.columns()
	for _, r := range s.recs {
		t := ledger.BankTransaction{
			Date:         r.at.Format("20060102"),
			Time:         r.at.Format("150405"),
			PrintContent: r.text,
			AfterBalance: r.balance,
			At:           r.at,
		}
		amount, dir := r.amount, r.dir
		if !l.inOut() {
			switch {
			case dir == dirIn && amount < 0:
				return nil, rowErr(r.row, "%s says %s but %s %d is negative", cleanText(h[l.dir]), r.dirText, cleanText(h[l.amount]), amount)
			case dir == dirOut && amount > 0 && signed:
				return nil, rowErr(r.row, "%s says %s but %s %d is positive in a column where 출금 is negative", cleanText(h[l.dir]), r.dirText, cleanText(h[l.amount]), amount)
			case dir == dirUnknown && amount < 0:
				dir = dirOut
			case dir == dirUnknown && !signed:
				return nil, rowErr(r.row, "%s %q says neither 입금 nor 출금, and the amounts have no sign", cleanText(h[l.dir]), r.dirText)
			case dir == dirUnknown:
				dir = dirIn
			}
			if amount < 0 {
				amount = -amount
			}
		}
		t.Amount = amount
		t.InoutType = "입금"
		if dir == dirOut {
			t.InoutType = "출금"
		}
		st.Rows = append(st.Rows, t)
	}
	if n := len(st.Rows); n > 1 && st.Rows[0].At.After(st.Rows[n-1].At) {
		slices.Reverse(st.Rows)
	}
	sort.SliceStable(st.Rows, func(i, j int) bool { return st.Rows[i].At.Before(st.Rows[j].At) })
	s.readPreamble(st)
	if st.From.IsZero() && len(st.Rows) > 0 {
		st.From, st.To = st.Rows[0].At, st.Rows[len(st.Rows)-1].At
	}
	return st, nil
}

// columns lists the header names used (see Statement.Columns).
func (s *scanner) columns() []string {
	l := s.lay
	idx := []int{l.date}
	if l.time >= 0 {
		idx = append(idx, l.time)
	}
	if l.inOut() {
		idx = append(idx, l.in, l.out)
	} else {
		if l.dir >= 0 {
			idx = append(idx, l.dir)
		}
		idx = append(idx, l.amount)
	}
	idx = append(idx, l.texts...)
	if l.balance >= 0 {
		idx = append(idx, l.balance)
	}
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = cleanText(s.header[j])
	}
	return out
}

// readPreamble fills Account, Holder, From and To from the key-value cells
// above the header: a key cell followed by a value cell, or "key: value" in
// one cell. The first of each wins.
func (s *scanner) readPreamble(st *Statement) {
	seen := map[string]bool{}
	for _, r := range s.pre {
		for i, c := range r.cells {
			key, val := c, ""
			if k, v, ok := strings.Cut(strings.ReplaceAll(c, "：", ":"), ":"); ok && strings.TrimSpace(v) != "" {
				key, val = k, v
			}
			what, ok := preambleKeys[normName(key)]
			if !ok || seen[what] {
				continue
			}
			if val == "" {
				for _, next := range r.cells[i+1:] {
					if strings.TrimSpace(next) != "" {
						val = next
						break
					}
				}
				if _, isKey := preambleKeys[normName(val)]; isKey {
					continue // "예금주 | | 조회기간 | ...": no value
				}
			}
			if val = cleanText(val); val == "" {
				continue
			}
			switch what {
			case "account":
				st.Account = val
			case "holder":
				st.Holder = val
			case "period":
				from, to, ok := parsePeriod(val)
				if !ok {
					continue
				}
				st.From, st.To = from, to
			}
			seen[what] = true
		}
	}
}
