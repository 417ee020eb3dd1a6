package hangul

import (
	"math/bits"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// foldLatin lower-cases s, decomposes it (NFKD), drops combining marks and
// apostrophes: "Ch'ŏl-Min" → "chol-min".
func foldLatin(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(s) {
		if unicode.IsMark(r) || isApostrophe(r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// A key names a class of Hangul syllables that romanized spellings cannot
// tell apart or that real-world spellings of one name confuse. It is built
// from the syllable's initial, vowel and final class after these mergers:
//
//   - ㄹ and ㄴ are one initial, and both are ㅇ before ㅣ or a y-vowel (the
//     initial-sound rule: 리 = 이 = 니, 로 = 노, 려 = 여 = 녀);
//   - ㅐ = ㅔ, ㅒ = ㅖ, ㅙ = ㅚ = ㅞ (merged in speech);
//   - finals by their seven sounds (빛 = 빗 = 빋).
//
// Keys are ASCII, RR-like, and unambiguous: 김 "gim", 철 "ceol" (ㅊ is c),
// 리 and 이 "i", 최 "coe". Tense, lax and aspirated consonants stay apart
// (대 "de", 태 "te", 때 "tte"), as do ㅓ ㅗ ㅜ ㅡ: the ambiguity of Latin
// spellings is carried by giving a Latin syllable several keys, not by
// coarsening the key of a Hangul syllable.
type keyID uint16

var (
	keyLead  = [lCount]string{"g", "kk", "n", "d", "tt", "n", "m", "b", "pp", "s", "ss", "", "j", "jj", "c", "k", "t", "p", "h"}
	keyVowel = [vCount]string{"a", "e", "ya", "ye", "eo", "e", "yeo", "ye", "o", "wa", "oe", "oe", "yo", "u", "wo", "oe", "wi", "yu", "eu", "ui", "i"}
)

func makeKeyID(l, v, f int) keyID {
	switch {
	case (l == leadR || l == leadN) && yVowel(v):
		l = leadNG
	case l == leadR:
		l = leadN
	}
	switch v {
	case 5:
		v = 1
	case 7:
		v = 3
	case 10, 15:
		v = 11
	}
	return keyID((l*vCount+v)*numFinalClasses + f)
}

const numKeyIDs = lCount * vCount * numFinalClasses

// keyTexts holds each key's text and its index token ("~" + text).
var keyTexts = sync.OnceValue(func() *[2][numKeyIDs]string {
	var t [2][numKeyIDs]string
	for id := range numKeyIDs {
		f := id % numFinalClasses
		v := (id / numFinalClasses) % vCount
		l := id / (numFinalClasses * vCount)
		s := keyLead[l] + keyVowel[v] + finalLetters[f]
		t[0][id], t[1][id] = s, KeyPrefix+s
	}
	return &t
})

func (k keyID) String() string { return keyTexts()[0][k] }
func (k keyID) token() string  { return keyTexts()[1][k] }

// syllableKeyID returns the key of a precomposed syllable.
func syllableKeyID(r rune) (keyID, bool) {
	l, v, t, ok := Decompose(r)
	if !ok {
		return 0, false
	}
	return makeKeyID(l, v, int(finalClass[t])), true
}

// SyllableKey returns the name key of a Hangul syllable ("" for any other
// rune): 박 → "bak", 철 → "ceol", 리 → "i". See NameKeys.
func SyllableKey(r rune) string {
	k, ok := syllableKeyID(r)
	if !ok {
		return ""
	}
	return k.String()
}

// The grammar of a romanized syllable: onset + nucleus + coda, each a
// spelling used by RR, MR (with breves and apostrophes folded away), the
// DPRK system or common popular practice, mapped to the jamo it may stand
// for.
type spelling struct {
	s string
	m uint32 // bit set of initial, vowel or final-class indices
}

func bit(i int) uint32 { return 1 << uint(i) }

var onsets = []spelling{
	{"", bit(leadNG)}, {"g", bit(leadG)}, {"k", bit(leadG) | bit(leadK)}, {"kh", bit(leadK)},
	{"kk", bit(1)}, {"n", bit(leadN)}, {"d", bit(leadD)}, {"t", bit(leadD) | bit(leadT)},
	{"th", bit(leadT)}, {"tt", bit(4)}, {"r", bit(leadR)}, {"l", bit(leadR)}, {"m", bit(leadM)},
	{"b", bit(leadB)}, {"p", bit(leadB) | bit(leadP)}, {"ph", bit(leadP)}, {"pp", bit(8)},
	{"s", bit(leadS)}, {"sh", bit(leadS)}, {"ss", bit(10)}, {"j", bit(leadJ)},
	{"ch", bit(leadJ) | bit(leadC)}, {"jj", bit(13)}, {"tch", bit(13)}, {"h", bit(leadH)},
}

var nuclei = []spelling{
	{"a", bit(0)}, {"ae", bit(1)}, {"ai", bit(1)}, {"ya", bit(2)}, {"yae", bit(3)},
	{"eo", bit(4)}, {"e", bit(5)}, {"yeo", bit(6)}, {"ye", bit(7)},
	{"o", bit(8) | bit(4)}, {"wa", bit(9)}, {"wae", bit(10)}, {"oe", bit(11)}, {"oi", bit(11)},
	{"yo", bit(12) | bit(6)}, {"u", bit(13) | bit(4) | bit(18)}, {"oo", bit(13)},
	{"ou", bit(13) | bit(8) | bit(4)}, {"wo", bit(14)}, {"weo", bit(14)}, {"wu", bit(14) | bit(13)},
	{"woo", bit(13)}, {"we", bit(15)}, {"wi", bit(16)}, {"yu", bit(17) | bit(6)}, {"yoo", bit(17)},
	{"you", bit(17) | bit(6)}, {"yeu", bit(17) | bit(6)}, {"eu", bit(18) | bit(4)},
	{"ui", bit(19)}, {"eui", bit(19)}, {"i", bit(20)}, {"ee", bit(20)}, {"yi", bit(20)},
}

var codas = []spelling{
	{"", bit(fNone)}, {"k", bit(fK)}, {"ck", bit(fK)}, {"n", bit(fN)}, {"nn", bit(fN)},
	{"t", bit(fT)}, {"l", bit(fL)}, {"r", bit(fL)}, {"m", bit(fM)}, {"p", bit(fP)}, {"ng", bit(fNG)},
	// A final carried over to a following vowel (MR: 국영 Kugyŏng, ALA-LC
	// Kug-yŏng; 석우 Sŏgu): valid only before a vowel-initial syllable.
	{"g", bit(fK)}, {"b", bit(fP)}, {"d", bit(fT)}, {"j", bit(fT)},
}

// rareAfterConsonant reports nuclei that are unusual after a consonant and
// more often two syllables run together: "Suin" is 수인 rather than 쉰,
// "Hain" 하인 rather than 핸. (희 is common: "hui" is not rare.)
func rareAfterConsonant(onset, nucleus string) bool {
	switch nucleus {
	case "ai", "oi", "eui":
		return true
	case "ui":
		return onset != "h"
	}
	return false
}

// liaisonCoda reports whether a coda only occurs before a vowel.
func liaisonCoda(c string) bool { return c == "g" || c == "b" || c == "d" || c == "j" }

// latinSyl is one reading of a romanized syllable.
type latinSyl struct {
	coda                  string
	leads, vowels, finals uint32
	rare                  bool // an unusual spelling: dispreferred by segmentations
}

type syllableGrammar struct {
	syl    map[string][]latinSyl
	maxLen int
	// anyCoda lets g, b and d end a syllable before a consonant or at the
	// end of a word (RR transliteration: Bag, Deog), not only before a
	// vowel. Only the query grammar sets it.
	anyCoda bool
}

// fits reports whether s is a romanized syllable when followed by rest
// (the remainder of the word, or of a hyphenated name when the word ends).
func (g *syllableGrammar) fits(s, rest string) bool {
	ps, ok := g.syl[s]
	if !ok {
		return false
	}
	if liaisonCoda(ps[0].coda) && !g.anyCoda {
		return rest != "" && (isVowelLetter(rest[0]) || rest[0] == 'y' || rest[0] == 'w')
	}
	return true
}

var grammar = sync.OnceValue(func() *syllableGrammar {
	return buildGrammar(onsets, nuclei, codas, func(_, _, _ int) bool { return false })
})

// buildGrammar makes the syllables of every onset + nucleus + coda; extra
// reports the combinations (by index into ons, nus, cos) that are marked
// rare in addition to the usual rare spellings.
func buildGrammar(ons, nus, cos []spelling, extra func(o, n, c int) bool) *syllableGrammar {
	g := &syllableGrammar{syl: map[string][]latinSyl{}}
	add := func(s string, p latinSyl) {
		g.syl[s] = append(g.syl[s], p)
		g.maxLen = max(g.maxLen, len(s))
	}
	for oi, on := range ons {
		for ni, nu := range nus {
			for ci, co := range cos {
				p := latinSyl{coda: co.s, leads: on.m, vowels: nu.m, finals: co.m,
					rare: co.s == "r" || liaisonCoda(co.s) || on.s != "" && rareAfterConsonant(on.s, nu.s) || extra(oi, ni, ci)}
				if on.s == "h" && (nu.s == "i" || nu.s == "ee") {
					p.vowels |= bit(19) // Hee, Hi for 희
				}
				if nu.s == "a" && co.s == "ck" {
					p.vowels |= bit(1) // Back, Tack for 백, 택
				}
				add(on.s+nu.s+co.s, p)
			}
		}
	}
	// Popular spellings with a silent e.
	add("june", latinSyl{coda: "n", leads: bit(leadJ), vowels: bit(13), finals: bit(fN)})
	add("yune", latinSyl{coda: "n", leads: bit(leadNG), vowels: bit(17), finals: bit(fN)})
	return g
}

// normalizeRoman rewrites popular spelling habits that the syllable grammar
// does not cover: a silent h after a vowel (Ahn, Oh, Kahng, Suh → an, o,
// kang, su), and word-initial wh, rh, gh (Whang, Rhee, Ghim).
func normalizeRoman(w string) string {
	switch {
	case strings.HasPrefix(w, "wh"):
		w = "hw" + w[2:]
	case strings.HasPrefix(w, "rh"), strings.HasPrefix(w, "gh"):
		w = w[:1] + w[2:]
	}
	if strings.IndexByte(w, 'h') < 1 {
		return w
	}
	b := []byte(w)
	out := b[:0]
	for i, c := range b {
		if c == 'h' && i > 0 && isVowelLetter(b[i-1]) && (i+1 == len(b) || !isVowelLetter(b[i+1]) && b[i+1] != 'y' && b[i+1] != 'w') {
			continue
		}
		out = append(out, c)
	}
	return string(out)
}

func isVowelLetter(c byte) bool {
	return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'
}

const (
	maxSegWord  = 30 // longer words are not segmented into syllables
	maxSegPaths = 8  // alternative segmentations kept per syllable count
)

// sylCost is the cost of reading s as one syllable: an ordinary reading
// costs 2, and a reading that only rare spellings give costs 5, more than
// two ordinary syllables.
func (g *syllableGrammar) sylCost(s string) int {
	for _, p := range g.syl[s] {
		if !p.rare {
			return 2
		}
	}
	return 5
}

// segmentations splits w into romanized syllables. The preferred
// segmentation has the least cost (see sylCost; ties go to fewer
// syllables). It returns every segmentation with that number of syllables
// (at most maxSegPaths), cheapest first, or nil when w cannot be segmented.
// next is what follows w in a hyphenated name ("" if nothing).
func segmentations(w, next string) [][]string { return grammar().segmentations(w, next) }

// segmentations is the package function in grammar g.
func (g *syllableGrammar) segmentations(w, next string) [][]string {
	n := len(w)
	if n == 0 || n > maxSegWord {
		return nil
	}
	const inf = 1 << 20
	cost := make([]int, n+1)     // least cost of w[i:]
	count := make([]int, n+1)    // syllables on that least-cost path
	reach := make([]uint64, n+1) // bit k: w[i:] splits into exactly k syllables
	reach[n] = 1
	for i := n - 1; i >= 0; i-- {
		cost[i] = inf
		for j := min(n, i+g.maxLen); j > i; j-- {
			if cost[j] >= inf || !g.fits(w[i:j], w[j:]+next) {
				continue
			}
			reach[i] |= reach[j] << 1
			c := cost[j] + g.sylCost(w[i:j])
			if c < cost[i] || c == cost[i] && count[j]+1 < count[i] {
				cost[i], count[i] = c, count[j]+1
			}
		}
	}
	if cost[0] >= inf {
		return nil
	}
	var paths [][]string
	var walk func(i, k int, path []string)
	walk = func(i, k int, path []string) {
		if len(paths) >= maxSegPaths {
			return
		}
		if i == n {
			paths = append(paths, slices.Clone(path))
			return
		}
		for j := min(n, i+g.maxLen); j > i; j-- {
			if reach[j]&(1<<uint(k-1)) != 0 && g.fits(w[i:j], w[j:]+next) {
				walk(j, k-1, append(path, w[i:j]))
			}
		}
	}
	walk(0, count[0], nil)
	total := func(p []string) int {
		c := 0
		for _, s := range p {
			c += g.sylCost(s)
		}
		return c
	}
	slices.SortStableFunc(paths, func(a, b []string) int { return total(a) - total(b) })
	return paths
}

// Segment splits a romanized word into syllables by the least-cost
// segmentation against the closed set of romanized syllables (all systems
// plus popular spellings), which is the fewest syllables unless that needs
// an unusual spelling: "Jongil" → [jong il], "Ch'ŏrhwan" → [chor hwan],
// "Suin" → [su in].
// It returns nil when the word is not romanized Korean. The word is folded
// (case, diacritics, apostrophes; a silent h as in "Ahn" dropped) first.
// Where the split is ambiguous ("jongil" is also jon+gil) the preferred one
// is returned; NameKeys and the tokenizer use all of them.
func Segment(word string) []string {
	w := normalizeRoman(foldLatin(word))
	if !isLowerASCII(w) {
		return nil
	}
	p := segmentations(w, "")
	if p == nil {
		return nil
	}
	return p[0]
}

func isLowerASCII(w string) bool {
	if w == "" {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}

// Context of the syllable after a coda, for the assimilations MR writes
// inside given names (석민 Sŏngmin, 빛나 Pinna, 신라 Silla).
const (
	ctxNone = iota
	ctxNasal
	ctxLiquid
)

func ctxOf(next string) int {
	if next == "" {
		return ctxNone
	}
	switch next[0] {
	case 'n', 'm':
		return ctxNasal
	case 'r', 'l':
		return ctxLiquid
	}
	return ctxNone
}

// addKeys adds to set the keys one reading of a Latin syllable stands for.
func addKeys(set map[keyID]struct{}, p latinSyl, ctx int) {
	finals := p.finals
	switch p.coda {
	case "ng":
		if ctx != ctxNone {
			finals |= bit(fK) // 석민 Sŏngmin, 독립 tongnip
		}
	case "n":
		if ctx == ctxNasal {
			finals |= bit(fT) // 빛나 Pinna
		}
	case "m":
		if ctx != ctxNone {
			finals |= bit(fP) // 십리 simni
		}
	case "l":
		if ctx == ctxLiquid {
			finals |= bit(fN) // 신라 Silla
		}
	}
	for ls := p.leads; ls != 0; ls &= ls - 1 {
		l := bits.TrailingZeros32(ls)
		for vs := p.vowels; vs != 0; vs &= vs - 1 {
			v := bits.TrailingZeros32(vs)
			for fs := finals; fs != 0; fs &= fs - 1 {
				set[makeKeyID(l, v, bits.TrailingZeros32(fs))] = struct{}{}
			}
		}
	}
}

// latinWordKeys returns, for a folded Latin word, one sorted key set per
// syllable of its preferred segmentation, or nil if the word is not
// romanized Korean. next is the word that follows after a hyphen ("" if
// none), whose first letter conditions the last syllable. A listed surname
// spelling ("Park", "Lee", "Sunwoo") contributes its surname's keys.
func latinWordKeys(w, next string) [][]keyID {
	r := latinWordReadings(w, next)
	if r == nil {
		return nil
	}
	return r[0]
}

// latinWordReadings is latinWordKeys with, as a second reading, the
// generic segmentation of a surname spelling whose syllable count differs
// from the surname's ("Au" is 오 as a surname, 아우 as a given name).
func latinWordReadings(w, next string) [][][]keyID { return grammar().wordReadings(w, next) }

// wordReadings is latinWordReadings in grammar g.
func (g *syllableGrammar) wordReadings(w, next string) [][][]keyID {
	if !isLowerASCII(w) || len(w) > maxSegWord {
		return nil
	}
	var out [][][]keyID
	var pos []map[keyID]struct{}
	newPos := func(n int) {
		pos = make([]map[keyID]struct{}, n)
		for j := range pos {
			pos[j] = map[keyID]struct{}{}
		}
	}
	for _, i := range surnames().byLatin[w] {
		syls := []rune(surnames().table[i].Hangul)
		if pos == nil {
			newPos(len(syls))
		}
		if len(syls) != len(pos) {
			continue
		}
		for j, r := range syls {
			k, _ := syllableKeyID(r)
			pos[j][k] = struct{}{}
		}
	}
	for _, path := range g.segmentations(normalizeRoman(w), next) {
		if pos != nil && len(path) != len(pos) {
			out = append(out, sortedKeys(pos))
			pos = nil
		}
		if pos == nil {
			newPos(len(path))
		}
		for j, s := range path {
			nx := next
			if j+1 < len(path) {
				nx = path[j+1]
			}
			for _, p := range g.syl[s] {
				addKeys(pos[j], p, ctxOf(nx))
			}
		}
	}
	if pos != nil {
		out = append(out, sortedKeys(pos))
	}
	return out
}

func sortedKeys(pos []map[keyID]struct{}) [][]keyID {
	out := make([][]keyID, len(pos))
	for j, set := range pos {
		ks := make([]keyID, 0, len(set))
		for k := range set {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		out[j] = ks
	}
	return out
}

// LatinKeys returns the name keys of each syllable of a romanized word, in
// order, or nil if the word is not romanized Korean: "Jongil" → [[jeong jong]
// [il]], "Park" → [[bak]]. The word is folded first; hyphens are not
// allowed (split on them and call LatinKeys per part).
func LatinKeys(word string) [][]string {
	ks := latinWordKeys(foldLatin(word), "")
	if ks == nil {
		return nil
	}
	out := make([][]string, len(ks))
	for i, set := range ks {
		for _, k := range set {
			out[i] = append(out[i], k.String())
		}
	}
	return out
}

// firstRuneLower is the folded first letter of s, for the assimilation
// context of a hyphenated name read straight from text.
func firstRuneLower(s string) string {
	r, _ := utf8.DecodeRuneInString(s)
	if r < utf8.RuneSelf && unicode.IsLetter(r) {
		r = unicode.ToLower(r)
		return lowerLetters[r-'a' : r-'a'+1] // no string made per word
	}
	return ""
}

const lowerLetters = "abcdefghijklmnopqrstuvwxyz"
