package archive

import (
	"context"
	"path/filepath"
	"testing"

	"sori/internal/gen"
)

// BenchmarkSearchQueries times Search (one pass over a list of queries
// per op) on an archive of 20,000 generated paragraphs: the corpus's own
// 200 queries (Korean of one to three syllables, English words, names in
// Hangul and romanized), name queries written the ways of issue 15, and
// one-syllable queries. Building the archive is not timed.
//
//	go test -run '^$' -bench SearchQueries -benchtime 5x ./internal/archive
func BenchmarkSearchQueries(b *testing.B) {
	ctx := context.Background()
	a, err := Init(ctx, filepath.Join(b.TempDir(), "archive"), "u", testPass, Options{WorkFactor: 10})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	dir := filepath.Join(b.TempDir(), "corpus")
	c, err := gen.Write(dir, gen.Options{Paragraphs: 20000, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	err = a.Add(ctx, []string{filepath.Join(dir, "ko"), filepath.Join(dir, "en")}, AddOptions{}, func(r Added) error { return r.Err })
	if err != nil {
		b.Fatal(err)
	}
	if _, err := a.Search(ctx, "강", SearchOptions{Limit: 1}); err != nil { // indexes the text
		b.Fatal(err)
	}
	sets := []struct {
		name    string
		queries []string
	}{
		{"corpus", c.Queries},
		{"names", []string{"Park, Cheol-min", "(Han Deok-su)", "Kim Jeong-il.", "Bahk Cheol-min", "Bag Deog-su", "Pak Chelmin",
			"Bakcheolmin", "Yu Hyeok", "유혜옥", "이일명", "Lee Il-myeong", "Pak Chol Min", "김정일"}},
		{"syllable", []string{"강", "혁", "리", "rations"}},
	}
	for _, s := range sets {
		b.Run(s.name, func(b *testing.B) {
			for b.Loop() {
				for _, q := range s.queries {
					if _, err := a.Search(ctx, q, SearchOptions{Limit: 20}); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(s.queries)), "µs/query")
		})
	}
}
