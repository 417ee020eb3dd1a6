package archive

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"sori/internal/evidence"
	"sori/internal/store"
)

// What an export may carry (docs/roles.md, "Consent"): an item that is the
// original or a translation of a testimony — as the testimony record says,
// or as the item's own record says it translates such an item — leaves the
// archive only when the testimony's consent allows court use, never as
// audio under no_audio nor as video or image under no_video, and never
// once its witness was withdrawn from the identity vault, whatever the
// consent record says. Items of no testimony export as before.

// ExportRecord is a model record carried in a bundle with every version
// and their custody entries: the consent records of the exported items'
// testimonies, and those testimonies' records.
type ExportRecord struct {
	ID        evidence.ID
	Testimony evidence.ID       // the testimony it is the consent of (a testimony: itself)
	Items     []evidence.ID     // the exported items of that testimony, sorted
	Versions  []store.RecordRow // oldest first; Record is the canonical record
	Entries   []ExportEntry     // its custody entries, oldest first
}

// exportRefused checks every item of ids against the consent of its
// testimony and returns the consent records the bundle carries (by ID,
// one per testimony with one, versions and entries not yet filled in). A refusal names every refused item
// with its reason at once (evidence.ErrInvalid); nothing is logged.
func (a *Archive) exportRefused(ctx context.Context, ids []evidence.ID) ([]ExportRecord, error) {
	v, err := a.readConsent(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := a.db.VaultRows(ctx)
	if err != nil {
		return nil, err
	}
	withdrawn := map[string]bool{}
	for _, r := range rows {
		withdrawn[r.Pseudonym] = r.Withdrawn
	}
	voided, err := a.voided(ctx)
	if err != nil {
		return nil, err
	}
	var refused []string
	var consents []ExportRecord
	seen := map[evidence.ID]int{} // testimony → index in consents
	for _, id := range ids {
		if vid, ok := voided[id]; ok {
			refused = append(refused, fmt.Sprintf("item %s: voided by %s (lift the void to export it)", id, vid))
			continue
		}
		vs, err := a.db.Versions(ctx, id)
		if err != nil {
			return nil, err
		}
		if len(vs) == 0 {
			return nil, fmt.Errorf("%w: item %s has no record", evidence.ErrDamaged, id)
		}
		rec, err := a.decodeVersion(ctx, vs[len(vs)-1])
		if err != nil {
			return nil, err
		}
		t, ok := v.ofItem[id]
		if !ok && rec.TranslationOf != nil {
			t, ok = v.ofItem[*rec.TranslationOf]
		}
		if !ok {
			// An item tagged with a witness and linked to no testimony
			// falls under the witness's consent all the same.
			if why := taggedRefusal(v, withdrawn, rec); why != "" {
				refused = append(refused, fmt.Sprintf("item %s (%s of witness %s): %s", id, rec.Kind, rec.Witness, why))
			}
			continue
		}
		c, recorded := v.of(t)
		if recorded {
			k, ok := seen[t]
			if !ok {
				k = len(consents)
				seen[t] = k
				consents = append(consents, ExportRecord{ID: v.consentID[t], Testimony: t})
			}
			consents[k].Items = append(consents[k].Items, id) // ids are sorted
		}
		var why []string
		if tm := v.testimony[t]; tm != nil && withdrawn[tm.Witness] {
			why = append(why, fmt.Sprintf("its witness %s withdrew from the identity vault", tm.Witness))
		} else if rec.Witness != "" && withdrawn[rec.Witness] {
			why = append(why, fmt.Sprintf("the witness it is tagged with, %s, withdrew from the identity vault", rec.Witness))
		}
		if !ScopeAllows(c.Scope, ScopeCourt) {
			s := "no consent is recorded (internal use only)"
			if recorded {
				s = fmt.Sprintf("its consent is %q", scopeLabel(c.Scope))
			}
			why = append(why, s+", and export needs court use")
		}
		if c.NoAudio && rec.Kind == evidence.Audio {
			why = append(why, "its consent excludes audio")
		}
		if c.NoVideo && (rec.Kind == evidence.Video || rec.Kind == evidence.Image) {
			why = append(why, "its consent excludes video and images")
		}
		if len(why) > 0 {
			refused = append(refused, fmt.Sprintf("item %s (%s of testimony %s): %s", id, rec.Kind, t, strings.Join(why, "; ")))
		}
	}
	if len(refused) > 0 {
		return nil, fmt.Errorf("%w: consent does not allow exporting %d item(s), nothing was exported:\n  %s\n(see 'sori consent show TESTIMONY'; 'sori consent set' records a change of consent)",
			evidence.ErrInvalid, len(refused), strings.Join(refused, "\n  "))
	}
	slices.SortFunc(consents, func(x, y ExportRecord) int { return strings.Compare(x.ID.String(), y.ID.String()) })
	return consents, nil
}

// taggedRefusal is why an item linked to no testimony may not be
// exported, or "": tagged with a withdrawn witness, with a witness who has
// no consent recorded yet, or with one whose consent does not allow it.
func taggedRefusal(v *consentView, withdrawn map[string]bool, rec evidence.ItemRecord) string {
	if rec.Witness == "" {
		return ""
	}
	if withdrawn[rec.Witness] {
		return "the witness withdrew from the identity vault"
	}
	c, ok := v.ofTagged(rec.Witness)
	if !ok {
		return fmt.Sprintf("witness %s has no consent recorded yet: link the item to a testimony (sori testimony edit ID --original ITEM) and set its consent ('sori consent set TESTIMONY --scope court')", rec.Witness)
	}
	var why []string
	if !ScopeAllows(c.Scope, ScopeCourt) {
		why = append(why, fmt.Sprintf("the witness's consent is %q, and export needs court use", scopeLabel(c.Scope)))
	}
	if c.NoAudio && rec.Kind == evidence.Audio {
		why = append(why, "the witness's consent excludes audio")
	}
	if c.NoVideo && (rec.Kind == evidence.Video || rec.Kind == evidence.Image) {
		why = append(why, "the witness's consent excludes video and images")
	}
	return strings.Join(why, "; ")
}

// exportRecord gathers the versions and custody entries of a record of
// kind for a bundle.
func (a *Archive) exportRecord(ctx context.Context, xr ExportRecord, kind string, entry func(store.CustodyRow) (ExportEntry, error)) (ExportRecord, error) {
	id := xr.ID
	rows, err := a.db.RecordVersions(ctx, id)
	if err != nil {
		return ExportRecord{}, err
	}
	for _, row := range rows {
		if purgedBody(row.Record) {
			// Carried by its digest; its purge entry is among the
			// record's custody entries (bundle spec, step 8).
			xr.Versions = append(xr.Versions, row)
			continue
		}
		r, err := a.decodeRecordRow(ctx, row)
		if err != nil {
			return xr, err
		}
		if r.Kind != kind {
			return xr, fmt.Errorf("%w: record %s is not a %s record", evidence.ErrTampered, id, kind)
		}
		if row.Record, _, err = a.openStored(ctx, row.Record, recordPlace(id, row.Version)); err != nil {
			return xr, err
		}
		xr.Versions = append(xr.Versions, row)
	}
	err = a.db.EachCustody(ctx, id.String(), func(r store.CustodyRow) error {
		e, err := entry(r)
		xr.Entries = append(xr.Entries, e)
		return err
	})
	return xr, err
}
