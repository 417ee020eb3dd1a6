package archive

import (
	"slices"
	"strconv"

	"sori/internal/evidence"
	"sori/internal/publish"
	"sori/internal/vocab"
)

// Place precisions, finest first (vocabulary place_precision).
var placePrecisions = []string{"exact", "county", "province", "country", "none"}

// coarserPlace is the coarser of two place precisions ("" is province).
func coarserPlace(a, b string) string {
	rank := func(p string) int {
		if p == "" {
			p = "province"
		}
		if i := slices.Index(placePrecisions, p); i >= 0 {
			return i
		}
		return len(placePrecisions) - 1
	}
	if rank(a) >= rank(b) {
		if a == "" {
			return "province"
		}
		return a
	}
	return b
}

// country is what every place in North Korea coarsens to at country level.
var country = publish.Place{ID: "kp", Level: "country", Name: "Democratic People's Republic of Korea", Ko: "조선민주주의인민공화국"}

// place adds the place ref (a gazetteer code, a place record ID, or free
// text) at policy p's precision to the dataset, and returns its Place ID,
// or "" when it is withheld. Every change is reported.
func (b *pubBuilder) place(kind string, id evidence.ID, field, ref string, p policy) string {
	if ref == "" {
		return ""
	}
	pl, ok := b.coarsen(ref, p.place)
	to := ""
	if ok {
		to = pl.ID
		if !b.placeIDs[pl.ID] {
			b.placeIDs[pl.ID] = true
			b.ds.Places = append(b.ds.Places, pl)
		}
	}
	if to != ref {
		b.rep.Coarsenings = append(b.rep.Coarsenings, ReportCoarsening{Kind: kind, Record: id.String(), Field: field, From: b.placeFrom(ref), To: to, Precision: p.place})
	}
	return to
}

// placeFrom is how a report names the recorded place: its code or record
// ID, never free text (which could be anything).
func (b *pubBuilder) placeFrom(ref string) string {
	if _, ok := vocab.PlaceByCode(ref); ok {
		return ref
	}
	if rid, err := evidence.ParseID(ref); err == nil {
		if _, ok := b.places[rid]; ok {
			return ref
		}
	}
	return "(free text)"
}

// coarsen turns ref into a published place at precision prec.
func (b *pubBuilder) coarsen(ref, prec string) (publish.Place, bool) {
	if prec == "none" {
		return publish.Place{}, false
	}
	code, ok := b.gazetteerCode(ref, prec)
	if !ok {
		return publish.Place{}, false
	}
	if code == "" { // a place record published as recorded
		return b.exactRecord(ref)
	}
	if prec == "country" {
		return country, true
	}
	var g vocab.Place
	switch prec {
	case "exact":
		g, ok = vocab.PlaceByCode(code)
	case "county":
		g, ok = countyOf(code)
	default:
		g, ok = vocab.ProvinceOf(code)
	}
	if !ok {
		return country, true // outside any division (a border river)
	}
	out := publish.Place{ID: g.Code, Level: prec, Name: g.EN, Ko: g.Hangul}
	if g.Coords != nil {
		lat, lon := g.Coords.Lat, g.Coords.Lon
		out.Lat, out.Lon = &lat, &lon
	}
	return out, true
}

// gazetteerCode resolves ref to the gazetteer code it lies in. It returns
// "" and true for a place record to be published as recorded (exact
// precision), and false when ref leads to no gazetteer place (free text,
// or a record outside the gazetteer): withheld unless exact.
func (b *pubBuilder) gazetteerCode(ref, prec string) (string, bool) {
	if _, ok := vocab.PlaceByCode(ref); ok {
		return ref, true
	}
	rid, err := evidence.ParseID(ref)
	if err != nil {
		return "", false // free text: cannot be coarsened, so never published
	}
	pr, ok := b.places[rid]
	if !ok {
		return "", false
	}
	if prec == "exact" {
		return "", true
	}
	for range 16 { // parents may be place records; a cycle ends here
		if pr.Gazetteer != "" {
			return pr.Gazetteer, true
		}
		if _, ok := vocab.PlaceByCode(pr.Parent); ok {
			return pr.Parent, true
		}
		id, err := evidence.ParseID(pr.Parent)
		if err != nil {
			return "", false
		}
		if pr, ok = b.places[id]; !ok {
			return "", false
		}
	}
	return "", false
}

// exactRecord publishes a place record as recorded: its first name and
// its own coordinates.
func (b *pubBuilder) exactRecord(ref string) (publish.Place, bool) {
	rid, _ := evidence.ParseID(ref)
	pr := b.places[rid]
	if _, seen := b.placeIDs["record:"+ref]; !seen {
		b.placeSeq++
		b.placeIDs["record:"+ref] = true
		b.pubID[rid] = "place-" + strconv.Itoa(b.placeSeq)
	}
	out := publish.Place{ID: b.pubID[rid], Level: "exact"}
	if len(pr.Names) > 0 {
		out.Name = pr.Names[0]
	} else if g, ok := vocab.PlaceByCode(pr.Gazetteer); ok {
		out.Name, out.Ko = g.EN, g.Hangul
	}
	out.Lat, out.Lon = pr.Lat, pr.Lon
	return out, true
}

// countyOf is the city or county (si/kun/guyok) containing code, or the
// province-level division itself when code is one.
func countyOf(code string) (vocab.Place, bool) {
	for range 16 {
		p, ok := vocab.PlaceByCode(code)
		if !ok {
			return vocab.Place{}, false
		}
		switch p.Type {
		case "city", "county", "province", "directly_governed_city", "special_city":
			return p, true
		}
		if p.Parent == "" {
			return vocab.Place{}, false
		}
		code = p.Parent
	}
	return vocab.Place{}, false
}
