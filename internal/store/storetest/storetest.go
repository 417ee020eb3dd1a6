// Package storetest is the conformance suite of the storage contract
// (sori/internal/store): every driver runs it, with the same fixtures and
// the same expected answers, golden search results included.
//
//	func TestConformance(t *testing.T) { storetest.Run(t, openFresh) }
//	func TestTwoHandles(t *testing.T) { storetest.RunShared(t, openTwo) }
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"sori/internal/evidence"
	"sori/internal/store"
)

// Run runs the suite; open returns a new, empty store for each subtest
// (closed by the test's cleanup).
func Run(t *testing.T, open func(t *testing.T) store.DB) {
	for _, c := range []struct {
		name string
		fn   func(t *testing.T, db store.DB)
	}{
		{"Items", testItems},
		{"Immutability", testImmutability},
		{"Records", testRecords},
		{"Users", testUsers},
		{"Meta", testMeta},
		{"ContentGen", testContentGen},
		{"Vault", testVault},
		{"VaultNames", testVaultNames},
		{"Custody", testCustody},
		{"CustodyConcurrent", func(t *testing.T, db store.DB) { appendConcurrently(t, db, db, 8, 6) }},
		{"Batches", testBatches},
		{"CustodyBatchesConcurrent", func(t *testing.T, db store.DB) { appendBatchesConcurrently(t, db, db, 4, 6) }},
		{"Purge", testPurge},
		{"ItemKeys", testItemKeys},
		{"ExpungeText", testExpungeText},
		{"Timestamps", testTimestamps},
		{"LogWitnesses", testLogWitnesses},
		{"Cosignatures", testCosignatures},
		{"SearchGolden", testSearchGolden},
		{"SearchReindex", testSearchReindex},
		{"SearchLinks", testSearchLinks},
		{"SearchPending", testSearchPending},
		{"IndexQueue", func(t *testing.T, db store.DB) { IndexQueue(t, db, db, 4, 10) }},
		{"SnippetItems", testSnippetItems},
		{"Rollback", testRollback},
		{"Listings", testListings},
		{"Paging", testPaging},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open(t)) })
	}
}

// RunShared runs what needs two handles on one store — two processes,
// each with its own connections: open returns them, on a new empty store.
func RunShared(t *testing.T, open func(t *testing.T) (store.DB, store.DB)) {
	t.Run("CustodyTwoHandles", func(t *testing.T) {
		a, b := open(t)
		appendConcurrently(t, a, b, 8, 6)
	})
	t.Run("CustodyBatchesTwoHandles", func(t *testing.T) {
		a, b := open(t)
		appendBatchesConcurrently(t, a, b, 4, 6)
	})
	t.Run("IndexQueueTwoHandles", func(t *testing.T) {
		a, b := open(t)
		IndexQueue(t, a, b, 4, 10)
	})
	t.Run("SearchSeesOtherHandle", func(t *testing.T) {
		a, b := open(t)
		ctx := context.Background()
		addUser(t, a, "u1", "kim")
		indexDocs(t, a, []doc{{id: "x1", kind: "testimony", title: "첫째", parts: []string{"두만강을 건넜다"}}})
		if got := find(t, b, "두만강"); !slices.Equal(got, []string{"x1"}) {
			t.Fatalf("second handle found %v", got)
		}
		indexDocs(t, b, []doc{{id: "x2", kind: "testimony", title: "둘째", parts: []string{"두만강 건너"}}})
		if got := find(t, a, "두만강"); !slices.Equal(got, []string{"x1", "x2"}) {
			t.Fatalf("first handle, after the second indexed: %v", got)
		}
		if u, err := b.UserByName(ctx, "kim"); err != nil || u.ID != "u1" {
			t.Fatalf("second handle: user %v, %v", u, err)
		}
	})
}

// t0 is the fixtures' clock: nanoseconds must survive a round trip.
var t0 = time.Date(2024, 3, 1, 9, 30, 0, 123456789, time.UTC)

func at(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }

func ctxT(t *testing.T) context.Context { return t.Context() }

func begin(t *testing.T, db store.DB) store.Tx {
	t.Helper()
	tx, err := db.Begin(ctxT(t))
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	t.Cleanup(func() { tx.Rollback() })
	return tx
}

func commit(t *testing.T, tx store.Tx) {
	t.Helper()
	if err := tx.Commit(); err != nil {
		t.Fatalf("commit: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got %v, want %v", what, err, target)
	}
}

func addUser(t *testing.T, db store.DB, id, name string) store.User {
	t.Helper()
	u := store.User{ID: id, Name: name, Role: "admin", Recipient: "age1" + id, SignPub: []byte("pub-" + id), CreatedAt: at(0)}
	tx := begin(t, db)
	must(t, tx.InsertUser(ctxT(t), u))
	commit(t, tx)
	return u
}

// idFrom makes a fixed ID whose hex starts with prefix.
func idFrom(prefix string) evidence.ID {
	s := (prefix + strings.Repeat("0", 64))[:len(evidence.ID{})*2]
	id, err := evidence.ParseID(s)
	if err != nil {
		panic(err)
	}
	return id
}

func item(id evidence.ID, size int64, n int) store.Item {
	return store.Item{ID: id, SHA256: evidence.Sum([]byte(id.String())), Size: size, Pack: "pack-1", Off: int64(n) * 100, Len: 90,
		KeyGen: 1, CreatedAt: at(n), CreatedBy: "u1"}
}

func version(id evidence.ID, v, n int) store.Version {
	rec := []byte(fmt.Sprintf(`{"item":%q,"version":%d,"title":"증언 %d"}`, id, v, v))
	return store.Version{Item: id, Version: v, Record: rec, Digest: evidence.Sum(rec), CreatedAt: at(n), Actor: "u1"}
}

func record(id evidence.ID, v int, kind, body string, n int) store.RecordRow {
	rec := []byte(fmt.Sprintf(`{"id":%q,"version":%d,"body":%q}`, id, v, body))
	return store.RecordRow{ID: id, Version: v, Kind: kind, Record: rec, Digest: evidence.Sum(rec), CreatedAt: at(n), Actor: "u1"}
}

func sameItem(a, b store.Item) bool {
	return a.ID == b.ID && a.SHA256 == b.SHA256 && a.Size == b.Size && a.Pack == b.Pack && a.Off == b.Off && a.Len == b.Len &&
		a.KeyGen == b.KeyGen && a.CreatedAt.Equal(b.CreatedAt) && a.CreatedBy == b.CreatedBy
}

func sameVersion(a, b store.Version) bool {
	return a.Item == b.Item && a.Version == b.Version && bytes.Equal(a.Record, b.Record) && a.Digest == b.Digest &&
		a.CreatedAt.Equal(b.CreatedAt) && a.Actor == b.Actor
}

func sameRecord(a, b store.RecordRow) bool {
	return a.ID == b.ID && a.Version == b.Version && a.Kind == b.Kind && bytes.Equal(a.Record, b.Record) && a.Digest == b.Digest &&
		a.CreatedAt.Equal(b.CreatedAt) && a.Actor == b.Actor
}

func testItems(t *testing.T, db store.DB) {
	ctx := ctxT(t)
	addUser(t, db, "u1", "kim")
	a, b, c := idFrom("aa11"), idFrom("aa22"), idFrom("bb33")
	tx := begin(t, db)
	// Intake order (time) differs from ID order on purpose.
	for i, it := range []store.Item{item(c, 10, 1), item(a, 20, 2), item(b, 30, 3)} {
		ok, err := tx.InsertItem(ctx, it)
		if err != nil || !ok {
			t.Fatalf("insert item %d: %v %v", i, ok, err)
		}
	}
	if ok, err := tx.InsertItem(ctx, item(a, 20, 2)); ok || err != nil {
		t.Fatalf("second insert of an item: inserted %v, %v", ok, err)
	}
	got, err := tx.Item(ctx, a)
	if err != nil || !sameItem(got, item(a, 20, 2)) {
		t.Fatalf("tx.Item: %+v %v", got, err)
	}
	for i, id := range []evidence.ID{a, b, c} {
		must(t, tx.InsertVersion(ctx, version(id, 1, 11+i)))
	}
	must(t, tx.InsertVersion(ctx, version(a, 2, 20)))
	if v, err := tx.LatestVersion(ctx, a); err != nil || v.Version != 2 {
		t.Fatalf("tx.LatestVersion: %v %v", v.Version, err)
	}
	commit(t, tx)

	got, err = db.Item(ctx, b)
	if err != nil || !sameItem(got, item(b, 30, 3)) {
		t.Fatalf("Item: %+v %v", got, err)
	}
	_, err = db.Item(ctx, idFrom("cc"))
	wantErr(t, "missing item", err, evidence.ErrNotFound)
	if id, err := db.ResolvePrefix(ctx, "bb"); err != nil || id != c {
		t.Errorf("ResolvePrefix bb: %v %v", id, err)
	}
	_, err = db.ResolvePrefix(ctx, "aa")
	wantErr(t, "ambiguous prefix", err, evidence.ErrInvalid)
	_, err = db.ResolvePrefix(ctx, "cc")
	wantErr(t, "unknown prefix", err, evidence.ErrNotFound)
	for size, want := range map[int64]bool{10: true, 30: true, 11: false} {
		if ok, err := db.SizeExists(ctx, size); err != nil || ok != want {
			t.Errorf("SizeExists(%d) = %v %v", size, ok, err)
		}
	}
	vs, err := db.Versions(ctx, a)
	if err != nil || len(vs) != 2 || !sameVersion(vs[0], version(a, 1, 11)) || !sameVersion(vs[1], version(a, 2, 20)) {
		t.Fatalf("Versions: %+v %v", vs, err)
	}
	if v, err := db.LatestVersion(ctx, a); err != nil || !sameVersion(v, version(a, 2, 20)) {
		t.Fatalf("LatestVersion: %+v %v", v, err)
	}
	_, err = db.LatestVersion(ctx, idFrom("cc"))
	wantErr(t, "latest version of a missing item", err, evidence.ErrNotFound)

	var order []evidence.ID
	must(t, db.EachItem(ctx, func(it store.Item) error { order = append(order, it.ID); return nil }))
	if !slices.Equal(order, []evidence.ID{a, b, c}) {
		t.Errorf("EachItem order %v", order)
	}
	order = nil
	must(t, db.EachLatest(ctx, func(it store.Item, v store.Version) error {
		if v.Item != it.ID {
			t.Errorf("EachLatest pairs %s with a version of %s", it.ID, v.Item)
		}
		if it.ID == a && v.Version != 2 {
			t.Errorf("EachLatest gives version %d of a", v.Version)
		}
		order = append(order, it.ID)
		return nil
	}))
	if !slices.Equal(order, []evidence.ID{c, a, b}) {
		t.Errorf("EachLatest order %v (want intake order)", order)
	}
	var vorder []string
	must(t, db.EachVersion(ctx, func(v store.Version) error {
		vorder = append(vorder, fmt.Sprintf("%s/%d", v.Item.String()[:4], v.Version))
		return nil
	}))
	if want := []string{"aa11/1", "aa11/2", "aa22/1", "bb33/1"}; !slices.Equal(vorder, want) {
		t.Errorf("EachVersion order %v, want %v", vorder, want)
	}
	stop := errors.New("stop")
	if err := db.EachItem(ctx, func(store.Item) error { return stop }); err != stop {
		t.Errorf("EachItem does not stop at fn's error: %v", err)
	}
}

func testImmutability(t *testing.T, db store.DB) {
	ctx := ctxT(t)
	addUser(t, db, "u1", "kim")
	a := idFrom("ab")
	tx := begin(t, db)
	_, err := tx.InsertItem(ctx, item(a, 5, 1))
	must(t, err)
	must(t, tx.InsertVersion(ctx, version(a, 1, 1)))
	r := idFrom("cd")
	must(t, tx.InsertRecord(ctx, record(r, 1, "event", "first", 1)))
	commit(t, tx)

	tx = begin(t, db)
	changed := version(a, 1, 5)
	changed.Record = []byte(`{"forged":true}`)
	wantErr(t, "existing item version", tx.InsertVersion(ctx, changed), evidence.ErrExists)
	wantErr(t, "existing record version", tx.InsertRecord(ctx, record(r, 1, "event", "forged", 5)), evidence.ErrExists)
	wantErr(t, "version 0", tx.InsertVersion(ctx, version(a, 0, 5)), evidence.ErrInvalid)
	tx.Rollback()

	// In one transaction too: the check sees the transaction's own rows.
	tx = begin(t, db)
	must(t, tx.InsertRecord(ctx, record(r, 2, "event", "second", 6)))
	wantErr(t, "version written earlier in the transaction", tx.InsertRecord(ctx, record(r, 2, "event", "again", 7)), evidence.ErrExists)
	tx.Rollback()

	if v, err := db.LatestVersion(ctx, a); err != nil || !sameVersion(v, version(a, 1, 1)) {
		t.Errorf("the item version changed: %+v %v", v, err)
	}
	rs, err := db.RecordVersions(ctx, r)
	if err != nil || len(rs) != 1 || !sameRecord(rs[0], record(r, 1, "event", "first", 1)) {
		t.Errorf("the record changed: %+v %v", rs, err)
	}
}

func testRecords(t *testing.T, db store.DB) {
	ctx := ctxT(t)
	addUser(t, db, "u1", "kim")
	e1, e2, p1 := idFrom("e1"), idFrom("e2"), idFrom("f1")
	tx := begin(t, db)
	must(t, tx.InsertRecord(ctx, record(e1, 1, "event", "요덕 관리소", 1)))
	must(t, tx.InsertRecord(ctx, record(p1, 1, "place", "회령", 2)))
	must(t, tx.InsertRecord(ctx, record(e2, 1, "event", "두만강", 3)))
	must(t, tx.InsertRecord(ctx, record(e1, 2, "event", "요덕 수용소", 4)))
	// The transaction sees its own writes.
	var inTx []string
	must(t, tx.EachRecord(ctx, "event", true, func(r store.RecordRow) error {
		inTx = append(inTx, fmt.Sprintf("%s/%d", r.ID.String()[:2], r.Version))
		return nil
	}))
	if want := []string{"e2/1", "e1/2"}; !slices.Equal(inTx, want) {
		t.Errorf("tx.EachRecord latest events %v, want %v", inTx, want)
	}
	if r, err := tx.LatestRecord(ctx, e1); err != nil || r.Version != 2 {
		t.Errorf("tx.LatestRecord: %d %v", r.Version, err)
	}
	if k, err := tx.RecordKind(ctx, p1); err != nil || k != "place" {
		t.Errorf("RecordKind: %q %v", k, err)
	}
	_, err := tx.RecordKind(ctx, idFrom("99"))
	wantErr(t, "kind of a missing record", err, evidence.ErrNotFound)
	_, err = tx.LatestRecord(ctx, idFrom("99"))
	wantErr(t, "missing record", err, evidence.ErrNotFound)
	commit(t, tx)

	rs, err := db.RecordVersions(ctx, e1)
	if err != nil || len(rs) != 2 || !sameRecord(rs[0], record(e1, 1, "event", "요덕 관리소", 1)) || !sameRecord(rs[1], record(e1, 2, "event", "요덕 수용소", 4)) {
		t.Fatalf("RecordVersions: %+v %v", rs, err)
	}
	list := func(kind string, latest bool) []string {
		var out []string
		must(t, db.EachRecord(ctx, kind, latest, func(r store.RecordRow) error {
			out = append(out, fmt.Sprintf("%s/%d", r.ID.String()[:2], r.Version))
			return nil
		}))
		return out
	}
	for _, c := range []struct {
		kind   string
		latest bool
		want   []string
	}{
		{"", false, []string{"e1/1", "f1/1", "e2/1", "e1/2"}},
		{"", true, []string{"f1/1", "e2/1", "e1/2"}},
		{"event", false, []string{"e1/1", "e2/1", "e1/2"}},
		{"place", true, []string{"f1/1"}},
		{"act", true, nil},
	} {
		if got := list(c.kind, c.latest); !slices.Equal(got, c.want) {
			t.Errorf("EachRecord(%q, %v) = %v, want %v", c.kind, c.latest, got, c.want)
		}
	}
	var found []string
	must(t, db.EachCurrentRecordContaining(ctx, "event", []byte("요덕"), func(r store.RecordRow) error {
		if bytes.Contains(r.Record, []byte("요덕")) {
			found = append(found, fmt.Sprintf("%s/%d", r.ID.String()[:2], r.Version))
		}
		return nil
	}))
	if !slices.Equal(found, []string{"e1/2"}) {
		t.Errorf("EachCurrentRecordContaining: %v", found)
	}
	found = nil
	must(t, db.EachCurrentRecordContaining(ctx, "event", []byte("관리소"), func(r store.RecordRow) error {
		if bytes.Contains(r.Record, []byte("관리소")) {
			found = append(found, r.ID.String()[:2])
		}
		return nil
	}))
	if len(found) != 0 {
		t.Errorf("EachCurrentRecordContaining found a superseded version: %v", found)
	}

	it := idFrom("e3")
	tx = begin(t, db)
	_, err = tx.InsertItem(ctx, item(it, 1, 9))
	must(t, err)
	commit(t, tx)
	if id, isItem, err := db.ResolveAny(ctx, "f"); err != nil || id != p1 || isItem {
		t.Errorf("ResolveAny f: %v %v %v", id, isItem, err)
	}
	if id, isItem, err := db.ResolveAny(ctx, "e3"); err != nil || id != it || !isItem {
		t.Errorf("ResolveAny e3: %v %v %v", id, isItem, err)
	}
	_, _, err = db.ResolveAny(ctx, "e")
	wantErr(t, "ResolveAny ambiguous", err, evidence.ErrInvalid)
	_, _, err = db.ResolveAny(ctx, "0")
	wantErr(t, "ResolveAny unknown", err, evidence.ErrNotFound)
}

func testUsers(t *testing.T, db store.DB) {
	ctx := ctxT(t)
	addUser(t, db, "u2", "박영희")
	addUser(t, db, "u1", "kim")
	tx := begin(t, db)
	err := tx.InsertUser(ctx, store.User{ID: "u3", Name: "kim", Role: "viewer", Recipient: "age1u3", SignPub: []byte{3}, CreatedAt: at(1), CreatedBy: "u1"})
	wantErr(t, "taken name", err, evidence.ErrExists)
	tx.Rollback()

	tx = begin(t, db)
	must(t, tx.InsertUser(ctx, store.User{ID: "u3", Name: "lee", Role: "viewer", Recipient: "age1u3", SignPub: []byte{3}, CreatedAt: at(1), CreatedBy: "u1"}))
	must(t, tx.SetUserRole(ctx, "u1", "removed"))
	wantErr(t, "role of an unknown user", tx.SetUserRole(ctx, "u9", "admin"), evidence.ErrNotFound)
	us, err := tx.Users(ctx)
	if err != nil || len(us) != 3 {
		t.Fatalf("tx.Users: %v %v", us, err)
	}
	commit(t, tx)

	us, err = db.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range us {
		names = append(names, u.Name)
	}
	if want := []string{"kim", "lee", "박영희"}; !slices.Equal(names, want) {
		t.Errorf("Users order %v, want %v", names, want)
	}
	u, err := db.UserByName(ctx, "lee")
	if err != nil || u.ID != "u3" || u.Role != "viewer" || u.Recipient != "age1u3" || !bytes.Equal(u.SignPub, []byte{3}) ||
		!u.CreatedAt.Equal(at(1)) || u.CreatedBy != "u1" {
		t.Errorf("UserByName: %+v %v", u, err)
	}
	if u, err := db.UserByID(ctx, "u1"); err != nil || u.Role != "removed" || u.Name != "kim" || u.CreatedBy != "" {
		t.Errorf("UserByID: %+v %v", u, err)
	}
	_, err = db.UserByName(ctx, "nobody")
	wantErr(t, "unknown name", err, evidence.ErrNotFound)
	_, err = db.UserByID(ctx, "u9")
	wantErr(t, "unknown ID", err, evidence.ErrNotFound)
}

func testMeta(t *testing.T, db store.DB) {
	ctx := ctxT(t)
	if v, err := db.Meta(ctx, "archive_name"); err != nil || v != "" {
		t.Fatalf("unset meta: %q %v", v, err)
	}
	tx := begin(t, db)
	must(t, tx.SetMeta(ctx, "archive_name", "증언 기록"))
	must(t, tx.SetMeta(ctx, "archive_name", "증언 기록 2"))
	if v, err := tx.Meta(ctx, "archive_name"); err != nil || v != "증언 기록 2" {
		t.Errorf("tx.Meta: %q %v", v, err)
	}
	commit(t, tx)
	if v, err := db.Meta(ctx, "archive_name"); err != nil || v != "증언 기록 2" {
		t.Errorf("Meta: %q %v", v, err)
	}
}

func testContentGen(t *testing.T, db store.DB) {
	ctx := ctxT(t)
	addUser(t, db, "u1", "kim")
	if g, err := db.ContentGen(ctx); err != nil || g != 1 {
		t.Fatalf("ContentGen of a new store: %d %v", g, err)
	}
	tx := begin(t, db)
	must(t, tx.SetContentGen(ctx, 2))
	commit(t, tx)
	if g, err := db.ContentGen(ctx); err != nil || g != 2 {
		t.Fatalf("ContentGen: %d %v", g, err)
	}
	// The archive reads the generation as a setting too, inside its
	// transactions.
	if v, err := db.Meta(ctx, "content_gen"); err != nil || v != "2" {
		t.Fatalf("meta content_gen: %q %v", v, err)
	}
	tx = begin(t, db)
	if _, err := tx.InsertItem(ctx, item(idFrom("01"), 1, 1)); err == nil {
		t.Errorf("an item under a retired content key was stored")
	}
	tx.Rollback()
	tx = begin(t, db)
	it := item(idFrom("02"), 1, 1)
	it.KeyGen = 2
	if ok, err := tx.InsertItem(ctx, it); !ok || err != nil {
		t.Errorf("item under the current key: %v %v", ok, err)
	}
	commit(t, tx)
}

func vaultRow(p, id string, n int) store.VaultRow {
	return store.VaultRow{Pseudonym: p, ID: id, Wrapped: []byte("wrapped " + p), Entry: []byte("sealed entry of " + p), CreatedAt: at(n), CreatedBy: "u1"}
}

func testVault(t *testing.T, db store.DB) {
	ctx := ctxT(t)
	addUser(t, db, "u1", "kim")
	tx := begin(t, db)
	must(t, tx.InsertVault(ctx, vaultRow("W-2", "00000000000000000000000000000002", 1)))
	must(t, tx.InsertVault(ctx, vaultRow("W-1", "00000000000000000000000000000001", 2)))
	wantErr(t, "pseudonym taken", tx.InsertVault(ctx, vaultRow("W-1", "00000000000000000000000000000003", 3)), evidence.ErrExists)
	commit(t, tx)

	r, err := db.Vault(ctx, "W-1")
	if err != nil || r.ID != "00000000000000000000000000000001" || r.Withdrawn || string(r.Wrapped) != "wrapped W-1" ||
		string(r.Entry) != "sealed entry of W-1" || !r.CreatedAt.Equal(at(2)) || r.CreatedBy != "u1" {
		t.Fatalf("Vault: %+v %v", r, err)
	}
	_, err = db.Vault(ctx, "W-9")
	wantErr(t, "unknown pseudonym", err, evidence.ErrNotFound)

	tx = begin(t, db)
	must(t, tx.SetVaultWrapped(ctx, "W-2", []byte("rewrapped")))
	wantErr(t, "rewrap unknown", tx.SetVaultWrapped(ctx, "W-9", []byte("x")), evidence.ErrNotFound)
	w, err := tx.WithdrawVault(ctx, "W-1", at(10))
	if err != nil || !w.Withdrawn || w.Wrapped != nil || w.Entry != nil || !w.WithdrawnAt.Equal(at(10)) {
		t.Fatalf("WithdrawVault: %+v %v", w, err)
	}
	_, err = tx.WithdrawVault(ctx, "W-1", at(11))
	wantErr(t, "second withdrawal", err, evidence.ErrInvalid)
	_, err = tx.WithdrawVault(ctx, "W-9", at(11))
	wantErr(t, "withdraw unknown", err, evidence.ErrNotFound)
	wantErr(t, "rewrap withdrawn", tx.SetVaultWrapped(ctx, "W-1", []byte("x")), evidence.ErrNotFound)
	act, err := tx.ActiveVault(ctx)
	if err != nil || len(act) != 1 || act[0].Pseudonym != "W-2" || string(act[0].Wrapped) != "rewrapped" {
		t.Fatalf("ActiveVault: %+v %v", act, err)
	}
	if r, err := tx.Vault(ctx, "W-1"); err != nil || !r.Withdrawn {
		t.Errorf("tx.Vault after withdrawal: %+v %v", r, err)
	}
	commit(t, tx)

	rows, err := db.VaultRows(ctx)
	if err != nil || len(rows) != 2 || rows[0].Pseudonym != "W-1" || rows[1].Pseudonym != "W-2" {
		t.Fatalf("VaultRows: %+v %v", rows, err)
	}
	if r := rows[0]; !r.Withdrawn || r.Wrapped != nil || r.Entry != nil || !r.WithdrawnAt.Equal(at(10)) || !r.CreatedAt.Equal(at(2)) ||
		r.ID != "00000000000000000000000000000001" {
		t.Errorf("tombstone: %+v", r)
	}
	tx = begin(t, db)
	wantErr(t, "a withdrawn pseudonym again", tx.InsertVault(ctx, vaultRow("W-1", "00000000000000000000000000000004", 12)), evidence.ErrExists)
}

func testVaultNames(t *testing.T, db store.DB) {
	ctx := ctxT(t)
	addUser(t, db, "u1", "kim")
	e1, e2 := "00000000000000000000000000000001", "00000000000000000000000000000002"
	if ok, err := db.HasVaultNames(ctx); err != nil || ok {
		t.Fatalf("HasVaultNames of a new store: %v %v", ok, err)
	}
	n := func(b byte, given bool) store.VaultName { return store.VaultName{Hash: [32]byte{b}, Given: given} }
	tx := begin(t, db)
	must(t, tx.InsertVault(ctx, vaultRow("W-1", e1, 1)))
	must(t, tx.InsertVault(ctx, vaultRow("W-2", e2, 2)))
	must(t, tx.InsertVaultNames(ctx, e1, []store.VaultName{n(1, false), n(2, true), n(1, false)}))
	must(t, tx.InsertVaultNames(ctx, e2, []store.VaultName{n(3, false)}))
	wantErr(t, "names of an unknown entry", tx.InsertVaultNames(ctx, "00000000000000000000000000000009", []store.VaultName{n(4, false)}), evidence.ErrNotFound)
	commit(t, tx)

	if ok, err := db.HasVaultNames(ctx); err != nil || !ok {
		t.Errorf("HasVaultNames: %v %v", ok, err)
	}
	if total, err := db.VaultNameTotal(ctx); err != nil || total != 3 {
		t.Errorf("VaultNameTotal: %d %v", total, err)
	}
	counts, err := db.VaultNameCounts(ctx)
	if err != nil || len(counts) != 2 || counts[e1] != 2 || counts[e2] != 1 {
		t.Errorf("VaultNameCounts: %v %v", counts, err)
	}
	names, err := db.VaultNames(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := slices.Clone(names[e1])
	slices.SortFunc(got, func(a, b store.VaultName) int { return bytes.Compare(a.Hash[:], b.Hash[:]) })
	if !slices.Equal(got, []store.VaultName{n(1, false), n(2, true)}) || !slices.Equal(names[e2], []store.VaultName{n(3, false)}) {
		t.Errorf("VaultNames: %v", names)
	}
	// A withdrawal keeps the entry's names; deleting them is explicit.
	tx = begin(t, db)
	_, err = tx.WithdrawVault(ctx, "W-1", at(5))
	must(t, err)
	commit(t, tx)
	if counts, err := db.VaultNameCounts(ctx); err != nil || counts[e1] != 2 {
		t.Errorf("names after withdrawal: %v %v", counts, err)
	}
	tx = begin(t, db)
	must(t, tx.DeleteVaultNames(ctx, e2))
	commit(t, tx)
	if total, err := db.VaultNameTotal(ctx); err != nil || total != 2 {
		t.Errorf("VaultNameTotal after delete: %d %v", total, err)
	}
}

// leaf is a custody entry's leaf data, here also its stored entry: the
// tree recomputed from the entries must match the stored hashes.
func leaf(seq int64, who string) []byte { return []byte(fmt.Sprintf("entry %d by %s", seq, who)) }

func appendEntry(ctx context.Context, tx store.Tx, who, object string) (int64, error) {
	n, err := tx.TreeSize(ctx)
	if err != nil {
		return 0, err
	}
	data := leaf(n, who)
	r := store.CustodyRow{Seq: n, Kind: "test", Object: object, Entry: data, Sig: []byte("sig " + who), Salt: []byte("salt"),
		Content: evidence.Sum(data)}
	return n, tx.AppendCustody(ctx, r, data)
}

func testCustody(t *testing.T, db store.DB) {
	ctx := ctxT(t)
	if n, err := db.TreeSize(ctx); err != nil || n != 0 {
		t.Fatalf("TreeSize of a new store: %d %v", n, err)
	}
	_, _, err := db.LatestCheckpoint(ctx)
	wantErr(t, "no checkpoint", err, evidence.ErrNotFound)
	tx := begin(t, db)
	for i := range 5 {
		obj := "obj-a"
		if i%2 == 1 {
			obj = "obj-b"
		}
		if _, err := appendEntry(ctx, tx, "w", obj); err != nil {
			t.Fatal(err)
		}
	}
	// An entry out of sequence is refused: the log is only appended to.
	data := leaf(2, "forger")
	err = tx.AppendCustody(ctx, store.CustodyRow{Seq: 2, Kind: "test", Object: "obj-a", Entry: data, Sig: []byte("s"), Salt: []byte("s")}, data)
	if err == nil {
		t.Fatalf("an entry replacing seq 2 was accepted")
	}
	tx.Rollback()

	tx = begin(t, db)
	for i := range 5 {
		obj := "obj-a"
		if i%2 == 1 {
			obj = "obj-b"
		}
		if _, err := appendEntry(ctx, tx, "w", obj); err != nil {
			t.Fatal(err)
		}
	}
	root, err := tlog.TreeHash(5, tx.HashReader(ctx))
	must(t, err)
	must(t, tx.InsertCheckpoint(ctx, 3, []byte("note 3"), at(1)))
	must(t, tx.InsertCheckpoint(ctx, 5, []byte("note 5"), at(2)))
	commit(t, tx)

	if n, err := db.TreeSize(ctx); err != nil || n != 5 {
		t.Fatalf("TreeSize: %d %v", n, err)
	}
	checkTree(t, db, 5)
	if r2, err := tlog.TreeHash(5, db.HashReader(ctx)); err != nil || r2 != root {
		t.Errorf("tree hash outside the transaction differs: %v", err)
	}
	if size, note, err := db.LatestCheckpoint(ctx); err != nil || size != 5 || string(note) != "note 5" {
		t.Errorf("LatestCheckpoint: %d %q %v", size, note, err)
	}
	var cps []string
	must(t, db.EachCheckpoint(ctx, func(size int64, note []byte) error { cps = append(cps, fmt.Sprint(size, string(note))); return nil }))
	if !slices.Equal(cps, []string{"3note 3", "5note 5"}) {
		t.Errorf("EachCheckpoint: %v", cps)
	}
	var seqs []int64
	must(t, db.EachCustody(ctx, "obj-b", func(r store.CustodyRow) error {
		if string(r.Sig) != "sig w" || string(r.Salt) != "salt" || r.Content != evidence.Sum(r.Entry) || r.Kind != "test" {
			t.Errorf("custody row %d: %+v", r.Seq, r)
		}
		seqs = append(seqs, r.Seq)
		return nil
	}))
	if !slices.Equal(seqs, []int64{1, 3}) {
		t.Errorf("EachCustody(obj-b): %v", seqs)
	}
	n := 0
	must(t, db.EachStoredHash(ctx, func(idx int64, h []byte) error {
		if idx != int64(n) || len(h) != tlog.HashSize {
			t.Errorf("stored hash %d at position %d, %d bytes", idx, n, len(h))
		}
		n++
		return nil
	}))
	if want := tlog.StoredHashCount(5); int64(n) != want {
		t.Errorf("%d stored hashes, want %d", n, want)
	}
	_, err = db.HashReader(ctx).ReadHashes([]int64{tlog.StoredHashCount(5) + 3})
	wantErr(t, "a missing tree hash", err, evidence.ErrTampered)
}

// checkTree recomputes the tree from the stored entries (each entry is its
// own leaf data) and compares it with the stored hashes: gap-free, in order.
func checkTree(t *testing.T, db store.DB, want int64) {
	t.Helper()
	ctx := ctxT(t)
	var hashes []tlog.Hash
	var next int64
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	must(t, db.EachCustody(ctx, "", func(r store.CustodyRow) error {
		if r.Seq != next {
			return fmt.Errorf("custody seq %d where %d was due", r.Seq, next)
		}
		hs, err := tlog.StoredHashes(r.Seq, r.Entry, reader)
		if err != nil {
			return err
		}
		hashes = append(hashes, hs...)
		next++
		return nil
	}))
	if next != want {
		t.Fatalf("%d custody entries, want %d", next, want)
	}
	mine, err := tlog.TreeHash(want, reader)
	must(t, err)
	stored, err := tlog.TreeHash(want, db.HashReader(ctx))
	must(t, err)
	if mine != stored {
		t.Fatalf("stored tree hashes do not match the entries")
	}
}

// appendConcurrently has writers goroutines on each of the two handles
// (the same one twice for a single process) append n entries each, one
// per transaction, then checks the log is gap-free and the tree sound.
func appendConcurrently(t *testing.T, a, b store.DB, writers, n int) {
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
				if err := appendOne(ctx, db, fmt.Sprintf("w%d-%d", w, i)); err != nil {
					errs <- fmt.Errorf("writer %d entry %d: %w", w, i, err)
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
	total := int64(2 * writers * n)
	for _, db := range []store.DB{a, b} {
		if size, err := db.TreeSize(ctx); err != nil || size != total {
			t.Fatalf("TreeSize %d %v, want %d", size, err, total)
		}
	}
	checkTree(t, a, total)
	seen := map[string]bool{}
	must(t, a.EachCustody(ctx, "", func(r store.CustodyRow) error {
		who := strings.TrimPrefix(string(r.Sig), "sig ")
		if seen[who] {
			return fmt.Errorf("entry of %s stored twice", who)
		}
		seen[who] = true
		return nil
	}))
	if len(seen) != int(total) {
		t.Errorf("%d distinct entries, want %d (lost writes)", len(seen), total)
	}
}

func appendOne(ctx context.Context, db store.DB, who string) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := appendEntry(ctx, tx, who, "obj"); err != nil {
		return err
	}
	return tx.Commit()
}

func testPurge(t *testing.T, db store.DB) {
	ctx := ctxT(t)
	addUser(t, db, "u1", "kim")
	a, r := idFrom("a1"), idFrom("b1")
	tx := begin(t, db)
	_, err := tx.InsertItem(ctx, item(a, 1, 1))
	must(t, err)
	must(t, tx.InsertVersion(ctx, version(a, 1, 1)))
	must(t, tx.InsertVersion(ctx, version(a, 2, 2)))
	must(t, tx.InsertRecord(ctx, record(r, 1, "testimony", "실명이 들어간 글", 3)))
	commit(t, tx)

	tx, err = store.BeginShredding(ctx, db)
	must(t, err)
	must(t, tx.PurgeVersion(ctx, store.Purge{Kind: "record", ID: r, Version: 1, Reason: "실명", CreatedAt: at(5), Actor: "u1"}))
	must(t, tx.PurgeVersion(ctx, store.Purge{Kind: "item", ID: a, Version: 1, Reason: "name", CreatedAt: at(6), Actor: "u1"}))
	err = tx.PurgeVersion(ctx, store.Purge{Kind: "item", ID: a, Version: 1, Reason: "again", CreatedAt: at(7), Actor: "u1"})
	wantErr(t, "second purge", err, evidence.ErrInvalid)
	tx.Rollback()

	tx, err = store.BeginShredding(ctx, db)
	must(t, err)
	must(t, tx.PurgeVersion(ctx, store.Purge{Kind: "record", ID: r, Version: 1, Reason: "실명", CreatedAt: at(5), Actor: "u1"}))
	must(t, tx.PurgeVersion(ctx, store.Purge{Kind: "item", ID: a, Version: 1, Reason: "name", CreatedAt: at(6), Actor: "u1"}))
	commit(t, tx)
	must(t, store.TruncateWAL(ctx, db))

	tx = begin(t, db)
	err = tx.PurgeVersion(ctx, store.Purge{Kind: "item", ID: a, Version: 9, Reason: "none", CreatedAt: at(8), Actor: "u1"})
	wantErr(t, "purge of a missing version", err, evidence.ErrNotFound)
	tx.Rollback()

	rs, err := db.RecordVersions(ctx, r)
	if err != nil || len(rs) != 1 || len(rs[0].Record) != 0 || rs[0].Digest != record(r, 1, "testimony", "실명이 들어간 글", 3).Digest {
		t.Errorf("purged record: %+v %v", rs, err)
	}
	vs, err := db.Versions(ctx, a)
	if err != nil || len(vs) != 2 || len(vs[0].Record) != 0 || vs[0].Digest != version(a, 1, 1).Digest || !sameVersion(vs[1], version(a, 2, 2)) {
		t.Errorf("purged item version: %+v %v", vs, err)
	}
	ps, err := db.Purged(ctx)
	if err != nil || len(ps) != 2 {
		t.Fatalf("Purged: %+v %v", ps, err)
	}
	if p := ps[0]; p.Kind != "record" || p.ID != r || p.Version != 1 || p.Reason != "실명" || !p.CreatedAt.Equal(at(5)) || p.Actor != "u1" {
		t.Errorf("Purged[0]: %+v", p)
	}
	if p := ps[1]; p.Kind != "item" || p.ID != a || p.Reason != "name" {
		t.Errorf("Purged[1]: %+v", p)
	}
}

func testTimestamps(t *testing.T, db store.DB) {
	ctx := ctxT(t)
	_, err := db.LatestTimestamp(ctx, 100)
	wantErr(t, "no timestamp", err, evidence.ErrNotFound)
	_, err = db.AddTimestamp(ctx, store.Timestamp{Size: 3, Note: []byte("n"), TSA: "https://tsa.example"})
	wantErr(t, "incomplete timestamp", err, evidence.ErrInvalid)
	ts := func(size int64, n int) store.Timestamp {
		return store.Timestamp{Size: size, Note: []byte(fmt.Sprint("note ", size)), TSA: "https://tsa.example/" + fmt.Sprint(n),
			GenTime: at(n), Token: []byte(fmt.Sprint("token ", n))}
	}
	var ids []int64
	for i, x := range []store.Timestamp{ts(3, 1), ts(7, 2), ts(7, 3), ts(12, 4)} {
		id, err := db.AddTimestamp(ctx, x)
		must(t, err)
		if i > 0 && id <= ids[len(ids)-1] {
			t.Errorf("timestamp IDs not increasing: %v then %d", ids, id)
		}
		ids = append(ids, id)
	}
	got, err := db.LatestTimestamp(ctx, 10)
	if err != nil || got.ID != ids[2] || got.Size != 7 || string(got.Note) != "note 7" || got.TSA != "https://tsa.example/3" ||
		!got.GenTime.Equal(at(3)) || string(got.Token) != "token 3" {
		t.Errorf("LatestTimestamp(10): %+v %v", got, err)
	}
	_, err = db.LatestTimestamp(ctx, 2)
	wantErr(t, "no timestamp small enough", err, evidence.ErrNotFound)
}

func testLogWitnesses(t *testing.T, db store.DB) {
	ctx := ctxT(t)
	must(t, db.AddLogWitness(ctx, store.LogWitness{Key: "w2+abc", URL: "https://w2.example", AddedAt: at(2)}))
	must(t, db.AddLogWitness(ctx, store.LogWitness{Key: "w1+def", URL: "https://w1.example", AddedAt: at(1)}))
	wantErr(t, "witness twice", db.AddLogWitness(ctx, store.LogWitness{Key: "w1+def", URL: "https://x", AddedAt: at(3)}), evidence.ErrExists)
	ws, err := db.LogWitnesses(ctx)
	if err != nil || len(ws) != 2 || ws[0].Key != "w1+def" || ws[0].URL != "https://w1.example" || !ws[0].AddedAt.Equal(at(1)) || ws[1].Key != "w2+abc" {
		t.Errorf("LogWitnesses: %+v %v", ws, err)
	}
}

func testCosignatures(t *testing.T, db store.DB) {
	ctx := ctxT(t)
	if cs, err := db.LatestCosignatures(ctx, 100); err != nil || len(cs) != 0 {
		t.Errorf("no cosignatures yet: %+v %v", cs, err)
	}
	wantErr(t, "incomplete", db.AddCosignature(ctx, store.Cosignature{Size: 3, Key: "w+1"}), evidence.ErrInvalid)
	add := func(size int64, note, key, line string, sec int) {
		t.Helper()
		must(t, db.AddCosignature(ctx, store.Cosignature{Size: size, Note: []byte(note), Key: key, Line: line, CosignedAt: at(sec)}))
	}
	add(3, "note-3", "wb+1", "— b old\n", 1)
	add(3, "note-3", "wa+1", "— a\n", 2)
	add(3, "note-3", "wb+1", "— b new\n", 3)
	add(7, "note-7", "wa+1", "— a7\n", 4)
	add(7, "fork-7", "wc+1", "— c fork\n", 5) // the newest row's note decides
	cs, err := db.LatestCosignatures(ctx, 5)
	if err != nil || len(cs) != 2 || cs[0].Key != "wa+1" || cs[1].Key != "wb+1" || cs[1].Line != "— b new\n" || string(cs[0].Note) != "note-3" || !cs[1].CosignedAt.Equal(at(3)) {
		t.Errorf("LatestCosignatures(5): %+v %v", cs, err)
	}
	cs, err = db.LatestCosignatures(ctx, 7)
	if err != nil || len(cs) != 1 || cs[0].Key != "wc+1" || string(cs[0].Note) != "fork-7" {
		t.Errorf("LatestCosignatures(7): %+v %v", cs, err)
	}
	if cs, err := db.LatestCosignatures(ctx, 2); err != nil || len(cs) != 0 {
		t.Errorf("LatestCosignatures(2): %+v %v", cs, err)
	}
}

func testRollback(t *testing.T, db store.DB) {
	ctx := ctxT(t)
	addUser(t, db, "u1", "kim")
	tx := begin(t, db)
	_, err := tx.InsertItem(ctx, item(idFrom("77"), 1, 1))
	must(t, err)
	must(t, tx.SetMeta(ctx, "k", "v"))
	_, err = appendEntry(ctx, tx, "w", "o")
	must(t, err)
	must(t, tx.IndexDoc(ctx, store.SearchDoc{Doc: "d", Kind: "testimony", Title: "사라질 문서"}, []string{"사라질"}))
	must(t, tx.Rollback())
	must(t, tx.Rollback()) // twice is harmless
	if _, err := db.Item(ctx, idFrom("77")); !errors.Is(err, evidence.ErrNotFound) {
		t.Errorf("rolled-back item: %v", err)
	}
	if v, _ := db.Meta(ctx, "k"); v != "" {
		t.Errorf("rolled-back meta %q", v)
	}
	if n, _ := db.TreeSize(ctx); n != 0 {
		t.Errorf("rolled-back custody: size %d", n)
	}
	if got := find(t, db, "사라질"); len(got) != 0 {
		t.Errorf("rolled-back index entry found: %v", got)
	}
}

// AppendEntries appends n custody entries to db, one transaction each,
// signed (in the fixture's sense) by who: what each of several processes
// runs in a test of concurrent writers.
func AppendEntries(ctx context.Context, db store.DB, who string, n int) error {
	for i := range n {
		if err := appendOne(ctx, db, fmt.Sprintf("%s-%d", who, i)); err != nil {
			return fmt.Errorf("%s entry %d: %w", who, i, err)
		}
	}
	return nil
}

// CheckLog checks that db's custody log holds want entries appended by
// AppendEntries, gap-free, and that its stored tree hashes match them.
func CheckLog(t *testing.T, db store.DB, want int64) {
	t.Helper()
	checkTree(t, db, want)
}
