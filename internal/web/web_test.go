package web

import (
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"sori/internal/archive"
	"sori/internal/model"
)

func TestLoginLogoutDropsSession(t *testing.T) {
	h := newHarness(t, newFixture(t))
	b := h.browser()
	if r := b.get("/"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Fatalf("anonymous dashboard: %s %s", r.Status, r.Header.Get("Location"))
	}
	if r := b.login("admin", "wrong passphrase"); r.StatusCode != http.StatusUnauthorized || !strings.Contains(r.body, "Wrong user name or passphrase") {
		t.Fatalf("wrong passphrase: %s", r.Status)
	}
	if n := h.srv.sessions.len(); n != 0 {
		t.Fatalf("%d sessions after a failed login", n)
	}
	r := b.login("admin", adminPass)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %s\n%s", r.Status, r.body)
	}
	var sessionCookie *http.Cookie
	for _, c := range r.Cookies() {
		if c.Name == "sori" {
			sessionCookie = c
		}
	}
	if sessionCookie == nil || !sessionCookie.HttpOnly || sessionCookie.SameSite != http.SameSiteStrictMode || sessionCookie.Secure {
		t.Fatalf("session cookie: %+v", sessionCookie)
	}
	if dash := b.get("/"); dash.StatusCode != http.StatusOK || !strings.Contains(dash.body, "<strong>admin</strong>") {
		t.Fatalf("dashboard: %s", dash.Status)
	}
	if n := h.srv.sessions.len(); n != 1 {
		t.Fatalf("%d sessions after login", n)
	}
	// Logout without the CSRF token is refused and ends nothing.
	if r := b.post("/logout", nil); r.StatusCode != http.StatusForbidden {
		t.Fatalf("logout without CSRF: %s", r.Status)
	}
	if n := h.srv.sessions.len(); n != 1 {
		t.Fatalf("a refused logout ended the session")
	}
	var ss *session
	for _, s := range h.srv.sessions.byID {
		ss = s
	}
	if r := b.post("/logout", url.Values{"csrf": {b.csrf()}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %s", r.Status)
	}
	if n := h.srv.sessions.len(); n != 0 {
		t.Fatalf("%d sessions after logout", n)
	}
	if !ss.closed || ss.arch != nil {
		t.Fatal("logout left the session's Archive open")
	}
	// The old cookie, replayed, opens nothing.
	other := h.browser()
	req, _ := http.NewRequest("GET", h.ts.URL+"/", nil)
	req.AddCookie(&http.Cookie{Name: "sori", Value: sessionCookie.Value})
	if r := other.do(req); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("replayed cookie after logout: %s", r.Status)
	}
}

func TestCSRFRefused(t *testing.T) {
	h := newHarness(t, newFixture(t))
	b := h.browser()
	b.get("/login")
	// A login form without its token, or with another browser's token.
	if r := b.post("/login", url.Values{"user": {"admin"}, "passphrase": {adminPass}}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("login without token: %s", r.Status)
	}
	m := csrfField.FindStringSubmatch(h.browser().get("/login").body)
	if r := b.post("/login", url.Values{"csrf": {m[1]}, "user": {"admin"}, "passphrase": {adminPass}}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("login with another browser's token: %s", r.Status)
	}
	if n := h.srv.sessions.len(); n != 0 {
		t.Fatalf("%d sessions from refused logins", n)
	}
	b.mustLogin("admin", adminPass)
	tok := b.csrf()
	// A cross-site POST carrying the right token is still refused.
	req, _ := http.NewRequest("POST", h.ts.URL+"/ping", strings.NewReader("csrf="+tok))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if r := b.do(req); r.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin POST: %s", r.Status)
	}
	if r := b.post("/ping", url.Values{"csrf": {tok + "x"}}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("wrong token: %s", r.Status)
	}
	req, _ = http.NewRequest("POST", h.ts.URL+"/ping", nil)
	req.Header.Set("X-CSRF-Token", tok)
	if r := b.do(req); r.StatusCode != http.StatusNoContent {
		t.Fatalf("ping with the header token: %s", r.Status)
	}
}

func TestSessionFixation(t *testing.T) {
	h := newHarness(t, newFixture(t))
	b := h.browser()
	u, _ := url.Parse(h.ts.URL)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "sori", Value: "planted-by-attacker", Path: "/"}})
	b.mustLogin("admin", adminPass)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "sori" && c.Value == "planted-by-attacker" {
			t.Fatal("the planted session ID survived login")
		}
	}
	if _, ok := h.srv.sessions.byID["planted-by-attacker"]; ok {
		t.Fatal("the planted session ID is a session")
	}
}

var nonceRe = regexp.MustCompile(`script-src 'nonce-([A-Za-z0-9_-]+)'`)

func TestCSPNonceAndNoInlineScript(t *testing.T) {
	f := newFixture(t)
	h := newHarness(t, f)
	b := h.browser()
	b.mustLogin("admin", adminPass)
	for _, p := range []string{"/login", "/", "/search?q=%EB%91%90%EB%A7%8C%EA%B0%95", "/show/" + f.item.String(), "/show/" + f.testimony.String(),
		"/show/" + f.person.String(), "/log", "/timeline", "/map", "/publish", "/vault"} {
		r := b.get(p)
		if r.StatusCode != http.StatusOK {
			t.Errorf("%s: %s", p, r.Status)
			continue
		}
		policy := r.Header.Get("Content-Security-Policy")
		m := nonceRe.FindStringSubmatch(policy)
		if m == nil || strings.Contains(policy, "unsafe") || !strings.Contains(policy, "default-src 'none'") {
			t.Errorf("%s: CSP %q", p, policy)
			continue
		}
		if r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", p, r.Header.Get("Cache-Control"))
		}
		scripts := regexp.MustCompile(`<script[^>]*>`).FindAllString(r.body, -1)
		if len(scripts) != 2 {
			t.Errorf("%s: %d script tags", p, len(scripts))
		}
		for _, s := range scripts {
			if !strings.Contains(s, `nonce="`+m[1]+`"`) || !strings.Contains(s, ` src="/static/`) {
				t.Errorf("%s: script without this response's nonce or src: %s", p, s)
			}
		}
		if regexp.MustCompile(`(?i)\son[a-z]+=|hx-on|javascript:|style="`).MatchString(r.body) {
			t.Errorf("%s: inline handler, hx-on, javascript: URL or inline style", p)
		}
	}
	if n1, n2 := nonceRe.FindString(b.get("/").Header.Get("Content-Security-Policy")), nonceRe.FindString(b.get("/").Header.Get("Content-Security-Policy")); n1 == n2 {
		t.Error("the nonce is the same on two responses")
	}
}

// TestReaderSeesNoSealedName: every page a reader can open, with a sealed
// name planted in a transcript, titles and records, shows the mask and no
// form of the name; the protection officer's pages show the name, so the
// test would see a leak.
func TestReaderSeesNoSealedName(t *testing.T) {
	f := newFixture(t)
	h := newHarness(t, f)
	pages := []string{"/", "/search?q=%EB%91%90%EB%A7%8C%EA%B0%95", "/search?q=" + url.QueryEscape("Tumen"),
		"/show/" + f.item.String(), "/show/" + f.trans.String(), "/show/" + f.testimony.String(), "/show/" + f.person.String(),
		"/show/" + f.ev.String(), "/show/" + f.place.String(), "/log", "/timeline", "/map",
		"/records?kind=person", "/records?kind=event", "/records?kind=testimony"}
	admin := h.browser()
	admin.mustLogin("admin", adminPass)
	if r := admin.get("/show/" + f.item.String()); !strings.Contains(r.body, sealedKo) {
		t.Fatalf("the protection officer does not see the name: the fixture plants nothing")
	}
	reader := h.browser()
	reader.mustLogin("reader", readerPass)
	masked := 0
	for _, p := range pages {
		r := reader.get(p)
		if r.StatusCode != http.StatusOK {
			t.Errorf("reader %s: %s", p, r.Status)
			continue
		}
		for _, name := range sealedForms {
			if strings.Contains(r.body, name) {
				t.Errorf("reader %s shows %q", p, name)
			}
		}
		if strings.Contains(r.body, archive.Mask) {
			masked++
		}
	}
	if masked < 4 {
		t.Errorf("the mask shows on only %d pages: the name was not where the test planted it", masked)
	}
	// The reader may neither open the vault nor preview a publication.
	if r := reader.get("/vault"); r.StatusCode != http.StatusForbidden {
		t.Errorf("reader /vault: %s", r.Status)
	}
	if r := reader.get("/publish"); r.StatusCode != http.StatusForbidden {
		t.Errorf("reader /publish: %s", r.Status)
	}
	// A search for the name finds nothing (the page repeats the query the
	// reader typed, so only its results are checked).
	for _, q := range []string{sealedKo, sealedRR, "영남"} {
		r := reader.get("/search?q=" + url.QueryEscape(q))
		hits := regexp.MustCompile(`(?s)<ol class="hits">(.*?)</ol>`).FindStringSubmatch(r.body)
		if !strings.Contains(r.body, "0 found") || hits == nil || strings.Contains(hits[1], "<li>") {
			t.Errorf("a reader's search for %q finds something", q)
		}
	}
}

func TestXSSEscaped(t *testing.T) {
	f := newFixture(t)
	h := newHarness(t, f)
	b := h.browser()
	b.mustLogin("admin", adminPass)
	for _, p := range []string{"/", "/show/" + f.xssItem.String(), "/search?q=plain"} {
		r := b.get(p)
		if strings.Contains(r.body, xssTitle) || !strings.Contains(r.body, "&lt;script&gt;") {
			t.Errorf("%s: the title's markup is not escaped", p)
		}
	}
}

func TestLoginSlowed(t *testing.T) {
	h := newHarness(t, newFixture(t))
	b := h.browser()
	for i := 0; i < freeFailures; i++ {
		if r := b.login("reader", "wrong passphrase"); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %s", i+1, r.Status)
		}
	}
	// Now even the right passphrase waits, for this user …
	r := b.login("reader", readerPass)
	if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("attempt after %d failures: %s", freeFailures, r.Status)
	}
	// … and from this address for another user too.
	if r := b.login("admin", adminPass); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("another user from the same address: %s", r.Status)
	}
	if n := h.srv.sessions.len(); n != 0 {
		t.Fatalf("%d sessions while slowed", n)
	}
	h.clock.add(delayAfter(freeFailures) + time.Second)
	b.mustLogin("reader", readerPass)
}

func TestIdleTimeoutEndsSession(t *testing.T) {
	h := newHarness(t, newFixture(t))
	b := h.browser()
	b.mustLogin("reader", readerPass)
	h.clock.add(h.srv.cfg.IdleTimeout - time.Minute)
	if r := b.get("/"); r.StatusCode != http.StatusOK || !strings.Contains(r.body, `data-idle="900"`) {
		t.Fatalf("before the timeout: %s", r.Status)
	}
	var ss *session
	for _, s := range h.srv.sessions.byID {
		ss = s
	}
	h.clock.add(h.srv.cfg.IdleTimeout + time.Second)
	if r := b.get("/"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the timeout: %s", r.Status)
	}
	if h.srv.sessions.len() != 0 || !ss.closed {
		t.Fatal("an idle session was not closed")
	}
	// The sweeper closes idle sessions nobody asks for.
	b.mustLogin("reader", readerPass)
	h.clock.add(h.srv.cfg.IdleTimeout + time.Second)
	h.srv.sessions.expire(h.clock.now(), h.srv.cfg.IdleTimeout)
	if h.srv.sessions.len() != 0 {
		t.Fatal("expire left an idle session")
	}
}

func TestVaultNeedsPassphraseAgain(t *testing.T) {
	h := newHarness(t, newFixture(t))
	b := h.browser()
	b.mustLogin("admin", adminPass)
	if r := b.get("/vault"); r.StatusCode != http.StatusOK || strings.Contains(r.body, pseudonym) || !strings.Contains(r.body, `action="/reauth"`) {
		t.Fatalf("vault before re-entering the passphrase: %s", r.Status)
	}
	tok := b.csrf()
	if r := b.post("/reauth", url.Values{"csrf": {tok}, "passphrase": {"wrong passphrase"}, "next": {"/vault"}}); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("reauth with a wrong passphrase: %s", r.Status)
	}
	if r := b.post("/reauth", url.Values{"csrf": {tok}, "passphrase": {adminPass}, "next": {"/vault"}}); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/vault" {
		t.Fatalf("reauth: %s %s", r.Status, r.Header.Get("Location"))
	}
	if r := b.get("/vault"); !strings.Contains(r.body, pseudonym) {
		t.Fatal("the vault does not list the witness after reauth")
	}
	h.clock.add(h.srv.cfg.ReauthWindow + time.Second)
	if r := b.get("/vault"); strings.Contains(r.body, pseudonym) {
		t.Fatal("the vault stays open past the reauth window")
	}
}

func TestLanguage(t *testing.T) {
	h := newHarness(t, newFixture(t))
	b := h.browser()
	req, _ := http.NewRequest("GET", h.ts.URL+"/login", nil)
	req.Header.Set("Accept-Language", "ko-KR,ko;q=0.9,en;q=0.5")
	if r := b.do(req); !strings.Contains(r.body, `<html lang="ko">`) || !strings.Contains(r.body, "암호 문구") {
		t.Fatal("Accept-Language ko does not give Korean")
	}
	r := b.get("/lang?to=ko&next=/login")
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
		t.Fatalf("switch: %s %s", r.Status, r.Header.Get("Location"))
	}
	if r := b.get("/login"); !strings.Contains(r.body, "암호 문구") {
		t.Fatal("the switch does not stick")
	}
	if r := b.get("/lang?to=en&next=//evil.example/"); r.Header.Get("Location") != "/" {
		t.Fatalf("the switch redirects off-site: %s", r.Header.Get("Location"))
	}
}

// TestMessages: every UI string has both languages, and every key the
// templates and code name exists.
var keyRe = regexp.MustCompile(`\.(?:T|F) "([a-z.]+)"|"((?:login|err|nav|t|tl|prec|pub|vault|log|map|dash|search|facet|item|rec|consent|col|sig|verify|list|kind|field|intake|sel)\.[a-z]+)"`)

func TestMessages(t *testing.T) {
	for k, m := range messages {
		if strings.TrimSpace(m[0]) == "" || strings.TrimSpace(m[1]) == "" {
			t.Errorf("message %q lacks a language", k)
		}
	}
	var sources []string
	fs.WalkDir(templateFS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := templateFS.ReadFile(p)
			sources = append(sources, string(b))
		}
		return nil
	})
	for _, p := range []string{"auth.go", "render.go", "session.go", "views.go", "pages.go", "records.go", "intake.go", "selection.go"} {
		b, err := readFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, b)
	}
	for _, src := range sources {
		for _, m := range keyRe.FindAllStringSubmatch(src, -1) {
			k := m[1] + m[2]
			if _, ok := messages[k]; !ok {
				t.Errorf("message key %q is used but not defined", k)
			}
		}
	}
	for _, p := range []string{"day", "month", "year", "decade", "unknown"} {
		if _, ok := messages["prec."+p]; !ok {
			t.Errorf("no message for precision %s", p)
		}
	}
	for _, r := range archive.Roles() {
		if _, ok := messages["role."+r]; !ok {
			t.Errorf("no message for role %s", r)
		}
	}
	for _, k := range model.Kinds {
		if _, ok := messages["kind."+k]; !ok {
			t.Errorf("no message for record kind %s", k)
		}
	}
}

func TestVerifyFromLogPage(t *testing.T) {
	h := newHarness(t, newFixture(t))
	b := h.browser()
	b.mustLogin("reader", readerPass)
	tok := b.csrf()
	if r := b.post("/log", url.Values{"mode": {"quick"}}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("verify without CSRF: %s", r.Status)
	}
	for _, mode := range []string{"quick", "full"} {
		r := b.post("/log", url.Values{"csrf": {tok}, "mode": {mode}})
		if r.StatusCode != http.StatusOK || !strings.Contains(r.body, mode+" check passed") {
			t.Errorf("%s verification as reader: %s\n%s", mode, r.Status, r.body)
		}
	}
}

// TestSecureCookies: under TLS (or a TLS proxy) the session cookie is
// Secure and __Host- prefixed, and responses ask for HSTS.
func TestSecureCookies(t *testing.T) {
	h := newHarnessWith(t, newFixture(t), Config{Secure: true})
	b := h.browser()
	page := b.get("/login")
	if page.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS header under TLS")
	}
	var pre *http.Cookie
	for _, c := range page.Cookies() {
		if c.Name == preCookie {
			pre = c
		}
	}
	if pre == nil || !pre.Secure || !pre.HttpOnly {
		t.Fatalf("pre-session cookie: %+v", pre)
	}
	// The jar does not send Secure cookies over the test's plain HTTP, so
	// post the form with the cookie by hand.
	m := csrfField.FindStringSubmatch(page.body)
	form := url.Values{"csrf": {m[1]}, "user": {"reader"}, "passphrase": {readerPass}}
	req, _ := http.NewRequest("POST", h.ts.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: preCookie, Value: pre.Value})
	r := b.do(req)
	var sess *http.Cookie
	for _, c := range r.Cookies() {
		if c.Name == "__Host-sori" {
			sess = c
		}
	}
	if r.StatusCode != http.StatusSeeOther || sess == nil || !sess.Secure || !sess.HttpOnly || sess.SameSite != http.SameSiteStrictMode || sess.Path != "/" || sess.Domain != "" {
		t.Fatalf("login under TLS: %s, cookie %+v", r.Status, sess)
	}
}

// TestRecordPageLabels: a record's fields and vocabulary codes are named in
// the page's language.
func TestRecordPageLabels(t *testing.T) {
	f := newFixture(t)
	h := newHarness(t, f)
	b := h.browser()
	b.mustLogin("admin", adminPass)
	if r := b.get("/show/" + f.place.String()); !strings.Contains(r.body, "River crossing point (unofficial) (river_crossing)") || !strings.Contains(r.body, "Latitude") {
		t.Errorf("English place page lacks labels:\n%s", r.body)
	}
	if r := b.get("/show/" + f.testimony.String()); !strings.Contains(r.body, `href="/show/`+f.ev.String()+`"`) || !strings.Contains(r.body, "crossed with "+sealedKo) {
		t.Errorf("the testimony page does not list its item's annotation")
	}
	if r := b.get("/show/" + f.item.String()); !strings.Contains(r.body, `href="/show/`+f.testimony.String()+`"`) || !strings.Contains(r.body, `href="/show/`+f.note.String()+`"`) {
		t.Errorf("the item page does not link its testimony and annotation")
	}
	if r := b.get("/show/" + f.ev.String()); !strings.Contains(r.body, `href="/show/`+f.note.String()+`"`) {
		t.Errorf("the event page does not link the annotation pointing to it")
	}
	b.get("/lang?to=ko&next=/")
	if r := b.get("/show/" + f.place.String()); !strings.Contains(r.body, "도강 지점 (river_crossing)") || !strings.Contains(r.body, "위도") {
		t.Errorf("Korean place page lacks labels:\n%s", r.body)
	}
}

func TestStaticFilesNoListing(t *testing.T) {
	h := newHarness(t, newFixture(t))
	b := h.browser()
	if r := b.get("/static/htmx.min.js"); r.StatusCode != http.StatusOK || r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("htmx: %s", r.Status)
	}
	if r := b.get("/static/"); r.StatusCode != http.StatusNotFound {
		t.Errorf("/static/ lists its files: %s", r.Status)
	}
}
