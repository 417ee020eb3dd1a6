package archive

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// BenchmarkCompartmentSearch: a member's search over n items of about 2 KiB
// of text in a compartment, when the session's in-memory index is built
// from nothing (its first search), rebuilt after a change elsewhere in
// the archive (documents analysed before are reused), and reused; beside it the same items outside a compartment, searched
// through the shared index.
//
//	go test ./internal/archive -run '^$' -bench CompartmentSearch -benchtime 20x
func BenchmarkCompartmentSearch(b *testing.B) {
	for _, n := range []int{100, 1000} {
		ctx := context.Background()
		a, err := Init(ctx, b.TempDir()+"/archive", "kim", testPass, Options{WorkFactor: 10})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.CreateCompartment(ctx, "case-b", []string{"kim"}); err != nil {
			b.Fatal(err)
		}
		var srcIn, srcOut []Source
		for i := range n {
			text := strings.Repeat(fmt.Sprintf("%s 문서 %d 번째 단락. ", koSentence, i), 12)
			srcIn = append(srcIn, Source{Name: fmt.Sprintf("in-%d.txt", i), Size: int64(len(text)), R: strings.NewReader(text)})
			text = strings.Repeat(fmt.Sprintf("%s 공개 %d 번째 단락. ", koSentence, i), 12)
			srcOut = append(srcOut, Source{Name: fmt.Sprintf("out-%d.txt", i), Size: int64(len(text)), R: strings.NewReader(text)})
		}
		if err := a.AddSources(ctx, srcIn, AddOptions{Compartment: "case-b"}, func(r Added) error { return r.Err }); err != nil {
			b.Fatal(err)
		}
		if err := a.AddSources(ctx, srcOut, AddOptions{}, func(r Added) error { return r.Err }); err != nil {
			b.Fatal(err)
		}
		if _, err := a.IndexPending(ctx, nil); err != nil {
			b.Fatal(err)
		}
		search := func(b *testing.B, q string) {
			hits, err := a.Search(ctx, q, SearchOptions{Limit: 20})
			if err != nil || len(hits) == 0 {
				b.Fatalf("%d hits, %v", len(hits), err)
			}
		}
		drop := func(docs bool) {
			a.compSearch.mu.Lock()
			a.compSearch.idx = nil
			if docs {
				a.compSearch.docs = nil
			}
			a.compSearch.mu.Unlock()
		}
		b.Run(fmt.Sprintf("items=%d/compartment-first", n), func(b *testing.B) {
			for b.Loop() {
				drop(true)
				search(b, "문서")
			}
		})
		b.Run(fmt.Sprintf("items=%d/compartment-after-a-change", n), func(b *testing.B) {
			for b.Loop() {
				drop(false)
				search(b, "문서")
			}
		})
		b.Run(fmt.Sprintf("items=%d/compartment-reused", n), func(b *testing.B) {
			for b.Loop() {
				search(b, "문서")
			}
		})
		b.Run(fmt.Sprintf("items=%d/shared-index", n), func(b *testing.B) {
			for b.Loop() {
				search(b, "공개")
			}
		})
		a.Close()
	}
}
