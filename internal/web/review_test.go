package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/internal/model"
)

const leePass = "lee passphrase 1"

// teamFixture is the web fixture with an investigator (lee), an audio item
// with time-coded notes (one naming the sealed witness) and a pending
// four-eyes export request by lee.
type teamFixture struct {
	*fixture
	audio evidence.ID
	req   evidence.ID
}

func newTeamFixture(t *testing.T) *teamFixture {
	t.Helper()
	ctx := context.Background()
	f := &teamFixture{fixture: newFixture(t)}
	a, err := archive.Open(ctx, f.dir, "admin", adminPass, archive.Options{WorkFactor: workFactor()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.AddUser(ctx, "lee", archive.RoleInvestigator, leePass); err != nil {
		t.Fatal(err)
	}
	f.audio = addText(t, a, "OggS synthetic", archive.AddOptions{Title: "Recording", Kind: "audio"})
	for _, n := range []struct {
		ms   int64
		note string
	}{{751000, "the witness names the camp"}, {5000, "introductions by " + sealedKo}, {3723500, "end"}} {
		if _, err := a.AddTimeNote(ctx, f.audio.String(), n.ms, n.note, f.ev.String()); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.SetFourEyes(ctx, []string{model.ActionExport}); err != nil {
		t.Fatal(err)
	}
	lee, err := archive.Open(ctx, f.dir, "lee", leePass, archive.Options{WorkFactor: workFactor()})
	if err != nil {
		t.Fatal(err)
	}
	defer lee.Close()
	var need *archive.ApprovalNeeded
	if _, err := lee.Export(ctx, []string{f.xssItem.String()}, nil); !errors.As(err, &need) {
		t.Fatalf("export under four eyes: %v", err)
	}
	f.req = need.ID
	return f
}

// TestReviewOverHTTP: the record page shows the state and the forms; the
// one who asked cannot approve (403, nothing written); a second user can;
// a reviewer who edited the record under review cannot approve it; the
// queue lists what needs review.
func TestReviewOverHTTP(t *testing.T) {
	f := newTeamFixture(t)
	h := newHarness(t, f.fixture)
	admin, lee, reader := h.browser(), h.browser(), h.browser()
	admin.mustLogin("admin", adminPass)
	lee.mustLogin("lee", leePass)
	reader.mustLogin("reader", readerPass)
	ev := f.ev.String()
	page := admin.get("/show/" + ev)
	if !strings.Contains(page.body, `class="state state-draft"`) || !strings.Contains(page.body, `value="request"`) {
		t.Fatalf("event page shows no draft state or request form:\n%s", page.body)
	}
	if r := admin.post("/review/"+ev, url.Values{"csrf": {admin.csrf()}, "step": {"request"}, "note": {"ready"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("request review: %s\n%s", r.Status, r.body)
	}
	if r := admin.post("/review/"+ev, url.Values{"step": {"approve"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("review step without CSRF token: %s", r.Status)
	}
	if r := admin.post("/review/"+ev, url.Values{"csrf": {admin.csrf()}, "step": {"approve"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("the requester approves: %s", r.Status)
	}
	if r := reader.post("/review/"+ev, url.Values{"csrf": {reader.csrf()}, "step": {"approve"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("a reader approves: %s", r.Status)
	}
	if r := reader.get("/show/" + ev); strings.Contains(r.body, `action="/review/`) {
		t.Errorf("a reader is shown the review form")
	}
	q := lee.get("/review")
	if !strings.Contains(q.body, `href="/show/`+ev+`"`) {
		t.Errorf("the queue does not list the event:\n%s", q.body)
	}
	if r := lee.post("/review/"+ev, url.Values{"csrf": {lee.csrf()}, "step": {"approve"}, "note": {"checked"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("second user approves: %s\n%s", r.Status, r.body)
	}
	page = reader.get("/show/" + ev)
	if !strings.Contains(page.body, `class="state state-reviewed"`) || !strings.Contains(page.body, "checked") {
		t.Errorf("event page after approval:\n%s", page.body)
	}
	// The testimony: asked by admin, edited by lee under review, and lee
	// may then not approve it.
	tid := f.testimony.String()
	admin.post("/review/"+tid, url.Values{"csrf": {admin.csrf()}, "step": {"request"}})
	leeArch, err := archive.Open(t.Context(), f.dir, "lee", leePass, archive.Options{WorkFactor: workFactor()})
	if err != nil {
		t.Fatal(err)
	}
	info, err := leeArch.Record(t.Context(), tid)
	if err != nil {
		t.Fatal(err)
	}
	tm := *info.Current.(*model.Testimony)
	tm.Notes = "edited under review"
	if _, _, err := leeArch.UpdateRecord(t.Context(), tid, &tm); err != nil {
		t.Fatal(err)
	}
	leeArch.Close()
	if r := lee.get("/show/" + tid); !strings.Contains(r.body, `class="state state-draft"`) {
		t.Errorf("a testimony edited under review is not a draft again")
	}
	admin.post("/review/"+tid, url.Values{"csrf": {admin.csrf()}, "step": {"request"}})
	if r := lee.post("/review/"+tid, url.Values{"csrf": {lee.csrf()}, "step": {"approve"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("a reviewer approves what they edited: %s", r.Status)
	}
	if r := lee.get("/review?state=bogus"); r.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown state: %s", r.Status)
	}
}

// TestFourEyesOverHTTP: the approvals page lists the pending export; the
// requester and a reader cannot approve it (403, recorded in its
// history); the admin can, and then no form is offered.
func TestFourEyesOverHTTP(t *testing.T) {
	f := newTeamFixture(t)
	h := newHarness(t, f.fixture)
	admin, lee, reader := h.browser(), h.browser(), h.browser()
	admin.mustLogin("admin", adminPass)
	lee.mustLogin("lee", leePass)
	reader.mustLogin("reader", readerPass)
	req := f.req.String()
	page := admin.get("/approvals")
	if !strings.Contains(page.body, `action="/approvals/`+req+`"`) || !strings.Contains(page.body, "export") {
		t.Fatalf("approvals page lacks the pending request:\n%s", page.body)
	}
	if r := lee.post("/approvals/"+req, url.Values{"csrf": {lee.csrf()}, "decision": {"approve"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("requester approves own export: %s", r.Status)
	}
	if r := reader.post("/approvals/"+req, url.Values{"csrf": {reader.csrf()}, "decision": {"approve"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("reader approves an export: %s", r.Status)
	}
	if r := reader.get("/approvals"); strings.Contains(r.body, `action="/approvals/`) {
		t.Errorf("a reader is offered the approval form")
	}
	if r := admin.post("/approvals/"+req, url.Values{"csrf": {admin.csrf()}, "decision": {"approve"}, "note": {"ok for court"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("admin approves: %s\n%s", r.Status, r.body)
	}
	page = lee.get("/approvals")
	if strings.Count(page.body, "<td>refused attempt</td>") != 2 || !strings.Contains(page.body, "ok for court") || strings.Contains(page.body, `action="/approvals/`+req+`"`) {
		t.Errorf("approvals page after decision:\n%s", page.body)
	}
}

// TestTimeNotesOnItemPage: an audio item's page lists its time-coded notes
// by time; a reader sees the sealed name in one masked.
func TestTimeNotesOnItemPage(t *testing.T) {
	f := newTeamFixture(t)
	h := newHarness(t, f.fixture)
	admin, reader := h.browser(), h.browser()
	admin.mustLogin("admin", adminPass)
	reader.mustLogin("reader", readerPass)
	page := admin.get("/show/" + f.audio.String())
	a, b, c := strings.Index(page.body, "<time>0:05</time>"), strings.Index(page.body, "<time>12:31</time>"), strings.Index(page.body, "<time>1:02:03.500</time>")
	if a < 0 || b < a || c < b {
		t.Fatalf("time-coded notes missing or out of order (%d %d %d):\n%s", a, b, c, page.body)
	}
	if !strings.Contains(page.body, sealedKo) {
		t.Fatal("the protection officer does not see the planted name: the test plants nothing")
	}
	r := reader.get("/show/" + f.audio.String())
	for _, name := range sealedForms {
		if strings.Contains(r.body, name) {
			t.Errorf("reader's item page shows %q", name)
		}
	}
	if !strings.Contains(r.body, archive.Mask) {
		t.Errorf("reader's item page does not show the mask")
	}
	// The testimony page's span annotations leave time-coded notes out.
	if r := admin.get("/show/" + f.testimony.String()); strings.Contains(r.body, "the witness names the camp") {
		t.Errorf("the testimony page lists a time-coded note as a span")
	}
}

// TestBulkReviewOverHTTP: the queue's bulk form takes one step on every
// ticked record, each on its own, and shows a result per record: the one
// the reviewer wrote is refused, the others are reviewed.
func TestBulkReviewOverHTTP(t *testing.T) {
	f := newTeamFixture(t)
	ctx := context.Background()
	a, err := archive.Open(ctx, f.dir, "admin", adminPass, archive.Options{WorkFactor: workFactor()})
	if err != nil {
		t.Fatal(err)
	}
	refs := []string{f.ev.String(), f.person.String()}
	lee, err := archive.Open(ctx, f.dir, "lee", leePass, archive.Options{WorkFactor: workFactor()})
	if err != nil {
		t.Fatal(err)
	}
	own := addRecord(t, lee, &model.Event{Title: "Written by lee"})
	if _, err := lee.RequestReview(ctx, own.String(), ""); err != nil {
		t.Fatal(err)
	}
	lee.Close()
	if rs, err := a.ReviewMany(ctx, refs, model.StepRequest, ""); err != nil || rs[0].Err != nil || rs[1].Err != nil {
		t.Fatalf("requests: %+v %v", rs, err)
	}
	a.Close()
	h := newHarness(t, f.fixture)
	b := h.browser()
	b.mustLogin("lee", leePass)
	q := b.get("/review")
	for _, id := range append(refs, own.String()) {
		if !strings.Contains(q.body, `name="ref" value="`+id+`"`) {
			t.Fatalf("the queue has no checkbox for %s:\n%s", id, q.body)
		}
	}
	r := b.post("/review", url.Values{"csrf": {b.csrf()}, "step": {"approve"}, "ref": append(refs, own.String()), "note": {"batch"}})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("bulk approve: %s\n%s", r.Status, r.body)
	}
	res := r.body[strings.Index(r.body, `id="bulk-h"`):]
	res = res[:strings.Index(res, "</section>")]
	if strings.Count(res, "<tr>") != 4 || strings.Count(res, "Reviewed") != 2 || strings.Count(res, `class="bad"`) != 1 || !strings.Contains(res, "Written by lee") {
		t.Errorf("bulk results:\n%s", res)
	}
	if r := b.post("/review", url.Values{"csrf": {b.csrf()}, "step": {"approve"}}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("bulk with no record: %s", r.Status)
	}
	// The pages of the team's own records render.
	rv, err := archive.Open(ctx, f.dir, "reader", readerPass, archive.Options{WorkFactor: workFactor()})
	if err != nil {
		t.Fatal(err)
	}
	info, err := rv.ReviewOf(ctx, f.ev.String())
	rv.Close()
	if err != nil || len(info.Steps) != 2 {
		t.Fatalf("%+v %v", info, err)
	}
	for _, id := range []string{info.Steps[0].ID.String(), f.req.String()} {
		if r := b.get("/show/" + id); r.StatusCode != http.StatusOK {
			t.Errorf("/show/%s: %s", id, r.Status)
		}
	}
}

// TestTimeNoteFormAndTeamPagesMasked: an investigator adds a time-coded
// note through the item page's form (a bad time is refused, nothing
// stored); a reader is offered no form, and the review and approval pages
// mask a sealed name written in a review note and a decision's note.
func TestTimeNoteFormAndTeamPagesMasked(t *testing.T) {
	f := newTeamFixture(t)
	h := newHarness(t, f.fixture)
	admin, lee, reader := h.browser(), h.browser(), h.browser()
	admin.mustLogin("admin", adminPass)
	lee.mustLogin("lee", leePass)
	reader.mustLogin("reader", readerPass)
	au := f.audio.String()
	if !strings.Contains(lee.get("/show/"+au).body, `action="/timenotes/`+au+`"`) {
		t.Fatal("the audio page offers an investigator no time-coded note form")
	}
	if strings.Contains(reader.get("/show/"+au).body, `action="/timenotes/`) {
		t.Error("a reader is offered the time-coded note form")
	}
	if r := lee.post("/timenotes/"+au, url.Values{"csrf": {lee.csrf()}, "at": {"7:5"}, "note": {"x"}}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("bad time: %s", r.Status)
	}
	if r := lee.post("/timenotes/"+f.item.String(), url.Values{"csrf": {lee.csrf()}, "at": {"1:00"}, "note": {"x"}}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("time note on a transcript: %s", r.Status)
	}
	if r := reader.post("/timenotes/"+au, url.Values{"csrf": {reader.csrf()}, "at": {"1:00"}, "note": {"x"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("reader adds a note: %s", r.Status)
	}
	if r := lee.post("/timenotes/"+au, url.Values{"csrf": {lee.csrf()}, "at": {"7:05"}, "note": {"the guards change"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("add a note: %s\n%s", r.Status, r.body)
	}
	page := lee.get("/show/" + au).body
	a, b := strings.Index(page, "<time>7:05</time>"), strings.Index(page, "<time>12:31</time>")
	if a < 0 || b < a || strings.Count(page, "<time>") != 4 {
		t.Errorf("the new note is not in time order:\n%s", page)
	}

	// Sealed names in review and decision notes.
	ev := f.ev.String()
	admin.post("/review/"+ev, url.Values{"csrf": {admin.csrf()}, "step": {"request"}, "note": {"asked " + sealedRR}})
	admin.post("/approvals/"+f.req.String(), url.Values{"csrf": {admin.csrf()}, "decision": {"deny"}, "note": {"not while " + sealedKo + " is at risk"}})
	if !strings.Contains(admin.get("/approvals").body, sealedKo) || !strings.Contains(admin.get("/show/"+ev).body, sealedRR) {
		t.Fatal("the protection officer does not see the planted names: the test plants nothing")
	}
	for _, p := range []string{"/show/" + ev, "/review", "/review?state=all", "/approvals"} {
		r := reader.get(p)
		if r.StatusCode != http.StatusOK {
			t.Errorf("reader %s: %s", p, r.Status)
		}
		for _, name := range sealedForms {
			if strings.Contains(r.body, name) {
				t.Errorf("reader %s shows %q", p, name)
			}
		}
	}
}
