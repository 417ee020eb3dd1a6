package archive

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"sori/internal/evidence"
	"sori/internal/store"
)

// BenchmarkSnippetText times reading one text part of an item for its
// snippet, in the two shapes of bench/search.sh's corpus: a file of 100
// paragraphs (~11 KiB, one age chunk) and a long transcript (~1 MiB, 16
// chunks), the part in the middle. "range" is the snippet path (the
// item's part by its start, only its chunks decrypted); "whole" decrypts
// and checks the whole item and cuts the part from it (the path before).
//
//	go test -run '^$' -bench SnippetText -benchmem ./internal/archive
func BenchmarkSnippetText(b *testing.B) {
	ctx := context.Background()
	a, err := Init(ctx, filepath.Join(b.TempDir(), "archive"), "u", testPass, Options{WorkFactor: 10})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	shapes := []struct {
		name  string
		paras int
	}{{"paragraphs-11KiB", 100}, {"transcript-1MiB", 9000}}
	dir := b.TempDir()
	var paths []string
	for _, s := range shapes {
		var t strings.Builder
		for i := range s.paras {
			fmt.Fprintf(&t, "%s 문단 %d: 1997년 겨울 두만강을 건넜다. The guards counted the rations at the camp every morning.\n", s.name, i)
		}
		p := filepath.Join(dir, s.name+".txt")
		writeFile(b, p, []byte(t.String()))
		paths = append(paths, p)
	}
	if err := a.Add(ctx, paths, AddOptions{}, func(r Added) error { return r.Err }); err != nil {
		b.Fatal(err)
	}
	if _, err := a.IndexPending(ctx, nil); err != nil {
		b.Fatal(err)
	}
	for _, s := range shapes {
		hits, err := a.Search(ctx, s.name, SearchOptions{Limit: 1, NoSnippets: true})
		if err != nil || len(hits) != 1 {
			b.Fatalf("%s: %v %d hits", s.name, err, len(hits))
		}
		rows, err := a.db.SnippetItems(ctx, []string{hits[0].Doc})
		if err != nil {
			b.Fatal(err)
		}
		r := rows[hits[0].Doc]
		n := len(r.Starts) / 2
		want := paragraph(mustText(b, a, r.Item), n)
		b.Run(s.name+"/range", func(b *testing.B) {
			for b.Loop() {
				if p, err := a.itemPart(ctx, r.Item, r.Starts, n); err != nil || p != want {
					b.Fatalf("part %d: %v", n, err)
				}
			}
		})
		b.Run(s.name+"/whole", func(b *testing.B) {
			for b.Loop() {
				t, err := a.itemText(ctx, r.Item)
				if err != nil || paragraph(t, n) != want {
					b.Fatalf("part %d: %v", n, err)
				}
			}
		})
	}
}

func mustText(b *testing.B, a *Archive, it store.Item) string {
	t, err := a.itemText(context.Background(), it)
	if err != nil {
		b.Fatal(err)
	}
	return t
}

// BenchmarkSnippetRows times reading the rows of a query's 20 hits: one
// query for all (SnippetItems, the snippet path) or one each (Item, the
// path before).
func BenchmarkSnippetRows(b *testing.B) {
	ctx := context.Background()
	a, err := Init(ctx, filepath.Join(b.TempDir(), "archive"), "u", testPass, Options{WorkFactor: 10})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	dir := b.TempDir()
	var paths []string
	for i := range 2000 {
		p := filepath.Join(dir, fmt.Sprintf("%04d.txt", i))
		writeFile(b, p, []byte(fmt.Sprintf("문서 %d: 두만강을 건넜다.\n", i)))
		paths = append(paths, p)
	}
	if err := a.Add(ctx, paths, AddOptions{}, func(r Added) error { return r.Err }); err != nil {
		b.Fatal(err)
	}
	if _, err := a.IndexPending(ctx, nil); err != nil {
		b.Fatal(err)
	}
	hits, err := a.Search(ctx, "두만강", SearchOptions{Limit: 20, NoSnippets: true})
	if err != nil || len(hits) != 20 {
		b.Fatalf("%v %d hits", err, len(hits))
	}
	var docs []string
	for _, h := range hits {
		docs = append(docs, h.Doc)
	}
	b.Run("batch", func(b *testing.B) {
		for b.Loop() {
			if rows, err := a.db.SnippetItems(ctx, docs); err != nil || len(rows) != 20 {
				b.Fatal(err)
			}
		}
	})
	b.Run("each", func(b *testing.B) {
		for b.Loop() {
			for _, d := range docs {
				if _, err := a.db.Item(ctx, mustID(b, d)); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

func mustID(b *testing.B, s string) evidence.ID {
	id, err := evidence.ParseID(s)
	if err != nil {
		b.Fatal(err)
	}
	return id
}
