package hangul

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// KeyPrefix begins every name-key token ("~bak"), and a query string that
// begins with it is tokenized as a name (see TokenizeQuery). The tokenizer
// never produces it from text, because "~" separates tokens.
const KeyPrefix = "~"

// TokenFunc receives one token: its text, the byte span [start, end) of the
// original text it came from, and whether it shares the position of the
// token before it (FTS5_TOKEN_COLOCATED). A non-nil error stops
// tokenization and is returned.
type TokenFunc func(token string, start, end int, colocated bool) error

// Tokenize emits the tokens of a document, in text order, as an FTS5
// tokenizer must for FTS5_TOKENIZE_DOCUMENT:
//
//   - A run of Hangul syllables gives each syllable as a unigram, each on its
//     own position, with the bigram it begins and its name key (KeyPrefix +
//     SyllableKey) co-located: 두만강 → 두 두만 ~du | 만 만강 ~man | 강 ~gang.
//     The first syllable of the run is written in its southern form
//     (SouthInitial): 로동 indexes as 노 노동 | 동.
//   - Jamo are composed first (see Normalize); a letter that forms no
//     syllable is a unigram of its own (ㅋ).
//   - Latin and other alphabetic words are lower-cased, decomposed (NFKD)
//     and stripped of combining marks (Ch'ŏl → chol); apostrophes inside a
//     word are removed, except a possessive 's, which is dropped (Kim's →
//     kim); hyphens and all other punctuation separate words. Letters and
//     digits together form one word; digits alone are a word too.
//   - A word that segments into romanized Korean syllables (see Segment)
//     is followed by their name keys: the first syllable's keys co-located
//     with the word, each further syllable's keys on a new position, so that
//     "Jongil" takes two positions like 정일 and "Jong-il".
//   - Han ideographs and kana are unigrams (NFKC: compatibility
//     ideographs unified, halfwidth kana widened).
//
// Every emitted token is non-empty; start < end ≤ len(text), on UTF-8
// boundaries; starts never decrease; the first token is not co-located.
// Invalid UTF-8 separates tokens.
func Tokenize(text string, fn TokenFunc) error {
	return run(text, 0, modeDoc, fn)
}

// TokenizeQuery emits the tokens of a query string, as an FTS5 tokenizer
// must for FTS5_TOKENIZE_QUERY (and FTS5_TOKENIZE_PREFIX). FTS5 calls it on
// each quoted string or bareword of a MATCH expression and matches the
// tokens as a phrase, treating co-located tokens as alternatives. It keeps
// the positions Tokenize gives, so any phrase of a document is found:
//
//   - A Hangul run of one syllable is its unigram; a longer run is its
//     bigrams, each with its North/South spelling alternatives co-located
//     (조선노동당 also finds 조선로동당; see Variants), plus the unigram of
//     its last syllable if more tokens follow in the same string.
//   - A word is itself, followed by the name keys of its second and later
//     syllables (which occupy positions in the document); the first
//     syllable's keys are not offered, so a plain word query finds only the
//     word.
//
// A string that begins with KeyPrefix is a name query: each Hangul syllable
// gives its key and each romanized syllable its keys (co-located), one
// position per syllable, and nothing else is emitted. A romanized word is
// read with the query grammar (see queryWordKeys), which also knows Yale
// and RR transliteration, so it may have more keys than in a document. "~박철민", "~Pak Chol
// Min" and "~Park Cheol-min" thus all find 박철민, Pak Chol Min, Park
// Cheol-min and Pak Ch'ŏl-min in documents.
func TokenizeQuery(text string, fn TokenFunc) error {
	if strings.HasPrefix(text, KeyPrefix) {
		return run(text, len(KeyPrefix), modeKeys, fn)
	}
	return run(text, 0, modeQuery, fn)
}

// IndexFunc receives a token the index keeps: its text, its position
// (from 0) and the byte span [start, end) of the text it came from.
type IndexFunc func(token string, pos, start, end int)

// TokenizeIndex gives the tokens of a document that a positional index
// built on bigrams keeps, with their positions: Tokenize's stream without
// what a query never needs stored.
//
//   - A Hangul syllable's position holds only the bigram it begins, or,
//     for the last syllable of a run, its unigram (두만강 → 두만 | 만강 |
//     강); its unigram and name key, which Tokenize co-locates there, are
//     left out (a one-syllable query term is a prefix of the bigrams, and a
//     name key is expanded to its syllables).
//   - A romanized word keeps its name keys only where Keyed says a name
//     can stand; elsewhere the positions of its later syllables are kept,
//     holding nothing, so that phrases line up whatever the case.
//
// Every position is as in Tokenize. Positions stop before limit: n is the
// number given, and more reports that text holds more.
func TokenizeIndex(text string, limit int, fn IndexFunc) (n int, more bool) {
	t := &tokenizer{text: text, mode: modeIndex, ifn: fn, pos: -1, limit: limit}
	t.start(0)
	return t.pos + 1, t.err == errMore
}

// errMore stops TokenizeIndex at its limit of positions.
var errMore = errors.New("more positions")

// Keyed reports whether the index keeps the name keys of the romanized
// word that begins at byte start of text: whether the word begins with a
// capital letter, or follows a hyphen that follows such a word, and is
// not the one-letter "I" or "A" standing alone before a word in lower
// case. English words thus keep their keys only at the start of a
// sentence, which keeps the key lists of common syllables ("~go", "~man",
// "~i") short; a name written all in lower case is still found by its
// spelling, but not by another romanization of it.
func Keyed(text string, start int) bool {
	r, n := utf8.DecodeRuneInString(text[start:])
	if unicode.IsUpper(r) {
		next, nn := utf8.DecodeRuneInString(text[start+n:])
		if (r != 'I' && r != 'A') || unicode.IsLetter(next) || unicode.IsMark(next) || isHyphen(next) {
			return true
		}
		// A lone I or A is the pronoun or the article ("I was", "A
		// guard") unless a capitalized word follows, as in the name
		// I Cheol-eun (이철은 in Revised Romanization).
		if next != ' ' {
			return false
		}
		after, _ := utf8.DecodeRuneInString(text[start+n+nn:])
		return unicode.IsUpper(after)
	}
	if start == 0 {
		return false
	}
	h, hn := utf8.DecodeLastRuneInString(text[:start])
	if !isHyphen(h) {
		return false
	}
	// The word before the hyphen: its first letter.
	i := start - hn
	first := -1
	for i > 0 {
		r, n := utf8.DecodeLastRuneInString(text[:i])
		if !unicode.IsLetter(r) && !unicode.IsMark(r) && r != '\'' && r != '\u2019' && r != '\u02BC' {
			break
		}
		i -= n
		first = i
	}
	if first < 0 {
		return false
	}
	r, _ = utf8.DecodeRuneInString(text[first:])
	return unicode.IsUpper(r)
}

type mode uint8

const (
	modeDoc mode = iota
	modeQuery
	modeKeys
	modeIndex
)

type unit struct {
	r    rune
	s, e int
	raw  bool // text[s:e] is exactly r
}

type tokenizer struct {
	text    string
	mode    mode
	fn      TokenFunc
	err     error
	started bool

	ifn        IndexFunc // index mode: fn's place
	pos, limit int       // index mode: the current position, the first not given

	pend    unit // query mode: unigram owed before the next token
	hasPend bool

	comp composer
	syls []unit

	word         []byte
	wS, wE       int
	wRaw, wAlpha bool
	scratch      []byte
}

func run(text string, from int, m mode, fn TokenFunc) error {
	t := &tokenizer{text: text, mode: m, fn: fn}
	t.start(from)
	return t.err
}

// start tokenizes t.text from byte from.
func (t *tokenizer) start(from int) {
	text := t.text
	t.comp.out = t.jamoOut
	for i := from; i < len(text) && t.err == nil; {
		c := text[i]
		if c < utf8.RuneSelf {
			switch {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
				t.flushHangul()
				t.addByte(c, i, i+1, true)
			case 'A' <= c && c <= 'Z':
				t.flushHangul()
				t.addByte(c+'a'-'A', i, i+1, false)
			case c == '\'' || c == '`':
				i += t.apostrophe(i, 1)
				continue
			default:
				t.flushAll()
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			t.flushAll()
		case IsSyllable(r) && !t.comp.active && !slowPath && !jamoAt(text, i+size):
			// A precomposed syllable that nothing after it can change
			// (only a conjoining or filler letter can): the composer's
			// decomposition and composition would give it back as it is.
			t.flushWord()
			t.syls = append(t.syls, unit{r, i, i + size, true})
		case isHangulRune(r):
			t.flushWord()
			t.comp.feed(r, i, i+size)
		case isApostrophe(r):
			size = t.apostrophe(i, size)
		case isIdeo(r):
			t.flushAll()
			t.ideograph(r, i, i+size)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			t.flushHangul()
			t.letter(r, i, i+size)
		case unicode.IsMark(r):
			if len(t.word) > 0 {
				t.wE, t.wRaw = i+size, false
			}
			// A mark between jamo blocks their composition, as in NFC
			// (ᄀ + U+064B + ᅵ is not 기); the syllable run goes on.
			t.comp.flush()
		default:
			t.flushAll()
		}
		i += size
	}
	t.flushAll()
}

// slowPath sends every syllable through the composer (tests compare the
// two ways).
var slowPath = false

// jamoAt reports whether text holds, at i, a Hangul rune that is not a
// precomposed syllable: a letter the composer may join to the syllable
// before it.
func jamoAt(text string, i int) bool {
	if i >= len(text) || text[i] < utf8.RuneSelf {
		return false
	}
	r, _ := utf8.DecodeRuneInString(text[i:])
	return isHangulRune(r) && !IsSyllable(r)
}

func isIdeo(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r)
}

func (t *tokenizer) emit(tok string, s, e int, colocated bool) {
	if t.err != nil {
		return
	}
	if t.mode == modeIndex {
		if (colocated && t.pos >= 0) || t.advance() {
			t.ifn(tok, t.pos, s, e)
		}
		return
	}
	if !colocated && t.hasPend {
		t.hasPend = false
		p := t.pend
		t.started = true
		if t.err = t.fn(t.syl1(p.r, p), p.s, p.e, false); t.err != nil {
			return
		}
	}
	if !t.started {
		colocated = false
	}
	t.started = true
	t.err = t.fn(tok, s, e, colocated)
}

// advance moves index mode to a new position, or stops it at its limit.
func (t *tokenizer) advance() bool {
	if t.pos >= t.limit-1 {
		t.err = errMore
		return false
	}
	t.pos++
	return true
}

func (t *tokenizer) flushAll() {
	t.flushHangul()
	t.flushWord()
}

// --- Hangul ---

func (t *tokenizer) flushHangul() {
	t.comp.flush()
	t.flushRun()
}

func (t *tokenizer) jamoOut(r rune, s, e int, syllable bool) {
	if syllable {
		d, n := utf8.DecodeRuneInString(t.text[s:e])
		raw := d == r && n == e-s
		t.syls = append(t.syls, unit{r, s, e, raw})
		return
	}
	t.flushRun()
	if t.mode != modeKeys {
		t.emit(string(r), s, e, false)
	}
}

// syl1 is the text of a unigram, sliced from the input when possible.
func (t *tokenizer) syl1(r rune, u unit) string {
	if u.raw && r == u.r {
		return t.text[u.s:u.e]
	}
	return string(r)
}

func (t *tokenizer) syl2(a rune, ua unit, b rune, ub unit) string {
	if ua.raw && ub.raw && a == ua.r && b == ub.r && ua.e == ub.s {
		return t.text[ua.s:ub.e]
	}
	return string([]rune{a, b})
}

func (t *tokenizer) flushRun() {
	syls := t.syls
	n := len(syls)
	if n == 0 {
		return
	}
	t.syls = syls[:0]
	canon := func(i int) rune {
		if i == 0 {
			return SouthInitial(syls[0].r)
		}
		return syls[i].r
	}
	switch t.mode {
	case modeIndex:
		for i, u := range syls {
			c := canon(i)
			if i+1 < n {
				t.emit(t.syl2(c, u, syls[i+1].r, syls[i+1]), u.s, syls[i+1].e, false)
			} else {
				t.emit(t.syl1(c, u), u.s, u.e, false)
			}
		}
	case modeDoc:
		for i, u := range syls {
			c := canon(i)
			t.emit(t.syl1(c, u), u.s, u.e, false)
			if i+1 < n {
				t.emit(t.syl2(c, u, syls[i+1].r, syls[i+1]), u.s, syls[i+1].e, true)
			}
			k, _ := syllableKeyID(u.r)
			t.emit(k.token(), u.s, u.e, true)
		}
	case modeQuery:
		if n == 1 {
			// The syllable as written (inside words it is indexed as is)
			// or in its southern form (how a word-initial one is indexed):
			// 리 finds 관리소 and 리학연 (indexed 이학연).
			u := syls[0]
			t.emit(t.syl1(u.r, u), u.s, u.e, false)
			if c := canon(0); c != u.r {
				t.emit(string(c), u.s, u.e, true)
			}
			return
		}
		for i := 0; i+1 < n; i++ {
			a, b := canon(i), canon(i+1)
			s, e := syls[i].s, syls[i+1].e
			t.emit(t.syl2(a, syls[i], b, syls[i+1]), s, e, false)
			for _, alt := range bigramVariants(syls[i].r, a, b) {
				t.emit(alt, s, e, true)
			}
		}
		last := syls[n-1]
		t.pend, t.hasPend = last, true
	case modeKeys:
		for _, u := range syls {
			k, _ := syllableKeyID(u.r)
			t.emit(k.token(), u.s, u.e, false)
		}
	}
}

// maxVariants caps the spelling alternatives offered for one query bigram.
const maxVariants = 8

// bigramVariants returns the other spellings of the bigram ab: a's written
// form orig if canonicalization changed it, and the North/South Variants of
// both syllables.
func bigramVariants(orig, a, b rune) []string {
	as := Variants(a)
	if orig != a && !slices.Contains(as, orig) {
		as = append(as, orig)
	}
	bs := Variants(b)
	var out []string
	for i, x := range as {
		for j, y := range bs {
			if (i > 0 || j > 0) && len(out) < maxVariants {
				out = append(out, string([]rune{x, y}))
			}
		}
	}
	return out
}

// --- Han ideographs and kana ---

func (t *tokenizer) ideograph(r rune, s, e int) {
	if t.mode == modeKeys {
		return
	}
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	if norm.NFKC.Properties(buf[:n]).Decomposition() == nil {
		t.emit(t.text[s:e], s, e, false) // already NFKC
		return
	}
	t.scratch = norm.NFKC.Append(t.scratch[:0], buf[:n]...)
	for _, d := range string(t.scratch) {
		if !unicode.IsMark(d) && !unicode.IsSpace(d) {
			t.emit(string(d), s, e, false)
		}
	}
}

// --- words ---

func (t *tokenizer) addByte(c byte, s, e int, raw bool) {
	if len(t.word) == 0 {
		t.wS, t.wRaw, t.wAlpha = s, true, true
	} else if e-1 != t.wE {
		t.wRaw = false
	}
	t.word = append(t.word, c)
	t.wE = e
	t.wRaw = t.wRaw && raw
	t.wAlpha = t.wAlpha && c >= 'a'
}

// letter adds a non-ASCII letter or digit, folded.
func (t *tokenizer) letter(r rune, s, e int) {
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	dec := norm.NFKD.Properties(buf[:n]).Decomposition() // nil: r is its own
	if dec == nil {
		dec = buf[:n]
	}
	for len(dec) > 0 {
		d, size := utf8.DecodeRune(dec)
		dec = dec[size:]
		switch {
		case unicode.IsMark(d) || isApostrophe(d):
			if len(t.word) > 0 {
				t.wE = e
			}
		case unicode.IsLetter(d) || unicode.IsDigit(d):
			if d < utf8.RuneSelf {
				t.addByte(byte(unicode.ToLower(d)), s, e, false)
				continue
			}
			if len(t.word) == 0 {
				t.wS = s
			}
			t.word = utf8.AppendRune(t.word, unicode.ToLower(d))
			t.wE, t.wRaw, t.wAlpha = e, false, false
		default:
			t.flushWord()
		}
	}
	t.wRaw = false
}

// apostrophe handles an apostrophe of size bytes at i and returns how many
// bytes it consumed: inside a word it is dropped (Ch'oe), a possessive 's
// ends the word and is skipped, and elsewhere it separates.
func (t *tokenizer) apostrophe(i, size int) int {
	if len(t.word) > 0 {
		rest := t.text[i+size:]
		r, n := utf8.DecodeRuneInString(rest)
		if (r == 's' || r == 'S') && !isWordStart(rest[n:]) {
			t.flushWord()
			return size + n
		}
		if isWordStart(rest) {
			t.wRaw = false
			return size
		}
	}
	t.flushAll()
	return size
}

// isWordStart reports whether s begins with a letter or digit that joins a
// word (not Hangul or an ideograph).
func isWordStart(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return (unicode.IsLetter(r) || unicode.IsDigit(r)) && !isHangulRune(r) && !isIdeo(r)
}

// hyphenNext returns the folded first letter of the word that follows end
// after a hyphen, or "".
func (t *tokenizer) hyphenNext(end int) string {
	r, n := utf8.DecodeRuneInString(t.text[end:])
	if !isHyphen(r) {
		return ""
	}
	rest := t.text[end+n:]
	if c := firstRuneLower(rest); c != "" {
		return c
	}
	r, _ = utf8.DecodeRuneInString(rest)
	if unicode.IsLetter(r) && !isHangulRune(r) {
		f := foldLatin(string(r))
		if f != "" && f[0] < utf8.RuneSelf {
			return f[:1]
		}
	}
	return ""
}

// isHyphen reports whether r joins the syllables of a romanized name
// ("Jong-il"): the hyphen-minus, U+2010 HYPHEN or U+2011 NON-BREAKING
// HYPHEN.
func isHyphen(r rune) bool { return r == '-' || r == '\u2010' || r == '\u2011' }

func (t *tokenizer) flushWord() {
	if len(t.word) == 0 {
		return
	}
	var tok string
	if t.wRaw {
		tok = t.text[t.wS:t.wE]
	} else {
		tok = string(t.word)
	}
	t.word = t.word[:0]
	s, e := t.wS, t.wE
	var keys [][]keyID
	if t.wAlpha && len(tok) <= maxSegWord {
		if t.mode == modeKeys {
			keys = queryWordKeys(tok, t.hyphenNext(e))
		} else {
			keys = t.wordKeys(tok, t.hyphenNext(e))
		}
	}
	switch t.mode {
	case modeDoc:
		t.emit(tok, s, e, false)
		t.emitKeys(keys, s, e, true)
	case modeIndex:
		t.emit(tok, s, e, false)
		if len(keys) == 0 {
			break
		}
		if Keyed(t.text, s) {
			t.emitKeys(keys, s, e, true)
			break
		}
		// The later syllables' positions, without their keys.
		for _, set := range keys[1:] {
			if len(set) > 0 && !t.advance() {
				break
			}
		}
	case modeQuery:
		t.emit(tok, s, e, false)
		if len(keys) > 1 {
			t.emitKeys(keys[1:], s, e, false)
		}
	case modeKeys:
		t.emitKeys(keys, s, e, false)
	}
}

// emitKeys emits one position per syllable (the first co-located with the
// previous token if firstColocated), its keys co-located with each other.
func (t *tokenizer) emitKeys(keys [][]keyID, s, e int, firstColocated bool) {
	for j, set := range keys {
		for k, id := range set {
			t.emit(id.token(), s, e, k > 0 || (j == 0 && firstColocated))
		}
	}
}

func (t *tokenizer) wordKeys(w, next string) [][]keyID {
	// The cache's key is the word, and the letter after a hyphen that
	// follows it: "ran-g" for the "Ran" of Ran-gil. A word holds no hyphen.
	ck := w
	if next != "" {
		ck = w + "-" + next
	}
	ks, ok := sharedKeys.get(ck)
	if !ok {
		ks = latinWordKeys(w, next)
		sharedKeys.put(ck, ks)
	}
	return ks
}

// sharedKeys remembers the keys of words across Tokenize calls: the index
// tokenizes a document passage by passage, and segmenting a word costs
// far more than looking it up. The slices are shared and never modified.
// It stops growing at keyCacheMax words (a fixed vocabulary is what
// repeats; the rest are computed each time).
var sharedKeys keyCache

const keyCacheMax = 1 << 17

// keyCache is read without a lock: the index build's workers look up
// every word, and a read lock's counter, written by each of them, cost a
// build 6% of its CPU in cache-line traffic between cores. Readers load
// the published map, which is never written again; a word computed since
// waits in pending (under the mutex, which only misses take) until there
// are enough of them to publish a new map with them.
type keyCache struct {
	published atomic.Pointer[map[string][][]keyID]
	mu        sync.Mutex
	pending   map[string][][]keyID
}

func (c *keyCache) get(k string) ([][]keyID, bool) {
	if m := c.published.Load(); m != nil {
		if ks, ok := (*m)[k]; ok {
			return ks, true
		}
	}
	// Under the mutex the published map is looked at again: the word may
	// have been published from pending since it was loaded above.
	c.mu.Lock()
	defer c.mu.Unlock()
	if m := c.published.Load(); m != nil {
		if ks, ok := (*m)[k]; ok {
			return ks, true
		}
	}
	ks, ok := c.pending[k]
	return ks, ok
}

func (c *keyCache) put(k string, ks [][]keyID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var old map[string][][]keyID
	if m := c.published.Load(); m != nil {
		old = *m
	}
	if len(old)+len(c.pending) >= keyCacheMax {
		return
	}
	if c.pending == nil {
		c.pending = make(map[string][][]keyID)
	}
	c.pending[strings.Clone(k)] = ks
	// Publishing copies the map, so it waits for an eighth of its size
	// in new words (a word costs a constant number of copies in all), or
	// for the cache to be full: words left pending would be read under
	// the mutex for good.
	if len(c.pending) < max(64, len(old)/8) && len(old)+len(c.pending) < keyCacheMax {
		return
	}
	m := make(map[string][][]keyID, len(old)+len(c.pending))
	maps.Copy(m, old)
	maps.Copy(m, c.pending)
	c.published.Store(&m)
	c.pending = nil
}
