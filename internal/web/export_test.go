package web

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sori/verify"
)

// TestExportDownload: the export page needs the passphrase again; then a
// court bundle downloads as a zip whose one directory verifies as a bundle;
// consent still refuses what may not leave; a reader may not export; CSRF
// is checked.
func TestExportDownload(t *testing.T) {
	f := newFixture(t)
	h := newHarness(t, f)

	rd := h.browser()
	rd.mustLogin("reader", readerPass)
	if r := rd.get("/export"); r.StatusCode != http.StatusForbidden {
		t.Errorf("reader GET /export: %s", r.Status)
	}
	if r := rd.post("/export", url.Values{"csrf": {rd.csrf()}, "items": {f.xssItem.String()}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("reader POST /export: %s", r.Status)
	}

	b := h.browser()
	b.mustLogin("admin", adminPass)
	tok := b.csrf()
	if r := b.get("/export"); r.StatusCode != http.StatusOK || !strings.Contains(r.body, `action="/reauth"`) {
		t.Fatalf("export before re-entering the passphrase: %s", r.Status)
	}
	if r := b.post("/export", url.Values{"csrf": {tok}, "items": {f.xssItem.String()}}); r.StatusCode != http.StatusUnauthorized || r.Header.Get("Content-Type") == "application/zip" {
		t.Fatalf("export without the passphrase again: %s", r.Status)
	}
	if r := b.post("/reauth", url.Values{"csrf": {tok}, "passphrase": {adminPass}, "next": {"/export"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("reauth: %s", r.Status)
	}
	if r := b.get("/export?item=" + f.xssItem.String()); r.StatusCode != http.StatusOK || !strings.Contains(r.body, f.xssItem.String()) || !strings.Contains(r.body, `action="/export"`) {
		t.Fatalf("export form: %s", r.Status)
	}
	if r := b.post("/export", url.Values{"items": {f.xssItem.String()}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("export without CSRF: %s", r.Status)
	}
	// An item of a testimony without consent for court use is refused.
	if r := b.post("/export", url.Values{"csrf": {tok}, "items": {f.item.String()}}); r.StatusCode != http.StatusBadRequest || r.Header.Get("Content-Type") == "application/zip" {
		t.Errorf("export refused by consent: %s %s", r.Status, r.Header.Get("Content-Type"))
	}
	if r := b.post("/export", url.Values{"csrf": {tok}, "items": {"  "}}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("export of nothing: %s", r.Status)
	}

	r := b.post("/export", url.Values{"csrf": {tok}, "items": {f.xssItem.String()[:10]}})
	if r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "application/zip" || !strings.Contains(r.Header.Get("Content-Disposition"), "sori-bundle-") {
		t.Fatalf("export: %s %q %q", r.Status, r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"))
	}
	zr, err := zip.NewReader(strings.NewReader(r.body), int64(len(r.body)))
	if err != nil {
		t.Fatalf("the download is not a zip: %v", err)
	}
	dst := t.TempDir()
	var root string
	for _, zf := range zr.File {
		top, _, _ := strings.Cut(zf.Name, "/")
		if root == "" {
			root = top
		} else if top != root {
			t.Fatalf("two top-level entries: %s, %s", root, top)
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dst, filepath.FromSlash(zf.Name))
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(zf.Name, "original") && !bytes.Contains(data, []byte("plain text")) {
			t.Errorf("%s does not hold the item's text", zf.Name)
		}
	}
	rep, err := verify.Bundle(filepath.Join(dst, root), verify.BundleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Items != 1 {
		t.Errorf("the downloaded bundle does not verify: %+v", rep.Findings)
	}
}
