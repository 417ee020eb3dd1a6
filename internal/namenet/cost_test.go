package namenet

import (
	"testing"
)

// TestCost reports how many forms Find hashes per syllable of text, the
// measure of its cost that does not depend on the machine's load.
func TestCost(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 2 MiB of text")
	}
	b := &testing.B{}
	m := matcher("박철민")
	for _, tc := range []struct {
		glob string
		max  float64
	}{{"*.ko.txt", 4}, {"*.en.txt", 12}} {
		text := benchText(b, tc.glob)
		f := finder{m: m, text: text, mac: newMacer(m.key)}
		f.scan()
		per := float64(f.hashed) / float64(len(f.syls))
		t.Logf("%s: %d bytes, %d positions, %d forms hashed (%.2f per position)", tc.glob, len(text), len(f.syls), f.hashed, per)
		if per > tc.max {
			t.Errorf("%s: %.2f forms hashed per position, want at most %v", tc.glob, per, tc.max)
		}
	}
}
