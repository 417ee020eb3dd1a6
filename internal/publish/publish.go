// Package publish is the public dataset sori publishes (docs/publish.md):
// its schema (Dataset, versioned), how it is written as JSON, CSV and
// GeoJSON files with a manifest, and the pure steps of redaction that do
// not need the archive: replacing spans of text with markers, coarsening
// dates. Which records are published, and under what consent, is decided
// by internal/archive (Archive.Publish), the one door to the archive.
//
// Nothing here reads or writes disk; the caller writes the files.
package publish

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"sori/internal/evidence"
	"sori/internal/model"
)

// Version is the version of the dataset schema, written in every file.
// Version 2 writes dates in EDTF (version 1 wrote sori's own form, such
// as "~1998" or "1990s"), adds datapackage.json beside CSV files, and
// neutralizes CSV cells that a spreadsheet would take for a formula.
const Version = 2

// FormatName names the dataset in its JSON and manifest.
const FormatName = "sori-publication"

// Dataset is one publication: what consent allows, pseudonymized and
// coarsened. IDs are the publication's own ("event-3"), not the archive's,
// and are stable only within one publication.
type Dataset struct {
	Format       string        `json:"format"`
	Version      int           `json:"version"`
	Publication  string        `json:"publication"` // random ID, the object of the publish custody entry
	Testimonies  []Testimony   `json:"testimonies"`
	Events       []Event       `json:"events"`
	Acts         []Act         `json:"acts"`
	Involvements []Involvement `json:"involvements"`
	Persons      []Person      `json:"persons"`
	Places       []Place       `json:"places"`
	Information  []Information `json:"information"`
	Transcripts  []Transcript  `json:"transcripts"`
}

// Testimony is an interview session, known by its witness's pseudonym.
type Testimony struct {
	ID        string   `json:"id"`
	Witness   string   `json:"witness"` // pseudonym
	Title     string   `json:"title"`
	Date      string   `json:"date"`            // coarsened; EDTF in the files Render writes
	Place     string   `json:"place,omitempty"` // a Place ID
	Languages []string `json:"languages,omitempty"`
	Scope     string   `json:"scope"` // consent scope it is published under
}

// Event is something that happened.
type Event struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Date        string   `json:"date"`
	Places      []string `json:"places,omitempty"` // Place IDs
	Violations  []string `json:"violations,omitempty"`
	Status      string   `json:"status,omitempty"`
}

// Act is one violation against one victim.
type Act struct {
	ID          string `json:"id"`
	Event       string `json:"event"`
	Victim      string `json:"victim,omitempty"` // Person ID
	Violation   string `json:"violation"`
	Date        string `json:"date"`
	Place       string `json:"place,omitempty"`
	StatusAtEnd string `json:"status_at_end,omitempty"`
}

// Involvement is a perpetrator in an act.
type Involvement struct {
	ID              string `json:"id"`
	Act             string `json:"act"`
	Perpetrator     string `json:"perpetrator"` // Person ID
	Degree          string `json:"degree"`
	PerpetratorType string `json:"perpetrator_type,omitempty"`
}

// Person is a victim or perpetrator. A protected one has Name set to its
// pseudonym (or "Person N") and nothing else that could identify it.
type Person struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Names        []string `json:"names,omitempty"` // all written names; never for a protected person
	Protected    bool     `json:"protected"`
	Sex          string   `json:"sex,omitempty"`
	BirthYear    int      `json:"birth_year,omitempty"`
	CountingUnit string   `json:"counting_unit,omitempty"`
	Unit         string   `json:"unit,omitempty"`
}

// Place is a place at the precision consent allows.
type Place struct {
	ID    string   `json:"id"`    // gazetteer code, "kp" for the country, or "place-N"
	Level string   `json:"level"` // exact, county, province, country
	Name  string   `json:"name"`  // English
	Ko    string   `json:"ko,omitempty"`
	Lat   *float64 `json:"lat,omitempty"` // only where the gazetteer gives this place's own point
	Lon   *float64 `json:"lon,omitempty"`
}

// Information says that a testimony tells of an event, and how.
type Information struct {
	ID          string `json:"id"`
	Source      string `json:"source"` // Testimony ID
	Event       string `json:"event"`
	Connection  string `json:"connection"`
	Reliability string `json:"reliability,omitempty"`
	Credibility string `json:"credibility,omitempty"`
}

// Transcript is a redacted transcript or translation.
type Transcript struct {
	ID         string `json:"id"`
	Testimony  string `json:"testimony"`
	Role       string `json:"role"` // original or translation
	Lang       string `json:"lang,omitempty"`
	Text       string `json:"text"`
	Redactions int    `json:"redactions"` // how many spans were replaced
}

// Formats a dataset can be written in.
const (
	FormatJSON    = "json"
	FormatCSV     = "csv"
	FormatGeoJSON = "geojson"
	// FormatCSVExcel is FormatCSV written for Excel (CSVOptions.Excel):
	// ParseFormats never returns it; ExcelCSV puts it in place of csv.
	FormatCSVExcel = "csv-excel"
)

var allFormats = []string{FormatJSON, FormatCSV, FormatGeoJSON}

// ParseFormats reads a comma-separated list of formats ("json,csv,geojson")
// and returns it without repeats, in the order json, csv, geojson. An
// empty list or an unknown format is an error wrapping evidence.ErrInvalid.
func ParseFormats(s string) ([]string, error) {
	have := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		ok := false
		for _, k := range allFormats {
			ok = ok || k == f
		}
		if !ok {
			return nil, fmt.Errorf("%w: format %q: want a comma-separated list of %s", evidence.ErrInvalid, printable(f), strings.Join(allFormats, ", "))
		}
		have[f] = true
	}
	var out []string
	for _, k := range allFormats {
		if have[k] {
			out = append(out, k)
		}
	}
	return out, nil
}

// ExcelCSV returns formats with csv replaced by csv-excel (UTF-8 with a
// byte order mark, CRLF line ends), and whether formats held csv.
func ExcelCSV(formats []string) ([]string, bool) {
	out := slices.Clone(formats)
	i := slices.Index(out, FormatCSV)
	if i < 0 {
		return out, false
	}
	out[i] = FormatCSVExcel
	return out, true
}

func printable(s string) string {
	if len(s) > 40 {
		s = s[:40]
	}
	return strings.ToValidUTF8(s, "?")
}

// Span is a part of a text to replace: byte offsets, end exclusive, and
// the marker that replaces it ("[redacted]", "[Person 2]").
type Span struct {
	Start, End int
	Marker     string
}

// Redacted is the default marker.
const Redacted = "[redacted]"

// Merge sorts spans, widens each to whole UTF-8 characters of text,
// drops what lies outside text, and joins overlapping or touching spans.
// A joined span keeps its marker when all its parts share one, else it is
// Redacted.
func Merge(text []byte, spans []Span) []Span {
	var in []Span
	for _, s := range spans {
		s.Start, s.End = max(s.Start, 0), min(s.End, len(text))
		if s.Start >= s.End {
			continue
		}
		for s.Start > 0 && !utf8.RuneStart(text[s.Start]) {
			s.Start--
		}
		for s.End < len(text) && !utf8.RuneStart(text[s.End]) {
			s.End++
		}
		if s.Marker == "" {
			s.Marker = Redacted
		}
		in = append(in, s)
	}
	sort.SliceStable(in, func(i, j int) bool { return in[i].Start < in[j].Start })
	var out []Span
	for _, s := range in {
		if n := len(out); n > 0 && s.Start <= out[n-1].End {
			last := &out[n-1]
			last.End = max(last.End, s.End)
			if last.Marker != s.Marker {
				last.Marker = Redacted
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// Apply returns text with every span of Merge(text, spans) replaced by its
// marker, and how many replacements it made. text itself is not changed.
func Apply(text []byte, spans []Span) (string, int) {
	m := Merge(text, spans)
	var b strings.Builder
	b.Grow(len(text))
	at := 0
	for _, s := range m {
		b.Write(text[at:s.Start])
		b.WriteString(s.Marker)
		at = s.End
	}
	b.Write(text[at:])
	return b.String(), len(m)
}

// Date precisions, finest first.
var datePrecisions = []string{"day", "month", "year", "decade", "unknown"}

func precisionRank(p string) int {
	for i, q := range datePrecisions {
		if q == p {
			return i
		}
	}
	return len(datePrecisions) - 1 // unknown or empty: as coarse as it gets
}

// CoarserDatePrecision returns the coarser of two date precisions ("" is
// the publication default, year).
func CoarserDatePrecision(a, b string) string {
	if a == "" {
		a = "year"
	}
	if b == "" {
		b = "year"
	}
	if precisionRank(a) >= precisionRank(b) {
		return a
	}
	return b
}

// CoarsenDate returns d at precision p at most ("" means year): a day or
// month becomes its year, a year its decade, anything to unknown. A date
// already as coarse is returned as it is. A range whose ends meet becomes
// one value.
func CoarsenDate(d model.Date, p string) model.Date {
	if p == "" {
		p = "year"
	}
	if d.From == "" || precisionRank(d.Precision) >= precisionRank(p) {
		return d
	}
	if p == "unknown" {
		return model.Date{Precision: "unknown"}
	}
	cut := func(s string) string {
		switch p {
		case "month":
			return s[:7]
		case "year":
			return s[:4]
		case "decade":
			return s[:3] + "0s"
		}
		return s
	}
	out := model.Date{From: cut(d.From), Precision: p, Approx: d.Approx}
	if d.To != "" {
		if to := cut(d.To); to != out.From {
			out.To = to
		}
	}
	return out
}
