package importer

import (
	"encoding/csv"
	"io"
	"strings"
)

// uwaziMapping reads the CSV shape Uwazi (HURIDOCS) imports and exports,
// for a template of incidents: one entity a row, a title column,
// properties named as in the template (lower case, "_" for spaces), "|"
// between the values of a multi-select, dates year first ("1997/03/14")
// with ranges "A:B", selects as a label or "group::label", and a
// geolocation as "lat|lon". Columns it does not know are ignored, as
// Uwazi ignores them.
const uwaziMapping = `
version: 1
row_id: id
split: "|"
records:
  - kind: event
    name: event
    fields:
      title: title
      description: description
      date: date
      violations: violations
      status: status
      places: "@place"
  - kind: place
    name: place
    shared: true
    fields:
      names: place
      type: "=other"
      lat: {column: geolocation, split: "|", part: 1}
      lon: {column: geolocation, split: "|", part: 2}
`

// UwaziMapping returns the built-in mapping for an Uwazi CSV (see
// uwaziMapping), and normalizes t's header as Uwazi does: case and spaces
// ignored, "title__en" read as "title" when there is no "title", and
// "location" as "place", "summary" as "description", "violation" as
// "violations".
func UwaziMapping(t *Table) (*Mapping, error) {
	alias := map[string]string{"location": "place", "summary": "description", "violation": "violations", "sharedid": "id"}
	have := map[string]bool{}
	for i, h := range t.Header {
		h = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(h)), " ", "_")
		t.Header[i] = h
		have[h] = true
	}
	for i, h := range t.Header {
		base, _, _ := strings.Cut(h, "__")
		if a, ok := alias[base]; ok && !have[a] {
			base = a
		}
		if base != h && !have[base] {
			t.Header[i] = base
			have[base] = true
		}
	}
	m, err := ParseMapping([]byte(uwaziMapping))
	if err != nil {
		return nil, err
	}
	m.lenient = true
	if t.Column(m.RowID) < 0 {
		m.RowID = ""
	}
	if t.Column("place") < 0 && t.Column("geolocation") >= 0 {
		// a point without a name: the place record still needs one
		m.Records[1].Fields["names"] = FieldMap{Value: "(Uwazi geolocation)"}
	}
	if t.Column("title") < 0 {
		return nil, invalid(t.HeaderLine, "", "an Uwazi CSV needs a title column")
	}
	return m, nil
}

// UwaziHeader is the header of the Uwazi CSV that WriteUwazi writes: the
// columns UwaziMapping reads, and sori_id (a column Uwazi does not know,
// so it ignores it; sori reads it as nothing either).
var UwaziHeader = []string{"title", "date", "description", "violations", "status", "place", "geolocation", "sori_id"}

// WriteUwazi writes rows (each as long as UwaziHeader) as an Uwazi CSV.
// Every cell that a spreadsheet would take for a formula — starting with
// =, +, -, @, a tab or a carriage return — is written with a leading "'".
func WriteUwazi(w io.Writer, rows [][]string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(UwaziHeader); err != nil {
		return err
	}
	for _, r := range rows {
		out := make([]string, len(r))
		for i, c := range r {
			out[i] = NeutralizeCell(c)
		}
		if err := cw.Write(out); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// NeutralizeCell prefixes a cell that a spreadsheet would run as a formula
// with "'", so that opening an export cannot run anything.
func NeutralizeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
