// Package sqlite keeps sori's metadata: users, items and their immutable
// record versions, in an SQLite database encrypted page by page with the
// adiantum VFS (github.com/ncruces/go-sqlite3, no cgo).
//
// The database is ciphertext at rest but not authenticated: a changed page
// is not noticed by SQLite. Integrity of records comes from their digests
// (and, with the custody log, from signed checkpoints), which verify
// re-derives. Rows in items and item_versions are never updated or deleted:
// triggers refuse it.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/driver"
	_ "github.com/ncruces/go-sqlite3/vfs/adiantum" // registers the encrypting VFS

	"sori/internal/evidence"
	"sori/internal/store"
)

// blockSize is the adiantum VFS's unit of encryption: a database page, and
// the WAL, are encrypted 4 KiB at a time.
const blockSize = 4096

// pageSizeOnCreate is the page size of a database sori creates: four of
// adiantum's blocks. A WAL frame is a 24-byte header and a page, so no frame
// lies on the blocks and each costs the VFS a read, decryption and
// rewrite of the block at either end; with 16 KiB pages there is a quarter
// as many frames (and posting-list rows, listChunkFor) as with SQLite's
// default 4 KiB. sori index of 10,000 transcripts (113 MiB) took 0.87 of
// the time and 0.92 of the CPU, and queries were no slower. A database
// made with another page size (sori before 2026-12) keeps it: SQLite fixes
// the page size of a database in WAL mode when it is created. (A variable
// only so that tests can make a database as older versions did.)
var pageSizeOnCreate = 16384

// SchemaVersion is the version of the schema this package writes and reads.
const SchemaVersion = 3

// DB is an open metadata database.
type DB struct {
	sql         *sql.DB
	cachePragma string // each connection's page cache (pragmaCacheSize, or pragmaScanCacheSize)
	listChunk   int    // the most bytes of a posting list a row holds (listChunkFor its page size)

	mu       sync.Mutex
	cache    *store.SearchCache // documents of the search index, for queries
	prepared map[string]*sql.Stmt
}

// stmt returns a statement prepared once per database for a query run
// often outside transactions (an item lookup per search hit, per file
// added): preparing costs more than running it.
func (db *DB) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if s, ok := db.prepared[query]; ok {
		return s, nil
	}
	s, err := db.sql.PrepareContext(ctx, query)
	if err != nil {
		return nil, damaged(err)
	}
	if db.prepared == nil {
		db.prepared = map[string]*sql.Stmt{}
	}
	db.prepared[query] = s
	return s, nil
}

// cachedQuerier runs queries through the prepared statements db keeps
// (stmt): a read that runs at every search or request (the void records,
// meta values, users) is prepared once per process, not at every call. Only
// constant query texts go through it (the cache is keyed by the text).
type cachedQuerier struct{ db *DB }

func (c cachedQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.db.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// queryRow is QueryRowContext through a prepared statement of db's.
func (db *DB) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := db.stmt(ctx, query)
	if err != nil {
		return db.sql.QueryRowContext(ctx, query, args...) // the same error, from the row
	}
	return st.QueryRowContext(ctx, args...)
}

// Create makes a new encrypted database at path under key. It refuses to
// overwrite an existing file.
func Create(ctx context.Context, path string, key [32]byte) (*DB, error) {
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("%w: %s", evidence.ErrExists, path)
	}
	db, err := open(path, key, true, false)
	if err != nil {
		return nil, err
	}
	err = db.migrate(ctx)
	if err == nil {
		// Only the owner may read the (encrypted) file.
		err = os.Chmod(path, 0o600)
		ownerOnly(path)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Open opens an existing database. A wrong key, a truncated or corrupt file
// gives an error wrapping evidence.ErrDamaged.
func Open(ctx context.Context, path string, key [32]byte) (*DB, error) {
	return OpenScan(ctx, path, key, false)
}

// OpenScan is Open for a process that reads most pages once (verify):
// with scan set, each connection keeps a page cache of 4 MiB instead of 64
// MiB. A scan gains nothing from a large cache, and each connection's
// cache lives in its own (WebAssembly) memory, which never shrinks: at
// 100,000 items it was a third of verify's peak RSS.
func OpenScan(ctx context.Context, path string, key [32]byte, scan bool) (*DB, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w: metadata database: %v", evidence.ErrDamaged, err)
	}
	// SQLite would take an empty or shorter-than-a-page file for a new
	// database and write to it; a real one is never that small.
	if st.Size() < blockSize {
		return nil, fmt.Errorf("%w: metadata database truncated to %d bytes", evidence.ErrDamaged, st.Size())
	}
	// Before SQLite reads the WAL (and may reset it, dropping what follows
	// a damaged frame).
	if err := checkWAL(path, key); err != nil {
		return nil, err
	}
	db, err := open(path, key, false, scan)
	if err != nil {
		return nil, err
	}
	var v string
	err = db.sql.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'schema'`).Scan(&v)
	if err != nil {
		db.Close()
		return nil, damaged(err)
	}
	ownerOnly(path)
	if v == "2" {
		// Version 3 adds the identity vault's table, empty.
		err = db.migrate2to3(ctx)
		v = fmt.Sprint(SchemaVersion)
	}
	if err != nil {
		db.Close()
		return nil, damaged(err)
	}
	if v != fmt.Sprint(SchemaVersion) {
		db.Close()
		return nil, fmt.Errorf("%w: metadata schema version %s (this sori reads %d)", evidence.ErrDamaged, v, SchemaVersion)
	}
	// Tables and indexes that came later within version 3, made on open in
	// an archive that predates them: the sealed-name hashes, purges, the
	// checkpoints' time-stamp tokens, the witnesses that cosign checkpoints
	// and their cosignatures, the list index, the item keys, the index queue,
	// the search parts' starts, the search index's row counts.
	for _, ensure := range []func(context.Context) error{db.ensureVaultNames, db.ensurePurge, db.ensureTimestamps,
		db.ensureLogWitnesses, db.ensureCosignatures, db.ensureListIndex, db.ensureItemKeys, db.ensureSearchQueue,
		db.ensureSearchStarts, db.ensureSearchCounts} {
		if err := ensure(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// listIndex orders items as EachLatest lists them (intake order), so that
// listing every item streams from the index instead of sorting them all in
// memory first. An archive made before it gains it on open; the schema
// version stays.
const listIndex = `CREATE INDEX IF NOT EXISTS items_listed ON items (created_at, id);`

func (db *DB) ensureListIndex(ctx context.Context) error {
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'items_listed'`).Scan(&n); err != nil {
		return damaged(err)
	}
	if n == 1 {
		return nil
	}
	_, err := db.sql.ExecContext(ctx, listIndex)
	return damaged(err)
}

// ownerOnly makes the write-ahead log and the shared-memory index beside
// the database readable by the owner only: SQLite creates them (on the
// first read) with the process's umask, not the database's mode. They
// exist while a connection is open, which is when this is called.
func ownerOnly(path string) {
	for _, side := range []string{"-wal", "-shm"} {
		// Best effort (absent is fine): the files hold ciphertext either way.
		_ = os.Chmod(path+side, 0o600)
	}
}

func open(path string, key [32]byte, create, scan bool) (*DB, error) {
	cacheSize := pragmaCacheSize
	if scan {
		cacheSize = pragmaScanCacheSize
	}
	mode := "rw"
	if create {
		mode = "rwc"
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?vfs=adiantum&mode=" + mode + "&_txlock=immediate"
	hexkey := hex.EncodeToString(key[:])
	sdb, err := driver.Open(dsn, func(c *sqlite3.Conn) error {
		// The key must be the first PRAGMA; it never appears in the DSN.
		pragmas := []string{
			"PRAGMA hexkey='" + hexkey + "'",
			"PRAGMA busy_timeout=60000",
		}
		if create {
			// WAL mode is recorded in the file; existing databases keep it
			// without a write.
			pragmas = append(pragmas, "PRAGMA page_size="+strconv.Itoa(pageSizeOnCreate), "PRAGMA journal_mode=WAL")
		}
		for _, p := range append(pragmas,
			"PRAGMA synchronous=FULL", // a committed transaction survives power loss
			"PRAGMA foreign_keys=ON",
			"PRAGMA temp_store=MEMORY", // no temporary files on disk
			// Deleted content is overwritten with zeros where that costs
			// no extra I/O; a withdrawal from the identity vault turns it
			// fully on for its transaction (BeginShredding).
			"PRAGMA secure_delete=FAST",
			cacheSize,
		) {
			if err := c.Exec(p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, damaged(err)
	}
	// Each connection has its own page cache of decrypted pages; a
	// connection closed for being idle loses it, and a search's snippets
	// use a connection per core.
	sdb.SetMaxIdleConns(8)
	var ps int
	if err := sdb.QueryRow("PRAGMA page_size").Scan(&ps); err != nil {
		sdb.Close()
		return nil, damaged(err)
	}
	return &DB{sql: sdb, cachePragma: cacheSize, listChunk: listChunkFor(ps)}, nil
}

// pragmaCacheSize sets a connection's page cache: 64 MiB of (decrypted)
// pages, as the search index reads many.
const pragmaCacheSize = "PRAGMA cache_size=-65536"

// pragmaScanCacheSize is the page cache of a connection of OpenScan.
const pragmaScanCacheSize = "PRAGMA cache_size=-4096"

// damaged classifies SQLite's complaints about an unreadable file.
func damaged(err error) error {
	if err == nil {
		return nil
	}
	for _, code := range []sqlite3.ErrorCode{sqlite3.NOTADB, sqlite3.CORRUPT, sqlite3.IOERR, sqlite3.CANTOPEN, sqlite3.FORMAT, sqlite3.RANGE} {
		if errors.Is(err, code) {
			return fmt.Errorf("%w: metadata database unreadable (%v)", evidence.ErrDamaged, err)
		}
	}
	if strings.Contains(err.Error(), "no such table") {
		return fmt.Errorf("%w: metadata database unreadable (%v)", evidence.ErrDamaged, err)
	}
	return err
}

// Close closes the database.
func (db *DB) Close() error {
	db.mu.Lock()
	for _, s := range db.prepared {
		s.Close()
	}
	db.cache, db.prepared = nil, nil
	db.mu.Unlock()
	return db.sql.Close()
}

func (db *DB) migrate2to3(ctx context.Context) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, vaultSchema+`UPDATE meta SET value = '3' WHERE key = 'schema';`); err != nil {
		return fmt.Errorf("schema 2 to 3: %w", err)
	}
	return tx.Commit()
}

func (db *DB) migrate(ctx context.Context) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// The version tables' update triggers come with the purged table
	// (purge.go), in this transaction: nothing is dropped, so a new
	// database has no free page.
	if _, err := tx.ExecContext(ctx, schema+searchSchema+vaultSchema+vaultNamesSchema+purgeSchema+purgeTriggers+timestampsSchema+logWitnessesSchema+cosignaturesSchema+itemKeysSchema); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('schema', ?)`, fmt.Sprint(SchemaVersion)); err != nil {
		return err
	}
	return tx.Commit()
}

const schema = `
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;

CREATE TABLE users (
	id         TEXT PRIMARY KEY,          -- key ID (seal.KeyID of recipient)
	name       TEXT NOT NULL UNIQUE,
	role       TEXT NOT NULL,
	recipient  TEXT NOT NULL,             -- age1… public key keyrings are sealed to
	sign_pub   BLOB NOT NULL,             -- Ed25519 public key
	created_at TEXT NOT NULL,
	created_by TEXT
) STRICT;

CREATE TABLE items (
	id         TEXT PRIMARY KEY,          -- keyed hash of the content digest
	sha256     BLOB NOT NULL,             -- SHA-256 of the plaintext
	size       INTEGER NOT NULL,          -- plaintext bytes
	pack       TEXT NOT NULL,             -- blob store object holding the age file
	off        INTEGER NOT NULL,          -- where the age file starts in the pack
	len        INTEGER NOT NULL,          -- its length in bytes
	key_gen    INTEGER NOT NULL,          -- content key generation
	created_at TEXT NOT NULL,
	created_by TEXT NOT NULL REFERENCES users(id)
) STRICT;

CREATE TABLE item_versions (
	item_id    TEXT NOT NULL REFERENCES items(id),
	version    INTEGER NOT NULL CHECK (version >= 1),
	record     BLOB NOT NULL,             -- canonical JSON (evidence.ItemRecord)
	digest     BLOB NOT NULL,             -- SHA-256 of record
	created_at TEXT NOT NULL,
	actor      TEXT NOT NULL REFERENCES users(id),
	PRIMARY KEY (item_id, version)
) STRICT;

CREATE TABLE custody (
	seq     INTEGER PRIMARY KEY CHECK (seq >= 0), -- leaf index in the Merkle tree
	kind    TEXT NOT NULL,
	object  TEXT NOT NULL,
	entry   BLOB NOT NULL,             -- canonical JSON (custody.Entry)
	sig     BLOB NOT NULL,             -- the actor's Ed25519 signature of the entry
	salt    BLOB NOT NULL,             -- leaf salt, revealed only in exports
	content BLOB NOT NULL              -- SHA-256 of the item's plaintext, or 32 zero bytes
) STRICT;

CREATE TABLE tlog_hashes (
	idx  INTEGER PRIMARY KEY,          -- tlog.StoredHashIndex
	hash BLOB NOT NULL
) STRICT;

CREATE TABLE checkpoints (
	size       INTEGER PRIMARY KEY,    -- tree size it signs
	note       BLOB NOT NULL,          -- C2SP signed checkpoint
	created_at TEXT NOT NULL
) STRICT;

CREATE TABLE records (
	id         TEXT NOT NULL,             -- random record ID
	version    INTEGER NOT NULL CHECK (version >= 1),
	kind       TEXT NOT NULL,             -- model kind: testimony, event, act, …
	record     BLOB NOT NULL,             -- canonical JSON (model.Record)
	digest     BLOB NOT NULL,             -- SHA-256 of record
	created_at TEXT NOT NULL,
	actor      TEXT NOT NULL REFERENCES users(id),
	PRIMARY KEY (id, version)
) STRICT;

CREATE INDEX records_kind ON records (kind, id);
CREATE INDEX custody_object ON custody (object, seq);
CREATE INDEX items_pack ON items (pack);
CREATE INDEX items_size ON items (size);
CREATE INDEX items_listed ON items (created_at, id);

CREATE TRIGGER items_no_update BEFORE UPDATE ON items
BEGIN SELECT RAISE(ABORT, 'items are immutable'); END;
CREATE TRIGGER items_no_delete BEFORE DELETE ON items
BEGIN SELECT RAISE(ABORT, 'items are immutable'); END;
CREATE TRIGGER versions_no_delete BEFORE DELETE ON item_versions
BEGIN SELECT RAISE(ABORT, 'record versions are immutable'); END;
CREATE TRIGGER records_no_delete BEFORE DELETE ON records
BEGIN SELECT RAISE(ABORT, 'records are immutable'); END;
CREATE TRIGGER custody_no_update BEFORE UPDATE ON custody
BEGIN SELECT RAISE(ABORT, 'custody entries are immutable'); END;
CREATE TRIGGER custody_no_delete BEFORE DELETE ON custody
BEGIN SELECT RAISE(ABORT, 'custody entries are immutable'); END;
CREATE TRIGGER hashes_no_update BEFORE UPDATE ON tlog_hashes
BEGIN SELECT RAISE(ABORT, 'tree hashes are immutable'); END;
CREATE TRIGGER hashes_no_delete BEFORE DELETE ON tlog_hashes
BEGIN SELECT RAISE(ABORT, 'tree hashes are immutable'); END;
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are immutable'); END;
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are immutable'); END;
`

// The driver implements the contract and every optional capability.
var (
	_ store.DB               = (*DB)(nil)
	_ store.Tx               = (*Tx)(nil)
	_ store.Shredder         = (*DB)(nil)
	_ store.Snapshotter      = (*DB)(nil)
	_ store.IntegrityChecker = (*DB)(nil)
)
