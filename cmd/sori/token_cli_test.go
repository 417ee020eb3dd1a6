package main

import (
	"encoding/json"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"sori/internal/archive"
	"sori/internal/evidence"
)

// TestTokenCommands drives token create, ls and revoke and user totp
// through the CLI: the token is printed once and opens the user's keys
// without the passphrase, a revoked token opens nothing, roles hold (exit
// 3), and sori verify stays clean with the new custody entries.
func TestTokenCommands(t *testing.T) {
	c := newCLI(t)
	const adminPass, leePass = "a passphrase for tests", "lee's passphrase"
	c.as("kim", adminPass)
	c.ok("init")
	c.env["SORI_NEW_PASSPHRASE"] = leePass
	c.ok("user", "add", "lee", "--role", "reader")

	c.as("lee", leePass)
	code, out, errs := c.run("", "token", "create", "--name", "transcription script", "--expires", "90d")
	tokLine := regexp.MustCompile(`^sori_([0-9a-f]{32})_AGE-SECRET-KEY-1[0-9A-Z]+\n$`)
	m := tokLine.FindStringSubmatch(out)
	if code != 0 || m == nil || !strings.Contains(errs, "shown only now") || strings.Contains(errs, "sori_") {
		t.Fatalf("token create: exit %d %q %q", code, out, errs)
	}
	tok, id := strings.TrimSpace(out), m[1]
	var js struct {
		Token string `json:"token"`
		archive.TokenInfo
	}
	if err := json.Unmarshal([]byte(c.ok("token", "create", "--json")), &js); err != nil || !strings.HasPrefix(js.Token, "sori_"+js.ID+"_") || js.User != "lee" || js.Role != "reader" || !js.Expires.IsZero() {
		t.Fatalf("token create --json: %v %+v", err, js)
	}
	c.want(2, "--expires", "token", "create", "--expires", "soon")
	c.want(2, "label", "token", "create", "--name", strings.Repeat("x", 101))

	ls := c.ok("token", "ls")
	if lines := strings.Split(strings.TrimSpace(ls), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[0], id+"\tlee\treader\t") ||
		!strings.HasSuffix(lines[0], "\tactive\ttranscription script") || strings.Contains(ls, "AGE-SECRET") {
		t.Errorf("token ls: %q", ls)
	}

	// The token opens lee's keys, as a server does, without the passphrase.
	repo, err := archive.OpenRepo(t.Context(), c.env["SORI_ARCHIVE"], archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := repo.UnlockToken(t.Context(), tok)
	if err != nil || s.User().Name != "lee" {
		t.Fatalf("unlock with the token: %v", err)
	}
	s.Close()
	repo.Close()

	c.want(2, "not the token itself", "token", "revoke", tok)
	if out := c.ok("token", "revoke", id); out != "revoked API token "+id+" of lee\n" {
		t.Errorf("token revoke: %q", out)
	}
	c.want(2, "already revoked", "token", "revoke", id)
	if ls := c.ok("token", "ls"); !strings.Contains(ls, id+"\tlee\treader\t") || !strings.Contains(ls, "\trevoked\t") {
		t.Errorf("token ls after revoke: %q", ls)
	}
	repo, err = archive.OpenRepo(t.Context(), c.env["SORI_ARCHIVE"], archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := repo.UnlockToken(t.Context(), tok); !errors.Is(err, evidence.ErrLocked) {
		t.Errorf("revoked token: %v", err)
	}
	repo.Close()

	// Second factor: an admin's; the URI is printed once.
	c.want(3, "may not", "user", "totp", "enable", "lee")
	c.as("kim", adminPass)
	if ls := c.ok("token", "ls"); len(strings.Split(strings.TrimSpace(ls), "\n")) != 2 {
		t.Errorf("an admin's token ls: %q", ls)
	}
	uri := strings.TrimSpace(c.ok("user", "totp", "enable", "lee"))
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "otpauth" || len(u.Query().Get("secret")) != 32 {
		t.Errorf("user totp enable: %q", uri)
	}
	c.want(1, "no user", "user", "totp", "enable", "nobody")
	if out := c.ok("user", "totp", "disable", "lee"); out != "user lee logs in without a second factor\n" {
		t.Errorf("user totp disable: %q", out)
	}
	c.want(2, "no second factor", "user", "totp", "disable", "lee")
	c.want(2, "enable or disable", "user", "totp", "lee")

	log := c.ok("log")
	for _, kind := range []string{"token", "token-revoke", "totp"} {
		if !strings.Contains(log, "\t"+kind+"\t") {
			t.Errorf("sori log has no %s entry:\n%s", kind, log)
		}
	}
	c.ok("verify")
}
