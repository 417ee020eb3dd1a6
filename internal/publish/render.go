package publish

import (
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"

	"sori/internal/evidence"
)

// File is one file of a publication: a name relative to the output
// directory, and its bytes.
type File struct {
	Name string
	Data []byte
}

// ManifestName is the manifest's file name.
const ManifestName = "manifest.json"

// Manifest lists every file of a publication with its SHA-256. Its
// canonical bytes (compact JSON, files sorted by name) are what the
// publish custody entry's digest commits to.
type Manifest struct {
	Format      string         `json:"format"` // FormatName
	Version     int            `json:"version"`
	Publication string         `json:"publication"`
	Files       []ManifestFile `json:"files"`
}

// ManifestFile is one file in the manifest.
type ManifestFile struct {
	Name   string          `json:"name"`
	Size   int             `json:"size"`
	SHA256 evidence.Digest `json:"sha256"`
}

// Render writes ds in each of formats (from ParseFormats, or
// FormatCSVExcel in place of FormatCSV) and returns the files followed by
// the manifest, whose canonical bytes it also returns. With CSV it also
// writes datapackage.json, a Frictionless Data Package describing the
// files. Dates are written in EDTF (EDTF), whatever form ds holds them in.
func Render(ds *Dataset, formats []string) ([]File, []byte) {
	ds = withEDTF(ds)
	var files []File
	csvOpts, withCSV := CSVOptions{}, false
	for _, f := range formats {
		switch f {
		case FormatJSON:
			b, _ := json.MarshalIndent(ds, "", "  ")
			files = append(files, File{"dataset.json", append(b, '\n')})
		case FormatCSV, FormatCSVExcel:
			csvOpts.Excel, withCSV = f == FormatCSVExcel, true
			files = append(files, renderCSV(ds, csvOpts)...)
		case FormatGeoJSON:
			files = append(files, File{"dataset.geojson", renderGeoJSON(ds)})
		}
	}
	if withCSV {
		var names []string
		for _, f := range files {
			names = append(names, f.Name)
		}
		files = append(files, File{DataPackageName, dataPackage(ds, names, csvOpts)})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	m := Manifest{Format: FormatName, Version: Version, Publication: ds.Publication, Files: []ManifestFile{}}
	for _, f := range files {
		m.Files = append(m.Files, ManifestFile{Name: f.Name, Size: len(f.Data), SHA256: evidence.Sum(f.Data)})
	}
	manifest, _ := json.Marshal(m)
	return append(files, File{ManifestName, append(append([]byte{}, manifest...), '\n')}), manifest
}

// withEDTF returns a copy of ds whose dates are EDTF strings; ds itself
// is not changed.
func withEDTF(ds *Dataset) *Dataset {
	c := *ds
	c.Testimonies = slices.Clone(ds.Testimonies)
	for i := range c.Testimonies {
		c.Testimonies[i].Date = edtfOf(c.Testimonies[i].Date)
	}
	c.Events = slices.Clone(ds.Events)
	for i := range c.Events {
		c.Events[i].Date = edtfOf(c.Events[i].Date)
	}
	c.Acts = slices.Clone(ds.Acts)
	for i := range c.Acts {
		c.Acts[i].Date = edtfOf(c.Acts[i].Date)
	}
	return &c
}

func renderCSV(ds *Dataset, o CSVOptions) []File {
	v := strconv.Itoa(Version)
	list := func(ss []string) string { return strings.Join(ss, ";") }
	coord := func(f *float64) string {
		if f == nil {
			return ""
		}
		return strconv.FormatFloat(*f, 'f', -1, 64)
	}
	rows := map[string][][]string{}
	add := func(table string, r ...string) { rows[table] = append(rows[table], append([]string{v}, r...)) }
	for _, t := range ds.Testimonies {
		add("testimonies", t.ID, t.Witness, t.Title, t.Date, t.Place, list(t.Languages), t.Scope)
	}
	for _, e := range ds.Events {
		add("events", e.ID, e.Title, e.Description, e.Date, list(e.Places), list(e.Violations), e.Status)
	}
	for _, a := range ds.Acts {
		add("acts", a.ID, a.Event, a.Victim, a.Violation, a.Date, a.Place, a.StatusAtEnd)
	}
	for _, i := range ds.Involvements {
		add("involvements", i.ID, i.Act, i.Perpetrator, i.Degree, i.PerpetratorType)
	}
	for _, p := range ds.Persons {
		by := ""
		if p.BirthYear != 0 {
			by = strconv.Itoa(p.BirthYear)
		}
		add("persons", p.ID, p.Name, list(p.Names), strconv.FormatBool(p.Protected), p.Sex, by, p.CountingUnit, p.Unit)
	}
	for _, p := range ds.Places {
		add("places", p.ID, p.Level, p.Name, p.Ko, coord(p.Lat), coord(p.Lon))
	}
	for _, i := range ds.Information {
		add("information", i.ID, i.Source, i.Event, i.Connection, i.Reliability, i.Credibility)
	}
	for _, t := range ds.Transcripts {
		add("transcripts", t.ID, t.Testimony, t.Role, t.Lang, strconv.Itoa(t.Redactions), t.Text)
	}
	var out []File
	for _, t := range tables {
		out = append(out, File{t.name + ".csv", csvBytes(headerOf(t.cols), rows[t.name], o)})
	}
	return out
}

type geoFeature struct {
	Type       string         `json:"type"`
	Geometry   geoPoint       `json:"geometry"`
	Properties map[string]any `json:"properties"`
}

type geoPoint struct {
	Type        string     `json:"type"`
	Coordinates [2]float64 `json:"coordinates"` // lon, lat (RFC 7946)
}

// renderGeoJSON is an RFC 7946 FeatureCollection: a Point for each event
// at each of its places and each act at its place, where the place has a
// point at its published precision (placePoint): its own, or a province's
// representative point for a place published as a province. Places
// without a point are left out.
func renderGeoJSON(ds *Dataset) []byte {
	places := map[string]Place{}
	for _, p := range ds.Places {
		places[p.ID] = p
	}
	features := []geoFeature{}
	add := func(kind, id, place string, props map[string]any) {
		p, ok := places[place]
		if !ok {
			return
		}
		lat, lon, point, ok := placePoint(p)
		if !ok {
			return
		}
		props["kind"], props["id"], props["place"], props["place_level"], props["place_name"], props["point"] = kind, id, p.ID, p.Level, p.Name, point
		features = append(features, geoFeature{Type: "Feature", Geometry: geoPoint{Type: "Point", Coordinates: [2]float64{lon, lat}}, Properties: props})
	}
	for _, e := range ds.Events {
		for _, pl := range e.Places {
			add("event", e.ID, pl, map[string]any{"title": e.Title, "date": e.Date, "violations": e.Violations})
		}
	}
	for _, a := range ds.Acts {
		add("act", a.ID, a.Place, map[string]any{"event": a.Event, "victim": a.Victim, "violation": a.Violation, "date": a.Date})
	}
	b, _ := json.MarshalIndent(map[string]any{
		"type": "FeatureCollection", "sori_format": FormatName, "sori_version": Version, "publication": ds.Publication,
		"features": features,
	}, "", "  ")
	return append(b, '\n')
}
