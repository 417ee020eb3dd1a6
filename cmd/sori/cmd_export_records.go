package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"sori/internal/archive"
	"sori/internal/durable"
	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/publish"
)

var exportRecordsCmd = &command{
	name:    "export-records",
	summary: "write the records you may read as CSV, XLSX or JSON (internal; never for publication)",
	usage: `
Usage: sori export-records --format csv|xlsx|json [--kind KIND] [--csv-excel] --out PATH [--json]

Writes the current version of every record you may read — testimonies,
events, acts, involvements, persons, places, information, annotations,
consents, redactions — as tables for analysis in a spreadsheet or a
script. THIS IS AN INTERNAL WORKING COPY, NOT A PUBLICATION: it holds
what the records hold (notes, free text, places and dates as recorded),
nothing is redacted or coarsened for the public, and it must be kept as
carefully as the archive itself. To publish, use 'sori publish'.

What you see is what 'sori show' shows you: the records pass the
disclosure guard, so names sealed in the identity vault come out masked
unless your role is protection. Witness identities are never in records.

  csv    PATH is a directory (new or empty), one file per kind: KIND.csv
         with a header row. UTF-8, LF line ends; --csv-excel adds a byte
         order mark and CRLF, as Excel wants.
  xlsx   PATH is a workbook (.xlsx) with one sheet per kind, named after
         the kind; numbers are number cells, everything else text.
  json   PATH is one JSON document:
         {"format":"sori-records","version":1,"records":{KIND:[{"id","body"}]}}
         with each body in the record's own JSON form (docs/format.md).

Columns (csv, xlsx): id, then the kind's fields as named in JSON; lists
joined with "; "; dates in the form sori reads ("~1998", "1990s",
"1997..1998"); IDs in hex. In CSV and XLSX a cell that starts with
= + - @ tab or CR gets a leading apostrophe, so that no spreadsheet runs
it as a formula. --kind limits the export to one kind; every kind is
written (empty tables too) without it.

The files are written 0600 (the directory 0700) beside PATH, the export
is recorded in the custody log (kind "records-export": a random export
ID and the SHA-256 of the list of files with their SHA-256, see
docs/format.md), and only then are they moved to PATH. PATH must not
exist (or, for csv, be an empty directory).

Prints PATH<TAB>EXPORT-ID<TAB>RECORDS. With --json:
{"path","export","format","digest","counts"}, counts giving the number of
records of each kind.

Flags:
  --format F     csv, xlsx or json (required)
  --kind KIND    only this kind: testimony, event, act,
                 involvement, person, place, information, annotation,
                 consent, redaction
  --csv-excel    csv only: byte order mark and CRLF line ends
  --out PATH     where to write (required)
  --json         JSON output
  plus --archive, --user, --passphrase-file (see 'sori help')

Exit status: 0 ok, 1 failure (PATH exists: nothing written), 2 invalid
input (no or bad --format, --kind or --out; --csv-excel without csv; a
cell too long for XLSX), 3 locked.

Examples:
  sori export-records --format xlsx --out records.xlsx
  sori export-records --format csv --kind event --csv-excel --out events/
  sori export-records --format json --out records.json
`,
	run: runExportRecords,
}

func runExportRecords(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var format, kind, out string
	var csvExcel, asJSON bool
	fs := newFlags("export-records")
	f.register(fs, e)
	fs.StringVar(&format, "format", "", "")
	fs.StringVar(&kind, "kind", "", "")
	fs.StringVar(&out, "out", "", "")
	fs.BoolVar(&csvExcel, "csv-excel", false, "")
	fs.BoolVar(&asJSON, "json", false, "")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("export-records takes no arguments, only flags")
	}
	switch format {
	case "csv", "xlsx", "json":
	case "":
		return usagef("give --format csv, xlsx or json")
	default:
		return usagef("--format %q: want csv, xlsx or json", format)
	}
	if csvExcel && format != "csv" {
		return usagef("--csv-excel is for --format csv")
	}
	if out == "" {
		return usagef("give where to write with --out PATH")
	}
	kinds := model.Kinds
	if kind != "" {
		if !slices.Contains(model.Kinds, kind) {
			return usagef("--kind %q: want one of %v", kind, model.Kinds)
		}
		kinds = []string{kind}
	}
	if err := checkExportTarget(out, format == "csv"); err != nil {
		return err
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()

	var sheets []publish.Sheet
	jsonRecords := map[string][]jsonRecord{}
	counts := map[string]int{}
	total := 0
	for _, k := range kinds {
		var ids []evidence.ID
		var bodies []model.Body
		if err := a.Records(ctx, k, func(id evidence.ID, b model.Body) error {
			ids, bodies = append(ids, id), append(bodies, b)
			return nil
		}); err != nil {
			return err
		}
		s, err := publish.RecordSheet(k, ids, bodies)
		if err != nil {
			return err
		}
		sheets = append(sheets, s)
		jsonRecords[k] = []jsonRecord{}
		for i := range ids {
			jsonRecords[k] = append(jsonRecords[k], jsonRecord{ID: ids[i].String(), Body: bodies[i]})
		}
		counts[k] = len(ids)
		total += len(ids)
	}

	var files []publish.File
	switch format {
	case "csv":
		for _, s := range sheets {
			var b bytes.Buffer
			if err := publish.WriteCSV(&b, s.Header, s.Rows, publish.CSVOptions{Excel: csvExcel}); err != nil {
				return err
			}
			files = append(files, publish.File{Name: s.Name + ".csv", Data: b.Bytes()})
		}
	case "xlsx":
		var b bytes.Buffer
		if err := publish.WriteXLSX(&b, sheets); err != nil {
			return err
		}
		files = []publish.File{{Name: "records.xlsx", Data: b.Bytes()}}
	case "json":
		b, _ := json.MarshalIndent(recordsDoc{Format: "sori-records", Version: 1, Records: jsonRecords}, "", "  ")
		files = []publish.File{{Name: "records.json", Data: append(b, '\n')}}
	}
	x := &archive.RecordsExport{Format: format}
	for _, f := range files {
		x.Files = append(x.Files, archive.RecordsExportFile{Name: f.Name, SHA256: evidence.Sum(f.Data)})
	}
	// Written beside out, recorded in the custody log, then put in place:
	// nothing is at out unless the log says so.
	tmp, err := stageExport(out, format == "csv", files)
	if err != nil {
		return err
	}
	if err := a.RecordRecordsExport(ctx, x); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := commitExport(tmp, out, format == "csv"); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("%w (the custody log records export %s, but nothing was written)", err, x.ID)
	}
	path, perr := filepath.Abs(out)
	if perr != nil {
		path = out
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(struct {
			Path   string         `json:"path"`
			Export string         `json:"export"`
			Format string         `json:"format"`
			Digest string         `json:"digest"`
			Counts map[string]int `json:"counts"`
		}{path, x.ID, format, x.Digest().String(), counts})
	}
	fmt.Fprintf(e.stdout, "%s\t%s\t%d\n", path, x.ID, total)
	fmt.Fprintf(e.stderr, "sori export-records: %d records of %d kinds to %s — an internal working copy, not for publication\n", total, len(kinds), path)
	return nil
}

// jsonRecord is one record of the JSON export.
type jsonRecord struct {
	ID   string     `json:"id"`
	Body model.Body `json:"body"`
}

// recordsDoc is the JSON export.
type recordsDoc struct {
	Format  string                  `json:"format"`
	Version int                     `json:"version"`
	Records map[string][]jsonRecord `json:"records"`
}

// checkExportTarget refuses a PATH that exists (a directory for csv may
// exist if empty), before the archive is opened.
func checkExportTarget(out string, dir bool) error {
	if dir {
		_, err := durable.CheckNewOrEmpty(out, "records export")
		return err
	}
	if _, err := os.Lstat(out); err == nil {
		return fmt.Errorf("%w: %s exists; export-records does not overwrite", evidence.ErrExists, out)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if _, err := os.Stat(filepath.Dir(filepath.Clean(out))); err != nil {
		return fmt.Errorf("export-records: %w", err)
	}
	return nil
}

// stageExport writes files into a new hidden directory beside out
// (".NAME.partial-*", 0700, files 0600) and returns it. For a directory
// export the staged directory becomes out; otherwise its one file does.
func stageExport(out string, dir bool, files []publish.File) (tmp string, err error) {
	if err := checkExportTarget(out, dir); err != nil {
		return "", err
	}
	out = filepath.Clean(out)
	tmp, err = os.MkdirTemp(filepath.Dir(out), "."+filepath.Base(out)+".partial-")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
			tmp = ""
		}
	}()
	if err := os.Chmod(tmp, 0o700); err != nil {
		return tmp, err
	}
	for _, f := range files {
		if err := durable.WriteFile(filepath.Join(tmp, f.Name), f.Data, 0o600); err != nil {
			return tmp, err
		}
	}
	return tmp, nil
}

// commitExport puts a staged export in place: the directory itself, or
// its one file (then removing the directory). out must still be absent
// (or, for a directory, empty).
func commitExport(tmp, out string, dir bool) error {
	out = filepath.Clean(out)
	src := tmp
	if !dir {
		entries, err := os.ReadDir(tmp)
		if err != nil || len(entries) != 1 {
			return fmt.Errorf("staged export %s: %v", tmp, err)
		}
		src = filepath.Join(tmp, entries[0].Name())
		if err := checkExportTarget(out, false); err != nil {
			return err
		}
	} else if err := os.Remove(out); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %s is not empty; a records export needs a new or empty directory", evidence.ErrExists, out)
	}
	if err := os.Rename(src, out); err != nil {
		return err
	}
	if !dir {
		os.RemoveAll(tmp)
	}
	return durable.SyncDir(filepath.Dir(out))
}
