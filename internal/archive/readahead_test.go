package archive

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
)

// The read-ahead budget never lets more than its items and bytes out (but
// for a run larger than the whole budget, alone); it grants runs in the
// order they were taken, so a committer that returns each item's share in
// order is never left waiting on a worker that waits on it (the first
// part would hang).
func TestReadAhead(t *testing.T) {
	const runs, workers = 2000, 3
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := make([][]int64, runs) // each run's items' charges
	var order []int                // run of each item, in item order
	for r := range sizes {
		n := 1 + rng.IntN(4)
		for range n {
			c := rng.Int64N(100)
			if rng.IntN(50) == 0 {
				c = 5000 // more than the whole budget
			}
			sizes[r] = append(sizes[r], c)
			order = append(order, r)
		}
	}
	ra := newReadAhead(16, 1000)
	var mu sync.Mutex
	var outI, outB int64
	var outRuns int
	results := make([]chan int64, len(order))
	for i := range results {
		results[i] = make(chan int64, 1)
	}
	first := make([]int, runs) // each run's first item
	for i := len(order) - 1; i >= 0; i-- {
		first[order[i]] = i
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				r := int(next.Add(1) - 1)
				if r >= runs {
					return
				}
				var b int64
				for _, c := range sizes[r] {
					b += c
				}
				if !ra.take(r, int64(len(sizes[r])), b) {
					t.Error("take refused before close")
					return
				}
				// What the test counts out is always within what the
				// budget counts out (added after it, taken off before).
				mu.Lock()
				outI += int64(len(sizes[r]))
				outB += b
				outRuns++
				if outRuns > 1 && (outI > 16 || outB > 1000) {
					t.Errorf("out: %d items, %d bytes in %d runs", outI, outB, outRuns)
				}
				mu.Unlock()
				for j, c := range sizes[r] {
					results[first[r]+j] <- c
				}
			}
		})
	}
	for i, r := range order {
		c := <-results[i]
		mu.Lock()
		outI--
		outB -= c
		if i == len(order)-1 || order[i+1] != r {
			outRuns--
		}
		mu.Unlock()
		ra.give(1, c)
	}
	wg.Wait()

	// A later run waits for an earlier one, budget or not.
	ra = newReadAhead(10, 100)
	var earlier atomic.Bool
	later := make(chan bool)
	go func() {
		ra.take(1, 1, 1)
		later <- earlier.Load()
	}()
	earlier.Store(true)
	ra.take(0, 1, 1)
	if !<-later {
		t.Error("run 1 was granted before run 0 asked")
	}

	// Closing wakes a worker that waits, and it takes nothing.
	ra = newReadAhead(1, 10)
	if !ra.take(0, 1, 5) {
		t.Fatal("take refused")
	}
	woke := make(chan bool)
	go func() { woke <- ra.take(1, 1, 5) }()
	ra.close()
	if <-woke {
		t.Error("a take waiting at close was granted")
	}
}
