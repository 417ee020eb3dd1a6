package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"

	"sori/internal/evidence"
	"sori/internal/store"
	"sori/internal/textindex"
)

// Items' own keys (store.ItemKey). The table came later within schema
// version 3 and is made on open where it is missing. It has no trigger
// against deletion: deleting a row, in a shredding transaction, is how an
// item is shredded.
const itemKeysSchema = `
CREATE TABLE IF NOT EXISTS item_keys (
	item_id TEXT PRIMARY KEY REFERENCES items (id),
	handle  TEXT NOT NULL UNIQUE,
	gen     INTEGER NOT NULL,
	wrapped BLOB NOT NULL
) STRICT;
CREATE TRIGGER IF NOT EXISTS item_keys_no_update BEFORE UPDATE ON item_keys
BEGIN SELECT RAISE(ABORT, 'item keys are never changed, only deleted'); END;
`

func (db *DB) ensureItemKeys(ctx context.Context) error {
	_, err := db.sql.ExecContext(ctx, itemKeysSchema)
	return damaged(err)
}

// InsertItemKey stores item k.Item's own key.
func (t *Tx) InsertItemKey(ctx context.Context, k store.ItemKey) error {
	// One statement an item on the intake path: an existing key is seen
	// by the insert itself (nothing inserted); a failed constraint is then
	// a missing item, or another item's handle.
	ins, err := t.stmt(ctx, `INSERT INTO item_keys (item_id, handle, gen, wrapped) VALUES (?, ?, ?, ?) ON CONFLICT (item_id) DO NOTHING`)
	if err != nil {
		return err
	}
	res, err := ins.ExecContext(ctx, k.Item.String(), k.Handle, k.Gen, k.Wrapped)
	if err != nil {
		if !isConstraint(err) {
			return damaged(err)
		}
		if _, ierr := t.Item(ctx, k.Item); ierr != nil {
			return fmt.Errorf("item key for %s: %w", k.Item, ierr)
		}
		return fmt.Errorf("%w: item key %s: %v", evidence.ErrExists, k.Item, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("%w: item %s has a key", evidence.ErrExists, k.Item)
	}
	return nil
}

// DeleteItemKey destroys item id's own key.
func (t *Tx) DeleteItemKey(ctx context.Context, id evidence.ID) error {
	res, err := t.tx.ExecContext(ctx, `DELETE FROM item_keys WHERE item_id = ?`, id.String())
	if err != nil {
		return damaged(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("%w: item %s has no key of its own", evidence.ErrNotFound, id)
	}
	return nil
}

// ItemKey returns item id's own key as the transaction sees it.
func (t *Tx) ItemKey(ctx context.Context, id evidence.ID) (store.ItemKey, error) {
	q, err := t.stmt(ctx, `SELECT item_id, handle, gen, wrapped FROM item_keys WHERE item_id = ?`)
	if err != nil {
		return store.ItemKey{}, err
	}
	return scanItemKey(q.QueryRowContext(ctx, id.String()))
}

// ItemKey returns item id's own key.
func (db *DB) ItemKey(ctx context.Context, id evidence.ID) (store.ItemKey, error) {
	q, err := db.stmt(ctx, `SELECT item_id, handle, gen, wrapped FROM item_keys WHERE item_id = ?`)
	if err != nil {
		return store.ItemKey{}, err
	}
	return scanItemKey(q.QueryRowContext(ctx, id.String()))
}

// EachItemKey calls fn for every item key, by item ID.
func (db *DB) EachItemKey(ctx context.Context, fn func(store.ItemKey) error) error {
	rows, err := db.sql.QueryContext(ctx, `SELECT item_id, handle, gen, wrapped FROM item_keys ORDER BY item_id`)
	if err != nil {
		return damaged(err)
	}
	defer rows.Close()
	for rows.Next() {
		k, err := scanItemKey(rows)
		if err != nil {
			return err
		}
		if err := fn(k); err != nil {
			return err
		}
	}
	return damaged(rows.Err())
}

func scanItemKey(row interface{ Scan(...any) error }) (store.ItemKey, error) {
	var k store.ItemKey
	var id string
	err := row.Scan(&id, &k.Handle, &k.Gen, &k.Wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		return k, fmt.Errorf("%w: no item key", evidence.ErrNotFound)
	}
	if err != nil {
		return k, damaged(err)
	}
	if k.Item, err = evidence.ParseID(id); err != nil {
		return k, fmt.Errorf("%w: item key row: %v", evidence.ErrDamaged, err)
	}
	return k, nil
}

// ExpungeText drops doc's text from the index: its row keeps the title
// only, and every posting list of the segments that hold its text
// generation is rewritten without it, now, rather than marked dead until a
// merge. In a shredding transaction the rows replaced are overwritten.
func (t *Tx) ExpungeText(ctx context.Context, doc string) error {
	s, err := t.searchState(ctx)
	if err != nil {
		return err
	}
	var gen int64
	var lens []byte
	err = t.tx.QueryRowContext(ctx, `SELECT gen, lens FROM search_docs WHERE doc = ?`, doc).Scan(&gen, &lens)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // never indexed
	}
	if err != nil {
		return damaged(err)
	}
	if gen == 0 {
		return nil
	}
	if gen >= s.lo {
		return fmt.Errorf("%w: the text to expunge was indexed in the same transaction", evidence.ErrInvalid)
	}
	_, n := binary.Uvarint(lens)
	if n <= 0 {
		return fmt.Errorf("%w: search document lengths", evidence.ErrDamaged)
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE search_docs SET gen = 0, lens = ? WHERE doc = ?`, lens[:n], doc); err != nil {
		return damaged(err)
	}
	s.modified = true
	rows, err := t.tx.QueryContext(ctx, `SELECT seg FROM search_segs WHERE ? BETWEEN lo AND hi`, gen)
	if err != nil {
		return damaged(err)
	}
	var segs []int64
	for rows.Next() {
		var seg int64
		if err := rows.Scan(&seg); err != nil {
			rows.Close()
			return damaged(err)
		}
		segs = append(segs, seg)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return damaged(err)
	}
	live := func(row uint64) bool { return int64(row>>16) != gen }
	for _, seg := range segs {
		if err := t.filterSegment(ctx, seg, live); err != nil {
			return err
		}
	}
	_, err = t.tx.ExecContext(ctx, `DELETE FROM search_dead WHERE gen = ?`, gen)
	return damaged(err)
}

// filterSegment rewrites the posting lists of segment seg that hold rows
// live rejects, a batch of terms at a time.
func (t *Tx) filterSegment(ctx context.Context, seg int64, live func(uint64) bool) error {
	var after []byte
	for {
		q := `SELECT term, seg, chunk, list FROM search_terms WHERE seg = ? ORDER BY term, chunk`
		args := []any{seg}
		if after != nil {
			q = `SELECT term, seg, chunk, list FROM search_terms WHERE term > ? AND seg = ? ORDER BY term, chunk`
			args = []any{after, seg}
		}
		rows, err := t.tx.QueryContext(ctx, q, args...)
		if err != nil {
			return damaged(err)
		}
		type changed struct{ term, list []byte }
		var out []changed
		held := 0
		var last []byte
		errFull := errors.New("batch full")
		err = eachList(rows, func(tl termList) error {
			if held >= mergeBatch {
				return errFull
			}
			last = tl.term
			held += len(tl.list)
			l, err := textindex.Merge([][]byte{tl.list}, live)
			if err != nil {
				return fmt.Errorf("%w: search index term %q: %v", evidence.ErrDamaged, tl.term, err)
			}
			if !bytes.Equal(l, tl.list) {
				out = append(out, changed{tl.term, l})
			}
			return nil
		})
		if err != nil && !errors.Is(err, errFull) {
			return err
		}
		for _, c := range out {
			if _, err := t.tx.ExecContext(ctx, `DELETE FROM search_terms WHERE term = ? AND seg = ?`, c.term, seg); err != nil {
				return damaged(err)
			}
			if c.list != nil {
				if err := t.insertList(ctx, c.term, seg, c.list); err != nil {
					return err
				}
			}
		}
		if !errors.Is(err, errFull) {
			return nil
		}
		after = last
	}
}
