package sqlite

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ncruces/go-sqlite3"
	"golang.org/x/mod/sumdb/tlog"

	"sori/internal/evidence"
	"sori/internal/store"
)

// Tx is a write transaction. Everything done through one Tx commits or
// vanishes together; later, custody entries join the same transaction.
type Tx struct {
	tx     *sql.Tx
	stmts  map[string]*sql.Stmt
	recent map[int64]tlog.Hash // tree hashes read or written in this transaction
	search *searchBatch        // what it adds to the search index
	chunk  int                 // the database's listChunk
	conn   *sql.Conn           // its own connection (BeginShredding), else nil
}

// stmt returns a statement prepared once per transaction: batches insert
// thousands of rows, and preparing costs more than executing.
func (t *Tx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := t.stmts[query]; ok {
		return s, nil
	}
	s, err := t.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, damaged(err)
	}
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[query] = s
	return s, nil
}

// Begin starts a write transaction.
func (db *DB) Begin(ctx context.Context) (store.Tx, error) {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, damaged(err)
	}
	return &Tx{tx: tx, chunk: db.listChunk}, nil
}

// BeginShredding starts a write transaction on a connection of its own
// with PRAGMA secure_delete=ON: whatever it deletes is overwritten with
// zeros, freed overflow and b-tree pages included (the default, FAST, zeroes
// only what costs no extra I/O). A withdrawal from the identity vault runs
// in one. The connection returns to FAST when the transaction ends.
func (db *DB) BeginShredding(ctx context.Context) (store.Tx, error) {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, damaged(err)
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA secure_delete=ON`); err != nil {
		conn.Close()
		return nil, damaged(err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.ExecContext(context.Background(), `PRAGMA secure_delete=FAST`)
		conn.Close()
		return nil, damaged(err)
	}
	return &Tx{tx: tx, conn: conn, chunk: db.listChunk}, nil
}

// release gives a BeginShredding connection back, as the others are.
func (t *Tx) release() {
	if t.conn == nil {
		return
	}
	if _, err := t.conn.ExecContext(context.Background(), `PRAGMA secure_delete=FAST`); err != nil {
		// Do not hand back a connection in an unknown state.
		t.conn.Raw(func(any) error { return sqldriver.ErrBadConn })
	}
	t.conn.Close()
	t.conn = nil
}

// Commit makes the transaction durable.
// What the transaction indexed for search is written first, as a segment.
func (t *Tx) Commit() error {
	defer t.release()
	if err := t.flushSearch(context.Background()); err != nil {
		t.tx.Rollback()
		return err
	}
	return damaged(t.tx.Commit())
}

// Rollback abandons the transaction; after Commit it does nothing.
func (t *Tx) Rollback() error {
	defer t.release()
	err := t.tx.Rollback()
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

const timeFormat = time.RFC3339Nano

// InsertItem inserts it unless an item with its ID exists. It reports
// whether the row was inserted.
func (t *Tx) InsertItem(ctx context.Context, it store.Item) (bool, error) {
	ins, err := t.stmt(ctx, `INSERT INTO items (id, sha256, size, pack, off, len, key_gen, created_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`)
	if err != nil {
		return false, err
	}
	res, err := ins.ExecContext(ctx, it.ID.String(), it.SHA256[:], it.Size, it.Pack, it.Off, it.Len, it.KeyGen,
		it.CreatedAt.UTC().Format(timeFormat), it.CreatedBy)
	if err != nil {
		return false, damaged(err)
	}
	n, err := res.RowsAffected()
	if err != nil || n != 1 {
		return false, err
	}
	return true, t.enqueue(ctx, it.ID)
}

// InsertVersion appends a record version. Version numbers are dense and
// start at 1; inserting an existing number fails with evidence.ErrExists.
func (t *Tx) InsertVersion(ctx context.Context, v store.Version) error {
	// Checked here, not only by the primary key and the triggers: the
	// contract every driver keeps, with a clear error.
	if err := t.refuseExisting(ctx, `SELECT 1 FROM item_versions WHERE item_id = ? AND version = ?`, v.Item, v.Version); err != nil {
		return fmt.Errorf("%w: version %d of item %s", err, v.Version, v.Item)
	}
	ins, err := t.stmt(ctx, `INSERT INTO item_versions (item_id, version, record, digest, created_at, actor)
		VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	_, err = ins.ExecContext(ctx, v.Item.String(), v.Version, v.Record, v.Digest[:], v.CreatedAt.UTC().Format(timeFormat), v.Actor)
	if isConstraint(err) {
		return fmt.Errorf("%w: version %d of item %s", evidence.ErrExists, v.Version, v.Item)
	}
	if err != nil || v.Version == 1 {
		return damaged(err) // a first version is written with the item, which is queued behind it
	}
	return t.requeue(ctx, v.Item)
}

// Item reads one item (ErrNotFound if absent).
func (db *DB) Item(ctx context.Context, id evidence.ID) (store.Item, error) {
	s, err := db.stmt(ctx, `SELECT `+itemCols+` FROM items WHERE id = ?`)
	if err != nil {
		return store.Item{}, err
	}
	return scanItem(s.QueryRowContext(ctx, id.String()))
}

// Item reads one item inside the transaction.
func (t *Tx) Item(ctx context.Context, id evidence.ID) (store.Item, error) {
	return scanItem(t.tx.QueryRowContext(ctx, `SELECT `+itemCols+` FROM items WHERE id = ?`, id.String()))
}

// ResolvePrefix finds the one item whose ID starts with prefix (already
// checked by evidence.CheckPrefix). It fails with ErrNotFound when none
// does and ErrInvalid when several do.
func (db *DB) ResolvePrefix(ctx context.Context, prefix string) (evidence.ID, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT id FROM items WHERE id >= ? AND id < ? ORDER BY id LIMIT 2`, prefix, prefix+"g")
	if err != nil {
		return evidence.ID{}, damaged(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return evidence.ID{}, damaged(err)
		}
		ids = append(ids, s)
	}
	if err := rows.Err(); err != nil {
		return evidence.ID{}, damaged(err)
	}
	switch len(ids) {
	case 0:
		return evidence.ID{}, fmt.Errorf("%w: no item %s", evidence.ErrNotFound, prefix)
	case 1:
		return evidence.ParseID(ids[0])
	}
	return evidence.ID{}, fmt.Errorf("%w: %s matches more than one item; give more digits", evidence.ErrInvalid, prefix)
}

const itemCols = `id, sha256, size, pack, off, len, key_gen, created_at, created_by`

type scanner interface{ Scan(...any) error }

// collect scans every row a query returned (err: the query's error).
func collect[T any](rows *sql.Rows, err error, scan func(scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, damaged(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, damaged(rows.Err())
}

func scanItem(row scanner) (store.Item, error) {
	var it store.Item
	var id, created string
	var sum []byte
	err := row.Scan(&id, &sum, &it.Size, &it.Pack, &it.Off, &it.Len, &it.KeyGen, &created, &it.CreatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return it, fmt.Errorf("%w: no such item", evidence.ErrNotFound)
	}
	if err != nil {
		return it, damaged(err)
	}
	if it.ID, err = evidence.ParseID(id); err != nil {
		return it, fmt.Errorf("%w: item row: %v", evidence.ErrDamaged, err)
	}
	if len(sum) != len(it.SHA256) {
		return it, fmt.Errorf("%w: item %s: bad digest length", evidence.ErrDamaged, id)
	}
	copy(it.SHA256[:], sum)
	if it.CreatedAt, err = time.Parse(timeFormat, created); err != nil {
		return it, fmt.Errorf("%w: item %s: bad time", evidence.ErrDamaged, id)
	}
	return it, nil
}

// Versions lists an item's record versions, oldest first.
func (db *DB) Versions(ctx context.Context, id evidence.ID) ([]store.Version, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+versionCols+` FROM item_versions WHERE item_id = ? ORDER BY version`, id.String())
	if err != nil {
		return nil, damaged(err)
	}
	defer rows.Close()
	var vs []store.Version
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, damaged(rows.Err())
}

// LatestVersion returns an item's newest record version inside tx.
func (t *Tx) LatestVersion(ctx context.Context, id evidence.ID) (store.Version, error) {
	v, err := scanVersion(t.tx.QueryRowContext(ctx, `SELECT `+versionCols+` FROM item_versions WHERE item_id = ? ORDER BY version DESC LIMIT 1`, id.String()))
	if errors.Is(err, sql.ErrNoRows) {
		return v, fmt.Errorf("%w: item %s has no record", evidence.ErrNotFound, id)
	}
	return v, err
}

// LatestVersion returns an item's newest record version.
func (db *DB) LatestVersion(ctx context.Context, id evidence.ID) (store.Version, error) {
	q, err := db.stmt(ctx, `SELECT `+versionCols+` FROM item_versions WHERE item_id = ? ORDER BY version DESC LIMIT 1`)
	if err != nil {
		return store.Version{}, err
	}
	v, err := scanVersion(q.QueryRowContext(ctx, id.String()))
	if errors.Is(err, sql.ErrNoRows) {
		return v, fmt.Errorf("%w: item %s has no record", evidence.ErrNotFound, id)
	}
	return v, err
}

const versionCols = `item_id, version, record, digest, created_at, actor`

func scanVersion(row scanner) (store.Version, error) {
	var v store.Version
	var id, created string
	var digest []byte
	err := row.Scan(&id, &v.Version, &v.Record, &digest, &created, &v.Actor)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return v, err
		}
		return v, damaged(err)
	}
	if v.Item, err = evidence.ParseID(id); err != nil {
		return v, fmt.Errorf("%w: version row: %v", evidence.ErrDamaged, err)
	}
	if len(digest) != len(v.Digest) {
		return v, fmt.Errorf("%w: item %s version %d: bad digest length", evidence.ErrDamaged, id, v.Version)
	}
	copy(v.Digest[:], digest)
	if v.CreatedAt, err = time.Parse(timeFormat, created); err != nil {
		return v, fmt.Errorf("%w: item %s version %d: bad time", evidence.ErrDamaged, id, v.Version)
	}
	return v, nil
}

// EachLatest calls fn for every item with its newest record version, in
// order of intake (then ID). It stops at fn's first error.
// eachLatestQuery reads items in intake order through items_listed;
// eachLatestAfterQuery starts after a position in it.
const (
	eachLatestSelect = `SELECT i.id, i.sha256, i.size, i.pack, i.off, i.len, i.key_gen, i.created_at, i.created_by,
		v.item_id, v.version, v.record, v.digest, v.created_at, v.actor
	FROM items i JOIN item_versions v ON v.item_id = i.id
	WHERE v.version = (SELECT MAX(version) FROM item_versions WHERE item_id = i.id)`
	eachLatestQuery      = eachLatestSelect + ` ORDER BY i.created_at, i.id`
	eachLatestAfterQuery = eachLatestSelect + ` AND (i.created_at, i.id) > (?, ?) ORDER BY i.created_at, i.id`
)

func (db *DB) EachLatest(ctx context.Context, fn func(store.Item, store.Version) error) error {
	return db.EachLatestAfter(ctx, evidence.ID{}, fn)
}

// EachLatestAfter is EachLatest from the item after item after (the zero
// ID: from the first); the index items_listed takes the query straight
// to it.
func (db *DB) EachLatestAfter(ctx context.Context, after evidence.ID, fn func(store.Item, store.Version) error) error {
	q, args := eachLatestQuery, []any(nil)
	if !after.IsZero() {
		var created string
		err := db.sql.QueryRowContext(ctx, `SELECT created_at FROM items WHERE id = ?`, after.String()).Scan(&created)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: no item %s", evidence.ErrNotFound, after)
		}
		if err != nil {
			return damaged(err)
		}
		q, args = eachLatestAfterQuery, []any{created, after.String()}
	}
	rows, err := db.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return damaged(err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			it                    store.Item
			v                     store.Version
			id, created, vid, vct string
			sum, digest           []byte
		)
		if err := rows.Scan(&id, &sum, &it.Size, &it.Pack, &it.Off, &it.Len, &it.KeyGen, &created, &it.CreatedBy,
			&vid, &v.Version, &v.Record, &digest, &vct, &v.Actor); err != nil {
			return damaged(err)
		}
		if it.ID, err = evidence.ParseID(id); err != nil || len(sum) != 32 || len(digest) != 32 {
			return fmt.Errorf("%w: item row %q", evidence.ErrDamaged, id)
		}
		copy(it.SHA256[:], sum)
		copy(v.Digest[:], digest)
		v.Item = it.ID
		it.CreatedAt, _ = time.Parse(timeFormat, created)
		v.CreatedAt, _ = time.Parse(timeFormat, vct)
		if err := fn(it, v); err != nil {
			return err
		}
	}
	return damaged(rows.Err())
}

func isConstraint(err error) bool {
	var se *sqlite3.Error
	return errors.As(err, &se) && se.Code() == sqlite3.CONSTRAINT
}

// SizeExists reports whether any item has exactly size plaintext bytes (a
// cheap test before hashing a file that might be a duplicate).
func (db *DB) SizeExists(ctx context.Context, size int64) (bool, error) {
	var one int
	s, err := db.stmt(ctx, `SELECT 1 FROM items WHERE size = ? LIMIT 1`)
	if err != nil {
		return false, err
	}
	err = s.QueryRowContext(ctx, size).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, damaged(err)
}

// EachItem calls fn for every item row, in ID order.
func (db *DB) EachItem(ctx context.Context, fn func(store.Item) error) error {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+itemCols+` FROM items ORDER BY id`)
	if err != nil {
		return damaged(err)
	}
	defer rows.Close()
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return err
		}
		if err := fn(it); err != nil {
			return err
		}
	}
	return damaged(rows.Err())
}

// EachVersion calls fn for every record version, by item then version.
func (db *DB) EachVersion(ctx context.Context, fn func(store.Version) error) error {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+versionCols+` FROM item_versions ORDER BY item_id, version`)
	if err != nil {
		return damaged(err)
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return damaged(rows.Err())
}

// checkedTables are the tables whose storage IntegrityCheck examines: every
// table, the search index's included.
var checkedTables = append([]string{"meta", "users", "items", "item_versions", "custody", "tlog_hashes", "checkpoints", "records", "vault"},
	store.SearchTables...)

// IntegrityCheck runs SQLite's own consistency check of the database's
// tables (quick: PRAGMA quick_check) and returns its complaints (none when
// sound).
func (db *DB) IntegrityCheck(ctx context.Context, quick bool) ([]string, error) {
	pragma := "integrity_check"
	if quick {
		pragma = "quick_check"
	}
	// The check reads every page once: on its own connection with a small
	// page cache it reuses the same few megabytes instead of filling 64 MiB
	// of fresh memory (a third of its time, measured).
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, damaged(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA cache_size=-4096"); err != nil {
		return nil, damaged(err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), db.cachePragma)
	var out []string
	// Every table the schema lists is checked, not only those this code
	// knows of: a table added later (or by a newer sori) is examined too.
	tables := slices.Clone(checkedTables)
	if names, err := schemaTables(ctx, conn); err != nil {
		out = append(out, "schema: "+err.Error())
	} else {
		for _, n := range names {
			if !slices.Contains(tables, n) {
				tables = append(tables, n)
			}
		}
	}
	for _, table := range tables {
		problems, err := checkTable(ctx, conn, pragma, table)
		if err != nil {
			if !errors.Is(err, evidence.ErrDamaged) {
				return nil, err
			}
			// A page too damaged to check is a finding about this table;
			// the others are still checked.
			problems = []string{err.Error()}
		}
		for _, p := range problems {
			out = append(out, "table "+table+": "+p)
		}
	}
	return out, nil
}

// schemaTables lists the database's own tables.
func schemaTables(ctx context.Context, conn *sql.Conn) ([]string, error) {
	rows, err := conn.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		return nil, damaged(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, damaged(err)
		}
		out = append(out, n)
	}
	return out, damaged(rows.Err())
}

func checkTable(ctx context.Context, conn *sql.Conn, pragma, table string) ([]string, error) {
	// The name may come from the database itself: quoted as an identifier.
	rows, err := conn.QueryContext(ctx, `PRAGMA `+pragma+`("`+strings.ReplaceAll(table, `"`, `""`)+`")`)
	if err != nil {
		return nil, damaged(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, damaged(err)
		}
		if s != "ok" {
			out = append(out, s)
		}
	}
	return out, damaged(rows.Err())
}

// EachStoredHash calls fn for every stored tree hash in index order.
func (db *DB) EachStoredHash(ctx context.Context, fn func(idx int64, h []byte) error) error {
	rows, err := db.sql.QueryContext(ctx, `SELECT idx, hash FROM tlog_hashes ORDER BY idx`)
	if err != nil {
		return damaged(err)
	}
	defer rows.Close()
	for rows.Next() {
		var idx int64
		var h []byte
		if err := rows.Scan(&idx, &h); err != nil {
			return damaged(err)
		}
		if err := fn(idx, h); err != nil {
			return err
		}
	}
	return damaged(rows.Err())
}

// EachCheckpoint calls fn for every stored checkpoint, oldest first.
func (db *DB) EachCheckpoint(ctx context.Context, fn func(size int64, note []byte) error) error {
	rows, err := db.sql.QueryContext(ctx, `SELECT size, note FROM checkpoints ORDER BY size`)
	if err != nil {
		return damaged(err)
	}
	defer rows.Close()
	for rows.Next() {
		var size int64
		var note []byte
		if err := rows.Scan(&size, &note); err != nil {
			return damaged(err)
		}
		if err := fn(size, note); err != nil {
			return err
		}
	}
	return damaged(rows.Err())
}

// refuseExisting fails with evidence.ErrExists when the row q selects (by
// id and version) exists as this transaction sees it: evidence is never
// replaced, and every driver checks that itself, not only its database's
// keys and triggers.
func (t *Tx) refuseExisting(ctx context.Context, q string, id evidence.ID, version int) error {
	if version < 1 {
		return fmt.Errorf("%w: version %d (versions start at 1)", evidence.ErrInvalid, version)
	}
	sel, err := t.stmt(ctx, q) // once a transaction: intake runs it for every item
	if err != nil {
		return err
	}
	var one int
	err = sel.QueryRowContext(ctx, id.String(), version).Scan(&one)
	switch {
	case err == nil:
		return evidence.ErrExists
	case errors.Is(err, sql.ErrNoRows):
		return nil
	}
	return damaged(err)
}
