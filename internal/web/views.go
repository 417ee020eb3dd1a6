package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"sort"
	"strings"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/vocab"
	"sori/internal/web/mapproj"
	"sori/verify"
)

type logData struct {
	Size       int64
	Note       string
	Entries    []archive.LogEntry
	Bad, Shown int
	Verify     *verifyView
}

// verifyView is a verification's outcome as the log page shows it.
type verifyView struct {
	Mode     string
	OK       bool
	Items    int64
	Entries  int64
	Findings []verify.Finding
	Notes    []string
}

// logShown is how many of the newest custody entries the log page lists.
const logShown = 200

func (s *Server) custodyLog(w http.ResponseWriter, r *http.Request, ss *session) {
	ctx := r.Context()
	cp, err := ss.arch.Checkpoint(ctx)
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	d := logData{Size: cp.Size, Note: string(cp.Note)}
	err = ss.arch.Log(ctx, "", func(e archive.LogEntry) error {
		if !e.SignatureOK {
			d.Bad++
		}
		d.Entries = append(d.Entries, e)
		if len(d.Entries) > 2*logShown { // keep the newest without holding all
			d.Entries = slices.Clone(d.Entries[len(d.Entries)-logShown:])
		}
		return nil
	})
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	if len(d.Entries) > logShown {
		d.Entries = d.Entries[len(d.Entries)-logShown:]
	}
	slices.Reverse(d.Entries)
	d.Shown = len(d.Entries)
	if r.Method == http.MethodPost {
		if d.Verify, err = s.runVerify(r, ss); err != nil {
			s.failErr(w, r, ss, err)
			return
		}
	}
	s.render(w, r, ss, http.StatusOK, "log", "log.title", d)
}

// runVerify runs sori verify (quick unless the form asks for full) on the
// session's archive. Its findings name IDs and kinds; they are passed
// through the session's guard all the same, as the CLI's errors are.
func (s *Server) runVerify(r *http.Request, ss *session) (*verifyView, error) {
	rep, err := s.verifyArchive(r, ss, r.PostFormValue("mode") == "full") // api.go: guarded, and kept for /metrics
	if err != nil {
		return nil, err
	}
	v := &verifyView{Mode: rep.Mode, OK: rep.OK(), Items: rep.Items, Entries: rep.Entries, Notes: rep.Notes, Findings: rep.Findings}
	return v, nil
}

type timelineYear struct {
	Year   int
	Months []timelineMonth
}

type timelineMonth struct {
	Month  int // 0: the year only (or a coarser date)
	Events []timelineEvent
}

type timelineEvent struct {
	ID, Title, Date, Precision string
	Approx                     bool
}

type timelineData struct {
	Years   []timelineYear
	Unknown []timelineEvent
}

// timeline groups events by year and month, each shown with the precision
// its date was recorded at (a decade's event sits at the decade's first
// year, a year's event under "year" without a month).
func (s *Server) timeline(w http.ResponseWriter, r *http.Request, ss *session) {
	byYear := map[int]map[int][]timelineEvent{}
	var d timelineData
	err := ss.arch.Records(r.Context(), model.KindEvent, func(id evidence.ID, b model.Body) error {
		e, ok := b.(*model.Event)
		if !ok {
			return nil
		}
		te := timelineEvent{ID: id.String(), Title: e.Title, Date: e.Date.String(), Precision: e.Date.Precision, Approx: e.Date.Approx}
		y := e.Date.Year()
		if y == 0 {
			d.Unknown = append(d.Unknown, te)
			return nil
		}
		if byYear[y] == nil {
			byYear[y] = map[int][]timelineEvent{}
		}
		m := monthOf(e.Date)
		byYear[y][m] = append(byYear[y][m], te)
		return nil
	})
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	for y, months := range byYear {
		ty := timelineYear{Year: y}
		for m, evs := range months {
			sort.Slice(evs, func(i, j int) bool { return evs[i].Date < evs[j].Date })
			ty.Months = append(ty.Months, timelineMonth{Month: m, Events: evs})
		}
		sort.Slice(ty.Months, func(i, j int) bool { return ty.Months[i].Month < ty.Months[j].Month })
		d.Years = append(d.Years, ty)
	}
	sort.Slice(d.Years, func(i, j int) bool { return d.Years[i].Year < d.Years[j].Year })
	s.render(w, r, ss, http.StatusOK, "timeline", "tl.title", d)
}

// monthOf is the month of a date at month or day precision, else 0.
func monthOf(d model.Date) int {
	if d.Precision != "month" && d.Precision != "day" {
		return 0
	}
	var y, m int
	if _, err := fmt.Sscanf(d.From, "%d-%d", &y, &m); err != nil || m < 1 || m > 12 {
		return 0
	}
	return m
}

type mapPoint struct {
	ID, Name, Kind string
	Query          string // what a gazetteer point searches for
	X, Y           float64
	Lat, Lon       float64
	Precision      string
	Gazetteer      bool
}

type mapData struct {
	Base   template.HTML
	Width  float64
	Height float64
	Points []mapPoint
}

// placesMap draws the places with coordinates that the session reads —
// place records (through the archive's guard) and the gazetteer places
// events name — on the embedded base map, at the precision recorded.
func (s *Server) placesMap(w http.ResponseWriter, r *http.Request, ss *session) {
	base, err := mapBase()
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	d := mapData{Base: base, Width: mapproj.Width, Height: mapproj.Height()}
	seen := map[string]bool{}
	l := langOf(r)
	err = ss.arch.Records(r.Context(), "", func(id evidence.ID, b model.Body) error {
		switch v := b.(type) {
		case *model.Place:
			if v.Lat != nil && v.Lon != nil && mapproj.Inside(*v.Lon, *v.Lat) {
				p := mapPoint{ID: id.String(), Name: strings.Join(v.Names, " / "), Kind: v.Type, Lat: *v.Lat, Lon: *v.Lon, Precision: "point"}
				p.X, p.Y = mapproj.Project(p.Lon, p.Lat)
				d.Points = append(d.Points, p)
			}
		case *model.Event:
			for _, code := range v.Places {
				if seen[code] {
					continue
				}
				seen[code] = true
				if g, ok := vocab.PlaceByCode(code); ok && g.Coords != nil && mapproj.Inside(g.Coords.Lon, g.Coords.Lat) {
					name := g.EN + " / " + g.Hangul
					if l == "ko" {
						name = g.Hangul + " / " + g.EN
					}
					p := mapPoint{ID: g.Code, Name: name, Query: g.Hangul, Kind: g.Type, Lat: g.Coords.Lat, Lon: g.Coords.Lon, Precision: g.Coords.Precision, Gazetteer: true}
					p.X, p.Y = mapproj.Project(p.Lon, p.Lat)
					d.Points = append(d.Points, p)
				}
			}
		}
		return nil
	})
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	s.render(w, r, ss, http.StatusOK, "map", "map.title", d)
}

// mapBase is the inside of the embedded base map's <svg> element: paths
// sori generated itself (atlasgen), so it is trusted markup.
func mapBase() (template.HTML, error) {
	b, err := staticFS.ReadFile("static/korea.svg")
	if err != nil {
		return "", err
	}
	i := bytes.IndexByte(b, '>')
	j := bytes.LastIndex(b, []byte("</svg>"))
	if i < 0 || j < i {
		return "", fmt.Errorf("static/korea.svg is not an SVG drawing")
	}
	return template.HTML(b[i+1 : j]), nil
}

type publishData struct {
	Report archive.PublishReport
}

// publishPreview is publish --dry-run: the report of what a publication
// would withhold or change. Nothing is written or recorded.
func (s *Server) publishPreview(w http.ResponseWriter, r *http.Request, ss *session) {
	p, err := ss.arch.Publish(r.Context(), []string{"json"})
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	s.render(w, r, ss, http.StatusOK, "publish", "pub.title", publishData{Report: p.Report})
}

type vaultData struct {
	Reauth    bool
	Witnesses []archive.WitnessInfo
}

// vault lists the identity vault's pseudonyms: protection officers only,
// and only after they enter their passphrase again.
func (s *Server) vault(w http.ResponseWriter, r *http.Request, ss *session) {
	if !ss.has(archive.RoleProtection) {
		s.fail(w, r, ss, http.StatusForbidden, "err.forbidden")
		return
	}
	if !s.sessions.reauthed(ss, s.cfg.Now(), s.cfg.ReauthWindow) {
		s.render(w, r, ss, http.StatusOK, "vault", "vault.title", vaultData{Reauth: true})
		return
	}
	ws, err := ss.arch.Witnesses(r.Context())
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	s.render(w, r, ss, http.StatusOK, "vault", "vault.title", vaultData{Witnesses: ws})
}
