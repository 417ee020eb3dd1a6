package hangul

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// System is a romanization system.
type System uint8

const (
	// RR is the Revised Romanization of Korean (South Korea, 2000): ASCII,
	// ㄱㄷㅂㅈ written g d b j, ㅓ eo, ㅡ eu.
	RR System = iota + 1
	// MR is McCune–Reischauer (1939) with breves (ŏ ŭ) and apostrophes for
	// aspirates (k' t' p' ch'); voiced g d b j between voiced sounds. Apply
	// ASCII for the common breve-less spelling.
	MR
	// DPRK is the North Korean system (1992, revised 2002 and 2012): MR
	// with ㅈ always j, aspirates kh th ph, tense jj. ㅚ is written oe (the
	// 1992/2002 tables and KCNA practice; the 2012 table shows oi).
	DPRK
)

func (s System) String() string {
	switch s {
	case RR:
		return "RR"
	case MR:
		return "MR"
	case DPRK:
		return "DPRK"
	}
	return fmt.Sprintf("System(%d)", uint8(s))
}

// ErrNotName is returned by RomanizeName when its input is not a Hangul
// personal name.
var ErrNotName = errors.New("hangul: not a hangul personal name")

// Final-consonant classes: every final is pronounced as one of seven sounds.
const (
	fNone = iota
	fK
	fN
	fT
	fL
	fM
	fP
	fNG
	numFinalClasses
)

var finalLetters = [numFinalClasses]string{"", "k", "n", "t", "l", "m", "p", "ng"}

// finalClass maps a final index (0–27) to its class.
var finalClass = [tCount]uint8{
	fNone, fK, fK, fK, fN, fN, fN, fT, fL, fK, fM, fL, fL, fL, fP, fL,
	fM, fP, fP, fT, fT, fNG, fT, fT, fK, fT, fP, fT,
}

var (
	rrLead   = [lCount]string{"g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"}
	mrLead   = [lCount]string{"k", "kk", "n", "t", "tt", "r", "m", "p", "pp", "s", "ss", "", "ch", "tch", "ch'", "k'", "t'", "p'", "h"}
	dprkLead = [lCount]string{"k", "kk", "n", "t", "tt", "r", "m", "p", "pp", "s", "ss", "", "j", "jj", "ch", "kh", "th", "ph", "h"}
	rrVowel  = [vCount]string{"a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi", "yu", "eu", "ui", "i"}
	mrVowel  = [vCount]string{"a", "ae", "ya", "yae", "ŏ", "e", "yŏ", "ye", "o", "wa", "wae", "oe", "yo", "u", "wŏ", "we", "wi", "yu", "ŭ", "ŭi", "i"}
)

// liaison says what a final becomes before a vowel: the part that stays
// (a final class) and the initial it lends to the next syllable (-1: none).
var liaison = [tCount]struct {
	stay uint8
	move int8
}{
	{fNone, -1}, {fNone, leadG}, {fNone, 1}, {fK, leadS}, {fNone, leadN}, {fN, leadJ}, {fNone, leadN},
	{fNone, leadD}, {fNone, leadR}, {fL, leadG}, {fL, leadM}, {fL, leadB}, {fL, leadS}, {fL, leadT},
	{fL, leadP}, {fNone, leadR}, {fNone, leadM}, {fNone, leadB}, {fP, leadS}, {fNone, leadS}, {fNone, 10},
	{fNG, -1}, {fNone, leadJ}, {fNone, leadC}, {fNone, leadK}, {fNone, leadT}, {fNone, leadP}, {fNone, -1},
}

func vowelText(sys System, v int) string {
	if sys == RR {
		return rrVowel[v]
	}
	return mrVowel[v]
}

// initialText is initial l at the start of a word, or after a voiceless
// final.
func initialText(sys System, l, v int) string {
	switch sys {
	case RR:
		return rrLead[l]
	case MR:
		if l == leadS && v == vowelWI {
			return "sh"
		}
		return mrLead[l]
	}
	return dprkLead[l]
}

// medialText is initial l after a vowel or a voiced final: MR and DPRK
// voice ㄱ ㄷ ㅂ ㅈ there; RR spells initials the same everywhere.
func medialText(sys System, l, v int, voiced bool) string {
	if sys != RR && voiced {
		switch l {
		case leadG:
			return "g"
		case leadD:
			return "d"
		case leadB:
			return "b"
		case leadJ:
			return "j"
		}
	}
	return initialText(sys, l, v)
}

// boundary returns how the final t of one syllable and the initial l (with
// vowel v) of the next are written inside a word, applying liaison, nasal
// and lateral assimilation and aspiration as RR and MR transcribe them.
func boundary(sys System, t, l, v int) (fin, ini string) {
	if t == 0 {
		if l == leadNG {
			return "", ""
		}
		return "", medialText(sys, l, v, true)
	}
	fc := finalClass[t]
	switch {
	case l == leadNG:
		lz := liaison[t]
		stay := finalLetters[lz.stay]
		if lz.move < 0 {
			return stay, ""
		}
		m := int(lz.move)
		if v == vowelI && m == leadD {
			m = leadJ // palatalization: 굳이 guji
		} else if v == vowelI && m == leadT {
			m = leadC // 같이 gachi
		}
		if m == leadR {
			return stay + "r", ""
		}
		return stay + medialText(sys, m, v, true), ""
	case l == leadH:
		switch {
		case t == 27:
			return "", "h"
		case fc == fL && sys == MR:
			return "r", "h" // MR: Ch'ŏrhwan
		}
		return finalLetters[fc], "h"
	case (t == 27 || t == 6 || t == 15) && (l == leadG || l == leadD || l == leadJ):
		asp := leadK
		if l == leadD {
			asp = leadT
		} else if l == leadJ {
			asp = leadC
		}
		fin = "" // ㅎ
		if t == 6 {
			fin = "n" // ㄶ
		} else if t == 15 {
			fin = "l" // ㅀ
		}
		return fin, initialText(sys, asp, v)
	case t == 27 && l == leadS:
		return "", "ss"
	case t == 27 && l == leadN:
		return "n", "n"
	case l == leadN || l == leadM:
		ini = initialText(sys, l, v)
		switch fc {
		case fK:
			return "ng", ini
		case fT:
			return "n", ini
		case fP:
			return "m", ini
		case fL:
			if l == leadN {
				return "l", "l"
			}
		}
		return finalLetters[fc], ini
	case l == leadR:
		switch fc {
		case fN, fL:
			return "l", "l"
		case fK, fNG:
			return "ng", "n"
		case fP, fM:
			return "m", "n"
		case fT:
			return "n", "n"
		}
	}
	fin = finalLetters[fc]
	voiced := fc == fN || fc == fM || fc == fNG ||
		(fc == fL && (sys == DPRK || l == leadG || l == leadB))
	ini = medialText(sys, l, v, voiced)
	if sys == MR && fin == "n" && strings.HasPrefix(ini, "g") {
		fin = "n'" // MR separates ㄴ+ㄱ from ㅇ: Han'guk
	}
	return fin, ini
}

// wordPieces romanizes a run of syllables as one word, one piece per
// syllable, so that strings.Join(pieces, "") is the word and
// strings.Join(pieces, "-") its hyphenated form.
func wordPieces(syls []rune, sys System) []string {
	n := len(syls)
	type jamo struct{ l, v, t int }
	js := make([]jamo, n)
	for i, r := range syls {
		js[i].l, js[i].v, js[i].t, _ = Decompose(r)
	}
	pieces := make([]string, n)
	ini := initialText(sys, js[0].l, js[0].v)
	for i, j := range js {
		fin := finalLetters[finalClass[j.t]]
		next := ""
		if i+1 < n {
			fin, next = boundary(sys, j.t, js[i+1].l, js[i+1].v)
		}
		pieces[i] = ini + vowelText(sys, j.v) + fin
		ini = next
	}
	return pieces
}

// RomanizeSyllable romanizes one syllable as a word of its own (initial as
// at the start of a word, final as at the end): 김 → "gim" (RR), "kim" (MR,
// DPRK); 정 → "jeong", "chŏng", "jŏng". It returns "" for any other rune.
func RomanizeSyllable(r rune, sys System) string {
	l, v, t, ok := Decompose(r)
	if !ok {
		return ""
	}
	return initialText(sys, l, v) + vowelText(sys, v) + finalLetters[finalClass[t]]
}

// Romanize romanizes ordinary text in lower case: every run of Hangul
// syllables is one word, with the sound changes RR and MR write inside words
// (liaison, nasal and lateral assimilation, aspiration by ㅎ, palatalization
// of ㄷ ㅌ before 이): 한국어 → "hangugeo" (RR), "han'gugŏ" (MR); 독립문 →
// "dongnimmun", "tongnimmun"; 신라 → "silla". Text that is not Hangul is
// copied unchanged. Romanize does not know morpheme boundaries, so it MUST
// NOT be used for personal names (use RomanizeName), and compounds that
// insert ㄴ (학여울 hangnyeoul) come out without it. ㅎ after ㄱ ㄷ ㅂ is kept
// as h, as RR does in nouns (북한 Bukhan).
func Romanize(s string, sys System) string {
	var b strings.Builder
	var run []rune
	flush := func() {
		if len(run) > 0 {
			for _, p := range wordPieces(run, sys) {
				b.WriteString(p)
			}
			run = run[:0]
		}
	}
	for _, r := range Normalize(s) {
		if IsSyllable(r) {
			run = append(run, r)
			continue
		}
		flush()
		b.WriteRune(r)
	}
	flush()
	return b.String()
}

// NameOptions selects among the accepted ways of writing a name.
type NameOptions struct {
	// Hyphen separates given-name syllables with a hyphen: "Jeong Seok-min"
	// (RR permits it), "Kim Chŏng-il" (the ALA-LC form of MR; sound changes
	// are still written across the hyphen: 이석민 → "Yi Sŏng-min").
	Hyphen bool
	// Joined writes a DPRK given name as one word. The DPRK rules write each
	// syllable of a Sino-Korean name separately ("Pak Tong Gu") but a native
	// Korean name as one word ("Kim Kkotpuni"); Hangul does not say which a
	// name is.
	Joined bool
	// ASCII drops breves and apostrophes (see ASCII): KCNA practice for
	// DPRK names, and the common way MR names are printed.
	ASCII bool
}

// RomanizeName romanizes a Hangul personal name, surname first, following
// each system's rules for names:
//
//   - RR: given-name syllables are romanized without sound changes
//     (정석민 → "Jeong Seokmin", 최빛나 → "Choe Bitna"); surnames strictly by
//     RR (김 → "Gim", 이 → "I").
//   - MR: the given name is one word with MR's sound changes (김정일 → "Kim
//     Chŏngil", 강철환 → "Kang Ch'ŏrhwan"); 李 (이 or 리) is always "Yi", and
//     an initial ㄹ of a given name is r (김리나 → "Kim Rina").
//   - DPRK: each given-name syllable separately, capitalized, the first
//     voiceless and the rest voiced after a voiced sound (박동구 → "Pak Tong
//     Gu", 안복철 → "An Pok Chŏl"); surnames in their northern spelling
//     (이 → "Ri", 임 → "Rim", 노 → "Ro").
//
// The name may separate surname and given name with a space ("선 우진");
// otherwise a 2-syllable surname (남궁, 황보, 제갈, 선우, 사공, 독고) is
// recognized when at least one syllable follows it. The result has one space
// between surname and given name. RomanizeName returns ErrNotName when the
// name is not 2 to 6 Hangul syllables with a 1–4 syllable given name. Popular
// spellings (Lee, Park, Choi) are in the Surname table, not produced here.
func RomanizeName(name string, sys System, opt NameOptions) (string, error) {
	sur, given, ok := SplitName(name)
	if !ok {
		return "", fmt.Errorf("%w: %q", ErrNotName, name)
	}
	if sys != RR && sys != MR && sys != DPRK {
		return "", fmt.Errorf("hangul: unknown romanization system %v", sys)
	}
	gs := []rune(given)
	var g string
	switch {
	case sys == RR:
		parts := make([]string, len(gs))
		for i, r := range gs {
			parts[i] = RomanizeSyllable(r, RR)
		}
		g = strings.Join(parts, sep(opt.Hyphen))
	case sys == MR || opt.Joined:
		pieces := wordPieces(gs, sys)
		if opt.Hyphen {
			// The hyphen replaces MR's separating apostrophe (Sŏn'gil →
			// Sŏn-gil); the apostrophe of an aspirate carried over
			// before a vowel stays (빛이 Pich'-i).
			for i := range pieces {
				if strings.HasSuffix(pieces[i], "n'") {
					pieces[i] = strings.TrimSuffix(pieces[i], "'")
				}
			}
		}
		g = strings.Join(pieces, sep(opt.Hyphen))
	default: // DPRK, syllable by syllable
		parts := make([]string, len(gs))
		prev := fNone
		for i, r := range gs {
			l, v, t, _ := Decompose(r)
			ini := initialText(DPRK, l, v)
			if i > 0 {
				ini = medialText(DPRK, l, v, prev != fK && prev != fT && prev != fP)
			}
			prev = int(finalClass[t])
			parts[i] = capitalize(ini + vowelText(DPRK, v) + finalLetters[prev])
		}
		g = strings.Join(parts, " ")
	}
	out := capitalize(surnameText(sur, sys)) + " " + capitalize(g)
	if opt.ASCII {
		out = ASCII(out)
	}
	return out, nil
}

func sep(hyphen bool) string {
	if hyphen {
		return "-"
	}
	return ""
}

// northSurname gives the northern spelling of single-syllable surnames whose
// usual Hanja keeps ㄹ in the North. 유 and 양 are left alone: both are
// common with Hanja that the North writes with ㅇ (兪, 楊).
var northSurname = map[string]string{"이": "리", "임": "림", "노": "로", "나": "라", "염": "렴", "여": "려"}

func surnameText(sur string, sys System) string {
	switch sys {
	case MR:
		if sur == "이" || sur == "리" {
			return "Yi"
		}
	case DPRK:
		if n, ok := northSurname[sur]; ok {
			sur = n
		}
	case RR:
		var b strings.Builder
		for _, r := range sur {
			b.WriteString(RomanizeSyllable(r, RR))
		}
		return b.String()
	}
	return strings.Join(wordPieces([]rune(sur), sys), "")
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// SplitName splits a Hangul personal name into surname and given name. A
// space, if present, is where it splits ("선 우진" → 선, 우진); otherwise a
// listed 2-syllable surname is taken when at least one syllable follows it,
// and the first syllable otherwise. ok is false unless the name is 2–6
// Hangul syllables (after Normalize) with a 1–2 syllable surname and a 1–4
// syllable given name.
func SplitName(name string) (surname, given string, ok bool) {
	fields := strings.Fields(Normalize(name))
	for _, f := range fields {
		for _, r := range f {
			if !IsSyllable(r) {
				return "", "", false
			}
		}
	}
	switch len(fields) {
	case 1:
		rs := []rune(fields[0])
		n := 1
		if len(rs) >= 3 && isTwoSyllableSurname(string(rs[:2])) {
			n = 2
		}
		surname, given = string(rs[:n]), string(rs[n:])
	case 2:
		surname, given = fields[0], fields[1]
	default:
		return "", "", false
	}
	ns, ng := utf8.RuneCountInString(surname), utf8.RuneCountInString(given)
	if ns < 1 || ns > 2 || ng < 1 || ng > 4 {
		return "", "", false
	}
	return surname, given, true
}

// ASCII folds romanized text to ASCII letters as commonly printed: breves
// and other diacritics are dropped (ŏ → o, ŭ → u) and apostrophes (' ’ ʼ ‘ ʻ)
// removed: "Ch'ŏng-il" → "Chong-il". Hyphens and spaces are kept.
func ASCII(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(s) {
		if unicode.Is(unicode.Mn, r) || isApostrophe(r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isApostrophe reports whether r is one of the marks used as an apostrophe
// in romanized Korean, which search removes rather than treats as a break.
func isApostrophe(r rune) bool {
	switch r {
	case '\'', '`', '\u00B4', '\u2018', '\u2019', '\u02BC', '\u02BB', '\u2032':
		return true
	}
	return false
}
