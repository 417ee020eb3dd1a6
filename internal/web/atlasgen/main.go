// Command atlasgen draws the web app's base map (internal/web/static/korea.svg)
// from the world-atlas npm package's TopoJSON (Natural Earth country
// borders). It is run once by hand, and its output committed, so that
// neither npm nor the data is needed to build or run sori:
//
//	cd /tmp && npm pack world-atlas && tar xzf world-atlas-*.tgz
//	go run ./internal/web/atlasgen -in /tmp/package/countries-10m.json -out internal/web/static/korea.svg
//
// Countries are clipped to the frame of package mapproj and projected by it.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"strings"

	"sori/internal/web/mapproj"
)

// topology is the part of a TopoJSON file atlasgen reads.
type topology struct {
	Transform *struct {
		Scale     [2]float64 `json:"scale"`
		Translate [2]float64 `json:"translate"`
	} `json:"transform"`
	Arcs    [][][2]float64 `json:"arcs"`
	Objects map[string]struct {
		Geometries []geometry `json:"geometries"`
	} `json:"objects"`
}

type geometry struct {
	Type       string          `json:"type"`
	ID         string          `json:"id"`
	Arcs       json.RawMessage `json:"arcs"`
	Properties struct {
		Name string `json:"name"`
	} `json:"properties"`
}

type pt [2]float64 // lon, lat

// classes are the ISO 3166 numeric codes drawn, with their SVG class.
var classes = map[string]string{"408": "kp", "410": "kr", "156": "cn", "643": "ru", "392": "jp"}

func main() {
	in := flag.String("in", "", "world-atlas countries-*.json")
	out := flag.String("out", "", "SVG file to write")
	flag.Parse()
	if *in == "" || *out == "" {
		log.Fatal("usage: atlasgen -in countries-10m.json -out korea.svg")
	}
	b, err := os.ReadFile(*in)
	if err != nil {
		log.Fatal(err)
	}
	var t topology
	if err := json.Unmarshal(b, &t); err != nil {
		log.Fatal(err)
	}
	arcs := decodeArcs(t)
	var svg strings.Builder
	h := mapproj.Height()
	fmt.Fprintf(&svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\">\n", mapproj.Width, h)
	fmt.Fprintf(&svg, "<!-- Natural Earth country borders via the world-atlas npm package (ISC licence; Natural Earth data is public domain), drawn by internal/web/atlasgen. -->\n")
	fmt.Fprintf(&svg, "<rect class=\"sea\" width=\"%.0f\" height=\"%.0f\"/>\n", mapproj.Width, h)
	for _, g := range t.Objects["countries"].Geometries {
		class, ok := classes[g.ID]
		if !ok {
			continue
		}
		polys, err := polygons(g)
		if err != nil {
			log.Fatalf("%s: %v", g.Properties.Name, err)
		}
		var d strings.Builder
		for _, poly := range polys {
			for _, ring := range poly {
				d.WriteString(path(clip(stitch(arcs, ring))))
			}
		}
		if d.Len() > 0 {
			fmt.Fprintf(&svg, "<path class=\"land %s\" d=\"%s\"><title>%s</title></path>\n", class, d.String(), g.Properties.Name)
		}
	}
	svg.WriteString("</svg>\n")
	if err := os.WriteFile(*out, []byte(svg.String()), 0o644); err != nil {
		log.Fatal(err)
	}
}

// decodeArcs undoes TopoJSON's quantization and delta encoding.
func decodeArcs(t topology) [][]pt {
	out := make([][]pt, len(t.Arcs))
	for i, arc := range t.Arcs {
		var x, y float64
		for _, p := range arc {
			if t.Transform == nil {
				out[i] = append(out[i], pt{p[0], p[1]})
				continue
			}
			x += p[0]
			y += p[1]
			out[i] = append(out[i], pt{x*t.Transform.Scale[0] + t.Transform.Translate[0], y*t.Transform.Scale[1] + t.Transform.Translate[1]})
		}
	}
	return out
}

// polygons returns a geometry's polygons, each a list of rings of arc indices.
func polygons(g geometry) ([][][]int, error) {
	switch g.Type {
	case "Polygon":
		var p [][]int
		err := json.Unmarshal(g.Arcs, &p)
		return [][][]int{p}, err
	case "MultiPolygon":
		var mp [][][]int
		err := json.Unmarshal(g.Arcs, &mp)
		return mp, err
	}
	return nil, nil
}

// stitch joins a ring's arcs (~i is arc i reversed), dropping each joint's
// repeated point.
func stitch(arcs [][]pt, ring []int) []pt {
	var out []pt
	for _, i := range ring {
		var a []pt
		if i >= 0 {
			a = arcs[i]
		} else {
			src := arcs[^i]
			a = make([]pt, len(src))
			for j := range src {
				a[j] = src[len(src)-1-j]
			}
		}
		if len(out) > 0 && len(a) > 0 {
			a = a[1:]
		}
		out = append(out, a...)
	}
	return out
}

// clip cuts a ring to the frame (Sutherland–Hodgman, one edge at a time).
func clip(ring []pt) []pt {
	edges := []struct {
		in  func(pt) bool
		cut func(a, b pt) pt
	}{
		{func(p pt) bool { return p[0] >= mapproj.MinLon }, func(a, b pt) pt { return atLon(a, b, mapproj.MinLon) }},
		{func(p pt) bool { return p[0] <= mapproj.MaxLon }, func(a, b pt) pt { return atLon(a, b, mapproj.MaxLon) }},
		{func(p pt) bool { return p[1] >= mapproj.MinLat }, func(a, b pt) pt { return atLat(a, b, mapproj.MinLat) }},
		{func(p pt) bool { return p[1] <= mapproj.MaxLat }, func(a, b pt) pt { return atLat(a, b, mapproj.MaxLat) }},
	}
	for _, e := range edges {
		if len(ring) == 0 {
			return nil
		}
		var out []pt
		prev := ring[len(ring)-1]
		for _, p := range ring {
			switch {
			case e.in(p) && e.in(prev):
				out = append(out, p)
			case e.in(p):
				out = append(out, e.cut(prev, p), p)
			case e.in(prev):
				out = append(out, e.cut(prev, p))
			}
			prev = p
		}
		ring = out
	}
	return ring
}

func atLon(a, b pt, lon float64) pt {
	t := (lon - a[0]) / (b[0] - a[0])
	return pt{lon, a[1] + t*(b[1]-a[1])}
}

func atLat(a, b pt, lat float64) pt {
	t := (lat - a[1]) / (b[1] - a[1])
	return pt{a[0] + t*(b[0]-a[0]), lat}
}

// path is an SVG path of a closed ring, at 0.1 unit and without repeats.
func path(ring []pt) string {
	if len(ring) < 3 {
		return ""
	}
	var b strings.Builder
	lastX, lastY := math.NaN(), math.NaN()
	n := 0
	for _, p := range ring {
		x, y := mapproj.Project(p[0], p[1])
		x, y = math.Round(x*10)/10, math.Round(y*10)/10
		if x == lastX && y == lastY {
			continue
		}
		if n == 0 {
			fmt.Fprintf(&b, "M%g %g", x, y)
		} else {
			fmt.Fprintf(&b, "L%g %g", x, y)
		}
		lastX, lastY = x, y
		n++
	}
	if n < 3 {
		return ""
	}
	b.WriteString("Z")
	return b.String()
}
