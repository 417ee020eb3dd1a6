package hangul

import (
	"errors"
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
//     syllables in all.
//
// Such a term becomes (plain OR "~name" OR "~reversed"), where the reversed
// order puts the surname at the other end, to find given-name-first text:
//
//	MatchExpr(`김정일 수용소`) == `("김정일" OR "~김정일" OR "~정일 김") AND "수용소"`
//
// A name query therefore also matches other text whose syllables share the
// name's keys (see the package documentation for the trade-off).
func MatchExpr(query string) string {
	terms := lexQuery(Normalize(query))
	var groups []string
	for i := 0; i < len(terms); {
		if n, alts := nameAt(terms, i); n > 0 {
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
		groups = append(groups, quoteFTS(terms[i].text))
		i++
	}
	return strings.Join(groups, " AND ")
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
// it spans and the key queries (without KeyPrefix) to add.
func nameAt(terms []queryTerm, i int) (int, []string) {
	t := terms[i]
	if allSyllables(t.text) && !strings.Contains(t.text, " ") {
		if sur, given, ok := SplitName(t.text); ok && isHangulSurname(sur) && utf8.RuneCountInString(t.text) >= 3 {
			return 1, []string{t.text, given + " " + sur}
		}
		if isHangulSurname(t.text) && i+1 < len(terms) && !terms[i+1].quoted {
			next := terms[i+1].text
			if n := utf8.RuneCountInString(next); n >= 1 && n <= 4 && allSyllables(next) {
				return 2, []string{t.text + " " + next, next + " " + t.text}
			}
		}
		return 0, nil
	}
	if t.quoted {
		if alts, ok := latinName(strings.Fields(t.text)); ok {
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
			parts = append(parts, u.text)
		}
		if !ok {
			continue
		}
		if alts, ok := latinName(parts); ok {
			return n, alts
		}
	}
	return 0, nil
}

// latinName decides whether parts (space-separated) are a romanized
// personal name and returns its key queries: as written, and with the
// surname moved to the other end.
func latinName(parts []string) ([]string, bool) {
	syllables := 0
	for _, p := range parts {
		words := strings.FieldsFunc(foldLatin(p), func(r rune) bool { return r < 'a' || r > 'z' })
		if len(words) == 0 || strings.IndexFunc(p, func(r rune) bool {
			return !unicode.IsLetter(r) && !isHyphen(r) && !isApostrophe(r) && !unicode.IsMark(r)
		}) >= 0 {
			return nil, false
		}
		for j, w := range words {
			// The word after a hyphen conditions this one, as in Tokenize
			// and NameKeys: a final voiced before a vowel ("Sig-ae", MR and
			// ALA-LC for 식애) is a syllable only when a vowel follows.
			next := ""
			if j+1 < len(words) {
				next = words[j+1]
			}
			ks := latinWordKeys(w, next)
			if ks == nil {
				return nil, false
			}
			syllables += len(ks)
		}
	}
	if syllables < 2 || syllables > 5 {
		return nil, false
	}
	// A two-syllable name needs a surname spelling of three letters or
	// more: "Kim Hyuk" is searched as a name, "I got" and "go on" are not.
	isSur := func(p string) bool {
		return len(SurnamesSpelled(p)) > 0 && (syllables > 2 || len(foldLatin(p)) >= 3)
	}
	n := len(parts)
	whole := strings.Join(parts, " ")
	switch {
	case n == 1:
		if strings.ContainsFunc(parts[0], isHyphen) {
			return []string{whole}, true
		}
		return nil, false
	case isSur(parts[n-1]) && (!isSur(parts[0]) || n == 2):
		rev := parts[n-1] + " " + strings.Join(parts[:n-1], " ")
		return []string{whole, rev}, true
	case isSur(parts[0]):
		rev := strings.Join(parts[1:], " ") + " " + parts[0]
		return []string{whole, rev}, true
	}
	return nil, false
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
