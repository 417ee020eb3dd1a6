package publish

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"sori/internal/evidence"
	"sori/internal/model"
)

func TestParseFormats(t *testing.T) {
	for in, want := range map[string][]string{
		"json":                {"json"},
		"geojson, CSV ,json":  {"json", "csv", "geojson"},
		"csv,csv":             {"csv"},
		"json,csv,geojson":    {"json", "csv", "geojson"},
		"GeoJSON":             {"geojson"},
		" json , json , csv ": {"json", "csv"},
	} {
		got, err := ParseFormats(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ParseFormats(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", ",", "json,", "xml", "json;csv", "json,,csv", "jsonl"} {
		if got, err := ParseFormats(bad); !errors.Is(err, evidence.ErrInvalid) {
			t.Errorf("ParseFormats(%q) = %v, %v; want invalid", bad, got, err)
		}
	}
}

func FuzzParseFormats(f *testing.F) {
	for _, s := range []string{"json", "json,csv,geojson", "", ",", "CSV , json", "x\xffy"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseFormats(s)
		if err != nil {
			if !errors.Is(err, evidence.ErrInvalid) || !utf8.ValidString(err.Error()) {
				t.Fatalf("error %v", err)
			}
			return
		}
		if len(got) == 0 || len(got) > 3 {
			t.Fatalf("%q: %v", s, got)
		}
		// Canonical: parsing the result gives it back.
		again, err := ParseFormats(strings.Join(got, ","))
		if err != nil || !slices.Equal(again, got) {
			t.Fatalf("%q: %v then %v, %v", s, got, again, err)
		}
	})
}

func TestApply(t *testing.T) {
	text := []byte("박철민 met Ri Yong-sun in 무산.")
	i := bytes.Index(text, []byte("Ri Yong-sun"))
	cases := []struct {
		spans []Span
		want  string
		n     int
	}{
		{nil, string(text), 0},
		{[]Span{{0, 9, "[P-3]"}}, "[P-3] met Ri Yong-sun in 무산.", 1},
		{[]Span{{i, i + 11, "[Person 1]"}, {0, 9, "[P-3]"}}, "[P-3] met [Person 1] in 무산.", 2},
		// Overlapping spans join; different markers give the default.
		{[]Span{{0, 9, "[P-3]"}, {3, 13, "[Person 1]"}}, "[redacted] Ri Yong-sun in 무산.", 1},
		// Touching spans join; the same marker stays.
		{[]Span{{0, 3, "[P-3]"}, {3, 9, "[P-3]"}}, "[P-3] met Ri Yong-sun in 무산.", 1},
		// A span inside a syllable widens to it; out of range is cut.
		{[]Span{{1, 2, ""}}, "[redacted]철민 met Ri Yong-sun in 무산.", 1},
		{[]Span{{len(text) - 4, len(text) + 10, ""}}, "박철민 met Ri Yong-sun in 무[redacted]", 1},
		{[]Span{{-5, 0, ""}, {9, 9, ""}, {50, 60, ""}}, string(text), 0},
	}
	for _, c := range cases {
		got, n := Apply(text, c.spans)
		if got != c.want || n != c.n {
			t.Errorf("Apply(%v) = %q, %d; want %q, %d", c.spans, got, n, c.want, c.n)
		}
	}
	if string(text) != "박철민 met Ri Yong-sun in 무산." {
		t.Error("Apply changed its input")
	}
}

// FuzzApply: whatever the spans, the output is valid UTF-8 when the input
// is, no byte of a span survives, and every byte outside all spans does,
// in order.
func FuzzApply(f *testing.F) {
	f.Add("박철민 met Ri Yong-sun", 0, 9, 4, 20)
	f.Add("abc", -1, 2, 2, 3)
	f.Add("ㅂㅏㄱ", 1, 2, 100, 200)
	f.Fuzz(func(t *testing.T, s string, s1, e1, s2, e2 int) {
		text := []byte(s)
		spans := []Span{{s1, e1, "[A]"}, {s2, e2, "[B]"}}
		got, _ := Apply(text, spans)
		if utf8.Valid(text) && !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 from %q", s)
		}
		merged := Merge(text, spans)
		at := 0
		for i, m := range merged {
			if m.Start < at || m.End <= m.Start || m.End > len(text) {
				t.Fatalf("merged span %d %+v out of order or range", i, m)
			}
			if utf8.Valid(text) && (!utf8.RuneStart(text[m.Start]) || (m.End < len(text) && !utf8.RuneStart(text[m.End]))) {
				t.Fatalf("merged span %d %+v splits a character", i, m)
			}
			at = m.End
		}
		var want strings.Builder
		at = 0
		for _, m := range merged {
			want.Write(text[at:m.Start])
			want.WriteString(m.Marker)
			at = m.End
		}
		want.Write(text[at:])
		if got != want.String() {
			t.Fatalf("Apply = %q, want %q", got, want.String())
		}
		for _, sp := range spans {
			lo, hi := max(sp.Start, 0), min(sp.End, len(text))
			for p := lo; p < hi; p++ {
				covered := false
				for _, m := range merged {
					covered = covered || (p >= m.Start && p < m.End)
				}
				if !covered {
					t.Fatalf("byte %d of span %+v is not redacted", p, sp)
				}
			}
		}
	})
}

func TestCoarsenDate(t *testing.T) {
	for _, c := range []struct{ in, prec, want string }{
		{"1997-03-14", "", "1997"},
		{"1997-03-14", "year", "1997"},
		{"1997-03-14", "month", "1997-03"},
		{"1997-03-14", "day", "1997-03-14"},
		{"1997-03-14", "decade", "1990s"},
		{"1997-03-14", "unknown", "unknown"},
		{"1997", "decade", "1990s"},
		{"1990s", "year", "1990s"},
		{"1997", "month", "1997"},
		{"~1997-03..1997-05", "year", "~1997"},
		{"1997-12-30..1998-01-02", "year", "1997..1998"},
		{"1997-12-30..1998-01-02", "month", "1997-12..1998-01"},
		{"1995..2003", "decade", "1990s..2000s"},
		{"unknown", "year", "unknown"},
	} {
		d, err := model.ParseDate(c.in)
		if err != nil {
			t.Fatal(err)
		}
		got := CoarsenDate(d, c.prec)
		if got.String() != c.want {
			t.Errorf("CoarsenDate(%s, %q) = %s, want %s", c.in, c.prec, got, c.want)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("CoarsenDate(%s, %q) = %+v: %v", c.in, c.prec, got, err)
		}
	}
	if got := CoarserDatePrecision("month", ""); got != "year" {
		t.Errorf("CoarserDatePrecision(month, default) = %s", got)
	}
	if got := CoarserDatePrecision("decade", "day"); got != "decade" {
		t.Errorf("CoarserDatePrecision(decade, day) = %s", got)
	}
}

func TestRenderAndStage(t *testing.T) {
	lat, lon := 42.07, 129.33
	ds := &Dataset{Format: FormatName, Version: Version, Publication: "pub-1",
		Events: []Event{{ID: "event-1", Title: "a, \"quoted\"\ntitle", Date: "1997", Places: []string{"musan", "north_hamgyong"}}},
		Places: []Place{{ID: "musan", Level: "county", Name: "Musan", Lat: &lat, Lon: &lon}, {ID: "north_hamgyong", Level: "province", Name: "North Hamgyong"}}}
	files, manifest := Render(ds, []string{FormatJSON, FormatCSV, FormatGeoJSON})
	if files[len(files)-1].Name != ManifestName {
		t.Fatal("the manifest is not last")
	}
	var m Manifest
	if err := json.Unmarshal(manifest, &m); err != nil || m.Version != Version || len(m.Files) != len(files)-1 {
		t.Fatalf("manifest %s: %v", manifest, err)
	}
	for i, f := range m.Files {
		if f.Name != files[i].Name || f.SHA256 != evidence.Sum(files[i].Data) || f.Size != len(files[i].Data) {
			t.Errorf("manifest entry %+v does not match %s", f, files[i].Name)
		}
	}
	var geo struct {
		Features []struct {
			Geometry   struct{ Coordinates []float64 }
			Properties struct{ Point string }
		}
	}
	for _, f := range files {
		if f.Name == "dataset.geojson" {
			json.Unmarshal(f.Data, &geo)
		}
	}
	// Musan at its own point, longitude first; the province at its
	// representative point.
	nh := provincePoints["north_hamgyong"]
	if len(geo.Features) != 2 || geo.Features[0].Geometry.Coordinates[0] != lon || geo.Features[0].Properties.Point != PointPlace ||
		geo.Features[1].Geometry.Coordinates[0] != nh.lon || geo.Features[1].Geometry.Coordinates[1] != nh.lat || geo.Features[1].Properties.Point != PointProvince {
		t.Errorf("geojson: %+v", geo)
	}

	parent := t.TempDir()
	out := filepath.Join(parent, "public")
	tmp, err := Stage(out, files)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("Stage wrote to DIR before Commit")
	}
	if err := Commit(tmp, out); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(out, ManifestName))
	if !bytes.Equal(bytes.TrimSpace(got), manifest) {
		t.Error("manifest.json differs")
	}
	// An existing, non-empty directory is refused and left alone.
	if _, err := Stage(out, files); !errors.Is(err, evidence.ErrExists) {
		t.Errorf("Stage into a non-empty DIR: %v", err)
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 {
		t.Errorf("%d entries beside the dataset: a staged directory was left", len(entries))
	}
	if _, err := Stage(filepath.Join(parent, "x"), []File{{Name: "../escape", Data: nil}}); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("a file name with a slash: %v", err)
	}
	entries, _ = os.ReadDir(parent)
	if len(entries) != 1 {
		t.Error("a failed Stage left its directory")
	}
}
