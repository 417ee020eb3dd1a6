package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"

	"slices"
	"strings"

	"sori/internal/evidence"
	"sori/internal/store"
	"sori/internal/textindex"
)

// The search index lives inside the encrypted database (a plaintext index
// beside encrypted blobs would undo the encryption). It is an inverted
// index of internal/textindex: each committed transaction that indexes
// documents adds one segment, a row per term with its posting list, and
// segments are merged eight at a time into the next level, so a term is
// read from a few rows however many transactions wrote it. The index is
// derived data — rebuilt, never evidence — so it is updated in place.
//
// Each document (an item or a record) has a row in search_docs with what
// filters need. Its title is one index row and its text paragraphs others:
// the title row is tgen<<16 and the paragraphs gen<<16 | n (n from 1), where
// tgen and gen are generations taken from one counter when the document is
// (re)indexed. A re-indexed document takes new generations; the old rows'
// postings are dead (no document names their generation), skipped by
// queries and dropped when their segment is merged.

const searchSchema = `
CREATE TABLE search_docs (
	doc        TEXT PRIMARY KEY,          -- item or record ID
	kind       TEXT NOT NULL,             -- item kind or record kind
	title      TEXT NOT NULL,
	year_from  INTEGER NOT NULL DEFAULT 0, -- 0: unknown
	year_to    INTEGER NOT NULL DEFAULT 0,
	places     TEXT NOT NULL DEFAULT '',   -- ' code code ' for filters
	violations TEXT NOT NULL DEFAULT '',
	tgen       INTEGER NOT NULL UNIQUE,    -- generation of the title row
	gen        INTEGER NOT NULL,           -- generation of the text rows (0: none)
	lens       BLOB NOT NULL,              -- uvarint lengths: title row, then each text row
	starts     BLOB NOT NULL DEFAULT x''   -- an item's text parts' starts in its plaintext (store.EncodeStarts)
) STRICT;
CREATE TABLE search_segs (
	seg    INTEGER PRIMARY KEY,
	level  INTEGER NOT NULL,
	lo     INTEGER NOT NULL,  -- generations it holds: lo … hi
	hi     INTEGER NOT NULL
) STRICT;
CREATE TABLE search_terms (
	term  BLOB NOT NULL,
	seg   INTEGER NOT NULL,
	chunk INTEGER NOT NULL,   -- 0, 1, …: a list is cut into chunks that fit a page
	list  BLOB NOT NULL       -- the chunk's bytes of a textindex posting list
) STRICT;
CREATE UNIQUE INDEX search_terms_key ON search_terms (term, seg, chunk);
CREATE TABLE search_dead (gen INTEGER PRIMARY KEY) STRICT;  -- replaced generations not yet merged away
CREATE TABLE search_links (                  -- annotations: an item inherits its targets' filters
	annotation TEXT PRIMARY KEY,
	item       TEXT NOT NULL,
	target     TEXT NOT NULL
) STRICT;
CREATE INDEX search_links_item ON search_links (item);
CREATE INDEX search_links_target ON search_links (target);
CREATE INDEX search_docs_gen ON search_docs (gen);
CREATE TABLE search_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
INSERT INTO search_state (key, value) VALUES ('next_gen', 1), ('next_seg', 1), ('version', 0), ('rows', 0), ('lens', 0);
` + searchQueueSchema

// mergeFanIn is how many segments of one level are merged into one.
const mergeFanIn = 8

// searchBatch is what a transaction adds to the index.
type searchBatch struct {
	store.IndexBatch
	lo       int64 // first generation taken
	nextSeg  int64
	modified bool
}

func (t *Tx) searchState(ctx context.Context) (*searchBatch, error) {
	if t.search != nil {
		return t.search, nil
	}
	s := &searchBatch{IndexBatch: store.IndexBatch{B: textindex.NewBuilder()}}
	rows, err := t.tx.QueryContext(ctx, `SELECT key, value FROM search_state`)
	if err != nil {
		return nil, damaged(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var v int64
		if err := rows.Scan(&k, &v); err != nil {
			return nil, damaged(err)
		}
		switch k {
		case "next_gen":
			s.Next = v
		case "next_seg":
			s.nextSeg = v
		}
	}
	if err := rows.Err(); err != nil {
		return nil, damaged(err)
	}
	if s.Next < 1 || s.nextSeg < 1 {
		return nil, fmt.Errorf("%w: search index state missing", evidence.ErrDamaged)
	}
	s.lo = s.Next
	t.search = s
	return s, nil
}

// IndexDoc (re)indexes a document: its metadata, its title and, when parts
// is not nil, its text parts (paragraphs). With parts nil the text already
// indexed is kept.
func (t *Tx) IndexDoc(ctx context.Context, d store.SearchDoc, parts []string) error {
	var text *textindex.Doc
	if parts != nil {
		text = store.AnalyzeText(parts)
	}
	return t.IndexText(ctx, d, text)
}

// IndexText is IndexDoc with the text already analysed (AnalyzeText); text
// nil keeps the text already indexed.
func (t *Tx) IndexText(ctx context.Context, d store.SearchDoc, text *textindex.Doc) error {
	s, err := t.searchState(ctx)
	if err != nil {
		return err
	}
	var oldT, oldGen int64
	var oldLens, oldStarts []byte
	// Prepared once a transaction, as the insert below: an index batch runs
	// it for every item.
	sel, err := t.stmt(ctx, `SELECT tgen, gen, lens, starts FROM search_docs WHERE doc = ?`)
	if err != nil {
		return err
	}
	err = sel.QueryRowContext(ctx, d.Doc).Scan(&oldT, &oldGen, &oldLens, &oldStarts)
	exists := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return damaged(err)
	}
	var prev *store.IndexedDoc
	if exists {
		prev = &store.IndexedDoc{TGen: oldT, Gen: oldGen, Lens: oldLens}
	}
	tgen, gen, lens, err := s.AddDoc(d.Title, text, prev)
	if err != nil {
		return err
	}
	starts := oldStarts // the text kept, and where its parts start
	if text != nil {
		starts = store.EncodeStarts(d.Starts)
	}
	if starts == nil {
		starts = []byte{}
	}
	ins, err := t.stmt(ctx, `INSERT INTO search_docs (doc, kind, title, year_from, year_to, places, violations, tgen, gen, lens, starts)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (doc) DO UPDATE SET kind = excluded.kind, title = excluded.title, year_from = excluded.year_from,
			year_to = excluded.year_to, places = excluded.places, violations = excluded.violations,
			tgen = excluded.tgen, gen = excluded.gen, lens = excluded.lens, starts = excluded.starts`)
	if err != nil {
		return err
	}
	if _, err := ins.ExecContext(ctx, d.Doc, d.Kind, d.Title, d.YearFrom, d.YearTo, store.Spaced(d.Places), store.Spaced(d.Violations), tgen, gen, lens, starts); err != nil {
		return damaged(err)
	}
	s.modified = true
	// An annotated item keeps the filters it inherits (its annotations
	// may predate its first indexing).
	q, err := t.stmt(ctx, `SELECT count(*) FROM search_links WHERE item = ?`)
	if err != nil {
		return err
	}
	var linked int
	if err := q.QueryRowContext(ctx, d.Doc).Scan(&linked); err != nil {
		return damaged(err)
	}
	if linked > 0 {
		return t.refreshItem(ctx, d.Doc)
	}
	return nil
}

// ClearSearch empties the search index, to be rebuilt from the items and
// records (sori index --rebuild): every item becomes pending again.
func (t *Tx) ClearSearch(ctx context.Context) error {
	for _, q := range []string{
		`DELETE FROM search_terms`, `DELETE FROM search_segs`, `DELETE FROM search_dead`, `DELETE FROM search_links`,
		`DELETE FROM search_docs`, `DELETE FROM search_queue`, `INSERT INTO search_queue (item) SELECT id FROM items ORDER BY rowid`,
		`UPDATE search_state SET value = value + 1 WHERE key = 'version'`,
		`UPDATE search_state SET value = 0 WHERE key IN ('rows', 'lens')`,
	} {
		if _, err := t.tx.ExecContext(ctx, q); err != nil {
			return damaged(err)
		}
	}
	t.search = nil // generations and segments carry on from the counters
	return nil
}

// LinkAnnotation records (or moves) annotation's link from item to target,
// and refreshes the filters of the items concerned: an item annotated with
// an event, act or place is found by that record's violations, places and
// dates (sori search --violation … finds the transcript too).
func (t *Tx) LinkAnnotation(ctx context.Context, annotation, item, target string) error {
	var oldItem string
	err := t.tx.QueryRowContext(ctx, `SELECT item FROM search_links WHERE annotation = ?`, annotation).Scan(&oldItem)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return damaged(err)
	}
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO search_links (annotation, item, target) VALUES (?, ?, ?)
		ON CONFLICT (annotation) DO UPDATE SET item = excluded.item, target = excluded.target`, annotation, item, target); err != nil {
		return damaged(err)
	}
	if oldItem != "" && oldItem != item {
		if err := t.refreshItem(ctx, oldItem); err != nil {
			return err
		}
	}
	return t.refreshItem(ctx, item)
}

// RefreshLinked refreshes the filters of every item annotated with target,
// after target's own filters changed.
func (t *Tx) RefreshLinked(ctx context.Context, target string) error {
	rows, err := t.tx.QueryContext(ctx, `SELECT DISTINCT item FROM search_links WHERE target = ?`, target)
	if err != nil {
		return damaged(err)
	}
	var items []string
	for rows.Next() {
		var it string
		if err := rows.Scan(&it); err != nil {
			rows.Close()
			return damaged(err)
		}
		items = append(items, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return damaged(err)
	}
	for _, it := range items {
		if err := t.refreshItem(ctx, it); err != nil {
			return err
		}
	}
	return nil
}

// refreshItem sets an item's filters to the union of its annotation
// targets' (items have none of their own).
func (t *Tx) refreshItem(ctx context.Context, item string) error {
	rows, err := t.tx.QueryContext(ctx, `SELECT d.places, d.violations, d.year_from, d.year_to
		FROM search_links l JOIN search_docs d ON d.doc = l.target WHERE l.item = ?`, item)
	if err != nil {
		return damaged(err)
	}
	var places, violations []string
	from, to := 0, 0
	for rows.Next() {
		var p, v string
		var f, e int
		if err := rows.Scan(&p, &v, &f, &e); err != nil {
			rows.Close()
			return damaged(err)
		}
		places, violations = append(places, strings.Fields(p)...), append(violations, strings.Fields(v)...)
		if f != 0 && (from == 0 || f < from) {
			from = f
		}
		to = max(to, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return damaged(err)
	}
	slices.Sort(places)
	slices.Sort(violations)
	if _, err := t.tx.ExecContext(ctx, `UPDATE search_docs SET places = ?, violations = ?, year_from = ?, year_to = ? WHERE doc = ?`,
		store.Spaced(slices.Compact(places)), store.Spaced(slices.Compact(violations)), from, to, item); err != nil {
		return damaged(err)
	}
	s, err := t.searchState(ctx)
	if err != nil {
		return err
	}
	s.modified = true
	return nil
}

// flushSearch writes what the transaction indexed as a new segment and
// merges segments where a level is full. Commit calls it.
func (t *Tx) flushSearch(ctx context.Context) error {
	s := t.search
	if s == nil || !s.modified {
		return nil
	}
	if s.B.Len() > 0 {
		seg := s.nextSeg
		s.nextSeg++
		if _, err := t.tx.ExecContext(ctx, `INSERT INTO search_segs (seg, level, lo, hi) VALUES (?, 0, ?, ?)`, seg, s.lo, s.Next-1); err != nil {
			return damaged(err)
		}
		err := s.B.Each(func(term string, list []byte) error {
			return t.insertList(ctx, []byte(term), seg, list)
		})
		if err != nil {
			return err
		}
	}
	if len(s.Dead) > 0 {
		ins, err := t.stmt(ctx, `INSERT OR IGNORE INTO search_dead (gen) VALUES (?)`)
		if err != nil {
			return err
		}
		for _, g := range s.Dead {
			if _, err := ins.ExecContext(ctx, g); err != nil {
				return damaged(err)
			}
		}
	}
	if err := t.mergeSegments(ctx, s); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `UPDATE search_state SET value = CASE key WHEN 'next_gen' THEN ? WHEN 'next_seg' THEN ?
		WHEN 'rows' THEN value + ? WHEN 'lens' THEN value + ? ELSE value + 1 END
		WHERE key IN ('next_gen', 'next_seg', 'version', 'rows', 'lens')`, s.Next, s.nextSeg, s.Rows, s.Len)
	return damaged(err)
}

// listChunkFor is the most bytes of a posting list one row holds in a
// database of pages of pageSize bytes: 3800 of 4 KiB, 16088 of 16 KiB. A
// row that does not fit its page spills into overflow pages, which SQLite
// reads past its page cache (and so decrypts again) on every query; a row
// of a rowid table a little smaller than its page stays on it, with room
// for the term and the row's header.
func listChunkFor(pageSize int) int {
	return pageSize - 296
}

// insertList writes a term's list in segment seg as chunks.
func (t *Tx) insertList(ctx context.Context, term []byte, seg int64, list []byte) error {
	ins, err := t.stmt(ctx, `INSERT INTO search_terms (term, seg, chunk, list) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	for c := 0; len(list) > 0; c++ {
		n := min(len(list), t.chunk)
		if _, err := ins.ExecContext(ctx, term, seg, c, list[:n]); err != nil {
			return damaged(err)
		}
		list = list[n:]
	}
	return nil
}

// termList is one term's whole list in one segment.
type termList struct {
	term []byte
	seg  int64
	list []byte
}

// eachList reads rows of (term, seg, chunk, list) in index order, joins
// each list's chunks (checking that none is missing) and calls fn with
// each whole list.
func eachList(rows *sql.Rows, fn func(termList) error) error {
	defer rows.Close()
	var cur termList
	have := false
	for rows.Next() {
		// Raw bytes, valid until the next row: each chunk is copied once,
		// into the list it belongs to (a []byte scan copied it twice).
		var term, l sql.RawBytes
		var seg, chunk int64
		if err := rows.Scan(&term, &seg, &chunk, &l); err != nil {
			return damaged(err)
		}
		if have && cur.seg == seg && bytes.Equal(cur.term, term) && chunk > 0 {
			cur.list = append(cur.list, l...)
			continue
		}
		if chunk != 0 {
			return fmt.Errorf("%w: search index term %q segment %d: chunk %d without its predecessors", evidence.ErrDamaged, term, seg, chunk)
		}
		if have {
			if err := fn(cur); err != nil {
				return err
			}
		}
		cur, have = termList{bytes.Clone(term), seg, bytes.Clone(l)}, true
	}
	if err := rows.Err(); err != nil {
		return damaged(err)
	}
	if have {
		return fn(cur)
	}
	return nil
}

type segInfo struct{ seg, level, lo, hi int64 }

// mergeSegments merges the newest segments while mergeFanIn of them share
// a level. Levels never increase from older to newer segments, so the
// segments of the lowest level are always the newest, contiguous ones.
func (t *Tx) mergeSegments(ctx context.Context, s *searchBatch) error {
	for {
		rows, err := t.tx.QueryContext(ctx, `SELECT seg, level, lo, hi FROM search_segs ORDER BY seg DESC LIMIT ?`, mergeFanIn)
		if err != nil {
			return damaged(err)
		}
		var segs []segInfo
		for rows.Next() {
			var g segInfo
			if err := rows.Scan(&g.seg, &g.level, &g.lo, &g.hi); err != nil {
				rows.Close()
				return damaged(err)
			}
			segs = append(segs, g)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return damaged(err)
		}
		if len(segs) < mergeFanIn || segs[len(segs)-1].level != segs[0].level {
			return nil
		}
		slices.Reverse(segs) // oldest first
		if err := t.merge(ctx, s, segs); err != nil {
			return err
		}
	}
}

// mergeBatch is about the most bytes of posting lists a merge holds at
// once: it reads a run of terms, writes their merged lists, and goes on
// from the next term, so that its memory does not grow with the index.
const mergeBatch = 8 << 20

// merge replaces segs (consecutive, oldest first) by one segment one level
// up, without the dead generations. The new segment takes the next number:
// the segments merged are always the newest, so segment numbers still
// ascend with the generations they hold.
func (t *Tx) merge(ctx context.Context, s *searchBatch, segs []segInfo) error {
	first, last := segs[0], segs[len(segs)-1]
	dead := map[uint64]bool{}
	rows, err := t.tx.QueryContext(ctx, `SELECT gen FROM search_dead WHERE gen BETWEEN ? AND ?`, first.lo, last.hi)
	if err != nil {
		return damaged(err)
	}
	for rows.Next() {
		var g int64
		if err := rows.Scan(&g); err != nil {
			rows.Close()
			return damaged(err)
		}
		dead[uint64(g)] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return damaged(err)
	}
	seg := s.nextSeg
	s.nextSeg++
	live := func(row uint64) bool { return !dead[row>>16] }
	var after []byte // the last term merged; nil before the first
	for {
		next, err := t.mergeTerms(ctx, first.seg, last.seg, seg, after, live)
		if err != nil {
			return err
		}
		if next == nil {
			break
		}
		after = next
	}
	for _, q := range []string{
		`DELETE FROM search_terms WHERE seg BETWEEN ? AND ?`,
		`DELETE FROM search_segs WHERE seg BETWEEN ? AND ?`,
	} {
		if _, err := t.tx.ExecContext(ctx, q, first.seg, last.seg); err != nil {
			return damaged(err)
		}
	}
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM search_dead WHERE gen BETWEEN ? AND ?`, first.lo, last.hi); err != nil {
		return damaged(err)
	}
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO search_segs (seg, level, lo, hi) VALUES (?, ?, ?, ?)`, seg, first.level+1, first.lo, last.hi); err != nil {
		return damaged(err)
	}
	return nil
}

// mergeTerms merges the lists of segments lo…hi for the terms after
// after (all terms when nil), up to about mergeBatch bytes of them, into
// segment seg. It returns the last term it merged, or nil when none was
// left.
func (t *Tx) mergeTerms(ctx context.Context, lo, hi, seg int64, after []byte, live func(uint64) bool) ([]byte, error) {
	q := `SELECT term, seg, chunk, list FROM search_terms WHERE seg BETWEEN ? AND ? ORDER BY term, seg, chunk`
	args := []any{lo, hi}
	if after != nil {
		q = `SELECT term, seg, chunk, list FROM search_terms WHERE term > ? AND seg BETWEEN ? AND ? ORDER BY term, seg, chunk`
		args = []any{after, lo, hi}
	}
	rows, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, damaged(err)
	}
	type merged struct {
		term []byte
		list []byte
	}
	var out []merged
	var term []byte
	var lists [][]byte
	held := 0
	flush := func() error {
		if term == nil {
			return nil
		}
		l, err := textindex.Merge(lists, live)
		if err != nil {
			return fmt.Errorf("%w: search index term %q: %v", evidence.ErrDamaged, term, err)
		}
		if l != nil {
			out = append(out, merged{term, l})
		}
		return nil
	}
	errFull := errors.New("batch full")
	err = eachList(rows, func(tl termList) error {
		if !bytes.Equal(tl.term, term) {
			if held >= mergeBatch {
				return errFull // stop at a term's start: its lists are whole
			}
			if err := flush(); err != nil {
				return err
			}
			term, lists = tl.term, nil
		}
		lists = append(lists, tl.list)
		held += len(tl.list)
		return nil
	})
	if err == nil || errors.Is(err, errFull) {
		err = flush()
	}
	if err != nil {
		return nil, err
	}
	for _, m := range out {
		if err := t.insertList(ctx, m.term, seg, m.list); err != nil {
			return nil, err
		}
	}
	return term, nil
}

// searchCache returns the cache for the index's current version.
func (db *DB) searchCache(ctx context.Context) (*store.SearchCache, error) {
	vs, err := db.stmt(ctx, `SELECT key, value FROM search_state WHERE key IN ('version', 'rows', 'lens')`)
	if err != nil {
		return nil, err
	}
	rows, err := vs.QueryContext(ctx)
	if err != nil {
		return nil, damaged(err)
	}
	st := map[string]int64{}
	for rows.Next() {
		var k string
		var v int64
		if err := rows.Scan(&k, &v); err != nil {
			rows.Close()
			return nil, damaged(err)
		}
		st[k] = v
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, damaged(err)
	}
	if len(st) != 3 || st["rows"] < 0 || st["lens"] < 0 {
		return nil, fmt.Errorf("%w: search index state missing", evidence.ErrDamaged)
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.cache != nil && db.cache.Version() == st["version"] {
		return db.cache, nil
	}
	db.cache = store.NewSearchCache(st["version"], st["rows"], st["lens"], db.searchDocs)
	return db.cache, nil
}

// searchDocs reads the documents with a generation in [lo, hi)
// (store.DocLoader).
func (db *DB) searchDocs(ctx context.Context, lo, hi int64) ([]store.DocInfo, error) {
	// Two index ranges, the second without what the first has: no sort to
	// remove duplicates (UNION's cost a quarter of a block's read).
	st, err := db.stmt(ctx, `SELECT doc, kind, title, year_from, year_to, places, violations, tgen, gen, lens FROM search_docs
		WHERE tgen >= ?1 AND tgen < ?2 UNION ALL SELECT doc, kind, title, year_from, year_to, places, violations, tgen, gen, lens
		FROM search_docs WHERE gen >= ?1 AND gen < ?2 AND NOT (tgen >= ?1 AND tgen < ?2)`)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, lo, hi)
	if err != nil {
		return nil, damaged(err)
	}
	defer rows.Close()
	var docs []store.DocInfo
	for rows.Next() {
		var d store.DocInfo
		var lens sql.RawBytes
		if err := rows.Scan(&d.Doc, &d.Kind, &d.Title, &d.YearFrom, &d.YearTo, &d.Places, &d.Violations, &d.TGen, &d.Gen, &lens); err != nil {
			return nil, damaged(err)
		}
		if d.Lens, _, err = store.DecodeLens(d.Doc, lens); err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
	return docs, damaged(rows.Err())
}

// ensureSearchCounts adds the gen index and the live rows' count and total
// length (search_state rows and lens, which queries read instead of every
// document) to an index made before them.
func (db *DB) ensureSearchCounts(ctx context.Context) error {
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM search_state WHERE key = 'rows'`).Scan(&n); err != nil {
		return damaged(err)
	}
	if n > 0 {
		return nil
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return damaged(err)
	}
	defer tx.Rollback()
	// Another process may have added them since the check (the
	// transaction is immediate: it holds the write lock now).
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM search_state WHERE key = 'rows'`).Scan(&n); err != nil {
		return damaged(err)
	}
	if n > 0 {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT doc, lens FROM search_docs`)
	if err != nil {
		return damaged(err)
	}
	var count, total int64
	for rows.Next() {
		var doc string
		var lens sql.RawBytes
		if err := rows.Scan(&doc, &lens); err != nil {
			rows.Close()
			return damaged(err)
		}
		n, t, err := store.LensSum(lens)
		if err != nil {
			rows.Close()
			return err
		}
		count, total = count+n, total+t
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return damaged(err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE INDEX IF NOT EXISTS search_docs_gen ON search_docs (gen)`); err != nil {
		return damaged(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO search_state (key, value) VALUES ('rows', ?), ('lens', ?)`, count, total); err != nil {
		return damaged(err)
	}
	return damaged(tx.Commit())
}

// Search runs q and returns at most q.Limit documents, best first.
func (db *DB) Search(ctx context.Context, q store.SearchQuery) ([]store.Hit, error) {
	if strings.TrimSpace(q.Match) == "" {
		return nil, fmt.Errorf("%w: empty query", evidence.ErrInvalid)
	}
	cache, err := db.searchCache(ctx)
	if err != nil {
		return nil, err
	}
	return store.RunSearch(ctx, q, cache, func(ctx context.Context) (textindex.Source, error) { return db.searchSource(ctx) })
}

// SnippetItems reads the item rows, parts' starts and item keys of docs in
// one query.
func (db *DB) SnippetItems(ctx context.Context, docs []string) (map[string]store.SnippetItem, error) {
	out := make(map[string]store.SnippetItem, len(docs))
	for len(docs) > 0 {
		n, args := padded(docs, 64, func(d string) any { return d })
		size := len(args)
		st, err := db.stmt(ctx, `SELECT `+prefixed("i.", itemCols)+`, coalesce(d.starts, x''), k.handle, k.gen, k.wrapped
			FROM items i LEFT JOIN search_docs d ON d.doc = i.id LEFT JOIN item_keys k ON k.item_id = i.id
			WHERE i.id IN (?`+strings.Repeat(", ?", size-1)+`)`)
		if err != nil {
			return nil, err
		}
		rows, err := st.QueryContext(ctx, args...)
		if err != nil {
			return nil, damaged(err)
		}
		for rows.Next() {
			var s startsScanner
			s.rows = rows
			it, err := scanItem(&s)
			if err != nil {
				rows.Close()
				return nil, err
			}
			id := it.ID.String()
			starts, err := store.DecodeStarts(id, s.starts)
			if err != nil {
				rows.Close()
				return nil, err
			}
			si := store.SnippetItem{Item: it, Starts: starts}
			if s.handle.Valid {
				si.Key = &store.ItemKey{Item: it.ID, Handle: s.handle.String, Gen: int(s.gen.Int64), Wrapped: s.wrapped}
			}
			out[id] = si
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, damaged(err)
		}
		docs = docs[n:]
	}
	return out, nil
}

// padded takes the first n ≤ most of xs as query arguments, padded with
// repeats of the last to the next power of two: batches of 1, 2, 4, …
// most, so that a few prepared statements serve every query.
func padded(xs []string, most int, arg func(string) any) (n int, args []any) {
	n = min(len(xs), most)
	size := 1
	for size < n {
		size *= 2
	}
	args = make([]any, size)
	for i := range args {
		args[i] = arg(xs[min(i, n-1)])
	}
	return n, args
}

// startsScanner scans the trailing starts and item key columns after
// scanItem's.
type startsScanner struct {
	rows    *sql.Rows
	starts  []byte
	handle  sql.NullString
	gen     sql.NullInt64
	wrapped []byte
}

func (r *startsScanner) Scan(dest ...any) error {
	return r.rows.Scan(append(dest, &r.starts, &r.handle, &r.gen, &r.wrapped)...)
}

// prefixed qualifies each of a comma-separated list of columns.
func prefixed(p, cols string) string {
	fs := strings.Split(cols, ", ")
	for i := range fs {
		fs[i] = p + fs[i]
	}
	return strings.Join(fs, ", ")
}

// ensureSearchStarts adds the parts' starts to an index made before them
// (its documents have none: their snippets read the whole item).
func (db *DB) ensureSearchStarts(ctx context.Context) error {
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info('search_docs') WHERE name = 'starts'`).Scan(&n); err != nil {
		return damaged(err)
	}
	if n > 0 {
		return nil
	}
	_, err := db.sql.ExecContext(ctx, `ALTER TABLE search_docs ADD COLUMN starts BLOB NOT NULL DEFAULT x''`)
	return damaged(err)
}

// source reads posting lists for textindex.Eval.
type source struct {
	ctx           context.Context
	db            *DB
	exact, range_ *sql.Stmt
	// memo keeps what one query has read: a name's phrases (both orders,
	// and their variants) ask for the same terms again.
	memo map[textindex.Alt][][]byte
}

func (s source) Lists(a textindex.Alt) ([][]byte, error) {
	if ls, ok := s.memo[a]; ok {
		return ls, nil
	}
	ls, err := s.lists(a)
	if err == nil {
		s.memo[a] = ls
	}
	return ls, err
}

func (s source) lists(a textindex.Alt) ([][]byte, error) {
	var rows *sql.Rows
	var err error
	if a.Prefix {
		rows, err = s.range_.QueryContext(s.ctx, []byte(a.Term), prefixEnd(a.Term))
	} else {
		rows, err = s.exact.QueryContext(s.ctx, []byte(a.Term))
	}
	if err != nil {
		return nil, damaged(err)
	}
	var out [][]byte
	err = eachList(rows, func(tl termList) error {
		out = append(out, tl.list)
		return nil
	})
	return out, err
}

// ListsOf reads the lists of many exact terms in one query.
func (s source) ListsOf(terms []string) ([][]byte, error) {
	found, err := s.ListsByTerm(terms)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, t := range slices.Compact(slices.Sorted(slices.Values(terms))) {
		out = append(out, found[t]...)
	}
	return out, nil
}

// ListsByTerm reads the lists of many exact terms in a few queries, by
// term (store.TermLister); a term that occurs nowhere has none.
func (s source) ListsByTerm(terms []string) (map[string][][]byte, error) {
	out := make(map[string][][]byte, len(terms))
	var todo []string
	for _, t := range terms {
		if ls, ok := s.memo[textindex.Alt{Term: t}]; ok {
			out[t] = ls
		} else {
			todo = append(todo, t)
		}
	}
	terms = todo
	for len(terms) > 0 {
		n, args := padded(terms, 512, func(t string) any { return []byte(t) })
		size := len(args)
		st, err := s.db.stmt(s.ctx, `SELECT term, seg, chunk, list FROM search_terms WHERE term IN (?`+
			strings.Repeat(", ?", size-1)+`) ORDER BY term, seg, chunk`)
		if err != nil {
			return nil, err
		}
		rows, err := st.QueryContext(s.ctx, args...)
		if err != nil {
			return nil, damaged(err)
		}
		found := map[string][][]byte{}
		err = eachList(rows, func(tl termList) error {
			found[string(tl.term)] = append(found[string(tl.term)], tl.list)
			return nil
		})
		if err != nil {
			return nil, err
		}
		for _, t := range terms[:n] {
			s.memo[textindex.Alt{Term: t}] = found[t] // nil: the term occurs nowhere
			out[t] = found[t]
		}
		terms = terms[n:]
	}
	return out, nil
}

// prefixEnd is the least byte string greater than every string with prefix p.
func prefixEnd(p string) []byte {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return b[:i+1]
		}
	}
	return nil // every string: the caller's range is open (never for a non-empty term)
}

func (db *DB) searchSource(ctx context.Context) (source, error) {
	exact, err := db.stmt(ctx, `SELECT term, seg, chunk, list FROM search_terms WHERE term = ? ORDER BY term, seg, chunk`)
	if err != nil {
		return source{}, err
	}
	prefix, err := db.stmt(ctx, `SELECT term, seg, chunk, list FROM search_terms WHERE term >= ? AND term < ? ORDER BY term, seg, chunk`)
	if err != nil {
		return source{}, err
	}
	return source{ctx, db, exact, prefix, map[textindex.Alt][][]byte{}}, nil
}
