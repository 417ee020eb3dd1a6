package main

import (
	"flag"

	"sori/internal/model"
)

var actCmd = &command{
	name:    "act",
	summary: "record an act: one violation against one victim in an event",
	usage: `
Usage: sori act add --event ID --violation V [flags]
       sori act edit ID [flags]

An act is one violation against one victim (a person record), within an
event. Perpetrators are linked to acts with 'sori involvement'.

'add' prints the new record's ID (--json: {"id","kind"}). 'edit' writes a
new version with the given flags changed and the other fields kept, and
prints ID<TAB>VERSION (--json: {"id","version","changed"}); an empty value
clears a field.

Flags:
  --event ID          the event (required)
  --victim PERSON     the victim's person record
  --violation V       violation code or label, English or Korean (required;
                      'sori vocab violations')
  --date D            1997-03-14, 1997-03, 1997, 1990s, 1997..1999, ~1997, unknown
  --place P           a gazetteer code or name, or a place record's ID
  --status-at-end S   the victim's status at the end of the act (free text)
  --note N            free-text note
  --compartment NAME  (add) place the record in compartment NAME (sori help compartment)
  --json              JSON output
  plus --archive, --user, --passphrase-file (see 'sori help')

Exit status: 0 ok, 1 failure, 2 invalid input (nothing stored), 3 locked.

Examples:
  sori act add --event 7c1d2e --victim 41f0aa --violation "Public execution" \
      --date 1997-03 --place Hyesan --status-at-end dead
  sori act edit 2b9c4d --victim 9e8f7a
`,
	run: actKind.run,
}

var actKind = &recordKind{
	cmd:  "act",
	kind: model.KindAct,
	flags: func(fs *flag.FlagSet, fv *fieldValues) {
		fv.one(fs, "event", "event")
		fv.one(fs, "victim", "victim")
		fv.one(fs, "violation", "violation")
		fv.one(fs, "date", "date")
		fv.one(fs, "place", "place")
		fv.one(fs, "status-at-end", "status_at_end")
		fv.one(fs, "note", "notes")
	},
}
