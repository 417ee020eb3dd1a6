package main

import (
	"strings"
	"testing"

	"sori/internal/web/mapproj"
)

func TestClipKeepsInsideFrame(t *testing.T) {
	// A square straddling the frame's west edge.
	ring := []pt{{120, 38}, {126, 38}, {126, 40}, {120, 40}}
	got := clip(ring)
	if len(got) < 4 {
		t.Fatalf("clipped to %v", got)
	}
	for _, p := range got {
		if !mapproj.Inside(p[0], p[1]) {
			t.Errorf("point %v outside the frame", p)
		}
	}
	// A ring wholly outside is dropped.
	if got := clip([]pt{{100, 10}, {101, 10}, {101, 11}}); len(got) != 0 {
		t.Errorf("a ring outside the frame kept %v", got)
	}
}

func TestStitchReversesAndJoins(t *testing.T) {
	arcs := [][]pt{{{1, 1}, {2, 2}}, {{3, 3}, {2, 2}}}
	got := stitch(arcs, []int{0, ^1}) // arc 0, then arc 1 reversed
	want := []pt{{1, 1}, {2, 2}, {3, 3}}
	if len(got) != len(want) {
		t.Fatalf("stitched %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("stitched %v, want %v", got, want)
		}
	}
}

func TestPathClosesRing(t *testing.T) {
	p := path([]pt{{125, 39}, {127, 39}, {127, 41}})
	if !strings.HasPrefix(p, "M") || !strings.HasSuffix(p, "Z") || strings.Count(p, "L") != 2 {
		t.Errorf("path %q", p)
	}
	if path([]pt{{125, 39}, {125, 39}, {125, 39}}) != "" {
		t.Error("a degenerate ring drew a path")
	}
}
