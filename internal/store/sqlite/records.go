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

// InsertRecord appends a record version; an existing (id, version) gives
// evidence.ErrExists.
func (t *Tx) InsertRecord(ctx context.Context, r store.RecordRow) error {
	if err := t.refuseExisting(ctx, `SELECT 1 FROM records WHERE id = ? AND version = ?`, r.ID, r.Version); err != nil {
		return fmt.Errorf("%w: record %s version %d", err, r.ID, r.Version)
	}
	ins, err := t.stmt(ctx, `INSERT INTO records (id, version, kind, record, digest, created_at, actor) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	_, err = ins.ExecContext(ctx, r.ID.String(), r.Version, r.Kind, r.Record, r.Digest[:], r.CreatedAt.UTC().Format(timeFormat), r.Actor)
	if isConstraint(err) {
		return fmt.Errorf("%w: record %s version %d", evidence.ErrExists, r.ID, r.Version)
	}
	return damaged(err)
}

const recordCols = `id, version, kind, record, digest, created_at, actor`

func scanRecord(row scanner) (store.RecordRow, error) {
	var r store.RecordRow
	var id, created string
	var digest []byte
	if err := row.Scan(&id, &r.Version, &r.Kind, &r.Record, &digest, &created, &r.Actor); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return r, fmt.Errorf("%w: no such record", evidence.ErrNotFound)
		}
		return r, damaged(err)
	}
	var err error
	if r.ID, err = evidence.ParseID(id); err != nil || len(digest) != len(r.Digest) {
		return r, fmt.Errorf("%w: record row %q", evidence.ErrDamaged, id)
	}
	copy(r.Digest[:], digest)
	if r.CreatedAt, err = time.Parse(timeFormat, created); err != nil {
		return r, fmt.Errorf("%w: record %s: bad time", evidence.ErrDamaged, id)
	}
	return r, nil
}

// LatestRecord returns a record's newest version inside tx.
func (t *Tx) LatestRecord(ctx context.Context, id evidence.ID) (store.RecordRow, error) {
	return scanRecord(t.tx.QueryRowContext(ctx, `SELECT `+recordCols+` FROM records WHERE id = ? ORDER BY version DESC LIMIT 1`, id.String()))
}

// RecordKind returns the kind of record id inside tx (ErrNotFound if none).
func (t *Tx) RecordKind(ctx context.Context, id evidence.ID) (string, error) {
	var k string
	err := t.tx.QueryRowContext(ctx, `SELECT kind FROM records WHERE id = ? LIMIT 1`, id.String()).Scan(&k)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("%w: no record %s", evidence.ErrNotFound, id)
	}
	return k, damaged(err)
}

// RecordVersions lists a record's versions, oldest first.
func (db *DB) RecordVersions(ctx context.Context, id evidence.ID) ([]store.RecordRow, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+recordCols+` FROM records WHERE id = ? ORDER BY version`, id.String())
	return collect(rows, err, scanRecord)
}

// EachRecord calls fn for every record version (kind "" for all kinds),
// by ID then version; latestOnly skips superseded versions.
func (db *DB) EachRecord(ctx context.Context, kind string, latestOnly bool, fn func(store.RecordRow) error) error {
	return eachRecord(ctx, cachedQuerier{db}, kind, latestOnly, fn)
}

// EachRecord is DB.EachRecord inside tx: what the transaction sees,
// its own writes included.
func (t *Tx) EachRecord(ctx context.Context, kind string, latestOnly bool, fn func(store.RecordRow) error) error {
	return eachRecord(ctx, t.tx, kind, latestOnly, fn)
}

// EachCurrentRecordContaining calls fn for the latest version of every
// record of kind whose canonical bytes contain needle (SQLite's instr, so
// that only those rows are read out): a pre-filter, which the caller
// confirms by decoding.
func (db *DB) EachCurrentRecordContaining(ctx context.Context, kind string, needle []byte, fn func(store.RecordRow) error) error {
	return queryRecords(ctx, cachedQuerier{db}, `SELECT `+recordCols+` FROM records r WHERE kind = ? AND instr(record, ?) > 0
		AND version = (SELECT MAX(version) FROM records WHERE id = r.id) ORDER BY created_at, id, version`, []any{kind, needle}, fn)
}

// EachRecordAfter calls fn for the latest version of every record of kind
// ("" for all) after record after in EachRecord's order (the zero ID: from
// the first).
func (db *DB) EachRecordAfter(ctx context.Context, kind string, after evidence.ID, version int, fn func(store.RecordRow) error) error {
	if after.IsZero() {
		return eachRecord(ctx, db.sql, kind, true, fn)
	}
	var created string
	err := db.sql.QueryRowContext(ctx, `SELECT created_at FROM records WHERE id = ?1 AND (?2 = 0 OR version = ?2) ORDER BY version DESC LIMIT 1`,
		after.String(), version).Scan(&created)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: no record %s (version %d)", evidence.ErrNotFound, after, version)
	}
	if err != nil {
		return damaged(err)
	}
	q := `SELECT ` + recordCols + ` FROM records r WHERE (created_at, id) > (?, ?)`
	args := []any{created, after.String()}
	if kind != "" {
		q, args = q+` AND kind = ?`, append(args, kind)
	}
	q += ` AND version = (SELECT MAX(version) FROM records WHERE id = r.id) ORDER BY created_at, id, version`
	return queryRecords(ctx, db.sql, q, args, fn)
}

func eachRecord(ctx context.Context, db querier, kind string, latestOnly bool, fn func(store.RecordRow) error) error {
	// "kind = ?" alone, when a kind is given, lets SQLite read that kind's
	// rows through records_kind instead of every record.
	q := `SELECT ` + recordCols + ` FROM records r WHERE kind = ?`
	args := []any{kind}
	if kind == "" {
		q, args = `SELECT `+recordCols+` FROM records r WHERE 1`, nil
	}
	if latestOnly {
		q += ` AND version = (SELECT MAX(version) FROM records WHERE id = r.id)`
	}
	q += ` ORDER BY created_at, id, version`
	return queryRecords(ctx, db, q, args, fn)
}

// queryRecords calls fn for each record row q selects (recordCols).
func queryRecords(ctx context.Context, db querier, q string, args []any, fn func(store.RecordRow) error) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return damaged(err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return damaged(rows.Err())
}

// ResolveAny finds the one item or record whose ID starts with prefix. It
// reports whether it is an item.
func (db *DB) ResolveAny(ctx context.Context, prefix string) (evidence.ID, bool, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT id, 1 FROM items WHERE id >= ?1 AND id < ?2
		UNION SELECT DISTINCT id, 0 FROM records WHERE id >= ?1 AND id < ?2 LIMIT 2`, prefix, prefix+"g")
	if err != nil {
		return evidence.ID{}, false, damaged(err)
	}
	defer rows.Close()
	type hit struct {
		id   string
		item bool
	}
	var hits []hit
	for rows.Next() {
		var h hit
		if err := rows.Scan(&h.id, &h.item); err != nil {
			return evidence.ID{}, false, damaged(err)
		}
		hits = append(hits, h)
	}
	if err := rows.Err(); err != nil {
		return evidence.ID{}, false, damaged(err)
	}
	switch len(hits) {
	case 0:
		return evidence.ID{}, false, fmt.Errorf("%w: nothing has ID %s", evidence.ErrNotFound, prefix)
	case 1:
		id, err := evidence.ParseID(hits[0].id)
		return id, hits[0].item, err
	}
	return evidence.ID{}, false, fmt.Errorf("%w: %s matches more than one ID; give more digits", evidence.ErrInvalid, prefix)
}
