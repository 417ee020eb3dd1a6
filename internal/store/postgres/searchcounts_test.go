package postgres

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"sori/internal/hangul"
	"sori/internal/store"
)

// pgCounts is search_state's count of live rows and their total length
// (ok false: absent), and the same summed afresh over every document.
func pgCounts(t *testing.T, db *DB) (kept, summed [2]int64, ok bool) {
	t.Helper()
	ctx := t.Context()
	st, err := db.searchCounts(ctx, db.pool)
	if err != nil {
		t.Fatal(err)
	}
	_, ok = st["rows"]
	kept = [2]int64{st["rows"], st["lens"]}
	err = db.each(ctx, db.pool, `SELECT doc, body FROM search_docs`, nil, func(r pgx.Rows) error {
		var doc string
		var body []byte
		if err := r.Scan(&doc, &body); err != nil {
			return err
		}
		var b docBody
		if err := openJSON(db.c, ad("search_docs.body", doc), body, &b); err != nil {
			return err
		}
		n, l, err := store.LensSum(b.Lens)
		summed[0], summed[1] = summed[0]+n, summed[1]+l
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return kept, summed, ok
}

func pgIndex(t *testing.T, db *DB, doc, title string, parts []string) {
	t.Helper()
	ctx := t.Context()
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

// TestSearchCountsKept: the live rows' count and total length kept in
// search_state follow adding, re-indexing and emptying; an index made
// before them (documents, no counts) is counted at its first query.
func TestSearchCountsKept(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := create(t, scratch(t))
	check := func(step string) {
		t.Helper()
		kept, summed, ok := pgCounts(t, db)
		if !ok || kept != summed || summed[0] == 0 && step != "cleared" {
			t.Errorf("%s: kept %v (%v), summed over the documents %v", step, kept, ok, summed)
		}
	}
	check("cleared")
	pgIndex(t, db, "a", "첫 문서", []string{"두만강을 건넜다", "the guards counted the rations"})
	pgIndex(t, db, "b", "둘째", []string{"혜산"})
	check("added")
	pgIndex(t, db, "a", "첫 문서, 고친 제목", []string{"하나 둘 셋 넷"})
	pgIndex(t, db, "b", "둘째 문서의 새 제목", nil)
	check("re-indexed")
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
	pgIndex(t, db, "c", "셋째", []string{"요덕 수용소에서"})
	pgIndex(t, db, "d", "넷째", []string{"Tumen river", "회령"})
	if _, err := db.pool.Exec(ctx, `DELETE FROM search_state WHERE key IN ('rows', 'lens')`); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := pgCounts(t, db); ok {
		t.Fatal("counts still there")
	}
	hits, err := db.Search(ctx, store.SearchQuery{Match: hangul.MatchExpr("회령"), NoSnippets: true})
	if err != nil || len(hits) != 1 || hits[0].Doc != "d" {
		t.Fatalf("search without counts: %+v %v", hits, err)
	}
	check("counted at the first query")
}
