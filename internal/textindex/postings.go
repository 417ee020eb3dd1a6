package textindex

import (
	"encoding/binary"
	"errors"
	"math/bits"
	"slices"
)

// ErrCorrupt is returned for a posting list that does not decode.
var ErrCorrupt = errors.New("textindex: corrupt posting list")

// A posting list is a sequence of superblocks of up to superSize blocks,
// each block up to blockSize occurrences, ascending across the whole list.
// A superblock is
//
//	uvarint(first - last of the previous superblock, or first)
//	uvarint(last - first)
//	uvarint(len(blocks))
//	blocks
//
// and a block
//
//	uvarint(first - last of the previous block, or first)
//	uvarint(count - 1)
//	uvarint(last - first)
//	uvarint(len(body))
//	body: uvarint deltas of the block's occurrences after the first
//
// (a superblock's first block counts from the previous superblock's
// last). A reader that wants only some rows skips a superblock, or a
// block, whose rows it does not want without decoding it: a query's rarest
// term picks the rows, and a common term's long list is then read a block
// here and there.
const (
	blockSize = 64
	superSize = 16
)

// encoder writes occurrences as superblocks of blocks.
type encoder struct {
	buf     []byte
	last    uint64 // last occurrence of the last sealed block
	pending []uint64

	sb            []byte // sealed blocks of the open superblock
	sbN           int
	sbFirst, sbLo uint64 // its first occurrence; the last before it
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
	// The body's length goes before it: measured first, so that the
	// deltas are written once, in place.
	size := 0
	for i := 1; i < len(p); i++ {
		size += uvarintLen(p[i] - p[i-1])
	}
	if e.sbN == 0 {
		e.sbFirst, e.sbLo = first, e.last
	}
	e.sb = binary.AppendUvarint(e.sb, first-e.last)
	e.sb = binary.AppendUvarint(e.sb, uint64(len(p)-1))
	e.sb = binary.AppendUvarint(e.sb, last-first)
	e.sb = binary.AppendUvarint(e.sb, uint64(size))
	for i := 1; i < len(p); i++ {
		e.sb = binary.AppendUvarint(e.sb, p[i]-p[i-1])
	}
	e.last, e.pending = last, p[:0]
	e.sbN++
	if e.sbN == superSize {
		e.sealSuper()
	}
}

// uvarintLen is the length of v written as a uvarint.
func uvarintLen(v uint64) int {
	return (bits.Len64(v|1) + 6) / 7
}

func (e *encoder) sealSuper() {
	if e.sbN == 0 {
		return
	}
	e.buf = binary.AppendUvarint(e.buf, e.sbFirst-e.sbLo)
	e.buf = binary.AppendUvarint(e.buf, e.last-e.sbFirst)
	e.buf = binary.AppendUvarint(e.buf, uint64(len(e.sb)))
	e.buf = append(e.buf, e.sb...)
	e.sb, e.sbN = e.sb[:0], 0
}

// bytes seals the open block and superblock and returns the list.
func (e *encoder) bytes() []byte {
	e.seal()
	e.sealSuper()
	return e.buf
}

// span is a superblock or block header, read without what it holds.
type span struct {
	first, last uint64
	count       int // blocks: occurrences
	body        []byte
}

func uvarints(b []byte, h []uint64) (int, error) {
	i := 0
	for k := range h {
		v, n := binary.Uvarint(b[i:])
		if n <= 0 {
			return 0, ErrCorrupt
		}
		h[k], i = v, i+n
	}
	return i, nil
}

// supers calls fn with each superblock of b; fn returns false to stop.
func supers(b []byte, fn func(span) bool) error {
	var prev uint64
	for i, n := 0, 0; i < len(b); n++ {
		var h [3]uint64
		k, err := uvarints(b[i:], h[:])
		if err != nil {
			return err
		}
		i += k
		if n > 0 && h[0] == 0 || prev+h[0] < prev || h[2] > uint64(len(b)-i) || h[2] == 0 {
			return ErrCorrupt
		}
		sp := span{first: prev + h[0], body: b[i : i+int(h[2])]}
		if sp.last = sp.first + h[1]; sp.last < sp.first {
			return ErrCorrupt
		}
		i += int(h[2])
		if !fn(sp) {
			return nil
		}
		prev = sp.last
	}
	return nil
}

// blocks calls fn with each block of a superblock sp, which follows an
// occurrence prev; fn returns false to stop.
func (sp span) blocks(prev uint64, fn func(span) bool) error {
	b := sp.body
	for i, n := 0, 0; i < len(b); n++ {
		var h [4]uint64
		k, err := uvarints(b[i:], h[:])
		if err != nil {
			return err
		}
		i += k
		if n >= superSize || h[0] == 0 && prev != 0 || prev+h[0] < prev || h[1] >= blockSize || h[3] > uint64(len(b)-i) {
			return ErrCorrupt
		}
		blk := span{first: prev + h[0], count: int(h[1]) + 1, body: b[i : i+int(h[3])]}
		if blk.last = blk.first + h[2]; blk.last < blk.first || n == 0 && blk.first != sp.first || blk.last > sp.last {
			return ErrCorrupt
		}
		i += int(h[3])
		prev = blk.last
		if !fn(blk) {
			return nil
		}
	}
	if prev != sp.last {
		return ErrCorrupt
	}
	return nil
}

// decode appends the block's occurrences to dst, checking that they
// ascend and end at last.
func (blk span) decode(dst []uint64) ([]uint64, error) {
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

// mark sets hit[k] for each of targets[k:] (ascending) that the block
// holds, decoding it as decode does (and checking it as strictly) without
// writing its occurrences anywhere.
func (blk span) mark(targets []uint64, hit []bool, k int) error {
	o := blk.first
	b := blk.body
	for n := 1; ; n++ {
		for k < len(targets) && targets[k] < o {
			k++
		}
		if k < len(targets) && targets[k] == o {
			hit[k] = true
		}
		if n == blk.count {
			break
		}
		d, m := binary.Uvarint(b)
		if m <= 0 || d == 0 || o+d < o {
			return ErrCorrupt
		}
		b = b[m:]
		o += d
	}
	if len(b) != 0 || o != blk.last {
		return ErrCorrupt
	}
	return nil
}

// DecodeList appends the occurrences of the encoded list b to dst.
func DecodeList(dst []uint64, b []byte) ([]uint64, error) {
	var derr, berr error
	var prev uint64
	serr := supers(b, func(sp span) bool {
		berr = sp.blocks(prev, func(blk span) bool {
			dst, derr = blk.decode(dst)
			return derr == nil
		})
		prev = sp.last
		return berr == nil && derr == nil
	})
	return dst, errors.Join(serr, berr, derr)
}

// MarkList sets hit[j] for every targets[j] (ascending) that b holds,
// decoding only the blocks whose range holds a target: the intersection
// of a list with a few occurrences, without materializing the list.
func MarkList(b []byte, targets []uint64, hit []bool) error {
	var derr, berr error
	j := 0
	var prev uint64
	// wants reports whether a target lies in [first, last], moving j to
	// the first target ≥ first; done when none is left.
	wants := func(first, last uint64) (want, done bool) {
		for j < len(targets) && targets[j] < first {
			j++
		}
		return j < len(targets) && targets[j] <= last, j == len(targets)
	}
	serr := supers(b, func(sp span) bool {
		want, done := wants(sp.first, sp.last)
		if done {
			return false
		}
		if want {
			berr = sp.blocks(prev, func(blk span) bool {
				want, done := wants(blk.first, blk.last)
				if done || !want {
					return !done
				}
				derr = blk.mark(targets, hit, j)
				return derr == nil
			})
		}
		prev = sp.last
		return berr == nil && derr == nil
	})
	return errors.Join(serr, berr, derr)
}

// EncodeList encodes occ (ascending, distinct) as a posting list, which
// DecodeList gives back: a decoded union kept in a quarter of the memory.
func EncodeList(occ []uint64) []byte {
	var e encoder
	e.pending = make([]uint64, 0, blockSize)
	for _, o := range occ {
		e.add(o)
	}
	return e.bytes()
}

// Builder gathers the posting lists of a batch of documents (one segment).
// Documents must be added in ascending order of their generation.
type Builder struct {
	lists map[string]*encoder
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
}

// Len is the number of distinct terms gathered.
func (b *Builder) Len() int { return len(b.lists) }

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
