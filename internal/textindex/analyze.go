// Package textindex is sori's full-text index: an inverted index of the
// tokens internal/hangul produces, with positions, evaluated in Go. It
// holds no storage of its own: the store keeps its posting lists as rows
// of the encrypted database (so the index is ciphertext at rest like
// everything else) and hands them back through Source when a query runs.
//
// # Tokens
//
// The index keeps fewer tokens than hangul.Tokenize emits, and queries make
// up the difference, so that a query means exactly what it would mean over
// Tokenize's full stream:
//
//   - Inside a Hangul run a position holds the bigram that starts there,
//     and only the run's last syllable is kept as a unigram (두만강 → 두만,
//     만강, 강). A one-syllable query term is looked up as a prefix: 강
//     finds the unigram 강 and every bigram that starts with it.
//
//   - A Hangul syllable's name key ("~bak" for 박) is not stored: a key
//     query term is expanded to the syllables that have that key (and
//     their southern forms, which is how a run's first syllable is stored),
//     each looked up as a prefix, plus the key itself, which romanized words
//     keep (Pak → ~bak).
//
//   - A romanized word's name keys are kept only where a name can stand:
//     a word that begins with a capital letter (Pak, PARK, Ch'ŏl), and a
//     word joined by a hyphen to such a word (the "min" of Chol-min), but
//     not the pronoun "I" nor the article "A" ("I was"). English words keep
//     their keys only at the start of a sentence, which keeps the key
//     lists of common syllables ("~go", "~man", "~i") short. A name written
//     all in lower case is still found by its spelling, but not by another
//     romanization of it. See hangul.Keyed.
//
// That is about one token per Hangul syllable instead of three.
//
// # Occurrences
//
// A row is one passage of a document (the store numbers them). An
// occurrence is row<<16 | position, so a posting list is a sorted list of
// uint64, stored as uvarint deltas. Positions past MaxPos are not indexed.
package textindex

import (
	"slices"
	"sync"
	"unicode/utf8"

	"sori/internal/hangul"
)

// MaxPos is the last position of a row that is indexed.
const MaxPos = 1<<16 - 2

// MaxRow is the largest row number an occurrence can hold.
const MaxRow = 1<<48 - 1

// Doc is the analysed text of some rows of one document: every term with
// its occurrences, relative to the document's first row (row 0), and the
// length in positions of each row.
type Doc struct {
	Lens  []uint32
	terms []string
	start []int32 // terms[i] occurs at occ[start[i]:start[i+1]]
	occ   []uint64
}

// Each calls fn for every term with its occurrences, ascending.
func (d *Doc) Each(fn func(term string, occs []uint64)) {
	for i, t := range d.terms {
		fn(t, d.occ[d.start[i]:d.start[i+1]])
	}
}

// Analyze tokenizes parts, the text of rows 0, 1, … of a document. It is
// safe to call from many goroutines at once.
func Analyze(parts []string) *Doc {
	d := &Doc{Lens: make([]uint32, len(parts))}
	sc, _ := analyzePool.Get().(*analyzeScratch)
	if sc == nil {
		sc = &analyzeScratch{ids: make(map[string]int32)}
	}
	ids, flat, counts := sc.ids, sc.flat[:0], sc.counts[:0]
	size := 0
	for _, p := range parts {
		size += len(p)
	}
	flat = slices.Grow(flat, size/2)
	for i, p := range parts {
		base := uint64(i) << 16
		d.Lens[i] = uint32(Tokens(p, func(term string, pos, _, _ int) {
			id, ok := ids[term]
			if !ok {
				id = int32(len(d.terms))
				ids[term] = id
				d.terms = append(d.terms, term)
				counts = append(counts, 0)
			}
			counts[id]++
			flat = append(flat, termOcc{id, base | uint64(pos)})
		}))
	}
	// Counting sort by term; each term's occurrences stay in text order.
	d.start = make([]int32, len(d.terms)+1)
	for i, n := range counts {
		d.start[i+1] = d.start[i] + n
	}
	next := counts // reused as each term's next slot
	copy(next, d.start)
	d.occ = make([]uint64, len(flat))
	for _, f := range flat {
		d.occ[next[f.id]] = f.o
		next[f.id]++
	}
	// A map cleared keeps its room, and clearing it costs that room: one
	// that a very large document grew is left to the collector.
	if cap(flat) <= maxPooled && len(ids) <= maxPooledTerms {
		clear(ids)
		sc.flat, sc.counts = flat[:0], counts[:0]
		analyzePool.Put(sc)
	}
	return d
}

// termOcc is one occurrence of the term numbered id in a document.
type termOcc struct {
	id int32
	o  uint64
}

// analyzeScratch is Analyze's working memory, reused from document to
// document: a fresh map grew and rehashed through every document's terms,
// and the occurrences' slice was allocated (and cleared) anew, a tenth of
// an index build's analysis.
type analyzeScratch struct {
	ids    map[string]int32
	flat   []termOcc
	counts []int32
}

var analyzePool sync.Pool // of *analyzeScratch

const maxPooledTerms = 1 << 15

// Tokens calls fn for every token the index keeps of text, with its
// position and byte span, and returns the number of positions (at most
// MaxPos+1).
func Tokens(text string, fn func(term string, pos, start, end int)) int {
	n, _ := tokensUpTo(text, MaxPos+1, fn)
	return n
}

// tokensUpTo is Tokens that stops after position limit-1 (limit at most
// MaxPos+1); cut reports that text holds more positions.
func tokensUpTo(text string, limit int, fn func(term string, pos, start, end int)) (n int, cut bool) {
	n, more := hangul.TokenizeIndex(text, limit, fn)
	return n, more && limit <= MaxPos
}

// tok is a token and its byte span.
type tok struct {
	s    string
	b, e int
}

// isSyllables reports whether s is exactly n Hangul syllables.
func isSyllables(s string, n int) bool {
	if len(s) != 3*n {
		return false
	}
	for _, r := range s {
		if !hangul.IsSyllable(r) {
			return false
		}
	}
	return utf8.RuneCountInString(s) == n
}
