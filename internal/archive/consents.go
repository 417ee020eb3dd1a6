package archive

import (
	"context"
	"fmt"

	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/store"
)

// A testimony has at most one consent record; a change of consent is a new
// version of it (SetConsent). AddRecords and UpdateRecord refuse a consent
// record for a testimony that already has one, and setting consent by any
// path takes OpConsent.

// ConsentInfo is a testimony's consent: its record with every version, or
// Found false when none is recorded (the testimony is internal only).
type ConsentInfo struct {
	Testimony evidence.ID `json:"testimony"`
	Found     bool        `json:"found"`
	Record    RecordInfo  `json:"record"`
}

// Consent returns the consent of testimony ref (an ID or unique prefix of
// a testimony record) with all its versions.
func (a *Archive) Consent(ctx context.Context, ref string) (ConsentInfo, error) {
	if err := a.allow(OpShow); err != nil {
		return ConsentInfo{}, err
	}
	tid, err := a.resolveTestimony(ctx, ref)
	if err != nil {
		return ConsentInfo{}, err
	}
	info := ConsentInfo{Testimony: tid}
	cid, ok, err := a.consentRecordOf(ctx, a.db.EachRecord, tid, evidence.ID{})
	if err != nil || !ok {
		return info, err
	}
	info.Found = true
	info.Record, err = a.Record(ctx, cid.String())
	return info, err
}

// SetConsent stores c as the consent of its testimony: version 1 of a new
// consent record when there is none, else a new version of the existing
// one, with its custody entry in the same transaction. If nothing would
// change it writes nothing and reports false. It returns the consent
// record's ID and current version.
func (a *Archive) SetConsent(ctx context.Context, c *model.Consent) (evidence.ID, int, bool, error) {
	if err := a.allow(OpConsent); err != nil {
		return evidence.ID{}, 0, false, err
	}
	if err := c.Validate(); err != nil {
		return evidence.ID{}, 0, false, err
	}
	var id evidence.ID
	version := 0
	changed, err := a.change(ctx, OpConsent, func(tx store.Tx, log *logger) error {
		if kind, err := tx.RecordKind(ctx, c.Testimony); err != nil {
			return fmt.Errorf("testimony %s: %w", c.Testimony, err)
		} else if kind != model.KindTestimony {
			return fmt.Errorf("%w: %s is a %s record, not a testimony", evidence.ErrInvalid, c.Testimony, kind)
		}
		var found bool
		var err error
		id, found, err = a.consentRecordOf(ctx, tx.EachRecord, c.Testimony, evidence.ID{})
		if err != nil {
			return err
		}
		version = 1
		var prev *evidence.Digest
		if found {
			cur, err := tx.LatestRecord(ctx, id)
			if err != nil {
				return err
			}
			old, err := a.decodeRecordRow(ctx, cur)
			if err != nil {
				return err
			}
			version = old.Version
			if string(model.EncodeBody(c)) == string(old.Body) {
				return nil // nothing would change: nothing is written
			}
			version, prev = old.Version+1, &cur.Digest
		} else {
			id = evidence.NewID()
		}
		return a.writeRecord(ctx, tx, log, id, version, prev, c, log.now)
	})
	if err != nil {
		return id, 0, false, err
	}
	if changed {
		a.log.Info("consent set", "record", id.String(), "version", version)
	}
	return id, version, changed, nil
}

// resolveTestimony turns ref into the ID of a testimony record.
func (a *Archive) resolveTestimony(ctx context.Context, ref string) (evidence.ID, error) {
	id, err := a.resolveRecord(ctx, ref)
	if err != nil {
		return id, err
	}
	rows, err := a.db.RecordVersions(ctx, id)
	if err != nil {
		return id, err
	}
	if len(rows) == 0 || rows[0].Kind != model.KindTestimony {
		kind := "missing"
		if len(rows) > 0 {
			kind = rows[0].Kind
		}
		return id, fmt.Errorf("%w: %s is a %s record, not a testimony", evidence.ErrInvalid, id, kind)
	}
	return id, nil
}

type eachRecordFunc func(ctx context.Context, kind string, latestOnly bool, fn func(store.RecordRow) error) error

// consentRecordOf finds the consent record (other than except) whose
// current version is about testimony t.
func (a *Archive) consentRecordOf(ctx context.Context, each eachRecordFunc, t, except evidence.ID) (evidence.ID, bool, error) {
	var found evidence.ID
	ok := false
	err := each(ctx, model.KindConsent, true, func(row store.RecordRow) error {
		if ok || row.ID == except {
			return nil
		}
		_, b, err := a.decodeRecordBody(ctx, row)
		if isRestricted(err) {
			return nil // in a compartment this user is not a member of
		}
		if err != nil {
			return err
		}
		if c, is := b.(*model.Consent); is && c.Testimony == t {
			found, ok = row.ID, true
		}
		return nil
	})
	return found, ok, err
}

// checkOneConsent is part of writing a record: a consent record must be
// the only one of its testimony, and only roles that may set consent write
// one, whichever path (record add, import, edit) it comes by.
func (a *Archive) checkOneConsent(ctx context.Context, tx store.Tx, id evidence.ID, b model.Body) error {
	c, ok := b.(*model.Consent)
	if !ok {
		return nil
	}
	if err := a.allow(OpConsent); err != nil {
		return err
	}
	other, dup, err := a.consentRecordOf(ctx, tx.EachRecord, c.Testimony, id)
	if err != nil {
		return err
	}
	if dup {
		return fmt.Errorf("%w: testimony %s already has a consent record (%s); a testimony has one, changed with 'sori consent set %s'",
			evidence.ErrInvalid, c.Testimony, other, c.Testimony.String()[:12])
	}
	return nil
}
