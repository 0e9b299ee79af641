package statement

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func csvText(lines ...string) []byte { return []byte(strings.Join(lines, "\n") + "\n") }

// fakeOLE is the start of an OLE compound file naming one stream, enough
// for Read to tell an old .xls from an encrypted workbook.
func fakeOLE(stream string) []byte {
	b := append([]byte{}, oleMagic...)
	b = append(b, make([]byte, 1016)...)
	return append(b, utf16(stream)...)
}

func zipOf(tb testing.TB, files map[string]string) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		opt  Options
		is   error
		msg  string // the whole message, or a part of it when part is set
		part bool
	}{
		{
			name: "NoPayerColumn", is: ErrFormat,
			data: csvText("거래일시,거래금액,잔액", "2026-11-24 19:03:11,30000,130000"),
			msg:  "statement: no column for the payer's name; found: 거래일시, 거래금액, 잔액",
		},
		{
			name: "NoAmountColumn", is: ErrFormat,
			data: csvText("조회기간,2026-11-01~2026-11-30", "거래일시,내용,잔액(원)", "2026-11-24 19:03:11,김민수,130000"),
			msg:  "statement: no column for the amount (거래금액, or 입금 and 출금); found: 거래일시, 내용, 잔액(원)",
		},
		{
			name: "OnlyDepositColumn", is: ErrFormat,
			data: csvText("거래일시,입금액,내용", "2026-11-24,30000,김민수"),
			msg:  "statement: there is a column 입금액 but none for 출금, and no single amount column; found: 거래일시, 입금액, 내용",
		},
		{
			name: "NoDateColumn", is: ErrFormat,
			data: csvText("구분,금액,내용", "입금,30000,김민수"),
			msg:  "statement: no column for the date; found: 구분, 금액, 내용",
		},
		{
			name: "NoHeader", is: ErrFormat,
			data: csvText("hello,world", "1,2"),
			msg:  "statement: no header row naming a date, an amount and a payer in the first 30 rows; the first row with text has: hello, world",
		},
		{
			name: "HeaderBelowRow30", is: ErrFormat,
			data: csvText(append(strings.Split(strings.Repeat("안내,1\n", 30), "\n")[:30], "거래일시,입금,출금,내용", "2026-11-24,1,,a")...),
			msg:  "statement: no header row naming a date, an amount and a payer in the first 30 rows; the first row with text has: 안내, 1",
		},
		{
			name: "HTMLHeaderBelowRow30", is: ErrFormat,
			data: []byte(strings.Repeat("<tr><td>안내</td></tr>", 30) + "<tr><td>거래일시</td><td>입금</td><td>출금</td><td>내용</td></tr>"),
			msg:  "statement: no header row naming a date, an amount and a payer in the first 30 rows; the first row with text has: 안내",
		},
		{
			name: "UnsignedAmountWithoutDirection", is: ErrFormat,
			data: csvText("거래일시,금액,내용", "2026-11-24,30000,김민수", "2026-11-25,5000,편의점"),
			msg:  "statement: the amount column 금액 has no sign and no column says 입금 or 출금, so deposits cannot be told from withdrawals",
		},
		{
			name: "BothDepositAndWithdrawal", is: ErrFormat,
			data: csvText("거래일시,입금,출금,내용", "2026-11-24,30000,5000,김민수"),
			msg:  "statement: row 2: both 입금 (30000) and 출금 (5000) hold an amount, so the direction is ambiguous",
		},
		{
			name: "NegativeInDepositColumn", is: ErrFormat,
			data: csvText("거래일시,입금,출금,내용", "2026-11-24,-30000,,김민수"),
			msg:  `statement: row 2: 입금 "-30000" is negative`,
		},
		{
			name: "UnknownDirectionUnsigned", is: ErrFormat,
			data: csvText("거래일시,거래구분,금액,내용", "2026-11-24,입금,100,a", "2026-11-24,출금,50,b", "2026-11-25,정정,30,c"),
			msg:  `statement: row 4: 거래구분 "정정" says neither 입금 nor 출금, and the amounts have no sign`,
		},
		{
			name: "DirectionContradictsSign", is: ErrFormat, opt: Options{Bank: "kakaobank"},
			data: csvText("거래일시,구분,거래금액,내용", "2026-11-24,입금,-100,a"),
			msg:  "statement: row 2: 구분 says 입금 but 거래금액 -100 is negative",
		},
		{
			name: "WithdrawalPositiveInSignedProfile", is: ErrFormat, opt: Options{Bank: "toss"},
			data: csvText("거래일시,거래유형,거래금액,적요", "2026-11-24,출금,100,a"),
			msg:  "statement: row 2: 거래유형 says 출금 but 거래금액 100 is positive in a column where 출금 is negative",
		},
		{
			name: "BadDate", is: ErrFormat,
			data: csvText("거래일시,입금,출금,내용", "2026-11-24,100,,a", "2026-13-45,100,,a"),
			msg:  `statement: row 3: 거래일시 "2026-13-45" is not a date`,
		},
		{
			name: "BadAmount", is: ErrFormat,
			data: csvText("거래일시,입금,출금,내용", "2026-11-24,삼만원,,a"),
			msg:  `statement: row 2: 입금 "삼만원" is not an amount of won`,
		},
		{
			name: "FractionalAmount", is: ErrFormat,
			data: csvText("거래일시,입금,출금,내용", "2026-11-24,30000.5,,a"),
			msg:  `statement: row 2: 입금 "30000.5" is not an amount of won`,
		},
		{
			name: "EmptyAmount", is: ErrFormat,
			data: csvText("거래일시,구분,금액,내용", "2026-11-24,입금,,a"),
			msg:  "statement: row 2: 금액 is empty",
		},
		{
			name: "BadTime", is: ErrFormat,
			data: csvText("거래일자,거래시간,입금,출금,내용", "2026-11-24,25:00,100,,a"),
			msg:  `statement: row 2: 거래시간 "25:00" is not a time of day`,
		},
		{
			name: "BadBalance", is: ErrFormat,
			data: csvText("거래일시,입금,출금,내용,잔액", "2026-11-24,100,,a,n/a"),
			msg:  `statement: row 2: 잔액 "n/a" is not an amount of won`,
		},
		{
			name: "BinaryXLS", is: ErrFormat, data: fakeOLE("Workbook"),
			msg: "statement: this is an old binary .xls; save it as .xlsx or CSV from Excel",
		},
		{
			name: "OtherOfficeFile", is: ErrFormat, data: fakeOLE("WordDocument"),
			msg: "statement: this is an Office file but not an Excel workbook",
		},
		{name: "Empty", is: ErrFormat, data: nil, msg: "statement: the file is empty"},
		{name: "Blank", is: ErrFormat, data: []byte(" \r\n\t\n"), msg: "statement: the file is empty"},
		{
			name: "PDF", is: ErrFormat, data: []byte("%PDF-1.7\n..."),
			msg: "statement: this is a PDF; download the transaction history as Excel or CSV instead",
		},
		{name: "Binary", is: ErrFormat, data: []byte("\x00\x01\x02garbage"), msg: "statement: this is not an Excel, CSV or HTML file"},
		{
			name: "ZipNotWorkbook", is: ErrFormat, data: zipOf(t, map[string]string{"a.txt": "hello"}),
			msg: "statement: this is a zip archive but not an Excel workbook",
		},
		{name: "DamagedZip", is: ErrFormat, data: []byte("PK\x03\x04garbage"), msg: "the file looks like an Excel workbook but is damaged", part: true},
		{
			name: "LongLine", is: ErrFormat, data: []byte("거래일시,입금,출금,내용\n" + strings.Repeat("a,", 40<<10) + "\n"),
			msg: "statement: row 2: the line is longer than 64 KiB: this is not a bank statement",
		},
		{
			name: "TooManyRows", is: ErrTooLarge, opt: Options{MaxRows: 3},
			data: csvText("거래일시,입금,출금,내용", "2026-11-24,1,,a", "2026-11-24,1,,a", "2026-11-24,1,,a", "2026-11-24,1,,a"),
			msg:  "statement: too large: more than 3 rows below the header",
		},
		{
			name: "TooLarge", is: ErrTooLarge, opt: Options{MaxBytes: 10},
			data: csvText("거래일시,입금,출금,내용"), msg: "statement: too large: the file is 34 bytes, more than 10",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Read("file", tt.data, tt.opt)
			if !errors.Is(err, tt.is) {
				t.Fatalf("err = %v (statement %+v), want %v", err, st, tt.is)
			}
			if got := err.Error(); got != tt.msg && !(tt.part && strings.Contains(got, tt.msg)) {
				t.Errorf("message:\ngot  %s\nwant %s", got, tt.msg)
			}
			var fe *FormatError
			if errors.Is(err, ErrFormat) != errors.As(err, &fe) {
				t.Errorf("ErrFormat and *FormatError disagree for %v", err)
			}
		})
	}
}

// bombZip returns a workbook-looking zip whose entry name declares
// declared bytes but holds the deflated form of actual bytes of spaces.
func bombZip(tb testing.TB, name string, declared uint64, actual int) []byte {
	tb.Helper()
	var comp bytes.Buffer
	fw, err := flate.NewWriter(&comp, flate.BestSpeed)
	if err != nil {
		tb.Fatal(err)
	}
	chunk := bytes.Repeat([]byte(" "), 1<<16)
	for n := 0; n < actual; n += len(chunk) {
		if _, err := fw.Write(chunk[:min(len(chunk), actual-n)]); err != nil {
			tb.Fatal(err)
		}
	}
	if err := fw.Close(); err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("xl/workbook.xml")
	if err != nil {
		tb.Fatal(err)
	}
	fmt.Fprint(w, `<workbook><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	w, err = zw.CreateRaw(&zip.FileHeader{
		Name: name, Method: zip.Deflate,
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: declared,
	})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := w.Write(comp.Bytes()); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// allocated returns the bytes allocated while f runs.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestZipBombs(t *testing.T) {
	const sheet, sst, styles = "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml"
	tests := []struct {
		name     string
		part     string
		declared uint64
		actual   int
		opt      Options
		is       error
	}{
		// A few kilobytes claiming 8 GiB: refused from the directory, before
		// anything is inflated.
		{"Claims8GiB", sheet, 8 << 30, 1 << 20, Options{}, ErrTooLarge},
		// A real expansion past ten times MaxBytes (1 MiB → 10 MiB allowed).
		{"Expands11MiB", sheet, 11 << 20, 11 << 20, Options{MaxBytes: 1 << 20}, ErrTooLarge},
		// Claims 1 KiB but inflates to 64 MiB: archive/zip stops at the
		// declared size, so the sheet is cut short and unreadable.
		{"Lies64MiB", sheet, 1 << 10, 64 << 20, Options{}, ErrFormat},
		// Parts parsed whole are bounded more tightly than worksheets.
		{"SharedStrings2MiB", sst, 2 << 20, 2 << 20, Options{MaxBytes: 1 << 20}, ErrTooLarge},
		{"Styles5MiB", styles, 5 << 20, 5 << 20, Options{}, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := bombZip(t, tt.part, tt.declared, tt.actual)
			var err error
			alloc := allocated(func() { _, err = Read("bomb.xlsx", data, tt.opt) })
			if !errors.Is(err, tt.is) {
				t.Fatalf("err = %v, want %v", err, tt.is)
			}
			if alloc > 32<<20 {
				t.Errorf("reading a %d-byte bomb allocated %d MiB", len(data), alloc>>20)
			}
		})
	}
}

// TestHugeSheet checks that MaxRows bounds a long sheet and a sparse one
// (a header and a cell in the last of Excel's 1,048,576 rows, which the
// row iterator reaches through every empty row in between).
func TestHugeSheet(t *testing.T) {
	long := func() []byte {
		f := excelize.NewFile()
		defer f.Close()
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			t.Fatal(err)
		}
		if err := sw.SetRow("A1", []any{"거래일시", "입금", "출금", "내용"}); err != nil {
			t.Fatal(err)
		}
		for i := 2; i <= 5001; i++ {
			cell, _ := excelize.CoordinatesToCellName(1, i)
			if err := sw.SetRow(cell, []any{"2026-11-24 19:03:11", 30000, 0, "김민수"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := sw.Flush(); err != nil {
			t.Fatal(err)
		}
		buf, err := f.WriteToBuffer()
		if err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}()
	sparse := withSheetXML(t, xlsxBytes(t, "Sheet1", [][]any{{"x"}}, ""),
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`+
			`<row r="1"><c r="A1" t="inlineStr"><is><t>거래일시</t></is></c><c r="B1" t="inlineStr"><is><t>입금</t></is></c>`+
			`<c r="C1" t="inlineStr"><is><t>출금</t></is></c><c r="D1" t="inlineStr"><is><t>내용</t></is></c></row>`+
			`<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>2026-11-24</t></is></c></row></sheetData></worksheet>`)
	wide := withSheetXML(t, xlsxBytes(t, "Sheet1", [][]any{{"x"}}, ""),
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`+
			`<row r="1"><c r="A1" t="inlineStr"><is><t>거래일시</t></is></c></row>`+
			`<row r="2"><c r="XFD2"><v>1</v></c></row></sheetData></worksheet>`)
	for _, tt := range []struct {
		name string
		data []byte
		max  int
		is   error
		rows int
	}{
		// A cell in column XFD would make every row 16,384 cells.
		{"WideRefused", wide, 0, ErrFormat, 0},
		{"LongWithinLimit", long, 5000, nil, 5000},
		{"LongPastLimit", long, 4999, ErrTooLarge, 0},
		{"SparsePastLimit", sparse, 1000, ErrTooLarge, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Read("big.xlsx", tt.data, Options{MaxRows: tt.max})
			if !errors.Is(err, tt.is) {
				t.Fatalf("err = %v, want %v", err, tt.is)
			}
			if err == nil && len(st.Rows) != tt.rows {
				t.Errorf("%d rows, want %d", len(st.Rows), tt.rows)
			}
		})
	}
}

// withSheetXML returns the workbook data with its first sheet's XML
// replaced by sheet.
func withSheetXML(tb testing.TB, data []byte, sheet string) []byte {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		w, err := zw.Create(f.Name)
		if err != nil {
			tb.Fatal(err)
		}
		if f.Name == "xl/worksheets/sheet1.xml" {
			fmt.Fprint(w, sheet)
			continue
		}
		r, err := f.Open()
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := io.Copy(w, r); err != nil {
			tb.Fatal(err)
		}
		r.Close()
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// TestGuard checks that a panic inside excelize on a malformed file becomes
// a FormatError instead of bringing the bot down.
func TestGuard(t *testing.T) {
	_, err := guard("row", func() (int, error) { panic("index out of range") })
	if !errors.Is(err, ErrFormat) || err.Error() != "statement: the Excel reader failed on this file (row: index out of range)" {
		t.Errorf("err = %v", err)
	}
	got, err := guard("row", func() (int, error) { return 7, nil })
	if got != 7 || err != nil {
		t.Errorf("got %d, %v; want 7, nil", got, err)
	}
}
