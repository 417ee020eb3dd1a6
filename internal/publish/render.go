package publish

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
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

// Render writes ds in each of formats (from ParseFormats) and returns the
// files followed by the manifest, whose canonical bytes it also returns.
func Render(ds *Dataset, formats []string) ([]File, []byte) {
	var files []File
	for _, f := range formats {
		switch f {
		case FormatJSON:
			b, _ := json.MarshalIndent(ds, "", "  ")
			files = append(files, File{"dataset.json", append(b, '\n')})
		case FormatCSV:
			files = append(files, renderCSV(ds)...)
		case FormatGeoJSON:
			files = append(files, File{"dataset.geojson", renderGeoJSON(ds)})
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	m := Manifest{Format: FormatName, Version: Version, Publication: ds.Publication, Files: []ManifestFile{}}
	for _, f := range files {
		m.Files = append(m.Files, ManifestFile{Name: f.Name, Size: len(f.Data), SHA256: evidence.Sum(f.Data)})
	}
	manifest, _ := json.Marshal(m)
	return append(files, File{ManifestName, append(append([]byte{}, manifest...), '\n')}), manifest
}

func renderCSV(ds *Dataset) []File {
	table := func(name string, header []string, rows [][]string) File {
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		w.Write(append([]string{"dataset_version"}, header...))
		for _, r := range rows {
			w.Write(append([]string{strconv.Itoa(Version)}, r...))
		}
		w.Flush()
		return File{name, b.Bytes()}
	}
	list := func(ss []string) string { return strings.Join(ss, ";") }
	coord := func(f *float64) string {
		if f == nil {
			return ""
		}
		return strconv.FormatFloat(*f, 'f', -1, 64)
	}
	var out []File
	var rows [][]string
	for _, t := range ds.Testimonies {
		rows = append(rows, []string{t.ID, t.Witness, t.Title, t.Date, t.Place, list(t.Languages), t.Scope})
	}
	out = append(out, table("testimonies.csv", []string{"id", "witness", "title", "date", "place", "languages", "scope"}, rows))
	rows = nil
	for _, e := range ds.Events {
		rows = append(rows, []string{e.ID, e.Title, e.Description, e.Date, list(e.Places), list(e.Violations), e.Status})
	}
	out = append(out, table("events.csv", []string{"id", "title", "description", "date", "places", "violations", "status"}, rows))
	rows = nil
	for _, a := range ds.Acts {
		rows = append(rows, []string{a.ID, a.Event, a.Victim, a.Violation, a.Date, a.Place, a.StatusAtEnd})
	}
	out = append(out, table("acts.csv", []string{"id", "event", "victim", "violation", "date", "place", "status_at_end"}, rows))
	rows = nil
	for _, i := range ds.Involvements {
		rows = append(rows, []string{i.ID, i.Act, i.Perpetrator, i.Degree, i.PerpetratorType})
	}
	out = append(out, table("involvements.csv", []string{"id", "act", "perpetrator", "degree", "perpetrator_type"}, rows))
	rows = nil
	for _, p := range ds.Persons {
		by := ""
		if p.BirthYear != 0 {
			by = strconv.Itoa(p.BirthYear)
		}
		rows = append(rows, []string{p.ID, p.Name, list(p.Names), strconv.FormatBool(p.Protected), p.Sex, by, p.CountingUnit, p.Unit})
	}
	out = append(out, table("persons.csv", []string{"id", "name", "names", "protected", "sex", "birth_year", "counting_unit", "unit"}, rows))
	rows = nil
	for _, p := range ds.Places {
		rows = append(rows, []string{p.ID, p.Level, p.Name, p.Ko, coord(p.Lat), coord(p.Lon)})
	}
	out = append(out, table("places.csv", []string{"id", "level", "name", "ko", "lat", "lon"}, rows))
	rows = nil
	for _, i := range ds.Information {
		rows = append(rows, []string{i.ID, i.Source, i.Event, i.Connection, i.Reliability, i.Credibility})
	}
	out = append(out, table("information.csv", []string{"id", "source", "event", "connection", "reliability", "credibility"}, rows))
	rows = nil
	for _, t := range ds.Transcripts {
		rows = append(rows, []string{t.ID, t.Testimony, t.Role, t.Lang, strconv.Itoa(t.Redactions), t.Text})
	}
	out = append(out, table("transcripts.csv", []string{"id", "testimony", "role", "lang", "redactions", "text"}, rows))
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
// and each act at each of its places that has coordinates at the
// published precision. Places without a point are left out.
func renderGeoJSON(ds *Dataset) []byte {
	places := map[string]Place{}
	for _, p := range ds.Places {
		places[p.ID] = p
	}
	features := []geoFeature{}
	add := func(kind, id, place string, props map[string]any) {
		p, ok := places[place]
		if !ok || p.Lat == nil || p.Lon == nil {
			return
		}
		props["kind"], props["id"], props["place"], props["place_level"], props["place_name"] = kind, id, p.ID, p.Level, p.Name
		features = append(features, geoFeature{Type: "Feature", Geometry: geoPoint{Type: "Point", Coordinates: [2]float64{*p.Lon, *p.Lat}}, Properties: props})
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
