package main

import (
	"flag"

	"sori/internal/model"
)

var eventCmd = &command{
	name:    "event",
	summary: "record an event: what happened, when and where",
	usage: `
Usage: sori event add --title T [flags]
       sori event edit ID [flags]

An event is something that happened, with a beginning and an end: an
arrest, a public execution, a forced repatriation. Acts (one victim, one
violation) belong to an event; information records say who tells of it.

'add' prints the new record's ID (--json: {"id","kind"}). 'edit' writes a
new version with the given flags changed and the other fields kept, and
prints ID<TAB>VERSION (--json: {"id","version","changed"}); an empty value
clears a field, and a repeated flag replaces the whole list.

Flags:
  --title T          title (required)
  --description D    what happened
  --date D           1997-03-14, 1997-03, 1997, 1990s, 1997..1999, ~1997, unknown
  --place P          where (repeatable): a gazetteer code or name in any
                     spelling (혜산, Hyesan, hyesan), or a place record's ID
  --violation V      a violation (repeatable): code or label, in English or
                     Korean ('sori vocab violations')
  --status S         violation_status code or label ('sori vocab violation_status')
  --compartment NAME (add) place the record in compartment NAME (sori help compartment)
  --json             JSON output
  plus --archive, --user, --passphrase-file (see 'sori help')

A label that names several terms or places is refused with the candidates.
Exit status: 0 ok, 1 failure, 2 invalid input (nothing stored), 3 locked.

Examples:
  sori event add --title "Public execution at Hyesan market" --date ~1997-03 \
      --place 혜산 --violation 공개처형
  sori event edit 7c1d2e --status likely
`,
	run: eventKind.run,
}

var eventKind = &recordKind{
	cmd:  "event",
	kind: model.KindEvent,
	flags: func(fs *flag.FlagSet, fv *fieldValues) {
		fv.one(fs, "title", "title")
		fv.one(fs, "description", "description")
		fv.one(fs, "date", "date")
		fv.many(fs, "place", "places")
		fv.many(fs, "violation", "violations")
		fv.one(fs, "status", "status")
	},
}
