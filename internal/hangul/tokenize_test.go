package hangul

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// show renders a token stream compactly: tokens separated by spaces, a
// co-located token prefixed with "+".
func show(t testing.TB, f func(string, TokenFunc) error, text string) string {
	t.Helper()
	var b []string
	err := f(text, func(tok string, s, e int, col bool) error {
		if col {
			tok = "+" + tok
		}
		b = append(b, tok)
		return nil
	})
	if err != nil {
		t.Fatalf("%q: %v", text, err)
	}
	return strings.Join(b, " ")
}

func TestTokenize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"요덕수용소에서", "요 +요덕 +~yo 덕 +덕수 +~deok 수 +수용 +~su 용 +용소 +~yong 소 +소에 +~so 에 +에서 +~e 서 +~seo"},
		{"두만강을 건넜다", "두 +두만 +~du 만 +만강 +~man 강 +강을 +~gang 을 +~eul 건 +건넜 +~geon 넜 +넜다 +~neot 다 +~da"},
		// North/South: the first syllable of a word is indexed in its southern form.
		{"로동자", "노 +노동 +~no 동 +동자 +~dong 자 +~ja"},
		{"녀성 근로", "여 +여성 +~yeo 성 +~seong 근 +근로 +~geun 로 +~no"},
		{"1997년 봄", "1997 연 +~yeon 봄 +~bom"},
		// Mixed Korean, English, Hanja, IDs, MR apostrophes and breves.
		{"Kim Jong-il's 金正日 W-0042 Ch'ŏl-min",
			"kim +~gim +~kim jong +~jeong +~jong il +~il 金 正 日 w 0042 chol +~jeol +~jol +~ceol +~col min +~min"},
		{"KCNA는 김정일(金正日)을", "kcna 는 +~neun 김 +김정 +~gim 정 +정일 +~jeong 일 +~il 金 正 日 을 +~eul"},
		{"Jongil", "jongil +~jeon +~jeong +~jon +~jong ~gil +~il"},
		// Jamo: compatibility letters compose; lone letters are unigrams.
		{"ㄱㅣㅁ ㅋㅋ", "김 +~gim ㅋ ㅋ"},
		{norm.NFD.String("김정일"), "김 +김정 +~gim 정 +정일 +~jeong 일 +~il"},
		{"\uFFA1\uFFDC\uFFB1", "김 +~gim"},
		// Case, width and diacritic folding; apostrophes.
		{"ＫＩＭ Çağ naïve", "kim +~gim +~kim cag naive"},
		{"O’Brien don't", "obrien dont"},
		{"Kim’s", "kim +~gim +~kim"},
		{"'quoted'", "quoted"},
		{"豈", "豈"}, // CJK compatibility ideograph U+F900 → U+8C48
		{"ひらがな", "ひ ら が な"},
		{"Москва", "москва"},
		{"", ""},
		{"--- ...", ""},
		{"\xff김\xfe", "김 +~gim"},
	}
	for _, tc := range tests {
		if got := show(t, Tokenize, tc.in); got != tc.want {
			t.Errorf("Tokenize(%q)\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

func TestTokenizeOffsets(t *testing.T) {
	text := "W-01: Ch'ŏl-min 金 두만강"
	type tok struct {
		s    string
		a, b int
		col  bool
	}
	var got []tok
	_ = Tokenize(text, func(s string, a, b int, col bool) error {
		got = append(got, tok{s, a, b, col})
		return nil
	})
	want := []tok{
		{"w", 0, 1, false}, {"01", 2, 4, false},
		{"chol", 6, 12, false}, {"~jeol", 6, 12, true}, {"~jol", 6, 12, true}, {"~ceol", 6, 12, true}, {"~col", 6, 12, true},
		{"min", 13, 16, false}, {"~min", 13, 16, true},
		{"金", 17, 20, false},
		{"두", 21, 24, false}, {"두만", 21, 27, true}, {"~du", 21, 24, true},
		{"만", 24, 27, false}, {"만강", 24, 30, true}, {"~man", 24, 27, true},
		{"강", 27, 30, false}, {"~gang", 27, 30, true},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	if text[6:12] != "Ch'ŏl" || text[21:27] != "두만" {
		t.Fatal("bad test offsets")
	}
}

func TestTokenizeQuery(t *testing.T) {
	tests := []struct{ in, want string }{
		{"혁", "혁"},
		{"요덕", "요덕 +료덕 +뇨덕"},
		{"요덕수용소", "요덕 +료덕 +뇨덕 덕수 수용 +수룡 +수뇽 용소 +룡소 +뇽소"},
		{"두만강", "두만 만강"},
		// The unigram after a run keeps positions aligned with documents.
		{"강을 건넜다", "강을 을 건넜 +건렀 넜다 +렀다"},
		// North/South in both directions, word-initial and inside compounds.
		{"로동", "노동 +로동"},
		{"노동", "노동 +로동"},
		{"조선노동당", "조선 선노 +선로 노동 +로동 동당"},
		{"리용", "이용 +이룡 +이뇽 +리용 +리룡 +리뇽"},
		// Words: the keys of later syllables keep their document positions.
		{"Jongil said", "jongil ~gil +~il said"},
		{"human rights", "human ~man +~an rights"},
		// Name queries.
		{"~Pak Chol Min", "~bak +~pak ~jeol +~jol +~ceol +~col ~min"},
		{"~박철민", "~bak ~ceol ~min"},
		{"~Yi Sŏng-min", "~i ~seok +~seong +~sok +~song ~min"},
		{"~金 1997", ""},
		{"~", ""},
	}
	for _, tc := range tests {
		if got := show(t, TokenizeQuery, tc.in); got != tc.want {
			t.Errorf("TokenizeQuery(%q)\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

// TestQueryMatchesDocument checks the alignment that phrase queries rely on:
// the query tokens of any stretch of words of a document occur in the
// document's token stream at consecutive positions.
func TestQueryMatchesDocument(t *testing.T) {
	docs := []string{
		"우리는 1998년에 두만강을 건넜다. Kim Jongil's guards beat Pak Chol Min at Yodok.",
		"조선로동당 간부 리철진은 녀성동맹 회의에서 Ch'ŏl-min을 만났다",
	}
	for _, d := range docs {
		words := strings.Fields(d)
		for i := range words {
			for j := i + 1; j <= len(words) && j <= i+3; j++ {
				q := strings.Join(words[i:j], " ")
				if !phraseIn(t, q, d) {
					t.Errorf("phrase %q not found in %q", q, d)
				}
			}
		}
	}
	for q, d := range map[string]string{
		"~박철민":          "the guard Pak Chol Min said",
		"~Pak Chol Min": "경비원 박철민이 말했다",
		"~Kim Jongil":   "Kim Jong-il",
		"~kim jong il":  "Kim Jongil",
		"~Yi Sŏng-min":  "이석민",
		"~박연미":          "Park Yeon-mi",
	} {
		if !phraseIn(t, q, d) {
			t.Errorf("name query %q not found in %q", q, d)
		}
	}
	for q, d := range map[string]string{
		"~김정일":  "Kim Jong-un",
		"~Kang": "Kong",
		"요덕":    "Yodok", // a plain Hangul query does not search keys
	} {
		if phraseIn(t, q, d) {
			t.Errorf("query %q found in %q", q, d)
		}
	}
}

// phraseIn evaluates query q as one FTS5 phrase against doc: each query
// position holds alternatives, and the document must hold one of them at
// consecutive positions.
func phraseIn(t *testing.T, q, doc string) bool {
	t.Helper()
	var qpos [][]string
	_ = TokenizeQuery(q, func(tok string, _, _ int, col bool) error {
		if !col || len(qpos) == 0 {
			qpos = append(qpos, nil)
		}
		qpos[len(qpos)-1] = append(qpos[len(qpos)-1], tok)
		return nil
	})
	var dpos []map[string]bool
	_ = Tokenize(doc, func(tok string, _, _ int, col bool) error {
		if !col || len(dpos) == 0 {
			dpos = append(dpos, map[string]bool{})
		}
		dpos[len(dpos)-1][tok] = true
		return nil
	})
	if len(qpos) == 0 {
		return false
	}
	for start := 0; start+len(qpos) <= len(dpos); start++ {
		ok := true
		for i, alts := range qpos {
			hit := false
			for _, a := range alts {
				hit = hit || dpos[start+i][a]
			}
			if !hit {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func TestMatchExpr(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"  ~ * ", ""},
		{"혁", `"혁"`},
		{"탈출", `"탈출"`},
		{"요덕 두만강", `"요덕" AND ("두만강" OR "~두만강" OR "~만강 두")`},
		{"김정일 수용소", `("김정일" OR "~김정일" OR "~정일 김") AND "수용소"`},
		{"박 철민", `("박 철민" OR "~박 철민" OR "~철민 박")`},
		{"Kim Jong-il", `("Kim Jong-il" OR "~Kim Jong-il" OR "~Jong-il Kim")`},
		{"kim jong il", `("kim jong il" OR "~kim jong il" OR "~jong il kim")`},
		{"Yeonmi Park", `("Yeonmi Park" OR "~Yeonmi Park" OR "~Park Yeonmi")`},
		// Both ends are surname spellings (민 Min): both moves are searched,
		// for given-name-first text such as "Kuk Min Yun." (issue 15).
		{"Pak Chol Min beaten", `("Pak Chol Min" OR "~Pak Chol Min" OR "~Min Pak Chol" OR "~Chol Min Pak") AND ("beaten" OR "beatens" OR "beatened" OR "beatening")`},
		{"Chol-min", `("Chol-min" OR "~Chol-min")`},
		{`"Kim Jong-il" 혁`, `("Kim Jong-il" OR "~Kim Jong-il" OR "~Jong-il Kim") AND "혁"`},
		{`"human rights" 탈북`, `"human rights" AND "탈북"`},
		{`say "hello`, `"say" AND "hello"`},
		{`a"b`, `"a" AND "b"`},
		{"~kim*", `"kim"`},
		{"NOT OR AND", `"NOT" AND "OR" AND "AND"`},
		// English words also search their inflections (a light stemmer);
		// a romanized place name of one or two syllables does not.
		{"torture Yodok", `("torture" OR "tortures" OR "tortured" OR "torturing") AND "Yodok"`},
		// Two syllables: too often ordinary words.
		{"강을 건넜다", `"강을" AND "건넜다"`},
		{"김혁", `"김혁"`},
		{"김 혁", `("김 혁" OR "~김 혁" OR "~혁 김")`},
		{"KIM Hyuk", `("KIM Hyuk" OR "~KIM Hyuk" OR "~Hyuk KIM")`},
		{"I got", `"I" AND "got"`},
		{"go on", `"go" AND "on"`},
	}
	for _, tc := range tests {
		if got := MatchExpr(tc.in); got != tc.want {
			t.Errorf("MatchExpr(%q)\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
	if got := quoteFTS(`a"b`); got != `"a""b"` {
		t.Errorf("quoteFTS = %s", got)
	}
}

func TestTokenizeError(t *testing.T) {
	stop := fmt.Errorf("stop")
	n := 0
	err := Tokenize("김정일 Kim Jong-il", func(string, int, int, bool) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if err != stop || n != 2 {
		t.Errorf("err = %v after %d tokens", err, n)
	}
}

// checkStream verifies the invariants every token stream must keep.
func checkStream(t *testing.T, text string, f func(string, TokenFunc) error, from int) {
	t.Helper()
	boundary := map[int]bool{len(text): true} // where range over text stops
	for i := range text {
		boundary[i] = true
	}
	prev, count := -1, 0
	err := f(text, func(tok string, s, e int, col bool) error {
		count++
		switch {
		case tok == "":
			t.Fatalf("%q: empty token", text)
		case s < from || s >= e || e > len(text):
			t.Fatalf("%q: token %q has span [%d, %d)", text, tok, s, e)
		case !boundary[s] || !boundary[e]:
			t.Fatalf("%q: token %q span [%d, %d) splits a rune", text, tok, s, e)
		case s < prev:
			t.Fatalf("%q: token %q starts at %d before %d", text, tok, s, prev)
		case count == 1 && col:
			t.Fatalf("%q: first token %q co-located", text, tok)
		}
		prev = s
		if msg := relates(tok, text[s:e]); msg != "" {
			t.Fatalf("%q: token %q from %q: %s", text, tok, text[s:e], msg)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// relates checks that tok was derived from span: a key comes from a syllable
// with that key or from letters; a Hangul token spells the span's syllables
// up to North/South variation (same keys); a word is the span folded.
func relates(tok, span string) string {
	if strings.HasPrefix(tok, KeyPrefix) {
		k := tok[len(KeyPrefix):]
		for _, r := range Normalize(span) {
			if SyllableKey(r) == k || !IsSyllable(r) && unicode.IsLetter(r) {
				return ""
			}
		}
		return "key not found in span"
	}
	tr := []rune(tok)
	if IsSyllable(tr[0]) || IsJamo(tr[0]) {
		var sr []rune // combining marks are ignored
		for _, r := range Normalize(span) {
			if !unicode.IsMark(r) {
				sr = append(sr, r)
			}
		}
		if len(sr) != len(tr) {
			return fmt.Sprintf("span normalizes to %q", string(sr))
		}
		for i := range tr {
			if tr[i] != sr[i] && (SyllableKey(tr[i]) == "" || SyllableKey(tr[i]) != SyllableKey(sr[i])) {
				return fmt.Sprintf("rune %d differs from %q", i, string(sr))
			}
		}
		return ""
	}
	if isIdeo([]rune(span)[0]) {
		if len(tr) != 1 || !strings.Contains(norm.NFKC.String(span), tok) {
			return "not a character of the span's NFKC form"
		}
		return ""
	}
	var b strings.Builder
	for _, r := range foldLatin(span) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	if b.String() != tok {
		return fmt.Sprintf("folds to %q", b.String())
	}
	return ""
}

func FuzzTokenize(f *testing.F) {
	for _, s := range []string{
		"요덕수용소에서", "두만강을 건넜다", "Kim Jong-il's 金正日 로동당 W-0042 Ch'ŏl-min ㄱㅣㅁ ㅋㅋ",
		norm.NFD.String("김정일"), "ㄷㅏㄹㄱㅣ", "\uFFA1\uFFDC", "가\u11A8\u0301", "Pak Chŏl Min", "ﬁŉ",
		"~박철민", "O'Brien's", "\xff\xfe", "ᄀ\u1160ᅡ", "ㅗㅏㅇ", "ᄀ\u064Bᅵ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		checkStream(t, text, Tokenize, 0)
		checkStream(t, text, TokenizeQuery, 0)
		checkStream(t, KeyPrefix+text, TokenizeQuery, len(KeyPrefix))
		_ = MatchExpr(text)
		checkSlowPath(t, text)
	})
}

// checkSlowPath: every mode gives the same tokens whether syllables take
// the composer or the fast path past it.
func checkSlowPath(t *testing.T, text string) {
	t.Helper()
	all := func() string {
		var b strings.Builder
		fn := func(tok string, s, e int, col bool) error {
			fmt.Fprintf(&b, "%q %d %d %v|", tok, s, e, col)
			return nil
		}
		for _, tokenize := range []func(string, TokenFunc) error{Tokenize, TokenizeQuery} {
			_ = tokenize(text, fn)
			b.WriteString("\n")
		}
		TokenizeIndex(text, 1<<16, func(tok string, pos, s, e int) {
			fmt.Fprintf(&b, "%q %d %d %d|", tok, pos, s, e)
		})
		b.WriteString("\n")
		_ = TokenizeQuery(KeyPrefix+text, fn)
		return b.String()
	}
	fast := all()
	slowPath = true
	slow := all()
	slowPath = false
	if fast != slow {
		t.Errorf("%q: the fast path gives\n%s\nthe composer\n%s", text, fast, slow)
	}
}

func TestSlowPath(t *testing.T) {
	for _, s := range []string{
		"요덕수용소에서", "가\u11A8\u0301", "가\u11A8나", "가\u3164나", "가ㅋ나", "가ㅏ", "ᄀ\u1160ᅡ", "가\uFFA1",
		norm.NFD.String("김정일") + "김", "Kim 김정일, 朝鮮 로동당", "가\xff나",
	} {
		checkSlowPath(t, s)
	}
}

// benchText builds about 1 MB of mixed testimony-like text: Korean
// sentences in both orthographies, English with romanized names, Hanja.
func benchText() string {
	ko := []string{
		"질문: 배급이 언제부터 끊겼습니까? 답변: 무산에서는 1995년 가을부터 배급이 들쭉날쭉하다가 1996년에는 아예 나오지 않았습니다.",
		"아버지는 광산 로동자였는데 직장에 나가도 식량을 주지 않았어요. 동네 녀성들이 모여 산으로 풀을 뜯으러 다녔습니다.",
		"2003년 봄에 두만강을 건너 중국으로 갔다가 강제송환되어 회령 보위부 구류장에서 조사를 받았습니다.",
		"보위원 편경철이 저를 심문했고, 요덕수용소(耀德收容所)에 간 사람들 이야기를 들었습니다.",
	}
	en := []string{
		"Q: When did the rations stop? A: In Musan the rations became irregular from autumn 1995.",
		"The interrogator P'yŏn Kyŏng-ch'ŏl (Pyon Kyong Chol) questioned her at the Hoeryong city office in late 2004.",
		"Kim Jong-il's portrait hung in every room; Pak Chol Min said the guards at Yodok beat prisoners.",
		"Women from the neighbourhood went up the hills together to gather wild greens near Chongjin.",
	}
	var b strings.Builder
	for i := 0; b.Len() < 1<<20; i++ {
		b.WriteString(ko[i%len(ko)])
		b.WriteByte('\n')
		b.WriteString(en[i%len(en)])
		b.WriteByte('\n')
	}
	return b.String()
}

func BenchmarkTokenize(b *testing.B) {
	text := benchText()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	tokens := 0
	for b.Loop() {
		tokens = 0
		_ = Tokenize(text, func(string, int, int, bool) error {
			tokens++
			return nil
		})
	}
	b.ReportMetric(float64(tokens), "tokens/op")
}

func BenchmarkTokenizeQuery(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = TokenizeQuery(MatchExpr("김정일 Pak Chol Min 요덕수용소"), func(string, int, int, bool) error { return nil })
	}
}

func TestQueryOneSyllableBothForms(t *testing.T) {
	var got []string
	TokenizeQuery("리", func(tok string, s, e int, co bool) error {
		if co {
			tok = "+" + tok
		}
		got = append(got, tok)
		return nil
	})
	// 리 as written (inside words, e.g. 관리소) and in its southern form (how
	// a word-initial 리, e.g. 리학연, is indexed).
	if strings.Join(got, " ") != "리 +이" {
		t.Errorf("TokenizeQuery(리) = %v", got)
	}
}

// TestKeyCache: every word put is found, by one goroutine or many; words
// are published to the lock-free map in batches, all of them once the
// cache is full; past keyCacheMax nothing more is kept.
func TestKeyCache(t *testing.T) {
	var c keyCache
	ks := [][]keyID{{1}}
	word := func(i int) string { return fmt.Sprint("w", i) }
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := g; i < 4000; i += 4 {
				c.put(word(i), ks)
				if _, ok := c.get(word(i)); !ok {
					t.Errorf("word %d not found after put", i)
					return
				}
			}
		})
	}
	wg.Wait()
	for i := range 4000 {
		if _, ok := c.get(word(i)); !ok {
			t.Fatalf("word %d lost", i)
		}
	}
	if m := c.published.Load(); m == nil || len(*m) < 3000 {
		t.Fatalf("only %d of 4,000 words published", len(*c.published.Load()))
	}
	for i := 4000; i < keyCacheMax+100; i++ {
		c.put(word(i), ks)
	}
	if n, p := len(*c.published.Load()), len(c.pending); n != keyCacheMax || p != 0 {
		t.Errorf("full cache: %d published, %d pending; want %d and 0", n, p, keyCacheMax)
	}
	if _, ok := c.get(word(keyCacheMax + 50)); ok {
		t.Error("a word past the cache's bound was kept")
	}
}
