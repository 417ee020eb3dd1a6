package archive

import (
	"context"
	"fmt"
	"slices"

	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/store"
)

// How LinkTestimonyItem adds an item to a testimony.
const (
	LinkOriginal    = "original"    // the original, or a further original when it has one
	LinkTranslation = "translation" // a translation
)

// LinkTestimonyItem adds item to testimony as an original (the first, or a
// further one) or a translation: a new version of the testimony record,
// with its custody entry. The new version is made from the record as
// stored, inside the change's transaction — not from the guarded copy a
// session without protection reads, whose masks would otherwise be written
// into the record. An item already in the testimony, an unknown as, or a
// reference that is not a testimony is an error wrapping evidence.ErrInvalid
// (or ErrNotFound) that changes nothing. It returns the new version.
func (a *Archive) LinkTestimonyItem(ctx context.Context, testimony, item, as string) (int, error) {
	if err := a.allow(OpRecordEdit); err != nil {
		return 0, err
	}
	if as != LinkOriginal && as != LinkTranslation {
		return 0, fmt.Errorf("%w: link an item as %q or %q", evidence.ErrInvalid, LinkOriginal, LinkTranslation)
	}
	tid, err := a.resolveRecord(ctx, testimony)
	if err != nil {
		return 0, err
	}
	iid, err := a.Resolve(ctx, item)
	if err != nil {
		return 0, err
	}
	var version int
	_, err = a.change(ctx, OpRecordEdit, func(tx store.Tx, log *logger) error {
		cur, err := tx.LatestRecord(ctx, tid)
		if err != nil {
			return err
		}
		old, err := a.decodeRecordRow(ctx, cur)
		if err != nil {
			return err
		}
		b, err := model.DecodeBody(old)
		if err != nil {
			return fmt.Errorf("%w: %v", evidence.ErrDamaged, err)
		}
		t, ok := b.(*model.Testimony)
		if !ok {
			return fmt.Errorf("%w: %s is %s %s record, not a testimony", evidence.ErrInvalid, tid, article(old.Kind), old.Kind)
		}
		if slices.Contains(t.Items(), iid) {
			return fmt.Errorf("%w: item %s is already in testimony %s; nothing was changed", evidence.ErrInvalid, iid, tid)
		}
		switch {
		case as == LinkTranslation:
			t.Translations = append(t.Translations, iid)
		case t.Original == nil:
			t.Original = &iid
		default:
			t.Originals = append(t.Originals, iid)
		}
		version = old.Version + 1
		prev := cur.Digest
		return a.writeRecord(ctx, tx, log, tid, version, &prev, t, log.now)
	})
	if err != nil {
		return 0, err
	}
	return version, nil
}
