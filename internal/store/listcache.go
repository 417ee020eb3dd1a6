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
	mu    sync.Mutex
	byAlt map[textindex.Alt]*list.Element
	lru   list.List // of *listEntry, most recent first
	bytes int
}

type listEntry struct {
	alt   textindex.Alt
	lists [][]byte
	cost  int
}

func (c *listCache) get(a textindex.Alt) ([][]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byAlt[a]
	if !ok {
		return nil, false
	}
	c.lru.MoveToFront(e)
	return e.Value.(*listEntry).lists, true
}

func (c *listCache) put(a textindex.Alt, lists [][]byte) {
	cost := listEntryCost + len(a.Term) + 24*len(lists)
	for _, l := range lists {
		cost += len(l)
	}
	if cost > maxListBytes/8 {
		return // one term may not take the cache
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byAlt == nil {
		c.byAlt = map[textindex.Alt]*list.Element{}
	}
	if _, ok := c.byAlt[a]; ok {
		return
	}
	c.byAlt[a] = c.lru.PushFront(&listEntry{a, lists, cost})
	c.bytes += cost
	for c.bytes > maxListBytes {
		old := c.lru.Back()
		e := old.Value.(*listEntry)
		c.lru.Remove(old)
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

// ListsOf gives the lists term by term in term order, as the drivers do.
func (s cachedSource) ListsOf(terms []string) ([][]byte, error) {
	by, ok := s.src.(TermLister)
	if !ok {
		return s.src.ListsOf(terms)
	}
	terms = slices.Compact(slices.Sorted(slices.Values(terms)))
	have := make(map[string][][]byte, len(terms))
	var todo []string
	for _, t := range terms {
		if ls, ok := s.c.get(textindex.Alt{Term: t}); ok {
			have[t] = ls
		} else {
			todo = append(todo, t)
		}
	}
	if len(todo) > 0 {
		found, err := by.ListsByTerm(todo)
		if err != nil {
			return nil, err
		}
		for _, t := range todo {
			have[t] = found[t] // nil: the term occurs nowhere, which is kept too
			s.c.put(textindex.Alt{Term: t}, found[t])
		}
	}
	var out [][]byte
	for _, t := range terms {
		out = append(out, have[t]...)
	}
	return out, nil
}
