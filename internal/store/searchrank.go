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

	mu       sync.Mutex
	blocks   map[int64]*docBlock // by generation >> docBlockBits
	held     int                 // documents in blocks
	tick     uint64
	rankings map[rankKey]*ranking // recent queries' rankings (see ranking)
	lists    listCache            // posting lists read (listcache.go)
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
	release, err := searchSlot(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	key := rankKey{q.Match, q.Kind, q.Violation, q.Place, q.From, q.To}
	cq, err := cache.compiled(key, q.NoCache)
	if err != nil {
		return nil, fmt.Errorf("%w: query: %v", evidence.ErrInvalid, err)
	}
	docs := cache.view(ctx)
	var cands []textindex.Match // nil until evaluated
	defer func() { textindex.Recycle(cands) }()
	// rank returns the k best candidates in rank order (score, then row),
	// from the cache of rankings or by evaluating the query, and whether
	// they are all there are.
	rank := func(k int) ([]textindex.Match, bool, error) {
		if !q.NoCache {
			if best, complete, ok := cache.ranked(key, k); ok {
				return best, complete, nil
			}
		}
		if cands == nil {
			var err error
			if cands, err = evaluate(ctx, cq, q, docs, open); err != nil {
				return nil, false, err
			}
		}
		best := bestOf(cands, k)
		complete := len(best) == len(cands)
		if !q.NoCache {
			cache.keepRanked(key, best, complete)
		}
		return best, complete, nil
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	var hits []Hit
	// The hits are the first limit candidates in rank order that are
	// distinct documents the session may read. Only the best few are
	// ranked: a selection of k, widened while the ones taken leave fewer
	// than limit hits.
	for k := limit + limit/2 + 8; ; k *= 4 {
		best, complete, err := rank(k)
		if err != nil {
			return nil, err
		}
		hits = hits[:0]
		seen := map[int64]bool{} // by title generation: one hit a document
		for _, c := range best {
			if len(hits) >= limit {
				break
			}
			d, ok := docs.one(int64(c.Row >> 16))
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
			hits = append(hits, Hit{Doc: d.Doc, Kind: d.Kind, Title: d.Title, Part: int(c.Row & 0xffff), Score: c.Score, At: int(c.At)})
		}
		if len(hits) >= limit || complete {
			break
		}
	}
	if !q.NoSnippets {
		snippets(ctx, cq, q, hits)
	}
	return hits, nil
}

// searchSlots bounds how many searches run at once in a process: a few
// more than the cores, the rest waiting their turn in order. A search is
// CPU work; sixteen at once on two cores each took eight times its own
// time, and a query on a long name (every romanization, both orders) ten
// times a word's, so the slowest were the ones everybody waited on. In
// turn, each waits for those before it and then runs at full speed. The
// slack is for searches waiting on the network (PostgreSQL, S3).
var searchSlots = make(chan struct{}, runtime.GOMAXPROCS(0)+2)

// searchSlot waits for a turn to search (or for ctx to end) and returns
// what gives it back.
func searchSlot(ctx context.Context) (func(), error) {
	select {
	case searchSlots <- struct{}{}:
		return func() { <-searchSlots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// evaluate returns the query's candidates: the best row of each
// generation that matches (a document's rows of one kind are
// consecutive), filtered, in row order. The slice is Eval's, for
// textindex.Recycle.
func evaluate(ctx context.Context, cq textindex.Query, q SearchQuery, docs *docView, open func(ctx context.Context) (textindex.Source, error)) ([]textindex.Match, error) {
	src, err := open(ctx)
	if err != nil {
		return nil, err
	}
	matches, err := textindex.Eval(cq, cachedSource{src, &docs.c.lists}, docs)
	if err == nil {
		err = docs.err
	}
	if err != nil {
		textindex.Recycle(matches)
		if errors.Is(err, textindex.ErrCorrupt) {
			return nil, fmt.Errorf("%w: search index: %v", evidence.ErrDamaged, err)
		}
		return nil, err
	}
	// Kept in place at the front of matches.
	cands := matches[:0]
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
		m := matches[best]
		j = k
		// Every match is of a live row; its document is read here only
		// if the query filters by one (the cache holds a bounded part of
		// them: a query on a common word need not read them all again).
		if filtered {
			if d, ok := docs.doc(int64(g)); !ok || !q.Matches(d) {
				continue
			}
		}
		cands = append(cands, m)
	}
	if docs.err != nil {
		textindex.Recycle(matches)
		return nil, docs.err
	}
	if cands == nil {
		cands = []textindex.Match{} // evaluated, and nothing found
	}
	return cands, nil
}

// rankKey is what a ranking depends on besides the index: the query and
// its filters (not the limit, not who asks).
type rankKey struct {
	match, kind, violation, place string
	from, to                      int
}

// A SearchCache also keeps, for the index version it holds, the rankings
// of recent queries: each query's best candidates, in rank order, before
// the session's access check, the one-hit-a-document rule and the limit,
// which every search still applies to them. The same query from any
// session (a page of results asked again, a team looking for the same
// name) ranks once per index version. A ranking is candidates' row
// numbers, scores and match positions, nothing of the text; the
// generation's documents come from the cache's blocks as before.
const (
	maxRankings    = 256  // queries kept
	maxRankingRows = 4096 // candidates kept of one query
)

type ranking struct {
	cq       textindex.Query
	best     []textindex.Match // nil: only the compiled query is known
	complete bool              // best is every candidate
	used     uint64
}

// compiled returns key's compiled query, from the cache's rankings when it
// holds it (noCache: compiled anew).
func (c *SearchCache) compiled(key rankKey, noCache bool) (textindex.Query, error) {
	if !noCache {
		c.mu.Lock()
		r, ok := c.rankings[key]
		c.mu.Unlock()
		if ok {
			return r.cq, nil
		}
	}
	cq, err := textindex.Compile(key.match)
	if err != nil || noCache {
		return cq, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.rankings[key]; !ok {
		c.addRanking(key, &ranking{cq: cq})
	}
	return cq, nil
}

// ranked returns the k best candidates of key's query if the cache holds
// them, and whether they are all there are.
func (c *SearchCache) ranked(key rankKey, k int) ([]textindex.Match, bool, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.rankings[key]
	if !ok || r.best == nil || len(r.best) < k && !r.complete {
		return nil, false, false
	}
	c.tick++
	r.used = c.tick
	n := min(k, len(r.best))
	return r.best[:n], r.complete && n == len(r.best), true
}

// keepRanked keeps best (immutable from now on) as key's ranking, unless
// the cache holds a longer one or it is too long to keep.
func (c *SearchCache) keepRanked(key rankKey, best []textindex.Match, complete bool) {
	if len(best) > maxRankingRows {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.rankings[key]
	if !ok {
		return // dropped since the query was compiled: let it go
	}
	if r.best == nil || len(best) > len(r.best) || complete && !r.complete {
		r.best, r.complete = best, complete
	}
}

// addRanking adds r as key's, dropping the least recently used ranking
// beyond maxRankings. c.mu is held.
func (c *SearchCache) addRanking(key rankKey, r *ranking) {
	if c.rankings == nil {
		c.rankings = map[rankKey]*ranking{}
	}
	c.tick++
	r.used = c.tick
	c.rankings[key] = r
	if len(c.rankings) <= maxRankings {
		return
	}
	var old rankKey
	oldest := uint64(1<<64 - 1)
	for k, v := range c.rankings {
		if v.used < oldest {
			old, oldest = k, v.used
		}
	}
	delete(c.rankings, old)
}

// bestOf returns the k best of ms (lowest score first; equal scores in
// row order, as ms has them), in that order: a bounded heap, so a query
// whose word is in most documents ranks k of them, not all.
func bestOf(ms []textindex.Match, k int) []textindex.Match {
	worse := func(a, b textindex.Match) bool { // a ranks after b
		return a.Score > b.Score || a.Score == b.Score && a.Row > b.Row
	}
	if k >= len(ms) {
		out := slices.Clone(ms)
		slices.SortFunc(out, func(a, b textindex.Match) int {
			if worse(a, b) {
				return 1
			}
			if worse(b, a) {
				return -1
			}
			return 0
		})
		return out
	}
	// h is a max-heap by rank: h[0] is the worst of the k kept.
	h := make([]textindex.Match, 0, k)
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= len(h) {
				return
			}
			w := l
			if r := l + 1; r < len(h) && worse(h[r], h[l]) {
				w = r
			}
			if !worse(h[w], h[i]) {
				return
			}
			h[i], h[w] = h[w], h[i]
			i = w
		}
	}
	for _, m := range ms {
		switch {
		case len(h) < k:
			h = append(h, m)
			for i := len(h) - 1; i > 0; {
				p := (i - 1) / 2
				if !worse(h[i], h[p]) {
					break
				}
				h[i], h[p] = h[p], h[i]
				i = p
			}
		case worse(h[0], m):
			h[0] = m
			down(0)
		}
	}
	// Move the worst to the back, one at a time: out ends best first.
	out := h
	for n := len(out) - 1; n > 0; n-- {
		out[0], out[n] = out[n], out[0]
		h = out[:n]
		down(0)
	}
	return out
}

// snippets fills in the hits' snippets, on every core: a text part's
// snippet needs its item decrypted and the passage tokenized (up to the
// window after the hit's At, where the index says its first match is).
func snippets(ctx context.Context, cq textindex.Query, q SearchQuery, hits []Hit) {
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
	sn := textindex.NewSnippeter(cq)
	EachHit(ctx, len(hits), func(i int) {
		h := &hits[i]
		text := h.Title
		if h.Part > 0 {
			text = ""
			if q.Text != nil {
				text, _ = q.Text(h.Doc, h.Part) // a snippet is a courtesy: the hit stands without it
			}
		}
		h.Snippet = HitSnippet(sn, *h, text, q.Open, q.Shut)
	})
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
