package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"

	"sori/internal/archive"
	"sori/internal/publish"
)

var publishCmd = &command{
	name:    "publish",
	summary: "write a redacted public dataset of what consent allows",
	usage: `
Usage: sori publish --out DIR [--format json,csv,geojson] [--csv-excel] [--dry-run] [--strict] [--request REQ] [--json]

Writes to DIR a public dataset (docs/publish.md) of the testimonies whose
consent allows anonymized publication and the records they tell of
(information → events → acts → involvements → persons; places), under the
most restrictive consent of the testimonies each record is reached from:

  - witnesses appear only as their pseudonym; a withdrawn witness's
    testimony and every record it tells of are left out;
  - protected persons, and under anonymized consent every victim, appear
    as their pseudonym or "Person N", and so does a person whose name is
    a witness's sealed identity; a person pseudonymized anywhere in the
    dataset is pseudonymized everywhere in it; perpetrators and units keep
    names;
  - places are coarsened to the consent's place precision (default
    province) and carry only that place's own coordinates (on the
    GeoJSON map, a place published as a province is shown at the
    province's representative point);
  - dates are coarsened to the consent's date precision (default year)
    and written in EDTF (1998, 1998-03, 199X for a decade, 1998~ for
    "around", 1997/1998 for a range; empty when unknown);
  - transcript text (not under no_text; never audio, video or images)
    has every redaction ('sori redact') and every protected or sealed name
    the name guard finds replaced by "[redacted]" or "[LABEL]";
  - free text (transcripts, titles, descriptions) is scanned too: a
    gazetteer place finer than the consent's place precision becomes the
    division it allows (회령 → 함경북도), a date finer than its date
    precision is coarsened (1997년 3월 14일 → 1997년), and phone numbers
    and e-mail addresses become "[phone]" and "[e-mail]". The dry run
    lists each with SOURCE place, date or contact.

The originals and records are never modified. DIR must not exist or be
empty; the dataset is written beside it and renamed into place only when
complete, after the publication is recorded in the custody log (kind
"publish": a random publication ID and the SHA-256 of manifest.json).

--dry-run writes nothing and records nothing; it lists every redaction
(item or record, span, reason or label — never the hidden text), every
coarsening, every pseudonym and every excluded testimony, event or item,
with why:
  redact<TAB>ITEM|RECORD/FIELD<TAB>START:END<TAB>SOURCE<TAB>REASON-OR-LABEL
  coarsen<TAB>KIND<TAB>RECORD<TAB>FIELD<TAB>FROM<TAB>TO<TAB>PRECISION
  pseudonym<TAB>PERSON<TAB>LABEL<TAB>WHY
  exclude<TAB>KIND<TAB>ID<TAB>REASON

Prints DIR<TAB>PUBLICATION-ID<TAB>FILES. With --json:
  {"path","publication","digest","files","dry_run","counts","report"}
where report is {"redactions","coarsenings","pseudonyms","excluded"} and
counts gives the number of published records of each kind.

Flags:
  --out DIR            the dataset directory (required, also with --dry-run)
  --format LIST        comma-separated: json (dataset.json), csv (one file
                       per kind, and datapackage.json: a Frictionless Data
                       Package with a table schema for each), geojson
                       (dataset.geojson: a point for each event and act at
                       its place, a province's representative point when
                       the place is coarsened to a province); default json
  --csv-excel          write the CSV files for Excel: UTF-8 with a byte
                       order mark and CRLF line ends (default: no BOM, LF).
                       Needs csv in --format. In every CSV file a cell that
                       starts with = + - @ tab or CR gets a leading
                       apostrophe, so that no spreadsheet runs it as a
                       formula
  --dry-run            list what would be done; write and record nothing
  --strict             refuse (exit 1, nothing written or recorded) when free
                       text would be changed, listing each change as
                       would change<TAB>ITEM|RECORD/FIELD<TAB>START:END<TAB>SOURCE
  --request REQ        publish as four-eyes request REQ asked, once another
                       user approved it ('sori approve REQ'): the same
                       formats, by the same user
  --json               JSON output
  plus --archive, --user, --passphrase-file (see 'sori help')

Four eyes: when an admin set the archive so that publications need a
second user's approval ('sori settings four-eyes publish'), a publication
without --request writes nothing but a pending request (for the formats
given), prints its ID and exits 4; once another user whose role may
publish approved it ('sori approve REQ'), the same command with --request
REQ publishes, and the request is marked done in the same custody change
as the publication (it runs once). --dry-run is never held back.

Exit status: 0 ok, 1 failure (DIR exists and is not empty: nothing
written), 2 invalid input (a bad --format, --csv-excel without csv), 3
locked or not allowed
(analysts and readers may not publish), 4 waits for approval (four eyes).

Examples:
  sori publish --out public-2026-12 --dry-run
  sori publish --out public-2026-12 --format json,csv,geojson
  sori publish --out public-2026-12 --format csv --csv-excel
`,
	run: runPublish,
}

func runPublish(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var out, formatList, request string
	var dryRun, asJSON, strict, csvExcel bool
	fs := newFlags("publish")
	fs.StringVar(&request, "request", "", "")
	fs.BoolVar(&strict, "strict", false, "")
	f.register(fs, e)
	fs.StringVar(&out, "out", "", "")
	fs.StringVar(&formatList, "format", publish.FormatJSON, "")
	fs.BoolVar(&csvExcel, "csv-excel", false, "")
	fs.BoolVar(&dryRun, "dry-run", false, "")
	fs.BoolVar(&asJSON, "json", false, "")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("publish takes no arguments, only flags")
	}
	if out == "" {
		return usagef("give the dataset directory with --out DIR")
	}
	formats, err := publish.ParseFormats(formatList)
	if err != nil {
		return usagef("--format: %v", err)
	}
	if csvExcel {
		var ok bool
		if formats, ok = publish.ExcelCSV(formats); !ok {
			return usagef("--csv-excel needs csv in --format")
		}
	}
	if err := publish.CheckDir(out); err != nil {
		return err
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	if dryRun && request != "" {
		return usagef("--dry-run records nothing and needs no --request")
	}
	if !dryRun {
		if err := a.PublishGate(ctx, request, formats); err != nil {
			return pendingRequest(e, err)
		}
	}
	p, err := a.Publish(ctx, formats)
	if err != nil {
		return err
	}
	path, err := filepath.Abs(out)
	if err != nil {
		path = out
	}
	if strict && p.Report.FreeText > 0 {
		for _, x := range p.Report.Redactions {
			switch x.Source {
			case archive.FoundPlace, archive.FoundDate, archive.FoundContact:
				where := x.Item
				if where == "" {
					where = x.Record + "/" + x.Field
				}
				fmt.Fprintf(e.stdout, "would change\t%s\t%d:%d\t%s\n", where, x.Start, x.End, x.Source)
			}
		}
		return exitError{exitFail, fmt.Errorf("--strict: free text holds %d place(s), date(s) or contact(s) finer than consent allows; nothing was written (redact them, or publish without --strict to have them coarsened)", p.Report.FreeText)}
	}
	if !dryRun {
		tmp, err := publish.Stage(out, p.Files)
		if err != nil {
			return err
		}
		if err := a.RecordPublicationApproved(ctx, p, request, formats); err != nil {
			publish.Discard(tmp)
			return err
		}
		if err := publish.Commit(tmp, out); err != nil {
			publish.Discard(tmp)
			return fmt.Errorf("%w (the custody log records publication %s, but no dataset was written)", err, p.ID)
		}
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(publishJSON(p, path, dryRun))
	}
	if dryRun {
		return printPublishReport(e.stdout, p.Report)
	}
	fmt.Fprintf(e.stdout, "%s\t%s\t%d\n", path, p.ID, len(p.Files))
	d := p.Dataset
	fmt.Fprintf(e.stderr, "sori publish: %d testimonies, %d events, %d acts, %d persons, %d transcripts (%d redactions) to %s\n",
		len(d.Testimonies), len(d.Events), len(d.Acts), len(d.Persons), len(d.Transcripts), len(p.Report.Redactions), path)
	return nil
}

type publishOutput struct {
	Path        string                `json:"path"`
	Publication string                `json:"publication,omitempty"` // "" on a dry run
	Digest      string                `json:"digest,omitempty"`
	Files       []string              `json:"files"`
	DryRun      bool                  `json:"dry_run"`
	Counts      map[string]int        `json:"counts"`
	Report      archive.PublishReport `json:"report"`
}

func publishJSON(p *archive.Publication, path string, dryRun bool) publishOutput {
	o := publishOutput{Path: path, Files: []string{}, DryRun: dryRun, Report: p.Report}
	if !dryRun {
		o.Publication, o.Digest = p.ID, p.Digest.String()
	}
	for _, f := range p.Files {
		o.Files = append(o.Files, f.Name)
	}
	d := p.Dataset
	o.Counts = map[string]int{"testimonies": len(d.Testimonies), "events": len(d.Events), "acts": len(d.Acts), "involvements": len(d.Involvements),
		"persons": len(d.Persons), "places": len(d.Places), "information": len(d.Information), "transcripts": len(d.Transcripts)}
	return o
}

func printPublishReport(w io.Writer, r archive.PublishReport) error {
	for _, x := range r.Redactions {
		where := x.Item
		if where == "" {
			where = x.Record + "/" + x.Field
		}
		why := x.Reason
		if x.Source == "name" {
			why = x.Label
		}
		fmt.Fprintf(w, "redact\t%s\t%d:%d\t%s\t%s\n", where, x.Start, x.End, x.Source, why)
	}
	for _, x := range r.Coarsenings {
		to := x.To
		if to == "" {
			to = "(withheld)"
		}
		fmt.Fprintf(w, "coarsen\t%s\t%s\t%s\t%s\t%s\t%s\n", x.Kind, x.Record, x.Field, x.From, to, x.Precision)
	}
	for _, x := range r.Pseudonyms {
		fmt.Fprintf(w, "pseudonym\t%s\t%s\t%s\n", x.Person, x.Label, x.Why)
	}
	for _, x := range r.Excluded {
		if _, err := fmt.Fprintf(w, "exclude\t%s\t%s\t%s\n", x.Kind, x.ID, x.Reason); err != nil {
			return err
		}
	}
	return nil
}
