package vocab

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Gazetteer is the list of places in data/places.json.
type Gazetteer struct {
	Name    string   `json:"gazetteer"` // "places"
	Version string   `json:"version"`
	Source  []string `json:"source"`
	Notes   string   `json:"notes,omitempty"`

	places []Place
	byCode map[string]int
	byName map[string][]int
}

// Place is one gazetteer entry. Names are given in every system a witness or
// a document may use; the Hangul is the DPRK's own spelling.
type Place struct {
	Code      string   `json:"code"`               // stable ASCII code stored in records
	Type      string   `json:"type"`               // a place_types code
	Facility  string   `json:"facility,omitempty"` // a facility_types code, for detention facilities
	EN        string   `json:"en"`                 // conventional English name
	Hangul    string   `json:"hangul"`             // DPRK spelling
	HangulAlt []string `json:"hangul_alt,omitempty"`
	RR        string   `json:"rr"`   // Revised Romanization (ROK, 2000)
	MR        string   `json:"mr"`   // McCune–Reischauer
	DPRK      string   `json:"dprk"` // DPRK official romanization (2012 rules)
	Other     []string `json:"other,omitempty"`
	Parent    string   `json:"parent,omitempty"` // code of the enclosing place
	Coords    *Coords  `json:"coords"`           // nil where no public source gives a point
	Valid     string   `json:"valid,omitempty"`  // when it existed; historical changes
	Basis     string   `json:"basis"`            // Sourced, Adapted or Proposed
	Source    string   `json:"source"`
	Note      string   `json:"note,omitempty"`
}

// Coords is a WGS84 point with its provenance and how far to trust it.
type Coords struct {
	Lat           float64  `json:"lat"`
	Lon           float64  `json:"lon"`
	Source        string   `json:"source"`
	Precision     string   `json:"precision"` // point, city_point, county_centroid, county_seat, map_label, approximate
	UncertaintyKM float64  `json:"uncertainty_km,omitempty"`
	Note          string   `json:"note,omitempty"`
	Alternatives  []Coords `json:"alternatives,omitempty"` // other published points for the same place
}

// Precisions of a coordinate.
var precisions = map[string]bool{
	"point": true, "city_point": true, "county_centroid": true, "county_seat": true,
	"map_label": true, "approximate": true,
}

// Bounding box of the DPRK and its border region; every coordinate lies in it.
const (
	MinLat, MaxLat = 37.5, 43.1
	MinLon, MaxLon = 124.0, 130.8
)

// Places returns every place, in gazetteer order.
func Places() []Place { return mustLoad().gaz.Places() }

// PlaceByCode returns the place with exactly this code.
func PlaceByCode(code string) (Place, bool) { return mustLoad().gaz.Place(code) }

// FindPlace returns the places called name in any of their spellings; see
// (*Gazetteer).Find.
func FindPlace(name string) []Place { return mustLoad().gaz.Find(name) }

// PlaceSpellings returns every name of every place FindPlace finds for
// name (its English, Hangul and romanized names and the others listed),
// each once, in gazetteer order; nil when name is no place. Search uses
// them to find a place in any script or spelling.
func PlaceSpellings(name string) []string { return mustLoad().gaz.Spellings(name) }

// Spellings is PlaceSpellings on g.
func (g *Gazetteer) Spellings(name string) []string {
	var out []string
	for _, p := range g.Find(name) {
		for _, n := range p.names()[1:] { // not the code: no text writes it
			if n != "" && !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

// ProvinceOf returns the first-level division (province, Pyongyang or a
// special city) that contains the place with this code, or the place itself
// when it is one. It reports false for an unknown code and for places
// outside any division, such as the border rivers.
func ProvinceOf(code string) (Place, bool) { return mustLoad().gaz.Province(code) }

// Province is ProvinceOf on g.
func (g *Gazetteer) Province(code string) (Place, bool) {
	for range len(g.places) { // parents come first, so a walk is at most this long
		p, ok := g.Place(code)
		if !ok {
			return Place{}, false
		}
		switch p.Type {
		case "province", "directly_governed_city", "special_city":
			return p, true
		}
		if p.Parent == "" {
			return Place{}, false
		}
		code = p.Parent
	}
	return Place{}, false
}

// Places returns every place, in gazetteer order.
func (g *Gazetteer) Places() []Place { return g.places }

// Place returns the place with exactly this code.
func (g *Gazetteer) Place(code string) (Place, bool) {
	i, ok := g.byCode[code]
	if !ok {
		return Place{}, false
	}
	return g.places[i], true
}

// Find returns the places whose code, English name, Hangul (DPRK or South
// Korean spelling) or any romanization matches name, ignoring case, spacing,
// hyphens, apostrophes and diacritics: "Hoeryŏng", "Hoeryeong" and "회령"
// all find Hoeryong. A trailing administrative word is tried away when the
// whole name matches nothing ("Hyesan-si", "혜산시", "Musan County"), and a
// Hangul name is also tried under the South Korean initial-sound rule
// (량강도 = 양강도). It returns nil when nothing matches.
func (g *Gazetteer) Find(name string) []Place {
	k := key(name)
	if k == "" {
		return nil
	}
	tries := []string{k, southernInitial(k)}
	if s := stripPlaceSuffix(k); s != "" {
		tries = append(tries, s, southernInitial(s))
	}
	for _, try := range tries {
		if idx := g.byName[try]; len(idx) > 0 {
			out := make([]Place, len(idx))
			for i, j := range idx {
				out[i] = g.places[j]
			}
			return out
		}
	}
	return nil
}

// names lists every spelling Find indexes for the place.
func (p Place) names() []string {
	n := []string{p.Code, p.EN, p.Hangul, p.RR, p.MR, p.DPRK}
	n = append(n, p.HangulAlt...)
	return append(n, p.Other...)
}

// gazetteerFileJSON is the file's shape; places are unexported in Gazetteer
// so that callers cannot append to the shared slice.
type gazetteerFileJSON struct {
	Gazetteer
	Places []Place `json:"places"`
}

func parseGazetteer(b []byte) (*Gazetteer, error) {
	var f gazetteerFileJSON
	if err := decodeStrict(b, &f); err != nil {
		return nil, err
	}
	g := &f.Gazetteer
	if g.Name != "places" || g.Version == "" || len(g.Source) == 0 {
		return nil, fmt.Errorf(`gazetteer "places", version and source are required`)
	}
	g.places = f.Places
	g.byCode = make(map[string]int, len(g.places))
	g.byName = make(map[string][]int)
	for i, p := range g.places {
		if err := p.check(); err != nil {
			return nil, fmt.Errorf("place %d (%q): %v", i, p.Code, err)
		}
		if _, dup := g.byCode[p.Code]; dup {
			return nil, fmt.Errorf("place %q: duplicate code", p.Code)
		}
		if p.Parent != "" {
			if _, ok := g.byCode[p.Parent]; !ok {
				return nil, fmt.Errorf("place %q: parent %q is not an earlier place", p.Code, p.Parent)
			}
		}
		g.byCode[p.Code] = i
		for _, n := range p.names() {
			for _, k := range []string{key(n), southernInitial(key(n))} {
				if k == "" {
					continue
				}
				if ix := g.byName[k]; len(ix) == 0 || ix[len(ix)-1] != i {
					g.byName[k] = append(ix, i)
				}
			}
		}
	}
	return g, nil
}

// check enforces one place's own rules.
func (p Place) check() error {
	if !codeRE.MatchString(p.Code) {
		return fmt.Errorf("code is not dotted ASCII")
	}
	if !hasHangul(p.Hangul) || p.RR == "" || p.MR == "" || p.DPRK == "" || p.EN == "" {
		return fmt.Errorf("hangul, rr, mr, dprk and en names are required")
	}
	for _, h := range p.HangulAlt {
		if !hasHangul(h) {
			return fmt.Errorf("hangul_alt %q has no Hangul", h)
		}
	}
	switch p.Basis {
	case Sourced, Adapted, Proposed:
	default:
		return fmt.Errorf("basis %q: want sourced, adapted or proposed", p.Basis)
	}
	if strings.TrimSpace(p.Source) == "" {
		return fmt.Errorf("source is required")
	}
	if c := p.Coords; c != nil {
		all := append([]Coords{*c}, c.Alternatives...)
		for _, c := range all {
			if err := c.check(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c Coords) check() error {
	if math.IsNaN(c.Lat) || math.IsNaN(c.Lon) || c.Lat < MinLat || c.Lat > MaxLat || c.Lon < MinLon || c.Lon > MaxLon {
		return fmt.Errorf("coordinates %v, %v lie outside the DPRK border region", c.Lat, c.Lon)
	}
	if strings.TrimSpace(c.Source) == "" {
		return fmt.Errorf("coordinates %v, %v have no source", c.Lat, c.Lon)
	}
	if !precisions[c.Precision] {
		return fmt.Errorf("coordinates %v, %v: precision %q is not one of point, city_point, county_centroid, county_seat, map_label, approximate", c.Lat, c.Lon, c.Precision)
	}
	return nil
}
