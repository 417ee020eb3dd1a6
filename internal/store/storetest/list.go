package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"sori/internal/evidence"
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

// testPaging checks the listings that start after an ID: the rows after
// it in the full listing's order, and nothing else, whatever the ID's
// place; an unknown ID is refused.
func testPaging(t *testing.T, db store.DB) {
	ctx := ctxT(t)
	addUser(t, db, "u1", "kim")
	// Intake order differs from ID order; two items share a time, which
	// the ID orders.
	ids := []evidence.ID{idFrom("c3"), idFrom("a1"), idFrom("b2"), idFrom("a0"), idFrom("f9")}
	times := []int{1, 2, 3, 3, 5}
	tx := begin(t, db)
	for i, id := range ids {
		_, err := tx.InsertItem(ctx, item(id, int64(10+i), times[i]))
		must(t, err)
		must(t, tx.InsertVersion(ctx, version(id, 1, 10+i)))
	}
	must(t, tx.InsertVersion(ctx, version(ids[1], 2, 20)))
	// Records: e1 gets a second version, which moves it to the end.
	e1, e2, p1, e3 := idFrom("e1"), idFrom("e2"), idFrom("f1"), idFrom("e3")
	must(t, tx.InsertRecord(ctx, record(e1, 1, "event", "one", 1)))
	must(t, tx.InsertRecord(ctx, record(p1, 1, "place", "two", 2)))
	must(t, tx.InsertRecord(ctx, record(e2, 1, "event", "three", 3)))
	must(t, tx.InsertRecord(ctx, record(e3, 1, "event", "four", 3)))
	must(t, tx.InsertRecord(ctx, record(e1, 2, "event", "five", 4)))
	commit(t, tx)

	items := func(after evidence.ID) []string {
		var out []string
		must(t, db.EachLatestAfter(ctx, after, func(it store.Item, v store.Version) error {
			if v.Item != it.ID {
				t.Errorf("EachLatestAfter pairs %s with a version of %s", it.ID, v.Item)
			}
			out = append(out, fmt.Sprintf("%s/%d", it.ID.String()[:2], v.Version))
			return nil
		}))
		return out
	}
	full := items(evidence.ID{})
	if want := []string{"c3/1", "a1/2", "a0/1", "b2/1", "f9/1"}; !slices.Equal(full, want) {
		t.Fatalf("EachLatestAfter(zero) = %v, want %v", full, want)
	}
	var all []string
	must(t, db.EachLatest(ctx, func(it store.Item, v store.Version) error {
		all = append(all, fmt.Sprintf("%s/%d", it.ID.String()[:2], v.Version))
		return nil
	}))
	if !slices.Equal(all, full) {
		t.Errorf("EachLatest = %v, EachLatestAfter(zero) = %v", all, full)
	}
	for i, s := range full {
		id := map[string]evidence.ID{"c3": ids[0], "a1": ids[1], "b2": ids[2], "a0": ids[3], "f9": ids[4]}[s[:2]]
		if got := items(id); !slices.Equal(got, full[i+1:]) {
			t.Errorf("EachLatestAfter(%s) = %v, want %v", s[:2], got, full[i+1:])
		}
	}
	err := db.EachLatestAfter(ctx, idFrom("dd"), func(store.Item, store.Version) error { return nil })
	wantErr(t, "EachLatestAfter an unknown item", err, evidence.ErrNotFound)
	stop := fmt.Errorf("stop")
	n := 0
	if err := db.EachLatestAfter(ctx, ids[0], func(store.Item, store.Version) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("EachLatestAfter does not stop at fn's error: %v after %d", err, n)
	}

	records := func(kind string, after evidence.ID) []string {
		var out []string
		must(t, db.EachRecordAfter(ctx, kind, after, 0, func(r store.RecordRow) error {
			out = append(out, fmt.Sprintf("%s/%d", r.ID.String()[:2], r.Version))
			return nil
		}))
		return out
	}
	byName := map[string]evidence.ID{"e1": e1, "e2": e2, "f1": p1, "e3": e3}
	for _, kind := range []string{"", "event"} {
		var want []string
		must(t, db.EachRecord(ctx, kind, true, func(r store.RecordRow) error {
			want = append(want, fmt.Sprintf("%s/%d", r.ID.String()[:2], r.Version))
			return nil
		}))
		if got := records(kind, evidence.ID{}); !slices.Equal(got, want) {
			t.Errorf("EachRecordAfter(%q, zero) = %v, EachRecord = %v", kind, got, want)
		}
		for i, s := range want {
			if got := records(kind, byName[s[:2]]); !slices.Equal(got, want[i+1:]) {
				t.Errorf("EachRecordAfter(%q, %s) = %v, want %v", kind, s[:2], got, want[i+1:])
			}
		}
	}
	if want := []string{"f1/1", "e2/1", "e3/1", "e1/2"}; !slices.Equal(records("", evidence.ID{}), want) {
		t.Errorf("EachRecordAfter(all) = %v, want %v", records("", evidence.ID{}), want)
	}
	// A record of another kind is a place in the order too.
	if got, want := records("event", p1), []string{"e2/1", "e3/1", "e1/2"}; !slices.Equal(got, want) {
		t.Errorf("EachRecordAfter(event, a place) = %v, want %v", got, want)
	}
	err = db.EachRecordAfter(ctx, "", idFrom("dd"), 0, func(store.RecordRow) error { return nil })
	wantErr(t, "EachRecordAfter an unknown record", err, evidence.ErrNotFound)
	// A page ended at e1 when it was at version 1 (first); e1 has changed
	// since. From where its version 1 stood, nothing is passed over, and
	// e1 comes again at its new place.
	var got []string
	must(t, db.EachRecordAfter(ctx, "", e1, 1, func(r store.RecordRow) error {
		got = append(got, fmt.Sprintf("%s/%d", r.ID.String()[:2], r.Version))
		return nil
	}))
	if want := []string{"f1/1", "e2/1", "e3/1", "e1/2"}; !slices.Equal(got, want) {
		t.Errorf("EachRecordAfter(e1 at version 1) = %v, want %v", got, want)
	}
	if got := records("", e1); len(got) != 0 {
		t.Errorf("EachRecordAfter(e1 at its latest) = %v, want nothing", got)
	}
	err = db.EachRecordAfter(ctx, "", e1, 3, func(store.RecordRow) error { return nil })
	wantErr(t, "EachRecordAfter an unknown version", err, evidence.ErrNotFound)
}
