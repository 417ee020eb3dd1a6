package publish

import (
	"testing"

	"sori/internal/vocab"
)

// TestEveryProvinceHasAPoint: a place published at province precision is
// on the GeoJSON map whichever province it is in. The check runs over the
// gazetteer, so a province added there without a point fails here.
func TestEveryProvinceHasAPoint(t *testing.T) {
	n := 0
	for _, g := range vocab.Places() {
		switch g.Type {
		case "province", "directly_governed_city", "special_city":
		default:
			continue
		}
		n++
		lat, lon, kind, ok := placePoint(Place{ID: g.Code, Level: "province"})
		if !ok || kind != PointProvince {
			t.Errorf("%s (%s) has no GeoJSON point", g.Code, g.EN)
			continue
		}
		// Inside the DPRK's bounding box (about 37.6–43.0 N, 124.2–130.7 E).
		if lat < 37.6 || lat > 43.1 || lon < 124.2 || lon > 130.7 {
			t.Errorf("%s's point %v N %v E is outside the DPRK", g.Code, lat, lon)
		}
	}
	for code := range provincePoints {
		if g, ok := vocab.PlaceByCode(code); !ok || g.Coords != nil {
			t.Errorf("provincePoints has %s, which the gazetteer does not know or gives its own point", code)
		}
	}
	if n < 12 {
		t.Errorf("the gazetteer lists %d first-level divisions; want the 9 provinces and 3 special cities", n)
	}
}
