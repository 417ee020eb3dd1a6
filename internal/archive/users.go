package archive

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/seal"
	"sori/internal/store"
)

// UserInfo is a user as listed.
type UserInfo struct {
	Name      string    `json:"name"`
	ID        string    `json:"id"` // key ID: what records and custody entries name as actor
	Roles     []string  `json:"roles"`
	Removed   bool      `json:"removed"`
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by,omitempty"` // name of the admin who added them; "" for the first admin
}

func userInfo(u store.User, names func(string) string) UserInfo {
	info := UserInfo{Name: u.Name, ID: u.ID, Created: u.CreatedAt, Roles: []string{}}
	if u.CreatedBy != "" {
		info.CreatedBy = names(u.CreatedBy)
	}
	if u.Role == roleRemoved {
		info.Removed = true
	} else {
		info.Roles = strings.Split(u.Role, ",")
	}
	return info
}

// Users lists the archive's users by name, removed ones included.
func (a *Archive) Users(ctx context.Context) ([]UserInfo, error) {
	if err := a.allow(OpUserList); err != nil {
		return nil, err
	}
	us, err := a.db.Users(ctx)
	if err != nil {
		return nil, err
	}
	names := a.userNames(ctx)
	out := make([]UserInfo, 0, len(us))
	for _, u := range us {
		out = append(out, userInfo(u, names))
	}
	return out, nil
}

// AddUser creates user name holding roles (comma-separated, see
// ParseRoles), with a new key pair sealed under passphrase and a keyring of
// the archive keys those roles need. The user row and a signed "grant"
// custody entry are committed in one transaction; the key files are written
// while that transaction holds the database's write lock. A taken name
// (removed users' included: a name stays tied to one key) gives
// evidence.ErrExists; bad input, evidence.ErrInvalid; nothing is changed.
func (a *Archive) AddUser(ctx context.Context, name, roles, passphrase string) (UserInfo, error) {
	if err := a.allow(OpUserAdd); err != nil {
		return UserInfo{}, err
	}
	name, err := CheckUserName(name)
	if err != nil {
		return UserInfo{}, err
	}
	if roles, err = ParseRoles(roles); err != nil {
		return UserInfo{}, err
	}
	if err := checkNewPassphrase(passphrase); err != nil {
		return UserInfo{}, err
	}
	if _, err := a.db.UserByName(ctx, name); err == nil {
		return UserInfo{}, fmt.Errorf("%w: user %q (names of removed users are not reused)", evidence.ErrExists, name)
	} else if !errors.Is(err, evidence.ErrNotFound) {
		return UserInfo{}, err
	}
	key, err := seal.NewUserKey()
	if err != nil {
		return UserInfo{}, err
	}
	ring, err := a.ring.Subset(grantFor(roles), 0)
	if err != nil {
		return UserInfo{}, err
	}
	files := map[string][]byte{}
	loc := locator(a.cfg.ID, name)
	if grantsVault(roles) {
		// A user can only pass on keys they hold: granting protection takes
		// a protection officer's session.
		if !a.ring.HasVault() {
			return UserInfo{}, fmt.Errorf("%w: only a holder of the identity vault key (a protection officer) can give the protection role", evidence.ErrForbidden)
		}
		sealedVault, err := a.ring.SealVaultKey(key.Recipient())
		if err != nil {
			return UserInfo{}, err
		}
		files[loc+vaultFile] = sealedVault
	}
	sealedKey, err := key.Seal(passphrase, a.workFactor)
	if err != nil {
		return UserInfo{}, err
	}
	var u store.User
	written := false
	_, err = a.change(ctx, OpUserAdd, func(tx store.Tx, l *logger) error {
		u = store.User{ID: key.KeyID(), Name: name, Role: roles, Recipient: key.Recipient(), SignPub: key.SigningPublic(), CreatedAt: l.now, CreatedBy: a.me.ID}
		if err := tx.InsertUser(ctx, u); err != nil {
			return err
		}
		if err := l.append(ctx, custody.KindGrant, u.ID, 0, userDigest(u), evidence.Digest{}); err != nil {
			return err
		}
		sealedRing, err := ring.SealTo(u.Recipient)
		if err != nil {
			return err
		}
		files[loc+".ring"], files[loc+".user"] = sealedRing, sealedKey
		written = true
		return writeKeyFiles(a.dir, files)
	})
	if err != nil {
		if written {
			// Key files without a user row open nothing; take them away again.
			a.dropKeyFiles(loc)
		}
		return UserInfo{}, err
	}
	a.log.Info("user added", "roles", roles)
	return userInfo(u, a.userNames(ctx)), nil
}

// RemoveUser removes user name: their role becomes "removed" (the row
// stays, so that what they signed can still be checked), a signed "revoke"
// custody entry is appended, and their key files are deleted.
//
// Nothing written afterwards may be readable with the keys the removed
// user had (they may have kept copies): every key they held is replaced,
// for the remaining users only, in one crash-safe step (rotate.go): the
// database key (meta.db re-encrypted), a new content key generation, the
// item ID key, the vault key (refused with evidence.ErrForbidden, naming
// who can, if this session does not hold it), and the name-net key when
// this session can rehash. This session goes on with the new keys.
//
// Removing oneself is refused (evidence.ErrInvalid): the session would go
// on with the removed role. So is removing the last admin, which that rule
// already prevents while only admins may remove.
//
// A removal is an archive-wide change: it runs holding the archive lock
// exclusive, and fails with ErrBusy if other processes keep the archive
// open past the lock wait, or another session of this process has it open.
func (a *Archive) RemoveUser(ctx context.Context, name string) error {
	if err := a.allow(OpUserRemove); err != nil {
		return err
	}
	return a.archiveWide(ctx, func() error { return a.removeUser(ctx, name) })
}

func (a *Archive) removeUser(ctx context.Context, name string) error {
	name, err := CheckUserName(name)
	if err != nil {
		return err
	}
	tx, err := a.db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	users, err := tx.Users(ctx)
	if err != nil {
		return err
	}
	var target *store.User
	admins := 0
	for i, u := range users {
		if u.Name == name && u.Role != roleRemoved {
			target = &users[i]
		} else if Permits(u.Role, OpUserAdd) {
			admins++
		}
	}
	if target == nil {
		return fmt.Errorf("%w: no user %q in this archive", evidence.ErrNotFound, name)
	}
	if target.ID == a.me.ID {
		// This session would go on acting with the removed user's role.
		return fmt.Errorf("%w: a user cannot remove themselves; another admin can", evidence.ErrInvalid)
	}
	if admins == 0 { // cannot happen while only admins remove and not themselves; kept as the rule
		return fmt.Errorf("%w: %q is the last admin; add another admin first", evidence.ErrInvalid, name)
	}
	// Every key the user held is replaced (rotate.go): the change is made
	// in a re-keyed copy of the database, not in this transaction.
	if err := tx.Rollback(); err != nil {
		return err
	}
	if _, err := a.rotate(ctx, keyChange{target: *target, role: roleRemoved, users: users}); err != nil {
		return err
	}
	a.log.Info("user removed", "content_gen", a.ring.CurrentGen())
	return nil
}

// ChangePassphrase seals the acting user's key under a new passphrase,
// once old opens the key file as it is on disk (else evidence.ErrLocked).
// The key itself, and so the user's key ID, stay the same. The file is
// replaced atomically and keys/SUMS lists, until the change is complete,
// both the old and the new file, so an interruption leaves one of the two
// passphrases working.
func (a *Archive) ChangePassphrase(ctx context.Context, old, passphrase string) error {
	if err := a.allow(OpPasswd); err != nil {
		return err
	}
	if err := checkNewPassphrase(passphrase); err != nil {
		return err
	}
	name := locator(a.cfg.ID, a.me.Name) + ".user"
	sealed, err := os.ReadFile(filepath.Join(a.dir, keysDir, name))
	if err != nil {
		return fmt.Errorf("%w: own key file: %v", evidence.ErrDamaged, err)
	}
	if err := checkKeyFile(a.dir, name, sealed); err != nil {
		return err
	}
	k, err := seal.OpenUserKey(sealed, old)
	if errors.Is(err, seal.ErrWrongPassphrase) {
		return fmt.Errorf("%w: the current passphrase is wrong", evidence.ErrLocked)
	}
	if err != nil {
		return err
	}
	if k.KeyID() != a.key.KeyID() {
		return fmt.Errorf("%w: the key file was replaced since the archive was opened", evidence.ErrLocked)
	}
	resealed, err := k.Seal(passphrase, a.workFactor)
	if err != nil {
		return err
	}
	if err := writeKeyFiles(a.dir, map[string][]byte{name: resealed}); err != nil {
		return err
	}
	a.log.Info("passphrase changed")
	return nil
}

func checkNewPassphrase(p string) error {
	if utf8.RuneCountInString(p) < MinPassphrase {
		return fmt.Errorf("%w: passphrase must have at least %d characters", evidence.ErrInvalid, MinPassphrase)
	}
	return nil
}

// currentKeys makes sure this session's keys are the archive's current
// ones: a user removal since the archive was opened started a content
// generation this session does not hold. Called inside the transaction
// (which holds the write lock) of a user change.
func (a *Archive) currentKeys(ctx context.Context, tx store.Tx) error {
	v, err := tx.Meta(ctx, "content_gen")
	if err != nil {
		return err
	}
	if v == "" {
		v = "1"
	}
	if v != fmt.Sprint(a.ring.CurrentGen()) {
		return fmt.Errorf("%w: the archive's keys changed since it was opened (a user was removed); open it again", evidence.ErrLocked)
	}
	return nil
}

// checkMember is part of Open: a removed user is refused, and the keyring
// is brought to the archive's content generation (a generation above it
// was left by a removal that did not commit; one missing means this
// keyring was not updated by a removal, which should not happen).
func (a *Archive) checkMember(ctx context.Context, display string) error {
	if a.me.Role == roleRemoved {
		return fmt.Errorf("%w: %s was removed from this archive", evidence.ErrLocked, display)
	}
	gen, err := a.db.ContentGen(ctx)
	if err != nil {
		return err
	}
	a.ring.DropGensAbove(gen)
	if a.ring.CurrentGen() != gen {
		return fmt.Errorf("%w: the keyring of %s lacks the current content key (generation %d); an admin can remove and add the user again", evidence.ErrLocked, display, gen)
	}
	return nil
}

// writeKeyFiles replaces key files atomically, one by one, with keys/SUMS
// listing both the old and the new contents while they are written and only
// the new ones after, so that at every moment each file matches a line.
func writeKeyFiles(dir string, files map[string][]byte) error {
	if err := writeKeySumsWith(dir, files, ""); err != nil {
		return err
	}
	for name, data := range files {
		if err := writeFileAtomic(filepath.Join(dir, keysDir, name), data); err != nil {
			return err
		}
	}
	return writeKeySums(dir)
}

// dropKeyFiles deletes a user's key files: first from keys/SUMS, then from
// the directory (an interruption leaves unlisted files, which open nothing).
func (a *Archive) dropKeyFiles(loc string) {
	if err := writeKeySumsWith(a.dir, nil, loc); err != nil {
		a.log.Warn("updating key sums", "err", err)
		return
	}
	for _, ext := range []string{".user", ".ring", vaultFile} {
		if err := os.Remove(filepath.Join(a.dir, keysDir, loc+ext)); err != nil && !errors.Is(err, os.ErrNotExist) {
			a.log.Warn("removing a key file", "err", err)
		}
	}
}

// writeKeySumsWith writes keys/SUMS for the files in keys/ plus pending
// (name → contents about to be written), leaving out the files of locator
// drop (or the one file named drop).
func writeKeySumsWith(dir string, pending map[string][]byte, drop string) error {
	des, err := os.ReadDir(filepath.Join(dir, keysDir))
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, de := range des {
		name := de.Name()
		if name == keySums || strings.HasPrefix(name, ".") || !de.Type().IsRegular() || (drop != "" && (strings.HasPrefix(name, drop+".") || name == drop)) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, keysDir, name))
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%x  %s\n", sha256.Sum256(data), name)
	}
	for name, data := range pending {
		fmt.Fprintf(&b, "%x  %s\n", sha256.Sum256(data), name)
	}
	return writeFileAtomic(filepath.Join(dir, keysDir, keySums), []byte(b.String()))
}
