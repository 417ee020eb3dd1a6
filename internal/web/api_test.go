package web

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"sori/internal/archive"
)

const (
	investigatorPass = "investigator passphrase 1"
	analystPass      = "analyst passphrase 1"
)

// apiFixture is the web fixture with a user of every role and a token
// each, made before the server opens the archive.
type apiFixture struct {
	*fixture
	tokens map[string]string // role → token
	pass   map[string]string // role → user's passphrase
	clock  *clock
}

var roleUsers = map[string]string{
	archive.RoleAdmin: "admin", archive.RoleInvestigator: "investigator",
	archive.RoleAnalyst: "analyst", archive.RoleReader: "reader",
}

func newAPIFixture(t *testing.T) *apiFixture {
	t.Helper()
	ctx := t.Context()
	af := &apiFixture{fixture: newFixture(t), tokens: map[string]string{}, clock: &clock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)},
		pass: map[string]string{archive.RoleAdmin: adminPass, archive.RoleInvestigator: investigatorPass,
			archive.RoleAnalyst: analystPass, archive.RoleReader: readerPass}}
	a := af.open(t, "admin", adminPass)
	if _, err := a.AddUser(ctx, "investigator", archive.RoleInvestigator, investigatorPass); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddUser(ctx, "analyst", archive.RoleAnalyst, analystPass); err != nil {
		t.Fatal(err)
	}
	a.Close()
	for role, user := range roleUsers {
		a := af.open(t, user, af.pass[role])
		tok, _, err := a.CreateToken(ctx, "tests", 0)
		if err != nil {
			t.Fatal(err)
		}
		af.tokens[role] = tok
		a.Close()
	}
	return af
}

func (af *apiFixture) open(t *testing.T, user, pass string) *archive.Archive {
	t.Helper()
	a, err := archive.Open(t.Context(), af.dir, user, pass, archive.Options{WorkFactor: workFactor(), Now: af.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// serve starts the server as sori serve does, with both unlockers, on the
// fixture's clock.
func (af *apiFixture) serve(t *testing.T) *harness {
	t.Helper()
	repo, err := archive.OpenRepo(t.Context(), af.dir, archive.Options{WorkFactor: workFactor(), Now: af.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Unlock: repo.Unlock, UnlockToken: repo.UnlockToken, Now: af.clock.now})
	if err != nil {
		repo.Close()
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { ts.Close(); srv.Close(); repo.Close() })
	return &harness{t: t, f: af.fixture, srv: srv, ts: ts, clock: af.clock}
}

// call makes an API request with token tok ("" for none).
func (h *harness) call(method, path, tok string) response {
	h.t.Helper()
	req, _ := http.NewRequest(method, h.ts.URL+path, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp, string(b)}
}

type apiErr struct {
	Error struct {
		Status  int    `json:"status"`
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// wantError checks the one error shape.
func wantError(t *testing.T, what string, r response, status int, code string) apiErr {
	t.Helper()
	var e apiErr
	if r.StatusCode != status || json.Unmarshal([]byte(r.body), &e) != nil || e.Error.Status != status || e.Error.Code != code ||
		e.Error.Message == "" || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("%s: %s %q, want %d %s in the error shape", what, r.Status, r.body, status, code)
	}
	return e
}

func TestAPIAuthentication(t *testing.T) {
	af := newAPIFixture(t)
	h := af.serve(t)
	r := h.call("GET", "/api/v1/items", "")
	wantError(t, "anonymous", r, 401, "unauthorized")
	if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("anonymous: WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
	}
	tok := af.tokens[archive.RoleReader]
	id, secret, _ := archive.ParseToken(tok)
	for name, bad := range map[string]string{"garbage": "abc", "other secret": "sori_" + id + "_" + strings.Replace(secret, secret[20:22], "QQ", 1)} {
		r := h.call("GET", "/api/v1/me", bad)
		e := wantError(t, name, r, 401, "unauthorized")
		if strings.Contains(r.body, secret) || strings.Contains(e.Error.Message, bad) {
			t.Errorf("%s: the answer repeats the token", name)
		}
	}
	r = h.call("GET", "/api/v1/me", tok)
	var me apiMe
	if r.StatusCode != 200 || json.Unmarshal([]byte(r.body), &me) != nil || me.User != "reader" || me.Via != "token" || me.Token != id {
		t.Fatalf("me with a token: %s %s", r.Status, r.body)
	}
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", r.Header.Get("Cache-Control"))
	}
	// Many requests with one token unlock one session.
	for range 5 {
		h.call("GET", "/api/v1/me", tok)
	}
	if n := h.srv.tokens.len(); n != 1 {
		t.Errorf("%d token sessions for one token", n)
	}
	// A web login's cookie reads; it does not change.
	b := h.browser()
	b.mustLogin("reader", readerPass)
	if r := b.get("/api/v1/me"); r.StatusCode != 200 || !strings.Contains(r.body, `"via":"login"`) {
		t.Errorf("me with a login: %s %s", r.Status, r.body)
	}
	wantError(t, "POST with a cookie", b.post("/api/v1/verify", nil), 403, "forbidden")
	wantError(t, "unknown route", h.call("GET", "/api/v1/nothing", tok), 404, "not_found")
}

// apiRoutesFor are the requests of every API route for fixture f, with
// the operation each needs (-1: none).
func apiCalls(f *fixture) []struct {
	method, path string
	op           archive.Op
} {
	return []struct {
		method, path string
		op           archive.Op
	}{
		{"GET", "/api/v1/me", -1},
		{"GET", "/api/v1/items", archive.OpList},
		{"GET", "/api/v1/items/" + f.item.String(), archive.OpShow},
		{"GET", "/api/v1/items/" + f.item.String() + "/content", archive.OpCat},
		{"GET", "/api/v1/items/" + f.trans.String() + "/content", archive.OpCat},
		{"GET", "/api/v1/testimonies", archive.OpList},
		{"GET", "/api/v1/testimonies/" + f.testimony.String(), archive.OpShow},
		{"GET", "/api/v1/records", archive.OpList},
		{"GET", "/api/v1/records?kind=person", archive.OpList},
		{"GET", "/api/v1/records/" + f.person.String(), archive.OpShow},
		{"GET", "/api/v1/records/" + f.ev.String(), archive.OpShow},
		{"GET", "/api/v1/records/" + f.note.String(), archive.OpShow},
		{"GET", "/api/v1/search?q=" + url.QueryEscape(sealedKo), archive.OpSearch},
		{"GET", "/api/v1/search?q=" + url.QueryEscape(sealedRR), archive.OpSearch},
		{"GET", "/api/v1/search?q=" + url.QueryEscape("두만강"), archive.OpSearch},
		{"GET", "/api/v1/search?q=Tumen&limit=5", archive.OpSearch},
		{"GET", "/api/v1/custody", archive.OpLog},
		{"GET", "/api/v1/custody?object=" + f.item.String(), archive.OpLog},
		{"POST", "/api/v1/verify", archive.OpVerify},
		{"GET", "/api/v1/verify", archive.OpVerify},
		{"GET", "/api/v1/publish/preview", archive.OpPublish},
	}
}

// TestAPIRoleAndLeakMatrix calls every route as a user of every role: what
// the role matrix allows answers 200, the rest 403 in the error shape; and
// no answer to a role without protection holds a sealed name in any form,
// while the protection officer's answers do (so the check can fail).
func TestAPIRoleAndLeakMatrix(t *testing.T) {
	af := newAPIFixture(t)
	h := af.serve(t)
	for _, role := range []string{archive.RoleAdmin, archive.RoleInvestigator, archive.RoleAnalyst, archive.RoleReader} {
		tok := af.tokens[role]
		user := roleUsers[role]
		stored := role
		if role == archive.RoleAdmin {
			stored = archive.RoleAdmin + "," + archive.RoleProtection // the first admin
		}
		sees := archive.Permits(stored, archive.OpVaultOpen)
		var all strings.Builder
		for _, c := range apiCalls(af.fixture) {
			r := h.call(c.method, c.path, tok)
			want := c.op < 0 || archive.Permits(stored, c.op)
			switch {
			case want && r.StatusCode != 200:
				t.Errorf("%s %s %s: %s %s", user, c.method, c.path, r.Status, r.body)
			case !want:
				wantError(t, user+" "+c.method+" "+c.path, r, 403, "forbidden")
			}
			all.WriteString(r.body)
		}
		found := ""
		for _, form := range sealedForms {
			if strings.Contains(all.String(), form) {
				found = form
			}
		}
		switch {
		case !sees && found != "":
			t.Errorf("%s (%s) was sent the sealed name %q", user, role, found)
		case sees && found == "":
			t.Errorf("%s (protection) was sent no sealed name: the leak check cannot fail", user)
		}
	}
}

func TestAPIContentAndPages(t *testing.T) {
	af := newAPIFixture(t)
	h := af.serve(t)
	tok := af.tokens[archive.RoleInvestigator]
	r := h.call("GET", "/api/v1/items/"+af.trans.String()+"/content", tok)
	if r.StatusCode != 200 || r.Header.Get("Content-Type") != "application/octet-stream" || !strings.Contains(r.body, "Tumen") || strings.Contains(r.body, sealedRR) {
		t.Fatalf("content: %s %q", r.Status, r.body)
	}
	var p apiPage[apiItemEntry]
	r = h.call("GET", "/api/v1/items?limit=1&offset=1", tok)
	if err := json.Unmarshal([]byte(r.body), &p); err != nil || len(p.Items) != 1 || !p.More || p.Items[0].ID != af.trans {
		t.Fatalf("page of items: %s %s", r.Status, r.body)
	}
	for _, q := range []string{"limit=0", "limit=x", "offset=-1", "limit=100000"} {
		wantError(t, q, h.call("GET", "/api/v1/items?"+q, tok), 400, "invalid")
	}
	wantError(t, "search without q", h.call("GET", "/api/v1/search", tok), 400, "invalid")
	wantError(t, "snippets=maybe", h.call("GET", "/api/v1/search?q=Tumen&snippets=maybe", tok), 400, "invalid")
	var bare apiSearchResult
	r = h.call("GET", "/api/v1/search?q=Tumen&snippets=false", tok)
	if json.Unmarshal([]byte(r.body), &bare) != nil || len(bare.Hits) == 0 || bare.Hits[0].Snippet != "" {
		t.Errorf("search without snippets: %s", r.body)
	}
	wantError(t, "bad kind", h.call("GET", "/api/v1/records?kind=nonsense", tok), 400, "invalid")
	wantError(t, "unknown item", h.call("GET", "/api/v1/items/00ff00ff00ff", tok), 404, "not_found")
	wantError(t, "a person as a testimony", h.call("GET", "/api/v1/testimonies/"+af.person.String(), tok), 404, "not_found")
	var ti struct {
		Kind  string             `json:"kind"`
		Items []archive.ItemInfo `json:"items"`
	}
	r = h.call("GET", "/api/v1/testimonies/"+af.testimony.String(), tok)
	if json.Unmarshal([]byte(r.body), &ti) != nil || ti.Kind != "testimony" || len(ti.Items) != 2 {
		t.Fatalf("testimony: %s %s", r.Status, r.body)
	}
	var sr apiSearchResult
	r = h.call("GET", "/api/v1/search?q="+url.QueryEscape("두만강"), tok)
	if json.Unmarshal([]byte(r.body), &sr) != nil || len(sr.Hits) == 0 {
		t.Fatalf("search: %s %s", r.Status, r.body)
	}
	// Reading a testimony's item by the API is an audited read, signed by
	// the token's user.
	var cu apiCustodyResult
	r = h.call("GET", "/api/v1/custody?object="+af.trans.String(), tok)
	if json.Unmarshal([]byte(r.body), &cu) != nil || len(cu.Entries) == 0 || cu.Entries[0].Kind != "read" || cu.Entries[0].ActorName != "investigator" {
		t.Fatalf("custody of the read item: %s", r.body)
	}
}

// TestAPITokensRefused: a token revoked, expired, of a removed user, or of
// a user whose role changed is refused with 401, also when its session is
// already open in the server.
func TestAPITokensRefused(t *testing.T) {
	af := newAPIFixture(t)
	ctx := t.Context()
	a := af.open(t, "analyst", analystPass)
	short, _, err := a.CreateToken(ctx, "an hour", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	// Removal and role changes rotate keys: an archive-wide change, made
	// while no server holds the archive.
	adm := af.open(t, "admin", adminPass)
	if err := adm.RemoveUser(ctx, "investigator"); err != nil {
		t.Fatal(err)
	}
	adm.Close()
	h := af.serve(t)
	e := wantError(t, "removed user", h.call("GET", "/api/v1/me", af.tokens[archive.RoleInvestigator]), 401, "unauthorized")
	if !strings.Contains(e.Error.Message, "removed") {
		t.Errorf("removed user's token: %q", e.Error.Message)
	}
	// The other users' tokens survived the rotation.
	for _, role := range []string{archive.RoleAdmin, archive.RoleAnalyst, archive.RoleReader} {
		if r := h.call("GET", "/api/v1/search?q=Tumen", af.tokens[role]); r.StatusCode != 200 {
			t.Errorf("%s's token after a rotation: %s %s", role, r.Status, r.body)
		}
	}

	if r := h.call("GET", "/api/v1/me", short); r.StatusCode != 200 {
		t.Fatalf("one-hour token: %s", r.Status)
	}
	af.clock.add(time.Hour)
	e = wantError(t, "expired", h.call("GET", "/api/v1/me", short), 401, "unauthorized")
	if !strings.Contains(e.Error.Message, "expired") {
		t.Errorf("expired token: %q", e.Error.Message)
	}

	// Revoked by the CLI's path (another session) while the server holds
	// the token's session.
	tok := af.tokens[archive.RoleReader]
	id, _, _ := archive.ParseToken(tok)
	if r := h.call("GET", "/api/v1/me", tok); r.StatusCode != 200 {
		t.Fatal(r.Status)
	}
	rd := af.open(t, "admin", adminPass)
	if _, err := rd.RevokeToken(ctx, id); err != nil {
		t.Fatal(err)
	}
	rd.Close()
	// The server's minute check drops the revoked token's session (its
	// keys) without waiting for a request.
	before := h.srv.tokens.len()
	h.srv.recheckTokens(ctx)
	if n := h.srv.tokens.len(); n != before-1 {
		t.Errorf("token sessions: %d before the check, %d after", before, n)
	}
	e = wantError(t, "revoked", h.call("GET", "/api/v1/me", tok), 401, "unauthorized")
	if !strings.Contains(e.Error.Message, "revoked") {
		t.Errorf("revoked token: %q", e.Error.Message)
	}
	wantError(t, "revoked again", h.call("GET", "/api/v1/me", tok), 401, "unauthorized")

	// Verification accepts the token and second-factor custody entries.
	r := h.call("POST", "/api/v1/verify?mode=full", af.tokens[archive.RoleAdmin])
	var st apiVerifyStatus
	if json.Unmarshal([]byte(r.body), &st) != nil || !st.OK || st.Report == nil {
		t.Fatalf("verify: %s %s", r.Status, r.body)
	}
}

// TestAPITokenRoleChanged: a token made before its user's role changed is
// refused (the user makes a new one).
func TestAPITokenRoleChanged(t *testing.T) {
	af := newAPIFixture(t)
	adm := af.open(t, "admin", adminPass)
	if _, _, err := adm.ChangeRole(t.Context(), "reader", archive.RoleAnalyst, ""); err != nil {
		t.Fatal(err)
	}
	adm.Close()
	h := af.serve(t)
	e := wantError(t, "role changed", h.call("GET", "/api/v1/me", af.tokens[archive.RoleReader]), 401, "unauthorized")
	if !strings.Contains(e.Error.Message, "role") {
		t.Errorf("role changed: %q", e.Error.Message)
	}
}

// TestOpenAPIMatchesRoutes: every route registered under /api/v1 is in the
// OpenAPI document, and every operation there is served by a route.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi.json: %v %q", err, doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for m := range ops {
			documented[strings.ToUpper(m)+" "+path] = true
		}
	}
	af := newAPIFixture(t)
	h := af.serve(t)
	registered := map[string]bool{"GET /api/v1/openapi.json": true}
	for _, rt := range h.srv.apiRoutes() {
		registered[rt.method+" "+rt.path] = true
	}
	for r := range registered {
		if !documented[r] {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	for d := range documented {
		if !registered[d] {
			t.Errorf("openapi.json documents %s, which no route serves", d)
		}
		// The server's own mux serves it (not the catch-all 404).
		method, path, _ := strings.Cut(d, " ")
		path = strings.ReplaceAll(path, "{id}", af.item.String())
		req := httptest.NewRequest(method, path, nil)
		if _, pattern := h.srv.mux.Handler(req); pattern != d {
			t.Errorf("%s is served by pattern %q", d, pattern)
		}
	}
	r := h.call("GET", "/api/v1/openapi.json", "")
	if r.StatusCode != 200 || r.body != string(openAPIDoc) {
		t.Errorf("GET openapi.json: %s", r.Status)
	}
	// A route registered outside apiRoutes (a pattern written straight
	// into server.go) is caught by its string: every "/api/v1…" literal in
	// the package's code names a documented path.
	paths := map[string]bool{}
	for d := range documented {
		_, p, _ := strings.Cut(d, " ")
		paths[p] = true
	}
	fset := token.NewFileSet()
	files, _ := filepath.Glob("*.go")
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			v, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			for _, m := range apiPathLit.FindAllString(v, -1) {
				if !paths[m] {
					t.Errorf("%s: %q names %s, which openapi.json does not document", fset.Position(lit.Pos()), v, m)
				}
			}
			return true
		})
	}
}

// apiPathLit finds API paths in a string: /api/v1/ and what follows up to
// a space, quote or query.
var apiPathLit = regexp.MustCompile(`/api/v1/[^\s"'?)]*`)

// TestAPIPagesAfter: walking items and records a page at a time by
// ?after=next gives what walking by ?offset gives, and the whole listing;
// next is there exactly when more is; a malformed after is 400, an unknown
// one 404.
func TestAPIPagesAfter(t *testing.T) {
	af := newAPIFixture(t)
	h := af.serve(t)
	tok := af.tokens[archive.RoleReader]
	for _, route := range []string{"/api/v1/items", "/api/v1/records"} {
		type entry struct {
			ID string `json:"id"`
		}
		page := func(q string) apiPage[entry] {
			var p apiPage[entry]
			r := h.call("GET", route+"?"+q, tok)
			if err := json.Unmarshal([]byte(r.body), &p); err != nil || r.StatusCode != 200 {
				t.Fatalf("%s?%s: %s %v", route, q, r.Status, err)
			}
			// next is the last ID (items) or the last ID and its
			// record's version (records).
			last, _, _ := strings.Cut(p.Next, ":")
			if p.More != (p.Next != "") || (p.More && last != p.Items[len(p.Items)-1].ID) ||
				(p.More && strings.Contains(route, "records") != strings.Contains(p.Next, ":")) {
				t.Errorf("%s?%s: more %v, next %q, last %v", route, q, p.More, p.Next, p.Items)
			}
			return p
		}
		var whole []string
		for _, e := range page("limit=1000").Items {
			whole = append(whole, e.ID)
		}
		if len(whole) < 3 {
			t.Fatalf("%s: %d entries: the walk tests little", route, len(whole))
		}
		var byAfter, byOffset []string
		q := "limit=2"
		for {
			p := page(q)
			for _, e := range p.Items {
				byAfter = append(byAfter, e.ID)
			}
			if !p.More {
				break
			}
			q = "limit=2&after=" + p.Next
		}
		for off := 0; ; off += 2 {
			p := page(fmt.Sprintf("limit=2&offset=%d", off))
			for _, e := range p.Items {
				byOffset = append(byOffset, e.ID)
			}
			if !p.More {
				break
			}
		}
		if !slices.Equal(byAfter, whole) || !slices.Equal(byOffset, whole) {
			t.Errorf("%s: by after %v, by offset %v, whole %v", route, byAfter, byOffset, whole)
		}
		// after and offset together: offset counts from after.
		if p := page("limit=1&offset=1&after=" + whole[0]); len(p.Items) != 1 || p.Items[0].ID != whole[2] {
			t.Errorf("%s: after the first, offset 1: %v", route, p.Items)
		}
		wantError(t, route+" after=x", h.call("GET", route+"?after=x", tok), 400, "invalid")
		wantError(t, route+" after a short prefix", h.call("GET", route+"?after="+whole[0][:8], tok), 400, "invalid")
		unknown := strings.Repeat("0", len(whole[0])-1) + "1"
		wantError(t, route+" after an unknown ID", h.call("GET", route+"?after="+unknown, tok), 404, "not_found")
		if route == "/api/v1/items" {
			wantError(t, route+" after an ID:version", h.call("GET", route+"?after="+whole[0]+":1", tok), 400, "invalid")
			continue
		}
		for _, v := range []string{"0", "x", "01", "-1", ""} {
			wantError(t, route+" after version "+v, h.call("GET", route+"?after="+whole[0]+":"+v, tok), 400, "invalid")
		}
		wantError(t, route+" after an unknown version", h.call("GET", route+"?after="+whole[0]+":99", tok), 404, "not_found")
	}
}
