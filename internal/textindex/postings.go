package textindex

import (
	"encoding/binary"
	"errors"
	"slices"
)

// ErrCorrupt is returned for a posting list that does not decode.
var ErrCorrupt = errors.New("textindex: corrupt posting list")

// AppendList appends occs (sorted, ascending, no duplicates) to dst as
// uvarint deltas from prev, and returns dst and the last occurrence.
func AppendList(dst []byte, prev uint64, occs []uint64) ([]byte, uint64) {
	for _, o := range occs {
		dst = binary.AppendUvarint(dst, o-prev)
		prev = o
	}
	return dst, prev
}

// DecodeList appends the occurrences of the encoded list b to dst.
func DecodeList(dst []uint64, b []byte) ([]uint64, error) {
	var prev uint64
	for i := 0; i < len(b); {
		d, n := binary.Uvarint(b[i:])
		if n <= 0 {
			return dst, ErrCorrupt
		}
		if d == 0 && i > 0 || prev+d < prev {
			return dst, ErrCorrupt // not ascending
		}
		i += n
		prev += d
		dst = append(dst, prev)
	}
	return dst, nil
}

// Builder gathers the posting lists of a batch of documents (one segment).
// Documents must be added in ascending order of their first row.
type Builder struct {
	lists map[string]*list
	rows  int
}

type list struct {
	buf  []byte
	last uint64
}

// NewBuilder returns an empty builder.
func NewBuilder() *Builder { return &Builder{lists: make(map[string]*list)} }

// Add adds d's occurrences with its row n at row gen<<16 | n.
func (b *Builder) Add(gen uint64, d *Doc) {
	off := gen << 32
	d.Each(func(term string, occs []uint64) {
		l := b.lists[term]
		if l == nil {
			l = &list{}
			b.lists[term] = l
		}
		for _, o := range occs {
			o += off
			l.buf = binary.AppendUvarint(l.buf, o-l.last)
			l.last = o
		}
	})
	b.rows += len(d.Lens)
}

// Len is the number of distinct terms gathered.
func (b *Builder) Len() int { return len(b.lists) }

// Rows is the number of rows added.
func (b *Builder) Rows() int { return b.rows }

// Each calls fn for every term in ascending order with its encoded list.
func (b *Builder) Each(fn func(term string, list []byte) error) error {
	terms := make([]string, 0, len(b.lists))
	for t := range b.lists {
		terms = append(terms, t)
	}
	slices.Sort(terms)
	for _, t := range terms {
		if err := fn(t, b.lists[t].buf); err != nil {
			return err
		}
	}
	return nil
}

// Merge joins the encoded lists of one term from consecutive segments (in
// segment order, so their rows ascend), dropping occurrences whose row
// live rejects. It returns nil when nothing is left.
func Merge(lists [][]byte, live func(row uint64) bool) ([]byte, error) {
	var out []byte
	var prev, seen uint64 // last written, last read
	var occs []uint64
	for _, l := range lists {
		var err error
		occs, err = DecodeList(occs[:0], l)
		if err != nil {
			return nil, err
		}
		for _, o := range occs {
			if o <= seen && seen != 0 {
				return nil, ErrCorrupt // segments out of order
			}
			seen = o
			if live != nil && !live(o>>16) {
				continue
			}
			out = binary.AppendUvarint(out, o-prev)
			prev = o
		}
	}
	return out, nil
}
