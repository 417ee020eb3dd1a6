package hangul

import (
	"slices"
	"strings"
	"unicode"
)

// A name is read as a sequence of syllable positions, each holding the set
// of keys the syllable may stand for. A Hangul syllable has exactly one key;
// a romanized syllable has one per Hangul reading it may be ("chol" may be
// 철, 촐, 절 or 졸). Two names are the same when, in some reading order, they
// have the same number of syllables and every position shares a key.
type nameSeq [][]string

type namePart struct {
	alts    []nameSeq // readings of the part; more than one for ambiguous romanizations
	surname bool      // the part is a listed surname (Hangul) or surname spelling (Latin)
	latin   bool
}

// maxNameKeys caps the number of keys NameKeys returns for one name, and
// maxReadings the readings of one name.
const (
	maxNameKeys      = 1024
	maxReadings      = 16
	maxNameSyllables = 12 // longer readings get no keys (no personal name is that long)
)

// literalKey marks a word that is not romanized Korean ("Syngman"): it
// matches only itself.
const literalKey = "="

// appendAll returns every sequence in alts extended by every one in tail.
func appendAll(alts []nameSeq, tail []nameSeq) []nameSeq {
	var out []nameSeq
	for _, a := range alts {
		for _, t := range tail {
			if len(out) == maxReadings {
				return out
			}
			out = append(out, append(slices.Clip(a), t...))
		}
	}
	return out
}

func keyStrings(ks [][]keyID) nameSeq {
	seq := make(nameSeq, len(ks))
	for i, set := range ks {
		seq[i] = make([]string, len(set))
		for j, k := range set {
			seq[i][j] = k.String()
		}
	}
	return seq
}

func parseName(name string) []namePart {
	fields := strings.FieldsFunc(Normalize(name), func(r rune) bool {
		return unicode.IsSpace(r) || r == ',' || r == ';' || r == '/' || r == '·' || r == '・'
	})
	var parts []namePart
	for _, f := range fields {
		p := namePart{alts: []nameSeq{nil}}
		latin := []rune{}
		flush := func() {
			if len(latin) == 0 {
				return
			}
			p.latin = true
			words := strings.FieldsFunc(foldLatin(string(latin)), func(r rune) bool {
				return r < 'a' || r > 'z'
			})
			for i, w := range words {
				next := ""
				if i+1 < len(words) {
					next = words[i+1]
				}
				rs := latinWordReadings(w, next)
				if rs == nil {
					p.alts = appendAll(p.alts, []nameSeq{{{literalKey + w}}})
					continue
				}
				var tail []nameSeq
				for _, r := range rs {
					tail = append(tail, keyStrings(r))
				}
				p.alts = appendAll(p.alts, tail)
			}
			if len(words) == 1 {
				p.surname = len(surnames().byLatin[words[0]]) > 0
			}
			latin = latin[:0]
		}
		for _, r := range f {
			if k, ok := syllableKeyID(r); ok {
				flush()
				p.alts = appendAll(p.alts, []nameSeq{{{k.String()}}})
				continue
			}
			latin = append(latin, r)
		}
		flush()
		if !p.latin {
			p.surname = isHangulSurname(f)
		}
		if len(p.alts[0]) > 0 {
			parts = append(parts, p)
		}
	}
	return parts
}

// readings returns the orders in which a name may be read, surname first,
// each with every reading of its parts. Hangul is written surname first. A
// romanized name is read as written, and also with its last part moved to
// the front when that part is a surname spelling and either the first part
// is not one or there are only two parts: "Yeonmi Park" is also Park
// Yeonmi, while "Kim Il Sung" (a surname first, three parts) is not also
// Sung Kim Il.
func readings(parts []namePart) []nameSeq {
	if len(parts) == 0 {
		return nil
	}
	join := func(order []namePart) []nameSeq {
		out := []nameSeq{nil}
		for _, p := range order {
			out = appendAll(out, p.alts)
		}
		return out
	}
	out := join(parts)
	n := len(parts)
	last, first := parts[n-1], parts[0]
	if n >= 2 && last.latin && last.surname && (!first.surname || n == 2) {
		out = append(out, join(append([]namePart{last}, parts[:n-1]...))...)
	}
	return out
}

// NameKeys returns the keys under which a personal name is indexed and
// looked up: one string per reading, the syllable keys joined by "." with the
// surname first. A Hangul name has one key per reading (박철민 → "bak.ceol.min");
// a romanized name has one per combination of its syllables' possible Hangul
// readings, so "Pak Chol Min" yields "bak.ceol.min" among others, as do "Park
// Cheol-min", "Pak Ch'ŏl-min" and "Pak Chŏl Min". The name may be Hangul or
// romanized in any system or popular spelling, spaced, hyphenated or joined
// (Kim Jong-il, Kim Jong Il, Kim Jongil), and given-name-first when its last
// part is a surname spelling ("Yeonmi Park"). A word that is not romanized
// Korean is kept literally ("=syngman"). Two names share a key exactly when
// SameName reports them equal, unless a cap cut a name's list short: at most
// 1024 keys (reached only by long, highly ambiguous romanizations), and
// none for a reading of more than 12 syllables. The result is sorted,
// without duplicates, and nil for an empty name.
func NameKeys(name string) []string {
	set := map[string]struct{}{}
	for _, seq := range readings(parseName(name)) {
		if len(seq) > maxNameSyllables {
			continue
		}
		var rec func(i int, prefix string)
		rec = func(i int, prefix string) {
			if len(set) >= maxNameKeys {
				return
			}
			if i == len(seq) {
				set[prefix] = struct{}{}
				return
			}
			for _, k := range seq[i] {
				p := k
				if i > 0 {
					p = prefix + "." + k
				}
				rec(i+1, p)
			}
		}
		rec(0, "")
	}
	if len(set) == 0 {
		return nil
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// SameName reports whether a and b may be the same personal name written in
// different scripts, romanization systems, spellings or orders: 박철민, Pak
// Chol Min, Park Cheol-min and Pak Ch'ŏl-min are the same; 김정일 and Kim
// Jong-un are not. It compares syllable by syllable (see NameKeys), never by
// string distance. Names with different syllable counts never match, and
// SameName of an empty name is false. Romanizations that cannot be told
// apart (Kim Jong Il may be 김정일 or 김종일) match all their readings: a
// true result means "cannot be distinguished by spelling", and linkage MUST
// weigh it with other evidence.
func SameName(a, b string) bool {
	ra, rb := readings(parseName(a)), readings(parseName(b))
	for _, x := range ra {
		for _, y := range rb {
			if sameSeq(x, y) {
				return true
			}
		}
	}
	return false
}

func sameSeq(x, y nameSeq) bool {
	if len(x) != len(y) || len(x) == 0 {
		return false
	}
	for i := range x {
		if !intersects(x[i], y[i]) {
			return false
		}
	}
	return true
}

func intersects(a, b []string) bool {
	for _, s := range a {
		if slices.Contains(b, s) {
			return true
		}
	}
	return false
}
