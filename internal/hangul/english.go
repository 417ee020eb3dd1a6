package hangul

import "strings"

// A light English stemmer for queries: a word typed in the plural, past or
// -ing form also finds its other inflections ("rations" finds "ration",
// "returned" finds "return" and "returns"). The index keeps words as
// written, so the forms are searched as alternatives rather than stems
// being indexed; a form that no document has costs one look-up. It is
// applied only to a Latin word that is not part of a romanized name, and
// never to Hangul.

// noStem lists words that look inflected but are not.
var noStem = map[string]bool{
	"news": true, "series": true, "species": true, "always": true, "perhaps": true, "means": true,
	"sometimes": true, "politics": true, "physics": true, "lens": true, "during": true, "nothing": true,
	"something": true, "anything": true, "everything": true, "morning": true, "evening": true,
	"thing": true, "things": true, "bring": true, "spring": true, "king": true, "ring": true, "string": true,
	"ceiling": true, "feed": true, "need": true, "seed": true, "speed": true, "bed": true, "red": true,
	"hundred": true, "sacred": true, "naked": true, "wicked": true,
}

// EnglishForms returns the other inflections of an English word (lower
// case ASCII letters), or nil: "rations" → ration, rationed, rationing;
// "beaten" → nil (irregular forms are not derived). Words shorter than
// four letters, a few that only look inflected (news, during), and
// uninflected words that read as one or two romanized Korean syllables
// (Yodok) are left alone.
func EnglishForms(w string) []string {
	if len(w) < 4 || noStem[w] || !isLowerASCII(w) {
		return nil
	}
	var bases []string
	n := len(w)
	switch {
	case strings.HasSuffix(w, "ies") && n > 4:
		bases = append(bases, w[:n-3]+"y")
	case strings.HasSuffix(w, "sses"), strings.HasSuffix(w, "shes"), strings.HasSuffix(w, "ches"),
		strings.HasSuffix(w, "xes"), strings.HasSuffix(w, "zes"):
		bases = append(bases, w[:n-2])
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") &&
		!strings.HasSuffix(w, "is") && !strings.HasSuffix(w, "ous"):
		bases = append(bases, w[:n-1])
	case strings.HasSuffix(w, "ied") && n > 4:
		bases = append(bases, w[:n-3]+"y")
	case strings.HasSuffix(w, "ed") && n > 4:
		bases = append(bases, unsuffixed(w[:n-2])...)
	case strings.HasSuffix(w, "ing") && n > 5:
		bases = append(bases, unsuffixed(w[:n-3])...)
	default:
		// An uninflected word gets its inflections unless it reads as
		// one or two romanized Korean syllables, as place names and
		// given names do (Yodok, Musan, Hyesan are left alone).
		if ks := latinWordKeys(w, ""); ks != nil && len(ks) <= 2 {
			return nil
		}
		bases = append(bases, w)
	}
	var out []string
	add := func(f string) {
		if f != w && len(f) >= 3 {
			for _, o := range out {
				if o == f {
					return
				}
			}
			out = append(out, f)
		}
	}
	for _, b := range bases {
		if len(b) < 3 {
			continue
		}
		add(b)
		for _, f := range inflect(b) {
			add(f)
		}
	}
	return out
}

// unsuffixed returns the bases a stem left by -ed or -ing may come from:
// "return" (returned), "starve" (starved), "stop" (stopped).
func unsuffixed(s string) []string {
	out := []string{s}
	if !strings.HasSuffix(s, "e") {
		out = append(out, s+"e")
	}
	if k := len(s); k >= 3 && s[k-1] == s[k-2] && !isVowelLetter(s[k-1]) && s[k-1] != 'l' && s[k-1] != 's' && s[k-1] != 'z' {
		out = append(out, s[:k-1])
	}
	return out
}

// inflect returns the plural or third person, past and -ing forms of b.
func inflect(b string) []string {
	k := len(b)
	last := b[k-1]
	consY := last == 'y' && !isVowelLetter(b[k-2])
	var s, ed, ing string
	switch {
	case strings.HasSuffix(b, "s"), strings.HasSuffix(b, "x"), strings.HasSuffix(b, "z"),
		strings.HasSuffix(b, "ch"), strings.HasSuffix(b, "sh"):
		s = b + "es"
	case consY:
		s = b[:k-1] + "ies"
	default:
		s = b + "s"
	}
	switch {
	case last == 'e':
		ed = b + "d"
	case consY:
		ed = b[:k-1] + "ied"
	default:
		ed = b + "ed"
	}
	if last == 'e' && !strings.HasSuffix(b, "ee") {
		ing = b[:k-1] + "ing"
	} else {
		ing = b + "ing"
	}
	out := []string{s, ed, ing}
	// A short word ending consonant–vowel–consonant doubles its last
	// letter: stop, stopped, stopping.
	if k <= 4 && !isVowelLetter(last) && last != 'w' && last != 'x' && last != 'y' && isVowelLetter(b[k-2]) && !isVowelLetter(b[k-3]) {
		out = append(out, b+string(last)+"ed", b+string(last)+"ing")
	}
	return out
}
