package web

import (
	"bytes"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"sori/internal/archive"
	"sori/internal/evidence"
)

// page is what every template gets.
type page struct {
	L     lang
	Nonce string
	CSRF  string
	User  string
	Roles string
	// Path is the request's path and query, for the language switch.
	Path        string
	Title       string
	IdleSeconds int
	Protection  bool
	CanPublish  bool
	CanAdd      bool
	CanExport   bool
	Data        any
}

var funcs = template.FuncMap{
	"short": func(s string) string {
		if len(s) > 12 {
			return s[:12]
		}
		return s
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"join":  strings.Join,
	"label": label,
	"roles": func(l lang, roles []string) string {
		out := make([]string, len(roles))
		for i, r := range roles {
			out[i] = l.T("role." + r)
		}
		return strings.Join(out, ", ")
	},
	"logview": func(l lang, e []archive.LogEntry) logView {
		return logView{L: l, Entries: e}
	},
	"versionsview": func(l lang, v []archive.RecordVersionInfo) versionsView {
		return versionsView{L: l, Versions: v}
	},
}

// logView and versionsView are what the shared "logtable" and
// "recversions" templates take.
type logView struct {
	L       lang
	Entries []archive.LogEntry
}

type versionsView struct {
	L        lang
	Versions []archive.RecordVersionInfo
}

// parsePages parses each templates/*.html but layout.html together with
// layout.html, as a page of its own name.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, err
		}
		pages[base] = t
	}
	return pages, nil
}

// render writes page name with data, under a fresh CSP nonce. An htmx
// request for a page that defines "fragment" gets only that.
func (s *Server) render(w http.ResponseWriter, r *http.Request, ss *session, status int, name, titleKey string, data any) {
	l := langOf(r)
	p := page{L: l, Nonce: randomToken(), Path: r.URL.RequestURI(), Title: l.T(titleKey),
		IdleSeconds: int(s.cfg.IdleTimeout / time.Second), Data: data}
	if ss != nil {
		p.CSRF, p.User, p.Roles, p.Protection = ss.csrf, ss.user, ss.roles, ss.has(archive.RoleProtection)
		p.CanPublish = archive.Permits(ss.roles, archive.OpPublish)
		p.CanAdd = ss.canAdd()
		p.CanExport = ss.canExport()
	}
	t := s.pages[name]
	exec := "layout.html"
	if r.Header.Get("HX-Request") != "" && t.Lookup("fragment") != nil {
		exec = "fragment"
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, exec, p); err != nil {
		s.log.Error("web: rendering a page", "page", name, "err", err.Error())
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// The page may hold testimony: no browser or proxy keeps a copy.
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", csp(p.Nonce))
	h.Set("Vary", "HX-Request, Accept-Language, Cookie")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// csp allows scripts only by this response's nonce (no inline handlers, no
// eval) and everything else only from this origin.
func csp(nonce string) string {
	return "default-src 'none'; script-src 'nonce-" + nonce + "'; style-src 'self'; img-src 'self'; " +
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
}

type errorData struct {
	Key    string
	Detail string
}

// fail renders an error page for message key.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, ss *session, status int, key string) {
	s.render(w, r, ss, status, "error", "err.title", errorData{Key: key})
}

// failErr maps an archive error's kind to a status and a page: the one
// place errors become HTTP statuses. The message shown passes the
// session's disclosure guard.
func (s *Server) failErr(w http.ResponseWriter, r *http.Request, ss *session, err error) {
	d := errorData{}
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, evidence.ErrNotFound):
		status, d.Key = http.StatusNotFound, "err.notfound"
	case errors.Is(err, evidence.ErrForbidden), errors.Is(err, evidence.ErrLocked):
		status, d.Key = http.StatusForbidden, "err.forbidden"
	case errors.Is(err, evidence.ErrInvalid):
		status, d.Key = http.StatusBadRequest, "err.bad"
		d.Detail = ss.arch.DiscloseError(err).Error()
	case errors.Is(err, evidence.ErrShredded):
		status, d.Key = http.StatusGone, "err.shredded"
	case errors.Is(err, evidence.ErrPending):
		status, d.Key = http.StatusConflict, "err.pending"
		d.Detail = ss.arch.DiscloseError(err).Error()
	case errors.Is(err, evidence.ErrTampered), errors.Is(err, evidence.ErrDamaged):
		d.Key = "err.tampered"
	default:
		d.Key = "err.internal"
	}
	if status == http.StatusInternalServerError {
		s.log.Error("web: request failed", "path", r.URL.Path, "err", ss.arch.DiscloseError(err).Error())
	}
	s.render(w, r, ss, status, "error", "err.title", d)
}
