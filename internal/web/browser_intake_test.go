//go:build unix

package web

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"sori/internal/archive"
	"sori/internal/testenv"
)

// TestBrowserIntakeSelectRedact drives headless Chromium (SORI_TEST_BROWSER)
// through a documenter's day: log in as an investigator, upload a Korean
// transcript through the intake form (its progress bar fed by the page's
// script), open the new item, select a word in its text — a real DOM
// selection made on the page, which the page's own script turns into the
// form's offsets — and redact it; search a two-syllable Korean word, open
// the map and the timeline, and switch the language. Screenshots go to
// $SORI_TEST_ARTIFACTS, or the test's temporary directory.
func TestBrowserIntakeSelectRedact(t *testing.T) {
	chromium := testenv.Browser(t)
	f := withInvestigator(t, newFixture(t))
	h := newHarnessWith(t, f, Config{MaxUpload: 64 << 10})
	shots := os.Getenv("SORI_TEST_ARTIFACTS")
	if shots == "" {
		shots = t.TempDir()
	}
	shot := func(c *cdp, name string) { c.screenshot(filepath.Join(shots, "intake-"+name+".png")) }
	c := startCDP(t, chromium)
	c.open()
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

	// Log in, landing on the intake page.
	c.navigate(h.ts.URL + "/intake")
	c.waitFor(`location.pathname == "/login" && document.readyState == "complete" && document.getElementById("passphrase")`)
	c.eval(`document.getElementById("user").value = "inv";
		document.getElementById("passphrase").value = ` + jsString(invPass) + `;
		setTimeout(function () { document.querySelector("form.login button[type=submit]").click() }, 0)`)
	c.waitFor(`location.pathname == "/intake" && document.readyState == "complete" && document.documentElement.dataset.js && document.getElementById("intake-form")`)

	// A file past the server's limit is not sent: the page says why.
	c.eval(`var dt = new DataTransfer();
		dt.items.add(new File([new Uint8Array(` + strconv.FormatInt(h.srv.maxUpload()+1, 10) + `)], "big.bin"));
		document.getElementById("in-file").files = dt.files;
		setTimeout(function () { document.querySelector("#intake-form button[type=submit]").click() }, 0); true`)
	c.waitFor(`document.getElementById("in-progress-text").textContent.indexOf("larger than this server accepts") >= 0`)

	// Fill the form; the file is made in the page (no file on disk), with
	// CR LF line ends, which the page's DOM holds as one line feed each:
	// the selection below lands on the right bytes only if the server
	// counts them as the browser does.
	transcript := "질문: 언제 탈북했습니까?\n답변: 1998년 가을에 " + sealedKo + "와 함께 두만강을 건넜습니다. 그 뒤 중국 연길에 숨어 지냈습니다.\n"
	c.eval(`document.getElementById("in-title").value = "면담 W-77 둘째 날";
		document.getElementById("in-kind").value = "transcript";
		document.getElementById("in-lang").value = "ko";
		document.getElementById("in-witness").value = "W-77";
		document.getElementById("in-testimony").value = ` + jsString(f.testimony.String()) + `;
		var dt = new DataTransfer();
		dt.items.add(new File([` + jsString(transcript) + `.replace(/\n/g, "\r\n")], "면담-둘째날.txt", {type: "text/plain"}));
		document.getElementById("in-file").files = dt.files;
		true`)
	shot(c, "1-form")
	c.eval(`setTimeout(function () { document.querySelector("#intake-form button[type=submit]").click() }, 0)`)
	// The answer replaces the form in place: the page did not navigate.
	c.waitFor(`document.getElementById("intake-result") && document.getElementById("intake-item")`)
	if p := c.eval("location.pathname"); p != "/intake" {
		t.Errorf("the upload navigated to %s; the script should have sent it", p)
	}
	if res := c.eval(`document.getElementById("intake-result").textContent`); !strings.Contains(res, "Added to the archive") || !strings.Contains(res, "Linked to its testimony") || !strings.Contains(res, "sealed name") {
		t.Errorf("the upload's answer: %s", res)
	}
	// The script's progress bar followed the upload to its end.
	if got := c.eval(`document.documentElement.getAttribute("data-upload-progress")`); got != "100" {
		t.Errorf("upload progress reported %s%%, want 100", got)
	}
	shot(c, "2-uploaded")

	// Open the new item: the investigator sees the sealed name masked.
	c.eval(`setTimeout(function () { document.getElementById("intake-item").click() }, 0)`)
	c.waitFor(`location.pathname.indexOf("/show/") == 0 && document.readyState == "complete" && document.querySelector("[data-sel-item]") && document.documentElement.dataset.js`)
	item := c.eval(`location.pathname`)
	if body := c.eval("document.documentElement.outerHTML"); strings.Contains(body, sealedKo) || !strings.Contains(body, archive.Mask) {
		t.Errorf("the item page does not mask the sealed name")
	}

	// Select 두만강을 with a real selection in the page's DOM; the page's
	// script fills the form and enables its button.
	c.eval(`(function () {
		var el = document.querySelector("[data-sel-item]");
		var walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
		var node, at = -1;
		while ((node = walker.nextNode())) { at = node.data.indexOf("두만강을"); if (at >= 0) break; }
		var r = document.createRange();
		r.setStart(node, at);
		r.setEnd(node, at + "두만강을".length);
		var s = window.getSelection();
		s.removeAllRanges();
		s.addRange(r);
		return true;
	})()`)
	c.waitFor(`document.querySelector("form.seltools input[name=text]").value == "두만강을" && !document.querySelector("form.seltools button[value=redact]").disabled`)
	c.eval(`document.querySelector("form.seltools input[name=reason]").value = "place of crossing"; true`)
	shot(c, "3-selected")
	c.eval(`setTimeout(function () { document.querySelector("form.seltools button[value=redact]").click() }, 0)`)
	c.waitFor(`location.search.indexOf("done=redact") >= 0 && document.readyState == "complete" && document.querySelector("mark.redacted")`)
	if got := c.eval(`document.querySelector("mark.redacted").textContent`); got != "두만강을" {
		t.Errorf("the redaction marks %q, want 두만강을", got)
	}
	if got := c.eval(`document.querySelector("[data-sel-item]").textContent.indexOf("두만강을") >= 0`); got != "true" {
		t.Errorf("the text lost the redacted words: the mark must not change what is selectable")
	}
	shot(c, "4-redacted")
	if p := c.eval("location.pathname"); p != item {
		t.Errorf("after redacting, at %s, want %s", p, item)
	}

	// The testimony page: the upload is among its items, the redaction
	// listed and marked in its text.
	c.navigate(h.ts.URL + "/show/" + f.testimony.String())
	c.waitFor(`document.readyState == "complete" && document.querySelector(".pair")`)
	if got := c.eval(`document.querySelector("main").textContent`); !strings.Contains(got, "place of crossing") || !strings.Contains(got, "면담 W-77 둘째 날") {
		t.Errorf("the testimony page lacks the upload or its redaction")
	}
	shot(c, "4b-testimony")

	// Search a two-syllable Korean word the upload holds.
	c.navigate(h.ts.URL + "/search?q=" + "%ED%83%88%EB%B6%81") // 탈북
	c.waitFor(`location.pathname == "/search" && document.readyState == "complete" && document.querySelector("ol.hits mark")`)
	if got := c.eval(`document.querySelector("ol.hits mark").textContent`); got != "탈북" {
		t.Errorf("the search for 탈북 highlights %q", got)
	}
	shot(c, "5-search")

	c.navigate(h.ts.URL + "/map")
	c.waitFor(`location.pathname == "/map" && document.readyState == "complete" && document.querySelector("figure.map svg")`)
	shot(c, "6-map")
	c.navigate(h.ts.URL + "/timeline")
	c.waitFor(`location.pathname == "/timeline" && document.readyState == "complete" && document.querySelector("main h1")`)
	if got := c.eval(`document.querySelector("main").textContent.indexOf("1998") >= 0`); got != "true" {
		t.Errorf("the timeline does not show the fixture's 1998 event")
	}
	shot(c, "7-timeline")

	// Switch the language with the page's own link.
	c.eval(`setTimeout(function () { document.querySelector(".tools a[href^='/lang']").click() }, 0)`)
	c.waitFor(`document.documentElement.lang == "ko" && document.readyState == "complete" && location.pathname == "/timeline"`)
	if got := c.eval(`document.querySelector("nav").textContent`); !strings.Contains(got, "자료 추가") || !strings.Contains(got, "연표") {
		t.Errorf("the Korean navigation: %s", got)
	}
	c.navigate(h.ts.URL + item)
	c.waitFor(`document.readyState == "complete" && document.querySelector("form.seltools")`)
	if got := c.eval(`document.querySelector("form.seltools").textContent`); !strings.Contains(got, "선택 부분 가리기") {
		t.Errorf("the Korean selection form: %s", got)
	}
	shot(c, "8-korean")

	if v := c.eval(`sessionStorage.getItem("csp") || "[]"`); v != "[]" {
		t.Errorf("the pages' CSP blocked something: %s", v)
	}
	t.Logf("screenshots in %s", shots)
}
