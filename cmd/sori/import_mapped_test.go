package main

import (
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/korean"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/internal/importer"
	"sori/internal/model"
)

func importerTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "internal", "importer", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestImportMapped(t *testing.T) {
	c, _ := newRecordsCLI(t)
	mapping := writeTemp(t, "map.yaml", importerTestdata(t, "korean.map.yaml"))
	sheet := importerTestdata(t, "korean.csv")
	cp, err := korean.EUCKR.NewEncoder().String(sheet)
	if err != nil {
		t.Fatal(err)
	}
	f := writeTemp(t, "조사.csv", cp)

	if out := c.ok("import", "--check", "--mapping", mapping, f); out != "17 records OK from 3 rows\n" {
		t.Errorf("--check: %q", out)
	}
	if n := c.countRecords(); n != 0 {
		t.Fatalf("--check stored %d records", n)
	}
	code, out, errs := c.run("", "import", "--mapping", mapping, f)
	if code != 0 || out != "17 records imported from 3 rows (0 already stored)\n" || !strings.Contains(errs, "read as cp949 (detected") {
		t.Fatalf("import: exit %d %q %q", code, out, errs)
	}
	if n := c.countRecords(); n != 17 {
		t.Errorf("%d records, want 17", n)
	}
	// the same file again stores nothing twice
	if out := c.ok("import", "--mapping", mapping, f); out != "0 records imported from 3 rows (17 already stored)\n" {
		t.Errorf("re-run: %q", out)
	}
	if n := c.countRecords(); n != 17 {
		t.Errorf("%d records after a re-run, want 17", n)
	}
	// the witness is a pseudonym and the victim protected
	ls := c.ok("ls", "--kind", "testimony")
	if strings.Count(ls, "\n") != 3 {
		t.Errorf("testimonies:\n%s", ls)
	}

	// a bad file: every problem with line and column, nothing stored
	bad := writeTemp(t, "bad.csv", strings.Replace(strings.Replace(sheet, "1999년 5월", "1999년 13월", 1), "W-102", "", 1))
	code, out, errs = c.run("", "import", "--mapping", mapping, bad)
	if code != 2 || out != "" || !strings.Contains(errs, `bad.csv: line 5: column D "일시" → event.date:`) || !strings.Contains(errs, `line 5: column D "일시" → act.date:`) || !strings.Contains(errs, "nothing imported (2 problems)") {
		t.Errorf("bad file: exit %d %q\n%s", code, out, errs)
	}
	if n := c.countRecords(); n != 17 {
		t.Errorf("a refused file stored records: %d", n)
	}
	code, _, errs = c.run("", "import", "--mapping", mapping, writeTemp(t, "bad2.csv", strings.Replace(sheet, "W-102", "", 1)))
	if code != 2 || !strings.Contains(errs, `line 3: testimony (columns B "증언자", C "면담일"): witness: not a pseudonym`) {
		t.Errorf("missing witness: exit %d\n%s", code, errs)
	}

	// usage
	c.fails(2, "give one of", "import", "--mapping", mapping, "--uwazi", f)
	c.fails(2, "needs --mapping", "import", writeTemp(t, "x.xlsx", "PK"))
	c.fails(2, "--encoding is for", "import", "--encoding", "cp949", writeTemp(t, "x.csv", "kind\n"))
	c.fails(2, `encoding "latin-9"`, "import", "--encoding", "latin-9", "--mapping", mapping, f)
}

func TestImportDraftAndXLSXAndUwazi(t *testing.T) {
	c, _ := newRecordsCLI(t)
	f := writeTemp(t, "survey.csv", "\ufeff"+importerTestdata(t, "korean.csv"))
	draft := c.ok("import", "--draft-mapping", f)
	if !strings.Contains(draft, `row_id: "번호"`) || !strings.Contains(draft, `witness: "증언자"`) {
		t.Errorf("draft:\n%s", draft)
	}
	x := writeTemp(t, "조사.xlsx", importerTestdata(t, "korean.xlsx"))
	if d := c.ok("import", "--draft-mapping", x); d != draft {
		t.Errorf("the workbook's draft differs from the CSV's:\n%s", d)
	}
	mapping := writeTemp(t, "map.yaml", importerTestdata(t, "korean.map.yaml"))
	if out := c.ok("import", "--mapping", mapping, x); out != "17 records imported from 3 rows (0 already stored)\n" {
		t.Errorf("xlsx: %q", out)
	}
	c.fails(2, "--encoding is for CSV", "import", "--encoding", "cp949", "--mapping", mapping, x)
	c.fails(2, "not a zip", "import", "--mapping", mapping, writeTemp(t, "bad.xlsx", "번호,증언자\n"))
	u := writeTemp(t, "uwazi.csv", importerTestdata(t, "uwazi.csv"))
	if out := c.ok("import", "--uwazi", u); out != "3 records imported from 2 rows (0 already stored)\n" {
		t.Errorf("uwazi: %q", out)
	}
	if ev := c.ok("ls", "--kind", "event"); !strings.Contains(ev, "Synthetic incident two") || strings.Count(ev, "\n") != 5 {
		t.Errorf("events:\n%s", ev)
	}

	// export as Uwazi CSV, formulas neutralized, and read it back elsewhere
	c.addRecord("event", "add", "--title", "=HYPERLINK(\"x\")", "--date", "1997-03", "--place", "Hyesan", "--violation", "공개처형")
	out := c.ok("ls", "--kind", "event", "--uwazi")
	lines, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(lines) != 7 || strings.Join(lines[0], ",") != "title,date,description,violations,status,place,geolocation,sori_id" {
		t.Fatalf("uwazi export:\n%s", out)
	}
	for _, want := range []string{
		"Synthetic incident one,1997/03/14:1997/03/14,,Public execution|",
		"Hyesan market,41.39|128.18,",
		`"'=HYPERLINK(""x"")",1997/03/01:1997/03/31,,Public execution,,Hyesan,`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("uwazi export lacks %q:\n%s", want, out)
		}
	}
	c.fails(2, "--uwazi lists events", "ls", "--kind", "person", "--uwazi")
	c2, _ := newRecordsCLI(t)
	if got := c2.ok("import", "--uwazi", writeTemp(t, "export.csv", out)); !strings.HasPrefix(got, "9 records imported from 6 rows") {
		t.Errorf("re-import of the export: %q", got)
	}
	if ev := c2.ok("ls", "--kind", "event"); strings.Count(ev, "\n") != 6 || !strings.Contains(ev, "Synthetic incident two") {
		t.Errorf("events after the round trip:\n%s", ev)
	}
}

// TestImportResumes interrupts an import after two batches (the archive
// refuses the third), then runs the command again: every record is there
// once, none twice.
func TestImportResumes(t *testing.T) {
	c, _ := newRecordsCLI(t)
	mapping := writeTemp(t, "map.yaml", importerTestdata(t, "korean.map.yaml"))
	sheet := importerTestdata(t, "korean.csv")
	f := writeTemp(t, "조사.csv", sheet)

	ctx := context.Background()
	a, err := archive.Open(ctx, c.env["SORI_ARCHIVE"], "", c.env["SORI_PASSPHRASE"], archive.Options{StateDir: c.env["SORI_STATE_DIR"]})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{stderr: &strings.Builder{}}
	data := []byte(sheet)
	tab, err := readTable(e, f, mappedOpts{format: "csv"}, data)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := mappedRecords(e, f, mappedOpts{mapping: mapping}, tab, data)
	if err != nil {
		t.Fatal(err)
	}
	p, err := importer.Build(ctx, recs, archive.ImportResolver(a))
	if err != nil {
		t.Fatal(err)
	}
	bodies, ids := p.Ordered()
	calls := 0
	failing := func(ctx context.Context, b []model.Body, ids []evidence.ID) ([]evidence.ID, error) {
		if calls++; calls == 3 {
			return nil, errors.New("injected: the disk is full")
		}
		return a.AddRecords(ctx, b, ids)
	}
	st := batchStore{add: failing, exists: recordExists(a), batch: 5}
	stored, skipped, err := st.store(ctx, bodies, ids)
	if err == nil || stored != 10 || skipped != 0 {
		t.Fatalf("interrupted store: %d stored, %d skipped, %v", stored, skipped, err)
	}
	a.Close()
	if n := c.countRecords(); n != 10 {
		t.Fatalf("%d records after the interruption, want 10", n)
	}

	if out := c.ok("import", "--batch", "4", "--mapping", mapping, f); out != "7 records imported from 3 rows (10 already stored)\n" {
		t.Errorf("resumed: %q", out)
	}
	if n := c.countRecords(); n != 17 {
		t.Errorf("%d records after resuming, want 17", n)
	}
	for _, id := range ids {
		c.ok("show", id.String()) // every record of the plan is there, under its own ID
	}
	// an interruption between batches (a cancelled context) stops cleanly
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	st = batchStore{add: failing, exists: func(context.Context, evidence.ID) (bool, error) { return false, nil }, batch: 5}
	if n, _, err := st.store(cctx, bodies, ids); !errors.Is(err, context.Canceled) || n != 0 {
		t.Errorf("cancelled: %d, %v", n, err)
	}
}
