package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// TestWitnessCommands drives witness add, show, ls and withdraw through the
// CLI: only protection officers get in (exit 3 for others, the admin
// without protection included), sori verify stays clean, and no name or
// contact appears in any file of the archive, on stdout of the commands
// that must not print them, on stderr or in the debug log.
func TestWitnessCommands(t *testing.T) {
	c := newCLI(t)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var public bytes.Buffer // everything printed except by show
	stdin := ""
	run := func(code int, args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(k string) string { return c.env[k] }, log: logger}
		stdin = ""
		if got := run(context.Background(), e, args); got != code {
			t.Errorf("sori %s: exit %d, want %d\n%s", strings.Join(args, " "), got, code, errb.String())
		}
		public.Write(errb.Bytes())
		if args[0] != "witness" || args[1] != "show" {
			public.Write(out.Bytes())
		}
		return out.String()
	}
	const kimPass, poPass, invPass, admPass = "a passphrase for tests", "protection passphrase", "investigator passphrase", "second admin passphrase"
	c.as("kim", kimPass)
	run(0, "init")
	for user, role := range map[string]string{"po-han": "protection", "inv-pak": "investigator", "adm-ro": "admin"} {
		c.env["SORI_NEW_PASSPHRASE"] = map[string]string{"po-han": poPass, "inv-pak": invPass, "adm-ro": admPass}[user]
		run(0, "user", "add", user, "--role", role)
	}
	names := []string{"림송화", "Rim Song-hwa", "Kang Ŏn-ju", "강언주"}
	contact, note := "Signal +82 10-5555-0117 (송화 이모)", "sister in Hoeryong, 회령"
	idFile := filepath.Join(t.TempDir(), "w17.json")
	if err := os.WriteFile(idFile, []byte(identityJSON([]string{norm.NFD.String(names[0]), names[1]}, contact, note)), 0o600); err != nil {
		t.Fatal(err)
	}
	// True identities are never arguments: refused, nothing stored, the
	// value not repeated.
	for _, flag := range []string{"--name", "--contact", "-note", "--name=" + names[1]} {
		args := []string{"witness", "add", "--pseudonym", "W-17", flag}
		if !strings.Contains(flag, "=") {
			args = append(args, names[1])
		}
		run(2, args...)
	}
	out := run(0, "witness", "add", "--pseudonym", "W-17", "--identity", idFile)
	m := regexp.MustCompile("^W-17\tactive\t([0-9a-f]{32})\n$").FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("witness add: %q", out)
	}
	c.as("po-han", poPass)
	stdin = identityJSON([]string{names[2], names[3]}, "kang@example.org", "")
	run(0, "witness", "add", "--pseudonym", "W-18", "--identity", "-", "--json")
	stdin = identityJSON([]string{"Other Name"}, "", "")
	run(1, "witness", "add", "--pseudonym", "W-18", "--identity", "-")
	stdin = identityJSON([]string{"x"}, "", "")
	run(2, "witness", "add", "--pseudonym", "강언주", "--identity", "-")
	run(2, "witness", "add", "--pseudonym", "W-19") // no identity, no terminal
	stdin = `{"names": ["Kang Ŏn-ju"], "nmae": "typo"}`
	run(2, "witness", "add", "--pseudonym", "W-19", "--identity", "-")
	stdin = identityJSON(nil, "kang@example.org", "")
	run(2, "witness", "add", "--pseudonym", "W-19", "--identity", "-")
	run(2, "witness", "add", "--pseudonym", "W-19", "--identity", "-", "Kang Ŏn-ju")
	show := run(0, "witness", "show", "W-17")
	for _, s := range []string{names[0], names[1], contact, "Hoeryong", "status:    active"} {
		if !strings.Contains(show, s) {
			t.Errorf("show lacks %q:\n%s", s, show)
		}
	}
	var shown witnessJSON
	if err := json.Unmarshal([]byte(run(0, "witness", "show", "--json", "W-18")), &shown); err != nil || len(shown.Names) != 2 || shown.Names[1] != names[3] || shown.Status != "active" {
		t.Errorf("show --json: %v %+v", err, shown)
	}
	if ls := run(0, "witness", "ls"); !regexp.MustCompile(`^W-17\tactive\t[0-9a-f]{32}\t\S+\t-\nW-18\tactive\t`).MatchString(ls) {
		t.Errorf("ls: %q", ls)
	}
	// Every opening is in the custody log, by entry ID.
	if log := run(0, "log", "--json"); strings.Count(log, `"vault-open"`) != 2 || !strings.Contains(log, m[1]) {
		t.Errorf("log lacks the vault openings:\n%s", log)
	}
	for user, pass := range map[string]string{"inv-pak": invPass, "adm-ro": admPass} {
		c.as(user, pass)
		run(3, "witness", "ls")
		run(3, "witness", "show", "W-17")
		stdin = identityJSON([]string{"Ro Ha-na"}, "", "")
		run(3, "witness", "add", "--pseudonym", "W-30", "--identity", "-")
		run(3, "witness", "withdraw", "W-17", "--yes")
	}
	c.as("adm-ro", admPass)
	c.env["SORI_NEW_PASSPHRASE"] = poPass
	run(3, "user", "add", "po-two", "--role", "protection")

	c.as("kim", kimPass)
	run(2, "witness", "withdraw", "W-17") // no --yes, no terminal
	if out := run(0, "witness", "withdraw", "W-17", "--yes"); !strings.HasPrefix(out, "W-17\twithdrawn\t"+m[1]) {
		t.Errorf("withdraw: %q", out)
	}
	run(2, "witness", "withdraw", "W-17", "--yes")
	run(1, "witness", "withdraw", "W-99", "--yes")
	if out := run(0, "witness", "show", "W-17"); !strings.HasPrefix(out, "W-17\twithdrawn\t") {
		t.Errorf("show after withdrawal: %q", out)
	}
	if ls := run(0, "witness", "ls"); !regexp.MustCompile(`^W-17\twithdrawn\t[0-9a-f]{32}\t\S+\t\S+Z\nW-18\tactive\t`).MatchString(ls) {
		t.Errorf("ls after withdrawal: %q", ls)
	}
	if out := run(0, "verify"); out != "" {
		t.Errorf("verify after vault changes:\n%s", out)
	}

	var needles []string
	for _, s := range append(names, contact, note, "kang@example.org", "5555-0117", "송화 이모", "Hoeryong", "회령", "Song-hwa", "Ŏn-ju") {
		needles = append(needles, norm.NFC.String(s), norm.NFD.String(s))
	}
	for _, n := range needles {
		if strings.Contains(public.String(), n) || strings.Contains(logs.String(), n) {
			t.Errorf("output or log holds %q", n)
		}
	}
	if !strings.Contains(logs.String(), m[1]) {
		t.Error("the debug log does not name the entry by ID")
	}
	filepath.WalkDir(c.env["SORI_ARCHIVE"], func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range needles {
			if bytes.Contains(b, []byte(n)) {
				t.Errorf("%s holds %q in the clear", p, n)
			}
		}
		return nil
	})
}

// TestWitnessIdentityPrompts: on a terminal without --identity, witness
// add asks for the names, contact and note without echo, and stores them.
func TestWitnessIdentityPrompts(t *testing.T) {
	c := newCLI(t)
	c.ok("init", "--user", "kim")
	answers := []string{"림송화", "Rim Song-hwa", "", "+82 10-5555-0117", "a note"}
	var prompts []string
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return c.env[k] }, stdinTTY: true,
		readPassword: func(p string) (string, error) {
			prompts = append(prompts, p)
			a := answers[0]
			answers = answers[1:]
			return a, nil
		}}
	if code := run(context.Background(), e, []string{"witness", "add", "--pseudonym", "W-17"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if len(answers) != 0 || len(prompts) != 5 {
		t.Fatalf("prompts %q, answers left %q", prompts, answers)
	}
	show := c.ok("witness", "show", "W-17")
	for _, s := range []string{"림송화", "Rim Song-hwa", "+82 10-5555-0117", "a note"} {
		if !strings.Contains(show, s) {
			t.Errorf("show lacks %q:\n%s", s, show)
		}
	}
}

// TestWitnessShredCLI: `witness withdraw --shred-items` lists the items it
// will destroy, prints them as shredded, `cat` then fails with a clear
// message (exit 1), search no longer finds their text, and verify exits 0.
func TestWitnessShredCLI(t *testing.T) {
	ta := newTestArchive(t)
	ta.mustRun(t, strings.NewReader(`{"names":["합성 증인"]}`), "witness", "add", "--pseudonym", "W-41", "--identity", "-")
	src := filepath.Join(t.TempDir(), "w41.txt")
	if err := os.WriteFile(src, []byte("합성 증언 고유한말뭉치 이야기"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := ta.mustRun(t, nil, "add", "--witness", "W-41", src)
	id := strings.Fields(out)[0]
	if got := ta.mustRun(t, nil, "search", "고유한말뭉치"); !strings.Contains(got, id) {
		t.Fatalf("search before: %q", got)
	}
	stdout, stderr, code := ta.run(t, nil, "witness", "withdraw", "W-41", "--shred-items", "--yes")
	if code != exitOK {
		t.Fatalf("withdraw --shred-items: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, id) || !strings.Contains(stderr, "--shred-items") {
		t.Errorf("the confirmation does not list the item or say what shredding does:\n%s", stderr)
	}
	if !strings.Contains(stdout, "shredded\t"+id) {
		t.Errorf("stdout: %q", stdout)
	}
	_, stderr, code = ta.run(t, nil, "cat", id)
	if code != 1 || !strings.Contains(stderr, "shredded") {
		t.Errorf("cat of a shredded item: exit %d, %q", code, stderr)
	}
	if got := ta.mustRun(t, nil, "search", "고유한말뭉치"); strings.Contains(got, id) {
		t.Errorf("search after: %q", got)
	}
	if _, stderr, code := ta.run(t, nil, "verify"); code != exitOK {
		t.Errorf("verify after shredding: exit %d\n%s", code, stderr)
	}
}
