//go:build unix

package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"sori/internal/archive"
	"sori/internal/testenv"
)

// axe-core, vendored for this test only (never served): testdata/axe.min.js
// from the npm package axe-core 4.14.1 ('npm pack axe-core'), with its
// licence (MPL-2.0) beside it. Its SHA-256 is checked so that a changed
// copy is noticed.
const (
	axeFile   = "testdata/axe.min.js"
	axeSHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
)

// axeViolation is what the test keeps of one axe-core violation.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// TestAccessibilityAxe opens every page of the web app in headless
// Chromium (SORI_TEST_BROWSER), as the protection officer and in both
// languages, plus the login and error pages, injects axe-core over the
// DevTools protocol and fails on every serious or critical violation of
// WCAG 2.x A and AA rules (and axe's best practices).
func TestAccessibilityAxe(t *testing.T) {
	chromium := testenv.Browser(t)
	src, err := os.ReadFile(axeFile)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(src); hex.EncodeToString(sum[:]) != axeSHA256 {
		t.Fatalf("%s is not the vendored axe-core 4.14.1 (SHA-256 %x)", axeFile, sum)
	}
	f := newTeamFixture(t)
	// A saved search of the admin's, and a tag, for their pages.
	adm, err := archive.Open(t.Context(), f.dir, "admin", adminPass, archive.Options{WorkFactor: workFactor()})
	if err != nil {
		t.Fatal(err)
	}
	saved, err := adm.SaveSearch(t.Context(), archive.SavedSearch{Name: "river", Query: "두만강"})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := adm.TagMany(t.Context(), []string{f.ev.String()}, "check dates", false); err != nil || res[0].Error != "" {
		t.Fatalf("tag: %v %+v", err, res)
	}
	adm.Close()
	h := newHarness(t, f.fixture)
	c := startCDP(t, chromium)
	c.open()
	if err := c.call("Page.enable", map[string]any{}, nil); err != nil {
		t.Fatal(err)
	}

	check := func(name string) {
		t.Helper()
		for _, v := range axeRun(t, c, string(src)) {
			if v.Impact == "serious" || v.Impact == "critical" {
				t.Errorf("%s: %s (%s): %s\n\t%s", name, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n\t"))
			}
		}
	}
	ready := `document.readyState == "complete" && document.documentElement.dataset.js`

	c.navigate(h.ts.URL + "/login")
	c.waitFor(`document.readyState == "complete" && document.getElementById("passphrase")`)
	check("/login")
	c.eval(`document.getElementById("user").value = "admin";
		document.getElementById("passphrase").value = ` + jsString(adminPass) + `;
		setTimeout(function () { document.querySelector("form.login button[type=submit]").click() }, 0)`)
	c.waitFor(`location.pathname == "/" && ` + ready)

	pages := []string{"/", "/search", "/search?q=" + url.QueryEscape("두만강"), "/search?saved=" + saved.ID, "/show/" + f.item.String(), "/show/" + f.audio.String(),
		"/show/" + f.testimony.String(), "/show/" + f.person.String(), "/show/" + f.ev.String(), "/show/" + f.place.String(),
		"/show/" + f.note.String(), "/records?kind=person", "/records?kind=event", "/log", "/timeline", "/map", "/publish", "/vault",
		"/review", "/review?state=all", "/approvals", "/intake", "/export", "/records/new?kind=event", "/records/edit/" + f.ev.String(), "/show/00000000000000000000000000000000"}
	for _, lang := range []string{"en", "ko"} {
		c.navigate(h.ts.URL + "/lang?to=" + lang + "&next=/")
		c.waitFor(`document.documentElement.lang == "` + lang + `" && ` + ready)
		for _, p := range pages {
			c.navigate(h.ts.URL + p)
			c.waitFor(`location.pathname + location.search == ` + jsString(p) + ` && ` + ready)
			check(lang + " " + p)
		}
	}
}

// axeRun injects axe-core into the page (once per document) and returns
// its violations.
func axeRun(t *testing.T, c *cdp, src string) []axeViolation {
	t.Helper()
	if c.eval(`typeof window.axe`) != "object" {
		var r struct {
			ExceptionDetails any `json:"exceptionDetails"`
		}
		if err := c.call("Runtime.evaluate", map[string]any{"expression": src}, &r); err != nil || r.ExceptionDetails != nil {
			t.Fatalf("injecting axe-core: %v %v", err, r.ExceptionDetails)
		}
	}
	const run = `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}, resultTypes: ["violations"]})
		.then(function (r) { return JSON.stringify(r.violations.map(function (v) {
			return {id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(function (n) { return n.target.join(" ") + ": " + n.failureSummary })}
		})) })`
	var r struct {
		Result struct {
			Value string `json:"value"`
		} `json:"result"`
		ExceptionDetails any `json:"exceptionDetails"`
	}
	if err := c.call("Runtime.evaluate", map[string]any{"expression": run, "awaitPromise": true, "returnByValue": true}, &r); err != nil {
		t.Fatal(err)
	}
	if r.ExceptionDetails != nil {
		t.Fatalf("axe.run failed: %v", r.ExceptionDetails)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(r.Result.Value), &vs); err != nil {
		t.Fatal(fmt.Errorf("axe's result: %w", err))
	}
	return vs
}
