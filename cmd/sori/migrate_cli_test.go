package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sori/internal/testenv"
)

// TestMigrateCLI: sori migrate copies an embedded archive to a new
// directory (embedded), then in place to PostgreSQL + S3, then back out to
// an embedded directory; after each step the archive it names verifies and
// finds the same item; bad flags and refused targets change nothing.
func TestMigrateCLI(t *testing.T) {
	c := newCLI(t)
	c.ok("init", "--user", "kim")
	src := filepath.Join(t.TempDir(), "면담.txt")
	os.WriteFile(src, []byte("질문: 어디서 건넜습니까?\n답변: 두만강에서 건넜습니다.\n"), 0o600)
	c.ok("add", "--lang", "ko", src)
	found := func(dir string) {
		t.Helper()
		old := c.env["SORI_ARCHIVE"]
		c.env["SORI_ARCHIVE"] = dir
		defer func() { c.env["SORI_ARCHIVE"] = old }()
		if code, _, errs := c.run("", "verify"); code != 0 || !strings.Contains(errs, "OK — 1 items") {
			t.Errorf("verify %s: exit %d, %q", dir, code, errs)
		}
		if out := c.ok("search", "두만강"); !strings.Contains(out, "두만강") {
			t.Errorf("search in %s: %q", dir, out)
		}
	}
	for _, bad := range [][]string{
		{"migrate"},
		{"migrate", "--to-db", "postgres://db.example/x"},
		{"migrate", "--to-embedded", "--to-db", "postgres://db.example/x", "--to-blobs", "s3://b/p?endpoint=h:1"},
		{"migrate", "--to-embedded"}, // embedded already
	} {
		if code, _, errs := c.run("", bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", bad, code, errs)
		}
	}
	dir := c.env["SORI_ARCHIVE"]
	copyDir := filepath.Join(t.TempDir(), "copy")
	out := c.ok("migrate", "--to-embedded", "--to", copyDir)
	if !strings.Contains(out, "migrated 1 items") || !strings.Contains(out, "archive "+copyDir+" now uses") {
		t.Errorf("migrate --to: %q", out)
	}
	found(copyDir)
	found(dir)

	db, blobs := testenv.PostgresSchema(t), testenv.S3Bucket(t, "cli")
	out = c.ok("migrate", "--to-db", db, "--to-blobs", blobs)
	if !strings.Contains(out, "migrated 1 items") {
		t.Errorf("migrate to PostgreSQL + S3: %q", out)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "sori.json")); !strings.Contains(string(b), `"db": "postgres://`) {
		t.Errorf("sori.json after migrate:\n%s", b)
	}
	found(dir)
	// The embedded files are left as they were: back in place is refused.
	if code, _, errs := c.run("", "migrate", "--to-embedded"); code != 1 || !strings.Contains(errs, "meta.db") {
		t.Errorf("migrate back over the old meta.db: exit %d\n%s", code, errs)
	}
	back := filepath.Join(t.TempDir(), "back")
	c.ok("migrate", "--to-embedded", "--to", back)
	found(back)
	found(dir)
}
