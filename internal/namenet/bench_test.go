package namenet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchText is the demo testimonies repeated to about 1 MiB.
func benchText(b *testing.B, glob string) string {
	files, _ := filepath.Glob(filepath.Join("..", "demo", "testimonies", glob))
	var sb strings.Builder
	for sb.Len() < 1<<20 {
		for _, f := range files {
			t, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			sb.Write(t)
		}
	}
	return sb.String()
}

func benchFind(b *testing.B, glob string) {
	text := benchText(b, glob)
	m := matcher("박철민", "Kim Jongil", "최영희", "Ri Song-hui")
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		m.Find(text)
	}
}

func BenchmarkFindKorean(b *testing.B)  { benchFind(b, "*.ko.txt") }
func BenchmarkFindEnglish(b *testing.B) { benchFind(b, "*.en.txt") }
