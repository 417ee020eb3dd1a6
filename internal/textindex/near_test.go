package textindex

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// randomOccs is a sorted list of n distinct occurrences (at most half of
// those there are) over rows rows of up to 64 positions.
func randomOccs(rng *rand.Rand, n, rows int) []uint64 {
	n = min(n, rows*32)
	set := map[uint64]bool{}
	for len(set) < n {
		set[uint64(rng.IntN(rows))<<16|uint64(rng.IntN(64))] = true
	}
	out := make([]uint64, 0, n)
	for o := range set {
		out = append(out, o)
	}
	slices.Sort(out)
	return out
}

// TestStartsNear: the starts startsNear keeps, once keepStarts has checked
// them against the next position, are exactly those of startsOf and
// keepStarts, and it keeps no start startsOf would not give; with lists
// of every size, encoded and decoded, and positions either way round.
func TestStartsNear(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 300 {
		rows := 1 + rng.IntN(2000)
		var lists [][]byte
		var decoded, kDecoded [][]uint64
		for range rng.IntN(3) {
			lists = append(lists, EncodeList(randomOccs(rng, 1+rng.IntN(3000), rows)))
		}
		for range 1 + rng.IntN(4) {
			decoded = append(decoded, randomOccs(rng, 1+rng.IntN(6000), rows))
		}
		if rng.IntN(4) == 0 {
			decoded = append(decoded, slices.Clone(decoded[0])) // two keys, the same occurrences
		}
		for range 1 + rng.IntN(4) {
			kDecoded = append(kDecoded, randomOccs(rng, 1+rng.IntN(6000), rows))
		}
		i, k := rng.IntN(4), rng.IntN(4)
		if i == k {
			k = i + 1
		}
		all, err := startsOf(lists, slices.Clone(decoded), i)
		if err != nil {
			t.Fatal(err)
		}
		all = slices.Clone(all)
		near, err := startsNear(lists, decoded, i, kDecoded, k)
		if err != nil {
			t.Fatal(err)
		}
		near = slices.Clone(near)
		if !slices.IsSorted(near) || len(slices.Compact(slices.Clone(near))) != len(near) {
			t.Fatalf("trial %d: startsNear not sorted and distinct", trial)
		}
		for _, s := range near {
			if _, ok := slices.BinarySearch(all, s); !ok {
				t.Fatalf("trial %d: startsNear gave %x, which startsOf does not", trial, s)
			}
		}
		want, err := keepStarts(all, nil, kDecoded, k)
		if err != nil {
			t.Fatal(err)
		}
		got, err := keepStarts(near, nil, kDecoded, k)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d (i %d, k %d): %d starts through startsNear, %d through startsOf", trial, i, k, len(got), len(want))
		}
		if len(near) > len(all) {
			t.Fatalf("trial %d: startsNear kept more than startsOf", trial)
		}
	}
}

// TestSameOccs: lists are the same only element for element.
func TestSameOccs(t *testing.T) {
	a := []uint64{1, 5, 9, 1 << 20}
	for _, c := range []struct {
		b    []uint64
		same bool
	}{
		{slices.Clone(a), true},
		{a, true},
		{[]uint64{1, 6, 9, 1 << 20}, false}, // the ends agree
		{a[:3], false},
		{[]uint64{1, 5, 9, 1<<20 + 1}, false},
		{nil, false},
	} {
		if got := sameOccs(a, c.b); got != c.same {
			t.Errorf("sameOccs(%v, %v) = %v", a, c.b, got)
		}
	}
	if !sameOccs(nil, []uint64{}) {
		t.Error("two empty lists differ")
	}
}
