package postgres

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"sori/internal/evidence"
	"sori/internal/hangul"
	"sori/internal/store"
)

// view is everything the store's read paths return, rendered as text, so
// that a re-seal can be shown to change no value.
func view(t *testing.T, db *DB) string {
	t.Helper()
	ctx := t.Context()
	var b strings.Builder
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.EachMeta(ctx, func(k, v string) error { fmt.Fprintf(&b, "meta %s=%q\n", k, v); return nil }))
	us, err := db.Users(ctx)
	must(err)
	for _, u := range us {
		fmt.Fprintf(&b, "user %+v\n", u)
		byName, err := db.UserByName(ctx, u.Name)
		must(err)
		fmt.Fprintf(&b, "by name %s\n", byName.ID)
	}
	must(db.EachItem(ctx, func(it store.Item) error { fmt.Fprintf(&b, "item %+v\n", it); return nil }))
	must(db.EachVersion(ctx, func(v store.Version) error { fmt.Fprintf(&b, "version %+v\n", v); return nil }))
	must(db.EachRecord(ctx, "", false, func(r store.RecordRow) error { fmt.Fprintf(&b, "record %+v\n", r); return nil }))
	must(db.EachCustody(ctx, "", func(r store.CustodyRow) error { fmt.Fprintf(&b, "custody %+v\n", r); return nil }))
	must(db.EachCheckpointAt(ctx, func(size int64, note []byte, at time.Time) error {
		fmt.Fprintf(&b, "checkpoint %d %q %v\n", size, note, at)
		return nil
	}))
	vs, err := db.VaultRows(ctx)
	must(err)
	for _, v := range vs {
		fmt.Fprintf(&b, "vault %+v\n", v)
		byP, err := db.Vault(ctx, v.Pseudonym)
		must(err)
		fmt.Fprintf(&b, "by pseudonym %s\n", byP.ID)
	}
	names, err := db.VaultNames(ctx)
	must(err)
	fmt.Fprintf(&b, "vault names %+v\n", names)
	ps, err := db.Purged(ctx)
	must(err)
	fmt.Fprintf(&b, "purged %+v\n", ps)
	must(db.EachTimestamp(ctx, func(ts store.Timestamp) error { fmt.Fprintf(&b, "timestamp %+v\n", ts); return nil }))
	must(db.EachCosignature(ctx, func(c store.Cosignature) error { fmt.Fprintf(&b, "cosignature %+v\n", c); return nil }))
	ws, err := db.LogWitnesses(ctx)
	must(err)
	fmt.Fprintf(&b, "witnesses %+v\n", ws)
	must(db.EachItemKey(ctx, func(k store.ItemKey) error { fmt.Fprintf(&b, "item key %+v\n", k); return nil }))
	for _, q := range []string{"두만강", "MARKERX", "요덕*"} {
		hits, err := db.Search(ctx, store.SearchQuery{Match: hangul.MatchExpr(q), Limit: 100, NoSnippets: true})
		must(err)
		fmt.Fprintf(&b, "search %s: %+v\n", q, hits)
	}
	return b.String()
}

func fillMore(t *testing.T, db *DB, item evidence.ID) {
	t.Helper()
	ctx := t.Context()
	now := time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC)
	if err := db.AddCosignature(ctx, store.Cosignature{Size: 1, Note: []byte("MARKERX cosigned note"), Key: "MARKERX+cosigner",
		Line: "— MARKERX c2lnbmF0dXJl\n", CosignedAt: now}); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := tx.InsertItemKey(ctx, store.ItemKey{Item: item, Handle: "MARKERX-handle", Gen: 1, Wrapped: []byte("MARKERX wrapped item key")}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestRekey: a re-seal under a new key changes no value any read path
// returns; afterwards only the new key opens the store, and no sealed
// field or keyed hash of before is left. Rolled back, it changes nothing.
func TestRekey(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	u := scratch(t)
	db := create(t, u)
	item, _ := fill(t, db)
	fillMore(t, db, item)
	before := view(t, db)
	oldDump := dump(t, db)
	newKey := [32]byte{7, 7, 7}

	// Rolled back: nothing changes.
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Rekey(ctx, tx, newKey, nil); err != nil {
		t.Fatal(err)
	}
	tx.Rollback()
	if got := view(t, db); got != before {
		t.Fatalf("a rolled-back re-seal changed what the store reads:\n%s\nwas\n%s", got, before)
	}

	tx, err = db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	steps := map[string]int{}
	if err := db.Rekey(ctx, tx, newKey, func(table string) { steps[table]++ }); err != nil {
		t.Fatal(err)
	}
	// Written after the re-seal, in its transaction: under the new key.
	if err := tx.SetMeta(ctx, "after_rekey", "MARKERX later"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.UseKey(ctx, newKey); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"meta", "users", "items", "custody", "vault_names", "search_terms", "search_dict", "item_keys", "cosignatures"} {
		if steps[table] == 0 {
			t.Errorf("table %s not re-sealed (steps %v)", table, steps)
		}
	}
	after := view(t, db)
	want := strings.Replace(before, "meta archive_name=", `meta after_rekey="MARKERX later"`+"\nmeta archive_name=", 1)
	if after != want {
		t.Errorf("the re-seal changed what the store reads:\n%s\nwas\n%s", after, want)
	}
	if _, err := Open(ctx, u, testKey); !errors.Is(err, evidence.ErrDamaged) {
		t.Errorf("the old key opens the re-sealed store: %v", err)
	}
	other, err := Open(ctx, u, newKey)
	if err != nil {
		t.Fatalf("the new key: %v", err)
	}
	defer other.Close()
	if got := view(t, other); got != want {
		t.Errorf("another handle under the new key reads:\n%s\nwant\n%s", got, want)
	}
	// No bytea value of before is left anywhere (sealed fields have fresh
	// nonces, keyed hashes a new key); clear columns are the same.
	newDump := dump(t, db)
	vals := regexp.MustCompile(`x[0-9a-f]{64,}`).FindAllString(oldDump, -1)
	if len(vals) < 20 {
		t.Fatalf("the dump shows %d sealed values", len(vals))
	}
	// The tree hashes are not sealed (hashes of salted leaves, under no key).
	hashes, err := collectIDs(ctx, db.pool, `SELECT encode(hash, 'hex') FROM tlog_hashes`)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vals {
		if slices.Contains(hashes, v[1:]) {
			continue
		}
		if strings.Contains(newDump, v) {
			i := strings.Index(newDump, v)
			t.Errorf("a value of before the re-seal is still stored: %s… in %q", v[:40], newDump[max(0, i-100):i])
		}
	}
}

// TestResealTriggers: the evidence tables still refuse updates; a
// transaction that declared a re-seal may change only sealed columns.
func TestResealTriggers(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := create(t, scratch(t))
	item, rec := fill(t, db)
	try := func(reseal bool, sql string, args ...any) error {
		tx, err := db.pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(context.Background())
		if reseal {
			if _, err := tx.Exec(ctx, `SELECT set_config('sori.reseal', 'on', true)`); err != nil {
				t.Fatal(err)
			}
		}
		_, err = tx.Exec(ctx, sql, args...)
		return err
	}
	id := item.String()
	for _, c := range []struct {
		reseal bool
		sql    string
		ok     bool
	}{
		{false, `UPDATE items SET sha256 = sha256 || '\x00'::bytea WHERE id = $1`, false},
		{true, `UPDATE items SET sha256 = sha256 || '\x00'::bytea WHERE id = $1`, true},
		{true, `UPDATE items SET size = size + 1 WHERE id = $1`, false},
		{true, `UPDATE items SET sha256 = sha256 || '\x00'::bytea, created_at = created_at + 1 WHERE id = $1`, false},
		{true, `DELETE FROM items WHERE id = $1`, false},
		{false, `UPDATE item_versions SET digest = digest || '\x00'::bytea WHERE item_id = $1`, false},
		{true, `UPDATE item_versions SET digest = digest || '\x00'::bytea WHERE item_id = $1`, true},
		{true, `UPDATE item_versions SET record = NULL WHERE item_id = $1`, false},
		{true, `UPDATE item_versions SET actor = 'u2' WHERE item_id = $1`, false},
		{false, `UPDATE custody SET body = body || '\x00'::bytea WHERE object = $1`, false},
		{true, `UPDATE custody SET body = body || '\x00'::bytea WHERE object = $1`, true},
		{true, `UPDATE custody SET kind = 'export' WHERE object = $1`, false},
		{true, `DELETE FROM custody WHERE object = $1`, false},
		{true, `UPDATE tlog_hashes SET hash = hash || '\x00'::bytea WHERE $1 <> ''`, false},
		{false, `UPDATE checkpoints SET note = note || '\x00'::bytea WHERE $1 <> ''`, false},
		{true, `UPDATE checkpoints SET note = note || '\x00'::bytea WHERE $1 <> ''`, true},
	} {
		err := try(c.reseal, c.sql, id)
		if (err == nil) != c.ok {
			t.Errorf("re-seal %v: %s: %v", c.reseal, c.sql, err)
		}
	}
	// The purged record's body is NULL: it stays NULL in a re-seal.
	if err := try(true, `UPDATE records SET record = '\x00'::bytea WHERE id = $1`, rec.String()); err == nil {
		t.Error("a re-seal gave a purged record a body")
	}
	if err := try(true, `UPDATE records SET digest = digest || '\x00'::bytea WHERE id = $1`, rec.String()); err != nil {
		t.Errorf("a re-seal of a purged record's digest: %v", err)
	}
}

// TestRekeyCoversEverySealedColumn: every bytea column of the schema (a
// sealed field or a keyed hash; the tree hashes are neither) is one a
// re-seal rewrites, so that a table or column added later without a
// re-seal spec fails here rather than staying under a replaced key.
func TestRekeyCoversEverySealedColumn(t *testing.T) {
	t.Parallel()
	db := create(t, scratch(t))
	cols, err := collectIDs(t.Context(), db.pool, `SELECT table_name::text || '.' || column_name::text FROM information_schema.columns
		WHERE table_schema = current_schema() AND data_type = 'bytea' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{"tlog_hashes.hash": true}
	for _, s := range resealSpecs() {
		for _, c := range s.out {
			covered[s.table+"."+c] = true
		}
	}
	if len(cols) < 20 {
		t.Fatalf("only %d bytea columns: %v", len(cols), cols)
	}
	for _, c := range cols {
		if !covered[c] {
			t.Errorf("column %s is not re-sealed when the database key is replaced (rekey.go)", c)
		}
	}
}
