package sqlite

import (
	"context"
	"fmt"

	"sori/internal/evidence"
	"sori/internal/store"
)

// The sealed-name safety net's table (docs/format.md "Vault names"): per
// vault entry, the keyed hashes (internal/namenet, under the name-net
// key) of the normalized forms of the witness's names and of the phone
// numbers and e-mail addresses of their contact, never the names. Rows
// outlive a withdrawal (the name stays masked wherever it was written). An archive made before the table existed
// gains it, empty, on open; the schema version stays.
const vaultNamesSchema = `
CREATE TABLE IF NOT EXISTS vault_names (
	entry TEXT NOT NULL REFERENCES vault(id), -- the vault entry's random ID
	hash  BLOB NOT NULL,                      -- HMAC-SHA256 of one form of one name
	given INTEGER NOT NULL CHECK (given IN (0, 1)), -- 1: the given name alone
	PRIMARY KEY (entry, hash)
) STRICT, WITHOUT ROWID;
`

// ensureVaultNames creates the table in a database made before it.
func (db *DB) ensureVaultNames(ctx context.Context) error {
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'vault_names'`).Scan(&n); err != nil {
		return damaged(err)
	}
	if n == 1 {
		return nil
	}
	_, err := db.sql.ExecContext(ctx, vaultNamesSchema)
	return damaged(err)
}

// InsertVaultNames stores an entry's hashed forms; a form already stored
// for it is skipped.
func (t *Tx) InsertVaultNames(ctx context.Context, entry string, names []store.VaultName) error {
	for _, n := range names {
		given := 0
		if n.Given {
			given = 1
		}
		if _, err := t.tx.ExecContext(ctx, `INSERT INTO vault_names (entry, hash, given) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, entry, n.Hash[:], given); err != nil {
			if isConstraint(err) {
				return fmt.Errorf("%w: no vault entry %s for its names", evidence.ErrNotFound, entry)
			}
			return damaged(err)
		}
	}
	return nil
}

// entryNames returns one entry's hashed forms.
func (t *Tx) entryNames(ctx context.Context, entry string) ([]store.VaultName, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT hash, given FROM vault_names WHERE entry = ?`, entry)
	if err != nil {
		return nil, damaged(err)
	}
	defer rows.Close()
	var out []store.VaultName
	for rows.Next() {
		var h []byte
		var given int
		if err := rows.Scan(&h, &given); err != nil {
			return nil, damaged(err)
		}
		var n store.VaultName
		copy(n.Hash[:], h)
		n.Given = given == 1
		out = append(out, n)
	}
	return out, damaged(rows.Err())
}

// DeleteVaultNames deletes an entry's hashed forms (overwritten in place
// under secure_delete).
func (t *Tx) DeleteVaultNames(ctx context.Context, entry string) error {
	_, err := t.tx.ExecContext(ctx, `DELETE FROM vault_names WHERE entry = ?`, entry)
	return damaged(err)
}

// HasVaultNames reports whether any entry has hashed names: when none has,
// there is nothing to check text for.
func (db *DB) HasVaultNames(ctx context.Context) (bool, error) {
	var n int
	err := db.sql.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM vault_names)`).Scan(&n)
	return n == 1, damaged(err)
}

// VaultNames returns every stored hashed form, and the entry it is of.
func (db *DB) VaultNames(ctx context.Context) (map[string][]store.VaultName, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT entry, hash, given FROM vault_names ORDER BY entry`)
	if err != nil {
		return nil, damaged(err)
	}
	defer rows.Close()
	out := map[string][]store.VaultName{}
	for rows.Next() {
		var entry string
		var h []byte
		var given int
		if err := rows.Scan(&entry, &h, &given); err != nil {
			return nil, damaged(err)
		}
		if len(h) != 32 {
			return nil, fmt.Errorf("%w: vault entry %s: a name hash of %d bytes", evidence.ErrDamaged, entry, len(h))
		}
		var n store.VaultName
		copy(n.Hash[:], h)
		n.Given = given == 1
		out[entry] = append(out[entry], n)
	}
	return out, damaged(rows.Err())
}

// VaultNameTotal returns how many hashed forms the vault holds in all: a
// cache of the guard stays valid while it is unchanged (forms are only
// ever added; a withdrawal keeps its entry's).
func (db *DB) VaultNameTotal(ctx context.Context) (int, error) {
	var n int
	err := db.queryRow(ctx, `SELECT count(*) FROM vault_names`).Scan(&n)
	return n, damaged(err)
}

// VaultNameCounts returns how many hashed forms each entry has (entries
// with none are left out): what verification checks, without the hashes.
func (db *DB) VaultNameCounts(ctx context.Context) (map[string]int, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT entry, count(*) FROM vault_names GROUP BY entry`)
	if err != nil {
		return nil, damaged(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var entry string
		var n int
		if err := rows.Scan(&entry, &n); err != nil {
			return nil, damaged(err)
		}
		out[entry] = n
	}
	return out, damaged(rows.Err())
}
