package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var savedLink = regexp.MustCompile(`href="/search\?saved=([0-9a-f]{16})"`)

// TestSavedSearchesHTTP: a user saves the search shown under a name, runs
// it by an opaque ID (the query is not in the redirect), sees it listed
// with sealed names masked and markup escaped, and deletes it; another
// user neither lists, runs nor deletes it; saving and deleting need the
// CSRF token.
func TestSavedSearchesHTTP(t *testing.T) {
	f := newFixture(t)
	h := newHarness(t, f)
	rd := h.browser()
	rd.mustLogin("reader", readerPass)
	csrf := rd.csrf()

	if r := rd.post("/saved", url.Values{"name": {"x"}, "q": {"두만강"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("save without CSRF: %s", r.Status)
	}
	r := rd.post("/saved", url.Values{"csrf": {csrf}, "name": {"crossings with " + sealedKo + " " + xssTitle}, "q": {"두만강"}, "kind": {"transcript"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %s\n%s", r.Status, r.body)
	}
	loc := r.Header.Get("Location")
	if !strings.HasPrefix(loc, "/search?saved=") || strings.Contains(loc, "q=") {
		t.Fatalf("save redirects to %q", loc)
	}
	page := rd.get(loc)
	if page.StatusCode != http.StatusOK {
		t.Fatalf("run: %s", page.Status)
	}
	m := savedLink.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("the saved search is not listed:\n%s", page.body)
	}
	id := m[1]
	if !strings.Contains(page.body, "/show/"+f.item.String()) {
		t.Errorf("running it does not find the transcript")
	}
	if strings.Contains(page.body, "/show/"+f.ev.String()) {
		t.Errorf("running it ignores its kind filter")
	}
	for _, s := range append(sealedForms, xssTitle) {
		if strings.Contains(page.body, s) {
			t.Errorf("the page shows %q", s)
		}
	}
	if !strings.Contains(page.body, "&lt;script&gt;") {
		t.Errorf("the saved name's markup is not shown escaped")
	}
	if bad := rd.get("/search?saved=nothex"); bad.StatusCode != http.StatusBadRequest {
		t.Errorf("a malformed ID: %s", bad.Status)
	}

	// Another user, an admin, sees and reaches none of it.
	ad := h.browser()
	ad.mustLogin("admin", adminPass)
	acsrf := ad.csrf()
	if p := ad.get("/search"); strings.Contains(p.body, id) || strings.Contains(p.body, "crossings") {
		t.Errorf("another user's search page lists it")
	}
	if p := ad.get("/search?saved=" + id); p.StatusCode != http.StatusNotFound {
		t.Errorf("another user runs it: %s", p.Status)
	}
	if p := ad.post("/saved/"+id+"/delete", url.Values{"csrf": {acsrf}}); p.StatusCode != http.StatusNotFound {
		t.Errorf("another user deletes it: %s", p.Status)
	}

	// The JSON API, with the web login's cookie: the same list and run.
	if p := rd.get("/api/v1/saved-searches"); p.StatusCode != http.StatusOK || !strings.Contains(p.body, `"id":"`+id+`"`) || containsAny(p.body, sealedForms) {
		t.Errorf("API list: %s %s", p.Status, p.body)
	}
	if p := rd.get("/api/v1/saved-searches/" + id + "/hits"); p.StatusCode != http.StatusOK || !strings.Contains(p.body, f.item.String()) || containsAny(p.body, sealedForms) {
		t.Errorf("API run: %s %s", p.Status, p.body)
	}
	if p := ad.get("/api/v1/saved-searches/" + id + "/hits"); p.StatusCode != http.StatusNotFound {
		t.Errorf("API run by another user: %s", p.Status)
	}
	if p := ad.get("/api/v1/saved-searches"); strings.Contains(p.body, id) {
		t.Errorf("API list of another user holds it")
	}

	if p := rd.post("/saved/"+id+"/delete", url.Values{}); p.StatusCode != http.StatusForbidden {
		t.Errorf("delete without CSRF: %s", p.Status)
	}
	if p := rd.post("/saved/"+id+"/delete", url.Values{"csrf": {csrf}}); p.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %s", p.Status)
	}
	if p := rd.get("/search"); strings.Contains(p.body, id) {
		t.Errorf("still listed after delete")
	}
}

func containsAny(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}
