package publish

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"sori/internal/evidence"
)

// Sheet is one worksheet of a workbook: a name, a header row and rows.
// Numeric[i] marks column i as numbers: its cells that parse as a finite
// number are written as numbers, the rest as text.
type Sheet struct {
	Name    string
	Header  []string
	Rows    [][]string
	Numeric []bool
}

// XLSX limits (Excel's own).
const (
	maxSheetName = 31
	maxCellChars = 32767
	maxSheetRows = 1 << 20
)

// WriteXLSX writes sheets as an Office Open XML workbook (.xlsx, ECMA-376
// SpreadsheetML, the parts every reader needs and no more): one worksheet
// each, the header as the first row, text as inline strings, every text
// cell neutralized (Neutralize). Characters XML cannot carry (control
// characters other than tab, LF and CR) are written as U+FFFD. A sheet
// name that is empty, longer than 31 characters, holds one of []:*?/\ or
// repeats another; a cell longer than 32,767 characters; or more rows than
// a sheet holds is an error wrapping evidence.ErrInvalid, before anything
// is written. The bytes depend only on sheets (zip times are fixed).
func WriteXLSX(w io.Writer, sheets []Sheet) error {
	if len(sheets) == 0 {
		return fmt.Errorf("%w: a workbook needs a sheet", evidence.ErrInvalid)
	}
	seen := map[string]bool{}
	for _, s := range sheets {
		n := utf8.RuneCountInString(s.Name)
		if n == 0 || n > maxSheetName || strings.ContainsAny(s.Name, `[]:*?/\`) || seen[strings.ToLower(s.Name)] {
			return fmt.Errorf("%w: sheet name %q", evidence.ErrInvalid, printable(s.Name))
		}
		seen[strings.ToLower(s.Name)] = true
		if len(s.Rows)+1 > maxSheetRows {
			return fmt.Errorf("%w: sheet %s: %d rows; a sheet holds %d", evidence.ErrInvalid, s.Name, len(s.Rows)+1, maxSheetRows)
		}
		for _, r := range append([][]string{s.Header}, s.Rows...) {
			for _, c := range r {
				if utf8.RuneCountInString(c) > maxCellChars-1 { // room for the apostrophe
					return fmt.Errorf("%w: sheet %s: a cell of %d characters; XLSX holds %d (use JSON)", evidence.ErrInvalid, s.Name, utf8.RuneCountInString(c), maxCellChars)
				}
			}
		}
	}
	zw := zip.NewWriter(w)
	put := func(name string, data []byte) error {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			return err
		}
		_, err = f.Write(data)
		return err
	}
	const (
		nsMain = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
		nsRel  = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
		nsPkg  = "http://schemas.openxmlformats.org/package/2006/relationships"
		hdr    = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
	)
	var ct, wb, rels strings.Builder
	ct.WriteString(hdr + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>`)
	wb.WriteString(hdr + `<workbook xmlns="` + nsMain + `" xmlns:r="` + nsRel + `"><sheets>`)
	rels.WriteString(hdr + `<Relationships xmlns="` + nsPkg + `">`)
	for i, s := range sheets {
		n := strconv.Itoa(i + 1)
		ct.WriteString(`<Override PartName="/xl/worksheets/sheet` + n + `.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`)
		wb.WriteString(`<sheet name="` + xmlText(s.Name) + `" sheetId="` + n + `" r:id="rId` + n + `"/>`)
		rels.WriteString(`<Relationship Id="rId` + n + `" Type="` + nsRel + `/worksheet" Target="worksheets/sheet` + n + `.xml"/>`)
	}
	ct.WriteString(`</Types>`)
	wb.WriteString(`</sheets></workbook>`)
	rels.WriteString(`</Relationships>`)
	parts := []struct {
		name string
		data []byte
	}{
		{"[Content_Types].xml", []byte(ct.String())},
		{"_rels/.rels", []byte(hdr + `<Relationships xmlns="` + nsPkg + `"><Relationship Id="rId1" Type="` + nsRel + `/officeDocument" Target="xl/workbook.xml"/></Relationships>`)},
		{"xl/workbook.xml", []byte(wb.String())},
		{"xl/_rels/workbook.xml.rels", []byte(rels.String())},
	}
	for _, p := range parts {
		if err := put(p.name, p.data); err != nil {
			return err
		}
	}
	for i, s := range sheets {
		if err := put("xl/worksheets/sheet"+strconv.Itoa(i+1)+".xml", sheetXML(s, hdr, nsMain)); err != nil {
			return err
		}
	}
	return zw.Close()
}

// sheetXML is one worksheet part.
func sheetXML(s Sheet, hdr, ns string) []byte {
	var b bytes.Buffer
	b.WriteString(hdr + `<worksheet xmlns="` + ns + `"><sheetData>`)
	for r, row := range append([][]string{s.Header}, s.Rows...) {
		rn := strconv.Itoa(r + 1)
		b.WriteString(`<row r="` + rn + `">`)
		for c, v := range row {
			if v == "" {
				continue
			}
			ref := columnName(c) + rn
			if r > 0 && c < len(s.Numeric) && s.Numeric[c] {
				if f, err := strconv.ParseFloat(v, 64); err == nil && !isInfOrNaN(f) {
					b.WriteString(`<c r="` + ref + `"><v>` + strconv.FormatFloat(f, 'g', -1, 64) + `</v></c>`)
					continue
				}
			}
			b.WriteString(`<c r="` + ref + `" t="inlineStr"><is><t xml:space="preserve">` + xmlText(Neutralize(v)) + `</t></is></c>`)
		}
		b.WriteString(`</row>`)
	}
	b.WriteString(`</sheetData></worksheet>`)
	return b.Bytes()
}

func isInfOrNaN(f float64) bool { return f != f || f > 1e308 || f < -1e308 }

// xmlText escapes s as XML character data, with characters XML 1.0 does
// not allow replaced by U+FFFD.
func xmlText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF) {
			return r
		}
		return utf8.RuneError
	}, strings.ToValidUTF8(s, "\uFFFD"))
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// columnName is the spreadsheet name of column i (0 → A, 26 → AA).
func columnName(i int) string {
	var b []byte
	for i++; i > 0; i = (i - 1) / 26 {
		b = append([]byte{byte('A' + (i-1)%26)}, b...)
	}
	return string(b)
}
