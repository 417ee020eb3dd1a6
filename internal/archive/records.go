package archive

import (
	"context"
	"errors"

	"fmt"
	"time"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/store"
)

// roleKinds says which kinds of record each reference role may point to.
var roleKinds = map[string][]string{
	"event":       {model.KindEvent},
	"victim":      {model.KindPerson},
	"act":         {model.KindAct},
	"perpetrator": {model.KindPerson},
	"source":      {model.KindTestimony, model.KindPerson},
	"testimony":   {model.KindTestimony},
	"target":      {model.KindEvent, model.KindAct, model.KindPerson, model.KindPlace, model.KindInvolvement, model.KindInformation, model.KindTestimony},
	"reviewed":    {model.KindTestimony, model.KindEvent, model.KindAct, model.KindInvolvement, model.KindPerson, model.KindPlace, model.KindInformation, model.KindAnnotation, model.KindConsent, model.KindRedaction},
	"tagged":      {model.KindTestimony, model.KindEvent, model.KindAct, model.KindInvolvement, model.KindPerson, model.KindPlace, model.KindInformation, model.KindAnnotation, model.KindConsent, model.KindRedaction},
	"voided":      {model.KindTestimony, model.KindEvent, model.KindAct, model.KindInvolvement, model.KindPerson, model.KindPlace, model.KindInformation, model.KindAnnotation, model.KindConsent, model.KindRedaction},
}

// AddRecords validates bodies and stores each as version 1 of a new
// record, all in one transaction with their custody entries: all or
// nothing. A body's references may point to records earlier in the same
// call (pass IDs from NewRecordIDs). It returns the new IDs in order.
func (a *Archive) AddRecords(ctx context.Context, bodies []model.Body, ids []evidence.ID) ([]evidence.ID, error) {
	if err := a.allow(OpRecordAdd); err != nil {
		return nil, err
	}
	for _, b := range bodies {
		if err := ownCommandOnly(b); err != nil {
			return nil, err
		}
	}
	return a.addRecords(ctx, OpRecordAdd, bodies, ids)
}

// AddRecordsIn is AddRecords into compartment (name): the records are
// sealed under its key (compartment.go). The acting user must be a member.
func (a *Archive) AddRecordsIn(ctx context.Context, compartment string, bodies []model.Body, ids []evidence.ID) ([]evidence.ID, error) {
	if compartment == "" {
		return a.AddRecords(ctx, bodies, ids)
	}
	if err := a.allow(OpRecordAdd); err != nil {
		return nil, err
	}
	for _, b := range bodies {
		if err := ownCommandOnly(b); err != nil {
			return nil, err
		}
	}
	return a.addRecordsInto(ctx, OpRecordAdd, compartment, bodies, ids)
}

// addRecords is AddRecords for an operation op (redact, void) whose role
// check the change repeats inside its transaction.
func (a *Archive) addRecords(ctx context.Context, op Op, bodies []model.Body, ids []evidence.ID) ([]evidence.ID, error) {
	return a.addRecordsInto(ctx, op, "", bodies, ids)
}

func (a *Archive) addRecordsInto(ctx context.Context, op Op, into string, bodies []model.Body, ids []evidence.ID) ([]evidence.ID, error) {
	if ids == nil {
		ids = NewRecordIDs(len(bodies))
	}
	if len(ids) != len(bodies) {
		return nil, fmt.Errorf("%w: %d IDs for %d records", evidence.ErrInvalid, len(ids), len(bodies))
	}
	_, err := a.change(ctx, op, func(tx store.Tx, log *logger) error {
		log.into = into
		for i, b := range bodies {
			if err := a.writeRecord(ctx, tx, log, ids[i], 1, nil, b, log.now); err != nil {
				if len(bodies) > 1 {
					return fmt.Errorf("record %d: %w", i+1, err)
				}
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// NewRecordIDs returns n fresh record IDs.
func NewRecordIDs(n int) []evidence.ID {
	ids := make([]evidence.ID, n)
	for i := range ids {
		ids[i] = evidence.NewID()
	}
	return ids
}

// AddRecord stores one new record and returns its ID.
func (a *Archive) AddRecord(ctx context.Context, b model.Body) (evidence.ID, error) {
	if err := a.allow(OpRecordAdd); err != nil {
		return evidence.ID{}, err
	}
	ids, err := a.AddRecords(ctx, []model.Body{b}, nil)
	if err != nil {
		return evidence.ID{}, err
	}
	return ids[0], nil
}

// UpdateRecord writes a new version of record ref with body b (of the same
// kind). If nothing would change it writes nothing and reports false.
func (a *Archive) UpdateRecord(ctx context.Context, ref string, b model.Body) (int, bool, error) {
	if err := a.allow(OpRecordEdit); err != nil {
		return 0, false, err
	}
	if err := ownCommandOnly(b); err != nil {
		return 0, false, err
	}
	id, err := a.resolveRecord(ctx, ref)
	if err != nil {
		return 0, false, err
	}
	return a.updateRecord(ctx, OpRecordEdit, id, b)
}

// updateRecord is UpdateRecord for an operation op (redact withdraw,
// void) whose role check the change repeats inside its transaction.
func (a *Archive) updateRecord(ctx context.Context, op Op, id evidence.ID, b model.Body) (int, bool, error) {
	return a.editRecord(ctx, op, id, func(model.Body) (model.Body, error) { return b, nil })
}

// EditRecord writes a new version of record ref made by edit from its
// current body as stored — not as the session reads it: a user without
// protection reads sealed names masked, and a version built from that copy
// (as 'sori event edit' did) would write the masks into the record for
// good. edit runs inside the change's transaction; it gets what the user
// may not be shown, and must neither keep nor show it. Its error, like every
// error here, passes the disclosure guard. It returns the version and
// whether anything changed (an identical body writes nothing).
func (a *Archive) EditRecord(ctx context.Context, ref string, edit func(current model.Body) (model.Body, error)) (int, bool, error) {
	if err := a.allow(OpRecordEdit); err != nil {
		return 0, false, err
	}
	id, err := a.resolveRecord(ctx, ref)
	if err != nil {
		return 0, false, err
	}
	v, changed, err := a.editRecord(ctx, OpRecordEdit, id, func(cur model.Body) (model.Body, error) {
		b, err := edit(cur)
		if err != nil {
			return nil, err
		}
		return b, ownCommandOnly(b)
	})
	return v, changed, a.DiscloseError(err)
}

func (a *Archive) editRecord(ctx context.Context, op Op, id evidence.ID, edit func(model.Body) (model.Body, error)) (int, bool, error) {
	var version int
	changed, err := a.change(ctx, op, func(tx store.Tx, log *logger) error {
		cur, err := tx.LatestRecord(ctx, id)
		if err != nil {
			return err
		}
		old, err := a.decodeRecordRow(ctx, cur)
		if err != nil {
			return err
		}
		body, err := model.DecodeBody(old)
		if err != nil {
			return fmt.Errorf("%w: %v", evidence.ErrDamaged, err)
		}
		b, err := edit(body)
		if err != nil {
			return err
		}
		if old.Kind != b.Kind() {
			return fmt.Errorf("%w: record %s is a %s, not a %s", evidence.ErrInvalid, id, old.Kind, b.Kind())
		}
		if err := a.checkProtectionChange(old, b); err != nil {
			return err
		}
		version = old.Version
		if string(model.EncodeBody(b)) == string(old.Body) {
			return nil // nothing would change: nothing is written
		}
		version++
		prev := cur.Digest
		return a.writeRecord(ctx, tx, log, id, version, &prev, b, log.now)
	})
	if err != nil {
		return 0, false, err
	}
	return version, changed, nil
}

func (a *Archive) writeRecord(ctx context.Context, tx store.Tx, log *logger, id evidence.ID, version int, prev *evidence.Digest, b model.Body, now time.Time) error {
	if err := b.Validate(); err != nil {
		return err
	}
	if _, ok := b.(*model.Void); ok && !Permits(a.me.Role, OpVoid) {
		return a.allow(OpVoid)
	}
	if err := a.checkRefs(ctx, tx, b); err != nil {
		return err
	}
	if err := a.checkOneConsent(ctx, tx, id, b); err != nil {
		return err
	}
	if rd, ok := b.(*model.Redaction); ok {
		if err := a.checkRedactionSpan(ctx, tx, rd); err != nil {
			return err
		}
	}
	cid, err := a.recordCompartment(ctx, tx, log, id, version, b)
	if err != nil {
		return err
	}
	r := model.Record{V: model.RecordVersion, Kind: b.Kind(), ID: id, Version: version, Prev: prev, Time: now, Actor: a.me.ID, Body: model.EncodeBody(b), Compartment: cid}
	body := r.Marshal()
	digest := evidence.Sum(body)
	stored, err := a.sealInto(ctx, tx.Meta, cid, recordPlace(id, version), body)
	if err != nil {
		return err
	}
	if err := tx.InsertRecord(ctx, store.RecordRow{ID: id, Version: version, Kind: r.Kind, Record: stored, Digest: digest, CreatedAt: now, Actor: a.me.ID}); err != nil {
		return err
	}
	if err := log.appendFor(ctx, custody.KindRecord, r.Kind, id.String(), version, digest, evidence.Digest{}); err != nil {
		return err
	}
	if cid != "" {
		// Nothing of a compartment enters the shared index; a record
		// moved into one leaves it.
		if log.move {
			return unindex(ctx, tx, id.String())
		}
		return nil
	}
	doc, parts := recordDoc(id, b)
	guard, err := log.nameGuard(ctx)
	if err != nil {
		return err
	}
	doc.Title = maskNames(doc.Title, guard, "[…]")
	for i := range parts {
		parts[i] = maskNames(parts[i], guard, " ")
	}
	if err := tx.IndexDoc(ctx, doc, parts); err != nil {
		return err
	}
	if an, ok := b.(*model.Annotation); ok && !an.Target.IsZero() {
		return tx.LinkAnnotation(ctx, id.String(), an.Item.String(), an.Target.String())
	}
	if version > 1 {
		return tx.RefreshLinked(ctx, id.String()) // items annotated with it follow its filters
	}
	return nil
}

// checkProtectionChange refuses a change of a person's protected flag or
// pseudonym by a role that may not set consent: deciding who is shielded
// in publication is the protection officer's and the investigator's call,
// not an analyst's. Marking a new person protected (AddRecords) is open to
// every writer.
func (a *Archive) checkProtectionChange(old model.Record, b model.Body) error {
	p, ok := b.(*model.Person)
	if !ok || Permits(a.me.Role, OpConsent) {
		return nil
	}
	ob, err := model.DecodeBody(old)
	if err != nil {
		return fmt.Errorf("%w: %v", evidence.ErrDamaged, err)
	}
	o := ob.(*model.Person)
	if o.Protected != p.Protected || o.Pseudonym != p.Pseudonym {
		return fmt.Errorf("%w: role %s may not change whether a person is protected, or their pseudonym (a role that may set consent can; docs/roles.md)", evidence.ErrForbidden, a.me.Role)
	}
	return nil
}

// checkRefs makes sure every reference points to something of the right kind.
func (a *Archive) checkRefs(ctx context.Context, tx store.Tx, b model.Body) error {
	for _, r := range b.Refs() {
		if r.Item {
			it, err := tx.Item(ctx, r.ID)
			if err != nil {
				return fmt.Errorf("%s %s: %w", r.Role, r.ID, err)
			}
			if an, ok := b.(*model.Annotation); ok {
				if int64(an.End) > it.Size {
					return fmt.Errorf("%w: span %d:%d lies beyond the end of item %s (%d bytes)", evidence.ErrInvalid, an.Start, an.End, r.ID, it.Size)
				}
				if err := a.checkAnnotationSpan(ctx, tx, it, an); err != nil {
					return err
				}
			}
			continue
		}
		kind, err := tx.RecordKind(ctx, r.ID)
		if err != nil {
			return fmt.Errorf("%s %s: %w", r.Role, r.ID, err)
		}
		ok := false
		for _, k := range roleKinds[r.Role] {
			ok = ok || k == kind
		}
		if !ok {
			return fmt.Errorf("%w: %s %s is a %s record", evidence.ErrInvalid, r.Role, r.ID, kind)
		}
	}
	return nil
}

func (a *Archive) resolveRecord(ctx context.Context, ref string) (evidence.ID, error) {
	id, item, err := a.ResolveAny(ctx, ref)
	if err != nil {
		return id, err
	}
	if item {
		return id, fmt.Errorf("%w: %s is an evidence item, not a record", evidence.ErrInvalid, id)
	}
	return id, nil
}

// ResolveAny turns an ID or unique prefix into the ID of an item or a
// record, saying which.
func (a *Archive) ResolveAny(ctx context.Context, s string) (evidence.ID, bool, error) {
	if err := a.allow(OpShow); err != nil {
		return evidence.ID{}, false, err
	}
	p, err := evidence.CheckPrefix(s)
	if err != nil {
		return evidence.ID{}, false, err
	}
	return a.db.ResolveAny(ctx, p)
}

// RecordInfo is a record with all its versions, oldest first.
type RecordInfo struct {
	ID       evidence.ID         `json:"id"`
	Kind     string              `json:"kind"`
	Versions []RecordVersionInfo `json:"versions"`
	Current  model.Body          `json:"-"`
	// Compartment is the name of the compartment the record is in ("" none).
	Compartment string `json:"compartment,omitempty"`
}

// RecordVersionInfo is one version as shown to users.
type RecordVersionInfo struct {
	Version   int              `json:"version"`
	Prev      *evidence.Digest `json:"prev,omitempty"`
	Time      time.Time        `json:"time"`
	Actor     string           `json:"actor"`      // key ID, as in item versions
	ActorName string           `json:"actor_name"` // the user's name
	Digest    evidence.Digest  `json:"digest"`
	Body      model.Body       `json:"body"`
	Purged    bool             `json:"purged,omitempty"` // the body was destroyed (sori purge); Body is nil
}

// Record returns a record and all its versions, each checked against its
// digest.
func (a *Archive) Record(ctx context.Context, ref string) (RecordInfo, error) {
	if err := a.allow(OpShow); err != nil {
		return RecordInfo{}, err
	}
	id, err := a.resolveRecord(ctx, ref)
	if err != nil {
		return RecordInfo{}, err
	}
	rows, err := a.db.RecordVersions(ctx, id)
	if err != nil {
		return RecordInfo{}, err
	}
	if len(rows) == 0 {
		return RecordInfo{}, fmt.Errorf("%w: no record %s", evidence.ErrNotFound, id)
	}
	d, err := a.disclosure(ctx)
	if err != nil {
		return RecordInfo{}, err
	}
	names := a.userNames(ctx)
	info := RecordInfo{ID: id, Kind: rows[0].Kind}
	for _, row := range rows {
		if purgedBody(row.Record) {
			info.Versions = append(info.Versions, RecordVersionInfo{Version: row.Version, Time: row.CreatedAt, Actor: row.Actor, ActorName: names(row.Actor), Digest: row.Digest, Purged: true})
			continue
		}
		r, err := a.decodeRecordRow(ctx, row)
		if err != nil {
			return info, err
		}
		b, err := model.DecodeBody(r)
		if err != nil {
			return info, fmt.Errorf("%w: %v", evidence.ErrDamaged, err)
		}
		info.Versions = append(info.Versions, RecordVersionInfo{Version: r.Version, Prev: r.Prev, Time: r.Time, Actor: r.Actor, ActorName: names(r.Actor), Digest: row.Digest, Body: b})
		info.Current = b
		info.Compartment = r.Compartment
	}
	if info.Compartment != "" {
		info.Compartment = a.compartmentName(ctx, info.Compartment)
	}
	return discloseAs(d, info), nil
}

// Records calls fn with the current version of every record of kind ("" for
// all), oldest first; voided records only with IncludeVoided.
func (a *Archive) Records(ctx context.Context, kind string, fn func(evidence.ID, model.Body) error, opts ...ReadOption) error {
	return a.RecordsPage(ctx, kind, Page{}, func(id evidence.ID, _ int, b model.Body) error { return fn(id, b) }, opts...)
}

// eachCurrent is Records without the role check, for the archive's own use.
func (a *Archive) eachCurrent(ctx context.Context, kind string, fn func(evidence.ID, model.Body) error) error {
	return a.db.EachRecord(ctx, kind, true, func(row store.RecordRow) error {
		r, b, err := a.decodeRecordBody(ctx, row)
		if isRestricted(err) {
			return nil // in a compartment this user is not a member of
		}
		if err != nil {
			return err
		}
		return fn(r.ID, b)
	})
}

// decodeRecordBody is decodeRecordRow and the record's body.
func (a *Archive) decodeRecordBody(ctx context.Context, row store.RecordRow) (model.Record, model.Body, error) {
	r, err := a.decodeRecordRow(ctx, row)
	if err != nil {
		return r, nil, err
	}
	b, err := model.DecodeBody(r)
	if err != nil {
		return r, nil, fmt.Errorf("%w: %v", evidence.ErrDamaged, err)
	}
	return r, b, nil
}

// decodeRecordRow decodes a stored record version, opening it if it is
// sealed in a compartment. In a compartment the session's user is not a
// member of, it returns the envelope's fields (no body) and an error
// wrapping errRestricted.
func (a *Archive) decodeRecordRow(ctx context.Context, row store.RecordRow) (model.Record, error) {
	plain, cid, err := a.openStored(ctx, row.Record, recordPlace(row.ID, row.Version))
	if err != nil {
		if errors.Is(err, errRestricted) {
			return model.Record{V: model.RecordVersion, Kind: row.Kind, ID: row.ID, Version: row.Version, Time: row.CreatedAt, Actor: row.Actor, Compartment: cid}, err
		}
		return model.Record{}, fmt.Errorf("record %s version %d: %w", row.ID, row.Version, err)
	}
	if evidence.Sum(plain) != row.Digest {
		return model.Record{}, fmt.Errorf("%w: record %s version %d does not match its digest", evidence.ErrTampered, row.ID, row.Version)
	}
	r, err := model.Unmarshal(plain)
	if err != nil {
		return r, err
	}
	if r.ID != row.ID || r.Version != row.Version || r.Kind != row.Kind {
		return r, fmt.Errorf("%w: record %s version %d names another record", evidence.ErrTampered, row.ID, row.Version)
	}
	if r.Compartment != cid {
		return r, fmt.Errorf("%w: record %s version %d: record and its seal name different compartments", evidence.ErrTampered, row.ID, row.Version)
	}
	return r, nil
}
