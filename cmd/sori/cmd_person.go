package main

import (
	"flag"
	"fmt"

	"sori/internal/model"
)

var personCmd = &command{
	name:    "person",
	summary: "record a person or unit: victim, perpetrator or source",
	usage: `
Usage: sori person add --name N [--name N]... [flags]
       sori person edit ID [flags]

A person record stands for a victim, a perpetrator, a source, a group or a
unit. Names are kept exactly as written — in Hangul and in every
romanization met — and search links them. Witnesses are recorded by
pseudonym on testimonies, never here by name.

'add' prints the new record's ID (--json: {"id","kind"}). 'edit' writes a
new version with the given flags changed and the other fields kept, and
prints ID<TAB>VERSION (--json: {"id","version","changed"}); a repeated flag
replaces the whole list (give every name again), an empty value clears.

Flags:
  --name N             a name, as written (repeatable; at least one)
  --alias A            an alias or nickname (repeatable)
  --sex S              f, m, other or unknown
  --birth-year Y       year of birth
  --unit U             institution or unit, e.g. 회령시 보위부
  --counting-unit C    individual (default), group or unit
  --group              short for --counting-unit group
  --protected          publication must not name this person (a victim,
                       relative or source); --protected=false lifts it
  --pseudonym P        what publication calls them instead, e.g. P-3
                       (needs --protected; default: a numbered "Person N")
  --note N             free-text note
  --compartment NAME   (add) place the record in compartment NAME (sori help compartment)
  --json               JSON output
  plus --archive, --user, --passphrase-file (see 'sori help')

Exit status: 0 ok, 1 failure, 2 invalid input (nothing stored), 3 locked.

Examples:
  sori person add --name 박철민 --name "Pak Chol-min" --sex m --birth-year 1961
  sori person add --name "Hoeryong county SSD" --counting-unit unit
  sori person edit 41f0aa --name 박철민 --name "Pak Chol-min" --name "Park Cheol-min"
`,
	run: personKind.run,
}

var personKind = &recordKind{
	cmd:  "person",
	kind: model.KindPerson,
	flags: func(fs *flag.FlagSet, fv *fieldValues) {
		fv.many(fs, "name", "names")
		fv.many(fs, "alias", "aliases")
		fv.one(fs, "sex", "sex")
		fv.one(fs, "birth-year", "birth_year")
		fv.one(fs, "unit", "unit")
		fv.one(fs, "counting-unit", "counting_unit")
		fs.BoolFunc("group", "", func(s string) error {
			if s != "true" {
				return fmt.Errorf("takes no value")
			}
			fv.put("counting_unit", "--group", nil, false, "group")
			return nil
		})
		fv.flag(fs, "protected", "protected")
		fv.one(fs, "pseudonym", "pseudonym")
		fv.one(fs, "note", "notes")
	},
}
