package web

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/internal/model"
	"sori/verify"
)

// The JSON API under /api/v1 (docs/deploy.md "JSON API"). A request is
// made as a user either with an API token ("Authorization: Bearer
// sori_…", made by `sori token create`) or, for GET requests only, with
// the cookie of a web login. Every handler calls the same archive methods
// as the CLI and the pages, so the role matrix and the disclosure guard
// hold here as there: 401 without a user, 403 when the role may not.
//
// Errors have one shape: {"error":{"status":403,"code":"forbidden",
// "message":"…"}}, the message passed through the session's guard.

//go:embed api_openapi.json
var openAPIDoc []byte

// apiRoute is one route of the API. Every /api/v1 route is in apiRoutes,
// and the OpenAPI document lists exactly these (TestOpenAPIMatchesRoutes).
type apiRoute struct {
	method, path string
	h            apiHandler
}

type apiHandler = handler

func (s *Server) apiRoutes() []apiRoute {
	return []apiRoute{
		{"GET", "/api/v1/me", s.apiMe},
		{"GET", "/api/v1/items", s.apiItems},
		{"GET", "/api/v1/items/{id}", s.apiItem},
		{"GET", "/api/v1/items/{id}/content", s.apiItemContent},
		{"GET", "/api/v1/testimonies", s.apiTestimonies},
		{"GET", "/api/v1/testimonies/{id}", s.apiTestimony},
		{"GET", "/api/v1/records", s.apiRecords},
		{"GET", "/api/v1/records/{id}", s.apiRecord},
		{"GET", "/api/v1/search", s.apiSearch},
		{"GET", "/api/v1/saved-searches", s.apiSavedSearches},
		{"GET", "/api/v1/saved-searches/{id}/hits", s.apiSavedSearchRun},
		{"GET", "/api/v1/custody", s.apiCustody},
		{"GET", "/api/v1/verify", s.apiVerifyStatus},
		{"POST", "/api/v1/verify", s.apiVerifyRun},
		{"GET", "/api/v1/publish/preview", s.apiPublishPreview},
	}
}

// registerAPI adds the API's routes, the OpenAPI document and a JSON 404
// for anything else under /api/.
func (s *Server) registerAPI(m *http.ServeMux) {
	for _, rt := range s.apiRoutes() {
		m.HandleFunc(rt.method+" "+rt.path, s.api(rt.h))
	}
	m.HandleFunc("GET /api/v1/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openAPIDoc)
	})
	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusNotFound, "not_found", "no such API route (see /api/v1/openapi.json)")
	})
}

// apiError writes the API's one error shape.
func apiError(w http.ResponseWriter, status int, code, msg string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"status": status, "code": code, "message": msg}})
}

// apiFail maps an archive error's kind to a status: the API's one place
// for it. The message passes the session's disclosure guard.
func (s *Server) apiFail(w http.ResponseWriter, r *http.Request, ss *session, err error) {
	msg := ss.arch.DiscloseError(err).Error()
	switch {
	case errors.Is(err, evidence.ErrNotFound):
		apiError(w, http.StatusNotFound, "not_found", msg)
	case errors.Is(err, evidence.ErrForbidden):
		apiError(w, http.StatusForbidden, "forbidden", msg)
	case errors.Is(err, evidence.ErrLocked):
		apiError(w, http.StatusUnauthorized, "unauthorized", msg)
	case errors.Is(err, evidence.ErrInvalid):
		apiError(w, http.StatusBadRequest, "invalid", msg)
	case errors.Is(err, evidence.ErrShredded):
		apiError(w, http.StatusGone, "shredded", msg)
	case errors.Is(err, evidence.ErrTampered), errors.Is(err, evidence.ErrDamaged):
		s.log.Error("api: the archive reports damage", "route", r.Pattern, "err", msg)
		apiError(w, http.StatusInternalServerError, "damaged", "the archive reports damage; run sori verify")
	case errors.Is(err, context.Canceled):
		apiError(w, http.StatusServiceUnavailable, "canceled", "the request was canceled")
	default:
		s.log.Error("api: request failed", "route", r.Pattern, "err", msg)
		apiError(w, http.StatusInternalServerError, "internal", "internal error")
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	// Responses may hold testimony: no browser or proxy keeps a copy.
	h.Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

// pageParams reads ?limit= (default def, at most max) and ?offset=.
func pageParams(r *http.Request, def, max int) (limit, offset int, err error) {
	q := r.URL.Query()
	limit, offset = def, 0
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > max {
			return 0, 0, errBadParam("limit", "a whole number from 1 to "+strconv.Itoa(max))
		}
	}
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			return 0, 0, errBadParam("offset", "a whole number from 0")
		}
	}
	return limit, offset, nil
}

func errBadParam(name, want string) error {
	return fmt.Errorf("%w: parameter %s: want %s", evidence.ErrInvalid, name, want)
}

// errEnough stops a listing once a page is full.
var errEnough = errors.New("page full")

type apiMe struct {
	User  string   `json:"user"`
	Roles []string `json:"roles"`
	Via   string   `json:"via"` // "token" or "login"
	Token string   `json:"token_id,omitempty"`
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request, ss *session) {
	me := apiMe{User: ss.user, Roles: strings.Split(ss.roles, ","), Via: "login"}
	if ss.tokenID != "" {
		me.Via, me.Token = "token", ss.tokenID
	}
	writeJSON(w, me)
}

type apiItemEntry struct {
	archive.Listed
	Current evidence.ItemRecord `json:"current"`
}

type apiPage[T any] struct {
	Offset int  `json:"offset"`
	Limit  int  `json:"limit"`
	More   bool `json:"more"`
	// Next is where the next page starts when there is more: ?after=Next.
	// For items it is the page's last ID; for records its last ID and
	// that record's version, "ID:N" (a record changed meanwhile moves to
	// the end of the order; the next page starts where it was).
	Next  string `json:"next,omitempty"`
	Items []T    `json:"items"`
}

// afterParam reads ?after= (a full item or record ID: where a listing
// continues), the zero ID if absent. With versions (records), it also
// takes "ID:N", a record's ID at its version N, as a records page's next
// gives it.
func afterParam(r *http.Request, versions bool) (evidence.ID, int, error) {
	v := r.URL.Query().Get("after")
	if v == "" {
		return evidence.ID{}, 0, nil
	}
	bad := errBadParam("after", "the previous page's \"next\" (the full ID of its last entry)")
	version := 0
	if s, n, ok := strings.Cut(v, ":"); ok && versions {
		var err error
		if version, err = strconv.Atoi(n); err != nil || version < 1 || n != strconv.Itoa(version) {
			return evidence.ID{}, 0, bad
		}
		v = s
	}
	id, err := evidence.ParseID(v)
	if err != nil {
		return evidence.ID{}, 0, bad
	}
	return id, version, nil
}

// apiItems lists items in intake order, a page at a time: ?after=ID
// continues after an item (reading nothing before it), ?offset= skips
// entries (after the ?after item, if given).
func (s *Server) apiItems(w http.ResponseWriter, r *http.Request, ss *session) {
	limit, offset, err := pageParams(r, 100, 1000)
	if err != nil {
		s.apiFail(w, r, ss, err)
		return
	}
	after, _, err := afterParam(r, false)
	if err != nil {
		s.apiFail(w, r, ss, err)
		return
	}
	p := apiPage[apiItemEntry]{Offset: offset, Limit: limit, Items: []apiItemEntry{}}
	err = ss.arch.ListPage(r.Context(), archive.Page{After: after, Skip: offset}, func(l archive.Listed) error {
		if len(p.Items) == limit {
			p.More, p.Next = true, p.Items[limit-1].ID.String()
			return errEnough
		}
		p.Items = append(p.Items, apiItemEntry{Listed: l, Current: l.Record})
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		s.apiFail(w, r, ss, err)
		return
	}
	writeJSON(w, p)
}

func (s *Server) apiItem(w http.ResponseWriter, r *http.Request, ss *session) {
	info, err := ss.arch.Show(r.Context(), r.PathValue("id"))
	if err != nil {
		s.apiFail(w, r, ss, err)
		return
	}
	writeJSON(w, info)
}

// apiItemContent streams an item's bytes as `sori cat` gives them: checked
// against the stored digest, masked by the guard for a role without
// protection, and recorded as a read when the item is a testimony's.
func (s *Server) apiItemContent(w http.ResponseWriter, r *http.Request, ss *session) {
	rc, _, err := ss.arch.Open(r.Context(), r.PathValue("id"))
	if err != nil {
		s.apiFail(w, r, ss, err)
		return
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", "attachment")
	h.Set("Cache-Control", "no-store")
	if _, err := io.Copy(w, rc); err != nil {
		// The status is sent; a broken body is all a client can be told.
		s.log.Warn("api: item content cut short", "err", ss.arch.DiscloseError(err).Error())
	}
}

type apiRecordEntry struct {
	ID   evidence.ID     `json:"id"`
	Kind string          `json:"kind"`
	Body json.RawMessage `json:"body"`
}

func (s *Server) listRecords(w http.ResponseWriter, r *http.Request, ss *session, kind string) {
	limit, offset, err := pageParams(r, 100, 1000)
	if err != nil {
		s.apiFail(w, r, ss, err)
		return
	}
	after, version, err := afterParam(r, true)
	if err != nil {
		s.apiFail(w, r, ss, err)
		return
	}
	p := apiPage[apiRecordEntry]{Offset: offset, Limit: limit, Items: []apiRecordEntry{}}
	lastVersion := 0
	err = ss.arch.RecordsPage(r.Context(), kind, archive.Page{After: after, AfterVersion: version, Skip: offset}, func(id evidence.ID, v int, b model.Body) error {
		if len(p.Items) == limit {
			p.More, p.Next = true, fmt.Sprintf("%s:%d", p.Items[limit-1].ID, lastVersion)
			return errEnough
		}
		p.Items = append(p.Items, apiRecordEntry{ID: id, Kind: b.Kind(), Body: model.EncodeBody(b)})
		lastVersion = v
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		s.apiFail(w, r, ss, err)
		return
	}
	writeJSON(w, p)
}

func (s *Server) apiRecords(w http.ResponseWriter, r *http.Request, ss *session) {
	kind := r.URL.Query().Get("kind")
	if kind != "" && !slices.Contains(model.Kinds, kind) {
		s.apiFail(w, r, ss, errBadParam("kind", "one of "+strings.Join(model.Kinds, ", ")))
		return
	}
	s.listRecords(w, r, ss, kind)
}

func (s *Server) apiTestimonies(w http.ResponseWriter, r *http.Request, ss *session) {
	s.listRecords(w, r, ss, model.KindTestimony)
}

type apiRecordInfo struct {
	archive.RecordInfo
	Body json.RawMessage `json:"body"`
}

func (s *Server) record(r *http.Request, ss *session, kind string) (apiRecordInfo, error) {
	info, err := ss.arch.Record(r.Context(), r.PathValue("id"))
	if err != nil {
		return apiRecordInfo{}, err
	}
	if kind != "" && info.Kind != kind {
		return apiRecordInfo{}, fmt.Errorf("%w: no %s %s", evidence.ErrNotFound, kind, info.ID)
	}
	return apiRecordInfo{RecordInfo: info, Body: model.EncodeBody(info.Current)}, nil
}

func (s *Server) apiRecord(w http.ResponseWriter, r *http.Request, ss *session) {
	info, err := s.record(r, ss, "")
	if err != nil {
		s.apiFail(w, r, ss, err)
		return
	}
	writeJSON(w, info)
}

type apiTestimonyInfo struct {
	apiRecordInfo
	// Items are the testimony's items (original, translations and
	// attachments), as GET /api/v1/items/{id} shows each.
	Items []archive.ItemInfo `json:"items"`
}

func (s *Server) apiTestimony(w http.ResponseWriter, r *http.Request, ss *session) {
	info, err := s.record(r, ss, model.KindTestimony)
	if err != nil {
		s.apiFail(w, r, ss, err)
		return
	}
	out := apiTestimonyInfo{apiRecordInfo: info, Items: []archive.ItemInfo{}}
	for _, ref := range info.Current.Refs() {
		if !ref.Item {
			continue
		}
		it, err := ss.arch.Show(r.Context(), ref.ID.String())
		if err != nil {
			s.apiFail(w, r, ss, err)
			return
		}
		out.Items = append(out.Items, it)
	}
	writeJSON(w, out)
}

// apiSearchResult does not repeat the query: a name typed into a search
// is not sent back either.
type apiSearchResult struct {
	Hits []apiSearch `json:"hits"`
}

type apiSearch struct {
	ID      string  `json:"id"`
	Kind    string  `json:"kind"`
	Title   string  `json:"title"`
	Snippet string  `json:"snippet"`
	Part    int     `json:"part"`
	Score   float64 `json:"score"`
}

func (s *Server) apiSearch(w http.ResponseWriter, r *http.Request, ss *session) {
	q := r.URL.Query()
	query := strings.TrimSpace(q.Get("q"))
	if query == "" {
		s.apiFail(w, r, ss, errBadParam("q", "a query"))
		return
	}
	limit, _, err := pageParams(r, 20, searchLimit)
	if err != nil {
		s.apiFail(w, r, ss, err)
		return
	}
	opt := archive.SearchOptions{Limit: limit, Kind: q.Get("kind"), Violation: q.Get("violation"), Place: q.Get("place")}
	switch q.Get("snippets") {
	case "", "true", "1":
	case "false", "0":
		// Hits without snippets: no item is decrypted to make one.
		opt.NoSnippets = true
	default:
		s.apiFail(w, r, ss, errBadParam("snippets", "true or false"))
		return
	}
	for name, dst := range map[string]*int{"from": &opt.From, "to": &opt.To} {
		if v := q.Get(name); v != "" {
			if *dst, err = strconv.Atoi(v); err != nil {
				s.apiFail(w, r, ss, errBadParam(name, "a year"))
				return
			}
		}
	}
	hits, err := ss.arch.Search(r.Context(), query, opt)
	if err != nil {
		s.apiFail(w, r, ss, err)
		return
	}
	out := apiSearchResult{Hits: make([]apiSearch, 0, len(hits))}
	for _, h := range hits {
		out.Hits = append(out.Hits, apiSearch{ID: h.Doc, Kind: h.Kind, Title: h.Title, Snippet: h.Snippet, Part: h.Part, Score: h.Score})
	}
	writeJSON(w, out)
}

type apiCustodyResult struct {
	Size       int64              `json:"size"`
	Checkpoint string             `json:"checkpoint"`
	Entries    []archive.LogEntry `json:"entries"`
}

// apiCustody lists the newest custody entries (of one object with
// ?object=), newest first, with the signed checkpoint.
func (s *Server) apiCustody(w http.ResponseWriter, r *http.Request, ss *session) {
	ctx := r.Context()
	limit, _, err := pageParams(r, 100, 1000)
	if err != nil {
		s.apiFail(w, r, ss, err)
		return
	}
	cp, err := ss.arch.Checkpoint(ctx)
	if err != nil {
		s.apiFail(w, r, ss, err)
		return
	}
	out := apiCustodyResult{Size: cp.Size, Checkpoint: string(cp.Note), Entries: []archive.LogEntry{}}
	err = ss.arch.Log(ctx, r.URL.Query().Get("object"), func(e archive.LogEntry) error {
		out.Entries = append(out.Entries, e)
		if len(out.Entries) > 2*limit {
			out.Entries = slices.Clone(out.Entries[len(out.Entries)-limit:])
		}
		return nil
	})
	if err != nil {
		s.apiFail(w, r, ss, err)
		return
	}
	if len(out.Entries) > limit {
		out.Entries = out.Entries[len(out.Entries)-limit:]
	}
	slices.Reverse(out.Entries)
	writeJSON(w, out)
}

// apiVerifyStatus is a verification's outcome. The status kept for
// GET /api/v1/verify holds counts only: its findings were disclosed to the
// session that ran it, not to the one asking.
type apiVerifyStatus struct {
	Ran      bool           `json:"ran"`
	At       time.Time      `json:"at,omitzero"`
	Mode     string         `json:"mode,omitempty"`
	OK       bool           `json:"ok"`
	Findings int            `json:"findings"`
	Items    int64          `json:"items"`
	Entries  int64          `json:"entries"`
	Report   *verify.Report `json:"report,omitempty"`
}

// apiVerifyStatus is the outcome of the last verification this server ran
// (POST /api/v1/verify, or the log page's button), if any.
func (s *Server) apiVerifyStatus(w http.ResponseWriter, r *http.Request, ss *session) {
	if !archive.Permits(ss.roles, archive.OpVerify) {
		apiError(w, http.StatusForbidden, "forbidden", "role "+ss.roles+" may not verify")
		return
	}
	st := s.metrics.lastVerify()
	writeJSON(w, st)
}

// apiVerifyRun runs a verification (?mode=full; quick by default) and
// reports it; its findings pass the session's guard.
func (s *Server) apiVerifyRun(w http.ResponseWriter, r *http.Request, ss *session) {
	mode := r.URL.Query().Get("mode")
	if mode != "" && mode != "quick" && mode != "full" {
		s.apiFail(w, r, ss, errBadParam("mode", "quick or full"))
		return
	}
	rep, err := s.verifyArchive(r, ss, mode == "full")
	if err != nil {
		s.apiFail(w, r, ss, err)
		return
	}
	st := verifyStatus(s.cfg.Now(), rep)
	st.Report = rep
	writeJSON(w, st)
}

// verifyArchive runs verify on the session's archive, passes its findings
// through the session's guard and records the outcome for /metrics and
// GET /api/v1/verify.
func (s *Server) verifyArchive(r *http.Request, ss *session, full bool) (*verify.Report, error) {
	rep, err := verify.Archive(r.Context(), ss.arch, verify.Options{Quick: !full})
	if err != nil {
		return nil, err
	}
	for i, f := range rep.Findings {
		rep.Findings[i].Detail = ss.arch.DiscloseError(errors.New(f.Detail)).Error()
	}
	s.metrics.verified(s.cfg.Now(), rep)
	return rep, nil
}

// apiPublishPreview is publish --dry-run: the report of what a
// publication would withhold or change. Nothing is written or recorded.
func (s *Server) apiPublishPreview(w http.ResponseWriter, r *http.Request, ss *session) {
	p, err := ss.arch.Publish(r.Context(), []string{"json"})
	if err != nil {
		s.apiFail(w, r, ss, err)
		return
	}
	writeJSON(w, p.Report)
}
