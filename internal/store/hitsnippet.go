package store

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"sori/internal/textindex"
)

// HitSnippet cuts the snippet of hit h, as RunSearch does, from text: its
// title (part 0) or its part's text. sn is the hit's query's snippeter;
// open and shut mark the matches. For a caller that ranks without
// snippets and cuts them afterwards only for the hits it shows.
func HitSnippet(sn *textindex.Snippeter, h Hit, text, open, shut string) string {
	return sn.At(text, h.At, open, shut, "…", snippetWidth)
}

// EachHit calls fn(i) for i in [0, n), on every core, until ctx ends: a
// hit's snippet is a decryption and a tokenizing, each on its own.
func EachHit(ctx context.Context, n int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				fn(i)
			}
		})
	}
	wg.Wait()
}
