package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// as sets who the next commands run as.
func (c *cli) as(user, pass string) {
	c.env["SORI_USER"] = user
	c.env["SORI_PASSPHRASE"] = pass
}

func (c *cli) want(code int, msg string, args ...string) string {
	c.t.Helper()
	got, out, errs := c.run("", args...)
	if got != code || !strings.Contains(errs, msg) {
		c.t.Errorf("sori %s: exit %d %q, want exit %d mentioning %q", strings.Join(args, " "), got, errs, code, msg)
	}
	return out
}

// TestUserCommands drives user add, ls, rm, passwd and log --actor through
// the CLI: roles are enforced (exit 3), a removed user cannot open the
// archive, and sori verify stays clean through it all.
func TestUserCommands(t *testing.T) {
	c := newCLI(t)
	const kimPass, leePass, choiPass = "a passphrase for tests", "lee's passphrase", "choi's passphrase"
	c.as("kim", kimPass)
	c.ok("init")
	src := t.TempDir()
	file := func(name, text string) string {
		p := filepath.Join(src, name)
		os.WriteFile(p, []byte(text), 0o600)
		return p
	}
	first := c.ok("add", file("a.txt", "증언 하나"))[:32]

	c.env["SORI_NEW_PASSPHRASE"] = leePass
	out := c.ok("user", "add", "lee", "--role", "investigator")
	if !regexp.MustCompile("^lee\tinvestigator\t[0-9a-f]{32}\n$").MatchString(out) {
		t.Errorf("user add: %q", out)
	}
	c.env["SORI_NEW_PASSPHRASE"] = choiPass
	var added struct {
		Name    string   `json:"name"`
		ID      string   `json:"id"`
		Roles   []string `json:"roles"`
		Removed bool     `json:"removed"`
	}
	if err := json.Unmarshal([]byte(c.ok("user", "add", "--json", "choi", "--role", "reader")), &added); err != nil || added.Name != "choi" || len(added.Roles) != 1 || added.Roles[0] != "reader" || added.Removed {
		t.Errorf("user add --json: %v %+v", err, added)
	}
	c.want(2, "unknown role", "user", "add", "park", "--role", "root")
	c.want(2, "--role", "user", "add", "park")
	c.want(2, "one user name", "user", "add", "--role", "reader")
	c.want(1, "exists", "user", "add", "lee", "--role", "reader")
	delete(c.env, "SORI_NEW_PASSPHRASE")
	c.want(2, "SORI_NEW_PASSPHRASE", "user", "add", "park", "--role", "reader")
	c.env["SORI_NEW_PASSPHRASE"] = "short"
	c.want(2, "at least 8", "user", "add", "park", "--role", "reader")
	delete(c.env, "SORI_NEW_PASSPHRASE")

	ls := c.ok("user", "ls")
	lines := strings.Split(strings.TrimSpace(ls), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "choi\treader\t") || !strings.HasPrefix(lines[1], "kim\tadmin,protection\t") ||
		!strings.HasSuffix(lines[1], "\t-") || !strings.HasSuffix(lines[2], "\tkim") {
		t.Errorf("user ls:\n%s", ls)
	}
	if n := strings.Count(c.ok("user", "ls", "--json"), "\n"); n != 3 {
		t.Errorf("user ls --json: %d lines", n)
	}

	// A reader reads, and is refused the rest with exit 3.
	c.as("choi", choiPass)
	c.ok("ls")
	c.ok("cat", first)
	c.ok("log")
	c.want(3, "forbidden", "add", file("b.txt", "증언 둘"))
	c.want(3, "forbidden", "edit", first, "--title", "x")
	c.want(3, "forbidden", "person", "add", "--name", "박철민")
	c.want(3, "forbidden", "export", "--out", filepath.Join(t.TempDir(), "bundle"), first)
	c.want(3, "forbidden", "user", "ls")
	c.want(3, "forbidden", "user", "rm", "lee")
	c.env["SORI_NEW_PASSPHRASE"] = leePass
	c.want(3, "forbidden", "user", "add", "park", "--role", "admin")

	// passwd: the current passphrase first, then the new one opens.
	c.as("choi", "not choi's passphrase")
	c.want(3, "wrong passphrase", "passwd")
	c.as("choi", choiPass)
	c.env["SORI_NEW_PASSPHRASE"] = "choi's new passphrase"
	if out := c.ok("passwd"); out != "passphrase changed for choi\n" {
		t.Errorf("passwd: %q", out)
	}
	delete(c.env, "SORI_NEW_PASSPHRASE")
	c.want(3, "wrong passphrase", "ls")
	c.as("choi", "choi's new passphrase")
	c.ok("ls")

	// The investigator adds; the admin removes them; they are locked out.
	c.as("lee", leePass)
	second := c.ok("add", file("c.txt", "증언 셋"))[:32]
	c.as("kim", kimPass)
	c.want(2, "cannot remove themselves", "user", "rm", "kim")
	c.want(1, "no user", "user", "rm", "nobody")
	if out := c.ok("user", "rm", "lee"); out != "removed user lee\n" {
		t.Errorf("user rm: %q", out)
	}
	if !strings.Contains(c.ok("user", "ls"), "lee\tremoved\t") {
		t.Error("user ls does not show lee as removed")
	}
	c.as("lee", leePass)
	c.want(3, "lee", "ls")
	c.as("kim", kimPass)
	third := c.ok("add", file("d.txt", "증언 넷"))[:32]
	c.as("choi", "choi's new passphrase")
	for _, id := range []string{first, second, third} {
		c.ok("cat", id)
	}

	// log --actor: what one user did.
	c.as("kim", kimPass)
	byLee := c.ok("log", "--actor", "lee")
	if n := strings.Count(byLee, "\n"); n != 1 || !strings.Contains(byLee, "\tlee\tintake\t"+second) {
		t.Errorf("log --actor lee:\n%s", byLee)
	}
	byKim := c.ok("log", "--actor", "kim")
	for _, kind := range []string{"\tinit\t", "\tgrant\t", "\trevoke\t", "\tintake\t"} {
		if !strings.Contains(byKim, kind) {
			t.Errorf("log --actor kim lacks %s:\n%s", strings.TrimSpace(kind), byKim)
		}
	}
	if strings.Contains(byKim, "\tlee\t") || strings.Contains(byKim, "\tchoi\t") {
		t.Errorf("log --actor kim lists others:\n%s", byKim)
	}
	if out := c.ok("log", "--actor", "nobody"); out != "" {
		t.Errorf("log --actor nobody: %q", out)
	}

	if out, errs := c.ok("verify"), ""; out != "" {
		t.Errorf("verify after user changes:\n%s%s", out, errs)
	}
}

// TestUsersBinary runs user add, passwd and rm through the built binary, as
// a script would, then checks that sori verify is clean and that no file of
// the archive holds a user name or passphrase in the clear.
func TestUsersBinary(t *testing.T) {
	ta := newTestArchive(t)
	const name, pass, pass2 = "investigator-hwang-binary", "hwang's first passphrase", "hwang's second passphrase"
	runAs := func(extra []string, args ...string) (string, string, int) {
		t.Helper()
		var out, errb strings.Builder
		cmd := ta.command(t.Context(), args...)
		cmd.Env = append(cmd.Env, extra...)
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if err != nil {
			code = cmd.ProcessState.ExitCode()
			if code < 0 {
				t.Fatalf("sori %s: %v", strings.Join(args, " "), err)
			}
		}
		return out.String(), errb.String(), code
	}
	if _, errs, code := runAs([]string{"SORI_NEW_PASSPHRASE=" + pass}, "user", "add", name, "--role", "investigator"); code != 0 {
		t.Fatalf("user add: exit %d %s", code, errs)
	}
	as := []string{"SORI_USER=" + name, "SORI_PASSPHRASE=" + pass}
	src := filepath.Join(t.TempDir(), "statement.txt")
	os.WriteFile(src, []byte("증언: 1997년 겨울"), 0o600)
	if _, errs, code := runAs(as, "add", src); code != 0 {
		t.Fatalf("add as the investigator: exit %d %s", code, errs)
	}
	if _, errs, code := runAs(append(as, "SORI_NEW_PASSPHRASE="+pass2), "passwd"); code != 0 {
		t.Fatalf("passwd: exit %d %s", code, errs)
	}
	if _, _, code := runAs(as, "ls"); code != 3 {
		t.Errorf("old passphrase after passwd: exit %d, want 3", code)
	}
	if _, errs, code := runAs(nil, "user", "rm", name); code != 0 {
		t.Fatalf("user rm: exit %d %s", code, errs)
	}
	if _, _, code := runAs([]string{"SORI_USER=" + name, "SORI_PASSPHRASE=" + pass2}, "ls"); code != 3 {
		t.Errorf("removed user: exit %d, want 3", code)
	}
	if out, errs, code := runAs(nil, "verify"); code != 0 || out != "" {
		t.Errorf("verify after user changes: exit %d\n%s%s", code, out, errs)
	}
	filepath.WalkDir(ta.dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		for _, s := range []string{name, pass, pass2, testPassphrase, "tester"} {
			if strings.Contains(string(b), s) {
				t.Errorf("%s holds %q in the clear", p, s)
			}
		}
		return nil
	})
}
