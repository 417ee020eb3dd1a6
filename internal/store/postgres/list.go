package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"sori/internal/store"
)

// Listings of tables the archive otherwise reads by key, for copying an
// archive to another driver (sori migrate). Each streams its rows.

// EachMeta calls fn for every archive setting, by key, leaving out the
// driver's own (the key check).
func (db *DB) EachMeta(ctx context.Context, fn func(key, value string) error) error {
	return db.each(ctx, db.pool, `SELECT key, value FROM meta WHERE key <> 'key_check' ORDER BY key`, nil, func(r pgx.Rows) error {
		var k string
		var v []byte
		if err := r.Scan(&k, &v); err != nil {
			return dberr(err)
		}
		plain, err := db.c.open(ad("meta.value", k), v)
		if err != nil {
			return err
		}
		return fn(k, string(plain))
	})
}

// EachCheckpointAt calls fn for every checkpoint with the time it was
// stored, by size.
func (db *DB) EachCheckpointAt(ctx context.Context, fn func(size int64, note []byte, at time.Time) error) error {
	return db.each(ctx, db.pool, `SELECT size, note, created_at FROM checkpoints ORDER BY size`, nil, func(r pgx.Rows) error {
		var size, at int64
		var note []byte
		if err := r.Scan(&size, &note, &at); err != nil {
			return dberr(err)
		}
		note, err := db.c.open(ad("checkpoints.note", size), note)
		if err != nil {
			return err
		}
		return fn(size, note, fromNanos(at))
	})
}

// EachTimestamp calls fn for every stored time-stamp token, in the order
// they were stored.
func (db *DB) EachTimestamp(ctx context.Context, fn func(store.Timestamp) error) error {
	return db.each(ctx, db.pool, `SELECT id, size, gen_time, body FROM timestamps ORDER BY id`, nil, func(r pgx.Rows) error {
		var ts store.Timestamp
		var gen int64
		var body []byte
		if err := r.Scan(&ts.ID, &ts.Size, &gen, &body); err != nil {
			return dberr(err)
		}
		var b timestampBody
		if err := openJSON(db.c, ad("timestamps.body", ts.ID, ts.Size), body, &b); err != nil {
			return err
		}
		ts.Note, ts.TSA, ts.Token, ts.GenTime = b.Note, b.TSA, b.Token, fromNanos(gen)
		return fn(ts)
	})
}

// EachCosignature calls fn for every stored cosignature, in the order they
// were stored.
func (db *DB) EachCosignature(ctx context.Context, fn func(store.Cosignature) error) error {
	return db.each(ctx, db.pool, `SELECT id, size, body FROM cosignatures ORDER BY id`, nil, func(r pgx.Rows) error {
		var c store.Cosignature
		var body []byte
		if err := r.Scan(&c.ID, &c.Size, &body); err != nil {
			return dberr(err)
		}
		var b cosignatureBody
		if err := openJSON(db.c, ad("cosignatures.body", c.ID, c.Size), body, &b); err != nil {
			return err
		}
		c.Note, c.Key, c.Line, c.CosignedAt = b.Note, b.Key, b.Line, fromNanos(b.CosignedAt)
		return fn(c)
	})
}
