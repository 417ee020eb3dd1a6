package archive

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/text/unicode/norm"

	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/store"
)

// Tags on records: a team's own labels, set and lifted in bulk (the web
// app's records list and search page). A tag on a record is a record of
// its own (model.Tag), one per (record, tag): tagging writes version 1,
// lifting a later version with Removed, tagging again another; each with
// its custody entry, through the change path, under the record-edit
// operation. Nothing is overwritten. Tags are shown through the guard.

// TagResult is the outcome of tagging one record of a bulk action.
type TagResult struct {
	Ref   string      `json:"ref"`
	ID    evidence.ID `json:"id,omitzero"`
	Error string      `json:"error,omitempty"`
	Err   error       `json:"-"`
}

// CheckTag normalises a tag: trimmed, NFC, one line of at most
// model.MaxTagLen bytes.
func CheckTag(tag string) (string, error) {
	tag = norm.NFC.String(strings.TrimSpace(tag))
	if err := (&model.Tag{Target: evidence.NewID(), Tag: tag}).Validate(); err != nil {
		return "", fmt.Errorf("%w: a tag: one line of 1 to %d bytes", evidence.ErrInvalid, model.MaxTagLen)
	}
	return tag, nil
}

// tagRows reads the current version of every tag record inside tx, by
// target, then tag.
// A tag on a record in a compartment is sealed in it (its reference to the
// record takes it there): a session that is not a member skips it.
func (a *Archive) tagRows(ctx context.Context, each func(context.Context, string, bool, func(store.RecordRow) error) error) (map[evidence.ID]map[string]tagRow, error) {
	out := map[evidence.ID]map[string]tagRow{}
	err := each(ctx, model.KindTag, true, func(row store.RecordRow) error {
		_, b, err := a.decodeRecordBody(ctx, row)
		if isRestricted(err) {
			return nil
		}
		if err != nil {
			return err
		}
		t := b.(*model.Tag)
		if out[t.Target] == nil {
			out[t.Target] = map[string]tagRow{}
		}
		out[t.Target][t.Tag] = tagRow{row: row, tag: t}
		return nil
	})
	return out, err
}

type tagRow struct {
	row store.RecordRow
	tag *model.Tag
}

// TagMany puts tag on (or, with remove, lifts it from) each of refs, each
// in its own change: one that fails (an unknown record, one not taggable,
// one tagged so already) leaves the others done. It fails as a whole only
// for a role that may not edit records, or a bad tag.
func (a *Archive) TagMany(ctx context.Context, refs []string, tag string, remove bool) ([]TagResult, error) {
	if err := a.allow(OpRecordEdit); err != nil {
		return nil, err
	}
	tag, err := CheckTag(tag)
	if err != nil {
		return nil, err
	}
	out := make([]TagResult, 0, len(refs))
	for _, ref := range refs {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		r := TagResult{Ref: ref}
		id, err := a.tagOne(ctx, ref, tag, remove)
		if err != nil {
			r.Err = a.DiscloseError(err)
			r.Error = r.Err.Error()
		} else {
			r.ID = id
		}
		out = append(out, r)
	}
	return out, nil
}

func (a *Archive) tagOne(ctx context.Context, ref, tag string, remove bool) (evidence.ID, error) {
	id, err := a.resolveRecord(ctx, ref)
	if err != nil {
		return id, err
	}
	_, err = a.change(ctx, OpRecordEdit, func(tx store.Tx, l *logger) error {
		cur, err := tx.LatestRecord(ctx, id)
		if err != nil {
			return err
		}
		if !reviewable(cur.Kind) {
			return fmt.Errorf("%w: %s is %s %s record, which takes no tags", evidence.ErrInvalid, id, article(cur.Kind), cur.Kind)
		}
		all, err := a.tagRows(ctx, tx.EachRecord)
		if err != nil {
			return err
		}
		old, had := all[id][tag]
		switch {
		case !had && remove:
			return fmt.Errorf("%w: record %s does not have this tag", evidence.ErrInvalid, id)
		case !had:
			return a.writeRecord(ctx, tx, l, evidence.NewID(), 1, nil, &model.Tag{Target: id, Tag: tag}, l.now)
		case old.tag.Removed == remove:
			if remove {
				return fmt.Errorf("%w: record %s does not have this tag", evidence.ErrInvalid, id)
			}
			return fmt.Errorf("%w: record %s has this tag already", evidence.ErrInvalid, id)
		}
		return a.writeRecord(ctx, tx, l, old.row.ID, old.row.Version+1, &old.row.Digest, &model.Tag{Target: id, Tag: tag, Removed: remove}, l.now)
	})
	return id, err
}

// Tags returns the tags record ref has now, sorted, through the guard.
func (a *Archive) Tags(ctx context.Context, ref string) ([]string, error) {
	if err := a.allow(OpShow); err != nil {
		return nil, err
	}
	id, err := a.resolveRecord(ctx, ref)
	if err != nil {
		return nil, err
	}
	all, err := a.tagRows(ctx, a.db.EachRecord)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for tag, r := range all[id] {
		if !r.tag.Removed {
			out = append(out, tag)
		}
	}
	slices.Sort(out)
	d, err := a.disclosure(ctx)
	if err != nil {
		return nil, err
	}
	return discloseAs(d, out), nil
}
