package sqlite

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"sori/internal/hangul"
	"sori/internal/store"
)

func searchDocs(t *testing.T, db *DB, q string) []string {
	t.Helper()
	hits, err := db.Search(context.Background(), store.SearchQuery{Match: hangul.MatchExpr(q), Limit: 1000,
		Text: func(doc string, part int) (string, error) { return "", nil }})
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	var out []string
	for _, h := range hits {
		out = append(out, h.Doc)
	}
	slices.Sort(out)
	return out
}

func index(t *testing.T, db *DB, doc, title string, parts []string) {
	t.Helper()
	ctx := context.Background()
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := tx.IndexDoc(ctx, store.SearchDoc{Doc: doc, Kind: "transcript", Title: title}, parts); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func segments(t *testing.T, db *DB) (n int, levels []int) {
	t.Helper()
	rows, err := db.sql.Query(`SELECT level FROM search_segs ORDER BY seg`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var l int
		rows.Scan(&l)
		levels = append(levels, l)
	}
	return len(levels), levels
}

// TestSearchSegmentsMergeAndReindex indexes documents one transaction
// each, so that segments merge into two levels, re-indexes some of them
// (title only, and text), and checks after every step that queries find
// exactly the live documents.
func TestSearchSegmentsMergeAndReindex(t *testing.T) {
	db := testDB(t)
	want := map[string][]string{} // query → docs
	var all []string
	// A list longer than a chunk (listChunk): split over rows, joined back.
	index(t, db, "big", "big", []string{strings.Repeat("산 ", 3*db.listChunk)})
	want["산"] = []string{"big"}
	all = append(all, "big")
	var chunks int
	if err := db.sql.QueryRow(`SELECT max(chunk) FROM search_terms WHERE term = ?`, []byte("산")).Scan(&chunks); err != nil || chunks < 2 {
		t.Fatalf("the long list is in %d chunks (%v)", chunks+1, err)
	}
	for i := range 70 {
		doc := fmt.Sprintf("d%02d", i)
		all = append(all, doc)
		text := "두만강을 건넜다"
		if i%2 == 0 {
			text = "요덕 관리소에서 Kim Jong-il"
			want["요덕"] = append(want["요덕"], doc)
		} else {
			want["두만강"] = append(want["두만강"], doc)
		}
		index(t, db, doc, "title "+doc, []string{text, "second part " + doc})
	}
	n, levels := segments(t, db)
	if n > 2*(mergeFanIn-1)+1 || !slices.IsSortedFunc(levels, func(a, b int) int { return b - a }) {
		t.Fatalf("after 70 commits: %d segments, levels %v (want few, non-increasing)", n, levels)
	}
	check := func(step string) {
		t.Helper()
		for q, docs := range want {
			if got := searchDocs(t, db, q); !slices.Equal(got, docs) {
				t.Fatalf("%s: %q found %v, want %v", step, q, got, docs)
			}
		}
		if got := searchDocs(t, db, "second part"); !slices.Equal(got, slices.DeleteFunc(slices.Clone(all), func(d string) bool { return d == "big" })) {
			t.Fatalf("%s: 'second part' found %d docs, want %d", step, len(got), len(all))
		}
	}
	want["김정일"] = want["요덕"]
	check("indexed")

	// Title-only re-index keeps the text; text re-index replaces it.
	index(t, db, "d00", "renamed 탈북", nil)
	want["탈북"] = []string{"d00"}
	index(t, db, "d02", "title d02", []string{"이제 다른 이야기", "second part d02"})
	want["요덕"] = slices.DeleteFunc(slices.Clone(want["요덕"]), func(d string) bool { return d == "d02" })
	want["김정일"] = want["요덕"]
	want["이야기"] = []string{"d02"}
	check("re-indexed")

	// Enough further commits to merge the segments holding the dead rows.
	for i := range 3 * mergeFanIn * mergeFanIn / 2 {
		index(t, db, fmt.Sprintf("e%03d", i), "filler", []string{"채움 second part"})
		all = append(all, fmt.Sprintf("e%03d", i))
	}
	slices.Sort(all)
	check("merged")
	var dead int
	if err := db.sql.QueryRow(`SELECT count(*) FROM search_dead`).Scan(&dead); err != nil {
		t.Fatal(err)
	}
	var stale int
	if err := db.sql.QueryRow(`SELECT count(*) FROM search_dead d WHERE NOT EXISTS
		(SELECT 1 FROM search_segs s WHERE d.gen BETWEEN s.lo AND s.hi)`).Scan(&stale); err != nil {
		t.Fatal(err)
	}
	if stale != 0 {
		t.Errorf("%d dead generations outlive their segments", stale)
	}
	t.Logf("%d dead generations left in unmerged segments", dead)
}

func TestSearchRollbackLeavesNothing(t *testing.T) {
	db := testDB(t)
	ctx := context.Background()
	index(t, db, "a", "first", []string{"두만강"})
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.IndexDoc(ctx, store.SearchDoc{Doc: "b", Kind: "transcript", Title: "second"}, []string{"두만강"}); err != nil {
		t.Fatal(err)
	}
	tx.Rollback()
	if got := searchDocs(t, db, "두만강"); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("after rollback: %v", got)
	}
	index(t, db, "c", "third", []string{"두만강"})
	if got := searchDocs(t, db, "두만강"); !slices.Equal(got, []string{"a", "c"}) {
		t.Fatalf("after rollback and a commit: %v", got)
	}
}

func testDB(t *testing.T) *DB {
	db, _, _ := newDB(t)
	return db
}

// TestSearchStartsAddedOnOpen: an index made before the parts' starts were
// kept gains the column on open; its documents have none (their snippets
// read the whole item), new ones keep theirs.
func TestSearchStartsAddedOnOpen(t *testing.T) {
	ctx := context.Background()
	db, path, key := newDB(t)
	index(t, db, "old", "옛 문서", []string{"하나"})
	if _, err := db.sql.Exec(`ALTER TABLE search_docs DROP COLUMN starts`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err := Open(ctx, path, key)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var starts []byte
	if err := db.sql.QueryRow(`SELECT starts FROM search_docs WHERE doc = 'old'`).Scan(&starts); err != nil || len(starts) != 0 {
		t.Fatalf("starts of a document indexed before them: %x, %v", starts, err)
	}
	index(t, db, "new", "새 문서", []string{"둘"})
	if got := searchDocs(t, db, "옛"); !slices.Equal(got, []string{"old"}) {
		t.Errorf("old document after the column was added: %v", got)
	}
}

// storedCounts is search_state's count of live rows and their total
// length, and the same summed afresh over every document.
func storedCounts(t *testing.T, db *DB) (kept, summed [2]int64) {
	t.Helper()
	for i, k := range []string{"rows", "lens"} {
		if err := db.sql.QueryRow(`SELECT value FROM search_state WHERE key = ?`, k).Scan(&kept[i]); err != nil {
			t.Fatalf("search_state %s: %v", k, err)
		}
	}
	rows, err := db.sql.Query(`SELECT lens FROM search_docs`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var lens []byte
		rows.Scan(&lens)
		n, l, err := store.LensSum(lens)
		if err != nil {
			t.Fatal(err)
		}
		summed[0], summed[1] = summed[0]+n, summed[1]+l
	}
	return kept, summed
}

// TestSearchCountsKept: the live rows' count and total length that
// queries read from search_state (instead of every document) follow new
// documents, re-indexed titles and texts, a title-only re-index and
// emptying; an index made before them gains them on open.
func TestSearchCountsKept(t *testing.T) {
	ctx := context.Background()
	db, path, key := newDB(t)
	check := func(step string) {
		t.Helper()
		kept, summed := storedCounts(t, db)
		if kept != summed || summed[0] == 0 && step != "cleared" {
			t.Errorf("%s: kept %v, summed over the documents %v", step, kept, summed)
		}
	}
	index(t, db, "a", "첫 문서", []string{"두만강을 건넜다", "the guards counted the rations"})
	index(t, db, "b", "둘째", []string{"혜산"})
	check("added")
	index(t, db, "a", "첫 문서, 고친 제목", []string{"하나 둘 셋 넷"})
	check("text re-indexed")
	index(t, db, "b", "둘째 문서의 새 제목", nil)
	check("title re-indexed")
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.ClearSearch(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	check("cleared")
	index(t, db, "c", "셋째", []string{"요덕 수용소에서"})
	index(t, db, "d", "넷째", []string{"Tumen river", "회령"})
	if _, err := db.sql.Exec(`DELETE FROM search_state WHERE key IN ('rows', 'lens')`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.sql.Exec(`DROP INDEX search_docs_gen`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err = Open(ctx, path, key); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	check("counted on open")
	if got := searchDocs(t, db, "회령"); !slices.Equal(got, []string{"d"}) {
		t.Errorf("search after the counts were added: %v", got)
	}
}
