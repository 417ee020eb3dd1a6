package importer

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode/utf8"
)

// ListSep separates the elements of a list in a CSV cell.
const ListSep = ";"

// ParseCSV reads an import file in CSV (RFC 4180): a header row of field
// names, including "kind" and optionally "ref", then one record per row
// (docs/import.md). Cells are trimmed; an empty cell leaves its field out;
// list cells are split at ";". It checks the syntax and shape only; Build
// does the rest. Errors name the line.
func ParseCSV(data []byte) ([]Record, error) {
	if len(data) > MaxSize {
		return nil, invalid(0, "", "the file is larger than %d MiB; split it", MaxSize>>20)
	}
	data = bytes.TrimPrefix(data, bom)
	if !utf8.Valid(data) {
		return nil, invalid(newLineIndex(data).line(int64(firstInvalidUTF8(data))), "", "the file is not valid UTF-8")
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err == io.EOF {
		return nil, invalid(1, "", "empty file: want a header row of field names, including kind")
	}
	if err != nil {
		return nil, csvError(err)
	}
	hline, _ := cr.FieldPos(0)
	kindCol, refCol := -1, -1
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		header[i] = h
		switch {
		case h == "":
			return nil, invalid(hline, "", "column %d has no name", i+1)
		case seen[h]:
			return nil, invalid(hline, h, "column given twice")
		case h == "kind":
			kindCol = i
		case h == "ref":
			refCol = i
		case !anyField(h):
			return nil, invalid(hline, h, "no kind of record has this field (see docs/import.md)")
		}
		seen[h] = true
	}
	if kindCol < 0 {
		return nil, invalid(hline, "", "the header needs a kind column")
	}
	var recs []Record
	for {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		if blank(row) {
			continue // spreadsheets write trailing ",,,"
		}
		r := Record{Line: line, Kind: strings.TrimSpace(row[kindCol])}
		if refCol >= 0 {
			r.Ref = strings.TrimSpace(row[refCol])
		}
		if r.Kind == "" {
			return nil, invalid(line, "kind", "each row needs a kind")
		}
		for i, cell := range row {
			cell = strings.TrimSpace(cell)
			if i == kindCol || i == refCol || cell == "" {
				continue
			}
			fl, _ := cr.FieldPos(i)
			v := Value{Name: header[i], Line: fl, Text: []string{cell}}
			if f, ok := field(r.Kind, header[i]); ok && f.Type.List() {
				v.Text = splitList(cell)
			}
			r.Fields = append(r.Fields, v)
		}
		recs = append(recs, r)
	}
	if len(recs) == 0 {
		return nil, invalid(hline, "", "no records after the header")
	}
	return recs, nil
}

// splitList splits a list cell at ListSep, trimming and dropping empty elements.
func splitList(cell string) []string {
	var out []string
	for _, s := range strings.Split(cell, ListSep) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func blank(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if pe.StartLine != 0 && pe.StartLine != pe.Line {
			return invalid(pe.StartLine, "", "%v (noticed on line %d)", pe.Err, pe.Line)
		}
		return invalid(pe.Line, "", "%v", pe.Err)
	}
	return invalid(0, "", "%v", err)
}
