package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"sori/internal/evidence"
	"sori/internal/store"
)

// InsertRecord appends a record version; an existing one gives ErrExists.
func (t *Tx) InsertRecord(ctx context.Context, r store.RecordRow) error {
	if err := t.refuseExisting(ctx, `SELECT EXISTS (SELECT 1 FROM records WHERE id = $1 AND version = $2)`, r.ID, r.Version); err != nil {
		return fmt.Errorf("%w: record %s version %d", err, r.ID, r.Version)
	}
	id := r.ID.String()
	_, err := t.tx.Exec(ctx, `INSERT INTO records (id, version, kind, record, digest, created_at, actor) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		id, r.Version, r.Kind, t.db.c.seal(ad("records.record", id, r.Version), r.Record),
		t.db.c.seal(ad("records.digest", id, r.Version), r.Digest[:]), nanos(r.CreatedAt), r.Actor)
	if isUnique(err) {
		return fmt.Errorf("%w: record %s version %d", evidence.ErrExists, r.ID, r.Version)
	}
	return dberr(err)
}

const recordCols = `id, version, kind, record, digest, created_at, actor`

func (db *DB) scanRecord(row scanner) (store.RecordRow, error) {
	var r store.RecordRow
	var id string
	var created int64
	var rec, digest []byte
	if err := row.Scan(&id, &r.Version, &r.Kind, &rec, &digest, &created, &r.Actor); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return r, fmt.Errorf("%w: no such record", evidence.ErrNotFound)
		}
		return r, dberr(err)
	}
	var err error
	if r.ID, err = evidence.ParseID(id); err != nil {
		return r, fmt.Errorf("%w: record row %q", evidence.ErrDamaged, id)
	}
	if rec == nil {
		r.Record = []byte{} // purged
	} else if r.Record, err = db.c.open(ad("records.record", id, r.Version), rec); err != nil {
		return r, err
	}
	d, err := db.c.open(ad("records.digest", id, r.Version), digest)
	if err != nil {
		return r, err
	}
	if len(d) != len(r.Digest) {
		return r, fmt.Errorf("%w: record %s: bad digest length", evidence.ErrDamaged, id)
	}
	copy(r.Digest[:], d)
	r.CreatedAt = fromNanos(created)
	return r, nil
}

// LatestRecord returns a record's newest version inside the transaction.
func (t *Tx) LatestRecord(ctx context.Context, id evidence.ID) (store.RecordRow, error) {
	return t.db.scanRecord(t.tx.QueryRow(ctx, `SELECT `+recordCols+` FROM records WHERE id = $1 ORDER BY version DESC LIMIT 1`, id.String()))
}

// RecordKind returns the kind of record id inside the transaction.
func (t *Tx) RecordKind(ctx context.Context, id evidence.ID) (string, error) {
	var k string
	err := t.tx.QueryRow(ctx, `SELECT kind FROM records WHERE id = $1 LIMIT 1`, id.String()).Scan(&k)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("%w: no record %s", evidence.ErrNotFound, id)
	}
	return k, dberr(err)
}

// RecordVersions lists a record's versions, oldest first.
func (db *DB) RecordVersions(ctx context.Context, id evidence.ID) ([]store.RecordRow, error) {
	var out []store.RecordRow
	err := db.queryRecords(ctx, db.pool, `SELECT `+recordCols+` FROM records WHERE id = $1 ORDER BY version`, []any{id.String()},
		func(r store.RecordRow) error { out = append(out, r); return nil })
	return out, err
}

// EachRecord calls fn for every record version (kind "" for all), by
// time, ID and version; latestOnly skips superseded versions.
func (db *DB) EachRecord(ctx context.Context, kind string, latestOnly bool, fn func(store.RecordRow) error) error {
	return db.eachRecord(ctx, db.pool, kind, latestOnly, fn)
}

// EachRecord is DB.EachRecord as the transaction sees it.
func (t *Tx) EachRecord(ctx context.Context, kind string, latestOnly bool, fn func(store.RecordRow) error) error {
	return t.db.eachRecord(ctx, t.tx, kind, latestOnly, fn)
}

// EachRecordAfter calls fn for the latest version of every record of kind
// ("" for all) after record after in EachRecord's order (the zero ID: from
// the first); records_time takes the query to it.
func (db *DB) EachRecordAfter(ctx context.Context, kind string, after evidence.ID, version int, fn func(store.RecordRow) error) error {
	if after.IsZero() {
		return db.eachRecord(ctx, db.pool, kind, true, fn)
	}
	var created int64
	err := db.pool.QueryRow(ctx, `SELECT created_at FROM records WHERE id = $1 AND ($2 = 0 OR version = $2) ORDER BY version DESC LIMIT 1`,
		after.String(), version).Scan(&created)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: no record %s (version %d)", evidence.ErrNotFound, after, version)
	}
	if err != nil {
		return dberr(err)
	}
	sql := `SELECT ` + recordCols + ` FROM records r WHERE (created_at, id) > ($1, $2)`
	args := []any{created, after.String()}
	if kind != "" {
		sql, args = sql+` AND kind = $3`, append(args, kind)
	}
	sql += ` AND version = (SELECT MAX(version) FROM records WHERE id = r.id) ORDER BY created_at, id, version`
	return db.queryRecords(ctx, db.pool, sql, args, fn)
}

func (db *DB) eachRecord(ctx context.Context, q querier, kind string, latestOnly bool, fn func(store.RecordRow) error) error {
	var where []string
	var args []any
	if kind != "" {
		where, args = append(where, `kind = $1`), append(args, kind)
	}
	if latestOnly {
		where = append(where, `version = (SELECT MAX(version) FROM records WHERE id = r.id)`)
	}
	sql := `SELECT ` + recordCols + ` FROM records r`
	if len(where) > 0 {
		sql += ` WHERE ` + strings.Join(where, ` AND `)
	}
	return db.queryRecords(ctx, q, sql+` ORDER BY created_at, id, version`, args, fn)
}

// EachCurrentRecordContaining calls fn for the latest version of every
// record of kind whose bytes contain needle. The bodies are ciphertext on
// the server, so the filter runs here, after decryption.
func (db *DB) EachCurrentRecordContaining(ctx context.Context, kind string, needle []byte, fn func(store.RecordRow) error) error {
	return db.eachRecord(ctx, db.pool, kind, true, func(r store.RecordRow) error {
		if !bytes.Contains(r.Record, needle) {
			return nil
		}
		return fn(r)
	})
}

func (db *DB) queryRecords(ctx context.Context, q querier, sql string, args []any, fn func(store.RecordRow) error) error {
	return db.each(ctx, q, sql, args, func(rows pgx.Rows) error {
		r, err := db.scanRecord(rows)
		if err != nil {
			return err
		}
		return fn(r)
	})
}

// ResolveAny finds the one item or record whose ID starts with prefix.
func (db *DB) ResolveAny(ctx context.Context, prefix string) (evidence.ID, bool, error) {
	type hit struct {
		id   string
		item bool
	}
	var hits []hit
	err := db.each(ctx, db.pool, `SELECT id, true FROM items WHERE id >= $1 AND id < $2
		UNION SELECT DISTINCT id, false FROM records WHERE id >= $1 AND id < $2 LIMIT 2`, []any{prefix, prefix + "g"},
		func(r pgx.Rows) error {
			var h hit
			if err := r.Scan(&h.id, &h.item); err != nil {
				return dberr(err)
			}
			hits = append(hits, h)
			return nil
		})
	if err != nil {
		return evidence.ID{}, false, err
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

// Users.

type userBody struct {
	Name      string `json:"name"`
	Recipient string `json:"recipient"`
	SignPub   []byte `json:"sign_pub"`
}

// InsertUser adds a user; a taken name gives evidence.ErrExists.
func (t *Tx) InsertUser(ctx context.Context, u store.User) error {
	mac := t.db.c.lookup("users.name", []byte(u.Name))
	var taken bool
	if err := t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE name_mac = $1 OR id = $2)`, mac, u.ID).Scan(&taken); err != nil {
		return dberr(err)
	}
	if taken {
		return fmt.Errorf("%w: user %q", evidence.ErrExists, u.Name)
	}
	body, err := sealJSON(t.db.c, ad("users.body", u.ID), userBody{u.Name, u.Recipient, u.SignPub})
	if err != nil {
		return err
	}
	var by *string
	if u.CreatedBy != "" {
		by = &u.CreatedBy
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO users (id, name_mac, body, role, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)`,
		u.ID, mac, body, t.db.c.seal(ad("users.role", u.ID), []byte(u.Role)), nanos(u.CreatedAt), by)
	if isUnique(err) {
		return fmt.Errorf("%w: user %q", evidence.ErrExists, u.Name)
	}
	return dberr(err)
}

const userCols = `id, body, role, created_at, created_by`

func (db *DB) scanUser(row scanner) (store.User, error) {
	var u store.User
	var body, role []byte
	var created int64
	var by *string
	err := row.Scan(&u.ID, &body, &role, &created, &by)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, fmt.Errorf("%w: no such user", evidence.ErrNotFound)
	}
	if err != nil {
		return u, dberr(err)
	}
	var b userBody
	if err := openJSON(db.c, ad("users.body", u.ID), body, &b); err != nil {
		return u, err
	}
	r, err := db.c.open(ad("users.role", u.ID), role)
	if err != nil {
		return u, err
	}
	u.Name, u.Recipient, u.SignPub, u.Role, u.CreatedAt = b.Name, b.Recipient, b.SignPub, string(r), fromNanos(created)
	if by != nil {
		u.CreatedBy = *by
	}
	return u, nil
}

// UserByID reads a user by key ID.
func (db *DB) UserByID(ctx context.Context, id string) (store.User, error) {
	return db.scanUser(db.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id))
}

// UserByName reads a user by (NFC-normalized) name, through its keyed hash.
func (db *DB) UserByName(ctx context.Context, name string) (store.User, error) {
	u, err := db.scanUser(db.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE name_mac = $1`, db.c.lookup("users.name", []byte(name))))
	if errors.Is(err, evidence.ErrNotFound) {
		return u, fmt.Errorf("%w: no user %q", evidence.ErrNotFound, name)
	}
	return u, err
}

func (db *DB) users(ctx context.Context, q querier) ([]store.User, error) {
	var out []store.User
	err := db.each(ctx, q, `SELECT `+userCols+` FROM users`, nil, func(r pgx.Rows) error {
		u, err := db.scanUser(r)
		out = append(out, u)
		return err
	})
	// Names are ciphertext on the server: sorted here, byte-wise.
	slices.SortFunc(out, func(a, b store.User) int { return strings.Compare(a.Name, b.Name) })
	return out, err
}

// Users lists every user by name.
func (db *DB) Users(ctx context.Context) ([]store.User, error) { return db.users(ctx, db.pool) }

// Users lists every user inside the transaction.
func (t *Tx) Users(ctx context.Context) ([]store.User, error) { return t.db.users(ctx, t.tx) }

// SetUserRole changes a user's role (rows are never deleted).
func (t *Tx) SetUserRole(ctx context.Context, id, role string) error {
	tag, err := t.tx.Exec(ctx, `UPDATE users SET role = $1 WHERE id = $2`, t.db.c.seal(ad("users.role", id), []byte(role)), id)
	if err != nil {
		return dberr(err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("%w: no user %s", evidence.ErrNotFound, id)
	}
	return nil
}
