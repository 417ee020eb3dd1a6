package archive

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"sori/internal/custody"
	"sori/internal/durable"
	"sori/internal/evidence"
	"sori/internal/seal"
	"sori/internal/store"
	"sori/internal/store/sqlite"
)

// Key rotation (docs/format.md "Key rotation"). A user removed, or losing a
// role that granted a key, may have kept copies of their key files. So
// that those copies open nothing written afterwards, the keys they held are
// replaced, in one crash-safe step, in the keyrings of the others:
//
//   - the database key: meta.db is copied page by page (SQLite's backup)
//     into a new file encrypted under a new key, and that file replaces it;
//   - on a removal, a new content key generation (as before);
//   - the item ID key, if the user held it (old IDs stay: they are stored);
//   - the identity vault key, if the user held it (refused when this
//     session does not hold it: nobody else could be given the new one);
//   - on a removal, the name-net key, when this session can re-derive the
//     safety net's hashes (it holds the vault key, and no withdrawn entry
//     left hashes whose names are gone).
//
// The steps, in order, each durable before the next:
//
//  1. DIR/rotate/ is made; the database is copied into DIR/rotate/meta.db
//     under the new key, and the change (role, revoke entry, re-wrapped
//     vault, rehashed names, checkpoint) committed in the copy alone.
//  2. The new keyrings (and vault key files) are written to DIR/rotate/keys/.
//  3. DIR/rotate/commit is written (atomic rename): the commit point. It
//     names the key files to delete and holds nothing secret.
//  4. Roll forward: the copy is renamed over meta.db (its WAL and shm
//     removed first), the new key files replace the old ones (keys/SUMS
//     listing both while they change), the removed user's files are
//     deleted, then DIR/rotate/ is deleted.
//
// Before step 3 the archive is the old one (meta.db and keys/ untouched);
// Open, holding the archive lock exclusive, deletes a DIR/rotate/ without
// commit. From step 3 on, Open finishes step 4 first. The rotating
// session holds the lock exclusive throughout, so no other process has the
// archive open meanwhile.

const (
	rotateDir    = "rotate"
	rotateCommit = "commit"
	// metaIDHistory is the meta key of the earlier item ID keys, sealed
	// under the current one (hex): intake's deduplication needs them.
	metaIDHistory = "id_keys_old"
)

// rotateTrace (the test-only environment variable SORI_TEST_ROTATE_TRACE)
// makes a rotation name each step on standard error as it reaches it, so
// that the crash test can kill the process there. Step names only.
var rotateTrace = os.Getenv("SORI_TEST_ROTATE_TRACE") != ""

func rotateStep(step string) {
	if rotateTrace {
		fmt.Fprintf(os.Stderr, "rotate step: %s\n", step)
	}
}

// rotationPlan is DIR/rotate/commit: what the roll forward deletes after
// installing the new files. Locators only, no names, no keys.
type rotationPlan struct {
	V         int      `json:"v"`
	Drop      []string `json:"drop,omitempty"`       // locators whose key files are deleted (a removal)
	DropVault []string `json:"drop_vault,omitempty"` // locators whose vault key file is deleted (protection taken)
}

// keyChange is what a rotation does: the target user's role after it
// (roleRemoved for a removal), and which keys they lose.
type keyChange struct {
	target store.User
	role   string
	users  []store.User
}

func (c keyChange) removal() bool { return c.role == roleRemoved }

// losesIDKey: the target held the item ID key and will not.
func (c keyChange) losesIDKey() bool {
	return grantFor(c.target.Role).IDKey && (c.removal() || !grantFor(c.role).IDKey)
}

// losesVault: the target held the identity vault key and will not.
func (c keyChange) losesVault() bool {
	return grantsVault(c.target.Role) && (c.removal() || !grantsVault(c.role))
}

// takesKey reports whether changing target's roles to role takes away a
// key (ID key or vault key), and so needs a rotation.
func takesKey(target store.User, role string) bool {
	c := keyChange{target: target, role: role}
	return c.losesIDKey() || c.losesVault()
}

// rotate applies c — the target's new role, its revoke entry — together
// with the rotation of every key the target loses. It runs holding the
// archive lock exclusive (the caller's archiveWide). Afterwards this
// session holds the new keys and the new database.
func (a *Archive) rotate(ctx context.Context, c keyChange) (custody.Checkpoint, error) {
	var cp custody.Checkpoint
	if c.losesVault() && !a.ring.HasVault() {
		return cp, fmt.Errorf("%w: %s holds the identity vault key, which must be replaced, and only a session holding it can; ask a protection officer (%s) to do it", evidence.ErrForbidden, c.target.Name, officers(c.users, c.target.ID))
	}
	if err := a.soleSession(); err != nil {
		return cp, err
	}
	next := a.ring.Rotated(c.losesIDKey())
	gen := 0
	if c.removal() {
		next, gen = next.NewContentGen()
	}
	if c.losesVault() {
		next = next.RotateVault()
	}
	if c.losesLog() && a.ring.Log != "" {
		skey, _, err := custody.NewLogKey(custody.Origin(a.cfg.ID))
		if err != nil {
			return cp, err
		}
		next = next.WithLog(skey)
	}
	if a.cfg.DB != "" {
		return a.rotateInPlace(ctx, c, next, gen)
	}
	rd := filepath.Join(a.dir, rotateDir)
	if err := os.RemoveAll(rd); err != nil {
		return cp, err
	}
	if err := os.MkdirAll(filepath.Join(rd, keysDir), 0o700); err != nil {
		return cp, err
	}
	committed := false
	defer func() {
		if !committed {
			os.RemoveAll(rd)
			durable.SyncDir(a.dir)
		}
	}()
	rotateStep("staging")
	staged := filepath.Join(rd, dbFile)
	if err := store.Snapshot(ctx, a.db, staged, next.DB); err != nil {
		return cp, err
	}
	rotateStep("copied")
	cp, chain, err := a.rotatedRecords(ctx, staged, next, c, gen)
	if err != nil {
		return cp, err
	}
	rotateStep("recorded")
	if cur := chain.Current(); cur != a.cfg.LogKey {
		// sori.json publishing the new log key, installed with the rest.
		if err := writeFileAtomic(filepath.Join(rd, configFile), marshalConfig(configWithLogKey(a.cfg, cur))); err != nil {
			return cp, err
		}
		rotateStep("staged sori.json")
	}
	files, mine, err := a.rotatedKeyFiles(next, c)
	if err != nil {
		return cp, err
	}
	for name, data := range files {
		if err := writeFileAtomic(filepath.Join(rd, keysDir, name), data); err != nil {
			return cp, err
		}
		rotateStep("staged key file")
	}
	plan := rotationPlan{V: 1}
	loc := locator(a.cfg.ID, c.target.Name)
	if c.removal() {
		plan.Drop = []string{loc}
	} else if c.losesVault() {
		plan.DropVault = []string{loc}
	}
	b, _ := json.Marshal(plan)
	// The Repo's database goes before the commit point: from then on the
	// old file is no longer the archive's.
	if err := a.closeStore(); err != nil {
		a.log.Warn("closing the database before its replacement", "err", err)
	}
	if err := writeFileAtomic(filepath.Join(rd, rotateCommit), b); err != nil {
		if oerr := a.reopenStore(ctx, a.ring.DB); oerr != nil {
			a.log.Warn("reopening the database", "err", oerr)
		}
		return cp, err
	}
	committed = true
	rotateStep("committed")
	if err := finishRotation(a.dir); err != nil {
		return cp, fmt.Errorf("the key rotation is committed but not installed (%w); open the archive again to finish it", err)
	}
	if err := a.reopenStore(ctx, next.DB); err != nil {
		return cp, fmt.Errorf("the key rotation is done, but: %w; open the archive again", err)
	}
	// This session is the Repo's only one (soleSession) and runs the
	// change holding the archive lock exclusive: it takes the new keys.
	// A session of the target (this one, for a role taken from oneself) is
	// stale from now on, as after any change of a user's role.
	a.ring = mine
	a.setChain(chain)
	a.userChanged(c.target.ID)
	// The disclosure guard's cache holds hashes under the old name-net key.
	a.guard.mu.Lock()
	a.guard.d, a.guard.count = nil, 0
	a.guard.mu.Unlock()
	a.pin(cp)
	return cp, nil
}

// officers names the active protection officers other than the one with
// key ID except, for a refusal that says who can do it.
func officers(users []store.User, except string) string {
	var names []string
	for _, u := range users {
		if u.ID != except && u.Role != roleRemoved && grantsVault(u.Role) {
			names = append(names, u.Name)
		}
	}
	if len(names) == 0 {
		return "there is no other: the officer must first give the protection role to another user, who can then do it"
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// soleSession refuses a rotation while another Archive of this process has
// the archive open: it would go on using the replaced database file (the
// lock keeps other processes out, not other sessions of this one).
func (a *Archive) soleSession() error {
	a.mu.Lock()
	sessions := a.sessions
	a.mu.Unlock()
	refs := 1
	if a.lock != nil && a.lock.p.file != nil {
		procLocks.mu.Lock()
		refs = a.lock.p.refs
		procLocks.mu.Unlock()
	}
	if refs > 1 || sessions > 1 {
		return fmt.Errorf("%w: another session of this process has the archive open; close it before a change that replaces the archive's keys", ErrBusy)
	}
	return nil
}

// rotatedRecords commits the change in the staged copy of the database
// (path, under next's database key): the target's role, the content
// generation, the re-wrapped vault, the earlier ID keys, the rehashed safety
// net, their custody entries and a checkpoint. The copy is closed (its WAL
// folded in) and synced.
func (a *Archive) rotatedRecords(ctx context.Context, path string, next *seal.Keyring, c keyChange, gen int) (custody.Checkpoint, custody.KeyChain, error) {
	var cp custody.Checkpoint
	chain := a.LogKeyChain()
	sdb, err := sqlite.Open(ctx, path, next.DB)
	if err != nil {
		return cp, chain, err
	}
	closed := false
	defer func() {
		if !closed {
			sdb.Close()
		}
	}()
	// The session as it acts on the copy: same user and keys, on a Repo of
	// the copy alone.
	rs := newRepo(a.dir, a.cfg, Options{Logger: a.log, Now: a.now, WorkFactor: a.workFactor}, nil)
	rs.db, rs.dbOpen, rs.dbKey, rs.chain = sdb, true, next.DB, chain
	s := &Archive{repoState: rs, key: a.key, ring: a.ring, me: a.me}
	tx, err := sdb.Begin(ctx)
	if err != nil {
		return cp, chain, err
	}
	defer tx.Rollback()
	if cp, chain, err = s.applyRotation(ctx, tx, next, c, gen); err != nil {
		return cp, chain, err
	}
	if err := tx.Commit(); err != nil {
		return cp, chain, err
	}
	closed = true
	if err := sdb.Close(); err != nil {
		return cp, chain, err
	}
	for _, ext := range []string{"-wal", "-journal"} {
		if _, err := os.Lstat(path + ext); err == nil {
			return cp, chain, fmt.Errorf("%w: the re-keyed database copy left %s behind on close", evidence.ErrDamaged, filepath.Base(path+ext))
		}
	}
	return cp, chain, syncFile(path)
}

// applyRotation writes, in tx, the change c and the keys it replaces: the
// target's role, the content generation, the re-wrapped vault, the earlier
// ID keys, the rehashed safety net, their custody entries, the log key
// handover, and a checkpoint signed by the log key in force after it
// (next's). The caller commits; the returned chain is the one after it.
func (a *Archive) applyRotation(ctx context.Context, tx store.Tx, next *seal.Keyring, c keyChange, gen int) (custody.Checkpoint, custody.KeyChain, error) {
	var cp custody.Checkpoint
	chain := a.LogKeyChain()
	if err := a.currentKeys(ctx, tx); err != nil {
		return cp, chain, err
	}
	l, err := a.newLogger(ctx, tx, a.now())
	if err != nil {
		return cp, chain, err
	}
	handover := next.Log != a.ring.Log
	// The safety net is rehashed before the re-wrap: it opens entries
	// under the vault key this session holds now.
	replaced := false
	if c.removal() {
		if replaced, err = a.rotateNameNet(ctx, tx, l, next); err != nil {
			return cp, chain, err
		}
		if err := tx.SetContentGen(ctx, gen); err != nil {
			return cp, chain, err
		}
	}
	if handover && !replaced {
		if err := a.rewrapNameNet(ctx, tx, next); err != nil {
			return cp, chain, err
		}
	}
	if c.losesVault() {
		if err := a.currentVaultKey(ctx, tx); err != nil {
			return cp, chain, err
		}
		if err := a.rewrapVault(ctx, tx, next); err != nil {
			return cp, chain, err
		}
	}
	if c.losesIDKey() {
		if err := a.keepIDHistory(ctx, tx, next); err != nil {
			return cp, chain, err
		}
	}
	changed := c.target
	changed.Role = c.role
	if err := tx.SetUserRole(ctx, changed.ID, changed.Role); err != nil {
		return cp, chain, err
	}
	if err := l.append(ctx, custody.KindRevoke, changed.ID, 0, userDigest(changed), evidence.Digest{}); err != nil {
		return cp, chain, err
	}
	if c.removal() {
		// Out of every compartment: each starts a key generation the
		// removed user never holds.
		if err := dropFromCompartments(ctx, tx, l, changed.ID); err != nil {
			return cp, chain, err
		}
	}
	// The handover is the transaction's last entry: the checkpoint that
	// seals it is the new key's first.
	if handover {
		if chain, err = a.handOver(ctx, tx, l, next); err != nil {
			return cp, chain, err
		}
	}
	cp, err = l.seal(ctx)
	return cp, chain, err
}

// rotateInPlace is rotate on a PostgreSQL store, whose database key seals
// fields in the process rather than pages of a file (docs/format.md "Key
// rotation"). Everything happens in the change's one transaction: the
// change itself (applyRotation, its rows sealed under the old key), then
// the re-seal of every sealed field and keyed hash under the new database
// key (store.Rekeyer), the new keyrings written before it commits. A
// keyring ahead of the database holds the old database key in db_old and
// the log key before the handover in log_old, so a kill at any instant
// leaves either the old database with keyrings that still open it, or the
// new one. A driver without the capability keeps its database key, as
// sori did before.
func (a *Archive) rotateInPlace(ctx context.Context, c keyChange, next *seal.Keyring, gen int) (custody.Checkpoint, error) {
	rk, rekey := a.db.(store.Rekeyer)
	if !rekey {
		next.DB, next.DBOld = a.ring.DB, a.ring.DBOld
	}
	tx, err := a.db.Begin(ctx)
	if err != nil {
		return custody.Checkpoint{}, err
	}
	defer tx.Rollback()
	rotateStep("begun")
	cp, chain, err := a.applyRotation(ctx, tx, next, c, gen)
	if err != nil {
		return cp, err
	}
	rotateStep("recorded")
	if rekey {
		if err := rk.Rekey(ctx, tx, next.DB, func(table string) { rotateStep("re-sealed " + table) }); err != nil {
			return cp, err
		}
	}
	files, mine, err := a.rotatedKeyFiles(next, c)
	if err != nil {
		return cp, err
	}
	// Keyrings ahead of the database hold the log key in force before
	// the handover too (seal.Keyring.LogOld), and the database key before
	// the re-seal (DBOld), so an interruption here locks nobody out.
	if err := writeKeyFiles(a.dir, files); err != nil {
		return cp, err
	}
	rotateStep("key files written")
	if err := tx.Commit(); err != nil {
		return cp, err
	}
	rotateStep("committed")
	if rekey {
		if err := rk.UseKey(ctx, next.DB); err != nil {
			return cp, fmt.Errorf("the key rotation is done, but: %w; open the archive again", err)
		}
		a.setDBKey(next.DB)
	}
	if cur := chain.Current(); cur != a.cfg.LogKey {
		// Killed before this, the next open publishes it (settleLogKey).
		if err := writeFileAtomic(filepath.Join(a.dir, configFile), marshalConfig(configWithLogKey(a.cfg, cur))); err != nil {
			a.log.Warn("publishing the new log key in sori.json; the next open does it", "err", err)
		}
		rotateStep("sori.json written")
	}
	a.setChain(chain)
	a.pin(cp)
	loc := locator(a.cfg.ID, c.target.Name)
	if c.removal() {
		a.dropKeyFiles(loc)
	} else if c.losesVault() {
		a.dropVaultFile(loc)
	}
	rotateStep("dropped")
	a.ring = mine
	a.userChanged(c.target.ID)
	// The disclosure guard's cache may hold hashes under the old name-net key.
	a.guard.mu.Lock()
	a.guard.d, a.guard.count = nil, 0
	a.guard.mu.Unlock()
	return cp, nil
}

// settleKeyFiles is part of opening a PostgreSQL store: a rotation there
// deletes the removed user's key files (or, for the protection role taken
// away, the vault key file) after its transaction commits, and a kill in
// between leaves them. The users' roles in the database say what is
// left over: every key file of a removed user, and the vault key file of a
// user who is not a protection officer. They open nothing written since
// (a removal re-sealed the database under a new key and started a new
// content generation; a vault key taken away was replaced), and are
// deleted here as the rotation would have. Failures are logged only: the
// archive opens either way.
func (r *repoState) settleKeyFiles(ctx context.Context, db store.DB) {
	if r.cfg.DB == "" {
		return // the embedded store's rotation rolls forward from rotate/commit
	}
	users, err := db.Users(ctx)
	if err != nil {
		r.log.Warn("listing users for leftover key files", "err", err)
		return
	}
	exists := func(name string) bool {
		_, err := os.Lstat(filepath.Join(r.dir, keysDir, name))
		return err == nil
	}
	for _, u := range users {
		loc := locator(r.cfg.ID, u.Name)
		switch {
		case u.Role == roleRemoved && (exists(loc+".user") || exists(loc+".ring") || exists(loc+vaultFile)):
			if err := dropFiles(r.dir, loc, []string{".user", ".ring", vaultFile}); err != nil {
				r.log.Warn("deleting a removed user's key files left by an interrupted rotation", "err", err)
			} else {
				r.log.Info("deleted a removed user's key files left by an interrupted rotation")
			}
		case u.Role != roleRemoved && !grantsVault(u.Role) && exists(loc+vaultFile):
			if err := dropFiles(r.dir, loc+vaultFile, []string{""}); err != nil {
				r.log.Warn("deleting a vault key file left by an interrupted rotation", "err", err)
			} else {
				r.log.Info("deleted a vault key file left by an interrupted rotation")
			}
		}
	}
}

// keySumsReadable reports whether keys/SUMS can be read (so that a file
// it does not list is really unlisted).
func keySumsReadable(dir string) bool {
	_, err := os.ReadFile(filepath.Join(dir, keysDir, keySums))
	return err == nil
}

// setDBKey records key as the one the Repo's store is open under, after
// the store re-sealed under it (a PostgreSQL rotation).
func (r *repoState) setDBKey(key [32]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dbKey = key
}

// keepIDHistory records the current ID key among the earlier ones, sealed
// under next's, so that intake still finds an item added under any of them.
func (a *Archive) keepIDHistory(ctx context.Context, tx store.Tx, next *seal.Keyring) error {
	old, err := a.idHistory(func(k string) (string, error) { return tx.Meta(ctx, k) })
	if err != nil {
		return err
	}
	sealed, err := next.SealIDHistory(append([][32]byte{a.ring.IDKey}, old...))
	if err != nil {
		return err
	}
	return tx.SetMeta(ctx, metaIDHistory, hex.EncodeToString(sealed))
}

// closeStore closes the Repo's store before a rotation's commit point;
// the closed store stays in place (its methods fail) until reopenStore.
func (r *repoState) closeStore() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.db.Close()
}

// reopenStore opens meta.db as the Repo's store under key: the new one
// after a rotation, the old one if it did not commit.
func (r *repoState) reopenStore(ctx context.Context, key [32]byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	db, err := openStore(ctx, r.dir, r.cfg, key, r.scan)
	if err != nil {
		return err
	}
	r.db, r.dbKey = db, key
	return nil
}

// acquireRing is acquire (the session's count on the Repo's store) under
// the keyring's database key or, failing that, one it replaced: a
// replica's copy between the steps of a replication that follows a
// rotation has the new keyrings before the new meta.db (internal/replica).
// The session then goes on under the key that opened it. The archive
// itself never is in that state: OpenRepo completes or undoes a rotation
// first.
func (r *repoState) acquireRing(ctx context.Context, ring *seal.Keyring, display string) (bool, error) {
	opened, err := r.acquire(ctx, ring.DB, display)
	if err == nil || !(errors.Is(err, evidence.ErrDamaged) || errors.Is(err, evidence.ErrLocked)) {
		return opened, err
	}
	for _, k := range ring.DBOld {
		if o, kerr := r.acquire(ctx, k, display); kerr == nil {
			ring.DB = k
			return o, nil
		}
	}
	if errors.Is(err, evidence.ErrDamaged) {
		err = fmt.Errorf("%w (if this user's key files were put back after a removal, or are older than the archive's last key rotation, they do not open it: that is expected)", err)
	}
	return false, err
}

// idHistory reads the earlier item ID keys under this session's ID key.
func (a *Archive) idHistory(meta func(string) (string, error)) ([][32]byte, error) {
	v, err := meta(metaIDHistory)
	if err != nil || v == "" {
		return nil, err
	}
	b, err := hex.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("%w: the earlier item ID keys are not hex", evidence.ErrDamaged)
	}
	return a.ring.OpenIDHistory(b)
}

// earlierIDKeys reads the earlier item ID keys (none without an ID key),
// once for an intake rather than once for each of its files.
func (a *Archive) earlierIDKeys(ctx context.Context) ([][32]byte, error) {
	if !a.ring.HasIDKey() {
		return nil, nil
	}
	return a.idHistory(func(k string) (string, error) { return a.db.Meta(ctx, k) })
}

// earlierItem finds an item with plaintext digest sum added under one of
// the earlier item ID keys old (before a rotation): intake's
// deduplication.
func (a *Archive) earlierItem(ctx context.Context, old [][32]byte, sum evidence.Digest) (evidence.ID, bool) {
	for _, k := range old {
		id := seal.ItemIDUnder(k, sum)
		if _, err := a.db.Item(ctx, id); err == nil {
			return id, true
		}
	}
	return evidence.ID{}, false
}

// rotateNameNet replaces the name-net key and rehashes every entry's names
// under the new one, when this session can: it holds the vault key (the
// names are only in the vault), and every entry with hashes is active (a
// withdrawn entry's names are gone with its key, and its hashes must go on
// masking them). Otherwise the key stays, which docs/roles.md states: the
// hashes are then reachable only through the re-keyed database. Each entry
// opened is recorded (vault-open), as 'witness rehash' does.
func (a *Archive) rotateNameNet(ctx context.Context, tx store.Tx, l *logger, next *seal.Keyring) (bool, error) {
	if !a.ring.HasVault() || !a.ring.HasNameNet() {
		a.log.Warn("name-net key not replaced: this session does not hold the identity vault key")
		return false, nil
	}
	counts, err := a.db.VaultNameCounts(ctx)
	if err != nil {
		return false, err
	}
	rows, err := tx.ActiveVault(ctx)
	if err != nil {
		return false, err
	}
	active := map[string]bool{}
	for _, r := range rows {
		active[r.ID] = true
	}
	for entry := range counts {
		if !active[entry] {
			a.log.Warn("name-net key not replaced: a withdrawn entry's hashes cannot be rehashed")
			return false, nil
		}
	}
	key, wrapped, err := next.NewNameNetKey() // under the log key in force after the rotation
	if err != nil {
		return false, err
	}
	if err := tx.SetMeta(ctx, metaNameNet, hex.EncodeToString(wrapped)); err != nil {
		return false, err
	}
	for _, r := range rows {
		if counts[r.ID] == 0 {
			continue // never hashed (made before the safety net): 'witness rehash' does it
		}
		w, err := a.openEntry(r)
		if err != nil {
			return false, err
		}
		if err := tx.DeleteVaultNames(ctx, r.ID); err != nil {
			return false, err
		}
		if err := tx.InsertVaultNames(ctx, r.ID, vaultNameRows(key, w.Names, w.Contact)); err != nil {
			return false, err
		}
		if err := l.append(ctx, custody.KindVaultOpen, r.ID, 0, vaultDigest(r.ID, r.Pseudonym), evidence.Digest{}); err != nil {
			return false, err
		}
	}
	return true, nil
}

// rotatedKeyFiles seals next's keys for every user active after c: their
// keyrings, and vault key files when the vault key changed. It also returns
// this session's own keys after the change.
func (a *Archive) rotatedKeyFiles(next *seal.Keyring, c keyChange) (map[string][]byte, *seal.Keyring, error) {
	files := map[string][]byte{}
	var mine *seal.Keyring
	for _, u := range c.users {
		role := u.Role
		if u.ID == c.target.ID {
			role = c.role
		}
		if role == roleRemoved {
			continue
		}
		ring, err := next.Subset(grantFor(role), 0)
		if err != nil {
			return nil, nil, err
		}
		if ring.Log != "" {
			ring.LogOld = next.LogOld // for a keyring ahead of its database
		}
		loc := locator(a.cfg.ID, u.Name)
		if files[loc+".ring"], err = ring.SealTo(u.Recipient); err != nil {
			return nil, nil, err
		}
		if grantsVault(role) {
			ring.Vault, ring.VaultOld = next.Vault, next.VaultOld
			if c.losesVault() {
				if files[loc+vaultFile], err = next.SealVaultKey(u.Recipient); err != nil {
					return nil, nil, err
				}
			}
		}
		if u.ID == a.me.ID {
			mine = ring
		}
	}
	if mine == nil {
		return nil, nil, fmt.Errorf("%w: the acting user is not among the archive's users", evidence.ErrLocked)
	}
	return files, mine, nil
}

// finishRotation completes or rolls back a rotation found in dir (see the
// steps above). It runs holding the archive lock exclusive, and may run
// again after any interruption: every step is idempotent.
func finishRotation(dir string) error {
	rd := filepath.Join(dir, rotateDir)
	b, err := os.ReadFile(filepath.Join(rd, rotateCommit))
	if errors.Is(err, os.ErrNotExist) {
		// Not committed: the archive is the old one.
		if err := os.RemoveAll(rd); err != nil {
			return err
		}
		return durable.SyncDir(dir)
	}
	if err != nil {
		return fmt.Errorf("%w: %s/%s: %v", evidence.ErrDamaged, rotateDir, rotateCommit, err)
	}
	var plan rotationPlan
	if err := json.Unmarshal(b, &plan); err != nil || plan.V != 1 {
		return fmt.Errorf("%w: %s/%s: not a rotation plan", evidence.ErrDamaged, rotateDir, rotateCommit)
	}
	staged := filepath.Join(rd, dbFile)
	if _, err := os.Lstat(staged); err == nil {
		// The old database's WAL must not be applied to the new file.
		for _, ext := range []string{"-wal", "-shm"} {
			if err := os.Remove(filepath.Join(dir, dbFile+ext)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
		rotateStep("old wal removed")
		if err := os.Rename(staged, filepath.Join(dir, dbFile)); err != nil {
			return err
		}
		if err := durable.SyncDir(dir); err != nil {
			return err
		}
		rotateStep("database installed")
	}
	// sori.json publishing a new log key (a handover), before the key
	// files, whose log key it is.
	if _, err := os.Lstat(filepath.Join(rd, configFile)); err == nil {
		if err := os.Rename(filepath.Join(rd, configFile), filepath.Join(dir, configFile)); err != nil {
			return err
		}
		if err := durable.SyncDir(dir); err != nil {
			return err
		}
		rotateStep("sori.json installed")
	}
	des, err := os.ReadDir(filepath.Join(rd, keysDir))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	files := map[string][]byte{}
	for _, de := range des {
		if strings.HasPrefix(de.Name(), ".") || !de.Type().IsRegular() {
			continue // a temporary file of an interrupted write
		}
		if files[de.Name()], err = os.ReadFile(filepath.Join(rd, keysDir, de.Name())); err != nil {
			return err
		}
	}
	if err := writeKeyFiles(dir, files); err != nil {
		return err
	}
	rotateStep("key files installed")
	for _, loc := range plan.Drop {
		if err := dropFiles(dir, loc, []string{".user", ".ring", vaultFile}); err != nil {
			return err
		}
	}
	for _, loc := range plan.DropVault {
		if err := dropFiles(dir, loc+vaultFile, []string{""}); err != nil {
			return err
		}
	}
	rotateStep("dropped")
	if err := os.Remove(filepath.Join(rd, rotateCommit)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := durable.SyncDir(rd); err != nil {
		return err
	}
	if err := os.RemoveAll(rd); err != nil {
		return err
	}
	return durable.SyncDir(dir)
}

// dropFiles deletes key files prefix+ext: first from keys/SUMS, then from
// keys/ (an interruption leaves unlisted files, which open nothing).
func dropFiles(dir, prefix string, exts []string) error {
	if err := writeKeySumsWith(dir, nil, prefix); err != nil {
		return err
	}
	for _, ext := range exts {
		if err := os.Remove(filepath.Join(dir, keysDir, prefix+ext)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return durable.SyncDir(filepath.Join(dir, keysDir))
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// settleRotation is part of Open: a rotation interrupted in dir is
// finished (or, not committed, undone) before any key file is read,
// holding the archive lock exclusive for it. l is held shared with its
// key-file read lock taken, as lockShared returns it; on success it is
// again, on error it is not (the caller releases l).
func (l *archiveLock) settleRotation(ctx context.Context, dir string) error {
	if _, err := os.Lstat(filepath.Join(dir, rotateDir)); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	l.openDone()
	if err := l.exclusive(ctx, func() error {
		if _, err := os.Lstat(filepath.Join(dir, rotateDir)); errors.Is(err, os.ErrNotExist) {
			return nil // another process finished it meanwhile
		}
		return finishRotation(dir)
	}); err != nil {
		return err
	}
	return waitFor(ctx, l.p.change.TryRLock, time.Now().Add(l.wait))
}

// RekeyUser seals user name's keyring again with exactly what their roles
// grant today, from this session's current keys (and, for a protection
// officer, their vault key file, when this session holds the vault key): a
// keyring written by an older sori (a reader's without the log key) or one
// holding a key a role no longer grants is rewritten in one step. No key
// is replaced and nothing is logged: the roles do not change. It runs
// holding the archive lock exclusive, as changes of keys do.
func (a *Archive) RekeyUser(ctx context.Context, name string) error {
	if err := a.allow(OpUserRole); err != nil {
		return err
	}
	name, err := CheckUserName(name)
	if err != nil {
		return err
	}
	return a.archiveWide(ctx, func() error {
		u, err := a.db.UserByName(ctx, name)
		if err != nil {
			return err
		}
		if u.Role == roleRemoved {
			return fmt.Errorf("%w: %s was removed; a removed user has no keyring", evidence.ErrInvalid, name)
		}
		tx, err := a.db.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := a.currentKeys(ctx, tx); err != nil {
			return err
		}
		ring, err := a.ring.Subset(grantFor(u.Role), 0)
		if err != nil {
			return err
		}
		loc := locator(a.cfg.ID, u.Name)
		files := map[string][]byte{}
		if files[loc+".ring"], err = ring.SealTo(u.Recipient); err != nil {
			return err
		}
		if grantsVault(u.Role) && a.ring.HasVault() {
			if err := a.currentVaultKey(ctx, tx); err != nil {
				return err
			}
			if files[loc+vaultFile], err = a.ring.SealVaultKey(u.Recipient); err != nil {
				return err
			}
		}
		if err := writeKeyFiles(a.dir, files); err != nil {
			return err
		}
		if !grantsVault(u.Role) {
			a.dropVaultFile(loc) // a vault key file left by a role taken away
		}
		a.log.Info("keyring rewritten", "files", len(files))
		return nil
	})
}
