package archive

import (
	"context"
	"fmt"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/store"
)

// opChecked, given to change, says the caller checked its own rule.
const opChecked Op = -1

// changeFunc writes one change inside its transaction: rows through tx, and
// a custody entry for each through l.
type changeFunc func(tx store.Tx, l *logger) error

// change is the one path every change to the archive takes. In one write
// transaction it
//
//  1. re-reads the acting user's role and checks op against it (the role
//     the session was unlocked with may have been taken away since, by
//     another session or process); opChecked is for callers whose rule is
//     not a single operation and who checked it themselves;
//  2. checks that the session's keyring holds the archive's current
//     content key (a removal since the unlock started a new one, and what
//     this session wrote under the old key the removed user could read);
//  3. runs fn, which writes rows and appends their custody entries;
//  4. signs a checkpoint over the new tree, commits, and pins the
//     checkpoint on this machine.
//
// If fn appends no entry, nothing is committed: a change without a custody
// record is not a change sori makes. committed reports whether one was.
func (a *Archive) change(ctx context.Context, op Op, fn changeFunc) (committed bool, err error) {
	_, committed, err = a.changeTx(ctx, op, false, fn)
	return committed, err
}

// shreddingChange is change in a transaction whose deletions are
// overwritten (store.BeginShredding): a withdrawal, a purge.
func (a *Archive) shreddingChange(ctx context.Context, op Op, fn changeFunc) (committed bool, err error) {
	_, committed, err = a.changeTx(ctx, op, true, fn)
	return committed, err
}

func (a *Archive) changeTx(ctx context.Context, op Op, shred bool, fn changeFunc) (custody.Checkpoint, bool, error) {
	if a.stale() {
		return custody.Checkpoint{}, false, errStale
	}
	begin := a.db.Begin
	if shred {
		begin = func(ctx context.Context) (store.Tx, error) { return store.BeginShredding(ctx, a.db) }
	}
	tx, err := begin(ctx)
	if err != nil {
		return custody.Checkpoint{}, false, err
	}
	defer tx.Rollback()
	role, err := a.roleIn(ctx, tx)
	if err != nil {
		return custody.Checkpoint{}, false, err
	}
	if op != opChecked && !Permits(role, op) {
		return custody.Checkpoint{}, false, fmt.Errorf("%w: role %s may not %s (see docs/roles.md)", evidence.ErrForbidden, role, op)
	}
	if err := a.currentKeys(ctx, tx); err != nil {
		return custody.Checkpoint{}, false, err
	}
	l, err := a.newLogger(ctx, tx, a.now())
	if err != nil {
		return custody.Checkpoint{}, false, err
	}
	l.role = role
	start := l.size
	if err := fn(tx, l); err != nil {
		return custody.Checkpoint{}, false, err
	}
	if l.size == start {
		return custody.Checkpoint{}, false, nil
	}
	cp, err := l.seal(ctx)
	if err != nil {
		return cp, false, err
	}
	if err := tx.Commit(); err != nil {
		return cp, false, err
	}
	a.pin(cp)
	return cp, true, nil
}

// roleIn is the acting user's role as the transaction sees it. A user who
// was removed, or whose role changed, since the session was unlocked acts
// with the role they have now (removed: none).
func (a *Archive) roleIn(ctx context.Context, tx store.Tx) (string, error) {
	users, err := tx.Users(ctx)
	if err != nil {
		return "", err
	}
	for _, u := range users {
		if u.ID == a.me.ID {
			if u.Role == roleRemoved {
				return "", fmt.Errorf("%w: this user was removed from the archive", evidence.ErrForbidden)
			}
			return u.Role, nil
		}
	}
	return "", fmt.Errorf("%w: the acting user is not a member of this archive", evidence.ErrForbidden)
}

// recordEntry is a change that is only a custody entry: an export, a
// publication, a read of the vault.
func (a *Archive) recordEntry(ctx context.Context, op Op, kind, object string, version int, digest, content evidence.Digest) error {
	_, err := a.change(ctx, op, func(_ store.Tx, l *logger) error {
		return l.append(ctx, kind, object, version, digest, content)
	})
	return err
}
