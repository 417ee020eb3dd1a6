package archive

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"sori/bench/searchbench/brute"
	"sori/internal/gen"
	"sori/internal/hangul"
	"sori/internal/testenv"
	"sori/internal/vocab"
)

// The golden search test adds a fixed generated corpus (internal/gen) to an
// archive, runs a fixed list of queries through Search, and checks the
// documents found three ways: against testdata/search-golden.txt (refresh
// with `go test ./internal/archive -run Golden -update`), against a
// brute-force scan of the corpus (bench/searchbench/brute, written from the
// documented meaning of a query, not from the tokenizer, applied to each
// line, with a query's terms required within one of the passages that
// sori indexes), and for equal
// results within groups of queries that must mean the same (North/South
// spellings, case and diacritics, a person's Hangul and romanized names,
// hyphen and space variants).

// updateGolden is the package's -update flag (roles_test.go): it also rewrites
// testdata/search-golden.txt.
var updateGolden = update

const (
	goldenSeed       = 20261124
	goldenParagraphs = 2000
	goldenPerFile    = 10 // small documents, so that document-level results still discriminate
	goldenPath       = "testdata/search-golden.txt"
)

// handWritten documents of one paragraph each are added to the generated
// corpus for cases it lacks or where a document of one paragraph makes a
// miss visible: syllables inside words, a spelling joined or hyphenated,
// capitals with a breve, a possessive.
var handWritten = map[string]string{
	"ko/x01.txt": "그는 관리소에서 3년을 보냈다.",
	"ko/x02.txt": "조선로동당 간부였던 리란길은 1997년에 탈출했다.",
	"ko/x03.txt": "이란길 씨는 요덕에서 풀려났다.",
	"en/x04.txt": "Lee Ran-gil was released from Yodok in 1998.",
	"en/x05.txt": "Ri Ran Gil later testified about the camp.",
	"en/x06.txt": "A witness named Lee Rangil described the holding centre.",
	"en/x07.txt": "LEE RAN-GIL's account was confirmed by two others.",
	"ko/x08.txt": "김숙옥 씨는 1998년 혜산에서 붙잡혔다.",
	"en/x09.txt": "Kim Suk-ok was caught in Hyesan in 1998.",
	"en/x10.txt": "Kim Sug-ok was questioned twice.",
	"ko/x11.txt": "류호석 씨는 1999년 무산에서 붙잡혔다.",
	"en/x12.txt": "Ryu Ho-seok was caught in Musan in 1999.",
	"en/x13.txt": "The train reached CHŎNGJIN at dawn.",
}

// handPeople are the persons of handWritten, as people.tsv rows.
const handPeople = "이란길\t리란길\tLee Ran-gil\tRi Ran Gil\tLee Rangil\tYi Ran-gil\n" +
	"김숙옥\t\tKim Suk-ok\tKim Sug-ok\n" +
	"류호석\t\tRyu Ho-seok\n"

type searchFixture struct {
	a      *Archive
	paras  []brute.Paragraph // the reference's unit: one line
	people []brute.Person
	// partOf maps a document's lines (paragraph numbers from 1) to the
	// index part that holds them: Add gathers consecutive lines into
	// passages (paragraphs in search.go).
	partOf map[string][]int
}

func newSearchFixture(t testing.TB) *searchFixture {
	t.Helper()
	return newSearchFixtureOn(t, Options{WorkFactor: 10})
}

// newSearchFixtureOn is newSearchFixture on the backends opt names.
func newSearchFixtureOn(t testing.TB, opt Options) *searchFixture {
	t.Helper()
	ctx := context.Background()
	a, err := Init(ctx, filepath.Join(t.TempDir(), "archive"), "u", testPass, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	dir := filepath.Join(t.TempDir(), "corpus")
	if _, err := gen.Write(dir, gen.Options{Paragraphs: goldenParagraphs, Seed: goldenSeed, PerFile: goldenPerFile}); err != nil {
		t.Fatal(err)
	}
	for name, text := range handWritten {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pf, err := os.OpenFile(filepath.Join(dir, "people.tsv"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = pf.WriteString(handPeople)
	if err := errors.Join(err, pf.Close()); err != nil {
		t.Fatal(err)
	}
	err = a.Add(ctx, []string{filepath.Join(dir, "ko"), filepath.Join(dir, "en")}, AddOptions{}, func(r Added) error { return r.Err })
	if err != nil {
		t.Fatal(err)
	}
	f := &searchFixture{a: a, partOf: map[string][]int{}}
	if f.paras, err = brute.Load(dir); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var lines []int
		for i, part := range paragraphs(string(b)) {
			for range strings.Count(part, "\n") + 1 {
				lines = append(lines, i+1)
			}
		}
		f.partOf[filepath.Base(name)] = lines
	}
	for _, p := range f.paras {
		if p.Part > len(f.partOf[p.Doc]) {
			t.Fatalf("%s has more lines than its index parts hold", p.Doc)
		}
	}
	if f.people, err = brute.ReadPeople(filepath.Join(dir, "people.tsv")); err != nil {
		t.Fatal(err)
	}
	return f
}

// outcome is what one query found, and what the reference expects.
type outcome struct {
	query, expr     string
	docs            []string        // found, sorted
	parts           map[string]int  // best part per document found
	want            []string        // expected documents, sorted
	wantParts       map[string]bool // "doc:part" of every expected paragraph
	missed, extra   []string
	scoresAscending bool
}

func (f *searchFixture) run(t *testing.T, q string) outcome {
	t.Helper()
	hits, err := f.a.Search(context.Background(), q, SearchOptions{Limit: 10000})
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	o := outcome{query: q, expr: hangul.MatchExprPlaces(q, vocab.PlaceSpellings), parts: map[string]int{}, wantParts: map[string]bool{}, scoresAscending: true}
	for i, h := range hits {
		doc, _, _ := strings.Cut(h.Title, "\n")
		o.docs = append(o.docs, doc)
		o.parts[doc] = h.Part
		if i > 0 && h.Score < hits[i-1].Score {
			o.scoresAscending = false
		}
	}
	slices.Sort(o.docs)
	// A part matches when each of the query's terms matches one of its
	// lines (sori ANDs terms within a part).
	bq := brute.Compile(q, f.people)
	terms := bq.Terms()
	found := map[string]int{} // "doc:part" → terms matched
	for _, term := range terms {
		seen := map[string]bool{}
		for _, i := range brute.Scan(&term, f.paras) {
			p := f.paras[i]
			k := fmt.Sprintf("%s:%d", p.Doc, f.partOf[p.Doc][p.Part-1])
			if !seen[k] {
				seen[k] = true
				found[k]++
			}
		}
	}
	for k, n := range found {
		if n == len(terms) {
			o.wantParts[k] = true
			doc, _, _ := strings.Cut(k, ":")
			o.want = append(o.want, doc)
		}
	}
	slices.Sort(o.want)
	o.want = slices.Compact(o.want)
	o.missed, o.extra = difference(o.want, o.docs), difference(o.docs, o.want)
	return o
}

// difference returns the elements of a (sorted) not in b (sorted).
func difference(a, b []string) []string {
	var out []string
	for _, x := range a {
		if _, ok := slices.BinarySearch(b, x); !ok {
			out = append(out, x)
		}
	}
	return out
}

// occursInBoth reports whether p occurs in Korean and in English paragraphs.
func (f *searchFixture) occursInBoth(p brute.Person) bool {
	q := brute.Compile(p.Hangul, f.people)
	var ko, en bool
	for _, i := range brute.Scan(&q, f.paras) {
		if strings.ContainsFunc(f.paras[i].Text, hangul.IsSyllable) {
			ko = true
		} else {
			en = true
		}
	}
	return ko && en
}

// distinctPerson returns the first generated person with a northern
// spelling who occurs in both languages and none of whose spellings could
// also be another person's name, so that all their spellings must find
// exactly the same documents.
func (f *searchFixture) distinctPerson() (brute.Person, bool) {
	for _, p := range f.people {
		if p.North == "" || !f.occursInBoth(p) {
			continue
		}
		clash := false
		for _, s := range p.All() {
			for _, o := range f.people {
				if o.Hangul != p.Hangul && hangul.SameName(s, o.Hangul) {
					clash = true
				}
			}
		}
		if !clash {
			return p, true
		}
	}
	return brute.Person{}, false
}

func TestSearchGolden(t *testing.T) { testSearchGolden(t, newSearchFixture(t)) }

// TestSearchGoldenPostgres is the golden search on PostgreSQL: the same
// documents found, the same golden file.
func TestSearchGoldenPostgres(t *testing.T) {
	opt := Options{WorkFactor: 10}
	opt.DB = testenv.PostgresSchema(t)
	testSearchGolden(t, newSearchFixtureOn(t, opt))
}

func testSearchGolden(t *testing.T, f *searchFixture) {
	p, ok := f.distinctPerson()
	if !ok {
		t.Fatal("the corpus has no person with a northern spelling and no name clash who occurs in both languages: change goldenSeed")
	}

	// Each group is a list of queries that must find the same documents.
	type group struct {
		name    string
		queries []string
	}
	groups := []group{
		{"one syllable", []string{"혁"}},
		{"two syllables", []string{"요덕"}},
		{"two syllables", []string{"무산"}},
		{"three syllables", []string{"두만강"}},
		{"four syllables", []string{"강제송환"}},
		{"North/South, word-initial: 로동 = 노동", []string{"로동", "노동"}},
		{"North/South, word-initial: 녀성 = 여성", []string{"녀성", "여성"}},
		{"North/South, inside a word: 조선로동당 = 조선노동당", []string{"조선로동당", "조선노동당"}},
		{"case", []string{"Tumen", "tumen", "TUMEN"}},
		{"case and diacritics", []string{"Chongjin", "Chŏngjin", "CHONGJIN", "chóngjin"}},
		{"a generated person: Hangul (southern, northern) and romanized names", p.All()},
		{"hyphen and space variants, North/South, both scripts", []string{"Lee Ran-gil", "lee ran gil", "Lee Rangil",
			"LEE RAN-GIL", "Ri Ran Gil", "Yi Ran-gil", "이란길", "리란길", "이 란길"}},
		{"romanized and Hangul name, MR liaison spelling (Sug-ok)", []string{"Kim Suk-ok", "Kim Sug-ok", "김숙옥"}},
		{"surname 류 (southern 유), both scripts", []string{"류호석", "Ryu Ho-seok", "유호석"}},
		{"English word", []string{"women"}},
		{"English phrase", []string{`"forcibly returned"`}},
		{"two Korean terms, same passage", []string{"요덕 관리소"}},
		{"one syllable inside a word and word-initial: 리 (관리소, 리란길, 이…)", []string{"리"}},
		{"one syllable: 로 (조선로동당, 노…, 로…)", []string{"로"}},
	}

	var out strings.Builder
	fmt.Fprintf(&out, "# sori search golden results (go test ./internal/archive -run Golden -update)\n")
	fmt.Fprintf(&out, "# corpus: gen seed %d, %d paragraphs, %d per document; documents found, sorted;\n", goldenSeed, goldenParagraphs, goldenPerFile)
	fmt.Fprintf(&out, "# compared with the brute-force reference (bench/searchbench/brute).\n")
	fmt.Fprintf(&out, "# plus one-paragraph documents x01…x13 (handWritten in search_test.go).\n")
	for _, g := range groups {
		fmt.Fprintf(&out, "\n## %s\n", g.name)
		var first outcome
		for i, q := range g.queries {
			o := f.run(t, q)
			f.check(t, o)
			if i == 0 {
				first = o
			} else if !slices.Equal(o.docs, first.docs) {
				t.Errorf("%s: %q found %d documents, %q %d (missing %v, extra %v)", g.name, q, len(o.docs), first.query,
					len(first.docs), difference(first.docs, o.docs), difference(o.docs, first.docs))
			}
			writeOutcome(&out, o)
		}
	}

	if *updateGolden {
		if err := os.WriteFile(goldenPath, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (create it with -update)", err)
	}
	if got := out.String(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			g, w := "", ""
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs from line %d:\n got: %s\nwant: %s\n(if the change is intended, run go test ./internal/archive -run Golden -update and review the diff)", goldenPath, i+1, g, w)
			}
		}
	}
}

// check asserts the semantic properties of one outcome.
func (f *searchFixture) check(t *testing.T, o outcome) {
	t.Helper()
	if len(o.want) == 0 {
		t.Errorf("%q: the reference finds nothing in the corpus: the query tests nothing", o.query)
	}
	if !o.scoresAscending {
		t.Errorf("%q: hits are not in rank order", o.query)
	}
	if len(o.missed) > 0 {
		t.Errorf("%q (%s) missed %d of %d documents the reference finds: %v", o.query, o.expr, len(o.missed), len(o.want), o.missed)
	}
	if strings.Contains(o.expr, hangul.KeyPrefix) {
		// Name keys also match other text that may spell the same
		// syllables: extra documents are allowed (and recorded in the
		// golden file).
		return
	}
	if len(o.extra) > 0 {
		t.Errorf("%q (%s) found %d documents the reference does not: %v", o.query, o.expr, len(o.extra), o.extra)
	}
	for doc, part := range o.parts {
		if !o.wantParts[fmt.Sprintf("%s:%d", doc, part)] {
			t.Errorf("%q: the best part of %s is %d, which does not match", o.query, doc, part)
		}
	}
}

func writeOutcome(w *strings.Builder, o outcome) {
	fmt.Fprintf(w, "query: %s\nexpr:  %s\n", o.query, o.expr)
	writeList(w, fmt.Sprintf("found %d:", len(o.docs)), o.docs)
	switch {
	case len(o.missed) == 0 && len(o.extra) == 0:
		fmt.Fprintf(w, "reference: same\n")
	default:
		fmt.Fprintf(w, "reference: %d\n", len(o.want))
		if len(o.missed) > 0 {
			writeList(w, fmt.Sprintf("  missed %d:", len(o.missed)), o.missed)
		}
		if len(o.extra) > 0 {
			writeList(w, fmt.Sprintf("  extra %d:", len(o.extra)), o.extra)
		}
	}
}

// writeList writes label and the names, wrapped.
func writeList(w *strings.Builder, label string, names []string) {
	line := label
	for _, n := range names {
		if utf8.RuneCountInString(line)+1+len(n) > 100 {
			fmt.Fprintln(w, line)
			line = "   "
		}
		line += " " + strings.TrimSuffix(n, ".txt")
	}
	fmt.Fprintln(w, line)
}

// TestSearchNamesEveryPerson checks recall for the persons of the corpus:
// their Hangul name (southern and northern) and each romanization must find
// every document in which any of their spellings occurs. It takes every
// fourth person (every twentieth under the race detector); -allpersons
// takes them all.
func TestSearchNamesEveryPerson(t *testing.T) {
	f := newSearchFixture(t)
	step := 4
	if raceEnabled() {
		step = 20
	}
	if *allPersons {
		step = 1
	}
	checked := 0
	for i := 0; i < len(f.people); i += step {
		p := f.people[i]
		for _, q := range p.All() {
			o := f.run(t, q)
			if len(o.missed) == 0 {
				continue
			}
			t.Errorf("%q (%s) missed %d of %d documents: %v", q, o.expr, len(o.missed), len(o.want), o.missed)
		}
		checked++
	}
	t.Logf("checked %d of %d persons", checked, len(f.people))
}

var allPersons = flag.Bool("allpersons", false, "TestSearchNamesEveryPerson: check every person, not a sample")

func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	return ok && slices.ContainsFunc(bi.Settings, func(s debug.BuildSetting) bool { return s.Key == "-race" && s.Value == "true" })
}

// BenchmarkSearchIndex measures intake of a generated corpus and the
// indexing of its text (IndexPending), which together build the search
// index. Profile it with
//
//	go test -run '^$' -bench SearchIndex -benchtime 3x -cpuprofile cpu.out ./internal/archive
func BenchmarkSearchIndex(b *testing.B) {
	const paras = 20000
	dir := filepath.Join(b.TempDir(), "corpus")
	if _, err := gen.Write(dir, gen.Options{Paragraphs: paras, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		a := benchArchive(b)
		b.StartTimer()
		err := a.Add(context.Background(), []string{filepath.Join(dir, "ko"), filepath.Join(dir, "en")}, AddOptions{}, func(r Added) error { return r.Err })
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.IndexPending(context.Background(), nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(paras*b.N)/b.Elapsed().Seconds(), "paragraphs/s")
}

// TestParagraphParts pins how text is cut into index parts, and that a
// snippet's single part is the same as that part among all of them.
func TestParagraphParts(t *testing.T) {
	a, b, c := strings.Repeat("가", 333)+"a", strings.Repeat("b", 1000), strings.Repeat("c", 5000)
	text := "  " + a + "  \n\n" + b + "\n" + b + "\n" + c + "\n"
	want := []string{a + "\n" + b, b, c[:4096], c[4096:]}
	got := paragraphs(text)
	if !slices.Equal(got, want) {
		t.Fatalf("paragraphs: got %d parts %q…, want %d", len(got), got, len(want))
	}
	for n := 0; n <= len(want)+1; n++ {
		w := ""
		if n >= 1 && n <= len(want) {
			w = want[n-1]
		}
		if p := paragraph(text, n); p != w {
			t.Errorf("paragraph(text, %d) = %.20q…, want %.20q…", n, p, w)
		}
	}
}
