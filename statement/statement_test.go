package statement

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/moimbot/moimbot/ledger"
)

// rowStrings renders rows one per line, so a failure shows which field of
// which row differs.
func rowStrings(rows []ledger.BankTransaction) []string {
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s %s %s %d %q bal=%d at=%s", r.Date, r.Time, r.InoutType, r.Amount, r.PrintContent,
			r.AfterBalance, r.At.Format(time.RFC3339)))
	}
	return out
}

func checkRows(t *testing.T, got, want []ledger.BankTransaction) {
	t.Helper()
	g, w := rowStrings(got), rowStrings(want)
	if !slices.Equal(g, w) {
		t.Errorf("rows:\ngot\n  %s\nwant\n  %s", strings.Join(g, "\n  "), strings.Join(w, "\n  "))
	}
	for i := range min(len(got), len(want)) {
		if got[i].At.Location() != ledger.KST() {
			t.Errorf("row %d: At is in %v, want Asia/Seoul", i, got[i].At.Location())
		}
	}
}

func TestReadProfiles(t *testing.T) {
	nov := func(d int) time.Time { return kst(2026, 11, d, 0, 0, 0) }
	end := kst(2026, 11, 30, 23, 59, 59)
	tests := []struct {
		name, file  string
		data        func(testing.TB) []byte
		password    string
		bank        string
		format      string
		columns     []string
		account     string
		holder      string
		from, to    time.Time
		minutes     bool
		wantSkipped []Skipped
	}{
		{
			name: "kakaobank", file: "카카오뱅크_거래내역_20261201.xlsx", data: kakaobankFile, password: testPassword,
			bank: "kakaobank", format: "xlsx", columns: []string{"거래일시", "구분", "거래금액", "내용", "메모", "거래 후 잔액"},
			account: "****-**-***4567", holder: "김총무", from: nov(1), to: end,
		},
		{
			name: "toss", file: "거래내역.xlsx", data: tossFile, password: testPassword,
			bank: "toss", format: "xlsx", columns: []string{"거래 일시", "거래 유형", "거래 금액", "적요", "메모", "거래 후 잔액"},
			account: "1000-1234-5678", holder: "김총무", from: nov(1), to: end,
		},
		{
			name: "kb", file: "거래내역조회.xls", data: kbFile,
			bank: "kb", format: "html", columns: []string{"거래일시", "입금액", "출금액", "보낸분/받는분", "적요", "송금메모", "잔액"},
			account: "123456-01-234567", holder: "김총무", from: nov(1), to: end,
			wantSkipped: []Skipped{{Row: 10, Reason: "total or footer"}},
		},
		{
			name: "shinhan", file: "신한은행_거래내역.xlsx", data: shinhanFile,
			bank: "shinhan", format: "xlsx", columns: []string{"거래일자", "거래시간", "입금(원)", "출금(원)", "내용", "적요", "잔액(원)"},
			account: "110-123-456789", holder: "김총무", from: nov(1), to: end,
		},
		{
			name: "woori", file: "woori.xlsx", data: wooriFile,
			bank: "woori", format: "xlsx", columns: []string{"거래일시", "맡기신금액", "찾으신금액", "기재내용", "적요", "메모", "거래후잔액"},
			account: "1002-123-456789", holder: "김총무", from: nov(1), to: end, minutes: true,
			wantSkipped: []Skipped{{Row: 10, Reason: "total or footer"}, {Row: 11, Reason: "note"}},
		},
		{
			name: "hana", file: "hana.xlsx", data: hanaFile,
			bank: "hana", format: "xlsx", columns: []string{"거래일시", "입금", "출금", "의뢰인/수취인", "적요", "비고", "거래후잔액"},
			account: "123-456789-01234", holder: "김총무", from: nov(1), to: end, minutes: true,
		},
		{
			name: "nh", file: "nh.csv", data: nhFile,
			bank: "nh", format: "csv", columns: []string{"거래일시", "입금금액", "출금금액", "거래기록사항", "거래내용", "이체메모", "거래후잔액"},
			account: "302-1234-5678-11", from: nov(1), to: end,
		},
		{
			name: "ibk", file: "ibk.csv", data: ibkFile,
			bank: "ibk", format: "csv", columns: []string{"거래일시", "입금", "출금", "상대계좌예금주명", "거래내용", "메모", "거래후 잔액"},
			from: baseRows[0].at, to: baseRows[4].at,
		},
		{
			name: "kbank", file: "kbank.xlsx", data: kbankFile,
			bank: "kbank", format: "xlsx", columns: []string{"거래일시", "입금금액", "출금금액", "상대 예금주명", "적요내용", "잔액"},
			from: baseRows[0].at, to: baseRows[4].at,
		},
	}
	if len(tests) != len(Profiles()) {
		t.Fatalf("%d profile tests for %d profiles", len(tests), len(Profiles()))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Read(tt.file, tt.data(t), Options{Password: tt.password})
			if err != nil {
				t.Fatal(err)
			}
			if st.Bank != tt.bank || st.Format != tt.format {
				t.Errorf("bank, format = %s, %s; want %s, %s", st.Bank, st.Format, tt.bank, tt.format)
			}
			if !slices.Equal(st.Columns, tt.columns) {
				t.Errorf("columns = %q, want %q", st.Columns, tt.columns)
			}
			if st.Account != tt.account || st.Holder != tt.holder {
				t.Errorf("account, holder = %q, %q; want %q, %q", st.Account, st.Holder, tt.account, tt.holder)
			}
			if !st.From.Equal(tt.from) || !st.To.Equal(tt.to) {
				t.Errorf("period = %v - %v, want %v - %v", st.From, st.To, tt.from, tt.to)
			}
			if !slices.Equal(st.Skipped, tt.wantSkipped) {
				t.Errorf("skipped = %v, want %v", st.Skipped, tt.wantSkipped)
			}
			checkRows(t, st.Rows, wantRows(tt.minutes))
		})
	}
}

// TestReadForcedBank checks Options.Bank: a profile forced on a file reads
// it with that name, "generic" turns detection off, and an unknown name is
// refused before the file is read.
func TestReadForcedBank(t *testing.T) {
	data := kbankFile(t)
	for _, tt := range []struct{ bank, want string }{{"", "kbank"}, {"generic", "generic"}, {"HANA", "hana"}} {
		st, err := Read("x.xlsx", data, Options{Bank: tt.bank})
		if err != nil {
			t.Fatalf("bank %q: %v", tt.bank, err)
		}
		if st.Bank != tt.want {
			t.Errorf("bank %q: got %s, want %s", tt.bank, st.Bank, tt.want)
		}
		checkRows(t, st.Rows, wantRows(false))
	}
	_, err := Read("x.xlsx", data, Options{Bank: "citibank"})
	if err == nil || errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "kakaobank") {
		t.Errorf("unknown bank: err = %v, want a non-format error listing the banks", err)
	}
}

func TestReadPassword(t *testing.T) {
	data := kakaobankFile(t)
	tests := []struct {
		name, password string
		want           error
	}{
		{"missing", "", ErrPassword},
		{"wrong", "960316", ErrWrongPassword},
		{"right", testPassword, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Read("카카오뱅크.xlsx", data, Options{Password: tt.password})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err == nil {
				checkRows(t, st.Rows, wantRows(false))
			}
			if err != nil && strings.Contains(err.Error(), tt.password) && tt.password != "" {
				t.Errorf("the error %q shows the password", err)
			}
		})
	}
	// A password given for a workbook that is not encrypted is ignored.
	if _, err := Read("x.xlsx", kbankFile(t), Options{Password: "123456"}); err != nil {
		t.Errorf("plain workbook with a password: %v", err)
	}
}

// row is a compact want for the variant tests.
func row(at time.Time, dir string, amount int64, text string, balance int64) ledger.BankTransaction {
	return ledger.BankTransaction{Date: at.Format("20060102"), Time: at.Format("150405"), InoutType: dir,
		PrintContent: text, Amount: amount, AfterBalance: balance, At: at}
}

func TestReadVariants(t *testing.T) {
	a := kst(2026, 11, 24, 19, 3, 11)
	b := kst(2026, 11, 25, 8, 0, 0)
	day := kst(2026, 11, 26, 0, 0, 0)
	tests := []struct {
		name    string
		file    string
		data    func(testing.TB) []byte
		columns []string
		want    []ledger.BankTransaction
	}{
		{
			name: "CSVUTF8BOM", file: "a.csv",
			data: func(tb testing.TB) []byte {
				return append([]byte("\xef\xbb\xbf"), csvBytes(tb, []string{"거래일시,구분,금액,입금자명,잔액", "2026-11-24 19:03:11,입금,\"30,000\",김민수,\"130,000\""}, false)...)
			},
			columns: []string{"거래일시", "구분", "금액", "입금자명", "잔액"},
			want:    []ledger.BankTransaction{row(a, "입금", 30000, "김민수", 130000)},
		},
		{
			name: "CSVCP949Tab", file: "a.txt",
			data: func(tb testing.TB) []byte {
				return csvBytes(tb, []string{"거래일자\t거래시간\t입금액\t출금액\t적요\t기재내용\t거래후잔액", "20261124\t190311\t30,000\t\t타행이체\t이서연\t130,000",
					"2026.11.25\t08:00\t\t5,000원\t체크카드\t\t125,000"}, true)
			},
			columns: []string{"거래일자", "거래시간", "입금액", "출금액", "기재내용", "적요", "거래후잔액"},
			want:    []ledger.BankTransaction{row(a, "입금", 30000, "이서연", 130000), row(b, "출금", 5000, "체크카드", 125000)},
		},
		{
			name: "CSVSemicolonSignedNewestFirst", file: "a.csv",
			data: func(tb testing.TB) []byte {
				return csvBytes(tb, []string{"Date;Amount;Description;Balance", "2026/11/25 08:00;(5,000);Coffee;125000",
					"2026/11/24 19:03:11;+30,000;KIM MINSU;130000"}, false)
			},
			columns: []string{"Date", "Amount", "Description", "Balance"},
			want:    []ledger.BankTransaction{row(a, "입금", 30000, "KIM MINSU", 130000), row(b, "출금", 5000, "Coffee", 125000)},
		},
		{
			name: "CSVUTF16", file: "unicode.txt",
			data: func(tb testing.TB) []byte {
				text := "일자\t입출금구분\t거래금액\t내용\r\n2026-11-26\t이체입금\t₩30,000\t박지훈\r\n"
				out := []byte{0xff, 0xfe}
				for _, r := range text {
					out = append(out, byte(r), byte(r>>8))
				}
				return out
			},
			columns: []string{"일자", "입출금구분", "거래금액", "내용"},
			want:    []ledger.BankTransaction{row(day, "입금", 30000, "박지훈", 0)},
		},
		{
			name: "XLSXSerialDateAndTime", file: "serial.xlsx",
			data: func(tb testing.TB) []byte {
				return xlsxBytes(tb, "Sheet1", [][]any{
					{"일자", "시간", "입금", "출금", "내용", "잔액"},
					{a, 0.79387731481, 30000, 0, "김민수", 130000},
					{time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), "08:00:00", nil, 5000.0, "점심", 125000},
				}, "")
			},
			columns: []string{"일자", "시간", "입금", "출금", "내용", "잔액"},
			want:    []ledger.BankTransaction{row(a, "입금", 30000, "김민수", 130000), row(b, "출금", 5000, "점심", 125000)},
		},
		{
			name: "HTMLSpansEntitiesNested", file: "a.xls",
			data: func(testing.TB) []byte {
				return []byte(`<html><body><table><tr><td>
<table>
<tr><th rowspan="2">거래일시</th><th colspan="2">금액</th><th rowspan="2">받는분/보내는분</th><th rowspan="2">잔액</th></tr>
<tr><th>입금</th><th>출금</th></tr>
<tr><td>2026-11-24<br>19:03:11</td><td>30,000</td><td>0</td><td><b>김&amp;이</b>&nbsp;상사</td><td>130,000</td></tr>
<tr><td>2026-11-25 오전 8:00</td><td>0</td><td>5,000</td><td>점심</td><td>125,000</td></tr>
</table></td></tr></table><script>var x = "<tr><td>2026-11-30</td></tr>";</script></body></html>`)
			},
			columns: []string{"거래일시", "입금", "출금", "받는분/보내는분", "잔액"},
			want:    []ledger.BankTransaction{row(a, "입금", 30000, "김&이 상사", 130000), row(b, "출금", 5000, "점심", 125000)},
		},
		{
			name: "ExcelXML2003", file: "a.xml",
			data: func(testing.TB) []byte {
				return []byte(`<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
<Worksheet ss:Name="거래내역"><Table>
<Row><Cell><Data ss:Type="String">거래일시</Data></Cell><Cell><Data ss:Type="String">구분</Data></Cell><Cell><Data ss:Type="String">거래금액</Data></Cell><Cell ss:Index="5"><Data ss:Type="String">내용</Data></Cell></Row>
<Row><Cell><Data ss:Type="String">2026.11.24 19:03:11</Data></Cell><Cell><Data ss:Type="String">입금</Data></Cell><Cell><Data ss:Type="Number">30000</Data></Cell><Cell ss:Index="5"><Data ss:Type="String">김민수</Data></Cell></Row>
</Table></Worksheet></Workbook>`)
			},
			columns: []string{"거래일시", "구분", "거래금액", "내용"},
			want:    []ledger.BankTransaction{row(a, "입금", 30000, "김민수", 0)},
		},
		{
			name: "DirectionColumnUnsignedWithFooters", file: "a.csv",
			data: func(tb testing.TB) []byte {
				return csvBytes(tb, []string{
					"거래내역", "", "거래일,입출금,금액,받는분/보내는분,적요,잔액",
					"2026-11-24 19:03:11,입금,\"30,000\",,김민수 회비,\"130,000\"",
					"2026-11-25 08:00:00,출금,5000,편의점,,125000",
					"2026-11-25 08:00:00,입금취소,-1000,편의점,,124000",
					"거래일,입출금,금액,받는분/보내는분,적요,잔액",
					",,,,,",
					"총 입금,,30000,,,",
					"합 계,,35000,,,",
				}, false)
			},
			columns: []string{"거래일", "입출금", "금액", "받는분/보내는분", "적요", "잔액"},
			want: []ledger.BankTransaction{row(a, "입금", 30000, "김민수 회비", 130000), row(b, "출금", 5000, "편의점", 125000),
				row(b, "출금", 1000, "편의점", 124000)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Read(tt.file, tt.data(t), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if st.Bank != "generic" {
				t.Errorf("bank = %s, want generic", st.Bank)
			}
			if !slices.Equal(st.Columns, tt.columns) {
				t.Errorf("columns = %q, want %q", st.Columns, tt.columns)
			}
			checkRows(t, st.Rows, tt.want)
		})
	}
}

// TestReadSecondSheet checks that a cover sheet without a header is passed
// over for the next sheet, whose name helps recognise the bank.
func TestReadSecondSheet(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetSheetName("Sheet1", "표지"))
	must(f.SetSheetRow("표지", "A1", &[]any{"거래내역서"}))
	must(f.SetSheetRow("표지", "A2", &[]any{"발급일", "2026-12-01"}))
	_, err := f.NewSheet("카카오뱅크 거래내역")
	must(err)
	must(f.SetSheetRow("카카오뱅크 거래내역", "A1", &[]any{"거래일시", "구분", "거래금액", "거래 후 잔액", "거래구분", "내용", "메모"}))
	must(f.SetSheetRow("카카오뱅크 거래내역", "A2", &[]any{"2026.11.24 19:03:11", "입금", 30000, 130000, "일반입금", "김민수"}))
	buf, err := f.WriteToBuffer()
	must(err)
	st, err := Read("download.xlsx", buf.Bytes(), Options{})
	must(err)
	if st.Bank != "kakaobank" {
		t.Errorf("bank = %s, want kakaobank", st.Bank)
	}
	checkRows(t, st.Rows, []ledger.BankTransaction{row(kst(2026, 11, 24, 19, 3, 11), "입금", 30000, "김민수", 130000)})
}

// TestReadHints checks that an HTML title, and a preamble whose key has no
// value, are read as they should be: the title picks the bank between two
// whose headers both match, and an empty value is not taken from the next
// key.
func TestReadHints(t *testing.T) {
	data := []byte(`<html><head><title>케이뱅크 거래내역</title></head><body><table>
<tr><td>예금주</td><td></td><td>조회기간</td><td>2026.11.01 ~ 2026.11.30</td></tr>
<tr><td>거래일자</td><td>거래시간</td><td>적요</td><td>출금</td><td>입금</td><td>내용</td><td>거래점</td>
<td>거래일시</td><td>입금금액</td><td>출금금액</td><td>상대 예금주명</td></tr>
<tr><td></td><td></td><td></td><td></td><td></td><td></td><td></td>
<td>2026.11.24 19:03:11</td><td>30,000</td><td>0</td><td>김민수</td></tr></table></body></html>`)
	st, err := Read("x.xls", data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Bank != "kbank" || st.Holder != "" || !st.From.Equal(kst(2026, 11, 1, 0, 0, 0)) {
		t.Errorf("bank %s, holder %q, from %v; want kbank, \"\", 2026-11-01", st.Bank, st.Holder, st.From)
	}
	checkRows(t, st.Rows, []ledger.BankTransaction{row(kst(2026, 11, 24, 19, 3, 11), "입금", 30000, "김민수", 0)})
}

// TestReadConcurrent reads different files at once (run with -race): Read
// shares nothing between calls but read-only tables.
func TestReadConcurrent(t *testing.T) {
	files := map[string][]byte{"a.xlsx": kbankFile(t), "b.csv": nhFile(t), "c.xls": kbFile(t), "d.xlsx": wooriFile(t)}
	var wg sync.WaitGroup
	errs := make(chan error, 4*len(files))
	for range 4 {
		for name, data := range files {
			wg.Go(func() {
				if _, err := Read(name, data, Options{}); err != nil {
					errs <- fmt.Errorf("%s: %w", name, err)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
