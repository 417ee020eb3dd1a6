package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSealedNameWarnings: an investigator adding a transcript that names
// a sealed witness in three romanizations is warned on stderr, span by
// span, with exit 0 and never the name; a person record named like the
// witness is warned about too, and still after the withdrawal.
func TestSealedNameWarnings(t *testing.T) {
	c := newCLI(t)
	const kimPass, invPass = "a passphrase for tests", "investigator passphrase"
	c.as("kim", kimPass)
	c.want(0, "", "init")
	c.env["SORI_NEW_PASSPHRASE"] = invPass
	c.want(0, "", "user", "add", "inv-pak", "--role", "investigator")
	c.addWitness("W-19", "박철민", "Pak Chol-min")

	text := "A: 박철민이가 왔어요.\nPak Chol-min, Park Cheol-min or Pak Ch'ŏl-min; also 박철수.\n"
	p := filepath.Join(t.TempDir(), "t.ko.txt")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	c.as("inv-pak", invPass)
	code, out, errs := c.run("", "add", "--json", p)
	if code != 0 {
		t.Fatalf("add: exit %d: %s", code, errs)
	}
	var got struct {
		ID          string
		SealedNames []struct {
			Start, End int
			Label      string
		} `json:"sealed_names"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	var spans []string
	for _, s := range got.SealedNames {
		spans = append(spans, text[s.Start:s.End])
	}
	if strings.Join(spans, "|") != "박철민|Pak Chol-min|Park Cheol-min|Pak Ch'ŏl-min" {
		t.Fatalf("sealed_names %q", spans)
	}
	warn := regexp.MustCompile(`(?m)^sori add: warning: .*t\.ko\.txt: bytes (\d+):(\d+) hold a name sealed in the identity vault; mark it with 'sori redact ([0-9a-f]{32,64}) --span (\d+):(\d+) --reason sealed-name' before any publication$`)
	ms := warn.FindAllStringSubmatch(errs, -1)
	if len(ms) != 4 || ms[0][1] != "3" || ms[0][2] != "12" || ms[0][3] != got.ID || ms[0][4] != "3" {
		t.Fatalf("warnings:\n%s", errs)
	}
	for _, name := range []string{"박철민", "Pak", "Park", "Cheol", "W-19"} {
		if strings.Contains(errs, name) {
			t.Errorf("stderr names %q:\n%s", name, errs)
		}
	}

	code, _, errs = c.run("", "person", "add", "--name", "Park Cheol-min", "--name", "Kim Ok-sun")
	if code != 0 || !strings.Contains(errs, "sori person add: warning: record ") || !strings.Contains(errs, "1 name(s) sealed in the identity vault;") || strings.Contains(errs, "Park") {
		t.Fatalf("person add: exit %d:\n%s", code, errs)
	}
	code, _, errs = c.run("", "person", "add", "--name", "Kim Ok-sun")
	if code != 0 || errs != "" {
		t.Fatalf("person add, no sealed name: exit %d:\n%s", code, errs)
	}

	c.as("kim", kimPass)
	if out := c.want(0, "", "witness", "rehash"); out != "0 entries hashed\n" {
		t.Errorf("witness rehash: %q", out)
	}
	c.as("inv-pak", invPass)
	c.want(3, "", "witness", "rehash")
	c.as("kim", kimPass)
	c.want(0, "", "witness", "withdraw", "W-19", "--yes")
	c.as("inv-pak", invPass)
	if err := os.WriteFile(p, []byte(text+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A withdrawal keeps the guard: the name is still warned about.
	code, _, errs = c.run("", "add", p)
	if code != 0 || strings.Count(errs, "warning") != 4 {
		t.Fatalf("after withdrawal: exit %d:\n%s", code, errs)
	}
	c.want(0, "", "verify")
}
