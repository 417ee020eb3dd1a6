package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"sori/internal/archive"
)

var showCmd = &command{
	name:    "show",
	summary: "show an item or a record, with its version history",
	usage: `
Usage: sori show [--json] ID

Shows an item — its SHA-256, size, when and by whom it was added — and
every version of its record, newest first. ID is the full ID or a unique
prefix of at least 6 hex digits. Each record is checked against its digest.

With --json: {"id","sha256","size","added","added_by","versions":[…]},
versions oldest first, each with all record fields and its digest, and
"compartment" (its name) for an item in a compartment, which the text form
shows as a line "in compartment NAME (members only)"; a record's too.

ID may also name a model record (testimony, event, act, involvement,
person, place, information, annotation): then its kind and every version,
newest first, with its fields (vocabulary codes with their English label,
gazetteer codes with the place's names) and digest. With --json:
{"id","kind","versions":[{"version","prev"?,"time","actor","actor_name","digest","body"}]},
oldest first; "actor" is the user's key ID, "actor_name" their name, and
"body" the record's fields.

Examples:
  sori show 3fa4c2
  sori show --json 3fa4c2d0e1b2a3f4c5d6e7f8a9b0c1d2
  sori show 7c1d2e            (an event)
`,
	run: runShow,
}

func runShow(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var asJSON bool
	fs := newFlags("show")
	f.register(fs, e)
	fs.BoolVar(&asJSON, "json", false, "")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("give exactly one ID")
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	id, item, err := a.ResolveAny(ctx, rest[0])
	if err != nil {
		return err
	}
	if !item {
		return showRecord(ctx, e, a, id.String(), asJSON)
	}
	info, err := a.Show(ctx, id.String())
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	printItem(e.stdout, info)
	return nil
}

func printItem(w io.Writer, info archive.ItemInfo) {
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	fmt.Fprintf(w, "item      %s\n", info.ID)
	fmt.Fprintf(w, "sha256    %s\n", info.SHA256)
	fmt.Fprintf(w, "size      %d bytes (%s)\n", info.Size, human(info.Size))
	fmt.Fprintf(w, "added     %s by %s\n", ts(info.Added), info.AddedBy)
	if info.Compartment != "" {
		fmt.Fprintf(w, "in        compartment %s (members only)\n", info.Compartment)
	}
	for i := len(info.Versions) - 1; i >= 0; i-- {
		v := info.Versions[i]
		cur := ""
		if i == len(info.Versions)-1 {
			cur = " (current)"
		}
		fmt.Fprintf(w, "\nversion %d%s  %s by %s\n", v.Version, cur, ts(v.Time), v.ActorName)
		if v.Purged {
			fmt.Fprintf(w, "  %-15s %s\n", "purged", "its record was destroyed ('sori log' shows the purge entry)")
			fmt.Fprintf(w, "  %-15s %s\n", "digest", v.Digest)
			continue
		}
		row := func(k, val string) {
			if val != "" {
				fmt.Fprintf(w, "  %-15s %s\n", k, oneLine(val))
			}
		}
		row("title", v.Title)
		row("kind", string(v.Kind))
		row("lang", v.Lang)
		row("witness", v.Witness)
		if v.TranslationOf != nil {
			row("translation of", v.TranslationOf.String())
		}
		row("file name", v.Filename)
		row("note", v.Note)
		row("digest", v.Digest.String())
	}
}

// showRecord is 'sori show' for a model record.
func showRecord(ctx context.Context, e *env, a *archive.Archive, id string, asJSON bool) error {
	info, err := a.Record(ctx, id)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	printRecord(e.stdout, info)
	return nil
}
