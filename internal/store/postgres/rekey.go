package postgres

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"sori/internal/evidence"
	"sori/internal/store"
)

// Replacing the database key (store.Rekeyer; docs/format.md "Key rotation"
// and docs/deploy.md). Every sealed field of every table is opened under
// the current key and sealed again, the same bytes, under the new one; every
// keyed hash (users by name, vault entries by pseudonym, vault name forms,
// log witnesses by key, search terms) is computed again under the new key's
// hash key. All of it happens inside the caller's transaction: PostgreSQL
// commits it or none of it, so at any instant the database is entirely
// under one key. The evidence tables' triggers let such an update through
// only in a transaction that declared a re-seal, and only when no clear
// column changes (migrations/0005_reseal.sql).

// resealBatch is how many rows are read, re-sealed and written at a time.
const resealBatch = 2000

// resealSpec is one table's re-seal: the rows read (sel over from, the
// first nkey expressions the row's key, in whose order the rows are read
// page by page), and the columns written (out: for an update the key
// columns then the re-sealed ones; for a replacement every column). fn
// maps a row read to the row written.
type resealSpec struct {
	table   string
	from    string
	sel     []string
	nkey    int
	out     []string
	replace bool // rows deleted and inserted again (their key is a keyed hash)
	fn      func(o, n *sealer, r []any) ([]any, error)
}

// reseal opens b (nil: a NULL field, kept) sealed for adOld under o and
// seals the same bytes for adNew under n.
func reseal(o, n *sealer, adOld, adNew string, b any) (any, error) {
	if b == nil {
		return nil, nil
	}
	raw, ok := b.([]byte)
	if !ok {
		return nil, fmt.Errorf("%w: %s: a sealed field that is not bytes", evidence.ErrDamaged, adName(adOld))
	}
	p, err := o.open(adOld, raw)
	if err != nil {
		return nil, err
	}
	return n.seal(adNew, p), nil
}

// same re-seals a field whose identity does not change.
func same(o, n *sealer, a string, b any) (any, error) { return reseal(o, n, a, a, b) }

func openRaw(o *sealer, a string, b any) ([]byte, error) {
	raw, ok := b.([]byte)
	if !ok {
		return nil, fmt.Errorf("%w: %s: a sealed field that is not bytes", evidence.ErrDamaged, adName(a))
	}
	return o.open(a, raw)
}

func hexOf(b any) string {
	raw, _ := b.([]byte)
	return hex.EncodeToString(raw)
}

// simple is the spec of a table whose key columns and sealed columns are
// the whole story: each sealed column's identity is the field name and
// the key's values.
func simple(table string, keys []string, sealed []string) resealSpec {
	cols := append(append([]string{}, keys...), sealed...)
	return resealSpec{table: table, sel: cols, nkey: len(keys), out: cols,
		fn: func(o, n *sealer, r []any) ([]any, error) {
			out := append([]any{}, r...)
			for i, c := range sealed {
				v, err := same(o, n, ad(table+"."+c, r[:len(keys)]...), r[len(keys)+i])
				if err != nil {
					return nil, err
				}
				out[len(keys)+i] = v
			}
			return out, nil
		}}
}

// withExtra is a table whose sealed column's identity also names a clear
// column that is not part of the key (read, not written).
func withExtra(table string, key, sealed, extra string) resealSpec {
	return resealSpec{table: table, sel: []string{key, sealed, extra}, nkey: 1, out: []string{key, sealed},
		fn: func(o, n *sealer, r []any) ([]any, error) {
			v, err := same(o, n, ad(table+"."+sealed, r[0], r[2]), r[1])
			return []any{r[0], v}, err
		}}
}

func resealSpecs() []resealSpec {
	return []resealSpec{
		simple("meta", []string{"key"}, []string{"value"}),
		{table: "users", sel: []string{"id", "name_mac", "body", "role"}, nkey: 1, out: []string{"id", "name_mac", "body", "role"},
			fn: func(o, n *sealer, r []any) ([]any, error) {
				a := ad("users.body", r[0])
				p, err := openRaw(o, a, r[2])
				if err != nil {
					return nil, err
				}
				var b userBody
				if err := json.Unmarshal(p, &b); err != nil {
					return nil, fmt.Errorf("%w: users.body: %v", evidence.ErrDamaged, err)
				}
				role, err := same(o, n, ad("users.role", r[0]), r[3])
				return []any{r[0], n.lookup("users.name", []byte(b.Name)), n.seal(a, p), role}, err
			}},
		simple("items", []string{"id"}, []string{"sha256"}),
		simple("item_versions", []string{"item_id", "version"}, []string{"record", "digest"}),
		simple("records", []string{"id", "version"}, []string{"record", "digest"}),
		simple("custody", []string{"seq"}, []string{"body"}),
		simple("checkpoints", []string{"size"}, []string{"note"}),
		simple("purged", []string{"kind", "id", "version"}, []string{"reason"}),
		withExtra("timestamps", "id", "body", "size"),
		withExtra("cosignatures", "id", "body", "size"),
		withExtra("item_keys", "item_id", "body", "gen"),
		{table: "vault", sel: []string{"id", "mac", "pseudonym", "wrapped", "entry"}, nkey: 1, out: []string{"id", "mac", "pseudonym", "wrapped", "entry"},
			fn: func(o, n *sealer, r []any) ([]any, error) {
				a := ad("vault.pseudonym", r[0])
				p, err := openRaw(o, a, r[2])
				if err != nil {
					return nil, err
				}
				w, err := same(o, n, ad("vault.wrapped", r[0]), r[3])
				if err != nil {
					return nil, err
				}
				e, err := same(o, n, ad("vault.entry", r[0]), r[4])
				return []any{r[0], n.lookup("vault.pseudonym", p), n.seal(a, p), w, e}, err
			}},
		{table: "vault_names", sel: []string{"entry", "mac", "body"}, nkey: 2, out: []string{"entry", "mac", "body"}, replace: true,
			fn: func(o, n *sealer, r []any) ([]any, error) {
				entry, _ := r[0].(string)
				p, err := openRaw(o, ad("vault_names.body", entry, hexOf(r[1])), r[2])
				if err != nil {
					return nil, err
				}
				if len(p) < 1 {
					return nil, fmt.Errorf("%w: vault_names.body: empty", evidence.ErrDamaged)
				}
				mac := n.lookup("vault_names", append([]byte(entry+"\x00"), p[:len(p)-1]...))
				return []any{entry, mac, n.seal(ad("vault_names.body", entry, hex.EncodeToString(mac)), p)}, nil
			}},
		{table: "log_witnesses", sel: []string{"mac", "body", "added_at"}, nkey: 1, out: []string{"mac", "body", "added_at"}, replace: true,
			fn: func(o, n *sealer, r []any) ([]any, error) {
				p, err := openRaw(o, ad("log_witnesses.body", hexOf(r[0])), r[1])
				if err != nil {
					return nil, err
				}
				var b witnessBody
				if err := json.Unmarshal(p, &b); err != nil {
					return nil, fmt.Errorf("%w: log_witnesses.body: %v", evidence.ErrDamaged, err)
				}
				mac := n.lookup("log_witnesses.key", []byte(b.Key))
				return []any{mac, n.seal(ad("log_witnesses.body", hex.EncodeToString(mac)), p), r[2]}, nil
			}},
		simple("search_docs", []string{"doc"}, []string{"body"}),
		// Posting lists before the dictionary they are read through: a
		// term's name gives its new hash. A list without a name would not
		// come out of the join; the count check refuses that.
		{table: "search_terms", from: "search_terms t JOIN search_dict d ON d.mac = t.mac", sel: []string{"t.mac", "t.seg", "t.list", "d.name"}, nkey: 2,
			out: []string{"mac", "seg", "list"}, replace: true,
			fn: func(o, n *sealer, r []any) ([]any, error) {
				term, err := openRaw(o, ad("search_dict.name", hexOf(r[0])), r[3])
				if err != nil {
					return nil, err
				}
				seg, _ := r[1].(int64)
				mac := n.termMAC(term)
				l, err := reseal(o, n, listAD(r[0].([]byte), seg), listAD(mac, seg), r[2])
				return []any{mac, seg, l}, err
			}},
		{table: "search_dict", sel: []string{"mac", "name"}, nkey: 1, out: []string{"mac", "name"}, replace: true,
			fn: func(o, n *sealer, r []any) ([]any, error) {
				term, err := openRaw(o, ad("search_dict.name", hexOf(r[0])), r[1])
				if err != nil {
					return nil, err
				}
				mac := n.termMAC(term)
				return []any{mac, n.seal(ad("search_dict.name", hex.EncodeToString(mac)), term)}, nil
			}},
	}
}

// rekeyTables are the tables a re-seal locks against writers (every
// table with a sealed field or a keyed hash).
func rekeyTables() []string {
	var out []string
	for _, s := range resealSpecs() {
		out = append(out, s.table)
	}
	return out
}

// Rekey re-seals, in tx (a transaction of this store), every sealed field
// and keyed hash under key instead of the store's current key, and makes
// what tx writes afterwards sealed under key too. The caller commits tx,
// then calls UseKey(key); if tx does not commit, nothing changed. step,
// if not nil, is called after each batch with the table's name (for the
// crash test's trace; names only).
func (db *DB) Rekey(ctx context.Context, stx store.Tx, key [32]byte, step func(string)) error {
	t, ok := stx.(*Tx)
	if !ok || t.db.pool != db.pool || t.done {
		return fmt.Errorf("%w: a re-seal needs an open transaction of this store", evidence.ErrInvalid)
	}
	n, err := newSealer(key)
	if err != nil {
		return err
	}
	o := t.db.c
	// What the transaction indexed so far is written under the old key
	// first, and re-sealed with the rest.
	if err := t.flushSearch(ctx); err != nil {
		return err
	}
	t.search = nil
	if err := t.lockWriter(ctx); err != nil {
		return err
	}
	// No other writer (there is none: the caller holds the archive lock
	// exclusive) may add a row under the old key meanwhile.
	if _, err := t.tx.Exec(ctx, `LOCK TABLE `+strings.Join(rekeyTables(), ", ")+` IN EXCLUSIVE MODE`); err != nil {
		return dberr(err)
	}
	if _, err := t.tx.Exec(ctx, `SELECT set_config('sori.reseal', 'on', true)`); err != nil {
		return dberr(err)
	}
	for _, s := range resealSpecs() {
		if err := t.resealTable(ctx, s, o, n, step); err != nil {
			return fmt.Errorf("re-sealing %s: %w", s.table, err)
		}
	}
	if _, err := t.tx.Exec(ctx, `SELECT set_config('sori.reseal', '', true)`); err != nil {
		return dberr(err)
	}
	// Cached search documents and term names of every process are stale.
	if _, err := t.tx.Exec(ctx, `UPDATE search_state SET value = value + 1 WHERE key = 'version'`); err != nil {
		return dberr(err)
	}
	// The rest of the transaction seals under the new key, and the key
	// check must open under it.
	t.db = &DB{pool: db.pool, c: n, lock: db.lock}
	v, err := t.db.metaRaw(ctx, t.tx, "key_check")
	if err != nil || string(v) != keyCheck {
		return fmt.Errorf("%w: the key check does not open under the new key after the re-seal", evidence.ErrDamaged)
	}
	return nil
}

// UseKey makes the store seal and open under key from now on, after a
// transaction that re-sealed under it (Rekey) committed. The caller holds
// the archive lock exclusive and is the store's only user meanwhile.
func (db *DB) UseKey(ctx context.Context, key [32]byte) error {
	n, err := newSealer(key)
	if err != nil {
		return err
	}
	db.mu.Lock()
	db.c, db.cache, db.dict = n, nil, nil
	db.mu.Unlock()
	v, err := db.metaRaw(ctx, db.pool, "key_check")
	if err != nil || string(v) != keyCheck {
		return fmt.Errorf("%w: the archive key does not open this PostgreSQL archive (wrong key, or rows tampered with)", evidence.ErrDamaged)
	}
	return nil
}

// resealTable re-seals one table: pages of rows in key order into a
// temporary table, then one update (or a delete and insert) from it.
func (t *Tx) resealTable(ctx context.Context, s resealSpec, o, n *sealer, step func(string)) error {
	from := s.from
	if from == "" {
		from = s.table
	}
	tmp := "sori_reseal_" + s.table
	if _, err := t.tx.Exec(ctx, `CREATE TEMPORARY TABLE `+tmp+` ON COMMIT DROP AS SELECT `+strings.Join(s.out, ", ")+` FROM `+s.table+` WITH NO DATA`); err != nil {
		return dberr(err)
	}
	keys := s.sel[:s.nkey]
	ph := make([]string, s.nkey)
	for i := range ph {
		ph[i] = fmt.Sprintf("$%d", i+1)
	}
	first := `SELECT ` + strings.Join(s.sel, ", ") + ` FROM ` + from + ` ORDER BY ` + strings.Join(keys, ", ") + fmt.Sprintf(` LIMIT %d`, resealBatch)
	next := `SELECT ` + strings.Join(s.sel, ", ") + ` FROM ` + from + ` WHERE (` + strings.Join(keys, ", ") + `) > (` + strings.Join(ph, ", ") + `) ORDER BY ` +
		strings.Join(keys, ", ") + fmt.Sprintf(` LIMIT %d`, resealBatch)
	var last []any
	read := int64(0)
	for {
		q, args := first, []any(nil)
		if last != nil {
			q, args = next, last
		}
		rows, err := t.tx.Query(ctx, q, args...)
		if err != nil {
			return dberr(err)
		}
		var out [][]any
		for rows.Next() {
			r, err := rows.Values()
			if err != nil {
				rows.Close()
				return dberr(err)
			}
			w, err := s.fn(o, n, r)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, w)
			last = r[:s.nkey]
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return dberr(err)
		}
		if len(out) == 0 {
			break
		}
		if _, err := t.tx.CopyFrom(ctx, pgx.Identifier{tmp}, s.out, pgx.CopyFromRows(out)); err != nil {
			return dberr(err)
		}
		read += int64(len(out))
		if step != nil {
			step(s.table)
		}
		if len(out) < resealBatch {
			break
		}
	}
	var total int64
	if err := t.tx.QueryRow(ctx, `SELECT count(*) FROM `+s.table).Scan(&total); err != nil {
		return dberr(err)
	}
	if total != read {
		return fmt.Errorf("%w: %d rows of %s, %d of them re-sealed (a search term without its name? rebuild the index: sori index --rebuild)", evidence.ErrDamaged, total, s.table, read)
	}
	if s.replace {
		if _, err := t.tx.Exec(ctx, `DELETE FROM `+s.table); err != nil {
			return dberr(err)
		}
		cols := strings.Join(s.out, ", ")
		tag, err := t.tx.Exec(ctx, `INSERT INTO `+s.table+` (`+cols+`) SELECT `+cols+` FROM `+tmp)
		if err != nil {
			return dberr(err)
		}
		if tag.RowsAffected() != read {
			return fmt.Errorf("%w: %s: %d rows written again of %d", evidence.ErrDamaged, s.table, tag.RowsAffected(), read)
		}
	} else {
		var set, on []string
		for i, c := range s.out {
			if i < s.nkey {
				on = append(on, fmt.Sprintf("t.%s = r.%s", c, c))
			} else {
				set = append(set, fmt.Sprintf("%s = r.%s", c, c))
			}
		}
		tag, err := t.tx.Exec(ctx, `UPDATE `+s.table+` AS t SET `+strings.Join(set, ", ")+` FROM `+tmp+` AS r WHERE `+strings.Join(on, " AND "))
		if err != nil {
			return dberr(err)
		}
		if tag.RowsAffected() != read {
			return fmt.Errorf("%w: %s: %d rows re-sealed of %d", evidence.ErrDamaged, s.table, tag.RowsAffected(), read)
		}
	}
	_, err := t.tx.Exec(ctx, `DROP TABLE `+tmp)
	return dberr(err)
}

var _ store.Rekeyer = (*DB)(nil)
