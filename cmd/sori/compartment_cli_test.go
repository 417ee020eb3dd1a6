package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCompartmentCLI drives sori compartment and --compartment through the
// CLI: a non-member of every kind (the first admin, who holds protection,
// included) sees "[restricted: NAME]" in ls and nothing in search, is
// refused show, cat and export (exit 3), and verifies the archive with a
// note; a member reads, searches and verifies everything.
func TestCompartmentCLI(t *testing.T) {
	c := newCLI(t)
	const kimPass, leePass, choiPass = "a passphrase for tests", "lee's passphrase", "choi's passphrase"
	c.as("kim", kimPass)
	c.ok("init")
	c.env["SORI_NEW_PASSPHRASE"] = leePass
	c.ok("user", "add", "lee", "--role", "investigator")
	c.env["SORI_NEW_PASSPHRASE"] = choiPass
	c.ok("user", "add", "choi", "--role", "investigator")
	out := c.ok("compartment", "add", "case-7", "--member", "lee")
	if !regexp.MustCompile("^c[0-9a-f]{16}\tcase-7\t1\tlee\n$").MatchString(out) {
		t.Errorf("compartment add: %q", out)
	}
	c.want(2, "--member", "compartment", "add", "case-8")
	c.want(1, "exists", "compartment", "add", "case-7", "--member", "choi")
	p := filepath.Join(t.TempDir(), "secret.ko.txt")
	os.WriteFile(p, []byte("그는 극비요덕수 라고 말했다.\n"), 0o600)
	c.want(3, "not a member", "add", "--compartment", "case-7", p)

	c.as("lee", leePass)
	item := c.ok("add", "--compartment", "case-7", "--title", "Xylophant interview", p)[:32]
	tid := strings.TrimSpace(c.ok("testimony", "add", "--compartment", "case-7", "--title", "Xylophant testimony", "--witness", "W-7", "--original", item))
	if out := c.ok("ls"); !strings.Contains(out, "Xylophant interview") {
		t.Errorf("member's ls: %q", out)
	}
	if out := c.ok("search", "극비요덕수"); !strings.Contains(out, item) {
		t.Errorf("member's search: %q", out)
	}
	if out := c.ok("cat", item); !strings.Contains(out, "극비요덕수") {
		t.Errorf("member's cat: %q", out)
	}
	if out := c.ok("compartment", "ls"); !strings.HasSuffix(out, "\tmember\n") {
		t.Errorf("compartment ls: %q", out)
	}
	if out := c.ok("verify"); strings.Contains(out, "not a member") {
		t.Errorf("member's verify: %q", out)
	}

	for _, u := range []struct{ name, pass string }{{"kim", kimPass}, {"choi", choiPass}} {
		c.as(u.name, u.pass)
		out := c.ok("ls")
		if !strings.Contains(out, item+"\trestricted\t-\t0\t1\t[restricted: case-7]") || strings.Contains(out, "Xylophant") {
			t.Errorf("%s's ls: %q", u.name, out)
		}
		if out := c.ok("ls", "--kind", "testimony"); !strings.Contains(out, tid+"\ttestimony\t[restricted: case-7]") {
			t.Errorf("%s's ls --kind testimony: %q", u.name, out)
		}
		for _, q := range []string{"극비요덕수", "Xylophant"} {
			if out := c.ok("search", q); strings.TrimSpace(out) != "" {
				t.Errorf("%s's search %s: %q", u.name, q, out)
			}
		}
		c.want(3, "restricted", "show", item)
		c.want(3, "restricted", "show", tid)
		c.want(3, "restricted", "cat", item)
		c.want(3, "restricted", "export", "--out", filepath.Join(t.TempDir(), "b"), item)
		_, vout, verr := c.run("", "verify")
		if !strings.Contains(vout+verr, "not a member") || !strings.Contains(vout+verr, "OK") {
			t.Errorf("%s's verify: %q %q", u.name, vout, verr)
		}
	}
	c.as("kim", kimPass)
	c.want(3, "only a member", "compartment", "member", "case-7", "--add", "choi")
	c.as("lee", leePass)
	c.ok("compartment", "member", "case-7", "--add", "choi")
	c.as("choi", choiPass)
	if out := c.ok("search", "극비요덕수"); !strings.Contains(out, item) {
		t.Errorf("a new member's search: %q", out)
	}
	c.as("kim", kimPass)
	c.ok("compartment", "member", "case-7", "--rm", "choi")
	c.as("choi", choiPass)
	c.want(3, "restricted", "cat", item)
}
