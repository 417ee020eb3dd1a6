package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sori/internal/model"
)

var idLine = regexp.MustCompile(`^[0-9a-f]{32}\n$`)

// addRecord runs a record command that prints a new ID, and returns it.
func (c *cli) addRecord(args ...string) string {
	c.t.Helper()
	out := c.ok(args...)
	if !idLine.MatchString(out) {
		c.t.Fatalf("sori %s printed %q, want an ID", strings.Join(args, " "), out)
	}
	return strings.TrimSpace(out)
}

// fails runs a command that must fail with code, saying msg.
func (c *cli) fails(code int, msg string, args ...string) {
	c.t.Helper()
	got, out, errs := c.run("", args...)
	if got != code || !strings.Contains(errs, msg) {
		c.t.Errorf("sori %s: exit %d %q, want exit %d mentioning %q", strings.Join(args, " "), got, errs, code, msg)
	}
	if got != 0 && out != "" {
		c.t.Errorf("sori %s failed but printed %q", strings.Join(args, " "), out)
	}
}

// countRecords counts the records of every kind.
func (c *cli) countRecords() int {
	c.t.Helper()
	n := 0
	for _, k := range model.Kinds {
		n += strings.Count(c.ok("ls", "--kind", k), "\n")
	}
	return n
}

const transcript = "질문: 언제 건넜습니까?\n답변: 1997년 3월 혜산 장마당에서 공개처형을 봤습니다.\n"

// newRecordsCLI is an archive with one Korean transcript item.
func newRecordsCLI(t *testing.T) (*cli, string) {
	c := newCLI(t)
	c.ok("init", "--user", "kim")
	src := filepath.Join(t.TempDir(), "면담.ko.txt")
	os.WriteFile(src, []byte(transcript), 0o644)
	item := c.ok("add", "--lang", "ko", "--witness", "W-17", src)[:32]
	return c, item
}

func TestRecordCommands(t *testing.T) {
	c, item := newRecordsCLI(t)
	lsItems := c.ok("ls")

	pak := c.addRecord("person", "add", "--name", "박철민", "--name", "Pak Chol-min", "--sex", "m", "--birth-year", "1961")
	ssd := c.addRecord("person", "add", "--name", "혜산시 보위부", "--name", "Hyesan city SSD", "--counting-unit", "unit")

	var added struct{ ID, Kind string }
	out := c.ok("event", "add", "--title", "Public execution at Hyesan market", "--date", "~1997-03",
		"--place", "혜산", "--violation", "공개처형", "--status", "가능성 높음", "--json")
	if err := json.Unmarshal([]byte(out), &added); err != nil || added.Kind != "event" || len(added.ID) != 32 {
		t.Fatalf("event add --json: %q %v", out, err)
	}
	event := added.ID
	act := c.addRecord("act", "add", "--event", event[:8], "--victim", pak[:10], "--violation", "Public execution",
		"--date", "1997-03", "--place", "Hyesan", "--status-at-end", "dead")
	inv := c.addRecord("involvement", "add", "--act", act, "--perpetrator", ssd, "--degree", "violent.ordered", "--type", "보위부")
	testimony := c.addRecord("testimony", "add", "--title", "Interview 1", "--witness", "W-17", "--date", "2024-03-02",
		"--place", "Seoul", "--lang", "ko", "--original", item[:8], "--interviewer", "I-3")
	info := c.addRecord("info", "add", "--source", testimony, "--event", event, "--connection", "direct.witness",
		"--reliability", "B", "--credibility", "Probably true", "--lang", "ko")
	start := strings.Index(transcript, "공개처형")
	end := start + len("공개처형")
	span := fmt.Sprintf("%d:%d", start, end)
	ann := c.addRecord("annotate", item[:8], "--span", span, "--event", event, "--note", "the execution")
	place := c.addRecord("place", "add", "--name", "혜산 장마당", "--name", "Hyesan market", "--type", "시장",
		"--parent", "Hyesan", "--lat", "41.39", "--lon", "128.18")

	// show: fields with their labels.
	for id, want := range map[string][]string{
		pak:       {"kind      person", "names           박철민; Pak Chol-min", "birth year      1961", "version 1 (current)"},
		event:     {"date            ~1997-03", "places          hyesan (혜산, Hyesan)", "violations      detention.execution.public (Public execution)", "status          likely (Likely)"},
		act:       {"event           " + event, "victim          " + pak, "place           hyesan", "status at end   dead"},
		inv:       {"degree          violent.ordered", "perpetrator type dprk.mss"},
		testimony: {"witness         W-17", "original        " + item, "languages       ko", "date            2024-03-02"},
		info:      {"reliability     B (Usually reliable)", "credibility     2 (Probably true)", "connection      direct.witness"},
		ann:       {"item            " + item, "start           " + fmt.Sprint(start), "end             " + fmt.Sprint(end), "target          " + event},
		place:     {"type            market (Market)", "parent          hyesan (혜산, Hyesan)", "lat             41.39"},
	} {
		show := c.ok("show", id[:8])
		for _, w := range want {
			if !strings.Contains(show, w) {
				t.Errorf("show %s lacks %q:\n%s", id, w, show)
			}
		}
	}
	var shown struct {
		ID       string `json:"id"`
		Kind     string `json:"kind"`
		Versions []struct {
			Version int            `json:"version"`
			Actor   string         `json:"actor_name"`
			Digest  string         `json:"digest"`
			Body    map[string]any `json:"body"`
		} `json:"versions"`
	}
	if err := json.Unmarshal([]byte(c.ok("show", "--json", ann)), &shown); err != nil || shown.Kind != "annotation" ||
		shown.Versions[0].Body["start"] != float64(start) || shown.Versions[0].Actor != "kim" {
		t.Errorf("show --json annotation: %v %+v", err, shown)
	}
	// Items show and list as before.
	if show := c.ok("show", item[:8]); !strings.HasPrefix(show, "item      "+item+"\n") {
		t.Errorf("show item:\n%s", show)
	}
	if got := c.ok("ls"); got != lsItems {
		t.Errorf("plain ls changed: %q, was %q", got, lsItems)
	}
	if got := c.ok("ls", "--kind", "item"); got != lsItems {
		t.Errorf("ls --kind item: %q", got)
	}

	// ls --kind.
	persons := c.ok("ls", "--kind", "person")
	if persons != pak+"\tperson\t박철민 / Pak Chol-min\n"+ssd+"\tperson\t혜산시 보위부 / Hyesan city SSD\n" {
		t.Errorf("ls --kind person:\n%s", persons)
	}
	if got := c.ok("ls", "--kind", "event"); got != event+"\tevent\t~1997-03 · Public execution at Hyesan market\n" {
		t.Errorf("ls --kind event: %q", got)
	}
	var listed struct {
		ID   string         `json:"id"`
		Kind string         `json:"kind"`
		Body map[string]any `json:"body"`
	}
	if err := json.Unmarshal([]byte(c.ok("ls", "--kind", "information", "--json")), &listed); err != nil || listed.ID != info || listed.Body["reliability"] != "B" {
		t.Errorf("ls --kind information --json: %v %+v", err, listed)
	}
	if n := c.countRecords(); n != 9 {
		t.Errorf("%d records, want 9", n)
	}

	// edit: a new version, the given fields over the current ones.
	if out := c.ok("person", "edit", pak[:8], "--name", "박철민", "--name", "Pak Chol-min", "--name", "Park Cheol-min", "--note", "checked"); out != pak+"\t2\n" {
		t.Errorf("person edit: %q", out)
	}
	show := c.ok("show", pak)
	if !strings.Contains(show, "version 2 (current)") || !strings.Contains(show, "names           박철민; Pak Chol-min; Park Cheol-min") ||
		!strings.Contains(show, "birth year      1961") || !strings.Contains(show, "notes           checked") || !strings.Contains(show, "\nversion 1 ") {
		t.Errorf("show after edit:\n%s", show)
	}
	if code, out, errs := c.run("", "person", "edit", pak, "--sex", "m"); code != 0 || out != pak+"\t2\n" || !strings.Contains(errs, "nothing changed") {
		t.Errorf("edit without change: %d %q %q", code, out, errs)
	}
	if out := c.ok("person", "edit", pak, "--note", "", "--json"); out != fmt.Sprintf(`{"changed":true,"id":"%s","version":3}`+"\n", pak) {
		t.Errorf("edit --json: %q", out)
	}
	if show := c.ok("show", pak); strings.Contains(show[:strings.Index(show, "version 2")], "notes") {
		t.Errorf("--note \"\" did not clear:\n%s", show)
	}
	if out := c.ok("annotate", "edit", ann, "--span", fmt.Sprintf("%d:%d", start, end+3)); out != ann+"\t2\n" {
		t.Errorf("annotate edit: %q", out)
	}
	if out := c.ok("event", "edit", event, "--violation", "detention.execution.public", "--violation", "강제북송"); out != event+"\t2\n" {
		t.Errorf("event edit: %q", out)
	}
	if show := c.ok("show", event); !strings.Contains(show, "violations      detention.execution.public (Public execution); movement.refoulement (") ||
		!strings.Contains(show, "title           Public execution at Hyesan market") {
		t.Errorf("event after edit:\n%s", show)
	}

	// Invalid input: exit 2, nothing stored.
	before := c.countRecords()
	c.fails(2, "sori vocab violations", "event", "add", "--title", "x", "--violation", "고문")
	c.fails(2, "not in the gazetteer", "event", "add", "--title", "x", "--place", "Atlantis")
	c.fails(2, "is a person; want an event", "act", "add", "--event", pak, "--violation", "other")
	c.fails(2, "is an evidence item", "act", "add", "--event", item, "--violation", "other")
	c.fails(2, "not found", "act", "add", "--event", "abcdef01", "--violation", "other")
	c.fails(2, "pseudonym", "testimony", "add", "--title", "x", "--witness", "Kim Young-hee")
	c.fails(2, "at least one name", "person", "add", "--sex", "f")
	c.fails(2, "whole number", "person", "add", "--name", "x", "--birth-year", "1960s")
	c.fails(2, "f, m, other, unknown", "person", "add", "--name", "x", "--sex", "female")
	c.fails(2, "both latitude and longitude", "place", "add", "--name", "x", "--type", "market", "--lat", "41")
	c.fails(2, "beyond the end of item", "annotate", item, "--span", "0:1000", "--event", event)
	c.fails(2, "START:END", "annotate", item, "--span", "12", "--event", event)
	c.fails(2, "only one of", "annotate", item, "--span", "0:3", "--event", event, "--person", pak)
	c.fails(2, "give the span", "annotate", item, "--event", event)
	c.fails(2, "is a person; want an event", "annotate", item, "--span", "0:3", "--event", pak)
	c.fails(2, "not an evidence item", "annotate", event, "--span", "0:3", "--event", event)
	c.fails(2, "is a person record: use 'sori person edit'", "event", "edit", pak, "--title", "x")
	c.fails(2, "nothing to change", "event", "edit", event)
	c.fails(2, "give a subcommand", "event")
	c.fails(2, "unknown subcommand", "event", "remove", event)
	c.fails(2, "unexpected argument", "event", "add", "--title", "x", "extra")
	if after := c.countRecords(); after != before {
		t.Errorf("failed commands changed the record count from %d to %d", before, after)
	}

	// The custody log covers every record: a full verify is clean.
	if code, out, errs := c.run("", "verify"); code != 0 || out != "" {
		t.Errorf("verify: exit %d\n%s\n%s", code, out, errs)
	}
}

// Gazetteer and vocabulary look-ups need no archive.
func TestPlaceAndVocab(t *testing.T) {
	c := newCLI(t)
	delete(c.env, "SORI_ARCHIVE")
	delete(c.env, "SORI_PASSPHRASE")
	for _, name := range []string{"혜산", "Hyesan", "hyesan-si", "혜산시"} {
		if out := c.ok("place", "find", name); !strings.HasPrefix(out, "hyesan\tcity\t혜산\tHyesan\tHyesan\t") || strings.Count(out, "\n") != 1 ||
			!regexp.MustCompile(`\t4\d\.\d+,12\d\.\d+\n$`).MatchString(out) {
			t.Errorf("place find %s: %q", name, out)
		}
	}
	var p placeJSON
	if err := json.Unmarshal([]byte(c.ok("place", "find", "--json", "Hoeryŏng")), &p); err != nil || p.ID != "hoeryong" || p.Source != "gazetteer" || p.Names[0] != "회령" {
		t.Errorf("place find --json: %v %+v", err, p)
	}
	c.fails(1, "no place called", "place", "find", "Atlantis")
	c.fails(2, "give a place name", "place", "find")
	gaz := c.ok("place", "ls", "--gazetteer")
	if !strings.Contains(gaz, "gazetteer\thyesan\tcity\t") || strings.Count(gaz, "\n") < 40 {
		t.Errorf("place ls --gazetteer:\n%s", gaz)
	}
	c.fails(2, "no archive", "place", "ls")

	if out := c.ok("vocab", "violations"); !strings.Contains(out, "detention.execution.public\tPublic execution\t공개처형\n") {
		t.Errorf("vocab violations:\n%s", out)
	}
	if out := c.ok("vocab", "violations", "강제북송"); out != "movement.refoulement\tForced repatriation (refoulement) from China and its consequences\t중국으로부터의 강제송환(강제북송)\n" {
		t.Errorf("vocab violations 강제북송: %q", out)
	}
	if out := c.ok("vocab"); !strings.Contains(out, "violations\t") || !strings.Contains(out, "admiralty_source\t") {
		t.Errorf("vocab:\n%s", out)
	}
	var term struct{ Code, EN, KO string }
	if err := json.Unmarshal([]byte(strings.SplitN(c.ok("vocab", "--json", "admiralty_source"), "\n", 2)[0]), &term); err != nil || term.Code != "A" {
		t.Errorf("vocab --json: %v %+v", err, term)
	}
	c.fails(2, "unknown vocabulary", "vocab", "nonsense")
	c.fails(2, "gazetteer", "vocab", "places")
	c.fails(1, "no term", "vocab", "violations", "nonsense")
}

// TestVoidCommands: a void hides a stray record and a wrong item from ls,
// search, export and publish; --all shows them; --lift undoes it; verify
// stays clean; an analyst may not void.
func TestVoidCommands(t *testing.T) {
	c := newCLI(t)
	c.as("kim", "a passphrase for tests")
	c.ok("init")
	src := t.TempDir()
	p := filepath.Join(src, "wrong.txt")
	os.WriteFile(p, []byte("두만강을 건넌 날 (wrong file)\n"), 0o600)
	item := c.ok("add", p)[:32]
	ev := strings.TrimSpace(c.ok("event", "add", "--title", "Stray crossing record"))
	c.want(2, "--reason", "void", ev)
	out := c.ok("void", ev, "--reason", "entered twice")
	vid := strings.Fields(out)[0]
	c.ok("void", item, "--reason", "wrong file")
	c.want(2, "voided already", "void", ev, "--reason", "again")
	if ls := c.ok("ls", "--kind", "event"); strings.Contains(ls, ev) {
		t.Errorf("ls shows the voided event:\n%s", ls)
	}
	if ls := c.ok("ls", "--kind", "event", "--all"); !strings.Contains(ls, ev) {
		t.Errorf("ls --all hides the voided event:\n%s", ls)
	}
	if ls := c.ok("ls"); strings.Contains(ls, item) {
		t.Errorf("ls shows the voided item:\n%s", ls)
	}
	if hits := c.ok("search", "Stray crossing"); strings.Contains(hits, ev) {
		t.Errorf("search finds the voided event:\n%s", hits)
	}
	if hits := c.ok("search", "--all", "Stray crossing"); !strings.Contains(hits, ev) {
		t.Errorf("search --all misses the voided event:\n%s", hits)
	}
	c.want(2, "voided", "export", "--out", filepath.Join(t.TempDir(), "b"), item)
	if ls := c.ok("void", "ls"); strings.Count(ls, "\tactive\t") != 2 {
		t.Errorf("void ls:\n%s", ls)
	}
	c.ok("void", "--lift", vid)
	if ls := c.ok("ls", "--kind", "event"); !strings.Contains(ls, ev) {
		t.Errorf("lifted void still hides:\n%s", ls)
	}
	c.env["SORI_NEW_PASSPHRASE"] = "analyst passphrase"
	c.ok("user", "add", "ana", "--role", "analyst")
	c.as("ana", "analyst passphrase")
	c.want(3, "", "void", ev, "--reason", "x")
	c.as("kim", "a passphrase for tests")
	c.ok("verify")
}

// TestPurgeCommands: a real name typed into an event description is
// corrected, then the old version purged: no later view shows it, verify
// accepts the purge, and only an admin who holds protection may purge;
// a body emptied behind sori's back is reported by verify.
func TestPurgeCommands(t *testing.T) {
	c := newCLI(t)
	c.as("kim", "a passphrase for tests")
	c.ok("init")
	ev := strings.TrimSpace(c.ok("event", "add", "--title", "Arrest", "--description", "Taken with Ryu Gwang-cheol at night"))
	c.want(2, "current version", "purge", ev, "--version", "1", "--reason", "real name")
	c.ok("event", "edit", ev, "--description", "Taken with a neighbour at night")
	c.env["SORI_NEW_PASSPHRASE"] = "another admin passphrase"
	c.ok("user", "add", "adm", "--role", "admin")
	c.as("adm", "another admin passphrase")
	c.want(3, "", "purge", ev, "--version", "1", "--reason", "real name")
	c.as("kim", "a passphrase for tests")
	if out := c.ok("purge", ev, "--version", "1", "--reason", "a real name was typed"); out != "record\t"+ev+"\t1\n" {
		t.Errorf("purge: %q", out)
	}
	c.want(2, "purged already", "purge", ev, "--version", "1", "--reason", "again")
	show := c.ok("show", ev)
	if strings.Contains(show, "Ryu") || !strings.Contains(show, "purged") || !strings.Contains(show, "a neighbour") {
		t.Errorf("show after purge:\n%s", show)
	}
	if log := c.ok("log"); !strings.Contains(log, "\tpurge\t"+ev) {
		t.Errorf("log lacks the purge entry:\n%s", log)
	}
	c.ok("verify")
	// Nothing readable of the purged text is left in any file.
	filepath.WalkDir(c.env["SORI_ARCHIVE"], func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte("Ryu Gwang")) {
				t.Errorf("%s holds the purged text", p)
			}
		}
		return nil
	})
}

// TestRecordEditKeepsSealedNames: 'sori event edit' by an investigator,
// who reads the record's sealed name masked, changes the field given and
// leaves the stored name as it was (the edit used to be built from the
// masked copy, writing "[…]" into the record).
func TestRecordEditKeepsSealedNames(t *testing.T) {
	c := newCLI(t)
	c.as("kim", "a passphrase for tests")
	c.ok("init")
	c.run(identityJSON([]string{"한영남"}, "", ""), "witness", "add", "--pseudonym", "W-9", "--identity", "-")
	ev := strings.Fields(c.ok("event", "add", "--title", "Crossing", "--description", "한영남 crossed at night"))[0]
	c.env["SORI_NEW_PASSPHRASE"] = "investigator passphrase"
	c.ok("user", "add", "inv", "--role", "investigator")
	c.as("inv", "investigator passphrase")
	if show := c.ok("show", ev); strings.Contains(show, "한영남") {
		t.Fatalf("the investigator reads the name:\n%s", show)
	}
	if out := c.ok("event", "edit", ev, "--title", "Crossing the Tumen"); out != ev+"\t2\n" {
		t.Errorf("edit: %q", out)
	}
	c.as("kim", "a passphrase for tests")
	show := c.ok("show", ev)
	current, _, _ := strings.Cut(show, "version 1 ") // version 2, the current one, comes first
	if !strings.Contains(current, "(current)") || !strings.Contains(current, "한영남 crossed at night") || !strings.Contains(current, "Crossing the Tumen") {
		t.Errorf("after the investigator's edit, the protection officer reads:\n%s", show)
	}
}
