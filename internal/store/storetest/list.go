package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"sori/internal/store"
)

// testListings checks the listings of tables read otherwise by key (what
// copying an archive to another driver needs): settings, checkpoints with
// their times, time stamps and cosignatures, every row in order.
func testListings(t *testing.T, db store.DB) {
	ctx := ctxT(t)
	tx := begin(t, db)
	must(t, tx.SetMeta(ctx, "zeta", "last"))
	must(t, tx.SetMeta(ctx, "archive_id", "a-1"))
	must(t, tx.SetMeta(ctx, "zeta", "last, replaced"))
	must(t, tx.InsertCheckpoint(ctx, 2, []byte("note 2"), at(2)))
	must(t, tx.InsertCheckpoint(ctx, 1, []byte("note 1"), at(1)))
	commit(t, tx)
	var meta []string
	must(t, db.EachMeta(ctx, func(k, v string) error {
		meta = append(meta, k+"="+v)
		return nil
	}))
	// The driver's own bookkeeping is left out; the settings are in key
	// order.
	if !slices.Equal(meta, []string{"archive_id=a-1", "zeta=last, replaced"}) {
		t.Errorf("EachMeta: %q", meta)
	}
	var cps []string
	must(t, db.EachCheckpointAt(ctx, func(size int64, note []byte, when time.Time) error {
		if !when.Equal(at(int(size))) {
			return fmt.Errorf("checkpoint %d stored at %v, want %v", size, when, at(int(size)))
		}
		cps = append(cps, fmt.Sprint(size, " ", string(note)))
		return nil
	}))
	if !slices.Equal(cps, []string{"1 note 1", "2 note 2"}) {
		t.Errorf("EachCheckpointAt: %q", cps)
	}
	for i, size := range []int64{7, 3, 7} {
		_, err := db.AddTimestamp(ctx, store.Timestamp{Size: size, Note: []byte(fmt.Sprint("note ", size)), TSA: "https://tsa.example",
			GenTime: at(10 + i), Token: []byte(fmt.Sprint("token ", i))})
		must(t, err)
		must(t, db.AddCosignature(ctx, store.Cosignature{Size: size, Note: []byte(fmt.Sprint("note ", size)), Key: fmt.Sprint("w", i, "+1"),
			Line: fmt.Sprint("— w", i, "\n"), CosignedAt: at(20 + i)}))
	}
	var tss, css []string
	must(t, db.EachTimestamp(ctx, func(ts store.Timestamp) error {
		tss = append(tss, fmt.Sprint(ts.Size, " ", string(ts.Note), " ", string(ts.Token), " ", ts.GenTime.Sub(t0), " ", ts.TSA))
		return nil
	}))
	must(t, db.EachCosignature(ctx, func(c store.Cosignature) error {
		css = append(css, fmt.Sprint(c.Size, " ", string(c.Note), " ", c.Key, " ", strings.TrimSpace(c.Line), " ", c.CosignedAt.Sub(t0)))
		return nil
	}))
	if want := []string{"7 note 7 token 0 10s https://tsa.example", "3 note 3 token 1 11s https://tsa.example", "7 note 7 token 2 12s https://tsa.example"}; !slices.Equal(tss, want) {
		t.Errorf("EachTimestamp: %q", tss)
	}
	if want := []string{"7 note 7 w0+1 — w0 20s", "3 note 3 w1+1 — w1 21s", "7 note 7 w2+1 — w2 22s"}; !slices.Equal(css, want) {
		t.Errorf("EachCosignature: %q", css)
	}
}
