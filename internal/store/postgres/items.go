package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"sori/internal/evidence"
	"sori/internal/store"
)

const itemCols = `id, n, sha256, size, pack, off, len, key_gen, created_at, created_by`

// InsertItem inserts it unless an item with its ID exists.
func (t *Tx) InsertItem(ctx context.Context, it store.Item) (bool, error) {
	// Under the writer lock, which SetContentGen takes too: a change of
	// generation commits before this reads it or waits for this
	// transaction, never slips between check and insert. (The lock comes
	// first for every writer, so that they cannot deadlock on row locks.)
	gen, err := t.contentGen(ctx)
	if err != nil {
		return false, err
	}
	if it.KeyGen != gen {
		return false, fmt.Errorf("%w: item under a retired content key (a user was removed since the archive was opened; open it again)", evidence.ErrInvalid)
	}
	id := it.ID.String()
	tag, err := t.tx.Exec(ctx, `INSERT INTO items (id, sha256, size, pack, off, len, key_gen, created_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
		id, t.db.c.seal(ad("items.sha256", id), it.SHA256[:]), it.Size, it.Pack, it.Off, it.Len, it.KeyGen, nanos(it.CreatedAt), it.CreatedBy)
	if err != nil {
		return false, dberr(err)
	}
	if tag.RowsAffected() != 1 {
		return false, nil
	}
	return true, t.enqueue(ctx, id)
}

// refuseExisting fails with evidence.ErrExists when (id, version) exists
// in table as the transaction sees it: evidence is never replaced, and the
// driver checks it itself, not only the primary key.
func (t *Tx) refuseExisting(ctx context.Context, q string, id evidence.ID, version int) error {
	if version < 1 {
		return fmt.Errorf("%w: version %d (versions start at 1)", evidence.ErrInvalid, version)
	}
	var exists bool
	if err := t.tx.QueryRow(ctx, q, id.String(), version).Scan(&exists); err != nil {
		return dberr(err)
	}
	if exists {
		return evidence.ErrExists
	}
	return nil
}

// InsertVersion appends an item version; an existing one gives ErrExists.
func (t *Tx) InsertVersion(ctx context.Context, v store.Version) error {
	if err := t.refuseExisting(ctx, `SELECT EXISTS (SELECT 1 FROM item_versions WHERE item_id = $1 AND version = $2)`, v.Item, v.Version); err != nil {
		return fmt.Errorf("%w: version %d of item %s", err, v.Version, v.Item)
	}
	id := v.Item.String()
	_, err := t.tx.Exec(ctx, `INSERT INTO item_versions (item_id, version, record, digest, created_at, actor) VALUES ($1, $2, $3, $4, $5, $6)`,
		id, v.Version, t.db.c.seal(ad("item_versions.record", id, v.Version), v.Record),
		t.db.c.seal(ad("item_versions.digest", id, v.Version), v.Digest[:]), nanos(v.CreatedAt), v.Actor)
	if isUnique(err) {
		return fmt.Errorf("%w: version %d of item %s", evidence.ErrExists, v.Version, v.Item)
	}
	if isForeign(err) {
		return fmt.Errorf("%w: version %d of item %s: no such item or actor", evidence.ErrNotFound, v.Version, v.Item)
	}
	if err != nil || v.Version == 1 {
		return dberr(err) // a first version is written with the item, which is queued behind it
	}
	// An item waiting in the index queue moves to its end (TakeQueued).
	_, err = t.tx.Exec(ctx, `UPDATE search_queue SET n = nextval(pg_get_serial_sequence('search_queue', 'n')) WHERE item = $1`, id)
	return dberr(err)
}

type scanner interface{ Scan(...any) error }

func (db *DB) scanItem(row scanner) (store.Item, int64, error) {
	var it store.Item
	var id string
	var n, created int64
	var sum []byte
	err := row.Scan(&id, &n, &sum, &it.Size, &it.Pack, &it.Off, &it.Len, &it.KeyGen, &created, &it.CreatedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return it, 0, fmt.Errorf("%w: no such item", evidence.ErrNotFound)
	}
	if err != nil {
		return it, 0, dberr(err)
	}
	if it.ID, err = evidence.ParseID(id); err != nil {
		return it, 0, fmt.Errorf("%w: item row: %v", evidence.ErrDamaged, err)
	}
	plain, err := db.c.open(ad("items.sha256", id), sum)
	if err != nil {
		return it, 0, err
	}
	if len(plain) != len(it.SHA256) {
		return it, 0, fmt.Errorf("%w: item %s: bad digest length", evidence.ErrDamaged, id)
	}
	copy(it.SHA256[:], plain)
	it.CreatedAt = fromNanos(created)
	return it, n, nil
}

func (db *DB) item(ctx context.Context, q querier, id evidence.ID) (store.Item, error) {
	it, _, err := db.scanItem(q.QueryRow(ctx, `SELECT `+itemCols+` FROM items WHERE id = $1`, id.String()))
	return it, err
}

// Item reads one item (ErrNotFound if absent).
func (db *DB) Item(ctx context.Context, id evidence.ID) (store.Item, error) {
	return db.item(ctx, db.pool, id)
}

// Item reads one item inside the transaction.
func (t *Tx) Item(ctx context.Context, id evidence.ID) (store.Item, error) {
	return t.db.item(ctx, t.tx, id)
}

// ResolvePrefix finds the one item whose ID starts with prefix.
func (db *DB) ResolvePrefix(ctx context.Context, prefix string) (evidence.ID, error) {
	ids, err := collectIDs(ctx, db.pool, `SELECT id FROM items WHERE id >= $1 AND id < $2 ORDER BY id LIMIT 2`, prefix, prefix+"g")
	if err != nil {
		return evidence.ID{}, err
	}
	switch len(ids) {
	case 0:
		return evidence.ID{}, fmt.Errorf("%w: no item %s", evidence.ErrNotFound, prefix)
	case 1:
		return evidence.ParseID(ids[0])
	}
	return evidence.ID{}, fmt.Errorf("%w: %s matches more than one item; give more digits", evidence.ErrInvalid, prefix)
}

func collectIDs(ctx context.Context, q querier, sql string, args ...any) ([]string, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, dberr(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return ids, dberr(err)
}

const versionCols = `item_id, version, record, digest, created_at, actor`

func (db *DB) scanVersion(row scanner) (store.Version, error) {
	var v store.Version
	var id string
	var created int64
	var rec, digest []byte
	if err := row.Scan(&id, &v.Version, &rec, &digest, &created, &v.Actor); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return v, err
		}
		return v, dberr(err)
	}
	var err error
	if v.Item, err = evidence.ParseID(id); err != nil {
		return v, fmt.Errorf("%w: version row: %v", evidence.ErrDamaged, err)
	}
	if rec == nil {
		v.Record = []byte{} // purged
	} else if v.Record, err = db.c.open(ad("item_versions.record", id, v.Version), rec); err != nil {
		return v, err
	}
	d, err := db.c.open(ad("item_versions.digest", id, v.Version), digest)
	if err != nil {
		return v, err
	}
	if len(d) != len(v.Digest) {
		return v, fmt.Errorf("%w: item %s version %d: bad digest length", evidence.ErrDamaged, id, v.Version)
	}
	copy(v.Digest[:], d)
	v.CreatedAt = fromNanos(created)
	return v, nil
}

// Versions lists an item's versions, oldest first.
func (db *DB) Versions(ctx context.Context, id evidence.ID) ([]store.Version, error) {
	var out []store.Version
	err := db.each(ctx, db.pool, `SELECT `+versionCols+` FROM item_versions WHERE item_id = $1 ORDER BY version`, []any{id.String()},
		func(r pgx.Rows) error {
			v, err := db.scanVersion(r)
			out = append(out, v)
			return err
		})
	return out, err
}

func (db *DB) latestVersion(ctx context.Context, q querier, id evidence.ID) (store.Version, error) {
	v, err := db.scanVersion(q.QueryRow(ctx, `SELECT `+versionCols+` FROM item_versions WHERE item_id = $1 ORDER BY version DESC LIMIT 1`, id.String()))
	if errors.Is(err, pgx.ErrNoRows) {
		return v, fmt.Errorf("%w: item %s has no record", evidence.ErrNotFound, id)
	}
	return v, err
}

// LatestVersion returns an item's newest version.
func (db *DB) LatestVersion(ctx context.Context, id evidence.ID) (store.Version, error) {
	return db.latestVersion(ctx, db.pool, id)
}

// LatestVersion returns an item's newest version inside the transaction.
func (t *Tx) LatestVersion(ctx context.Context, id evidence.ID) (store.Version, error) {
	return t.db.latestVersion(ctx, t.tx, id)
}

// each runs q and calls fn for each row, stopping at its first error.
func (db *DB) each(ctx context.Context, q querier, sql string, args []any, fn func(pgx.Rows) error) error {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return dberr(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return dberr(rows.Err())
}

// EachLatest calls fn for every item with its newest version, in intake
// order (then ID).
func (db *DB) EachLatest(ctx context.Context, fn func(store.Item, store.Version) error) error {
	return db.EachLatestAfter(ctx, evidence.ID{}, fn)
}

// EachLatestAfter is EachLatest from the item after item after (the zero
// ID: from the first); the index items_intake takes the query to it.
func (db *DB) EachLatestAfter(ctx context.Context, after evidence.ID, fn func(store.Item, store.Version) error) error {
	where, args := ``, []any(nil)
	if !after.IsZero() {
		var created int64
		err := db.pool.QueryRow(ctx, `SELECT created_at FROM items WHERE id = $1`, after.String()).Scan(&created)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: no item %s", evidence.ErrNotFound, after)
		}
		if err != nil {
			return dberr(err)
		}
		where, args = ` AND (i.created_at, i.id) > ($1, $2)`, []any{created, after.String()}
	}
	return db.each(ctx, db.pool, `SELECT i.id, i.n, i.sha256, i.size, i.pack, i.off, i.len, i.key_gen, i.created_at, i.created_by,
			v.item_id, v.version, v.record, v.digest, v.created_at, v.actor
		FROM items i JOIN item_versions v ON v.item_id = i.id
		WHERE v.version = (SELECT MAX(version) FROM item_versions WHERE item_id = i.id)`+where+`
		ORDER BY i.created_at, i.id`, args, func(r pgx.Rows) error {
		vals := make([]any, 16)
		ptrs := make([]any, 16)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := r.Scan(ptrs...); err != nil {
			return dberr(err)
		}
		it, _, err := db.scanItem(valueRow(vals[:10]))
		if err != nil {
			return err
		}
		v, err := db.scanVersion(valueRow(vals[10:]))
		if err != nil {
			return err
		}
		return fn(it, v)
	})
}

// valueRow rescans values already read, so one row of a join feeds two
// scanners.
type valueRow []any

func (v valueRow) Scan(dest ...any) error {
	if len(dest) != len(v) {
		return fmt.Errorf("%w: %d columns for %d values", evidence.ErrDamaged, len(dest), len(v))
	}
	for i, d := range dest {
		if err := assign(d, v[i]); err != nil {
			return err
		}
	}
	return nil
}

func assign(dest, v any) error {
	switch d := dest.(type) {
	case *string:
		s, ok := v.(string)
		if !ok && v != nil {
			return fmt.Errorf("%w: want text, got %T", evidence.ErrDamaged, v)
		}
		*d = s
	case *int64:
		n, ok := v.(int64)
		if !ok {
			return fmt.Errorf("%w: want bigint, got %T", evidence.ErrDamaged, v)
		}
		*d = n
	case *int:
		switch n := v.(type) {
		case int32:
			*d = int(n)
		case int64:
			*d = int(n)
		default:
			return fmt.Errorf("%w: want integer, got %T", evidence.ErrDamaged, v)
		}
	case *[]byte:
		b, ok := v.([]byte)
		if !ok && v != nil {
			return fmt.Errorf("%w: want bytea, got %T", evidence.ErrDamaged, v)
		}
		*d = b
	default:
		return fmt.Errorf("assign to %T", dest)
	}
	return nil
}

// SizeExists reports whether any item has exactly size bytes.
func (db *DB) SizeExists(ctx context.Context, size int64) (bool, error) {
	var ok bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM items WHERE size = $1)`, size).Scan(&ok)
	return ok, dberr(err)
}

// EachItem calls fn for every item, in ID order.
func (db *DB) EachItem(ctx context.Context, fn func(store.Item) error) error {
	return db.each(ctx, db.pool, `SELECT `+itemCols+` FROM items ORDER BY id`, nil, func(r pgx.Rows) error {
		it, _, err := db.scanItem(r)
		if err != nil {
			return err
		}
		return fn(it)
	})
}

// EachVersion calls fn for every item version, by item then version.
func (db *DB) EachVersion(ctx context.Context, fn func(store.Version) error) error {
	return db.each(ctx, db.pool, `SELECT `+versionCols+` FROM item_versions ORDER BY item_id, version`, nil, func(r pgx.Rows) error {
		v, err := db.scanVersion(r)
		if err != nil {
			return err
		}
		return fn(v)
	})
}

// PurgeVersion empties the body of one version and lists it as purged. The
// old row version stays in the server's storage until VACUUM reclaims it
// (docs/deploy.md); its body was ciphertext throughout.
func (t *Tx) PurgeVersion(ctx context.Context, p store.Purge) error {
	id := p.ID.String()
	_, err := t.tx.Exec(ctx, `INSERT INTO purged (kind, id, version, reason, created_at, actor) VALUES ($1, $2, $3, $4, $5, $6)`,
		p.Kind, id, p.Version, t.db.c.seal(ad("purged.reason", p.Kind, id, p.Version), []byte(p.Reason)), nanos(p.CreatedAt), p.Actor)
	if isUnique(err) {
		return fmt.Errorf("%w: %s %s version %d is purged already", evidence.ErrInvalid, p.Kind, p.ID, p.Version)
	}
	if err != nil {
		return dberr(err)
	}
	q := `UPDATE records SET record = NULL WHERE id = $1 AND version = $2`
	if p.Kind == "item" {
		q = `UPDATE item_versions SET record = NULL WHERE item_id = $1 AND version = $2`
	}
	tag, err := t.tx.Exec(ctx, q, id, p.Version)
	if err != nil {
		return dberr(err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("%w: no %s %s version %d", evidence.ErrNotFound, p.Kind, p.ID, p.Version)
	}
	return nil
}

// Purged returns every purged version.
func (db *DB) Purged(ctx context.Context) ([]store.Purge, error) {
	var out []store.Purge
	err := db.each(ctx, db.pool, `SELECT kind, id, version, reason, created_at, actor FROM purged ORDER BY created_at, id, version`, nil,
		func(r pgx.Rows) error {
			var p store.Purge
			var id string
			var reason []byte
			var at int64
			if err := r.Scan(&p.Kind, &id, &p.Version, &reason, &at, &p.Actor); err != nil {
				return dberr(err)
			}
			var err error
			if p.ID, err = evidence.ParseID(id); err != nil {
				return fmt.Errorf("%w: purged row names %q", evidence.ErrDamaged, id)
			}
			plain, err := db.c.open(ad("purged.reason", p.Kind, id, p.Version), reason)
			if err != nil {
				return err
			}
			p.Reason, p.CreatedAt = string(plain), fromNanos(at)
			out = append(out, p)
			return nil
		})
	return out, err
}
