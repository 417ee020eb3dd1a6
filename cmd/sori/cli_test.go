package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// cli runs sori in-process, as main would, with its own environment.
type cli struct {
	t   *testing.T
	env map[string]string
}

func newCLI(t *testing.T) *cli {
	dir := filepath.Join(t.TempDir(), "archive")
	return &cli{t: t, env: map[string]string{
		"SORI_ARCHIVE":       dir,
		"SORI_PASSPHRASE":    "a passphrase for tests",
		"SORI_TEST_KDF_LOGN": "10",
		"SORI_STATE_DIR":     t.TempDir(),
	}}
}

func (c *cli) run(stdin string, args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	e := &env{
		stdin:  strings.NewReader(stdin),
		stdout: &out,
		stderr: &errb,
		getenv: func(k string) string { return c.env[k] },
	}
	code = run(context.Background(), e, args)
	return code, out.String(), errb.String()
}

func (c *cli) ok(args ...string) string {
	c.t.Helper()
	code, out, errs := c.run("", args...)
	if code != 0 {
		c.t.Fatalf("sori %s: exit %d\n%s", strings.Join(args, " "), code, errs)
	}
	return out
}

func TestCLIContract(t *testing.T) {
	c := newCLI(t)
	if code, _, errs := c.run("", "ls"); code != 1 || !strings.Contains(errs, "not a sori archive") {
		t.Errorf("ls before init: exit %d, %q", code, errs)
	}
	if out := c.ok("init", "--user", "kim"); !strings.Contains(out, "created archive") {
		t.Errorf("init: %q", out)
	}
	if code, _, _ := c.run("", "init", "--user", "kim"); code != 1 {
		t.Errorf("init over an archive: exit %d, want 1", code)
	}

	src := t.TempDir()
	ko := filepath.Join(src, "면담.ko.txt")
	os.WriteFile(ko, []byte("질문: 언제 건넜습니까?\n답변: 1998년 가을입니다.\n"), 0o644)
	out := c.ok("add", "--lang", "ko", "--witness", "W-17", ko)
	line := regexp.MustCompile(`^([0-9a-f]{32})\t([0-9a-f]{64})\t(.+)\n$`).FindStringSubmatch(out)
	if line == nil || line[3] != ko {
		t.Fatalf("add output %q is not ID<TAB>SHA256<TAB>PATH", out)
	}
	id := line[1]
	sum := sha256.Sum256([]byte("질문: 언제 건넜습니까?\n답변: 1998년 가을입니다.\n"))
	if line[2] != hex.EncodeToString(sum[:]) {
		t.Errorf("add printed sha256 %s", line[2])
	}

	// Same bytes again: same ID, said on stderr, exit 0.
	code, out, errs := c.run("", "add", "--json", ko)
	var j struct {
		ID        string `json:"id"`
		SHA256    string `json:"sha256"`
		Path      string `json:"path"`
		Size      int64  `json:"size"`
		Duplicate bool   `json:"duplicate"`
	}
	if err := json.Unmarshal([]byte(out), &j); err != nil || code != 0 || j.ID != id || !j.Duplicate || j.Size != int64(len("질문: 언제 건넜습니까?\n답변: 1998년 가을입니다.\n")) {
		t.Errorf("duplicate add: exit %d, %q, %+v", code, out, j)
	}
	if !strings.Contains(errs, "already in the archive") {
		t.Errorf("duplicate not announced: %q", errs)
	}

	// Standard input, translation link by prefix.
	code, out, _ = c.run("The question: when did you cross?\n", "add", "--lang", "en", "--title", "Interview (en)", "--translation-of", id[:8], "-")
	if code != 0 || !strings.HasSuffix(out, "\t-\n") {
		t.Fatalf("stdin add: exit %d, %q", code, out)
	}
	enID := out[:32]

	ls := c.ok("ls")
	if !strings.Contains(ls, id+"\ttranscript\tko\t") || !strings.Contains(ls, enID+"\tdocument\ten\t") || !strings.Contains(ls, "\t1\tInterview (en)\n") {
		t.Errorf("ls: %q", ls)
	}
	var shown struct {
		ID       string `json:"id"`
		Versions []struct {
			Version       int    `json:"version"`
			Title         string `json:"title"`
			TranslationOf string `json:"translation_of"`
			ActorName     string `json:"actor_name"`
			Digest        string `json:"digest"`
		} `json:"versions"`
	}
	if err := json.Unmarshal([]byte(c.ok("show", "--json", enID)), &shown); err != nil || shown.Versions[0].TranslationOf != id || shown.Versions[0].ActorName != "kim" {
		t.Errorf("show --json: %v %+v", err, shown)
	}
	if got := c.ok("cat", id[:10]); got != "질문: 언제 건넜습니까?\n답변: 1998년 가을입니다.\n" {
		t.Errorf("cat: %q", got)
	}
	if out := c.ok("edit", id, "--title", "첫 면담"); out != id+"\t2\n" {
		t.Errorf("edit: %q", out)
	}
	if show := c.ok("show", id); !strings.Contains(show, "version 2 (current)") || !strings.Contains(show, "version 1 ") || !strings.Contains(show, "첫 면담") {
		t.Errorf("show after edit:\n%s", show)
	}

	// Exit codes.
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"add"}, 2, "nothing to add"},
		{[]string{"add", "--kind", "film", ko}, 2, "kind"},
		{[]string{"add", filepath.Join(src, "missing")}, 1, "missing"},
		{[]string{"show"}, 2, "exactly one"},
		{[]string{"show", "abc"}, 2, "at least 6"},
		{[]string{"cat", "ffffffff"}, 1, "not found"},
		{[]string{"edit", id}, 2, "nothing to change"},
		{[]string{"ls", "--bogus"}, 2, "bogus"},
	} {
		code, _, errs := c.run("", tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.msg) {
			t.Errorf("sori %s: exit %d %q, want exit %d mentioning %q", strings.Join(tc.args, " "), code, errs, tc.code, tc.msg)
		}
	}
	c.env["SORI_PASSPHRASE"] = "not the passphrase"
	if code, _, errs := c.run("", "ls"); code != 3 || !strings.Contains(errs, "wrong passphrase") {
		t.Errorf("wrong passphrase: exit %d %q", code, errs)
	}
	pf := filepath.Join(t.TempDir(), "pass")
	os.WriteFile(pf, []byte("a passphrase for tests\n"), 0o600)
	if code, _, errs := c.run("", "ls", "--passphrase-file", pf); code != 0 {
		t.Errorf("--passphrase-file should win over the environment: exit %d %q", code, errs)
	}
	c.env["SORI_PASSPHRASE"] = "a passphrase for tests"
	if code, _, errs := c.run("", "ls", "--user", "nobody"); code != 3 || !strings.Contains(errs, "nobody") {
		t.Errorf("unknown user: exit %d %q", code, errs)
	}
}

func TestHelp(t *testing.T) {
	c := newCLI(t)
	out := c.ok("help")
	for _, cmd := range commands {
		if !strings.Contains(out, "  "+cmd.name+" ") {
			t.Errorf("overview lacks %s", cmd.name)
		}
		h := c.ok("help", cmd.name)
		if !strings.Contains(h, "Usage: sori "+cmd.name) || !strings.Contains(h, "Example") {
			t.Errorf("help %s lacks usage or examples:\n%s", cmd.name, h)
		}
		if got := c.ok(cmd.name, "-h"); got != h {
			t.Errorf("sori %s -h differs from sori help %s", cmd.name, cmd.name)
		}
	}
	if code, _, _ := c.run(""); code != 2 {
		t.Errorf("no command: exit %d", code)
	}
	// docs/cli.md documents every command.
	doc, err := os.ReadFile("../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range commands {
		if !strings.Contains(string(doc), "### `sori "+cmd.name) {
			t.Errorf("docs/cli.md lacks a section for sori %s", cmd.name)
		}
	}
}

func TestDemo(t *testing.T) {
	c := newCLI(t)
	dir := filepath.Join(t.TempDir(), "demo")
	out := c.ok("demo", "--dir", dir, "--no-serve")
	if !strings.Contains(out, "15 synthetic items") || !strings.Contains(out, "sori ls") {
		t.Errorf("demo output:\n%s", out)
	}
	c.env["SORI_ARCHIVE"] = dir
	c.env["SORI_PASSPHRASE"] = demoPassphrase
	ls := c.ok("ls")
	if n := strings.Count(ls, "\n"); n != 15 {
		t.Errorf("demo archive lists %d items", n)
	}
	if !strings.Contains(ls, "\tko\t") || !strings.Contains(ls, "\ten\t") {
		t.Errorf("demo lacks Korean or English items:\n%s", ls)
	}
}

// identityJSON is an --identity document.
func identityJSON(names []string, contact, note string) string {
	b, _ := json.Marshal(identityFile{Names: names, Contact: contact, Note: note})
	return string(b)
}

// addWitness runs 'witness add --pseudonym P --identity -' with the
// identity on standard input, and returns its output.
func (c *cli) addWitness(pseudonym string, names ...string) string {
	c.t.Helper()
	code, out, errs := c.run(identityJSON(names, "", ""), "witness", "add", "--pseudonym", pseudonym, "--identity", "-")
	if code != 0 {
		c.t.Fatalf("witness add %s: exit %d\n%s", pseudonym, code, errs)
	}
	return out
}
