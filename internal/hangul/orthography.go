package hangul

import "strings"

// North and South Korean spelling differ in one systematic way that search
// must absorb: the initial-sound rule (두음법칙). The South writes a
// Sino-Korean syllable that begins a word with ㄹ as ㄴ, and ㄹ or ㄴ before
// ㅣ or a y-vowel as ㅇ (로동 → 노동, 리용 → 이용, 녀성 → 여성, 량 → 양); the
// North keeps what the character's reading says. Inside a word both write the
// same (남녀, 근로), except in compounds whose second element the South also
// treats as a word (조선로동당 / 조선노동당, 신녀성 / 신여성).
//
// The index therefore stores the first syllable of every Hangul word in its
// southern form (SouthInitial), and queries add the other spellings of inner
// syllables as alternatives (Variants).

// yVowel reports whether vowel index v is ㅣ or begins with a y glide
// (ㅑ ㅒ ㅕ ㅖ ㅛ ㅠ ㅣ): the vowels before which the South drops ㄹ and ㄴ.
func yVowel(v int) bool {
	switch v {
	case 2, 3, 6, 7, 12, 17, vowelI:
		return true
	}
	return false
}

// SouthInitial returns the spelling syllable r takes at the start of a word
// in South Korean orthography (리 → 이, 로 → 노, 녀 → 여, 량 → 양, 류 → 유, 림
// → 임, 렴 → 염, 려 → 여, 룡 → 용, 륙 → 육, 락 → 낙, 뢰 → 뇌). Any other rune,
// including a syllable the rule does not touch, is returned unchanged.
// SouthInitial MUST only be applied to word-initial syllables: inside a word
// ㄹ and ㄴ are kept in both orthographies.
func SouthInitial(r rune) rune {
	l, v, t, ok := Decompose(r)
	if !ok {
		return r
	}
	switch {
	case (l == leadR || l == leadN) && yVowel(v):
		l = leadNG
	case l == leadR:
		l = leadN
	default:
		return r
	}
	s, _ := Compose(l, v, t)
	return s
}

// CanonicalWord returns word with the first syllable of each run of Hangul
// syllables replaced by its SouthInitial form: "로동자" → "노동자",
// "조선로동당" → "조선로동당" (inner syllables are kept). Runs are separated
// by anything that is not a precomposed syllable. CanonicalWord does not
// normalize; apply Normalize first if the input may hold jamo.
func CanonicalWord(word string) string {
	var b strings.Builder
	prevSyl := false
	changed := false
	for _, r := range word {
		if IsSyllable(r) {
			if !prevSyl {
				if s := SouthInitial(r); s != r {
					r, changed = s, true
				}
			}
			prevSyl = true
		} else {
			prevSyl = false
		}
		b.WriteRune(r)
	}
	if !changed {
		return word
	}
	return b.String()
}

// Variants returns the spellings that syllable r may have in the other
// orthography when it stands inside a word, r itself first: 노 → [노 로],
// 로 → [로 노], 여 → [여 려 녀], 녀 → [녀 여 려]. Syllables with the vowel ㅣ
// (이, 리, 니) are returned alone: 이 is among the commonest syllables (a
// particle and a native word), and widening it would make queries match far
// too much. A syllable outside the rule returns [r]. The result is freshly
// allocated.
func Variants(r rune) []rune {
	l, v, t, ok := Decompose(r)
	if !ok || v == vowelI {
		return []rune{r}
	}
	var leads []int
	switch {
	case yVowel(v) && (l == leadR || l == leadN || l == leadNG):
		leads = []int{leadNG, leadR, leadN}
	case !yVowel(v) && (l == leadR || l == leadN):
		leads = []int{leadN, leadR}
	default:
		return []rune{r}
	}
	out := []rune{r}
	for _, nl := range leads {
		if nl != l {
			s, _ := Compose(nl, v, t)
			out = append(out, s)
		}
	}
	return out
}
