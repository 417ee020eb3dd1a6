package archive

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"sori/internal/evidence"
	"sori/internal/store"
)

// The archive lock (docs/format.md "Locks"): one writer at a time for
// archive-wide changes, across processes, on the embedded store.
//
// Two empty files in the archive directory, each locked with flock(2):
//
//	DIR/lock       held shared by every process with the archive open, from
//	               Open (before any key file is read) to the last Close; an
//	               archive-wide change holds it exclusive, so it runs while
//	               no other process has the archive open
//	DIR/lock.gate  an archive-wide change holds it exclusive while it waits
//	               for the others to close and while it runs; Open holds it
//	               shared only until it has DIR/lock, so that new sessions
//	               queue behind a waiting change instead of starving it
//
// A change first lets go of its process's shared lock (flock would remove
// it first anyway to convert it), then takes the gate, then DIR/lock
// exclusive; afterwards DIR/lock is shared again and the gate let go.
// Nobody waits for the gate while holding DIR/lock, and Open holds the gate
// shared only while asking for a lock that the gate's holders alone can
// refuse; so two changes, or a change and an Open, never wait for each
// other in a circle. Every wait is bounded (Options.LockWait): who cannot
// get a lock in time fails with ErrBusy, having changed nothing.
//
// flock locks belong to an open file, so two Archives of one process on
// one open file would shut each other out. A process therefore keeps one
// lock per archive directory (procLock), shared by its Archives; among them
// an archive-wide change waits only for the others' Opens to finish reading
// their key files (a sync.RWMutex), not for them to close.

// DefaultLockWait is how long a command waits for the archive lock before
// it fails with ErrBusy.
const DefaultLockWait = 30 * time.Second

// ErrBusy: another process holds the archive lock (an archive-wide change
// is running, or is waiting for sessions to close). Nothing was changed.
var ErrBusy = fmt.Errorf("%w: another sori process is changing the archive's keys", evidence.ErrBusy)

const (
	lockFile = "lock"
	gateFile = "lock.gate"
)

// procLock is this process's hold on one archive's lock.
type procLock struct {
	dir  string
	file *os.File    // DIR/lock, held shared while refs > 0 (exclusive during a change)
	info os.FileInfo // of file, to recognise the archive under another path
	refs int         // Archives using it; guarded by procLocks.mu
	// change is held for reading by an Open while it reads key files, and
	// for writing by an archive-wide change.
	change sync.RWMutex
}

// procLocks are the archive locks this process holds: flock's unit is the
// open file, so they are per process by nature, not configuration.
var procLocks struct {
	mu    sync.Mutex
	locks []*procLock
}

// archiveLock is one Archive's use of its process's lock.
type archiveLock struct {
	p    *procLock
	wait time.Duration
	once sync.Once
}

// lockShared gives a new session the archive lock, shared: the process's
// existing hold, or a new one taken through the gate (creating the lock
// files in an archive made before them). The caller holds l.p.change for
// reading until it has read its key files (openDone).
func lockShared(ctx context.Context, dir string, wait time.Duration) (*archiveLock, error) {
	f, err := openLockFile(dir, lockFile)
	if err != nil {
		return nil, err
	}
	if f == nil { // read-only file system, no lock file: nothing to order
		l := &archiveLock{p: &procLock{dir: dir}, wait: wait}
		l.p.change.RLock()
		return l, nil
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: archive lock file: %v", evidence.ErrDamaged, err)
	}
	deadline := time.Now().Add(wait)
	p := heldLock(info)
	if p == nil {
		// Not holding the registry meanwhile: the wait may be long.
		if err := throughGate(ctx, dir, f, deadline); err != nil {
			f.Close()
			return nil, err
		}
		p = addLock(&procLock{dir: dir, file: f, info: info})
	}
	if p.file != f {
		f.Close()
	}
	l := &archiveLock{p: p, wait: wait}
	if err := waitFor(ctx, p.change.TryRLock, deadline); err != nil {
		l.release()
		return nil, err
	}
	return l, nil
}

// heldLock finds the process's lock on the file info describes, and counts
// one more Archive using it.
func heldLock(info os.FileInfo) *procLock {
	procLocks.mu.Lock()
	defer procLocks.mu.Unlock()
	for _, q := range procLocks.locks {
		if os.SameFile(q.info, info) {
			q.refs++
			return q
		}
	}
	return nil
}

// addLock records p, just taken, unless another Open of this process took
// the same lock meanwhile: then that one is used (and p's file is closed by
// the caller).
func addLock(p *procLock) *procLock {
	procLocks.mu.Lock()
	defer procLocks.mu.Unlock()
	for _, q := range procLocks.locks {
		if os.SameFile(q.info, p.info) {
			q.refs++
			return q
		}
	}
	p.refs = 1
	procLocks.locks = append(procLocks.locks, p)
	return p
}

// throughGate takes f (DIR/lock) shared, holding the gate shared meanwhile.
func throughGate(ctx context.Context, dir string, f *os.File, deadline time.Time) error {
	gate, err := openLockFile(dir, gateFile)
	if err != nil {
		return err
	}
	if gate != nil { // else read-only, without a gate file
		defer gate.Close() // which lets it go
		if err := flockWait(ctx, gate, lockSh, deadline); err != nil {
			return err
		}
	}
	return flockWait(ctx, f, lockSh, deadline)
}

// openDone ends Open's reading of key files.
func (l *archiveLock) openDone() { l.p.change.RUnlock() }

// reading holds off this process's archive-wide changes while a session is
// unlocked on an open Repo (reading its key files), waiting at most the lock
// wait for one that runs; done ends it.
func (l *archiveLock) reading(ctx context.Context) (done func(), err error) {
	if err := waitFor(ctx, l.p.change.TryRLock, time.Now().Add(l.wait)); err != nil {
		return nil, err
	}
	return l.p.change.RUnlock, nil
}

// exclusive runs fn holding the archive lock exclusive: with no other
// process having the archive open, and no Open of this process reading key
// files. It waits at most the lock wait, then fails with ErrBusy without
// calling fn. Afterwards the process holds the lock shared again; should
// that fail (another change took it meanwhile and kept it past the wait),
// the error is ErrBusy and the session should be closed.
func (l *archiveLock) exclusive(ctx context.Context, fn func() error) error {
	p := l.p
	deadline := time.Now().Add(l.wait)
	if err := waitFor(ctx, p.change.TryLock, deadline); err != nil {
		return err
	}
	defer p.change.Unlock()
	if p.file == nil {
		return fn() // read-only: the change will fail on its own
	}
	// Not waiting for the gate while holding DIR/lock (see above).
	if err := flock(p.file, lockUn); err != nil {
		return fmt.Errorf("archive lock: %w", err)
	}
	err := l.changeThroughGate(ctx, deadline, fn)
	if serr := flockWait(ctx, p.file, lockSh, time.Now().Add(l.wait)); serr != nil && err == nil {
		err = serr
	}
	return err
}

func (l *archiveLock) changeThroughGate(ctx context.Context, deadline time.Time, fn func() error) error {
	gate, err := openLockFile(l.p.dir, gateFile)
	if err != nil {
		return err
	}
	if gate != nil {
		defer gate.Close()
		if err := flockWait(ctx, gate, lockEx, deadline); err != nil {
			return err
		}
	}
	if err := flockWait(ctx, l.p.file, lockEx, deadline); err != nil {
		return err
	}
	return fn()
}

// archiveWide runs fn, an archive-wide change (a user's removal, a role
// taken away, a key rotation), holding the archive lock exclusive: the
// lock files, and on PostgreSQL the advisory lock too (storeLocker), which
// orders processes that share only the database.
func (a *Archive) archiveWide(ctx context.Context, fn func() error) error {
	if a.lock == nil {
		return fmt.Errorf("%w: archive-wide change without the archive lock", evidence.ErrInvalid)
	}
	return a.lock.exclusive(ctx, func() error {
		sl, ok := a.db.(storeLocker)
		if !ok {
			return fn()
		}
		deadline := time.Now().Add(a.lock.wait)
		if err := sl.LockShared(ctx, deadline); err != nil {
			return err
		}
		return sl.Exclusive(ctx, deadline, fn)
	})
}

// storeLocker is a metadata store with an archive lock of its own across
// processes (PostgreSQL's advisory locks, internal/store/postgres): held
// shared while the store is open, exclusive for an archive-wide change,
// each wait bounded, failing with evidence.ErrBusy.
type storeLocker interface {
	LockShared(ctx context.Context, deadline time.Time) error
	Exclusive(ctx context.Context, deadline time.Time, fn func() error) error
}

// lockStore takes db's own archive lock shared, if it has one (opening a
// PostgreSQL store), waiting at most the lock wait.
func (r *repoState) lockStore(ctx context.Context, db store.DB) error {
	sl, ok := db.(storeLocker)
	if !ok {
		return nil
	}
	wait := DefaultLockWait
	if r.lock != nil {
		wait = r.lock.wait
	}
	return sl.LockShared(ctx, time.Now().Add(wait))
}

// release is the Archive's Close of its lock: the last Archive of the
// process on the archive lets the lock go.
func (l *archiveLock) release() {
	l.once.Do(func() {
		procLocks.mu.Lock()
		defer procLocks.mu.Unlock()
		p := l.p
		if p.file == nil {
			return
		}
		if p.refs--; p.refs > 0 {
			return
		}
		p.file.Close() // which lets the flock go
		for i, q := range procLocks.locks {
			if q == p {
				procLocks.locks = append(procLocks.locks[:i], procLocks.locks[i+1:]...)
				break
			}
		}
	})
}

// openLockFile opens (creating) one of the lock files. A file opened only
// for reading is locked as well; on a read-only file system where the file
// is missing (an archive older than the lock, on read-only media), it
// returns nil: nothing there can change the archive.
func openLockFile(dir, name string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_RDWR|os.O_CREATE, 0o600)
	if err == nil {
		return f, nil
	}
	if g, gerr := os.Open(filepath.Join(dir, name)); gerr == nil {
		return g, nil
	}
	if errors.Is(err, syscall.EROFS) {
		return nil, nil
	}
	return nil, fmt.Errorf("%w: archive lock file %s: %v", evidence.ErrDamaged, name, err)
}

// flockWait takes the flock how (lockSh or lockEx) on f, trying again
// until deadline, then fails with ErrBusy.
func flockWait(ctx context.Context, f *os.File, how int, deadline time.Time) error {
	var ferr error
	err := waitFor(ctx, func() bool {
		err := flock(f, how|lockNB)
		if err != nil && !errors.Is(err, errWouldBlock) {
			ferr = err
			return true
		}
		return err == nil
	}, deadline)
	if ferr != nil {
		return fmt.Errorf("archive lock: %w", ferr)
	}
	return err
}

// waitFor calls try until it reports true, pausing between tries, and
// fails with ErrBusy at deadline (or with ctx's error).
func waitFor(ctx context.Context, try func() bool, deadline time.Time) error {
	pause := 2 * time.Millisecond
	for !try() {
		left := time.Until(deadline)
		if left <= 0 {
			return ErrBusy
		}
		t := time.NewTimer(min(pause, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
	return nil
}
