package verify_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sori/internal/archive"
	"sori/internal/seal"
	"sori/internal/store/sqlite"
	"sori/verify"
)

// withUsers adds a reader and an analyst to a fixture, changes the
// reader's passphrase and removes the analyst, then adds an item, so that
// the log holds grants, a revocation and an item of the new generation.
func withUsers(t *testing.T) (fixture, string) {
	t.Helper()
	ctx := context.Background()
	f := buildArchive(t).clone(t)
	a := f.mustOpen(t, archive.Options{WorkFactor: 10})
	reader, err := a.AddUser(ctx, "reader-choi", archive.RoleReader, testPass)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddUser(ctx, "analyst-lee", archive.RoleAnalyst, testPass); err != nil {
		t.Fatal(err)
	}
	if err := a.RemoveUser(ctx, "analyst-lee"); err != nil {
		t.Fatal(err)
	}
	a.Close()
	r, err := archive.Open(ctx, f.dir, "reader-choi", testPass, archive.Options{WorkFactor: 10, StateDir: f.state})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.ChangePassphrase(ctx, testPass, testPass+" changed"); err != nil {
		t.Fatal(err)
	}
	r.Close()
	a = f.mustOpen(t, archive.Options{})
	p := filepath.Join(t.TempDir(), "after.txt")
	writeFile(t, p, []byte("stored after a removal"))
	if err := a.Add(ctx, []string{p}, archive.AddOptions{}, func(r archive.Added) error { return r.Err }); err != nil {
		t.Fatal(err)
	}
	a.Close()
	return f, reader.ID
}

func TestUsersClean(t *testing.T) {
	f, _ := withUsers(t)
	a := f.mustOpen(t, archive.Options{})
	for _, quick := range []bool{false, true} {
		r := run(t, a, verify.Options{Quick: quick})
		if !r.OK() || len(r.Notes) != 0 {
			t.Errorf("quick=%v after user changes:\n%s", quick, reportText(r))
		}
	}
	// Verification as the reader (every role may verify).
	rd, err := archive.Open(context.Background(), f.dir, "reader-choi", testPass+" changed", archive.Options{StateDir: f.state})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if r := run(t, rd, verify.Options{}); !r.OK() {
		t.Errorf("verify as the reader:\n%s", reportText(r))
	}
}

// TestUserRowAltered: someone with the database key gives the reader the
// admin role in the users table; the log's grant says otherwise.
func TestUserRowAltered(t *testing.T) {
	ctx := context.Background()
	f, readerID := withUsers(t)
	var cfg struct{ Admin string }
	readJSON(t, filepath.Join(f.dir, "sori.json"), &cfg)
	key, err := seal.OpenUserKey(readFile(t, filepath.Join(f.dir, "keys", cfg.Admin+".user")), testPass)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := seal.OpenKeyring(readFile(t, filepath.Join(f.dir, "keys", cfg.Admin+".ring")), key)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(f.dir, "meta.db"), ring.DB)
	if err != nil {
		t.Fatal(err)
	}
	tx, _ := db.Begin(ctx)
	if err := tx.SetUserRole(ctx, readerID, archive.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	db.Close()
	r := run(t, f.mustOpen(t, archive.Options{}), verify.Options{})
	wantFinding(t, r, verify.KindUser)
	if !strings.Contains(reportText(r), `the custody log gives "reader"`) {
		t.Errorf("finding does not name the granted role:\n%s", reportText(r))
	}
}

// TestKeyFilesAltered: a member's keyring deleted, another's key file
// altered, are findings; leftovers of an interrupted removal are a note.
func TestKeyFilesAltered(t *testing.T) {
	f, _ := withUsers(t)
	var cfg struct{ ID string }
	readJSON(t, filepath.Join(f.dir, "sori.json"), &cfg)
	reader := filepath.Join(f.dir, "keys", locator(cfg.ID, "reader-choi"))
	b := readFile(t, reader+".user")
	b[len(b)-1] ^= 1
	if err := os.WriteFile(reader+".user", b, 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, f.mustOpen(t, archive.Options{}), verify.Options{Quick: true})
	wantFinding(t, r, verify.KindUser)

	g, _ := withUsers(t)
	var gcfg struct{ ID string }
	readJSON(t, filepath.Join(g.dir, "sori.json"), &gcfg)
	if err := os.Remove(filepath.Join(g.dir, "keys", locator(gcfg.ID, "reader-choi")+".ring")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(g.dir, "keys", locator(gcfg.ID, "analyst-lee")+".user"), []byte("left over"))
	r = run(t, g.mustOpen(t, archive.Options{}), verify.Options{Quick: true})
	wantFinding(t, r, verify.KindMissing)
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "removed user") {
		t.Errorf("leftover key file of a removed user: notes %q", r.Notes)
	}
}

// TestTokenKeyFile: an API token's key file is listed in keys/SUMS; verify
// accepts it as it is, with no note, and reports one altered.
func TestTokenKeyFile(t *testing.T) {
	ctx := context.Background()
	f := buildArchive(t).clone(t)
	a := f.mustOpen(t, archive.Options{WorkFactor: 10})
	_, info, err := a.CreateToken(ctx, "verify", 0)
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, a, verify.Options{})
	if !r.OK() || len(r.Notes) != 0 {
		t.Errorf("with a token:\n%s", reportText(r))
	}
	p := filepath.Join(f.dir, "keys", info.ID+".token")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	r = run(t, a, verify.Options{})
	if r.OK() || !strings.Contains(reportText(r), "API token key file does not match keys/SUMS") {
		t.Errorf("an altered token key file:\n%s", reportText(r))
	}
	a.Close()
}
