package vocab

import (
	"errors"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"unicode"

	"sori/internal/evidence"
)

func mustSet(t testing.TB) *Set {
	t.Helper()
	s, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return s
}

// allVocabularies is every shipped vocabulary; a new file must be added here.
var allVocabularies = []string{
	AdmiraltyInfo, AdmiraltySource, ConsentScope, CrimesAgainstHumanity, DatePrecision,
	FacilityTypes, InvolvementDegree, PerpetratorTypes, PlaceTypes,
	PlacePrecision, SourceConnection, ViolationStatus, Violations,
}

func TestShippedVocabularies(t *testing.T) {
	s := mustSet(t)
	want := slices.Sorted(slices.Values(allVocabularies))
	if got := s.Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	if _, err := Get("no_such_vocabulary"); !errors.Is(err, evidence.ErrNotFound) {
		t.Errorf("Get(unknown) error = %v, want ErrNotFound", err)
	}
}

func containsHangul(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Hangul, r) {
			return true
		}
	}
	return false
}

// TestEveryTermHasBothLabels is the requirement's acceptance test: every
// term of every vocabulary has an English label and a Korean label, and the
// Korean label is written in Hangul.
func TestEveryTermHasBothLabels(t *testing.T) {
	s := mustSet(t)
	n := 0
	for _, name := range s.Names() {
		v, _ := s.Vocabulary(name)
		if strings.TrimSpace(v.EN) == "" || !containsHangul(v.KO) {
			t.Errorf("%s: vocabulary title en=%q ko=%q: both are required, ko in Hangul", name, v.EN, v.KO)
		}
		for _, term := range v.Terms {
			n++
			if strings.TrimSpace(term.EN) == "" {
				t.Errorf("%s/%s: no English label", name, term.Code)
			}
			if strings.TrimSpace(term.KO) == "" {
				t.Errorf("%s/%s: no Korean label", name, term.Code)
			} else if !containsHangul(term.KO) {
				t.Errorf("%s/%s: Korean label %q has no Hangul", name, term.Code, term.KO)
			}
			if term.KOKP != "" && !containsHangul(term.KOKP) {
				t.Errorf("%s/%s: DPRK label %q has no Hangul", name, term.Code, term.KOKP)
			}
			if containsHangul(term.EN) {
				t.Errorf("%s/%s: English label %q contains Hangul", name, term.Code, term.EN)
			}
		}
	}
	t.Logf("%d terms in %d vocabularies, each with English and Korean labels", n, len(s.Names()))
}

var versionRE = regexp.MustCompile(`^[0-9]{4}\.[0-9]+$`)

func TestCodesParentsVersions(t *testing.T) {
	s := mustSet(t)
	for _, name := range s.Names() {
		v, _ := s.Vocabulary(name)
		if !versionRE.MatchString(v.Version) {
			t.Errorf("%s: version %q, want YYYY.N", name, v.Version)
		}
		if len(v.Source) == 0 || v.KOBasis == "" {
			t.Errorf("%s: source and ko_basis are required", name)
		}
		seen := map[string]bool{}
		for _, term := range v.Terms {
			for _, r := range term.Code {
				if r > unicode.MaxASCII {
					t.Errorf("%s/%q: code is not ASCII", name, term.Code)
				}
			}
			if seen[term.Code] {
				t.Errorf("%s/%s: duplicate code", name, term.Code)
			}
			if term.Parent != "" && !seen[term.Parent] {
				t.Errorf("%s/%s: parent %q does not come before it", name, term.Code, term.Parent)
			}
			seen[term.Code] = true
			switch term.Basis {
			case Sourced, Adapted, Proposed:
			default:
				t.Errorf("%s/%s: basis %q", name, term.Code, term.Basis)
			}
			if term.Basis != Proposed && term.Source == "" {
				t.Errorf("%s/%s: a %s term must say its source", name, term.Code, term.Basis)
			}
		}
	}
}

// TestDataFilesStrict decodes every embedded file again on its own, with
// unknown fields disallowed, so a typo in a field name cannot be silently
// dropped.
func TestDataFilesStrict(t *testing.T) {
	files, err := fs.Glob(dataFS, "data/*.json")
	if err != nil || len(files) != len(allVocabularies)+1 {
		t.Fatalf("data files: %v (%v), want %d", files, err, len(allVocabularies)+1)
	}
	for _, f := range files {
		b, err := fs.ReadFile(dataFS, f)
		if err != nil {
			t.Fatal(err)
		}
		var target any = &Vocabulary{}
		if path.Base(f) == gazetteerFile {
			target = &gazetteerFileJSON{}
		}
		if err := decodeStrict(b, target); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		if v, ok := target.(*Vocabulary); ok && v.Name+".json" != path.Base(f) {
			t.Errorf("%s: vocabulary %q does not match its file name", f, v.Name)
		}
	}
}

// TestParseRejects feeds broken data to the parser: each must be refused
// with ErrInvalid rather than loaded with a hole in it.
func TestParseRejects(t *testing.T) {
	const okVocab = `{"vocabulary":"x","version":"2026.1","en":"X","ko":"엑스","source":["s"],"ko_basis":"b","terms":[%s]}`
	const okTerm = `{"code":"a","en":"A","ko":"가","basis":"proposed"}`
	const okPlaces = `{"gazetteer":"places","version":"2026.1","source":["s"],"places":[%s]}`
	const okPlace = `{"code":"p","type":"city","en":"P","hangul":"평","rr":"P","mr":"P","dprk":"P","coords":null,"basis":"proposed","source":"s"}`
	fill := func(f, s string) string { return strings.Replace(f, "%s", s, 1) }
	placeTypes := fill(strings.Replace(okVocab, `"x"`, `"place_types"`, 1), `{"code":"city","en":"City","ko":"시","basis":"proposed"}`)
	mk := func(vocab, places string) fstest.MapFS {
		return fstest.MapFS{
			"data/x.json":           {Data: []byte(vocab)},
			"data/place_types.json": {Data: []byte(placeTypes)},
			"data/places.json":      {Data: []byte(places)},
		}
	}
	if _, err := parse(mk(fill(okVocab, okTerm), fill(okPlaces, okPlace))); err != nil {
		t.Fatalf("valid data refused: %v", err)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"unknown field":     mk(fill(okVocab, `{"code":"a","en":"A","ko":"가","basis":"proposed","colour":"red"}`), fill(okPlaces, okPlace)),
		"duplicate code":    mk(fill(okVocab, okTerm+","+okTerm), fill(okPlaces, okPlace)),
		"no Korean":         mk(fill(okVocab, `{"code":"a","en":"A","ko":"","basis":"proposed"}`), fill(okPlaces, okPlace)),
		"romanized Korean":  mk(fill(okVocab, `{"code":"a","en":"A","ko":"gwalliso","basis":"proposed"}`), fill(okPlaces, okPlace)),
		"no English":        mk(fill(okVocab, `{"code":"a","en":" ","ko":"가","basis":"proposed"}`), fill(okPlaces, okPlace)),
		"dangling parent":   mk(fill(okVocab, `{"code":"a.b","en":"A","ko":"가","parent":"a","basis":"proposed"}`), fill(okPlaces, okPlace)),
		"non-ASCII code":    mk(fill(okVocab, `{"code":"관리소","en":"A","ko":"가","basis":"proposed"}`), fill(okPlaces, okPlace)),
		"bad basis":         mk(fill(okVocab, `{"code":"a","en":"A","ko":"가","basis":"guess"}`), fill(okPlaces, okPlace)),
		"no version":        mk(strings.Replace(fill(okVocab, okTerm), `"2026.1"`, `""`, 1), fill(okPlaces, okPlace)),
		"name mismatch":     mk(strings.Replace(fill(okVocab, okTerm), `"x"`, `"y"`, 1), fill(okPlaces, okPlace)),
		"trailing data":     mk(fill(okVocab, okTerm)+"{}", fill(okPlaces, okPlace)),
		"coords off map":    mk(fill(okVocab, okTerm), fill(okPlaces, strings.Replace(okPlace, `"coords":null`, `"coords":{"lat":48.85,"lon":2.35,"source":"s","precision":"point"}`, 1))),
		"coords no source":  mk(fill(okVocab, okTerm), fill(okPlaces, strings.Replace(okPlace, `"coords":null`, `"coords":{"lat":40,"lon":127,"source":"","precision":"point"}`, 1))),
		"place no MR":       mk(fill(okVocab, okTerm), fill(okPlaces, strings.Replace(okPlace, `"mr":"P"`, `"mr":""`, 1))),
		"place bad type":    mk(fill(okVocab, okTerm), fill(okPlaces, strings.Replace(okPlace, `"city"`, `"castle"`, 1))),
		"place bad parent":  mk(fill(okVocab, okTerm), fill(okPlaces, strings.Replace(okPlace, `"coords"`, `"parent":"nowhere","coords"`, 1))),
		"missing gazetteer": {"data/x.json": {Data: []byte(fill(okVocab, okTerm))}},
	} {
		if _, err := parse(fsys); !errors.Is(err, evidence.ErrInvalid) {
			t.Errorf("%s: parse error = %v, want ErrInvalid", name, err)
		}
	}
}

func codes(terms []Term) []string {
	var out []string
	for _, t := range terms {
		out = append(out, t.Code)
	}
	return out
}

func TestRequiredTerms(t *testing.T) {
	for name, want := range map[string][]string{
		FacilityTypes:     {"kwanliso", "kyohwaso", "kyoyangso", "jipkyulso", "rodong_danryeondae", "kuryujang", "kuryujang.ssd", "kuryujang.mps"},
		PlaceTypes:        {"province", "special_city", "city", "county", "ri_dong", "border_crossing", "river_crossing", "detention_facility", "execution_site", "burial_site", "mss_office", "mps_office", "market", "other"},
		AdmiraltySource:   {"A", "B", "C", "D", "E", "F"},
		AdmiraltyInfo:     {"1", "2", "3", "4", "5", "6"},
		DatePrecision:     {"day", "month", "year", "decade", "unknown"},
		ConsentScope:      {"internal", "court", "anonymized", "named"},
		PlacePrecision:    {"exact", "county", "province", "country", "none"},
		SourceConnection:  {"direct", "indirect", "hearsay"},
		ViolationStatus:   {"confirmed", "likely", "possible", "unlikely", "unknown"},
		InvolvementDegree: {"violent.direct", "violent.ordered", "failure_to_protect"},
		PerpetratorTypes:  {"dprk.mss", "dprk.mps", "dprk.kpa", "dprk.party", "dprk.border_guard", "foreign.china_public_security"},
		Violations:        {"thought", "discrimination", "movement", "food", "detention", "abduction", "detention.torture.interrogation"},
	} {
		v, err := Get(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range want {
			if _, ok := v.Term(c); !ok {
				t.Errorf("%s: missing term %q", name, c)
			}
		}
	}

	// The facility terms carry the Hangul of the DPRK terms.
	ft, _ := Get(FacilityTypes)
	for code, hangul := range map[string]string{"kwanliso": "관리소", "kyohwaso": "교화소", "kyoyangso": "교양소", "jipkyulso": "집결소", "rodong_danryeondae": "로동단련대", "kuryujang": "구류장"} {
		if got := codes(ft.Lookup(hangul)); !slices.Contains(got, code) {
			t.Errorf("facility_types.Lookup(%q) = %v, want %s", hangul, got, code)
		}
	}
}

// TestViolationTaxonomy checks the two-level structure of §7.8 and the
// overlay: COI headings A-F at level 1, every violation's cah codes exist,
// and the Rome Statute list is complete with the COI findings marked.
func TestViolationTaxonomy(t *testing.T) {
	v, _ := Get(Violations)
	cah, _ := Get(CrimesAgainstHumanity)
	var headings []string
	for _, term := range v.Terms {
		if term.Parent == "" {
			if coi := term.Maps["coi"]; coi != "" {
				headings = append(headings, coi)
			}
			continue
		}
		if p, _ := v.Term(term.Parent); p.Parent != "" {
			t.Errorf("%s: more than two levels", term.Code)
		}
		for _, c := range term.CAH {
			if _, ok := cah.Term(c); !ok {
				t.Errorf("%s: cah %q is not a crimes_against_humanity code", term.Code, c)
			}
		}
	}
	if got := strings.Join(headings, ""); got != "ABCDEF" {
		t.Errorf("COI headings = %q, want ABCDEF", got)
	}
	var paras []string
	for _, term := range cah.Terms {
		if term.Parent != "" {
			continue
		}
		paras = append(paras, term.Maps["rome_statute"])
		found := term.Maps["coi_2014"]
		if want := map[bool]string{true: "not found", false: "found"}[term.Code == "apartheid"]; found != want {
			t.Errorf("%s: coi_2014 = %q, want %q", term.Code, found, want)
		}
	}
	want := []string{"7(1)(a)", "7(1)(b)", "7(1)(c)", "7(1)(d)", "7(1)(e)", "7(1)(f)", "7(1)(g)", "7(1)(h)", "7(1)(i)", "7(1)(j)", "7(1)(k)"}
	if !slices.Equal(paras, want) {
		t.Errorf("Rome Statute paragraphs = %v, want %v", paras, want)
	}
}

func TestLookup(t *testing.T) {
	for _, c := range []struct{ vocab, label, want string }{
		{FacilityTypes, "kwalliso", "kwanliso"},
		{FacilityTypes, "Kwan-li-so", "kwanliso"},
		{FacilityTypes, "정치범 수용소", "kwanliso"},
		{FacilityTypes, "노동단련대", "rodong_danryeondae"},
		{FacilityTypes, "rodong tallyŏndae", "rodong_danryeondae"},
		{FacilityTypes, "kuryujang.ssd", "kuryujang.ssd"},
		{CrimesAgainstHumanity, "TORTURE", "torture"},
		{CrimesAgainstHumanity, "고문", "torture"},
		{CrimesAgainstHumanity, "\u1100\u1169\u1106\u116e\u11ab", "torture"}, // 고문 as conjoining jamo (NFD)
		{ViolationStatus, "confirmed as a violation", "confirmed.violation"},
		{AdmiraltySource, "a", "A"},
		{AdmiraltySource, "usually reliable", "B"},
		{AdmiraltyInfo, "진위를 판단할 수 없음", "6"},
		{PerpetratorTypes, "bowibu", "dprk.mss"},
		{PerpetratorTypes, "보안서", "dprk.mps"},
		{PerpetratorTypes, "조선로동당 기관", "dprk.party"},
		{Violations, "강제북송", "movement.refoulement"},
		{Violations, "Public execution", "detention.execution.public"},
		{SourceConnection, "Hearsay", "hearsay"},
		{DatePrecision, "DECADE", "decade"},
	} {
		v, err := Get(c.vocab)
		if err != nil {
			t.Fatal(err)
		}
		if got := codes(v.Lookup(c.label)); !slices.Contains(got, c.want) {
			t.Errorf("%s.Lookup(%q) = %v, want %s", c.vocab, c.label, got, c.want)
		}
	}
	v, _ := Get(Violations)
	for _, label := range []string{"", "   ", "-", "no such violation"} {
		if got := v.Lookup(label); got != nil {
			t.Errorf("Lookup(%q) = %v, want nil", label, codes(got))
		}
	}
	// Every term is found by its own code and labels.
	s := mustSet(t)
	for _, name := range s.Names() {
		v, _ := s.Vocabulary(name)
		for _, term := range v.Terms {
			for _, l := range term.labels() {
				if got := codes(v.Lookup(l)); !slices.Contains(got, term.Code) {
					t.Errorf("%s.Lookup(%q) = %v, want it to include %s", name, l, got, term.Code)
				}
			}
		}
	}
}

func TestTermLabel(t *testing.T) {
	ft, _ := Get(FacilityTypes)
	term, _ := ft.Term("rodong_danryeondae")
	if term.Label("ko") != "노동단련대" || term.Label("ko-KP") != "로동단련대" || term.Label("en") != term.EN {
		t.Errorf("labels: ko=%q ko-KP=%q en=%q", term.Label("ko"), term.Label("ko-KP"), term.Label("en"))
	}
	kw, _ := ft.Term("kwanliso")
	if kw.Label("ko-KP") != kw.KO {
		t.Errorf("ko-KP without a DPRK form should fall back to ko")
	}
	if got := codes(ft.Children("kuryujang")); !slices.Equal(got, []string{"kuryujang.ssd", "kuryujang.mps"}) {
		t.Errorf("Children(kuryujang) = %v", got)
	}
}
