package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"sori/internal/evidence"
)

// User is an account of the archive. Its secret key is not here: it lives,
// passphrase-protected, in the archive's keys directory.
type User struct {
	ID        string // key ID
	Name      string
	Role      string
	Recipient string
	SignPub   []byte
	CreatedAt time.Time
	CreatedBy string
}

// InsertUser adds a user; a taken name gives evidence.ErrExists.
func (t *Tx) InsertUser(ctx context.Context, u User) error {
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

// Meta reads an archive-wide setting ("" if unset).
func (db *DB) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := db.sql.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, damaged(err)
}

// UserByID reads a user by key ID.
func (db *DB) UserByID(ctx context.Context, id string) (User, error) {
	return scanUser(db.sql.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
}

// Users lists all users by name.
func (db *DB) Users(ctx context.Context) ([]User, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY name`)
	if err != nil {
		return nil, damaged(err)
	}
	defer rows.Close()
	var us []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		us = append(us, u)
	}
	return us, damaged(rows.Err())
}

const userCols = `id, name, role, recipient, sign_pub, created_at, created_by`

func scanUser(row scanner) (User, error) {
	var u User
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
