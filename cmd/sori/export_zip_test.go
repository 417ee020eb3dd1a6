package main

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// unzipBundle extracts a zipped bundle into a new directory and returns the
// bag's directory (the zip's one top-level directory).
func unzipBundle(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	dst := t.TempDir()
	roots := map[string]bool{}
	for _, f := range zr.File {
		root, _, _ := strings.Cut(f.Name, "/")
		roots[root] = true
		if strings.Contains(f.Name, "..") || strings.HasPrefix(f.Name, "/") {
			t.Fatalf("unsafe name in the zip: %q", f.Name)
		}
		p := filepath.Join(dst, filepath.FromSlash(f.Name))
		os.MkdirAll(filepath.Dir(p), 0o700)
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if len(roots) != 1 {
		t.Fatalf("the zip has %d top-level entries, want one directory: %v", len(roots), roots)
	}
	for r := range roots {
		return filepath.Join(dst, r)
	}
	return ""
}

func bagFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	})
	slices.Sort(out)
	return out
}

// TestExportZipCLI: `sori export --zip FILE` and `--zip -` write the same
// bag as --out, as a zip with one top-level directory, which verifies with
// sori verify-bundle and with sha256sum once unzipped; bad command lines
// change nothing.
func TestExportZipCLI(t *testing.T) {
	c := newCLI(t)
	c.env["SORI_STATE_DIR"] = t.TempDir()
	c.ok("init", "--user", "kim")
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "면담.ko.txt"), []byte("질문: 언제 건넜습니까?\n답변: 1998년 가을입니다.\n"), 0o600)
	os.WriteFile(filepath.Join(src, "photo.jpg"), bytes.Repeat([]byte{0xff, 0xd8, 0x11}, 5000), 0o600)
	var ids []string
	for _, line := range strings.Split(strings.TrimSpace(c.ok("add", src)), "\n") {
		ids = append(ids, line[:32])
	}
	entries := func() int { return strings.Count(c.ok("log"), "\n") }
	before := entries()
	taken := filepath.Join(t.TempDir(), "taken.zip")
	os.WriteFile(taken, []byte("mine"), 0o600)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"export", "--out", filepath.Join(t.TempDir(), "b"), "--zip", filepath.Join(t.TempDir(), "b.zip"), ids[0]}, 2, "not both"},
		{[]string{"export", "--zip", "-", "--json", ids[0]}, 2, "--json"},
		{[]string{"export", "--zip", taken, ids[0]}, 1, "exists"},
		{[]string{"export", "--zip", filepath.Join(t.TempDir(), "b.zip"), "ffffffff"}, 1, "not found"},
	} {
		code, _, errs := c.run("", tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.msg) {
			t.Errorf("sori %s: exit %d %q, want exit %d mentioning %q", strings.Join(tc.args, " "), code, errs, tc.code, tc.msg)
		}
	}
	if b, _ := os.ReadFile(taken); string(b) != "mine" {
		t.Errorf("an existing file was overwritten: %q", b)
	}
	if n := entries(); n != before {
		t.Errorf("failed exports added %d custody entries", n-before)
	}

	zipPath := filepath.Join(t.TempDir(), "bundle.zip")
	out := c.ok(append([]string{"export", "--zip", zipPath}, ids...)...)
	m := regexp.MustCompile(`^(.+)\t([0-9a-f]{32})\t2\n$`).FindStringSubmatch(out)
	if m == nil || m[1] != zipPath {
		t.Fatalf("export --zip printed %q", out)
	}
	if _, err := os.Stat(zipPath + ".partial"); err == nil {
		t.Error("the partial file was left behind")
	}
	if st, err := os.Stat(zipPath); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("zip file: %v %v", st, err)
	}
	b, err := os.ReadFile(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	bag := unzipBundle(t, b)
	if filepath.Base(bag) != "sori-bundle-"+m[2] {
		t.Errorf("top-level directory %q, want sori-bundle-%s", filepath.Base(bag), m[2])
	}
	outsider := &cli{t: t, env: map[string]string{}}
	if code, _, stderr := outsider.run("", "verify-bundle", bag); code != 0 || !strings.Contains(stderr, "OK — 2 items") {
		t.Errorf("verify-bundle of the unzipped bundle: exit %d %q", code, stderr)
	}
	for _, m := range []string{"tagmanifest-sha256.txt", "manifest-sha256.txt"} {
		cmd := exec.Command("sha256sum", "--quiet", "-c", m)
		cmd.Dir = bag
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("sha256sum -c %s: %v\n%s", m, err, out)
		}
	}

	// The same items exported as a directory: the same files.
	dir := filepath.Join(t.TempDir(), "bundle")
	c.ok(append([]string{"export", "--out", dir}, ids...)...)
	if got, want := bagFiles(t, bag), bagFiles(t, dir); !slices.Equal(got, want) {
		t.Errorf("zip bag files:\n%v\ndirectory bag files:\n%v", got, want)
	}

	// To standard output: nothing but the zip there.
	code, stdout, stderr := c.run("", "export", "--zip", "-", ids[0])
	if code != 0 || !strings.Contains(stderr, "standard output") {
		t.Fatalf("export --zip -: exit %d %q", code, stderr)
	}
	bag = unzipBundle(t, []byte(stdout))
	if code, _, stderr := outsider.run("", "verify-bundle", bag); code != 0 || !strings.Contains(stderr, "OK — 1 items") {
		t.Errorf("verify-bundle of the bundle from standard output: exit %d %q", code, stderr)
	}
}
