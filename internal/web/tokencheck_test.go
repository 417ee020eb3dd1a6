package web

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"sori/internal/archive"
)

// serveRecheck is apiFixture.serve with Config.TokenRecheck set.
func (af *apiFixture) serveRecheck(t *testing.T, recheck time.Duration) *harness {
	t.Helper()
	repo, err := archive.OpenRepo(t.Context(), af.dir, archive.Options{WorkFactor: workFactor(), Now: af.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Unlock: repo.Unlock, UnlockToken: repo.UnlockToken, Now: af.clock.now, TokenRecheck: recheck})
	if err != nil {
		repo.Close()
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { ts.Close(); srv.Close(); repo.Close() })
	return &harness{t: t, f: af.fixture, srv: srv, ts: ts, clock: af.clock}
}

// revokeElsewhere revokes tok as another process would: its own Repo.
func (af *apiFixture) revokeElsewhere(t *testing.T, tok string) {
	t.Helper()
	id, _, err := archive.ParseToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	a := af.open(t, "admin", adminPass)
	defer a.Close()
	if _, err := a.RevokeToken(t.Context(), id); err != nil {
		t.Fatal(err)
	}
}

// TestTokenCheckStandsAMoment: one check of a token against the archive
// stands for the requests of the next TokenRecheck (the server's clock),
// and no longer: a revocation by another process refuses every request
// made once that has passed since it.
func TestTokenCheckStandsAMoment(t *testing.T) {
	af := newAPIFixture(t)
	h := af.serve(t) // the default TokenRecheck
	tok := af.tokens[archive.RoleReader]
	if r := h.call("GET", "/api/v1/search?q=Tumen", tok); r.StatusCode != 200 {
		t.Fatalf("search: %s %s", r.Status, r.body)
	}
	af.revokeElsewhere(t, tok)
	// The fixture's clock has not moved: the check made by the search
	// still stands, and the database is not read again.
	if r := h.call("GET", "/api/v1/me", tok); r.StatusCode != 200 {
		t.Fatalf("within %s of a check: %s %s", defaultTokenRecheck, r.Status, r.body)
	}
	af.clock.add(defaultTokenRecheck)
	e := wantError(t, "revoked", h.call("GET", "/api/v1/me", tok), 401, "unauthorized")
	if !strings.Contains(e.Error.Message, "revoked") {
		t.Errorf("revoked token: %q", e.Error.Message)
	}
	if n := h.srv.tokens.len(); n != 0 {
		t.Errorf("%d token sessions held after the refusal", n)
	}
	wantError(t, "revoked again", h.call("GET", "/api/v1/me", tok), 401, "unauthorized")
}

// TestTokenCheckEveryRequest: a negative TokenRecheck checks the token at
// every request, so a revocation by another process holds at the next one.
func TestTokenCheckEveryRequest(t *testing.T) {
	af := newAPIFixture(t)
	h := af.serveRecheck(t, -1)
	tok := af.tokens[archive.RoleAnalyst]
	if r := h.call("GET", "/api/v1/me", tok); r.StatusCode != 200 {
		t.Fatalf("me: %s %s", r.Status, r.body)
	}
	af.revokeElsewhere(t, tok)
	e := wantError(t, "revoked", h.call("GET", "/api/v1/me", tok), 401, "unauthorized")
	if !strings.Contains(e.Error.Message, "revoked") {
		t.Errorf("revoked token: %q", e.Error.Message)
	}
}

// TestTokenCheckExpiry: however long a check stands, the token is refused
// from the instant it expires.
func TestTokenCheckExpiry(t *testing.T) {
	af := newAPIFixture(t)
	a := af.open(t, "analyst", analystPass)
	tok, _, err := a.CreateToken(t.Context(), "a minute", time.Minute)
	a.Close()
	if err != nil {
		t.Fatal(err)
	}
	h := af.serveRecheck(t, time.Hour)
	if r := h.call("GET", "/api/v1/me", tok); r.StatusCode != 200 {
		t.Fatalf("me: %s %s", r.Status, r.body)
	}
	af.clock.add(time.Minute - time.Second)
	if r := h.call("GET", "/api/v1/me", tok); r.StatusCode != 200 {
		t.Fatalf("a second before expiry: %s %s", r.Status, r.body)
	}
	af.clock.add(time.Second)
	e := wantError(t, "expired", h.call("GET", "/api/v1/me", tok), 401, "unauthorized")
	if !strings.Contains(e.Error.Message, "expired") {
		t.Errorf("expired token: %q", e.Error.Message)
	}
}

// TestTokenCheckRoleChangedHere: a role change made through the server's
// own Repo refuses the user's token at the next request, however long a
// check stands.
func TestTokenCheckRoleChangedHere(t *testing.T) {
	af := newAPIFixture(t)
	h := af.serveRecheck(t, time.Hour)
	tok := af.tokens[archive.RoleReader]
	if r := h.call("GET", "/api/v1/me", tok); r.StatusCode != 200 {
		t.Fatalf("me: %s %s", r.Status, r.body)
	}
	adm, err := h.srv.cfg.Unlock(t.Context(), "admin", adminPass)
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	if _, _, err := adm.ChangeRole(t.Context(), "reader", archive.RoleAnalyst, ""); err != nil {
		t.Fatal(err)
	}
	wantError(t, "role changed", h.call("GET", "/api/v1/me", tok), 401, "unauthorized")
}

// TestTokenKey: the table of token sessions is keyed by a MAC of the whole
// token, which holds nothing of it.
func TestTokenKey(t *testing.T) {
	tok := "sori_0123456789abcdef0123456789abcdef_AGE-SECRET-KEY-1QQQQ"
	k := tokenKey(tok)
	if k != tokenKey(tok) || k == tokenKey(tok+"Q") || !strings.HasPrefix(k, "t:") {
		t.Fatalf("tokenKey: %q", k)
	}
	for _, part := range []string{"0123456789abcdef", "AGE-SECRET", "QQQQ"} {
		if strings.Contains(k, part) {
			t.Errorf("tokenKey holds %q: %q", part, k)
		}
	}
}
