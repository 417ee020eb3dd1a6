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

// InsertUser adds a user; a taken name gives evidence.ErrExists.
func (t *Tx) InsertUser(ctx context.Context, u store.User) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO users (id, name, role, recipient, sign_pub, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Name, u.Role, u.Recipient, u.SignPub, u.CreatedAt.UTC().Format(timeFormat), u.CreatedBy)
	if isConstraint(err) {
		return fmt.Errorf("%w: user %q", evidence.ErrExists, u.Name)
	}
	return damaged(err)
}

// SetMeta records an archive-wide setting inside the transaction.
func (t *Tx) SetMeta(ctx context.Context, key, value string) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return damaged(err)
}

// Meta reads an archive-wide setting inside the transaction ("" if unset).
func (t *Tx) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := t.tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, damaged(err)
}

// Meta reads an archive-wide setting ("" if unset).
func (db *DB) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := db.queryRow(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, damaged(err)
}

// UserByID reads a user by key ID.
func (db *DB) UserByID(ctx context.Context, id string) (store.User, error) {
	return scanUser(db.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
}

// UserByName reads a user by (NFC-normalized) name.
func (db *DB) UserByName(ctx context.Context, name string) (store.User, error) {
	u, err := scanUser(db.sql.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE name = ?`, name))
	if errors.Is(err, evidence.ErrNotFound) {
		return u, fmt.Errorf("%w: no user %q", evidence.ErrNotFound, name)
	}
	return u, err
}

// Users lists all users by name, removed ones included (their public keys
// still verify the custody entries they signed).
func (db *DB) Users(ctx context.Context) ([]store.User, error) {
	return queryUsers(ctx, cachedQuerier{db})
}

// Users lists all users inside the transaction.
func (t *Tx) Users(ctx context.Context) ([]store.User, error) {
	return queryUsers(ctx, t.tx)
}

// SetUserRole changes a user's role: a removal sets it to the role that
// grants nothing. Rows are never deleted, so that the entries a removed
// user signed can still be checked.
func (t *Tx) SetUserRole(ctx context.Context, id, role string) error {
	res, err := t.tx.ExecContext(ctx, `UPDATE users SET role = ? WHERE id = ?`, role, id)
	if err != nil {
		return damaged(err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("%w: no user %s", evidence.ErrNotFound, id)
	}
	return nil
}

// SetContentGen records gen as the content key generation new items must
// use, and makes the database refuse items under any other: a process that
// opened the archive before a user was removed still holds only the older
// keys and must not go on storing items the removed user could read.
func (t *Tx) SetContentGen(ctx context.Context, gen int) error {
	if err := t.SetMeta(ctx, "content_gen", fmt.Sprint(gen)); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `CREATE TRIGGER IF NOT EXISTS items_current_gen BEFORE INSERT ON items
WHEN NEW.key_gen <> CAST((SELECT value FROM meta WHERE key = 'content_gen') AS INTEGER)
BEGIN SELECT RAISE(ABORT, 'item under a retired content key (a user was removed since the archive was opened; open it again)'); END`)
	return damaged(err)
}

// ContentGen is the content key generation new items must use (1 until a
// user is first removed).
func (db *DB) ContentGen(ctx context.Context) (int, error) {
	v, err := db.Meta(ctx, "content_gen")
	if err != nil || v == "" {
		return 1, err
	}
	var n int
	if _, err := fmt.Sscan(v, &n); err != nil || n < 1 {
		return 0, fmt.Errorf("%w: content key generation %q", evidence.ErrDamaged, v)
	}
	return n, nil
}

func queryUsers(ctx context.Context, q querier) ([]store.User, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY name`)
	return collect(rows, err, scanUser)
}

const userCols = `id, name, role, recipient, sign_pub, created_at, created_by`

func scanUser(row scanner) (store.User, error) {
	var u store.User
	var created string
	var by sql.NullString
	err := row.Scan(&u.ID, &u.Name, &u.Role, &u.Recipient, &u.SignPub, &created, &by)
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("%w: no such user", evidence.ErrNotFound)
	}
	if err != nil {
		return u, damaged(err)
	}
	u.CreatedBy = by.String
	if u.CreatedAt, err = time.Parse(timeFormat, created); err != nil {
		return u, fmt.Errorf("%w: user %s: bad time", evidence.ErrDamaged, u.ID)
	}
	return u, nil
}
