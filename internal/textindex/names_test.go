package textindex

import (
	"slices"
	"testing"

	"sori/internal/hangul"
)

// search indexes docs (rows 1…) and returns the rows MatchExpr(q) finds
// through Compile and Eval, best first.
func search(t *testing.T, docs []string, q string) []uint64 {
	t.Helper()
	m, st := index(docs, 4)
	expr := hangul.MatchExpr(q)
	if expr == "" {
		return nil
	}
	cq, err := Compile(expr)
	if err != nil {
		t.Fatalf("Compile(%s): %v", expr, err)
	}
	got, err := Eval(cq, m, st)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortStableFunc(got, func(a, b Match) int {
		switch {
		case a.Score < b.Score:
			return -1
		case a.Score > b.Score:
			return 1
		}
		return 0
	})
	var rows []uint64
	for _, g := range got {
		rows = append(rows, g.Row)
	}
	return rows
}

// nameDocs are one-paragraph documents for the name cases of issue 15:
// the same synthetic people in Hangul and in romanizations, and near
// misses that a name query must not find.
var nameDocs = []string{
	1:  "증언자 박철민은 1998년 무산에서 붙잡혔다.",
	2:  "증언자 박철수는 회령에서 풀려났다.", // near miss of 박철민
	3:  "Victims: Park, Cheol-min (b. 1961); Han, Deok-su.",
	4:  "Kim Jeong-il. He was taken to Yodok.",
	5:  "A guard (Han Deok-su) beat him.",
	6:  "류철민 씨와 남영호 씨, 노석준 씨는 함께 탈출했다.",
	7:  "유혜옥은 혜산에서 붙잡혔다.",
	8:  "Yu Hyeok was questioned in Hyesan.",
	9:  "Bakcheolmin signed the list.",
	10: "박덕수는 청진에서 일했다.",
	11: "김정일 시대의 배급",
	12: "유혁은 군인이었다.",
}

func TestNameSpellingsGolden(t *testing.T) {
	docs := nameDocs[1:]
	row := func(i int) uint64 { return uint64(i) } // nameDocs[i] is row i
	tests := []struct {
		name  string
		query string
		want  []int // rows that must be found
		not   []int // rows that must not be
	}{
		// Punctuation around and inside a romanized name, in the query.
		{"SURNAME, Given", "Park, Cheol-min", []int{1, 3, 9}, []int{2}},
		{"SURNAME, Given without space", "Park,Cheol-min", []int{1, 3, 9}, []int{2}},
		{"Given Surname.", "Cheol-min Park.", []int{1, 3, 9}, []int{2}},
		{"(Surname Given)", "(Han Deok-su)", []int{3, 5}, []int{10}},
		{"Surname Given.", "Kim Jeong-il.", []int{4, 11}, nil},
		{"quoted with punctuation", `"Park, Cheol-min"`, []int{1, 3, 9}, []int{2}},
		{"Hangul in brackets", "(박철민)", []int{1, 3, 9}, []int{2}},
		{"Hangul with comma", "박철민,", []int{1, 3, 9}, []int{2}},
		// Punctuation in the documents.
		{"Hangul query, SURNAME, Given in text", "박철민", []int{1, 3, 9}, []int{2}},
		{"Hangul query, (Surname Given) in text", "한덕수", []int{3, 5}, []int{10}},
		{"Hangul query, Surname Given. in text", "김정일", []int{4, 11}, nil},
		// Surname spellings from the table of variants.
		{"Bahk", "Bahk Cheol-min", []int{1, 3, 9}, []int{2}},
		{"Lyu", "Lyu Cheol-min", []int{6}, []int{1}},
		{"Rhyu", "Rhyu Cheol-min", []int{6}, []int{1}},
		{"Nahm", "Nahm Yeong-ho", []int{6}, nil},
		{"Lo", "Lo Seok-jun", []int{6}, nil},
		// RR transliteration: finals g d b.
		{"RR transliteration Bag Deog-su", "Bag Deog-su", []int{10}, []int{3, 5}},
		{"RR transliteration Bag Cheol-min", "Bag Cheolmin", []int{1, 3, 9}, []int{2}},
		{"RR transliteration of the whole name", hangul.RRTransliterate("박덕수"), []int{10}, nil},
		// Yale.
		{"Yale Pak Chelmin", "Pak Chelmin", []int{1, 3, 9}, []int{2}},
		{"Yale Kim Cengil", "Kim Cengil", []int{4, 11}, nil},
		{"Yale Yu Hyeyok", "Yu Hyeyok", []int{7}, nil},
		// A name written as one word.
		{"one word", "Bakcheolmin", []int{1, 3, 9}, []int{2}},
		{"one word, lower case", "parkcheolmin", []int{1, 3, 9}, []int{2}},
		{"one word, Yale", "Pakchelmin", []int{1, 3, 9}, []int{2}},
		// Joined given names, every split.
		{"Yu Hyeok finds 유혜옥 and 유혁", "Yu Hyeok", []int{7, 8, 12}, nil},
		{"유혜옥 finds Yu Hyeok", "유혜옥", []int{7, 8}, nil},
		{"Yu Hye-ok joined", "Yu Hye-ok", []int{7, 8}, nil},
	}
	for _, tc := range tests {
		got := search(t, docs, tc.query)
		for _, w := range tc.want {
			if !slices.Contains(got, row(w)) {
				t.Errorf("%s: %q (%s) does not find %q; found rows %v", tc.name, tc.query, hangul.MatchExpr(tc.query), nameDocs[w], got)
			}
		}
		for _, n := range tc.not {
			if slices.Contains(got, row(n)) {
				t.Errorf("%s: %q (%s) finds %q", tc.name, tc.query, hangul.MatchExpr(tc.query), nameDocs[n])
			}
		}
	}
}

// TestEnglishInflection: an English word finds its other inflections
// (issue 15, part 3), and a quoted phrase only itself.
func TestEnglishInflection(t *testing.T) {
	docs := []string{
		"He received no ration that winter.",         // 1
		"Rations were cut in 1996.",                  // 2
		"The rationing system collapsed.",            // 3
		"She was returned from China.",               // 4
		"Guards return deserters to the county.",     // 5
		"Operation in Yodok; a rationale was given.", // 6: not an inflection
	}
	for _, c := range []struct {
		q    string
		want []uint64
	}{
		{"rations", []uint64{1, 2, 3}},
		{"ration", []uint64{1, 2, 3}},
		{"returned", []uint64{4, 5}},
		{`"no rations"`, nil},
		{`"no ration"`, []uint64{1}},
	} {
		got := search(t, docs, c.q)
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%q (%s) found rows %v, want %v", c.q, hangul.MatchExpr(c.q), got, c.want)
		}
	}
}

// TestSyllableRanksWordFirst: a one-syllable query ranks rows where the
// syllable is a word (강, 강을, 두만강) above rows where it only begins a
// longer word (강제송환), and finds the same rows as before (issue 15).
func TestSyllableRanksWordFirst(t *testing.T) {
	docs := []string{
		"그는 중국에서 강제송환 되었다고 했다",    // 1: 강 begins a longer word
		"그는 밤에 강을 건너 중국에 갔다고 했다",  // 2: the word 강 with a particle
		"그는 1997년 강제노동 하였다고 했다",   // 3
		"그는 어느 날 두만강 건너 갔다고 했다",   // 4: a word ending in 강
		"그는 어느 날 강 건너 마을로 갔다고 했다", // 5: the word alone
		"그는 어느 날 마을로 갔다고 했다",      // 6: no 강
	}
	got := search(t, docs, "강")
	if len(got) != 5 || slices.Contains(got, 6) {
		t.Fatalf("강 found rows %v, want 1–5", got)
	}
	rank := func(r uint64) int { return slices.Index(got, r) }
	for _, word := range []uint64{2, 4, 5} {
		for _, inside := range []uint64{1, 3} {
			if rank(word) > rank(inside) {
				t.Errorf("강: row %d (%s) ranks below row %d (%s): %v", word, docs[word-1], inside, docs[inside-1], got)
			}
		}
	}
}
