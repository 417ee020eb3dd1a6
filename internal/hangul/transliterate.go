package hangul

import (
	"strings"
	"sync"
)

// Two letter-for-letter romanizations that search reads in name queries
// (see queryname.go) but that sori does not write: Yale, the system of
// Korean linguistics (Martin 1992), and the transliteration mode of the
// Revised Romanization (RR 2000, §3.8: ㄱ ㄷ ㅂ ㄹ always g d b l, finals
// spelled by their letters). Both map each jamo to fixed letters, with no
// sound changes.
var (
	yaleLead  = [lCount]string{"k", "kk", "n", "t", "tt", "l", "m", "p", "pp", "s", "ss", "", "c", "cc", "ch", "kh", "th", "ph", "h"}
	yaleVowel = [vCount]string{"a", "ay", "ya", "yay", "e", "ey", "ye", "yey", "o", "wa", "way", "oy", "yo", "wu", "we", "wey", "wi", "yu", "u", "uy", "i"}
	yaleTail  = [tCount]string{"", "k", "kk", "ks", "n", "nc", "nh", "t", "l", "lk", "lm", "lp", "ls", "lth", "lph", "lh", "m", "p", "ps", "s", "ss", "ng", "c", "ch", "kh", "th", "ph", "h"}
	rrtLead   = [lCount]string{"g", "kk", "n", "d", "tt", "l", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"}
	rrtTail   = [tCount]string{"", "g", "kk", "gs", "n", "nj", "nh", "d", "l", "lg", "lm", "lb", "ls", "lt", "lp", "lh", "m", "b", "bs", "s", "ss", "ng", "j", "ch", "k", "t", "p", "h"}
)

const vowelWU = 13 // ㅜ

func labialLead(l int) bool { return l == leadM || l == leadB || l == 8 || l == leadP }

// Yale writes s in Yale romanization, syllable by syllable: 박철민 →
// "pakchelmin", 김정일 → "kimcengil". After a labial, ㅜ is u (무 "mu").
// Text that is not Hangul is copied unchanged.
func Yale(s string) string {
	return transliterate(s, func(l, v, t int) string {
		vw := yaleVowel[v]
		if v == vowelWU && labialLead(l) {
			vw = "u"
		}
		return yaleLead[l] + vw + yaleTail[t]
	})
}

// RRTransliterate writes s in the transliteration mode of the Revised
// Romanization, letter for letter: 박덕수 → "bagdeogsu", 리설주 →
// "liseolju". Text that is not Hangul is copied unchanged.
func RRTransliterate(s string) string {
	return transliterate(s, func(l, v, t int) string { return rrtLead[l] + rrVowel[v] + rrtTail[t] })
}

func transliterate(s string, syl func(l, v, t int) string) string {
	var b strings.Builder
	for _, r := range Normalize(s) {
		if l, v, t, ok := Decompose(r); ok {
			b.WriteString(syl(l, v, t))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// letterSurnames are the folded Yale and RR-transliteration spellings of
// the listed surnames (southern and northern): "ceng" (정), "bag" (박),
// "lyu" (류). Only queries read them; they are not in the Surname table,
// whose spellings also key documents.
// The value is the surname's number of syllables.
var letterSurnames = sync.OnceValue(func() map[string]int {
	m := map[string]int{}
	for _, s := range surnames().table {
		for _, h := range []string{s.Hangul, s.North} {
			if h != "" {
				n := len([]rune(h))
				m[Yale(h)] = n
				m[RRTransliterate(h)] = n
			}
		}
	}
	return m
})
