package sqlite

import (
	"context"
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

// TakeQueued removes id from the index queue and reports whether it was
// there: the caller indexes it in this transaction only if so.
func (t *Tx) TakeQueued(ctx context.Context, id evidence.ID) (bool, error) {
	q, err := t.stmt(ctx, `DELETE FROM search_queue WHERE item = ?`)
	if err != nil {
		return false, err
	}
	res, err := q.ExecContext(ctx, id.String())
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
	rows, err := db.sql.QueryContext(ctx, `SELECT `+itemCols+` FROM search_queue q JOIN items i ON i.id = q.item
		ORDER BY q.n LIMIT ?`, limit)
	if err != nil {
		return nil, 0, damaged(err)
	}
	defer rows.Close()
	var out []store.PendingItem
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, store.PendingItem{Item: it})
	}
	return out, total, damaged(rows.Err())
}
