package archive

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"sori/internal/blob"
)

// counting is a blob store that counts its reads and says whether it
// reads long ranges best (as S3 does) or not (as a local store).
type counting struct {
	blob.Store
	seq   bool
	opens atomic.Int64
}

func (s *counting) Sequential() bool { return s.seq }

func (s *counting) Open(ctx context.Context, name string, off, length int64) (io.ReadCloser, error) {
	s.opens.Add(1)
	return s.Store.Open(ctx, name, off, length)
}

// TestIndexRunsOnSequentialStore: where the blob store reads long ranges
// best, the index reads neighbouring items of a pack with one request a
// run, and every item is still indexed with its own text.
func TestIndexRunsOnSequentialStore(t *testing.T) {
	if got := indexCountingReads(t, true, nil); got > 6 {
		t.Errorf("%d reads for 70 items in runs of %d", got, runMax)
	}
}

// TestIndexRunsOnLocalStore: on a local store the index reads small
// neighbouring items of a pack with one read a run (a file's open costs
// more than a paragraph's read), and larger items each alone.
func TestIndexRunsOnLocalStore(t *testing.T) {
	large := map[int]bool{29: true, 59: true, 69: true} // past localRunItem
	// 67 small items in at most 6 runs (the large ones cut them), 3 alone.
	if got := indexCountingReads(t, false, large); got > 9 {
		t.Errorf("%d reads for 70 items", got)
	}
}

// indexCountingReads adds 70 small text items (those in large made longer
// than localRunItem) in one pack, indexes them through a counting store
// (seq: sequential), checks that each is found by a word of its own, and
// returns how many reads indexing took.
func indexCountingReads(t *testing.T, seq bool, large map[int]bool) int64 {
	t.Helper()
	ctx := context.Background()
	a := newArchive(t)
	var srcs []Source
	for i := range 70 {
		text := "증언 " + word(i) + " 두만강"
		if large[i] {
			text += strings.Repeat(" 기록", localRunItem/7+1)
		}
		srcs = append(srcs, Source{Name: fmt.Sprintf("n%02d.txt", i), Size: -1, R: strings.NewReader(text)})
	}
	ids := map[string]int{}
	if err := a.AddSources(ctx, srcs, AddOptions{}, func(r Added) error { ids[r.ID.String()] = len(ids); return r.Err }); err != nil {
		t.Fatal(err)
	}
	store := &counting{Store: a.blobs, seq: seq}
	a.blobs = store
	n, err := a.IndexPending(ctx, nil)
	if err != nil || n != 70 {
		t.Fatalf("indexed %d: %v", n, err)
	}
	opens := store.opens.Load()
	for i := range 70 {
		hits, err := a.Search(ctx, word(i), SearchOptions{NoSnippets: true, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, h := range hits {
			j, ok := ids[h.Doc]
			found = found || ok && j == i
		}
		if !found {
			t.Errorf("item %d is not found by its word (%d hits)", i, len(hits))
		}
	}
	return opens
}

// word is a two-syllable word of its own for each i.
func word(i int) string { return string(rune(0xAC00+i*28*3)) + string(rune(0xAC00+i*28*3+28)) }
