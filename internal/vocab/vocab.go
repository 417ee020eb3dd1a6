// Package vocab holds sori's controlled vocabularies and its gazetteer of
// DPRK places, shipped as versioned JSON files embedded in the binary.
//
// Each vocabulary (violations, crimes_against_humanity, facility_types,
// place_types, source_connection, admiralty_source, admiralty_info,
// violation_status, involvement_degree, perpetrator_types, date_precision,
// consent_scope, place_precision)
// is one file in data/ with a name, a version ("2026.1"), the sources it was
// built from, and its terms. Every term has a stable ASCII code that records
// store, an English and a Korean label (and the DPRK form where it differs),
// an optional parent code, and a basis saying whether the term comes from a
// cited source ("sourced"), was adapted from one ("adapted"), or is sori's
// own proposal ("proposed"). Codes are never reused for another meaning: a
// changed meaning gets a new code and a new version.
//
// The gazetteer (data/places.json) lists provinces and special cities,
// main cities, counties, border crossings, rivers and known prison camps,
// each with Hangul, Revised Romanization, McCune–Reischauer and DPRK-style
// spellings, and coordinates only where a public source gives them.
//
// The data is parsed once, strictly (unknown fields, duplicate codes,
// dangling parents and missing labels are errors), and is shared: values
// returned by this package are read-only and callers MUST NOT modify them.
package vocab

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"

	"sori/internal/evidence"
)

//go:embed data/*.json
var dataFS embed.FS

// gazetteerFile is the one data file that is not a vocabulary.
const gazetteerFile = "places.json"

// Names of the shipped vocabularies, for callers that want a constant.
const (
	Violations            = "violations"
	CrimesAgainstHumanity = "crimes_against_humanity"
	FacilityTypes         = "facility_types"
	PlaceTypes            = "place_types"
	SourceConnection      = "source_connection"
	AdmiraltySource       = "admiralty_source"
	AdmiraltyInfo         = "admiralty_info"
	ViolationStatus       = "violation_status"
	InvolvementDegree     = "involvement_degree"
	PerpetratorTypes      = "perpetrator_types"
	DatePrecision         = "date_precision"
	ConsentScope          = "consent_scope"
	PlacePrecision        = "place_precision"
)

// Bases of a term or place: where it comes from.
const (
	// Sourced: the term and its English label are taken from a cited source.
	Sourced = "sourced"
	// Adapted: taken from a cited source but reworded, split or merged.
	Adapted = "adapted"
	// Proposed: sori's own proposal, to be reviewed.
	Proposed = "proposed"
)

// Vocabulary is one controlled vocabulary.
type Vocabulary struct {
	Name    string   `json:"vocabulary"` // equals the file name without .json
	Version string   `json:"version"`    // "2026.1"
	EN      string   `json:"en"`         // title in English
	KO      string   `json:"ko"`         // title in Korean
	Source  []string `json:"source"`     // citations the terms were built from
	KOBasis string   `json:"ko_basis"`   // where the Korean labels come from
	Notes   string   `json:"notes,omitempty"`
	Terms   []Term   `json:"terms"` // in display order; parents before children

	byCode  map[string]int
	byLabel map[string][]int
}

// Term is one entry of a vocabulary.
type Term struct {
	Code   string            `json:"code"`            // stable ASCII code stored in records
	EN     string            `json:"en"`              // English label
	KO     string            `json:"ko"`              // Korean label (standard South Korean usage)
	KOKP   string            `json:"ko_kp,omitempty"` // DPRK form, where it differs from KO
	Alt    []string          `json:"alt,omitempty"`   // other accepted labels: romanizations, abbreviations, former names
	Parent string            `json:"parent,omitempty"`
	Basis  string            `json:"basis"`            // Sourced, Adapted or Proposed
	Source string            `json:"source,omitempty"` // where the term comes from
	Note   string            `json:"note,omitempty"`   // scope note for coders
	CAH    []string          `json:"cah,omitempty"`    // crimes_against_humanity codes this violation may amount to
	Maps   map[string]string `json:"maps,omitempty"`   // codes in other schemes: esf_mt04, rome_statute, coi, misp…
}

// Set is every vocabulary and the gazetteer, as parsed from the embedded data.
type Set struct {
	vocabs map[string]*Vocabulary
	names  []string
	gaz    *Gazetteer
}

var loadEmbedded = sync.OnceValues(func() (*Set, error) { return parse(dataFS) })

// Load parses the embedded data on first use and returns the shared,
// read-only set. It fails only if the embedded data is malformed, which the
// package tests rule out.
func Load() (*Set, error) { return loadEmbedded() }

// Get returns the named vocabulary. An unknown name gives ErrNotFound.
func Get(name string) (*Vocabulary, error) {
	s, err := Load()
	if err != nil {
		return nil, err
	}
	return s.Vocabulary(name)
}

// mustLoad is for the accessors that cannot return an error; it panics only
// when the embedded data is malformed (a build defect the tests catch).
func mustLoad() *Set {
	s, err := Load()
	if err != nil {
		panic("vocab: embedded data: " + err.Error())
	}
	return s
}

// Names lists the vocabularies in the set, sorted.
func (s *Set) Names() []string { return slices.Clone(s.names) }

// Vocabulary returns the named vocabulary. An unknown name gives ErrNotFound.
func (s *Set) Vocabulary(name string) (*Vocabulary, error) {
	v, ok := s.vocabs[name]
	if !ok {
		return nil, fmt.Errorf("%w: vocabulary %q (have %s)", evidence.ErrNotFound, name, strings.Join(s.names, ", "))
	}
	return v, nil
}

// Gazetteer returns the set's gazetteer.
func (s *Set) Gazetteer() *Gazetteer { return s.gaz }

// Term returns the term with exactly this code.
func (v *Vocabulary) Term(code string) (Term, bool) {
	i, ok := v.byCode[code]
	if !ok {
		return Term{}, false
	}
	return v.Terms[i], true
}

// Lookup returns the terms whose code, English label, Korean label (either
// form) or alternative label matches label. Matching ignores case, spacing,
// punctuation and Latin diacritics (ŏ = o), and Hangul typed as conjoining
// jamo matches its composed form. It returns nil when nothing matches, and
// terms in vocabulary order when several do.
func (v *Vocabulary) Lookup(label string) []Term {
	k := key(label)
	if k == "" {
		return nil
	}
	idx := v.byLabel[k]
	if len(idx) == 0 {
		return nil
	}
	out := make([]Term, len(idx))
	for i, j := range idx {
		out[i] = v.Terms[j]
	}
	return out
}

// Children returns the terms whose parent is code, in vocabulary order; the
// top-level terms when code is "".
func (v *Vocabulary) Children(code string) []Term {
	var out []Term
	for _, t := range v.Terms {
		if t.Parent == code {
			out = append(out, t)
		}
	}
	return out
}

// Label returns the term's label in lang ("ko", "ko-KP" or anything else
// for English). "ko-KP" falls back to the South Korean form.
func (t Term) Label(lang string) string {
	switch strings.ToLower(lang) {
	case "ko-kp":
		if t.KOKP != "" {
			return t.KOKP
		}
		return t.KO
	case "ko", "ko-kr":
		return t.KO
	}
	return t.EN
}

// codeRE is the shape of a code: ASCII segments joined by dots.
var codeRE = regexp.MustCompile(`^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$`)

// parse reads every *.json file at data/ in fsys.
func parse(fsys fs.FS) (*Set, error) {
	files, err := fs.Glob(fsys, "data/*.json")
	if err != nil {
		return nil, err
	}
	s := &Set{vocabs: make(map[string]*Vocabulary)}
	var gazData []byte
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		if path.Base(f) == gazetteerFile {
			gazData = b
			continue
		}
		var v Vocabulary
		if err := decodeStrict(b, &v); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", evidence.ErrInvalid, f, err)
		}
		if want := strings.TrimSuffix(path.Base(f), ".json"); v.Name != want {
			return nil, fmt.Errorf("%w: %s: vocabulary is named %q, want %q", evidence.ErrInvalid, f, v.Name, want)
		}
		if err := v.index(); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", evidence.ErrInvalid, f, err)
		}
		s.vocabs[v.Name] = &v
		s.names = append(s.names, v.Name)
	}
	sort.Strings(s.names)
	if gazData == nil {
		return nil, fmt.Errorf("%w: data/%s is missing", evidence.ErrInvalid, gazetteerFile)
	}
	if s.gaz, err = parseGazetteer(gazData); err != nil {
		return nil, fmt.Errorf("%w: data/%s: %v", evidence.ErrInvalid, gazetteerFile, err)
	}
	if err := s.crossCheck(); err != nil {
		return nil, fmt.Errorf("%w: %v", evidence.ErrInvalid, err)
	}
	return s, nil
}

// decodeStrict decodes exactly one JSON value, rejecting unknown fields and
// trailing data.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}

// index checks the vocabulary's own rules and builds its lookup tables.
func (v *Vocabulary) index() error {
	if v.Version == "" || v.EN == "" || !hasHangul(v.KO) || len(v.Source) == 0 || v.KOBasis == "" {
		return fmt.Errorf("version, en, ko (in Hangul), source and ko_basis are required")
	}
	if len(v.Terms) == 0 {
		return fmt.Errorf("no terms")
	}
	v.byCode = make(map[string]int, len(v.Terms))
	v.byLabel = make(map[string][]int)
	for i, t := range v.Terms {
		if !codeRE.MatchString(t.Code) {
			return fmt.Errorf("term %d: code %q is not dotted ASCII", i, t.Code)
		}
		if _, dup := v.byCode[t.Code]; dup {
			return fmt.Errorf("term %q: duplicate code", t.Code)
		}
		if strings.TrimSpace(t.EN) == "" || strings.TrimSpace(t.KO) == "" {
			return fmt.Errorf("term %q: en and ko labels are required", t.Code)
		}
		if !hasHangul(t.KO) || (t.KOKP != "" && !hasHangul(t.KOKP)) {
			return fmt.Errorf("term %q: Korean label %q has no Hangul", t.Code, t.KO)
		}
		switch t.Basis {
		case Sourced, Adapted, Proposed:
		default:
			return fmt.Errorf("term %q: basis %q: want sourced, adapted or proposed", t.Code, t.Basis)
		}
		if t.Parent != "" {
			// Parents come first, so a child can be checked as it is read.
			if _, ok := v.byCode[t.Parent]; !ok {
				return fmt.Errorf("term %q: parent %q is not an earlier term", t.Code, t.Parent)
			}
			if !strings.HasPrefix(t.Code, t.Parent+".") {
				return fmt.Errorf("term %q: code does not start with its parent's %q", t.Code, t.Parent)
			}
		}
		v.byCode[t.Code] = i
		for _, l := range t.labels() {
			k := key(l)
			if k == "" {
				continue
			}
			if ix := v.byLabel[k]; len(ix) == 0 || ix[len(ix)-1] != i {
				v.byLabel[k] = append(ix, i)
			}
		}
	}
	return nil
}

// labels lists every string Lookup accepts for the term.
func (t Term) labels() []string {
	l := []string{t.Code, t.EN, t.KO}
	if t.KOKP != "" {
		l = append(l, t.KOKP)
	}
	return append(l, t.Alt...)
}

// crossCheck verifies references between files: violation → crime against
// humanity, place → place type and facility type, place → parent place.
func (s *Set) crossCheck() error {
	need := func(vocab, code, from string) error {
		v, ok := s.vocabs[vocab]
		if !ok {
			return fmt.Errorf("%s refers to vocabulary %q, which is missing", from, vocab)
		}
		if _, ok := v.Term(code); !ok {
			return fmt.Errorf("%s: %q is not a %s code", from, code, vocab)
		}
		return nil
	}
	if v, ok := s.vocabs[Violations]; ok {
		for _, t := range v.Terms {
			for _, c := range t.CAH {
				if err := need(CrimesAgainstHumanity, c, "violations/"+t.Code); err != nil {
					return err
				}
			}
		}
	}
	for _, p := range s.gaz.places {
		if err := need(PlaceTypes, p.Type, "places/"+p.Code); err != nil {
			return err
		}
		if p.Facility != "" {
			if err := need(FacilityTypes, p.Facility, "places/"+p.Code); err != nil {
				return err
			}
		}
	}
	return nil
}

// hasHangul reports whether s contains a Hangul syllable or jamo.
func hasHangul(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Hangul, r) {
			return true
		}
	}
	return false
}
