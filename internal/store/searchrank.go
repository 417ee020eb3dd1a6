package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"sori/internal/evidence"
	"sori/internal/textindex"
)

// DocInfo is a document as the query cache holds it.
type DocInfo struct {
	Doc, Kind, Title   string
	YearFrom, YearTo   int
	Places, Violations string   // Spaced codes
	TGen, Gen          int64    // generations of the title row and the text rows (0: none)
	Lens               []uint32 // title row, then text rows
}

// Spaced joins codes as DocInfo keeps them: " a b " (filters look for " a ").
func Spaced(codes []string) string {
	if len(codes) == 0 {
		return ""
	}
	return " " + strings.Join(codes, " ") + " "
}

// DecodeLens reads a document's row lengths (uvarints: title row, then
// each text row) and returns them with their sum.
func DecodeLens(doc string, lens []byte) ([]uint32, int, error) {
	var out []uint32
	total := 0
	for len(lens) > 0 {
		n, k := binary.Uvarint(lens)
		if k <= 0 || n > textindex.MaxPos+1 {
			return nil, 0, fmt.Errorf("%w: search index: lengths of %s", evidence.ErrDamaged, doc)
		}
		out = append(out, uint32(n))
		total += int(n)
		lens = lens[k:]
	}
	if len(out) == 0 {
		return nil, 0, fmt.Errorf("%w: search index: lengths of %s", evidence.ErrDamaged, doc)
	}
	return out, total, nil
}

// DocLoader reads the documents of which one generation (the title's or
// the text's) lies in [lo, hi): a driver's half of a SearchCache.
type DocLoader func(ctx context.Context, lo, hi int64) ([]DocInfo, error)

// A SearchCache holds documents in blocks of docBlockGens generations,
// read from the driver when a query first needs one, and at most
// maxCachedDocs documents of them (least recently used blocks go first):
// query memory does not grow with the index. A document's title and text
// generations are taken together, so its rows are in one block or two
// neighbours. What BM25 needs of every row (how many, their mean length)
// is kept by the drivers with the index (search_state), not summed here.
const (
	docBlockBits  = 12
	docBlockGens  = 1 << docBlockBits
	maxCachedDocs = 1 << 17
	maxBlocks     = 256 // blocks of few live documents (generations replaced) count too
	// maxPinnedDocs is how many documents one query keeps of the blocks
	// it has read (beyond the cache's), so that its phrases, each a pass
	// over its rows in generation order, read a block once, not once a
	// pass: a query's memory, given back when it ends.
	maxPinnedDocs = 1 << 16
)

// NewSearchCache is an empty cache for queries at index version, whose
// live rows number rows with lengths summing to total; load reads its
// documents.
func NewSearchCache(version int64, rows, total int64, load DocLoader) *SearchCache {
	c := &SearchCache{version: version, rows: int(rows), load: load, blocks: map[int64]*docBlock{}}
	if rows > 0 {
		c.avgLen = float64(total) / float64(rows)
	}
	return c
}

// Version is the index version the cache holds.
func (c *SearchCache) Version() int64 { return c.version }

// SearchCache holds documents for queries (see docBlockGens), reloaded when
// the index's version changes (any process's commit that indexed
// something). It is safe for concurrent queries.
type SearchCache struct {
	version int64
	rows    int
	avgLen  float64
	load    DocLoader

	mu     sync.Mutex
	blocks map[int64]*docBlock // by generation >> docBlockBits
	held   int                 // documents in blocks
	tick   uint64
}

// docBlock is the documents of one block of generations; immutable once
// made (a query may go on using one the cache has dropped).
type docBlock struct {
	docs []DocInfo
	at   [docBlockGens]int32 // document+1 by generation within the block; 0: none
	used uint64
}

func newDocBlock(b int64, docs []DocInfo) *docBlock {
	blk := &docBlock{docs: docs}
	lo := b << docBlockBits
	for i, d := range docs {
		for _, g := range []int64{d.TGen, d.Gen} {
			if g != 0 && g >= lo && g < lo+docBlockGens {
				blk.at[g-lo] = int32(i) + 1
			}
		}
	}
	return blk
}

// block returns block b, reading it if the cache does not hold it.
func (c *SearchCache) block(ctx context.Context, b int64) (*docBlock, error) {
	c.mu.Lock()
	c.tick++
	if blk, ok := c.blocks[b]; ok {
		blk.used = c.tick
		c.mu.Unlock()
		return blk, nil
	}
	c.mu.Unlock()
	docs, err := c.load(ctx, b<<docBlockBits, (b+1)<<docBlockBits)
	if err != nil {
		return nil, err
	}
	blk := newDocBlock(b, docs)
	c.mu.Lock()
	defer c.mu.Unlock()
	if had, ok := c.blocks[b]; ok { // read meanwhile by another query
		return had, nil
	}
	c.tick++
	blk.used = c.tick
	c.blocks[b] = blk
	c.held += len(blk.docs)
	for (c.held > maxCachedDocs || len(c.blocks) > maxBlocks) && len(c.blocks) > 1 {
		var old int64
		oldest := uint64(1<<64 - 1)
		for k, v := range c.blocks {
			if v.used < oldest && k != b {
				old, oldest = k, v.used
			}
		}
		c.held -= len(c.blocks[old].docs)
		delete(c.blocks, old)
	}
	return blk, nil
}

// docView is one query's access to a cache: textindex.Stats, and the
// documents by generation. Rows come in generation order, so the last
// block used answers most lookups without the cache's lock. The first
// error reading a block is kept in err (Stats.Len cannot return one).
type docView struct {
	c      *SearchCache
	ctx    context.Context
	b      int64
	last   *docBlock
	pinned map[int64]*docBlock // blocks this query has read (maxPinnedDocs)
	held   int                 // documents in pinned
	err    error
}

func (c *SearchCache) view(ctx context.Context) *docView {
	return &docView{c: c, ctx: ctx, b: -1, pinned: map[int64]*docBlock{}}
}

// doc returns the document with generation g (its title's or its text's).
func (v *docView) doc(g int64) (*DocInfo, bool) {
	if g < 0 || v.err != nil {
		return nil, false
	}
	if b := g >> docBlockBits; b != v.b {
		blk, ok := v.pinned[b]
		if !ok {
			var err error
			if blk, err = v.c.block(v.ctx, b); err != nil {
				v.err = err
				return nil, false
			}
			if v.held+len(blk.docs) <= maxPinnedDocs {
				v.pinned[b] = blk
				v.held += len(blk.docs)
			}
		}
		v.b, v.last = b, blk
	}
	i := v.last.at[g&(docBlockGens-1)]
	if i == 0 {
		return nil, false
	}
	return &v.last.docs[i-1], true
}

// one is doc for a lookup on its own (a hit's, in score order): from the
// cache if it holds g's block, else the document alone, read without
// reading (or keeping) the block.
func (v *docView) one(g int64) (*DocInfo, bool) {
	if g < 0 || v.err != nil {
		return nil, false
	}
	blk, ok := v.pinned[g>>docBlockBits]
	if !ok {
		v.c.mu.Lock()
		blk, ok = v.c.blocks[g>>docBlockBits]
		v.c.mu.Unlock()
	}
	if ok {
		if i := blk.at[g&(docBlockGens-1)]; i > 0 {
			return &blk.docs[i-1], true
		}
		return nil, false
	}
	docs, err := v.c.load(v.ctx, g, g+1)
	if err != nil {
		v.err = err
		return nil, false
	}
	for i := range docs {
		if docs[i].TGen == g || docs[i].Gen == g {
			return &docs[i], true
		}
	}
	return nil, false
}

// Len is textindex.Stats.Len: a live row's length, else -1.
func (v *docView) Len(row uint64) int {
	g := int64(row >> 16)
	d, ok := v.doc(g)
	if !ok {
		return -1
	}
	part := int(row & 0xffff)
	if g == d.TGen {
		if part == 0 {
			return int(d.Lens[0])
		}
		return -1
	}
	if part == 0 || part >= len(d.Lens) {
		return -1
	}
	return int(d.Lens[part])
}

// Rows and AvgLen describe the live rows (textindex.Stats).
func (v *docView) Rows() int       { return v.c.rows }
func (v *docView) AvgLen() float64 { return v.c.avgLen }

// RunSearch runs q against a driver's index: cache is its documents (as of
// one index version) and open gives its posting lists. Every driver ranks
// through here, so that the same index gives the same hits.
func RunSearch(ctx context.Context, q SearchQuery, cache *SearchCache, open func(ctx context.Context) (textindex.Source, error)) ([]Hit, error) {
	if strings.TrimSpace(q.Match) == "" {
		return nil, fmt.Errorf("%w: empty query", evidence.ErrInvalid)
	}
	cq, err := textindex.Compile(q.Match)
	if err != nil {
		return nil, fmt.Errorf("%w: query: %v", evidence.ErrInvalid, err)
	}
	src, err := open(ctx)
	if err != nil {
		return nil, err
	}
	docs := cache.view(ctx)
	matches, err := textindex.Eval(cq, src, docs)
	if err == nil {
		err = docs.err
	}
	if err != nil {
		if errors.Is(err, textindex.ErrCorrupt) {
			return nil, fmt.Errorf("%w: search index: %v", evidence.ErrDamaged, err)
		}
		return nil, err
	}
	// The best row of each generation (a document's rows of one kind are
	// consecutive), filtered; then those ranked: far fewer than the rows.
	type cand struct {
		row   uint64
		score float64
		at    uint16 // where the row's first match starts
	}
	var cands []cand
	filtered := q.filters()
	for j := 0; j < len(matches); {
		g := matches[j].Row >> 16
		best := j
		k := j + 1
		for ; k < len(matches) && matches[k].Row>>16 == g; k++ {
			if matches[k].Score < matches[best].Score {
				best = k
			}
		}
		j = k
		// Every match is of a live row; its document is read here only
		// if the query filters by one (the cache holds a bounded part of
		// them: a query on a common word need not read them all again).
		if filtered {
			if d, ok := docs.doc(int64(g)); !ok || !q.Matches(d) {
				continue
			}
		}
		cands = append(cands, cand{matches[best].Row, matches[best].Score, matches[best].At})
	}
	if docs.err != nil {
		return nil, docs.err
	}
	slices.SortStableFunc(cands, func(a, b cand) int {
		switch {
		case a.score < b.score:
			return -1
		case a.score > b.score:
			return 1
		}
		return 0
	})
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	seen := map[int64]bool{} // by title generation: one hit a document
	var hits []Hit
	var ats []int // hits[i]'s first match in its row
	for _, c := range cands {
		if len(hits) >= limit {
			break
		}
		d, ok := docs.one(int64(c.row >> 16))
		if !ok {
			if docs.err != nil {
				return nil, docs.err
			}
			continue
		}
		if seen[d.TGen] {
			continue
		}
		seen[d.TGen] = true
		if q.Allow != nil && !q.Allow(d.Doc) {
			continue
		}
		hits = append(hits, Hit{Doc: d.Doc, Kind: d.Kind, Title: d.Title, Part: int(c.row & 0xffff), Score: c.score, At: int(c.at)})
		ats = append(ats, int(c.at))
	}
	if !q.NoSnippets {
		snippets(ctx, cq, q, hits, ats)
	}
	return hits, nil
}

// snippets fills in the hits' snippets, on every core: a text part's
// snippet needs its item decrypted and the passage tokenized (up to the
// window after ats[i], where the index says its first match is).
func snippets(ctx context.Context, cq textindex.Query, q SearchQuery, hits []Hit, ats []int) {
	if q.Prefetch != nil && q.Text != nil {
		var docs []string
		for _, h := range hits {
			if h.Part > 0 {
				docs = append(docs, h.Doc)
			}
		}
		if len(docs) > 0 {
			q.Prefetch(docs)
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(hits)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(hits) && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				h := &hits[i]
				text := h.Title
				if h.Part > 0 {
					text = ""
					if q.Text != nil {
						text, _ = q.Text(h.Doc, h.Part) // a snippet is a courtesy: the hit stands without it
					}
				}
				h.Snippet = textindex.SnippetAt(cq, text, ats[i], q.Open, q.Shut, "…", snippetWidth)
			}
		})
	}
	wg.Wait()
}

// filters reports whether the query has filters (Matches looks at the
// document).
func (q *SearchQuery) filters() bool {
	return q.Kind != "" || q.Violation != "" || q.Place != "" || q.From != 0 || q.To != 0
}

// Matches applies the query's filters to a document.
func (q *SearchQuery) Matches(d *DocInfo) bool {
	if q.Kind != "" && d.Kind != q.Kind {
		return false
	}
	if q.Violation != "" && !strings.Contains(d.Violations, " "+q.Violation+" ") && !strings.Contains(d.Violations, " "+q.Violation+".") {
		return false
	}
	if q.Place != "" && !strings.Contains(d.Places, " "+q.Place+" ") {
		return false
	}
	if q.From != 0 && (d.YearTo == 0 || d.YearTo < q.From) {
		return false
	}
	if q.To != 0 && (d.YearFrom == 0 || d.YearFrom > q.To) {
		return false
	}
	return true
}

// snippetWidth is how many positions a snippet spans: a Hangul syllable or
// a Latin word each take one.
const snippetWidth = 24
