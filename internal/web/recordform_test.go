package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"sori/internal/archive"
	"sori/internal/model"
)

// TestRecordForms: an event is added through the form with a vocabulary
// label and a gazetteer place (both offered as suggestions); a bad label is
// refused on the form with the importer's message and the values kept; a
// reader may neither open nor post the form; an investigator, who reads a
// sealed name masked, edits one field and the stored name stays.
func TestRecordForms(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	adm, err := archive.Open(ctx, f.dir, "admin", adminPass, archive.Options{WorkFactor: workFactor()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := adm.AddUser(ctx, "inv", archive.RoleInvestigator, "investigator passphrase 1"); err != nil {
		t.Fatal(err)
	}
	adm.Close()
	h := newHarness(t, f)

	rd := h.browser()
	rd.mustLogin("reader", readerPass)
	if r := rd.get("/records/new?kind=event"); r.StatusCode != http.StatusForbidden {
		t.Errorf("reader GET the form: %s", r.Status)
	}
	if r := rd.post("/records/new", url.Values{"csrf": {rd.csrf()}, "kind": {"event"}, "f.title": {"x"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("reader POST the form: %s", r.Status)
	}
	if r := rd.get("/records/edit/" + f.ev.String()); r.StatusCode != http.StatusForbidden {
		t.Errorf("reader GET the edit form: %s", r.Status)
	}

	b := h.browser()
	b.mustLogin("admin", adminPass)
	tok := b.csrf()
	form := b.get("/records/new?kind=event")
	if form.StatusCode != http.StatusOK || !strings.Contains(form.body, `<datalist id="v-violations">`) || !strings.Contains(form.body, `<datalist id="places">`) ||
		!strings.Contains(form.body, `value="detention.execution.public"`) {
		t.Fatalf("event form: %s", form.Status)
	}
	if r := b.get("/records/new?kind=consent"); r.StatusCode != http.StatusNotFound {
		t.Errorf("form of a kind with its own page: %s", r.Status)
	}
	bad := b.post("/records/new", url.Values{"csrf": {tok}, "kind": {"event"}, "f.title": {"Synthetic crossing"}, "f.violations": {"no such violation label"}})
	if bad.StatusCode != http.StatusBadRequest || !strings.Contains(bad.body, `role="alert"`) || !strings.Contains(bad.body, "Synthetic crossing") {
		t.Errorf("a bad label: %s", bad.Status)
	}
	ok := b.post("/records/new", url.Values{"csrf": {tok}, "kind": {"event"}, "f.title": {"Synthetic crossing <b>"}, "f.date": {"1998-10"},
		"f.violations": {"detention.execution.public\n강제북송"}, "f.places": {"hoeryong"}})
	if ok.StatusCode != http.StatusSeeOther || !strings.HasPrefix(ok.Header.Get("Location"), "/show/") {
		t.Fatalf("add: %s\n%s", ok.Status, ok.body)
	}
	id := strings.TrimPrefix(ok.Header.Get("Location"), "/show/")
	a, err := archive.Open(ctx, f.dir, "admin", adminPass, archive.Options{WorkFactor: workFactor()})
	if err != nil {
		t.Fatal(err)
	}
	info, err := a.Record(ctx, id)
	a.Close()
	if err != nil {
		t.Fatal(err)
	}
	ev := info.Current.(*model.Event)
	if ev.Title != "Synthetic crossing <b>" || ev.Date.String() != "1998-10" || len(ev.Violations) != 2 || len(ev.Places) != 1 {
		t.Errorf("added event: %+v", ev)
	}
	if page := b.get("/show/" + id); strings.Contains(page.body, "crossing <b>") || !strings.Contains(page.body, "/records/edit/"+id) {
		t.Errorf("the record page: escaped title, edit link: %s", page.Status)
	}

	inv := h.browser()
	inv.mustLogin("inv", "investigator passphrase 1")
	edit := inv.get("/records/edit/" + f.ev.String())
	if edit.StatusCode != http.StatusOK || strings.Contains(edit.body, sealedKo) {
		t.Fatalf("the investigator's edit form: %s, holds the sealed name: %v", edit.Status, strings.Contains(edit.body, sealedKo))
	}
	title := html.UnescapeString(strings.SplitN(strings.SplitN(edit.body, `name="f.title" value="`, 2)[1], `"`, 2)[0])
	if !strings.Contains(title, archive.Mask) {
		t.Fatalf("the title is not shown masked: %q", title)
	}
	r := inv.post("/records/edit/"+f.ev.String(), url.Values{"csrf": {inv.csrf()}, "kind": {"event"}, "f.title": {title}, "f.date": {"1998-10"},
		"f.description": {"added by the investigator"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %s\n%s", r.Status, r.body)
	}
	a, err = archive.Open(ctx, f.dir, "admin", adminPass, archive.Options{WorkFactor: workFactor()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	info, err = a.Record(ctx, f.ev.String())
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Current.(*model.Event); got.Title != "Crossing with "+sealedKo || got.Description != "added by the investigator" {
		t.Errorf("after the investigator's edit: %+v", got)
	}
}
