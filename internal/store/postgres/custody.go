package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/tlog"

	"sori/internal/evidence"
	"sori/internal/store"
)

// custodyBody is what a custody row seals: everything but its position,
// kind and object.
type custodyBody struct {
	Entry   []byte `json:"entry"`
	Sig     []byte `json:"sig"`
	Salt    []byte `json:"salt"`
	Content []byte `json:"content"`
}

// TreeSize is the number of custody entries as the transaction sees them.
// It takes the writer lock first: the size read is the seq the next
// AppendCustody writes, whatever other processes do meanwhile.
func (t *Tx) TreeSize(ctx context.Context) (int64, error) {
	if err := t.lockWriter(ctx); err != nil {
		return 0, err
	}
	if !t.sized {
		n, err := treeSize(ctx, t.tx)
		if err != nil {
			return 0, err
		}
		t.size, t.sized = n, true
	}
	return t.size, nil
}

// TreeSize is the number of custody entries.
func (db *DB) TreeSize(ctx context.Context) (int64, error) { return treeSize(ctx, db.pool) }

func treeSize(ctx context.Context, q querier) (int64, error) {
	var n int64
	err := q.QueryRow(ctx, `SELECT COALESCE(MAX(seq) + 1, 0) FROM custody`).Scan(&n)
	return n, dberr(err)
}

// AppendCustody stores entry r (r.Seq must be the tree size) and the tree
// hashes its leaf adds.
func (t *Tx) AppendCustody(ctx context.Context, r store.CustodyRow, leafData []byte) error {
	size, err := t.TreeSize(ctx)
	if err != nil {
		return err
	}
	if r.Seq != size {
		return fmt.Errorf("%w: custody entry %d appended to a log of %d entries", evidence.ErrExists, r.Seq, size)
	}
	if t.recent == nil {
		t.recent = map[int64][32]byte{}
	}
	hashes, err := tlog.StoredHashes(r.Seq, leafData, t.cachedReader(ctx))
	if err != nil {
		return fmt.Errorf("%w: tree: %v", evidence.ErrDamaged, err)
	}
	body, err := sealJSON(t.db.c, ad("custody.body", r.Seq), custodyBody{r.Entry, r.Sig, r.Salt, r.Content[:]})
	if err != nil {
		return err
	}
	if _, err := t.tx.Exec(ctx, `INSERT INTO custody (seq, kind, object, body) VALUES ($1, $2, $3, $4)`, r.Seq, r.Kind, r.Object, body); err != nil {
		return dberr(err)
	}
	base := tlog.StoredHashIndex(0, r.Seq)
	idx := make([]int64, len(hashes))
	hs := make([][]byte, len(hashes))
	for i, h := range hashes {
		idx[i], hs[i] = base+int64(i), h[:]
		t.recent[base+int64(i)] = h
	}
	if _, err = t.tx.Exec(ctx, `INSERT INTO tlog_hashes (idx, hash) SELECT * FROM unnest($1::bigint[], $2::bytea[])`, idx, hs); err != nil {
		return dberr(err)
	}
	t.size = r.Seq + 1
	return nil
}

// cachedReader reads hashes written in this transaction from memory.
func (t *Tx) cachedReader(ctx context.Context) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		var missing []int64
		for _, x := range indexes {
			if _, ok := t.recent[x]; !ok {
				missing = append(missing, x)
			}
		}
		if len(missing) > 0 {
			got, err := t.HashReader(ctx).ReadHashes(missing)
			if err != nil {
				return nil, err
			}
			for i, x := range missing {
				t.recent[x] = got[i]
			}
		}
		out := make([]tlog.Hash, len(indexes))
		for i, x := range indexes {
			out[i] = t.recent[x]
		}
		return out, nil
	})
}

type hashReader struct {
	ctx context.Context
	q   querier
}

func (r hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	if len(indexes) == 0 {
		return []tlog.Hash{}, nil
	}
	rows, err := r.q.Query(r.ctx, `SELECT idx, hash FROM tlog_hashes WHERE idx = ANY($1)`, indexes)
	if err != nil {
		return nil, dberr(err)
	}
	got := map[int64][]byte{}
	for rows.Next() {
		var idx int64
		var h []byte
		if err := rows.Scan(&idx, &h); err != nil {
			rows.Close()
			return nil, dberr(err)
		}
		got[idx] = h
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, dberr(err)
	}
	return store.OrderHashes(indexes, got)
}

// HashReader reads the tree hashes as the transaction sees them.
func (t *Tx) HashReader(ctx context.Context) tlog.HashReader { return hashReader{ctx, t.tx} }

// HashReader reads the stored tree hashes.
func (db *DB) HashReader(ctx context.Context) tlog.HashReader { return hashReader{ctx, db.pool} }

// InsertCheckpoint records a signed checkpoint of the tree at size.
func (t *Tx) InsertCheckpoint(ctx context.Context, size int64, note []byte, now time.Time) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO checkpoints (size, note, created_at) VALUES ($1, $2, $3) ON CONFLICT (size) DO NOTHING`,
		size, t.db.c.seal(ad("checkpoints.note", size), note), nanos(now))
	return dberr(err)
}

// LatestCheckpoint returns the newest checkpoint and its size.
func (db *DB) LatestCheckpoint(ctx context.Context) (int64, []byte, error) {
	var size int64
	var note []byte
	err := db.pool.QueryRow(ctx, `SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1`).Scan(&size, &note)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, fmt.Errorf("%w: no checkpoint", evidence.ErrNotFound)
	}
	if err != nil {
		return 0, nil, dberr(err)
	}
	note, err = db.c.open(ad("checkpoints.note", size), note)
	return size, note, err
}

// EachCheckpoint calls fn for every checkpoint, oldest first.
func (db *DB) EachCheckpoint(ctx context.Context, fn func(size int64, note []byte) error) error {
	return db.each(ctx, db.pool, `SELECT size, note FROM checkpoints ORDER BY size`, nil, func(r pgx.Rows) error {
		var size int64
		var note []byte
		if err := r.Scan(&size, &note); err != nil {
			return dberr(err)
		}
		note, err := db.c.open(ad("checkpoints.note", size), note)
		if err != nil {
			return err
		}
		return fn(size, note)
	})
}

// EachStoredHash calls fn for every stored tree hash in index order.
func (db *DB) EachStoredHash(ctx context.Context, fn func(idx int64, h []byte) error) error {
	return db.each(ctx, db.pool, `SELECT idx, hash FROM tlog_hashes ORDER BY idx`, nil, func(r pgx.Rows) error {
		var idx int64
		var h []byte
		if err := r.Scan(&idx, &h); err != nil {
			return dberr(err)
		}
		return fn(idx, h)
	})
}

// EachCustody calls fn for the entries about object ("" for all), in tree
// order.
func (db *DB) EachCustody(ctx context.Context, object string, fn func(store.CustodyRow) error) error {
	q, args := `SELECT seq, kind, object, body FROM custody ORDER BY seq`, []any(nil)
	if object != "" {
		q, args = `SELECT seq, kind, object, body FROM custody WHERE object = $1 ORDER BY seq`, []any{object}
	}
	return db.each(ctx, db.pool, q, args, func(r pgx.Rows) error {
		var row store.CustodyRow
		var body []byte
		if err := r.Scan(&row.Seq, &row.Kind, &row.Object, &body); err != nil {
			return dberr(err)
		}
		var b custodyBody
		if err := openJSON(db.c, ad("custody.body", row.Seq), body, &b); err != nil {
			return err
		}
		if len(b.Content) != len(row.Content) {
			return fmt.Errorf("%w: custody entry %d: bad content digest", evidence.ErrTampered, row.Seq)
		}
		row.Entry, row.Sig, row.Salt = b.Entry, b.Sig, b.Salt
		copy(row.Content[:], b.Content)
		return fn(row)
	})
}

// Time stamps of checkpoints: the size stamped and the token's time in
// the clear, the note, the TSA's URL and the token sealed.

type timestampBody struct {
	Note  []byte `json:"note"`
	TSA   string `json:"tsa"`
	Token []byte `json:"token"`
}

// AddTimestamp stores a token and returns its row's ID.
func (db *DB) AddTimestamp(ctx context.Context, ts store.Timestamp) (int64, error) {
	if ts.Size < 1 || len(ts.Note) == 0 || len(ts.Token) == 0 || ts.TSA == "" {
		return 0, fmt.Errorf("%w: incomplete time stamp", evidence.ErrInvalid)
	}
	// The ID is drawn first: it is part of the sealed body's identity.
	var id int64
	if err := db.pool.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('timestamps', 'id'))`).Scan(&id); err != nil {
		return 0, dberr(err)
	}
	body, err := sealJSON(db.c, ad("timestamps.body", id, ts.Size), timestampBody{ts.Note, ts.TSA, ts.Token})
	if err != nil {
		return 0, err
	}
	_, err = db.pool.Exec(ctx, `INSERT INTO timestamps (id, size, gen_time, body) VALUES ($1, $2, $3, $4)`, id, ts.Size, nanos(ts.GenTime), body)
	return id, dberr(err)
}

// LatestTimestamp returns the token of the largest checkpoint of at most
// maxSize entries, or evidence.ErrNotFound.
func (db *DB) LatestTimestamp(ctx context.Context, maxSize int64) (store.Timestamp, error) {
	var ts store.Timestamp
	var gen int64
	var body []byte
	err := db.pool.QueryRow(ctx, `SELECT id, size, gen_time, body FROM timestamps WHERE size <= $1 ORDER BY size DESC, id DESC LIMIT 1`, maxSize).
		Scan(&ts.ID, &ts.Size, &gen, &body)
	if errors.Is(err, pgx.ErrNoRows) {
		return ts, fmt.Errorf("%w: no time-stamped checkpoint", evidence.ErrNotFound)
	}
	if err != nil {
		return ts, dberr(err)
	}
	var b timestampBody
	if err := openJSON(db.c, ad("timestamps.body", ts.ID, ts.Size), body, &b); err != nil {
		return ts, err
	}
	ts.Note, ts.TSA, ts.Token, ts.GenTime = b.Note, b.TSA, b.Token, fromNanos(gen)
	return ts, nil
}

// Log witnesses: found by a keyed hash of the verifier key.

type witnessBody struct {
	Key string `json:"key"`
	URL string `json:"url"`
}

// AddLogWitness stores a witness; a key stored already is ErrExists.
func (db *DB) AddLogWitness(ctx context.Context, w store.LogWitness) error {
	mac := db.c.lookup("log_witnesses.key", []byte(w.Key))
	body, err := sealJSON(db.c, ad("log_witnesses.body", fmt.Sprintf("%x", mac)), witnessBody{w.Key, w.URL})
	if err != nil {
		return err
	}
	_, err = db.pool.Exec(ctx, `INSERT INTO log_witnesses (mac, body, added_at) VALUES ($1, $2, $3)`, mac, body, nanos(w.AddedAt))
	if isUnique(err) {
		return fmt.Errorf("%w: witness key %s is already configured", evidence.ErrExists, w.Key)
	}
	return dberr(err)
}

// LogWitnesses lists the witnesses, oldest first.
func (db *DB) LogWitnesses(ctx context.Context) ([]store.LogWitness, error) {
	var out []store.LogWitness
	err := db.each(ctx, db.pool, `SELECT mac, body, added_at FROM log_witnesses`, nil, func(r pgx.Rows) error {
		var mac, body []byte
		var at int64
		if err := r.Scan(&mac, &body, &at); err != nil {
			return dberr(err)
		}
		var b witnessBody
		if err := openJSON(db.c, ad("log_witnesses.body", fmt.Sprintf("%x", mac)), body, &b); err != nil {
			return err
		}
		out = append(out, store.LogWitness{Key: b.Key, URL: b.URL, AddedAt: fromNanos(at)})
		return nil
	})
	slices.SortFunc(out, func(a, b store.LogWitness) int {
		if c := a.AddedAt.Compare(b.AddedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out, err
}

// Cosignatures of checkpoints: the size cosigned in the clear, the rest
// sealed.

type cosignatureBody struct {
	Note       []byte `json:"note"`
	Key        string `json:"key"`
	Line       string `json:"line"`
	CosignedAt int64  `json:"at"`
}

// AddCosignature stores a cosignature; the caller has verified it.
func (db *DB) AddCosignature(ctx context.Context, c store.Cosignature) error {
	if c.Size < 1 || len(c.Note) == 0 || c.Key == "" || c.Line == "" {
		return fmt.Errorf("%w: incomplete cosignature", evidence.ErrInvalid)
	}
	var id int64
	if err := db.pool.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('cosignatures', 'id'))`).Scan(&id); err != nil {
		return dberr(err)
	}
	body, err := sealJSON(db.c, ad("cosignatures.body", id, c.Size), cosignatureBody{c.Note, c.Key, c.Line, nanos(c.CosignedAt)})
	if err != nil {
		return err
	}
	_, err = db.pool.Exec(ctx, `INSERT INTO cosignatures (id, size, body) VALUES ($1, $2, $3)`, id, c.Size, body)
	return dberr(err)
}

// LatestCosignatures returns the cosignatures of the largest cosigned
// checkpoint of at most maxSize entries, one per witness (its newest), by
// witness key; the newest row's note decides among notes of one size.
func (db *DB) LatestCosignatures(ctx context.Context, maxSize int64) ([]store.Cosignature, error) {
	var rows []store.Cosignature
	err := db.each(ctx, db.pool, `SELECT id, size, body FROM cosignatures
		WHERE size = (SELECT max(size) FROM cosignatures WHERE size <= $1) ORDER BY id DESC`, []any{maxSize}, func(r pgx.Rows) error {
		var c store.Cosignature
		var body []byte
		if err := r.Scan(&c.ID, &c.Size, &body); err != nil {
			return dberr(err)
		}
		var b cosignatureBody
		if err := openJSON(db.c, ad("cosignatures.body", c.ID, c.Size), body, &b); err != nil {
			return err
		}
		c.Note, c.Key, c.Line, c.CosignedAt = b.Note, b.Key, b.Line, fromNanos(b.CosignedAt)
		rows = append(rows, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return store.NewestCosignatures(rows), nil
}
