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

// NewSearchCache indexes docs (with their lengths' sum, total) for queries
// at index version.
func NewSearchCache(version int64, docs []DocInfo, total int) *SearchCache {
	c := &SearchCache{version: version, docs: docs}
	gens := make(map[int64]int32, 2*len(docs))
	for i, d := range docs {
		c.rows += len(d.Lens)
		gens[d.TGen] = int32(i)
		if d.Gen != 0 {
			gens[d.Gen] = int32(i)
		}
	}
	c.byGen = newGenIndex(gens)
	if c.rows > 0 {
		c.avgLen = float64(total) / float64(c.rows)
	}
	return c
}

// Version is the index version the cache holds.
func (c *SearchCache) Version() int64 { return c.version }

// Doc returns the document with generation g (its title's or its text's).
func (c *SearchCache) Doc(g int64) (DocInfo, bool) {
	i, ok := c.byGen.get(g)
	if !ok {
		return DocInfo{}, false
	}
	return c.docs[i], true
}

// SearchCache holds every document's row for queries, reloaded when the
// index's version changes (any process's commit that indexed something).
type SearchCache struct {
	version int64
	docs    []DocInfo
	byGen   genIndex // generation → document
	rows    int
	avgLen  float64
}

// Len is textindex.Stats.Len: a live row's length, else -1.
func (c *SearchCache) Len(row uint64) int {
	i, ok := c.byGen.get(int64(row >> 16))
	if !ok {
		return -1
	}
	d := &c.docs[i]
	part := int(row & 0xffff)
	if int64(row>>16) == d.TGen {
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

// genIndex maps a generation to its document. Generations are handed out
// in sequence, so it is a dense table (Len is called for every matching
// row of a query); a map only if the numbers are too sparse for one.
type genIndex struct {
	dense  []int32 // doc+1 by generation; 0: none
	sparse map[int64]int32
}

func newGenIndex(m map[int64]int32) genIndex {
	var top int64
	for g := range m {
		top = max(top, g)
	}
	if top > int64(8*len(m))+1<<20 {
		return genIndex{sparse: m}
	}
	d := make([]int32, top+1)
	for g, i := range m {
		if g >= 0 {
			d[g] = i + 1
		}
	}
	return genIndex{dense: d}
}

func (x genIndex) get(g int64) (int32, bool) {
	if x.sparse != nil {
		i, ok := x.sparse[g]
		return i, ok
	}
	if g < 0 || g >= int64(len(x.dense)) || x.dense[g] == 0 {
		return 0, false
	}
	return x.dense[g] - 1, true
}

// Rows and AvgLen describe the live rows (textindex.Stats).
func (c *SearchCache) Rows() int       { return c.rows }
func (c *SearchCache) AvgLen() float64 { return c.avgLen }

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
	matches, err := textindex.Eval(cq, src, cache)
	if err != nil {
		if errors.Is(err, textindex.ErrCorrupt) {
			return nil, fmt.Errorf("%w: search index: %v", evidence.ErrDamaged, err)
		}
		return nil, err
	}
	// The best row of each generation (a document's rows of one kind are
	// consecutive), filtered; then those ranked: far fewer than the rows.
	type cand struct {
		doc   int32
		row   uint64
		score float64
	}
	var cands []cand
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
		i, ok := cache.byGen.get(int64(g))
		if !ok || !q.Matches(&cache.docs[i]) {
			continue
		}
		cands = append(cands, cand{i, matches[best].Row, matches[best].Score})
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
	seen := map[int32]bool{}
	var hits []Hit
	for _, c := range cands {
		if len(hits) >= limit {
			break
		}
		if seen[c.doc] {
			continue
		}
		seen[c.doc] = true
		d := &cache.docs[c.doc]
		if q.Allow != nil && !q.Allow(d.Doc) {
			continue
		}
		hits = append(hits, Hit{Doc: d.Doc, Kind: d.Kind, Title: d.Title, Part: int(c.row & 0xffff), Score: c.score})
	}
	if !q.NoSnippets {
		snippets(ctx, cq, q, hits)
	}
	return hits, nil
}

// snippets fills in the hits' snippets, on every core: a text part's
// snippet needs its item decrypted and the passage tokenized.
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
				h.Snippet = textindex.Snippet(cq, text, q.Open, q.Shut, "…", snippetWidth)
			}
		})
	}
	wg.Wait()
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
