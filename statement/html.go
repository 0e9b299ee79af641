package statement

import (
	"errors"
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// Bounds on an HTML table's spans: far above any bank's table, far below
// what would let a few bytes of markup fill the memory.
const (
	maxSpan  = 100   // colspan or rowspan honoured
	maxCells = 1_000 // cells kept in one row
)

// htmlTable is the state of one <table> while its rows are read.
type htmlTable struct {
	row              []string
	inRow            bool
	rowIdx           int // rows of this table so far
	cell             *strings.Builder
	colspan, rowspan int
	// spans are cells of earlier rows that reach down (rowspan), by column.
	spans map[int]span
}

// span is a cell's text repeated in rows from..until of its table.
type span struct {
	text        string
	from, until int
}

// readHTML feeds sc the rows of the tables in an HTML document: each <tr>
// is a row and each <td> or <th> a cell holding the text of everything
// inside it, with entities decoded and white space collapsed; colspan and
// rowspan repeat a cell's text into the columns and rows it covers. A table
// inside a cell is read as rows of its own. Excel 2003 XML spreadsheets
// (<Row>, <Cell ss:Index>, <Data>) are read the same way. The document's
// <title> helps recognise the bank. A row's number counts the rows of the
// whole document from 1.
func readHTML(sc *scanner, text string) error {
	if err := readTables(sc, text); err != nil && err != errStop {
		return err
	}
	return nil
}

// errStop ends readTables early when the document has no header in its
// first rows.
var errStop = errors.New("stop")

func readTables(sc *scanner, text string) error {
	z := html.NewTokenizer(strings.NewReader(text))
	var stack []*htmlTable
	rowNum := 0
	skipText, inTitle := 0, false
	var title strings.Builder
	sc.startSheet("")
	emit := func(t *htmlTable) error {
		if !t.inRow {
			t.endCell()
			return nil
		}
		cells := t.endRow()
		rowNum++
		more, err := sc.feed(cells, rowNum)
		if err == nil && !more {
			// No header in the first rows: the rest cannot be read.
			err = errStop
		}
		return err
	}
	top := func() *htmlTable {
		if len(stack) == 0 {
			// Rows outside any <table> (an Excel XML <Table> is one) still
			// count: make an implicit table.
			stack = append(stack, &htmlTable{})
		}
		return stack[len(stack)-1]
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			for len(stack) > 0 {
				if err := emit(stack[len(stack)-1]); err != nil {
					return err
				}
				stack = stack[:len(stack)-1]
			}
			return sc.endSheet()
		case html.TextToken:
			switch {
			case skipText > 0:
			case inTitle:
				if title.Len() < 1024 {
					title.Write(z.Text())
				}
			case len(stack) > 0 && stack[len(stack)-1].cell != nil:
				t := stack[len(stack)-1]
				if t.cell.Len() < 4096 {
					t.cell.Write(z.Text())
				}
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, hasAttr := z.TagName()
			end := tt == html.EndTagToken
			switch string(name) {
			case "script", "style":
				if tt == html.StartTagToken {
					skipText++
				} else if end && skipText > 0 {
					skipText--
				}
			case "title":
				inTitle = tt == html.StartTagToken
				if end {
					sc.hints = append(sc.hints, title.String())
				}
			case "table":
				if end {
					if len(stack) > 0 {
						if err := emit(stack[len(stack)-1]); err != nil {
							return err
						}
						stack = stack[:len(stack)-1]
					}
				} else if tt == html.StartTagToken {
					stack = append(stack, &htmlTable{})
				}
			case "tr", "row":
				t := top()
				if err := emit(t); err != nil {
					return err
				}
				if !end {
					t.inRow = true
					if tt == html.SelfClosingTagToken {
						if err := emit(t); err != nil {
							return err
						}
					}
				}
			case "td", "th", "cell":
				t := top()
				if end {
					t.endCell()
					continue
				}
				attrs := map[string]string{}
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					attrs[string(k)] = string(v)
				}
				colspan, rowspan := spanAttr(attrs["colspan"]), spanAttr(attrs["rowspan"])
				if n, err := strconv.Atoi(attrs["ss:mergeacross"]); err == nil && n > 0 {
					colspan = min(n+1, maxSpan)
				}
				index, _ := strconv.Atoi(attrs["ss:index"])
				t.startCell(colspan, rowspan, index)
				if tt == html.SelfClosingTagToken {
					t.endCell()
				}
			case "br", "p", "div":
				if len(stack) > 0 && stack[len(stack)-1].cell != nil {
					stack[len(stack)-1].cell.WriteByte(' ')
				}
			}
		}
	}
}

func spanAttr(v string) int {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 {
		return 1
	}
	return min(n, maxSpan)
}

// startCell opens a cell at the row's end (after the cells that rows above
// reach into; at column index, counting from 1, when given).
func (t *htmlTable) startCell(colspan, rowspan, index int) {
	t.endCell()
	t.inRow = true
	t.fillSpans()
	if index > len(t.row)+1 && index <= maxCells {
		for len(t.row) < index-1 {
			t.addCell("", 1)
		}
	}
	t.cell, t.colspan, t.rowspan = &strings.Builder{}, colspan, rowspan
}

// endCell closes the open cell, if any, adding its text colspan times and
// recording the columns its rowspan covers in the rows below.
func (t *htmlTable) endCell() {
	if t.cell == nil {
		return
	}
	text := cleanText(t.cell.String())
	t.cell = nil
	start := len(t.row)
	t.addCell(text, t.colspan)
	if t.rowspan > 1 {
		if t.spans == nil {
			t.spans = map[int]span{}
		}
		for c := start; c < len(t.row); c++ {
			t.spans[c] = span{text: text, from: t.rowIdx + 1, until: t.rowIdx + t.rowspan - 1}
		}
	}
}

// endRow closes the row and returns its cells.
func (t *htmlTable) endRow() []string {
	t.endCell()
	t.fillSpans()
	cells := t.row
	t.row, t.inRow = nil, false
	for c, sp := range t.spans {
		if sp.until <= t.rowIdx {
			delete(t.spans, c)
		}
	}
	t.rowIdx++
	return cells
}

func (t *htmlTable) addCell(text string, n int) {
	for range n {
		if len(t.row) >= maxCells {
			return
		}
		t.row = append(t.row, text)
	}
}

// fillSpans adds the cells that rows above reach into at the row's end.
func (t *htmlTable) fillSpans() {
	for len(t.row) < maxCells {
		sp, ok := t.spans[len(t.row)]
		if !ok || t.rowIdx < sp.from || t.rowIdx > sp.until {
			return
		}
		t.row = append(t.row, sp.text)
	}
}
