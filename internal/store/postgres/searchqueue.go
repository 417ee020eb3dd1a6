package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"sori/internal/evidence"
	"sori/internal/store"
)

// The index queue (migrations/0003_search_queue.sql): a row per item not
// yet indexed, written by InsertItem in the intake's transaction and
// deleted by the transaction that indexes the item. Both run under the
// writer lock, so two indexers never take the same item and an intake that
// commits late is still found.

// enqueue puts a new item in the index queue (InsertItem, which holds the
// writer lock).
func (t *Tx) enqueue(ctx context.Context, id string) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO search_queue (item) VALUES ($1) ON CONFLICT (item) DO NOTHING`, id)
	return dberr(err)
}

// TakeQueued removes id from the index queue if it is still at place
// queued and reports whether it did: the caller indexes it in this
// transaction only if so.
func (t *Tx) TakeQueued(ctx context.Context, id evidence.ID, queued int64) (bool, error) {
	if err := t.lockWriter(ctx); err != nil {
		return false, err
	}
	tag, err := t.tx.Exec(ctx, `DELETE FROM search_queue WHERE item = $1 AND n = $2`, id.String(), queued)
	if err != nil {
		return false, dberr(err)
	}
	return tag.RowsAffected() == 1, nil
}

// PendingItems returns up to limit items waiting in the index queue, in
// queue (intake) order, and how many wait in all. It only reads.
func (db *DB) PendingItems(ctx context.Context, limit int) ([]store.PendingItem, int, error) {
	var total int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM search_queue`).Scan(&total); err != nil {
		return nil, 0, dberr(err)
	}
	if total == 0 {
		return nil, 0, nil
	}
	var out []store.PendingItem
	// The indexer reads each item's record and key itself (With false).
	err := db.each(ctx, db.pool, `SELECT i.id, i.n, i.sha256, i.size, i.pack, i.off, i.len, i.key_gen, i.created_at, i.created_by, q.n
		FROM search_queue q JOIN items i ON i.id = q.item ORDER BY q.n LIMIT $1`, []any{limit}, func(r pgx.Rows) error {
		var p store.PendingItem
		it, _, err := db.scanItem(queuedRow{r, &p.Queued})
		if err != nil {
			return err
		}
		p.Item = it
		out = append(out, p)
		return nil
	})
	return out, total, err
}

// queuedRow scans a row whose last column goes to post, after the columns
// a scan function expects.
type queuedRow struct {
	row  scanner
	post any
}

func (q queuedRow) Scan(dest ...any) error { return q.row.Scan(append(dest, q.post)...) }
