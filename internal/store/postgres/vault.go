package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"sori/internal/evidence"
	"sori/internal/store"
)

// sealJSON seals v's JSON for field ad.
func sealJSON(c *sealer, field string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return c.seal(field, b), nil
}

// openJSON opens a field sealJSON made into v.
func openJSON(c *sealer, field string, b []byte, v any) error {
	p, err := c.open(field, b)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(p, v); err != nil {
		return fmt.Errorf("%w: %s: %v", evidence.ErrDamaged, adName(field), err)
	}
	return nil
}

// The vault: rows are found by a keyed hash of the pseudonym; the
// pseudonym, the wrapped key and the sealed entry are sealed again here
// (they are under the vault key already). The entry ID is in the clear:
// custody entries name it.

// InsertVault adds a witness entry; a pseudonym in the vault (withdrawn
// ones included) gives evidence.ErrExists.
func (t *Tx) InsertVault(ctx context.Context, r store.VaultRow) error {
	mac := t.db.c.lookup("vault.pseudonym", []byte(r.Pseudonym))
	var taken bool
	if err := t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM vault WHERE mac = $1 OR id = $2)`, mac, r.ID).Scan(&taken); err != nil {
		return dberr(err)
	}
	if taken {
		return fmt.Errorf("%w: witness %s is already in the vault", evidence.ErrExists, r.Pseudonym)
	}
	if r.Wrapped == nil || r.Entry == nil {
		return fmt.Errorf("%w: vault entry %s without its key or entry", evidence.ErrInvalid, r.ID)
	}
	c := t.db.c
	_, err := t.tx.Exec(ctx, `INSERT INTO vault (mac, id, status, pseudonym, wrapped, entry, created_at, created_by)
		VALUES ($1, $2, 'active', $3, $4, $5, $6, $7)`,
		mac, r.ID, c.seal(ad("vault.pseudonym", r.ID), []byte(r.Pseudonym)), c.seal(ad("vault.wrapped", r.ID), r.Wrapped),
		c.seal(ad("vault.entry", r.ID), r.Entry), nanos(r.CreatedAt), r.CreatedBy)
	if isUnique(err) {
		return fmt.Errorf("%w: witness %s is already in the vault", evidence.ErrExists, r.Pseudonym)
	}
	return dberr(err)
}

const vaultCols = `id, status, pseudonym, wrapped, entry, created_at, created_by, withdrawn_at`

func (db *DB) scanVault(row scanner) (store.VaultRow, error) {
	var r store.VaultRow
	var status string
	var p, wrapped, entry []byte
	var created int64
	var withdrawn *int64
	err := row.Scan(&r.ID, &status, &p, &wrapped, &entry, &created, &r.CreatedBy, &withdrawn)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("%w: no such witness in the vault", evidence.ErrNotFound)
	}
	if err != nil {
		return r, dberr(err)
	}
	c := db.c
	pseudonym, err := c.open(ad("vault.pseudonym", r.ID), p)
	if err != nil {
		return r, err
	}
	r.Pseudonym, r.Withdrawn, r.CreatedAt = string(pseudonym), status == "withdrawn", fromNanos(created)
	if wrapped != nil {
		if r.Wrapped, err = c.open(ad("vault.wrapped", r.ID), wrapped); err != nil {
			return r, err
		}
	}
	if entry != nil {
		if r.Entry, err = c.open(ad("vault.entry", r.ID), entry); err != nil {
			return r, err
		}
	}
	if withdrawn != nil {
		r.WithdrawnAt = fromNanos(*withdrawn)
	}
	return r, nil
}

func (db *DB) vault(ctx context.Context, q querier, pseudonym string) (store.VaultRow, error) {
	return db.scanVault(q.QueryRow(ctx, `SELECT `+vaultCols+` FROM vault WHERE mac = $1`, db.c.lookup("vault.pseudonym", []byte(pseudonym))))
}

// Vault reads one witness entry by pseudonym.
func (db *DB) Vault(ctx context.Context, pseudonym string) (store.VaultRow, error) {
	return db.vault(ctx, db.pool, pseudonym)
}

// Vault reads one witness entry inside the transaction.
func (t *Tx) Vault(ctx context.Context, pseudonym string) (store.VaultRow, error) {
	return t.db.vault(ctx, t.tx, pseudonym)
}

func (db *DB) vaultRows(ctx context.Context, q querier, where string) ([]store.VaultRow, error) {
	var out []store.VaultRow
	err := db.each(ctx, q, `SELECT `+vaultCols+` FROM vault`+where, nil, func(r pgx.Rows) error {
		v, err := db.scanVault(r)
		out = append(out, v)
		return err
	})
	// Pseudonyms are ciphertext on the server: sorted here.
	slices.SortFunc(out, func(a, b store.VaultRow) int { return strings.Compare(a.Pseudonym, b.Pseudonym) })
	return out, err
}

// VaultRows lists the vault's entries by pseudonym.
func (db *DB) VaultRows(ctx context.Context) ([]store.VaultRow, error) {
	return db.vaultRows(ctx, db.pool, "")
}

// ActiveVault lists the active entries inside the transaction.
func (t *Tx) ActiveVault(ctx context.Context) ([]store.VaultRow, error) {
	return t.db.vaultRows(ctx, t.tx, ` WHERE status = 'active'`)
}

// WithdrawVault turns an active entry into its tombstone: the wrapped key
// and the sealed entry are set to NULL (the server keeps the old row
// version, ciphertext under the vault key and this store's key, until
// VACUUM reclaims it: docs/deploy.md). Its hashed names stay.
func (t *Tx) WithdrawVault(ctx context.Context, pseudonym string, now time.Time) (store.VaultRow, error) {
	r, err := t.Vault(ctx, pseudonym)
	if err != nil {
		return r, err
	}
	if r.Withdrawn {
		return r, fmt.Errorf("%w: witness %s was withdrawn already", evidence.ErrInvalid, pseudonym)
	}
	_, err = t.tx.Exec(ctx, `UPDATE vault SET status = 'withdrawn', wrapped = NULL, entry = NULL, withdrawn_at = $1 WHERE id = $2`,
		nanos(now), r.ID)
	if err != nil {
		return r, dberr(err)
	}
	r.Withdrawn, r.Wrapped, r.Entry, r.WithdrawnAt = true, nil, nil, now
	return r, nil
}

// SetVaultWrapped replaces an active entry's wrapped witness key.
func (t *Tx) SetVaultWrapped(ctx context.Context, pseudonym string, wrapped []byte) error {
	var id string
	err := t.tx.QueryRow(ctx, `SELECT id FROM vault WHERE mac = $1 AND status = 'active'`, t.db.c.lookup("vault.pseudonym", []byte(pseudonym))).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: no active witness %s", evidence.ErrNotFound, pseudonym)
	}
	if err != nil {
		return dberr(err)
	}
	_, err = t.tx.Exec(ctx, `UPDATE vault SET wrapped = $1 WHERE id = $2`, t.db.c.seal(ad("vault.wrapped", id), wrapped), id)
	return dberr(err)
}

// InsertVaultNames stores an entry's hashed forms (already keyed hashes
// under the name-net key); one stored already is skipped.
func (t *Tx) InsertVaultNames(ctx context.Context, entry string, names []store.VaultName) error {
	var ok bool
	if err := t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM vault WHERE id = $1)`, entry).Scan(&ok); err != nil {
		return dberr(err)
	}
	if !ok {
		return fmt.Errorf("%w: no vault entry %s for its names", evidence.ErrNotFound, entry)
	}
	for _, n := range names {
		// The hash is keyed already (name-net key), but the same name in
		// two entries would give the same bytes: sealed, and deduplicated
		// by a hash keyed per entry, the server cannot link entries.
		mac := t.db.c.lookup("vault_names", append([]byte(entry+"\x00"), n.Hash[:]...))
		body := append(n.Hash[:], 0)
		if n.Given {
			body[len(body)-1] = 1
		}
		if _, err := t.tx.Exec(ctx, `INSERT INTO vault_names (entry, mac, body) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			entry, mac, t.db.c.seal(ad("vault_names.body", entry, fmt.Sprintf("%x", mac)), body)); err != nil {
			return dberr(err)
		}
	}
	return nil
}

// DeleteVaultNames deletes an entry's hashed forms.
func (t *Tx) DeleteVaultNames(ctx context.Context, entry string) error {
	_, err := t.tx.Exec(ctx, `DELETE FROM vault_names WHERE entry = $1`, entry)
	return dberr(err)
}

// HasVaultNames reports whether any entry has hashed names.
func (db *DB) HasVaultNames(ctx context.Context) (bool, error) {
	var ok bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM vault_names)`).Scan(&ok)
	return ok, dberr(err)
}

// VaultNames returns every stored hashed form, by entry.
func (db *DB) VaultNames(ctx context.Context) (map[string][]store.VaultName, error) {
	out := map[string][]store.VaultName{}
	err := db.each(ctx, db.pool, `SELECT entry, mac, body FROM vault_names ORDER BY entry`, nil, func(r pgx.Rows) error {
		var entry string
		var mac, body []byte
		var n store.VaultName
		if err := r.Scan(&entry, &mac, &body); err != nil {
			return dberr(err)
		}
		h, err := db.c.open(ad("vault_names.body", entry, fmt.Sprintf("%x", mac)), body)
		if err != nil {
			return err
		}
		if len(h) != len(n.Hash)+1 {
			return fmt.Errorf("%w: vault entry %s: a name hash of %d bytes", evidence.ErrDamaged, entry, len(h)-1)
		}
		copy(n.Hash[:], h)
		n.Given = h[len(n.Hash)] == 1
		out[entry] = append(out[entry], n)
		return nil
	})
	return out, err
}

// VaultNameTotal returns how many hashed forms the vault holds.
func (db *DB) VaultNameTotal(ctx context.Context) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM vault_names`).Scan(&n)
	return n, dberr(err)
}

// VaultNameCounts returns how many hashed forms each entry has.
func (db *DB) VaultNameCounts(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	err := db.each(ctx, db.pool, `SELECT entry, count(*) FROM vault_names GROUP BY entry`, nil, func(r pgx.Rows) error {
		var entry string
		var n int
		if err := r.Scan(&entry, &n); err != nil {
			return dberr(err)
		}
		out[entry] = n
		return nil
	})
	return out, err
}
