package web

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sori/internal/archive"
)

var (
	hitsList   = regexp.MustCompile(`(?s)<ol class="hits">(.*?)</ol>`)
	hitLink    = regexp.MustCompile(`<a href="/show/([0-9a-f]+)">`)
	hitSnippet = regexp.MustCompile(`(?s)<p class="snippet">(.*?)</p>`)
	langFacet  = regexp.MustCompile(`lang=([a-z]+)"[^>]*>[^<(]*\((\d+)\)</a>`)
	pagerLink  = regexp.MustCompile(`<a href="([^"]+)" rel="(prev|next)">`)
)

// searchPage is what one search page shows.
type searchPage struct {
	ids      []string
	snippets []string
	langs    map[string]string // facet → count
	prev     string
	next     string
	body     string
}

func getSearch(t *testing.T, b *browser, path string) searchPage {
	t.Helper()
	r := b.get(path)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("%s: %s", path, r.Status)
	}
	p := searchPage{langs: map[string]string{}, body: r.body}
	if m := hitsList.FindStringSubmatch(r.body); m != nil {
		for _, l := range hitLink.FindAllStringSubmatch(m[1], -1) {
			p.ids = append(p.ids, l[1])
		}
		for _, s := range hitSnippet.FindAllStringSubmatch(m[1], -1) {
			p.snippets = append(p.snippets, s[1])
		}
	}
	for _, m := range langFacet.FindAllStringSubmatch(r.body, -1) {
		p.langs[m[1]] = m[2]
	}
	for _, m := range pagerLink.FindAllStringSubmatch(r.body, -1) {
		if m[2] == "prev" {
			p.prev = html.UnescapeString(m[1])
		} else {
			p.next = html.UnescapeString(m[1])
		}
	}
	return p
}

// TestSearchPages: the search page shows the hits Search ranks, twenty a
// page with links between pages (facets kept), each shown hit with its
// snippet; the facets count every hit, not the page's; a reader sees no
// sealed name in a snippet on any page, no language of an item in a
// compartment they are not a member of, and nothing of a voided item.
func TestSearchPages(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	const memberPass = "member passphrase 1"
	adm, err := archive.Open(ctx, f.dir, "admin", adminPass, archive.Options{WorkFactor: workFactor()})
	if err != nil {
		t.Fatal(err)
	}
	// 45 transcripts that name the sealed witness beside the river,
	// further in each (a snippet is cut from the part with the match).
	for i := range 45 {
		lang := []string{"ko", "en"}[i%2]
		var b strings.Builder
		for j := range i % 9 * 30 {
			fmt.Fprintf(&b, "줄 %d-%d 평범한 하루였다.\n", i, j)
		}
		fmt.Fprintf(&b, "그날 밤 %s과 두만강을 건넜다 (%d).\n", sealedKo, i)
		addText(t, adm, b.String(), archive.AddOptions{Title: fmt.Sprintf("면담 %d", i), Lang: lang, Kind: "transcript"})
	}
	voided := addText(t, adm, "두만강 voided copy\n", archive.AddOptions{Title: "voided", Lang: "ja", Kind: "transcript"})
	if _, err := adm.Void(ctx, voided.String(), "entered twice"); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.AddUser(ctx, "member", archive.RoleInvestigator, memberPass); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.CreateCompartment(ctx, "case-p", []string{"member"}); err != nil {
		t.Fatal(err)
	}
	adm.Close()
	mem, err := archive.Open(ctx, f.dir, "member", memberPass, archive.Options{WorkFactor: workFactor()})
	if err != nil {
		t.Fatal(err)
	}
	secret := addText(t, mem, "두만강 in the compartment\n", archive.AddOptions{Title: "case file", Lang: "ru", Kind: "transcript", Compartment: "case-p"})
	if _, err := mem.IndexPending(ctx, nil); err != nil {
		t.Fatal(err)
	}
	mem.Close()
	// What Search ranks for the reader, with the snippets it cuts.
	rd, err := archive.Open(ctx, f.dir, "reader", readerPass, archive.Options{WorkFactor: workFactor()})
	if err != nil {
		t.Fatal(err)
	}
	want, err := rd.Search(ctx, "두만강", archive.SearchOptions{Limit: searchLimit, Open: markOpen, Shut: markShut})
	rd.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(want) <= 2*searchPageSize {
		t.Fatalf("%d hits: too few for three pages", len(want))
	}

	h := newHarness(t, f)
	reader := h.browser()
	reader.mustLogin("reader", readerPass)
	q := "/search?q=" + url.QueryEscape("두만강")
	var ids []string
	path := q
	for n := 1; ; n++ {
		p := getSearch(t, reader, path)
		if len(p.ids) > searchPageSize || len(p.ids) == 0 {
			t.Fatalf("page %d shows %d hits", n, len(p.ids))
		}
		for i, id := range p.ids {
			w := want[len(ids)+i]
			if id != w.Doc {
				t.Fatalf("page %d hit %d: %s, Search ranks %s there", n, i, id, w.Doc)
			}
			// The snippet Search cuts, as the page renders it.
			r := strings.NewReplacer(markOpen, "<mark>", markShut, "</mark>")
			got := r.Replace(html.UnescapeString(strings.NewReplacer("<mark>", markOpen, "</mark>", markShut).Replace(p.snippets[i])))
			if exp := r.Replace(w.Snippet); got != exp || exp == "" {
				t.Errorf("page %d hit %d: snippet %q, Search cuts %q", n, i, got, exp)
			}
		}
		ids = append(ids, p.ids...)
		for _, name := range sealedForms {
			if strings.Contains(p.body, name) {
				t.Errorf("page %d shows the reader %q", n, name)
			}
		}
		if !strings.Contains(p.body, "<mark>") {
			t.Errorf("page %d has no snippet with a match", n)
		}
		// The facets count every hit, on every page.
		// (The 45 and the fixture's two transcripts: the English one
		// says Tumen, which 두만강 finds too.)
		if p.langs["ko"] != "24" || p.langs["en"] != "23" || len(p.langs) != 2 {
			t.Errorf("page %d: language facets %v, want ko 24 and en 23, nothing else", n, p.langs)
		}
		if (n == 1) != (p.prev == "") {
			t.Errorf("page %d: previous link %q", n, p.prev)
		}
		if p.next == "" {
			break
		}
		if want := fmt.Sprintf("page=%d", n+1); !strings.Contains(p.next, want) || !strings.Contains(p.next, "q=") {
			t.Fatalf("page %d: next link %q", n, p.next)
		}
		path = p.next
	}
	if len(ids) != len(want) || slices.Contains(ids, voided.String()) || slices.Contains(ids, secret.String()) {
		t.Errorf("the pages show %d hits, Search ranks %d (voided or compartment item among them: %v %v)",
			len(ids), len(want), slices.Contains(ids, voided.String()), slices.Contains(ids, secret.String()))
	}
	// A facet narrows every page, and the page links keep it.
	p := getSearch(t, reader, q+"&lang=ko")
	if len(p.ids) != searchPageSize || !strings.Contains(p.next, "lang=ko") || !strings.Contains(p.body, "Page 1 of 2") {
		t.Errorf("lang=ko: %d hits, next %q", len(p.ids), p.next)
	}
	p2 := getSearch(t, reader, p.next)
	if len(p2.ids) != 4 || !strings.Contains(p2.prev, "lang=ko") || p2.next != "" || slices.ContainsFunc(p2.ids, func(id string) bool { return slices.Contains(p.ids, id) }) {
		t.Errorf("lang=ko page 2: %d hits, prev %q, next %q", len(p2.ids), p2.prev, p2.next)
	}
	// Past the last page: the last page.
	if p := getSearch(t, reader, q+"&lang=ko&page=9"); !slices.Equal(p.ids, p2.ids) {
		t.Errorf("page 9 of 2 shows %v", p.ids)
	}
	for _, bad := range []string{"0", "-1", "x", "1.5"} {
		if r := reader.get(q + "&page=" + bad); r.StatusCode != http.StatusBadRequest {
			t.Errorf("page=%s: %s", bad, r.Status)
		}
	}
	// The member finds the compartment's item, and its language counts.
	member := h.browser()
	member.mustLogin("member", memberPass)
	found := false
	for path := q; path != ""; {
		p := getSearch(t, member, path)
		if p.langs["ru"] != "1" {
			t.Errorf("the member's language facets: %v", p.langs)
		}
		found = found || slices.Contains(p.ids, secret.String())
		path = p.next
	}
	if !found {
		t.Errorf("the member does not find the compartment's item")
	}
}
