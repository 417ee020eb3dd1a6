package sqlite

import (
	"path/filepath"
	"testing"

	"sori/internal/store/storetest"
)

// TestQueueMigration: a database made before the index queue (a mark
// items_indexed in search_state: items of a higher rowid pending) gains
// the queue on open, holding exactly the items the mark had not passed, in
// intake order, and loses the mark. (testdata/archive-3b7826e, opened by
// TestArchiveFromEarlierRelease, is such a database too.)
func TestQueueMigration(t *testing.T) {
	ctx := t.Context()
	path, key := filepath.Join(t.TempDir(), "meta.db"), [32]byte{4}
	db, err := Create(ctx, path, key)
	if err != nil {
		t.Fatal(err)
	}
	storetest.AddUser(t, db)
	if err := storetest.InsertItems(ctx, db, "cd", 4); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`DROP TABLE search_queue`,
		`INSERT INTO search_state (key, value) VALUES ('items_indexed', (SELECT rowid FROM items ORDER BY rowid LIMIT 1 OFFSET 1))`,
	} {
		if _, err := db.sql.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	again, err := Open(ctx, path, key)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	pend, n, err := again.PendingItems(ctx, 10)
	if err != nil || n != 2 || len(pend) != 2 {
		t.Fatalf("pending after the migration: %+v %d %v", pend, n, err)
	}
	if a, b := pend[0].ID.String()[:8], pend[1].ID.String()[:8]; a != "cd000002" || b != "cd000003" {
		t.Errorf("pending %s %s, want the third and fourth items", a, b)
	}
	var marks int
	if err := again.sql.QueryRowContext(ctx, `SELECT count(*) FROM search_state WHERE key = 'items_indexed'`).Scan(&marks); err != nil || marks != 0 {
		t.Errorf("the mark is still there: %d %v", marks, err)
	}
}
