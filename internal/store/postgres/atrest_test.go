package postgres

import (
	"context"
	"encoding/hex"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"sori/internal/evidence"
	"sori/internal/store"
)

// markers are synthetic strings the fixture writes into every content
// field; none may appear on the server, as text or as bytes.
var markers = []string{"MARKERX", "홍길동", "두만강", "요덕수용소"}

func fill(t *testing.T, db *DB) (evidence.ID, evidence.ID) {
	t.Helper()
	ctx := t.Context()
	now := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(tx.InsertUser(ctx, store.User{ID: "u1", Name: "MARKERX 홍길동", Role: "admin MARKERX", Recipient: "age1MARKERX",
		SignPub: []byte("MARKERX sign key"), CreatedAt: now}))
	must(tx.SetMeta(ctx, "archive_name", "MARKERX 두만강 기록"))
	item := evidence.NewID()
	sum := evidence.Sum([]byte("MARKERX plaintext"))
	_, err = tx.InsertItem(ctx, store.Item{ID: item, SHA256: sum, Size: 17, Pack: "p1", KeyGen: 1, CreatedAt: now, CreatedBy: "u1"})
	must(err)
	rec := []byte(`{"title":"MARKERX 요덕수용소 증언"}`)
	must(tx.InsertVersion(ctx, store.Version{Item: item, Version: 1, Record: rec, Digest: evidence.Sum(rec), CreatedAt: now, Actor: "u1"}))
	r := evidence.NewID()
	body := []byte(`{"body":"MARKERX 홍길동 두만강"}`)
	must(tx.InsertRecord(ctx, store.RecordRow{ID: r, Version: 1, Kind: "testimony", Record: body, Digest: evidence.Sum(body), CreatedAt: now, Actor: "u1"}))
	must(tx.InsertVault(ctx, store.VaultRow{Pseudonym: "MARKERX-W1", ID: "00000000000000000000000000000001", Wrapped: []byte("MARKERX wrapped"),
		Entry: []byte("MARKERX 홍길동 entry"), CreatedAt: now, CreatedBy: "u1"}))
	var h [32]byte
	copy(h[:], "MARKERX name hash 0123456789abcd")
	must(tx.InsertVaultNames(ctx, "00000000000000000000000000000001", []store.VaultName{{Hash: h, Given: true}}))
	n, err := tx.TreeSize(ctx)
	must(err)
	leaf := []byte("MARKERX custody leaf 홍길동")
	must(tx.AppendCustody(ctx, store.CustodyRow{Seq: n, Kind: "intake", Object: item.String(), Entry: leaf, Sig: []byte("MARKERX sig"),
		Salt: []byte("MARKERX salt"), Content: sum}, leaf))
	must(tx.InsertCheckpoint(ctx, 1, []byte("MARKERX checkpoint note"), now))
	must(tx.IndexDoc(ctx, store.SearchDoc{Doc: r.String(), Kind: "testimony", Title: "MARKERX 홍길동", Places: []string{"MARKERX-place"},
		Violations: []string{"MARKERX.v"}}, []string{"두만강 요덕수용소 MARKERX"}))
	must(tx.Commit())
	tx, err = db.Begin(ctx)
	must(err)
	must(tx.PurgeVersion(ctx, store.Purge{Kind: "record", ID: r, Version: 1, Reason: "MARKERX 홍길동 reason", CreatedAt: now, Actor: "u1"}))
	must(tx.Commit())
	_, err = db.AddTimestamp(ctx, store.Timestamp{Size: 1, Note: []byte("MARKERX note"), TSA: "https://MARKERX.example", GenTime: now, Token: []byte("MARKERX token")})
	must(err)
	must(db.AddLogWitness(ctx, store.LogWitness{Key: "MARKERX+witness", URL: "https://MARKERX.example/w", AddedAt: now}))
	return item, r
}

// dump is every row of every table of the archive's schema, as the server
// renders it (bytea as hex).
func dump(t *testing.T, db *DB) string {
	t.Helper()
	ctx := t.Context()
	tables, err := collectIDs(ctx, db.pool, `SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1`)
	if err != nil || len(tables) < 20 {
		t.Fatalf("tables %v: %v", tables, err)
	}
	var b strings.Builder
	for _, table := range tables {
		rows, err := collectIDs(ctx, db.pool, `SELECT t::text FROM `+pgx.Identifier{table}.Sanitize()+` t`)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(table + ": " + strings.Join(rows, "\n") + "\n")
	}
	return b.String()
}

func TestNothingReadableAtRest(t *testing.T) {
	t.Parallel()
	db := create(t, scratch(t))
	item, _ := fill(t, db)
	all := dump(t, db)
	if !strings.Contains(all, item.String()) {
		t.Fatalf("the dump does not hold the item's ID: it shows nothing")
	}
	for _, m := range markers {
		for _, form := range []string{m, hex.EncodeToString([]byte(m))} {
			if strings.Contains(all, form) {
				i := strings.Index(all, form)
				t.Errorf("%q is readable on the server, near %q", form, all[max(0, i-80):i])
			}
		}
	}
	sum := evidence.Sum([]byte("MARKERX plaintext"))
	for _, secret := range [][]byte{sum[:], testKey[:]} {
		if strings.Contains(all, hex.EncodeToString(secret)) {
			t.Errorf("a plaintext digest or the key is on the server")
		}
	}
	// And everything reads back.
	ctx := t.Context()
	if u, err := db.UserByName(ctx, "MARKERX 홍길동"); err != nil || u.Role != "admin MARKERX" {
		t.Errorf("user: %+v %v", u, err)
	}
	if v, err := db.Meta(ctx, "archive_name"); err != nil || v != "MARKERX 두만강 기록" {
		t.Errorf("meta: %q %v", v, err)
	}
	hits, err := db.Search(ctx, store.SearchQuery{Match: `"두만강"`, Limit: 5, NoSnippets: true})
	if err != nil || len(hits) != 1 || hits[0].Title != "MARKERX 홍길동" {
		t.Errorf("search: %+v %v", hits, err)
	}
}

// TestSwappedRowsFailToOpen moves sealed fields between rows and columns,
// as an operator with full access could: every one fails to open.
func TestSwappedRowsFailToOpen(t *testing.T) {
	t.Parallel()
	db := create(t, scratch(t))
	_, r := fill(t, db)
	ctx := t.Context()
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r2 := evidence.NewID()
	b2 := []byte(`{"body":"other"}`)
	if err := tx.InsertRecord(ctx, store.RecordRow{ID: r2, Version: 1, Kind: "testimony", Record: b2, Digest: evidence.Sum(b2), CreatedAt: time.Now(), Actor: "u1"}); err != nil {
		t.Fatal(err)
	}
	if err := tx.SetMeta(ctx, "other", "value"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.pool.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// Meta: a value moved to another key.
	exec(`UPDATE meta SET value = (SELECT value FROM meta WHERE key = 'other') WHERE key = 'archive_name'`)
	if _, err := db.Meta(ctx, "archive_name"); !errors.Is(err, evidence.ErrTampered) {
		t.Errorf("moved meta value: %v", err)
	}
	// A record's digest moved into another record (triggers off, as the
	// server's owner may do).
	exec(`ALTER TABLE records DISABLE TRIGGER USER`)
	exec(`UPDATE records SET digest = (SELECT digest FROM records WHERE id = $1) WHERE id = $2`, r.String(), r2.String())
	exec(`ALTER TABLE records ENABLE TRIGGER USER`)
	if _, err := db.RecordVersions(ctx, r2); !errors.Is(err, evidence.ErrTampered) {
		t.Errorf("moved record digest: %v", err)
	}
	// A user's role copied into the checkpoint note column's place.
	exec(`UPDATE users SET role = (SELECT note FROM checkpoints LIMIT 1)`)
	if _, err := db.UserByID(ctx, "u1"); !errors.Is(err, evidence.ErrTampered) {
		t.Errorf("a field from another column: %v", err)
	}
}

func TestEvidenceTriggers(t *testing.T) {
	t.Parallel()
	db := create(t, scratch(t))
	fill(t, db)
	ctx := t.Context()
	for _, q := range []string{
		`UPDATE items SET size = 4`,
		`DELETE FROM items`,
		`UPDATE item_versions SET record = NULL`, // not purged
		`DELETE FROM item_versions`,
		`DELETE FROM records`,
		`UPDATE custody SET kind = 'x'`,
		`DELETE FROM custody`,
		`UPDATE tlog_hashes SET hash = '\x00'`,
		`DELETE FROM checkpoints`,
		`DELETE FROM purged`,
	} {
		if _, err := db.pool.Exec(ctx, q); err == nil || !strings.Contains(err.Error(), "immutable") {
			t.Errorf("%s: %v", q, err)
		}
	}
}

func TestOpenAndCreate(t *testing.T) {
	t.Parallel()
	u := scratch(t)
	ctx := t.Context()
	if _, err := Open(ctx, u, testKey); !errors.Is(err, evidence.ErrNotFound) {
		t.Errorf("open of an empty schema: %v", err)
	}
	db := create(t, u)
	fill(t, db)
	if _, err := Create(ctx, u, testKey); !errors.Is(err, evidence.ErrExists) {
		t.Errorf("second create: %v", err)
	}
	if _, err := Open(ctx, u, [32]byte{1}); !errors.Is(err, evidence.ErrDamaged) {
		t.Errorf("open with another key: %v", err)
	}
	again, err := Open(ctx, u, testKey)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if v, err := again.Meta(ctx, "archive_name"); err != nil || v != "MARKERX 두만강 기록" {
		t.Errorf("reopened: %q %v", v, err)
	}
	var n int
	files, _ := fs.Glob(migrations, "migrations/*.sql")
	if err := again.pool.QueryRow(context.Background(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(files) {
		t.Errorf("%d migrations recorded for %d files (%v): each is applied once", n, len(files), err)
	}
	if _, err := Open(ctx, "postgres://%zz", testKey); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("bad URL: %v", err)
	}
}
