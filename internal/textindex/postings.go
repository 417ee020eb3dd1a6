package textindex

import (
	"encoding/binary"
	"errors"
	"slices"
)

// ErrCorrupt is returned for a posting list that does not decode.
var ErrCorrupt = errors.New("textindex: corrupt posting list")

// A posting list is a sequence of blocks of up to blockSize occurrences,
// ascending across the whole list. A block is
//
//	uvarint(first - last of the previous block, or first)
//	uvarint(count - 1)
//	uvarint(last - first)
//	uvarint(len(body))
//	body: uvarint deltas of the block's occurrences after the first
//
// so a reader that wants only some rows skips a block whose rows it does
// not want without decoding it: a query's rarest term picks the rows, and
// a common term's long list is then read a block here and there.
const blockSize = 64

// encoder writes occurrences as blocks.
type encoder struct {
	buf     []byte
	last    uint64 // last occurrence of the last sealed block
	pending []uint64
}

func (e *encoder) add(o uint64) {
	e.pending = append(e.pending, o)
	if len(e.pending) == blockSize {
		e.seal()
	}
}

func (e *encoder) seal() {
	p := e.pending
	if len(p) == 0 {
		return
	}
	first, last := p[0], p[len(p)-1]
	var body []byte
	for i := 1; i < len(p); i++ {
		body = binary.AppendUvarint(body, p[i]-p[i-1])
	}
	e.buf = binary.AppendUvarint(e.buf, first-e.last)
	e.buf = binary.AppendUvarint(e.buf, uint64(len(p)-1))
	e.buf = binary.AppendUvarint(e.buf, last-first)
	e.buf = binary.AppendUvarint(e.buf, uint64(len(body)))
	e.buf = append(e.buf, body...)
	e.last, e.pending = last, p[:0]
}

// bytes seals the open block and returns the list.
func (e *encoder) bytes() []byte {
	e.seal()
	return e.buf
}

// AppendList encodes occs (ascending, no duplicates) as a list.
func AppendList(dst []byte, occs []uint64) []byte {
	e := encoder{buf: dst}
	for _, o := range occs {
		e.add(o)
	}
	return e.bytes()
}

// block is a block's header, read without its body.
type block struct {
	first, last uint64
	count       int
	body        []byte
}

// blocks calls fn with each block of b, in order; fn returns false to stop.
func blocks(b []byte, fn func(block) bool) error {
	var prev uint64
	for i, nblk := 0, 0; i < len(b); nblk++ {
		var h [4]uint64
		for k := range h {
			v, n := binary.Uvarint(b[i:])
			if n <= 0 {
				return ErrCorrupt
			}
			h[k], i = v, i+n
		}
		if nblk > 0 && h[0] == 0 || prev+h[0] < prev || h[1] >= blockSize || h[3] > uint64(len(b)-i) {
			return ErrCorrupt
		}
		first := prev + h[0]
		last := first + h[2]
		if last < first {
			return ErrCorrupt
		}
		blk := block{first: first, last: last, count: int(h[1]) + 1, body: b[i : i+int(h[3])]}
		i += int(h[3])
		prev = last
		if !fn(blk) {
			return nil
		}
	}
	return nil
}

// decode appends the block's occurrences to dst, checking that they
// ascend and end at last.
func (blk block) decode(dst []uint64) ([]uint64, error) {
	o := blk.first
	dst = append(dst, o)
	b := blk.body
	for k := 1; k < blk.count; k++ {
		d, n := binary.Uvarint(b)
		if n <= 0 || d == 0 || o+d < o {
			return dst, ErrCorrupt
		}
		b = b[n:]
		o += d
		dst = append(dst, o)
	}
	if len(b) != 0 || o != blk.last {
		return dst, ErrCorrupt
	}
	return dst, nil
}

// DecodeList appends the occurrences of the encoded list b to dst.
func DecodeList(dst []uint64, b []byte) ([]uint64, error) {
	var err error
	if berr := blocks(b, func(blk block) bool {
		dst, err = blk.decode(dst)
		return err == nil
	}); berr != nil {
		return dst, berr
	}
	return dst, err
}

// DecodeListIn appends the occurrences of b whose row (occurrence >> 16)
// is in rows (ascending) to dst, skipping blocks that hold none of them.
func DecodeListIn(dst []uint64, b []byte, rows []uint64) ([]uint64, error) {
	var err error
	j := 0
	var tmp []uint64
	if berr := blocks(b, func(blk block) bool {
		lo, hi := blk.first>>16, blk.last>>16
		for j < len(rows) && rows[j] < lo {
			j++
		}
		if j == len(rows) {
			return false // no wanted row lies further on
		}
		if rows[j] > hi {
			return true // none in this block
		}
		tmp, err = blk.decode(tmp[:0])
		if err != nil {
			return false
		}
		k := j
		for _, o := range tmp {
			r := o >> 16
			for k < len(rows) && rows[k] < r {
				k++
			}
			if k == len(rows) {
				break
			}
			if rows[k] == r {
				dst = append(dst, o)
			}
		}
		return true
	}); berr != nil {
		return dst, berr
	}
	return dst, err
}

// Builder gathers the posting lists of a batch of documents (one segment).
// Documents must be added in ascending order of their generation.
type Builder struct {
	lists map[string]*encoder
	rows  int
}

// NewBuilder returns an empty builder.
func NewBuilder() *Builder { return &Builder{lists: make(map[string]*encoder)} }

// Add adds d's occurrences with its row n at row gen<<16 | n.
func (b *Builder) Add(gen uint64, d *Doc) {
	off := gen << 32
	d.Each(func(term string, occs []uint64) {
		e := b.lists[term]
		if e == nil {
			e = &encoder{}
			b.lists[term] = e
		}
		for _, o := range occs {
			e.add(o + off)
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
		if err := fn(t, b.lists[t].bytes()); err != nil {
			return err
		}
	}
	return nil
}

// Merge joins the encoded lists of one term from consecutive segments (in
// segment order, so their rows ascend), dropping occurrences whose row
// live rejects. It returns nil when nothing is left.
func Merge(lists [][]byte, live func(row uint64) bool) ([]byte, error) {
	var e encoder
	var seen uint64 // last occurrence read
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
			e.add(o)
		}
	}
	out := e.bytes()
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
