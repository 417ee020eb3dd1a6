package hangul

import (
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Spellings that only name queries understand. Documents are keyed with
// the grammar of latin.go alone, so what an index holds does not change;
// a name typed in one of these spellings finds its syllables' keys (and
// through them Hangul text and the other romanizations).
//
// Yale (Martin 1992), as linguists write Korean: ㅈ c, ㅉ cc, ㅓ e, ㅔ ey,
// ㅐ ay, ㅕ ye, ㅖ yey, ㅒ yay, ㅙ way, ㅚ oy, ㅝ we, ㅞ wey, ㅢ uy (ㅡ u and
// ㅜ wu are in the common grammar): 박철민 "Pak Chelmin", 김정일 "Kim Cengil".
var (
	yaleOnsets = []spelling{{"c", bit(leadJ)}, {"cc", bit(13)}}
	yaleNuclei = []spelling{
		{"e", bit(4)}, {"ey", bit(5)}, {"ay", bit(1)}, {"yay", bit(3)}, {"ye", bit(6)}, {"yey", bit(7)},
		{"way", bit(10)}, {"oy", bit(11)}, {"we", bit(14)}, {"wey", bit(15)}, {"uy", bit(19)},
	}
	// Finals spelled by their letter rather than their sound, as RR
	// transliteration (박 Bag, 덕 Deog, 옷 os) and Yale write them; g, b, d
	// and j are in the common grammar but only before a vowel there.
	letterCodas = []spelling{
		{"s", bit(fT)}, {"ss", bit(fT)}, {"c", bit(fT)}, {"ch", bit(fT)}, {"th", bit(fT)}, {"h", bit(fT)},
		{"kk", bit(fK)}, {"kh", bit(fK)}, {"ph", bit(fP)},
	}
)

// queryGrammar is the grammar of latin.go plus the spellings above, all of
// them rare (so a segmentation prefers the common readings), and g, b, d, j
// allowed as finals anywhere.
var queryGrammar = sync.OnceValue(func() *syllableGrammar {
	ons := slices.Concat(onsets, yaleOnsets)
	nus := slices.Concat(nuclei, yaleNuclei)
	cos := slices.Concat(codas, letterCodas)
	g := buildGrammar(ons, nus, cos, func(o, n, c int) bool {
		return o >= len(onsets) || n >= len(nuclei) || c >= len(codas)
	})
	g.anyCoda = true
	return g
})

// queryWordKeys returns the keys of a folded romanized word in a name
// query: those a document gives it (latinWordKeys), widened by the query
// grammar's readings when they split the word into as many syllables, or
// the query grammar's alone when the word is not romanized Korean in the
// common grammar ("Bag", "Cengil").
func queryWordKeys(w, next string) [][]keyID {
	base := latinWordKeys(w, next)
	ext := queryGrammar().wordReadings(w, next)
	if len(ext) == 0 {
		return base
	}
	if base == nil {
		return ext[0]
	}
	if len(ext[0]) != len(base) {
		return base
	}
	out := make([][]keyID, len(base))
	for i := range base {
		out[i] = slices.Clone(base[i])
		for _, k := range ext[0][i] {
			if !slices.Contains(out[i], k) {
				out[i] = append(out[i], k)
			}
		}
		slices.Sort(out[i])
	}
	return out
}

// splitsByCount returns, for each number of syllables k from 1 to maxK,
// the cheapest segmentation of the folded word w (query grammar) into k
// syllables, or nil where there is none.
func splitsByCount(w string, maxK int) [][]string {
	g := queryGrammar()
	w = normalizeRoman(w)
	n := len(w)
	out := make([][]string, maxK+1)
	if n == 0 || n > maxSegWord || !isLowerASCII(w) {
		return out
	}
	const inf = 1 << 20
	// cost[k][i]: least cost of w[i:] in exactly k syllables.
	cost := make([][]int, maxK+1)
	for k := range cost {
		cost[k] = make([]int, n+1)
		for i := range cost[k] {
			cost[k][i] = inf
		}
	}
	cost[0][n] = 0
	for k := 1; k <= maxK; k++ {
		for i := n - 1; i >= 0; i-- {
			for j := min(n, i+g.maxLen); j > i; j-- {
				if cost[k-1][j] < inf && g.fits(w[i:j], w[j:]) {
					cost[k][i] = min(cost[k][i], cost[k-1][j]+g.sylCost(w[i:j]))
				}
			}
		}
	}
	for k := 1; k <= maxK; k++ {
		if cost[k][0] >= inf {
			continue
		}
		var path []string
		for i, kk := 0, k; kk > 0; kk-- {
			for j := min(n, i+g.maxLen); j > i; j-- {
				if cost[kk-1][j] < inf && g.fits(w[i:j], w[j:]) && cost[kk-1][j]+g.sylCost(w[i:j]) == cost[kk][i] {
					path = append(path, w[i:j])
					i = j
					break
				}
			}
		}
		out[k] = path
	}
	return out
}

// isNameSep reports the runes that separate the words of a name as people
// write it in lists and prose: everything but letters, marks, hyphens and
// apostrophes ("Park, Cheol-min", "(Han Deok-su)", "Kim Jeong-il.").
func isNameSep(r rune) bool {
	return !unicode.IsLetter(r) && !unicode.IsMark(r) && !isHyphen(r) && !isApostrophe(r)
}

// namePieces splits a query term at name separators and trims hyphens
// and apostrophes left at either end of a piece, and a possessive 's
// ("Cheol-min's").
func namePieces(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, isNameSep) {
		for _, a := range []string{"'s", "’s", "'S", "’S"} {
			p = strings.TrimSuffix(p, a)
		}
		if p = strings.TrimFunc(p, func(r rune) bool { return isHyphen(r) || isApostrophe(r) }); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// latinSyllables is the number of syllables a name query reads in a
// romanized part ("Cheol-min" 2), or 0 if some word of it is not romanized
// Korean.
func latinSyllables(p string) int {
	words := strings.FieldsFunc(foldLatin(p), func(r rune) bool { return r < 'a' || r > 'z' })
	if len(words) == 0 {
		return 0
	}
	n := 0
	for j, w := range words {
		// The word after a hyphen conditions this one, as in Tokenize
		// and NameKeys: a final voiced before a vowel ("Sig-ae", MR and
		// ALA-LC for 식애) is a syllable only when a vowel follows.
		next := ""
		if j+1 < len(words) {
			next = words[j+1]
		}
		ks := queryWordKeys(w, next)
		if ks == nil {
			return 0
		}
		n += len(ks)
	}
	return n
}

// resplits returns the other ways of reading a given-name part by
// syllables: its letters joined and split into one or two syllables where
// that is not how the part reads now ("Hyeok" is 혁, and 혜옥 as Hye-ok;
// "Hye-ok" also reads as the one syllable Hyeok). Each is written with
// hyphens between its syllables.
func resplits(p string, now int) []string {
	joined := strings.Map(func(r rune) rune {
		if r < 'a' || r > 'z' {
			return -1
		}
		return r
	}, foldLatin(p))
	var out []string
	for k, path := range splitsByCount(joined, 2) {
		if k != now && path != nil {
			out = append(out, strings.Join(path, "-"))
		}
	}
	return out
}

// oneWordNames reads a romanized word with no hyphen as a whole name
// written as one word ("Bakcheolmin", "Kimjongil"): a listed surname
// spelling, or a surname in Yale or RR transliteration, of three letters or
// more (two if the word is capitalized: "Yujongil"), then a given name of one or two
// syllables, three syllables or more in all. It returns each reading as
// "surname given", or nil.
func oneWordNames(word string) []string {
	w := foldLatin(word)
	if !isLowerASCII(w) {
		return nil
	}
	// A surname of two letters (Yu, Ra, An) begins too many English
	// words ("ration" would be Ra Ti-on): it counts only when the word
	// is capitalized.
	minLen := 3
	if r, _ := utf8.DecodeRuneInString(word); unicode.IsUpper(r) {
		minLen = 2
	}
	var out []string
	for l := minLen; l < len(w)-1; l++ {
		ns := letterSurnames()[w[:l]]
		if rows := surnames().byLatin[w[:l]]; len(rows) > 0 {
			ns = len([]rune(surnames().table[rows[0]].Hangul))
		}
		if ns == 0 {
			continue
		}
		for k, path := range splitsByCount(w[l:], 2) {
			if path != nil && ns+k >= 3 {
				out = append(out, w[:l]+" "+strings.Join(path, "-"))
			}
		}
	}
	return out
}

// hangulRomanAlts returns key queries for a Hangul name whose given name,
// romanized as one word, reads as a different number of syllables: 유혜옥
// is "Yu Hyeok" in RR and MR, which documents key as two syllables, so
// "유 hyeok" and "hyeok 유" are searched too.
func hangulRomanAlts(sur, given string) []string {
	var out []string
	n := len([]rune(given))
	for _, sys := range []System{RR, MR} {
		g := strings.ToLower(ASCII(Romanize(given, sys)))
		if sys == RR {
			// RR writes a given name without sound changes.
			var b strings.Builder
			for _, r := range given {
				b.WriteString(RomanizeSyllable(r, RR))
			}
			g = b.String()
		}
		ks := latinWordKeys(g, "")
		if ks == nil || len(ks) == n {
			continue
		}
		for _, a := range []string{sur + " " + g, g + " " + sur} {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// isQuerySurname reports whether a romanized word of a query is a listed
// surname spelling, a surname in Yale or RR transliteration (정 Ceng, 박
// Bag), or a listed spelling with a final ㄱ ㄷ ㅂ written g d b as RR
// transliteration writes them (Gwag, Seog).
func isQuerySurname(p string) bool {
	if len(SurnamesSpelled(p)) > 0 {
		return true
	}
	w := foldLatin(p)
	if letterSurnames()[w] > 0 {
		return true
	}
	if len(w) < 2 || w[len(w)-2] == 'n' {
		return false
	}
	var final byte
	switch w[len(w)-1] {
	case 'g':
		final = 'k'
	case 'd':
		final = 't'
	case 'b':
		final = 'p'
	default:
		return false
	}
	return len(SurnamesSpelled(w[:len(w)-1]+string(final))) > 0
}
