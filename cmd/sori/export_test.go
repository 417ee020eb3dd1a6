package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sori/internal/seal"
)

func TestExportVerifyBundleCLI(t *testing.T) {
	c := newCLI(t)
	c.env["SORI_STATE_DIR"] = t.TempDir()
	c.ok("init", "--user", "kim")
	src := t.TempDir()
	ko := filepath.Join(src, "면담.ko.txt")
	en := filepath.Join(src, "interview.en.txt")
	os.WriteFile(ko, []byte("질문: 언제 건넜습니까?\n답변: 1998년 가을입니다.\n"), 0o600)
	os.WriteFile(en, []byte("Question: when did you cross?\n"), 0o600)
	var ids []string
	for _, line := range strings.Split(strings.TrimSpace(c.ok("add", ko, en)), "\n") {
		ids = append(ids, line[:32])
	}
	c.ok("edit", ids[0], "--title", "첫 면담")
	entries := func() int { return strings.Count(c.ok("log"), "\n") }
	before := entries()

	// Bad command lines change nothing.
	busy := t.TempDir()
	os.WriteFile(filepath.Join(busy, "keep.txt"), []byte("mine"), 0o600)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"export", ids[0]}, 2, "--out"},
		{[]string{"export", "--out", filepath.Join(t.TempDir(), "b")}, 2, "name the items"},
		{[]string{"export", "--out", filepath.Join(t.TempDir(), "b"), "--recipient", "age1bogus", ids[0]}, 2, "recipient"},
		{[]string{"export", "--out", filepath.Join(t.TempDir(), "b"), "--recipient", "ssh-dss AAAAB3NzaC1kc3M=", ids[0]}, 2, "recipient"},
		{[]string{"export", "--out", filepath.Join(t.TempDir(), "b"), "--recipient", "", ids[0]}, 2, "recipient"},
		{[]string{"export", "--out", busy, ids[0]}, 1, "not empty"},
		{[]string{"export", "--out", filepath.Join(t.TempDir(), "b"), "ffffffff"}, 1, "not found"},
		{[]string{"verify-bundle"}, 2, "exactly one"},
		{[]string{"verify-bundle", "--log-key", "k", "--log-key-file", "f", busy}, 2, "not both"},
		{[]string{"verify-bundle", filepath.Join(t.TempDir(), "missing")}, 2, "could not run"},
	} {
		code, _, errs := c.run("", tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.msg) {
			t.Errorf("sori %s: exit %d %q, want exit %d mentioning %q", strings.Join(tc.args, " "), code, errs, tc.code, tc.msg)
		}
	}
	if n := entries(); n != before {
		t.Errorf("failed exports added %d custody entries", n-before)
	}

	dir := filepath.Join(t.TempDir(), "bundle")
	out := c.ok("export", "--out", dir, ids[0][:8], ids[1])
	m := regexp.MustCompile(`^(.+)\t([0-9a-f]{32})\t2\n$`).FindStringSubmatch(out)
	if m == nil || m[1] != dir {
		t.Fatalf("export printed %q, want DIR<TAB>BUNDLE-ID<TAB>2", out)
	}
	bundleID := m[2]
	if log := c.ok("log"); !strings.Contains(log, "\texport\t"+bundleID+"\t") || entries() != before+1 {
		t.Errorf("the export is not in the custody log:\n%s", log)
	}

	// verify-bundle needs no archive and no passphrase.
	key := strings.TrimSpace(c.ok("checkpoint", "--key"))
	keyFile := filepath.Join(t.TempDir(), "log-key.txt")
	os.WriteFile(keyFile, []byte(key+"\n"), 0o600)
	outsider := &cli{t: t, env: map[string]string{}}
	code, stdout, stderr := outsider.run("", "verify-bundle", dir)
	if code != 0 || stdout != "" || !strings.Contains(stderr, "OK — 2 items, 3 versions, 4 custody entries") {
		t.Errorf("verify-bundle: exit %d, %q, %q", code, stdout, stderr)
	}
	outsider.ok("verify-bundle", "--log-key", key, dir)
	outsider.ok("verify-bundle", dir, "--log-key-file", keyFile)
	var report struct {
		Mode     string            `json:"mode"`
		Items    int               `json:"items"`
		Findings []json.RawMessage `json:"findings"`
	}
	if err := json.Unmarshal([]byte(outsider.ok("verify-bundle", "--json", dir)), &report); err != nil || report.Mode != "bundle" ||
		report.Items != 2 || report.Findings == nil || len(report.Findings) != 0 {
		t.Errorf("verify-bundle --json: %v %+v", err, report)
	}

	// A changed byte: exit 1, one line per finding.
	orig := filepath.Join(dir, "data", "items", ids[0], "original.txt")
	b, _ := os.ReadFile(orig)
	b[0] ^= 1
	os.WriteFile(orig, b, 0o600)
	code, stdout, stderr = outsider.run("", "verify-bundle", dir)
	if code != 1 || !strings.Contains(stdout, "bag\tdata/items/"+ids[0]+"/original.txt\t") || !strings.Contains(stderr, "finding(s)") {
		t.Errorf("tampered bundle: exit %d\n%s%s", code, stdout, stderr)
	}
	b[0] ^= 1
	os.WriteFile(orig, b, 0o600)
	// Another log's key: exit 1.
	other := strings.Replace(key, key[len(key)-8:], "AAAAAAAA", 1)
	if code, stdout, _ := outsider.run("", "verify-bundle", "--log-key", other, dir); code != 1 || !strings.Contains(stdout, "checkpoint\t") {
		t.Errorf("wrong log key: exit %d\n%s", code, stdout)
	}

	// --recipient, --json.
	k, err := seal.NewUserKey()
	if err != nil {
		t.Fatal(err)
	}
	dir2 := filepath.Join(t.TempDir(), "sealed")
	var res struct {
		Path, Bundle, Checkpoint string
		Items                    int
		Encrypted                bool
	}
	if err := json.Unmarshal([]byte(c.ok("export", "--json", "--out", dir2, "--recipient", k.Recipient(), ids[0])), &res); err != nil ||
		res.Path != dir2 || res.Items != 1 || !res.Encrypted || len(res.Bundle) != 32 || res.Checkpoint == "" {
		t.Errorf("export --json: %v %+v", err, res)
	}
	if _, err := os.Stat(filepath.Join(dir2, "data", "items", ids[0], "original.txt.age")); err != nil {
		t.Error(err)
	}
	code, _, stderr = outsider.run("", "verify-bundle", "--log-key", key, dir2)
	if code != 0 || !strings.Contains(stderr, "note: 1 original(s) are age-encrypted") {
		t.Errorf("verify-bundle of an encrypted bundle: exit %d %q", code, stderr)
	}
}
