package store

import (
	"context"
	"fmt"

	"sori/internal/evidence"
)

// Batcher is a Tx that writes many rows of one kind in a few round trips
// to its database: a driver on a server, where each statement costs a
// round trip, has it; an embedded one need not. Each method does what
// the one-row method of Tx does for every row, in order, with the same
// checks (an existing key or version is refused in Go before anything of
// the batch is written). After an error the transaction may hold part of
// the batch: roll it back.
//
// Callers use the functions InsertItems, InsertItemKeys, InsertVersions
// and AppendCustodyRows, which fall back to one row at a time.
type Batcher interface {
	InsertItems(ctx context.Context, items []Item) ([]bool, error)
	InsertItemKeys(ctx context.Context, keys []ItemKey) error
	InsertVersions(ctx context.Context, vs []Version) error
	AppendCustodyRows(ctx context.Context, rows []CustodyRow, leafData [][]byte) error
}

// InsertItems is tx.InsertItem for each of items, in order: inserted[i]
// reports whether items[i] was (an item whose ID is an earlier one's in
// the same batch is not).
func InsertItems(ctx context.Context, tx Tx, items []Item) (inserted []bool, err error) {
	if b, ok := tx.(Batcher); ok {
		return b.InsertItems(ctx, items)
	}
	inserted = make([]bool, len(items))
	for i, it := range items {
		if inserted[i], err = tx.InsertItem(ctx, it); err != nil {
			return nil, err
		}
	}
	return inserted, nil
}

// InsertItemKeys is tx.InsertItemKey for each of keys.
func InsertItemKeys(ctx context.Context, tx Tx, keys []ItemKey) error {
	if b, ok := tx.(Batcher); ok {
		return b.InsertItemKeys(ctx, keys)
	}
	for _, k := range keys {
		if err := tx.InsertItemKey(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// InsertVersions is tx.InsertVersion for each of vs.
func InsertVersions(ctx context.Context, tx Tx, vs []Version) error {
	if b, ok := tx.(Batcher); ok {
		return b.InsertVersions(ctx, vs)
	}
	for _, v := range vs {
		if err := tx.InsertVersion(ctx, v); err != nil {
			return err
		}
	}
	return nil
}

// AppendCustodyRows is tx.AppendCustody for each row with its leaf data
// (rows[i].Seq must be the tree size plus i).
func AppendCustodyRows(ctx context.Context, tx Tx, rows []CustodyRow, leafData [][]byte) error {
	if len(rows) != len(leafData) {
		return fmt.Errorf("%w: %d custody entries with %d leaves", evidence.ErrInvalid, len(rows), len(leafData))
	}
	if b, ok := tx.(Batcher); ok {
		return b.AppendCustodyRows(ctx, rows, leafData)
	}
	for i, r := range rows {
		if err := tx.AppendCustody(ctx, r, leafData[i]); err != nil {
			return err
		}
	}
	return nil
}
