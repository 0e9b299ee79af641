package statement

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/korean"

	"github.com/moimbot/moimbot/ledger"
)

// testPassword is the synthetic owner's birth date (YYMMDD) that encrypts
// the KakaoBank and Toss Bank fixtures.
const testPassword = "960315"

// base is one synthetic transaction of the fixtures: every bank's fixture
// writes these five in its own layout, so every test wants the same rows.
// Names are made up.
type base struct {
	at      time.Time
	in      bool
	amount  int64
	party   string // the counterparty ("" for interest)
	desc    string // the bank's kind of transaction (적요)
	balance int64
}

func kst(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, ledger.KST())
}

// baseRows are oldest first; rows 2 and 3 share a second, so their order
// shows that the bank's order is kept.
var baseRows = []base{
	{kst(2026, 11, 1, 9, 15, 2), true, 30000, "김민수", "타행이체", 130000},
	{kst(2026, 11, 3, 19, 3, 11), true, 30000, "이서연", "모바일", 160000},
	{kst(2026, 11, 3, 19, 3, 11), false, 12500, "스타벅스 역삼", "체크카드", 147500},
	{kst(2026, 11, 24, 21, 40, 59), true, 60000, "박지훈11월12월", "타행이체", 207500},
	{kst(2026, 11, 30, 2, 10, 45), true, 37, "", "결산이자", 207537},
}

// newestFirst returns baseRows newest first, as many banks list them.
func newestFirst() []base {
	out := make([]base, len(baseRows))
	for i, r := range baseRows {
		out[len(out)-1-i] = r
	}
	return out
}

// wantRows is what Read should return for the fixtures; minutes drops the
// seconds, for banks that print only hours and minutes.
func wantRows(minutes bool) []ledger.BankTransaction {
	var out []ledger.BankTransaction
	for _, r := range baseRows {
		at := r.at
		if minutes {
			at = at.Truncate(time.Minute)
		}
		text := r.party
		if text == "" {
			text = r.desc
		}
		dir := "입금"
		if !r.in {
			dir = "출금"
		}
		out = append(out, ledger.BankTransaction{
			Date: at.Format("20060102"), Time: at.Format("150405"), InoutType: dir,
			PrintContent: text, Amount: r.amount, AfterBalance: r.balance, At: at,
		})
	}
	return out
}

func (r base) signed() int64 {
	if r.in {
		return r.amount
	}
	return -r.amount
}

func (r base) inOut() (in, out int64) {
	if r.in {
		return r.amount, 0
	}
	return 0, r.amount
}

func (r base) dir() string {
	if r.in {
		return "입금"
	}
	return "출금"
}

// xlsxBytes builds a workbook with one sheet named sheet whose cells are
// rows (nil leaves a cell empty; a time.Time becomes a real date cell),
// encrypted with password when it is not "".
func xlsxBytes(tb testing.TB, sheet string, rows [][]any, password string) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		tb.Fatal(err)
	}
	style, err := f.NewStyle(&excelize.Style{NumFmt: 22}) // m/d/yy h:mm
	if err != nil {
		tb.Fatal(err)
	}
	for i, row := range rows {
		for j, v := range row {
			if v == nil {
				continue
			}
			name, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if t, ok := v.(time.Time); ok {
				// Excel dates have no zone: write the Seoul wall clock.
				v = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
				if err := f.SetCellStyle(sheet, name, name, style); err != nil {
					tb.Fatal(err)
				}
			}
			if err := f.SetCellValue(sheet, name, v); err != nil {
				tb.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	var opts []excelize.Options
	if password != "" {
		opts = append(opts, excelize.Options{Password: password})
	}
	if err := f.Write(&buf, opts...); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// csvBytes joins lines with CRLF, as Windows exports do, encoded in CP949
// when cp949 is set.
func csvBytes(tb testing.TB, lines []string, cp949 bool) []byte {
	tb.Helper()
	text := strings.Join(lines, "\r\n") + "\r\n"
	if !cp949 {
		return []byte(text)
	}
	b, err := korean.EUCKR.NewEncoder().Bytes([]byte(text))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func won(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// kakaobankFile is a KakaoBank download: encrypted, column A empty, title
// and key-value preamble, notes, header in row 11, signed amounts, oldest
// first.
func kakaobankFile(tb testing.TB) []byte {
	rows := [][]any{
		{},
		{nil, "카카오뱅크 거래내역"},
		{},
		{nil, "성명", "김총무", "조회기간", "2026.11.01 - 2026.11.30"},
		{nil, "계좌번호", "****-**-***4567", "요청일시", "2026.12.01 10:00:00"},
		{},
		{nil, "※ 금액앞에 '-' 표시는 출금 금액입니다."},
		{nil, "※ 본 거래내역은 법적효력이 없는 참고용 문서입니다."},
		{nil, "※ 제출 용도로 거래내역서를 받으시려면 증명서발급 메뉴를 이용해주시기 바랍니다."},
		{},
		{nil, "거래일시", "구분", "거래금액", "거래 후 잔액", "거래구분", "내용", "메모"},
	}
	kind := map[string]string{"타행이체": "일반입금", "모바일": "일반입금", "체크카드": "체크카드결제", "결산이자": "예금이자"}
	for _, r := range baseRows {
		text := r.party
		if text == "" {
			text = r.desc
		}
		rows = append(rows, []any{nil, r.at.Format("2006.01.02 15:04:05"), r.dir(), r.signed(), r.balance, kind[r.desc], text, nil})
	}
	return xlsxBytes(tb, "카카오뱅크 거래내역", rows, testPassword)
}

// tossFile is a Toss Bank download: encrypted, metadata rows, header in
// row 8, 적요 is the counterparty, signed amounts, newest first.
func tossFile(tb testing.TB) []byte {
	rows := [][]any{
		{"토스뱅크 거래내역"},
		{},
		{"성명", "김총무"},
		{"계좌번호", "1000-1234-5678"},
		{"조회기간", "2026.11.01 ~ 2026.11.30"},
		{"발급일시", "2026.12.01 10:00"},
		{},
		{"거래 일시", "적요", "거래 유형", "거래 기관", "계좌번호", "거래 금액", "거래 후 잔액", "메모"},
	}
	kind := map[string]string{"타행이체": "입금", "모바일": "송금", "체크카드": "체크카드결제", "결산이자": "이자입금"}
	for _, r := range newestFirst() {
		text := r.party
		if text == "" {
			text = r.desc
		}
		rows = append(rows, []any{r.at.Format("2006.01.02 15:04:05"), text, kind[r.desc], "국민은행", "123456******", r.signed(), r.balance, nil})
	}
	return xlsxBytes(tb, "거래내역", rows, testPassword)
}

// kbFile is a KB국민은행 download: an HTML table in EUC-KR with a <meta>
// charset, saved as .xls, newest first, 0 in the unused amount column, a
// total row at the end, and an entity in a name.
func kbFile(tb testing.TB) []byte {
	var b strings.Builder
	b.WriteString(`<html><head><meta http-equiv="Content-Type" content="text/html; charset=euc-kr"><title>KB국민은행 거래내역조회</title>
<style>td { mso-number-format:"\@"; }</style></head><body>
<table><tr><td>계좌번호</td><td>123456-01-234567</td></tr><tr><td>예금주</td><td>김총무</td></tr>
<tr><td>조회기간</td><td>2026.11.01 ~ 2026.11.30</td></tr></table>
<table border="1"><tr><th>거래일시</th><th>적요</th><th>보낸분/받는분</th><th>송금메모</th><th>출금액</th><th>입금액</th><th>잔액</th><th>거래점</th><th>구분</th></tr>
`)
	for _, r := range newestFirst() {
		in, out := r.inOut()
		party := strings.ReplaceAll(r.party, " ", "&nbsp;")
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>%s</td><td></td><td>%s</td><td>%s</td><td>%s</td><td>전자금융</td><td>%s</td></tr>\n",
			r.at.Format("2006.01.02 15:04:05"), r.desc, party, won(out), won(in), won(r.balance), r.dir())
	}
	b.WriteString(`<tr><td colspan="4">합계</td><td>12,500</td><td>120,037</td><td></td><td></td><td></td></tr></table></body></html>`)
	out, err := korean.EUCKR.NewEncoder().Bytes([]byte(b.String()))
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// shinhanFile is a 신한은행 download: date and time in two text columns,
// "key : value" preamble cells, headers with "(원)", newest first.
func shinhanFile(tb testing.TB) []byte {
	rows := [][]any{
		{"거래내역조회"},
		{"계좌번호 : 110-123-456789"},
		{"예금주 : 김총무"},
		{"조회기간 : 2026-11-01 ~ 2026-11-30"},
		{},
		{"거래일자", "거래시간", "적요", "출금(원)", "입금(원)", "내용", "잔액(원)", "거래점"},
	}
	for _, r := range newestFirst() {
		in, out := r.inOut()
		rows = append(rows, []any{r.at.Format("2006-01-02"), r.at.Format("15:04:05"), r.desc, out, in, r.party, r.balance, "인터넷"})
	}
	return xlsxBytes(tb, "거래내역조회", rows, "")
}

// wooriFile is a 우리은행 download as Excel saves it: real date cells to the
// minute, 찾으신금액 and 맡기신금액, oldest first, and footer rows.
func wooriFile(tb testing.TB) []byte {
	rows := [][]any{
		{"우리은행 거래내역조회"},
		{"조회계좌", "1002-123-456789", nil, "예금주명", "김총무"},
		{"조회기간", "2026.11.01 ~ 2026.11.30"},
		{"No.", "거래일시", "적요", "기재내용", "찾으신금액", "맡기신금액", "거래후잔액", "취급기관", "메모"},
	}
	for i, r := range baseRows {
		in, out := r.inOut()
		party := any(r.party)
		if r.party == "" {
			party = nil
		}
		rows = append(rows, []any{i + 1, r.at.Truncate(time.Minute), r.desc, party, out, in, r.balance, "우리은행", nil})
	}
	rows = append(rows, []any{nil, "합계", nil, nil, 12500, 120037}, []any{"※ 본 내역은 참고용입니다."})
	return xlsxBytes(tb, "Sheet1", rows, "")
}

// hanaFile is a 하나은행 download: minute dates as text, 의뢰인/수취인, a
// 구분 that is not the direction, newest first.
func hanaFile(tb testing.TB) []byte {
	rows := [][]any{
		{"하나은행 거래내역"},
		{"계좌번호", "123-456789-01234", "예금주", "김총무"},
		{"조회기간", "2026-11-01 ~ 2026-11-30"},
		{},
		{"거래일시", "적요", "의뢰인/수취인", "입금", "출금", "거래후잔액", "구분", "거래점", "비고"},
	}
	for _, r := range newestFirst() {
		in, out := r.inOut()
		rows = append(rows, []any{r.at.Format("2006-01-02 15:04"), r.desc, r.party, won(in), won(out), won(r.balance), "대체", "하나은행", nil})
	}
	return xlsxBytes(tb, "거래내역", rows, "")
}

// nhFile is an NH농협은행 download: CP949 CSV, quoted amounts, slashes in
// dates, newest first, preamble lines.
func nhFile(tb testing.TB) []byte {
	lines := []string{
		"NH농협은행 거래내역조회",
		"계좌번호,302-1234-5678-11",
		"조회기간,2026.11.01~2026.11.30",
		"",
		"순번,거래일시,출금금액,입금금액,거래후잔액,거래내용,거래기록사항,거래점,이체메모",
	}
	for i, r := range newestFirst() {
		in, out := r.inOut()
		lines = append(lines, fmt.Sprintf(`%d,%s,"%s","%s","%s",%s,%s,농협,`,
			i+1, r.at.Format("2006/01/02 15:04:05"), won(out), won(in), won(r.balance), r.desc, r.party))
	}
	return csvBytes(tb, lines, true)
}

// ibkFile is an IBK기업은행 download: UTF-8 CSV with a byte-order mark,
// newest first.
func ibkFile(tb testing.TB) []byte {
	lines := []string{
		"순번,거래일시,출금,입금,거래후 잔액,거래내용,상대계좌번호,상대은행,메모,거래구분,상대계좌예금주명",
	}
	for i, r := range newestFirst() {
		in, out := r.inOut()
		lines = append(lines, fmt.Sprintf(`%d,%s,%d,%d,%d,%s,,,,%s,%s`,
			i+1, r.at.Format("2006-01-02 15:04:05"), out, in, r.balance, r.desc, "전자금융", r.party))
	}
	return append([]byte("\xef\xbb\xbf"), csvBytes(tb, lines, false)...)
}

// kbankFile is a 케이뱅크 download: 입금금액 and 출금금액 with 0 in the unused
// one, 상대 예금주명, oldest first, no preamble.
func kbankFile(tb testing.TB) []byte {
	rows := [][]any{
		{"거래일시", "거래구분", "입금금액", "출금금액", "잔액", "상대 예금주명", "상대 은행", "적요내용"},
	}
	for _, r := range baseRows {
		in, out := r.inOut()
		rows = append(rows, []any{r.at.Format("2006.01.02 15:04:05"), "이체", in, out, r.balance, r.party, "카카오뱅크", r.desc})
	}
	return xlsxBytes(tb, "거래내역", rows, "")
}
