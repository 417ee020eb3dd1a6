package web

import (
	"context"
	"encoding/json"
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

var (
	sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\})? (-?[0-9.e+-]+|\+Inf|NaN)$`)
	labelPair  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"`)
)

// TestMetricsFormat reads /metrics after requests that carry IDs, user
// names and queries: every line is valid Prometheus text format, every
// sample's family has a TYPE, histograms are cumulative with +Inf equal
// to the count, and no label value is anything but a route pattern, a
// status code, a bucket bound or a session kind.
func TestMetricsFormat(t *testing.T) {
	af := newAPIFixture(t)
	h := af.serve(t)
	tok := af.tokens[archive.RoleReader]
	h.call("GET", "/api/v1/items/"+af.item.String(), tok)
	h.call("GET", "/api/v1/search?q="+url.QueryEscape("Tumen crossing"), tok)
	h.call("GET", "/api/v1/publish/preview", tok) // 403
	h.call("GET", "/api/v1/items/"+af.item.String()+"/nothing", tok)
	h.call("POST", "/api/v1/verify", af.tokens[archive.RoleAdmin])
	b := h.browser()
	b.mustLogin("reader", readerPass)
	b.get("/show/" + af.item.String())
	b.get("/nowhere/" + af.person.String())

	r := h.call("GET", "/metrics", "")
	if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("metrics: %s %s", r.Status, r.Header.Get("Content-Type"))
	}
	types := map[string]string{}
	patterns := map[string]bool{"unmatched": true, "/api/": true}
	for _, rt := range h.srv.apiRoutes() {
		patterns[rt.method+" "+rt.path] = true
	}
	buckets := map[string][]float64{} // route → cumulative counts
	counts := map[string]float64{}
	samples := map[string]float64{}
	for _, line := range strings.Split(strings.TrimSuffix(r.body, "\n"), "\n") {
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			f := strings.Fields(rest)
			if len(f) != 2 || !slices.Contains([]string{"counter", "gauge", "histogram"}, f[1]) {
				t.Errorf("bad TYPE line %q", line)
				continue
			}
			types[f[0]] = f[1]
			continue
		}
		if strings.HasPrefix(line, "# HELP ") {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("not a sample line: %q", line)
			continue
		}
		name, v := m[1], m[4]
		val, err := strconv.ParseFloat(v, 64)
		if err != nil && v != "+Inf" {
			t.Errorf("bad value in %q", line)
		}
		family := name
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(name, suf); ok && types[base] == "histogram" {
				family = base
			}
		}
		if types[family] == "" {
			t.Errorf("sample %q before or without a TYPE", line)
		}
		labels := map[string]string{}
		for _, p := range labelPair.FindAllStringSubmatch(m[3], -1) {
			labels[p[1]] = p[2]
		}
		for k, lv := range labels {
			switch k {
			case "route":
				if !patterns[lv] && !strings.Contains(lv, " /") {
					t.Errorf("route label %q is not a pattern", lv)
				}
				if strings.Contains(lv, af.item.String()) || strings.Contains(lv, "reader") || strings.Contains(lv, "Tumen") {
					t.Errorf("label %q identifies", lv)
				}
			case "code":
				if _, err := strconv.Atoi(lv); err != nil {
					t.Errorf("code label %q", lv)
				}
			case "le", "via":
			default:
				t.Errorf("unexpected label %s=%q", k, lv)
			}
		}
		samples[name+"{"+m[3]+"}"] = val
		switch name {
		case "sori_http_request_duration_seconds_bucket":
			buckets[labels["route"]] = append(buckets[labels["route"]], val)
		case "sori_http_request_duration_seconds_count":
			counts[labels["route"]] = val
		}
	}
	for _, bad := range []string{af.item.String(), af.person.String(), "Tumen", `"reader"`, sealedRR} {
		if strings.Contains(r.body, bad) {
			t.Errorf("/metrics holds %q", bad)
		}
	}
	for route, bs := range buckets {
		for i := 1; i < len(bs); i++ {
			if bs[i] < bs[i-1] {
				t.Errorf("%s: buckets not cumulative: %v", route, bs)
			}
		}
		if bs[len(bs)-1] != counts[route] || len(bs) != len(latencyBuckets)+1 {
			t.Errorf("%s: +Inf bucket %v, count %v", route, bs[len(bs)-1], counts[route])
		}
	}
	for key, want := range map[string]float64{
		`sori_http_requests_total{route="GET /api/v1/items/{id}",code="200"}`:      1,
		`sori_http_requests_total{route="GET /api/v1/publish/preview",code="403"}`: 1,
		`sori_http_requests_total{route="GET /show/{id}",code="200"}`:              1,
		`sori_verify_ok{}`:           1,
		`sori_sessions{via="token"}`: 2,
		`sori_sessions{via="login"}`: 1,
	} {
		if got, ok := samples[key]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", key, got, ok, want)
		}
	}
}

// TestTOTPVectors: RFC 6238 appendix B's SHA-1 vectors, last six digits.
func TestTOTPVectors(t *testing.T) {
	secret := []byte("12345678901234567890")
	for unix, want := range map[int64]string{59: "287082", 1111111109: "081804", 1111111111: "050471",
		1234567890: "005924", 2000000000: "279037", 20000000000: "353130"} {
		if got := totpAt(secret, totpStepOf(time.Unix(unix, 0))); got != want {
			t.Errorf("T=%d: %s, want %s", unix, got, want)
		}
	}
	uri := TOTPURI(secret, "sori", "reader")
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("secret") != "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" {
		t.Errorf("otpauth URI %q", uri)
	}
}

// TestTOTPLogin: a user the admin requires a second factor of logs in only
// with the current code (or the step before or after), each code once.
func TestTOTPLogin(t *testing.T) {
	af := newAPIFixture(t)
	adm := af.open(t, "admin", adminPass)
	secret, err := adm.SetTOTP(context.Background(), "reader", true)
	if err != nil {
		t.Fatal(err)
	}
	adm.Close()
	h := af.serve(t)
	login := func(code string) response {
		b := h.browser()
		page := b.get("/login")
		m := csrfField.FindStringSubmatch(page.body)
		return b.post("/login", url.Values{"csrf": {m[1]}, "user": {"reader"}, "passphrase": {readerPass}, "code": {code}})
	}
	now := af.clock.now()
	step := totpStepOf(now)
	if r := login(""); r.StatusCode != 401 {
		t.Fatalf("no code: %s", r.Status)
	}
	if r := login(totpAt(secret, step-2)); r.StatusCode != 401 {
		t.Fatalf("a code two steps old: %s", r.Status)
	}
	if r := login(totpAt(secret, step)); r.StatusCode != 303 {
		t.Fatalf("the current code: %s %s", r.Status, r.body)
	}
	if r := login(totpAt(secret, step)); r.StatusCode != 401 {
		t.Fatalf("the same code again: %s", r.Status)
	}
	// Three failures from this address: the next attempt waits a second
	// (throttle.go), still within this time step.
	af.clock.add(2 * time.Second)
	if r := login(totpAt(secret, step+1)); r.StatusCode != 303 {
		t.Fatalf("the next step's code: %s", r.Status)
	}
	af.clock.add(3 * time.Second)
	if r := login(totpAt(secret, step)); r.StatusCode != 401 {
		t.Fatalf("an older code after a newer one: %s", r.Status)
	}
	// Another user, without a second factor, needs no code (once this
	// address's wait after the failures above is over).
	af.clock.add(5 * time.Second)
	b := h.browser()
	b.mustLogin("analyst", analystPass)
}
