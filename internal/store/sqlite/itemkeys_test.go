package sqlite

import (
	"context"
	"fmt"
	"testing"

	"sori/internal/store"
	"sori/internal/textindex"
)

// TestExpungeTextLeavesNoPosting reads the index's rows themselves after
// ExpungeText: no posting list, in any segment, still holds an occurrence
// of the expunged text's generation (the storetest suite checks only what
// search returns, which skips dead rows too).
func TestExpungeTextLeavesNoPosting(t *testing.T) {
	db, _, _ := newDB(t)
	ctx := context.Background()
	index := func(doc string, parts ...string) {
		tx, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.IndexDoc(ctx, store.SearchDoc{Doc: doc, Kind: "transcript", Title: "t " + doc}, parts); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	index("w1", "청진 교화소 유일무이한말", "두만강 건넌 밤")
	for i := range 17 { // two merges of level 0
		index(fmt.Sprintf("f%02d", i), "두만강 채움 "+fmt.Sprint(i))
	}
	var gen int64
	if err := db.sql.QueryRowContext(ctx, `SELECT gen FROM search_docs WHERE doc = 'w1'`).Scan(&gen); err != nil || gen == 0 {
		t.Fatal(gen, err)
	}
	occurrences := func() (n int) {
		rows, err := db.sql.QueryContext(ctx, `SELECT term, seg, chunk, list FROM search_terms ORDER BY term, seg, chunk`)
		if err != nil {
			t.Fatal(err)
		}
		err = eachList(rows, func(tl termList) error {
			occs, err := textindex.DecodeList(nil, tl.list)
			for _, o := range occs {
				if int64(o>>32) == gen {
					n++
				}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if occurrences() == 0 {
		t.Fatal("the text's postings are not where the test looks")
	}
	tx, err := db.BeginShredding(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.ExpungeText(ctx, "w1"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := occurrences(); n != 0 {
		t.Errorf("%d occurrences of the expunged text are still stored", n)
	}
	var dead int
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM search_dead WHERE gen = ?`, gen).Scan(&dead); err != nil || dead != 0 {
		t.Errorf("search_dead lists the expunged generation: %d %v", dead, err)
	}
}
