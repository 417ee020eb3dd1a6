package archive

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/mod/sumdb/tlog"

	"sori/internal/blob"
	"sori/internal/blob/local"
	"sori/internal/blob/s3"
	"sori/internal/custody"
	"sori/internal/durable"
	"sori/internal/evidence"
	"sori/internal/store"
	"sori/internal/store/postgres"
	"sori/internal/store/sqlite"
)

// Migration (sori migrate) copies an archive to other backends — embedded
// SQLite and packs in DIR, or PostgreSQL and an S3 bucket — and switches
// sori.json to them once the copy is checked. The source is only read: an
// error or a crash at any point leaves it as it was, and sori.json still
// names it until the last step (an atomic rewrite). The copy is built
// aside: an embedded target in DIR/migrating/ (discarded by the next
// attempt), a PostgreSQL target marked unfinished in its meta table until
// checked (the next attempt drops it; a finished copy is never dropped), an
// S3 target resumed (packs already there are compared byte for byte, not
// copied again).

// migratingDir holds an embedded target while it is built.
const migratingDir = "migrating"

// metaMigrating marks a target's database as an unfinished copy; it holds
// the checkpoint size being copied and is emptied once the copy is checked.
const metaMigrating = "migrating"

// migrateBatch is how many rows one transaction of the copy writes: the
// copy streams, whatever the archive holds.
const migrateBatch = 2000

// MigrateOptions say where Migrate copies the archive.
type MigrateOptions struct {
	// DB and Blobs are the target's PostgreSQL and S3 URLs (as for Init);
	// both empty is an embedded target (meta.db and blobs/ in the
	// directory).
	DB, Blobs string
	// To is a new archive directory for the copy (configuration and key
	// files); empty switches this archive's directory in place.
	To string
	// Check, if not nil, is run on the finished copy, opened as a session
	// of this user, before the switch (sori migrate runs verify); an error
	// stops the migration.
	Check func(ctx context.Context, target *Archive) error
	// Progress, if not nil, is told each stage as it starts.
	Progress func(stage string)
}

// Migrated is what Migrate copied.
type Migrated struct {
	Dir                      string // the directory whose sori.json names the copy
	Items, Versions, Records int64
	Custody                  int64 // entries (the tree size)
	Packs                    int64
	PackBytes                int64
	Root                     string // the checkpoint's tree hash, base64, identical on both sides
}

// Migrate copies the archive to the backends opt names, checks the copy —
// the same custody tree (size and root hash), the same item rows, packs
// compared byte for byte as they are copied, then opt.Check (sori verify,
// which re-hashes every item through the new blob store) — and only then
// makes sori.json (this directory's, or opt.To's) name the copy. It holds
// the archive lock exclusive throughout; other processes on other machines
// that use a shared source must be stopped first (docs/deploy.md). An
// admin's operation. The Repo keeps using the backends it opened: open the
// archive again to use the copy.
func (a *Archive) Migrate(ctx context.Context, opt MigrateOptions) (Migrated, error) {
	var res Migrated
	if err := a.allow(OpMigrate); err != nil {
		return res, err
	}
	if (opt.DB == "") != (opt.Blobs == "") {
		return res, fmt.Errorf("%w: give both a database and a blob store URL, or neither (an embedded archive)", evidence.ErrInvalid)
	}
	if err := checkBackends(opt.DB, opt.Blobs); err != nil {
		return res, fmt.Errorf("%w: %v", evidence.ErrInvalid, err)
	}
	if opt.To == "" && opt.DB == a.cfg.DB && opt.Blobs == a.cfg.Blobs {
		return res, fmt.Errorf("%w: the archive is there already", evidence.ErrInvalid)
	}
	err := a.archiveWide(ctx, func() error {
		var err error
		res, err = a.migrate(ctx, opt)
		return err
	})
	return res, err
}

func (a *Archive) migrate(ctx context.Context, opt MigrateOptions) (Migrated, error) {
	res := Migrated{Dir: a.dir}
	stage := func(s string) {
		if opt.Progress != nil {
			opt.Progress(s)
		}
	}
	cfg := a.cfg
	cfg.DB, cfg.Blobs = opt.DB, opt.Blobs
	cfg.Sum = cfg.checksum()
	dir := a.dir
	if opt.To != "" {
		made, err := prepareEmptyDir(opt.To)
		if err != nil {
			return res, err
		}
		dir, res.Dir = opt.To, opt.To
		// A copy that did not finish leaves opt.To as it found it, so
		// that the next attempt may use it again.
		defer func() {
			if res.Root != "" {
				return
			}
			if made {
				os.RemoveAll(opt.To)
				return
			}
			os.RemoveAll(filepath.Join(opt.To, keysDir))
			os.RemoveAll(filepath.Join(opt.To, migratingDir))
		}()
		if err := copyKeyFiles(a.dir, dir); err != nil {
			return res, err
		}
	}
	// The tree the copy must reproduce, read once: the archive lock keeps
	// writers of this directory out meanwhile.
	size, note, err := a.db.LatestCheckpoint(ctx)
	if err != nil {
		return res, err
	}
	cp, err := custody.OpenCheckpoint(note, custody.Origin(a.cfg.ID), a.cfg.LogKey)
	if err != nil {
		return res, fmt.Errorf("%w: the source's latest checkpoint: %v", evidence.ErrDamaged, err)
	}
	if cp.Size != size {
		return res, fmt.Errorf("%w: the source's latest checkpoint is of %d entries, stored as %d", evidence.ErrDamaged, cp.Size, size)
	}
	if n, err := a.db.TreeSize(ctx); err != nil || n != size {
		if err == nil {
			err = fmt.Errorf("%w: the source holds %d custody entries past its latest checkpoint of %d; sign one first (sori checkpoint)", evidence.ErrInvalid, n-size, size)
		}
		return res, err
	}

	stage("preparing the target")
	tdb, tblobs, finish, err := a.migrationTarget(ctx, dir, cfg)
	if err != nil {
		return res, err
	}
	done := false
	defer func() {
		if !done {
			tdb.Close()
		}
	}()
	tx, err := tdb.Begin(ctx)
	if err != nil {
		return res, err
	}
	if err := tx.SetMeta(ctx, metaMigrating, fmt.Sprint(size)); err != nil {
		tx.Rollback()
		return res, err
	}
	if err := tx.Commit(); err != nil {
		return res, err
	}

	stage("copying the metadata")
	if err := copyRows(ctx, a.db, tdb, &res); err != nil {
		return res, fmt.Errorf("copying the metadata: %w", err)
	}
	stage("copying the packs")
	if err := copyPacks(ctx, a.blobs, tblobs, &res); err != nil {
		return res, fmt.Errorf("copying the packs: %w", err)
	}

	// The copy as a session of this user: same keys, its own Repo.
	rs := newRepo(dir, cfg, Options{Logger: a.log, Now: a.now, WorkFactor: a.workFactor, StateDir: a.stateDir}, nil)
	rs.db, rs.dbOpen, rs.dbKey, rs.blobs, rs.sessions = tdb, true, a.dbKey, tblobs, 1
	t := &Archive{repoState: rs, key: a.key, ring: a.ring, me: a.me}
	t.gen = rs.userGen(a.me.ID)

	stage("checking the copy")
	if err := a.checkCopy(ctx, t, cp, &res); err != nil {
		return res, err
	}
	stage("indexing the copy")
	// The index reads each item's text: from whichever side reads an item
	// at a time cheaply (a directory, not a bucket), as the packs on both
	// sides are the same bytes (copyPacks compared them).
	if sequential(tblobs) && !sequential(a.blobs) {
		t.blobs = a.blobs
	}
	_, err = t.RebuildIndex(ctx, nil)
	t.blobs = tblobs
	if err != nil {
		return res, fmt.Errorf("indexing the copy: %w", err)
	}
	if opt.Check != nil {
		stage("verifying the copy")
		if err := opt.Check(ctx, t); err != nil {
			return res, fmt.Errorf("the copy does not verify, so the archive was not switched to it: %w", err)
		}
	}
	tx, err = tdb.Begin(ctx)
	if err != nil {
		return res, err
	}
	if err := tx.SetMeta(ctx, metaMigrating, ""); err != nil {
		tx.Rollback()
		return res, err
	}
	if err := tx.Commit(); err != nil {
		return res, err
	}
	done = true
	if err := tdb.Close(); err != nil {
		return res, err
	}
	stage("switching sori.json")
	if err := finish(); err != nil {
		return res, err
	}
	if err := writeFileAtomic(filepath.Join(dir, configFile), marshalConfig(cfg)); err != nil {
		return res, err
	}
	res.Root = cp.Hash.String()
	a.log.Info("archive migrated", "entries", res.Custody, "items", res.Items, "packs", res.Packs)
	return res, nil
}

// migrationTarget opens the target's stores, made empty (or, for S3,
// resumed); finish moves an embedded target into place.
func (a *Archive) migrationTarget(ctx context.Context, dir string, cfg config) (store.DB, blob.Store, func() error, error) {
	if cfg.DB == "" {
		for _, name := range []string{dbFile, blobsDir} {
			if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
				return nil, nil, nil, fmt.Errorf("%w: %s holds %s already (left from before the archive moved to its present backends?): move it aside first, or migrate to a new directory with --to", evidence.ErrExists, dir, name)
			}
		}
		stage := filepath.Join(dir, migratingDir)
		// An unfinished attempt's copy is discarded: the source is read
		// again from the start.
		if _, err := os.Lstat(stage); err == nil {
			a.log.Warn("discarding an unfinished copy an earlier sori migrate left", "dir", stage)
		}
		if err := os.RemoveAll(stage); err != nil {
			return nil, nil, nil, err
		}
		if err := os.MkdirAll(filepath.Join(stage, blobsDir), 0o700); err != nil {
			return nil, nil, nil, err
		}
		db, err := sqlite.Create(ctx, filepath.Join(stage, dbFile), a.dbKey)
		if err != nil {
			return nil, nil, nil, err
		}
		bs, err := local.Open(filepath.Join(stage, blobsDir))
		if err != nil {
			db.Close()
			return nil, nil, nil, err
		}
		finish := func() error {
			for _, name := range []string{blobsDir, dbFile} {
				if err := os.Rename(filepath.Join(stage, name), filepath.Join(dir, name)); err != nil {
					return err
				}
			}
			if err := durable.SyncDir(dir); err != nil {
				return err
			}
			return os.RemoveAll(stage)
		}
		return db, bs, finish, nil
	}
	c, err := s3.ParseURL(cfg.Blobs)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: %v", evidence.ErrInvalid, err)
	}
	bs, err := s3.New(ctx, c)
	if err != nil {
		return nil, nil, nil, err
	}
	db, err := a.freshPostgres(ctx, cfg.DB)
	if err != nil {
		return nil, nil, nil, err
	}
	return db, bs, func() error { return nil }, nil
}

// freshPostgres creates the archive's tables in the target schema, first
// dropping an unfinished copy of this archive that an earlier attempt left
// there. A finished copy, another archive, or one under another key is
// refused.
func (a *Archive) freshPostgres(ctx context.Context, url string) (store.DB, error) {
	old, err := postgres.Open(ctx, url, a.dbKey)
	switch {
	case errors.Is(err, evidence.ErrNotFound):
		return postgres.Create(ctx, url, a.dbKey)
	case errors.Is(err, evidence.ErrDamaged):
		// The key check failed: not this archive.
		return nil, fmt.Errorf("%w: the target database schema holds another archive (this archive's key does not open it); nothing was changed", evidence.ErrExists)
	case err != nil:
		return nil, err
	}
	id, err := old.Meta(ctx, "archive_id")
	if err != nil {
		old.Close()
		return nil, err
	}
	mark, err := old.Meta(ctx, metaMigrating)
	if err != nil {
		old.Close()
		return nil, err
	}
	if id != a.cfg.ID || mark == "" {
		old.Close()
		what := "another archive"
		if id == a.cfg.ID {
			what = "a finished copy of this archive (migrated before, and perhaps in use since)"
		}
		return nil, fmt.Errorf("%w: the target database schema holds %s; nothing was changed", evidence.ErrExists, what)
	}
	a.log.Warn("discarding an unfinished copy an earlier sori migrate left in the target database")
	if err := old.Drop(ctx); err != nil {
		return nil, err
	}
	return postgres.Create(ctx, url, a.dbKey)
}

// copyKeyFiles copies DIR/keys to a new archive directory, byte for byte.
func copyKeyFiles(from, to string) error {
	src, dst := filepath.Join(from, keysDir), filepath.Join(to, keysDir)
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return err
	}
	des, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, de := range des {
		if !de.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, de.Name()))
		if err != nil {
			return err
		}
		if err := writeFileAtomic(filepath.Join(dst, de.Name()), b); err != nil {
			return err
		}
	}
	return durable.SyncDir(dst)
}

// checkCopy compares the copy with the source: the custody tree's size and
// root hash (recomputed from the copy's stored hashes, which AppendCustody
// derived from the copied leaves) against the source's signed checkpoint,
// and every item row — SHA-256, size, pack, offset, length, key — with the
// source's. The packs were compared byte for byte as they were copied, so
// every item reads back as the same bytes; opt.Check (sori verify) then
// re-hashes each against its SHA-256, a pack at a time.
func (a *Archive) checkCopy(ctx context.Context, t *Archive, cp custody.Checkpoint, res *Migrated) error {
	size, note, err := t.db.LatestCheckpoint(ctx)
	if err != nil {
		return err
	}
	if size != cp.Size || string(note) != string(cp.Note) {
		return fmt.Errorf("%w: the copy's latest checkpoint differs from the source's", evidence.ErrTampered)
	}
	if n, err := t.db.TreeSize(ctx); err != nil || n != cp.Size {
		if err == nil {
			err = fmt.Errorf("%w: the copy holds %d custody entries, the source %d", evidence.ErrTampered, n, cp.Size)
		}
		return err
	}
	root, err := tlog.TreeHash(cp.Size, t.db.HashReader(ctx))
	if err != nil {
		return err
	}
	if root != cp.Hash {
		return fmt.Errorf("%w: the copy's custody tree hash differs from the source's checkpoint", evidence.ErrTampered)
	}
	return sameItems(ctx, a.db, t.db)
}

// sameItems walks the items of both stores side by side (both list them in
// ID order) and fails at the first that differs or is missing.
func sameItems(ctx context.Context, src, dst store.DB) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	theirs := make(chan store.Item, 64)
	walked := make(chan error, 1)
	go func() {
		defer close(theirs)
		walked <- dst.EachItem(ctx, func(it store.Item) error {
			select {
			case theirs <- it:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	err := src.EachItem(ctx, func(it store.Item) error {
		got, ok := <-theirs
		if !ok {
			return fmt.Errorf("%w: item %s is missing from the copy", evidence.ErrTampered, it.ID)
		}
		if got.ID != it.ID || got.SHA256 != it.SHA256 || got.Size != it.Size || got.Pack != it.Pack || got.Off != it.Off ||
			got.Len != it.Len || got.KeyGen != it.KeyGen || !got.CreatedAt.Equal(it.CreatedAt) || got.CreatedBy != it.CreatedBy {
			return fmt.Errorf("%w: item %s differs in the copy", evidence.ErrTampered, it.ID)
		}
		return nil
	})
	if err == nil {
		if extra, ok := <-theirs; ok {
			err = fmt.Errorf("%w: the copy holds item %s, the source does not", evidence.ErrTampered, extra.ID)
		}
	}
	cancel()
	for range theirs {
	}
	if werr := <-walked; err == nil && werr != nil {
		err = werr
	}
	return err
}

// sequential reports a blob store read best a pack at a time (a bucket).
func sequential(s blob.Store) bool {
	q, ok := s.(blob.Sequential)
	return ok && q.Sequential()
}
