package textindex

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"sori/internal/hangul"
)

// Alt is one term that may stand at a position of a phrase: the term
// itself or, with Prefix, any term that begins with it.
type Alt struct {
	Term   string
	Prefix bool
}

// Phrase is a sequence of positions, each a set of alternatives.
type Phrase [][]Alt

// Query is a conjunction of groups, each a disjunction of phrases: what
// hangul.MatchExpr writes.
type Query [][]Phrase

// Compile parses a MATCH expression of the form hangul.MatchExpr writes —
// "strings", ( "a" OR "b" ) groups, joined by AND (or by nothing) — and
// tokenizes each string with hangul.TokenizeQuery into a phrase.
func Compile(expr string) (Query, error) {
	p := parser{s: expr}
	var q Query
	for {
		p.space()
		if p.eof() {
			break
		}
		if p.word("AND") {
			continue
		}
		var g []Phrase
		if p.s[p.i] == '(' {
			p.i++
			for {
				p.space()
				if p.eof() {
					return nil, fmt.Errorf("unclosed ( in %q", expr)
				}
				if p.s[p.i] == ')' {
					p.i++
					break
				}
				if p.word("OR") {
					continue
				}
				s, err := p.str()
				if err != nil {
					return nil, err
				}
				g = append(g, compilePhrase(s)...)
			}
		} else {
			s, err := p.str()
			if err != nil {
				return nil, err
			}
			g = append(g, compilePhrase(s)...)
		}
		if len(g) > 0 {
			q = append(q, append(g, wordBoost(g)...))
		}
	}
	if len(q) == 0 {
		return nil, fmt.Errorf("nothing to search for in %q", expr)
	}
	return q, nil
}

type parser struct {
	s string
	i int
}

func (p *parser) eof() bool { return p.i >= len(p.s) }

func (p *parser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n') {
		p.i++
	}
}

func (p *parser) word(w string) bool {
	if strings.HasPrefix(p.s[p.i:], w) {
		rest := p.s[p.i+len(w):]
		if rest == "" || rest[0] == ' ' || rest[0] == '"' || rest[0] == '(' {
			p.i += len(w)
			return true
		}
	}
	return false
}

func (p *parser) str() (string, error) {
	if p.s[p.i] != '"' {
		return "", fmt.Errorf("expected a quoted string at byte %d of %q", p.i, p.s)
	}
	var b strings.Builder
	for j := p.i + 1; j < len(p.s); j++ {
		if p.s[j] == '"' {
			if j+1 < len(p.s) && p.s[j+1] == '"' {
				b.WriteByte('"')
				j++
				continue
			}
			p.i = j + 1
			return b.String(), nil
		}
		b.WriteByte(p.s[j])
	}
	return "", fmt.Errorf("unclosed string in %q", p.s)
}

// compilePhrase tokenizes one query string into a phrase, or the phrases
// that together match what it matches (see split).
//
// In a plain string (not a name query), a position holding only name keys
// follows a romanized word: "women" is the word and then the key of "men",
// on the next position as documents have it. Matching the word already
// puts those keys there, so such a position is a wildcard (no
// alternatives): it keeps the positions aligned and reads no list — "men"
// and its syllables are among the commonest terms.
func compilePhrase(s string) []Phrase {
	ph := tokenPhrase(s)
	if len(ph) == 0 {
		return nil
	}
	if !strings.HasPrefix(s, hangul.KeyPrefix) {
		for i, alts := range ph {
			if i > 0 && onlyKeyExpansion(alts) {
				ph[i] = nil
			}
		}
	} else {
		// The index keeps no keys for a lone capital I (the pronoun; see
		// Keyed), which is also the RR spelling of the surname 이: "I,
		// Il-myeong" in a list. A name query takes the word itself there.
		for i, alts := range ph {
			if slices.Contains(alts, Alt{Term: hangul.KeyPrefix + "i"}) {
				ph[i] = append(alts, Alt{Term: "i"})
			}
		}
	}
	return split(narrow(ph))
}

// split divides a phrase whose last position is syllable prefixes (a
// name's last syllable) after a narrowed position into two: one where the
// position before is a bigram x·y, which already puts y — one of the
// prefixes — on the last position, so the last is a wildcard; and one where
// it is anything else (a unigram ending its run, a romanized key), which
// keeps the last position. The first never reads the prefixes' long lists;
// the second reads them only if its other positions find rows.
func split(ph Phrase) []Phrase {
	n := len(ph)
	if n < 2 || ph[n-1] == nil || !slices.ContainsFunc(ph[n-1], func(a Alt) bool { return a.Prefix }) {
		return []Phrase{ph}
	}
	var bigrams, rest []Alt
	for _, a := range ph[n-2] {
		if !a.Prefix && isSyllables(a.Term, 2) {
			bigrams = append(bigrams, a)
		} else {
			rest = append(rest, a)
		}
	}
	if len(bigrams) == 0 {
		return []Phrase{ph}
	}
	// Every bigram's second syllable must be one of the last position's
	// prefixes, or the split would lose matches.
	for _, bg := range bigrams {
		_, size := utf8.DecodeRuneInString(bg.Term)
		if !slices.Contains(ph[n-1], Alt{Term: bg.Term[size:], Prefix: true}) {
			return []Phrase{ph}
		}
	}
	a := slices.Clone(ph)
	a[n-2], a[n-1] = bigrams, nil
	out := []Phrase{a}
	if len(rest) > 0 {
		b := slices.Clone(ph)
		b[n-2] = rest
		out = append(out, b)
	}
	return out
}

// onlyKeyExpansion reports whether alts are what alternatives gives for
// name keys: each key itself and its syllables as prefixes.
func onlyKeyExpansion(alts []Alt) bool {
	keys := 0
	for _, a := range alts {
		switch {
		case !a.Prefix && strings.HasPrefix(a.Term, hangul.KeyPrefix):
			keys++
		case a.Prefix && isSyllables(a.Term, 1):
		default:
			return false
		}
	}
	return keys > 0
}

// tokenPhrase tokenizes s with hangul.TokenizeQuery into positions of
// alternatives.
func tokenPhrase(s string) Phrase {
	var ph Phrase
	_ = hangul.TokenizeQuery(s, func(tok string, _, _ int, colocated bool) error {
		if !colocated || len(ph) == 0 {
			ph = append(ph, nil)
		}
		at := &ph[len(ph)-1]
		for _, a := range alternatives(tok) {
			if !slices.Contains(*at, a) {
				*at = append(*at, a)
			}
		}
		return nil
	})
	return ph
}

// maxPairs caps the bigrams narrow writes out for one position.
const maxPairs = 512

// narrow replaces, where a position of syllable prefixes (a name key's
// syllables) is followed by another, the prefixes by the exact terms that
// can stand there: each bigram x·y of a syllable x here and y next, and
// the unigram x (x ending its run). A prefix would read and decode every
// bigram that starts with x; inside a run the bigram at a position always
// holds the next position's syllable, so the phrase matches the same rows.
func narrow(ph Phrase) Phrase {
	syllables := func(alts []Alt) (xs []string, rest []Alt) {
		for _, a := range alts {
			if a.Prefix && isSyllables(a.Term, 1) {
				xs = append(xs, a.Term)
			} else {
				rest = append(rest, a)
			}
		}
		return xs, rest
	}
	for i := 0; i+1 < len(ph); i++ {
		xs, rest := syllables(ph[i])
		ys, _ := syllables(ph[i+1])
		if len(xs) == 0 || len(ys) == 0 || len(xs)*len(ys) > maxPairs {
			continue
		}
		alts := rest
		for _, x := range xs {
			alts = append(alts, Alt{Term: x})
			for _, y := range ys {
				alts = append(alts, Alt{Term: x + y})
			}
		}
		ph[i] = alts
	}
	return ph
}

// alternatives are the index terms that stand for one query token.
func alternatives(tok string) []Alt {
	if key, ok := strings.CutPrefix(tok, hangul.KeyPrefix); ok {
		alts := []Alt{{Term: tok}}
		for _, r := range keySyllables()[key] {
			alts = append(alts, Alt{Term: string(r), Prefix: true})
		}
		return alts
	}
	if isSyllables(tok, 1) {
		return []Alt{{Term: tok, Prefix: true}}
	}
	return []Alt{{Term: tok}}
}

// keySyllables maps a name key to every syllable with that key and the
// southern form of each (how a run's first syllable is indexed).
var keySyllables = sync.OnceValue(func() map[string][]rune {
	m := make(map[string][]rune)
	for r := rune(0xAC00); r <= 0xD7A3; r++ {
		k := hangul.SyllableKey(r)
		if k == "" {
			continue
		}
		m[k] = append(m[k], r)
		if s := hangul.SouthInitial(r); s != r && !slices.Contains(m[k], s) {
			m[k] = append(m[k], s)
		}
	}
	return m
})

// Source gives the index's stored posting lists.
type Source interface {
	// Lists returns the encoded posting lists of term (Prefix: of every
	// term that begins with it), at most one per term and segment, each
	// term's lists in segment order.
	Lists(a Alt) ([][]byte, error)
	// ListsOf returns the lists of every one of terms (exact), as Lists
	// would one by one: a name's position may stand for a hundred
	// bigrams, most of which occur nowhere.
	ListsOf(terms []string) ([][]byte, error)
}

// Decoder is a Source that also gives a prefix's occurrences decoded: the
// sorted union of every list Lists would give for it, which the source may
// keep for the queries after (a name's syllable stands for hundreds of
// terms, whose lists it otherwise decodes at every query). The slice is
// read only.
type Decoder interface {
	Decoded(a Alt) ([]uint64, error)
	// Kept reports whether the source keeps a's occurrences decoded, so
	// that Decoded would give them without reading or decoding anything.
	Kept(a Alt) bool
	// ListsOrDecoded is ListsOf with each long term's occurrences decoded
	// instead (kept by the source like Decoded's): a long list that a
	// phrase's rarer positions pick a few rows from is otherwise decoded
	// almost whole at every query.
	ListsOrDecoded(terms []string) ([][]byte, [][]uint64, error)
}

// Stats describes the live rows, for liveness and BM25.
type Stats interface {
	// Len is the row's length in positions, or -1 if it is not live.
	Len(row uint64) int
	// Rows and AvgLen describe all live rows.
	Rows() int
	AvgLen() float64
}

// Match is a live row that satisfies a query, with its BM25 score
// (negated, as SQLite's FTS5 reports it: lower is better).
type Match struct {
	Row   uint64
	Score float64
	At    uint16 // the position in the row where the first match starts
}

// BM25 parameters, as FTS5's bm25() uses them.
const (
	k1 = 1.2
	b  = 0.75
)

// Eval returns every live row that matches q, in row order. The slice is
// the caller's; Recycle hands it back for the next query's use once the
// caller is done with it (optional).
func Eval(q Query, src Source, st Stats) ([]Match, error) {
	var acc []Match
	for gi, g := range q {
		var grp []Match
		for _, ph := range g {
			hits, err := phraseRows(ph, src, st)
			if err != nil {
				Recycle(acc)
				Recycle(grp)
				return nil, err
			}
			s := score(hits, st)
			rowPool.put(hits)
			if len(grp) == 0 {
				Recycle(grp)
				grp = s
				continue
			}
			u := union(grp, s)
			Recycle(grp)
			Recycle(s)
			grp = u
		}
		if gi == 0 {
			acc = grp
		} else {
			in := intersect(acc, grp)
			Recycle(acc)
			Recycle(grp)
			acc = in
		}
		if len(acc) == 0 {
			Recycle(acc)
			return nil, nil
		}
	}
	return acc, nil
}

// A query's intermediate lists (rows, occurrences, scores) are taken from
// pools and handed back as soon as the next step has read them: a query
// on a common word passes through several megabytes of them, which
// otherwise fell to the garbage collector at every query (a fifth of a
// search server's CPU). Slices larger than maxPooled are not kept.
const maxPooled = 1 << 20

// slicePool keeps slices of T for reuse.
type slicePool[T any] struct{ p sync.Pool }

// get returns an empty slice with room for n.
func (sp *slicePool[T]) get(n int) []T {
	if p, _ := sp.p.Get().(*[]T); p != nil {
		return slices.Grow((*p)[:0], n)
	}
	return make([]T, 0, n)
}

// put hands s back; it must no longer be used.
func (sp *slicePool[T]) put(s []T) {
	if cap(s) > 0 && cap(s) <= maxPooled {
		sp.p.Put(&s)
	}
}

var (
	matchPool slicePool[Match]
	rowPool   slicePool[rowTF]
	occPool   slicePool[uint64]
	keepPool  sync.Pool // of *keepScratch
)

// Recycle hands back a slice Eval returned (or nil), for reuse: the caller
// must not use it afterwards.
func Recycle(m []Match) { matchPool.put(m) }

// rowTF is a row, how often a phrase occurs in it, and where first.
type rowTF struct {
	row uint64
	tf  int
	at  uint16
	len int // the row's length (Stats.Len, asked once)
}

// manyStarts is the number of candidate starts past which phraseRows reads
// a phrase's prefixes before its remaining exact positions (a variable for
// the tests).
var manyStarts = 1 << 13

// phraseRows finds the live rows where ph occurs, with its frequency.
//
// Positions are decoded rarest first (by encoded size), each after the
// first keeping only occurrences in rows every earlier one has, so that a
// rare syllable next to a common one costs the common one's decoding but
// not its sorting and merging.
func phraseRows(ph Phrase, src Source, st Stats) ([]rowTF, error) {
	raw := make([][][]byte, len(ph))
	size := make([]int, len(ph))
	dec := make([][][]uint64, len(ph)) // prefixes' occurrences, decoded by the source
	decoder, _ := src.(Decoder)
	addDecoded := func(i int, occ []uint64) {
		// A romanized word is indexed under the key of each reading it may
		// have, and a query's word asks for several keys, so two of them
		// often hold the very same occurrences ("Ko" under ~go and ~ko):
		// marked or merged twice, they cost twice and find nothing more.
		if len(occ) > 0 && !slices.ContainsFunc(dec[i], func(d []uint64) bool { return sameOccs(d, occ) }) {
			dec[i] = append(dec[i], occ)
			size[i] += len(occ) * 3 / 2 // about what they take encoded
		}
	}
	fetch := func(i int) error {
		var exact []string
		for _, a := range ph[i] {
			if !a.Prefix {
				exact = append(exact, a.Term)
				continue
			}
			if decoder != nil {
				occ, err := decoder.Decoded(a)
				if err != nil {
					return err
				}
				addDecoded(i, occ)
				continue
			}
			ls, err := src.Lists(a)
			if err != nil {
				return err
			}
			raw[i] = append(raw[i], ls...)
		}
		if len(exact) > 0 && decoder != nil {
			ls, occs, err := decoder.ListsOrDecoded(exact)
			if err != nil {
				return err
			}
			raw[i] = append(raw[i], ls...)
			for _, occ := range occs {
				addDecoded(i, occ)
			}
		} else if len(exact) > 0 {
			ls, err := src.ListsOf(exact)
			if err != nil {
				return err
			}
			raw[i] = append(raw[i], ls...)
		}
		for _, l := range raw[i] {
			size[i] += len(l)
		}
		return nil
	}
	// Positions of exact terms are read first and decoded rarest first;
	// positions with prefixes (whose lists are long) only while rows remain
	// — unless the source keeps every prefix of the position decoded: then
	// it costs nothing to read, and is often the rarest (a name's last
	// syllable, whose neighbour is a common one).
	var exactPos, prefixPos []int
	for i, alts := range ph {
		switch {
		case alts == nil: // a wildcard
		case slices.ContainsFunc(alts, func(a Alt) bool { return a.Prefix && (decoder == nil || !decoder.Kept(a)) }):
			prefixPos = append(prefixPos, i)
		default:
			exactPos = append(exactPos, i)
		}
	}
	for _, i := range exactPos {
		if err := fetch(i); err != nil {
			return nil, err
		}
		if size[i] == 0 {
			return nil, nil
		}
	}
	bySize := func(a, b int) int { return size[a] - size[b] }
	slices.SortStableFunc(exactPos, bySize)
	// cand holds the phrase's possible starts (occurrences of its first
	// position) that agree with every position decoded so far. The first
	// position decoded is the rarest, decoded in full; each later one only
	// where it can meet a candidate, and it only strikes candidates out.
	var cand []uint64
	defer func() { occPool.put(cand) }()
	first := true
	todo := exactPos
	for len(todo) > 0 || len(prefixPos) > 0 {
		// The prefixes' positions are read when the exact ones are done,
		// or as soon as the candidates are many: then a long exact list
		// costs more to mark than the prefixes (which are read anyway
		// unless the candidates run out) cost to read, and the rarest of
		// all goes next.
		if len(prefixPos) > 0 && (len(todo) == 0 || (!first && len(cand) > manyStarts)) {
			for _, i := range prefixPos {
				if err := fetch(i); err != nil {
					return nil, err
				}
				if size[i] == 0 {
					return nil, nil
				}
			}
			todo = append(todo, prefixPos...)
			slices.SortStableFunc(todo, bySize)
			prefixPos = nil
		}
		i := todo[0]
		todo = todo[1:]
		var err error
		if first {
			// A long first position whose next one is decoded whole (a
			// name's syllables, each a union of many prefixes), both of a
			// size for a filter (sizes back in occurrences), keeps only
			// the starts that the next one may agree with; keepStarts
			// then checks them against it exactly.
			if len(todo) > 0 && len(raw[todo[0]]) == 0 && len(dec[todo[0]]) > 0 && useFilter(size[todo[0]]*2/3, size[i]*2/3) {
				cand, err = startsNear(raw[i], dec[i], i, dec[todo[0]], todo[0])
			} else {
				cand, err = startsOf(raw[i], dec[i], i)
			}
			first = false
		} else {
			cand, err = keepStarts(cand, raw[i], dec[i], i)
		}
		if err != nil || len(cand) == 0 {
			return nil, err
		}
	}
	out := rowPool.get(len(cand))
	liveRow, rowLen := uint64(1<<63), -1
	for _, s := range cand {
		if int(s&0xFFFF)+len(ph)-1 > 0xFFFF {
			continue // a wildcard at the end would fall past the row
		}
		row := s >> 16
		if row != liveRow {
			liveRow, rowLen = row, st.Len(row)
		}
		if rowLen < 0 {
			continue // not live
		}
		if n := len(out); n > 0 && out[n-1].row == row {
			out[n-1].tf++
		} else {
			out = append(out, rowTF{row, 1, uint16(s & 0xFFFF), rowLen})
		}
	}
	return out, nil
}

// sameOccs reports whether a and b (each sorted) hold the same
// occurrences; most lists differ in length or at an end.
func sameOccs(a, b []uint64) bool {
	n := len(a)
	return n == len(b) && (n == 0 || a[0] == b[0] && a[n-1] == b[n-1] && slices.Equal(a, b))
}

// startsOf returns the phrase starts that position i's occurrences (the
// union of lists) imply: each occurrence less i, where it is at least i
// into its row. They are sorted and distinct.
func startsOf(lists [][]byte, decoded [][]uint64, i int) ([]uint64, error) {
	occ, err := unionOf(lists, decoded)
	if err != nil {
		return nil, err
	}
	out := occ[:0]
	for _, o := range occ {
		if o&0xFFFF >= uint64(i) {
			out = append(out, o-uint64(i))
		}
	}
	return out, nil
}

// startsNear is startsOf(lists, decoded, i) less most of the starts at
// which position k holds none of kDecoded's occurrences: a start stays if
// a bit filter of kDecoded passes its occurrence at k, so a few stay that
// keepStarts(…, k) must still strike out, and none that it would keep is
// lost. The union of a long position is thus merged from what passes, not
// built whole and then marked: a name's common syllables made that the
// most of a name query.
//
// The occurrences go through in ranges of about nearChunk of kDecoded's,
// every list read in order, with a filter of that range only: one filter
// of them all was a bit at random in half a megabyte for every
// occurrence, a cache miss each.
func startsNear(lists [][]byte, decoded [][]uint64, i int, kDecoded [][]uint64, k int) ([]uint64, error) {
	ks, _ := keepPool.Get().(*keepScratch)
	if ks == nil {
		ks = new(keepScratch)
	}
	defer ks.put()
	as := make([][]uint64, 0, len(lists)+len(decoded)) // lists' first, decoded here
	for _, l := range lists {
		a, err := DecodeList(occPool.get(len(l)), l)
		as = append(as, a)
		if err != nil {
			putAll(as)
			return nil, err
		}
	}
	defer putAll(as[:len(lists)])
	n, m := 0, 0
	var guide []uint64 // kDecoded's longest list, whose occurrences mark the ranges
	for _, d := range decoded {
		as = append(as, d)
		n += len(d)
	}
	for _, d := range kDecoded {
		m += len(d)
		if len(d) > len(guide) {
			guide = d
		}
	}
	filter := rangeFilter(ks.filter)
	ks.filter = filter.words
	step := max(1, len(guide)*nearChunk/max(m, 1))
	aAt, kAt := make([]int, len(as)), make([]int, len(kDecoded))
	runs := make([]int, 0, len(as)) // where each list's starts in the range end
	out := occPool.get(n/8 + 16)
	for g := step; ; g += step {
		hi := uint64(math.MaxUint64) // the range's end (at k), exclusive
		if g < len(guide) {
			hi = guide[g]
		}
		clear(filter.words)
		for j, d := range kDecoded {
			c := kAt[j]
			for ; c < len(d) && d[c] < hi; c++ {
				filter.set(d[c])
			}
			kAt[j] = c
		}
		from := len(out)
		runs = runs[:0]
		for j, a := range as {
			c := aAt[j]
			for ; c < len(a); c++ {
				o := a[c]
				if o&0xFFFF < uint64(i) {
					continue // no start: too near its row's beginning
				}
				s := o - uint64(i)
				if s+uint64(k) >= hi {
					break
				}
				if filter.has(s + uint64(k)) {
					out = append(out, s)
				}
			}
			aAt[j] = c
			if end := len(out) - from; end > 0 && (len(runs) == 0 || runs[len(runs)-1] < end) {
				runs = append(runs, end)
			}
		}
		// Each range's starts are merged apart, a sorted run from each
		// list: the ranges follow each other, so the whole is sorted.
		if len(runs) > 1 {
			mergeInPlace(out[from:], runs)
		}
		if hi == math.MaxUint64 {
			break
		}
	}
	return slices.Compact(out), nil
}

// nearChunk is about how many of the next position's occurrences
// startsNear takes at a time: its filter, 32 bits for each, is 16 KiB and
// stays in the processor's first-level cache.
const nearChunk = 1 << 12

// putAll hands back slices of occurrences taken from occPool.
func putAll(occs [][]uint64) {
	for _, o := range occs {
		occPool.put(o)
	}
}

// keepStarts keeps the starts in cand (sorted) at which position i holds
// one of lists' terms: a start s stays if some list has s+i. Only the
// blocks of the lists that hold some s+i are decoded, and nothing is
// sorted.
func keepStarts(cand []uint64, lists [][]byte, decoded [][]uint64, i int) ([]uint64, error) {
	ks, _ := keepPool.Get().(*keepScratch)
	if ks == nil {
		ks = new(keepScratch)
	}
	defer ks.put()
	targets := slices.Grow(ks.targets[:0], len(cand))
	idx := slices.Grow(ks.idx[:0], len(cand)) // targets[k] is cand[idx[k]] + i
	for j, s := range cand {
		if t := s + uint64(i); t>>16 == s>>16 {
			targets = append(targets, t)
			idx = append(idx, int32(j))
		}
	}
	hit := slices.Grow(ks.hit[:0], len(targets))[:len(targets)]
	clear(hit)
	ks.targets, ks.idx, ks.hit = targets, idx, hit
	for _, l := range lists {
		if err := MarkList(l, targets, hit); err != nil {
			return cand[:0], err
		}
	}
	if slices.ContainsFunc(decoded, func(occ []uint64) bool { return useFilter(len(occ), len(targets)) }) {
		// Once a filter is worth building, a short list is walked through
		// it too: only what passes is searched for among the targets.
		walk := ks.walk[:0]
		for _, occ := range decoded {
			if len(occ) <= 8*len(targets) {
				walk = append(walk, occ)
			} else {
				markDecoded(occ, targets, hit)
			}
		}
		ks.filter = markFiltered(walk, targets, hit, ks.filter)
		clear(walk)
		ks.walk = walk[:0]
	} else {
		for _, occ := range decoded {
			markDecoded(occ, targets, hit)
		}
	}
	out := cand[:0]
	for k, j := range idx {
		if hit[k] {
			out = append(out, cand[j])
		}
	}
	return out, nil
}

// keepScratch is keepStarts' memory, reused across calls.
type keepScratch struct {
	targets []uint64
	idx     []int32
	hit     []bool
	filter  []uint64
	walk    [][]uint64
}

// Marking a long list against many targets by galloping costs a search
// for every element of the shorter one — a name's common syllables put
// hundreds of thousands on each side, where that took most of the query.
// A targetFilter is a bitset of the targets' hashes instead: each element
// of the list is tested against it (a bit, in memory that stays in the
// cache) and only the few that pass are looked up among the targets.
const filterMinTargets = 1 << 12

// useFilter reports whether a decoded list of n occurrences against t
// targets is worth building a targetFilter for: when both sides are long
// and neither is far longer than the other (a list much longer than the
// targets costs less galloped through than walked whole).
func useFilter(n, t int) bool {
	return t >= filterMinTargets && n >= t/8 && n <= 8*t
}

type targetFilter struct {
	words []uint64
	shift uint
}

// rangeFilter is the targetFilter of one range of about nearChunk
// occurrences (startsNear, markFiltered): 32 bits for each, 16 KiB, in
// words (reused if it has room). Each range clears it before use.
func rangeFilter(words []uint64) targetFilter {
	const nbits = 32 * nearChunk
	if cap(words) < nbits/64 {
		words = make([]uint64, nbits/64)
	}
	return targetFilter{words: words[:nbits/64], shift: uint(64 - bits.TrailingZeros(nbits))}
}

func (f targetFilter) set(o uint64) {
	h := f.hash(o)
	f.words[h>>6] |= 1 << (h & 63)
}

func (f targetFilter) has(o uint64) bool {
	h := f.hash(o)
	return f.words[h>>6]&(1<<(h&63)) != 0
}

func (f targetFilter) hash(o uint64) uint64 { return (o * 0x9E3779B97F4A7C15) >> f.shift }

// markFiltered sets hit[k] for every targets[k] (ascending) that one of
// lists (each ascending) holds, with a targetFilter in words (reused if it
// has room), which it returns. The targets go a range of nearChunk at a
// time, with a filter of that range only, and the lists are read along
// (as in startsNear): one filter of many targets was a cache miss for
// every occurrence tested.
func markFiltered(lists [][]uint64, targets []uint64, hit []bool, words []uint64) []uint64 {
	f := rangeFilter(words)
	at := make([]int, len(lists))
	for lo := 0; lo < len(targets); lo += nearChunk {
		end := min(lo+nearChunk, len(targets))
		hi := uint64(math.MaxUint64) // the range's end, exclusive
		if end < len(targets) {
			hi = targets[end]
		}
		clear(f.words)
		for _, t := range targets[lo:end] {
			f.set(t)
		}
		chunk := targets[:end]
		for j, occ := range lists {
			c, k := at[j], lo
			for ; c < len(occ) && occ[c] < hi; c++ {
				o := occ[c]
				if !f.has(o) {
					continue
				}
				if k = seek(chunk, k, o); k < end && chunk[k] == o {
					hit[k] = true
				}
			}
			at[j] = c
		}
	}
	return f.words
}

func (ks *keepScratch) put() {
	if cap(ks.targets) <= maxPooled {
		keepPool.Put(ks)
	}
}

// unionOf is the sorted union of the occurrences in lists and in
// decoded (each sorted).
func unionOf(lists [][]byte, decoded [][]uint64) ([]uint64, error) {
	// An occurrence takes a byte and a half or more: room for the whole
	// union at once saves growing it (and copying) many times.
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	n = n*2/3 + 16
	for _, d := range decoded {
		n += len(d)
	}
	all := occPool.get(n)
	var runs []int // where each list's occurrences end in all
	for _, l := range lists {
		var err error
		if all, err = DecodeList(all, l); err != nil {
			return nil, err
		}
		if len(runs) == 0 || runs[len(runs)-1] < len(all) {
			runs = append(runs, len(all))
		}
	}
	for _, d := range decoded {
		all = append(all, d...)
		if len(runs) == 0 || runs[len(runs)-1] < len(all) {
			runs = append(runs, len(all))
		}
	}
	if len(runs) > 1 {
		all = mergeRuns(all, runs)
		all = slices.Compact(all)
	}
	return all, nil
}

// Union is the sorted union of the occurrences of lists, in a slice of its
// own (not pooled).
func Union(lists [][]byte) ([]uint64, error) {
	occ, err := unionOf(lists, nil)
	if err != nil {
		return nil, err
	}
	out := slices.Clone(occ)
	occPool.put(occ)
	return out, nil
}

// markDecoded sets hit[k] for every targets[k] (ascending) that occ
// (ascending) holds: each target found by a search from the last one's
// place.
func markDecoded(occ, targets []uint64, hit []bool) {
	// Walk the shorter of the two, galloping in the longer: a short list
	// against many candidates costs its own length, not theirs.
	if len(occ) < len(targets) {
		k := 0
		for _, o := range occ {
			if k = seek(targets, k, o); k == len(targets) {
				return
			}
			if targets[k] == o {
				hit[k] = true
			}
		}
		return
	}
	j := 0
	for k, t := range targets {
		if j = seek(occ, j, t); j == len(occ) {
			return
		}
		if occ[j] == t {
			hit[k] = true
		}
	}
}

// seek returns the first index at or after from where xs (ascending)
// holds v or more, or len(xs): a gallop from from, then a binary search of
// the last step.
func seek(xs []uint64, from int, v uint64) int {
	step := 1
	for from+step < len(xs) && xs[from+step] < v {
		step *= 2
	}
	lo, hi := from, min(from+step+1, len(xs))
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if xs[m] < v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// mergeRuns sorts all, which is sorted runs ending at runs, by merging
// neighbouring runs pairwise: each list is already in order, and merging
// r runs costs log r passes where a sort cost log n.
func mergeRuns(all []uint64, runs []int) []uint64 {
	buf := occPool.get(len(all))[:len(all)]
	for len(runs) > 1 {
		var next []int
		lo := 0
		for i := 0; i < len(runs); i += 2 {
			if i+1 == len(runs) {
				copy(buf[lo:runs[i]], all[lo:runs[i]])
				next = append(next, runs[i])
				break
			}
			mid, hi := runs[i], runs[i+1]
			a, b, o := lo, mid, lo
			for a < mid && b < hi {
				if all[b] < all[a] {
					buf[o] = all[b]
					b++
				} else {
					buf[o] = all[a]
					a++
				}
				o++
			}
			o += copy(buf[o:], all[a:mid])
			copy(buf[o:], all[b:hi])
			next = append(next, hi)
			lo = hi
		}
		all, buf, runs = buf, all, next
	}
	occPool.put(buf)
	return all
}

// mergeInPlace sorts seg, which is sorted runs ending at runs, as
// mergeRuns does, leaving the result in seg.
func mergeInPlace(seg []uint64, runs []int) {
	all := append(occPool.get(len(seg)), seg...)
	all = mergeRuns(all, runs)
	copy(seg, all)
	occPool.put(all)
}

// score turns a phrase's rows into BM25 contributions.
func score(hits []rowTF, st Stats) []Match {
	if len(hits) == 0 {
		return nil
	}
	n, N := float64(len(hits)), float64(st.Rows())
	idf := math.Log((N - n + 0.5) / (n + 0.5))
	if idf <= 0 {
		idf = 1e-6
	}
	avg := st.AvgLen()
	if avg <= 0 {
		avg = 1
	}
	out := matchPool.get(len(hits))[:len(hits)]
	for i, h := range hits {
		tf, dl := float64(h.tf), float64(h.len)
		out[i] = Match{Row: h.row, Score: -idf * tf * (k1 + 1) / (tf + k1*(1-b+b*dl/avg)), At: h.at}
	}
	return out
}

// union merges two row-sorted lists, adding the scores of rows in both.
func union(a, c []Match) []Match {
	if len(a) == 0 {
		return c
	}
	out := matchPool.get(len(a) + len(c))
	i, j := 0, 0
	for i < len(a) && j < len(c) {
		switch {
		case a[i].Row < c[j].Row:
			out = append(out, a[i])
			i++
		case a[i].Row > c[j].Row:
			out = append(out, c[j])
			j++
		default:
			out = append(out, Match{a[i].Row, a[i].Score + c[j].Score, min(a[i].At, c[j].At)})
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, c[j:]...)
}

// intersect keeps the rows in both, adding their scores.
func intersect(a, c []Match) []Match {
	out := matchPool.get(min(len(a), len(c)))
	i, j := 0, 0
	for i < len(a) && j < len(c) {
		switch {
		case a[i].Row < c[j].Row:
			i++
		case a[i].Row > c[j].Row:
			j++
		default:
			out = append(out, Match{a[i].Row, a[i].Score + c[j].Score, min(a[i].At, c[j].At)})
			i++
			j++
		}
	}
	return out
}

// row is one row's positions (byte extent of each) and q's matches in it.
type row struct {
	starts, ends []int
	spans        [][2]int
}

// rowScratch is the memory analyzeRow works in, reused across snippets
// (a 2 KiB passage needs ~60 KiB of it, and a query cuts 20 snippets).
type rowScratch struct {
	toks         []tok
	at           []int32
	starts, ends []int
}

var rowScratches = sync.Pool{New: func() any { return new(rowScratch) }}

// release returns sc for reuse; what analyzeRow returned from it must no
// longer be used.
func (sc *rowScratch) release() {
	clear(sc.toks) // drop the term strings
	sc.toks, sc.at, sc.starts, sc.ends = sc.toks[:0], sc.at[:0], sc.starts[:0], sc.ends[:0]
	rowScratches.Put(sc)
}

// matcher is what analyzeRow needs of a query: every phrase's
// alternatives as sets, and the union of the first positions' (most row
// positions start no phrase, and are passed over with one look). It is
// read only: one serves every snippet of a query, on every core.
type matcher struct {
	phrases []Phrase
	sets    [][]altSet
	first   altSet
}

func newMatcher(q Query) *matcher {
	m := new(matcher)
	var firsts []Alt
	for _, g := range q {
		for i, ph := range g {
			if i > 0 && isBoost(g[:i], ph) {
				continue // its rows' spans are the prefix's
			}
			ss := make([]altSet, len(ph))
			for i, alts := range ph {
				ss[i] = newAltSet(alts)
			}
			m.phrases, m.sets = append(m.phrases, ph), append(m.sets, ss)
			firsts = append(firsts, ph[0]...)
		}
	}
	m.first = newAltSet(firsts)
	return m
}

// analyzeRow tokenizes text once for Snippet: the positions' byte extents
// and the spans of text that q's phrases match, in order (a prefix
// alternative covers only the syllable it names). The row's starts and
// ends live in sc. Only the first limit positions are tokenized (limit at
// most MaxPos+1); cut reports that text holds more.
func analyzeRow(m *matcher, text string, sc *rowScratch, limit int) (r row, cut bool) {
	// The tokens of every position, flat: position p's are
	// toks[at[p]:at[p+1]].
	guess := len(text)/2 + 8
	toks := slices.Grow(sc.toks[:0], guess)
	at := slices.Grow(sc.at[:0], guess)
	r.starts, r.ends = slices.Grow(sc.starts[:0], guess), slices.Grow(sc.ends[:0], guess)
	defer func() { sc.toks, sc.at, sc.starts, sc.ends = toks, at, r.starts, r.ends }()
	_, cut = tokensUpTo(text, limit, func(term string, pos, s, e int) {
		// A position the index keeps nothing at (the keys of a word in
		// lower case) is empty, at the end of the one before.
		for pos > len(r.starts) {
			end := 0
			if n := len(r.ends); n > 0 {
				end = r.ends[n-1]
			}
			r.starts, r.ends = append(r.starts, end), append(r.ends, end)
			at = append(at, int32(len(toks)))
		}
		if pos == len(r.starts) {
			r.starts, r.ends = append(r.starts, s), append(r.ends, e)
			at = append(at, int32(len(toks)))
		} else {
			r.ends[pos] = max(r.ends[pos], e)
		}
		toks = append(toks, tok{term, s, e})
	})
	at = append(at, int32(len(toks)))
	terms := func(p int) []tok { return toks[at[p]:at[p+1]] }
	npos := len(r.starts)
	phrases, sets, first := m.phrases, m.sets, m.first
	var spans [][2]int
	for p := range npos {
		if !first.maybe(terms(p)) {
			continue
		}
		for k, ph := range phrases {
			if p+len(ph) > npos {
				continue
			}
			var sp [2]int
			ok := true
			for i, alts := range ph {
				if alts == nil {
					continue // a wildcard
				}
				if !sets[k][i].maybe(terms(p + i)) {
					ok = false
					break
				}
				s, e, hit := matchAt(alts, terms(p+i))
				if !hit {
					ok = false
					break
				}
				if i == 0 {
					sp = [2]int{s, e}
				}
				sp[0], sp[1] = min(sp[0], s), max(sp[1], e)
			}
			if ok {
				spans = append(spans, sp) // the whole phrase: [P'yŏn Kyŏng-ch'ŏl]
			}
		}
	}
	slices.SortFunc(spans, func(x, y [2]int) int { return x[0] - y[0] })
	// Join overlapping spans.
	for _, s := range spans {
		if n := len(r.spans); n > 0 && s[0] <= r.spans[n-1][1] {
			r.spans[n-1][1] = max(r.spans[n-1][1], s[1])
			continue
		}
		r.spans = append(r.spans, s)
	}
	return r, cut
}

// altSet answers quickly whether one of a position's alternatives is
// among a row position's tokens, so that matchAt (which also finds the
// span, in the alternatives' order) runs only where one is.
type altSet struct {
	exact    map[string]bool
	syllable map[string]bool // one-syllable prefixes, by their 3 bytes
	prefix   []string        // other prefixes
}

func newAltSet(alts []Alt) altSet {
	s := altSet{exact: make(map[string]bool, len(alts)), syllable: map[string]bool{}}
	for _, a := range alts {
		switch {
		case !a.Prefix:
			s.exact[a.Term] = true
		case isSyllables(a.Term, 1):
			s.syllable[a.Term] = true
		default:
			s.prefix = append(s.prefix, a.Term)
		}
	}
	return s
}

func (s altSet) maybe(terms []tok) bool {
	for _, t := range terms {
		if s.exact[t.s] || len(t.s) >= 3 && len(s.syllable) > 0 && s.syllable[t.s[:3]] {
			return true
		}
		for _, p := range s.prefix {
			if strings.HasPrefix(t.s, p) {
				return true
			}
		}
	}
	return false
}

func matchAt(alts []Alt, terms []tok) (int, int, bool) {
	for _, a := range alts {
		for _, t := range terms {
			if a.Prefix && strings.HasPrefix(t.s, a.Term) {
				// The syllable's own bytes: a bigram's first syllable.
				_, n := utf8.DecodeRuneInString(t.s)
				return t.b, min(t.e, t.b+n), true
			}
			if t.s == a.Term {
				return t.b, t.e, true
			}
		}
	}
	return 0, 0, false
}
