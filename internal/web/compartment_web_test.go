package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"sori/internal/archive"
	"sori/internal/model"
)

// TestCompartmentOverHTTP: what a member writes in a compartment shows to
// the member and to no one else over HTTP, on every page that lists,
// searches, maps or shows: the first admin (who holds protection) and a
// reader see "[restricted: …]" where it is listed and a 403 where it
// would be shown.
func TestCompartmentOverHTTP(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const memberPass = "member passphrase 1"
	const secret, secretKo = "Xylophant", "극비요덕수"
	adm, err := archive.Open(ctx, f.dir, "admin", adminPass, archive.Options{WorkFactor: workFactor()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := adm.AddUser(ctx, "member", archive.RoleInvestigator, memberPass); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.CreateCompartment(ctx, "case-w", []string{"member"}); err != nil {
		t.Fatal(err)
	}
	adm.Close()
	mem, err := archive.Open(ctx, f.dir, "member", memberPass, archive.Options{WorkFactor: workFactor()})
	if err != nil {
		t.Fatal(err)
	}
	item := addText(t, mem, "그는 "+secretKo+" 라고 말했다. "+secret+".\n", archive.AddOptions{Title: secret + " interview", Lang: "ko", Kind: "transcript", Compartment: "case-w"})
	lat, lon := 42.1, 129.2
	ids, err := mem.AddRecordsIn(ctx, "case-w", []model.Body{
		&model.Event{Title: secret + " event", Date: model.Date{From: "1998", Precision: "year"}, Places: []string{"Musan"}},
		&model.Place{Names: []string{secret + " hut"}, Type: "river_crossing", Lat: &lat, Lon: &lon},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mem.IndexPending(ctx, nil); err != nil {
		t.Fatal(err)
	}
	mem.Close()
	h := newHarness(t, f)
	pages := []string{"/", "/records?kind=event", "/records?kind=place", "/timeline", "/map", "/log",
		"/search?q=" + url.QueryEscape(secret), "/search?q=" + url.QueryEscape(secretKo), "/search?q=" + url.QueryEscape("event")}
	holds := func(body string) bool { return strings.Contains(body, secret) || strings.Contains(body, secretKo) }

	member := h.browser()
	member.mustLogin("member", memberPass)
	if r := member.get("/show/" + ids[0].String()); r.StatusCode != http.StatusOK || !holds(r.body) {
		t.Fatalf("the member does not see the event: %s", r.Status)
	}
	if r := member.get("/search?q=" + url.QueryEscape(secretKo)); !strings.Contains(r.body, item.String()) {
		t.Errorf("the member's search does not find the item")
	}
	for _, who := range []struct{ user, pass string }{{"admin", adminPass}, {"reader", readerPass}} {
		b := h.browser()
		b.mustLogin(who.user, who.pass)
		restricted := 0
		for _, p := range pages {
			r := b.get(p)
			if r.StatusCode != http.StatusOK {
				t.Errorf("%s %s: %s", who.user, p, r.Status)
				continue
			}
			// The search page repeats the query typed: only its results count.
			body := r.body
			if strings.HasPrefix(p, "/search") {
				body = strings.ReplaceAll(strings.ReplaceAll(body, secret, ""), secretKo, "")
				if !strings.Contains(r.body, "0 found") {
					t.Errorf("%s %s finds something", who.user, p)
				}
			}
			if holds(body) {
				t.Errorf("%s %s shows the compartment's secret", who.user, p)
			}
			if strings.Contains(r.body, "restricted") {
				restricted++
			}
		}
		if restricted == 0 {
			t.Errorf("%s is never told that something is restricted", who.user)
		}
		for _, id := range []string{item.String(), ids[0].String(), ids[1].String()} {
			r := b.get("/show/" + id)
			if r.StatusCode != http.StatusForbidden || holds(r.body) {
				t.Errorf("%s /show/%s: %s", who.user, id, r.Status)
			}
		}
		if r := b.get("/records/edit/" + ids[0].String()); r.StatusCode == http.StatusOK || holds(r.body) {
			t.Errorf("%s opens the edit form of a compartment's record: %s", who.user, r.Status)
		}
	}
}
