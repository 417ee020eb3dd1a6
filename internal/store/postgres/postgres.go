// Package postgres keeps sori's metadata in a PostgreSQL database (pgx v5
// and pgxpool), for archives that several processes and users share.
//
// Nothing readable is left with the server: every content field (record
// bodies, titles, user names and keys, vault rows, custody entries, meta
// values, search documents and posting lists) is sealed in this process
// with XChaCha20-Poly1305 under a key derived from the archive's database
// key, with the row's identity (table, column, key) as associated data, so
// that a row moved to another key or column fails to open. Lookups by
// content use keyed HMAC columns; the search index stores keyed hashes of
// its terms. What the server does see — IDs, sequence numbers, kinds,
// sizes, times, how often a term hash recurs — is listed in docs/deploy.md.
//
// The connection URL carries no password: pgx reads it from PGPASSWORD or
// ~/.pgpass like every libpq client. A search_path parameter in the URL
// selects the schema (one archive per schema).
//
// Writers that append to the custody log or the search index take one
// transaction-scoped advisory lock (pg_advisory_xact_lock), so sequence
// numbers stay gap-free with many writers in many processes.
package postgres

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/chacha20poly1305"

	"sori/internal/evidence"
	"sori/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// minConns is the least pool size: see connect.
const minConns = 16

// keyCheck is sealed into meta at creation: opening it proves the key.
const keyCheck = "sori postgres metadata key check"

// DB is an open PostgreSQL metadata store.
type DB struct {
	pool *pgxpool.Pool
	c    *sealer
	lock int64 // this archive's advisory lock key
	// archive is the archive lock across processes (archivelock.go).
	archive archiveLock

	mu    sync.Mutex
	cache *store.SearchCache
	dict  *termDict
}

var (
	_ store.DB = (*DB)(nil)
	_ store.Tx = (*Tx)(nil)
)

// Create makes a new archive's tables in the database (the URL's schema)
// and opens it. It refuses a schema that holds one already.
func Create(ctx context.Context, url string, key [32]byte) (*DB, error) {
	db, err := connect(ctx, url, key)
	if err != nil {
		return nil, err
	}
	if err := db.create(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Open opens an existing archive, applying any migration this version
// adds. A wrong key gives an error wrapping evidence.ErrDamaged.
func Open(ctx context.Context, url string, key [32]byte) (*DB, error) {
	db, err := connect(ctx, url, key)
	if err != nil {
		return nil, err
	}
	if err := db.open(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func connect(ctx context.Context, url string, key [32]byte) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The parser's message may quote the URL; it is not repeated.
		return nil, fmt.Errorf("%w: PostgreSQL connection URL unusable (give postgres://user@host:port/db?sslmode=…; the password comes from PGPASSWORD or ~/.pgpass)", evidence.ErrInvalid)
	}
	// A transaction waiting for the writer lock holds a connection; reads
	// outside transactions need others meanwhile. pgxpool's default (four
	// on a small machine) is raised unless the URL sets pool_max_conns.
	if !strings.Contains(url, "pool_max_conns") && cfg.MaxConns < minConns {
		cfg.MaxConns = minConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL: %w", err)
	}
	c, err := newSealer(key)
	if err != nil {
		pool.Close()
		return nil, err
	}
	db := &DB{pool: pool, c: c}
	var schema *string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("PostgreSQL: %w", err)
	}
	if schema == nil {
		pool.Close()
		return nil, fmt.Errorf("%w: PostgreSQL: no schema of the URL's search_path exists in that database; create it first (CREATE SCHEMA …)", evidence.ErrInvalid)
	}
	// One lock per archive (schema): archives in other schemas of the same
	// database do not wait for each other.
	h := sha256.Sum256([]byte("sori writer lock\x00" + *schema))
	db.lock = int64(binary.BigEndian.Uint64(h[:8]))
	db.archive.lock, db.archive.gate = lockKey("sori archive lock", *schema), lockKey("sori archive gate", *schema)
	return db, nil
}

// Close lets the archive lock go and closes the pool.
func (db *DB) Close() error {
	db.releaseArchiveLock()
	db.pool.Close()
	return nil
}

func (db *DB) create(ctx context.Context) error {
	var exists bool
	if err := db.pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return fmt.Errorf("PostgreSQL: %w", err)
	}
	if exists {
		return fmt.Errorf("%w: the database schema holds a sori archive already", evidence.ErrExists)
	}
	return db.migrate(ctx, true)
}

func (db *DB) open(ctx context.Context) error {
	var exists bool
	if err := db.pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return fmt.Errorf("PostgreSQL: %w", err)
	}
	if !exists {
		return fmt.Errorf("%w: no sori archive in this database schema", evidence.ErrNotFound)
	}
	if err := db.migrate(ctx, false); err != nil {
		return err
	}
	v, err := db.metaRaw(ctx, db.pool, "key_check")
	if err != nil || string(v) != keyCheck {
		return fmt.Errorf("%w: the archive key does not open this PostgreSQL archive (wrong key, or rows tampered with)", evidence.ErrDamaged)
	}
	return nil
}

// migrate applies the embedded migrations not yet applied, in order, in
// one transaction under the writer lock (two processes opening at once
// apply each once).
func (db *DB) migrate(ctx context.Context, create bool) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("PostgreSQL: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, db.lock); err != nil {
		return fmt.Errorf("PostgreSQL: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)`); err != nil {
		return fmt.Errorf("PostgreSQL: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	slices.Sort(names)
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		n, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: no number", base)
		}
		var done bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, n).Scan(&done); err != nil {
			return fmt.Errorf("PostgreSQL: %w", err)
		}
		if done {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, string(body)); err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, n, time.Now().UnixNano()); err != nil {
			return fmt.Errorf("PostgreSQL: %w", err)
		}
	}
	if create {
		if err := db.setMeta(ctx, tx, "key_check", keyCheck); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// querier is what a pool and a transaction share.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Tx is a write transaction.
type Tx struct {
	db     *DB
	tx     pgx.Tx
	locked bool               // holds the writer lock
	recent map[int64][32]byte // tree hashes read or written in it
	search *searchBatch       // what it adds to the search index
	done   bool

	// Read once under the writer lock, which every writer of them takes:
	// no other transaction changes them until this one ends.
	size  int64 // the custody log's size, if sized
	sized bool
	gen   int // the content key generation; 0: not read yet
}

// Begin starts a write transaction (READ COMMITTED; appends to the custody
// log and the search index serialize on the writer lock).
func (db *DB) Begin(ctx context.Context) (store.Tx, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL: %w", err)
	}
	return &Tx{db: db, tx: tx}, nil
}

// lockWriter takes the archive's writer lock until the transaction ends.
func (t *Tx) lockWriter(ctx context.Context) error {
	if t.locked {
		return nil
	}
	if _, err := t.tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, t.db.lock); err != nil {
		return fmt.Errorf("PostgreSQL: %w", err)
	}
	t.locked = true
	return nil
}

// Commit makes the transaction durable; what it indexed is written first.
func (t *Tx) Commit() error {
	ctx := context.Background()
	if t.done {
		return pgx.ErrTxClosed
	}
	t.done = true
	if err := t.flushSearch(ctx); err != nil {
		t.tx.Rollback(ctx)
		return err
	}
	if err := t.tx.Commit(ctx); err != nil {
		return fmt.Errorf("PostgreSQL: %w", err)
	}
	return nil
}

// Rollback abandons the transaction; after Commit it does nothing.
func (t *Tx) Rollback() error {
	if t.done {
		return nil
	}
	t.done = true
	err := t.tx.Rollback(context.Background())
	if errors.Is(err, pgx.ErrTxClosed) {
		return nil
	}
	return err
}

// isUnique reports a unique or primary key violation.
func isUnique(err error) bool { return pgCode(err) == "23505" }

// isForeign reports a foreign key violation.
func isForeign(err error) bool { return pgCode(err) == "23503" }

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// dberr wraps a server error; nil stays nil.
func dberr(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("PostgreSQL: %w", err)
}

// sealer encrypts and authenticates fields, and hashes lookup keys.
type sealer struct {
	aead interface {
		Seal(dst, nonce, plaintext, additionalData []byte) []byte
		Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error)
		NonceSize() int
	}
	mac []byte
}

func newSealer(key [32]byte) (*sealer, error) {
	ek, err := hkdf.Key(sha256.New, key[:], nil, "sori/store/postgres v1 fields", chacha20poly1305.KeySize)
	if err != nil {
		return nil, err
	}
	mk, err := hkdf.Key(sha256.New, key[:], nil, "sori/store/postgres v1 lookup hashes", 32)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.NewX(ek)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead, mac: mk}, nil
}

// seal encrypts p for the field named ad (table, column and row identity).
func (s *sealer) seal(ad string, p []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(p)+chacha20poly1305.Overhead)
	rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, p, []byte(ad))
}

// open decrypts a field sealed for ad. A field that does not open (another
// key, another row's field moved here, changed bytes) is tampering.
func (s *sealer) open(ad string, b []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(b) < n+chacha20poly1305.Overhead {
		return nil, fmt.Errorf("%w: %s: sealed field truncated", evidence.ErrTampered, adName(ad))
	}
	p, err := s.aead.Open(nil, b[:n], b[n:], []byte(ad))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: sealed field does not open under the archive key", evidence.ErrTampered, adName(ad))
	}
	if p == nil {
		p = []byte{}
	}
	return p, nil
}

// adName is the table and column of an associated-data string, for
// errors (the row's identity may be a content hash; it is left out).
func adName(ad string) string {
	name, _, _ := strings.Cut(ad, "|")
	return name
}

// lookup is the keyed hash of v for equality lookups in one domain.
func (s *sealer) lookup(domain string, v []byte) []byte {
	m := hmac.New(sha256.New, s.mac)
	m.Write([]byte(domain))
	m.Write([]byte{0})
	m.Write(v)
	return m.Sum(nil)
}

// ad names a field: table.column|row key parts.
func ad(field string, key ...any) string {
	var b strings.Builder
	b.WriteString(field)
	for _, k := range key {
		b.WriteByte('|')
		fmt.Fprint(&b, k)
	}
	return b.String()
}

func nanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

// Meta and SetMeta: values sealed, keys (setting names) in the clear.

func (db *DB) metaRaw(ctx context.Context, q querier, key string) ([]byte, error) {
	var v []byte
	err := q.QueryRow(ctx, `SELECT value FROM meta WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, dberr(err)
	}
	return db.c.open(ad("meta.value", key), v)
}

func (db *DB) setMeta(ctx context.Context, q querier, key, value string) error {
	_, err := q.Exec(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
		key, db.c.seal(ad("meta.value", key), []byte(value)))
	return dberr(err)
}

// Meta reads an archive-wide setting ("" if unset).
func (db *DB) Meta(ctx context.Context, key string) (string, error) {
	v, err := db.metaRaw(ctx, db.pool, key)
	return string(v), err
}

// Meta reads a setting inside the transaction.
func (t *Tx) Meta(ctx context.Context, key string) (string, error) {
	v, err := t.db.metaRaw(ctx, t.tx, key)
	return string(v), err
}

// SetMeta records a setting inside the transaction.
func (t *Tx) SetMeta(ctx context.Context, key, value string) error {
	return t.db.setMeta(ctx, t.tx, key, value)
}

// SetContentGen records gen as the content key generation new items must
// use (also as the setting content_gen); the database's trigger refuses
// any other from every process.
func (t *Tx) SetContentGen(ctx context.Context, gen int) error {
	if gen < 1 {
		return fmt.Errorf("%w: content key generation %d", evidence.ErrInvalid, gen)
	}
	if err := t.lockWriter(ctx); err != nil {
		return err
	}
	// The setting as the archive reads it, and the number the trigger
	// compares items against.
	if err := t.SetMeta(ctx, "content_gen", fmt.Sprint(gen)); err != nil {
		return err
	}
	if _, err := t.tx.Exec(ctx, `UPDATE content_gen SET gen = $1`, gen); err != nil {
		return dberr(err)
	}
	t.gen = gen
	return nil
}

// ContentGen is the content key generation new items must use.
func (db *DB) ContentGen(ctx context.Context) (int, error) {
	var g int
	err := db.pool.QueryRow(ctx, `SELECT gen FROM content_gen`).Scan(&g)
	return g, dberr(err)
}
