package archive

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Benchmarks of the intake pipeline. The side-by-side comparison with restic
// is bench/intake.sh; these isolate sori's own costs for profiling:
//
//	go test -run '^$' -bench . -benchtime 3x ./internal/archive

func benchArchive(b *testing.B) *Archive {
	b.Helper()
	a, err := Init(context.Background(), filepath.Join(b.TempDir(), "a"), "bench", testPass, Options{WorkFactor: 10})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	return a
}

func benchAdd(b *testing.B, files, size int) {
	src := b.TempDir()
	for i := range files {
		os.WriteFile(filepath.Join(src, fmt.Sprintf("f%05d", i)), randBytes(uint64(i), size), 0o644)
	}
	b.SetBytes(int64(files * size))
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		a := benchArchive(b)
		b.StartTimer()
		n := 0
		err := a.Add(context.Background(), []string{src}, AddOptions{}, func(r Added) error {
			if r.Err != nil {
				return r.Err
			}
			n++
			return nil
		})
		if err != nil || n != files {
			b.Fatalf("added %d of %d: %v", n, files, err)
		}
	}
	b.ReportMetric(float64(files*b.N)/b.Elapsed().Seconds(), "items/s")
}

func BenchmarkAddSmallFiles(b *testing.B) { benchAdd(b, 2000, 16_000) }
func BenchmarkAddLargeFiles(b *testing.B) { benchAdd(b, 8, 8<<20) }
