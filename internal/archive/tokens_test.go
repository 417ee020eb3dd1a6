package archive

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/testenv"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// tokenRepo is a Repo on a's archive, as a server holds one, with clock c.
func tokenRepo(t *testing.T, dir string, c *testClock) *Repo {
	t.Helper()
	r, err := OpenRepo(t.Context(), dir, Options{WorkFactor: 10, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// TestTokenLifecycle: a token unlocks its user's keys without the
// passphrase; the stored key file never holds the token; making and
// revoking are custody entries; a revoked, expired, wrong or malformed
// token opens nothing, with a message that says why and never repeats it.
func TestTokenLifecycle(t *testing.T) {
	ctx := t.Context()
	c := &testClock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	dir := filepath.Join(t.TempDir(), "archive")
	a, err := Init(ctx, dir, "admin", testPass, Options{WorkFactor: 10, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddUser(ctx, "reader", RoleReader, testPass); err != nil {
		t.Fatal(err)
	}
	tok, info, err := a.CreateToken(ctx, "laptop", 0)
	if err != nil {
		t.Fatal(err)
	}
	short, _, err := a.CreateToken(ctx, "one hour", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.CreateToken(ctx, "bad\nlabel", 0); !errors.Is(err, evidence.ErrInvalid) {
		t.Fatalf("label with a newline: %v", err)
	}
	if !strings.HasPrefix(tok, "sori_"+info.ID+"_") || info.User != "admin" || info.Role != RoleAdmin+","+RoleProtection {
		t.Fatalf("token %q info %+v", tok[:5], info)
	}
	_, secret, _ := ParseToken(tok)
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(secret)) || bytes.Contains(b, []byte(tok)) {
				t.Errorf("%s contains the token", p)
			}
		}
		return nil
	})
	var kinds []string
	a.Log(ctx, info.ID, func(e LogEntry) error { kinds = append(kinds, e.Kind); return nil })
	if len(kinds) != 1 || kinds[0] != custody.KindToken {
		t.Fatalf("custody entries of the token: %v", kinds)
	}
	a.Close()

	r := tokenRepo(t, dir, c)
	s, id, err := r.UnlockToken(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if id != info.ID || s.User().Name != "admin" {
		t.Fatalf("unlocked %s as %s", id, s.User().Name)
	}
	// The session can do what the user can: a change signed by them.
	if _, _, err := s.CreateToken(ctx, "from a token", 0); err != nil {
		t.Fatal(err)
	}
	list, err := s.Tokens(ctx)
	if err != nil || len(list) != 3 {
		t.Fatalf("tokens: %d %v", len(list), err)
	}

	for name, bad := range map[string]string{
		"malformed":    "Bearer x",
		"wrong secret": "sori_" + info.ID + "_AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX",
		"unknown id":   "sori_00000000000000000000000000000000_" + secret,
		"upper hex":    "sori_" + strings.ToUpper(info.ID) + "_" + secret,
	} {
		_, _, err := r.UnlockToken(ctx, bad)
		if !errors.Is(err, evidence.ErrLocked) || strings.Contains(err.Error(), secret) {
			t.Errorf("%s: %v", name, err)
		}
	}

	// Expiry: the one-hour token works now, not after an hour.
	s2, id2, err := r.UnlockToken(ctx, short)
	if err != nil {
		t.Fatal(err)
	}
	c.add(time.Hour + time.Second)
	if err := s2.CheckToken(ctx, id2); !errors.Is(err, evidence.ErrLocked) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired token still checks: %v", err)
	}
	s2.Close()
	if _, _, err := r.UnlockToken(ctx, short); !errors.Is(err, evidence.ErrLocked) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired token unlocks: %v", err)
	}

	// Revocation: the session made with the token fails its next check,
	// and the token unlocks nothing again.
	if _, err := s.RevokeToken(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeToken(ctx, info.ID); !errors.Is(err, evidence.ErrInvalid) {
		t.Fatalf("second revocation: %v", err)
	}
	if err := s.CheckToken(ctx, id); !errors.Is(err, evidence.ErrLocked) || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("revoked token still checks: %v", err)
	}
	if _, _, err := r.UnlockToken(ctx, tok); !errors.Is(err, evidence.ErrLocked) {
		t.Fatalf("revoked token unlocks: %v", err)
	}
	kinds = nil
	s.Log(ctx, info.ID, func(e LogEntry) error { kinds = append(kinds, e.Kind); return nil })
	if len(kinds) != 2 || kinds[1] != custody.KindTokenRevoke {
		t.Fatalf("custody entries of the token: %v", kinds)
	}
	s.Close()
}

// TestTokenUsersAndRotation: a reader sees and revokes only their own
// tokens; an admin any. A removal rotates the archive's keys and a
// remaining user's token keeps working (it opens the user key, whose
// keyring the rotation sealed again); the removed user's token opens
// nothing; a token made before a role change is refused after it.
func TestTokenUsersAndRotation(t *testing.T) {
	ctx := t.Context()
	c := &testClock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	dir := filepath.Join(t.TempDir(), "archive")
	a, err := Init(ctx, dir, "admin", testPass, Options{WorkFactor: 10, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"reader", "gone", "analyst"} {
		role := RoleReader
		if u == "analyst" {
			role = RoleAnalyst
		}
		if _, err := a.AddUser(ctx, u, role, testPass); err != nil {
			t.Fatal(err)
		}
	}
	adminTok, _, err := a.CreateToken(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	tokens := map[string]string{}
	ids := map[string]string{}
	for _, u := range []string{"reader", "gone", "analyst"} {
		s, err := Open(ctx, dir, u, testPass, Options{Now: c.now})
		if err != nil {
			t.Fatal(err)
		}
		tok, info, err := s.CreateToken(ctx, u+"'s", 0)
		if err != nil {
			t.Fatal(err)
		}
		tokens[u], ids[u] = tok, info.ID
		if u == "analyst" {
			list, err := s.Tokens(ctx)
			if err != nil || len(list) != 1 || list[0].User != "analyst" {
				t.Fatalf("an analyst's list: %+v %v", list, err)
			}
			if _, err := s.RevokeToken(ctx, ids["gone"]); !errors.Is(err, evidence.ErrNotFound) {
				t.Fatalf("an analyst revoking another's token: %v", err)
			}
		}
		s.Close()
	}

	adm, err := Open(ctx, dir, "admin", testPass, Options{Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	if list, err := adm.Tokens(ctx); err != nil || len(list) != 4 {
		t.Fatalf("an admin's list: %d %v", len(list), err)
	}
	if err := adm.RemoveUser(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := adm.ChangeRole(ctx, "analyst", RoleInvestigator, ""); err != nil {
		t.Fatal(err)
	}
	adm.Close()

	r := tokenRepo(t, dir, c)
	for _, u := range []string{"reader", "admin"} {
		tok := tokens[u]
		if u == "admin" {
			tok = adminTok
		}
		s, _, err := r.UnlockToken(ctx, tok)
		if err != nil {
			t.Fatalf("%s's token after a rotation: %v", u, err)
		}
		if _, err := s.Search(ctx, "x", SearchOptions{}); err != nil {
			t.Fatalf("%s's token session searching: %v", u, err)
		}
		s.Close()
	}
	if _, _, err := r.UnlockToken(ctx, tokens["gone"]); !errors.Is(err, evidence.ErrLocked) || !strings.Contains(err.Error(), "removed") {
		t.Fatalf("a removed user's token: %v", err)
	}
	if _, _, err := r.UnlockToken(ctx, tokens["analyst"]); !errors.Is(err, evidence.ErrLocked) || !strings.Contains(err.Error(), "role") {
		t.Fatalf("a token from before a role change: %v", err)
	}
}

func FuzzParseToken(f *testing.F) {
	f.Add("sori_0123456789abcdef0123456789abcdef_AGE-SECRET-KEY-1X")
	f.Add("sori__")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		id, secret, err := ParseToken(s)
		if err != nil {
			if !errors.Is(err, evidence.ErrLocked) || (secret != "" && strings.Contains(err.Error(), secret)) {
				t.Fatalf("error %v", err)
			}
			return
		}
		if len(id) != 32 || secret == "" || !strings.Contains(s, id+"_"+secret) {
			t.Fatalf("parsed %q into %q %q", s, id, secret)
		}
	})
}

// TestTokenPostgresS3: on a shared archive (PostgreSQL + S3) the token
// file stays in the archive directory and the row in the sealed meta
// table; two Repos (two servers) see one revocation at once.
func TestTokenPostgresS3(t *testing.T) {
	ctx := t.Context()
	opt := Options{WorkFactor: 10, DB: testenv.PostgresSchema(t), Blobs: testenv.S3Bucket(t, "tokens")}
	dir := filepath.Join(t.TempDir(), "archive")
	a, err := Init(ctx, dir, "admin", testPass, opt)
	if err != nil {
		t.Fatal(err)
	}
	tok, info, err := a.CreateToken(ctx, "server", 0)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	var sessions []*Archive
	for range 2 {
		r, err := OpenRepo(ctx, dir, opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		s, _, err := r.UnlockToken(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		sessions = append(sessions, s)
	}
	if _, err := sessions[0].RevokeToken(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	if err := sessions[1].CheckToken(ctx, info.ID); !errors.Is(err, evidence.ErrLocked) {
		t.Fatalf("the other server's session after the revocation: %v", err)
	}
}
