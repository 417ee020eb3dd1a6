package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/internal/importer"
	"sori/internal/model"
)

var consentCmd = &command{
	name:    "consent",
	summary: "record, show or list what witnesses consented to",
	usage: `
Usage: sori consent set TESTIMONY [--scope S] [flags] [--json]
       sori consent show TESTIMONY [--json]
       sori consent ls [--json]

What the witness of a testimony allows it to be used for. A testimony has
one consent record; 'set' creates it, or writes a new version with the
given flags changed and the others kept (every version stays, each with its
custody entry). Without a consent record a testimony is internal only:
'sori export' refuses its items, and publication leaves it out.

Scopes, narrowest first (each allows what the ones before it do):
  internal     kept and read inside the archive only
  court        may be exported in a court bundle (sori export)
  anonymized   may also be published with pseudonyms, places and dates coarsened
  named        may also be published naming the persons in the records

Flags of 'set':
  --scope S              internal, court, anonymized or named (required the first time)
  --place-precision P    how precisely publication may give places:
                         exact, county, province, country, none
  --date-precision D     how precisely publication may give dates:
                         day, month, year, decade, unknown
  --no-audio             recordings of the voice are never exported or published
  --no-video             nor video or images
  --no-text              the transcript text is never published (only records)
                         (each takes =false to lift it again)
  --given DATE           when the witness gave or changed consent
  --note N               free-text note (never the witness's name)
  --json                 JSON output
  plus --archive, --user, --passphrase-file (see 'sori help')

'set' prints CONSENT-ID<TAB>VERSION (--json: {"id","testimony","version",
"changed"}); when nothing would change it writes nothing and says so on
stderr. Setting consent takes the admin, protection or investigator role.

'show' prints the testimony's current consent and every earlier version
(--json: {"testimony","found","record"}, record as 'sori show --json'
prints a record); without one it prints
  no consent recorded: internal use only
'ls' prints one line per consent record:
  TESTIMONY<TAB>CONSENT-ID<TAB>SCOPE<TAB>RESTRICTIONS
(RESTRICTIONS: no-audio, no-video, no-text, place=P, date=D, comma-separated,
"-" for none; --json: one {"testimony","id","consent"} per line).

IDs are full IDs or unique prefixes of at least 6 hex digits.
Exit status: 0 ok, 1 failure, 2 invalid input (nothing stored), 3 locked
or forbidden.

Examples:
  sori consent set 5d0e91 --scope court --no-audio --given 2024-03-02
  sori consent set 5d0e91 --scope anonymized --place-precision province
  sori consent show 5d0e91
  sori consent ls --json
`,
	run: runConsent,
}

func runConsent(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("give a subcommand: set, show or ls")
	}
	switch args[0] {
	case "-h", "-help", "--help":
		return flag.ErrHelp
	case "set":
		return runConsentSet(ctx, e, args[1:])
	case "show":
		return runConsentShow(ctx, e, args[1:])
	case "ls":
		return runConsentLs(ctx, e, args[1:])
	}
	return usagef("unknown subcommand %q: want set, show or ls", args[0])
}

func consentFlags(fs *flag.FlagSet, fv *fieldValues) {
	fv.one(fs, "scope", "scope")
	fv.one(fs, "place-precision", "place_precision")
	fv.one(fs, "date-precision", "date_precision")
	fv.flag(fs, "no-audio", "no_audio")
	fv.flag(fs, "no-video", "no_video")
	fv.flag(fs, "no-text", "no_text")
	fv.one(fs, "given", "given")
	fv.one(fs, "note", "notes")
}

func runConsentSet(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var fv fieldValues
	var asJSON bool
	fs := newFlags("consent set")
	f.register(fs, e)
	fs.BoolVar(&asJSON, "json", false, "")
	consentFlags(fs, &fv)
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("give exactly one testimony ID")
	}
	if len(fv.vals) == 0 {
		return usagef("nothing to set: give --scope or the flags of what to change")
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	cur, err := a.Consent(ctx, rest[0])
	if err != nil {
		return err
	}
	var rec importer.Record
	if cur.Found {
		rec = importer.FromBody(cur.Record.Current)
	} else {
		if fv.given("scope") == "" {
			return usagef("testimony %s has no consent yet: give --scope internal|court|anonymized|named", cur.Testimony)
		}
		rec = importer.Record{Kind: model.KindConsent}
	}
	fv.put("testimony", "TESTIMONY", nil, false, cur.Testimony.String())
	for _, v := range fv.vals {
		for i := range rec.Fields {
			if rec.Fields[i].Name == v.Name {
				rec.Fields = append(rec.Fields[:i], rec.Fields[i+1:]...)
				break
			}
		}
		rec.Fields = append(rec.Fields, v)
	}
	p, err := importer.Build(ctx, []importer.Record{rec}, archive.ImportResolver(a))
	if err != nil {
		return err
	}
	id, v, changed, err := a.SetConsent(ctx, p.Bodies[0].(*model.Consent))
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"id": id.String(), "testimony": cur.Testimony.String(), "version": v, "changed": changed})
	}
	if !changed {
		fmt.Fprintf(e.stderr, "sori consent set: nothing changed; consent %s stays at version %d\n", id, v)
	}
	_, err = fmt.Fprintf(e.stdout, "%s\t%d\n", id, v)
	return err
}

func runConsentShow(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var asJSON bool
	fs := newFlags("consent show")
	f.register(fs, e)
	fs.BoolVar(&asJSON, "json", false, "")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("give exactly one testimony ID")
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	info, err := a.Consent(ctx, rest[0])
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(info)
	}
	fmt.Fprintf(e.stdout, "testimony %s\n", info.Testimony)
	if !info.Found {
		_, err = fmt.Fprintln(e.stdout, "no consent recorded: internal use only")
		return err
	}
	printRecord(e.stdout, info.Record)
	return nil
}

func runConsentLs(ctx context.Context, e *env, args []string) error {
	a, asJSON, err := openListing(ctx, e, "consent ls", args)
	if err != nil {
		return err
	}
	defer a.Close()
	enc := json.NewEncoder(e.stdout)
	return a.Records(ctx, model.KindConsent, func(id evidence.ID, b model.Body) error {
		c := b.(*model.Consent)
		if asJSON {
			return enc.Encode(map[string]any{"testimony": c.Testimony.String(), "id": id.String(), "consent": c})
		}
		return printConsentLine(e.stdout, id.String(), c)
	})
}

func printConsentLine(w io.Writer, id string, c *model.Consent) error {
	_, err := fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", c.Testimony, id, c.Scope, consentRestrictions(c))
	return err
}

// consentRestrictions is the RESTRICTIONS column of 'consent ls'.
func consentRestrictions(c *model.Consent) string {
	var out []string
	for _, r := range []struct {
		on   bool
		name string
	}{{c.NoAudio, "no-audio"}, {c.NoVideo, "no-video"}, {c.NoText, "no-text"}} {
		if r.on {
			out = append(out, r.name)
		}
	}
	if c.PlacePrecision != "" {
		out = append(out, "place="+c.PlacePrecision)
	}
	if c.DatePrecision != "" {
		out = append(out, "date="+c.DatePrecision)
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, ",")
}
