package importer

import (
	"bytes"
	"encoding/csv"
	"io"
	"strings"
)

// Table is a spreadsheet as NGOs keep it, read from CSV or XLSX: a header
// row of column names, whatever they are, and the rows under it. A mapping
// (Mapping) turns it into Records.
type Table struct {
	Header     []string // trimmed; a name is unique, or empty
	HeaderLine int
	Rows       []Row // without blank rows
}

// Row is one row of a Table.
type Row struct {
	Line  int      // CSV: the line the row starts on; XLSX: the row number
	Cells []string // trimmed; at most as many as the header (missing ones are empty)
	Lines []int    // CSV: the line each cell starts on; nil when all are on Line
}

// Cell returns the row's cell in column i, "" when there is none.
func (r Row) Cell(i int) string {
	if i < len(r.Cells) {
		return r.Cells[i]
	}
	return ""
}

// CellLine returns the line cell i starts on.
func (r Row) CellLine(i int) int {
	if i < len(r.Lines) {
		return r.Lines[i]
	}
	return r.Line
}

// Column returns the index of the column called name, or -1.
func (t *Table) Column(name string) int {
	for i, h := range t.Header {
		if h == name && h != "" {
			return i
		}
	}
	return -1
}

// ReadCSVTable reads UTF-8 CSV text (see Decode) with any header. The
// delimiter is a comma, or a semicolon or tab when the header row has more
// of those than commas (Uwazi and European spreadsheets write ";").
func ReadCSVTable(text []byte) (*Table, error) {
	if len(text) > MaxSize {
		return nil, invalid(0, "", "the file is larger than %d MiB; split it", MaxSize>>20)
	}
	cr := csv.NewReader(bytes.NewReader(text))
	cr.Comma = sniffDelimiter(text)
	cr.FieldsPerRecord = -1
	var rows []Row
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		if len(rows) >= MaxRows {
			return nil, invalid(0, "", "more than %d rows; split the file", MaxRows)
		}
		line, _ := cr.FieldPos(0)
		r := Row{Line: line, Cells: rec}
		for i := range rec {
			l, _ := cr.FieldPos(i)
			if l != line && r.Lines == nil {
				r.Lines = make([]int, len(rec))
				for j := range i {
					r.Lines[j] = line
				}
			}
			if r.Lines != nil {
				r.Lines[i] = l
			}
		}
		rows = append(rows, r)
	}
	return tableFromRows(rows, "line 1")
}

// sniffDelimiter chooses the delimiter by the first line.
func sniffDelimiter(text []byte) rune {
	first, _, _ := bytes.Cut(text, []byte("\n"))
	best, n := ',', bytes.Count(first, []byte(","))
	for _, c := range []rune{';', '\t'} {
		if k := bytes.Count(first, []byte(string(c))); k > n {
			best, n = c, k
		}
	}
	return best
}

// tableFromRows takes the first row as the header, trims every cell and
// drops blank rows. Cells right of the header must be empty.
func tableFromRows(rows []Row, where string) (*Table, error) {
	for len(rows) > 0 && blank(rows[0].Cells) {
		rows = rows[1:] // blank rows above the header (spreadsheets keep formatted empty rows)
	}
	if len(rows) == 0 {
		return nil, invalid(1, "", "empty file: want a header row of column names")
	}
	t := &Table{HeaderLine: rows[0].Line}
	seen := map[string]int{}
	for i, h := range rows[0].Cells {
		h = strings.TrimSpace(h)
		if j, dup := seen[h]; dup && h != "" {
			return nil, invalid(t.HeaderLine, "", "columns %s and %s are both called %q; rename one", ColumnName(j), ColumnName(i), h)
		}
		seen[h] = i
		t.Header = append(t.Header, h)
	}
	for len(t.Header) > 0 && t.Header[len(t.Header)-1] == "" {
		t.Header = t.Header[:len(t.Header)-1]
	}
	if len(t.Header) == 0 {
		return nil, invalid(t.HeaderLine, "", "%s (the header) has no column names", where)
	}
	for _, r := range rows[1:] {
		empty := true
		for i := range r.Cells {
			r.Cells[i] = strings.TrimSpace(r.Cells[i])
			if r.Cells[i] == "" {
				continue
			}
			empty = false
			if i >= len(t.Header) {
				return nil, invalid(r.CellLine(i), "", "column %s: a value right of the last named column; give the column a name or delete the value", ColumnName(i))
			}
		}
		if empty {
			continue
		}
		if len(r.Cells) > len(t.Header) {
			r.Cells = r.Cells[:len(t.Header)]
		}
		t.Rows = append(t.Rows, r)
	}
	if len(t.Rows) == 0 {
		return nil, invalid(t.HeaderLine, "", "no rows under the header")
	}
	return t, nil
}
