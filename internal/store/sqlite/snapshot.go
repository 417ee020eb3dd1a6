package sqlite

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"

	"github.com/ncruces/go-sqlite3"
	"golang.org/x/mod/sumdb/tlog"

	"sori/internal/evidence"
)

// Snapshot writes a consistent copy of the database, as of one committed
// transaction, to a new file at path, encrypted under the same key (the
// caller passes the key the database was opened with). It uses SQLite's
// online backup API in a single step, so writers on other connections
// neither wait for it nor tear it. The copy is in WAL mode like the
// original, its mode is 0600, and it is fsynced before Snapshot returns;
// making its name durable (syncing the directory) is the caller's, as it is
// usually renamed first. Snapshot refuses an existing path. On error the
// partial file is removed.
//
// The key reaches SQLite in the copy's URI (the backup API opens the
// destination by URI), in memory only: it is never written to a file or a
// log, and errors do not carry the URI.
func (db *DB) Snapshot(ctx context.Context, path string, key [32]byte) (err error) {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%w: snapshot %s", evidence.ErrExists, path)
	}
	defer func() {
		if err != nil {
			for _, p := range []string{path, path + "-journal", path + "-wal", path + "-shm"} {
				os.Remove(p)
			}
		}
	}()
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return damaged(err)
	}
	uri := "file:" + (&url.URL{Path: path}).EscapedPath() + "?vfs=adiantum&mode=rwc&hexkey=" + hex.EncodeToString(key[:])
	err = conn.Raw(func(dc any) error {
		raw, ok := dc.(interface{ Raw() *sqlite3.Conn })
		if !ok {
			return errors.New("the SQLite driver offers no backup")
		}
		return raw.Raw().Backup("main", uri)
	})
	conn.Close()
	if err != nil {
		// SQLite's message names no file; the URI is left out on purpose.
		return fmt.Errorf("snapshot of the metadata database: %w", damaged(err))
	}
	// Reopen the copy the ordinary way: WAL mode as the original (a backup
	// into a new file may take the destination's journal mode), which also
	// shows it reads under the key, and a clean close. No quick check: it
	// would read every page again (6 s of a 500 MB database here) to find
	// what the backup, page for page, cannot have introduced; callers
	// read the copy's custody tree back (TreeHead).
	cp, err := open(path, key, false, false)
	if err != nil {
		return err
	}
	var mode string
	if qerr := cp.sql.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode); qerr != nil || mode != "wal" {
		cp.Close()
		if qerr == nil {
			qerr = fmt.Errorf("journal mode %q", mode)
		}
		return fmt.Errorf("%w: snapshot of the metadata database does not read back: %v", evidence.ErrDamaged, qerr)
	}
	if err := cp.Close(); err != nil {
		return damaged(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return err
	}
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

// TreeHead opens the database file at path under key, as Open does (which
// adds tables a database made by an older sori lacks), and returns its
// custody tree's size and root hash: how a replica's copy of the metadata
// is compared with its source.
func TreeHead(ctx context.Context, path string, key [32]byte) (size int64, root tlog.Hash, err error) {
	db, err := Open(ctx, path, key)
	if err != nil {
		return 0, root, err
	}
	defer db.Close()
	if size, err = db.TreeSize(ctx); err != nil {
		return 0, root, err
	}
	root, err = tlog.TreeHash(size, db.HashReader(ctx))
	if err != nil {
		return 0, root, fmt.Errorf("%w: custody tree of %s: %v", evidence.ErrDamaged, path, err)
	}
	return size, root, nil
}
