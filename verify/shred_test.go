package verify_test

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/verify"
)

// TestShredVerified: items shredded through sori (keys gone, a signed shred
// entry each) verify clean, with a note; a key row deleted behind sori's
// back is reported, and so is a shred entry whose item has its key again.
func TestShredVerified(t *testing.T) {
	ctx := context.Background()
	f := buildArchive(t).clone(t)
	a := f.mustOpen(t, archive.Options{WorkFactor: 10})
	if _, err := a.AddWitness(ctx, archive.Witness{Pseudonym: "W-17", Names: []string{"합성이름"}}); err != nil {
		t.Fatal(err)
	}
	// Every fixture item is tagged W-17; one more untagged item stays.
	var other evidence.ID
	err := a.Add(ctx, []string{"-"}, archive.AddOptions{Stdin: strings.NewReader("untagged synthetic note"), StdinName: "other.txt"}, func(r archive.Added) error {
		other = r.ID
		return r.Err
	})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	_, ring := unlock(t, f.dir)
	db := rawDB(t, f.dir, ring.DB)
	type keyRow struct {
		handle  string
		gen     int
		wrapped []byte
	}
	var first keyRow
	if err := db.QueryRow(`SELECT handle, gen, wrapped FROM item_keys WHERE item_id = ?`, f.items[0].String()).Scan(&first.handle, &first.gen, &first.wrapped); err != nil {
		t.Fatal(err)
	}
	db.Close()

	a = f.mustOpen(t, archive.Options{})
	info, err := a.WithdrawWitness(ctx, "W-17", archive.WithdrawOptions{ShredItems: true})
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(f.items)
	slices.SortFunc(want, func(x, y evidence.ID) int { return strings.Compare(x.String(), y.String()) })
	got := slices.Clone(info.Shredded)
	slices.SortFunc(got, func(x, y evidence.ID) int { return strings.Compare(x.String(), y.String()) })
	if !slices.Equal(got, want) {
		t.Fatalf("shredded %v, want the fixture's %d items", info.Shredded, len(f.items))
	}
	if _, _, err := a.Open(ctx, f.items[0].String()); !errors.Is(err, evidence.ErrShredded) {
		t.Errorf("reading a shredded item: %v", err)
	}
	rc, _, err := a.Open(ctx, other.String())
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(rc); err != nil || string(b) != "untagged synthetic note" {
		t.Errorf("the other item: %q %v", b, err)
	}
	rc.Close()
	r := run(t, a, verify.Options{})
	if !r.OK() {
		t.Fatalf("after shredding:\n%s", reportText(r))
	}
	if !slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, "shredded") }) {
		t.Errorf("no note on the shredded items:\n%s", reportText(r))
	}
	a.Close()

	// A key deleted without sori: the other item cannot be re-hashed and
	// nothing signed says why.
	db = rawDB(t, f.dir, ring.DB)
	mustExec(t, db, `DELETE FROM item_keys WHERE item_id = ?`, other.String())
	db.Close()
	r = run(t, f.mustOpen(t, archive.Options{}), verify.Options{})
	wantFinding(t, r, verify.KindContent)
	if !strings.Contains(reportText(r), other.String()) {
		t.Errorf("the finding does not name the item:\n%s", reportText(r))
	}

	// A shredded item's key put back (from an old copy): its shred entry
	// no longer tells the truth.
	db = rawDB(t, f.dir, ring.DB)
	mustExec(t, db, `INSERT INTO item_keys (item_id, handle, gen, wrapped) VALUES (?, ?, ?, ?)`, f.items[0].String(), first.handle, first.gen, first.wrapped)
	db.Close()
	r = run(t, f.mustOpen(t, archive.Options{}), verify.Options{})
	wantFinding(t, r, verify.KindEntry)
}
