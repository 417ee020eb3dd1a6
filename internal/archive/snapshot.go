package archive

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"sori/internal/evidence"
	"sori/internal/store"
	"sori/internal/store/sqlite"
)

// Snapshot writes a consistent copy of the metadata database, as of one
// committed transaction, to a new file at path (refused if it exists),
// encrypted under the archive's database key, and returns the size and
// root hash of the custody tree it holds — read back from the copy. It is
// how replication (internal/replica) copies meta.db without stopping
// writers. It needs OpVerify: the copy holds every row.
func (i Inspector) Snapshot(ctx context.Context, path string) (size int64, root tlog.Hash, err error) {
	if err := i.a.allow(OpVerify); err != nil {
		return 0, root, err
	}
	if err := store.Snapshot(ctx, i.a.db, path, i.a.ring.DB); err != nil {
		return 0, root, err
	}
	size, root, err = sqlite.TreeHead(ctx, path, i.a.ring.DB)
	if err != nil {
		os.Remove(path)
		return 0, root, err
	}
	return size, root, nil
}

// CopyTreeHead opens the metadata database at path — another copy of this
// archive's, such as a replica's — under this archive's database key, and
// returns the size and root hash of its custody tree. It needs OpVerify.
// A file that does not open under the key is reported as damaged.
func (i Inspector) CopyTreeHead(ctx context.Context, path string) (size int64, root tlog.Hash, err error) {
	if err := i.a.allow(OpVerify); err != nil {
		return 0, root, err
	}
	if abs, aerr := filepath.Abs(path); aerr == nil && abs == filepath.Join(i.a.dir, dbFile) {
		return 0, root, fmt.Errorf("%w: %s is this archive's own database", evidence.ErrInvalid, path)
	}
	size, root, err = sqlite.TreeHead(ctx, path, i.a.ring.DB)
	if errors.Is(err, evidence.ErrDamaged) {
		// A copy made before a key rotation is under an earlier key (rotate.go).
		for _, k := range i.a.ring.DBOld {
			if s, r, oerr := sqlite.TreeHead(ctx, path, k); oerr == nil {
				return s, r, nil
			}
		}
	}
	return size, root, err
}

// LockExclusive takes the archive lock of dir exclusive (docs/format.md
// "Locks"), through the gate, for a process that rewrites an archive
// directory from outside a session — replication writing a copy — so that
// no sori process has it open meanwhile. It creates the lock files if they
// are missing (dir must exist) and waits up to wait (0: DefaultLockWait),
// then fails with ErrBusy. release lets the lock go.
func LockExclusive(ctx context.Context, dir string, wait time.Duration) (release func(), err error) {
	if wait <= 0 {
		wait = DefaultLockWait
	}
	deadline := time.Now().Add(wait)
	gate, err := openLockFile(dir, gateFile)
	if err != nil {
		return nil, err
	}
	lock, err := openLockFile(dir, lockFile)
	if err != nil {
		gate.Close()
		return nil, err
	}
	if gate == nil || lock == nil {
		return nil, fmt.Errorf("%w: %s is on a read-only file system", evidence.ErrInvalid, dir)
	}
	if err := flockWait(ctx, gate, lockEx, deadline); err != nil {
		gate.Close()
		lock.Close()
		return nil, err
	}
	if err := flockWait(ctx, lock, lockEx, deadline); err != nil {
		gate.Close()
		lock.Close()
		return nil, err
	}
	return func() { lock.Close(); gate.Close() }, nil
}
