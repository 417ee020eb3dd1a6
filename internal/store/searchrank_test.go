package store

import (
	"context"
	"errors"
	"fmt"
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
