// Package mapproj is the projection shared by the map's pre-rendered base
// (atlasgen, run once) and the points the web app draws on it: both MUST use
// it, or places land beside where they are.
package mapproj

import "math"

// The frame: the Korean peninsula and the China and Russia border region.
const (
	MinLon, MaxLon = 123.5, 131.5
	MinLat, MaxLat = 33.0, 43.5
	// Width of the drawing in SVG user units; Height follows.
	Width = 600.0
)

// kx shrinks longitude by the cosine of the frame's middle latitude, so the
// equirectangular drawing is not stretched east–west.
var kx = math.Cos((MinLat + MaxLat) / 2 * math.Pi / 180)

func scale() float64 { return Width / ((MaxLon - MinLon) * kx) }

// Height is the drawing's height in SVG user units.
func Height() float64 { return (MaxLat - MinLat) * scale() }

// Project maps a WGS84 point to SVG coordinates (y down).
func Project(lon, lat float64) (x, y float64) {
	k := scale()
	return (lon - MinLon) * kx * k, (MaxLat - lat) * k
}

// Inside reports whether the point lies in the frame.
func Inside(lon, lat float64) bool {
	return lon >= MinLon && lon <= MaxLon && lat >= MinLat && lat <= MaxLat
}
