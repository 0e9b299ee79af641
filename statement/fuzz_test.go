package statement

import (
	"errors"
	"testing"

	"github.com/moimbot/moimbot/ledger"
)

// fuzzOptions keep each fuzz input small and quick to refuse.
var fuzzOptions = Options{Password: testPassword, MaxRows: 2_000, MaxBytes: 1 << 20}

// checkRead checks what Read returned for any input: an error of a known
// kind, or rows that keep every invariant callers rely on.
func checkRead(t *testing.T, st *Statement, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrPassword) && !errors.Is(err, ErrWrongPassword) {
			t.Fatalf("error of no known kind: %v", err)
		}
		if st != nil {
			t.Fatalf("a statement with the error %v", err)
		}
		return
	}
	switch st.Format {
	case "xlsx", "csv", "html":
	default:
		t.Fatalf("format %q", st.Format)
	}
	if _, ok := profileByName(st.Bank); !ok {
		t.Fatalf("bank %q", st.Bank)
	}
	if len(st.Columns) < 3 {
		t.Fatalf("columns %q", st.Columns)
	}
	for i, r := range st.Rows {
		if r.Amount <= 0 || r.Amount > maxWon || r.AfterBalance > maxWon || r.AfterBalance < -maxWon {
			t.Fatalf("row %d: amount %d, balance %d", i, r.Amount, r.AfterBalance)
		}
		if r.InoutType != "입금" && r.InoutType != "출금" {
			t.Fatalf("row %d: inout %q", i, r.InoutType)
		}
		if r.At.Location() != ledger.KST() || r.Date != r.At.Format("20060102") || r.Time != r.At.Format("150405") {
			t.Fatalf("row %d: %s %s at %v", i, r.Date, r.Time, r.At)
		}
		if i > 0 && r.At.Before(st.Rows[i-1].At) {
			t.Fatalf("row %d is older than row %d", i, i-1)
		}
	}
	if !st.From.IsZero() && st.To.Before(st.From) {
		t.Fatalf("period %v - %v", st.From, st.To)
	}
}

func FuzzCSV(f *testing.F) {
	f.Add(nhFile(f))
	f.Add(ibkFile(f))
	for _, s := range []string{
		"거래일시,구분,금액,입금자명,잔액\n2026-11-24 19:03:11,입금,\"30,000\",김민수,\"130,000\"\n",
		"거래일자\t거래시간\t입금액\t출금액\t적요\t기재내용\t거래후잔액\n20261124\t190311\t30,000\t\t타행이체\t이서연\t130,000\n",
		"Date;Amount;Description;Balance\n2026/11/25 08:00;(5,000);Coffee;125000\n",
		"거래일,입출금,금액,받는분/보내는분,적요,잔액\n2026-11-24 19:03:11,입금,30000,,김민수,1\n합 계,,1,,,\n",
		"거래일시,입금,출금,내용\n2026-11-24,30000,5000,김민수\n",
		"거래일시,금액,내용\n2026-11-24,30000,김민수\n",
		"\"거래일시\",\"입금\"\"\",출금,내용\n\"2026-11-24\n19:03\",1,,\"a,b\"\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := Read("statement.csv", data, fuzzOptions)
		checkRead(t, st, err)
	})
}

func FuzzHTML(f *testing.F) {
	f.Add(kbFile(f))
	for _, s := range []string{
		`<table><tr><th rowspan="2">거래일시</th><th colspan="2">금액</th><th rowspan="2">내용</th></tr><tr><th>입금</th><th>출금</th></tr>` +
			`<tr><td>2026-11-24<br>19:03:11</td><td>30,000</td><td>0</td><td><b>김&amp;이</b>&nbsp;상사</td></tr></table>`,
		`<Workbook><Table><Row><Cell><Data>거래일시</Data></Cell><Cell><Data>구분</Data></Cell><Cell><Data>거래금액</Data></Cell>` +
			`<Cell ss:Index="5"><Data>내용</Data></Cell></Row><Row><Cell><Data>2026.11.24</Data></Cell><Cell><Data>입금</Data></Cell>` +
			`<Cell><Data>30000</Data></Cell><Cell ss:Index="5"><Data>김민수</Data></Cell></Row></Table></Workbook>`,
		`<table><tr><td colspan="1000000" rowspan="1000000">x</td></tr><tr><td>y</td></tr></table>`,
		`<tr><td>거래일시<td>입금<td>출금<td>내용<tr><td>2026-11-24<td>1<td><td>a`,
		`<table><tr><td><table><tr><td>거래일시</td></tr></table></td><td>입금</td></tr></table>`,
		`<script>&lt;tr&gt;</script><title>KB국민은행</title>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := Read("statement.xls", data, fuzzOptions)
		checkRead(t, st, err)
	})
}

// FuzzXLSX fuzzes whole files, and worksheet XML inside a valid workbook
// (so that mutations get past the zip archive's checksums): when sheet is
// not empty, it replaces the first sheet of a minimal workbook and data is
// not used.
func FuzzXLSX(f *testing.F) {
	for _, data := range [][]byte{kbankFile(f), shinhanFile(f), wooriFile(f), hanaFile(f), kakaobankFile(f),
		fakeOLE("Workbook"), bombZip(f, "xl/worksheets/sheet1.xml", 8<<30, 1<<10)} {
		f.Add(data, "")
	}
	const ns = `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`
	for _, sheet := range []string{
		ns + `<row r="2"><c r="B2" t="inlineStr"><is><t>거래일시</t></is></c><c r="C2" t="inlineStr"><is><t>구분</t></is></c>` +
			`<c r="D2" t="inlineStr"><is><t>거래금액</t></is></c><c r="E2" t="inlineStr"><is><t>내용</t></is></c></row>` +
			`<row r="3"><c r="B3"><v>46350.79387731481</v></c><c r="C3" t="inlineStr"><is><t>출금</t></is></c>` +
			`<c r="D3"><v>-12500</v></c><c r="E3" t="inlineStr"><is><t>편의점</t></is></c></row></sheetData></worksheet>`,
		ns + `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>7</v></c></row><row r="1048576"/></sheetData></worksheet>`,
		ns + `<row><c t="str"><f>1+1</f><v>2</v></c><c r="CV1"><v>1</v></c></row></sheetData></worksheet>`,
	} {
		f.Add([]byte(nil), sheet)
	}
	minimal := xlsxBytes(f, "Sheet1", [][]any{{"x"}}, "")
	f.Fuzz(func(t *testing.T, data []byte, sheet string) {
		if sheet != "" {
			data = withSheetXML(t, minimal, sheet)
		}
		st, err := Read("statement.xlsx", data, fuzzOptions)
		checkRead(t, st, err)
	})
}
