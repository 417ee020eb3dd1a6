package storetest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"sori/internal/evidence"
	"sori/internal/store"
)

// testBatches: the batch writes of intake (store.InsertItems and the
// rest, store.Batcher where the driver has it) do what the one-row
// methods do: an existing item or one earlier in the batch is not
// inserted (the first wins), new items are queued in batch order, an
// existing key or version anywhere in a batch is refused, custody entries
// must follow the log, and batches mix with single rows in one
// transaction.
func testBatches(t *testing.T, db store.DB) {
	ctx := ctxT(t)
	addUser(t, db, "u1", "kim")
	old, a, b, c := idFrom("0d"), idFrom("aa"), idFrom("bb"), idFrom("cc")
	tx := begin(t, db)
	if ok, err := tx.InsertItem(ctx, item(old, 1, 0)); !ok || err != nil {
		t.Fatalf("InsertItem: %v %v", ok, err)
	}
	commit(t, tx)

	tx = begin(t, db)
	again := item(a, 20, 5) // a's bytes a second time, further on in the pack
	batch := []store.Item{item(c, 10, 1), item(a, 20, 2), again, item(old, 1, 0), item(b, 30, 3)}
	ins, err := store.InsertItems(ctx, tx, batch)
	must(t, err)
	if want := []bool{true, true, false, false, true}; !slices.Equal(ins, want) {
		t.Fatalf("InsertItems reports %v, want %v", ins, want)
	}
	if got, err := tx.Item(ctx, a); err != nil || !sameItem(got, item(a, 20, 2)) {
		t.Fatalf("the first of two rows of one item was not the one stored: %+v %v", got, err)
	}
	if ok, err := tx.InsertItem(ctx, item(b, 30, 3)); ok || err != nil {
		t.Fatalf("InsertItem after the batch: %v %v", ok, err)
	}
	ins, err = store.InsertItems(ctx, tx, nil)
	if err != nil || len(ins) != 0 {
		t.Fatalf("an empty batch: %v %v", ins, err)
	}
	key := func(id evidence.ID, n byte) store.ItemKey {
		return store.ItemKey{Item: id, Handle: fmt.Sprintf("%032x", n), Gen: 1, Wrapped: bytes.Repeat([]byte{n}, 72)}
	}
	must(t, store.InsertItemKeys(ctx, tx, []store.ItemKey{key(c, 1), key(a, 2)}))
	must(t, store.InsertVersions(ctx, tx, []store.Version{version(c, 1, 1), version(a, 1, 2), version(a, 2, 3)}))
	// Custody: single entries and batches in one transaction.
	if _, err := appendEntry(ctx, tx, "one", "obj"); err != nil {
		t.Fatal(err)
	}
	must(t, appendRows(ctx, tx, "batch", 1, 4))
	if _, err := appendEntry(ctx, tx, "two", "obj"); err != nil {
		t.Fatal(err)
	}
	must(t, appendRows(ctx, tx, "batch2", 6, 1))
	commit(t, tx)

	for _, id := range []evidence.ID{c, a, b} {
		if _, err := db.Item(ctx, id); err != nil {
			t.Errorf("item %s: %v", id, err)
		}
	}
	p, n, err := db.PendingItems(ctx, 10)
	must(t, err)
	var queued []evidence.ID
	for _, it := range p {
		queued = append(queued, it.ID)
	}
	if want := []evidence.ID{old, c, b, a}; n != 4 || !slices.Equal(queued, want) {
		t.Errorf("index queue %v (%d), want %v: new items in batch order, but a (its record has a second version) at the end", queued, n, want)
	}
	if k, err := db.ItemKey(ctx, a); err != nil || k.Handle != key(a, 2).Handle || !bytes.Equal(k.Wrapped, key(a, 2).Wrapped) {
		t.Errorf("ItemKey: %+v %v", k, err)
	}
	vs, err := db.Versions(ctx, a)
	if err != nil || len(vs) != 2 || !sameVersion(vs[0], version(a, 1, 2)) || !sameVersion(vs[1], version(a, 2, 3)) {
		t.Errorf("Versions: %+v %v", vs, err)
	}
	checkTree(t, db, 7)

	// Refusals: whatever else the batch holds, nothing of it stays.
	refuse := func(what string, target error, fn func(tx store.Tx) error) {
		t.Helper()
		tx := begin(t, db)
		wantErr(t, what, fn(tx), target)
		must(t, tx.Rollback())
	}
	refuse("a key for an item that has one", evidence.ErrExists, func(tx store.Tx) error {
		return store.InsertItemKeys(ctx, tx, []store.ItemKey{key(b, 3), key(a, 4)})
	})
	refuse("an item's key twice in a batch", evidence.ErrExists, func(tx store.Tx) error {
		return store.InsertItemKeys(ctx, tx, []store.ItemKey{key(b, 3), key(b, 4)})
	})
	refuse("a key for no item", evidence.ErrNotFound, func(tx store.Tx) error {
		return store.InsertItemKeys(ctx, tx, []store.ItemKey{key(idFrom("dd"), 5)})
	})
	forged := version(a, 1, 9)
	forged.Record = []byte(`{"forged":true}`)
	refuse("an existing version", evidence.ErrExists, func(tx store.Tx) error {
		return store.InsertVersions(ctx, tx, []store.Version{version(b, 1, 4), forged})
	})
	refuse("a version twice in a batch", evidence.ErrExists, func(tx store.Tx) error {
		return store.InsertVersions(ctx, tx, []store.Version{version(b, 1, 4), version(b, 1, 5)})
	})
	refuse("version 0", evidence.ErrInvalid, func(tx store.Tx) error {
		return store.InsertVersions(ctx, tx, []store.Version{version(b, 0, 4)})
	})
	refuse("leaves that do not match the entries", evidence.ErrInvalid, func(tx store.Tx) error {
		return store.AppendCustodyRows(ctx, tx, make([]store.CustodyRow, 2), make([][]byte, 1))
	})
	tx = begin(t, db)
	if err := appendRows(ctx, tx, "forger", 5, 2); err == nil {
		t.Errorf("a batch of entries replacing seq 5 and 6 was accepted")
	}
	tx.Rollback()
	tx = begin(t, db)
	if err := appendRows(ctx, tx, "gap", 8, 2); err == nil {
		t.Errorf("a batch of entries leaving a gap was accepted")
	}
	tx.Rollback()
	// An item under a retired content key fails its batch.
	tx = begin(t, db)
	must(t, tx.SetContentGen(ctx, 2))
	commit(t, tx)
	tx = begin(t, db)
	current := item(idFrom("ef"), 1, 9)
	current.KeyGen = 2
	if _, err := store.InsertItems(ctx, tx, []store.Item{current, item(idFrom("ee"), 1, 9)}); err == nil {
		t.Errorf("a batch with an item under a retired content key was stored")
	}
	tx.Rollback()

	if _, err := db.ItemKey(ctx, b); err == nil {
		t.Errorf("a refused batch left b's key")
	}
	if k, err := db.ItemKey(ctx, a); err != nil || k.Handle != key(a, 2).Handle {
		t.Errorf("a's key changed: %+v %v", k, err)
	}
	if v, err := db.LatestVersion(ctx, a); err != nil || !sameVersion(v, version(a, 2, 3)) {
		t.Errorf("a's versions changed: %+v %v", v, err)
	}
	if _, err := db.LatestVersion(ctx, b); err == nil {
		t.Errorf("a refused batch left a version of b")
	}
	if _, err := db.Item(ctx, idFrom("ef")); err == nil {
		t.Errorf("a refused batch left an item")
	}
	checkTree(t, db, 7)
}

// appendRows appends n entries by who in one batch, the first at seq.
func appendRows(ctx context.Context, tx store.Tx, who string, seq int64, n int) error {
	rows, leaves := make([]store.CustodyRow, n), make([][]byte, n)
	for i := range rows {
		s := seq + int64(i)
		data := leaf(s, fmt.Sprintf("%s-%d", who, i))
		rows[i] = store.CustodyRow{Seq: s, Kind: "test", Object: "obj", Entry: data, Sig: []byte(fmt.Sprintf("sig %s-%d", who, i)),
			Salt: []byte("salt"), Content: evidence.Sum(data)}
		leaves[i] = data
	}
	return store.AppendCustodyRows(ctx, tx, rows, leaves)
}

// appendBatchesConcurrently is appendConcurrently with every other
// transaction a batch of three entries: the log stays gap-free and sound.
func appendBatchesConcurrently(t *testing.T, a, b store.DB, writers, n int) {
	ctx := ctxT(t)
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers)
	for w := range 2 * writers {
		db := a
		if w%2 == 1 {
			db = b
		}
		wg.Go(func() {
			for i := range n {
				who := fmt.Sprintf("w%d-%d", w, i)
				var err error
				if i%2 == 0 {
					err = appendOne(ctx, db, who)
				} else {
					err = appendBatch(ctx, db, who)
				}
				if err != nil {
					errs <- fmt.Errorf("writer %d transaction %d: %w", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var total int64
	for i := range n {
		if i%2 == 0 {
			total++
		} else {
			total += 3
		}
	}
	total *= int64(2 * writers)
	checkTree(t, a, total)
	checkTree(t, b, total)
}

func appendBatch(ctx context.Context, db store.DB, who string) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	size, err := tx.TreeSize(ctx)
	if err != nil {
		return err
	}
	if err := appendRows(ctx, tx, who, size, 3); err != nil {
		return err
	}
	return tx.Commit()
}
