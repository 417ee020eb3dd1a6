//go:build unix

package web

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sori/internal/archive"
	"sori/internal/testenv"
)

// TestBrowserLoginAndSearch drives headless Chromium (SORI_TEST_BROWSER)
// as a person would: asks for a search, is sent to the login form, types the
// reader's name and passphrase, lands on the Korean search's results (the
// app's scripts running under its CSP), searches again live (htmx), and
// opens a hit. No page shows the sealed name. Screenshots go to
// $SORI_TEST_ARTIFACTS when set.
func TestBrowserLoginAndSearch(t *testing.T) {
	chromium := testenv.Browser(t)
	f := newFixture(t)
	h := newHarness(t, f)
	c := startCDP(t, chromium)
	c.open()
	shots := os.Getenv("SORI_TEST_ARTIFACTS")
	// Every page records what its CSP blocked, in sessionStorage so that
	// the record survives navigation within the tab.
	if err := c.call("Page.enable", map[string]any{}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.call("Page.addScriptToEvaluateOnNewDocument", map[string]any{"source": `
		document.addEventListener("securitypolicyviolation", function (e) {
			var v = JSON.parse(sessionStorage.getItem("csp") || "[]");
			v.push(e.violatedDirective + " " + e.blockedURI + " " + location.pathname);
			sessionStorage.setItem("csp", JSON.stringify(v));
		});`}, nil); err != nil {
		t.Fatal(err)
	}

	c.navigate(h.ts.URL + "/search?q=" + url.QueryEscape("두만강"))
	c.waitFor(`location.pathname == "/login" && document.readyState == "complete" && document.getElementById("passphrase")`)
	c.eval(`document.getElementById("user").value = "reader";
		document.getElementById("passphrase").value = ` + jsString(readerPass) + `;
		setTimeout(function () { document.querySelector("form.login button[type=submit]").click() }, 0)`)
	c.waitFor(`location.pathname == "/search" && document.readyState == "complete" && document.documentElement.dataset.js == "htmx"`)
	dom := c.eval("document.documentElement.outerHTML")
	// Two: the transcript, and its translation, which writes the river
	// "Tumen" (a place is found in every script and romanization).
	for _, want := range []string{"<strong>reader</strong>", "<mark>두만강</mark>", "2 found"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the search page after login lacks %q:\n%s", want, dom)
		}
	}
	if shots != "" {
		c.screenshot(filepath.Join(shots, "web-search.png"))
	}

	// Typing a new query swaps the results in place (htmx, no eval).
	c.eval(`var q = document.getElementById("q"); q.value = "Tumen"; q.dispatchEvent(new Event("input", {bubbles: true}))`)
	c.waitFor(`location.pathname == "/search" && document.querySelector("#results mark") && document.querySelector("#results mark").textContent == "Tumen"`)

	c.eval(`setTimeout(function () { document.querySelector("ol.hits a").click() }, 0)`)
	c.waitFor(`location.pathname.indexOf("/show/") == 0 && document.readyState == "complete"`)
	item := c.eval("document.documentElement.outerHTML")
	if !strings.Contains(item, archive.Mask) {
		t.Errorf("the item page shows no mask where the sealed name was:\n%s", item)
	}
	if shots != "" {
		c.screenshot(filepath.Join(shots, "web-item.png"))
	}
	for _, page := range []string{dom, item} {
		for _, name := range sealedForms {
			if strings.Contains(page, name) {
				t.Errorf("a reader's page shows %q", name)
			}
		}
	}
	// The testimony page: original and translation side by side.
	c.navigate(h.ts.URL + "/show/" + f.testimony.String())
	c.waitFor(`location.pathname.indexOf("/show/") == 0 && document.readyState == "complete" && document.querySelector(".pair")`)
	if n := c.eval(`document.querySelectorAll(".pair > section .text").length`); n != "2" {
		t.Errorf("the testimony page shows %s texts side by side, want 2", n)
	}
	if shots != "" {
		c.screenshot(filepath.Join(shots, "web-testimony.png"))
		for _, p := range []string{"/map", "/timeline", "/lang?to=ko&next=/"} {
			c.navigate(h.ts.URL + p)
			c.waitFor(`document.readyState == "complete" && document.documentElement.dataset.js`)
			c.screenshot(filepath.Join(shots, "web"+strings.NewReplacer("/", "-", "?", "-", "&", "-", "=", "-").Replace(p)+".png"))
		}
	}
	if v := c.eval(`sessionStorage.getItem("csp") || "[]"`); v != "[]" {
		t.Errorf("the pages' CSP blocked something: %s", v)
	}
	if n := h.srv.sessions.len(); n != 1 {
		t.Errorf("%d sessions after the browser's login", n)
	}

	// The idle warning: with a 65 s timeout it shows after five seconds, and
	// its button keeps the login (a CSRF-checked POST /ping) and hides it.
	short := newHarnessWith(t, f, Config{IdleTimeout: 65 * time.Second})
	c.navigate(short.ts.URL + "/login")
	c.waitFor(`location.pathname == "/login" && document.readyState == "complete" && document.getElementById("passphrase")`)
	c.eval(`document.getElementById("user").value = "reader";
		document.getElementById("passphrase").value = ` + jsString(readerPass) + `;
		setTimeout(function () { document.querySelector("form.login button[type=submit]").click() }, 0)`)
	c.waitFor(`location.pathname == "/" && document.documentElement.dataset.js == "htmx"`)
	c.waitFor(`!document.getElementById("idle-warning").hidden && document.activeElement.id == "idle-stay"`)
	if shots != "" {
		c.screenshot(filepath.Join(shots, "web-idle-warning.png"))
	}
	c.eval(`document.getElementById("idle-stay").click()`)
	c.waitFor(`document.getElementById("idle-warning").hidden`)
	if n := short.srv.sessions.len(); n != 1 || c.eval("location.pathname") != "/" {
		t.Errorf("staying logged in: %d sessions, at %s", n, c.eval("location.pathname"))
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
