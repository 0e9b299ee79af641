// Package statement reads the transaction history files that Korean banks
// let an account holder download (거래내역 엑셀/CSV), so a treasurer without
// KFTC open-banking access can still feed moimbot: an .xlsx workbook (often
// encrypted with the owner's birth date), a CSV in UTF-8 or CP949, or an
// ".xls" that is really an HTML table. Read turns one file into the same
// ledger.BankTransaction rows the KFTC path produces.
//
// # How a file is read
//
//  1. The format is told by the content, not the name: a zip archive is an
//     .xlsx, an OLE compound file is an encrypted .xlsx (or an old binary
//     .xls, which is refused with a sentence saying so), text starting with
//     '<' is an HTML table (or an Excel 2003 XML spreadsheet), anything else
//     is CSV. Text that is not valid UTF-8 is decoded as CP949 (EUC-KR), as
//     bank HTML files declaring charset=euc-kr are; UTF-16 with a byte-order
//     mark (Excel's "Unicode text") is decoded too.
//  2. The header row is the row among the first 30 (of the first sheet that
//     has one) whose cells name the most known columns; rows above it are
//     the preamble, whose key-value cells (계좌번호, 조회기간, 예금주 or 성명)
//     fill Statement.Account, From, To and Holder.
//  3. Columns are recognised by their names after normalisation (NFKC, case
//     folded, spaces and parenthesised units such as "(원)" removed): the date
//     (and time, in the same column or a second one), the amounts (입금 and
//     출금 columns, or one 거래금액 column with a 구분 column or a sign), the
//     payer text and the balance after. A bank profile (Profiles) is chosen
//     by its distinctive header names; otherwise the generic names are used
//     and Statement.Bank is "generic". Either way the same rules apply.
//  4. Each row below the header becomes a ledger.BankTransaction. Blank
//     rows, rows with a single filled cell (notes), repeated headers, rows
//     with an empty date (totals and footers) and rows whose date cell holds
//     a total word (합계, 소계, 총 입금...) are passed over and listed in
//     Statement.Skipped when they hold anything; so are rows where no money
//     moved (0원 in and out). Any other row whose date or amount cannot be
//     read is an error that names the row and the cell: nothing is dropped
//     silently, and nothing is guessed.
//
// # The payer text
//
// Bank files often have two or three text columns: a kind of transaction
// (적요 = "타행이체", 거래내용 = "모바일"), the counterparty (기재내용,
// 내용, 입금자명, 보낸분/받는분, 의뢰인/수취인, 거래기록사항, 상대예금주명)
// and a memo (메모, 송금메모, 비고). PrintContent is the first non-empty cell
// in that order: counterparty columns, then kind or description columns,
// then memo columns (left to right within each). Statement.Columns lists
// them in that order.
//
// # Direction
//
// With 입금 and 출금 columns, the one holding a positive amount gives the
// direction; both filled, or a negative amount in either, is an error, and a
// row with neither is passed over (no money moved). With one amount column:
//
//   - a 구분-like column (구분, 입출금구분, 입/출금; else 거래구분, 거래유형)
//     whose value says 입금 or 출금 (이체입금, 이자입금, 지급...) decides; a
//     negative amount under 입금 is an error, and so is a positive amount
//     under 출금 where the column is known to be signed;
//   - otherwise (체크카드결제, 송금, 입금취소, or no such column) a negative
//     amount is 출금, and a positive one is 입금 only where the column is
//     known to be signed: its profile says so (KakaoBank, Toss Bank), or the
//     file has a negative amount and no positive 출금 row. Anything else is
//     refused, since an unsigned amount with nothing saying which way the
//     money went is a guess.
//
// # Limits
//
// The input is at most Options.MaxBytes. A workbook's zip directory is
// checked before anything is decompressed: at most ten times MaxBytes in
// all and per worksheet, the shared strings at most MaxBytes, every other
// part at most 4 MiB, and the parts excelize holds in memory at most twice
// MaxBytes (archive/zip refuses an entry that expands past its declared
// size). Worksheets are scanned for a cell beyond column 100 (excelize would
// pad every row to it) and then read with excelize's streaming row
// iterator; a worksheet or string table over 4 MiB is unzipped to a
// temporary file that Read removes. At most Options.MaxRows rows below the
// header are read, and more is an error, never a truncation. A CSV line
// may be at most 64 KiB, an HTML cell's text is cut at 4 KiB and a row at
// 1,000 cells.
package statement

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/moimbot/moimbot/ledger"
)

// Defaults for Options.
const (
	// DefaultMaxRows is the most rows below the header Read accepts when
	// Options.MaxRows is 0: a busy group account has a few thousand a year.
	DefaultMaxRows = 100_000
	// DefaultMaxBytes is the largest input Read accepts when
	// Options.MaxBytes is 0.
	DefaultMaxBytes = 20 << 20
)

// maxHeaderScan is how many rows from the top of a sheet are searched for
// the header row.
const maxHeaderScan = 30

// Options adjust Read.
type Options struct {
	// Password opens an encrypted workbook. It is ignored for a file that is
	// not encrypted. Read never logs or returns it.
	Password string
	// Bank forces a profile by name ("kakaobank", "toss", "kb", "shinhan",
	// "woori", "hana", "nh", "ibk", "kbank", "generic"); "" detects it.
	Bank string
	// MaxRows bounds the rows below the header; 0 means DefaultMaxRows. A
	// file with more is refused with ErrTooLarge, never truncated.
	MaxRows int
	// MaxBytes bounds the input; 0 means DefaultMaxBytes. A workbook's
	// uncompressed parts may be at most ten times as large in all.
	MaxBytes int64
}

func (o Options) withDefaults() Options {
	if o.MaxRows <= 0 {
		o.MaxRows = DefaultMaxRows
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	o.Bank = strings.ToLower(strings.TrimSpace(o.Bank))
	return o
}

// Statement is what one file holds.
type Statement struct {
	// Bank is the profile used: a Profile.Name, or "generic" when no profile
	// matched.
	Bank string
	// Format is "xlsx", "csv" or "html" (an HTML-table .xls, or an Excel
	// 2003 XML spreadsheet).
	Format string
	// Account is the account number as printed in the preamble (often
	// partly masked by the bank), or "". Callers mask it before logging.
	Account string
	// Holder is the owner's name from the preamble, or "".
	Holder string
	// Columns are the header names used, in the order date, time (if a
	// separate column), direction and amount columns (구분 and 거래금액, or
	// 입금 and 출금), the payer text columns in the order they are tried, and
	// the balance (if any).
	Columns []string
	// Rows are the transactions, oldest first. Rows of the same second keep
	// the file's order when the file is oldest first, and the reverse of it
	// when the file is newest first, so they stay in the bank's order.
	Rows []ledger.BankTransaction
	// From and To are the period covered: the preamble's period when it
	// states one (From at 00:00:00 of its first day, To at 23:59:59 of its
	// last day, Asia/Seoul), else the first and last row's time. Both are
	// zero for a file without rows or period.
	From, To time.Time
	// Skipped lists the rows below the header that were passed over:
	// totals, footers, notes, repeated headers and rows where no money
	// moved. Blank rows are not listed.
	Skipped []Skipped
}

// Skipped is one row Read passed over on purpose.
type Skipped struct {
	// Row is the row number in the sheet or table (the line number in a
	// CSV file), counting from 1.
	Row int
	// Reason says why, in a few English words ("total or footer", "no
	// money moved", "note", "repeated header").
	Reason string
}

// Errors Read returns; test with errors.Is.
var (
	// ErrPassword means the workbook is encrypted and Options.Password is
	// empty.
	ErrPassword = errors.New("statement: the workbook is encrypted and no password was given")
	// ErrWrongPassword means Options.Password does not open the workbook.
	ErrWrongPassword = errors.New("statement: the password does not open the workbook")
	// ErrFormat is wrapped by every "cannot read this file" error (each is a
	// *FormatError).
	ErrFormat = errors.New("statement: cannot read this file")
	// ErrTooLarge means the file is larger than Options.MaxBytes, a
	// workbook would expand past the bounds in the package documentation
	// (ten times MaxBytes in all), or there are more than Options.MaxRows
	// rows below the header.
	ErrTooLarge = errors.New("statement: too large")
)

// FormatError is a file Read cannot read, with one sentence saying what is
// missing or wrong. errors.Is(err, ErrFormat) holds for it.
type FormatError struct {
	// Row is the row (CSV: line) the problem is on, counting from 1; 0 for
	// a problem with the whole file.
	Row int
	// Msg is the sentence, without the "statement:" prefix.
	Msg string
}

// Error returns the sentence with the "statement:" prefix and, when the
// problem is on one row, its number.
func (e *FormatError) Error() string {
	if e.Row > 0 {
		return fmt.Sprintf("statement: row %d: %s", e.Row, e.Msg)
	}
	return "statement: " + e.Msg
}

// ErrBinaryXLS is the FormatError of an old binary (BIFF) .xls workbook,
// which the readers do not read: it must be saved as .xlsx or CSV first.
var ErrBinaryXLS = &FormatError{Msg: "this is an old binary .xls; save it as .xlsx or CSV from Excel"}

// Unwrap returns ErrFormat.
func (e *FormatError) Unwrap() error { return ErrFormat }

func formatErr(format string, args ...any) error {
	return &FormatError{Msg: fmt.Sprintf(format, args...)}
}

func rowErr(row int, format string, args ...any) error {
	return &FormatError{Row: row, Msg: fmt.Sprintf(format, args...)}
}

func tooLarge(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrTooLarge, fmt.Sprintf(format, args...))
}

// Magic numbers of the binary formats.
var (
	zipMagic = []byte("PK\x03\x04")
	zipEmpty = []byte("PK\x05\x06")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// Read reads one downloaded statement file. name is the file's name as the
// user gave it; it is only a hint for recognising the bank and never
// decides the format, which is detected from data. Read returns ErrPassword
// or ErrWrongPassword for an encrypted workbook it cannot open, an error
// wrapping ErrTooLarge past the limits in opt, a *FormatError (wrapping
// ErrFormat) for anything else it cannot read, and a plain error for an
// unknown Options.Bank. Read is safe for concurrent use.
func Read(name string, data []byte, opt Options) (*Statement, error) {
	opt = opt.withDefaults()
	var forced *Profile
	if opt.Bank != "" {
		p, ok := profileByName(opt.Bank)
		if !ok {
			return nil, fmt.Errorf("statement: unknown bank %q; known: %s", opt.Bank, strings.Join(profileNames(), ", "))
		}
		forced = p
	}
	if int64(len(data)) > opt.MaxBytes {
		return nil, tooLarge("the file is %d bytes, more than %d", len(data), opt.MaxBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, formatErr("the file is empty")
	}
	sc := newScanner(opt, forced)
	sc.hints = append(sc.hints, name)
	var err error
	switch {
	case bytes.HasPrefix(data, zipMagic) || bytes.HasPrefix(data, zipEmpty):
		sc.format = "xlsx"
		err = readXLSX(sc, data, opt)
	case bytes.HasPrefix(data, oleMagic):
		sc.format = "xlsx"
		err = readOLE(sc, data, opt)
	case bytes.HasPrefix(data, []byte("%PDF-")):
		return nil, formatErr("this is a PDF; download the transaction history as Excel or CSV instead")
	default:
		var text string
		if text, err = decodeText(data); err != nil {
			return nil, err
		}
		if t := strings.TrimLeft(text, " \t\r\n"); strings.HasPrefix(t, "<") {
			sc.format = "html"
			err = readHTML(sc, text)
		} else {
			sc.format = "csv"
			err = readCSV(sc, text)
		}
	}
	if err != nil {
		return nil, err
	}
	return sc.finish()
}
