package postgres

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"sori/internal/evidence"
	"sori/internal/store"
	"sori/internal/textindex"
)

// The search index, as the SQLite driver keeps it (segments of posting
// lists merged eight at a time, generations per document, dead
// generations dropped on merge), with what the server could read sealed:
// a term is stored as its keyed hash, its posting lists and its name (for
// prefix queries) sealed, and a document's title, kind, filters and row
// lengths sealed. Ranking is store.RunSearch, shared with every driver.

const mergeFanIn = 8

// mergePage is how many posting lists a merge reads at a time.
var mergePage = 4096 // a variable so that a test can make pages small

// docBody is a search document's sealed part.
type docBody struct {
	Kind       string `json:"kind"`
	Title      string `json:"title"`
	YearFrom   int    `json:"from"`
	YearTo     int    `json:"to"`
	Places     string `json:"places"`
	Violations string `json:"violations"`
	Lens       []byte `json:"lens"` // uvarints: title row, then text rows
	// Starts is where an item's text parts start in its plaintext
	// (store.EncodeStarts); absent in documents indexed before it.
	Starts []byte `json:"starts,omitempty"`
}

type searchBatch struct {
	store.IndexBatch
	lo       int64 // first generation taken
	nextSeg  int64
	modified bool
}

// searchState loads the index's counters, under the writer lock: one
// transaction at a time adds to the index, as in every process.
func (t *Tx) searchState(ctx context.Context) (*searchBatch, error) {
	if t.search != nil {
		return t.search, nil
	}
	if err := t.lockWriter(ctx); err != nil {
		return nil, err
	}
	s := &searchBatch{IndexBatch: store.IndexBatch{B: textindex.NewBuilder()}}
	err := t.db.each(ctx, t.tx, `SELECT key, value FROM search_state`, nil, func(r pgx.Rows) error {
		var k string
		var v int64
		if err := r.Scan(&k, &v); err != nil {
			return dberr(err)
		}
		switch k {
		case "next_gen":
			s.Next = v
		case "next_seg":
			s.nextSeg = v
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if s.Next < 1 || s.nextSeg < 1 {
		return nil, fmt.Errorf("%w: search index state missing", evidence.ErrDamaged)
	}
	s.lo = s.Next
	t.search = s
	return s, nil
}

func (db *DB) readDoc(ctx context.Context, q querier, doc string) (tgen, gen int64, b docBody, ok bool, err error) {
	var body []byte
	err = q.QueryRow(ctx, `SELECT tgen, gen, body FROM search_docs WHERE doc = $1`, doc).Scan(&tgen, &gen, &body)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, 0, b, false, nil
	}
	if err != nil {
		return 0, 0, b, false, dberr(err)
	}
	err = openJSON(db.c, ad("search_docs.body", doc), body, &b)
	return tgen, gen, b, err == nil, err
}

// IndexDoc (re)indexes a document; parts nil keeps the text indexed.
func (t *Tx) IndexDoc(ctx context.Context, d store.SearchDoc, parts []string) error {
	var text *textindex.Doc
	if parts != nil {
		text = store.AnalyzeText(parts)
	}
	return t.IndexText(ctx, d, text)
}

// IndexText is IndexDoc with the text analysed already; nil keeps it.
func (t *Tx) IndexText(ctx context.Context, d store.SearchDoc, text *textindex.Doc) error {
	s, err := t.searchState(ctx)
	if err != nil {
		return err
	}
	oldT, oldGen, old, exists, err := t.db.readDoc(ctx, t.tx, d.Doc)
	if err != nil {
		return err
	}
	var prev *store.IndexedDoc
	if exists {
		prev = &store.IndexedDoc{TGen: oldT, Gen: oldGen, Lens: old.Lens}
	}
	tgen, gen, lens, err := s.AddDoc(d.Title, text, prev)
	if err != nil {
		return err
	}
	starts := old.Starts // the text kept, and where its parts start
	if text != nil {
		starts = store.EncodeStarts(d.Starts)
	}
	body, err := sealJSON(t.db.c, ad("search_docs.body", d.Doc), docBody{d.Kind, d.Title, d.YearFrom, d.YearTo,
		store.Spaced(d.Places), store.Spaced(d.Violations), lens, starts})
	if err != nil {
		return err
	}
	if _, err := t.tx.Exec(ctx, `INSERT INTO search_docs (doc, tgen, gen, body) VALUES ($1, $2, $3, $4)
		ON CONFLICT (doc) DO UPDATE SET tgen = excluded.tgen, gen = excluded.gen, body = excluded.body`, d.Doc, tgen, gen, body); err != nil {
		return dberr(err)
	}
	s.modified = true
	var linked bool
	if err := t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM search_links WHERE item = $1)`, d.Doc).Scan(&linked); err != nil {
		return dberr(err)
	}
	if linked {
		return t.refreshItem(ctx, d.Doc)
	}
	return nil
}

// ClearSearch empties the index; every item becomes pending again.
func (t *Tx) ClearSearch(ctx context.Context) error {
	if err := t.lockWriter(ctx); err != nil {
		return err
	}
	for _, q := range []string{
		`DELETE FROM search_terms`, `DELETE FROM search_dict`, `DELETE FROM search_segs`, `DELETE FROM search_dead`,
		`DELETE FROM search_links`, `DELETE FROM search_docs`, `DELETE FROM search_queue`,
		`INSERT INTO search_queue (item) SELECT id FROM items ORDER BY n`,
		`UPDATE search_state SET value = value + 1 WHERE key = 'version'`,
		`UPDATE search_state SET value = 0 WHERE key IN ('rows', 'lens')`,
	} {
		if _, err := t.tx.Exec(ctx, q); err != nil {
			return dberr(err)
		}
	}
	t.search = nil
	return nil
}

// LinkAnnotation records (or moves) an annotation's link from item to
// target and refreshes the filters of the items concerned.
func (t *Tx) LinkAnnotation(ctx context.Context, annotation, item, target string) error {
	if _, err := t.searchState(ctx); err != nil {
		return err
	}
	var oldItem string
	err := t.tx.QueryRow(ctx, `SELECT item FROM search_links WHERE annotation = $1`, annotation).Scan(&oldItem)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return dberr(err)
	}
	if _, err := t.tx.Exec(ctx, `INSERT INTO search_links (annotation, item, target) VALUES ($1, $2, $3)
		ON CONFLICT (annotation) DO UPDATE SET item = excluded.item, target = excluded.target`, annotation, item, target); err != nil {
		return dberr(err)
	}
	if oldItem != "" && oldItem != item {
		if err := t.refreshItem(ctx, oldItem); err != nil {
			return err
		}
	}
	return t.refreshItem(ctx, item)
}

// RefreshLinked refreshes the filters of every item annotated with target.
func (t *Tx) RefreshLinked(ctx context.Context, target string) error {
	items, err := collectIDs(ctx, t.tx, `SELECT DISTINCT item FROM search_links WHERE target = $1`, target)
	if err != nil {
		return err
	}
	for _, it := range items {
		if err := t.refreshItem(ctx, it); err != nil {
			return err
		}
	}
	return nil
}

// refreshItem sets an item's filters to the union of its targets'.
func (t *Tx) refreshItem(ctx context.Context, item string) error {
	s, err := t.searchState(ctx)
	if err != nil {
		return err
	}
	var places, violations []string
	from, to := 0, 0
	err = t.db.each(ctx, t.tx, `SELECT d.doc, d.body FROM search_links l JOIN search_docs d ON d.doc = l.target WHERE l.item = $1`, []any{item},
		func(r pgx.Rows) error {
			var doc string
			var body []byte
			if err := r.Scan(&doc, &body); err != nil {
				return dberr(err)
			}
			var b docBody
			if err := openJSON(t.db.c, ad("search_docs.body", doc), body, &b); err != nil {
				return err
			}
			places, violations = append(places, strings.Fields(b.Places)...), append(violations, strings.Fields(b.Violations)...)
			if b.YearFrom != 0 && (from == 0 || b.YearFrom < from) {
				from = b.YearFrom
			}
			to = max(to, b.YearTo)
			return nil
		})
	if err != nil {
		return err
	}
	_, _, b, ok, err := t.db.readDoc(ctx, t.tx, item)
	if err != nil || !ok {
		return err // not indexed yet: IndexText refreshes it then
	}
	slices.Sort(places)
	slices.Sort(violations)
	b.Places, b.Violations, b.YearFrom, b.YearTo = store.Spaced(slices.Compact(places)), store.Spaced(slices.Compact(violations)), from, to
	body, err := sealJSON(t.db.c, ad("search_docs.body", item), b)
	if err != nil {
		return err
	}
	if _, err := t.tx.Exec(ctx, `UPDATE search_docs SET body = $1 WHERE doc = $2`, body, item); err != nil {
		return dberr(err)
	}
	s.modified = true
	return nil
}

func (c *sealer) termMAC(term []byte) []byte { return c.lookup("search.term", term) }

func listAD(mac []byte, seg int64) string {
	return ad("search_terms.list", hex.EncodeToString(mac), seg)
}

// flushSearch writes what the transaction indexed as a segment and merges
// full levels. Commit calls it.
func (t *Tx) flushSearch(ctx context.Context) error {
	s := t.search
	if s == nil || !s.modified {
		return nil
	}
	c := t.db.c
	if s.B.Len() > 0 {
		seg := s.nextSeg
		s.nextSeg++
		if _, err := t.tx.Exec(ctx, `INSERT INTO search_segs (seg, level, lo, hi) VALUES ($1, 0, $2, $3)`, seg, s.lo, s.Next-1); err != nil {
			return dberr(err)
		}
		var macs, lists, names [][]byte
		err := s.B.Each(func(term string, list []byte) error {
			mac := c.termMAC([]byte(term))
			macs = append(macs, mac)
			lists = append(lists, c.seal(listAD(mac, seg), list))
			names = append(names, c.seal(ad("search_dict.name", hex.EncodeToString(mac)), []byte(term)))
			return nil
		})
		if err != nil {
			return err
		}
		if err := t.insertLists(ctx, seg, macs, lists); err != nil {
			return err
		}
		if _, err := t.tx.Exec(ctx, `INSERT INTO search_dict (mac, name) SELECT * FROM unnest($1::bytea[], $2::bytea[]) ON CONFLICT DO NOTHING`,
			macs, names); err != nil {
			return dberr(err)
		}
	}
	if len(s.Dead) > 0 {
		if _, err := t.tx.Exec(ctx, `INSERT INTO search_dead (gen) SELECT DISTINCT unnest($1::bigint[]) ON CONFLICT DO NOTHING`, s.Dead); err != nil {
			return dberr(err)
		}
	}
	if err := t.mergeSegments(ctx); err != nil {
		return err
	}
	_, err := t.tx.Exec(ctx, `UPDATE search_state SET value = CASE key WHEN 'next_gen' THEN $1 WHEN 'next_seg' THEN $2
		WHEN 'rows' THEN value + $3 WHEN 'lens' THEN value + $4 ELSE value + 1 END
		WHERE key IN ('next_gen', 'next_seg', 'version', 'rows', 'lens')`, s.Next, s.nextSeg, s.Rows, s.Len)
	return dberr(err)
}

func (t *Tx) insertLists(ctx context.Context, seg int64, macs, sealed [][]byte) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO search_terms (mac, seg, list) SELECT m, $1, l FROM unnest($2::bytea[], $3::bytea[]) AS u(m, l)`,
		seg, macs, sealed)
	return dberr(err)
}

type segInfo struct{ seg, level, lo, hi int64 }

// mergeSegments merges the newest segments while mergeFanIn of them share
// a level.
func (t *Tx) mergeSegments(ctx context.Context) error {
	for {
		var segs []segInfo
		err := t.db.each(ctx, t.tx, `SELECT seg, level, lo, hi FROM search_segs ORDER BY seg DESC LIMIT $1`, []any{mergeFanIn},
			func(r pgx.Rows) error {
				var g segInfo
				if err := r.Scan(&g.seg, &g.level, &g.lo, &g.hi); err != nil {
					return dberr(err)
				}
				segs = append(segs, g)
				return nil
			})
		if err != nil {
			return err
		}
		if len(segs) < mergeFanIn || segs[len(segs)-1].level != segs[0].level {
			return nil
		}
		slices.Reverse(segs)
		if err := t.merge(ctx, segs); err != nil {
			return err
		}
	}
}

// merge replaces segs by one segment a level up, numbered as the newest,
// without the dead generations.
func (t *Tx) merge(ctx context.Context, segs []segInfo) error {
	first, last := segs[0], segs[len(segs)-1]
	dead := map[uint64]bool{}
	err := t.db.each(ctx, t.tx, `SELECT gen FROM search_dead WHERE gen BETWEEN $1 AND $2`, []any{first.lo, last.hi}, func(r pgx.Rows) error {
		var g int64
		if err := r.Scan(&g); err != nil {
			return dberr(err)
		}
		dead[uint64(g)] = true
		return nil
	})
	if err != nil {
		return err
	}
	live := func(row uint64) bool { return !dead[row>>16] }
	c := t.db.c
	// The merged lists are written as they are made, a page of terms at a
	// time, under a temporary segment number (-last.seg: no segment has
	// it), and renumbered once the merged segments' rows are gone: what a
	// merge holds in memory is one page, not the whole new segment (at a
	// million items that was most of sori index's peak RSS). Each list is
	// sealed for its final number.
	tmp := -last.seg
	var after []byte // the last term merged and written
	for {
		var macs, merged, lists [][]byte
		var cur []byte
		var pageMacs [][]byte
		var pageLists [][]byte
		n := 0
		q := `SELECT mac, seg, list FROM search_terms WHERE seg BETWEEN $1 AND $2 ORDER BY mac, seg LIMIT $3`
		args := []any{first.seg, last.seg, mergePage}
		if after != nil {
			q = `SELECT mac, seg, list FROM search_terms WHERE seg BETWEEN $1 AND $2 AND mac > $4 ORDER BY mac, seg LIMIT $3`
			args = append(args, after)
		}
		err = t.db.each(ctx, t.tx, q, args, func(r pgx.Rows) error {
			var mac, sealed []byte
			var seg int64
			if err := r.Scan(&mac, &seg, &sealed); err != nil {
				return dberr(err)
			}
			list, err := c.open(listAD(mac, seg), sealed)
			if err != nil {
				return err
			}
			pageMacs, pageLists = append(pageMacs, mac), append(pageLists, list)
			n++
			return nil
		})
		if err != nil {
			return err
		}
		full := n == mergePage
		// A term's lists (one per merged segment, mergeFanIn at most) may
		// run past a full page: its rows are read again with the next.
		upto := len(pageMacs)
		if full {
			lastMac := pageMacs[upto-1]
			for upto > 0 && string(pageMacs[upto-1]) == string(lastMac) {
				upto--
			}
			if upto == 0 {
				return fmt.Errorf("%w: search index: a term has more lists than a merge page", evidence.ErrDamaged)
			}
		}
		flush := func() error {
			if cur == nil {
				return nil
			}
			l, err := textindex.Merge(lists, live)
			if err != nil {
				return fmt.Errorf("%w: search index term: %v", evidence.ErrDamaged, err)
			}
			if l != nil {
				macs, merged = append(macs, cur), append(merged, c.seal(listAD(cur, last.seg), l))
			}
			return nil
		}
		for i := range upto {
			if string(pageMacs[i]) != string(cur) {
				if err := flush(); err != nil {
					return err
				}
				cur, lists = pageMacs[i], nil
			}
			lists = append(lists, pageLists[i])
		}
		if err := flush(); err != nil {
			return err
		}
		if len(macs) > 0 {
			if err := t.insertLists(ctx, tmp, macs, merged); err != nil {
				return err
			}
		}
		if !full {
			break
		}
		after = pageMacs[upto-1]
	}
	for _, q := range []string{`DELETE FROM search_terms WHERE seg BETWEEN $1 AND $2`, `DELETE FROM search_segs WHERE seg BETWEEN $1 AND $2`} {
		if _, err := t.tx.Exec(ctx, q, first.seg, last.seg); err != nil {
			return dberr(err)
		}
	}
	if _, err := t.tx.Exec(ctx, `DELETE FROM search_dead WHERE gen BETWEEN $1 AND $2`, first.lo, last.hi); err != nil {
		return dberr(err)
	}
	if _, err := t.tx.Exec(ctx, `INSERT INTO search_segs (seg, level, lo, hi) VALUES ($1, $2, $3, $4)`, last.seg, first.level+1, first.lo, last.hi); err != nil {
		return dberr(err)
	}
	_, err = t.tx.Exec(ctx, `UPDATE search_terms SET seg = $1 WHERE seg = $2`, last.seg, tmp)
	return dberr(err)
}

// SnippetItems reads the item rows and parts' starts of docs in one query.
func (db *DB) SnippetItems(ctx context.Context, docs []string) (map[string]store.SnippetItem, error) {
	out := make(map[string]store.SnippetItem, len(docs))
	cols := strings.Split(itemCols, ", ")
	for i := range cols {
		cols[i] = "i." + cols[i]
	}
	err := db.each(ctx, db.pool, `SELECT `+strings.Join(cols, ", ")+`, d.body, k.gen, k.body
		FROM items i LEFT JOIN search_docs d ON d.doc = i.id LEFT JOIN item_keys k ON k.item_id = i.id
		WHERE i.id = ANY($1)`, []any{docs}, func(r pgx.Rows) error {
		var body, sealedKey []byte
		var keyGen *int64
		it, _, err := db.scanItem(bodyScanner{r, []any{&body, &keyGen, &sealedKey}})
		if err != nil {
			return err
		}
		id := it.ID.String()
		var b docBody
		if body != nil {
			if err := openJSON(db.c, ad("search_docs.body", id), body, &b); err != nil {
				return err
			}
		}
		starts, err := store.DecodeStarts(id, b.Starts)
		if err != nil {
			return err
		}
		si := store.SnippetItem{Item: it, Starts: starts}
		if keyGen != nil {
			var kb keyBody
			if err := openJSON(db.c, ad("item_keys.body", id, int(*keyGen)), sealedKey, &kb); err != nil {
				return err
			}
			si.Key = &store.ItemKey{Item: it.ID, Handle: kb.Handle, Gen: int(*keyGen), Wrapped: kb.Wrapped}
		}
		out[id] = si
		return nil
	})
	return out, err
}

// bodyScanner scans trailing columns (the index body, the item key) after
// scanItem's.
type bodyScanner struct {
	r    pgx.Rows
	more []any
}

func (s bodyScanner) Scan(dest ...any) error { return s.r.Scan(append(dest, s.more...)...) }

// searchCache returns the cache for the index's current version.
func (db *DB) searchCache(ctx context.Context) (*store.SearchCache, int64, error) {
	st, err := db.searchCounts(ctx, db.pool)
	if err != nil {
		return nil, 0, err
	}
	if _, ok := st["rows"]; !ok {
		if st, err = db.addSearchCounts(ctx); err != nil {
			return nil, 0, err
		}
	}
	version := st["version"]
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.cache != nil && db.cache.Version() == version {
		return db.cache, version, nil
	}
	db.cache = store.NewSearchCache(version, st["rows"], st["lens"], db.searchDocs)
	return db.cache, version, nil
}

// searchCounts reads the index's version and its live rows' count and
// total length ("rows" and "lens", absent in an index made before them).
func (db *DB) searchCounts(ctx context.Context, q querier) (map[string]int64, error) {
	st := map[string]int64{}
	err := db.each(ctx, q, `SELECT key, value FROM search_state WHERE key IN ('version', 'rows', 'lens')`, nil, func(r pgx.Rows) error {
		var k string
		var v int64
		if err := r.Scan(&k, &v); err != nil {
			return dberr(err)
		}
		st[k] = v
		return nil
	})
	if err != nil {
		return nil, err
	}
	if _, ok := st["version"]; !ok || st["rows"] < 0 || st["lens"] < 0 {
		return nil, fmt.Errorf("%w: search index state missing", evidence.ErrDamaged)
	}
	return st, nil
}

// addSearchCounts counts the live rows of an index made before the counts
// were kept, under the writer lock (no commit can change them meanwhile),
// and stores them.
func (db *DB) addSearchCounts(ctx context.Context) (map[string]int64, error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	t := tx.(*Tx)
	if err := t.lockWriter(ctx); err != nil {
		return nil, err
	}
	st, err := db.searchCounts(ctx, t.tx)
	if err != nil {
		return nil, err
	}
	if _, ok := st["rows"]; ok {
		return st, nil // counted meanwhile
	}
	var rows, total int64
	err = db.each(ctx, t.tx, `SELECT doc, body FROM search_docs`, nil, func(r pgx.Rows) error {
		var doc string
		var body []byte
		if err := r.Scan(&doc, &body); err != nil {
			return dberr(err)
		}
		var b docBody
		if err := openJSON(db.c, ad("search_docs.body", doc), body, &b); err != nil {
			return err
		}
		n, l, err := store.LensSum(b.Lens)
		rows, total = rows+n, total+l
		return err
	})
	if err != nil {
		return nil, err
	}
	if _, err := t.tx.Exec(ctx, `INSERT INTO search_state (key, value) VALUES ('rows', $1), ('lens', $2)`, rows, total); err != nil {
		return nil, dberr(err)
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	st["rows"], st["lens"] = rows, total
	return st, nil
}

// searchDocs reads the documents with a generation in [lo, hi)
// (store.DocLoader), opening each one's sealed body.
func (db *DB) searchDocs(ctx context.Context, lo, hi int64) ([]store.DocInfo, error) {
	var docs []store.DocInfo
	err := db.each(ctx, db.pool, `SELECT doc, tgen, gen, body FROM search_docs WHERE tgen >= $1 AND tgen < $2
		UNION ALL SELECT doc, tgen, gen, body FROM search_docs WHERE gen >= $1 AND gen < $2 AND NOT (tgen >= $1 AND tgen < $2)`,
		[]any{lo, hi}, func(r pgx.Rows) error {
			var d store.DocInfo
			var body []byte
			if err := r.Scan(&d.Doc, &d.TGen, &d.Gen, &body); err != nil {
				return dberr(err)
			}
			var b docBody
			if err := openJSON(db.c, ad("search_docs.body", d.Doc), body, &b); err != nil {
				return err
			}
			d.Kind, d.Title, d.YearFrom, d.YearTo, d.Places, d.Violations = b.Kind, b.Title, b.YearFrom, b.YearTo, b.Places, b.Violations
			lens, _, err := store.DecodeLens(d.Doc, b.Lens)
			if err != nil {
				return err
			}
			d.Lens = lens
			docs = append(docs, d)
			return nil
		})
	return docs, err
}

// termDict is every term's name, sorted, for prefix queries (the server
// holds only keyed hashes and sealed names).
type termDict struct {
	version int64
	terms   []string
}

func (db *DB) termDict(ctx context.Context, version int64) (*termDict, error) {
	db.mu.Lock()
	d := db.dict
	db.mu.Unlock()
	if d != nil && d.version == version {
		return d, nil
	}
	d = &termDict{version: version}
	err := db.each(ctx, db.pool, `SELECT mac, name FROM search_dict`, nil, func(r pgx.Rows) error {
		var mac, name []byte
		if err := r.Scan(&mac, &name); err != nil {
			return dberr(err)
		}
		term, err := db.c.open(ad("search_dict.name", hex.EncodeToString(mac)), name)
		if err != nil {
			return err
		}
		d.terms = append(d.terms, string(term))
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(d.terms)
	db.mu.Lock()
	db.dict = d
	db.mu.Unlock()
	return d, nil
}

// source reads posting lists for textindex.Eval.
type source struct {
	ctx     context.Context
	db      *DB
	version int64
	memo    map[textindex.Alt][][]byte
}

func (s source) Lists(a textindex.Alt) ([][]byte, error) {
	if ls, ok := s.memo[a]; ok {
		return ls, nil
	}
	terms := []string{a.Term}
	if a.Prefix {
		d, err := s.db.termDict(s.ctx, s.version)
		if err != nil {
			return nil, err
		}
		i := sort.SearchStrings(d.terms, a.Term)
		terms = nil
		for ; i < len(d.terms) && strings.HasPrefix(d.terms[i], a.Term); i++ {
			terms = append(terms, d.terms[i])
		}
	}
	found, err := s.listsOf(terms)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, t := range terms {
		out = append(out, found[t]...)
	}
	s.memo[a] = out
	return out, nil
}

// ListsOf reads the lists of many exact terms in one query.
func (s source) ListsOf(terms []string) ([][]byte, error) {
	var out [][]byte
	var todo []string
	for _, t := range terms {
		if ls, ok := s.memo[textindex.Alt{Term: t}]; ok {
			out = append(out, ls...)
		} else {
			todo = append(todo, t)
		}
	}
	found, err := s.listsOf(todo)
	if err != nil {
		return nil, err
	}
	slices.Sort(todo) // term order, as the SQLite driver reads them
	for _, t := range slices.Compact(todo) {
		out = append(out, found[t]...)
		s.memo[textindex.Alt{Term: t}] = found[t]
	}
	return out, nil
}

// ListsByTerm reads terms' lists by term (store.TermLister).
func (s source) ListsByTerm(terms []string) (map[string][][]byte, error) {
	return s.listsOf(terms)
}

// listsOf reads terms' lists, each term's in segment order.
func (s source) listsOf(terms []string) (map[string][][]byte, error) {
	found := map[string][][]byte{}
	if len(terms) == 0 {
		return found, nil
	}
	c := s.db.c
	byMAC := make(map[string]string, len(terms))
	macs := make([][]byte, 0, len(terms))
	for _, t := range terms {
		m := c.termMAC([]byte(t))
		byMAC[string(m)] = t
		macs = append(macs, m)
	}
	err := s.db.each(s.ctx, s.db.pool, `SELECT mac, seg, list FROM search_terms WHERE mac = ANY($1) ORDER BY mac, seg`, []any{macs},
		func(r pgx.Rows) error {
			var mac, sealed []byte
			var seg int64
			if err := r.Scan(&mac, &seg, &sealed); err != nil {
				return dberr(err)
			}
			list, err := c.open(listAD(mac, seg), sealed)
			if err != nil {
				return err
			}
			t := byMAC[string(mac)]
			found[t] = append(found[t], list)
			return nil
		})
	return found, err
}

// Search runs q and returns at most q.Limit documents, best first.
func (db *DB) Search(ctx context.Context, q store.SearchQuery) ([]store.Hit, error) {
	if strings.TrimSpace(q.Match) == "" {
		return nil, fmt.Errorf("%w: empty query", evidence.ErrInvalid)
	}
	cache, version, err := db.searchCache(ctx)
	if err != nil {
		return nil, err
	}
	return store.RunSearch(ctx, q, cache, func(ctx context.Context) (textindex.Source, error) {
		return source{ctx, db, version, map[textindex.Alt][][]byte{}}, nil
	})
}
