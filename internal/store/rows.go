package store

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"sori/internal/evidence"
)

// The rows the archive reads and writes, whatever the driver.

// CustodyRow is a stored custody entry with what its leaf commits to.
type CustodyRow struct {
	Seq     int64
	Kind    string
	Object  string
	Entry   []byte // canonical custody.Entry
	Sig     []byte
	Salt    []byte
	Content evidence.Digest
}

// Item is an evidence file as stored: immutable once inserted.
type Item struct {
	ID        evidence.ID
	SHA256    evidence.Digest
	Size      int64
	Pack      string
	Off, Len  int64
	KeyGen    int
	CreatedAt time.Time
	CreatedBy string
}

// ItemKey is an item's own key (seal.ItemKey: its handle, and the key
// wrapped under the content key of generation Gen). It is the one item row
// that may be deleted: deleting it, in a shredding transaction, shreds the
// item (docs/protection.md). Items taken in before per-item keys have none.
type ItemKey struct {
	Item    evidence.ID
	Handle  string
	Gen     int
	Wrapped []byte
}

// Version is one immutable record version.
type Version struct {
	Item      evidence.ID
	Version   int
	Record    []byte // canonical evidence.ItemRecord
	Digest    evidence.Digest
	CreatedAt time.Time
	Actor     string
}

// LogWitness is a configured witness.
type LogWitness struct {
	Key     string
	URL     string
	AddedAt time.Time
}

// Purge is one purged version.
type Purge struct {
	Kind      string // item or record
	ID        evidence.ID
	Version   int
	Reason    string
	CreatedAt time.Time
	Actor     string
}

// RecordRow is one stored version of a model record.
type RecordRow struct {
	ID        evidence.ID
	Version   int
	Kind      string
	Record    []byte // canonical model.Record
	Digest    evidence.Digest
	CreatedAt time.Time
	Actor     string
}

// SearchDoc is what the index knows of a document besides its text.
type SearchDoc struct {
	Doc        string
	Kind       string
	Title      string
	YearFrom   int
	YearTo     int
	Places     []string // gazetteer codes or free names
	Violations []string // vocabulary codes
	// Starts is where each text part of an item starts in the item's
	// plaintext, in bytes (nil for records, and where unknown): a snippet
	// then decrypts only the chunks that hold its part.
	Starts []int64
}

// SnippetItem is what a snippet of an item's text part needs: the item's
// row (where its bytes are) and where each indexed text part starts in its
// plaintext (SearchDoc.Starts; nil when the index does not know).
type SnippetItem struct {
	Item
	Starts []int64
	Key    *ItemKey // the item's own key, read with the row; nil: it has none
}

// PendingItem is an item waiting in the index queue.
type PendingItem struct {
	Item
	// Queued is its place in the queue: Tx.TakeQueued takes it from there
	// only. A new version of its record moves it to the end (InsertVersion),
	// so an indexer that read the older record does not index it.
	Queued int64
	// With (a driver may leave it false), Latest and Key were read with
	// the page: the item's newest record version (nil: none) and its own
	// key (nil: none). Without, the indexer reads each itself.
	With   bool
	Latest *Version
	Key    *ItemKey
}

// SearchQuery is a query against the index.
type SearchQuery struct {
	Match      string // MATCH expression (hangul.MatchExpr)
	Kind       string
	Violation  string // vocabulary code, or prefix of one ("detention" matches detention.*)
	Place      string
	From, To   int // years; 0 = open
	Limit      int
	Open, Shut string // snippet highlight markers
	// Allow is asked about each document before it is returned (access
	// control); nil allows all.
	Allow func(doc string) bool
	// Text returns the text of part n (from 1) of a document, for its
	// snippet; nil, or an error, leaves text parts without a snippet.
	Text func(doc string, part int) (string, error)
	// Prefetch, if not nil, is called once with the documents whose text
	// parts Text will be asked for, before it is: the caller reads their
	// rows in one query instead of one each.
	Prefetch func(docs []string)
	// NoSnippets leaves every snippet empty (for callers that only count).
	NoSnippets bool
	// NoCache ranks the query anew, neither using nor keeping the index's
	// cached ranking of it (benchmarks that time the evaluation).
	NoCache bool
}

// Hit is one document found, with its best-ranked part's snippet.
type Hit struct {
	Doc     string  `json:"id"`
	Kind    string  `json:"kind"`
	Title   string  `json:"title"`
	Snippet string  `json:"snippet"`
	Part    int     `json:"part"`  // 0 title, n ≥ 1 the nth paragraph
	Score   float64 `json:"score"` // BM25, negated: lower is better
	// At is where the first match starts in the hit's part (a token
	// position), for cutting its snippet later (HitSnippet).
	At int `json:"-"`
}

// Timestamp is one stored time-stamp token of a checkpoint.
type Timestamp struct {
	ID      int64
	Size    int64
	Note    []byte
	TSA     string
	GenTime time.Time
	Token   []byte
}

// User is an account of the archive. Its secret key is not here: it lives,
// passphrase-protected, in the archive's keys directory.
type User struct {
	ID        string // key ID
	Name      string
	Role      string
	Recipient string
	SignPub   []byte
	CreatedAt time.Time
	CreatedBy string
}

// VaultRow is one witness of the identity vault.
type VaultRow struct {
	Pseudonym   string
	ID          string
	Withdrawn   bool
	Wrapped     []byte // nil once withdrawn
	Entry       []byte // nil once withdrawn
	CreatedAt   time.Time
	CreatedBy   string
	WithdrawnAt time.Time
}

// VaultName is one hashed form of a sealed name.
type VaultName struct {
	Hash  [32]byte
	Given bool
}

// Cosignature is one stored witness cosignature of a checkpoint.
type Cosignature struct {
	ID         int64
	Size       int64
	Note       []byte // the checkpoint's note, signed by the log only
	Key        string // the witness's verifier key
	Line       string // the cosignature line, "— NAME BASE64\n"
	CosignedAt time.Time
}

// NewestCosignatures picks, from the cosignatures of one tree size newest
// first, one per witness (its newest) of the newest row's note —
// cosignatures of another note of the same size (a fork the witnesses
// would have refused) are not mixed in — ordered by witness key.
func NewestCosignatures(rows []Cosignature) []Cosignature {
	var out []Cosignature
	seen := map[string]bool{}
	for _, c := range rows {
		if len(out) > 0 && string(c.Note) != string(out[0].Note) || seen[c.Key] {
			continue
		}
		seen[c.Key] = true
		out = append(out, c)
	}
	slices.SortFunc(out, func(p, q Cosignature) int { return strings.Compare(p.Key, q.Key) })
	return out
}

// OrderHashes returns the tree hashes at indexes, in that order, from got
// (hashes by index as a driver read them); one missing or of the wrong size
// is tampering.
func OrderHashes(indexes []int64, got map[int64][]byte) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		h, ok := got[x]
		if !ok || len(h) != tlog.HashSize {
			return nil, fmt.Errorf("%w: tree hash %d missing or malformed", evidence.ErrTampered, x)
		}
		copy(out[i][:], h)
	}
	return out, nil
}
