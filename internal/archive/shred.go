package archive

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/store"
)

// Shredding a witness's items (docs/protection.md, "Shredding a witness's
// items"): every item taken in since per-item keys exist has a key of its
// own, in a row of its own (store.ItemKey). A withdrawal with ShredItems
// deletes those rows for every item under the witness's consent, in the
// withdrawal's shredding transaction, drops the items' text from the
// search index in the same transaction, and appends a signed "shred" entry
// per item (object: the item ID; version and digest: its current record
// version's) as its tombstone. The pack bytes stay — ciphertext no key
// opens — and so do the item's records and custody entries; the intake
// leaf still commits to its SHA-256. `sori verify` accepts an item without
// its key only with its shred entry.

// WithdrawOptions are the options of WithdrawWitness.
type WithdrawOptions struct {
	// ShredItems also crypto-shreds every item under the witness's
	// consent (a witness who asks for their material to be destroyed).
	ShredItems bool
}

// shredPlan lists the items of witness pseudonym to shred: those that
// have their own key. It refuses, before anything changes, when an item of
// the witness has no key of its own and no shred entry (taken in before
// per-item keys): shredding it is not possible, and doing the rest quietly
// would let the user believe it was done.
func (a *Archive) shredPlan(ctx context.Context, pseudonym string) ([]evidence.ID, error) {
	m, err := a.MaterialOf(ctx, pseudonym)
	if err != nil {
		return nil, err
	}
	if len(m.Unexamined) > 0 {
		return nil, fmt.Errorf("%w: items in compartments %s could not be examined for witness %s (you are not a member), so not every item of theirs can be shredded; nothing was changed: a member of each who holds protection can run this, or be asked to add you (docs/roles.md)",
			evidence.ErrForbidden, strings.Join(m.Unexamined, ", "), pseudonym)
	}
	var keyed, unkeyed []evidence.ID
	for _, id := range m.Items {
		_, err := a.db.ItemKey(ctx, id)
		if err == nil {
			keyed = append(keyed, id)
			continue
		}
		if !errors.Is(err, evidence.ErrNotFound) {
			return nil, err
		}
		done, err := a.shredded(ctx, id)
		if err != nil {
			return nil, err
		}
		if !done {
			unkeyed = append(unkeyed, id)
		}
	}
	if len(unkeyed) > 0 {
		ids := make([]string, len(unkeyed))
		for i, id := range unkeyed {
			ids[i] = id.String()
		}
		return nil, fmt.Errorf("%w: %d of witness %s's items were taken in before items had keys of their own and cannot be shredded: %s; nothing was changed (withdraw without --shred-items; docs/protection.md says what it takes)",
			evidence.ErrInvalid, len(unkeyed), pseudonym, strings.Join(ids, ", "))
	}
	return keyed, nil
}

// shredded reports whether a signed shred entry names item id.
func (a *Archive) shredded(ctx context.Context, id evidence.ID) (bool, error) {
	found := false
	err := a.db.EachCustody(ctx, id.String(), func(r store.CustodyRow) error {
		found = found || r.Kind == custody.KindShred
		return nil
	})
	return found, err
}

// shredItems destroys the keys of items ids inside the shredding
// transaction tx, drops their text from the index and logs a shred entry
// for each.
func (a *Archive) shredItems(ctx context.Context, tx store.Tx, l *logger, ids []evidence.ID) error {
	for _, id := range ids {
		v, err := tx.LatestVersion(ctx, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteItemKey(ctx, id); err != nil {
			if errors.Is(err, evidence.ErrNotFound) {
				return fmt.Errorf("%w: item %s was shredded meanwhile; run the command again", evidence.ErrBusy, id)
			}
			return err
		}
		if err := tx.ExpungeText(ctx, id.String()); err != nil {
			return err
		}
		if err := l.append(ctx, custody.KindShred, id.String(), v.Version, v.Digest, evidence.Digest{}); err != nil {
			return err
		}
	}
	return nil
}
