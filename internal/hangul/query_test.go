package hangul

import (
	"slices"
	"strings"
	"testing"
)

// exprMatches evaluates a MatchExpr result against one document the way
// FTS5 would: groups joined by AND, each a phrase or a parenthesized OR of
// phrases, every phrase tokenized by TokenizeQuery and looked up in the
// document's Tokenize stream (see phraseIn).
func exprMatches(t *testing.T, expr, doc string) bool {
	t.Helper()
	if expr == "" {
		return false
	}
	for _, group := range strings.Split(expr, " AND ") {
		group = strings.TrimSuffix(strings.TrimPrefix(group, "("), ")")
		hit := false
		for _, phrase := range strings.Split(group, " OR ") {
			if !strings.HasPrefix(phrase, `"`) || !strings.HasSuffix(phrase, `"`) || len(phrase) < 2 {
				t.Fatalf("exprMatches: cannot parse %q in %s", phrase, expr)
			}
			q := strings.ReplaceAll(phrase[1:len(phrase)-1], `""`, `"`)
			if phraseIn(t, q, doc) {
				hit = true
				break
			}
		}
		if !hit {
			return false
		}
	}
	return true
}

// nameForms returns the spellings of the Hangul name h that search must
// join: the romanizations RomanizeName produces in every system and style,
// and the extra spellings given.
func nameForms(t *testing.T, h string, extra ...string) []string {
	t.Helper()
	forms := slices.Clone(extra)
	for _, sys := range []System{RR, MR, DPRK} {
		for _, o := range []NameOptions{{}, {Hyphen: true}, {ASCII: true}, {Hyphen: true, ASCII: true}, {Joined: true}} {
			s, err := RomanizeName(h, sys, o)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(forms, s) {
				forms = append(forms, s)
			}
		}
	}
	return forms
}

// keyAlternatives returns the key queries ("~…") of a MatchExpr result.
func keyAlternatives(expr string) []string {
	var out []string
	for _, f := range strings.Split(expr, `"`) {
		if strings.HasPrefix(f, KeyPrefix) {
			out = append(out, f)
		}
	}
	return out
}

// checkNameQueries checks, for the Hangul name h and its romanized forms,
// that MatchExpr searches each as a name (a two-syllable Hangul name only
// when spaced, 김 혁), that each form's keys include the Hangul name's, and
// that each query finds every form, and the Hangul, in running text
// through a key query: the query's key tokens occur at consecutive
// positions of the document's stream.
func checkNameQueries(t *testing.T, h string, forms []string) {
	t.Helper()
	hk := NameKeys(h)
	if len(hk) != 1 {
		t.Fatalf("NameKeys(%s) = %v", h, hk)
	}
	inText := func(name string) string {
		if allSyllables(name) {
			return "증언자 " + name + "는 그날 강을 건넜다"
		}
		return "the witness " + name + " crossed the river"
	}
	query := func(name string) string {
		if sur, given, ok := SplitName(name); ok && len([]rune(name)) == 2 {
			return sur + " " + given
		}
		return name
	}
	all := append([]string{h}, forms...)
	for _, f := range all {
		q := query(f)
		expr := MatchExpr(q)
		keys := keyAlternatives(expr)
		if !slices.Contains(keys, KeyPrefix+q) {
			t.Errorf("MatchExpr(%q) = %s: not searched as a name", q, expr)
			continue
		}
		if !slices.Contains(NameKeys(q), hk[0]) {
			t.Errorf("NameKeys(%q) lacks %s, the key of %s", q, hk[0], h)
		}
		for _, d := range all {
			doc := inText(d)
			if !slices.ContainsFunc(keys, func(k string) bool { return phraseIn(t, k, doc) }) {
				t.Errorf("no key query of MatchExpr(%q) = %s is found in %q", q, expr, doc)
			}
			if !exprMatches(t, expr, doc) {
				t.Errorf("MatchExpr(%q) = %s does not match %q", q, expr, doc)
			}
		}
	}
}

// TestNameQueryLiaison covers names whose given name has a final consonant
// before a vowel-initial syllable. MR and ALA-LC write the final voiced
// and, when hyphenated, before the hyphen: 식애 Sig-ae (RR Sik-ae), 복영
// Pog-yŏng, 갑연 Kab-yŏn, 곧은 Kod-ŭn, 낮이 Naj-i, 철원 Ch'ŏr-wŏn. Such a
// syllable ("sig") is romanized Korean only before a vowel, so each
// hyphenated part must be read with the one after it. Names are synthetic
// except those quoted in reference/korean.md.
func TestNameQueryLiaison(t *testing.T) {
	tests := []struct {
		hangul string
		extra  []string
	}{
		{"윤식애", []string{"Yun Sig-ae", "Yun Sik-ae", "Yoon Sikae", "Yun Sigae", "Sig-ae Yun", "YUN Sig-Ae", "Yun Sig\u2010ae"}},
		{"최복영", []string{"Ch'oe Pog-yŏng", "Ch’oe Pog-yŏng", "Choe Pog-yong", "Choi Bok-young", "Choe Bok-yeong", "Pog-yŏng Ch'oe"}},
		{"김국원", []string{"Kim Kug-wŏn", "Kim Kug-won", "Gim Guk-won"}},
		{"이덕우", []string{"Yi Tŏg-u", "Lee Deok-u", "Ri Tog-u"}},
		{"한갑연", []string{"Han Kab-yŏn", "Han Kab-yon", "Han Gap-yeon", "Hahn Kab-yun"}},
		{"박곧은", []string{"Pak Kod-ŭn", "Park Got-eun"}},
		{"송낮이", []string{"Song Naj-i", "Song Nat-i"}},
		{"김철원", []string{"Kim Ch'ŏr-wŏn", "Kim Chor-won", "Kim Cheol-won"}}, // ALA-LC, §1.1
	}
	for _, tc := range tests {
		checkNameQueries(t, tc.hangul, nameForms(t, tc.hangul, tc.extra...))
	}
	// The expression itself, as the store receives it.
	for q, want := range map[string]string{
		"Yun Sig-ae":        `("Yun Sig-ae" OR "~Yun Sig-ae" OR "~Sig-ae Yun")`,
		"Ch'oe Pog-yŏng 탈북": `("Ch'oe Pog-yŏng" OR "~Ch'oe Pog-yŏng" OR "~Pog-yŏng Ch'oe") AND "탈북"`,
		"Sig-ae":            `("Sig-ae" OR "~Sig-ae")`,
		"Kim Jong\u2010il":  "(\"Kim Jong\u2010il\" OR \"~Kim Jong\u2010il\" OR \"~Jong\u2010il Kim\")",
	} {
		if got := MatchExpr(q); got != want {
			t.Errorf("MatchExpr(%q)\n got %s\nwant %s", q, got, want)
		}
	}
	// In documents a liaison spelling is a syllable only before a vowel,
	// but a query also reads it as RR transliteration, which writes a
	// final ㄱ ㄷ ㅂ as g d b anywhere (issue 15): "Yun Sig" is 윤식.
	for _, c := range []struct{ q, h, key string }{{"Yun Sig", "윤식", "~sik"}, {"Yun Sig-min", "윤식민", "~sik"}, {"Kim Pog-su", "김복수", "~bok"}} {
		if got := MatchExpr(c.q); !exprMatches(t, got, "증언자 "+c.h+"는 그날") {
			t.Errorf("MatchExpr(%q) = %s does not find %s", c.q, got, c.h)
		}
		if doc := "the witness " + c.q + " crossed"; strings.Contains(keyTokens(t, doc), c.key) {
			t.Errorf("%q: documents must not key a liaison spelling before a consonant", doc)
		}
	}
}

// TestNameQueryPublicFigures runs checkNameQueries on the public figures of
// reference/korean.md: the §1.3 table (publicFigures) and the names quoted
// in §1.1.
func TestNameQueryPublicFigures(t *testing.T) {
	for _, p := range publicFigures {
		extra := []string{p.rr, p.mr, p.mrHyphen, p.dprk}
		for _, s := range p.seen {
			s = strings.TrimPrefix(s, "Ms ") // titles are not part of names
			if strings.Contains(s, " ") {    // "kangch'ŏrhwan" is one word, not a name query
				extra = append(extra, s)
			}
		}
		checkNameQueries(t, p.hangul, nameForms(t, p.hangul, extra...))
	}
	quoted := []struct {
		hangul string
		extra  []string
	}{
		{"김정일", []string{"Kim Chŏng-il", "Kim Ch'ŏng-il", "Kim Jong\u2011il"}},
		{"강철환", []string{"Kang Ch'ŏl-hwan", "KANG Chol-hwan"}},
		{"리설주", []string{"Ri Sol Ju", "Ri Sŏl-ju", "RI Sol-Ju", "Yi Sŏl-chu"}},
		{"김정은", []string{"Kim Jong Un", "Kim Jong-un"}},
		{"최룡해", []string{"Choe Ryong Hae", "Ch'oe Ryong-hae"}},
		{"장성택", []string{"Jang Song Thaek", "Chang Sŏng-t'aek"}},
		{"정석민", []string{"Jeong Seokmin", "Jeong Seok-min"}},
		{"최빛나", []string{"Choe Bitna", "Choe Bit-na", "Ch'oe Pinna"}},
		{"이석민", []string{"Yi Sŏng-min"}},
		{"김창룡", []string{"Kim Ch'ang-nyong"}},
		{"김리나", []string{"Kim Ri-na"}},
		{"최란", []string{"Ch'oe Ran"}},
		{"박동구", []string{"Pak Tong Gu"}},
		{"안복철", []string{"An Pok Chol"}},
		{"김꽃분이", []string{"Kim Kkotpuni"}},
	}
	for _, tc := range quoted {
		checkNameQueries(t, tc.hangul, nameForms(t, tc.hangul, tc.extra...))
	}
}

// keyTokens returns the key tokens Tokenize gives doc, space-separated.
func keyTokens(t *testing.T, doc string) string {
	t.Helper()
	var b strings.Builder
	_ = Tokenize(doc, func(tok string, _, _ int, _ bool) error {
		if strings.HasPrefix(tok, KeyPrefix) {
			b.WriteString(tok + " ")
		}
		return nil
	})
	return b.String()
}

func TestMatchExprPlaces(t *testing.T) {
	spellings := func(name string) []string {
		switch strings.ToLower(name) {
		case "tuman river", "두만강":
			return []string{"Tumen River", "두만강", "Tuman-gang"}
		}
		return nil
	}
	for _, c := range []struct{ q, want string }{
		// Each word of the place, OR every other spelling: the words
		// may stand apart in a passage, as without a gazetteer.
		{"Tuman River 탈출", `("Tuman" OR "Tumen River" OR "두만강" OR "Tuman-gang") AND ("River" OR "rivers" OR "rivered" OR "rivering" OR "Tumen River" OR "두만강" OR "Tuman-gang") AND "탈출"`},
		{"(Tuman River),", `("Tuman" OR "Tumen River" OR "두만강" OR "Tuman-gang") AND ("River" OR "rivers" OR "rivered" OR "rivering" OR "Tumen River" OR "두만강" OR "Tuman-gang")`},
		{"river", `("river" OR "rivers" OR "rivered" OR "rivering")`},
		// Spelled like a name too: the name's keys stay.
		{"두만강", `("두만강" OR "Tumen River" OR "Tuman-gang" OR "~두만강" OR "~만강 두")`},
	} {
		if got := MatchExprPlaces(c.q, spellings); got != c.want {
			t.Errorf("MatchExprPlaces(%q) = %s, want %s", c.q, got, c.want)
		}
	}
	if got, want := MatchExprPlaces("Tuman River", nil), MatchExpr("Tuman River"); got != want {
		t.Errorf("without a gazetteer: %s, want MatchExpr's %s", got, want)
	}
}
