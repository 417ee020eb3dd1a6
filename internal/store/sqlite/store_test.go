package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sori/internal/evidence"
	"sori/internal/store"
)

func newDB(t *testing.T) (*DB, string, [32]byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "meta.db")
	key := [32]byte{1, 2, 3}
	db, err := Create(context.Background(), path, key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path, key
}

func TestRowsAreImmutable(t *testing.T) {
	db, _, _ := newDB(t)
	ctx := context.Background()
	tx, _ := db.Begin(ctx)
	u := store.User{ID: "u1", Name: "kim", Role: "admin", Recipient: "age1x", SignPub: []byte{1}, CreatedAt: time.Now()}
	if err := tx.InsertUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	id := evidence.NewID()
	it := store.Item{ID: id, Size: 3, Pack: "p", KeyGen: 1, CreatedAt: time.Now(), CreatedBy: "u1"}
	if ok, err := tx.InsertItem(ctx, it); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, err := tx.InsertItem(ctx, it); ok || err != nil {
		t.Fatalf("second insert of the same item: inserted=%v err=%v", ok, err)
	}
	v := store.Version{Item: id, Version: 1, Record: []byte("{}"), Digest: evidence.Sum([]byte("{}")), CreatedAt: time.Now(), Actor: "u1"}
	if err := tx.InsertVersion(ctx, v); err != nil {
		t.Fatal(err)
	}
	if err := tx.InsertVersion(ctx, v); !errors.Is(err, evidence.ErrExists) {
		t.Errorf("duplicate version: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE items SET size = 4`,
		`DELETE FROM items`,
		`UPDATE item_versions SET record = x'00'`,
		`DELETE FROM item_versions`,
	} {
		if _, err := db.sql.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "immutable") {
			t.Errorf("%s: %v", q, err)
		}
	}
}

func TestWrongKeyAndDamage(t *testing.T) {
	db, path, key := newDB(t)
	db.Close()
	ctx := context.Background()
	if _, err := Open(ctx, path, [32]byte{9}); !errors.Is(err, evidence.ErrDamaged) {
		t.Errorf("wrong key: %v", err)
	}
	db2, err := Open(ctx, path, key)
	if err != nil {
		t.Fatal(err)
	}
	db2.Close()
	if _, err := Create(ctx, path, key); !errors.Is(err, evidence.ErrExists) {
		t.Errorf("create over existing: %v", err)
	}
	if _, err := Open(ctx, filepath.Join(t.TempDir(), "none.db"), key); !errors.Is(err, evidence.ErrDamaged) {
		t.Errorf("missing file: %v", err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("database mode %v", st.Mode().Perm())
	}
}

// TestSideFilesOwnerOnly: the write-ahead log and the shared-memory index
// beside meta.db are readable by the owner only, whatever the umask.
func TestSideFilesOwnerOnly(t *testing.T) {
	old := setUmask(0o022)
	defer setUmask(old)
	db, path, key := newDB(t)
	db.Close()
	db, err := Open(context.Background(), path, key)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	tx, _ := db.Begin(ctx)
	if err := tx.SetMeta(ctx, "x", "y"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, side := range []string{"-wal", "-shm"} {
		fi, err := os.Stat(path + side)
		if err != nil {
			continue // not every VFS keeps one
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("meta.db%s has mode %v", side, fi.Mode().Perm())
		}
	}
}

// TestPurgeShreds: a purged version's body is gone from every decrypted
// page of the database and its WAL; its digest stays; the triggers refuse
// any other change, and the purge itself cannot be undone or repeated.
func TestPurgeShreds(t *testing.T) {
	db, path, key := newDB(t)
	ctx := context.Background()
	secret := []byte("Ryu Gwang-cheol was typed here by mistake")
	tx, _ := db.Begin(ctx)
	u := store.User{ID: "u1", Name: "kim", Role: "admin", Recipient: "age1x", SignPub: []byte{1}, CreatedAt: time.Now()}
	if err := tx.InsertUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	id := evidence.NewID()
	for v, body := range [][]byte{secret, []byte("corrected")} {
		if err := tx.InsertRecord(ctx, store.RecordRow{ID: id, Version: v + 1, Kind: "event", Record: body, Digest: evidence.Sum(body), CreatedAt: time.Now(), Actor: "u1"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// Without a purge row, no update gets through.
	if _, err := db.sql.ExecContext(ctx, `UPDATE records SET record = x'' WHERE id = ? AND version = 1`, id.String()); err == nil {
		t.Fatal("a record was emptied without a purge")
	}
	tx, _ = db.BeginShredding(ctx)
	if err := tx.PurgeVersion(ctx, store.Purge{Kind: "record", ID: id, Version: 1, Reason: "a name", CreatedAt: time.Now(), Actor: "u1"}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.TruncateWAL(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := db.RecordVersions(ctx, id)
	if err != nil || len(rows) != 2 || len(rows[0].Record) != 0 || rows[0].Digest != evidence.Sum(secret) {
		t.Fatalf("after purge: %+v, %v", rows, err)
	}
	if pagesHold(t, path, key, secret[:16]) {
		t.Error("a decrypted page still holds the purged body")
	}
	// The purged version takes no other change, and the purge row none.
	for _, q := range []string{
		`UPDATE records SET record = x'01' WHERE id = '` + id.String() + `' AND version = 1`,
		`UPDATE records SET digest = x'00' WHERE id = '` + id.String() + `' AND version = 1`,
		`UPDATE records SET record = x'' WHERE id = '` + id.String() + `' AND version = 2`,
		`DELETE FROM purged`,
		`UPDATE purged SET version = 2`,
	} {
		if _, err := db.sql.ExecContext(ctx, q); err == nil {
			t.Errorf("allowed: %s", q)
		}
	}
	tx, _ = db.BeginShredding(ctx)
	defer tx.Rollback()
	if err := tx.PurgeVersion(ctx, store.Purge{Kind: "record", ID: id, Version: 1, Reason: "again", CreatedAt: time.Now(), Actor: "u1"}); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("second purge: %v", err)
	}
}

// TestListStreams: listing every item in intake order, from the start or
// after an item, reads the list index; SQLite does not sort all items in
// memory first.
func TestListStreams(t *testing.T) {
	db, _, _ := newDB(t)
	for _, q := range []string{eachLatestQuery, eachLatestAfterQuery} {
		var args []any
		if q == eachLatestAfterQuery {
			args = []any{"2026-01-01T00:00:00Z", "00"}
		}
		rows, err := db.sql.QueryContext(t.Context(), `EXPLAIN QUERY PLAN `+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		p := strings.Join(plan, "; ")
		if strings.Contains(p, "TEMP B-TREE") || !strings.Contains(p, "items_listed") {
			t.Errorf("EachLatest's plan: %s", p)
		}
		if q == eachLatestAfterQuery && strings.Contains(p, "SCAN i USING") {
			t.Errorf("EachLatestAfter scans the index from its start: %s", p)
		}
	}
}
