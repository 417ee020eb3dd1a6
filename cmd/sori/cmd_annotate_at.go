package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/internal/model"
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

// runTimeNoteEdit is 'sori annotate edit ID' for a time-coded note: --at,
// --note and a record flag change it (a new version). handled is false
// when the command line is one for a span annotation (--span), or ID is
// not a time-coded note and no --at was given: the caller edits it as an
// annotation of a transcript.
func runTimeNoteEdit(ctx context.Context, e *env, args []string) (handled bool, err error) {
	for _, a := range args {
		if n := strings.TrimLeft(a, "-"); strings.HasPrefix(a, "-") && (n == "span" || strings.HasPrefix(n, "span=")) {
			return false, nil
		}
	}
	var f archiveFlags
	var at, note, target string
	var noteSet, asJSON bool
	fs := newFlags("annotate")
	f.register(fs, e)
	fs.StringVar(&at, "at", "", "")
	fs.Func("note", "", func(s string) error { note, noteSet = s, true; return nil })
	fs.BoolVar(&asJSON, "json", false, "")
	for _, name := range []string{"target", "event", "act", "person", "place"} {
		fs.Func(name, "", func(s string) error {
			if target != "" {
				return fmt.Errorf("give only one of --event, --act, --person, --place and --target")
			}
			target = s
			return nil
		})
	}
	rest, err := parse(fs, args)
	if err != nil {
		return true, err
	}
	if len(rest) != 1 {
		return true, usagef("give exactly one annotation ID")
	}
	var ms int64
	if at != "" {
		if ms, err = archive.ParseTimecode(at); err != nil {
			return true, usagef("--at: %v", err)
		}
	}
	if at == "" && !noteSet && target == "" {
		return true, usagef("nothing to change: give --at, --note or a record flag")
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return true, err
	}
	defer a.Close()
	info, err := a.Record(ctx, rest[0])
	if err != nil {
		return true, err
	}
	an, ok := info.Current.(*model.Annotation)
	if !ok || an.At == nil {
		if at != "" {
			return true, fmt.Errorf("%w: %s is not a time-coded note", evidence.ErrInvalid, info.ID)
		}
		return false, nil
	}
	// info.Current passed the disclosure guard: edit the stored note only
	// through fields given here, so that a masked note is never written back.
	if !noteSet && strings.Contains(an.Note, archive.Mask) {
		return true, fmt.Errorf("%w: give the whole --note: a note shown to you masked cannot be kept as it is", evidence.ErrInvalid)
	}
	next := *an
	if at != "" {
		next.At = &ms
	}
	if noteSet {
		next.Note = note
	}
	if target != "" {
		id, _, err := a.ResolveAny(ctx, target)
		if err != nil {
			return true, err
		}
		next.Target = id
	}
	v, changed, err := a.UpdateRecord(ctx, info.ID.String(), &next)
	if err != nil {
		return true, err
	}
	if asJSON {
		return true, json.NewEncoder(e.stdout).Encode(map[string]any{"id": info.ID.String(), "version": v, "changed": changed})
	}
	if !changed {
		fmt.Fprintf(e.stderr, "sori annotate edit: nothing changed; %s stays at version %d\n", info.ID, v)
	}
	_, err = fmt.Fprintf(e.stdout, "%s\t%d\n", info.ID, v)
	return true, err
}
