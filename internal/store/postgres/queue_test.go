package postgres

import (
	"testing"

	"sori/internal/store/storetest"
)

// TestQueueMigration: an archive made before the index queue (migrations
// 1 and 2, a mark items_indexed in search_state) gains the queue on open,
// holding exactly the items the mark had not passed, in intake order, and
// loses the mark.
func TestQueueMigration(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	u := scratch(t)
	db := create(t, u)
	storetest.AddUser(t, db)
	if err := storetest.InsertItems(ctx, db, "ab", 4); err != nil {
		t.Fatal(err)
	}
	// Back to the state before migration 3: no queue, the first two items
	// indexed by the mark.
	var second int64
	if err := db.pool.QueryRow(ctx, `SELECT n FROM items ORDER BY n OFFSET 1 LIMIT 1`).Scan(&second); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`DROP TABLE search_queue`,
		`DELETE FROM schema_migrations WHERE version = 3`,
		`INSERT INTO search_state (key, value) VALUES ('items_indexed', $1)`,
	} {
		var args []any
		if q[0] == 'I' {
			args = append(args, second)
		}
		if _, err := db.pool.Exec(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	again, err := Open(ctx, u, testKey)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	pend, n, err := again.PendingItems(ctx, 10)
	if err != nil || n != 2 || len(pend) != 2 {
		t.Fatalf("pending after the migration: %+v %d %v", pend, n, err)
	}
	var all []string
	for _, p := range pend {
		all = append(all, p.ID.String()[:8])
	}
	if all[0] != "ab000002" || all[1] != "ab000003" {
		t.Errorf("pending %v, want the third and fourth items", all)
	}
	var marks int
	if err := again.pool.QueryRow(ctx, `SELECT count(*) FROM search_state WHERE key = 'items_indexed'`).Scan(&marks); err != nil || marks != 0 {
		t.Errorf("the mark is still there: %d %v", marks, err)
	}
}
