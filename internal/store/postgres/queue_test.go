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

// TestDrop: Drop leaves nothing of the archive in its schema (every table
// and function the migrations make is listed), so that Create works there
// again.
func TestDrop(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	u := scratch(t)
	db, err := Create(ctx, u, testKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Drop(ctx); err != nil {
		t.Fatal(err)
	}
	again, err := Create(ctx, u, testKey)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	var left int
	if err := again.pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if err := again.Drop(ctx); err != nil {
		t.Fatal(err)
	}
	probe, err := connect(ctx, u, testKey)
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	var tables, funcs int
	if err := probe.pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if err := probe.pool.QueryRow(ctx, `SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema()`).Scan(&funcs); err != nil {
		t.Fatal(err)
	}
	if tables != 0 || funcs != 0 || left == 0 {
		t.Errorf("after Drop: %d tables and %d functions left (of %d tables)", tables, funcs, left)
	}
}
