package sqlite

import (
	"context"
	"fmt"
	"time"

	"sori/internal/evidence"
	"sori/internal/store"
)

// The witnesses' cosignatures of checkpoints (C2SP tlog-cosignature;
// docs/format.md "Log witnesses"), kept so that exports carry them: per
// cosignature, the checkpoint it is of (tree size and the log-signed note,
// without cosignature lines), the witness's verifier key, the signature
// line the witness returned, and when the witness says it cosigned. An
// archive made before the table existed gains it, empty, on open; the
// schema version stays.
const cosignaturesSchema = `
CREATE TABLE IF NOT EXISTS cosignatures (
	id          INTEGER PRIMARY KEY,
	size        INTEGER NOT NULL,  -- tree size of the checkpoint cosigned
	note        BLOB NOT NULL,     -- that checkpoint's note, signed by the log only
	vkey        TEXT NOT NULL,     -- the witness's verifier key
	line        TEXT NOT NULL,     -- the cosignature line, "— NAME BASE64\n"
	cosigned_at TEXT NOT NULL      -- the cosignature's timestamp, RFC 3339 UTC
) STRICT;
CREATE INDEX IF NOT EXISTS cosignatures_size ON cosignatures (size);
`

func (db *DB) ensureCosignatures(ctx context.Context) error {
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'cosignatures'`).Scan(&n); err != nil {
		return damaged(err)
	}
	if n == 1 {
		return nil
	}
	_, err := db.sql.ExecContext(ctx, cosignaturesSchema)
	return damaged(err)
}

// AddCosignature stores a cosignature; the caller has verified it against
// the witness's key and the note against the log's.
func (db *DB) AddCosignature(ctx context.Context, c store.Cosignature) error {
	if c.Size < 1 || len(c.Note) == 0 || c.Key == "" || c.Line == "" {
		return fmt.Errorf("%w: incomplete cosignature", evidence.ErrInvalid)
	}
	_, err := db.sql.ExecContext(ctx, `INSERT INTO cosignatures (size, note, vkey, line, cosigned_at) VALUES (?, ?, ?, ?, ?)`,
		c.Size, c.Note, c.Key, c.Line, c.CosignedAt.UTC().Format(time.RFC3339Nano))
	return damaged(err)
}

// LatestCosignatures returns the cosignatures of the largest cosigned
// checkpoint of at most maxSize entries, one per witness (its newest),
// ordered by witness key; none when no such checkpoint was cosigned.
// Cosignatures of another note of the same size (a fork the witnesses
// would have refused) are not mixed in: the newest row's note decides.
func (db *DB) LatestCosignatures(ctx context.Context, maxSize int64) ([]store.Cosignature, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT id, size, note, vkey, line, cosigned_at FROM cosignatures
		WHERE size = (SELECT max(size) FROM cosignatures WHERE size <= ?) ORDER BY id DESC`, maxSize)
	if err != nil {
		return nil, damaged(err)
	}
	defer rows.Close()
	var all []store.Cosignature
	for rows.Next() {
		var c store.Cosignature
		var at string
		if err := rows.Scan(&c.ID, &c.Size, &c.Note, &c.Key, &c.Line, &at); err != nil {
			return nil, damaged(err)
		}
		if c.CosignedAt, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return nil, fmt.Errorf("%w: cosignature %d: cosigned_at %q", evidence.ErrDamaged, c.ID, at)
		}
		all = append(all, c)
	}
	if err := rows.Err(); err != nil {
		return nil, damaged(err)
	}
	return store.NewestCosignatures(all), nil
}
