package main

import (
	"flag"

	"sori/internal/model"
)

var infoCmd = &command{
	name:    "info",
	summary: "record which source tells of an event, and how reliably",
	usage: `
Usage: sori info add --source ID --event ID --connection C [flags]
       sori info edit ID [flags]

An information record links a source — a testimony or a person — to an
event it tells of: how the source knows (first-hand, told by someone
involved, hearsay) and how far it can be relied on, graded apart on the
Admiralty scale: the source A–F, the information 1–6.

'add' prints the new record's ID (--json: {"id","kind"}). 'edit' writes a
new version with the given flags changed and the other fields kept, and
prints ID<TAB>VERSION (--json: {"id","version","changed"}).

Flags:
  --source ID        a testimony or person record (required)
  --event ID         the event (required)
  --connection C     source_connection code or label, e.g. direct.witness
                     (required; 'sori vocab source_connection')
  --reliability R    of the source: A–F ('sori vocab admiralty_source')
  --credibility C    of the information: 1–6 ('sori vocab admiralty_info')
  --lang L           language the source gave it in: ko, en, …
  --note N           free-text note
  --compartment NAME (add) place the record in compartment NAME (sori help compartment)
  --json             JSON output
  plus --archive, --user, --passphrase-file (see 'sori help')

Exit status: 0 ok, 1 failure, 2 invalid input (nothing stored), 3 locked.

Examples:
  sori info add --source 5d0e91 --event 7c1d2e --connection direct.witness \
      --reliability B --credibility 2 --lang ko
  sori info edit 3c4d5e --credibility 1
`,
	run: infoKind.run,
}

var infoKind = &recordKind{
	cmd:  "info",
	kind: model.KindInformation,
	flags: func(fs *flag.FlagSet, fv *fieldValues) {
		fv.one(fs, "source", "source")
		fv.one(fs, "event", "event")
		fv.one(fs, "connection", "connection")
		fv.one(fs, "reliability", "reliability")
		fv.one(fs, "credibility", "credibility")
		fv.one(fs, "lang", "language")
		fv.one(fs, "note", "notes")
	},
}
