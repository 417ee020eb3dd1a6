package sqlite

import (
	"context"
	"fmt"
	"time"

	"sori/internal/evidence"
	"sori/internal/store"
)

// The witnesses that cosign the archive's checkpoints (C2SP tlog-witness;
// docs/format.md "Log witnesses"): each one's verifier key and the URL of
// its add-checkpoint endpoint's base. An archive made before the table
// existed gains it, empty, on open; the schema version stays.
const logWitnessesSchema = `
CREATE TABLE IF NOT EXISTS log_witnesses (
	vkey     TEXT PRIMARY KEY,  -- the witness's verifier key (signed-note form)
	url      TEXT NOT NULL,     -- base URL; requests go to URL/add-checkpoint
	added_at TEXT NOT NULL
) STRICT;
`

func (db *DB) ensureLogWitnesses(ctx context.Context) error {
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'log_witnesses'`).Scan(&n); err != nil {
		return damaged(err)
	}
	if n == 1 {
		return nil
	}
	_, err := db.sql.ExecContext(ctx, logWitnessesSchema)
	return damaged(err)
}

// AddLogWitness stores a witness; a key already stored is evidence.ErrExists.
func (db *DB) AddLogWitness(ctx context.Context, w store.LogWitness) error {
	_, err := db.sql.ExecContext(ctx, `INSERT INTO log_witnesses (vkey, url, added_at) VALUES (?, ?, ?)`, w.Key, w.URL, w.AddedAt.UTC().Format(time.RFC3339Nano))
	if isConstraint(err) {
		return fmt.Errorf("%w: witness key %s is already configured", evidence.ErrExists, w.Key)
	}
	return damaged(err)
}

// LogWitnesses lists the witnesses, oldest first.
func (db *DB) LogWitnesses(ctx context.Context) ([]store.LogWitness, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT vkey, url, added_at FROM log_witnesses ORDER BY added_at, vkey`)
	if err != nil {
		return nil, damaged(err)
	}
	defer rows.Close()
	var out []store.LogWitness
	for rows.Next() {
		var w store.LogWitness
		var at string
		if err := rows.Scan(&w.Key, &w.URL, &at); err != nil {
			return nil, damaged(err)
		}
		if w.AddedAt, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return nil, fmt.Errorf("%w: log witness %s: added_at %q", evidence.ErrDamaged, w.Key, at)
		}
		out = append(out, w)
	}
	return out, damaged(rows.Err())
}
