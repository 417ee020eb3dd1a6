package archive

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/store"
)

// ChangeRole gives user name the role add, or takes the role remove away
// (exactly one of the two is non-empty), with a signed custody entry in
// the same transaction: "grant" for a role given, "revoke" for one taken,
// each committing to the user's public record with the new roles (as
// AddUser's and RemoveUser's do). The user's keyring is sealed again with
// what the new roles need.
//
// Giving protection gives the identity vault key, and so takes a session
// that holds it. Taking protection away replaces the vault key (every
// active entry re-wrapped under a new one that only the remaining
// protection officers are given), as removing a protection officer does,
// so the user cannot open entries added later even with a kept copy of
// their key file; that too takes a session holding the vault key. Taking
// away a role that granted a key (protection: the vault key; the last of
// admin and investigator: the item ID key) replaces it, and the database
// key, as a removal does (rotate.go). The last
// admin and the last protection officer keep their role, and a user keeps
// at least one role (remove them with RemoveUser instead): each refused
// with evidence.ErrInvalid. A role the user already holds (or does not
// hold, for remove) changes nothing and reports false.
//
// Taking a role away is an archive-wide change: it runs holding the archive
// lock exclusive, and fails with ErrBusy if other processes keep the
// archive open past the lock wait.
func (a *Archive) ChangeRole(ctx context.Context, name, add, remove string) (UserInfo, bool, error) {
	if err := a.allow(OpUserRole); err != nil {
		return UserInfo{}, false, err
	}
	if remove == "" {
		return a.changeRole(ctx, name, add, remove)
	}
	var info UserInfo
	var changed bool
	err := a.archiveWide(ctx, func() (err error) {
		info, changed, err = a.changeRole(ctx, name, add, remove)
		return err
	})
	return info, changed, err
}

func (a *Archive) changeRole(ctx context.Context, name, add, remove string) (UserInfo, bool, error) {
	name, err := CheckUserName(name)
	if err != nil {
		return UserInfo{}, false, err
	}
	if (add == "") == (remove == "") {
		return UserInfo{}, false, fmt.Errorf("%w: give one role to add or one to remove", evidence.ErrInvalid)
	}
	role, err := ParseRoles(add + remove)
	if err != nil {
		return UserInfo{}, false, err
	}
	if strings.Contains(role, ",") {
		return UserInfo{}, false, fmt.Errorf("%w: one role at a time", evidence.ErrInvalid)
	}
	var (
		target  store.User
		roles   string
		rot     *keyChange
		takes   bool
		changed bool
	)
	_, err = a.change(ctx, OpUserRole, func(tx store.Tx, l *logger) error {
		users, err := tx.Users(ctx)
		if err != nil {
			return err
		}
		found := false
		for _, u := range users {
			if u.Name == name && u.Role != roleRemoved {
				target, found = u, true
			}
		}
		if !found {
			return fmt.Errorf("%w: no user %q in this archive", evidence.ErrNotFound, name)
		}
		have := strings.Split(target.Role, ",")
		if add != "" {
			have = append(have, role)
		} else {
			have = slices.DeleteFunc(have, func(r string) bool { return r == role })
		}
		if remove != "" {
			if err := lastHolder(users, &target, strings.Join(have, ",")); err != nil {
				return err
			}
		}
		if len(have) == 0 {
			return fmt.Errorf("%w: %s holds no other role; give another first, or remove the user with 'sori user rm'", evidence.ErrInvalid, name)
		}
		if roles, err = ParseRoles(strings.Join(have, ",")); err != nil {
			return err
		}
		if roles == target.Role {
			return nil // nothing to change: nothing is written
		}
		if remove != "" && takesKey(target, roles) {
			// The role granted a key: every key it granted is replaced
			// (rotate.go), after this transaction, which writes nothing.
			rot = &keyChange{target: target, role: roles, users: users}
			return nil
		}
		ring, err := a.ring.Subset(grantFor(roles), 0)
		if err != nil {
			return err
		}
		loc := locator(a.cfg.ID, target.Name)
		files := map[string][]byte{}
		gives := grantsVault(roles) && !grantsVault(target.Role)
		takes = grantsVault(target.Role) && !grantsVault(roles)
		if gives || takes {
			if !a.ring.HasVault() {
				return fmt.Errorf("%w: only a holder of the identity vault key (a protection officer) can give or take the protection role", evidence.ErrForbidden)
			}
			if err := a.currentVaultKey(ctx, tx); err != nil {
				return err
			}
		}
		if gives {
			if files[loc+vaultFile], err = a.ring.SealVaultKey(target.Recipient); err != nil {
				return err
			}
		}
		if takes {
			next := a.ring.RotateVault()
			if err := a.rewrapVault(ctx, tx, next); err != nil {
				return err
			}
			for _, u := range users {
				if u.ID == target.ID || u.Role == roleRemoved || !grantsVault(u.Role) {
					continue
				}
				if files[locator(a.cfg.ID, u.Name)+vaultFile], err = next.SealVaultKey(u.Recipient); err != nil {
					return err
				}
			}
		}
		if files[loc+".ring"], err = ring.SealTo(target.Recipient); err != nil {
			return err
		}
		if err := tx.SetUserRole(ctx, target.ID, roles); err != nil {
			return err
		}
		kind := custody.KindGrant
		if remove != "" {
			kind = custody.KindRevoke
		}
		after := target
		after.Role = roles
		if err := l.append(ctx, kind, after.ID, 0, userDigest(after), evidence.Digest{}); err != nil {
			return err
		}
		changed = true
		// The new key files are written before the commit. If it does not
		// happen, the user's keyring and vault key file are ahead of their
		// row: a vault key file for a user without protection is reported
		// by verify, and a replaced vault key leaves the earlier one in the
		// files too.
		return writeKeyFiles(a.dir, files)
	})
	if err != nil {
		return UserInfo{}, false, err
	}
	after := target
	after.Role = roles
	if rot != nil {
		if _, err := a.rotate(ctx, *rot); err != nil {
			return UserInfo{}, false, err
		}
		a.log.Info("user role changed, keys replaced", "roles", roles)
		return userInfo(after, a.userNames(ctx)), true, nil
	}
	if !changed {
		return userInfo(target, a.userNames(ctx)), false, nil
	}
	if takes {
		a.dropVaultFile(locator(a.cfg.ID, target.Name))
	}
	a.userChanged(target.ID)
	a.log.Info("user role changed", "roles", roles)
	return userInfo(after, a.userNames(ctx)), true, nil
}

// lastHolder refuses to take from target the last admin role or the last
// protection role among the active users.
func lastHolder(users []store.User, target *store.User, roles string) error {
	for _, need := range []struct {
		op   Op
		what string
	}{{OpUserAdd, "admin"}, {OpVaultOpen, "protection officer"}} {
		if !Permits(target.Role, need.op) || Permits(roles, need.op) {
			continue
		}
		others := 0
		for _, u := range users {
			if u.ID != target.ID && u.Role != roleRemoved && Permits(u.Role, need.op) {
				others++
			}
		}
		if others == 0 {
			return fmt.Errorf("%w: %s is the last %s; give the role to another user first", evidence.ErrInvalid, target.Name, need.what)
		}
	}
	return nil
}

// dropVaultFile deletes a user's vault key file after protection was
// taken from them: first from keys/SUMS, then from the directory.
func (a *Archive) dropVaultFile(loc string) {
	if err := writeKeySumsWith(a.dir, nil, loc+vaultFile); err != nil {
		a.log.Warn("updating key sums", "err", err)
		return
	}
	if err := os.Remove(filepath.Join(a.dir, keysDir, loc+vaultFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		a.log.Warn("removing a key file", "err", err)
	}
}
