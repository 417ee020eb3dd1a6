package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"sori/internal/archive"
	"sori/internal/model"
)

// TestBulkActions: records ticked on the records list (or the search page)
// take one review step each, through the archive's own rules, with a
// result per record: done, or refused and why. Each step is appended (a
// review record with its custody entry); a requester cannot approve what
// they asked review of; a reader is offered no bulk form and is refused one
// posted anyway; the form needs its CSRF token.
func TestBulkActions(t *testing.T) {
	f := newTeamFixture(t)
	h := newHarness(t, f.fixture)
	lee := h.browser()
	lee.mustLogin("lee", leePass)
	csrf := lee.csrf()

	list := lee.get("/records?kind=event")
	if !strings.Contains(list.body, `action="/bulk"`) || !strings.Contains(list.body, `name="ref" value="`+f.ev.String()+`"`) {
		t.Fatalf("the records list offers no bulk action:\n%s", list.body)
	}
	if p := lee.get("/search?q=" + url.QueryEscape("Crossing")); !strings.Contains(p.body, `name="ref" value="`+f.ev.String()+`"`) {
		t.Errorf("the search page offers no bulk action on the event")
	}

	if r := lee.post("/bulk", url.Values{"ref": {f.ev.String()}, "action": {"review-request"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("bulk without CSRF: %s", r.Status)
	}
	if r := lee.post("/bulk", url.Values{"csrf": {csrf}, "ref": {f.ev.String()}, "action": {"overwrite"}}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown action: %s", r.Status)
	}
	form := url.Values{"csrf": {csrf}, "ref": {f.ev.String(), f.person.String(), "ffffffffffff"}, "action": {"review-request"}, "back": {"/records?kind=event"}}
	r := lee.post("/bulk", form)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("bulk: %s\n%s", r.Status, r.body)
	}
	rows := regexp.MustCompile(`(?s)<tr><td>.*?</td><td>(.*?)</td></tr>`).FindAllStringSubmatch(r.body, -1)
	if len(rows) != 3 || strings.Contains(rows[0][1], "refused") || strings.Contains(rows[1][1], "refused") || !strings.Contains(rows[2][1], "refused") {
		t.Fatalf("results: %q", rows)
	}
	// The same again: each is already under review, refused with why.
	again := lee.post("/bulk", form)
	if n := strings.Count(again.body, `class="bad"`); n != 3 {
		t.Errorf("a second request: %d refusals, want 3\n%s", n, again.body)
	}
	// lee asked review: lee may not approve.
	approve := lee.post("/bulk", url.Values{"csrf": {csrf}, "ref": {f.ev.String()}, "action": {"review-approve"}})
	if !strings.Contains(approve.body, `class="bad"`) {
		t.Errorf("the requester approved their own request:\n%s", approve.body)
	}
	a, err := archive.Open(context.Background(), f.dir, "admin", adminPass, archive.Options{WorkFactor: workFactor()})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{f.ev.String(), f.person.String()} {
		info, err := a.ReviewOf(context.Background(), id)
		if err != nil || info.State != archive.ReviewNeedsReview || len(info.Steps) != 1 || info.Steps[0].Step != model.StepRequest {
			t.Errorf("%s after the bulk request: %v %+v", id, err, info)
		}
	}
	a.Close()

	// A reader: no form, and refused when posting one.
	rd := h.browser()
	rd.mustLogin("reader", readerPass)
	if p := rd.get("/records?kind=event"); strings.Contains(p.body, `action="/bulk"`) {
		t.Errorf("a reader is offered bulk actions")
	}
	if p := rd.post("/bulk", url.Values{"csrf": {rd.csrf()}, "ref": {f.ev.String()}, "action": {"review-approve"}}); p.StatusCode != http.StatusForbidden {
		t.Errorf("a reader's bulk action: %s", p.Status)
	}
}
