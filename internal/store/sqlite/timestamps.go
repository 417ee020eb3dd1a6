package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"sori/internal/evidence"
	"sori/internal/store"
)

// The RFC 3161 time-stamp tokens of checkpoints (docs/format.md
// "Checkpoint time stamps"): per token, the checkpoint it stamps (its tree
// size and signed note), the TSA's URL, the genTime the token states, and
// the token's DER. An archive made before the table existed gains it,
// empty, on open; the schema version stays.
const timestampsSchema = `
CREATE TABLE IF NOT EXISTS timestamps (
	id       INTEGER PRIMARY KEY,
	size     INTEGER NOT NULL,  -- tree size of the checkpoint stamped
	note     BLOB NOT NULL,     -- that checkpoint's signed note
	tsa      TEXT NOT NULL,     -- the TSA's URL
	gen_time TEXT NOT NULL,     -- the token's genTime, RFC 3339 UTC
	token    BLOB NOT NULL      -- the TimeStampToken, DER
) STRICT;
CREATE INDEX IF NOT EXISTS timestamps_size ON timestamps (size);
`

// ensureTimestamps creates the table in a database made before it.
func (db *DB) ensureTimestamps(ctx context.Context) error {
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'timestamps'`).Scan(&n); err != nil {
		return damaged(err)
	}
	if n == 1 {
		return nil
	}
	_, err := db.sql.ExecContext(ctx, timestampsSchema)
	return damaged(err)
}

// AddTimestamp stores a token; the caller has checked that it stamps the
// note. It returns the row's ID.
func (db *DB) AddTimestamp(ctx context.Context, ts store.Timestamp) (int64, error) {
	if ts.Size < 1 || len(ts.Note) == 0 || len(ts.Token) == 0 || ts.TSA == "" {
		return 0, fmt.Errorf("%w: incomplete time stamp", evidence.ErrInvalid)
	}
	r, err := db.sql.ExecContext(ctx, `INSERT INTO timestamps (size, note, tsa, gen_time, token) VALUES (?, ?, ?, ?, ?)`,
		ts.Size, ts.Note, ts.TSA, ts.GenTime.UTC().Format(time.RFC3339Nano), ts.Token)
	if err != nil {
		return 0, damaged(err)
	}
	id, err := r.LastInsertId()
	return id, damaged(err)
}

// LatestTimestamp returns the token of the largest checkpoint of at most
// maxSize entries (the newest such token), or evidence.ErrNotFound.
func (db *DB) LatestTimestamp(ctx context.Context, maxSize int64) (store.Timestamp, error) {
	var ts store.Timestamp
	var gen string
	err := db.sql.QueryRowContext(ctx, `SELECT id, size, note, tsa, gen_time, token FROM timestamps WHERE size <= ? ORDER BY size DESC, id DESC LIMIT 1`, maxSize).
		Scan(&ts.ID, &ts.Size, &ts.Note, &ts.TSA, &gen, &ts.Token)
	if errors.Is(err, sql.ErrNoRows) {
		return ts, fmt.Errorf("%w: no time-stamped checkpoint", evidence.ErrNotFound)
	}
	if err != nil {
		return ts, damaged(err)
	}
	if ts.GenTime, err = time.Parse(time.RFC3339Nano, gen); err != nil {
		return ts, fmt.Errorf("%w: time stamp %d: gen_time %q", evidence.ErrDamaged, ts.ID, gen)
	}
	return ts, nil
}
