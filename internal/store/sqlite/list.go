package sqlite

import (
	"context"
	"fmt"
	"time"

	"sori/internal/evidence"
	"sori/internal/store"
)

// Listings of tables the archive otherwise reads by key, for copying an
// archive to another driver (sori migrate). Each streams its rows.

// EachMeta calls fn for every archive setting, by key, leaving out the
// driver's own (the schema version).
func (db *DB) EachMeta(ctx context.Context, fn func(key, value string) error) error {
	rows, err := db.sql.QueryContext(ctx, `SELECT key, value FROM meta WHERE key <> 'schema' ORDER BY key`)
	if err != nil {
		return damaged(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return damaged(err)
		}
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return damaged(rows.Err())
}

// EachCheckpointAt calls fn for every checkpoint with the time it was
// stored, by size.
func (db *DB) EachCheckpointAt(ctx context.Context, fn func(size int64, note []byte, at time.Time) error) error {
	rows, err := db.sql.QueryContext(ctx, `SELECT size, note, created_at FROM checkpoints ORDER BY size`)
	if err != nil {
		return damaged(err)
	}
	defer rows.Close()
	for rows.Next() {
		var size int64
		var note []byte
		var at string
		if err := rows.Scan(&size, &note, &at); err != nil {
			return damaged(err)
		}
		t, err := time.Parse(timeFormat, at)
		if err != nil {
			return fmt.Errorf("%w: checkpoint %d: created_at %q", evidence.ErrDamaged, size, at)
		}
		if err := fn(size, note, t); err != nil {
			return err
		}
	}
	return damaged(rows.Err())
}

// EachTimestamp calls fn for every stored time-stamp token, in the order
// they were stored.
func (db *DB) EachTimestamp(ctx context.Context, fn func(store.Timestamp) error) error {
	rows, err := db.sql.QueryContext(ctx, `SELECT id, size, note, tsa, gen_time, token FROM timestamps ORDER BY id`)
	if err != nil {
		return damaged(err)
	}
	defer rows.Close()
	for rows.Next() {
		var ts store.Timestamp
		var gen string
		if err := rows.Scan(&ts.ID, &ts.Size, &ts.Note, &ts.TSA, &gen, &ts.Token); err != nil {
			return damaged(err)
		}
		if ts.GenTime, err = time.Parse(time.RFC3339Nano, gen); err != nil {
			return fmt.Errorf("%w: time stamp %d: gen_time %q", evidence.ErrDamaged, ts.ID, gen)
		}
		if err := fn(ts); err != nil {
			return err
		}
	}
	return damaged(rows.Err())
}

// EachCosignature calls fn for every stored cosignature, in the order they
// were stored.
func (db *DB) EachCosignature(ctx context.Context, fn func(store.Cosignature) error) error {
	rows, err := db.sql.QueryContext(ctx, `SELECT id, size, note, vkey, line, cosigned_at FROM cosignatures ORDER BY id`)
	if err != nil {
		return damaged(err)
	}
	defer rows.Close()
	for rows.Next() {
		var c store.Cosignature
		var at string
		if err := rows.Scan(&c.ID, &c.Size, &c.Note, &c.Key, &c.Line, &at); err != nil {
			return damaged(err)
		}
		if c.CosignedAt, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return fmt.Errorf("%w: cosignature %d: cosigned_at %q", evidence.ErrDamaged, c.ID, at)
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return damaged(rows.Err())
}
