package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/tlog"

	"sori/internal/evidence"
	"sori/internal/store"
)

// store.Batcher: intake's rows, a pack's worth at a time, in a few
// statements over arrays (unnest) instead of several round trips per
// item. The checks are those of the one-row methods, made once for the
// batch, in Go, before anything of it is written.

var _ store.Batcher = (*Tx)(nil)

// InsertItems inserts each item unless one with its ID exists (or comes
// earlier in items), queues the new ones for search in the same
// statement, and reports which it inserted.
func (t *Tx) InsertItems(ctx context.Context, items []store.Item) ([]bool, error) {
	inserted := make([]bool, len(items))
	if len(items) == 0 {
		return inserted, nil
	}
	gen, err := t.contentGen(ctx) // takes the writer lock: see InsertItem
	if err != nil {
		return nil, err
	}
	first := make(map[string]int, len(items))
	n := len(items)
	var (
		ids, packs, by    = make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
		sums              = make([][]byte, 0, n)
		sizes, offs, lens = make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n)
		gens              = make([]int32, 0, n)
		created           = make([]int64, 0, n)
	)
	for i, it := range items {
		if it.KeyGen != gen {
			return nil, fmt.Errorf("%w: item under a retired content key (a user was removed since the archive was opened; open it again)", evidence.ErrInvalid)
		}
		id := it.ID.String()
		if _, dup := first[id]; dup {
			continue
		}
		first[id] = i
		ids, packs, by = append(ids, id), append(packs, it.Pack), append(by, it.CreatedBy)
		sums = append(sums, t.db.c.seal(ad("items.sha256", id), it.SHA256[:]))
		sizes, offs, lens = append(sizes, it.Size), append(offs, it.Off), append(lens, it.Len)
		gens, created = append(gens, int32(it.KeyGen)), append(created, nanos(it.CreatedAt))
	}
	// Rows are taken in the batch's order, so that items.n and the queue
	// keep intake order; a new item is queued by the same statement.
	rows, err := t.tx.Query(ctx, `WITH new AS (
			INSERT INTO items (id, sha256, size, pack, off, len, key_gen, created_at, created_by)
			SELECT id, sha256, size, pack, off, len, key_gen, created_at, created_by
			FROM unnest($1::text[], $2::bytea[], $3::bigint[], $4::text[], $5::bigint[], $6::bigint[], $7::integer[], $8::bigint[], $9::text[])
				WITH ORDINALITY AS u (id, sha256, size, pack, off, len, key_gen, created_at, created_by, ord)
			ORDER BY ord
			ON CONFLICT (id) DO NOTHING
			RETURNING id, n
		), queued AS (
			INSERT INTO search_queue (item) SELECT id FROM new ORDER BY n ON CONFLICT (item) DO NOTHING
		)
		SELECT id FROM new`,
		ids, sums, sizes, packs, offs, lens, gens, created, by)
	if err != nil {
		return nil, dberr(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, dberr(err)
	}
	for _, id := range got {
		i, ok := first[id]
		if !ok {
			return nil, fmt.Errorf("%w: the database inserted an item that was not asked for", evidence.ErrDamaged)
		}
		inserted[i] = true
	}
	return inserted, nil
}

// InsertItemKeys stores items' own keys; if any item has one already
// (or twice in keys), nothing is written and the error is
// evidence.ErrExists.
func (t *Tx) InsertItemKeys(ctx context.Context, keys []store.ItemKey) error {
	if len(keys) == 0 {
		return nil
	}
	ids, gens, bodies := make([]string, len(keys)), make([]int32, len(keys)), make([][]byte, len(keys))
	seen := make(map[string]bool, len(keys))
	for i, k := range keys {
		id := k.Item.String()
		if seen[id] {
			return fmt.Errorf("%w: item %s has a key", evidence.ErrExists, k.Item)
		}
		seen[id] = true
		body, err := sealJSON(t.db.c, ad("item_keys.body", id, k.Gen), keyBody{k.Handle, k.Wrapped})
		if err != nil {
			return err
		}
		ids[i], gens[i], bodies[i] = id, int32(k.Gen), body
	}
	var clash string
	err := t.tx.QueryRow(ctx, `SELECT item_id FROM item_keys WHERE item_id = ANY($1::text[]) LIMIT 1`, ids).Scan(&clash)
	switch {
	case err == nil:
		return fmt.Errorf("%w: item %s has a key", evidence.ErrExists, clash)
	case !errors.Is(err, pgx.ErrNoRows):
		return dberr(err)
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO item_keys (item_id, gen, body) SELECT * FROM unnest($1::text[], $2::integer[], $3::bytea[])`, ids, gens, bodies)
	if isForeign(err) {
		return fmt.Errorf("%w: item key: no such item", evidence.ErrNotFound)
	}
	return dberr(err)
}

// InsertVersions appends item versions; if any (item, version) exists (or
// comes twice in vs), nothing is written and the error is
// evidence.ErrExists.
func (t *Tx) InsertVersions(ctx context.Context, vs []store.Version) error {
	if len(vs) == 0 {
		return nil
	}
	n := len(vs)
	ids, actors := make([]string, n), make([]string, n)
	versions := make([]int32, n)
	records, digests := make([][]byte, n), make([][]byte, n)
	created := make([]int64, n)
	type key struct {
		id string
		v  int
	}
	seen := make(map[key]bool, n)
	for i, v := range vs {
		if v.Version < 1 {
			return fmt.Errorf("%w: version %d (versions start at 1)", evidence.ErrInvalid, v.Version)
		}
		id := v.Item.String()
		if seen[key{id, v.Version}] {
			return fmt.Errorf("%w: version %d of item %s", evidence.ErrExists, v.Version, v.Item)
		}
		seen[key{id, v.Version}] = true
		ids[i], actors[i], versions[i], created[i] = id, v.Actor, int32(v.Version), nanos(v.CreatedAt)
		records[i] = t.db.c.seal(ad("item_versions.record", id, v.Version), v.Record)
		digests[i] = t.db.c.seal(ad("item_versions.digest", id, v.Version), v.Digest[:])
	}
	// Evidence is never replaced: the driver looks for every pair itself
	// before writing any (the primary key and the triggers stand behind).
	var clashID string
	var clashV int
	err := t.tx.QueryRow(ctx, `SELECT v.item_id, v.version FROM item_versions v
		JOIN unnest($1::text[], $2::integer[]) AS w (item_id, version) ON v.item_id = w.item_id AND v.version = w.version LIMIT 1`,
		ids, versions).Scan(&clashID, &clashV)
	switch {
	case err == nil:
		return fmt.Errorf("%w: version %d of item %s", evidence.ErrExists, clashV, clashID)
	case !errors.Is(err, pgx.ErrNoRows):
		return dberr(err)
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO item_versions (item_id, version, record, digest, created_at, actor)
		SELECT * FROM unnest($1::text[], $2::integer[], $3::bytea[], $4::bytea[], $5::bigint[], $6::text[])`,
		ids, versions, records, digests, created, actors)
	if isUnique(err) {
		return fmt.Errorf("%w: an item version of the batch", evidence.ErrExists)
	}
	if isForeign(err) {
		return fmt.Errorf("%w: an item version of the batch: no such item or actor", evidence.ErrNotFound)
	}
	if err != nil {
		return dberr(err)
	}
	// Items waiting in the index queue whose records gained a version
	// after the first move to its end (InsertVersion).
	var later []string
	for i, v := range versions {
		if v > 1 {
			later = append(later, ids[i])
		}
	}
	if len(later) == 0 {
		return nil
	}
	_, err = t.tx.Exec(ctx, `UPDATE search_queue SET n = nextval(pg_get_serial_sequence('search_queue', 'n')) WHERE item = ANY($1)`, later)
	return dberr(err)
}

// AppendCustodyRows stores entries rows (rows[i].Seq must be the tree
// size plus i) and the tree hashes their leaves add, in two statements.
func (t *Tx) AppendCustodyRows(ctx context.Context, rows []store.CustodyRow, leafData [][]byte) error {
	if len(rows) != len(leafData) {
		return fmt.Errorf("%w: %d custody entries with %d leaves", evidence.ErrInvalid, len(rows), len(leafData))
	}
	if len(rows) == 0 {
		return nil
	}
	size, err := t.TreeSize(ctx)
	if err != nil {
		return err
	}
	if t.recent == nil {
		t.recent = map[int64][32]byte{}
	}
	n := len(rows)
	seqs, kinds, objects, bodies := make([]int64, n), make([]string, n), make([]string, n), make([][]byte, n)
	var idx []int64
	var hs [][]byte
	for i, r := range rows {
		if r.Seq != size+int64(i) {
			return fmt.Errorf("%w: custody entry %d appended to a log of %d entries", evidence.ErrExists, r.Seq, size+int64(i))
		}
		// The hashes of earlier entries of the batch are in t.recent
		// already: only the first entry reads any from the database.
		hashes, err := tlog.StoredHashes(r.Seq, leafData[i], t.cachedReader(ctx))
		if err != nil {
			return fmt.Errorf("%w: tree: %v", evidence.ErrDamaged, err)
		}
		base := tlog.StoredHashIndex(0, r.Seq)
		for j, h := range hashes {
			idx, hs = append(idx, base+int64(j)), append(hs, h[:])
			t.recent[base+int64(j)] = h
		}
		body, err := sealJSON(t.db.c, ad("custody.body", r.Seq), custodyBody{r.Entry, r.Sig, r.Salt, r.Content[:]})
		if err != nil {
			return err
		}
		seqs[i], kinds[i], objects[i], bodies[i] = r.Seq, r.Kind, r.Object, body
	}
	if _, err := t.tx.Exec(ctx, `INSERT INTO custody (seq, kind, object, body) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bytea[])`,
		seqs, kinds, objects, bodies); err != nil {
		return dberr(err)
	}
	if _, err := t.tx.Exec(ctx, `INSERT INTO tlog_hashes (idx, hash) SELECT * FROM unnest($1::bigint[], $2::bytea[])`, idx, hs); err != nil {
		return dberr(err)
	}
	t.size = size + int64(n)
	return nil
}

// contentGen is the content key generation new items must use, read once
// under the writer lock.
func (t *Tx) contentGen(ctx context.Context) (int, error) {
	if err := t.lockWriter(ctx); err != nil {
		return 0, err
	}
	if t.gen == 0 {
		if err := t.tx.QueryRow(ctx, `SELECT gen FROM content_gen`).Scan(&t.gen); err != nil {
			return 0, dberr(err)
		}
	}
	return t.gen, nil
}
