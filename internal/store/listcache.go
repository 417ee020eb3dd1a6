package store

import (
	"container/list"
	"slices"
	"sync"

	"sori/internal/textindex"
)

// A SearchCache also holds the posting lists queries read most, as the
// driver returned them (encoded; on PostgreSQL, opened), up to
// maxListBytes, least recently used first out. Names are searched by many
// syllables and bigrams, most of them shared with other names, and common
// syllables' lists are long: reading and decrypting them again at every
// query was a fifth of a search server's CPU. The lists are the index's
// content, held in memory as the database's own page cache holds the
// decrypted pages they come from, and dropped with the cache when
// anything is indexed.
const maxListBytes = 48 << 20

// maxDecodedBytes bounds the prefixes' decoded occurrences a SearchCache
// keeps (8 bytes each): a syllable of a name stands, at a name's end, for
// every term that begins with it — hundreds of bigrams, a list each per
// segment — and decoding them all again was most of a slow name query.
const maxDecodedBytes = 128 << 20

// maxPackedBytes bounds the prefixes' unions a SearchCache keeps encoded
// again as one list each (about two bytes an occurrence, not eight):
// what a prefix costs when the decoded ones have dropped it is then one
// list's decoding, not its many lists' reading, decoding and merging
// (4-13 ms for a common syllable), and a round of name queries whose
// prefixes do not all fit in maxDecodedBytes fits here several times over.
const maxPackedBytes = 32 << 20

// listEntryCost is what an entry costs beyond its lists' bytes (map and
// list nodes, slice headers), counted against maxListBytes.
const listEntryCost = 128

// TermLister is a textindex.Source that can also say which lists belong to
// which term when it reads many at once (the drivers' sources), so that
// each term's are cached.
type TermLister interface {
	ListsByTerm(terms []string) (map[string][][]byte, error)
}

type listCache struct {
	lists   lru[[][]byte] // encoded, by term or prefix (maxListBytes)
	decoded lru[[]uint64] // long terms' and prefixes' occurrences (maxDecodedBytes)
	packed  lru[packed]   // prefixes' occurrences, encoded as one list (maxPackedBytes)
}

// packed is a prefix's union as textindex.EncodeList wrote it, and how
// many occurrences it holds.
type packed struct {
	list []byte
	n    int
}

func (c *listCache) get(a textindex.Alt) ([][]byte, bool) { return c.lists.get(a) }

func (c *listCache) put(a textindex.Alt, lists [][]byte) {
	cost := len(a.Term) + 24*len(lists)
	for _, l := range lists {
		cost += len(l)
	}
	c.lists.put(a, lists, cost, maxListBytes)
}

func (c *listCache) putDecoded(a textindex.Alt, occ []uint64) {
	c.decoded.put(a, occ, 8*len(occ), maxDecodedBytes)
}

// putPacked keeps occ (a's union) encoded, if the bound lets it.
func (c *listCache) putPacked(a textindex.Alt, occ []uint64) {
	if len(occ) > maxPackedBytes/8 {
		return // too long to be kept: an occurrence takes a byte or more
	}
	l := textindex.EncodeList(occ)
	c.packed.put(a, packed{l, len(occ)}, len(a.Term)+len(l), maxPackedBytes)
}

// lru holds values by term or prefix within a budget of bytes, the least
// recently used dropped first, but only for a value asked for more often
// than what it would drop: every request, kept or not, is counted (counts
// halve as they pile up). Plain LRU keeps nothing of a round of queries
// larger than the budget that comes again (a team going through the same
// list of names, a benchmark's passes): each value drops the one the round
// needs next. Values are never modified once put.
type lru[V any] struct {
	mu    sync.Mutex
	byAlt map[textindex.Alt]*list.Element
	order list.List // of *lruEntry[V], most recent first
	bytes int
	asked map[textindex.Alt]uint32 // requests, kept or not
}

// maxAsked bounds the request counts kept; past it they are halved and
// those at zero dropped.
const maxAsked = 1 << 16

type lruEntry[V any] struct {
	alt  textindex.Alt
	v    V
	cost int
}

func (c *lru[V]) get(a textindex.Alt) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.count(a)
	e, ok := c.byAlt[a]
	if !ok {
		var zero V
		return zero, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*lruEntry[V]).v, true
}

// has reports whether a value is kept for a, without counting a request
// or touching its place.
func (c *lru[V]) has(a textindex.Alt) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.byAlt[a]
	return ok
}

// count counts a request for a. c.mu is held.
func (c *lru[V]) count(a textindex.Alt) {
	if c.asked == nil {
		c.asked = map[textindex.Alt]uint32{}
	}
	c.asked[a]++
	if len(c.asked) <= maxAsked {
		return
	}
	for k, n := range c.asked {
		if n /= 2; n == 0 {
			delete(c.asked, k)
		} else {
			c.asked[k] = n
		}
	}
}

// put keeps v as a's, costing cost bytes (plus listEntryCost) of max, if
// it fits, or if what it must drop to fit (least recently used first) was
// each asked for less often than a; a value that would take more than an
// eighth of max is not kept.
func (c *lru[V]) put(a textindex.Alt, v V, cost, max int) {
	cost += listEntryCost
	if cost > max/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byAlt == nil {
		c.byAlt = map[textindex.Alt]*list.Element{}
	}
	if _, ok := c.byAlt[a]; ok {
		return
	}
	need := c.bytes + cost - max
	for e := c.order.Back(); need > 0; e = e.Prev() {
		if e == nil {
			return // cannot happen: cost ≤ max/8
		}
		old := e.Value.(*lruEntry[V])
		if c.asked[old.alt] >= c.asked[a] {
			return // what it would drop is asked for as often: keep that
		}
		need -= old.cost
	}
	c.byAlt[a] = c.order.PushFront(&lruEntry[V]{a, v, cost})
	c.bytes += cost
	for c.bytes > max {
		old := c.order.Back()
		e := old.Value.(*lruEntry[V])
		c.order.Remove(old)
		delete(c.byAlt, e.alt)
		c.bytes -= e.cost
	}
}

// cachedSource reads posting lists through the cache. The lists are never
// written to (textindex only decodes them).
type cachedSource struct {
	src textindex.Source
	c   *listCache
}

func (s cachedSource) Lists(a textindex.Alt) ([][]byte, error) {
	if ls, ok := s.c.get(a); ok {
		return ls, nil
	}
	ls, err := s.src.Lists(a)
	if err == nil {
		s.c.put(a, ls)
	}
	return ls, err
}

// Decoded is textindex.Decoder: the sorted union of a's lists, decoded once
// and kept.
func (s cachedSource) Decoded(a textindex.Alt) ([]uint64, error) {
	if occ, ok := s.c.decoded.get(a); ok {
		return occ, nil
	}
	if p, ok := s.c.packed.get(a); ok {
		occ, err := textindex.DecodeList(make([]uint64, 0, p.n), p.list)
		if err != nil {
			return nil, err
		}
		s.c.putDecoded(a, occ)
		return occ, nil
	}
	lists, err := s.src.Lists(a) // not kept in the list cache as well
	if err != nil {
		return nil, err
	}
	occ, err := textindex.Union(lists)
	if err != nil {
		return nil, err
	}
	s.c.putDecoded(a, occ)
	s.c.putPacked(a, occ)
	return occ, nil
}

// Kept is textindex.Decoder's: whether Decoded has a's union kept, decoded
// or packed (one list to decode is as cheap as a rare term's).
func (s cachedSource) Kept(a textindex.Alt) bool {
	return s.c.decoded.has(a) || s.c.packed.has(a)
}

// longList is the encoded size (all segments) from which ListsOrDecoded
// gives a term decoded: a few blocks' worth.
const longList = 4096

// ListsOrDecoded is textindex.Decoder's: terms' lists, those of a long
// term decoded and kept (Decoded).
func (s cachedSource) ListsOrDecoded(terms []string) ([][]byte, [][]uint64, error) {
	by, ok := s.src.(TermLister)
	if !ok {
		ls, err := s.src.ListsOf(terms)
		return ls, nil, err
	}
	var lists [][]byte
	var occs [][]uint64
	var todo []string
	for _, t := range slices.Compact(slices.Sorted(slices.Values(terms))) {
		if occ, ok := s.c.decoded.get(textindex.Alt{Term: t}); ok {
			occs = append(occs, occ)
		} else {
			todo = append(todo, t)
		}
	}
	found, read, err := s.listsByTerm(by, todo)
	if err != nil {
		return nil, nil, err
	}
	for _, t := range todo {
		ls := found[t]
		size := 0
		for _, l := range ls {
			size += len(l)
		}
		if size < longList {
			if read[t] {
				s.c.put(textindex.Alt{Term: t}, ls)
			}
			lists = append(lists, ls...)
			continue
		}
		occ, err := textindex.Union(ls)
		if err != nil {
			return nil, nil, err
		}
		s.c.putDecoded(textindex.Alt{Term: t}, occ)
		occs = append(occs, occ)
	}
	return lists, occs, nil
}

// ListsOf gives the lists term by term in term order, as the drivers do.
func (s cachedSource) ListsOf(terms []string) ([][]byte, error) {
	by, ok := s.src.(TermLister)
	if !ok {
		return s.src.ListsOf(terms)
	}
	terms = slices.Compact(slices.Sorted(slices.Values(terms)))
	found, read, err := s.listsByTerm(by, terms)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, t := range terms {
		if read[t] {
			s.c.put(textindex.Alt{Term: t}, found[t]) // nil: the term occurs nowhere, which is kept too
		}
		out = append(out, found[t]...)
	}
	return out, nil
}

// listsByTerm gives each of terms' lists from the list cache, and reads
// the others from the driver in one call; read says which were read (the
// caller decides whether to keep them).
func (s cachedSource) listsByTerm(by TermLister, terms []string) (found map[string][][]byte, read map[string]bool, err error) {
	found = make(map[string][][]byte, len(terms))
	var miss []string
	for _, t := range terms {
		if ls, ok := s.c.get(textindex.Alt{Term: t}); ok {
			found[t] = ls
		} else {
			miss = append(miss, t)
		}
	}
	if len(miss) == 0 {
		return found, nil, nil
	}
	got, err := by.ListsByTerm(miss)
	if err != nil {
		return nil, nil, err
	}
	read = make(map[string]bool, len(miss))
	for _, t := range miss {
		found[t], read[t] = got[t], true
	}
	return found, read, nil
}
