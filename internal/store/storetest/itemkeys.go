package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"sori/internal/evidence"
	"sori/internal/store"
)

// testItemKeys: an item's own key is stored once, read back, listed, and
// deleted (shredding) in a shredding transaction; a second key for the same
// item, a key for no item and a second deletion are refused; a deletion
// rolled back leaves the key.
func testItemKeys(t *testing.T, db store.DB) {
	ctx := ctxT(t)
	addUser(t, db, "u1", "kim")
	a, b := idFrom("ab01"), idFrom("ab02")
	ka := store.ItemKey{Item: a, Handle: "00112233445566778899aabbccddeeff", Gen: 1, Wrapped: bytes.Repeat([]byte{7}, 72)}
	kb := store.ItemKey{Item: b, Handle: "ffeeddccbbaa99887766554433221100", Gen: 1, Wrapped: bytes.Repeat([]byte{9}, 72)}
	tx := begin(t, db)
	for i, it := range []store.Item{item(a, 10, 1), item(b, 20, 2)} {
		if ok, err := tx.InsertItem(ctx, it); err != nil || !ok {
			t.Fatalf("insert item %d: %v %v", i, ok, err)
		}
	}
	must(t, tx.InsertItemKey(ctx, ka))
	must(t, tx.InsertItemKey(ctx, kb))
	wantErr(t, "second key of an item", tx.InsertItemKey(ctx, ka), evidence.ErrExists)
	commit(t, tx)

	got, err := db.ItemKey(ctx, a)
	if err != nil || got.Item != a || got.Handle != ka.Handle || got.Gen != 1 || !bytes.Equal(got.Wrapped, ka.Wrapped) {
		t.Fatalf("ItemKey: %+v %v", got, err)
	}
	_, err = db.ItemKey(ctx, idFrom("cc"))
	wantErr(t, "key of an unknown item", err, evidence.ErrNotFound)
	var listed []evidence.ID
	must(t, db.EachItemKey(ctx, func(k store.ItemKey) error { listed = append(listed, k.Item); return nil }))
	if !slices.Equal(listed, []evidence.ID{a, b}) {
		t.Fatalf("EachItemKey: %v", listed)
	}

	// A deletion rolled back leaves the key.
	tx, err = store.BeginShredding(ctx, db)
	must(t, err)
	must(t, tx.DeleteItemKey(ctx, a))
	must(t, tx.Rollback())
	if _, err := db.ItemKey(ctx, a); err != nil {
		t.Fatalf("key gone after a rollback: %v", err)
	}
	tx, err = store.BeginShredding(ctx, db)
	must(t, err)
	if k, err := tx.ItemKey(ctx, a); err != nil || k.Handle != ka.Handle {
		t.Fatalf("tx.ItemKey before the deletion: %+v %v", k, err)
	}
	must(t, tx.DeleteItemKey(ctx, a))
	_, err = tx.ItemKey(ctx, a)
	wantErr(t, "tx.ItemKey after the deletion", err, evidence.ErrNotFound)
	wantErr(t, "second deletion", tx.DeleteItemKey(ctx, a), evidence.ErrNotFound)
	commit(t, tx)
	_, err = db.ItemKey(ctx, a)
	wantErr(t, "shredded key", err, evidence.ErrNotFound)
	if _, err := db.ItemKey(ctx, b); err != nil {
		t.Fatalf("the other item's key went too: %v", err)
	}
	// The item itself stays.
	if _, err := db.Item(ctx, a); err != nil {
		t.Fatalf("item gone with its key: %v", err)
	}
	// A key cannot be put back for a shredded item by another transaction
	// that names no item.
	tx = begin(t, db)
	wantErr(t, "key for no item", tx.InsertItemKey(ctx, store.ItemKey{Item: idFrom("dd"), Handle: ka.Handle, Gen: 1, Wrapped: ka.Wrapped}), evidence.ErrNotFound)
}

// testExpungeText: a document's text removed with ExpungeText is found by
// no term (not even after merges), its title still is, and other
// documents' text, sharing terms and segments with it, is untouched.
func testExpungeText(t *testing.T, db store.DB) {
	ctx := ctxT(t)
	indexDocs(t, db, corpus)
	indexDocs(t, db, []doc{{id: "w1", kind: "transcript", title: "증언 녹취", parts: []string{"청진 교화소에서 만난 사람", "두만강을 건넌 밤 유일무이한말"}}})
	// Enough commits that the document's rows are merged into a higher
	// level, with other documents' rows.
	for i := range 20 {
		indexDocs(t, db, []doc{{id: fmt.Sprintf("g%02d", i), kind: "note", title: "filler", parts: []string{"채움 두만강 " + fmt.Sprint(i)}}})
	}
	if got := find(t, db, "유일무이한말"); !slices.Equal(got, []string{"w1"}) {
		t.Fatalf("before: %v", got)
	}
	before := find(t, db, "두만강")
	tx, err := store.BeginShredding(ctx, db)
	must(t, err)
	must(t, tx.ExpungeText(ctx, "w1"))
	must(t, tx.ExpungeText(ctx, "never-indexed")) // nothing to do
	commit(t, tx)
	for _, q := range []string{"유일무이한말", "교화소", "청진 교화소"} {
		if got := find(t, db, q); len(got) != 0 {
			t.Errorf("%s after expunge: %v", q, got)
		}
	}
	if got := find(t, db, "녹취"); !slices.Equal(got, []string{"w1"}) {
		t.Errorf("title after expunge: %v", got)
	}
	want := slices.DeleteFunc(before, func(d string) bool { return d == "w1" })
	if got := find(t, db, "두만강"); !slices.Equal(got, want) {
		t.Errorf("others' text after expunge: %v, want %v", got, want)
	}
	// Later commits merge segments; the text does not come back.
	for i := range 20 {
		indexDocs(t, db, []doc{{id: fmt.Sprintf("h%02d", i), kind: "note", title: "filler", parts: []string{"더 채움 " + fmt.Sprint(i)}}})
	}
	if got := find(t, db, "유일무이한말"); len(got) != 0 {
		t.Errorf("after merges: %v", got)
	}
	// A second expunge does nothing.
	tx, err = store.BeginShredding(ctx, db)
	must(t, err)
	must(t, tx.ExpungeText(ctx, "w1"))
	commit(t, tx)
}
