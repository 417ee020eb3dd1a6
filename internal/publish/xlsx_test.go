package publish

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"sori/internal/evidence"
	"sori/internal/importer"
	"sori/internal/model"
)

func TestRecordSheet(t *testing.T) {
	e1, e2 := evidence.NewID(), evidence.NewID()
	victim := evidence.NewID()
	d, _ := model.ParseDate("~1997..1999")
	lat := 41.79
	for _, c := range []struct {
		kind   string
		body   model.Body
		header string
		row    string
	}{
		{model.KindEvent, &model.Event{Title: "=cmd", Date: d, Places: []string{"musan", "hoeryong"}},
			"id,title,description,date,places,violations,status", e1.String() + ",=cmd,,~1997..1999,musan; hoeryong,,"},
		{model.KindAct, &model.Act{Event: e2, Victim: &victim, Violation: "detention.torture", Date: model.Date{Precision: "unknown"}},
			"id,event,victim,violation,date,place,status_at_end,notes", e1.String() + "," + e2.String() + "," + victim.String() + ",detention.torture,unknown,,,"},
		{model.KindPerson, &model.Person{Names: []string{"박철민", "Pak Chol-min"}, BirthYear: 1960, Protected: true},
			"id,names,aliases,sex,birth_year,counting_unit,unit,protected,pseudonym,notes", e1.String() + ",박철민; Pak Chol-min,,,1960,,,true,,"},
		{model.KindPlace, &model.Place{Names: []string{"a farm"}, Type: "other", Lat: &lat},
			"id,names,type,gazetteer,parent,lat,lon,notes", e1.String() + ",a farm,other,,,41.79,,"},
		{model.KindAnnotation, &model.Annotation{Item: e2, Start: 0, End: 9, Target: victim},
			"id,item,start,end,target,note,at_ms", e1.String() + "," + e2.String() + ",0,9," + victim.String() + ",,"},
	} {
		s, err := RecordSheet(c.kind, []evidence.ID{e1}, []model.Body{c.body})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(s.Header, ","); got != c.header {
			t.Errorf("%s header %s", c.kind, got)
		}
		if got := strings.Join(s.Rows[0], ","); got != c.row {
			t.Errorf("%s row\n%s\nwant\n%s", c.kind, got, c.row)
		}
	}
	s, _ := RecordSheet(model.KindPerson, nil, nil)
	if i := slices.Index(s.Header, "birth_year"); i < 0 || !s.Numeric[i] || s.Numeric[0] || len(s.Rows) != 0 {
		t.Errorf("person sheet %+v", s)
	}
	if _, err := RecordSheet(model.KindEvent, []evidence.ID{e1}, []model.Body{&model.Act{}}); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("an act among events: %v", err)
	}
	if _, err := RecordSheet("nonsense", nil, nil); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("an unknown kind: %v", err)
	}
	for _, k := range model.Kinds { // every kind flattens
		if _, err := RecordSheet(k, nil, nil); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
}

func testSheets() []Sheet {
	return []Sheet{
		{Name: "event", Header: []string{"id", "title", "n"}, Numeric: []bool{false, false, true},
			Rows: [][]string{{"e1", "박철민 met 리영순", "3"}, {"e2", `=HYPERLINK("http://x.invalid","x")`, "-2.5"}, {"e3", "  spaced  \ttab\nline", "not a number"}, {"e4", "", ""}}},
		{Name: "person", Header: []string{"id", "names"}, Rows: [][]string{{"p1", "@SUM(A1)"}, {"p2", "bell\x07<&>\"'"}}},
	}
}

func TestWriteXLSXReadBack(t *testing.T) {
	sheets := testSheets()
	var b bytes.Buffer
	if err := WriteXLSX(&b, sheets); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	WriteXLSX(&again, sheets)
	if !bytes.Equal(b.Bytes(), again.Bytes()) {
		t.Error("two writes of the same sheets differ")
	}
	// Every part is well-formed XML and the workbook names both sheets.
	zr, err := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		d := xml.NewDecoder(bytes.NewReader(data))
		for {
			if _, err := d.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f.Name, err)
			}
		}
		if f.Name == "xl/workbook.xml" && (!bytes.Contains(data, []byte(`name="event"`)) || !bytes.Contains(data, []byte(`name="person"`))) {
			t.Errorf("workbook.xml: %s", data)
		}
	}
	// The importer reads the first sheet back; each sheet alone likewise.
	// (It trims the spaces around a cell; the workbook keeps them.)
	want := map[string][][]string{
		"event":  {{"e1", "박철민 met 리영순", "3"}, {"e2", `'=HYPERLINK("http://x.invalid","x")`, "-2.5"}, {"e3", "  spaced  \ttab\nline", "not a number"}, {"e4", "", ""}},
		"person": {{"p1", "'@SUM(A1)"}, {"p2", "bell\uFFFD<&>\"'"}},
	}
	for i, s := range sheets {
		data := b.Bytes()
		if i > 0 {
			var one bytes.Buffer
			if err := WriteXLSX(&one, []Sheet{s}); err != nil {
				t.Fatal(err)
			}
			data = one.Bytes()
		}
		tb, err := importer.ReadXLSX(data)
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		if !slices.Equal(tb.Header, s.Header) || len(tb.Rows) != len(want[s.Name]) {
			t.Fatalf("%s: header %v, %d rows", s.Name, tb.Header, len(tb.Rows))
		}
		for r, row := range tb.Rows {
			for c, w := range want[s.Name][r] {
				got := ""
				if c < len(row.Cells) {
					got = row.Cells[c]
				}
				if got != strings.TrimSpace(w) {
					t.Errorf("%s row %d col %d: %q; want %q", s.Name, r+1, c, got, w)
				}
			}
		}
	}
}

func TestWriteXLSXRefuses(t *testing.T) {
	long := strings.Repeat("가", maxCellChars)
	for name, sheets := range map[string][]Sheet{
		"no sheet":       nil,
		"empty name":     {{Name: ""}},
		"long name":      {{Name: strings.Repeat("x", 32)}},
		"bracket":        {{Name: "a[1]"}},
		"slash":          {{Name: "a/b"}},
		"duplicate name": {{Name: "Event"}, {Name: "event"}},
		"long cell":      {{Name: "x", Header: []string{"a"}, Rows: [][]string{{long}}}},
	} {
		var b bytes.Buffer
		if err := WriteXLSX(&b, sheets); !errors.Is(err, evidence.ErrInvalid) || b.Len() != 0 {
			t.Errorf("%s: %v, %d bytes written", name, err, b.Len())
		}
	}
}

func FuzzWriteXLSX(f *testing.F) {
	for _, s := range []string{"", "=1+1", "박철민", "a\x00b", "\xff\xfe", "]]>", "<t>", "  x  ", "-5", "1e400"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, text, num string) {
		var b bytes.Buffer
		s := Sheet{Name: "s", Header: []string{"text", "num", "k"}, Numeric: []bool{false, true}, Rows: [][]string{{text, num, "k"}}}
		if err := WriteXLSX(&b, []Sheet{s}); err != nil {
			t.Fatal(err)
		}
		tb, err := importer.ReadXLSX(b.Bytes())
		if err != nil {
			t.Fatalf("%q %q: %v", text, num, err)
		}
		got := ""
		if len(tb.Rows) > 0 && len(tb.Rows[0].Cells) > 0 {
			got = tb.Rows[0].Cells[0]
		}
		if want := strings.TrimSpace(xmlCharsOnly(Neutralize(text))); got != want { // the importer trims
			t.Fatalf("%q came back as %q; want %q", text, got, want)
		}
		for _, r := range tb.Rows {
			for _, c := range r.Cells {
				if c != "" && strings.ContainsRune("=+@\t\r", rune(c[0])) {
					t.Fatalf("cell %q is not neutralized", c)
				}
			}
		}
	})
}

// xmlCharsOnly is what xmlText keeps of s, unescaped.
func xmlCharsOnly(s string) string {
	var b strings.Builder
	d := xml.NewDecoder(strings.NewReader("<t>" + xmlText(s) + "</t>"))
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		if cd, ok := tok.(xml.CharData); ok {
			b.Write(cd)
		}
	}
	return b.String()
}
