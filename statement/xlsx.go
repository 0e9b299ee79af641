package statement

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Bounds on a workbook's zip archive. A worksheet is streamed, from memory
// or from a temporary file; every other part is held in memory and some are
// parsed into structures several times their size, so those are bounded
// more tightly.
const (
	// unzipFactor times Options.MaxBytes is the most a workbook may expand
	// to in all, and the largest worksheet.
	unzipFactor = 10
	// memFactor times Options.MaxBytes bounds the parts excelize holds in
	// memory: every part but the worksheets and shared strings it unzips
	// to temporary files.
	memFactor = 2
	// maxPart is the largest part other than a worksheet or the shared
	// strings (styles, workbook, relationships, images).
	maxPart = 4 << 20
	// maxZipEntries bounds the parts of a workbook.
	maxZipEntries = 10_000
	// xmlInMemory is the largest worksheet or shared string table excelize
	// keeps in memory; a larger one is unzipped to a temporary file
	// (removed by Close) and read from there.
	xmlInMemory = 4 << 20
	// maxCols bounds the columns of a cell: excelize pads a row with empty
	// cells up to its last one, so a cell in column XFD on every row would
	// cost 16,384 strings a row.
	maxCols = 100
)

// utf16 returns s in UTF-16LE, as an OLE compound file names its streams.
func utf16(s string) []byte {
	b := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		b = append(b, s[i], 0)
	}
	return b
}

// readOLE reads an OLE compound file: an encrypted workbook (decrypted with
// opt.Password), or an old binary .xls, which is refused.
func readOLE(sc *scanner, data []byte, opt Options) error {
	switch {
	case bytes.Contains(data, utf16("EncryptedPackage")) && bytes.Contains(data, utf16("EncryptionInfo")):
	case bytes.Contains(data, utf16("Workbook")) || bytes.Contains(data, utf16("Book")):
		return ErrBinaryXLS
	default:
		return formatErr("this is an Office file but not an Excel workbook")
	}
	if opt.Password == "" {
		return ErrPassword
	}
	plain, err := guard("decrypt", func() ([]byte, error) {
		return excelize.Decrypt(data, &excelize.Options{Password: opt.Password})
	})
	if err != nil {
		if errors.Is(err, ErrFormat) {
			return err
		}
		return formatErr("the encrypted workbook is damaged")
	}
	// A wrong password decrypts to noise rather than failing: only a zip
	// archive coming out proves the password.
	if !bytes.HasPrefix(plain, zipMagic) {
		return ErrWrongPassword
	}
	if _, err := zip.NewReader(bytes.NewReader(plain), int64(len(plain))); err != nil {
		return ErrWrongPassword
	}
	return readXLSX(sc, plain, opt)
}

// checkZip refuses a zip archive that is not a workbook or that would
// expand past the bounds above, by the sizes its directory declares
// (archive/zip stops an entry that expands past its declared size), and a
// worksheet with a cell beyond column maxCols.
func checkZip(data []byte, maxBytes int64) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return formatErr("the file looks like an Excel workbook but is damaged (%v)", err)
	}
	if len(zr.File) > maxZipEntries {
		return tooLarge("the workbook has %d parts, more than %d", len(zr.File), maxZipEntries)
	}
	limit, memLimit := uint64(maxBytes*unzipFactor), uint64(maxBytes*memFactor)
	var total, inMemory uint64
	workbook := false
	var sheets []*zip.File
	for _, f := range zr.File {
		name := strings.ToLower(strings.ReplaceAll(f.Name, `\`, "/"))
		size := f.UncompressedSize64
		total += size
		if size > limit || total > limit {
			return tooLarge("the workbook expands to more than %d bytes", limit)
		}
		switch {
		case strings.HasPrefix(name, "xl/worksheets/sheet"):
			sheets = append(sheets, f)
			if size <= xmlInMemory {
				inMemory += size
			}
		case name == "xl/sharedstrings.xml":
			if size > uint64(maxBytes) {
				return tooLarge("the workbook's shared strings are %d bytes, more than %d", size, maxBytes)
			}
			if size <= xmlInMemory {
				inMemory += size
			}
		default:
			if size > maxPart {
				return tooLarge("the workbook part %s is %d bytes, more than %d", f.Name, size, maxPart)
			}
			inMemory += size
		}
		if inMemory > memLimit {
			return tooLarge("the workbook's parts other than worksheets are more than %d bytes", memLimit)
		}
		workbook = workbook || strings.HasPrefix(name, "xl/")
	}
	if !workbook {
		return formatErr("this is a zip archive but not an Excel workbook")
	}
	for _, f := range sheets {
		if err := checkColumns(f); err != nil {
			return err
		}
	}
	return nil
}

// checkColumns scans a worksheet's XML for a cell reference (an attribute
// r="AB12") beyond column maxCols, without parsing the XML. A worksheet
// that cannot be unzipped is left for excelize to report.
func checkColumns(f *zip.File) error {
	rc, err := f.Open()
	if err != nil {
		return nil
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 64<<10)
	// state counts the bytes of ` r="` matched so far; 4 means inside the
	// value, reading the column letters into col.
	state, col, letters := 0, 0, 0
	for {
		c, err := br.ReadByte()
		if err != nil {
			return nil
		}
		switch {
		case state == 4 && (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'):
			col = col*26 + int(c|0x20-'a') + 1
			if letters++; letters > 3 || col > maxCols {
				return formatErr("a worksheet has a cell beyond column %d; this is not a bank statement", maxCols)
			}
			continue
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			state = 1
		case state == 1 && c == 'r':
			state = 2
		case state == 2 && c == '=':
			state = 3
		case state == 3 && (c == '"' || c == '\''):
			state, col, letters = 4, 0, 0
		default:
			state = 0
		}
	}
}

// readXLSX feeds sc the rows of the workbook's sheets, in order, until one
// has a header among its first rows. Cells are read raw, so a date cell is
// its serial number and an amount has no thousands separators.
func readXLSX(sc *scanner, data []byte, opt Options) error {
	if err := checkZip(data, opt.MaxBytes); err != nil {
		return err
	}
	limit := opt.MaxBytes * unzipFactor
	f, err := guard("open", func() (*excelize.File, error) {
		return excelize.OpenReader(bytes.NewReader(data), excelize.Options{
			RawCellValue:      true,
			UnzipSizeLimit:    limit,
			UnzipXMLSizeLimit: min(limit, xmlInMemory),
		})
	})
	if err != nil {
		if errors.Is(err, ErrFormat) {
			return err
		}
		return formatErr("the Excel workbook cannot be opened (%v)", err)
	}
	defer f.Close()
	sheets, err := guard("sheets", func() ([]string, error) { return f.GetSheetList(), nil })
	if err != nil {
		return err
	}
	for _, name := range sheets {
		if err := readSheet(sc, f, name); err != nil {
			return err
		}
		if sc.found() {
			return nil
		}
	}
	return nil
}

// guard runs a call into excelize, turning a panic on a malformed file
// into a FormatError: an uploaded file must not bring the bot down.
func guard[T any](what string, call func() (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = formatErr("the Excel reader failed on this file (%s: %v)", what, r)
		}
	}()
	return call()
}

// readSheet feeds sc one sheet's rows, streaming.
func readSheet(sc *scanner, f *excelize.File, name string) error {
	rows, err := guard("sheet", func() (*excelize.Rows, error) { return f.Rows(name) })
	if err != nil {
		if errors.Is(err, ErrFormat) {
			return err
		}
		return formatErr("sheet %q cannot be read (%v)", name, err)
	}
	defer rows.Close()
	sc.startSheet(name)
	for n := 1; ; n++ {
		next, err := guard("row", func() (bool, error) { return rows.Next(), nil })
		if err != nil {
			return err
		}
		if !next {
			break
		}
		cells, err := guard("row", func() ([]string, error) { return rows.Columns() })
		if err != nil {
			if errors.Is(err, ErrFormat) {
				return err
			}
			return rowErr(n, "sheet %q cannot be read (%v)", name, err)
		}
		if len(cells) > maxCols {
			cells = cells[:maxCols]
		}
		more, err := sc.feed(cells, n)
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
	}
	if err := rows.Error(); err != nil {
		return formatErr("sheet %q cannot be read (%v)", name, err)
	}
	return sc.endSheet()
}
