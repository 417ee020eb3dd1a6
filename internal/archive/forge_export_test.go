package archive

import (
	"context"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/store"
)

// Test-only doors past the archive's own rules, for tests (in package
// archive_test) that check that verify catches what a build of sori
// without those rules, or someone holding a user's keys, could sign.

// ForgeApprovalStep appends a version of request ref in state, signed by
// the acting user, without any of Approve's checks. With action set, the
// action's entry (export or publish) follows in the same transaction, as
// sori writes a run request.
func (a *Archive) ForgeApprovalStep(ctx context.Context, ref, state string, action bool) error {
	id, err := a.resolveRecord(ctx, ref)
	if err != nil {
		return err
	}
	_, err = a.change(ctx, opChecked, func(tx store.Tx, l *logger) error {
		cur, p, _, err := a.approvalHistory(ctx, tx, id)
		if err != nil {
			return err
		}
		next := *p
		next.State = state
		if err := a.writeRecord(ctx, tx, l, id, cur.Version+1, &cur.Digest, &next, l.now); err != nil {
			return err
		}
		if !action {
			return nil
		}
		return forgeAction(ctx, l, p.Action)
	})
	return err
}

// ForgeAction appends an export (or publish) entry with no request,
// whatever the archive's four-eyes setting.
func (a *Archive) ForgeAction(ctx context.Context, action string) error {
	_, err := a.change(ctx, opChecked, func(_ store.Tx, l *logger) error { return forgeAction(ctx, l, action) })
	return err
}

func forgeAction(ctx context.Context, l *logger, action string) error {
	kind := custody.KindExport
	if action == model.ActionPublish {
		kind = custody.KindPublish
	}
	return l.append(ctx, kind, evidence.NewID().String(), 0, evidence.Sum([]byte("forged "+action)), evidence.Digest{})
}
