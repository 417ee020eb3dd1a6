package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"sori/internal/evidence"
	"sori/internal/store"
)

// Purged versions (docs/format.md "Purge"). A record or item version that
// held what must not be kept (a real name typed into a description) can be
// purged: its body is overwritten with nothing (under secure_delete, in a
// transaction whose WAL is then emptied) and a row here says so. The row's
// digest stays: the custody leaf that commits to it stays, and so does the
// chain of the versions after it. The immutability triggers allow exactly
// that one change, and only for a version listed here.
const purgeSchema = `
CREATE TABLE IF NOT EXISTS purged (
	kind       TEXT NOT NULL CHECK (kind IN ('item', 'record')),
	id         TEXT NOT NULL,
	version    INTEGER NOT NULL,
	reason     TEXT NOT NULL,
	created_at TEXT NOT NULL,
	actor      TEXT NOT NULL REFERENCES users(id),
	PRIMARY KEY (kind, id, version)
) STRICT;
CREATE TRIGGER IF NOT EXISTS purged_no_update BEFORE UPDATE ON purged
BEGIN SELECT RAISE(ABORT, 'purges are immutable'); END;
CREATE TRIGGER IF NOT EXISTS purged_no_delete BEFORE DELETE ON purged
BEGIN SELECT RAISE(ABORT, 'purges are immutable'); END;
`

// purgeTriggers replace the plain immutability triggers of the version
// tables: an update is refused unless it empties the body of a purged
// version and changes nothing else.
const purgeTriggers = `
DROP TRIGGER IF EXISTS versions_no_update;
CREATE TRIGGER versions_no_update BEFORE UPDATE ON item_versions
WHEN NOT (NEW.record = x'' AND NEW.item_id = OLD.item_id AND NEW.version = OLD.version AND NEW.digest = OLD.digest
	AND NEW.created_at = OLD.created_at AND NEW.actor = OLD.actor
	AND EXISTS (SELECT 1 FROM purged WHERE kind = 'item' AND id = OLD.item_id AND version = OLD.version))
BEGIN SELECT RAISE(ABORT, 'record versions are immutable'); END;
DROP TRIGGER IF EXISTS records_no_update;
CREATE TRIGGER records_no_update BEFORE UPDATE ON records
WHEN NOT (NEW.record = x'' AND NEW.id = OLD.id AND NEW.version = OLD.version AND NEW.kind = OLD.kind AND NEW.digest = OLD.digest
	AND NEW.created_at = OLD.created_at AND NEW.actor = OLD.actor
	AND EXISTS (SELECT 1 FROM purged WHERE kind = 'record' AND id = OLD.id AND version = OLD.version))
BEGIN SELECT RAISE(ABORT, 'records are immutable'); END;
`

// ensurePurge adds the purged table and its triggers to a database made
// before them (and to a new one).
func (db *DB) ensurePurge(ctx context.Context) error {
	var sql string
	err := db.sql.QueryRowContext(ctx, `SELECT coalesce((SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = 'records_no_update'), '')`).Scan(&sql)
	if err != nil {
		return damaged(err)
	}
	if strings.Contains(sql, "purged") {
		return nil
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return damaged(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, purgeSchema+purgeTriggers); err != nil {
		return damaged(err)
	}
	return damaged(tx.Commit())
}

// PurgeVersion empties the body of version of item or record id, listing
// it as purged. Call it in a shredding transaction (BeginShredding).
func (t *Tx) PurgeVersion(ctx context.Context, p store.Purge) error {
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO purged (kind, id, version, reason, created_at, actor) VALUES (?, ?, ?, ?, ?, ?)`,
		p.Kind, p.ID.String(), p.Version, p.Reason, p.CreatedAt.UTC().Format(timeFormat), p.Actor); err != nil {
		if isConstraint(err) {
			return fmt.Errorf("%w: %s %s version %d is purged already", evidence.ErrInvalid, p.Kind, p.ID, p.Version)
		}
		return damaged(err)
	}
	q := `UPDATE records SET record = x'' WHERE id = ? AND version = ?`
	if p.Kind == "item" {
		q = `UPDATE item_versions SET record = x'' WHERE item_id = ? AND version = ?`
	}
	res, err := t.tx.ExecContext(ctx, q, p.ID.String(), p.Version)
	if err != nil {
		return damaged(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("%w: no %s %s version %d", evidence.ErrNotFound, p.Kind, p.ID, p.Version)
	}
	return nil
}

// Purged returns every purged version.
func (db *DB) Purged(ctx context.Context) ([]store.Purge, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT kind, id, version, reason, created_at, actor FROM purged ORDER BY created_at, id, version`)
	if err != nil {
		return nil, damaged(err)
	}
	defer rows.Close()
	var out []store.Purge
	for rows.Next() {
		var p store.Purge
		var id, at string
		if err := rows.Scan(&p.Kind, &id, &p.Version, &p.Reason, &at, &p.Actor); err != nil {
			return nil, damaged(err)
		}
		if p.ID, err = evidence.ParseID(id); err != nil {
			return nil, fmt.Errorf("%w: purged row names %q", evidence.ErrDamaged, id)
		}
		p.CreatedAt, _ = time.Parse(timeFormat, at)
		out = append(out, p)
	}
	return out, damaged(rows.Err())
}
