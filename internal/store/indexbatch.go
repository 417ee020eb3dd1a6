package store

import (
	"encoding/binary"
	"fmt"

	"sori/internal/evidence"
	"sori/internal/textindex"
)

// IndexBatch is what one transaction adds to the search index, the same
// for every driver: rows of posting lists built in memory (B), numbered by
// generation from Next, and the generations they replace (Dead).
type IndexBatch struct {
	B    *textindex.Builder
	Next int64   // next generation
	Dead []int64 // generations whose rows are replaced
	// Rows and Len are what the batch changes of the live rows' number
	// and total length (each driver adds them to its counts, which BM25
	// reads: SearchCache).
	Rows, Len int64
}

// IndexedDoc is a document's row as it stands before it is indexed again.
type IndexedDoc struct {
	TGen, Gen int64  // generations of its title and text rows (Gen 0: no text)
	Lens      []byte // its parts' lengths, uvarints, the title's first
}

// AddDoc adds a document's title and text (nil: keep old's text) as new
// generations, marks what they replace dead, and returns the generations
// and the parts' lengths to store in the document's row. old is nil for a
// document not indexed before.
func (s *IndexBatch) AddDoc(title string, text *textindex.Doc, old *IndexedDoc) (tgen, gen int64, lens []byte, err error) {
	tgen = s.Next
	s.Next++
	t := textindex.Analyze([]string{title})
	s.B.Add(uint64(tgen), t)
	lens = binary.AppendUvarint(nil, uint64(t.Lens[0]))
	switch {
	case text != nil && len(text.Lens) > 1:
		gen = s.Next
		s.Next++
		s.B.Add(uint64(gen), text)
		for _, n := range text.Lens[1:] {
			lens = binary.AppendUvarint(lens, uint64(n))
		}
	case text == nil && old != nil:
		gen = old.Gen // keep the text rows
		if _, n := binary.Uvarint(old.Lens); n > 0 {
			lens = append(lens, old.Lens[n:]...)
		}
	}
	n, total, err := LensSum(lens)
	if err != nil {
		return 0, 0, nil, err
	}
	s.Rows, s.Len = s.Rows+n, s.Len+total
	if old != nil {
		n, total, err := LensSum(old.Lens)
		if err != nil {
			return 0, 0, nil, err
		}
		s.Rows, s.Len = s.Rows-n, s.Len-total
		s.Dead = append(s.Dead, old.TGen)
		if old.Gen != 0 && old.Gen != gen {
			s.Dead = append(s.Dead, old.Gen)
		}
	}
	if s.Next > textindex.MaxRow>>16 {
		return 0, 0, nil, fmt.Errorf("%w: search index generations exhausted", evidence.ErrDamaged)
	}
	return tgen, gen, lens, nil
}

// EncodeStarts writes an item's parts' starts (SearchDoc.Starts, ascending)
// as the index keeps them: uvarint differences.
func EncodeStarts(starts []int64) []byte {
	var b []byte
	prev := int64(0)
	for _, s := range starts {
		b = binary.AppendUvarint(b, uint64(s-prev))
		prev = s
	}
	return b
}

// DecodeStarts reads what EncodeStarts wrote; empty gives nil.
func DecodeStarts(doc string, b []byte) ([]int64, error) {
	var out []int64
	prev := int64(0)
	for len(b) > 0 {
		d, k := binary.Uvarint(b)
		if k <= 0 || d > 1<<40 {
			return nil, fmt.Errorf("%w: search index: part starts of %s", evidence.ErrDamaged, doc)
		}
		prev += int64(d)
		out = append(out, prev)
		b = b[k:]
	}
	return out, nil
}

// LensSum is how many row lengths lens holds (uvarints: a document's
// stored lengths) and their sum.
func LensSum(lens []byte) (n, total int64, err error) {
	for len(lens) > 0 {
		v, k := binary.Uvarint(lens)
		if k <= 0 {
			return 0, 0, fmt.Errorf("%w: search index: row lengths", evidence.ErrDamaged)
		}
		n, total, lens = n+1, total+int64(v), lens[k:]
	}
	return n, total, nil
}
