package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"sori/internal/archive"
)

var editCmd = &command{
	name:    "edit",
	summary: "write a new version of an item's record",
	usage: `
Usage: sori edit ID [--title T] [--lang L] [--kind K] [--witness P] [--note N] [--json]

Records a change to an item's metadata as a new immutable version; earlier
versions stay and 'sori show' lists them all. The evidence bytes never
change. Only the flags given change (--lang "" clears the language).
Prints ID<TAB>VERSION (--json: {"id","version","changed"}). When nothing
would change, no version is written and "changed" is false.

Examples:
  sori edit 3fa4c2 --title "Interview 1, session 2 (ko)"
  sori edit 3fa4c2 --lang ko-KP --note "checked by second translator"
`,
	run: runEdit,
}

// optString is a flag that records whether it was set.
type optString struct{ v *string }

func (o *optString) String() string {
	if o.v == nil {
		return ""
	}
	return *o.v
}
func (o *optString) Set(s string) error { o.v = &s; return nil }

func runEdit(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var title, lang, kind, witness, note optString
	var asJSON bool
	fs := newFlags("edit")
	f.register(fs, e)
	for name, o := range map[string]flag.Value{"title": &title, "lang": &lang, "kind": &kind, "witness": &witness, "note": &note} {
		fs.Var(o, name, "")
	}
	fs.BoolVar(&asJSON, "json", false, "")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("give exactly one item ID")
	}
	if title.v == nil && lang.v == nil && kind.v == nil && witness.v == nil && note.v == nil {
		return usagef("nothing to change: give --title, --lang, --kind, --witness or --note")
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	id, err := a.Resolve(ctx, rest[0])
	if err != nil {
		return err
	}
	v, changed, err := a.Edit(ctx, id.String(), archiveEdit(title.v, lang.v, kind.v, witness.v, note.v))
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"id": id.String(), "version": v, "changed": changed})
	}
	if !changed {
		fmt.Fprintf(e.stderr, "sori edit: nothing changed; %s stays at version %d\n", id, v)
	}
	_, err = fmt.Fprintf(e.stdout, "%s\t%d\n", id, v)
	return err
}

func archiveEdit(title, lang, kind, witness, note *string) archive.Edit {
	return archive.Edit{Title: title, Lang: lang, Kind: kind, Witness: witness, Note: note}
}
