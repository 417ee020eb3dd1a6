package textindex

import (
	"slices"
	"testing"

	"sori/internal/hangul"
	"sori/internal/vocab"
)

// placeDocs are one-paragraph documents naming places in the scripts and
// spellings of issue 15, and near misses a place query must not find.
var placeDocs = []string{
	1:  "그는 1997년 회령에서 붙잡혔다.",
	2:  "He was held in Hoeryong for a month.",
	3:  "Born in Hoeryŏng, North Hamgyong.",
	4:  "The Hoeryeong market was closed.",
	5:  "會寧에서 왔다.",
	6:  "우리는 두만강을 건넜다.",
	7:  "We crossed the Tumen at night.",
	8:  "They waded the Tuman River in March.",
	9:  "the Tuman-gang was frozen",
	10: "他们渡过了圖們江。",
	11: "압록강을 건넜다.",                    // another river
	12: "He came from Musan by train.", // another town
	13: "She saw the river at dawn.",   // "river" alone is no place
}

func searchPlaces(t *testing.T, docs []string, q string) []uint64 {
	t.Helper()
	m, st := index(docs[1:], 4) // docs[i] is row i
	expr := hangul.MatchExprPlaces(q, vocab.PlaceSpellings)
	cq, err := Compile(expr)
	if err != nil {
		t.Fatalf("Compile(%s): %v", expr, err)
	}
	got, err := Eval(cq, m, st)
	if err != nil {
		t.Fatal(err)
	}
	var rows []uint64
	for _, g := range got {
		rows = append(rows, g.Row)
	}
	slices.Sort(rows)
	return slices.Compact(rows)
}

// TestPlacesAcrossScripts: a place in any script or romanization finds
// its other forms in text, through the gazetteer (golden).
func TestPlacesAcrossScripts(t *testing.T) {
	hoeryong := []uint64{1, 2, 3, 4, 5}
	tumen := []uint64{6, 7, 8, 9, 10}
	for _, c := range []struct {
		q    string
		want []uint64
	}{
		{"Hoeryong", hoeryong},
		{"Hoeryŏng", hoeryong},
		{"hoeryeong", hoeryong},
		{"회령", hoeryong},
		{"會寧", hoeryong},
		{"(Hoeryong),", hoeryong},
		{"Tumen", tumen},
		{"Tuman", []uint64{8, 9}}, // not a gazetteer name on its own: the word alone
		{"Tuman River", tumen},
		{"Tumen River", tumen},
		{"두만강", tumen},
		{"圖們江", tumen},
		{"图们江", tumen},
		{"Tuman-gang", tumen},
		{`"Tuman River"`, tumen},
		{"Tumen crossed", []uint64{7}}, // a place and a plain word, ANDed
		{"Yalu", []uint64{11}},
		{"river", []uint64{8, 13}}, // a plain word: no place
	} {
		got := searchPlaces(t, placeDocs, c.q)
		if !slices.Equal(got, c.want) {
			t.Errorf("%q (%s): got rows %v, want %v", c.q, hangul.MatchExprPlaces(c.q, vocab.PlaceSpellings), got, c.want)
		}
	}
}
