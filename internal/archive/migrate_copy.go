package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"time"

	"sori/internal/blob"
	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/store"
)

// batcher writes rows to dst in transactions of migrateBatch rows.
type batcher struct {
	ctx context.Context
	dst store.DB
	tx  store.Tx
	n   int
}

// next returns the open transaction, committing the previous one when it
// holds a batch.
func (b *batcher) next() (store.Tx, error) {
	if b.tx != nil && b.n >= migrateBatch {
		if err := b.flush(); err != nil {
			return nil, err
		}
	}
	if b.tx == nil {
		tx, err := b.dst.Begin(b.ctx)
		if err != nil {
			return nil, err
		}
		b.tx, b.n = tx, 0
	}
	b.n++
	return b.tx, nil
}

func (b *batcher) flush() error {
	if b.tx == nil {
		return nil
	}
	err := b.tx.Commit()
	b.tx = nil
	return err
}

func (b *batcher) abort() {
	if b.tx != nil {
		b.tx.Rollback()
		b.tx = nil
	}
}

// copyRows copies every row of src to the empty dst, in order of
// dependence: settings and users, items (under their own content key
// generation), their own keys, item versions, records, purges, custody entries (dst derives
// the tree hashes from each leaf again), checkpoints, the identity vault,
// time stamps, cosignatures and log witnesses. The search index is not
// copied: it is derived, and rebuilt on the copy.
func copyRows(ctx context.Context, src, dst store.DB, res *Migrated) error {
	b := &batcher{ctx: ctx, dst: dst}
	defer b.abort()
	tx, err := b.next()
	if err != nil {
		return err
	}
	err = src.EachMeta(ctx, func(k, v string) error {
		switch k {
		case metaMigrating, "content_gen":
			return nil // the target's own mark; set with SetContentGen below
		}
		return tx.SetMeta(ctx, k, v)
	})
	if err != nil {
		return err
	}
	users, err := src.Users(ctx)
	if err != nil {
		return err
	}
	for _, u := range users {
		if err := tx.InsertUser(ctx, u); err != nil {
			return fmt.Errorf("user %s: %w", u.ID, err)
		}
	}
	if err := b.flush(); err != nil {
		return err
	}

	// Items keep the content key generation they were sealed under; the
	// store accepts an item only under the current one, which follows them.
	gen, err := src.ContentGen(ctx)
	if err != nil {
		return err
	}
	cur := 0
	err = src.EachItem(ctx, func(it store.Item) error {
		tx, err := b.next()
		if err != nil {
			return err
		}
		if it.KeyGen != cur {
			if err := tx.SetContentGen(ctx, it.KeyGen); err != nil {
				return err
			}
			cur = it.KeyGen
		}
		ins, err := tx.InsertItem(ctx, it)
		if err == nil && !ins {
			err = fmt.Errorf("%w: item %s twice", evidence.ErrDamaged, it.ID)
		}
		res.Items++
		return err
	})
	if err != nil {
		return err
	}
	if tx, err = b.next(); err != nil {
		return err
	}
	if err := tx.SetContentGen(ctx, gen); err != nil {
		return err
	}
	// Items' own keys (wrapped; a shredded item has none, and gets none).
	err = src.EachItemKey(ctx, func(k store.ItemKey) error {
		tx, err := b.next()
		if err != nil {
			return err
		}
		return tx.InsertItemKey(ctx, k)
	})
	if err != nil {
		return err
	}
	err = src.EachVersion(ctx, func(v store.Version) error {
		tx, err := b.next()
		if err != nil {
			return err
		}
		if v.Record == nil {
			v.Record = []byte{} // purged: emptied again below
		}
		res.Versions++
		return tx.InsertVersion(ctx, v)
	})
	if err != nil {
		return err
	}
	err = src.EachRecord(ctx, "", false, func(r store.RecordRow) error {
		tx, err := b.next()
		if err != nil {
			return err
		}
		if r.Record == nil {
			r.Record = []byte{}
		}
		res.Records++
		return tx.InsertRecord(ctx, r)
	})
	if err != nil {
		return err
	}
	purged, err := src.Purged(ctx)
	if err != nil {
		return err
	}
	for _, p := range purged {
		tx, err := b.next()
		if err != nil {
			return err
		}
		if err := tx.PurgeVersion(ctx, p); err != nil {
			return err
		}
	}
	err = src.EachCustody(ctx, "", func(r store.CustodyRow) error {
		tx, err := b.next()
		if err != nil {
			return err
		}
		e, err := custody.Unmarshal(r.Entry)
		if err != nil {
			return fmt.Errorf("%w: custody entry %d: %v", evidence.ErrDamaged, r.Seq, err)
		}
		res.Custody++
		return tx.AppendCustody(ctx, r, custody.LeafData(r.Salt, r.Content, e.Sum()))
	})
	if err != nil {
		return err
	}
	err = src.EachCheckpointAt(ctx, func(size int64, note []byte, at time.Time) error {
		tx, err := b.next()
		if err != nil {
			return err
		}
		return tx.InsertCheckpoint(ctx, size, note, at)
	})
	if err != nil {
		return err
	}
	if err := copyVault(ctx, src, b); err != nil {
		return err
	}
	if err := b.flush(); err != nil {
		return err
	}
	// Rows the stores write outside transactions.
	if err := src.EachTimestamp(ctx, func(ts store.Timestamp) error {
		_, err := dst.AddTimestamp(ctx, ts)
		return err
	}); err != nil {
		return err
	}
	if err := src.EachCosignature(ctx, func(c store.Cosignature) error { return dst.AddCosignature(ctx, c) }); err != nil {
		return err
	}
	ws, err := src.LogWitnesses(ctx)
	if err != nil {
		return err
	}
	for _, w := range ws {
		if err := dst.AddLogWitness(ctx, w); err != nil {
			return err
		}
	}
	return nil
}

// copyVault copies the identity vault as it is — wrapped keys and sealed
// entries are copied as ciphertext, opened by nobody — with its withdrawn
// witnesses' tombstones (a placeholder is written and withdrawn, as the
// store keeps nothing else of them) and the hashed names.
func copyVault(ctx context.Context, src store.DB, b *batcher) error {
	rows, err := src.VaultRows(ctx)
	if err != nil {
		return err
	}
	for _, r := range rows {
		tx, err := b.next()
		if err != nil {
			return err
		}
		if !r.Withdrawn {
			if err := tx.InsertVault(ctx, r); err != nil {
				return err
			}
			continue
		}
		placeholder := r
		placeholder.Wrapped, placeholder.Entry, placeholder.Withdrawn = []byte{0}, []byte{0}, false
		if err := tx.InsertVault(ctx, placeholder); err != nil {
			return err
		}
		if _, err := tx.WithdrawVault(ctx, r.Pseudonym, r.WithdrawnAt); err != nil {
			return err
		}
	}
	names, err := src.VaultNames(ctx)
	if err != nil {
		return err
	}
	for entry, ns := range names {
		tx, err := b.next()
		if err != nil {
			return err
		}
		if err := tx.InsertVaultNames(ctx, entry, ns); err != nil {
			return err
		}
	}
	return nil
}

// copyPacks copies every object of src to dst byte for byte, hashing it on
// the way and reading it back from dst to compare. An object dst has
// already (an earlier attempt's) is compared, not copied again.
func copyPacks(ctx context.Context, src, dst blob.Store, res *Migrated) error {
	return src.List(ctx, func(info blob.Info) error {
		want, err := hashObject(ctx, src, info.Name)
		if err != nil {
			return fmt.Errorf("pack %s in the source: %w", info.Name, err)
		}
		if _, err := dst.Stat(ctx, info.Name); errors.Is(err, blob.ErrNotFound) {
			if err := copyObject(ctx, src, dst, info.Name); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		got, err := hashObject(ctx, dst, info.Name)
		if err != nil {
			return fmt.Errorf("pack %s in the target: %w", info.Name, err)
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("%w: pack %s in the target differs from the source's (another archive's object under the same name?)", evidence.ErrTampered, info.Name)
		}
		res.Packs++
		res.PackBytes += info.Size
		return nil
	})
}

func copyObject(ctx context.Context, src, dst blob.Store, name string) error {
	r, err := src.Open(ctx, name, 0, -1)
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := dst.Create(ctx, name)
	if err != nil {
		return err
	}
	defer w.Abort()
	if _, err := io.Copy(w, r); err != nil {
		return fmt.Errorf("pack %s: %w", name, err)
	}
	return w.Commit(ctx)
}

func hashObject(ctx context.Context, s blob.Store, name string) ([]byte, error) {
	r, err := s.Open(ctx, name, 0, -1)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}
