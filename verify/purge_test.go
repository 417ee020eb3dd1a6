package verify_test

import (
	"context"
	"testing"

	"sori/internal/archive"
	"sori/internal/model"
	"sori/verify"
)

// TestPurgeVerified: a version purged through sori (with its signed purge
// entry) verifies clean; a body emptied behind sori's back, with a purged
// row forged beside it, is reported.
func TestPurgeVerified(t *testing.T) {
	ctx := context.Background()
	f := buildArchive(t).clone(t)
	a := f.mustOpen(t, archive.Options{WorkFactor: 10})
	var ids []string
	for _, title := range []string{"typed a name here", "another mistake"} {
		id, err := a.AddRecord(ctx, &model.Event{Title: title, Date: model.Date{Precision: "unknown"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := a.UpdateRecord(ctx, id.String(), &model.Event{Title: "corrected", Date: model.Date{Precision: "unknown"}}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id.String())
	}
	if _, err := a.Purge(ctx, ids[0], 1, "a real name was typed"); err != nil {
		t.Fatal(err)
	}
	a.Close()
	a = f.mustOpen(t, archive.Options{})
	if r := run(t, a, verify.Options{}); !r.OK() {
		t.Fatalf("after a purge:\n%s", reportText(r))
	}
	a.Close()
	_, ring := unlock(t, f.dir)
	db := rawDB(t, f.dir, ring.DB)
	mustExec(t, db, `INSERT INTO purged (kind, id, version, reason, created_at, actor) SELECT 'record', id, 1, 'forged', created_at, actor FROM records WHERE id = ? AND version = 1`, ids[1])
	mustExec(t, db, `UPDATE records SET record = x'' WHERE id = ? AND version = 1`, ids[1])
	db.Close()
	r := run(t, f.mustOpen(t, archive.Options{}), verify.Options{})
	wantFinding(t, r, verify.KindRecord)
}
