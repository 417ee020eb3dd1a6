package hangul

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Constants of the Unicode Hangul syllable algorithm (Unicode Standard §3.12,
// reference/korean.md §1.5).
const (
	sBase  = 0xAC00
	lBase  = 0x1100
	vBase  = 0x1161
	tBase  = 0x11A7
	lCount = 19
	vCount = 21
	tCount = 28 // index 0 = no final
	nCount = vCount * tCount
	sCount = lCount * nCount
)

// Indices of the initial consonants (choseong) used by name here and there.
const (
	leadG  = 0  // ㄱ
	leadN  = 2  // ㄴ
	leadD  = 3  // ㄷ
	leadR  = 5  // ㄹ
	leadM  = 6  // ㅁ
	leadB  = 7  // ㅂ
	leadS  = 9  // ㅅ
	leadNG = 11 // ㅇ (silent initial)
	leadJ  = 12 // ㅈ
	leadC  = 14 // ㅊ
	leadK  = 15 // ㅋ
	leadT  = 16 // ㅌ
	leadP  = 17 // ㅍ
	leadH  = 18 // ㅎ
)

// Indices of some vowels (jungseong).
const (
	vowelWI = 16 // ㅟ
	vowelI  = 20 // ㅣ
)

// IsSyllable reports whether r is a precomposed modern Hangul syllable
// (U+AC00–U+D7A3).
func IsSyllable(r rune) bool { return r >= sBase && r < sBase+sCount }

// Decompose splits a precomposed syllable into its initial (0–18), vowel
// (0–20) and final (0–27, 0 = none) indices in Unicode conjoining-jamo
// order. ok is false, and the indices zero, when r is not a syllable.
func Decompose(r rune) (l, v, t int, ok bool) {
	if !IsSyllable(r) {
		return 0, 0, 0, false
	}
	s := int(r - sBase)
	return s / nCount, (s % nCount) / tCount, s % tCount, true
}

// Compose is the inverse of Decompose. ok is false when an index is out of
// range.
func Compose(l, v, t int) (rune, bool) {
	if l < 0 || l >= lCount || v < 0 || v >= vCount || t < 0 || t >= tCount {
		return 0, false
	}
	return rune(sBase + (l*vCount+v)*tCount + t), true
}

// compatLead and compatTail give the Hangul Compatibility Jamo letter
// (U+3131…) of an initial and a final index.
var (
	compatLead = [lCount]rune{'ㄱ', 'ㄲ', 'ㄴ', 'ㄷ', 'ㄸ', 'ㄹ', 'ㅁ', 'ㅂ', 'ㅃ', 'ㅅ', 'ㅆ', 'ㅇ', 'ㅈ', 'ㅉ', 'ㅊ', 'ㅋ', 'ㅌ', 'ㅍ', 'ㅎ'}
	compatTail = [tCount]rune{0, 'ㄱ', 'ㄲ', 'ㄳ', 'ㄴ', 'ㄵ', 'ㄶ', 'ㄷ', 'ㄹ', 'ㄺ', 'ㄻ', 'ㄼ', 'ㄽ', 'ㄾ', 'ㄿ', 'ㅀ', 'ㅁ', 'ㅂ', 'ㅄ', 'ㅅ', 'ㅆ', 'ㅇ', 'ㅈ', 'ㅊ', 'ㅋ', 'ㅌ', 'ㅍ', 'ㅎ'}
)

// compatCons maps the 30 compatibility consonants U+3131–U+314E to their
// initial index (-1: cannot begin a syllable) and final index (0: cannot end
// one).
var compatCons = [30]struct{ lead, tail int8 }{
	{0, 1}, {1, 2}, {-1, 3}, {2, 4}, {-1, 5}, {-1, 6}, {3, 7}, {4, 0}, {5, 8}, {-1, 9},
	{-1, 10}, {-1, 11}, {-1, 12}, {-1, 13}, {-1, 14}, {-1, 15}, {6, 16}, {7, 17}, {8, 0}, {-1, 18},
	{9, 19}, {10, 20}, {11, 21}, {12, 22}, {13, 0}, {14, 23}, {15, 24}, {16, 25}, {17, 26}, {18, 27},
}

// doubleTail gives the cluster final formed by final a followed by a
// consonant whose initial index is b (ㄱ+ㅅ=ㄳ …), or 0.
func doubleTail(a, b int) int {
	switch {
	case a == 1 && b == leadS:
		return 3
	case a == 4 && b == leadJ:
		return 5
	case a == 4 && b == leadH:
		return 6
	case a == 8:
		switch b {
		case leadG:
			return 9
		case leadM:
			return 10
		case leadB:
			return 11
		case leadS:
			return 12
		case leadT:
			return 13
		case leadP:
			return 14
		case leadH:
			return 15
		}
	case a == 17 && b == leadS:
		return 18
	}
	return 0
}

// compoundVowel gives the vowel formed by typing a then b as separate
// compatibility letters (ㅗ+ㅏ=ㅘ …), or -1.
func compoundVowel(a, b int) int {
	switch {
	case a == 8 && b == 0:
		return 9
	case a == 8 && b == 1:
		return 10
	case a == 8 && b == vowelI:
		return 11
	case a == 13 && b == 4:
		return 14
	case a == 13 && b == 5:
		return 15
	case a == 13 && b == vowelI:
		return 16
	case a == 18 && b == vowelI:
		return 19
	}
	return -1
}

// halfwidthToCompat maps a Halfwidth Hangul letter (U+FFA1–U+FFDC) to its
// compatibility jamo, or 0.
func halfwidthToCompat(r rune) rune {
	switch {
	case r >= 0xFFA1 && r <= 0xFFBE:
		return r - 0xFFA1 + 0x3131
	case r >= 0xFFC2 && r <= 0xFFC7:
		return r - 0xFFC2 + 0x314F
	case r >= 0xFFCA && r <= 0xFFCF:
		return r - 0xFFCA + 0x3155
	case r >= 0xFFD2 && r <= 0xFFD7:
		return r - 0xFFD2 + 0x315B
	case r >= 0xFFDA && r <= 0xFFDC:
		return r - 0xFFDA + 0x3161
	}
	return 0
}

// isHangulRune reports whether r is handled by the jamo composer: a
// syllable, a conjoining jamo, a compatibility jamo or a halfwidth letter.
func isHangulRune(r rune) bool {
	switch {
	case r < 0x1100:
		return false
	case r <= 0x11FF, IsSyllable(r):
		return true
	case r >= 0x3131 && r <= 0x318E:
		return true
	case r >= 0xA960 && r <= 0xA97F, r >= 0xD7B0 && r <= 0xD7FF:
		return true
	case r >= 0xFFA0 && r <= 0xFFDC:
		return true
	}
	return false
}

// IsJamo reports whether r is a Hangul letter that is not a precomposed
// syllable: conjoining jamo, compatibility jamo or a halfwidth letter.
func IsJamo(r rune) bool { return isHangulRune(r) && !IsSyllable(r) }

type jamoKind uint8

const (
	kindNone  jamoKind = iota // filler: ignored
	kindSyl                   // precomposed syllable
	kindLead                  // conjoining initial
	kindVowel                 // conjoining or compatibility vowel
	kindTail                  // conjoining final
	kindCons                  // compatibility consonant: initial or final
	kindLone                  // archaic jamo: never composed
)

// classify returns what the composer should do with r, and the index.
func classify(r rune) (jamoKind, int, bool) {
	if c := halfwidthToCompat(r); c != 0 {
		r = c
	}
	switch {
	case IsSyllable(r):
		return kindSyl, int(r - sBase), false
	case r >= lBase && r < lBase+lCount:
		return kindLead, int(r - lBase), false
	case r >= vBase && r < vBase+vCount:
		return kindVowel, int(r - vBase), false
	case r > tBase && r < tBase+tCount:
		return kindTail, int(r - tBase), false
	case r >= 0x3131 && r <= 0x314E:
		return kindCons, int(r - 0x3131), true
	case r >= 0x314F && r <= 0x3163:
		return kindVowel, int(r - 0x314F), true
	case r == 0x3164 || r == 0x115F || r == 0x1160 || r == 0xFFA0:
		return kindNone, 0, false
	}
	return kindLone, 0, false
}

// composer turns a run of Hangul runes into syllables and lone letters. It
// composes conjoining sequences (L V T) as NFC does, and compatibility or
// halfwidth letters the way a Korean keyboard does: a consonant after a
// vowel is a final until another vowel takes it ("ㄱㅣㅁ" is 김, "ㄱㅣㅁㅣ" is
// 기미). NFKC alone gets the latter wrong (§1.5 gotcha).
type composer struct {
	active     bool
	l, v, t    int
	start, end int
	fixed      bool // precomposed or conjoining final: compatibility letters do not attach
	vCompat    bool // vowel typed as a compatibility letter: may compound
	soft       bool // final came from a compatibility consonant: a vowel may take it
	softLead   int  // initial index of the last consonant typed
	softPrevT  int  // final before that consonant (0 if it started the final)
	softStart  int  // where that consonant starts
	out        func(r rune, start, end int, syllable bool)
}

func (c *composer) flush() {
	if !c.active {
		return
	}
	c.active = false
	if c.v >= 0 {
		r, _ := Compose(c.l, c.v, c.t)
		c.out(r, c.start, c.end, true)
		return
	}
	c.out(compatLead[c.l], c.start, c.end, false)
}

func (c *composer) begin(l, v, t, start, end int) {
	*c = composer{out: c.out, active: true, l: l, v: v, t: t, start: start, end: end}
}

// feed adds one rune that satisfies isHangulRune, spanning [start, end).
func (c *composer) feed(r rune, start, end int) {
	kind, idx, compat := classify(r)
	switch kind {
	case kindNone:
		if c.active {
			c.end = end
		}
	case kindSyl:
		c.flush()
		c.begin(idx/nCount, (idx%nCount)/tCount, idx%tCount, start, end)
		c.fixed = true
	case kindLead:
		c.flush()
		c.begin(idx, -1, 0, start, end)
	case kindTail:
		if c.active && c.v >= 0 && c.t == 0 {
			c.t, c.end, c.fixed, c.soft = idx, end, true, false
			return
		}
		c.flush()
		c.out(compatTail[idx], start, end, false)
	case kindVowel:
		c.vowel(idx, compat, start, end)
	case kindCons:
		c.consonant(idx, start, end)
	default:
		c.flush()
		c.out(r, start, end, false)
	}
}

func (c *composer) vowel(v int, compat bool, start, end int) {
	switch {
	case c.active && c.v < 0:
		c.v, c.vCompat, c.end = v, compat, end
		return
	case c.active && c.t == 0 && !c.fixed && compat && c.vCompat:
		if cv := compoundVowel(c.v, v); cv >= 0 {
			c.v, c.end = cv, end
			return
		}
	case c.active && c.soft:
		// The last consonant typed begins a new syllable.
		lead, ss := c.softLead, c.softStart
		c.t, c.end = c.softPrevT, ss
		c.flush()
		c.begin(lead, v, 0, ss, end)
		c.vCompat = compat
		return
	}
	c.flush()
	c.out(rune(0x314F+v), start, end, false)
}

func (c *composer) consonant(i, start, end int) {
	lead, tail := int(compatCons[i].lead), int(compatCons[i].tail)
	if c.active && c.v >= 0 && !c.fixed {
		if c.t == 0 && tail > 0 {
			c.t, c.end, c.soft = tail, end, true
			c.softLead, c.softPrevT, c.softStart = lead, 0, start
			if lead < 0 { // a cluster letter such as ㄳ: nothing to take
				c.soft = false
			}
			return
		}
		if c.soft && c.softPrevT == 0 && lead >= 0 {
			if d := doubleTail(c.t, lead); d > 0 {
				c.softPrevT, c.t, c.end = c.t, d, end
				c.softLead, c.softStart = lead, start
				return
			}
		}
	}
	c.flush()
	if lead >= 0 {
		c.begin(lead, -1, 0, start, end)
		return
	}
	c.out(rune(0x3131+i), start, end, false)
}

// Normalize returns s in NFC, with Hangul written as precomposed syllables:
// conjoining jamo sequences are composed, and runs of compatibility or
// halfwidth letters are composed as a keyboard would ("ㄱㅣㅁ" → "김").
// Letters that form no syllable are returned as compatibility jamo
// ("ᄏ", "ﾻ" → "ㅋ"). Other text is only NFC-normalized: Normalize MUST NOT
// be used to fold case or diacritics (the tokenizer does that). Invalid
// UTF-8 is replaced by U+FFFD.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	var c composer
	c.out = func(r rune, _, _ int, _ bool) { b.WriteRune(r) }
	other := -1 // start of a pending non-Hangul stretch
	for i, r := range s {
		if isHangulRune(r) {
			if other >= 0 {
				b.WriteString(norm.NFC.String(strings.ToValidUTF8(s[other:i], "\uFFFD")))
				other = -1
			}
			c.feed(r, i, i+utf8.RuneLen(r))
			continue
		}
		c.flush()
		if other < 0 {
			other = i
		}
	}
	c.flush()
	if other >= 0 {
		b.WriteString(norm.NFC.String(strings.ToValidUTF8(s[other:], "\uFFFD")))
	}
	return b.String()
}

// Choseong returns the initial consonants of the Hangul syllables in s as
// compatibility jamo ("김정일" → "ㄱㅈㅇ"), for initial-consonant search.
// Characters that are not syllables are dropped, except spaces, which are
// kept once between groups.
func Choseong(s string) string {
	var b strings.Builder
	space := false
	for _, r := range Normalize(s) {
		if l, _, _, ok := Decompose(r); ok {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(compatLead[l])
		} else if r == ' ' {
			space = true
		}
	}
	return b.String()
}
