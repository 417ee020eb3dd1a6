package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"sori/internal/archive"
)

// hasAtFlag reports whether an annotate command line gives --at: a
// time-coded note, not a span.
func hasAtFlag(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		name := strings.TrimLeft(a, "-")
		if strings.HasPrefix(a, "-") && (name == "at" || strings.HasPrefix(name, "at=")) {
			return true
		}
	}
	return false
}

// runTimeNote is 'sori annotate ITEM --at TIME --note N [--target ID]'
// and 'sori annotate ls ITEM'.
func runTimeNote(ctx context.Context, e *env, args []string, list bool) error {
	var f archiveFlags
	var at, note, target string
	var asJSON bool
	fs := newFlags("annotate")
	f.register(fs, e)
	fs.StringVar(&note, "note", "", "")
	fs.BoolVar(&asJSON, "json", false, "")
	if !list {
		fs.StringVar(&at, "at", "", "")
		for _, name := range []string{"target", "event", "act", "person", "place"} {
			fs.Func(name, "", func(s string) error {
				if target != "" {
					return fmt.Errorf("give only one of --event, --act, --person, --place and --target")
				}
				target = s
				return nil
			})
		}
	}
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("give exactly one item ID")
	}
	var ms int64
	if !list {
		if ms, err = archive.ParseTimecode(at); err != nil {
			return usagef("--at: %v", err)
		}
		if strings.TrimSpace(note) == "" {
			return usagef("a time-coded note needs --note N")
		}
	} else if note != "" {
		return usagef("ls takes no --note")
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	if !list {
		id, err := a.AddTimeNote(ctx, rest[0], ms, note, target)
		if err != nil {
			return err
		}
		if asJSON {
			return json.NewEncoder(e.stdout).Encode(map[string]string{"id": id.String(), "kind": "annotation", "at": archive.FormatTimecode(ms)})
		}
		_, err = fmt.Fprintln(e.stdout, id)
		return err
	}
	notes, err := a.TimeNotes(ctx, rest[0])
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(notes)
	}
	for _, n := range notes {
		t := "-"
		if n.Target != nil {
			t = n.Target.String()
		}
		if _, err := fmt.Fprintf(e.stdout, "%s\t%s\t%s\t%s\n", n.Time, n.ID, t, n.Note); err != nil {
			return err
		}
	}
	return nil
}
