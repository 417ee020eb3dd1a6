package archive

import (
	"context"
	"fmt"

	"sori/internal/evidence"
	"sori/internal/model"
)

// Corrections that keep the audit trail. A void (model.Void) hides a
// record or an item made by mistake from every listing, search, export
// and publication, as a signed record of its own; the voided version stays
// in the archive and the custody log, and a later version of the void
// (Lifted) undoes it.

// VoidInfo is the current version of one void.
type VoidInfo struct {
	ID      evidence.ID `json:"id"`
	Version int         `json:"version"`
	Target  evidence.ID `json:"target"`
	Item    bool        `json:"item"` // the target is an evidence item
	Reason  string      `json:"reason"`
	Lifted  bool        `json:"lifted"`
}

// ReadOption changes what a listing returns.
type ReadOption int

// IncludeVoided lists voided records and items too (sori ls --all).
const IncludeVoided ReadOption = 1

func includesVoided(opts []ReadOption) bool {
	for _, o := range opts {
		if o == IncludeVoided {
			return true
		}
	}
	return false
}

// Void hides the record or item ref (ID or unique prefix) for reason. A
// void cannot itself be voided (lift it instead); voiding what is voided
// already is invalid.
func (a *Archive) Void(ctx context.Context, ref, reason string) (VoidInfo, error) {
	if err := a.allow(OpVoid); err != nil {
		return VoidInfo{}, err
	}
	id, item, err := a.ResolveAny(ctx, ref)
	if err != nil {
		return VoidInfo{}, err
	}
	v := &model.Void{Reason: reason}
	if item {
		v.Item = &id
	} else {
		rows, err := a.db.RecordVersions(ctx, id)
		if err != nil {
			return VoidInfo{}, err
		}
		if len(rows) > 0 && rows[0].Kind == model.KindVoid {
			return VoidInfo{}, fmt.Errorf("%w: %s is a void: lift it with 'sori void --lift %s'", evidence.ErrInvalid, id, id)
		}
		v.Record = &id
	}
	voided, err := a.voided(ctx)
	if err != nil {
		return VoidInfo{}, err
	}
	if vid, ok := voided[id]; ok {
		return VoidInfo{}, fmt.Errorf("%w: %s is voided already (by %s)", evidence.ErrInvalid, id, vid)
	}
	ids, err := a.addRecords(ctx, OpVoid, []model.Body{v}, nil)
	if err != nil {
		return VoidInfo{}, err
	}
	return a.voidInfo(ctx, VoidInfo{ID: ids[0], Version: 1, Target: id, Item: item, Reason: reason})
}

// LiftVoid undoes the void ref: a new version of it, with Lifted set.
func (a *Archive) LiftVoid(ctx context.Context, ref string) (VoidInfo, error) {
	if err := a.allow(OpVoid); err != nil {
		return VoidInfo{}, err
	}
	id, err := a.resolveRecord(ctx, ref)
	if err != nil {
		return VoidInfo{}, err
	}
	rows, err := a.db.RecordVersions(ctx, id)
	if err != nil {
		return VoidInfo{}, err
	}
	if len(rows) == 0 {
		return VoidInfo{}, fmt.Errorf("%w: no record %s", evidence.ErrNotFound, id)
	}
	r, b, err := a.decodeRecordBody(ctx, rows[len(rows)-1])
	if err != nil {
		return VoidInfo{}, err
	}
	v, ok := b.(*model.Void)
	if !ok {
		return VoidInfo{}, fmt.Errorf("%w: %s is %s %s record, not a void", evidence.ErrInvalid, id, article(r.Kind), r.Kind)
	}
	if v.Lifted {
		return VoidInfo{}, fmt.Errorf("%w: void %s is lifted already", evidence.ErrInvalid, id)
	}
	v.Lifted = true
	ver, _, err := a.updateRecord(ctx, OpVoid, id, v)
	if err != nil {
		return VoidInfo{}, err
	}
	return a.voidInfo(ctx, VoidInfo{ID: id, Version: ver, Target: v.Target(), Item: v.Item != nil, Reason: v.Reason, Lifted: true})
}

// Voids lists the current version of every void, lifted ones included.
func (a *Archive) Voids(ctx context.Context) ([]VoidInfo, error) {
	if err := a.allow(OpList); err != nil {
		return nil, err
	}
	out := []VoidInfo{}
	err := a.eachCurrent(ctx, model.KindVoid, func(id evidence.ID, b model.Body) error {
		v := b.(*model.Void)
		out = append(out, VoidInfo{ID: id, Target: v.Target(), Item: v.Item != nil, Reason: v.Reason, Lifted: v.Lifted})
		return nil
	})
	if err != nil {
		return nil, err
	}
	d, err := a.disclosure(ctx)
	if err != nil {
		return nil, err
	}
	return discloseAs(d, out), nil
}

func (a *Archive) voidInfo(ctx context.Context, v VoidInfo) (VoidInfo, error) {
	d, err := a.disclosure(ctx)
	if err != nil {
		return VoidInfo{}, err
	}
	return discloseAs(d, v), nil
}

// voided maps every voided record or item (not lifted) to its void.
func (a *Archive) voided(ctx context.Context) (map[evidence.ID]evidence.ID, error) {
	out := map[evidence.ID]evidence.ID{}
	err := a.eachCurrent(ctx, model.KindVoid, func(id evidence.ID, b model.Body) error {
		if v := b.(*model.Void); !v.Lifted {
			out[v.Target()] = id
		}
		return nil
	})
	return out, err
}
