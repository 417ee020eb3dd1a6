package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestConsentCommands drives consent set, show and ls, export under each
// scope and restriction, the read audit through cat and log --actor, and
// import's refusal of a second consent record.
func TestConsentCommands(t *testing.T) {
	c := newCLI(t)
	const kimPass, choiPass, anPass = "a passphrase for tests", "choi's passphrase", "analyst's passphrase"
	c.as("kim", kimPass)
	c.ok("init")
	src := t.TempDir()
	file := func(name string, data []byte) string {
		p := filepath.Join(src, name)
		os.WriteFile(p, data, 0o600)
		return p
	}
	add := func(p string) string { return c.ok("add", p)[:32] }
	ko := add(file("w17.ko.txt", []byte("질문: 언제 건넜습니까?\n답변: 1998년 가을입니다.\n")))
	audio := add(file("w17.m4a", []byte("not really an m4a, but bytes")))
	loose := add(file("note.txt", []byte("a field note")))
	ti := strings.TrimSpace(c.ok("testimony", "add", "--title", "Interview 1", "--witness", "W-17", "--original", ko[:8], "--translation", audio))

	show := c.ok("consent", "show", ti[:8])
	if !strings.Contains(show, "no consent recorded: internal use only") {
		t.Errorf("consent show before set:\n%s", show)
	}
	c.want(2, "--scope", "consent", "set", ti)
	c.want(2, "nothing to set", "consent", "set", ti)
	c.want(2, "not a record", "consent", "set", ko, "--scope", "court")
	ev := strings.TrimSpace(c.ok("event", "add", "--title", "Crossing"))
	c.want(2, "not a testimony", "consent", "set", ev, "--scope", "court")
	c.want(2, "consent_scope", "consent", "set", ti, "--scope", "everything")

	dir := func() string { return filepath.Join(t.TempDir(), "bundle") }
	entries := func() int { return strings.Count(c.ok("log"), "\n") }
	n := entries()
	out := c.want(2, "internal use only", "export", "--out", dir(), ko, audio, loose)
	_ = out
	_, _, errs := c.run("", "export", "--out", dir(), ko, audio, loose)
	if !strings.Contains(errs, ko) || !strings.Contains(errs, audio) || strings.Contains(errs, loose) {
		t.Errorf("refusal names:\n%s", errs)
	}
	if entries() != n {
		t.Error("a refused export was logged")
	}
	c.ok("export", "--out", dir(), loose)

	set := c.ok("consent", "set", ti, "--scope", "court", "--no-audio", "--given", "2024-03-02")
	m := regexp.MustCompile("^([0-9a-f]{32})\t1\n$").FindStringSubmatch(set)
	if m == nil {
		t.Fatalf("consent set: %q", set)
	}
	cid := m[1]
	c.want(2, "excludes audio", "export", "--out", dir(), ko, audio)
	bundle := dir()
	c.ok("export", "--out", bundle, ko)
	c.ok("verify-bundle", bundle)
	var v struct {
		ID      string `json:"id"`
		Version int    `json:"version"`
		Changed bool   `json:"changed"`
	}
	json.Unmarshal([]byte(c.ok("consent", "set", ti, "--no-audio=false", "--json")), &v)
	if v.ID != cid || v.Version != 2 || !v.Changed {
		t.Errorf("consent set --json: %+v", v)
	}
	if _, _, errs := c.run("", "consent", "set", ti, "--scope", "court"); !strings.Contains(errs, "nothing changed") {
		t.Errorf("unchanged set: %q", errs)
	}
	c.ok("export", "--out", dir(), ko, audio)
	show = c.ok("consent", "show", ti)
	if !strings.Contains(show, "version 2 (current)") || !strings.Contains(show, "version 1 ") || !strings.Contains(show, "no audio") {
		t.Errorf("consent show:\n%s", show)
	}
	var info struct {
		Found  bool `json:"found"`
		Record struct {
			Versions []json.RawMessage `json:"versions"`
		} `json:"record"`
	}
	if err := json.Unmarshal([]byte(c.ok("consent", "show", "--json", ti)), &info); err != nil || !info.Found || len(info.Record.Versions) != 2 {
		t.Errorf("consent show --json: %v %+v", err, info)
	}
	if ls := c.ok("consent", "ls"); ls != ti+"\t"+cid+"\tcourt\t-\n" {
		t.Errorf("consent ls: %q", ls)
	}
	c.ok("consent", "set", ti, "--place-precision", "province", "--no-video")
	if ls := c.ok("consent", "ls"); !strings.HasSuffix(ls, "\tcourt\tno-video,place=province\n") {
		t.Errorf("consent ls: %q", ls)
	}
	if n := strings.Count(c.ok("consent", "ls", "--json"), "\n"); n != 1 {
		t.Errorf("consent ls --json: %d lines", n)
	}

	// A second consent record by import is refused.
	imp := file("consent.json", []byte(`[{"kind":"consent","testimony":"`+ti+`","scope":"named"}]`))
	c.want(2, "sori consent set", "import", imp)

	// Roles: an analyst may not set consent; a reader may show it.
	c.env["SORI_NEW_PASSPHRASE"] = anPass
	c.ok("user", "add", "an-yu", "--role", "analyst")
	c.env["SORI_NEW_PASSPHRASE"] = choiPass
	c.ok("user", "add", "choi", "--role", "reader")
	c.as("an-yu", anPass)
	c.want(3, "forbidden", "consent", "set", ti, "--scope", "named")
	// Reads of the testimony's items are logged, by actor.
	if got := c.ok("cat", ko); !strings.Contains(got, "1998년") {
		t.Errorf("cat: %q", got)
	}
	c.ok("cat", loose)
	c.as("choi", choiPass)
	c.ok("consent", "show", ti)
	c.ok("cat", ko) // a reader's read is audited like anyone's
	log := c.ok("log", "--actor", "an-yu")
	if strings.Count(log, "\tread\t") != 1 || !strings.Contains(log, "\tread\t"+ko) {
		t.Errorf("log --actor an-yu:\n%s", log)
	}
	if got := c.ok("log", "--actor", "choi"); strings.Count(got, "\tread\t") != 1 || !strings.Contains(got, "\tread\t"+ko) {
		t.Errorf("log --actor choi:\n%s", got)
	}
	c.as("kim", kimPass)
	c.ok("verify")
}

// TestRoleHandoverCLI: the first admin hands the protection role to a new
// user and drops its own; it can no longer open the vault, the new
// officer can, and verify is clean.
func TestRoleHandoverCLI(t *testing.T) {
	c := newCLI(t)
	const kimPass, hanPass = "a passphrase for tests", "han's passphrase"
	c.as("kim", kimPass)
	c.ok("init")
	c.addWitness("W-17", "Rim Song-hwa")
	c.env["SORI_NEW_PASSPHRASE"] = hanPass
	c.ok("user", "add", "han", "--role", "investigator")
	c.want(2, "last protection officer", "user", "role", "kim", "--rm", "protection")
	c.want(2, "one of --add", "user", "role", "han")
	c.want(2, "unknown role", "user", "role", "han", "--add", "root")
	if out := c.ok("user", "role", "han", "--add", "protection"); !regexp.MustCompile("^han\tprotection,investigator\t[0-9a-f]{32}\n$").MatchString(out) {
		t.Errorf("user role --add: %q", out)
	}
	var u struct {
		Roles   []string `json:"roles"`
		Changed bool     `json:"changed"`
	}
	json.Unmarshal([]byte(c.ok("user", "role", "kim", "--rm", "protection", "--json")), &u)
	if strings.Join(u.Roles, ",") != "admin" || !u.Changed {
		t.Errorf("user role --rm --json: %+v", u)
	}
	if ls := c.ok("user", "ls"); !strings.Contains(ls, "han\tprotection,investigator\t") || !strings.Contains(ls, "kim\tadmin\t") {
		t.Errorf("user ls:\n%s", ls)
	}
	c.want(3, "forbidden", "witness", "show", "W-17")
	c.want(2, "last admin", "user", "role", "kim", "--rm", "admin")
	c.as("han", hanPass)
	if out := c.ok("witness", "show", "W-17"); !strings.Contains(out, "Rim Song-hwa") {
		t.Errorf("new officer's witness show:\n%s", out)
	}
	c.addWitness("W-18", "Kang On-ju")
	log := c.ok("log", "--actor", "kim")
	if strings.Count(log, "\tgrant\t") != 2 || strings.Count(log, "\trevoke\t") != 1 {
		t.Errorf("log --actor kim:\n%s", log)
	}
	c.as("kim", kimPass)
	c.ok("verify")
}

// TestTestimonyHoldsAllItsMaterial: a testimony takes several originals of
// any kind; consent covers each, and every item tagged with the witness's
// pseudonym though linked to no testimony; after withdrawal nothing of the
// witness is exported. A flag that takes one value, given twice, is a
// usage error.
func TestTestimonyHoldsAllItsMaterial(t *testing.T) {
	c := newCLI(t)
	c.as("kim", "a passphrase for tests")
	c.ok("init")
	src := t.TempDir()
	add := func(name, data string, flags ...string) string {
		p := filepath.Join(src, name)
		os.WriteFile(p, []byte(data), 0o600)
		return c.ok(append(append([]string{"add"}, flags...), p)...)[:32]
	}
	ko := add("w23.ko.txt", "질문: 언제 건넜습니까?\n")
	audio := add("w23.m4a", "not really audio")
	photo := add("w23.jpg", "not really a photo")
	tagged := add("w23-second.m4a", "a second recording, tagged only", "--witness", "W-23")
	c.want(2, "more than once", "testimony", "add", "--title", "A", "--title", "B", "--witness", "W-23")
	c.want(2, "more than once", "ls", "--json", "--json")
	ti := strings.TrimSpace(c.ok("testimony", "add", "--title", "Interview", "--witness", "W-23", "--original", ko, "--original", audio, "--original", photo))
	show := c.ok("show", ti, "--json")
	for _, id := range []string{ko, audio, photo} {
		if !strings.Contains(show, id) {
			t.Errorf("testimony lacks %s:\n%s", id, show)
		}
	}
	bundle := func() string { return filepath.Join(t.TempDir(), "bundle") }
	// The tagged item: no consent recorded yet for its witness.
	c.want(2, "no consent recorded yet", "export", "--out", bundle(), tagged)
	c.ok("consent", "set", ti, "--scope", "court", "--no-audio", "--no-video")
	_, _, errs := c.run("", "export", "--out", bundle(), ko, audio, photo, tagged)
	for _, id := range []string{audio, photo, tagged} {
		if !strings.Contains(errs, id) {
			t.Errorf("export refusal does not name %s:\n%s", id, errs)
		}
	}
	if strings.Contains(errs, ko+" ") {
		t.Errorf("the transcript was refused:\n%s", errs)
	}
	c.ok("export", "--out", bundle(), ko)
	// Edit: the list given replaces all originals.
	c.ok("testimony", "edit", ti, "--original", ko)
	show = c.ok("show", ti, "--json")
	if cur := show[strings.LastIndex(show, `"body"`):]; strings.Contains(cur, audio) {
		t.Errorf("edit kept the old originals:\n%s", cur)
	}
	c.ok("testimony", "edit", ti, "--original", ko, "--original", audio)
	c.addWitness("W-23", "Choi Young-nam")
	c.ok("witness", "withdraw", "W-23", "--yes")
	c.want(2, "withdrew", "export", "--out", bundle(), ko)
	c.want(2, "withdrew", "export", "--out", bundle(), tagged)
	c.ok("verify")
}
