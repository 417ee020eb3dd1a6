package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"sori/internal/textindex"
)

// TestSearchCacheBounded: a cache over far more documents than it may hold
// answers every generation as the driver has it, reads each block once per
// pass while it fits, and never holds more than maxCachedDocs documents or
// maxBlocks blocks, however many the queries touch; a driver's error
// reaches the query.
func TestSearchCacheBounded(t *testing.T) {
	ctx := context.Background()
	const docs = 5 * maxCachedDocs // title and text generations each: 2g+1, 2g+2
	loads := 0
	load := func(ctx context.Context, lo, hi int64) ([]DocInfo, error) {
		loads++
		var out []DocInfo
		for i := max(0, (lo-1)/2-1); i < docs && 2*i+1 < hi; i++ {
			tg, g := 2*i+1, 2*i+2
			if (tg >= lo && tg < hi) || (g >= lo && g < hi) {
				out = append(out, DocInfo{Doc: fmt.Sprint("d", i), TGen: tg, Gen: g, Lens: []uint32{uint32(i%7 + 1), 5, 6}})
			}
		}
		return out, nil
	}
	c := NewSearchCache(1, 3*docs, 10*docs, load)
	for pass := range 2 {
		v := c.view(ctx)
		for i := int64(0); i < docs; i += 3 {
			d, ok := v.doc(2*i + 2)
			if !ok || d.Doc != fmt.Sprint("d", i) {
				t.Fatalf("pass %d: generation %d is %+v, %v", pass, 2*i+2, d, ok)
			}
			if n := v.Len(uint64(2*i+1) << 16); n != int(i%7+1) {
				t.Fatalf("title row of d%d: length %d", i, n)
			}
			if v.Len(uint64(2*i+2)<<16|2) != 6 || v.Len(uint64(2*i+2)<<16|3) != -1 || v.Len(uint64(2*i+2)<<16) != -1 {
				t.Fatalf("text rows of d%d", i)
			}
		}
		if c.held > maxCachedDocs || len(c.blocks) > maxBlocks {
			t.Fatalf("pass %d: the cache holds %d documents in %d blocks", pass, c.held, len(c.blocks))
		}
	}
	if want := 2 * (2*docs/docBlockGens + 1); loads > want {
		t.Errorf("%d block reads for two passes, want at most %d", loads, want)
	}
	// A hit's document alone: read by itself, the cache not grown.
	fresh := NewSearchCache(4, 1, 1, load)
	if d, ok := fresh.view(ctx).one(2*777 + 2); !ok || d.Doc != "d777" || len(fresh.blocks) != 0 {
		t.Errorf("one: %+v %v, %d blocks held", d, ok, len(fresh.blocks))
	}
	// A small index stays whole: a second pass reads nothing.
	loads = 0
	small := NewSearchCache(2, 30, 100, func(ctx context.Context, lo, hi int64) ([]DocInfo, error) {
		return load(ctx, lo, min(hi, 2000)) // counts its reads
	})
	for range 3 {
		v := small.view(ctx)
		for g := int64(1); g < 2000; g += 5 {
			v.doc(g)
		}
	}
	if loads != 1 {
		t.Errorf("a one-block index read %d times", loads)
	}
	if small.view(ctx).AvgLen() != 100.0/30 || small.view(ctx).Rows() != 30 {
		t.Errorf("rows %d, mean length %v", small.view(ctx).Rows(), small.view(ctx).AvgLen())
	}
	failing := NewSearchCache(3, 1, 1, func(context.Context, int64, int64) ([]DocInfo, error) { return nil, errors.New("disk on fire") })
	v := failing.view(ctx)
	if v.Len(1<<16) != -1 || v.err == nil {
		t.Errorf("a failed read: err %v", v.err)
	}
	if _, err := RunSearch(ctx, SearchQuery{Match: `"강"`}, failing, func(context.Context) (textindex.Source, error) { return listsOf(t, "강"), nil }); err == nil {
		t.Error("a query over a failing driver gave no error")
	}
}

// lists is a textindex.Source holding one generation's terms.
type lists map[string][]byte

func listsOf(t *testing.T, text string) lists {
	b := textindex.NewBuilder()
	b.Add(1, textindex.Analyze([]string{text}))
	out := lists{}
	if err := b.Each(func(term string, list []byte) error { out[term] = list; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func (l lists) Lists(a textindex.Alt) ([][]byte, error) { return l.ListsOf([]string{a.Term}) }
func (l lists) ListsOf(terms []string) ([][]byte, error) {
	var out [][]byte
	for _, t := range terms {
		if x, ok := l[t]; ok {
			out = append(out, x)
		}
	}
	return out, nil
}

// TestBestOf: the bounded selection gives the first k of a stable sort by
// score (ties in row order), for every k, with many ties.
func TestBestOf(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 2, 7, 64, 1000} {
		ms := make([]textindex.Match, n)
		for i := range ms {
			ms[i] = textindex.Match{Row: uint64(i+1) << 16, Score: -float64(r.IntN(12)), At: uint16(i)}
		}
		want := slices.Clone(ms)
		slices.SortStableFunc(want, func(a, b textindex.Match) int { return cmp.Compare(a.Score, b.Score) })
		for _, k := range []int{1, 2, 3, 10, 38, n - 1, n, n + 5} {
			if k < 1 {
				continue
			}
			got := bestOf(ms, k)
			if w := want[:min(k, n)]; !slices.Equal(got, w) {
				t.Fatalf("n=%d k=%d: got %v, want %v", n, k, got, w)
			}
		}
	}
}

// TestRankings: a query's ranking is kept for the index version and used
// again by any search, each of which still applies its own access check,
// limit and filters; the hits are those of a ranking made anew.
func TestRankings(t *testing.T) {
	ctx := context.Background()
	var docs []DocInfo
	b := textindex.NewBuilder()
	total := 0
	for i := range 300 {
		text := "강 " + strings.Repeat("물 ", i%7) // seven lengths: seven scores, many ties
		d := textindex.Analyze([]string{text})
		g := int64(i + 1)
		b.Add(uint64(g), d)
		docs = append(docs, DocInfo{Doc: fmt.Sprintf("d%03d", i), Kind: "note", Title: text, TGen: g, Lens: d.Lens})
		total += int(d.Lens[0])
	}
	src := lists{}
	if err := b.Each(func(term string, list []byte) error { src[term] = list; return nil }); err != nil {
		t.Fatal(err)
	}
	cache := NewSearchCache(1, int64(len(docs)), int64(total), func(_ context.Context, lo, hi int64) ([]DocInfo, error) {
		var out []DocInfo
		for _, d := range docs {
			if d.TGen >= lo && d.TGen < hi {
				out = append(out, d)
			}
		}
		return out, nil
	})
	evals := 0
	open := func(context.Context) (textindex.Source, error) { evals++; return src, nil }
	run := func(q SearchQuery) []string {
		t.Helper()
		q.Match, q.NoSnippets = `"강"`, true
		hits, err := RunSearch(ctx, q, cache, open)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, h := range hits {
			ids = append(ids, h.Doc)
		}
		return ids
	}
	fresh := run(SearchQuery{NoCache: true})
	if len(fresh) != 20 {
		t.Fatalf("%d hits", len(fresh))
	}
	evals = 0
	if a, b := run(SearchQuery{}), run(SearchQuery{}); !slices.Equal(a, fresh) || !slices.Equal(b, fresh) || evals != 1 {
		t.Fatalf("twice: %v, %v (evaluated %d times), want %v once", a, b, evals, fresh)
	}
	// Another session, which may not read the best hit, is not given it.
	denied := func(doc string) bool { return doc != fresh[0] && doc != fresh[5] }
	if got, want := run(SearchQuery{Allow: denied}), run(SearchQuery{Allow: denied, NoCache: true}); !slices.Equal(got, want) ||
		slices.Contains(got, fresh[0]) || len(got) != 20 {
		t.Fatalf("with access checked: %v, want %v", got, want)
	}
	// A limit beyond what the ranking holds ranks again, and keeps that.
	evals = 0
	if got, want := run(SearchQuery{Limit: 200}), run(SearchQuery{Limit: 200, NoCache: true}); !slices.Equal(got, want) || len(got) != 200 || evals != 2 {
		t.Fatalf("200: %d hits, %d evaluations; differ: %v", len(got), evals, !slices.Equal(got, want))
	}
	evals = 0
	if got := run(SearchQuery{Limit: 20}); !slices.Equal(got, fresh) || evals != 0 {
		t.Fatalf("after the longer ranking: %v, %d evaluations", got, evals)
	}
	// Every hit denied: the whole ranking is walked, and nothing returned.
	if got := run(SearchQuery{Allow: func(string) bool { return false }}); len(got) != 0 {
		t.Fatalf("all denied: %v", got)
	}
	// Filters are part of what is ranked.
	if got := run(SearchQuery{Kind: "transcript"}); len(got) != 0 {
		t.Fatalf("kind filter: %v", got)
	}
	// Bounded: many distinct queries keep at most maxRankings.
	for i := range 2 * maxRankings {
		run(SearchQuery{From: 1000 + i})
	}
	if n := len(cache.rankings); n > maxRankings {
		t.Fatalf("%d rankings kept", n)
	}
}

// byTerm is lists that also reads by term (TermLister), counting reads.
type byTerm struct {
	lists
	reads *int
}

func (b byTerm) ListsByTerm(terms []string) (map[string][][]byte, error) {
	*b.reads++
	out := map[string][][]byte{}
	for _, t := range terms {
		if l, ok := b.lists[t]; ok {
			out[t] = [][]byte{l}
		}
	}
	return out, nil
}

// TestListCache: lists read through the cache are the source's, in term
// order, each term (found or not) read once; the cache keeps within its
// bytes, the most recent first.
func TestListCache(t *testing.T) {
	src := listsOf(t, "강제송환 두만강 market border")
	var terms []string
	for term := range src {
		terms = append(terms, term)
	}
	ask := append(slices.Clone(terms), "없는말", terms[0])
	slices.Reverse(ask)
	reads := 0
	c := &listCache{}
	cs := cachedSource{byTerm{src, &reads}, c}
	want, _ := src.ListsOf(slices.Sorted(slices.Values(terms)))
	for range 3 {
		got, err := cs.ListsOf(ask)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(got, want, func(a, b []byte) bool { return string(a) == string(b) }) {
			t.Fatalf("lists differ from the source's")
		}
	}
	if reads != 1 {
		t.Fatalf("the source was read %d times", reads)
	}
	if _, ok := c.get(textindex.Alt{Term: "없는말"}); !ok {
		t.Error("a term found nowhere is not remembered")
	}
	// Rounds over 40 big lists, of which about nine fit, each list asked
	// for (a miss, then read and put) as a query does: the cache keeps
	// within its bytes, and keeps some of the round for the next rounds
	// (plain LRU would keep none: each list drops the one asked next).
	big := make([]byte, maxListBytes/10)
	alt := func(i int) textindex.Alt { return textindex.Alt{Term: fmt.Sprint("t", i)} }
	hits := 0
	for round := range 3 {
		for i := range 40 {
			if _, ok := c.get(alt(i)); ok {
				if round == 2 {
					hits++
				}
				continue
			}
			c.put(alt(i), [][]byte{big})
			if c.lists.bytes > maxListBytes {
				t.Fatalf("%d bytes held", c.lists.bytes)
			}
		}
	}
	if hits < 5 {
		t.Errorf("the third round found %d of 40 lists kept", hits)
	}
	// A list asked for more often than the least recently used one
	// takes its place.
	for range 5 {
		c.get(alt(99))
	}
	c.put(alt(99), [][]byte{big})
	if _, ok := c.get(alt(99)); !ok {
		t.Error("a list asked for more often than those kept was not kept")
	}
}

// TestListsOrDecoded: terms come back as lists or, long ones, decoded,
// together the same occurrences as their lists; a decoded term is kept
// and not read again; the decoded cache keeps within its bytes.
func TestListsOrDecoded(t *testing.T) {
	var text strings.Builder
	for i := range 8000 {
		fmt.Fprintf(&text, "강제송환 되었다 %d번째 ", i%10) // a long list for 강제, 제송, …
	}
	text.WriteString("드문말")
	src := listsOf(t, text.String())
	var terms []string
	for term := range src {
		terms = append(terms, term)
	}
	reads := 0
	c := &listCache{}
	cs := cachedSource{byTerm{src, &reads}, c}
	want, err := textindex.Union(mustLists(t, src, terms))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		lists, occs, err := cs.ListsOrDecoded(terms)
		if err != nil {
			t.Fatal(err)
		}
		if len(occs) == 0 || len(lists) == 0 {
			t.Fatalf("%d lists, %d decoded: both kinds expected", len(lists), len(occs))
		}
		got, err := textindex.Union(lists)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range occs {
			got = append(got, o...)
		}
		slices.Sort(got)
		if !slices.Equal(slices.Compact(got), want) {
			t.Fatal("the occurrences differ from the lists'")
		}
	}
	if reads != 1 {
		t.Fatalf("the source was read %d times", reads)
	}
	// Kept says which terms Decoded would give without a read, and asking
	// it counts no request (it does not make a term look popular).
	kept := 0
	for _, term := range terms {
		if cs.Kept(textindex.Alt{Term: term}) {
			kept++
		}
	}
	if kept == 0 || kept == len(terms) || cs.Kept(textindex.Alt{Term: "드문말"}) {
		t.Errorf("Kept says %d of %d terms are kept decoded (드문말 %v)", kept, len(terms), cs.Kept(textindex.Alt{Term: "드문말"}))
	}
	if n := c.decoded.asked[textindex.Alt{Term: "강제"}]; n != 2 {
		t.Errorf("강제 counted as asked %d times, want 2", n)
	}
	big := make([]uint64, maxDecodedBytes/8/10)
	for i := range 40 {
		c.putDecoded(textindex.Alt{Term: fmt.Sprint("t", i)}, big)
		if c.decoded.bytes > maxDecodedBytes {
			t.Fatalf("%d bytes held", c.decoded.bytes)
		}
	}
}

func mustLists(t *testing.T, src textindex.Source, terms []string) [][]byte {
	t.Helper()
	ls, err := src.ListsOf(terms)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// prefixLists gives a prefix's lists as the drivers do (every term that
// begins with it), counting the reads.
type prefixLists struct {
	lists
	reads *int
}

func (p prefixLists) Lists(a textindex.Alt) ([][]byte, error) {
	*p.reads++
	if !a.Prefix {
		return p.lists.Lists(a)
	}
	var out [][]byte
	for _, t := range slices.Sorted(maps.Keys(p.lists)) {
		if strings.HasPrefix(t, a.Term) {
			out = append(out, p.lists[t])
		}
	}
	return out, nil
}

// TestPackedPrefix: a prefix's union that the decoded cache dropped comes
// back from the copy kept packed, the same occurrences, without reading
// the source again; Kept counts the packed copy as kept.
func TestPackedPrefix(t *testing.T) {
	var text strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&text, "강제송환 강물 강가에서 %d번 ", i%7)
	}
	src := listsOf(t, text.String())
	reads := 0
	c := &listCache{}
	cs := cachedSource{prefixLists{src, &reads}, c}
	a := textindex.Alt{Term: "강", Prefix: true}
	all, _ := prefixLists{src, new(int)}.Lists(a)
	want, err := textindex.Union(all)
	if err != nil || len(all) < 3 || len(want) < 9000 {
		t.Fatalf("%d lists, %d occurrences, %v", len(all), len(want), err)
	}
	got, err := cs.Decoded(a)
	if err != nil || !slices.Equal(got, want) || reads != 1 {
		t.Fatalf("first read: %d occurrences, %d reads, %v", len(got), reads, err)
	}
	// Values asked for more often fill the decoded cache, the last one
	// just too big for what is left, which drops 강 (the least recently
	// used).
	for i := 0; c.decoded.has(a) && i < 20; i++ {
		b := textindex.Alt{Term: fmt.Sprint("t", i), Prefix: true}
		for range 3 {
			c.decoded.get(b)
		}
		free := maxDecodedBytes - c.decoded.bytes
		c.putDecoded(b, make([]uint64, min(maxDecodedBytes/8/10, (free-listEntryCost)/8+1)))
	}
	if c.decoded.has(a) {
		t.Fatal("강 is still kept decoded")
	}
	if !cs.Kept(a) {
		t.Error("Kept: 강's packed union does not count")
	}
	got, err = cs.Decoded(a)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("from the packed copy: %d of %d occurrences, %v", len(got), len(want), err)
	}
	if reads != 1 {
		t.Errorf("the source was read %d times", reads)
	}
	// The packed cache keeps within its bytes.
	for i := range 100 {
		occ := make([]uint64, 200_000)
		for j := range occ {
			occ[j] = uint64(i)<<40 + uint64(j)*70_001
		}
		c.putPacked(textindex.Alt{Term: fmt.Sprint("p", i), Prefix: true}, occ)
		if c.packed.bytes > maxPackedBytes {
			t.Fatalf("%d bytes held", c.packed.bytes)
		}
	}
}
