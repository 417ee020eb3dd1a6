package archive

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"sori/internal/blob"
	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/store"
)

// Repo is an archive opened once per process: its configuration, the
// archive lock, the metadata store (with its shared search cache) and the
// blob store. It holds no user's keys. Unlock gives Sessions on it; any
// number of them, of any users, may be used at once by many goroutines.
//
// The store is encrypted under the database key, which only a user's
// keyring holds: the first Unlock opens it, later ones check that their
// keyring holds the same key, and when the last session closes the store is
// closed and the key dropped, so that a server keeps no key while nobody is
// signed in.
type Repo struct{ *repoState }

// repoState is what a Repo shares with its sessions (which embed it, so
// that its fields read as their own); it has no exported methods to pass on.
type repoState struct {
	dir string
	cfg config
	// chain is the log key chain (logkey.go), read when the store opens;
	// guarded by mu.
	chain      custody.KeyChain
	log        *slog.Logger
	now        func() time.Time
	stateDir   string
	noPinCheck bool
	// workFactor seals the keys of users sessions add, or re-seal.
	workFactor int
	// lock is the archive lock, held shared until Close (lock.go).
	lock *archiveLock

	// db and blobs are opened by the first session and closed with the
	// last (dbOpen tells); mu guards that, and gens. Sessions read db and
	// blobs without it: they are set before a session is handed out, and a
	// closed store stays in place (its methods fail; nothing dereferences
	// nil) until a later session opens a new one.
	mu       sync.Mutex
	db       store.DB
	dbOpen   bool
	dbKey    [32]byte
	blobs    blob.Store
	sessions int
	closed   bool
	// gens counts, per user ID, the changes to that user's role or
	// membership made through this Repo; a session unlocked before one is
	// stale.
	gens map[string]int

	pinMu sync.Mutex
	// pinFrozen: the pin check failed (opened with NoPinCheck); the pin is
	// never rewritten while the Repo is open.
	pinFrozen bool
	// scan: the store is opened with a small page cache (Options.Scan).
	scan bool

	// indexWake wakes a background indexer after intake (indexer.go).
	indexWake chan struct{}

	// writeCheck is the quick check before the Repo's first write.
	writeCheck struct {
		mu   sync.Mutex
		done bool
		err  error
	}
}

func newRepo(dir string, cfg config, opt Options, lock *archiveLock) *repoState {
	return &repoState{dir: dir, cfg: cfg, log: opt.logger(), now: opt.clock(), stateDir: opt.StateDir,
		noPinCheck: opt.NoPinCheck, scan: opt.Scan, workFactor: opt.workFactor(), lock: lock, gens: map[string]int{},
		indexWake: make(chan struct{}, 1)}
}

// OpenRepo opens the archive in dir for sessions, taking the archive lock
// shared (see Open for the wait). It reads no key.
func OpenRepo(ctx context.Context, dir string, opt Options) (*Repo, error) {
	// Read once before the lock, for a clear error on what is no archive,
	// and again below: a rotation settled meanwhile may change it.
	if _, err := readConfig(dir); err != nil {
		return nil, err
	}
	lock, err := lockShared(ctx, dir, opt.lockWait())
	if err != nil {
		return nil, err
	}
	if err := lock.settleRotation(ctx, dir); err != nil { // rotate.go
		lock.release()
		return nil, err
	}
	// A rotation finished just now may have published a new log key.
	cfg, err := readConfig(dir)
	if err != nil {
		lock.openDone()
		lock.release()
		return nil, err
	}
	lock.openDone()
	return &Repo{newRepo(dir, cfg, opt, lock)}, nil
}

// Unlock opens a session as user ("" means the first admin) with
// passphrase. A wrong passphrase or unknown user gives an error wrapping
// evidence.ErrLocked and changes nothing. It waits (at most the lock wait)
// for an archive-wide change of this process to finish, so that it never
// reads key files being rewritten.
func (r *Repo) Unlock(ctx context.Context, user, passphrase string) (*Session, error) {
	done, err := r.lock.reading(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	return r.unlock(ctx, user, passphrase)
}

// acquire counts a new session, opening the store under key if no session
// has it open; opened reports that this session opened it. A key other than
// the open store's is refused as not a member's (an old keyring).
func (r *repoState) acquire(ctx context.Context, key [32]byte, display string) (opened bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false, fmt.Errorf("%w: the archive was closed", evidence.ErrInvalid)
	}
	if r.dbOpen {
		if subtle.ConstantTimeCompare(key[:], r.dbKey[:]) != 1 {
			return false, fmt.Errorf("%w: the keyring of %s does not open this archive's database (a keyring from before a key rotation?)", evidence.ErrLocked, display)
		}
		r.sessions++
		return false, nil
	}
	db, err := openStore(ctx, r.dir, r.cfg, key, r.scan)
	if err != nil {
		return false, err
	}
	if id, err := db.Meta(ctx, "archive_id"); err != nil || id != r.cfg.ID {
		db.Close()
		if err == nil {
			err = fmt.Errorf("%w: database belongs to another archive", evidence.ErrDamaged)
		}
		return false, err
	}
	if err := r.lockStore(ctx, db); err != nil { // lock.go
		db.Close()
		return false, err
	}
	if err := r.settleLogKey(ctx, db); err != nil {
		db.Close()
		return false, err
	}
	r.settleKeyFiles(ctx, db) // rotate.go
	bs, err := openBlobs(ctx, r.dir, r.cfg)
	if err != nil {
		db.Close()
		return false, err
	}
	r.db, r.dbKey, r.blobs, r.sessions, r.dbOpen = db, key, bs, 1, true
	return true, nil
}

// releaseSession counts a session closed; the last one closes the store
// and drops the database key.
func (r *repoState) releaseSession() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sessions == 0 {
		return nil
	}
	r.sessions--
	if r.sessions > 0 || !r.dbOpen {
		return nil
	}
	err := r.db.Close()
	r.dbOpen = false
	r.dbKey = [32]byte{}
	r.writeCheck.mu.Lock()
	r.writeCheck.done, r.writeCheck.err = false, nil
	r.writeCheck.mu.Unlock()
	return err
}

// Close releases the archive lock. Sessions still open are closed first.
func (r *Repo) Close() error { return r.close() }

func (r *repoState) close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	var err error
	if r.dbOpen {
		err = r.db.Close()
		r.dbOpen, r.sessions = false, 0
		r.dbKey = [32]byte{}
	}
	r.mu.Unlock()
	if r.lock != nil {
		r.lock.release()
	}
	return err
}

// userGen is the number of changes to user id's role or membership made
// through this Repo.
func (r *repoState) userGen(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gens[id]
}

// userChanged records a committed change to user id's role or membership:
// that user's sessions unlocked before it are stale from now on.
func (r *repoState) userChanged(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gens[id]++
}

// stale reports whether the session's user had their role changed, or was
// removed, after it was unlocked: its keys and role are then out of date,
// and the user must unlock again.
func (a *Archive) stale() bool { return a.userGen(a.me.ID) != a.gen }

// Dir is the archive directory.
func (r *repoState) Dir() string { return r.dir }

// ID is the archive's random identifier.
func (r *repoState) ID() string { return r.cfg.ID }

// Blobs exposes the blob store to verification code in this module.
func (a *Archive) Blobs() blob.Store { return a.blobs }
