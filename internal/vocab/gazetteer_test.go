package vocab

import (
	"slices"
	"strings"
	"testing"
)

func placeCodes(ps []Place) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Code)
	}
	return out
}

func TestPlaces(t *testing.T) {
	s := mustSet(t)
	pt, _ := s.Vocabulary(PlaceTypes)
	ft, _ := s.Vocabulary(FacilityTypes)
	withCoords := 0
	for _, p := range Places() {
		if !containsHangul(p.Hangul) {
			t.Errorf("%s: Hangul name %q", p.Code, p.Hangul)
		}
		if p.RR == "" || p.MR == "" || p.DPRK == "" {
			t.Errorf("%s: rr=%q mr=%q dprk=%q: all three romanizations are required", p.Code, p.RR, p.MR, p.DPRK)
		}
		if _, ok := pt.Term(p.Type); !ok {
			t.Errorf("%s: type %q is not a place_types code", p.Code, p.Type)
		}
		if (p.Type == "detention_facility") != (p.Facility != "") {
			t.Errorf("%s: a detention facility, and only one, names its facility type", p.Code)
		}
		if p.Facility != "" {
			if _, ok := ft.Term(p.Facility); !ok {
				t.Errorf("%s: facility %q is not a facility_types code", p.Code, p.Facility)
			}
		}
		if p.Parent != "" {
			if _, ok := PlaceByCode(p.Parent); !ok {
				t.Errorf("%s: parent %q", p.Code, p.Parent)
			}
		}
		if p.Source == "" {
			t.Errorf("%s: no source", p.Code)
		}
		if c := p.Coords; c != nil {
			withCoords++
			for _, c := range append([]Coords{*c}, c.Alternatives...) {
				if c.Lat < MinLat || c.Lat > MaxLat || c.Lon < MinLon || c.Lon > MaxLon {
					t.Errorf("%s: %v, %v lies outside lat %v–%v, lon %v–%v", p.Code, c.Lat, c.Lon, MinLat, MaxLat, MinLon, MaxLon)
				}
				if strings.TrimSpace(c.Source) == "" || c.Precision == "" {
					t.Errorf("%s: coordinates without source or precision", p.Code)
				}
				if c.Precision == "approximate" && c.UncertaintyKM == 0 {
					t.Errorf("%s: an approximate point needs an uncertainty", p.Code)
				}
			}
		}
	}
	t.Logf("%d places, %d with public coordinates", len(Places()), withCoords)
}

// TestFirstLevelDivisions pins the DPRK's current first-level divisions
// (reference/places.md §4.2): nine provinces, Pyongyang, and the special
// cities Rason and Nampho — twelve, as in the Natural Earth admin-1 set.
func TestFirstLevelDivisions(t *testing.T) {
	var got []string
	for _, p := range Places() {
		switch p.Type {
		case "province", "directly_governed_city", "special_city":
			got = append(got, p.Code)
			if p.Parent != "" {
				t.Errorf("%s: a first-level division has parent %q", p.Code, p.Parent)
			}
		}
	}
	want := []string{"pyongyang", "rason", "nampho", "south_pyongan", "north_pyongan", "chagang",
		"south_hwanghae", "north_hwanghae", "kangwon", "south_hamgyong", "north_hamgyong", "ryanggang"}
	if !slices.Equal(got, want) {
		t.Errorf("first-level divisions = %v, want %v", got, want)
	}
}

func TestProvinceOf(t *testing.T) {
	for code, want := range map[string]string{
		"camp.kwanliso_14": "south_pyongan", "camp.kwanliso_16": "north_hamgyong",
		"crossing.tumangang_khasan": "rason", "hyesan": "ryanggang", "ryanggang": "ryanggang",
		"pyongyang": "pyongyang", "tumen": "", "no_such_place": "",
	} {
		p, ok := ProvinceOf(code)
		if ok != (want != "") || p.Code != want {
			t.Errorf("ProvinceOf(%q) = %q, %v; want %q", code, p.Code, ok, want)
		}
	}
	// Every place but the rivers lies in a first-level division.
	for _, p := range Places() {
		if _, ok := ProvinceOf(p.Code); !ok && p.Type != "river" {
			t.Errorf("%s: in no province", p.Code)
		}
	}
}

func TestFindPlace(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"Hyesan", "hyesan"},
		{"혜산", "hyesan"},
		{"Hyesan-si", "hyesan"},
		{"hyesan si", "hyesan"},
		{"혜산시", "hyesan"},
		{"Hoeryŏng", "hoeryong"},
		{"Hoeryo\u0306ng", "hoeryong"}, // breve as a combining mark
		{"HOERYEONG", "hoeryong"},
		{"Hoe-ryong", "hoeryong"},
		{"회령", "hoeryong"},
		{"P'yŏngyang", "pyongyang"},
		{"Phyongyang", "pyongyang"},
		{"양강도", "ryanggang"},
		{"량강도", "ryanggang"},
		{"Yanggang-do", "ryanggang"},
		{"나선", "rason"},
		{"Musan County", "musan"},
		{"무산군", "musan"},
		{"Camp 14", "camp.kwanliso_14"},
		{"개천 관리소", "camp.kwanliso_14"},
		{"요덕 수용소", "camp.kwanliso_15"},
		{"Ch'ŏngjin", "chongjin"},
		{"Amnok-kang", "yalu"},
		{"두만강", "tumen"},
		{"chagang", "chagang"},
	} {
		if got := placeCodes(FindPlace(c.name)); !slices.Contains(got, c.want) {
			t.Errorf("FindPlace(%q) = %v, want it to include %s", c.name, got, c.want)
		}
	}
	for _, name := range []string{"", " ", "'-'", "Atlantis", "si", "도"} {
		if got := FindPlace(name); got != nil {
			t.Errorf("FindPlace(%q) = %v, want nil", name, placeCodes(got))
		}
	}
	// Every place is found by each of its names.
	for _, p := range Places() {
		for _, n := range p.names() {
			if got := placeCodes(FindPlace(n)); !slices.Contains(got, p.Code) {
				t.Errorf("FindPlace(%q) = %v, want it to include %s", n, got, p.Code)
			}
		}
	}
}

func TestKey(t *testing.T) {
	for in, want := range map[string]string{
		"Hoeryŏng":                       "hoeryong",
		"Kim Ch'ŏr-wŏn":                  "kimchorwon",
		"  정치범 수용소 ":                     "정치범수용소",
		"\u1112\u1168\u1109\u1161\u11ab": "혜산", // NFD
		"가\u11a8":                        "각",  // LV syllable + trailing T
		"ᄀ ᅡ":                            "가",  // jamo separated by a space still compose
	} {
		if got := key(in); got != want {
			t.Errorf("key(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"량강도": "양강도", "라선": "나선", "로동": "노동", "리": "이", "녀성": "여성", "평양": "평양", "hyesan": "hyesan"} {
		if got := southernInitial(in); got != want {
			t.Errorf("southernInitial(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzLookup(f *testing.F) {
	for _, s := range []string{"kwalliso", "관리소", "TORTURE", "\u1100\u1169", "a", "", "\xff\xfe", "ᄀ ᅡ", "로동단련대"} {
		f.Add(s)
	}
	s := mustSet(f)
	f.Fuzz(func(t *testing.T, label string) {
		k := key(label)
		if key(k) != k {
			t.Fatalf("key is not idempotent: key(%q) = %q, key(that) = %q", label, k, key(k))
		}
		for _, name := range s.Names() {
			v, _ := s.Vocabulary(name)
			for _, term := range v.Lookup(label) {
				ok := false
				for _, l := range term.labels() {
					ok = ok || key(l) == k
				}
				if !ok {
					t.Fatalf("%s.Lookup(%q) returned %s, none of whose labels match", name, label, term.Code)
				}
			}
		}
	})
}

func FuzzFindPlace(f *testing.F) {
	for _, s := range []string{"Hyesan", "혜산시", "Hoeryŏng", "Camp 14", "량강도", "", "si", "\xed\xa0\x80", "Musan County"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		for _, p := range FindPlace(name) {
			if q, ok := PlaceByCode(p.Code); !ok || q.Code != p.Code {
				t.Fatalf("FindPlace(%q) returned %q, which PlaceByCode does not know", name, p.Code)
			}
		}
	})
}

func TestPlaceSpellings(t *testing.T) {
	got := PlaceSpellings("회령")
	for _, want := range []string{"Hoeryong", "회령", "Hoeryeong", "Hoeryŏng", "會寧"} {
		if !slices.Contains(got, want) {
			t.Errorf("PlaceSpellings(회령) = %q: %q missing", got, want)
		}
	}
	if slices.Contains(got, "hoeryong") {
		t.Errorf("PlaceSpellings(회령) = %q: holds the code", got)
	}
	// 두만강 is the river and the town: both places' names, each once.
	got = PlaceSpellings("Tuman River")
	if !slices.Contains(got, "圖們江") || !slices.Contains(got, "두만강") || slices.Contains(got, "Tumangang station") {
		t.Errorf("PlaceSpellings(Tuman River) = %q: want the river's names only", got)
	}
	if got := PlaceSpellings("두만강"); !slices.Contains(got, "Tumangang station") || !slices.Contains(got, "Tumen River") {
		t.Errorf("PlaceSpellings(두만강) = %q: want the town's and the river's names", got)
	}
	for _, name := range []string{"river", "강", ""} {
		if got := PlaceSpellings(name); got != nil {
			t.Errorf("PlaceSpellings(%q) = %q, want nil", name, got)
		}
	}
}
