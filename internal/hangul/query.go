package hangul

import (
	"errors"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MatchExpr turns what a user typed into an FTS5 MATCH expression for a
// table whose tokenizer calls Tokenize for documents and TokenizeQuery for
// queries. It is a pure function: it never fails, and returns "" when the
// query has nothing to search for (the caller MUST NOT run MATCH then).
//
// Each whitespace-separated term, or "double-quoted phrase", becomes an FTS5
// string; terms are joined by AND. FTS5 hands each string to TokenizeQuery,
// so 혁 searches the unigram, 탈출 and 두만강 their bigrams as a phrase, and
// 로동 also finds 노동. FTS5 operators typed by the user are searched as
// words; "~" and "*" are ignored.
//
// A personal name is also searched by its name keys, so that it is found in
// either script and any romanization:
//
//   - a Hangul term of 3–6 syllables that SplitName accepts and whose
//     surname is listed (박철민), or a listed Hangul surname followed by a
//     term of 1–4 syllables (박 철민, 김 혁); a two-syllable term is too
//     often an ordinary word (강을, 이것);
//   - 2–4 romanized terms whose first or last is a listed surname spelling
//     (Pak Chol Min, Kim Jong-il, Yeonmi Park; for a two-syllable name the
//     spelling must have three letters or more, so "Kim Hyuk" is a name and
//     "I got" is not), or one hyphenated romanized term (Chol-min), with 2–5
//     syllables in all; punctuation around or between the words does not
//     count ("Park, Cheol-min", "(Han Deok-su)"), and a surname may also be
//     spelled in Yale or RR transliteration (Ceng, Bag);
//   - one romanized word that is a surname spelling and a given name run
//     together (Bakcheolmin; see oneWordNames).
//
// A name's key queries also read a joined given name with another number
// of syllables (Yu Hyeok is also Yu Hye-ok, 유혜옥) and, for a Hangul name,
// its given name romanized as one word where that reads differently (유
// hyeok). An unquoted English word that is not a name becomes (word OR its
// other inflections): see EnglishForms.
//
// Such a term becomes (plain OR "~name" OR "~reversed"), where the reversed
// order puts the surname at the other end, to find given-name-first text:
//
//	MatchExpr(`김정일 수용소`) == `("김정일" OR "~김정일" OR "~정일 김") AND "수용소"`
//
// A name query therefore also matches other text whose syllables share the
// name's keys (see the package documentation for the trade-off).
func MatchExpr(query string) string { return MatchExprPlaces(query, nil) }

// maxPlaceWords is the most query terms a place name spans ("North
// Hamgyong Province").
const maxPlaceWords = 4

// MatchExprPlaces is MatchExpr that also searches a place by every name a
// gazetteer has for it, so that a place written in one script or
// romanization finds the others (Hoeryong, Hoeryŏng, 회령, 會寧). spellings
// returns the other names of the place called name, or nil when name is no
// place; it is asked about each run of 1–4 terms not taken by a longer
// personal name, longest first, and a quoted phrase alone. Each term of a
// place becomes (the term as alone OR "spelling" OR …), so that the place
// finds at least what its words found without the gazetteer:
//
//	MatchExprPlaces(`Tuman River`, f) ==
//		`("Tuman" OR "Tumen River" OR "두만강" OR …) AND ("River" OR "rivers" OR … OR "Tumen River" OR "두만강" OR …)`
//
// spellings nil is MatchExpr.
func MatchExprPlaces(query string, spellings func(name string) []string) string {
	terms := lexQuery(Normalize(query))
	var groups []string
	for i := 0; i < len(terms); {
		n, alts := nameAt(terms, i)
		if np, spelled := placeAt(terms, i, spellings); np > 0 && np >= n {
			var keys []string
			if np == n { // also spelled like a personal name: Hoeryong (Ho E-ryong), 두만강
				keys = alts
			}
			groups = append(groups, placeGroups(terms[i:i+np], spelled, keys)...)
			i += np
			continue
		}
		if n > 0 {
			texts := make([]string, n)
			for j := range n {
				texts[j] = terms[i+j].text
			}
			g := "(" + quoteFTS(strings.Join(texts, " "))
			for _, a := range alts {
				g += " OR " + quoteFTS(KeyPrefix+a)
			}
			groups = append(groups, g+")")
			i += n
			continue
		}
		groups = append(groups, plainGroup(terms[i]))
		i++
	}
	return strings.Join(groups, " AND ")
}

// placeAt reports whether a place starts at terms[i]: how many terms it
// spans and its other spellings.
func placeAt(terms []queryTerm, i int, spellings func(string) []string) (int, []string) {
	if spellings == nil {
		return 0, nil
	}
	for n := min(maxPlaceWords, len(terms)-i); n >= 1; n-- {
		texts := make([]string, n)
		ok := true
		for j, t := range terms[i : i+n] {
			if t.quoted && n > 1 {
				ok = false
				break
			}
			texts[j] = t.text
		}
		if !ok {
			continue
		}
		name := strings.TrimFunc(strings.Join(texts, " "), isPlaceSep)
		var out []string
		for _, a := range spellings(name) {
			if a = Normalize(a); a != name && !slices.Contains(out, a) && hasTokens(a) {
				out = append(out, a)
			}
		}
		if len(out) > 0 {
			return n, out
		}
	}
	return 0, nil
}

// placeGroups is a place's terms as the user wrote them, each as it would
// be alone, OR any other spelling OR a personal name's keys: one group a
// term, since (t1 AND t2) OR s is (t1 OR s) AND (t2 OR s), so that "Tuman
// River" still finds a passage with both words apart.
func placeGroups(terms []queryTerm, spelled, keys []string) []string {
	var extra string
	for _, s := range spelled {
		extra += " OR " + quoteFTS(s)
	}
	for _, k := range keys {
		extra += " OR " + quoteFTS(KeyPrefix+k)
	}
	out := make([]string, len(terms))
	for j, t := range terms {
		if j == 0 || j == len(terms)-1 {
			// Punctuation around the name is not searched for.
			t.text = strings.TrimFunc(t.text, isPlaceSep)
		}
		out[j] = "(" + strings.Join(plainAlts(t), " OR ") + extra + ")"
	}
	return out
}

// isPlaceSep is punctuation around a place name ("(Hoeryong)", "회령,");
// digits, hyphens and apostrophes belong to names (Camp 22, Tuman-gang).
func isPlaceSep(r rune) bool {
	return (unicode.IsPunct(r) || unicode.IsSymbol(r)) && !isHyphen(r) && !isApostrophe(r)
}

// plainGroup is a term that is not a name: itself, or, for an unquoted
// English word, itself OR its other inflections (EnglishForms).
func plainGroup(t queryTerm) string {
	alts := plainAlts(t)
	if len(alts) == 1 {
		return alts[0]
	}
	return "(" + strings.Join(alts, " OR ") + ")"
}

// plainAlts are plainGroup's alternatives, quoted.
func plainAlts(t queryTerm) []string {
	alts := []string{quoteFTS(t.text)}
	if t.quoted {
		return alts
	}
	w := strings.TrimFunc(t.text, isNameSep)
	if w == "" || strings.ContainsFunc(w, isNameSep) || !isLowerASCII(strings.ToLower(w)) {
		return alts
	}
	for _, f := range EnglishForms(strings.ToLower(w)) {
		alts = append(alts, quoteFTS(f))
	}
	return alts
}

// quoteFTS quotes s as an FTS5 string: "..." with " doubled.
func quoteFTS(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

type queryTerm struct {
	text   string
	quoted bool
}

// lexQuery splits a query into terms: "quoted phrases" and
// whitespace-separated words, dropping any that yield no tokens. An unclosed
// quote runs to the end.
func lexQuery(q string) []queryTerm {
	q = strings.Map(func(r rune) rune {
		if r == '~' || r == '*' || unicode.IsControl(r) {
			return ' '
		}
		return r
	}, q)
	var terms []queryTerm
	add := func(s string, quoted bool) {
		s = strings.Join(strings.Fields(s), " ")
		if s != "" && hasTokens(s) {
			terms = append(terms, queryTerm{s, quoted})
		}
	}
	for q != "" {
		q = strings.TrimLeftFunc(q, unicode.IsSpace)
		if q == "" {
			break
		}
		if q[0] == '"' {
			end := strings.IndexByte(q[1:], '"')
			if end < 0 {
				add(q[1:], true)
				break
			}
			add(q[1:1+end], true)
			q = q[2+end:]
			continue
		}
		end := strings.IndexFunc(q, func(r rune) bool { return unicode.IsSpace(r) || r == '"' })
		if end < 0 {
			end = len(q)
		}
		add(q[:end], false)
		q = q[end:]
	}
	return terms
}

func hasTokens(s string) bool {
	found := false
	_ = TokenizeQuery(s, func(string, int, int, bool) error {
		found = true
		return errStop
	})
	return found
}

var errStop = errors.New("stop")

// nameAt reports whether a personal name starts at terms[i]: how many terms
// it spans and the key queries (without KeyPrefix) to add. Punctuation
// around and between the words of a name is not part of it: "Park,
// Cheol-min", "(Han Deok-su)", "Kim Jeong-il." and "박철민," are names.
func nameAt(terms []queryTerm, i int) (int, []string) {
	t := terms[i]
	if h := strings.TrimFunc(t.text, isNameSep); allSyllables(h) && !strings.Contains(h, " ") {
		if sur, given, ok := SplitName(h); ok && isHangulSurname(sur) && utf8.RuneCountInString(h) >= 3 {
			return 1, append([]string{h, given + " " + sur}, hangulRomanAlts(sur, given)...)
		}
		if isHangulSurname(h) && i+1 < len(terms) && !terms[i+1].quoted {
			next := strings.TrimFunc(terms[i+1].text, isNameSep)
			if n := utf8.RuneCountInString(next); n >= 1 && n <= 4 && allSyllables(next) {
				return 2, append([]string{h + " " + next, next + " " + h}, hangulRomanAlts(h, next)...)
			}
		}
		return 0, nil
	}
	if t.quoted {
		if alts, ok := latinName(namePieces(t.text)); ok {
			return 1, alts
		}
		return 0, nil
	}
	for n := min(4, len(terms)-i); n >= 1; n-- {
		var parts []string
		ok := true
		for _, u := range terms[i : i+n] {
			if u.quoted || strings.Contains(u.text, " ") {
				ok = false
				break
			}
			parts = append(parts, namePieces(u.text)...)
		}
		if !ok || len(parts) > 4 {
			continue
		}
		if alts, ok := latinName(parts); ok {
			return n, alts
		}
	}
	return 0, nil
}

// maxNameAlts caps the key queries of one name.
const maxNameAlts = 8

// latinName decides whether parts (words without spaces or punctuation)
// are a romanized personal name and returns its key queries: as written,
// with the surname moved to the other end, and with a given-name part read
// with another number of syllables (see resplits). One word with no hyphen
// is a name when it reads as a surname and a given name run together
// (oneWordNames).
func latinName(parts []string) ([]string, bool) {
	if len(parts) == 0 {
		return nil, false
	}
	if len(parts) == 1 && !strings.ContainsFunc(parts[0], isHyphen) {
		alts := oneWordNames(parts[0])
		return alts, len(alts) > 0
	}
	counts := make([]int, len(parts))
	syllables := 0
	for i, p := range parts {
		if strings.IndexFunc(p, func(r rune) bool {
			return !unicode.IsLetter(r) && !isHyphen(r) && !isApostrophe(r) && !unicode.IsMark(r)
		}) >= 0 {
			return nil, false
		}
		counts[i] = latinSyllables(p)
		if counts[i] == 0 {
			return nil, false
		}
		syllables += counts[i]
	}
	n := len(parts)
	// The other readings of each given-name part, and the most syllables
	// any reading has.
	type resplit struct {
		part int
		text string
		diff int
	}
	var rs []resplit
	most := syllables
	for i, p := range parts {
		if n > 1 && isQuerySurname(p) && (i == 0 || i == n-1) {
			continue
		}
		for _, r := range resplits(p, counts[i]) {
			d := strings.Count(r, "-") + 1 - counts[i]
			rs = append(rs, resplit{i, r, d})
			most = max(most, syllables+d)
		}
	}
	if most < 2 || syllables > 5 {
		return nil, false
	}
	// A two-syllable name needs a surname spelling of three letters or
	// more: "Kim Hyuk" is searched as a name, "I got" and "go on" are not.
	isSur := func(p string) bool {
		return isQuerySurname(p) && (most > 2 || len(foldLatin(p)) >= 3)
	}
	// The orders to search: as written, and with a surname at one end
	// moved to the other. When both ends are surname spellings ("Kim Il
	// Sung", "Kuk Min Yun.") both moves are searched.
	orders := [][]string{slices.Clone(parts)}
	if n > 1 {
		if !isSur(parts[0]) && !isSur(parts[n-1]) {
			return nil, false
		}
		if isSur(parts[n-1]) {
			orders = append(orders, append([]string{parts[n-1]}, parts[:n-1]...))
		}
		if isSur(parts[0]) && n > 2 || !isSur(parts[n-1]) {
			orders = append(orders, append(slices.Clone(parts[1:]), parts[0]))
		}
	}
	var alts []string
	add := func(s string) {
		if len(alts) < maxNameAlts && !slices.Contains(alts, s) {
			alts = append(alts, s)
		}
	}
	for _, o := range orders {
		add(strings.Join(o, " "))
	}
	for _, r := range rs {
		if syllables+r.diff < 2 || syllables+r.diff > 5 {
			continue
		}
		for _, o := range orders {
			o = slices.Clone(o)
			o[slices.Index(o, parts[r.part])] = r.text
			add(strings.Join(o, " "))
		}
	}
	return alts, true
}

func allSyllables(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !IsSyllable(r) && r != ' ' {
			return false
		}
	}
	return true
}
