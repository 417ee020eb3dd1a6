package main

import (
	"flag"

	"sori/internal/model"
)

var involvementCmd = &command{
	name:    "involvement",
	summary: "link a perpetrator (person or unit) to an act",
	usage: `
Usage: sori involvement add --act ID --perpetrator PERSON --degree D [flags]
       sori involvement edit ID [flags]

An involvement says that a perpetrator — a person record, which may stand
for a unit such as a county state security office — took part in an act,
and how.

'add' prints the new record's ID (--json: {"id","kind"}). 'edit' writes a
new version with the given flags changed and the other fields kept, and
prints ID<TAB>VERSION (--json: {"id","version","changed"}).

Flags:
  --act ID              the act (required)
  --perpetrator PERSON  the perpetrator's person record (required)
  --degree D            involvement_degree code or label (required;
                        'sori vocab involvement_degree')
  --type T              perpetrator_types code or label, e.g. bowibu
                        ('sori vocab perpetrator_types')
  --note N              free-text note
  --compartment NAME    (add) place the record in compartment NAME (sori help compartment)
  --json                JSON output
  plus --archive, --user, --passphrase-file (see 'sori help')

Exit status: 0 ok, 1 failure, 2 invalid input (nothing stored), 3 locked.

Examples:
  sori involvement add --act 2b9c4d --perpetrator 0d3e5f --degree violent.ordered --type bowibu
  sori involvement edit 6a7b8c --degree violent.direct
`,
	run: involvementKind.run,
}

var involvementKind = &recordKind{
	cmd:  "involvement",
	kind: model.KindInvolvement,
	flags: func(fs *flag.FlagSet, fv *fieldValues) {
		fv.one(fs, "act", "act")
		fv.one(fs, "perpetrator", "perpetrator")
		fv.one(fs, "degree", "degree")
		fv.one(fs, "type", "perpetrator_type")
		fv.one(fs, "note", "notes")
	},
}
