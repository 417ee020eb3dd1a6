package textindex

import (
	"slices"
	"strings"
)

// Mem is a Source held in memory for tests: segments of encoded lists, as
// the store keeps them in its database.
type Mem struct {
	segs      []map[string][]byte
	sorted    []string // every term of segs[:sortedFor], sorted, for prefixes
	sortedFor int
}

// AddSegment stores what b gathered as the newest segment.
func (m *Mem) AddSegment(b *Builder) {
	seg := make(map[string][]byte, b.Len())
	_ = b.Each(func(term string, l []byte) error {
		seg[term] = slices.Clone(l)
		return nil
	})
	m.segs = append(m.segs, seg)
}

// terms returns every term, sorted.
func (m *Mem) terms() []string {
	if m.sortedFor != len(m.segs) {
		for _, s := range m.segs[m.sortedFor:] {
			for t := range s {
				m.sorted = append(m.sorted, t)
			}
		}
		slices.Sort(m.sorted)
		m.sorted = slices.Compact(m.sorted)
		m.sortedFor = len(m.segs)
	}
	return m.sorted
}

// Lists implements Source.
func (m *Mem) Lists(a Alt) ([][]byte, error) {
	var out [][]byte
	if !a.Prefix {
		for _, s := range m.segs {
			if l, ok := s[a.Term]; ok {
				out = append(out, l)
			}
		}
		return out, nil
	}
	sorted := m.terms()
	i, _ := slices.BinarySearch(sorted, a.Term)
	for _, t := range sorted[i:] {
		if !strings.HasPrefix(t, a.Term) {
			break
		}
		for _, s := range m.segs {
			if l, ok := s[t]; ok {
				out = append(out, l)
			}
		}
	}
	return out, nil
}

// ListsOf implements Source.
func (m *Mem) ListsOf(terms []string) ([][]byte, error) {
	var out [][]byte
	for _, t := range terms {
		ls, _ := m.Lists(Alt{Term: t})
		out = append(out, ls...)
	}
	return out, nil
}
