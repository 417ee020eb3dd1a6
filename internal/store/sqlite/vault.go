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

// The identity vault's table. Unlike evidence, its rows are mutable: a
// withdrawal deletes the wrapped witness key and the sealed entry
// (crypto-shredding) and leaves a tombstone row of the pseudonym, its
// entry ID and the time. Nothing here is readable without the vault key;
// the pseudonym is the public handle records use anyway.
const vaultSchema = `
CREATE TABLE vault (
	pseudonym    TEXT PRIMARY KEY,
	id           TEXT NOT NULL UNIQUE,    -- random entry ID: what custody entries name
	status       TEXT NOT NULL CHECK (status IN ('active', 'withdrawn')),
	wrapped      BLOB,                    -- witness key under the vault key; NULL once withdrawn
	entry        BLOB,                    -- entry under the witness key; NULL once withdrawn
	created_at   TEXT NOT NULL,
	created_by   TEXT NOT NULL REFERENCES users(id),
	withdrawn_at TEXT,
	CHECK ((status = 'active') = (wrapped IS NOT NULL AND entry IS NOT NULL))
) STRICT;
`

// InsertVault adds a witness entry; a pseudonym already in the vault
// (withdrawn ones included) gives evidence.ErrExists.
func (t *Tx) InsertVault(ctx context.Context, r store.VaultRow) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO vault (pseudonym, id, status, wrapped, entry, created_at, created_by) VALUES (?, ?, 'active', ?, ?, ?, ?)`,
		r.Pseudonym, r.ID, r.Wrapped, r.Entry, r.CreatedAt.UTC().Format(timeFormat), r.CreatedBy)
	if isConstraint(err) {
		return fmt.Errorf("%w: witness %s is already in the vault", evidence.ErrExists, r.Pseudonym)
	}
	return damaged(err)
}

// WithdrawVault deletes an active entry's row — its wrapped key and
// sealed entry with it, and its hashed names (vault_names), overwritten in
// place (secure_delete) — and puts a
// tombstone row in its stead. An unknown pseudonym gives
// evidence.ErrNotFound, one withdrawn already evidence.ErrInvalid.
func (t *Tx) WithdrawVault(ctx context.Context, pseudonym string, now time.Time) (store.VaultRow, error) {
	r, err := scanVault(t.tx.QueryRowContext(ctx, `SELECT `+vaultCols+` FROM vault WHERE pseudonym = ?`, pseudonym))
	if err != nil {
		return r, err
	}
	if r.Withdrawn {
		return r, fmt.Errorf("%w: witness %s was withdrawn already", evidence.ErrInvalid, pseudonym)
	}
	// The names' hashes outlive the entry (the guard keeps masking the
	// name); they are set aside while the row is replaced by its tombstone.
	names, err := t.entryNames(ctx, r.ID)
	if err != nil {
		return r, err
	}
	if err := t.DeleteVaultNames(ctx, r.ID); err != nil {
		return r, err
	}
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM vault WHERE pseudonym = ?`, pseudonym); err != nil {
		return r, damaged(err)
	}
	_, err = t.tx.ExecContext(ctx, `INSERT INTO vault (pseudonym, id, status, created_at, created_by, withdrawn_at) VALUES (?, ?, 'withdrawn', ?, ?, ?)`,
		r.Pseudonym, r.ID, r.CreatedAt.UTC().Format(timeFormat), r.CreatedBy, now.UTC().Format(timeFormat))
	if err != nil {
		return r, damaged(err)
	}
	r.Withdrawn, r.Wrapped, r.Entry, r.WithdrawnAt = true, nil, nil, now
	return r, t.InsertVaultNames(ctx, r.ID, names)
}

// Vault reads one witness entry by pseudonym.
func (db *DB) Vault(ctx context.Context, pseudonym string) (store.VaultRow, error) {
	return scanVault(db.sql.QueryRowContext(ctx, `SELECT `+vaultCols+` FROM vault WHERE pseudonym = ?`, pseudonym))
}

// VaultRows lists the vault's entries by pseudonym.
func (db *DB) VaultRows(ctx context.Context) ([]store.VaultRow, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+vaultCols+` FROM vault ORDER BY pseudonym`)
	return collect(rows, err, scanVault)
}

// TruncateWAL copies every committed page into the database file and
// empties the write-ahead log (PRAGMA wal_checkpoint(TRUNCATE)), so that
// the pages a withdrawal replaced do not linger in it. It fails with
// evidence.ErrLocked if a reader keeps the checkpoint from completing.
func (db *DB) TruncateWAL(ctx context.Context) error {
	var busy, logPages, done int
	if err := db.sql.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logPages, &done); err != nil {
		return damaged(err)
	}
	if busy != 0 {
		return fmt.Errorf("%w: another process is reading the archive; the write-ahead log could not be emptied (run the command again once it is done)", evidence.ErrLocked)
	}
	return nil
}

const vaultCols = `pseudonym, id, status, wrapped, entry, created_at, created_by, withdrawn_at`

func scanVault(row scanner) (store.VaultRow, error) {
	var r store.VaultRow
	var status, created string
	var withdrawn sql.NullString
	err := row.Scan(&r.Pseudonym, &r.ID, &status, &r.Wrapped, &r.Entry, &created, &r.CreatedBy, &withdrawn)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("%w: no such witness in the vault", evidence.ErrNotFound)
	}
	if err != nil {
		return r, damaged(err)
	}
	r.Withdrawn = status == "withdrawn"
	if r.CreatedAt, err = time.Parse(timeFormat, created); err != nil {
		return r, fmt.Errorf("%w: vault entry %s: bad time", evidence.ErrDamaged, r.ID)
	}
	if withdrawn.Valid {
		if r.WithdrawnAt, err = time.Parse(timeFormat, withdrawn.String); err != nil {
			return r, fmt.Errorf("%w: vault entry %s: bad time", evidence.ErrDamaged, r.ID)
		}
	}
	return r, nil
}

// Vault reads one witness entry inside the transaction.
func (t *Tx) Vault(ctx context.Context, pseudonym string) (store.VaultRow, error) {
	return scanVault(t.tx.QueryRowContext(ctx, `SELECT `+vaultCols+` FROM vault WHERE pseudonym = ?`, pseudonym))
}

// ActiveVault lists the active entries inside the transaction.
func (t *Tx) ActiveVault(ctx context.Context) ([]store.VaultRow, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT `+vaultCols+` FROM vault WHERE status = 'active' ORDER BY pseudonym`)
	return collect(rows, err, scanVault)
}

// SetVaultWrapped replaces an active entry's wrapped witness key (a new
// vault key after a protection officer's removal).
func (t *Tx) SetVaultWrapped(ctx context.Context, pseudonym string, wrapped []byte) error {
	res, err := t.tx.ExecContext(ctx, `UPDATE vault SET wrapped = ? WHERE pseudonym = ? AND status = 'active'`, wrapped, pseudonym)
	if err != nil {
		return damaged(err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("%w: no active witness %s", evidence.ErrNotFound, pseudonym)
	}
	return nil
}
