package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"sori/internal/evidence"
	"sori/internal/store"
)

// TreeSize is the number of custody entries (leaves) in the tree.
func (t *Tx) TreeSize(ctx context.Context) (int64, error) {
	var n int64
	err := t.tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq) + 1, 0) FROM custody`).Scan(&n)
	return n, damaged(err)
}

// TreeSize is the number of custody entries (leaves) in the tree.
func (db *DB) TreeSize(ctx context.Context) (int64, error) {
	var n int64
	err := db.sql.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq) + 1, 0) FROM custody`).Scan(&n)
	return n, damaged(err)
}

// AppendCustody stores entry r (r.Seq must be the current tree size) and the
// Merkle tree hashes its leaf adds, inside the transaction.
func (t *Tx) AppendCustody(ctx context.Context, r store.CustodyRow, leafData []byte) error {
	// Entries are appended, never replaced: the sequence number must be
	// the tree's size as this transaction sees it.
	size, err := t.TreeSize(ctx)
	if err != nil {
		return err
	}
	if r.Seq != size {
		return fmt.Errorf("%w: custody entry %d appended to a log of %d entries", evidence.ErrExists, r.Seq, size)
	}
	if t.recent == nil {
		t.recent = map[int64]tlog.Hash{}
	}
	hashes, err := tlog.StoredHashes(r.Seq, leafData, t.cachedReader(ctx))
	if err != nil {
		return fmt.Errorf("%w: tree: %v", evidence.ErrDamaged, err)
	}
	ins, err := t.stmt(ctx, `INSERT INTO custody (seq, kind, object, entry, sig, salt, content) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	if _, err := ins.ExecContext(ctx, r.Seq, r.Kind, r.Object, r.Entry, r.Sig, r.Salt, r.Content[:]); err != nil {
		return damaged(err)
	}
	insHash, err := t.stmt(ctx, `INSERT INTO tlog_hashes (idx, hash) VALUES (?, ?)`)
	if err != nil {
		return err
	}
	base := tlog.StoredHashIndex(0, r.Seq)
	for i, h := range hashes {
		if _, err := insHash.ExecContext(ctx, base+int64(i), h[:]); err != nil {
			return damaged(err)
		}
		t.recent[base+int64(i)] = h
	}
	return nil
}

// cachedReader reads hashes written earlier in this transaction from memory
// and the rest from the database.
func (t *Tx) cachedReader(ctx context.Context) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
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
		for i, x := range indexes {
			out[i] = t.recent[x]
		}
		return out, nil
	})
}

// InsertCheckpoint records a signed checkpoint of the tree at size.
func (t *Tx) InsertCheckpoint(ctx context.Context, size int64, note []byte, now time.Time) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO checkpoints (size, note, created_at) VALUES (?, ?, ?) ON CONFLICT (size) DO NOTHING`,
		size, note, now.UTC().Format(timeFormat))
	return damaged(err)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// hashReader reads stored tree hashes.
type hashReader struct {
	ctx context.Context
	q   querier
}

func (r hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	if len(indexes) == 0 {
		return []tlog.Hash{}, nil
	}
	args := make([]any, len(indexes))
	for i, x := range indexes {
		args[i] = x
	}
	rows, err := r.q.QueryContext(r.ctx, `SELECT idx, hash FROM tlog_hashes WHERE idx IN (?`+strings.Repeat(",?", len(indexes)-1)+`)`, args...)
	if err != nil {
		return nil, damaged(err)
	}
	defer rows.Close()
	got := make(map[int64][]byte, len(indexes))
	for rows.Next() {
		var idx int64
		var h []byte
		if err := rows.Scan(&idx, &h); err != nil {
			return nil, damaged(err)
		}
		got[idx] = h
	}
	if err := rows.Err(); err != nil {
		return nil, damaged(err)
	}
	return store.OrderHashes(indexes, got)
}

// HashReader reads the tree hashes as seen inside the transaction.
func (t *Tx) HashReader(ctx context.Context) tlog.HashReader { return hashReader{ctx, t.tx} }

// HashReader reads the stored tree hashes.
func (db *DB) HashReader(ctx context.Context) tlog.HashReader { return hashReader{ctx, db.sql} }

// LatestCheckpoint returns the newest stored checkpoint note and its size.
func (db *DB) LatestCheckpoint(ctx context.Context) (int64, []byte, error) {
	var size int64
	var note []byte
	err := db.sql.QueryRowContext(ctx, `SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1`).Scan(&size, &note)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, fmt.Errorf("%w: no checkpoint", evidence.ErrNotFound)
	}
	return size, note, damaged(err)
}

// EachCustody calls fn for the custody entries about object ("" for all),
// in tree order.
func (db *DB) EachCustody(ctx context.Context, object string, fn func(store.CustodyRow) error) error {
	q := `SELECT seq, kind, object, entry, sig, salt, content FROM custody ORDER BY seq`
	var args []any
	if object != "" {
		q = `SELECT seq, kind, object, entry, sig, salt, content FROM custody WHERE object = ? ORDER BY seq`
		args = append(args, object)
	}
	rows, err := db.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return damaged(err)
	}
	defer rows.Close()
	for rows.Next() {
		var r store.CustodyRow
		var content []byte
		if err := rows.Scan(&r.Seq, &r.Kind, &r.Object, &r.Entry, &r.Sig, &r.Salt, &content); err != nil {
			return damaged(err)
		}
		if len(content) != len(r.Content) {
			return fmt.Errorf("%w: custody entry %d: bad content digest", evidence.ErrTampered, r.Seq)
		}
		copy(r.Content[:], content)
		if err := fn(r); err != nil {
			return err
		}
	}
	return damaged(rows.Err())
}
