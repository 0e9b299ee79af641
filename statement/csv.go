package statement

import (
	"encoding/csv"
	"errors"
	"io"
	"strings"
)

// maxLine is the longest CSV line read; a bank's lines are a few hundred
// bytes.
const maxLine = 64 << 10

// readCSV feeds sc the records of a CSV text. The delimiter (',', tab or
// ';') is the one whose first rows hold the best header; quoted fields,
// ragged rows and stray quotes are accepted. A row's number is the line
// its record starts on.
func readCSV(sc *scanner, text string) error {
	// encoding/csv holds a whole record, and a string header for each
	// field: refuse a line no bank writes before it can multiply the input.
	for line, rest := 1, text; rest != ""; line++ {
		n := strings.IndexByte(rest, '\n')
		if n < 0 {
			n = len(rest)
		}
		if n > maxLine {
			return rowErr(line, "the line is longer than %d KiB: this is not a bank statement", maxLine>>10)
		}
		rest = rest[min(n+1, len(rest)):]
	}
	comma := sniffComma(text)
	r := newCSVReader(text, comma)
	sc.startSheet("")
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return rowErr(pe.StartLine, "the CSV cannot be read: %v", pe.Err)
			}
			return formatErr("the CSV cannot be read: %v", err)
		}
		line, _ := r.FieldPos(0)
		more, err := sc.feed(rec, line)
		if err != nil {
			return err
		}
		if !more {
			break
		}
	}
	return sc.endSheet()
}

func newCSVReader(text string, comma rune) *csv.Reader {
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = comma
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	return r
}

// sniffComma returns the delimiter whose parse of the first rows scores
// best as a header (ties go to ',', then tab, then ';').
func sniffComma(text string) rune {
	best, bestScore := ',', -1
	for _, comma := range []rune{',', '\t', ';'} {
		r := newCSVReader(text, comma)
		score := 0
		for range maxHeaderScan {
			rec, err := r.Read()
			if err != nil {
				break
			}
			if _, s := analyse(rec); s > score {
				score = s
			}
		}
		if score > bestScore {
			best, bestScore = comma, score
		}
	}
	return best
}
