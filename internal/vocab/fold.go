package vocab

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// key folds a label into the form labels are compared in: conjoining jamo
// composed into Hangul syllables, letters lower-cased, Latin diacritics
// removed (ŏ → o, ŭ → u), and everything that is not a letter or digit —
// spaces, hyphens, apostrophes, middle dots — dropped. So "Hoeryŏng",
// "hoeryong" and "Hoe-ryong" have one key, and so do "정치범 수용소" and
// "정치범수용소".
func key(s string) string {
	rs := make([]rune, 0, len(s))
	for _, r := range s { // invalid UTF-8 decodes to U+FFFD, which is dropped below
		if unicode.Is(unicode.Mn, r) { // combining marks: a breve typed as ŏ = o + U+0306
			continue
		}
		r = unicode.ToLower(r)
		if f, ok := latinFold[r]; ok {
			r = f
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			rs = append(rs, r)
		}
	}
	// Compose after dropping separators, so that the result is stable:
	// key(key(s)) == key(s).
	return string(composeJamo(rs))
}

// latinFold maps lower-case Latin letters with diacritics to their base
// letter. It covers the marks romanizations of Korean use (MR breves, the
// occasional acute or caron) and common Western European letters.
var latinFold = func() map[rune]rune {
	m := make(map[rune]rune)
	for base, marked := range map[rune]string{
		'a': "àáâãäåāăąǎ",
		'c': "çćčĉċ",
		'd': "ďđ",
		'e': "èéêëēĕėęě",
		'g': "ğĝġģ",
		'i': "ìíîïĩīĭįǐı",
		'n': "ñńňņ",
		'o': "òóôõöøōŏőǒ",
		's': "śšşŝ",
		'u': "ùúûüũūŭůűųǔ",
		'y': "ýÿŷ",
		'z': "źżž",
	} {
		for _, r := range marked {
			m[r] = base
		}
	}
	return m
}()

// Hangul syllable arithmetic (Unicode §3.12).
const (
	sBase  = 0xAC00
	lBase  = 0x1100
	vBase  = 0x1161
	tBase  = 0x11A7
	lCount = 19
	vCount = 21
	tCount = 28
	nCount = vCount * tCount
	sCount = lCount * nCount
)

// composeJamo returns rs with conjoining jamo sequences (as NFD
// produces them, L V or L V T) composed into Hangul syllables, and a
// syllable without a final followed by a trailing T jamo merged with it. It
// is what NFC does to Hangul, without a dependency.
func composeJamo(rs []rune) []rune {
	out := rs[:0] // in place: out never overtakes rs
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r >= lBase && r < lBase+lCount && i+1 < len(rs) && rs[i+1] >= vBase && rs[i+1] < vBase+vCount:
			r = sBase + ((r-lBase)*vCount+(rs[i+1]-vBase))*tCount
			i++
		case r >= sBase && r < sBase+sCount && (r-sBase)%tCount == 0:
			// an LV syllable: may take a trailing T below
		default:
			out = append(out, r)
			continue
		}
		if i+1 < len(rs) && rs[i+1] > tBase && rs[i+1] < tBase+tCount {
			r += rs[i+1] - tBase
			i++
		}
		out = append(out, r)
	}
	return out
}

// southernInitial rewrites a key's first syllable by the South Korean
// initial-sound rule (두음법칙): an initial ㄹ becomes ㅇ before i/y vowels
// and ㄴ otherwise, and an initial ㄴ becomes ㅇ before i/y vowels. So the
// DPRK spellings 량강도, 라선 and 로동 key like 양강도, 나선 and 노동. It
// returns k unchanged when the rule does not apply.
func southernInitial(k string) string {
	r, size := utf8.DecodeRuneInString(k)
	if r < sBase || r >= sBase+sCount {
		return k
	}
	l := (r - sBase) / nCount
	v := (r - sBase) % nCount / tCount
	t := (r - sBase) % tCount
	const nieun, rieul, ieung = 2, 5, 11 // ㄴ ㄹ ㅇ as leading-consonant indexes
	// ㅑ ㅒ ㅕ ㅖ ㅛ ㅠ ㅣ: the vowels before which ㄹ/ㄴ drop to ㅇ.
	iy := v == 2 || v == 3 || v == 6 || v == 7 || v == 12 || v == 17 || v == 20
	switch {
	case (l == rieul || l == nieun) && iy:
		l = ieung
	case l == rieul:
		l = nieun
	default:
		return k
	}
	return string(sBase+(l*vCount+v)*tCount+t) + k[size:]
}

// placeSuffixes are administrative words a place name may carry: "Hyesan-si",
// "Musan County", "혜산시", "온성군". Longest first, so "rodongjagu" is tried
// before "gu".
var placeSuffixes = []string{
	"rodongjagu", "nodongjagu", "province", "district", "guyeok", "county",
	"kuyok", "city", "dong", "tong", "shi", "gun", "kun", "eup", "si", "do",
	"to", "up", "ri", "gu", "ku",
	"로동자구", "노동자구", "특별시", "직할시", "특급시", "구역", "시", "군", "도", "읍", "리", "동", "구",
}

// stripPlaceSuffix returns k without one trailing administrative word, or ""
// when k has none or too little would remain (at least two Hangul syllables
// or three Latin letters).
func stripPlaceSuffix(k string) string {
	for _, suf := range placeSuffixes {
		rest, ok := strings.CutSuffix(k, suf)
		if !ok {
			continue
		}
		n := utf8.RuneCountInString(rest)
		r, _ := utf8.DecodeRuneInString(rest)
		if r >= sBase && r < sBase+sCount && n >= 2 || r < 0x80 && n >= 3 {
			return rest
		}
	}
	return ""
}
