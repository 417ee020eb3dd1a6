package importer

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/korean"

	"sori/internal/evidence"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// render is a stable text form of the records an import makes: in store
// order, each kind and ref, then its body with every ID of the same
// import written as @ref, so that the same rows read from different
// encodings or formats render the same.
func render(t *testing.T, p *Plan) string {
	t.Helper()
	names := map[evidence.ID]string{}
	for ref, id := range p.Refs {
		names[id] = "@" + ref
	}
	bodies, ids := p.Ordered()
	var b strings.Builder
	for i, body := range bodies {
		js, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		s := string(js)
		for id, n := range names {
			s = strings.ReplaceAll(s, id.String(), n)
		}
		fmt.Fprintf(&b, "%s %s\n  %s\n", body.Kind(), names[ids[i]], s)
	}
	return b.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file:\n%s", name, got)
	}
}

// importTable maps t with the mapping and builds the records.
func importTable(t *testing.T, tab *Table, m *Mapping, data []byte) (*Plan, error) {
	t.Helper()
	sum := sha256.Sum256(data)
	recs, err := m.Apply(tab, hex.EncodeToString(sum[:]))
	if err != nil {
		return nil, err
	}
	return Build(context.Background(), recs, nil)
}

func mustMapping(t *testing.T, name string) *Mapping {
	t.Helper()
	m, err := ParseMapping(readFile(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func csvPlan(t *testing.T, data []byte, enc, mapName string) (*Plan, string) {
	t.Helper()
	text, got, err := Decode(data, enc)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := ReadCSVTable(text)
	if err != nil {
		t.Fatal(err)
	}
	p, err := importTable(t, tab, mustMapping(t, mapName), data)
	if err != nil {
		t.Fatal(err)
	}
	return p, got
}

func toCP949(t *testing.T, b []byte) []byte {
	t.Helper()
	out, err := korean.EUCKR.NewEncoder().Bytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestKoreanHeaders(t *testing.T) {
	utf := readFile(t, "korean.csv")
	p, enc := csvPlan(t, utf, "", "korean.map.yaml")
	if enc != EncUTF8 {
		t.Errorf("detected %s", enc)
	}
	want := render(t, p)
	golden(t, "korean.golden", want)

	// the same rows with a byte-order mark, and in CP949 (detected, and named)
	for _, c := range []struct {
		name, enc string
		data      []byte
	}{
		{"bom", "", append(append([]byte{}, bom...), utf...)},
		{"cp949 detected", "", toCP949(t, utf)},
		{"cp949 named", "euc-kr", toCP949(t, utf)},
	} {
		p, enc := csvPlan(t, c.data, c.enc, "korean.map.yaml")
		if got := render(t, p); got != want {
			t.Errorf("%s: records differ from UTF-8's:\n%s", c.name, got)
		}
		if strings.HasPrefix(c.name, "cp949") && enc != EncCP949 {
			t.Errorf("%s: read as %s", c.name, enc)
		}
	}
	// 3 rows: 3 testimonies, 3 events, 2 places (혜산 shared), 3 victims, 3 acts, 3 information
	counts := map[string]int{}
	for _, b := range p.Bodies {
		counts[b.Kind()]++
	}
	if fmt.Sprint(counts) != "map[act:3 event:3 information:3 person:3 place:2 testimony:3]" {
		t.Errorf("records: %v", counts)
	}
}

func TestDecodeRefuses(t *testing.T) {
	latin1 := []byte("name\ncaf\xe9\n")
	if _, _, err := Decode(latin1, ""); !errors.Is(err, evidence.ErrInvalid) || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("Latin-1 without --encoding: %v", err)
	}
	if _, _, err := Decode([]byte("a\n\xff\xff\n"), "cp949"); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("bytes that are not CP949: %v", err)
	}
	if _, _, err := Decode(toCP949(t, []byte("번호\n1\n")), "utf-8"); err == nil || !strings.Contains(err.Error(), "--encoding cp949") {
		t.Errorf("CP949 read as UTF-8: %v", err)
	}
	if _, _, err := Decode([]byte("a"), "latin-1"); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("unknown encoding: %v", err)
	}
}

func TestDayFirst(t *testing.T) {
	p, _ := csvPlan(t, readFile(t, "dayfirst.csv"), "", "dayfirst.map.yaml")
	got := render(t, p)
	golden(t, "dayfirst.golden", got)
	if !strings.Contains(got, `"from":"1998-11-02"`) {
		t.Errorf("02/11/1998 read month first:\n%s", got)
	}
	// without the order the same file is refused, at the cell
	m := mustMapping(t, "dayfirst.map.yaml")
	m.Dates = ""
	tab, _ := ReadCSVTable(readFile(t, "dayfirst.csv"))
	_, err := importTable(t, tab, m, nil)
	if err == nil || !strings.Contains(err.Error(), `line 2: column B "Incident date" → event.date:`) || !strings.Contains(err.Error(), "dmy or mdy") {
		t.Errorf("day-first date without an order: %v", err)
	}
}

func TestUwazi(t *testing.T) {
	data := readFile(t, "uwazi.csv")
	tab, err := ReadCSVTable(data)
	if err != nil {
		t.Fatal(err)
	}
	m, err := UwaziMapping(tab)
	if err != nil {
		t.Fatal(err)
	}
	p, err := importTable(t, tab, m, data)
	if err != nil {
		t.Fatal(err)
	}
	got := render(t, p)
	golden(t, "uwazi.golden", got)
	// a geolocation without a place name still makes a place
	gtab, err := ReadCSVTable([]byte("title,geolocation\nSynthetic,41.5|129.1\n"))
	if err != nil {
		t.Fatal(err)
	}
	gm, err := UwaziMapping(gtab)
	if err != nil {
		t.Fatal(err)
	}
	if gp, err := importTable(t, gtab, gm, nil); err != nil || len(gp.Bodies) != 2 {
		t.Errorf("geolocation only: %v", err)
	}
	for _, s := range []string{`"lat":41.39`, `"lon":128.18`, `"from":"1998-01-01","to":"1998-12-31"`, `detention.execution.public`} {
		if !strings.Contains(got, s) {
			t.Errorf("uwazi import lacks %s", s)
		}
	}
}

// TestErrorsHaveLineAndColumn checks that a wrong cell is reported with
// its line (a multi-line cell's own line) and column, and nothing else
// is made.
func TestErrorsHaveLineAndColumn(t *testing.T) {
	data := bytes.Replace(readFile(t, "korean.csv"), []byte("1999년 5월"), []byte("1999년 13월"), 1)
	data = bytes.Replace(data, []byte("강제북송"), []byte("강제노동?"), 1)
	data = bytes.Replace(data, []byte("\n2,W-102"), []byte("\n1,W-102"), 1)
	tab, err := ReadCSVTable(data)
	if err != nil {
		t.Fatal(err)
	}
	_, err = importTable(t, tab, mustMapping(t, "korean.map.yaml"), data)
	var es Errors
	if !errors.As(err, &es) || !errors.Is(err, evidence.ErrInvalid) {
		t.Fatalf("want Errors, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{
		`line 3: column A "번호": row id "1" is also on line 2`,
		`line 5: column D "일시" → event.date: `,
		`month 13 is not 1 to 12`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("errors lack %q:\n%s", want, msg)
		}
	}
	// a vocabulary problem is found by Build, still at its cell
	data = bytes.Replace(readFile(t, "korean.csv"), []byte("강제북송"), []byte("강제노동?"), 1)
	tab, _ = ReadCSVTable(data)
	_, err = importTable(t, tab, mustMapping(t, "korean.map.yaml"), data)
	if err == nil || !strings.Contains(err.Error(), `line 5: column F "유형" → event.violations: "강제노동?" is not a code or label`) {
		t.Errorf("vocabulary error: %v", err)
	}
}

func TestMappingRefused(t *testing.T) {
	for _, c := range []struct{ mapping, want string }{
		{`version: 2`, "want version: 1"},
		{"version: 1\nrecords: [{kind: nope, fields: {a: b}}]", `"nope" is not a kind`},
		{"version: 1\nrecords: [{kind: event, fields: {titel: 제목}}]", "a event has no such field"},
		{"version: 1\nrecords: [{kind: act, fields: {event: \"@e\", violation: 유형}}]", "@e: no record of the mapping has that name"},
		{"version: 1\nrecords: [{kind: event, name: e, fields: {title: 제목}}, {kind: act, fields: {victim: \"@e\", violation: 유형}}]", "@e is an event"},
		{"version: 1\nrecords: [{kind: event, colour: red, fields: {title: 제목}}]", `unknown key "colour"`},
		{"version: 1\nrecords: [{kind: event, fields: {title: {column: a, value: b}}}]", "exactly one of"},
		{"version: 1\ndates: ymd\nrecords: [{kind: event, fields: {title: 제목}}]", "want dmy or mdy"},
		{"version: 1\nbogus: 1\n", "bogus"},
		{"version: 1\nrecords: [{kind: event, fields: {title: 제목, title: 내용}}]", "already defined"},
	} {
		_, err := ParseMapping([]byte(c.mapping))
		if !errors.Is(err, evidence.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.mapping, err, c.want)
		}
	}
	// a column the file does not have
	m, err := ParseMapping([]byte("version: 1\nrecords: [{kind: event, fields: {title: 제목}}]"))
	if err != nil {
		t.Fatal(err)
	}
	tab, _ := ReadCSVTable(readFile(t, "korean.csv"))
	if _, err := m.Apply(tab, "x"); err == nil || !strings.Contains(err.Error(), `column "제목" is not in the file`) {
		t.Errorf("missing column: %v", err)
	}
	m, _ = ParseMapping([]byte("version: 1\nrecords: [{kind: event, fields: {title: 내용}}]\nvalues: {구분: {a: b}}"))
	if _, err := m.Apply(tab, "x"); err == nil || !strings.Contains(err.Error(), `values: column "구분" is not in the file`) {
		t.Errorf("values of a missing column: %v", err)
	}
	// blank rows above the header are skipped
	if tab, err := ReadCSVTable([]byte(",,\n\n번호,증언자\n1,W-1\n")); err != nil || tab.Header[1] != "증언자" || tab.HeaderLine != 3 || tab.Rows[0].Line != 4 {
		t.Errorf("blank rows above the header: %+v %v", tab, err)
	}
}

// TestIDsResume checks what resumption rests on: the same file gives the
// same IDs, and with source and row_id a longer export of the same sheet
// gives its old rows the old IDs.
func TestIDsResume(t *testing.T) {
	data := readFile(t, "korean.csv")
	p1, _ := csvPlan(t, data, "", "korean.map.yaml")
	p2, _ := csvPlan(t, data, "", "korean.map.yaml")
	if fmt.Sprint(p1.IDs) != fmt.Sprint(p2.IDs) {
		t.Fatal("the same file gave different IDs")
	}
	longer := append(bytes.TrimRight(data, ",\n"), []byte("\n4,W-103,2024.4.1,2000년,무산,공개처형,박가명,남,추가된 행,다\n")...)
	p3, _ := csvPlan(t, longer, "", "korean.map.yaml")
	old := map[evidence.ID]bool{}
	for _, id := range p3.IDs {
		old[id] = true
	}
	for _, id := range p1.IDs {
		if !old[id] {
			t.Fatalf("a longer export of the same sheet gave row 1–3's record %s a new ID", id)
		}
	}
	if len(p3.IDs) <= len(p1.IDs) {
		t.Errorf("the new row made no records")
	}
}

func TestDraftMapping(t *testing.T) {
	tab, err := ReadCSVTable(readFile(t, "korean.csv"))
	if err != nil {
		t.Fatal(err)
	}
	draft := DraftMapping(tab)
	golden(t, "korean.draft.yaml", draft)
	m, err := ParseMapping([]byte(draft))
	if err != nil {
		t.Fatalf("the draft does not parse: %v\n%s", err, draft)
	}
	if _, err := m.Apply(tab, "x"); err != nil {
		t.Fatalf("the draft does not apply: %v", err)
	}
	dtab, _ := ReadCSVTable(readFile(t, "dayfirst.csv"))
	if d := DraftMapping(dtab); !strings.Contains(d, "dates: dmy") || !strings.Contains(d, `row_id: "Case no"`) {
		t.Errorf("day-first draft:\n%s", d)
	}
}

// xlsxFile builds a workbook: rows of cells, where a string is a shared
// string (or inline when it starts with "i:"), and a time.Time a date
// serial number in a date-formatted cell.
func xlsxFile(t testing.TB, rows [][]any, mutate ...func(parts map[string]string)) []byte {
	t.Helper()
	var shared []string
	var sheet strings.Builder
	sheet.WriteString(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	for r, row := range rows {
		fmt.Fprintf(&sheet, `<row r="%d">`, r+1)
		for c, v := range row {
			ref := fmt.Sprintf("%s%d", ColumnName(c), r+1)
			var buf bytes.Buffer
			switch v := v.(type) {
			case nil:
			case string:
				if s, ok := strings.CutPrefix(v, "i:"); ok {
					xmlEscape(&buf, s)
					fmt.Fprintf(&sheet, `<c r="%s" t="inlineStr"><is><t>%s</t></is></c>`, ref, buf.String())
				} else {
					fmt.Fprintf(&sheet, `<c r="%s" t="s"><v>%d</v></c>`, ref, len(shared))
					shared = append(shared, v)
				}
			case int:
				fmt.Fprintf(&sheet, `<c r="%s"><v>%d</v></c>`, ref, v)
			case time.Time:
				serial := v.Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours() / 24
				fmt.Fprintf(&sheet, `<c r="%s" s="1"><v>%v</v></c>`, ref, serial)
			}
		}
		sheet.WriteString(`</row>`)
	}
	sheet.WriteString(`</sheetData></worksheet>`)
	var sst strings.Builder
	sst.WriteString(`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	for _, s := range shared {
		var buf bytes.Buffer
		xmlEscape(&buf, s)
		// a rich-text run split in two, with a phonetic guide that is not text
		h := len(buf.String()) / 2
		for h > 0 && !utf8Start(buf.Bytes()[h]) {
			h--
		}
		fmt.Fprintf(&sst, `<si><r><t xml:space="preserve">%s</t></r><r><t>%s</t></r><rPh><t>ㄱ</t></rPh></si>`, buf.String()[:h], buf.String()[h:])
	}
	sst.WriteString(`</sst>`)
	parts := map[string]string{
		"[Content_Types].xml": `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
		"xl/workbook.xml": `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
			`<sheets><sheet name="조사" sheetId="1" r:id="rId7"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/data.xml"/></Relationships>`,
		"xl/styles.xml": `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy&quot;년&quot; m&quot;월&quot; d&quot;일&quot;"/></numFmts>` +
			`<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164"/></cellXfs></styleSheet>`,
		"xl/sharedStrings.xml":   sst.String(),
		"xl/worksheets/data.xml": sheet.String(),
	}
	for _, f := range mutate {
		f(parts)
	}
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	for _, name := range []string{"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml", "xl/sharedStrings.xml", "xl/worksheets/data.xml"} {
		if _, ok := parts[name]; !ok {
			continue
		}
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(parts[name]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return zb.Bytes()
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

func xmlEscape(b *bytes.Buffer, s string) {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	b.WriteString(r.Replace(s))
}

// koreanRows is testdata/korean.csv as spreadsheet cells, dates as dates.
func koreanRows() [][]any {
	d := func(y, m, day int) time.Time { return time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC) }
	return [][]any{
		{"번호", "증언자", "면담일", "일시", "장소", "유형", "피해자", "성별", "내용", "담당"},
		{1, "W-101", d(2024, 3, 2), d(1997, 3, 14), "혜산", "공개처형", "김가명", "남", "혜산 장마당에서 공개처형이 있었다고 증언", "가"},
		{2, "W-102", d(2024, 3, 5), "1998년경", "온성", "i:고문", "최가명", "여", "보위부 조사 중 구타, \n여러 날 계속", "나"},
		{3, "i:W-101", "2024.3.2", "1999년 5월", "혜산", "강제북송", "이가명", "여", "중국에서 강제송환", "가"},
	}
}

func TestXLSX(t *testing.T) {
	data := xlsxFile(t, koreanRows())
	tab, err := ReadXLSX(data)
	if err != nil {
		t.Fatal(err)
	}
	p, err := importTable(t, tab, mustMapping(t, "korean.map.yaml"), data)
	if err != nil {
		t.Fatal(err)
	}
	// the same records as the CSV
	golden(t, "korean.golden", render(t, p))
	// the CLI's tests import this workbook from testdata
	if *update {
		os.WriteFile(filepath.Join("testdata", "korean.xlsx"), data, 0o644)
	} else if !bytes.Equal(readFile(t, "korean.xlsx"), data) {
		t.Error("testdata/korean.xlsx is not what the test builds (run go test -update)")
	}
	if tab.Rows[2].Line != 4 || tab.Rows[0].Cell(3) != "1997-03-14" {
		t.Errorf("rows: %+v", tab.Rows)
	}
	// a boolean, an ISO date cell and a formula's cached text
	data = xlsxFile(t, [][]any{{"a", "b", "c"}, {"x"}}, func(p map[string]string) {
		p["xl/worksheets/data.xml"] = strings.Replace(p["xl/worksheets/data.xml"], `</row></sheetData>`,
			`<c r="B2" t="b"><v>1</v></c><c r="C2" t="d"><v>1997-03-14T00:00:00</v></c></row><row r="3"><c r="A3" t="str"><f>A2</f><v>x</v></c></row></sheetData>`, 1)
	})
	if tab, err = ReadXLSX(data); err != nil || strings.Join(tab.Rows[0].Cells, ",") != "x,true,1997-03-14" || tab.Rows[1].Cell(0) != "x" {
		t.Errorf("cell types: %+v %v", tab, err)
	}
}

func TestXLSXRefused(t *testing.T) {
	good := xlsxFile(t, koreanRows())
	bomb := func() []byte { // a sheet that inflates past the limit
		var zb bytes.Buffer
		zw := zip.NewWriter(&zb)
		w, _ := zw.Create("xl/workbook.xml")
		w.Write([]byte(`<workbook><sheets><sheet/></sheets></workbook>`))
		w, _ = zw.Create("xl/worksheets/sheet1.xml")
		chunk := bytes.Repeat([]byte("<row>"), 1<<16)
		for range (MaxXLSXPart / len(chunk)) + 2 {
			w.Write(chunk)
		}
		zw.Close()
		return zb.Bytes()
	}()
	if len(bomb) > 1<<20 {
		t.Fatalf("the bomb is %d bytes compressed", len(bomb))
	}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"not zip", []byte("번호,증언자\n"), "not a zip"},
		{"truncated", good[:len(good)/2], "not a zip"},
		{"bomb", bomb, "larger than"},
		{"bad shared string", xlsxFile(t, koreanRows(), func(p map[string]string) {
			p["xl/worksheets/data.xml"] = strings.Replace(p["xl/worksheets/data.xml"], `t="s"><v>0<`, `t="s"><v>999<`, 1)
		}), `line 1: column A: shared string "999" does not exist`},
		{"cell out of its row", xlsxFile(t, koreanRows(), func(p map[string]string) {
			p["xl/worksheets/data.xml"] = strings.Replace(p["xl/worksheets/data.xml"], `r="B2"`, `r="B9"`, 1)
		}), "not in row 2"},
		{"bad xml", xlsxFile(t, koreanRows(), func(p map[string]string) {
			p["xl/worksheets/data.xml"] = strings.Replace(p["xl/worksheets/data.xml"], `</sheetData>`, ``, 1)
		}), "XLSX sheet"},
		{"no workbook", xlsxFile(t, koreanRows(), func(p map[string]string) { delete(p, "xl/workbook.xml") }), "no xl/workbook.xml"},
	} {
		_, err := ReadXLSX(c.data)
		if !errors.Is(err, evidence.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

func TestSerialDates(t *testing.T) {
	x := &xlsx{}
	for serial, want := range map[float64]string{1: "1900-01-01", 59: "1900-02-28", 61: "1900-03-01", 35503: "1997-03-14", 35503.75: "1997-03-14"} {
		if got, err := x.serialDate(serial); err != nil || got != want {
			t.Errorf("%v: %q %v, want %s", serial, got, err, want)
		}
	}
	x.date1904 = true
	if got, _ := x.serialDate(0 + 34041); got != "1997-03-14" {
		t.Errorf("1904 system: %s", got)
	}
	if !isDateFormat(`yyyy"년" m"월"`) || isDateFormat(`0.00"days"`) || isDateFormat(`[Red]#,##0`) {
		t.Error("isDateFormat")
	}
}

func TestWriteUwaziNeutralizes(t *testing.T) {
	var b bytes.Buffer
	row := []string{"=HYPERLINK(\"x\")", "1997/03/14", "+1", "-2", "@SUM(A1)", "plain", "41.39|128.18", "id"}
	if err := WriteUwazi(&b, [][]string{row}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if lines[1] != `"'=HYPERLINK(""x"")",1997/03/14,'+1,'-2,'@SUM(A1),plain,41.39|128.18,id` {
		t.Errorf("row: %s", lines[1])
	}
}
