package importer

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"strconv"
	"strings"
	"time"
)

// Limits on an XLSX file, so that a zip bomb or a hostile sheet fails
// cleanly instead of exhausting memory.
const (
	MaxXLSXPart  = 64 << 20  // uncompressed bytes of any one part (sheet, shared strings, styles)
	MaxXLSXTotal = 128 << 20 // uncompressed bytes of all parts read
	MaxRows      = 1 << 20   // Excel's own limit
	MaxCells     = 4 << 20   // non-empty cells in the sheet
	MaxColumns   = 16384     // Excel's own limit (XFD)
	MaxCellText  = 32767     // Excel's limit on the characters in a cell
)

// ReadXLSX reads the first worksheet of an Office Open XML workbook
// (.xlsx): its first row is the header, the rest are rows. It reads shared
// strings, inline strings, numbers, booleans and formula results as text;
// a number in a cell formatted as a date (built-in date formats, or a
// custom format with d, m and y) becomes YYYY-MM-DD, taking the 1900 or
// 1904 date system into account. Row.Line is the sheet's row number.
// Anything malformed, or past a limit, is an error wrapping
// evidence.ErrInvalid.
func ReadXLSX(data []byte) (*Table, error) {
	return readXLSX(data, MaxXLSXPart, MaxXLSXTotal)
}

// readXLSX is ReadXLSX with other limits on uncompressed sizes (the fuzz
// test's are small, so that it spends its time on parsing, not inflating).
func readXLSX(data []byte, maxPart, maxTotal int64) (*Table, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, invalid(0, "", "not an XLSX file (not a zip archive): %v", err)
	}
	x := &xlsx{files: map[string]*zip.File{}, maxPart: maxPart, maxTotal: maxTotal}
	for _, f := range zr.File {
		x.files[f.Name] = f
	}
	sheet, err := x.firstSheet()
	if err != nil {
		return nil, err
	}
	if err := x.readSharedStrings(); err != nil {
		return nil, err
	}
	if err := x.readStyles(); err != nil {
		return nil, err
	}
	return x.readSheet(sheet)
}

type xlsx struct {
	files             map[string]*zip.File
	maxPart, maxTotal int64
	read              int64    // uncompressed bytes read so far
	strings           []string // shared strings
	dateXF            []bool   // cell style index → is a date format
	date1904          bool
}

// open returns a part's uncompressed bytes, within the limits.
func (x *xlsx) open(name string) ([]byte, error) {
	f, ok := x.files[name]
	if !ok {
		return nil, nil
	}
	rc, err := f.Open()
	if err != nil {
		return nil, invalid(0, "", "XLSX part %s: %v", name, err)
	}
	defer rc.Close()
	limit := min(x.maxPart, x.maxTotal-x.read)
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, invalid(0, "", "XLSX part %s: %v", name, err)
	}
	if int64(len(b)) > limit {
		return nil, invalid(0, "", "XLSX part %s is larger than %d KiB uncompressed (or the parts together exceed %d KiB); split the workbook", name, x.maxPart>>10, x.maxTotal>>10)
	}
	x.read += int64(len(b))
	return b, nil
}

type xmlRel struct {
	ID     string `xml:"Id,attr"`
	Target string `xml:"Target,attr"`
}

// firstSheet finds the part name of the workbook's first sheet.
func (x *xlsx) firstSheet() (string, error) {
	wb, err := x.open("xl/workbook.xml")
	if err != nil {
		return "", err
	}
	if wb == nil {
		return "", invalid(0, "", "not an XLSX workbook: no xl/workbook.xml")
	}
	var w struct {
		Pr struct {
			Date1904 string `xml:"date1904,attr"`
		} `xml:"workbookPr"`
		Sheets []struct {
			RID string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := xml.Unmarshal(wb, &w); err != nil {
		return "", invalid(0, "", "XLSX workbook.xml: %v", err)
	}
	x.date1904 = w.Pr.Date1904 == "1" || w.Pr.Date1904 == "true"
	if len(w.Sheets) == 0 {
		return "", invalid(0, "", "the workbook has no sheet")
	}
	rels, err := x.open("xl/_rels/workbook.xml.rels")
	if err != nil {
		return "", err
	}
	var r struct {
		Rels []xmlRel `xml:"Relationship"`
	}
	if rels != nil {
		if err := xml.Unmarshal(rels, &r); err != nil {
			return "", invalid(0, "", "XLSX workbook.xml.rels: %v", err)
		}
	}
	for _, rel := range r.Rels {
		if rel.ID == w.Sheets[0].RID {
			t := rel.Target
			if strings.HasPrefix(t, "/") {
				return strings.TrimPrefix(t, "/"), nil
			}
			return path.Join("xl", t), nil
		}
	}
	return "xl/worksheets/sheet1.xml", nil
}

// readSharedStrings reads xl/sharedStrings.xml: each <si> is the text of
// its <t> elements, rich-text runs joined, phonetic guides (<rPh>) left out.
func (x *xlsx) readSharedStrings() error {
	b, err := x.open("xl/sharedStrings.xml")
	if err != nil || b == nil {
		return err
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	var cur strings.Builder
	inSI, inT, inPh := false, false, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return invalid(0, "", "XLSX sharedStrings.xml: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				inSI = true
				cur.Reset()
			case "t":
				inT = true
			case "rPh":
				inPh++
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				if len(x.strings) >= MaxCells {
					return invalid(0, "", "XLSX: more than %d shared strings", MaxCells)
				}
				x.strings = append(x.strings, cur.String())
				inSI = false
			case "t":
				inT = false
			case "rPh":
				inPh--
			}
		case xml.CharData:
			if inSI && inT && inPh == 0 {
				if cur.Len()+len(t) > 4*MaxCellText {
					return invalid(0, "", "XLSX: a shared string is longer than %d characters", MaxCellText)
				}
				cur.Write(t)
			}
		}
	}
}

// readStyles finds which cell styles (cellXfs) format numbers as dates.
func (x *xlsx) readStyles() error {
	b, err := x.open("xl/styles.xml")
	if err != nil || b == nil {
		return err
	}
	var s struct {
		NumFmts []struct {
			ID   int    `xml:"numFmtId,attr"`
			Code string `xml:"formatCode,attr"`
		} `xml:"numFmts>numFmt"`
		XFs []struct {
			NumFmt int `xml:"numFmtId,attr"`
		} `xml:"cellXfs>xf"`
	}
	if err := xml.Unmarshal(b, &s); err != nil {
		return invalid(0, "", "XLSX styles.xml: %v", err)
	}
	custom := map[int]bool{}
	for _, f := range s.NumFmts {
		custom[f.ID] = isDateFormat(f.Code)
	}
	for _, xf := range s.XFs {
		id := xf.NumFmt
		date := (id >= 14 && id <= 17) || id == 22 || (id >= 27 && id <= 36) || (id >= 50 && id <= 58) || custom[id]
		x.dateXF = append(x.dateXF, date)
	}
	return nil
}

// isDateFormat reports whether a number format code shows a date: it has
// a year and a day or month outside quoted text, escapes and [brackets].
func isDateFormat(code string) bool {
	var y, dm bool
	quoted, bracket := false, false
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '\\':
			i++
		case c == '[':
			bracket = true
		case c == ']':
			bracket = false
		case bracket:
		case c == 'y' || c == 'Y' || c == 'e':
			y = true
		case c == 'd' || c == 'D' || c == 'm' || c == 'M':
			dm = true
		}
	}
	return y && dm
}

// readSheet reads a worksheet's rows into a Table.
func (x *xlsx) readSheet(name string) (*Table, error) {
	b, err := x.open(name)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, invalid(0, "", "XLSX: the first sheet (%s) is missing", name)
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	var rows []Row
	cells := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, invalid(0, "", "XLSX sheet: %v", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "c" {
			if ok && se.Name.Local == "row" {
				n := len(rows) + 1
				if r := attr(se, "r"); r != "" {
					if n, err = strconv.Atoi(r); err != nil || n < 1 || n > MaxRows {
						return nil, invalid(0, "", "XLSX sheet: row number %q", r)
					}
				}
				if len(rows) > 0 && n <= rows[len(rows)-1].Line {
					return nil, invalid(n, "", "XLSX sheet: rows out of order")
				}
				if len(rows) >= MaxRows {
					return nil, invalid(n, "", "XLSX sheet: more than %d rows", MaxRows)
				}
				rows = append(rows, Row{Line: n})
			}
			continue
		}
		if len(rows) == 0 {
			return nil, invalid(0, "", "XLSX sheet: a cell outside a row")
		}
		row := &rows[len(rows)-1]
		var c struct {
			Ref   string `xml:"r,attr"`
			Type  string `xml:"t,attr"`
			Style int    `xml:"s,attr"`
			V     string `xml:"v"`
			IS    struct {
				T string `xml:"t"`
				R []struct {
					T string `xml:"t"`
				} `xml:"r"`
			} `xml:"is"`
		}
		if err := d.DecodeElement(&c, &se); err != nil {
			return nil, invalid(row.Line, "", "XLSX sheet: %v", err)
		}
		col := len(row.Cells)
		if c.Ref != "" {
			r, n, ok := parseCellRef(c.Ref)
			if !ok || n != row.Line || r < len(row.Cells) {
				return nil, invalid(row.Line, "", "XLSX sheet: cell reference %q is not in row %d after column %s", c.Ref, row.Line, ColumnName(len(row.Cells)))
			}
			col = r
		}
		if col >= MaxColumns {
			return nil, invalid(row.Line, "", "XLSX sheet: more than %d columns", MaxColumns)
		}
		v, err := x.cellText(c.Type, c.Style, c.V, c.IS.T, func() string {
			var s strings.Builder
			for _, r := range c.IS.R {
				s.WriteString(r.T)
			}
			return s.String()
		})
		if err != nil {
			return nil, invalid(row.Line, "column "+ColumnName(col), "%v", err)
		}
		if v == "" {
			continue
		}
		if cells++; cells > MaxCells {
			return nil, invalid(row.Line, "", "XLSX sheet: more than %d cells", MaxCells)
		}
		for len(row.Cells) < col {
			row.Cells = append(row.Cells, "")
		}
		row.Cells = append(row.Cells, v)
	}
	return tableFromRows(rows, "the first row of the sheet")
}

func attr(se xml.StartElement, name string) string {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// cellText gives a cell's value as text.
func (x *xlsx) cellText(typ string, style int, v, inline string, runs func() string) (string, error) {
	switch typ {
	case "s":
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || i < 0 || i >= len(x.strings) {
			return "", fmt.Errorf("shared string %q does not exist", v)
		}
		return x.strings[i], nil
	case "inlineStr":
		if inline != "" {
			return inline, nil
		}
		return runs(), nil
	case "d": // an ISO 8601 date, perhaps with a time: keep the day
		d, _, _ := strings.Cut(strings.TrimSpace(v), "T")
		return d, nil
	case "str", "e":
		return v, nil // a formula's text result, an error such as #N/A
	case "b":
		switch v {
		case "1":
			return "true", nil
		case "0":
			return "false", nil
		}
		return "", fmt.Errorf("boolean %q", v)
	case "", "n":
		v = strings.TrimSpace(v)
		if v == "" {
			return "", nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return "", fmt.Errorf("number %q", v)
		}
		if style >= 0 && style < len(x.dateXF) && x.dateXF[style] {
			return x.serialDate(f)
		}
		return v, nil
	}
	return "", fmt.Errorf("cell type %q", typ)
}

// serialDate converts a spreadsheet serial day number to YYYY-MM-DD (the
// time of day, if any, is dropped: sori dates stop at the day).
func (x *xlsx) serialDate(f float64) (string, error) {
	if math.IsNaN(f) || f < 1 || f > 2958465 { // 9999-12-31
		return "", fmt.Errorf("date serial number %v is out of range", f)
	}
	days := int(math.Floor(f))
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	switch {
	case x.date1904:
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	case days == 60:
		return "", errors.New("date serial number 60 is 1900-02-29, a day that did not exist")
	case days < 60:
		base = base.AddDate(0, 0, 1) // Lotus 1-2-3 counted 1900 as a leap year
	}
	return base.AddDate(0, 0, days).Format("2006-01-02"), nil
}

// parseCellRef splits "C12" into column index 2 and row 12.
func parseCellRef(s string) (col, row int, ok bool) {
	i := 0
	for i < len(s) && s[i] >= 'A' && s[i] <= 'Z' {
		col = col*26 + int(s[i]-'A'+1)
		i++
		if col > MaxColumns {
			return 0, 0, false
		}
	}
	if i == 0 || i == len(s) {
		return 0, 0, false
	}
	row, err := strconv.Atoi(s[i:])
	if err != nil || row < 1 {
		return 0, 0, false
	}
	return col - 1, row, true
}

// ColumnName gives a 0-based column index in spreadsheet letters: A, B, … Z, AA.
func ColumnName(i int) string {
	var b []byte
	for i++; i > 0; i = (i - 1) / 26 {
		b = append([]byte{byte('A' + (i-1)%26)}, b...)
	}
	return string(b)
}
