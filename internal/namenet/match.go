package namenet

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"sori/internal/hangul"
)

// Span is where text spells a sealed form: byte offsets into the text,
// End exclusive, both on rune boundaries.
type Span struct {
	Start, End int
	Label      string
}

// Matcher finds the forms of a Set in text.
type Matcher struct {
	key [32]byte
	set Set
}

// NewMatcher returns a Matcher for the hashes in set, made under key. The
// set is not copied and MUST NOT change while the Matcher is in use.
func NewMatcher(key [32]byte, set Set) *Matcher {
	return &Matcher{key: key, set: set}
}

// Empty reports whether the Matcher has nothing to find; Find then returns
// nil at once, and callers can skip reading text for it.
func (m *Matcher) Empty() bool { return m == nil || len(m.set) == 0 }

// syl is one syllable position of the text: a Hangul syllable, or one
// syllable of a romanized word.
type syl struct {
	k0, k1 int32 // its keys: finder.keys[k0:k1]
	s, e   int32 // the syllable (Hangul) or its whole word (romanized)
	word   int32 // index of its word: Hangul syllables of one run share none
	latin  bool
	folded string // the folded word, on a romanized word's first syllable
}

func (x syl) nkeys() int { return int(x.k1 - x.k0) }

// Find returns where text spells a form of the set, sorted by start and
// not overlapping: where candidates overlap, the one starting first wins,
// then the longer, then a full name over a given name. A Hangul match
// covers its syllables only (박철민 of 박철민은); a romanized one the words
// it spans ("Pak Ch'ŏl-min", "Cheol-min Park"). Phone numbers and e-mail
// addresses whose forms were hashed (ContactForms) are found too, however
// the number is spaced or prefixed. Text may be NFC, NFD or written in
// compatibility characters (fullwidth letters, compatibility jamo), which
// are read as their NFKC form; spans are always of text as given. Invalid
// UTF-8 separates words.
func (m *Matcher) Find(text string) []Span {
	if m.Empty() {
		return nil
	}
	c, compat := toCompat(text)
	if compat {
		text = c.text
	}
	f := finder{m: m, text: text, mac: newMacer(m.key), cache: map[winKey][]string{}}
	f.scan()
	f.contacts()
	spans := f.resolve()
	if compat && len(spans) > 0 {
		return c.back(spans)
	}
	return spans
}

type finder struct {
	m      *Matcher
	text   string
	mac    *macer
	syls   []syl
	keys   []string // the syllables' keys, in order
	seq    [][]string
	found  []match
	buf    []byte // hashDomain, then the form being tried
	combos int
	cache  map[winKey][]string // labels found per window already tried
	hashed int                 // forms hashed in all
}

type match struct {
	Span
	given bool
}

// scan reads the text's syllable positions from the search tokenizer (see
// hangul.Tokenize: a Hangul syllable is a unigram with its key co-located;
// a romanized word is the word, its first syllable's keys co-located, and a
// position of keys per further syllable), then tries every window.
func (f *finder) scan() {
	var word int32 = -1
	cur := -1 // index in syls of the position being filled, or -1
	inWord := false
	f.syls = make([]syl, 0, len(f.text)/3+1)
	f.keys = make([]string, 0, len(f.text)/2+1)
	add := func(x syl) {
		x.k0, x.k1 = int32(len(f.keys)), int32(len(f.keys))
		f.syls = append(f.syls, x)
		cur = len(f.syls) - 1
	}
	_ = hangul.Tokenize(f.text, func(tok string, s, e int, col bool) error {
		isKey := strings.HasPrefix(tok, hangul.KeyPrefix)
		switch {
		case !col && !isKey:
			// A new unigram or word.
			r, _ := utf8.DecodeRuneInString(tok)
			word++
			inWord = false
			switch {
			case hangul.IsSyllable(r):
				add(syl{s: int32(s), e: int32(e), word: word})
			case unicode.IsLetter(r):
				inWord = true
				add(syl{s: int32(s), e: int32(e), word: word, latin: true, folded: tok})
			default:
				add(syl{s: int32(s), e: int32(e), word: word}) // a break: no keys
				cur = -1
			}
		case !col && isKey:
			// A further syllable of the romanized word.
			if !inWord {
				cur = -1
				return nil
			}
			add(syl{s: int32(s), e: int32(e), word: word, latin: true})
			fallthrough
		case isKey && cur >= 0:
			f.keys = append(f.keys, tok[len(hangul.KeyPrefix):])
			f.syls[cur].k1 = int32(len(f.keys))
		}
		return nil
	})
	// A romanized word whose first position got no keys is not romanized
	// Korean: a break.
	for i := range f.syls {
		if f.syls[i].latin && f.syls[i].nkeys() == 0 {
			f.syls[i].latin = false
		}
	}
	f.hangulWindows()
	f.latinWindows()
}

func (f *finder) keysOf(x syl) []string { return f.keys[x.k0:x.k1] }

// hangulWindows tries every run of 2 to maxSyllables adjacent Hangul
// syllables; a run may continue across one space after a whole word of one
// or two syllables (a surname written apart: 박 철민).
func (f *finder) hangulWindows() {
	ss := f.syls
	for i := range ss {
		if ss[i].latin || ss[i].nkeys() != 1 {
			continue
		}
		seq := f.seq[:0]
		for j := i; j < len(ss) && j-i < maxSyllables; j++ {
			if ss[j].latin || ss[j].nkeys() != 1 {
				break
			}
			if j > i && !f.adjacent(j-1, j) && !f.apart(i, j) {
				break
			}
			seq = append(seq, f.keysOf(ss[j]))
			if len(seq) >= minSyllables {
				f.try(winKey{text: f.text[ss[i].s:ss[j].e], n: int(ss[j].e - ss[i].s)}, seq, int(ss[i].s), int(ss[j].e))
			}
		}
		f.seq = seq
	}
}

// apart reports whether syllables i..j-1 are a whole Hangul word of one or
// two syllables followed by one space before syllable j (박 철민).
func (f *finder) apart(i, j int) bool {
	if j-i > 2 || f.adjacent(i-1, i) {
		return false
	}
	gap := f.text[int(f.syls[j-1].e):int(f.syls[j].s)]
	return gap == " " || gap == "\t" || gap == "\u00a0"
}

// adjacent reports whether positions a and b are Hangul syllables next to
// each other in one run.
func (f *finder) adjacent(a, b int) bool {
	if a < 0 || b >= len(f.syls) {
		return false
	}
	x, y := f.syls[a], f.syls[b]
	return !x.latin && !y.latin && x.nkeys() == 1 && y.nkeys() == 1 && x.e == y.s
}

// latinWindows tries every sequence of 1 to maxWords adjacent romanized
// words of 2 to maxSyllables syllables in all, as written and, when its
// last word spells a surname, with that word first (Cheol-min Park).
func (f *finder) latinWindows() {
	ss := f.syls
	// words: start index in syls of each romanized word, and its length.
	type wd struct{ at, n int }
	var words []wd
	for i := 0; i < len(ss); {
		j := i + 1
		for j < len(ss) && ss[j].word == ss[i].word {
			j++
		}
		if ss[i].latin {
			words = append(words, wd{i, j - i})
		} else {
			words = append(words, wd{-1, 0})
		}
		i = j
	}
	for a := range words {
		if words[a].at < 0 {
			continue
		}
		n := 0
		for b := a; b < len(words) && b-a < maxWords; b++ {
			w := words[b]
			if w.at < 0 {
				break
			}
			if b > a && !f.joins(int(ss[words[b-1].at].e), int(ss[w.at].s)) {
				break
			}
			n += w.n
			if n > maxSyllables {
				break
			}
			if n < minSyllables {
				continue
			}
			start, end := int(ss[words[a].at].s), int(ss[w.at].e)
			var seq [][]string
			for _, x := range ss[words[a].at : w.at+w.n] {
				seq = append(seq, f.keysOf(x))
			}
			f.try(f.latinKey(start, end, false), seq, start, end)
			if b > a && len(hangul.SurnamesSpelled(ss[w.at].folded)) > 0 {
				last := seq[len(seq)-w.n:]
				f.try(f.latinKey(start, end, true), append(slices.Clone(last), seq[:len(seq)-w.n]...), start, end)
			}
		}
	}
}

// joins reports whether the text between two romanized words lets them
// be one name: spaces, hyphens, a comma (Park, Cheol-min) or a middle dot,
// at most four bytes and no line break.
func (f *finder) joins(from, to int) bool {
	gap := f.text[from:to]
	if gap == "" || len(gap) > 4 {
		return gap == ""
	}
	for _, r := range gap {
		switch r {
		case ' ', '\t', '-', '\u2010', '\u2011', ',', '·', '\u00a0':
		default:
			return false
		}
	}
	return true
}

// try hashes every reading of seq (one key set per syllable) and records a
// match over [s, e) for each one in the set. Windows with more than
// maxCombos readings are tried only up to that many. key names the window
// for the cache: text that determines its readings.
func (f *finder) try(key winKey, seq [][]string, s, e int) {
	if labels, ok := f.cache[key]; ok {
		for _, l := range labels {
			f.found = append(f.found, match{Span{s, e, l}, IsGiven(l)})
		}
		return
	}
	f.combos = 0
	f.buf = append(f.buf[:0], hashDomain...)
	n := len(f.found)
	f.tryFrom(seq, 0, s, e)
	if f.cache != nil && len(f.cache) < maxCache {
		var labels []string
		for _, m := range f.found[n:] {
			labels = append(labels, m.Label)
		}
		f.cache[key] = labels
	}
}

// winKey is what a window's readings depend on: its text and, for a
// romanized one, the few bytes after it (a hyphen and the next letter
// condition the last syllable's keys), and whether it is read last word
// first.
type winKey struct {
	text string // the window, then (romanized) up to 6 bytes after it
	n    int    // the window's length in bytes
	rev  bool
}

// maxCache bounds the windows one Find remembers: text repeats words and
// names, and a romanized window costs a hash per reading.
const maxCache = 1 << 16

// latinKey is the cache key of the romanized window [s, e).
func (f *finder) latinKey(s, e int, rev bool) winKey {
	return winKey{f.text[s:min(len(f.text), e+6)], e - s, rev}
}

func (f *finder) tryFrom(seq [][]string, i, s, e int) {
	if i == len(seq) {
		f.combos++
		f.hashed++
		if label, ok := f.m.set[f.mac.mac(f.buf)]; ok {
			f.found = append(f.found, match{Span{s, e, label}, IsGiven(label)})
		}
		return
	}
	n := len(f.buf)
	for _, k := range seq[i] {
		if f.combos >= maxCombos {
			return
		}
		if i > 0 {
			f.buf = append(f.buf, '.')
		}
		f.buf = append(f.buf, k...)
		f.tryFrom(seq, i+1, s, e)
		f.buf = f.buf[:n]
	}
}

// resolve sorts the matches and drops those overlapping an earlier one.
func (f *finder) resolve() []Span {
	if len(f.found) == 0 {
		return nil
	}
	slices.SortFunc(f.found, func(a, b match) int {
		switch {
		case a.Start != b.Start:
			return a.Start - b.Start
		case a.End != b.End:
			return b.End - a.End
		case a.given != b.given:
			if a.given {
				return 1
			}
			return -1
		}
		return strings.Compare(a.Label, b.Label)
	})
	var out []Span
	end := -1
	for _, x := range f.found {
		if x.Start >= end {
			out = append(out, x.Span)
			end = x.End
		}
	}
	return out
}
