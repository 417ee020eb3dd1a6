package importer

import (
	"strings"
	"testing"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// checkTable checks what every Table promises.
func checkTable(t *testing.T, tab *Table) {
	t.Helper()
	if len(tab.Header) == 0 || len(tab.Rows) == 0 {
		t.Fatalf("a table without header or rows: %+v", tab)
	}
	for _, r := range tab.Rows {
		if len(r.Cells) > len(tab.Header) {
			t.Fatalf("row %d has %d cells for %d columns", r.Line, len(r.Cells), len(tab.Header))
		}
		blank := true
		for _, c := range r.Cells {
			if c != strings.TrimSpace(c) || !utf8.ValidString(c) {
				t.Fatalf("row %d: cell %q is not trimmed UTF-8", r.Line, c)
			}
			blank = blank && c == ""
		}
		if blank || r.Line < 1 {
			t.Fatalf("row %+v", r)
		}
	}
}

func FuzzXLSX(f *testing.F) {
	f.Add(xlsxFile(f, koreanRows()))
	f.Add(xlsxFile(f, [][]any{{"a", "i:b"}, {1, nil, "c"}}))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := readXLSX(data, 1<<20, 2<<20)
		if err != nil {
			return
		}
		checkTable(t, tab)
		if _, err := mustMappingF(t).Apply(tab, "fuzz"); err != nil {
			return
		}
	})
}

func FuzzCSVTable(f *testing.F) {
	for _, s := range []string{
		"번호,증언자\n1,W-1\n", "\ufeffa;b\n1;2\n", "a\tb\n\"x\ny\"\t2\n", "a,b\n1,2,3\n", ",,\n1,,\n",
		"\xb9\xf8\xc8\xa3,x\n1,2\n", // CP949 번호
	} {
		f.Add([]byte(s), "")
		f.Add([]byte(s), "cp949")
	}
	f.Fuzz(func(t *testing.T, data []byte, enc string) {
		text, _, err := Decode(data, enc)
		if err != nil {
			return
		}
		if !utf8.Valid(text) {
			t.Fatalf("Decode gave invalid UTF-8 for %q", data)
		}
		tab, err := ReadCSVTable(text)
		if err != nil {
			return
		}
		checkTable(t, tab)
		var draft map[string]any
		if err := yaml.Unmarshal([]byte(DraftMapping(tab)), &draft); err != nil {
			t.Fatalf("the draft mapping is not YAML: %v\n%s", err, DraftMapping(tab))
		}
		if recs, err := mustMappingF(t).Apply(tab, "fuzz"); err == nil && len(recs) > 5*len(tab.Rows) {
			t.Fatalf("%d records from %d rows", len(recs), len(tab.Rows))
		}
	})
}

func FuzzMapping(f *testing.F) {
	f.Add([]byte(fuzzMapping))
	f.Add([]byte(uwaziMapping))
	f.Add([]byte(`{"version": 1, "records": [{"kind": "event", "fields": {"title": "=x", "date": {"column": "번호", "split": "|", "part": 2}}}]}`))
	tab, err := ReadCSVTable([]byte("번호,증언자,일시\n1,W-1,14/3/1997\n2,,1998년\n"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMapping(data)
		if err != nil {
			return
		}
		recs, err := m.Apply(tab, "fuzz")
		if err != nil {
			return
		}
		for _, r := range recs {
			if r.ID.IsZero() || !validRef(r.Ref) {
				t.Fatalf("record %+v", r)
			}
		}
	})
}

const fuzzMapping = `
version: 1
row_id: 번호
dates: dmy
records:
  - kind: testimony
    name: t
    fields: {title: "=x", witness: 증언자}
  - kind: event
    name: e
    fields: {title: 증언자, date: 일시}
  - kind: information
    fields: {source: "@t", event: "@e", connection: "=direct"}
`

func mustMappingF(t *testing.T) *Mapping {
	m, err := ParseMapping([]byte(strings.ReplaceAll(strings.ReplaceAll(fuzzMapping, "번호", "a"), "증언자", "b")))
	if err != nil {
		t.Fatal(err)
	}
	m.lenient = true
	m.RowID = ""
	return m
}
