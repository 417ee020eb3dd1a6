package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/ext/fts5"

	"sori/internal/evidence"
	"sori/internal/hangul"
)

// The search index is an FTS5 table inside the encrypted database (a
// plaintext index beside encrypted blobs would undo the encryption),
// tokenized by internal/hangul: Hangul as syllable unigrams with co-located
// bigrams and name keys, Latin case- and diacritic-folded. It is derived
// data: rebuilt, never evidence, so it is updated in place.
//
// Each document (an item or a record) has a row in search_docs with what
// filters need, and up to maxParts rows in search: part 0 holds the title
// and names, parts 1… the paragraphs of its text. A part's rowid is
// doc seq << partBits | part, so a document's rows are one rowid range.

const (
	partBits = 16
	maxParts = 1<<partBits - 1
)

// registerTokenizer makes the "sori" FTS5 tokenizer available on c.
func registerTokenizer(c *sqlite3.Conn) error {
	return fts5.RegisterCustom(c, func(api *fts5.API) error {
		return api.CreateTokenizer("sori", func([]string) (fts5.Tokenizer, error) { return tokenizer{}, nil })
	})
}

type tokenizer struct{}

func (tokenizer) Tokenize(flags fts5.TokenizeFlag, text, _ string, cb fts5.TokenCallback) error {
	emit := func(tok string, start, end int, colocated bool) error {
		var f fts5.TokenFlag
		if colocated {
			f = fts5.TOKEN_COLOCATED
		}
		return cb(f, tok, start, end)
	}
	if flags&fts5.TOKENIZE_QUERY != 0 {
		return hangul.TokenizeQuery(text, emit)
	}
	return hangul.Tokenize(text, emit)
}

const searchSchema = `
CREATE TABLE search_docs (
	seq        INTEGER PRIMARY KEY,
	doc        TEXT NOT NULL UNIQUE,     -- item or record ID
	kind       TEXT NOT NULL,            -- item kind or record kind
	title      TEXT NOT NULL,
	year_from  INTEGER NOT NULL DEFAULT 0, -- 0: unknown
	year_to    INTEGER NOT NULL DEFAULT 0,
	places     TEXT NOT NULL DEFAULT '',   -- ' code code ' for filters
	violations TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE VIRTUAL TABLE search USING fts5(text, tokenize = 'sori');
`

// SearchDoc is what the index knows of a document besides its text.
type SearchDoc struct {
	Doc        string
	Kind       string
	Title      string
	YearFrom   int
	YearTo     int
	Places     []string // gazetteer codes or free names
	Violations []string // vocabulary codes
}

func spaced(codes []string) string {
	if len(codes) == 0 {
		return ""
	}
	return " " + strings.Join(codes, " ") + " "
}

// IndexDoc (re)indexes a document: its metadata, its title part and, when
// parts is not nil, its text parts (paragraphs). With parts nil the text
// already indexed is kept.
func (t *Tx) IndexDoc(ctx context.Context, d SearchDoc, parts []string) error {
	var seq int64
	err := t.tx.QueryRowContext(ctx, `INSERT INTO search_docs (doc, kind, title, year_from, year_to, places, violations) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (doc) DO UPDATE SET kind = excluded.kind, title = excluded.title, year_from = excluded.year_from,
			year_to = excluded.year_to, places = excluded.places, violations = excluded.violations
		RETURNING seq`, d.Doc, d.Kind, d.Title, d.YearFrom, d.YearTo, spaced(d.Places), spaced(d.Violations)).Scan(&seq)
	if err != nil {
		return damaged(err)
	}
	lo, hi := seq<<partBits, seq<<partBits|maxParts
	del := `DELETE FROM search WHERE rowid = ?`
	args := []any{lo}
	if parts != nil {
		del = `DELETE FROM search WHERE rowid BETWEEN ? AND ?`
		args = append(args, hi)
	}
	if _, err := t.tx.ExecContext(ctx, del, args...); err != nil {
		return damaged(err)
	}
	ins, err := t.stmt(ctx, `INSERT INTO search (rowid, text) VALUES (?, ?)`)
	if err != nil {
		return err
	}
	if _, err := ins.ExecContext(ctx, lo, d.Title); err != nil {
		return damaged(err)
	}
	for i, p := range parts {
		if i+1 > maxParts {
			break // the splitter never makes this many
		}
		if _, err := ins.ExecContext(ctx, lo+int64(i+1), p); err != nil {
			return damaged(err)
		}
	}
	return nil
}

// SearchQuery is a query against the index.
type SearchQuery struct {
	Match      string // FTS5 MATCH expression (hangul.MatchExpr)
	Kind       string
	Violation  string // vocabulary code, or prefix of one ("detention" matches detention.*)
	Place      string
	From, To   int // years; 0 = open
	Limit      int
	Open, Shut string // snippet highlight markers
	// Allow is asked about each document before it is returned (access
	// control); nil allows all.
	Allow func(doc string) bool
}

// Hit is one document found, with its best-ranked part's snippet.
type Hit struct {
	Doc     string  `json:"id"`
	Kind    string  `json:"kind"`
	Title   string  `json:"title"`
	Snippet string  `json:"snippet"`
	Part    int     `json:"part"`  // 0 title, n ≥ 1 the nth paragraph
	Score   float64 `json:"score"` // BM25 (lower is better, as SQLite reports it)
}

// Search runs q and returns at most q.Limit documents, best first.
func (db *DB) Search(ctx context.Context, q SearchQuery) ([]Hit, error) {
	if strings.TrimSpace(q.Match) == "" {
		return nil, fmt.Errorf("%w: empty query", evidence.ErrInvalid)
	}
	where := []string{"search MATCH ?"}
	args := []any{q.Open, q.Shut, q.Match}
	if q.Kind != "" {
		where = append(where, "d.kind = ?")
		args = append(args, q.Kind)
	}
	if q.Violation != "" {
		where = append(where, "(instr(d.violations, ?) > 0 OR instr(d.violations, ?) > 0)")
		args = append(args, " "+q.Violation+" ", " "+q.Violation+".")
	}
	if q.Place != "" {
		where = append(where, "instr(d.places, ?) > 0")
		args = append(args, " "+q.Place+" ")
	}
	if q.From != 0 {
		where = append(where, "d.year_to >= ? AND d.year_to != 0")
		args = append(args, q.From)
	}
	if q.To != 0 {
		where = append(where, "d.year_from <= ? AND d.year_from != 0")
		args = append(args, q.To)
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT d.doc, d.kind, d.title, snippet(search, 0, ?, ?, '…', 16), search.rowid & `+fmt.Sprint(maxParts)+`, rank
		FROM search JOIN search_docs d ON d.seq = (search.rowid >> `+fmt.Sprint(partBits)+`)
		WHERE `+strings.Join(where, " AND ")+` ORDER BY rank`, args...)
	if err != nil {
		var se *sqlite3.Error
		if errors.As(err, &se) && se.Code() == sqlite3.ERROR {
			return nil, fmt.Errorf("%w: query: %v", evidence.ErrInvalid, err)
		}
		return nil, damaged(err)
	}
	defer rows.Close()
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	seen := map[string]bool{}
	var hits []Hit
	for rows.Next() && len(hits) < limit {
		var h Hit
		if err := rows.Scan(&h.Doc, &h.Kind, &h.Title, &h.Snippet, &h.Part, &h.Score); err != nil {
			return nil, damaged(err)
		}
		if seen[h.Doc] || (q.Allow != nil && !q.Allow(h.Doc)) {
			continue
		}
		seen[h.Doc] = true
		hits = append(hits, h)
	}
	return hits, damaged(rows.Err())
}
