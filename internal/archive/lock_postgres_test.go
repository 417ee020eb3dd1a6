package archive

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"sori/internal/evidence"
	"sori/internal/testenv"
)

// copyArchiveDir copies an archive directory's files (sori.json, keys/):
// for a PostgreSQL archive, a second machine's copy, sharing only the
// database with the first.
func copyArchiveDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestArchiveLockPostgres: two Repos on one PostgreSQL archive through two
// directories (no lock file in common: two machines) and two connection
// pools. While one has the archive open, a removal by the other waits the
// lock wait and fails busy, changing nothing; once it closes, the removal
// runs (with its log key handover).
func TestArchiveLockPostgres(t *testing.T) {
	ctx := context.Background()
	db := testenv.PostgresSchema(t)
	dir := filepath.Join(t.TempDir(), "a")
	opt := Options{WorkFactor: 10, DB: db, LockWait: 300 * time.Millisecond}
	adm, err := Init(ctx, dir, "admin", testPass, opt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := adm.AddUser(ctx, "reader-choi", RoleReader, testPass); err != nil {
		t.Fatal(err)
	}
	adm.Close()
	other := filepath.Join(t.TempDir(), "b")
	copyArchiveDir(t, dir, other)

	b, err := Open(ctx, other, "reader-choi", testPass, opt)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Open(ctx, dir, "admin", testPass, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	first := a.LogKey()
	err = a.RemoveUser(ctx, "reader-choi")
	if !errors.Is(err, evidence.ErrBusy) {
		t.Fatalf("a removal while another process has the archive open: %v", err)
	}
	u, err := a.db.UserByName(ctx, "reader-choi")
	if err != nil || u.Role != RoleReader || a.LogKey() != first {
		t.Fatalf("the busy removal changed something: %+v, %v; log key changed %v", u, err, a.LogKey() != first)
	}
	b.Close()
	if err := a.RemoveUser(ctx, "reader-choi"); err != nil {
		t.Fatalf("the removal once the other process closed: %v", err)
	}
	if a.LogKey() == first {
		t.Error("the removal on PostgreSQL did not hand the log key over")
	}
	a.Close()
	// The other machine is given the new key files, but its sori.json
	// still names the first log key: opening follows the database's chain
	// and publishes the current one there.
	if err := os.RemoveAll(filepath.Join(other, keysDir)); err != nil {
		t.Fatal(err)
	}
	copyArchiveDir(t, filepath.Join(dir, keysDir), filepath.Join(other, keysDir))
	c, err := Open(ctx, other, "admin", testPass, opt)
	if err != nil {
		t.Fatalf("the other directory after the handover: %v", err)
	}
	defer c.Close()
	if c.LogKey() == first {
		t.Error("the other directory still uses the first log key")
	}
	if cfg, err := readConfig(other); err != nil || cfg.LogKey != c.LogKey() {
		t.Errorf("the other directory's sori.json: %v, key in force published %v", err, cfg.LogKey == c.LogKey())
	}
	if _, err := c.Checkpoint(ctx); err != nil {
		t.Errorf("the newest checkpoint in the other directory: %v", err)
	}
}
