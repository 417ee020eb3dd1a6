package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"sori/internal/archive"
	"sori/internal/importer"
)

var importCmd = &command{
	name:    "import",
	summary: "add many records from a JSON, CSV or XLSX file, all or nothing",
	usage: `
Usage: sori import [--format json|csv] [--check] [--json] FILE
       sori import --mapping MAP.yaml [--encoding E] [--batch N] [--check] [--json] FILE
       sori import --uwazi [--encoding E] [--batch N] [--check] [--json] FILE
       sori import --draft-mapping [--encoding E] FILE

Adds every record in FILE — testimonies, events, acts, involvements,
persons, places, information and annotations — in one transaction: either
all are stored, with their custody entries, or none is. The format follows
the extension (.json, .csv, .xlsx) unless --format says; "-" reads
standard input (with --format). docs/import.md describes the formats; in
short:

  JSON: an array of objects, each {"kind": "…", "ref": "name"?, …fields}
  CSV:  a header row of field names including kind (and ref), one record
        per row, list elements separated by ";"

Fields are the record's body fields (the flags of 'sori KIND add'), and
take what the flags take: vocabulary labels in English or Korean, place
names in any spelling, dates like ~1997-03 or 1997년 3월. A reference is
"@name" (the record with that ref, anywhere in the file), or the full ID
or a unique prefix of an existing item or record.

Spreadsheets with any headers (CSV or XLSX, e.g. one row per incident with
columns 번호, 증언자, 일시, 장소 …) are read through a mapping:
  --mapping MAP.yaml  which column goes to which field of which record;
                      value maps ("고문" → a code); dates: dmy for
                      14/03/1997; a row_id column (docs/import.md, "Mappings")
  --draft-mapping     print a starting mapping for FILE's headers; stores nothing
  --uwazi             the built-in mapping for an Uwazi CSV (title, date,
                      violations, place, geolocation lat|lon, "|" lists)
  --encoding E        utf-8 or cp949 (euc-kr); detected when not given:
                      valid UTF-8 (or a BOM) is UTF-8, else CP949 if it
                      decodes cleanly and has Hangul, else an error
  --batch N           records per transaction (default 1000)
The whole file is checked first (any problem: nothing stored); then the
records are stored in batches. Their IDs come from the file and the row,
so running the same command again after an interruption stores only what
is missing. A progress bar is drawn on stderr when it is a terminal.

Problems are reported one per line, each with its line number (and for
mapped files its column), up to 20: FILE: line N: FIELD: what is wrong;
then nothing is stored. On success prints "N records imported" (mapped:
"N records imported from R rows (K already stored)"); with --json one
object {"ids":[…],"refs":{"name":"id",…}} (mapped: {"ids","stored",
"already_stored"}). --check does everything but store, and prints
"N records OK" (mapped: "N records OK from R rows").

Exit status: 0 imported, 1 failure (for a mapped import: what is stored
stays; run again to finish), 2 invalid input (nothing stored), 3 locked.

Examples:
  sori import survey-2024.json
  sori import --check persons.csv
  jq -c '…' export.json | sori import --format json -
  sori import --draft-mapping 조사표.xlsx > map.yaml
  sori import --mapping map.yaml 조사표.xlsx
  sori import --mapping map.yaml --encoding cp949 incidents.csv
  sori import --uwazi uwazi-export.csv
`,
	run: runImport,
}

func runImport(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var format string
	var check, asJSON bool
	var mo mappedOpts
	fs := newFlags("import")
	f.register(fs, e)
	fs.StringVar(&format, "format", "", "")
	fs.BoolVar(&check, "check", false, "")
	fs.BoolVar(&asJSON, "json", false, "")
	fs.StringVar(&mo.mapping, "mapping", "", "")
	fs.BoolVar(&mo.draft, "draft-mapping", false, "")
	fs.BoolVar(&mo.uwazi, "uwazi", false, "")
	fs.StringVar(&mo.encoding, "encoding", "", "")
	fs.IntVar(&mo.batch, "batch", 1000, "")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("give exactly one file (or - for standard input)")
	}
	name := rest[0]
	switch format {
	case "", "json", "csv", "xlsx":
	default:
		return usagef("--format %q: want json, csv or xlsx", format)
	}
	if name == "-" && format == "" {
		return usagef("reading standard input needs --format json, csv or xlsx")
	}
	ext := format
	if ext == "" {
		ext = strings.TrimPrefix(strings.ToLower(filepath.Ext(name)), ".")
	}
	mapped := mo.mapping != "" || mo.draft || mo.uwazi
	switch {
	case btoi(mo.mapping != "")+btoi(mo.draft)+btoi(mo.uwazi) > 1:
		return usagef("give one of --mapping, --draft-mapping and --uwazi")
	case ext == "xlsx" && !mapped:
		return usagef("an XLSX file needs --mapping MAP.yaml (write one with --draft-mapping)")
	case mapped && ext != "csv" && ext != "xlsx":
		return usagef("--mapping, --draft-mapping and --uwazi read a .csv or .xlsx file (or give --format csv|xlsx)")
	case mo.batch < 1:
		return usagef("--batch %d: want at least 1", mo.batch)
	case mo.encoding != "" && !mapped:
		return usagef("--encoding is for --mapping, --draft-mapping and --uwazi (sori's own format is UTF-8)")
	}
	data, err := readImport(e, name)
	if err != nil {
		return err
	}
	if mapped {
		mo.format, mo.check, mo.asJSON = ext, check, asJSON
		return runMappedImport(ctx, e, f, name, mo, data)
	}
	recs, err := importer.Parse(name, format, data)
	if err != nil {
		return importProblems(e, name, err)
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	p, err := importer.Build(ctx, recs, archive.ImportResolver(a))
	if err != nil {
		return importProblems(e, name, err)
	}
	if check {
		_, err = fmt.Fprintf(e.stdout, "%d records OK\n", len(p.Bodies))
		return err
	}
	bodies, ids := p.Ordered()
	stored, err := a.AddRecords(ctx, bodies, ids)
	if err != nil {
		return fmt.Errorf("%s: nothing imported: %w", name, err)
	}
	warnSealedRecords(ctx, a, e.stderr, "import", stored, bodies)
	if asJSON {
		refs := map[string]string{}
		for k, id := range p.Refs {
			refs[k] = id.String()
		}
		out := struct {
			IDs  []string          `json:"ids"`
			Refs map[string]string `json:"refs"`
		}{Refs: refs}
		for _, id := range p.IDs {
			out.IDs = append(out.IDs, id.String())
		}
		return json.NewEncoder(e.stdout).Encode(out)
	}
	_, err = fmt.Fprintf(e.stdout, "%d records imported\n", len(p.Bodies))
	return err
}

// readImport reads FILE or standard input, at most importer.MaxSize bytes.
func readImport(e *env, name string) ([]byte, error) {
	var r io.Reader = e.stdin
	if name != "-" {
		fh, err := os.Open(name)
		if err != nil {
			return nil, usagef("%v", err)
		}
		defer fh.Close()
		r = fh
	}
	b, err := io.ReadAll(io.LimitReader(r, importer.MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > importer.MaxSize {
		return nil, usagef("%s is larger than %d MiB; split it", name, importer.MaxSize>>20)
	}
	return b, nil
}

// importProblems reports the problems with an import file, one per line,
// and gives exit 2; an error that is not about the file is returned as is.
func importProblems(e *env, name string, err error) error {
	var one *importer.Error
	var many importer.Errors
	switch {
	case errors.As(err, &many):
	case errors.As(err, &one):
		many = importer.Errors{one}
	default:
		return err
	}
	for _, p := range many {
		// A problem may quote a cell: shown through the disclosure guard
		// when an archive is open (a sealed name typed into a sheet).
		var perr error = p
		if e.opened != nil {
			perr = e.opened.DiscloseError(perr)
		}
		fmt.Fprintf(e.stderr, "sori import: %s: %v\n", name, perr)
	}
	return exitError{exitUsage, fmt.Errorf("%s: nothing imported (%d %s)", name, len(many), plural(len(many), "problem", "problems"))}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
