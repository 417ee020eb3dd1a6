package archive

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/publish"
)

// The publication fixture: a small synthetic archive whose every record
// has a fixed ID, so that publication is golden (testdata/publish/).
// Invented people and places only.

// Transcript of testimony 1: the protected person 박철민 written four
// ways (Hangul and three romanizations), the victim 리영순 (not protected,
// but a victim under anonymized consent), the perpetrator Kim Song-chol
// (keeps his name), a village to redact and a span whose redaction is
// withdrawn.
const (
	pubTr1 = "질문: 누가 잡혀갔습니까?\n답변: 박철민 씨와 리영순 씨가 1997년 봄에 잡혀갔습니다. 보위원 Kim Song-chol 이 데려갔습니다.\n" +
		"통역 메모: Pak Chol-min (also written Bak Cheol-min, and PARK CHUL-MIN in the refugee file).\n" +
		"답변: 우리는 무산군 삼봉리 3반에 살았습니다. 그날은 비가 왔습니다.\n"
	pubTr1En = "Q: Who was taken?\nA: Pak Chol-min and Ri Yong-sun were taken in the spring of 1997 by Kim Song-chol of the county security office.\n"
	pubTr2   = "질문: 재판 기록용 진술입니다. 한명순 씨가 목격했습니다.\n"
	pubTr6   = "질문: 이 진술은 글로 공개하지 않습니다. Pak Chol-min.\n"
	pubVill  = "삼봉리 3반"      // redacted by an active redaction
	pubRain  = "그날은 비가 왔습니다" // its redaction is withdrawn: published
)

// protectedNames are every written form of a name that must never be
// published (the three romanizations, case as written, included).
var protectedNames = []string{"박철민", "Pak Chol-min", "Bak Cheol-min", "PARK CHUL-MIN", "리영순", "Ri Yong-sun", "최은희", "Choe Un-hui", "한명순"}

type pubFixture struct {
	a     *Archive
	names map[string]string // ID → fixture name, for goldens
	ids   map[string]evidence.ID
}

// fid is a fixed record ID.
func fid(n byte) evidence.ID {
	var id evidence.ID
	for i := range id {
		id[i] = n
	}
	return id
}

func newPubFixture(t *testing.T) *pubFixture {
	t.Helper()
	ctx := context.Background()
	a := newArchive(t)
	f := &pubFixture{a: a, names: map[string]string{}, ids: map[string]evidence.ID{}}
	src := t.TempDir()
	item := func(name, kind, lang string, data []byte) evidence.ID {
		p := filepath.Join(src, name)
		writeFile(t, p, data)
		id := addAll(t, a, []string{p}, AddOptions{Kind: kind, Lang: lang})[0].ID
		f.names[id.String()] = "<" + name + ">"
		f.ids[name] = id
		return id
	}
	tr1 := item("tr1.ko.txt", "transcript", "ko", []byte(pubTr1))
	tr1en := item("tr1.en.txt", "transcript", "en", []byte(pubTr1En))
	tr2 := item("tr2.ko.txt", "transcript", "ko", []byte(pubTr2))
	tr6 := item("tr6.ko.txt", "transcript", "ko", []byte(pubTr6))
	audio := item("t5.ogg", "audio", "ko", randBytes(5, 600))

	type rec struct {
		name string
		body model.Body
	}
	id := func(name string) evidence.ID { return f.ids[name] }
	p := func(name string) *evidence.ID { x := id(name); return &x }
	var n byte
	var recs []rec
	add := func(name string, b model.Body) {
		n++
		f.ids[name] = fid(n)
		f.names[fid(n).String()] = "<" + name + ">"
		recs = append(recs, rec{name, b})
	}
	date := func(s string) model.Date {
		d, err := model.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	lat, lon := 42.2, 129.3
	add("T1", &model.Testimony{Title: "Arrests in Musan, told by a neighbour of 박철민", Witness: "W-1", Date: date("2024-03-02"), Place: "Seoul", Languages: []string{"ko", "en"}, Original: p("tr1.ko.txt"), Translations: []evidence.ID{id("tr1.en.txt")}})
	add("T2", &model.Testimony{Title: "Court statement", Witness: "W-2", Date: date("2024-04"), Original: p("tr2.ko.txt")})
	add("T3", &model.Testimony{Title: "Unconsented interview", Witness: "W-3", Date: date("2024-05")})
	add("T4", &model.Testimony{Title: "Withdrawn interview", Witness: "W-4", Date: date("2024-06")})
	add("T5", &model.Testimony{Title: "Named interview", Witness: "W-5", Date: date("2024-07-09"), Place: "hyesan", Original: p("t5.ogg")})
	add("T6", &model.Testimony{Title: "No-text interview", Witness: "W-6", Date: date("2024-08"), Original: p("tr6.ko.txt")})
	add("C1", &model.Consent{Testimony: id("T1"), Scope: ScopeAnonymized, Given: date("2024-03-02")})
	add("C2", &model.Consent{Testimony: id("T2"), Scope: ScopeCourt, Given: date("2024-04")})
	add("C4", &model.Consent{Testimony: id("T4"), Scope: ScopeAnonymized, Given: date("2024-06")})
	add("C5", &model.Consent{Testimony: id("T5"), Scope: ScopeNamed, PlacePrecision: "county", DatePrecision: "month", Given: date("2024-07")})
	add("C6", &model.Consent{Testimony: id("T6"), Scope: ScopeAnonymized, NoText: true, Given: date("2024-08")})
	add("P1", &model.Person{Names: []string{"박철민", "Pak Chol-min", "Bak Cheol-min", "Park Chul-min"}, Sex: "m", BirthYear: 1961, Protected: true, Pseudonym: "P-3"})
	add("P2", &model.Person{Names: []string{"리영순", "Ri Yong-sun"}, Sex: "f", BirthYear: 1965})
	add("P3", &model.Person{Names: []string{"Kim Song-chol", "김성철"}, Unit: "Musan county security office"})
	add("P4", &model.Person{Names: []string{"Ro Chang-su"}, Sex: "m"})
	add("P5", &model.Person{Names: []string{"최은희", "Choe Un-hui"}, Protected: true})
	add("P6", &model.Person{Names: []string{"한명순"}, Protected: true})
	add("PL1", &model.Place{Names: []string{"Sambong-ri, 3rd unit"}, Type: "ri_dong", Parent: "musan", Lat: &lat, Lon: &lon})
	add("E1", &model.Event{Title: "Arrest of Pak Chol-min and a neighbour", Description: "박철민 and 리영순 were taken to Yodok.", Date: date("1997-03-14"), Places: []string{"camp.kwanliso_15", id("PL1").String()}, Violations: []string{"detention.arbitrary_arrest"}})
	add("E2", &model.Event{Title: "Told in court only", Date: date("1998")})
	add("E3", &model.Event{Title: "Told by T1 and by T2", Date: date("1999")})
	add("E4", &model.Event{Title: "Detention in Hyesan", Date: date("1998-09-14..1998-10-02"), Places: []string{id("PL1").String(), "hyesan"}, Violations: []string{"detention.inhumane_conditions"}})
	add("E5", &model.Event{Title: "Told by a withdrawn witness", Date: date("2000")})
	add("A1", &model.Act{Event: id("E1"), Victim: p("P1"), Violation: "detention.arbitrary_arrest", Date: date("1997-03-14"), Place: "yodok"})
	add("A2", &model.Act{Event: id("E1"), Victim: p("P2"), Violation: "detention.arbitrary_arrest", Date: date("~1997..1999"), Place: "tumen", StatusAtEnd: "released"})
	add("A3", &model.Act{Event: id("E4"), Victim: p("P4"), Violation: "detention.inhumane_conditions", Date: date("1998-09-14"), Place: id("PL1").String()})
	add("A4", &model.Act{Event: id("E4"), Victim: p("P5"), Violation: "detention.inhumane_conditions", Date: date("1998-09"), Place: "a house by the river"})
	add("A5", &model.Act{Event: id("E3"), Victim: p("P2"), Violation: "detention.torture.interrogation"})
	add("I1", &model.Involvement{Act: id("A1"), Perpetrator: id("P3"), Degree: "violent.direct"})
	add("I2", &model.Involvement{Act: id("A3"), Perpetrator: id("P3"), Degree: "violent.ordered"})
	add("F1", &model.Information{Source: id("T1"), Event: id("E1"), Connection: "direct.witness", Reliability: "B", Credibility: "2"})
	add("F2", &model.Information{Source: id("T1"), Event: id("E3"), Connection: "hearsay"})
	add("F3", &model.Information{Source: id("T2"), Event: id("E2"), Connection: "direct.witness"})
	add("F4", &model.Information{Source: id("T2"), Event: id("E3"), Connection: "direct.witness"})
	add("F5", &model.Information{Source: id("T5"), Event: id("E4"), Connection: "direct.victim"})
	add("F6", &model.Information{Source: id("T4"), Event: id("E5"), Connection: "direct.victim"})
	add("F7", &model.Information{Source: id("T6"), Event: id("E1"), Connection: "indirect"})
	var bodies []model.Body
	var ids []evidence.ID
	for _, r := range recs {
		bodies = append(bodies, r.body)
		ids = append(ids, f.ids[r.name])
	}
	if _, err := a.AddRecords(ctx, bodies, ids); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"W-1", "W-4"} {
		if _, err := a.AddWitness(ctx, Witness{Pseudonym: w, Names: []string{"Yun Ga-ram " + w}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.WithdrawWitness(ctx, "W-4"); err != nil {
		t.Fatal(err)
	}
	span := func(text, part string) (int, int) {
		i := strings.Index(text, part)
		if i < 0 {
			t.Fatalf("%q not in the transcript", part)
		}
		return i, i + len(part)
	}
	s, e := span(pubTr1, pubVill)
	r1, err := a.AddRedaction(ctx, tr1.String(), s, e, "names the witness's village")
	if err != nil {
		t.Fatal(err)
	}
	f.names[r1.ID.String()] = "<R1>"
	s, e = span(pubTr1, pubRain)
	r2, err := a.AddRedaction(ctx, tr1.String(), s, e, "marked by mistake")
	if err != nil {
		t.Fatal(err)
	}
	f.names[r2.ID.String()] = "<R2>"
	if _, err := a.WithdrawRedaction(ctx, r2.ID.String()[:10]); err != nil {
		t.Fatal(err)
	}
	_ = []evidence.ID{tr1en, tr2, tr6, audio}
	return f
}

// name replaces every archive ID in s with its fixture name.
func (f *pubFixture) name(s string) string {
	for id, n := range f.names {
		s = strings.ReplaceAll(s, id, n)
	}
	return s
}

// TestPublishGolden publishes the fixture in every format and compares
// every file and the report with testdata/publish (go test -run
// TestPublishGolden -update rewrites them).
func TestPublishGolden(t *testing.T) {
	f := newPubFixture(t)
	ctx := context.Background()
	before := treeSize(t, f.a)
	formats := []string{publish.FormatJSON, publish.FormatCSV, publish.FormatGeoJSON}
	p, err := f.a.Publish(ctx, formats)
	if err != nil {
		t.Fatal(err)
	}
	if treeSize(t, f.a) != before {
		t.Error("Publish changed the custody log")
	}
	files, manifest := publish.Render(p.Dataset, formats)
	if !slices.EqualFunc(files, p.Files, func(a, b publish.File) bool { return a.Name == b.Name && bytes.Equal(a.Data, b.Data) }) || !bytes.Equal(manifest, p.Manifest) || evidence.Sum(manifest) != p.Digest {
		t.Error("Publish's files are not its dataset rendered")
	}
	// The publication ID is random: the goldens hold it as PUBLICATION.
	ds := *p.Dataset
	ds.Publication = "PUBLICATION"
	files, _ = publish.Render(&ds, formats)
	rep, _ := json.MarshalIndent(p.Report, "", "  ")
	files = append(files, publish.File{Name: "report.json", Data: []byte(f.name(string(rep)) + "\n")})
	dir := filepath.Join("testdata", "publish")
	if *update {
		os.RemoveAll(dir)
		os.MkdirAll(dir, 0o755)
	}
	for _, file := range files {
		path := filepath.Join(dir, file.Name)
		if *update {
			if err := os.WriteFile(path, file.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test -run TestPublishGolden -update writes it)", err)
		}
		if !bytes.Equal(file.Data, want) {
			t.Errorf("%s differs from the golden file (-update rewrites it); got:\n%s", file.Name, file.Data)
		}
	}
	if !*update {
		got, _ := os.ReadDir(dir)
		if len(got) != len(files) {
			t.Errorf("testdata/publish holds %d files, the publication %d", len(got), len(files))
		}
	}
}

// TestPublishRules checks the rules one by one on the fixture, apart from
// the goldens, so that a golden rewritten with a mistake in it still fails.
func TestPublishRules(t *testing.T) {
	f := newPubFixture(t)
	p, err := f.a.Publish(context.Background(), []string{publish.FormatJSON})
	if err != nil {
		t.Fatal(err)
	}
	d := p.Dataset
	var witnesses []string
	for _, x := range d.Testimonies {
		witnesses = append(witnesses, x.Witness)
	}
	// Consent: anonymized and named only; not court (T2), not without
	// consent (T3), not a withdrawn witness (T4).
	if !slices.Equal(witnesses, []string{"W-1", "W-5", "W-6"}) {
		t.Errorf("published testimonies of %v, want W-1, W-5, W-6", witnesses)
	}
	excluded := map[string]string{}
	for _, x := range p.Report.Excluded {
		excluded[f.name(x.ID)] = x.Reason
	}
	for _, name := range []string{"<T2>", "<T3>", "<T4>", "<E3>", "<t5.ogg>", "<tr6.ko.txt>"} {
		if excluded[name] == "" {
			t.Errorf("%s is not listed as excluded: %v", name, excluded)
		}
	}
	var titles []string
	for _, e := range d.Events {
		titles = append(titles, e.Title)
	}
	// E2 (court only), E3 (also told in court) and E5 (withdrawn) are out.
	if !slices.Equal(titles, []string{"Arrest of [P-3] and a neighbour", "Detention in Hyesan"}) {
		t.Errorf("events %q", titles)
	}
	e1, e4 := d.Events[0], d.Events[1]
	// Dates: year by default; month under T5's consent.
	if e1.Date != "1997" || e4.Date != "1998-09..1998-10" {
		t.Errorf("event dates %q, %q", e1.Date, e4.Date)
	}
	// Places: the camp and the village to their province by default; to
	// the county (Musan, with the gazetteer's own point) under T5.
	if !slices.Equal(e1.Places, []string{"south_hamgyong", "north_hamgyong"}) || !slices.Equal(e4.Places, []string{"musan", "hyesan"}) {
		t.Errorf("event places %v, %v", e1.Places, e4.Places)
	}
	places := map[string]publish.Place{}
	for _, pl := range d.Places {
		places[pl.ID] = pl
	}
	if pl := places["musan"]; pl.Lat == nil || *pl.Lat == 42.2 || pl.Level != "county" {
		t.Errorf("musan: %+v (the county's own point, not the village's)", pl)
	}
	if pl := places["north_hamgyong"]; pl.Lat != nil {
		t.Errorf("north_hamgyong has coordinates the gazetteer does not give: %+v", pl)
	}
	// Persons: P-3 by pseudonym, the victim under anonymized consent as
	// Person N, the perpetrator by name, a named victim by name, a
	// protected victim under named consent as Person N.
	var persons []string
	for _, x := range d.Persons {
		persons = append(persons, x.Name)
		if x.Protected && (x.Names != nil || x.Sex != "" || x.BirthYear != 0 || x.Unit != "") {
			t.Errorf("protected person %s publishes identifying fields: %+v", x.ID, x)
		}
	}
	if !slices.Equal(persons, []string{"P-3", "Person 1", "Kim Song-chol", "Ro Chang-su", "Person 2"}) {
		t.Errorf("persons %q", persons)
	}
	// Transcripts: T1's original and translation (not T2's, not T6's
	// under no_text, never T5's audio).
	if len(d.Transcripts) != 2 {
		t.Fatalf("%d transcripts", len(d.Transcripts))
	}
	ko := d.Transcripts[0].Text
	for _, want := range []string{"[P-3] 씨와 [Person 1] 씨가", "Kim Song-chol", "[P-3] (also written [P-3], and [P-3] in", "우리는 함경북도 [redacted]에", pubRain} {
		if !strings.Contains(ko, want) {
			t.Errorf("transcript lacks %q:\n%s", want, ko)
		}
	}
	if d.Transcripts[0].Redactions != 7 {
		t.Errorf("%d redactions in the transcript, want 7 (4 names of P-3, 1 of the victim, the village, the county coarsened to its province)", d.Transcripts[0].Redactions)
	}
	// Every redaction is listed, with its reason or label; the withdrawn
	// one is not.
	var reasons []string
	for _, r := range p.Report.Redactions {
		if r.Source == "redaction" {
			reasons = append(reasons, r.Reason)
		}
	}
	if !slices.Equal(reasons, []string{"names the witness's village"}) {
		t.Errorf("redaction records applied: %q", reasons)
	}
	// The item is unchanged.
	if got := readItem(t, f.a, f.ids["tr1.ko.txt"]); string(got) != pubTr1 {
		t.Error("publication changed the original")
	}
}

// TestPublishLeaks scans the raw bytes of every file of a publication
// written to disk, and the dry-run report, for every protected name:
// UTF-8 as written, NFC and NFD, any case. There must be none.
func TestPublishLeaks(t *testing.T) {
	f := newPubFixture(t)
	ctx := context.Background()
	p, err := f.a.Publish(ctx, []string{publish.FormatJSON, publish.FormatCSV, publish.FormatGeoJSON})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "public")
	tmp, err := publish.Stage(out, p.Files)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.a.RecordPublication(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := publish.Commit(tmp, out); err != nil {
		t.Fatal(err)
	}
	var blobs [][]byte
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(out, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		blobs = append(blobs, b)
	}
	if len(blobs) != 12 { // 8 CSV, datapackage.json, dataset.json, dataset.geojson, manifest.json
		t.Errorf("%d files written", len(blobs))
	}
	rep, _ := json.Marshal(p.Report)
	blobs = append(blobs, rep)
	for _, b := range blobs {
		low := bytes.ToLower(b)
		for _, name := range protectedNames {
			for _, form := range []string{name, norm.NFC.String(name), norm.NFD.String(name)} {
				if bytes.Contains(low, bytes.ToLower([]byte(form))) {
					t.Errorf("a published file holds a protected name (%d bytes, form %q)", len(form), formName(form, name))
				}
			}
		}
	}
	// The scan is not vacuous: the transcripts and the perpetrator are there.
	all := bytes.Join(blobs, nil)
	for _, want := range []string{"Kim Song-chol", "[P-3] 씨와 [Person 1]", "보위원"} {
		if !bytes.Contains(all, []byte(want)) {
			t.Errorf("the publication lacks %q: the scan would pass for the wrong reason", want)
		}
	}
}

func formName(form, name string) string {
	switch {
	case form == norm.NFD.String(name) && form != name:
		return "NFD"
	case form == norm.NFC.String(name):
		return "NFC"
	}
	return "as written"
}

// TestPublishNFDTranscript: a transcript stored in NFD has its protected
// names found and replaced on character boundaries.
func TestPublishNFDTranscript(t *testing.T) {
	ctx := context.Background()
	a := newArchive(t)
	src := t.TempDir()
	path := filepath.Join(src, "nfd.txt")
	writeFile(t, path, []byte(norm.NFD.String("증언: 박철민 씨는 돌아오지 않았다.")))
	item := addAll(t, a, []string{path}, AddOptions{Kind: "transcript", Lang: "ko"})[0].ID
	ids := NewRecordIDs(3)
	_, err := a.AddRecords(ctx, []model.Body{
		&model.Testimony{Title: "NFD", Witness: "W-9", Original: &item},
		&model.Consent{Testimony: ids[0], Scope: ScopeAnonymized},
		&model.Person{Names: []string{"박철민"}, Protected: true},
	}, ids)
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Publish(ctx, []string{publish.FormatJSON})
	if err != nil {
		t.Fatal(err)
	}
	got := p.Dataset.Transcripts[0].Text
	if want := norm.NFD.String("증언: ") + "[Person 1]" + norm.NFD.String(" 씨는 돌아오지 않았다."); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestRedactBadInput: an unknown item, a span outside the item, a span
// splitting a character, audio, an empty reason, and withdrawing twice
// are refused as invalid (or not found), and change nothing.
func TestRedactBadInput(t *testing.T) {
	f := newPubFixture(t)
	ctx := context.Background()
	tr1 := f.ids["tr1.ko.txt"].String()
	hangul := strings.Index(pubTr1, "질문") + 1 // inside 질
	before := treeSize(t, f.a)
	rs, _ := f.a.Redactions(ctx, "")
	cases := []struct {
		name       string
		item       string
		start, end int
		reason     string
		want       error
	}{
		{"unknown item", evidence.NewID().String(), 0, 3, "r", evidence.ErrNotFound},
		{"a record, not an item", f.ids["E1"].String(), 0, 3, "r", evidence.ErrNotFound},
		{"beyond the end", tr1, 0, len(pubTr1) + 1, "r", evidence.ErrInvalid},
		{"start splits a syllable", tr1, hangul, hangul + 5, "r", evidence.ErrInvalid},
		{"end splits a syllable", tr1, 0, hangul, "r", evidence.ErrInvalid},
		{"empty span", tr1, 3, 3, "r", evidence.ErrInvalid},
		{"negative", tr1, -1, 3, "r", evidence.ErrInvalid},
		{"no reason", tr1, 0, 3, " ", evidence.ErrInvalid},
		{"multi-line reason", tr1, 0, 3, "a\nb", evidence.ErrInvalid},
		{"audio", f.ids["t5.ogg"].String(), 0, 3, "r", evidence.ErrInvalid},
	}
	for _, c := range cases {
		_, err := f.a.AddRedaction(ctx, c.item, c.start, c.end, c.reason)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "질") {
			t.Errorf("%s: the error quotes the text: %v", c.name, err)
		}
	}
	// Import and AddRecord go through the same check.
	id, _ := evidence.ParseID(tr1)
	if _, err := f.a.AddRecord(ctx, &model.Redaction{Item: id, Start: hangul, End: hangul + 3, Reason: "r"}); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("AddRecord with a span splitting a character: %v", err)
	}
	var withdrawn string
	for _, r := range rs {
		if r.Withdrawn {
			withdrawn = r.ID.String()
		}
	}
	if _, err := f.a.WithdrawRedaction(ctx, withdrawn); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("withdrawing twice: %v", err)
	}
	if _, err := f.a.WithdrawRedaction(ctx, f.ids["E1"].String()); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("withdrawing an event: %v", err)
	}
	if treeSize(t, f.a) != before {
		t.Error("bad input changed the custody log")
	}
	after, _ := f.a.Redactions(ctx, "")
	if fmt.Sprint(after) != fmt.Sprint(rs) {
		t.Errorf("bad input changed the redactions: %v", after)
	}
	// The good ones: listed by item, oldest first.
	mine, err := f.a.Redactions(ctx, tr1[:8])
	if err != nil || len(mine) != 2 || mine[0].Withdrawn || !mine[1].Withdrawn {
		t.Errorf("Redactions(tr1) = %+v, %v", mine, err)
	}
	none, err := f.a.Redactions(ctx, f.ids["tr2.ko.txt"].String())
	if err != nil || len(none) != 0 {
		t.Errorf("Redactions(tr2) = %+v, %v", none, err)
	}
}

// TestRecordPublication: the custody entry names the publication and
// commits to its manifest; a publication not built by Publish is refused.
func TestRecordPublication(t *testing.T) {
	f := newPubFixture(t)
	ctx := context.Background()
	p, err := f.a.Publish(ctx, []string{publish.FormatCSV})
	if err != nil {
		t.Fatal(err)
	}
	bad := *p
	bad.Manifest = append([]byte{}, p.Manifest...)
	bad.Manifest[0] ^= 1
	before := treeSize(t, f.a)
	if err := f.a.RecordPublication(ctx, &bad); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("altered manifest: %v", err)
	}
	if treeSize(t, f.a) != before {
		t.Fatal("a refused publication was logged")
	}
	if err := f.a.RecordPublication(ctx, p); err != nil {
		t.Fatal(err)
	}
	var got []LogEntry
	f.a.Log(ctx, p.ID, func(e LogEntry) error { got = append(got, e); return nil })
	if len(got) != 1 || got[0].Kind != "publish" || got[0].Digest != p.Digest {
		t.Errorf("custody entries of the publication: %+v", got)
	}
}
