package archive

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// Intake rates in items per second, for 1 KB items, with the checkpoint
// pin kept in a state directory as the CLI does (bench/verify.sh runs
// these):
//
//	go test -run '^$' -bench Intake -benchtime 2000x ./internal/archive
//
// Atomic: one Add call per item, so each item is its own transaction with
// its own custody entry, signed checkpoint and pin update (an HTTP upload,
// or `sori add FILE` without the key derivation). Batched: one Add call of
// 5,000 files, which packs and commits them in groups. Each runs with
// binary items (stored only) and text items (also indexed for search).

const rateItemSize = 1000

// rateText is the body of a text item: Korean and English, as transcripts are.
var rateText = func() []byte {
	var b []byte
	for len(b) < rateItemSize {
		b = append(b, koSentence+" "+enSentence+"\n"...)
	}
	b = b[:rateItemSize]
	for !utf8.Valid(b) {
		b = b[:len(b)-1] // drop a rune cut at the end …
	}
	for len(b) < rateItemSize {
		b = append(b, ' ') // … and pad back to size
	}
	return b
}()

// rateFiles writes n distinct files of rateItemSize bytes into a new
// directory: random bytes, or text.
func rateFiles(b *testing.B, n int, text bool) string {
	b.Helper()
	dir := b.TempDir()
	buf := randBytes(7, rateItemSize)
	if text {
		buf = bytes.Clone(rateText)
	}
	for i := range n {
		if text {
			copy(buf, fmt.Sprintf("%06d", i)) // distinct, or intake would deduplicate
		} else {
			binary.BigEndian.PutUint64(buf, uint64(i))
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("item-%06d.txt", i)), buf, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

var rateKinds = []struct {
	name string
	text bool
}{{"binary", false}, {"text", true}}

func rateArchive(b *testing.B) *Archive {
	b.Helper()
	root := b.TempDir()
	a, err := Init(context.Background(), filepath.Join(root, "archive"), "bench", testPass,
		Options{WorkFactor: 10, StateDir: filepath.Join(root, "state")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	return a
}

func BenchmarkAtomicIntake(b *testing.B) {
	for _, k := range rateKinds {
		b.Run(k.name, func(b *testing.B) { benchAtomic(b, k.text) })
	}
}

func BenchmarkBatchedIntake(b *testing.B) {
	for _, k := range rateKinds {
		b.Run(k.name, func(b *testing.B) { benchBatched(b, k.text) })
	}
}

func benchAtomic(b *testing.B, text bool) {
	ctx := context.Background()
	src := rateFiles(b, b.N, text)
	a := rateArchive(b)
	des, err := os.ReadDir(src)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(rateItemSize)
	b.ResetTimer()
	for i := range b.N {
		err := a.Add(ctx, []string{filepath.Join(src, des[i].Name())}, AddOptions{}, func(r Added) error {
			if r.Err == nil && r.Duplicate {
				return fmt.Errorf("%s: duplicate", r.Path)
			}
			return r.Err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
}

func benchBatched(b *testing.B, text bool) {
	const items = 5000
	ctx := context.Background()
	src := rateFiles(b, items, text)
	b.SetBytes(items * rateItemSize)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		a := rateArchive(b)
		b.StartTimer()
		n := 0
		err := a.Add(ctx, []string{src}, AddOptions{}, func(r Added) error {
			if r.Err != nil {
				return r.Err
			}
			if r.Duplicate {
				return fmt.Errorf("%s: duplicate", r.Path)
			}
			n++
			return nil
		})
		if err != nil || n != items {
			b.Fatalf("added %d of %d: %v", n, items, err)
		}
	}
	b.ReportMetric(float64(items*b.N)/b.Elapsed().Seconds(), "items/s")
}
