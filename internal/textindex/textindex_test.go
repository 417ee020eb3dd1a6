package textindex

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"sori/internal/hangul"
)

// stats is a Stats over fixed rows.
type stats map[uint64]int

func (s stats) Len(row uint64) int {
	if n, ok := s[row]; ok {
		return n
	}
	return -1
}
func (s stats) Rows() int { return len(s) }
func (s stats) AvgLen() float64 {
	t := 0
	for _, n := range s {
		t += n
	}
	return float64(t) / float64(max(1, len(s)))
}

// index builds a Mem of docs (one row each, rows 1…), in segments of segSize.
func index(docs []string, segSize int) (*Mem, stats) {
	m := &Mem{}
	st := stats{}
	b := NewBuilder()
	for i, d := range docs {
		row := uint64(i + 1)
		a := Analyze([]string{d})
		b.Add(row>>16, shift(a, row&0xffff))
		st[row] = int(a.Lens[0])
		if (i+1)%segSize == 0 {
			m.AddSegment(b)
			b = NewBuilder()
		}
	}
	if len(docs)%segSize != 0 {
		m.AddSegment(b)
	}
	return m, st
}

// shift moves a one-row Doc to row r within its base.
func shift(d *Doc, r uint64) *Doc {
	out := &Doc{Lens: d.Lens, terms: d.terms, start: d.start}
	for _, o := range d.occ {
		out.occ = append(out.occ, o+r<<16)
	}
	return out
}

// reference evaluates expr over hangul.Tokenize's full token stream, the
// way FTS5 matches phrases with co-located tokens: a query position
// matches a document position if one of its tokens is there.
func reference(t *testing.T, expr string, docs []string) []uint64 {
	t.Helper()
	var out []uint64
	groups := parseRef(t, expr)
	for i, d := range docs {
		var poss []map[string]bool
		_ = hangul.Tokenize(d, func(tok string, start, _ int, co bool) error {
			if !co || len(poss) == 0 {
				poss = append(poss, map[string]bool{})
			}
			// The keys of romanized words the index does not key (lower
			// case) are not there; their positions are.
			if !strings.HasPrefix(tok, hangul.KeyPrefix) || hangul.IsSyllable([]rune(d[start:])[0]) || hangul.Keyed(d, start) {
				poss[len(poss)-1][tok] = true
			}
			return nil
		})
		all := true
		for _, g := range groups {
			any := false
			for _, ph := range g {
				if phraseIn(ph, poss) {
					any = true
				}
			}
			all = all && any
		}
		if all {
			out = append(out, uint64(i+1))
		}
	}
	return out
}

func phraseIn(ph [][]string, poss []map[string]bool) bool {
	for p := 0; p+len(ph) <= len(poss); p++ {
		ok := true
		for i, alts := range ph {
			hit := false
			for _, a := range alts {
				hit = hit || poss[p+i][a]
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

// parseRef compiles expr with the raw tokens of TokenizeQuery.
func parseRef(t *testing.T, expr string) [][][][]string {
	q, err := Compile(expr) // only for its structure: re-tokenize below
	if err != nil {
		t.Fatal(err)
	}
	_ = q
	var groups [][][][]string
	for _, gs := range strings.Split(expr, " AND ") {
		gs = strings.TrimSuffix(strings.TrimPrefix(gs, "("), ")")
		var g [][][]string
		for _, s := range strings.Split(gs, " OR ") {
			s = strings.ReplaceAll(strings.Trim(s, `"`), `""`, `"`)
			var ph [][]string
			_ = hangul.TokenizeQuery(s, func(tok string, _, _ int, co bool) error {
				if !co || len(ph) == 0 {
					ph = append(ph, nil)
				}
				ph[len(ph)-1] = append(ph[len(ph)-1], tok)
				return nil
			})
			if len(ph) > 0 {
				g = append(g, ph)
			}
		}
		groups = append(groups, g)
	}
	return groups
}

var docs = []string{
	"두만강을 건너 중국으로 갔다.",
	"조선로동당 간부였던 리란길은 1997년에 탈출했다.",
	"이란길 씨는 요덕에서 풀려났다.",
	"Lee Ran-gil was released from Yodok in 1998.",
	"Ri Ran Gil later testified about the camp.",
	"그는 관리소에서 3년을 보냈다. 노동단련대",
	"녀성들은 강을 건넜다. 강",
	"김정일 시대의 배급은 끊겼다.",
	"Kim Jong-il and Kim Jongil and Kim Chŏng-il.",
	"The train reached CHŎNGJIN at dawn; Ch'oe's brother was forcibly returned.",
	"박철민 씨와 Pak Ch'ŏl-min, Park Cheol-min.",
	"ㅋㅋ 金日成 강제송환 됐다",
	"요덕 관리소 근처의 Tumen river",
}

func TestEvalMatchesFullTokenStream(t *testing.T) {
	queries := []string{"강", "두만강", "로동", "노동", "리", "로", "녀성", "여성", "요덕 관리소", "관리소", "Tumen", "chongjin",
		`"forcibly returned"`, "김정일", "Kim Jong-il", "박철민", "Pak Chol Min", "리란길", "Lee Ran-gil", "이란길", "ㅋ", "金",
		"강제송환", "ch'oe", "건너 중국", "1998", "released", "란길", "시대의 배급"}
	for _, segSize := range []int{1, 3, 100} {
		m, st := index(docs, segSize)
		for _, q := range queries {
			expr := hangul.MatchExpr(q)
			rows, want, ok := compare(t, expr, m, st, docs)
			if !ok {
				t.Errorf("seg %d: %q (%s): rows %v, full token stream %v", segSize, q, expr, rows, want)
			}
			if len(want) == 0 && q != "ch'oe" {
				t.Errorf("%q matches nothing: a useless test query", q)
			}
		}
	}
}

// compare evaluates expr with Eval and with reference: every row the
// reference finds must be found, and exactly those when the query has no
// name keys (a key query may also find spellings the keys merge).
func compare(t *testing.T, expr string, m *Mem, st stats, docs []string) (rows, want []uint64, ok bool) {
	t.Helper()
	cq, err := Compile(expr)
	if err != nil {
		t.Fatalf("Compile(%q): %v", expr, err)
	}
	got, err := Eval(cq, m, st)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range got {
		rows = append(rows, g.Row)
	}
	want = reference(t, expr, docs)
	missing := slices.DeleteFunc(slices.Clone(want), func(r uint64) bool { return slices.Contains(rows, r) })
	return rows, want, len(missing) == 0 && (strings.Contains(expr, hangul.KeyPrefix) || slices.Equal(rows, want))
}

// TestEvalRandom compares Eval with the reference on generated text, with
// a phrase's prefixes read after its exact positions and (manyStarts 0)
// as soon as the first is decoded.
func TestEvalRandom(t *testing.T) {
	t.Run("prefixes last", testEvalRandom)
	t.Run("prefixes early", func(t *testing.T) {
		defer func(n int) { manyStarts = n }(manyStarts)
		manyStarts = 0
		testEvalRandom(t)
	})
}

// randomDocs makes n documents of 3 to 14 of words, drawn by rng, mostly
// spaced and sometimes run together.
func randomDocs(rng *rand.Rand, words []string, n int) []string {
	var docs []string
	for range n {
		var b strings.Builder
		for j := range 3 + rng.IntN(12) {
			if j > 0 && rng.IntN(3) > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[rng.IntN(len(words))])
		}
		docs = append(docs, b.String())
	}
	return docs
}

func testEvalRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"강", "두만강", "로동", "노동", "리", "관리소", "요덕", "녀성", "여성", "배급", "탈출", "Kim", "Pak", "Jong-il",
		"chol", "min", "camp", "river", "김정일", "박철민", "이", "의", "에서", "조선로동당", "고송남", "Ko Song-nam", "구성", "남쪽", "고", "성남"}
	docs := randomDocs(rng, words, 300)
	m, st := index(docs, 37)
	for i := range 300 {
		n := 1 + i%3
		var parts []string
		for range n {
			parts = append(parts, words[rng.IntN(len(words))])
		}
		q := strings.Join(parts, " ")
		if i%4 == 0 {
			q = strings.Join(parts, "")
		}
		expr := hangul.MatchExpr(q)
		if expr == "" {
			continue
		}
		if rows, want, ok := compare(t, expr, m, st, docs); !ok {
			t.Fatalf("%q (%s): rows %v, reference %v", q, expr, rows, want)
		}
	}
}

func TestDeadRowsAndMerge(t *testing.T) {
	m, st := index(docs, 2)
	q, _ := Compile(hangul.MatchExpr("강"))
	before, _ := Eval(q, m, st)
	delete(st, 7) // row 7 (녀성들은 강을 …) is no longer live
	after, _ := Eval(q, m, st)
	if len(after) != len(before)-1 || slices.ContainsFunc(after, func(x Match) bool { return x.Row == 7 }) {
		t.Fatalf("dead row still found: before %v after %v", before, after)
	}
	// Merging every segment, dropping the dead row, changes nothing else.
	merged := map[string][]byte{}
	terms := map[string]bool{}
	for _, s := range m.segs {
		for t := range s {
			terms[t] = true
		}
	}
	for term := range terms {
		var ls [][]byte
		for _, s := range m.segs {
			if l, ok := s[term]; ok {
				ls = append(ls, l)
			}
		}
		out, err := Merge(ls, func(row uint64) bool { return st.Len(row) >= 0 })
		if err != nil {
			t.Fatal(err)
		}
		if out != nil {
			merged[term] = out
		}
	}
	m2 := &Mem{segs: []map[string][]byte{merged}}
	again, _ := Eval(q, m2, st)
	if !slices.Equal(again, after) {
		t.Fatalf("after merge %v, before %v", again, after)
	}
	// Out-of-order segments are refused.
	if _, err := Merge([][]byte{m.segs[1]["강"], m.segs[0]["강"]}, nil); err == nil && m.segs[1]["강"] != nil && m.segs[0]["강"] != nil {
		t.Error("Merge accepted segments out of order")
	}
}

func TestScoresRankDenserRowsFirst(t *testing.T) {
	docs := []string{"강 강 강 강", "강 산 들 바다 하늘 구름 바람 비 눈 꽃", "산"}
	m, st := index(docs, 10)
	q, _ := Compile(hangul.MatchExpr("강"))
	got, _ := Eval(q, m, st)
	if len(got) != 2 || got[0].Score >= got[1].Score || got[0].Score >= 0 {
		t.Fatalf("scores %v: the row with four 강 should score lowest (best), all negative", got)
	}
}

func TestSnippet(t *testing.T) {
	text := "첫째 줄이다. 그는 두만강을 건너 중국으로 갔다. 그 뒤에 오랫동안 소식이 없었고 다시 요덕에서 만났다 그리고 또 다른 이야기가 이어졌다."
	q, _ := Compile(hangul.MatchExpr("두만강"))
	s := Snippet(q, text, "[", "]", "…", 6)
	if !strings.Contains(s, "[두만강]") || !strings.HasSuffix(s, "…") {
		t.Errorf("Snippet = %q", s)
	}
	q, _ = Compile(hangul.MatchExpr("강"))
	if s := Snippet(q, "강을 건넜다", "[", "]", "…", 16); s != "[강]을 건넜다" {
		t.Errorf("one-syllable snippet = %q", s)
	}
	q, _ = Compile(hangul.MatchExpr("Kim Jong-il"))
	if s := Snippet(q, "He met 김정일 once.", "<", ">", "…", 16); !strings.Contains(s, "<김정일>") {
		t.Errorf("name snippet = %q", s)
	}
}

func TestCompileErrors(t *testing.T) {
	for _, e := range []string{"", `"unclosed`, `("a" OR`, `bare`, "AND"} {
		if _, err := Compile(e); err == nil {
			t.Errorf("Compile(%q) accepted", e)
		}
	}
}

func TestDecodeListCorrupt(t *testing.T) {
	good := EncodeList([]uint64{5, 9, 1 << 40})
	if got, err := DecodeList(nil, good); err != nil || fmt.Sprint(got) != "[5 9 1099511627776]" {
		t.Fatalf("DecodeList = %v, %v", got, err)
	}
	for _, bad := range [][]byte{{0x80}, {5, 0}, append(slices.Clone(good), 0xff), good[:len(good)-1], {5, 1, 0, 1, 0}} {
		if _, err := DecodeList(nil, bad); err == nil {
			t.Errorf("DecodeList(%x) accepted", bad)
		}
	}
}

// TestListBlocks: long lists span blocks; MarkList finds exactly the
// targets the list holds, whether it skips blocks or not.
func TestListBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var occs []uint64
	o := uint64(1 << 16)
	for range 5000 {
		o += 1 + uint64(rng.IntN(3))<<16*uint64(rng.IntN(2)) + uint64(rng.IntN(5))
		occs = append(occs, o)
	}
	l := EncodeList(occs)
	got, err := DecodeList(nil, l)
	if err != nil || !slices.Equal(got, occs) {
		t.Fatalf("round trip: %d of %d, %v", len(got), len(occs), err)
	}
	for _, every := range []int{1, 7, 500} {
		// MarkList: targets that are every every-th occurrence, each
		// followed by one that is not in the list.
		var targets []uint64
		for i, o := range occs {
			if i%every == 0 {
				targets = append(targets, o)
				if i+1 == len(occs) || occs[i+1] != o+1 {
					targets = append(targets, o+1)
				}
			}
		}
		hit := make([]bool, len(targets))
		if err := MarkList(l, targets, hit); err != nil {
			t.Fatal(err)
		}
		for k, tg := range targets {
			if _, in := slices.BinarySearch(occs, tg); hit[k] != in {
				t.Errorf("every %d: MarkList says %d is %v in the list", every, tg, hit[k])
			}
		}
	}
}

// fullStreamTokens is what the index keeps of hangul.Tokenize's whole
// stream, worked out token by token the way the index did before it asked
// the tokenizer for only those tokens (hangul.TokenizeIndex): of the
// tokens of a position, a Hangul syllable's unigram gives way to the
// bigram it begins, and a romanized word's name keys stay only where
// hangul.Keyed says so; an emptied position still counts.
func fullStreamTokens(text string) []string {
	var out []string
	pos := -1
	var group []tok
	flush := func() {
		defer func() { group = group[:0] }()
		if len(group) == 0 {
			return
		}
		if isSyllables(group[0].s, 1) {
			keep := group[0]
			for _, t := range group[1:] {
				if isSyllables(t.s, 2) {
					keep = t
					break
				}
			}
			out = append(out, fmt.Sprintf("%s@%d[%d:%d]", keep.s, pos, keep.b, keep.e))
			return
		}
		for _, t := range group {
			if strings.HasPrefix(t.s, hangul.KeyPrefix) && !hangul.Keyed(text, t.b) {
				continue
			}
			out = append(out, fmt.Sprintf("%s@%d[%d:%d]", t.s, pos, t.b, t.e))
		}
	}
	_ = hangul.Tokenize(text, func(s string, b, e int, co bool) error {
		if !co {
			flush()
			if pos >= MaxPos {
				return errors.New("full")
			}
			pos++
		}
		group = append(group, tok{s, b, e})
		return nil
	})
	flush()
	return out
}

func indexTokens(text string) []string {
	var out []string
	Tokens(text, func(term string, pos, start, end int) {
		out = append(out, fmt.Sprintf("%s@%d[%d:%d]", term, pos, start, end))
	})
	return out
}

// TestIndexStream: the index's tokens, positions and spans are the ones it
// kept of the full stream, for every kind of text the tests hold.
func TestIndexStream(t *testing.T) {
	texts := append(slices.Clone(docs),
		"로동신문 리설주 녀성", "두만강 ㅋㅋ 강", "Kim Jong-il과 김정일", "Pak Ch'ŏl-min, I was there. A guard",
		"會寧 회령 Hoeryŏng", "ᄀ\u064Bᅵ 기", "朝鮮 ｶﾀｶﾅ", "Kim's 30kg 2019년", "가\xff나다", "")
	for _, text := range texts {
		if got, want := indexTokens(text), fullStreamTokens(text); !slices.Equal(got, want) {
			t.Errorf("%q:\n index stream %v\n full stream  %v", text, got, want)
		}
	}
}

func FuzzIndexStream(f *testing.F) {
	for _, d := range docs {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if got, want := indexTokens(text), fullStreamTokens(text); !slices.Equal(got, want) {
			t.Fatalf("%q:\n index stream %v\n full stream  %v", text, got, want)
		}
	})
}

func FuzzAnalyze(f *testing.F) {
	for _, d := range docs {
		f.Add(d, "강")
	}
	f.Fuzz(func(t *testing.T, text, query string) {
		d := Analyze([]string{text})
		d.Each(func(term string, occs []uint64) {
			if term == "" || !slices.IsSorted(occs) {
				t.Fatalf("term %q occurrences %v", term, occs)
			}
			for _, o := range occs {
				if o&0xffff >= uint64(d.Lens[0]) {
					t.Fatalf("position %d past length %d", o&0xffff, d.Lens[0])
				}
			}
		})
		if expr := hangul.MatchExpr(query); expr != "" {
			q, err := Compile(expr)
			if err != nil {
				t.Fatalf("Compile(MatchExpr(%q)) = %v", query, err)
			}
			r, _ := analyzeRow(newMatcher(q), text, new(rowScratch), MaxPos+1)
			for _, s := range r.spans {
				if s[0] < 0 || s[1] > len(text) || s[0] >= s[1] {
					t.Fatalf("span %v of %d bytes", s, len(text))
				}
			}
			_ = Snippet(q, text, "<", ">", "…", 16)
			_ = SnippetAt(q, text, len(text)%40, "<", ">", "…", 16)
		}
	})
}

func FuzzDecodeList(f *testing.F) {
	f.Add(EncodeList([]uint64{5, 9, 1 << 40}))
	var long []uint64
	for i := range 200 {
		long = append(long, uint64(i)<<15+1)
	}
	f.Add(EncodeList(long))
	f.Fuzz(func(t *testing.T, b []byte) {
		occs, err := DecodeList(nil, b)
		if err == nil && (!slices.IsSorted(occs) || len(slices.Compact(slices.Clone(occs))) != len(occs)) {
			t.Fatalf("DecodeList(%x) = %v, not ascending", b, occs)
		}
		if err == nil && len(occs) > 0 {
			targets := []uint64{occs[0]}
			if last := occs[len(occs)-1]; last != occs[0] {
				targets = append(targets, last)
			}
			hit := make([]bool, len(targets))
			if err := MarkList(b, targets, hit); err != nil || slices.Contains(hit, false) {
				t.Fatalf("MarkList of the first and last occurrence: %v, %v", hit, err)
			}
		} else if err != nil {
			_ = MarkList(b, []uint64{0, 1, 1 << 20}, make([]bool, 3)) // must not panic
		}
	})
}

func TestKeyed(t *testing.T) {
	for _, c := range []struct {
		text string
		word string // the word whose start is checked (first occurrence)
		want bool
	}{
		{"Pak Chol-min", "Pak", true},
		{"Pak Chol-min", "min", true},
		{"PARK Cheol Min", "PARK", true},
		{"Pak Ch'ŏl-min", "min", true},
		{"Pak Ch\u2019ŏl-min", "min", true},
		{"Kim Jong\u2011il", "il", true},
		{"I Cheol-eun was there", "I", true},
		{"Il-sŏng", "sŏng", true},
		{"Il-sŏng", "Il", true},
		{"A-yeong", "A", true},
		{"I was taken", "I", false},
		{"A guard came", "A", false},
		{"I", "I", false},
		{"the man said", "man", false},
		{"co-operate", "operate", false},
		{"co-operate", "co", false},
		{"- min", "min", false},
		{"Go home", "Go", true},
		{"(Ko)", "Ko", true},
	} {
		i := strings.Index(c.text, c.word)
		if got := hangul.Keyed(c.text, i); got != c.want {
			t.Errorf("Keyed(%q at %q) = %v, want %v", c.text, c.word, got, c.want)
		}
	}
}

// TestLowerCaseKeepsPositions checks that a word whose keys the index drops
// still takes its positions: a phrase across it finds the row whatever the
// case of the word.
func TestLowerCaseKeepsPositions(t *testing.T) {
	docs := []string{"women and children", "Women and children", "the jongil camp", "the Jongil camp"}
	m, st := index(docs, 10)
	for _, q := range []string{`"women and children"`, `"jongil camp"`, `"the jongil"`} {
		cq, err := Compile(hangul.MatchExpr(q))
		if err != nil {
			t.Fatal(err)
		}
		got, err := Eval(cq, m, st)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Errorf("%s: %d rows, want 2 (both cases)", q, len(got))
		}
	}
}

// BenchmarkSnippet cuts a snippet for a name query (many alternatives per
// position) from a passage of about 2 KiB, the size the archive indexes.
func BenchmarkSnippet(b *testing.B) {
	var sb strings.Builder
	for sb.Len() < 2048 {
		sb.WriteString("그는 두만강을 건너 중국으로 갔다가 강제송환되어 보위부 구류장에서 조사를 받았다. ")
	}
	sb.WriteString("그때 박철민 씨를 만났다.")
	text := sb.String()
	q, err := Compile(hangul.MatchExpr("Park Cheol-min"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if s := Snippet(q, text, "<", ">", "…", 24); !strings.Contains(s, "<박철민>") {
			b.Fatalf("snippet %q", s)
		}
	}
}

// TestSnippetAt: Eval reports where each row's first match starts, and the
// snippet cut from there (tokenizing only up to the window after it) marks
// a match wherever the whole-text snippet does, is the whole-text snippet
// when the row has one match, and falls back to the whole text when the
// position given is wrong.
func TestSnippetAt(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	words := []string{"그는", "두만강을", "건너", "중국으로", "갔다.", "the", "guards", "counted", "rations", "at", "Hyesan", "혜산에서", "강제송환되어", "보위부", "Park", "Cheol-min", "박철민"}
	var docs []string
	for range 300 {
		var b strings.Builder
		for range 50 + rng.IntN(700) {
			b.WriteString(words[rng.IntN(len(words))])
			b.WriteByte(' ')
		}
		docs = append(docs, b.String())
	}
	m, st := index(docs, 50)
	checked, same := 0, 0
	for _, query := range []string{"두만강", "rations", "혜산", "Park Cheol-min", "강", "guards counted"} {
		q, err := Compile(hangul.MatchExpr(query))
		if err != nil {
			t.Fatal(err)
		}
		matches, err := Eval(q, m, st)
		if err != nil {
			t.Fatal(err)
		}
		for _, mt := range matches {
			text := docs[mt.Row-1]
			whole, _ := analyzeRow(newMatcher(q), text, new(rowScratch), MaxPos+1)
			if first := firstSpanPos(whole); first != int(mt.At) {
				t.Fatalf("%q in row %d: Eval says the first match is at %d, the snippet's tokens at %d", query, mt.Row, mt.At, first)
			}
			full := Snippet(q, text, "<", ">", "…", 24)
			near := SnippetAt(q, text, int(mt.At), "<", ">", "…", 24)
			if !strings.Contains(near, "<") || strings.Contains(full, "<") != strings.Contains(near, "<") {
				t.Fatalf("%q in row %d: snippet at %d %q, of the whole text %q", query, mt.Row, mt.At, near, full)
			}
			if len(whole.spans) == 1 && near != full {
				t.Fatalf("%q in row %d, one match: %q, want %q", query, mt.Row, near, full)
			}
			if near == full {
				same++
			}
			if wrong := SnippetAt(q, text, len(whole.starts)-1, "<", ">", "…", 24); wrong != full {
				t.Fatalf("%q in row %d with a wrong position: %q, want %q", query, mt.Row, wrong, full)
			}
			checked++
		}
	}
	if checked < 500 || same == 0 {
		t.Errorf("%d rows checked, %d snippets as the whole text's", checked, same)
	}
	t.Logf("%d rows, %d snippets the same as the whole text's", checked, same)
}

// BenchmarkSnippetAt compares a snippet of a ~2 KiB passage cut after
// tokenizing it whole (Snippet) and only up to the window after the first
// match (SnippetAt, the position as Eval reports it), with the match early,
// in the middle and at the end of the passage.
//
//	go test -run '^$' -bench 'SnippetAt' -benchmem ./internal/textindex
func BenchmarkSnippetAt(b *testing.B) {
	var sb strings.Builder
	for sb.Len() < 2048 {
		sb.WriteString("그는 두만강을 건너 중국으로 갔다가 강제송환되어 보위부 구류장에서 조사를 받았다. ")
	}
	filler := sb.String()
	q, err := Compile(hangul.MatchExpr("Park Cheol-min"))
	if err != nil {
		b.Fatal(err)
	}
	for _, where := range []string{"early", "middle", "end"} {
		var text string
		switch where {
		case "early":
			text = "그때 박철민 씨를 만났다. " + filler
		case "middle":
			text = filler[:len(filler)/2/3*3] + " 그때 박철민 씨를 만났다. " + filler[len(filler)/2/3*3:]
		default:
			text = filler + "그때 박철민 씨를 만났다."
		}
		r, _ := analyzeRow(newMatcher(q), text, new(rowScratch), MaxPos+1)
		at := firstSpanPos(r)
		for _, f := range []struct {
			name string
			fn   func() string
		}{
			{"whole", func() string { return Snippet(q, text, "<", ">", "…", 24) }},
			{"at", func() string { return SnippetAt(q, text, at, "<", ">", "…", 24) }},
		} {
			b.Run(where+"/"+f.name, func(b *testing.B) {
				b.SetBytes(int64(len(text)))
				for b.Loop() {
					if s := f.fn(); !strings.Contains(s, "<박철민>") {
						b.Fatalf("snippet %q", s)
					}
				}
			})
		}
	}
}

// TestMergeRuns: merging sorted runs gives what sorting their
// concatenation gives, for any number of runs, empty ones and
// duplicates across runs included.
func TestMergeRuns(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, nruns := range []int{1, 2, 3, 7, 64, 129} {
		var all []uint64
		var runs []int
		for range nruns {
			n := r.IntN(40)
			run := make([]uint64, n)
			for i := range run {
				run[i] = uint64(r.IntN(500))
			}
			slices.Sort(run)
			all = append(all, run...)
			if n > 0 {
				runs = append(runs, len(all))
			}
		}
		want := slices.Clone(all)
		slices.Sort(want)
		if len(runs) == 0 {
			continue
		}
		if got := mergeRuns(slices.Clone(all), runs); !slices.Equal(got, want) {
			t.Fatalf("%d runs: got %v, want %v", nruns, got, want)
		}
	}
}

// decoding is a Mem that also gives prefixes decoded (Decoder), as the
// store's cache does; kept says whether it claims to keep every prefix
// decoded already (Kept), which moves the prefixes' positions forward.
type decoding struct {
	*Mem
	kept bool
}

func (d decoding) Kept(Alt) bool { return d.kept }

func (d decoding) Decoded(a Alt) ([]uint64, error) {
	lists, err := d.Lists(a)
	if err != nil {
		return nil, err
	}
	var occ []uint64
	for _, l := range lists {
		if occ, err = DecodeList(occ, l); err != nil {
			return nil, err
		}
	}
	slices.Sort(occ)
	return slices.Compact(occ), nil
}

// ListsOrDecoded gives a term of more than a few bytes of lists decoded.
func (d decoding) ListsOrDecoded(terms []string) ([][]byte, [][]uint64, error) {
	var lists [][]byte
	var occs [][]uint64
	for _, t := range terms {
		ls, err := d.ListsOf([]string{t})
		if err != nil {
			return nil, nil, err
		}
		size := 0
		for _, l := range ls {
			size += len(l)
		}
		if size < 12 {
			lists = append(lists, ls...)
			continue
		}
		var occ []uint64
		for _, l := range ls {
			if occ, err = DecodeList(occ, l); err != nil {
				return nil, nil, err
			}
		}
		slices.Sort(occ)
		occs = append(occs, slices.Compact(occ))
	}
	return lists, occs, nil
}

// TestEvalDecoder: a source that gives prefixes decoded gives the same
// matches, scores and first positions as one that gives their lists.
func TestEvalDecoder(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	words := []string{"강", "두만강", "로동", "리", "관리소", "녀성", "배급", "Kim", "Pak", "Jong-il", "chol", "min",
		"김정일", "박철민", "이", "에서", "고송남", "Ko Song-nam", "송남은", "남", "Nam"}
	docs := randomDocs(rng, words, 400)
	m, st := index(docs, 41)
	queries := append(slices.Clone(words), "Ko Song-nam", "Song-nam Ko", "고송", "Park Chol-min", "Lee Ran-gil", "강 리")
	decoded := 0
	for _, q := range queries {
		cq, err := Compile(hangul.MatchExpr(q))
		if err != nil {
			continue
		}
		want, err1 := Eval(cq, m, st)
		for _, kept := range []bool{false, true} {
			got, err2 := Eval(cq, decoding{m, kept}, st)
			if err1 != nil || err2 != nil || !slices.Equal(got, want) {
				t.Fatalf("%q (kept %v): decoded %v (%v), lists %v (%v)", q, kept, got, err2, want, err1)
			}
		}
		if strings.Contains(fmt.Sprint(cq), "true") {
			decoded++
		}
	}
	if decoded < 5 {
		t.Fatalf("only %d queries have prefixes: the test compares little", decoded)
	}
}

func TestUvarintLen(t *testing.T) {
	for _, v := range []uint64{0, 1, 127, 128, 16383, 16384, 1<<63 - 1, 1 << 63, ^uint64(0)} {
		if got, want := uvarintLen(v), len(binary.AppendUvarint(nil, v)); got != want {
			t.Errorf("uvarintLen(%d) = %d, want %d", v, got, want)
		}
	}
}

// TestTargetFilter: marking through the targets' bitset (markFiltered,
// three lists at once) marks exactly what galloping marks, for lists far
// shorter, shorter, as long as and longer than the targets, with hits,
// near misses and nothing in common.
func TestTargetFilter(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 15))
	sorted := func(n int, max uint64) []uint64 {
		xs := make([]uint64, n)
		for i := range xs {
			xs[i] = rng.Uint64N(max)
		}
		slices.Sort(xs)
		return slices.Compact(xs)
	}
	var words []uint64
	for _, c := range []struct {
		targets, list int
		space         uint64
	}{
		{5000, 40, 1 << 14}, {5000, 700, 1 << 20}, {5000, 5000, 1 << 16}, {20000, 150000, 1 << 22}, {1 << 16, 1 << 16, 1 << 40}, {300000, 200000, 1 << 21},
	} {
		targets := sorted(c.targets, c.space)
		lists := [][]uint64{sorted(c.list, c.space), sorted(c.list/3, c.space), sorted(c.list/7, c.space)}
		want, got := make([]bool, len(targets)), make([]bool, len(targets))
		for _, occ := range lists {
			markDecoded(occ, targets, want)
		}
		words = markFiltered(lists, targets, got, words)
		occ := lists[0]
		n := 0
		for k := range want {
			if want[k] {
				n++
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%d targets, %d occurrences in %d: the filter marks differently", len(targets), len(occ), c.space)
		}
		t.Logf("%d targets, %d occurrences: %d hits", len(targets), len(occ), n)
	}
}
