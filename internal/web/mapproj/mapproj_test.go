package mapproj

import "testing"

func TestProjectCorners(t *testing.T) {
	x, y := Project(MinLon, MaxLat)
	if x != 0 || y != 0 {
		t.Errorf("north-west corner at %v,%v", x, y)
	}
	x, y = Project(MaxLon, MinLat)
	if d := x - Width; d > 1e-9 || d < -1e-9 {
		t.Errorf("east edge at x=%v, want %v", x, Width)
	}
	if d := y - Height(); d > 1e-9 || d < -1e-9 {
		t.Errorf("south edge at y=%v, want %v", y, Height())
	}
	// Pyongyang lies west of Wonsan and south of Chongjin.
	px, py := Project(125.75, 39.03)
	wx, _ := Project(127.44, 39.15)
	_, cy := Project(129.78, 41.79)
	if px >= wx || py <= cy {
		t.Errorf("relative positions wrong: %v %v %v %v", px, wx, py, cy)
	}
}
