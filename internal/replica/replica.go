// Package replica keeps an encrypted copy of an archive at a second site
// up to date (sori replicate): incrementally, with the custody log as the
// cursor, and so that a copy interrupted at any instant is still a whole
// archive — its previous state or the new one.
//
// Replication never decrypts content. The copy gets the source's packs
// (immutable, copied only when missing), a snapshot of meta.db taken
// under the same database key (which is why replication unlocks the
// source as a member: reading every row is OpVerify), the key files and
// sori.json, all ciphertext but sori.json, so that whoever holds a
// member's passphrase opens the copy, and `sori verify` checks it, on its
// own. The copy's replica.json (cursor.go) records the source's ID and the
// tree size and root hash of the last complete replication; the source
// records nothing.
//
// A run refuses — and changes nothing — when the source's log does not
// extend the copy's (a source rolled back, replaced or forked must not
// overwrite a good replica), and when the copy's own database holds
// entries the source lacks (the copy was written to).
//
// Order of a run, so that a kill at any instant leaves a whole archive:
// packs (each fsynced and linked, never overwritten), then key files that
// are changed (keys/SUMS first listing old and new checksums) or new
// (listed once in place) — a keyring ahead of the database is how sori's
// own key changes leave an interrupted archive — then meta.db replaced by
// one rename, then keys/SUMS as the source's, key files the source no
// longer has, sori.json, and last the cursor. docs/format.md ("Replicas")
// names the one window this leaves open.
package replica

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"sori/internal/archive"
	"sori/internal/blob"
	"sori/internal/blob/local"
	"sori/internal/durable"
	"sori/internal/evidence"
)

// Names in an archive directory (docs/format.md, "Layout").
const (
	configFile = "sori.json"
	keysDir    = "keys"
	keySums    = "SUMS"
	dbFile     = "meta.db"
	blobsDir   = "blobs"
	// snapTemp is where the snapshot of meta.db is written before it
	// replaces the copy's; a leftover of a killed run is removed.
	snapTemp = ".meta.db.replicating"
)

// Options tune Run. The zero value is production use.
type Options struct {
	// LockWait bounds the wait for the copy's archive lock (0: the
	// archive package's default).
	LockWait time.Duration
	// Progress, if not nil, is told of each step (no names of content:
	// counts only).
	Progress func(format string, args ...any)
	// halt, in tests, is called after every step that changes the copy;
	// an error stops the run there, as a kill would.
	halt func(step string) error
}

func (o Options) step(name string) error {
	if o.halt == nil {
		return nil
	}
	return o.halt(name)
}

// Result says what a run did.
type Result struct {
	Archive   string // the source's archive ID
	From, To  int64  // the copy's tree size before and after
	Root      tlog.Hash
	UpToDate  bool  // nothing to copy but possibly key files
	Packs     int   // packs copied
	PackBytes int64 // their bytes
	KeyFiles  int   // key files written or removed
}

// Run brings the directory to up to date with the open archive a: to must
// not exist, be empty, or be a replica of a (it has replica.json). It
// holds to's archive lock exclusive meanwhile. A to of the form
// s3://BUCKET/PREFIX?endpoint=… is an S3 replica instead (s3.go). Errors wrap the kinds of
// internal/evidence: ErrInvalid for a directory that is not a replica of
// a, ErrTampered when the logs disagree, ErrForbidden when a's role may
// not read everything (OpVerify), ErrBusy when the copy is in use.
func Run(ctx context.Context, a *archive.Archive, to string, opt Options) (Result, error) {
	res := Result{Archive: a.ID()}
	if opt.Progress == nil {
		opt.Progress = func(string, ...any) {}
	}
	if to == "" {
		return res, fmt.Errorf("%w: no replica directory given", evidence.ErrInvalid)
	}
	if isS3(to) {
		return runS3(ctx, a, to, opt)
	}
	if strings.Contains(to, "://") {
		return res, fmt.Errorf("%w: %s: a replica target is a directory or s3://BUCKET/PREFIX?endpoint=HOST:PORT", evidence.ErrInvalid, to)
	}
	if err := prepareDir(a, to); err != nil {
		return res, err
	}
	if _, err := classify(to, a.ID()); err != nil { // before creating lock files in a stranger's directory
		return res, err
	}
	release, err := archive.LockExclusive(ctx, to, opt.LockWait)
	if err != nil {
		return res, err
	}
	defer release()
	cur, err := classify(to, a.ID())
	if err != nil {
		return res, err
	}
	if cur == nil {
		c := NewCursor(a.ID(), 0, tlog.Hash{})
		if err := durable.WriteFile(filepath.Join(to, CursorFile), c.Marshal(), 0o600); err != nil {
			return res, err
		}
		cur = &c
		if err := opt.step("cursor begun"); err != nil {
			return res, err
		}
	}
	res.From, res.To, res.Root = cur.Size, cur.Size, cur.RootHash()

	in := a.Inspect()
	srcSize, err := in.TreeSize(ctx)
	if err != nil {
		return res, err
	}
	hr := in.HashReader(ctx)
	if err := extends(hr, srcSize, cur.Size, cur.RootHash(), "the replica's cursor ("+CursorFile+")"); err != nil {
		return res, err
	}
	dst, err := localBlobs(to)
	if err != nil {
		return res, err
	}
	copySize := int64(0)
	if _, err := os.Stat(filepath.Join(to, dbFile)); err == nil {
		size, root, err := in.CopyTreeHead(ctx, filepath.Join(to, dbFile))
		if err != nil {
			return res, fmt.Errorf("the replica's %s: %w", dbFile, err)
		}
		if err := extends(hr, srcSize, size, root, "the replica's database"); err != nil {
			return res, err
		}
		copySize = size
	}

	if cur.Size == srcSize && copySize == srcSize {
		// Nothing logged since. Key files may differ (a changed
		// passphrase appends no custody entry), and a pack deleted from
		// the copy (damaged, see verify) is copied again: both cost a
		// directory listing when there is nothing to do.
		res.UpToDate = true
		if res.Packs, res.PackBytes, err = copyPacks(ctx, a, dst, opt); err != nil {
			return res, err
		}
		n, finish, err := syncKeys(ctx, a, to, opt)
		if err == nil {
			var m int
			m, err = finish()
			n += m
		}
		res.KeyFiles = n
		if err != nil {
			return res, err
		}
		return res, copyConfig(a, to)
	}

	// The snapshot first: every pack it names is linked at the source by
	// now (a pack is committed before the rows that name it).
	tmp := filepath.Join(to, snapTemp)
	removeSnapTemp(tmp)
	opt.Progress("snapshot of the metadata database")
	size, root, err := in.Snapshot(ctx, tmp)
	if err != nil {
		return res, err
	}
	defer removeSnapTemp(tmp)
	if err := opt.step("snapshot"); err != nil {
		return res, err
	}
	// The live log may have grown since; it must still hold the snapshot's.
	if srcSize, err = in.TreeSize(ctx); err != nil {
		return res, err
	}
	if err := extends(hr, srcSize, size, root, "the snapshot"); err != nil {
		return res, err
	}

	if res.Packs, res.PackBytes, err = copyPacks(ctx, a, dst, opt); err != nil {
		return res, err
	}
	n, finish, err := syncKeys(ctx, a, to, opt)
	if err != nil {
		return res, err
	}
	// A database left by a process that died with the copy open has its
	// write-ahead log beside it: it belongs to the file being replaced.
	for _, side := range []string{"-wal", "-shm"} {
		if err := os.Remove(filepath.Join(to, dbFile+side)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return res, err
		}
	}
	if err := os.Rename(tmp, filepath.Join(to, dbFile)); err != nil {
		return res, err
	}
	if err := durable.SyncDir(to); err != nil {
		return res, err
	}
	if err := opt.step("meta.db replaced"); err != nil {
		return res, err
	}
	m, err := finish()
	res.KeyFiles = n + m
	if err != nil {
		return res, err
	}
	if err := copyConfig(a, to); err != nil {
		return res, err
	}
	if err := opt.step("sori.json"); err != nil {
		return res, err
	}
	c := NewCursor(a.ID(), size, root)
	if err := durable.WriteFile(filepath.Join(to, CursorFile), c.Marshal(), 0o600); err != nil {
		return res, err
	}
	res.To, res.Root = size, root
	return res, nil
}

// prepareDir makes to if it does not exist, and refuses the source itself
// and a directory inside it.
func prepareDir(a *archive.Archive, to string) error {
	if inside(to, a.Dir()) {
		return fmt.Errorf("%w: %s is inside the archive", evidence.ErrInvalid, to)
	}
	st, err := os.Stat(to)
	if errors.Is(err, os.ErrNotExist) {
		return os.MkdirAll(to, 0o700)
	}
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%w: %s is not a directory", evidence.ErrInvalid, to)
	}
	if src, err := os.Stat(a.Dir()); err == nil && os.SameFile(src, st) {
		return fmt.Errorf("%w: %s is the archive itself", evidence.ErrInvalid, to)
	}
	return nil
}

// inside reports whether path lies inside dir (both made absolute).
func inside(path, dir string) bool {
	p, err1 := filepath.Abs(path)
	d, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// classify reads to's cursor: nil for an empty directory (or one holding
// only lock files), the cursor of a replica of archive, an error for
// anything else.
func classify(to, archiveID string) (*Cursor, error) {
	b, err := os.ReadFile(filepath.Join(to, CursorFile))
	if err == nil {
		c, err := ParseCursor(b)
		if err != nil {
			return nil, err
		}
		if c.Archive != archiveID {
			return nil, fmt.Errorf("%w: %s is a replica of archive %s, not of %s", evidence.ErrInvalid, to, c.Archive, archiveID)
		}
		return &c, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	des, err := os.ReadDir(to)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(to, configFile)); err == nil {
		return nil, fmt.Errorf("%w: %s is an archive, not a replica (no %s)", evidence.ErrInvalid, to, CursorFile)
	}
	for _, de := range des {
		// A first run killed before its cursor was in place leaves the
		// lock files and, at most, the cursor's unfinished temporary
		// file (durable.WriteFile): still an empty replica.
		if de.Name() != "lock" && de.Name() != "lock.gate" && !strings.HasPrefix(de.Name(), ".tmp-") {
			return nil, fmt.Errorf("%w: %s is not empty and not a replica (no %s)", evidence.ErrInvalid, to, CursorFile)
		}
	}
	return nil, nil
}

// extends checks that the log read by hr, of srcSize entries, has a tree
// of size entries with root hash root: that it extends (or equals) the log
// what holds. Size 0 is extended by every log.
func extends(hr tlog.HashReader, srcSize, size int64, root tlog.Hash, what string) error {
	if size == 0 {
		return nil
	}
	if size > srcSize {
		return fmt.Errorf("%w: %s has %d custody entries, the source only %d: the source was rolled back or replaced; not replicating", evidence.ErrTampered, what, size, srcSize)
	}
	h, err := tlog.TreeHash(size, hr)
	if err != nil {
		return fmt.Errorf("%w: the source's custody tree: %v", evidence.ErrDamaged, err)
	}
	if h != root {
		return fmt.Errorf("%w: %s is not a prefix of the source's custody log (the source was forked or replaced, or the replica written to); not replicating", evidence.ErrTampered, what)
	}
	return nil
}

func removeSnapTemp(tmp string) {
	for _, p := range []string{tmp, tmp + "-journal", tmp + "-wal", tmp + "-shm"} {
		os.Remove(p)
	}
}

// localBlobs opens a directory replica's pack store, removing what a killed
// run left in its temporary directory (the lock is ours).
func localBlobs(to string) (blob.Store, error) {
	dst, err := local.Open(filepath.Join(to, blobsDir))
	if err != nil {
		return nil, err
	}
	if _, err := dst.CleanTemp(0); err != nil {
		return nil, err
	}
	return dst, nil
}

// copyPacks copies every pack of the source the copy (dst) lacks. A pack the
// copy has with another size is damage: packs never change.
func copyPacks(ctx context.Context, a *archive.Archive, dst blob.Store, opt Options) (n int, bytes int64, err error) {
	have := map[string]int64{}
	if err := dst.List(ctx, func(i blob.Info) error { have[i.Name] = i.Size; return nil }); err != nil {
		return 0, 0, err
	}
	var want []blob.Info
	if err := a.Inspect().Packs(ctx, func(name string, size int64) error {
		got, ok := have[name]
		switch {
		case !ok:
			want = append(want, blob.Info{Name: name, Size: size})
		case got != size:
			return fmt.Errorf("%w: the replica's pack %s has %d bytes, the source's %d: packs never change", evidence.ErrDamaged, name, got, size)
		}
		return nil
	}); err != nil {
		return 0, 0, err
	}
	slices.SortFunc(want, func(x, y blob.Info) int { return strings.Compare(x.Name, y.Name) })
	if len(want) > 0 {
		opt.Progress("copying %d packs", len(want))
	}
	src := a.Blobs()
	for _, p := range want {
		rc, err := src.Open(ctx, p.Name, 0, -1)
		if err != nil {
			return n, bytes, err
		}
		w, err := blob.Put(ctx, dst, p.Name, rc)
		rc.Close()
		if err == nil && w != p.Size {
			err = fmt.Errorf("%w: pack %s: copied %d bytes of %d", evidence.ErrDamaged, p.Name, w, p.Size)
			dst.Remove(ctx, p.Name)
		}
		if err != nil {
			return n, bytes, fmt.Errorf("copying pack %s: %w", p.Name, err)
		}
		n++
		bytes += w
		if err := opt.step("pack"); err != nil {
			return n, bytes, err
		}
	}
	return n, bytes, nil
}

// syncKeys writes the key files that are new or changed at the source,
// with keys/SUMS first listing the copy's checksums and the new ones (a
// file matches any line for its name). finish, to be called once the
// copy's meta.db is the new one, makes keys/SUMS the source's and then
// removes the files the source no longer has (a removed user's).
func syncKeys(ctx context.Context, a *archive.Archive, to string, opt Options) (n int, finish func() (int, error), err error) {
	files, err := a.Inspect().KeyFiles(ctx)
	if err != nil {
		return 0, nil, err
	}
	srcSums, ok := files[keySums]
	if !ok {
		return 0, nil, fmt.Errorf("%w: the source has no keys/%s", evidence.ErrDamaged, keySums)
	}
	delete(files, keySums)
	dir := filepath.Join(to, keysDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, nil, err
	}
	have := map[string][]byte{}
	des, err := os.ReadDir(dir)
	if err != nil {
		return 0, nil, err
	}
	for _, de := range des {
		if !de.Type().IsRegular() || strings.HasPrefix(de.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err != nil {
			return 0, nil, err
		}
		have[de.Name()] = b
	}
	// A changed file is listed with both checksums before it is
	// rewritten; a new one is listed once it is in place (listed and
	// missing would be damage; present and unlisted, for a user the
	// copy's database does not know yet, is not).
	var changed, added []string
	for name, b := range files {
		if old, ok := have[name]; !ok {
			added = append(added, name)
		} else if string(old) != string(b) {
			changed = append(changed, name)
		}
	}
	slices.Sort(changed)
	slices.Sort(added)
	sums := string(have[keySums])
	listing := func(names []string, step string) error {
		for _, name := range names {
			sums += fmt.Sprintf("%x  %s\n", sha256.Sum256(files[name]), name)
		}
		if err := durable.WriteFile(filepath.Join(dir, keySums), []byte(sums), 0o600); err != nil {
			return err
		}
		return opt.step(step)
	}
	if len(changed) > 0 {
		if err := listing(changed, "keys/SUMS with old and new"); err != nil {
			return 0, nil, err
		}
	}
	for _, name := range append(changed, added...) {
		if err := durable.WriteFile(filepath.Join(dir, name), files[name], 0o600); err != nil {
			return n, nil, err
		}
		n++
		if err := opt.step("key file"); err != nil {
			return n, nil, err
		}
	}
	if len(added) > 0 {
		if err := listing(added, "keys/SUMS with the new files"); err != nil {
			return n, nil, err
		}
	}
	finish = func() (int, error) {
		if sums != string(srcSums) {
			if err := durable.WriteFile(filepath.Join(dir, keySums), srcSums, 0o600); err != nil {
				return 0, err
			}
			if err := opt.step("keys/SUMS as the source's"); err != nil {
				return 0, err
			}
		}
		m := 0
		for name := range have {
			if _, ok := files[name]; ok || name == keySums {
				continue
			}
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return m, err
			}
			m++
			if err := opt.step("key file removed"); err != nil {
				return m, err
			}
		}
		if m > 0 {
			return m, durable.SyncDir(dir)
		}
		return m, nil
	}
	return n, finish, nil
}

// copyConfig writes the source's sori.json into the copy if it differs
// (it never changes after init; the first replication writes it, which
// makes the directory an archive).
func copyConfig(a *archive.Archive, to string) error {
	b, err := os.ReadFile(filepath.Join(a.Dir(), configFile))
	if err != nil {
		return fmt.Errorf("%w: the source's %s: %v", evidence.ErrDamaged, configFile, err)
	}
	if old, err := os.ReadFile(filepath.Join(to, configFile)); err == nil && string(old) == string(b) {
		return nil
	}
	return durable.WriteFile(filepath.Join(to, configFile), b, 0o600)
}
