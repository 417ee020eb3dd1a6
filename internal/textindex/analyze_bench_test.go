package textindex

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sori/internal/gen"
)

// BenchmarkAnalyze analyses a generated corpus (Korean and English files of
// 100 paragraphs, as bench/search.sh indexes them), each file cut into
// parts of about 2 KiB as the archive cuts an item.
func BenchmarkAnalyze(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "corpus")
	if _, err := gen.Write(dir, gen.Options{Paragraphs: 40000, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	var docs [][]string
	size := 0
	for _, sub := range []string{"ko", "en"} {
		files, err := filepath.Glob(filepath.Join(dir, sub, "*.txt"))
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range files {
			text, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			size += len(text)
			docs = append(docs, benchParts(string(text)))
		}
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for _, parts := range docs {
			Analyze(parts)
		}
	}
}

// benchParts gathers text's lines into parts of about 2 KiB.
func benchParts(text string) []string {
	var parts []string
	var cur strings.Builder
	for line := range strings.Lines(text) {
		if cur.Len() > 0 && cur.Len()+len(line) > 2048 {
			parts = append(parts, cur.String())
			cur.Reset()
		}
		cur.WriteString(line)
	}
	if cur.Len() > 0 {
		parts = append(parts, cur.String())
	}
	return parts
}
