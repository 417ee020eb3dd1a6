package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"sori/internal/evidence"
	"sori/internal/store"
)

// The index queue: InsertItem adds a row for each new item in the intake's
// own transaction, and the transaction that indexes the item deletes it
// (TakeQueued), so an item is pending exactly while its row exists: never
// skipped by an indexer that ran while an earlier intake was still open,
// never indexed twice by two indexers (SQLite runs one writer at a time).
const searchQueueSchema = `
CREATE TABLE search_queue (
	n    INTEGER PRIMARY KEY,     -- queue order (intake order)
	item TEXT NOT NULL UNIQUE     -- item ID waiting to be indexed
) STRICT;
`

// ensureSearchQueue replaces the mark of an archive made before the queue
// (search_state's items_indexed: every item of a higher rowid was pending)
// with queue rows for the same items, in one transaction.
func (db *DB) ensureSearchQueue(ctx context.Context) error {
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'search_queue'`).Scan(&n); err != nil {
		return damaged(err)
	}
	if n == 1 {
		return nil
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return damaged(err)
	}
	defer tx.Rollback()
	// Another process may have migrated since the check (the transaction
	// is immediate: it holds the write lock now).
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'search_queue'`).Scan(&n); err != nil {
		return damaged(err)
	}
	if n == 1 {
		return nil
	}
	for _, q := range []string{
		searchQueueSchema,
		`INSERT INTO search_queue (item) SELECT id FROM items
			WHERE rowid > coalesce((SELECT value FROM search_state WHERE key = 'items_indexed'), 0) ORDER BY rowid`,
		`DELETE FROM search_state WHERE key = 'items_indexed'`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%w: moving the search index's mark to a queue: %v", evidence.ErrDamaged, err)
		}
	}
	return damaged(tx.Commit())
}

// enqueue puts a new item in the index queue (InsertItem).
func (t *Tx) enqueue(ctx context.Context, id evidence.ID) error {
	q, err := t.stmt(ctx, `INSERT INTO search_queue (item) VALUES (?) ON CONFLICT (item) DO NOTHING`)
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, id.String())
	return damaged(err)
}

// requeue moves id, if it waits in the index queue, to its end
// (InsertVersion).
func (t *Tx) requeue(ctx context.Context, id evidence.ID) error {
	q, err := t.stmt(ctx, `UPDATE search_queue SET n = (SELECT max(n) FROM search_queue) + 1 WHERE item = ?`)
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, id.String())
	return damaged(err)
}

// TakeQueued removes id from the index queue if it is still at place
// queued and reports whether it did: the caller indexes it in this
// transaction only if so.
func (t *Tx) TakeQueued(ctx context.Context, id evidence.ID, queued int64) (bool, error) {
	q, err := t.stmt(ctx, `DELETE FROM search_queue WHERE item = ? AND n = ?`)
	if err != nil {
		return false, err
	}
	res, err := q.ExecContext(ctx, id.String(), queued)
	if err != nil {
		return false, damaged(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// PendingItems returns up to limit items waiting in the index queue, in
// queue (intake) order, and how many wait in all. It only reads.
func (db *DB) PendingItems(ctx context.Context, limit int) ([]store.PendingItem, int, error) {
	var total int
	cs, err := db.stmt(ctx, `SELECT count(*) FROM search_queue`)
	if err != nil {
		return nil, 0, err
	}
	if err := cs.QueryRowContext(ctx).Scan(&total); err != nil {
		return nil, 0, damaged(err)
	}
	if total == 0 {
		return nil, 0, nil
	}
	var out []store.PendingItem
	at := map[evidence.ID]int{}
	err = db.each(ctx, `SELECT q.n, `+itemCols+` FROM search_queue q JOIN items i ON i.id = q.item ORDER BY q.n LIMIT ?`, limit, func(rows *sql.Rows) error {
		var p store.PendingItem
		it, err := scanItem(queuedRow{rows, &p.Queued})
		if err != nil {
			return err
		}
		p.Item = it
		at[it.ID] = len(out)
		out = append(out, p)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	// The page's newest versions and keys, a query each instead of two an
	// item. Each reads its own snapshot: an item the queue no longer holds
	// at the same place is missed (and read by the indexer itself), and an
	// item whose record changed since is not taken (TakeQueued).
	page := `(SELECT item FROM search_queue ORDER BY n LIMIT ?) p`
	err = db.each(ctx, `SELECT `+versionCols+` FROM `+page+` JOIN item_versions v ON v.item_id = p.item
		AND v.version = (SELECT max(version) FROM item_versions WHERE item_id = p.item)`, limit, func(rows *sql.Rows) error {
		v, err := scanVersion(rows)
		if err != nil {
			return err
		}
		if i, ok := at[v.Item]; ok {
			out[i].Latest = &v
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	err = db.each(ctx, `SELECT k.item_id, k.handle, k.gen, k.wrapped FROM `+page+` JOIN item_keys k ON k.item_id = p.item`, limit, func(rows *sql.Rows) error {
		k, err := scanItemKey(rows)
		if err != nil {
			return err
		}
		if i, ok := at[k.Item]; ok {
			out[i].Key = &k
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	for i := range out {
		// An item read without a version may have been taken and its
		// queue row reused meanwhile: the indexer looks it up itself.
		out[i].With = out[i].Latest != nil
	}
	return out, total, nil
}

// each runs query with arg and calls fn for every row.
func (db *DB) each(ctx context.Context, query string, arg any, fn func(*sql.Rows) error) error {
	rows, err := db.sql.QueryContext(ctx, query, arg)
	if err != nil {
		return damaged(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return damaged(rows.Err())
}

// queuedRow scans a row whose first columns go to pre, then the rest as a
// scan function expects them.
type queuedRow struct {
	rows *sql.Rows
	pre  any
}

func (p queuedRow) Scan(dest ...any) error { return p.rows.Scan(append([]any{p.pre}, dest...)...) }
