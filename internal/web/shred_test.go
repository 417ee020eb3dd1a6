package web

import (
	"net/http"
	"strings"
	"testing"

	"sori/internal/archive"
)

// TestShreddedItem: once its witness's items are shredded, an item's page
// still shows its record, says why there is no text, and holds none; the
// API answers its content with 410 Gone.
func TestShreddedItem(t *testing.T) {
	af := newAPIFixture(t)
	a := af.open(t, "admin", adminPass)
	info, err := a.WithdrawWitness(t.Context(), pseudonym, archive.WithdrawOptions{ShredItems: true})
	a.Close()
	if err != nil || len(info.Shredded) == 0 {
		t.Fatalf("shred: %+v %v", info, err)
	}
	h := af.serve(t)
	b := h.browser()
	b.mustLogin("admin", adminPass)
	page := b.get("/show/" + af.item.String())
	if page.StatusCode != http.StatusOK || !strings.Contains(page.body, "crypto-shredded") || strings.Contains(page.body, "두만강을 건넜습니까") {
		t.Errorf("the shredded item page: %s %v %v", page.Status, strings.Contains(page.body, "crypto-shredded"), strings.Contains(page.body, "두만강을 건넜습니까"))
	}
	if r := h.call("GET", "/api/v1/items/"+af.item.String()+"/content", af.tokens[archive.RoleAdmin]); r.StatusCode != http.StatusGone || !strings.Contains(r.body, `"shredded"`) {
		t.Errorf("API content of a shredded item: %s %s", r.Status, r.body)
	}
	if r := h.call("GET", "/api/v1/items/"+af.xssItem.String()+"/content", af.tokens[archive.RoleAdmin]); r.StatusCode != http.StatusOK {
		t.Errorf("API content of another item: %s", r.Status)
	}
}
