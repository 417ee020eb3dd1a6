package archive

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/store"
)

// Four eyes: an admin may set the archive so that an export, a
// publication or both need a second user's approval (SetFourEyes). The
// command then records a request (model.Approval, version 1: pending) and
// stops with an *ApprovalNeeded error (evidence.ErrPending); another user
// whose role may perform the action approves or denies it (Approve); the
// requester runs the same action again naming the request, which checks it
// and, in the same transaction as the export or publication entry, marks
// it done: a request runs once. Every step is a version of the request
// record with its custody entry; an attempt to decide that the archive
// refuses (a role that may not perform the action, or the requester
// deciding their own request) is recorded as a "refused" version before
// the error is returned.

// ApprovalNeeded is the error of an action that four eyes holds back: the
// request ID to have approved and to run again with.
type ApprovalNeeded struct {
	ID     evidence.ID
	Action string
}

func (e *ApprovalNeeded) Error() string {
	return fmt.Sprintf("%s: this archive needs a second user's approval to %s (four eyes); request %s is recorded as pending: another user with a role that may %s runs 'sori approve %s', then run the same command again with --request %s",
		evidence.ErrPending, e.Action, e.ID, e.Action, e.ID, e.ID)
}

func (e *ApprovalNeeded) Unwrap() error { return evidence.ErrPending }

// ApprovalStep is one version of a request as shown to users.
type ApprovalStep struct {
	Version   int       `json:"version"`
	State     string    `json:"state"`
	Note      string    `json:"note,omitempty"`
	Time      time.Time `json:"time"`
	Actor     string    `json:"actor"`
	ActorName string    `json:"actor_name"`
}

// ApprovalInfo is a four-eyes request: what it asks for, its state (the
// last version that is not a refused attempt) and its history.
type ApprovalInfo struct {
	ID          evidence.ID    `json:"id"`
	Action      string         `json:"action"`
	State       string         `json:"state"`
	Items       []evidence.ID  `json:"items,omitempty"`
	Recipients  []string       `json:"recipients,omitempty"`
	Formats     []string       `json:"formats,omitempty"`
	RequestedBy string         `json:"requested_by"` // user name
	History     []ApprovalStep `json:"history"`
}

func actionOp(action string) Op {
	if action == model.ActionPublish {
		return OpPublish
	}
	return OpExport
}

// FourEyes returns the actions that need a second user's approval.
func (a *Archive) FourEyes(ctx context.Context) ([]string, error) {
	if err := a.allow(OpList); err != nil {
		return nil, err
	}
	_, s, err := a.setting(ctx, a.db.EachRecord, model.SettingFourEyes)
	if err != nil || s == nil || s.Value == "" {
		return []string{}, err
	}
	return strings.Split(s.Value, ","), nil
}

// SetFourEyes sets which actions (model.ActionExport, model.ActionPublish)
// need a second user's approval; none turns four eyes off. Admins only.
func (a *Archive) SetFourEyes(ctx context.Context, actions []string) error {
	if err := a.allow(OpSetting); err != nil {
		return err
	}
	var canon []string
	for _, act := range []string{model.ActionExport, model.ActionPublish} {
		if slices.Contains(actions, act) {
			canon = append(canon, act)
		}
	}
	for _, act := range actions {
		if !slices.Contains(canon, act) {
			return fmt.Errorf("%w: four eyes applies to export and publish, not %q", evidence.ErrInvalid, act)
		}
	}
	body := &model.Setting{Name: model.SettingFourEyes, Value: strings.Join(canon, ",")}
	_, err := a.change(ctx, OpSetting, func(tx store.Tx, l *logger) error {
		cur, old, err := a.setting(ctx, tx.EachRecord, model.SettingFourEyes)
		if err != nil {
			return err
		}
		if old == nil {
			return a.writeRecord(ctx, tx, l, evidence.NewID(), 1, nil, body, l.now)
		}
		if old.Value == body.Value {
			return nil // nothing changes: nothing is written
		}
		return a.writeRecord(ctx, tx, l, cur.ID, cur.Version+1, &cur.Digest, body, l.now)
	})
	return err
}

// setting finds the current version of setting name (nil if never set).
func (a *Archive) setting(ctx context.Context, each func(context.Context, string, bool, func(store.RecordRow) error) error, name string) (store.RecordRow, *model.Setting, error) {
	var row store.RecordRow
	var found *model.Setting
	err := each(ctx, model.KindSetting, true, func(r store.RecordRow) error {
		_, b, err := a.decodeRecordBody(ctx, r)
		if isRestricted(err) {
			return nil // in a compartment this user is not a member of
		}
		if err != nil {
			return err
		}
		if s := b.(*model.Setting); s.Name == name {
			row, found = r, s
		}
		return nil
	})
	return row, found, err
}

// needsApproval reports, inside tx, whether action needs four eyes.
func (a *Archive) needsApproval(ctx context.Context, tx store.Tx, action string) (bool, error) {
	_, s, err := a.setting(ctx, tx.EachRecord, model.SettingFourEyes)
	if err != nil || s == nil {
		return false, err
	}
	return slices.Contains(strings.Split(s.Value, ","), action), nil
}

// approvalHistory reads request id's versions inside tx: the current
// body, its row, the effective state and the requester.
func (a *Archive) approvalHistory(ctx context.Context, tx store.Tx, id evidence.ID) (store.RecordRow, *model.Approval, string, error) {
	cur, err := tx.LatestRecord(ctx, id)
	if err != nil {
		return cur, nil, "", err
	}
	if cur.Kind != model.KindApproval {
		return cur, nil, "", fmt.Errorf("%w: %s is %s %s record, not an approval request", evidence.ErrInvalid, id, article(cur.Kind), cur.Kind)
	}
	state := ""
	var body *model.Approval
	err = tx.EachRecord(ctx, model.KindApproval, false, func(row store.RecordRow) error {
		if row.ID != id {
			return nil
		}
		_, b, err := a.decodeRecordBody(ctx, row)
		if err != nil {
			return err
		}
		p := b.(*model.Approval)
		if row.Version == cur.Version {
			body = p
		}
		if p.State != model.ApprovalRefused && row.Version > 0 {
			state = p.State // versions come in order
		}
		return nil
	})
	if err == nil && body == nil {
		err = fmt.Errorf("%w: approval request %s has no current version", evidence.ErrDamaged, id)
	}
	return cur, body, state, err
}

// requestApproval records a pending request for p in one change (under
// op, the action's own operation) and returns the error that says so.
func (a *Archive) requestApproval(ctx context.Context, op Op, p model.Approval) error {
	id := evidence.NewID()
	p.State, p.By = model.ApprovalPending, a.me.ID
	_, err := a.change(ctx, op, func(tx store.Tx, l *logger) error {
		return a.writeRecord(ctx, tx, l, id, 1, nil, &p, l.now)
	})
	if err != nil {
		return err
	}
	return &ApprovalNeeded{ID: id, Action: p.Action}
}

// Approve approves (or, with deny, denies) the pending request ref, with a
// note. The acting user must hold a role that may perform the request's
// action and approve, and must not be the requester; an attempt that
// fails either rule is recorded (a "refused" version of the request) and
// then refused with evidence.ErrForbidden.
func (a *Archive) Approve(ctx context.Context, ref string, deny bool, note string) (ApprovalInfo, error) {
	if a.stale() {
		return ApprovalInfo{}, errStale
	}
	id, err := a.resolveRecord(ctx, ref)
	if err != nil {
		return ApprovalInfo{}, err
	}
	var refused error
	_, err = a.change(ctx, opChecked, func(tx store.Tx, l *logger) error {
		cur, p, state, err := a.approvalHistory(ctx, tx, id)
		if err != nil {
			return err
		}
		if state != model.ApprovalPending {
			return fmt.Errorf("%w: request %s is %s, not pending", evidence.ErrInvalid, id, state)
		}
		next := *p
		next.Note = note
		next.State = model.ApprovalApproved
		if deny {
			next.State = model.ApprovalDenied
		}
		switch op := actionOp(p.Action); {
		case !Permits(l.role, OpApprove) || !Permits(l.role, op):
			refused = fmt.Errorf("%w: role %s may not approve a request to %s (see docs/roles.md); the attempt is recorded", evidence.ErrForbidden, l.role, p.Action)
		case p.By == a.me.ID:
			refused = fmt.Errorf("%w: a request is approved by a second user, not by the one who made it; the attempt is recorded", evidence.ErrForbidden)
		}
		if refused != nil {
			next.State, next.Note = model.ApprovalRefused, ""
		}
		return a.writeRecord(ctx, tx, l, id, cur.Version+1, &cur.Digest, &next, l.now)
	})
	if err != nil {
		return ApprovalInfo{}, err
	}
	if refused != nil {
		return ApprovalInfo{}, refused
	}
	return a.approval(ctx, id)
}

// useApproval checks, inside the action's transaction, that request id
// may run for want (checkApproval) and marks it done.
func (a *Archive) useApproval(ctx context.Context, tx store.Tx, l *logger, id evidence.ID, want model.Approval) error {
	cur, p, err := a.checkApproval(ctx, tx, id, want)
	if err != nil {
		return err
	}
	done := *p
	done.State, done.Note = model.ApprovalDone, ""
	return a.writeRecord(ctx, tx, l, id, cur.Version+1, &cur.Digest, &done, l.now)
}

// checkApproval checks that request id is approved, was made by the
// acting user for exactly want, and has not run.
func (a *Archive) checkApproval(ctx context.Context, tx store.Tx, id evidence.ID, want model.Approval) (store.RecordRow, *model.Approval, error) {
	cur, p, state, err := a.approvalHistory(ctx, tx, id)
	if err != nil {
		return cur, nil, err
	}
	switch {
	case p.Action != want.Action:
		err = fmt.Errorf("%w: request %s is to %s, not to %s", evidence.ErrInvalid, id, p.Action, want.Action)
	case p.By != a.me.ID:
		err = fmt.Errorf("%w: request %s was made by another user: only they run it", evidence.ErrForbidden, id)
	case state == model.ApprovalPending:
		err = fmt.Errorf("%w: request %s is not approved yet", evidence.ErrPending, id)
	case state != model.ApprovalApproved:
		err = fmt.Errorf("%w: request %s is %s: it cannot run", evidence.ErrInvalid, id, state)
	case !slices.Equal(p.Items, want.Items) || !slices.Equal(p.Recipients, want.Recipients) || !slices.Equal(p.Formats, want.Formats):
		err = fmt.Errorf("%w: request %s was approved for other items, recipients or formats than these: run it exactly as requested, or make a new request", evidence.ErrInvalid, id)
	}
	return cur, p, err
}

// Approvals lists the four-eyes requests in state ("" for all), oldest
// first.
func (a *Archive) Approvals(ctx context.Context, state string) ([]ApprovalInfo, error) {
	if err := a.allow(OpList); err != nil {
		return nil, err
	}
	states := []string{model.ApprovalPending, model.ApprovalApproved, model.ApprovalDenied, model.ApprovalDone}
	if state != "" && !slices.Contains(states, state) {
		return nil, fmt.Errorf("%w: request state %q: want one of %s", evidence.ErrInvalid, state, strings.Join(states, ", "))
	}
	var ids []evidence.ID
	err := a.db.EachRecord(ctx, model.KindApproval, true, func(r store.RecordRow) error {
		ids = append(ids, r.ID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := []ApprovalInfo{}
	for _, id := range ids {
		info, err := a.approval(ctx, id)
		if err != nil {
			return nil, err
		}
		if state == "" || info.State == state {
			out = append(out, info)
		}
	}
	return out, nil
}

// ApprovalOf returns request ref.
func (a *Archive) ApprovalOf(ctx context.Context, ref string) (ApprovalInfo, error) {
	if err := a.allow(OpShow); err != nil {
		return ApprovalInfo{}, err
	}
	id, err := a.resolveRecord(ctx, ref)
	if err != nil {
		return ApprovalInfo{}, err
	}
	return a.approval(ctx, id)
}

func (a *Archive) approval(ctx context.Context, id evidence.ID) (ApprovalInfo, error) {
	rows, err := a.db.RecordVersions(ctx, id)
	if err != nil {
		return ApprovalInfo{}, err
	}
	if len(rows) == 0 || rows[0].Kind != model.KindApproval {
		return ApprovalInfo{}, fmt.Errorf("%w: no approval request %s", evidence.ErrNotFound, id)
	}
	names := a.userNames(ctx)
	info := ApprovalInfo{ID: id, History: []ApprovalStep{}}
	for _, row := range rows {
		r, b, err := a.decodeRecordBody(ctx, row)
		if err != nil {
			return info, err
		}
		p := b.(*model.Approval)
		if r.Version == 1 {
			info.Action, info.Items, info.Recipients, info.Formats = p.Action, p.Items, p.Recipients, p.Formats
			info.RequestedBy = names(p.By)
		}
		if p.State != model.ApprovalRefused {
			info.State = p.State
		}
		info.History = append(info.History, ApprovalStep{Version: r.Version, State: p.State, Note: p.Note, Time: r.Time, Actor: r.Actor, ActorName: names(r.Actor)})
	}
	d, err := a.disclosure(ctx)
	if err != nil {
		return ApprovalInfo{}, err
	}
	return discloseAs(d, info), nil
}

// PublishGate is the four-eyes check a publication passes before its
// files are written: with no request (""), and the archive's four eyes
// set for publish, it records a request for formats and returns an
// *ApprovalNeeded; with one, it checks that the request is approved for
// formats and not used (RecordPublicationApproved marks it done).
func (a *Archive) PublishGate(ctx context.Context, request string, formats []string) error {
	if err := a.allow(OpPublish); err != nil {
		return err
	}
	want := model.Approval{Action: model.ActionPublish, Formats: canonFormats(formats)}
	tx, err := a.db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if request == "" {
		need, err := a.needsApproval(ctx, tx, model.ActionPublish)
		if err != nil || !need {
			return err
		}
		tx.Rollback()
		return a.requestApproval(ctx, OpPublish, want)
	}
	id, err := a.resolveRecord(ctx, request)
	if err != nil {
		return err
	}
	_, _, err = a.checkApproval(ctx, tx, id, want)
	return err
}

func canonFormats(formats []string) []string {
	out := slices.Clone(formats)
	slices.Sort(out)
	return slices.Compact(out)
}
