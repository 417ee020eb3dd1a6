package archive

import (
	"context"
	"fmt"
	"slices"
	"time"

	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/store"
)

// Review of testimonies and records: draft → needs review → reviewed.
//
// Each step (request, approve, reject) is a record of its own
// (model.Review), appended through the change path with its custody
// entry; nothing is updated in place. A record's state is derived from its
// steps and its current version:
//
//   - no step, or the last step is about an older version: draft (an edit
//     sends a record that was under review, or reviewed, back to draft);
//   - the last step is a request: needs review;
//   - the last step is an approval: reviewed; a rejection: draft.
//
// A reviewer cannot review what they wrote: the user who asked for review,
// and every author of a version since the last approval, may not approve
// or reject it. Editing while under review is allowed, and makes the
// record a draft again, written by the editor, who then cannot approve it.

// Review states.
const (
	ReviewDraft       = "draft"
	ReviewNeedsReview = "needs-review"
	ReviewReviewed    = "reviewed"
)

// ReviewStates lists the states in order.
func ReviewStates() []string { return []string{ReviewDraft, ReviewNeedsReview, ReviewReviewed} }

// ReviewStep is one step of a record's review as shown to users.
type ReviewStep struct {
	ID        evidence.ID `json:"id"`
	Seq       int         `json:"seq"`
	Version   int         `json:"version"` // the record's version the step was about
	Step      string      `json:"step"`
	Note      string      `json:"note,omitempty"`
	Time      time.Time   `json:"time"`
	Actor     string      `json:"actor"` // user ID
	ActorName string      `json:"actor_name"`
}

// ReviewInfo is a record's review state and its steps, oldest first.
type ReviewInfo struct {
	Target  evidence.ID  `json:"target"`
	Kind    string       `json:"kind"`
	Version int          `json:"version"` // the record's current version
	State   string       `json:"state"`
	Steps   []ReviewStep `json:"steps"`
}

// reviewable reports whether records of kind have a review state: the
// model's records, not the archive's own (reviews, approvals, settings,
// voids).
func reviewable(kind string) bool { return slices.Contains(model.Kinds, kind) }

// deriveReview is the state of a record at version cur after steps
// (ordered by Seq).
func deriveReview(steps []ReviewStep, cur int) string {
	if len(steps) == 0 {
		return ReviewDraft
	}
	last := steps[len(steps)-1]
	if last.Version != cur {
		return ReviewDraft
	}
	switch last.Step {
	case model.StepRequest:
		return ReviewNeedsReview
	case model.StepApprove:
		return ReviewReviewed
	}
	return ReviewDraft
}

// reviewSteps reads every review step, by target, each list in Seq order.
func (a *Archive) reviewSteps(ctx context.Context, each func(context.Context, string, bool, func(store.RecordRow) error) error) (map[evidence.ID][]ReviewStep, error) {
	out := map[evidence.ID][]ReviewStep{}
	err := each(ctx, model.KindReview, true, func(row store.RecordRow) error {
		r, b, err := a.decodeRecordBody(ctx, row)
		if isRestricted(err) {
			return nil // in a compartment this user is not a member of
		}
		if err != nil {
			return err
		}
		rv := b.(*model.Review)
		out[rv.Target] = append(out[rv.Target], ReviewStep{ID: r.ID, Seq: rv.Seq, Version: rv.Version, Step: rv.Step, Note: rv.Note, Time: r.Time, Actor: r.Actor})
		return nil
	})
	for _, s := range out {
		slices.SortFunc(s, func(p, q ReviewStep) int { return p.Seq - q.Seq })
	}
	return out, err
}

// RequestReview asks for review of the current version of record ref (ID
// or unique prefix). The record must be a draft.
func (a *Archive) RequestReview(ctx context.Context, ref, note string) (ReviewInfo, error) {
	return a.reviewStep(ctx, ref, model.StepRequest, note)
}

// ApproveReview marks record ref reviewed. It must need review, and the
// acting user must be neither the one who asked nor an author of a
// version since the last approval (evidence.ErrForbidden).
func (a *Archive) ApproveReview(ctx context.Context, ref, note string) (ReviewInfo, error) {
	return a.reviewStep(ctx, ref, model.StepApprove, note)
}

// RejectReview sends record ref back to draft, under the same rules as
// ApproveReview; note says why.
func (a *Archive) RejectReview(ctx context.Context, ref, note string) (ReviewInfo, error) {
	return a.reviewStep(ctx, ref, model.StepReject, note)
}

func (a *Archive) reviewStep(ctx context.Context, ref, step, note string) (ReviewInfo, error) {
	if err := a.allow(OpReview); err != nil {
		return ReviewInfo{}, err
	}
	id, err := a.resolveRecord(ctx, ref)
	if err != nil {
		return ReviewInfo{}, err
	}
	_, err = a.change(ctx, OpReview, func(tx store.Tx, l *logger) error {
		cur, err := tx.LatestRecord(ctx, id)
		if err != nil {
			return err
		}
		if !reviewable(cur.Kind) {
			return fmt.Errorf("%w: %s is %s %s record, which has no review state", evidence.ErrInvalid, id, article(cur.Kind), cur.Kind)
		}
		all, err := a.reviewSteps(ctx, tx.EachRecord)
		if err != nil {
			return err
		}
		steps := all[id]
		state := deriveReview(steps, cur.Version)
		if step == model.StepRequest {
			if state != ReviewDraft {
				return fmt.Errorf("%w: record %s is %s already (version %d)", evidence.ErrInvalid, id, state, cur.Version)
			}
		} else {
			if state != ReviewNeedsReview {
				return fmt.Errorf("%w: record %s is %s, not under review: ask for review first ('sori review request %s')", evidence.ErrInvalid, id, state, id)
			}
			if err := a.checkReviewer(ctx, tx, id, cur.Kind, steps); err != nil {
				return err
			}
		}
		body := &model.Review{Target: id, Seq: len(steps) + 1, Version: cur.Version, Step: step, Note: note}
		return a.writeRecord(ctx, tx, l, evidence.NewID(), 1, nil, body, l.now)
	})
	if err != nil {
		return ReviewInfo{}, err
	}
	return a.ReviewOf(ctx, id.String())
}

// checkReviewer refuses a reviewer who asked for the review, or wrote a
// version of the record since it was last approved.
func (a *Archive) checkReviewer(ctx context.Context, tx store.Tx, id evidence.ID, kind string, steps []ReviewStep) error {
	last := steps[len(steps)-1]
	if last.Actor == a.me.ID {
		return fmt.Errorf("%w: you asked for this review: another user reviews it (docs/roles.md, Review)", evidence.ErrForbidden)
	}
	since := 0
	for _, s := range steps {
		if s.Step == model.StepApprove {
			since = s.Version
		}
	}
	return tx.EachRecord(ctx, kind, false, func(row store.RecordRow) error {
		if row.ID == id && row.Version > since && row.Actor == a.me.ID {
			return fmt.Errorf("%w: you wrote version %d of this record: a reviewer cannot review what they wrote (docs/roles.md, Review)", evidence.ErrForbidden, row.Version)
		}
		return nil
	})
}

// ReviewOf returns record ref's review state and steps.
func (a *Archive) ReviewOf(ctx context.Context, ref string) (ReviewInfo, error) {
	if err := a.allow(OpShow); err != nil {
		return ReviewInfo{}, err
	}
	id, err := a.resolveRecord(ctx, ref)
	if err != nil {
		return ReviewInfo{}, err
	}
	rows, err := a.db.RecordVersions(ctx, id)
	if err != nil {
		return ReviewInfo{}, err
	}
	if len(rows) == 0 {
		return ReviewInfo{}, fmt.Errorf("%w: no record %s", evidence.ErrNotFound, id)
	}
	if !reviewable(rows[0].Kind) {
		return ReviewInfo{}, fmt.Errorf("%w: %s is %s %s record, which has no review state", evidence.ErrInvalid, id, article(rows[0].Kind), rows[0].Kind)
	}
	all, err := a.reviewSteps(ctx, a.db.EachRecord)
	if err != nil {
		return ReviewInfo{}, err
	}
	cur := rows[len(rows)-1]
	info := ReviewInfo{Target: id, Kind: cur.Kind, Version: cur.Version, Steps: all[id]}
	out, err := a.discloseReviews(ctx, []ReviewInfo{info})
	if err != nil {
		return ReviewInfo{}, err
	}
	return out[0], nil
}

func (a *Archive) discloseReviews(ctx context.Context, infos []ReviewInfo) ([]ReviewInfo, error) {
	names := a.userNames(ctx)
	for i := range infos {
		if infos[i].Steps == nil {
			infos[i].Steps = []ReviewStep{}
		}
		for j := range infos[i].Steps {
			infos[i].Steps[j].ActorName = names(infos[i].Steps[j].Actor)
		}
		infos[i].State = deriveReview(infos[i].Steps, infos[i].Version)
	}
	d, err := a.disclosure(ctx)
	if err != nil {
		return nil, err
	}
	return discloseAs(d, infos), nil
}

// Reviews lists the review state of every current record (voided ones
// left out) whose state is state ("" for every state), oldest record
// first.
func (a *Archive) Reviews(ctx context.Context, state string) ([]ReviewInfo, error) {
	if err := a.allow(OpList); err != nil {
		return nil, err
	}
	if state != "" && !slices.Contains(ReviewStates(), state) {
		return nil, fmt.Errorf("%w: review state %q: want one of %v", evidence.ErrInvalid, state, ReviewStates())
	}
	all, err := a.reviewSteps(ctx, a.db.EachRecord)
	if err != nil {
		return nil, err
	}
	voided, err := a.voided(ctx)
	if err != nil {
		return nil, err
	}
	var infos []ReviewInfo
	err = a.db.EachRecord(ctx, "", true, func(row store.RecordRow) error {
		if _, ok := voided[row.ID]; ok || !reviewable(row.Kind) {
			return nil
		}
		s := all[row.ID]
		if state != "" && deriveReview(s, row.Version) != state {
			return nil
		}
		infos = append(infos, ReviewInfo{Target: row.ID, Kind: row.Kind, Version: row.Version, Steps: s})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if infos == nil {
		return []ReviewInfo{}, nil
	}
	return a.discloseReviews(ctx, infos)
}

// ownCommandOnly refuses, from the generic record paths (record commands,
// import, the API), the records that their own commands make: a review
// step, an approval or a setting written there could skip the rules
// those commands check.
func ownCommandOnly(b model.Body) error {
	switch b.(type) {
	case *model.Review, *model.Approval, *model.Setting:
		return fmt.Errorf("%w: %s records are made by their own command ('sori review', 'sori approve', 'sori settings'), not as records", evidence.ErrInvalid, b.Kind())
	}
	return nil
}

// ReviewResult is the outcome for one record of ReviewMany: its new state,
// or the error (through the disclosure guard) that left it unchanged.
type ReviewResult struct {
	Ref   string      `json:"ref"`
	Info  *ReviewInfo `json:"review,omitempty"`
	Error string      `json:"error,omitempty"`
	Err   error       `json:"-"`
}

// ReviewMany takes one review step (model.StepRequest, StepApprove or
// StepReject) on each of refs, each in its own change: one that fails
// leaves the others done. It fails as a whole only for a role that may not
// review, or an unknown step.
func (a *Archive) ReviewMany(ctx context.Context, refs []string, step, note string) ([]ReviewResult, error) {
	if err := a.allow(OpReview); err != nil {
		return nil, err
	}
	if !slices.Contains([]string{model.StepRequest, model.StepApprove, model.StepReject}, step) {
		return nil, fmt.Errorf("%w: review step %q: want request, approve or reject", evidence.ErrInvalid, step)
	}
	out := make([]ReviewResult, 0, len(refs))
	for _, ref := range refs {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		r := ReviewResult{Ref: ref}
		info, err := a.reviewStep(ctx, ref, step, note)
		if err != nil {
			r.Err = a.DiscloseError(err)
			r.Error = r.Err.Error()
		} else {
			r.Info = &info
		}
		out = append(out, r)
	}
	return out, nil
}
