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

	// Tags: on and off, a result per record; the record page shows them,
	// escaped; a second time is refused for that record only.
	tagForm := url.Values{"csrf": {csrf}, "ref": {f.ev.String(), f.place.String()}, "action": {"tag"}, "tag": {"check <b>dates</b>"}}
	if r := lee.post("/bulk", tagForm); r.StatusCode != http.StatusOK || strings.Count(r.body, "tagged") < 2 || strings.Contains(r.body, `class="bad"`) {
		t.Fatalf("bulk tag: %s\n%s", r.Status, r.body)
	}
	if p := lee.get("/show/" + f.ev.String()); !strings.Contains(p.body, "check &lt;b&gt;dates&lt;/b&gt;") {
		t.Errorf("the record page does not show its tag escaped")
	}
	tagForm.Set("ref", f.ev.String())
	if r := lee.post("/bulk", tagForm); !strings.Contains(r.body, `class="bad"`) {
		t.Errorf("tagged twice without a refusal")
	}
	tagForm.Set("action", "untag")
	if r := lee.post("/bulk", tagForm); strings.Contains(r.body, `class="bad"`) || !strings.Contains(r.body, "tag removed") {
		t.Errorf("untag: %s", r.body)
	}
	if p := lee.get("/show/" + f.ev.String()); strings.Contains(p.body, "dates") {
		t.Errorf("the record page still shows the removed tag")
	}

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
