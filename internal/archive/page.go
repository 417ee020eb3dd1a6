package archive

import (
	"context"

	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/store"
)

// Page is where a paged listing starts: after the item or record After
// (the last of the previous page; the zero ID: from the first), then
// past Skip more of what the listing shows. A page found by After reads
// only the rows from there; Skip passes its rows without decrypting them.
type Page struct {
	After evidence.ID
	// AfterVersion, for records, is the version After had when its page
	// was listed (0: its latest): a record changed since moves to the end
	// of the order, and the next page starts where it was, passing over
	// nothing.
	AfterVersion int
	Skip         int
}

// listing is what a listing needs after the role check: the session's
// disclosure guard and the voided items and records.
func (a *Archive) listing(ctx context.Context) (*discloser, map[evidence.ID]evidence.ID, error) {
	if err := a.allow(OpList); err != nil {
		return nil, nil, err
	}
	d, err := a.disclosure(ctx)
	if err != nil {
		return nil, nil, err
	}
	voided, err := a.voided(ctx)
	return d, voided, err
}

// ListPage is List from p: the items after p.After in intake order, the
// first p.Skip of those left out. An unknown p.After is
// evidence.ErrNotFound.
func (a *Archive) ListPage(ctx context.Context, p Page, fn func(Listed) error, opts ...ReadOption) error {
	d, voided, err := a.listing(ctx)
	if err != nil {
		return err
	}
	all := includesVoided(opts)
	skip := p.Skip
	return a.db.EachLatestAfter(ctx, p.After, func(it store.Item, v store.Version) error {
		if _, ok := voided[it.ID]; ok && !all {
			return nil
		}
		// Every item left is listed (a restricted one as a placeholder):
		// one to skip needs no decrypting.
		if skip > 0 {
			skip--
			return nil
		}
		rec, err := a.decodeVersion(ctx, v)
		if isRestricted(err) {
			// Listed as there, and nothing more: no digest, no size.
			rec.Title = "[restricted: " + a.compartmentName(ctx, rec.Compartment) + "]"
			return fn(Listed{ID: it.ID, Version: v.Version, Record: rec})
		}
		if err != nil {
			return err
		}
		return fn(discloseAs(d, Listed{ID: it.ID, SHA256: it.SHA256, Size: it.Size, Version: v.Version, Record: rec}))
	})
}

// RecordsPage is Records from p: the current records of kind after
// p.After (at p.AfterVersion) in Records' order (the time of their latest
// version, then ID), the first p.Skip of those left out; fn is also given
// each record's version (a next page's AfterVersion). An unknown p.After
// is evidence.ErrNotFound.
func (a *Archive) RecordsPage(ctx context.Context, kind string, p Page, fn func(id evidence.ID, version int, b model.Body) error, opts ...ReadOption) error {
	d, voided, err := a.listing(ctx)
	if err != nil {
		return err
	}
	all := includesVoided(opts)
	skip := p.Skip
	return a.db.EachRecordAfter(ctx, kind, p.After, p.AfterVersion, func(row store.RecordRow) error {
		if _, ok := voided[row.ID]; ok && !all {
			return nil
		}
		// A record outside every compartment is listed: one to skip needs
		// no decrypting. A sealed one is listed only for a member, which
		// opening it tells.
		if skip > 0 && storedCompartment(row.Record) == "" {
			skip--
			return nil
		}
		r, b, err := a.decodeRecordBody(ctx, row)
		if isRestricted(err) {
			return nil // in a compartment this user is not a member of
		}
		if err != nil {
			return err
		}
		if skip > 0 {
			skip--
			return nil
		}
		return fn(r.ID, row.Version, discloseAs(d, b))
	})
}
