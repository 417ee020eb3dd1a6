package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeTemp(t *testing.T, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImport(t *testing.T) {
	c, item := newRecordsCLI(t)
	event := c.addRecord("event", "add", "--title", "Forced repatriation, spring 1998", "--date", "1998", "--violation", "강제북송")

	// Records refer forward and backward by @ref, and to an existing item
	// and event by ID prefix; labels are Korean and English.
	start := strings.Index(transcript, "공개처형")
	good := fmt.Sprintf(`[
  {"kind": "involvement", "act": "@act1", "perpetrator": "@ssd", "degree": "violent.ordered", "perpetrator_type": "보위부"},
  {"kind": "act", "ref": "act1", "event": "@exec", "victim": "@pak", "violation": "공개처형",
   "date": "~1997-03", "place": "@market", "status_at_end": "dead"},
  {"kind": "event", "ref": "exec", "title": "Public execution at Hyesan market", "date": "1997-03",
   "places": ["혜산", "@market"], "violations": ["Public execution"]},
  {"kind": "person", "ref": "pak", "names": ["박철민", "Pak Chol-min"], "sex": "m", "birth_year": 1961},
  {"kind": "person", "ref": "ssd", "names": ["혜산시 보위부"], "counting_unit": "unit"},
  {"kind": "place", "ref": "market", "names": ["혜산 장마당"], "type": "market", "parent": "Hyesan"},
  {"kind": "testimony", "ref": "t1", "title": "Interview 1", "witness": "W-17", "original": %q, "languages": ["ko"]},
  {"kind": "information", "source": "@t1", "event": "@exec", "connection": "direct.witness", "reliability": "B", "credibility": "2"},
  {"kind": "information", "source": "@t1", "event": %q, "connection": "hearsay"},
  {"kind": "annotation", "item": %q, "start": %d, "end": %d, "target": "@exec"}
]`, item[:8], event[:10], item, start, start+len("공개처형"))
	f := writeTemp(t, "survey.json", good)

	if out := c.ok("import", "--check", f); out != "10 records OK\n" {
		t.Errorf("import --check: %q", out)
	}
	if n := c.countRecords(); n != 1 {
		t.Fatalf("--check stored records: %d", n)
	}
	var res struct {
		IDs  []string          `json:"ids"`
		Refs map[string]string `json:"refs"`
	}
	if err := json.Unmarshal([]byte(c.ok("import", "--json", f)), &res); err != nil || len(res.IDs) != 10 || len(res.Refs) != 6 {
		t.Fatalf("import --json: %v %+v", err, res)
	}
	if n := c.countRecords(); n != 11 {
		t.Errorf("%d records after import, want 11", n)
	}
	act := c.ok("show", res.Refs["act1"])
	for _, w := range []string{"event           " + res.Refs["exec"], "victim          " + res.Refs["pak"], "place           " + res.Refs["market"], "violation       detention.execution.public"} {
		if !strings.Contains(act, w) {
			t.Errorf("imported act lacks %q:\n%s", w, act)
		}
	}
	if inv := c.ok("show", res.IDs[0]); !strings.Contains(inv, "act             "+res.Refs["act1"]) || !strings.Contains(inv, "perpetrator type dprk.mss") {
		t.Errorf("imported involvement:\n%s", inv)
	}

	// CSV, one kind per file, lists separated by ";".
	csvFile := writeTemp(t, "persons.csv", "kind,ref,names,sex,birth_year,notes\n"+
		"person,kim,김영희; Kim Yong-hui,f,1970,\"met in Yanji,\nthen Seoul\"\n"+
		"person,,리영호;Ri Yong-ho,m,,\n")
	if out := c.ok("import", csvFile); out != "2 records imported\n" {
		t.Errorf("import csv: %q", out)
	}
	if ls := c.ok("ls", "--kind", "person"); !strings.Contains(ls, "\tperson\t김영희 / Kim Yong-hui\n") || !strings.Contains(ls, "\tperson\t리영호 / Ri Yong-ho\n") {
		t.Errorf("persons after csv import:\n%s", ls)
	}
	// Standard input.
	if code, out, errs := c.run(`[{"kind": "person", "names": ["최"]}]`, "import", "--format", "json", "-"); code != 0 || out != "1 records imported\n" {
		t.Errorf("import from stdin: %d %q %q", code, out, errs)
	}

	// Broken files: exit 2, every problem with its line, nothing stored.
	before := c.countRecords()
	for _, tc := range []struct {
		name, data string
		want       []string
	}{
		{"syntax.json", "[\n  {\"kind\": \"person\", \"names\": [\"a\"]},\n  {\"kind\": \"person\" \"names\": [\"b\"]}\n]", []string{"syntax.json: line 3: invalid character"}},
		{"fields.json", `[
  {"kind": "person", "ref": "a", "names": ["a"]},
  {"kind": "event", "title": "t",
   "violations": ["고문"]},
  {"kind": "act", "event": "@a", "violation": "other"},
  {"kind": "person", "names": ["b"], "birth_year": "1960"}
]`, []string{"fields.json: line 4: violations:", "fields.json: line 5: event: @a (line 2) is a person; want an event", "fields.json: line 6: birth_year: want a number", "nothing imported (3 problems)"}},
		{"refs.json", `[{"kind": "act", "event": "@nowhere", "violation": "other"}]`, []string{"line 1: event: no record in this input has ref \"nowhere\""}},
		{"span.json", fmt.Sprintf("[\n{\"kind\": \"annotation\", \"item\": %q, \"start\": 0,\n \"end\": 9999, \"target\": %q}]", item, event), []string{"line 3: end: span 0:9999 lies beyond the end"}},
		{"bad.csv", "kind,names,birth_year\nperson,a,1950\nperson,b,fifty\n", []string{"bad.csv: line 3: birth_year: \"fifty\" is not a whole number"}},
		{"quote.csv", "kind,names\nperson,a\nperson,\"b\nperson,c\n", []string{"quote.csv: line 3:"}},
		{"columns.csv", "kind,names,title\nperson,a,\nperson,b,T\n", []string{"columns.csv: line 3: title: a person has no such field"}},
		{"empty.json", "[]", []string{"no records"}},
		{"data.txt", "kind,names\nperson,a\n", []string{"cannot tell the format"}},
	} {
		f := writeTemp(t, tc.name, tc.data)
		code, out, errs := c.run("", "import", f)
		if code != 2 || out != "" {
			t.Errorf("import %s: exit %d, stdout %q; want 2 and nothing", tc.name, code, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(errs, w) {
				t.Errorf("import %s: stderr lacks %q:\n%s", tc.name, w, errs)
			}
		}
	}
	if after := c.countRecords(); after != before {
		t.Errorf("failed imports changed the record count from %d to %d", before, after)
	}
	c.fails(2, "exactly one file", "import")
	c.fails(2, "--format", "import", "-")
	c.fails(2, "no such file", "import", filepath.Join(t.TempDir(), "missing.json"))

	if code, out, errs := c.run("", "verify"); code != 0 || out != "" {
		t.Errorf("verify after imports: exit %d\n%s\n%s", code, out, errs)
	}
}

// TestImportProblemsGuarded: a problem that quotes a cell holding a sealed
// name is reported to an investigator with the name masked.
func TestImportProblemsGuarded(t *testing.T) {
	c := newCLI(t)
	c.as("kim", "a passphrase for tests")
	c.ok("init")
	c.addWitness("W-23", "최영남", "Choi Young-nam")
	c.env["SORI_NEW_PASSPHRASE"] = "investigator passphrase"
	c.ok("user", "add", "inv", "--role", "investigator")
	c.as("inv", "investigator passphrase")
	bad := writeTemp(t, "bad.json", `[{"kind": "event", "title": "Arrest", "violations": ["Choi Young-nam"]}]`)
	code, _, errs := c.run("", "import", bad)
	if code != 2 || !strings.Contains(errs, "violation") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if strings.Contains(errs, "Choi") || strings.Contains(errs, "Young") {
		t.Errorf("the problem report shows the sealed name:\n%s", errs)
	}
}
