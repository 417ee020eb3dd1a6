package web

import (
	"bytes"
	"context"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"sori/internal/archive"
)

const invPass = "investigator passphrase 1"

// withInvestigator adds an investigator — who writes, and reads the
// sealed name masked — to f's archive.
func withInvestigator(t *testing.T, f *fixture) *fixture {
	t.Helper()
	a, err := archive.Open(context.Background(), f.dir, "admin", adminPass, archive.Options{WorkFactor: workFactor()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.AddUser(context.Background(), "inv", archive.RoleInvestigator, invPass); err != nil {
		t.Fatal(err)
	}
	return f
}

// field is one multipart field; a file when file is set.
type mpField struct{ name, value, file string }

// multipartBody writes fields, in order, as a multipart form.
func multipartBody(t *testing.T, fields []mpField) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		var w io.Writer
		var err error
		if f.file != "" {
			w, err = mw.CreateFormFile(f.name, f.file)
		} else {
			w, err = mw.CreateFormField(f.name)
		}
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, f.value)
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}

// upload posts fields to /intake; chunked hides the body's length (as a
// stream would), header sends the CSRF token as the page's script does.
func (b *browser) upload(fields []mpField, header string, chunked bool) response {
	b.h.t.Helper()
	body, ctype := multipartBody(b.h.t, fields)
	var r io.Reader = body
	if chunked {
		r = io.MultiReader(body) // not a *bytes.Buffer: no Content-Length
	}
	req, _ := http.NewRequest("POST", b.h.ts.URL+"/intake", r)
	req.Header.Set("Content-Type", ctype)
	if header != "" {
		req.Header.Set("X-CSRF-Token", header)
	}
	return b.do(req)
}

// archiveState is what a refused request must leave as it was: the
// number of items and of custody entries, read through a session.
func (h *harness) archiveState(b *browser) (items int, log int64) {
	h.t.Helper()
	u, _ := url.Parse(h.ts.URL)
	var ss *session
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "sori" {
			ss = h.srv.sessions.byID[c.Value]
		}
	}
	if ss == nil {
		h.t.Fatal("no session")
	}
	ctx := context.Background()
	if err := ss.arch.List(ctx, func(archive.Listed) error { items++; return nil }); err != nil {
		h.t.Fatal(err)
	}
	cp, err := ss.arch.Checkpoint(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	return items, cp.Size
}

var itemLink = regexp.MustCompile(`href="/show/([0-9a-f]{32})" id="intake-item"`)

// TestIntakeUpload: a Korean transcript uploaded with the form (its token
// as the first field, as a plain form sends it) becomes an item linked to
// the testimony; its title and text, which carry markup, are escaped
// wherever they are shown. The script's way (token in a header) works too.
func TestIntakeUpload(t *testing.T) {
	f := newFixture(t)
	h := newHarness(t, f)
	b := h.browser()
	b.mustLogin("admin", adminPass)
	page := b.get("/intake")
	if page.StatusCode != http.StatusOK || !strings.Contains(page.body, `enctype="multipart/form-data"`) || !strings.Contains(page.body, `href="/intake"`) {
		t.Fatalf("intake page: %s", page.Status)
	}
	items, _ := h.archiveState(b)
	text := "질문: 언제 탈북했습니까?\n답변: 1998년 가을에 " + xssTitle + " 강을 건넜습니다.\n"
	r := b.upload([]mpField{{"csrf", b.csrf(), ""}, {"title", "면담 " + xssTitle, ""}, {"kind", "transcript", ""}, {"lang", "ko", ""},
		{"witness", pseudonym, ""}, {"testimony", f.testimony.String(), ""}, {"as", "original", ""}, {"file", text, "면담2.txt"}}, "", false)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("upload: %s\n%s", r.Status, r.body)
	}
	m := itemLink.FindStringSubmatch(r.body)
	if m == nil || !strings.Contains(r.body, "Linked to its testimony") {
		t.Fatalf("the answer links no new item:\n%s", r.body)
	}
	if n, _ := h.archiveState(b); n != items+1 {
		t.Fatalf("%d items after one upload, had %d", n, items)
	}
	item := b.get("/show/" + m[1])
	if item.StatusCode != http.StatusOK || !strings.Contains(item.body, "1998년 가을에") || !strings.Contains(item.body, "면담2.txt") {
		t.Fatalf("the new item's page: %s\n%s", item.Status, item.body)
	}
	testimony := b.get("/show/" + f.testimony.String())
	for name, p := range map[string]response{"answer": r, "item": item, "testimony": testimony} {
		if strings.Contains(p.body, xssTitle) || !strings.Contains(p.body, "&lt;script&gt;") {
			t.Errorf("%s page: the uploaded markup is not escaped", name)
		}
	}
	if !strings.Contains(testimony.body, `href="/show/`+m[1]+`"`) {
		t.Error("the testimony does not list the uploaded item")
	}
	if !strings.Contains(testimony.body, `href="/intake?testimony=`+f.testimony.String()+`"`) {
		t.Error("the testimony page offers no upload to it")
	}
	if p := b.get("/intake?testimony=" + f.testimony.String()); !strings.Contains(p.body, `<option value="`+f.testimony.String()+`" selected>`) {
		t.Error("the intake page does not preselect the testimony it was opened for")
	}

	// The page's script sends the token in a header; the same bytes again
	// are reported as already there.
	r = b.upload([]mpField{{"file", text, "again.txt"}}, b.csrf(), true)
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, "already in the archive") || itemLink.FindStringSubmatch(r.body)[1] != m[1] {
		t.Fatalf("upload with the header token: %s\n%s", r.Status, r.body)
	}
}

// TestIntakeOversizeRefused: a file past the server's limit is refused
// with 413 whether the body's length is declared or not, and nothing is
// added or logged.
func TestIntakeOversizeRefused(t *testing.T) {
	h := newHarnessWith(t, newFixture(t), Config{MaxUpload: 1 << 10})
	b := h.browser()
	b.mustLogin("admin", adminPass)
	items, log := h.archiveState(b)
	big := strings.Repeat("가", 1<<10) // 3 KiB
	for _, chunked := range []bool{false, true} {
		r := b.upload([]mpField{{"csrf", b.csrf(), ""}, {"file", big, "big.txt"}}, "", chunked)
		if r.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(r.body, "larger than this server accepts") || !strings.Contains(r.body, "1 KiB") {
			t.Errorf("oversize upload (chunked %v): %s\n%s", chunked, r.Status, r.body)
		}
	}
	if n, l := h.archiveState(b); n != items || l != log {
		t.Errorf("refused uploads changed the archive: items %d→%d, log %d→%d", items, n, log, l)
	}
	// Just under the limit is taken.
	if r := b.upload([]mpField{{"csrf", b.csrf(), ""}, {"file", strings.Repeat("a", 1<<10), "fits.txt"}}, "", true); r.StatusCode != http.StatusOK {
		t.Errorf("an upload of exactly the limit: %s", r.Status)
	}
}

// TestIntakeCSRF: an upload without the token, with a wrong one, with the
// token after another field, or from another site is refused before its
// file is read, and adds nothing.
func TestIntakeCSRF(t *testing.T) {
	h := newHarness(t, newFixture(t))
	b := h.browser()
	b.mustLogin("admin", adminPass)
	tok := b.csrf()
	items, log := h.archiveState(b)
	file := mpField{"file", "a synthetic transcript", "t.txt"}
	cases := map[string]response{
		"no token":     b.upload([]mpField{file}, "", false),
		"wrong token":  b.upload([]mpField{{"csrf", tok + "x", ""}, file}, "", false),
		"wrong header": b.upload([]mpField{file}, tok+"x", false),
		"token late":   b.upload([]mpField{{"title", "t", ""}, {"csrf", tok, ""}, file}, "", false),
	}
	body, ctype := multipartBody(t, []mpField{{"csrf", tok, ""}, file})
	req, _ := http.NewRequest("POST", h.ts.URL+"/intake", body)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	cases["cross-site"] = b.do(req)
	for name, r := range cases {
		if r.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %s", name, r.Status)
		}
	}
	if n, l := h.archiveState(b); n != items || l != log {
		t.Errorf("refused uploads changed the archive: items %d→%d, log %d→%d", items, n, log, l)
	}
	// Anonymous: to the login page.
	if r := h.browser().upload([]mpField{{"csrf", tok, ""}, file}, tok, false); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous upload: %s", r.Status)
	}
}

// TestReaderCannotUploadOrSelect: a reader is offered neither the intake
// page nor the selection form, and a request for either is 403 and
// changes nothing.
func TestReaderCannotUploadOrSelect(t *testing.T) {
	f := newFixture(t)
	h := newHarness(t, f)
	b := h.browser()
	b.mustLogin("reader", readerPass)
	tok := b.csrf()
	if r := b.get("/show/" + f.item.String()); strings.Contains(r.body, `action="/select"`) {
		t.Error("the reader's item page offers the selection form")
	}
	items, log := h.archiveState(b) // after the read above, which is logged
	if r := b.get("/"); strings.Contains(r.body, `href="/intake"`) {
		t.Error("the reader's navigation offers intake")
	}
	if r := b.get("/intake"); r.StatusCode != http.StatusForbidden {
		t.Errorf("reader GET /intake: %s", r.Status)
	}
	if r := b.upload([]mpField{{"csrf", tok, ""}, {"file", "text", "t.txt"}}, tok, false); r.StatusCode != http.StatusForbidden {
		t.Errorf("reader upload: %s", r.Status)
	}
	for _, action := range []string{"redact", "annotate"} {
		r := b.post("/select", url.Values{"csrf": {tok}, "action": {action}, "item": {f.item.String()}, "start": {"0"}, "end": {"2"},
			"text": {"이 "}, "reason": {"r"}, "target": {f.ev.String()}})
		if r.StatusCode != http.StatusForbidden {
			t.Errorf("reader %s: %s", action, r.Status)
		}
	}
	if n, l := h.archiveState(b); n != items || l != log {
		t.Errorf("refused requests changed the archive: items %d→%d, log %d→%d", items, n, log, l)
	}
}

var selText = regexp.MustCompile(`(?s)<div class="text"[^>]*data-sel-item="([0-9a-f]+)">(.*?)</div>`)

// shownSelection finds word in the text a page shows of its item, as the
// page's script would send a selection of it.
func shownSelection(t *testing.T, body, word string) url.Values {
	t.Helper()
	m := selText.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no selectable text in the page")
	}
	shown := html.UnescapeString(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(m[2], ""))
	i := strings.Index(shown, word)
	if i < 0 {
		t.Fatalf("%q is not in the shown text %q", word, shown)
	}
	start := utf8.RuneCountInString(shown[:i])
	return url.Values{"item": {m[1]}, "start": {strconv.Itoa(start)}, "end": {strconv.Itoa(start + utf8.RuneCountInString(word))}, "text": {word}}
}

// TestSelectRedactAndAnnotate: an investigator, shown the transcript with
// the sealed name masked, selects a word and redacts it and another and
// annotates it; both land on the right bytes and show in the pages. A
// selection whose text no longer matches, or that covers the mask, is
// refused with a clear message and changes nothing.
func TestSelectRedactAndAnnotate(t *testing.T) {
	f := withInvestigator(t, newFixture(t))
	h := newHarness(t, f)
	b := h.browser()
	b.mustLogin("inv", invPass)
	tok := b.csrf()
	page := b.get("/show/" + f.item.String())
	if !strings.Contains(page.body, archive.Mask) || strings.Contains(page.body, sealedKo) || !strings.Contains(page.body, `action="/select"`) {
		t.Fatalf("the investigator's item page:\n%s", page.body)
	}
	sha := regexp.MustCompile(`name="sha" value="([0-9a-f]{64})"`).FindStringSubmatch(page.body)[1]

	_, log := h.archiveState(b)
	refuse := map[string]url.Values{}
	v := shownSelection(t, page.body, "두만강을")
	v.Set("text", "압록강을")
	refuse["changed text"] = v
	refuse["over the mask"] = shownSelection(t, page.body, archive.Mask+"(")
	v = shownSelection(t, page.body, "두만강을")
	v.Set("sha", strings.Repeat("f", 64))
	refuse["another item"] = v
	for name, v := range refuse {
		v.Set("csrf", tok)
		v.Set("action", "redact")
		v.Set("reason", "place")
		r := b.post("/select", v)
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "The selection was refused and nothing was changed.") {
			t.Errorf("%s: %s\n%s", name, r.Status, r.body)
		}
		if strings.Contains(r.body, sealedKo) || strings.Contains(r.body, "압록강") {
			t.Errorf("%s: the refusal repeats text", name)
		}
	}
	if _, l := h.archiveState(b); l != log {
		t.Fatalf("refused selections wrote %d custody entries", l-log)
	}

	v = shownSelection(t, page.body, "두만강을")
	v.Set("csrf", tok)
	v.Set("sha", sha)
	v.Set("action", "redact")
	v.Set("reason", "place of crossing")
	v.Set("back", "/show/"+f.item.String())
	r := b.post("/select", v)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/show/"+f.item.String()+"?done=redact" {
		t.Fatalf("redact: %s %s\n%s", r.Status, r.Header.Get("Location"), r.body)
	}
	page = b.get(r.Header.Get("Location"))
	if !strings.Contains(page.body, `<mark class="redacted">두만강을</mark>`) || !strings.Contains(page.body, "marked for redaction") {
		t.Errorf("the item page does not mark the redaction:\n%s", page.body)
	}
	testimony := b.get("/show/" + f.testimony.String())
	start := strings.Index(f.transcript, "두만강을")
	if !strings.Contains(testimony.body, "place of crossing") || !strings.Contains(testimony.body, strconv.Itoa(start)+"–"+strconv.Itoa(start+len("두만강을"))) {
		t.Errorf("the testimony page does not list the redaction at bytes %d:%d", start, start+len("두만강을"))
	}

	v = shownSelection(t, page.body, "질문")
	v.Set("csrf", tok)
	v.Set("action", "annotate")
	v.Set("target", f.ev.String())
	v.Set("note", "the question")
	v.Set("back", "/show/"+f.testimony.String())
	if r := b.post("/select", v); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("annotate: %s\n%s", r.Status, r.body)
	}
	testimony = b.get("/show/" + f.testimony.String() + "?done=annotate")
	start = strings.Index(f.transcript, "질문")
	if !strings.Contains(testimony.body, "the question") || !strings.Contains(testimony.body, strconv.Itoa(start)+"–"+strconv.Itoa(start+len("질문"))) || !strings.Contains(testimony.body, "annotation is recorded") {
		t.Errorf("the testimony page does not list the annotation at bytes %d:%d", start, start+len("질문"))
	}
	// Without the token: refused.
	v.Del("csrf")
	if r := b.post("/select", v); r.StatusCode != http.StatusForbidden {
		t.Errorf("select without CSRF: %s", r.Status)
	}
}

// TestInvestigatorPagesMasked: the pages this change adds or extends —
// the intake form (its testimony list), the selection form (its list of
// records to link to) and the testimony page's redactions — show an
// investigator, who writes but may not open the vault, the mask and no
// form of the sealed name; the protection officer's show the name, so the
// test would see a leak. Each carries the CSP nonce and no inline script.
func TestInvestigatorPagesMasked(t *testing.T) {
	f := withInvestigator(t, newFixture(t))
	h := newHarness(t, f)
	admin := h.browser()
	admin.mustLogin("admin", adminPass)
	// A redaction whose reason names the witness (against the advice the
	// form gives): the investigator's testimony page masks it.
	v := shownSelection(t, admin.get("/show/"+f.item.String()).body, "두만강을")
	v.Set("csrf", admin.csrf())
	v.Set("action", "redact")
	v.Set("reason", "crossing with "+sealedKo)
	if r := admin.post("/select", v); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("admin redact: %s\n%s", r.Status, r.body)
	}
	pages := []string{"/intake", "/show/" + f.item.String(), "/show/" + f.testimony.String(), "/show/" + f.trans.String()}
	if r := admin.get("/show/" + f.testimony.String()); !strings.Contains(r.body, "crossing with "+sealedKo) || !strings.Contains(r.body, `<option value="`+f.person.String()+`">person: `+sealedKo) {
		t.Fatalf("the protection officer's testimony page does not show the name: the test plants nothing")
	}
	inv := h.browser()
	inv.mustLogin("inv", invPass)
	for _, p := range pages {
		r := inv.get(p)
		if r.StatusCode != http.StatusOK {
			t.Errorf("investigator %s: %s", p, r.Status)
			continue
		}
		for _, name := range sealedForms {
			if strings.Contains(r.body, name) {
				t.Errorf("investigator %s shows %q", p, name)
			}
		}
		m := nonceRe.FindStringSubmatch(r.Header.Get("Content-Security-Policy"))
		if m == nil || strings.Count(r.body, `nonce="`+m[1]+`"`) != 2 || regexp.MustCompile(`(?i)\son[a-z]+=|hx-on|javascript:|style="`).MatchString(r.body) {
			t.Errorf("investigator %s: CSP nonce missing or inline script or style", p)
		}
	}
	if r := inv.get("/show/" + f.testimony.String()); !strings.Contains(r.body, "crossing with "+archive.Mask) || !strings.Contains(r.body, `<mark class="redacted">두만강을</mark>`) {
		t.Errorf("the investigator's testimony page does not list the redaction, masked, nor mark it in the text")
	}
}

// FuzzSplitMarked: the runs a text is cut into spell it exactly (so the
// page's selectable text is the text shown) and alternate.
func FuzzSplitMarked(f *testing.F) {
	f.Add("질문: 두만강을 건넜다", 4, 7, 0, 1)
	f.Add("", 0, 0, 0, 0)
	f.Add("abc", -3, 99, 2, 1)
	f.Fuzz(func(t *testing.T, s string, a, b, c, d int) {
		if !utf8.ValidString(s) {
			return
		}
		parts := splitMarked(s, [][2]int{{a, b}, {c, d}})
		var got strings.Builder
		for i, p := range parts {
			if p.Text == "" || i > 0 && parts[i-1].Redacted == p.Redacted {
				t.Fatalf("runs %+v", parts)
			}
			got.WriteString(p.Text)
		}
		if got.String() != s {
			t.Fatalf("runs spell %q, want %q", got.String(), s)
		}
	})
}

// FuzzUploadName: whatever name a browser sends, the archive is given a
// file name without a directory.
func FuzzUploadName(f *testing.F) {
	for _, s := range []string{"면담.txt", `C:\Users\x\면담.txt`, "../../etc/passwd", "..", "/", "", "a/b/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := uploadName(s)
		if n == "" || n == "." || n == ".." || strings.ContainsAny(n, `/\`) || !utf8.ValidString(n) {
			t.Fatalf("uploadName(%q) = %q", s, n)
		}
	})
}

// TestSelectCRLF: a transcript with CR LF line ends is shown as a browser
// holds it (one line feed each), and a selection after them redacts the
// bytes selected and is marked on the words selected.
func TestSelectCRLF(t *testing.T) {
	h := newHarness(t, newFixture(t))
	b := h.browser()
	b.mustLogin("admin", adminPass)
	text := "첫째 줄\r\n둘째 줄\r\n셋째 줄에 요덕 수용소가 나온다.\r\n"
	r := b.upload([]mpField{{"csrf", b.csrf(), ""}, {"kind", "transcript", ""}, {"file", text, "crlf.txt"}}, "", false)
	m := itemLink.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("upload: %s\n%s", r.Status, r.body)
	}
	page := b.get("/show/" + m[1])
	if strings.Contains(page.body, "\r") {
		t.Fatal("the page sends CR: the browser's character count would differ from the runs marked")
	}
	v := shownSelection(t, page.body, "요덕 수용소")
	v.Set("csrf", b.csrf())
	v.Set("action", "redact")
	v.Set("reason", "camp")
	v.Set("back", "/show/"+m[1])
	if r := b.post("/select", v); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("redact: %s\n%s", r.Status, r.body)
	}
	if page := b.get("/show/" + m[1]); !strings.Contains(page.body, `<mark class="redacted">요덕 수용소</mark>`) {
		t.Errorf("the redaction is not marked on the words selected")
	}
	var ss *session
	for _, s := range h.srv.sessions.byID {
		ss = s
	}
	marks, err := ss.arch.Redactions(context.Background(), m[1])
	if err != nil || len(marks) != 1 || text[marks[0].Start:marks[0].End] != "요덕 수용소" {
		t.Errorf("the redaction holds the wrong bytes: %+v %v", marks, err)
	}
}

// slowBody moves the test clock on at every read of a request's body, as
// a long upload's time passes while its bytes arrive.
type slowBody struct {
	r    io.Reader
	step time.Duration
	c    *clock
}

func (s *slowBody) Read(p []byte) (int, error) {
	s.c.add(s.step)
	return s.r.Read(p[:min(len(p), 32<<10)])
}

// TestLongUploadKeepsLogin: an upload that takes longer than the idle
// timeout keeps its login: the page after it is served, not the login
// form. (The handler is called directly, so that the body is read only as
// the handler reads it.)
func TestLongUploadKeepsLogin(t *testing.T) {
	h := newHarness(t, newFixture(t))
	b := h.browser()
	b.mustLogin("admin", adminPass)
	tok := b.csrf()
	body, ctype := multipartBody(t, []mpField{{"file", strings.Repeat("a slow synthetic line\n", 40000), "long.txt"}}) // ~ 880 KiB
	req := httptest.NewRequest("POST", "/intake", &slowBody{r: body, step: h.srv.cfg.IdleTimeout / 8, c: h.clock})
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("X-CSRF-Token", tok)
	u, _ := url.Parse(h.ts.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		req.AddCookie(c)
	}
	start := h.clock.now()
	rec := httptest.NewRecorder()
	h.srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || itemLink.FindStringSubmatch(rec.Body.String()) == nil {
		t.Fatalf("long upload: %d\n%s", rec.Code, rec.Body.String())
	}
	if took := h.clock.now().Sub(start); took < 2*h.srv.cfg.IdleTimeout {
		t.Fatalf("the upload took %s of test time: not longer than the idle timeout", took)
	}
	if r := b.get("/"); r.StatusCode != http.StatusOK {
		t.Fatalf("after an upload longer than the idle timeout: %s (logged out)", r.Status)
	}
}

// TestIntakeCutOff: a body that ends in the middle of its file stores
// nothing and says so.
func TestIntakeCutOff(t *testing.T) {
	h := newHarness(t, newFixture(t))
	b := h.browser()
	b.mustLogin("admin", adminPass)
	tok := b.csrf()
	items, log := h.archiveState(b)
	body, ctype := multipartBody(t, []mpField{{"file", strings.Repeat("a synthetic line\n", 1000), "cut.txt"}})
	cut := body.Bytes()[:body.Len()/2]
	req, _ := http.NewRequest("POST", h.ts.URL+"/intake", io.MultiReader(bytes.NewReader(cut)))
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("X-CSRF-Token", tok)
	if r := b.do(req); r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "cut off") {
		t.Errorf("a cut-off upload: %s\n%s", r.Status, r.body)
	}
	if n, l := h.archiveState(b); n != items || l != log {
		t.Errorf("a cut-off upload changed the archive: items %d→%d, log %d→%d", items, n, log, l)
	}
}
