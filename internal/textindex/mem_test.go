package textindex

import (
	"maps"
	"slices"
	"strings"
)

// Mem is a Source held in memory for tests: segments of encoded lists, as
// the store keeps them in its database.
type Mem struct {
	segs []map[string][]byte
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
	terms := map[string]bool{}
	for _, s := range m.segs {
		for t := range s {
			if strings.HasPrefix(t, a.Term) {
				terms[t] = true
			}
		}
	}
	for _, t := range slices.Sorted(maps.Keys(terms)) {
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

// AppendList encodes occs (ascending, no duplicates) as a list.
func AppendList(dst []byte, occs []uint64) []byte {
	e := encoder{buf: dst}
	for _, o := range occs {
		e.add(o)
	}
	return e.bytes()
}
