package postgres

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"sori/internal/evidence"
	"sori/internal/store"
	"sori/internal/textindex"
)

// keyBody is an item key row's sealed part.
type keyBody struct {
	Handle  string `json:"handle"`
	Wrapped []byte `json:"wrapped"`
}

// InsertItemKey stores item k.Item's own key.
func (t *Tx) InsertItemKey(ctx context.Context, k store.ItemKey) error {
	id := k.Item.String()
	body, err := sealJSON(t.db.c, ad("item_keys.body", id, k.Gen), keyBody{k.Handle, k.Wrapped})
	if err != nil {
		return err
	}
	// One round trip an item: an existing key is seen by the insert itself
	// (nothing inserted), which leaves the transaction usable.
	tag, err := t.tx.Exec(ctx, `INSERT INTO item_keys (item_id, gen, body) VALUES ($1, $2, $3) ON CONFLICT (item_id) DO NOTHING`, id, k.Gen, body)
	if isForeign(err) {
		return fmt.Errorf("%w: item key for %s: no such item", evidence.ErrNotFound, k.Item)
	}
	if err != nil {
		return dberr(err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("%w: item %s has a key", evidence.ErrExists, k.Item)
	}
	return nil
}

// DeleteItemKey destroys item id's own key (the row; PostgreSQL keeps
// the dead tuple until VACUUM: docs/deploy.md).
func (t *Tx) DeleteItemKey(ctx context.Context, id evidence.ID) error {
	tag, err := t.tx.Exec(ctx, `DELETE FROM item_keys WHERE item_id = $1`, id.String())
	if err != nil {
		return dberr(err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("%w: item %s has no key of its own", evidence.ErrNotFound, id)
	}
	return nil
}

func (db *DB) scanItemKey(row scanner) (store.ItemKey, error) {
	var k store.ItemKey
	var id string
	var body []byte
	err := row.Scan(&id, &k.Gen, &body)
	if errors.Is(err, pgx.ErrNoRows) {
		return k, fmt.Errorf("%w: no item key", evidence.ErrNotFound)
	}
	if err != nil {
		return k, dberr(err)
	}
	if k.Item, err = evidence.ParseID(id); err != nil {
		return k, fmt.Errorf("%w: item key row: %v", evidence.ErrDamaged, err)
	}
	var b keyBody
	if err := openJSON(db.c, ad("item_keys.body", id, k.Gen), body, &b); err != nil {
		return k, err
	}
	k.Handle, k.Wrapped = b.Handle, b.Wrapped
	return k, nil
}

// ItemKey returns item id's own key.
func (db *DB) ItemKey(ctx context.Context, id evidence.ID) (store.ItemKey, error) {
	return db.scanItemKey(db.pool.QueryRow(ctx, `SELECT item_id, gen, body FROM item_keys WHERE item_id = $1`, id.String()))
}

// ItemKey returns item id's own key as the transaction sees it.
func (t *Tx) ItemKey(ctx context.Context, id evidence.ID) (store.ItemKey, error) {
	return t.db.scanItemKey(t.tx.QueryRow(ctx, `SELECT item_id, gen, body FROM item_keys WHERE item_id = $1`, id.String()))
}

// EachItemKey calls fn for every item key, by item ID.
func (db *DB) EachItemKey(ctx context.Context, fn func(store.ItemKey) error) error {
	return db.each(ctx, db.pool, `SELECT item_id, gen, body FROM item_keys ORDER BY item_id`, nil, func(r pgx.Rows) error {
		k, err := db.scanItemKey(r)
		if err != nil {
			return err
		}
		return fn(k)
	})
}

// ExpungeText drops doc's text from the index now: its row keeps the
// title only, and the posting lists of the segments holding its text
// generation are rewritten without it (the term names of lists left empty
// go too). PostgreSQL keeps the replaced tuples until VACUUM.
func (t *Tx) ExpungeText(ctx context.Context, doc string) error {
	s, err := t.searchState(ctx)
	if err != nil {
		return err
	}
	tgen, gen, b, ok, err := t.db.readDoc(ctx, t.tx, doc)
	if err != nil || !ok || gen == 0 {
		return err
	}
	if gen >= s.lo {
		return fmt.Errorf("%w: the text to expunge was indexed in the same transaction", evidence.ErrInvalid)
	}
	_, n := binary.Uvarint(b.Lens)
	if n <= 0 {
		return fmt.Errorf("%w: search document lengths", evidence.ErrDamaged)
	}
	b.Lens = b.Lens[:n]
	body, err := sealJSON(t.db.c, ad("search_docs.body", doc), b)
	if err != nil {
		return err
	}
	if _, err := t.tx.Exec(ctx, `UPDATE search_docs SET gen = 0, body = $1 WHERE doc = $2 AND tgen = $3`, body, doc, tgen); err != nil {
		return dberr(err)
	}
	s.modified = true
	var segs []int64
	err = t.db.each(ctx, t.tx, `SELECT seg FROM search_segs WHERE $1 BETWEEN lo AND hi`, []any{gen}, func(r pgx.Rows) error {
		var seg int64
		if err := r.Scan(&seg); err != nil {
			return dberr(err)
		}
		segs = append(segs, seg)
		return nil
	})
	if err != nil {
		return err
	}
	live := func(row uint64) bool { return int64(row>>16) != gen }
	c := t.db.c
	for _, seg := range segs {
		after := []byte{} // not nil: NULL compares with nothing
		for {
			type changed struct{ mac, list []byte }
			var out []changed
			var last []byte
			err := t.db.each(ctx, t.tx, `SELECT mac, list FROM search_terms WHERE seg = $1 AND mac > $2 ORDER BY mac LIMIT 2000`,
				[]any{seg, after}, func(r pgx.Rows) error {
					var mac, sealed []byte
					if err := r.Scan(&mac, &sealed); err != nil {
						return dberr(err)
					}
					last = mac
					list, err := c.open(listAD(mac, seg), sealed)
					if err != nil {
						return err
					}
					l, err := textindex.Merge([][]byte{list}, live)
					if err != nil {
						return fmt.Errorf("%w: search index term: %v", evidence.ErrDamaged, err)
					}
					if !bytes.Equal(l, list) {
						out = append(out, changed{mac, l})
					}
					return nil
				})
			if err != nil {
				return err
			}
			for _, ch := range out {
				if ch.list == nil {
					_, err = t.tx.Exec(ctx, `DELETE FROM search_terms WHERE mac = $1 AND seg = $2`, ch.mac, seg)
				} else {
					_, err = t.tx.Exec(ctx, `UPDATE search_terms SET list = $1 WHERE mac = $2 AND seg = $3`, c.seal(listAD(ch.mac, seg), ch.list), ch.mac, seg)
				}
				if err != nil {
					return dberr(err)
				}
				if ch.list == nil {
					if _, err := t.tx.Exec(ctx, `DELETE FROM search_dict d WHERE mac = $1 AND NOT EXISTS (SELECT 1 FROM search_terms t WHERE t.mac = $1)`, ch.mac); err != nil {
						return dberr(err)
					}
				}
			}
			if last == nil {
				break
			}
			after = last
		}
	}
	_, err = t.tx.Exec(ctx, `DELETE FROM search_dead WHERE gen = $1`, gen)
	return dberr(err)
}
