// Package store is the storage contract of sori's metadata: the row types,
// the interfaces DB and Tx every driver implements, and the optional
// capabilities (shredding, snapshots, a storage integrity check) that only
// some drivers have, which callers type-assert.
//
// Drivers: sori/internal/store/sqlite (one encrypted file, the embedded
// archive) and sori/internal/store/postgres (a shared server, every content
// field encrypted in the process). Both pass internal/store/storetest.
//
// Evidence rows (items, item versions, records, custody entries, tree
// hashes, checkpoints) are never updated or deleted: a driver refuses an
// existing (id, version) in Go inside the transaction, whatever its
// database does besides. The one exception is a purge, which empties the
// body of one listed version.
package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"sori/internal/evidence"
	"sori/internal/textindex"
)

// DB is an open metadata store. It is safe for concurrent use.
type DB interface {
	Close() error

	// Begin starts a write transaction.
	Begin(ctx context.Context) (Tx, error)

	// Meta reads an archive-wide setting ("" if unset).
	Meta(ctx context.Context, key string) (string, error)
	// EachMeta calls fn for every archive-wide setting, by key, leaving
	// out the driver's own bookkeeping (schema versions, key checks).
	EachMeta(ctx context.Context, fn func(key, value string) error) error
	// ContentGen is the content key generation new items must use.
	ContentGen(ctx context.Context) (int, error)

	UserByID(ctx context.Context, id string) (User, error)
	UserByName(ctx context.Context, name string) (User, error)
	// Users lists every user by name, removed ones included.
	Users(ctx context.Context) ([]User, error)

	Item(ctx context.Context, id evidence.ID) (Item, error)
	// ResolvePrefix finds the one item whose ID starts with prefix.
	ResolvePrefix(ctx context.Context, prefix string) (evidence.ID, error)
	Versions(ctx context.Context, id evidence.ID) ([]Version, error)
	LatestVersion(ctx context.Context, id evidence.ID) (Version, error)
	// EachLatest calls fn for every item with its newest version, in order
	// of intake (then ID).
	EachLatest(ctx context.Context, fn func(Item, Version) error) error
	// EachLatestAfter is EachLatest from the item after item after in
	// that order (the zero ID: from the first), reading no row before it:
	// a listing paged by the last ID of each page reads one page's rows.
	// An unknown after is evidence.ErrNotFound.
	EachLatestAfter(ctx context.Context, after evidence.ID, fn func(Item, Version) error) error
	SizeExists(ctx context.Context, size int64) (bool, error)
	// EachItem calls fn for every item, in ID order.
	EachItem(ctx context.Context, fn func(Item) error) error
	// EachVersion calls fn for every item version, by item then version.
	EachVersion(ctx context.Context, fn func(Version) error) error

	RecordVersions(ctx context.Context, id evidence.ID) ([]RecordRow, error)
	// EachRecord calls fn for every record version (kind "" for all), by
	// time, ID and version; latestOnly skips superseded versions.
	EachRecord(ctx context.Context, kind string, latestOnly bool, fn func(RecordRow) error) error
	// EachRecordAfter calls fn for the latest version of every record of
	// kind ("" for all) that comes after record after in EachRecord's
	// order (the time of its latest version, then ID; the zero ID: from
	// the first), reading no row before it. A record that gets a new
	// version moves to the end of that order: with version > 0 the walk
	// goes on from where after's version version stood (a page's last
	// record, changed since, moves no cursor past the records after it),
	// with 0 from where its latest version stands. An unknown after or
	// version is evidence.ErrNotFound.
	EachRecordAfter(ctx context.Context, kind string, after evidence.ID, version int, fn func(RecordRow) error) error
	// EachCurrentRecordContaining calls fn for (at least) the latest
	// version of every record of kind whose canonical bytes contain
	// needle: a pre-filter the caller confirms.
	EachCurrentRecordContaining(ctx context.Context, kind string, needle []byte, fn func(RecordRow) error) error
	// ResolveAny finds the one item or record whose ID starts with prefix
	// and reports whether it is an item.
	ResolveAny(ctx context.Context, prefix string) (evidence.ID, bool, error)
	// Purged returns every purged version.
	Purged(ctx context.Context) ([]Purge, error)

	// TreeSize is the number of custody entries.
	TreeSize(ctx context.Context) (int64, error)
	HashReader(ctx context.Context) tlog.HashReader
	LatestCheckpoint(ctx context.Context) (int64, []byte, error)
	// EachCustody calls fn for the entries about object ("" for all), in
	// tree order.
	EachCustody(ctx context.Context, object string, fn func(CustodyRow) error) error
	EachStoredHash(ctx context.Context, fn func(idx int64, h []byte) error) error
	EachCheckpoint(ctx context.Context, fn func(size int64, note []byte) error) error
	// EachCheckpointAt is EachCheckpoint with the time each was stored.
	EachCheckpointAt(ctx context.Context, fn func(size int64, note []byte, at time.Time) error) error
	AddTimestamp(ctx context.Context, ts Timestamp) (int64, error)
	LatestTimestamp(ctx context.Context, maxSize int64) (Timestamp, error)
	// EachTimestamp calls fn for every stored time-stamp token, in the
	// order they were stored.
	EachTimestamp(ctx context.Context, fn func(Timestamp) error) error
	// AddCosignature stores a witness's cosignature (checked by the caller);
	// LatestCosignatures gives those of the largest cosigned checkpoint of
	// at most maxSize entries (NewestCosignatures).
	AddCosignature(ctx context.Context, c Cosignature) error
	LatestCosignatures(ctx context.Context, maxSize int64) ([]Cosignature, error)
	// EachCosignature calls fn for every stored cosignature, in the order
	// they were stored.
	EachCosignature(ctx context.Context, fn func(Cosignature) error) error
	AddLogWitness(ctx context.Context, w LogWitness) error
	LogWitnesses(ctx context.Context) ([]LogWitness, error)

	Vault(ctx context.Context, pseudonym string) (VaultRow, error)
	VaultRows(ctx context.Context) ([]VaultRow, error)
	HasVaultNames(ctx context.Context) (bool, error)
	VaultNames(ctx context.Context) (map[string][]VaultName, error)
	VaultNameTotal(ctx context.Context) (int, error)
	VaultNameCounts(ctx context.Context) (map[string]int, error)

	// ItemKey returns item id's own key (evidence.ErrNotFound: it has none,
	// or it was shredded); EachItemKey calls fn for every one, by item ID.
	ItemKey(ctx context.Context, id evidence.ID) (ItemKey, error)
	EachItemKey(ctx context.Context, fn func(ItemKey) error) error

	// PendingItems returns up to limit items of the index queue (not yet
	// indexed), in intake order, and how many there are in all. It only
	// reads: an item is indexed by a write transaction that takes it from
	// the queue (Tx.TakeQueued).
	PendingItems(ctx context.Context, limit int) ([]PendingItem, int, error)
	Search(ctx context.Context, q SearchQuery) ([]Hit, error)
	// SnippetItems returns the item row and the indexed parts' starts
	// (SnippetItem) of each of docs that is an item, in one query; docs
	// that are not items are absent from the map.
	SnippetItems(ctx context.Context, docs []string) (map[string]SnippetItem, error)
}

// Tx is a write transaction: everything done through it commits or
// vanishes together. A Tx is used by one goroutine.
type Tx interface {
	Commit() error
	// Rollback abandons the transaction; after Commit it does nothing.
	Rollback() error

	InsertUser(ctx context.Context, u User) error
	SetMeta(ctx context.Context, key, value string) error
	Meta(ctx context.Context, key string) (string, error)
	Users(ctx context.Context) ([]User, error)
	SetUserRole(ctx context.Context, id, role string) error
	// SetContentGen records the content key generation new items must use
	// and makes the store refuse items under any other, from any process.
	SetContentGen(ctx context.Context, gen int) error

	// InsertItem inserts it unless an item with its ID exists, and
	// reports whether it did. A new item joins the index queue in this
	// transaction (PendingItems, TakeQueued).
	InsertItem(ctx context.Context, it Item) (bool, error)
	// InsertItemKey stores an item's own key; one exists already:
	// evidence.ErrExists. DeleteItemKey destroys it (evidence.ErrNotFound
	// if there is none): call it in a shredding transaction.
	InsertItemKey(ctx context.Context, k ItemKey) error
	DeleteItemKey(ctx context.Context, id evidence.ID) error
	// ItemKey is DB.ItemKey as this transaction sees it.
	ItemKey(ctx context.Context, id evidence.ID) (ItemKey, error)
	// InsertVersion appends a version; an existing (item, version) gives
	// evidence.ErrExists. An item waiting in the index queue moves to its
	// end (TakeQueued).
	InsertVersion(ctx context.Context, v Version) error
	Item(ctx context.Context, id evidence.ID) (Item, error)
	LatestVersion(ctx context.Context, id evidence.ID) (Version, error)
	// PurgeVersion empties the body of one version and lists it as purged.
	PurgeVersion(ctx context.Context, p Purge) error

	// InsertRecord appends a record version; an existing (id, version)
	// gives evidence.ErrExists.
	InsertRecord(ctx context.Context, r RecordRow) error
	LatestRecord(ctx context.Context, id evidence.ID) (RecordRow, error)
	RecordKind(ctx context.Context, id evidence.ID) (string, error)
	EachRecord(ctx context.Context, kind string, latestOnly bool, fn func(RecordRow) error) error

	// TreeSize is the number of custody entries as this transaction sees
	// them. A driver shared by several processes locks the log here, until
	// the transaction ends, so that the size read is the seq appended.
	TreeSize(ctx context.Context) (int64, error)
	// AppendCustody stores entry r (r.Seq must be TreeSize) and the tree
	// hashes its leaf adds.
	AppendCustody(ctx context.Context, r CustodyRow, leafData []byte) error
	InsertCheckpoint(ctx context.Context, size int64, note []byte, now time.Time) error
	HashReader(ctx context.Context) tlog.HashReader

	InsertVault(ctx context.Context, r VaultRow) error
	WithdrawVault(ctx context.Context, pseudonym string, now time.Time) (VaultRow, error)
	Vault(ctx context.Context, pseudonym string) (VaultRow, error)
	ActiveVault(ctx context.Context) ([]VaultRow, error)
	SetVaultWrapped(ctx context.Context, pseudonym string, wrapped []byte) error
	InsertVaultNames(ctx context.Context, entry string, names []VaultName) error
	DeleteVaultNames(ctx context.Context, entry string) error

	IndexDoc(ctx context.Context, d SearchDoc, parts []string) error
	IndexText(ctx context.Context, d SearchDoc, text *textindex.Doc) error
	// ClearSearch empties the search index and queues every item again.
	ClearSearch(ctx context.Context) error
	// ExpungeText removes a document's text from the search index for good:
	// its title stays, its text rows' postings are rewritten away in the
	// same transaction (not merely marked dead), so that nothing derived
	// from the text is left once it commits. For shredding.
	ExpungeText(ctx context.Context, doc string) error
	LinkAnnotation(ctx context.Context, annotation, item, target string) error
	RefreshLinked(ctx context.Context, target string) error
	// TakeQueued removes item id from the index queue if it is still at
	// place queued (PendingItem.Queued) and reports whether it did. The
	// caller indexes the item in this transaction only if so: of several
	// indexers (processes) that read the same pending item, exactly one
	// takes it; a rolled-back take leaves it queued; and an item whose
	// record changed since the page was read (InsertVersion moved it) is
	// left for the next page, read with the new record.
	TakeQueued(ctx context.Context, id evidence.ID, queued int64) (bool, error)
}

// Shredder is a driver that can overwrite what a transaction deletes
// (crypto-shredding of a withdrawn witness, a purged version) and then
// flush its log, so that the deleted bytes do not linger.
type Shredder interface {
	BeginShredding(ctx context.Context) (Tx, error)
	TruncateWAL(ctx context.Context) error
}

// Snapshotter is a driver that writes a consistent copy of its database
// to a file (replicas).
type Snapshotter interface {
	Snapshot(ctx context.Context, path string, key [32]byte) error
}

// Rekeyer is a driver whose database key seals fields in the process
// (PostgreSQL), so that replacing the key means sealing every field again:
// Rekey does it inside tx, a write transaction of the same store, and
// makes whatever tx writes afterwards sealed under the new key; after tx
// commits, UseKey makes the store use the new key. If tx does not commit,
// nothing changed. step, if not nil, is called as the work proceeds with
// a table's name (the rotation's crash-test trace). A driver whose key
// encrypts a file (SQLite) is copied under a new key instead (Snapshotter).
type Rekeyer interface {
	Rekey(ctx context.Context, tx Tx, key [32]byte, step func(table string)) error
	UseKey(ctx context.Context, key [32]byte) error
}

// IntegrityChecker is a driver with a storage-level consistency check.
type IntegrityChecker interface {
	IntegrityCheck(ctx context.Context, quick bool) ([]string, error)
}

// BeginShredding starts a shredding transaction where db can (Shredder),
// else an ordinary one: a driver without the capability documents what it
// keeps (docs/deploy.md).
func BeginShredding(ctx context.Context, db DB) (Tx, error) {
	if s, ok := db.(Shredder); ok {
		return s.BeginShredding(ctx)
	}
	return db.Begin(ctx)
}

// TruncateWAL flushes db's log after a shredding transaction where the
// driver has one to flush; elsewhere it does nothing.
func TruncateWAL(ctx context.Context, db DB) error {
	if s, ok := db.(Shredder); ok {
		return s.TruncateWAL(ctx)
	}
	return nil
}

// Snapshot copies db to path where the driver can.
func Snapshot(ctx context.Context, db DB, path string, key [32]byte) error {
	if s, ok := db.(Snapshotter); ok {
		return s.Snapshot(ctx, path, key)
	}
	return fmt.Errorf("%w: this archive's database cannot be copied to a file (replicate it with the database server's own tools)", evidence.ErrInvalid)
}

// IntegrityCheck runs db's storage check where the driver has one; a
// driver without one has no findings of its own (records are still
// checked against their digests and the custody log by verify).
func IntegrityCheck(ctx context.Context, db DB, quick bool) ([]string, error) {
	if c, ok := db.(IntegrityChecker); ok {
		return c.IntegrityCheck(ctx, quick)
	}
	return nil, nil
}

// AnalyzeText tokenizes a document's text parts (paragraphs) for IndexText.
// It needs no database, so callers run it in parallel.
func AnalyzeText(parts []string) *textindex.Doc {
	if len(parts) > MaxParts {
		parts = parts[:MaxParts]
	}
	return textindex.Analyze(append([]string{""}, parts...)) // row 0 is the title's
}

// MaxParts is the most text rows a document has.
const MaxParts = 1<<16 - 1

// SearchTables are the SQLite driver's tables that hold only the (derived)
// search index.
var SearchTables = []string{"search_docs", "search_segs", "search_terms", "search_dead", "search_links", "search_state", "search_queue"}

// SearchTable reports whether a table holds only the derived search index
// (a storage complaint about it is repaired by rebuilding the index).
func SearchTable(name string) bool { return slices.Contains(SearchTables, name) }
