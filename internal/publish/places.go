package publish

import "sori/internal/vocab"

// provincePoint is a representative point of a first-level division: the
// coordinate Wikipedia gives for the province's article (its infobox or
// title coordinate), read 2026-12-07 through the pages listed in
// docs/publish.md. It is a map point for the whole province — the centre
// of its area, or near it — never a place inside it that a record names,
// so publishing it says no more than the province's name does.
//
// The gazetteer (internal/vocab) has no point of its own for these; where
// it has one (Pyongyang), that one is used. South Hwanghae's article gave
// none at hand: its point is the centre of area of the province's outline
// in the map data that reference/places.md §4.1 names (Highcharts
// map-collection 2.3.1, countries/kp/kp-all.geo.json, feature kp-wn,
// "Based on data from Natural Earth"), computed from the feature's
// polygons after undoing the file's hc-transform (UTM zone 52N, WGS 84);
// it lies inside the province. (That file's own "latitude"/"longitude"
// label for kp-wn, 37.7337 N 125.279 E, sits on the Ongjin coast, not
// a point for the whole province.)
type provincePoint struct{ lat, lon float64 }

var provincePoints = map[string]provincePoint{
	"south_hamgyong": {40.240, 127.531},       // en.wikipedia.org/wiki/South_Hamgyong_Province
	"north_hamgyong": {41.903, 129.408},       // en.wikipedia.org/wiki/North_Hamgyong_Province
	"north_pyongan":  {40.1, 124.4},           // en.wikipedia.org/wiki/North_Pyongan_Province
	"south_pyongan":  {39.25, 125.85},         // cs.wikipedia.org (Jižní Pchjongan): 39°15′N 125°51′E
	"chagang":        {40.970556, 126.5925},   // ru.wikipedia.org (Чагандо): 40°58′14″N 126°35′33″E
	"ryanggang":      {41.4, 128.183306},      // en.wikipedia.org/wiki/Ryanggang_Province
	"kangwon":        {39.1475, 127.446111},   // en.wikipedia.org/wiki/Kangwon_Province,_North_Korea
	"north_hwanghae": {38.506389, 125.759694}, // en.wikipedia.org/wiki/North_Hwanghae_Province
	"south_hwanghae": {38.1904, 125.5432},     // centre of area of kp-wn, Highcharts kp-all.geo.json 2.3.1 (above)
	"rason":          {42.344444, 130.384444}, // sv.wikipedia.org (Rason): 42°20′40″N 130°23′04″E
	"nampho":         {38.735556, 125.408889}, // en.wikipedia.org/wiki/Nampo
}

// Point kinds, as the GeoJSON "point" property names them.
const (
	PointPlace    = "place"    // the place's own point (gazetteer or place record)
	PointProvince = "province" // a province's representative point (provincePoints)
)

// placePoint returns the point a published place is shown at and what
// kind of point it is: its own coordinates when it has them, else, for a
// first-level division of the gazetteer, the division's representative
// point. A finer place is never shown at a point of its own that the
// dataset does not already carry.
func placePoint(p Place) (lat, lon float64, kind string, ok bool) {
	if p.Lat != nil && p.Lon != nil {
		return *p.Lat, *p.Lon, PointPlace, true
	}
	g, found := vocab.PlaceByCode(p.ID)
	if !found {
		return 0, 0, "", false
	}
	switch g.Type {
	case "province", "directly_governed_city", "special_city":
	default:
		return 0, 0, "", false
	}
	if g.Coords != nil {
		return g.Coords.Lat, g.Coords.Lon, PointProvince, true
	}
	pt, found := provincePoints[g.Code]
	if !found {
		return 0, 0, "", false
	}
	return pt.lat, pt.lon, PointProvince, true
}
