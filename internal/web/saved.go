package web

import (
	"net/http"
	"strings"

	"sori/internal/archive"
	"sori/internal/store"
)

// Saved searches (archive.SaveSearch): the search page lists the user's
// own, runs one by its opaque ID (/search?saved=ID, so the query is not
// put in the URL again), saves the search shown under a name, and deletes
// one. Each is private to its user; what the page shows passes the guard.

var savedMessages = map[string][2]string{
	"saved.title":   {"Saved searches", "저장한 검색"},
	"saved.none":    {"No saved searches yet.", "저장한 검색이 없습니다."},
	"saved.name":    {"Name for this search", "이 검색의 이름"},
	"saved.save":    {"Save this search", "이 검색 저장"},
	"saved.run":     {"Run", "실행"},
	"saved.delete":  {"Delete", "삭제"},
	"saved.private": {"Only you see your saved searches; they are kept encrypted with your own key.", "저장한 검색은 본인만 볼 수 있으며 본인의 키로 암호화되어 보관됩니다."},
	"saved.done":    {"The search was saved.", "검색을 저장했습니다."},
	"saved.deleted": {"The saved search was deleted.", "저장한 검색을 삭제했습니다."},
	"saved.running": {"Saved search", "저장한 검색"},
}

func init() {
	for k, v := range savedMessages {
		messages[k] = v
	}
	doneKeys["saved"] = "saved.done"
	doneKeys["unsaved"] = "saved.deleted"
}

// savedRun runs saved search id for the search page: the query and
// filters it holds (through the guard) and its hits, without snippets
// (the page cuts those of the hits it shows).
func (s *Server) savedRun(r *http.Request, ss *session, id string) (archive.SavedSearch, []store.Hit, error) {
	return ss.arch.RunSavedSearch(r.Context(), id, archive.SearchOptions{Limit: searchLimit, NoSnippets: true})
}

// savedPost saves the search the form names (its query and facets) under
// a name, and shows it run.
func (s *Server) savedPost(w http.ResponseWriter, r *http.Request, ss *session) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, ss, http.StatusBadRequest, "err.bad")
		return
	}
	f := r.PostForm
	saved, err := ss.arch.SaveSearch(r.Context(), archive.SavedSearch{
		Name: f.Get("name"), Query: f.Get("q"), Kind: f.Get("kind"), Lang: f.Get("lang"),
	})
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	http.Redirect(w, r, "/search?saved="+saved.ID+"&done=saved", http.StatusSeeOther)
}

// savedDelete deletes saved search {id}.
func (s *Server) savedDelete(w http.ResponseWriter, r *http.Request, ss *session) {
	if err := ss.arch.DeleteSavedSearch(r.Context(), r.PathValue("id")); err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	http.Redirect(w, r, "/search?done=unsaved", http.StatusSeeOther)
}

// savedID is the ?saved parameter, or "" (a malformed one is the
// archive's to refuse).
func savedID(r *http.Request) string { return strings.TrimSpace(r.URL.Query().Get("saved")) }

// apiSavedSearches lists the user's own saved searches.
func (s *Server) apiSavedSearches(w http.ResponseWriter, r *http.Request, ss *session) {
	list, err := ss.arch.SavedSearches(r.Context())
	if err != nil {
		s.apiFail(w, r, ss, err)
		return
	}
	writeJSON(w, map[string]any{"saved_searches": list})
}

// apiSavedSearchRun runs one of them: hits as /api/v1/search gives them.
func (s *Server) apiSavedSearchRun(w http.ResponseWriter, r *http.Request, ss *session) {
	limit, _, err := pageParams(r, 20, searchLimit)
	if err != nil {
		s.apiFail(w, r, ss, err)
		return
	}
	_, hits, err := ss.arch.RunSavedSearch(r.Context(), r.PathValue("id"), archive.SearchOptions{Limit: limit})
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
