package archive

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/store"
)

// TestShredItems: withdrawing a witness with ShredItems destroys the keys
// of the witness's items (tagged, or part of its testimony), drops their
// text from the search index in the same change, and signs a shred entry
// for each; other witnesses' items are untouched; a witness withdrawn
// earlier can still have its items shredded; a second run finds nothing
// left to do.
func TestShredItems(t *testing.T) {
	ctx := context.Background()
	a := newArchive(t) // the first admin holds protection
	for _, p := range []string{"W-31", "W-32"} {
		if _, err := a.AddWitness(ctx, Witness{Pseudonym: p, Names: []string{"합성 " + p}}); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "w31.txt"), []byte("첫째 문단 유일한낱말 청진\n\n둘째 문단 두만강"))
	writeFile(t, filepath.Join(dir, "w31.m4a"), []byte("synthetic audio bytes"))
	writeFile(t, filepath.Join(dir, "w32.txt"), []byte("다른 증언 두만강 유일한낱말"))
	w31 := addAll(t, a, []string{filepath.Join(dir, "w31.txt"), filepath.Join(dir, "w31.m4a")}, AddOptions{Witness: "W-31"})
	w32 := addAll(t, a, []string{filepath.Join(dir, "w32.txt")}, AddOptions{Witness: "W-32"})
	if _, err := a.IndexPending(ctx, nil); err != nil {
		t.Fatal(err)
	}
	find := func(q string) []string {
		hits, err := a.Search(ctx, q, SearchOptions{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, h := range hits {
			ids = append(ids, h.Doc)
		}
		slices.Sort(ids)
		return ids
	}
	both := []string{w31[0].ID.String(), w32[0].ID.String()}
	slices.Sort(both)
	if got := find("유일한낱말"); !slices.Equal(got, both) {
		t.Fatalf("before: %v", got)
	}

	info, err := a.WithdrawWitness(ctx, "W-31", WithdrawOptions{ShredItems: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []evidence.ID{w31[0].ID, w31[1].ID}
	got := slices.Clone(info.Shredded)
	cmpID := func(x, y evidence.ID) int { return strings.Compare(x.String(), y.String()) }
	slices.SortFunc(want, cmpID)
	slices.SortFunc(got, cmpID)
	if !slices.Equal(got, want) || info.Status != WitnessWithdrawn {
		t.Fatalf("withdraw: %+v", info)
	}
	for _, r := range w31 {
		if _, err := a.db.ItemKey(ctx, r.ID); !errors.Is(err, evidence.ErrNotFound) {
			t.Errorf("%s still has its key: %v", r.Path, err)
		}
		if _, _, err := a.Open(ctx, r.ID.String()); !errors.Is(err, evidence.ErrShredded) {
			t.Errorf("open %s: %v", r.Path, err)
		}
		if ok, err := a.shredded(ctx, r.ID); err != nil || !ok {
			t.Errorf("%s: no shred entry (%v)", r.Path, err)
		}
	}
	if _, err := a.db.ItemKey(ctx, w32[0].ID); err != nil {
		t.Errorf("another witness's item lost its key: %v", err)
	}
	if got := find("유일한낱말"); !slices.Equal(got, []string{w32[0].ID.String()}) {
		t.Errorf("after shredding, the word finds %v", got)
	}
	if got := find("청진"); len(got) != 0 {
		t.Errorf("after shredding, text only the shredded item held finds %v", got)
	}
	// The shred entries name the current version, with its digest.
	n := 0
	err = a.db.EachCustody(ctx, "", func(r store.CustodyRow) error {
		if r.Kind != custody.KindShred {
			return nil
		}
		n++
		e, err := custody.Unmarshal(r.Entry)
		if err != nil {
			return err
		}
		id, err := evidence.ParseID(e.Object)
		if err != nil {
			return err
		}
		v, err := a.db.LatestVersion(ctx, id)
		if err != nil {
			return err
		}
		if e.Version != v.Version || e.Digest != v.Digest {
			t.Errorf("shred entry %d names version %d, digest %x; current is %d", r.Seq, e.Version, e.Digest, v.Version)
		}
		return nil
	})
	if err != nil || n != 2 {
		t.Errorf("%d shred entries (%v), want 2", n, err)
	}
	if st, err := os.Stat(filepath.Join(a.dir, dbFile+"-wal")); err == nil && st.Size() != 0 {
		t.Errorf("the WAL holds %d bytes after shredding", st.Size())
	}

	// Again: nothing left to shred, nothing changes, no error.
	size, _ := a.db.TreeSize(ctx)
	if info, err := a.WithdrawWitness(ctx, "W-31", WithdrawOptions{ShredItems: true}); err != nil || len(info.Shredded) != 0 {
		t.Errorf("second shred: %+v %v", info, err)
	}
	if after, _ := a.db.TreeSize(ctx); after != size {
		t.Errorf("a second shred appended %d entries", after-size)
	}
	// Withdrawn first, shredded later.
	if _, err := a.WithdrawWitness(ctx, "W-32"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.WithdrawWitness(ctx, "W-32"); err == nil {
		t.Error("a second plain withdrawal was accepted")
	}
	if info, err := a.WithdrawWitness(ctx, "W-32", WithdrawOptions{ShredItems: true}); err != nil || len(info.Shredded) != 1 {
		t.Errorf("shredding after the withdrawal: %+v %v", info, err)
	}
	if _, _, err := a.Open(ctx, w32[0].ID.String()); !errors.Is(err, evidence.ErrShredded) {
		t.Errorf("open after the later shred: %v", err)
	}
}

// TestShredRefusesItemsWithoutKeys: an archive made before per-item keys
// has items that cannot be shredded; asking to shred them is refused, by
// ID, and nothing changes (the witness is not withdrawn either).
func TestShredRefusesItemsWithoutKeys(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "archive")
	if err := os.CopyFS(dir, os.DirFS("testdata/archive-3b7826e")); err != nil {
		t.Fatal(err)
	}
	a, err := Open(ctx, dir, "demo", "sori demo passphrase", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	// The demo's items are tagged W-01 …; its vault is empty: the witness
	// enters it now.
	const p = "W-01"
	if _, err := a.Witnesses(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddWitness(ctx, Witness{Pseudonym: p, Names: []string{"합성 증인"}}); err != nil {
		t.Fatal(err)
	}
	m, err := a.MaterialOf(ctx, p)
	if err != nil || len(m.Items) == 0 {
		t.Fatalf("the earlier archive's %s has no items: %v", p, err)
	}
	size, _ := a.db.TreeSize(ctx)
	_, err = a.WithdrawWitness(ctx, p, WithdrawOptions{ShredItems: true})
	if !errors.Is(err, evidence.ErrInvalid) || !strings.Contains(err.Error(), m.Items[0].String()) {
		t.Fatalf("shredding items without keys: %v", err)
	}
	if after, _ := a.db.TreeSize(ctx); after != size {
		t.Errorf("a refused shred appended %d entries", after-size)
	}
	if row, err := a.db.Vault(ctx, p); err != nil || row.Withdrawn {
		t.Errorf("a refused shred withdrew the witness: %+v %v", row, err)
	}
	// New items in the old archive have keys and can be shredded.
	if _, err := a.AddWitness(ctx, Witness{Pseudonym: "W-77", Names: []string{"합성 이름"}}); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "new.txt")
	writeFile(t, src, []byte("new synthetic statement"))
	addAll(t, a, []string{src}, AddOptions{Witness: "W-77"})
	if info, err := a.WithdrawWitness(ctx, "W-77", WithdrawOptions{ShredItems: true}); err != nil || len(info.Shredded) != 1 {
		t.Errorf("shredding a new item in an old archive: %+v %v", info, err)
	}
}

// TestShredBetweenReadAndIndex: an item whose text an indexer read before
// the item was shredded is not put back in the index by that indexer.
func TestShredBetweenReadAndIndex(t *testing.T) {
	ctx := context.Background()
	a := newArchive(t)
	if _, err := a.AddWitness(ctx, Witness{Pseudonym: "W-51", Names: []string{"합성 증인"}}); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "w51.txt")
	writeFile(t, src, []byte("경합하는 색인 낱말"))
	addAll(t, a, []string{src}, AddOptions{Witness: "W-51"})
	pend, _, err := a.db.PendingItems(ctx, 10)
	if err != nil || len(pend) != 1 {
		t.Fatalf("pending: %d %v", len(pend), err)
	}
	guard, err := a.newNameGuard(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := a.analyzeItem(ctx, pend[0], guard) // the indexer reads the text …
	if r.err != nil || r.text == nil || !r.keyed {
		t.Fatalf("analysed: %+v", r)
	}
	if _, err := a.WithdrawWitness(ctx, "W-51", WithdrawOptions{ShredItems: true}); err != nil { // … the item is shredded …
		t.Fatal(err)
	}
	tx, err := a.db.Begin(ctx) // … and the indexer commits.
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := tx.IndexText(ctx, r.doc, r.text); err != nil {
		t.Fatal(err)
	}
	if err := shreddedMeanwhile(ctx, tx, r); !errors.Is(err, evidence.ErrBusy) {
		t.Fatalf("indexing a shredded item's text read before: %v", err)
	}
	tx.Rollback()
	// The next run reads nothing of the item's text.
	if _, err := a.IndexPending(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if hits, err := a.Search(ctx, "경합하는", SearchOptions{}); err != nil || len(hits) != 0 {
		t.Errorf("after indexing again: %d hits %v", len(hits), err)
	}
}
