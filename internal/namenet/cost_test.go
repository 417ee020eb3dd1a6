package namenet

import (
	"testing"
)

// TestCost reports how many forms Find hashes per syllable position of
// text, the measure of its cost that does not depend on the machine's
// load: without the window cache (text that never repeats a window), and
// with it on the demo testimonies repeated to 1 MiB.
func TestCost(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 2 MiB of text")
	}
	b := &testing.B{}
	m := matcher("박철민")
	for _, tc := range []struct {
		glob string
		max  float64
	}{{"*.ko.txt", 2}, {"*.en.txt", 6}} {
		text := benchText(b, tc.glob)
		u := finder{m: m, text: text, mac: newMacer(m.key)}
		u.scan()
		c := finder{m: m, text: text, mac: newMacer(m.key), cache: map[winKey][]string{}}
		c.scan()
		per := float64(u.hashed) / float64(len(u.syls))
		t.Logf("%s: %d bytes, %d positions, %d forms hashed (%.2f per position), %d with the cache", tc.glob, len(text), len(u.syls), u.hashed, per, c.hashed)
		if per > tc.max {
			t.Errorf("%s: %.2f forms hashed per position, want at most %v", tc.glob, per, tc.max)
		}
		if c.hashed >= u.hashed/10 {
			t.Errorf("%s: the cache saves too little on repeated text: %d of %d", tc.glob, c.hashed, u.hashed)
		}
	}
}
