package main

import (
	"flag"

	"sori/internal/model"
)

var testimonyCmd = &command{
	name:    "testimony",
	summary: "record an interview session (testimony)",
	usage: `
Usage: sori testimony add --title T --witness PSEUDONYM [flags]
       sori testimony edit ID [flags]

A testimony is one interview session: who was interviewed (by pseudonym
only), by whom, when and where, in which languages, and which evidence
items hold the original material (recordings, transcripts, video, photos,
documents) and its translations. Every item of a testimony, and every item
tagged with its witness's pseudonym (sori add --witness), falls under the
testimony's consent (sori consent).

'add' prints the new record's ID (--json: {"id","kind"}). 'edit' writes a
new version with the given flags changed and the other fields kept, and
prints ID<TAB>VERSION (--json: {"id","version","changed"}); an empty value
(--note "") clears a field, and a repeated flag replaces the whole list.

Flags:
  --title T             title (required)
  --witness P           the witness's pseudonym, e.g. W-17 — never a name (required)
  --interviewer N       who interviewed
  --interpreter N       who interpreted
  --date D              1998-09-14, 1998-09, 1998, 1990s, 1998..1999, ~1998, unknown
  --place P             where the interview took place (free text)
  --lang L              a language spoken: ko, en, ko-KP, … (repeatable)
  --original ITEM       an item of the original material: recording, transcript,
                        video, photo, document (repeatable; the first is the
                        main original; on edit, the list given replaces all)
  --translation ITEM    an item translating it (repeatable)
  --note N              free-text note
  --compartment NAME    (add) place the record in compartment NAME (sori help compartment)
  --json                JSON output
  plus --archive, --user, --passphrase-file (see 'sori help')

IDs are full IDs or unique prefixes of at least 6 hex digits.
Exit status: 0 ok, 1 failure, 2 invalid input (nothing stored), 3 locked.

Examples:
  sori testimony add --title "Interview 1" --witness W-17 --date 2024-03-02 \
      --place Seoul --lang ko --original 3fa4c2 --translation 81be07
  sori testimony edit 5d0e91 --interpreter "J. Park"
`,
	run: testimonyKind.run,
}

var testimonyKind = &recordKind{
	cmd:  "testimony",
	kind: model.KindTestimony,
	flags: func(fs *flag.FlagSet, fv *fieldValues) {
		fv.one(fs, "title", "title")
		fv.one(fs, "witness", "witness")
		fv.one(fs, "interviewer", "interviewer")
		fv.one(fs, "interpreter", "interpreter")
		fv.one(fs, "date", "date")
		fv.one(fs, "place", "place")
		fv.many(fs, "lang", "languages")
		// --original is repeatable: the first is the record's original,
		// the others its further originals; on edit, giving it replaces
		// them all.
		fs.Func("original", repeatable, func(s string) error {
			if fv.given("original") == "" {
				fv.put("original", "--original", nil, false, s)
				fv.put("originals", "--original", nil, false, "")
				return nil
			}
			if v := fv.value("originals"); len(v.Text) == 1 && v.Text[0] == "" {
				fv.put("originals", "--original", nil, false, s)
				return nil
			}
			fv.put("originals", "--original", nil, true, s)
			return nil
		})
		fv.many(fs, "translation", "translations")
		fv.one(fs, "note", "notes")
	},
}
