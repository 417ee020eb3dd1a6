package main

import (
	"context"
	"flag"
	"fmt"

	"sori/internal/model"
)

var annotateCmd = &command{
	name:    "annotate",
	summary: "link a span of a transcript to a record",
	usage: `
Usage: sori annotate ITEM --span START:END (--event|--act|--person|--place|--target) ID [flags]
       sori annotate ITEM --at TIME --note N [--event|--act|--person|--place|--target ID] [--json]
       sori annotate ls ITEM [--json]
       sori annotate edit ID [flags]

Links the bytes START (inclusive) to END (exclusive) of item ITEM to a
record: the passage of a transcript where the witness speaks of an event,
an act, a person or a place. Offsets count bytes of the item's original
bytes as 'sori cat ITEM' writes them — not characters: a Hangul syllable
is 3 bytes in UTF-8. The span must lie within the item.

Time-coded notes: on an audio or video item, --at TIME instead of --span
puts a note at a time from the start of the recording ("at 12:31 the
witness names the camp"). TIME is SS, M:SS or H:MM:SS, the seconds with up
to 3 decimals (12:31, 1:02:03.250); --note is required, a record
(--event … --target) is optional. It is an annotation like any other:
searched, masked for sealed names, shown on the item's page in the web
app, sorted by time. 'annotate ls ITEM' lists an item's time-coded notes,
earliest first: TIME<TAB>ID<TAB>RECORD|-<TAB>NOTE (--json: an array of
{"id","item","at_ms","at","note","target"}). 'annotate edit ID' of a
time-coded note takes --at, --note and a record flag. A time on an item
that is not audio or video is invalid input (exit 2).

Prints the new annotation's ID (--json: {"id","kind"}; with --at also "at"). 'edit' writes a
new version with the given flags changed and prints ID<TAB>VERSION
(--json: {"id","version","changed"}).

Flags:
  --span START:END   byte offsets, END exclusive (required)
  --event ID         the span tells of this event
  --act ID           … of this act
  --person ID        … of this person
  --place ID         … of this place record
  --target ID        … of this record, of any kind
                     (exactly one of --event, --act, --person, --place, --target)
  --note N           free-text note
  --json             JSON output
  plus --archive, --user, --passphrase-file (see 'sori help')

Exit status: 0 ok, 1 failure, 2 invalid input (nothing stored), 3 locked.

Examples:
  sori annotate 3fa4c2 --span 120:348 --event 7c1d2e --note "the execution"
  sori annotate edit 0a1b2c --span 120:402
  sori annotate 9e2f01 --at 12:31 --note "the witness names the camp" --place 44b0c1
  sori annotate ls 9e2f01
`,
	run: runAnnotate,
}

func runAnnotate(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && args[0] == "ls" {
		return runTimeNote(ctx, e, args[1:], true)
	}
	if len(args) > 0 && args[0] == "edit" {
		if handled, err := runTimeNoteEdit(ctx, e, args[1:]); handled {
			return err
		}
	}
	if hasAtFlag(args) && (len(args) == 0 || args[0] != "edit") {
		if len(args) > 0 && args[0] == "add" {
			args = args[1:]
		}
		return runTimeNote(ctx, e, args, false)
	}
	if len(args) > 0 {
		switch args[0] {
		case "edit":
			return annotateKind.edit(ctx, e, args[1:])
		case "add":
			args = args[1:]
		}
	}
	return annotateKind.add(ctx, e, args)
}

var annotateKind = &recordKind{
	cmd:  "annotate",
	kind: model.KindAnnotation,
	flags: func(fs *flag.FlagSet, fv *fieldValues) {
		fs.Func("span", "", func(s string) error {
			start, end, err := parseSpan(s)
			if err != nil {
				return err
			}
			fv.put("start", "--span", nil, false, start)
			fv.put("end", "--span", nil, false, end)
			return nil
		})
		for _, t := range []struct{ flag, kind string }{
			{"event", model.KindEvent}, {"act", model.KindAct}, {"person", model.KindPerson}, {"place", model.KindPlace}, {"target", ""},
		} {
			var kinds []string
			if t.kind != "" {
				kinds = []string{t.kind}
			}
			fs.Func(t.flag, "", func(s string) error {
				if l := fv.given("target"); l != "" && l != "--"+t.flag {
					return fmt.Errorf("give only one of --event, --act, --person, --place and --target (%s is given)", l)
				}
				fv.put("target", "--"+t.flag, kinds, false, s)
				return nil
			})
		}
		fv.one(fs, "note", "note")
	},
	args: func(fv *fieldValues, args []string) error {
		if len(args) != 1 {
			return usagef("give exactly one item ID")
		}
		fv.put("item", "ITEM", nil, false, args[0])
		if fv.given("start") == "" {
			return usagef("give the span: --span START:END")
		}
		if fv.given("target") == "" {
			return usagef("give what the span tells of: --event, --act, --person, --place or --target ID")
		}
		return nil
	},
}
