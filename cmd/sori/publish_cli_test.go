package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"sori/internal/archive"
)

// TestRedactPublishCommands drives redact, redact ls, redact withdraw and
// publish (dry run and real) through the CLI on a small archive: bad input
// exits 2 and changes nothing, a dry run writes and records nothing, a
// publication is one custody entry, an existing directory is refused, and
// no protected name reaches stdout, stderr or a published file.
func TestRedactPublishCommands(t *testing.T) {
	c := newCLI(t)
	c.ok("init", "--user", "kim")
	src := t.TempDir()
	text := "답변: 박철민 씨가 잡혀갔습니다. Pak Chol-min was taken from 삼봉리 to Yodok.\n"
	path := filepath.Join(src, "t1.ko.txt")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	item := strings.Fields(c.ok("add", "--kind", "transcript", "--lang", "ko", path))[0]
	records := filepath.Join(src, "records.json")
	imp := `[{"kind":"testimony","ref":"t","title":"Interview","witness":"W-1","date":"2024-03-02","original":"` + item + `"},
{"kind":"consent","testimony":"@t","scope":"anonymized"},
{"kind":"person","ref":"p","names":["박철민","Pak Chol-min"],"protected":true},
{"kind":"event","ref":"e","title":"Arrest","date":"1997-03-14","places":["camp.kwanliso_15"]},
{"kind":"act","event":"@e","victim":"@p","violation":"detention.arbitrary_arrest","place":"yodok"},
{"kind":"information","source":"@t","event":"@e","connection":"direct.witness"}]`
	if err := os.WriteFile(records, []byte(imp), 0o600); err != nil {
		t.Fatal(err)
	}
	c.ok("import", records)
	var public bytes.Buffer
	run := func(code int, args ...string) string {
		t.Helper()
		got, out, errs := c.run("", args...)
		if got != code {
			t.Errorf("sori %s: exit %d, want %d\n%s", strings.Join(args, " "), got, code, errs)
		}
		public.WriteString(out + errs)
		return out
	}
	logLen := func() int { return strings.Count(c.ok("log"), "\n") }

	vill := strings.Index(text, "삼봉리")
	span := func(a, b int) string { return strconv.Itoa(a) + ":" + strconv.Itoa(b) }
	before := logLen()
	run(2, "redact", item, "--span", span(vill+1, vill+9), "--reason", "village")    // splits a syllable
	run(2, "redact", item, "--span", span(vill, len(text)+1), "--reason", "village") // beyond the end
	run(2, "redact", item, "--span", "9:3", "--reason", "village")
	run(2, "redact", item, "--span", "x", "--reason", "village")
	run(2, "redact", item, "--span", span(vill, vill+9))
	run(1, "redact", "abcdef0123456789abcdef0123456789", "--span", "0:3", "--reason", "r")
	if logLen() != before {
		t.Fatal("bad redactions changed the custody log")
	}
	out := run(0, "redact", item, "--span", span(vill, vill+9), "--reason", "names the village")
	m := regexp.MustCompile(`^([0-9a-f]{32})\t` + item + `\t\d+:\d+\n$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("redact: %q", out)
	}
	red := m[1]
	other := strings.Fields(run(0, "redact", item, "--span", "0:3", "--reason", "by mistake", "--json"))
	var info archive.RedactionInfo
	if err := json.Unmarshal([]byte(strings.Join(other, " ")), &info); err != nil || info.Reason != "by mistake" || info.Withdrawn {
		t.Fatalf("redact --json: %v %+v", err, info)
	}
	if out := run(0, "redact", "withdraw", info.ID.String()); out != info.ID.String()+"\t2\n" {
		t.Errorf("redact withdraw: %q", out)
	}
	run(2, "redact", "withdraw", info.ID.String())
	ls := run(0, "redact", "ls", item)
	if !strings.Contains(ls, red+"\t"+item+"\t") || !strings.Contains(ls, "\tactive\tnames the village\n") || !strings.Contains(ls, "\twithdrawn\tby mistake\n") {
		t.Errorf("redact ls:\n%s", ls)
	}
	var list []archive.RedactionInfo
	if err := json.Unmarshal([]byte(run(0, "redact", "ls", "--json")), &list); err != nil || len(list) != 2 {
		t.Errorf("redact ls --json: %v %v", err, list)
	}

	dir := filepath.Join(t.TempDir(), "public")
	before = logLen()
	run(2, "publish", "--out", dir, "--format", "json,xml")
	run(2, "publish")
	run(2, "publish", "--out", dir, "--csv-excel") // json only: no CSV to write for Excel
	dry := run(0, "publish", "--out", dir, "--dry-run", "--format", "json,csv,geojson")
	for _, want := range []string{"redact\t" + item + "\t", "\tredaction\tnames the village\n", "\tname\tPerson 1\n", "coarsen\tevent\t", "\t1997-03-14\t1997\tyear\n", "pseudonym\t"} {
		if !strings.Contains(dry, want) {
			t.Errorf("dry run lacks %q:\n%s", want, dry)
		}
	}
	if strings.Contains(dry, "by mistake") {
		t.Error("the dry run lists a withdrawn redaction")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Error("a dry run wrote the directory")
	}
	if logLen() != before {
		t.Error("a dry run changed the custody log")
	}
	var rep publishOutput
	if err := json.Unmarshal([]byte(run(0, "publish", "--out", dir, "--dry-run", "--json")), &rep); err != nil || !rep.DryRun || rep.Publication != "" || rep.Counts["transcripts"] != 1 {
		t.Errorf("dry run --json: %v %+v", err, rep)
	}
	out = run(0, "publish", "--out", dir, "--format", "json,csv,geojson", "--json")
	var res publishOutput
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Publication == "" || len(res.Files) != 12 {
		t.Fatalf("publish --json: %v %s", err, out)
	}
	if logLen() != before+1 {
		t.Errorf("publish wrote %d custody entries, want 1", logLen()-before)
	}
	if log := c.ok("log"); !strings.Contains(log, "\tpublish\t"+res.Publication+"\t") || !strings.Contains(log, res.Digest) {
		t.Errorf("log of the publication: %q", log)
	}
	// The same directory again: refused, nothing recorded, nothing changed.
	manifest, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
	run(1, "publish", "--out", dir) // as export: the directory exists
	if got, _ := os.ReadFile(filepath.Join(dir, "manifest.json")); !bytes.Equal(got, manifest) || logLen() != before+1 {
		t.Error("publishing into an existing dataset changed it or the log")
	}
	if c.ok("cat", item) != text {
		t.Error("the original changed")
	}
	// Nothing protected anywhere: the files, and everything printed.
	files, _ := os.ReadDir(dir)
	var all bytes.Buffer
	for _, f := range files {
		b, _ := os.ReadFile(filepath.Join(dir, f.Name()))
		all.Write(b)
	}
	ds, _ := os.ReadFile(filepath.Join(dir, "dataset.json"))
	if !bytes.Contains(ds, []byte(`[redacted] to South Hamgyong`)) {
		t.Errorf("dataset.json:\n%s", ds)
	}
	all.Write(public.Bytes())
	for _, name := range []string{"박철민", "Pak Chol-min", "삼봉리"} {
		for _, form := range []string{norm.NFC.String(name), norm.NFD.String(name), strings.ToLower(name)} {
			if bytes.Contains(all.Bytes(), []byte(form)) {
				t.Errorf("%q (%d bytes) appears in the publication or the output", "a protected name", len(form))
			}
		}
	}
	// Dates are EDTF; the files describe themselves.
	if ev, _ := os.ReadFile(filepath.Join(dir, "events.csv")); !bytes.Contains(ev, []byte(",1997,")) || bytes.HasPrefix(ev, []byte("\ufeff")) || bytes.Contains(ev, []byte("\r\n")) {
		t.Errorf("events.csv (EDTF, no BOM, LF):\n%q", ev)
	}
	if dp, _ := os.ReadFile(filepath.Join(dir, "datapackage.json")); !bytes.Contains(dp, []byte(`"tabular-data-resource"`)) {
		t.Errorf("datapackage.json:\n%s", dp)
	}
	// --csv-excel: BOM and CRLF.
	xdir := filepath.Join(t.TempDir(), "excel")
	run(0, "publish", "--out", xdir, "--format", "csv", "--csv-excel")
	if ev, _ := os.ReadFile(filepath.Join(xdir, "events.csv")); !bytes.HasPrefix(ev, []byte("\ufeffdataset_version,id,")) || bytes.Count(ev, []byte("\r\n")) != 2 {
		t.Errorf("events.csv for Excel:\n%q", ev)
	}
	// Readers may not publish or redact.
	c.env["SORI_NEW_PASSPHRASE"] = "reader passphrase"
	c.ok("user", "add", "rdr", "--role", "reader")
	c.as("rdr", "reader passphrase")
	run(3, "publish", "--out", filepath.Join(t.TempDir(), "p"), "--dry-run")
	run(3, "redact", item, "--span", "0:3", "--reason", "r")
}

// FuzzParseByteSpan: START:END parses only to 0 <= START < END, and
// formatting the result parses back to it.
func FuzzParseByteSpan(f *testing.F) {
	for _, s := range []string{"0:3", "120:348", "3:3", "-1:2", "1:", ":", "a:b", "99999999999999999999:1", "+1:2", " 1:2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, b, err := parseByteSpan(s)
		if err != nil {
			return
		}
		if a < 0 || b <= a {
			t.Fatalf("%q gave %d:%d", s, a, b)
		}
		a2, b2, err := parseByteSpan(strconv.Itoa(a) + ":" + strconv.Itoa(b))
		if err != nil || a2 != a || b2 != b {
			t.Fatalf("%q: %d:%d then %d:%d, %v", s, a, b, a2, b2, err)
		}
	})
}

// TestPublishStrict: free text finer than consent allows is coarsened by
// default and listed by the dry run; --strict refuses, lists what it would
// change (offsets, never text), writes and records nothing.
func TestPublishStrict(t *testing.T) {
	c := newCLI(t)
	c.ok("init", "--user", "kim")
	src := t.TempDir()
	path := filepath.Join(src, "t1.ko.txt")
	if err := os.WriteFile(path, []byte("1997년 3월 14일 회령에서 잡혔습니다. 연락처 010-2345-6789.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	item := strings.Fields(c.ok("add", "--kind", "transcript", "--lang", "ko", path))[0]
	ti := strings.TrimSpace(c.ok("testimony", "add", "--title", "Interview", "--witness", "W-1", "--original", item))
	c.ok("consent", "set", ti, "--scope", "anonymized")
	entries := strings.Count(c.ok("log"), "\n")
	out := filepath.Join(t.TempDir(), "public")
	code, stdout, errs := c.run("", "publish", "--out", out, "--strict")
	if code != 1 || !strings.Contains(errs, "--strict") || strings.Count(stdout, "would change\t"+item) != 3 {
		t.Fatalf("publish --strict: exit %d\n%s\n%s", code, stdout, errs)
	}
	for _, leak := range []string{"회령", "2345", "14일"} {
		if strings.Contains(stdout+errs, leak) {
			t.Errorf("--strict output holds %q", leak)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("--strict wrote the dataset")
	}
	if n := strings.Count(c.ok("log"), "\n"); n != entries {
		t.Error("--strict recorded a publication")
	}
	dry := c.ok("publish", "--out", out, "--dry-run")
	for _, src := range []string{"\tplace\t", "\tdate\t", "\tcontact\t"} {
		if !strings.Contains(dry, src) {
			t.Errorf("dry run lacks %q:\n%s", src, dry)
		}
	}
	c.ok("publish", "--out", out, "--format", "json")
	b, err := os.ReadFile(filepath.Join(out, "dataset.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "1997년 함경북도에서") || strings.Contains(string(b), "2345") {
		t.Errorf("published text:\n%s", b)
	}
}

// TestRedactMatch: redaction by text finds the spans itself (Hangul in
// NFC or NFD, no byte counting); several occurrences need --all; no
// occurrence is an error that does not repeat the text; "-" reads it from
// standard input.
func TestRedactMatch(t *testing.T) {
	c := newCLI(t)
	c.ok("init", "--user", "kim")
	path := filepath.Join(t.TempDir(), "t.ko.txt")
	text := "우리는 " + norm.NFD.String("삼봉리") + "에 살았다. 삼봉리는 작은 마을이다.\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	item := strings.Fields(c.ok("add", "--kind", "transcript", path))[0]
	c.want(2, "occurs 2 times", "redact", item, "--match", "삼봉리", "--reason", "village")
	_, _, errs := c.run("", "redact", item, "--match", "없는마을", "--reason", "x")
	if !strings.Contains(errs, "does not occur") || strings.Contains(errs, "없는마을") {
		t.Errorf("no occurrence: %q", errs)
	}
	c.want(2, "one of them", "redact", item, "--match", "x", "--span", "0:3", "--reason", "x")
	code, out, errs := c.run("삼봉리\n", "redact", item, "--match", "-", "--all", "--reason", "village")
	if code != 0 || strings.Count(out, "\n") != 2 {
		t.Fatalf("--match - --all: exit %d %q %s", code, out, errs)
	}
	i := strings.Index(text, norm.NFD.String("삼봉리"))
	j := strings.LastIndex(text, "삼봉리")
	for _, sp := range []string{strconv.Itoa(i) + ":" + strconv.Itoa(i+len(norm.NFD.String("삼봉리"))), strconv.Itoa(j) + ":" + strconv.Itoa(j+len("삼봉리"))} {
		if !strings.Contains(out, "\t"+sp+"\n") {
			t.Errorf("span %s not marked:\n%s", sp, out)
		}
	}
	if ls := c.ok("redact", "ls", item); strings.Count(ls, "\n") != 2 {
		t.Errorf("redact ls:\n%s", ls)
	}
}
