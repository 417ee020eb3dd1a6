package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/internal/model"
)

var lsCmd = &command{
	name:    "ls",
	summary: "list items, or the records of one kind",
	usage: `
Usage: sori ls [--kind K] [--all] [--json]
       sori ls --kind event --uwazi

Lists every item with its current record, one per line, in intake order:
  ID<TAB>KIND<TAB>LANG<TAB>SIZE<TAB>VERSION<TAB>TITLE
LANG is "-" when unknown; SIZE is in bytes; VERSION is the current record
version. With --json, one object per line with the current record's fields.

--kind K lists the records of kind K instead (testimony, event, act,
involvement, person, place, information, annotation; "item" is the
default), oldest first, each in its current version:
  ID<TAB>KIND<TAB>SUMMARY
SUMMARY is a one-line description for people (names, title, date, codes,
12-digit ID prefixes). With --json: {"id","kind","body":{…}} per line.

Voided items and records ('sori void') are left out; --all lists them too.

Titles, names and notes are shown through the disclosure guard: to a user
without the protection role, a name sealed in the identity vault (in any
romanization or compatibility form), and a sealed phone number or e-mail
address, show as "[…]", and a person record whose name is a sealed
identity shows the witness's pseudonym (docs/protection.md).

--kind event --uwazi writes the events as a CSV that Uwazi (HURIDOCS)
imports, and 'sori import --uwazi' reads back: columns title, date
(1997/03/14; a month, year or decade as the range of its days, A:B),
description, violations (English labels, "|" between), status, place
(names, "|" between), geolocation (lat|lon of the first place with
coordinates) and sori_id. A cell starting with = + - @ is written with a
leading ' so that a spreadsheet does not run it as a formula.

Examples:
  sori ls
  sori ls --json | jq -r 'select(.lang=="ko") | .id'
  sori ls --kind person
  sori ls --kind event --uwazi > incidents.csv
`,
	run: runLs,
}

// itemJSON is the JSON shape of an item's current state (ls, show).
type itemJSON struct {
	ID            string `json:"id"`
	SHA256        string `json:"sha256"`
	Size          int64  `json:"size"`
	Version       int    `json:"version"`
	Title         string `json:"title"`
	Lang          string `json:"lang"`
	Kind          string `json:"kind"`
	Witness       string `json:"witness,omitempty"`
	TranslationOf string `json:"translation_of,omitempty"`
	Note          string `json:"note,omitempty"`
	Filename      string `json:"filename,omitempty"`
}

func runLs(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var asJSON bool
	var kind string
	fs := newFlags("ls")
	f.register(fs, e)
	fs.BoolVar(&asJSON, "json", false, "")
	fs.StringVar(&kind, "kind", "item", "")
	var uwazi, all bool
	fs.BoolVar(&uwazi, "uwazi", false, "")
	fs.BoolVar(&all, "all", false, "")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	if kind != "item" && !slices.Contains(model.Kinds, kind) {
		return usagef("--kind %q: want item or one of %s", kind, strings.Join(model.Kinds, ", "))
	}
	if uwazi && (kind != model.KindEvent || asJSON) {
		return usagef("--uwazi lists events: give --kind event, without --json")
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	if uwazi {
		return writeUwaziEvents(ctx, a, e.stdout)
	}
	enc := json.NewEncoder(e.stdout)
	var opts []archive.ReadOption
	if all {
		opts = append(opts, archive.IncludeVoided)
	}
	if kind != "item" {
		err := a.Records(ctx, kind, func(id evidence.ID, b model.Body) error {
			if asJSON {
				return enc.Encode(map[string]any{"id": id.String(), "kind": kind, "body": b})
			}
			_, err := fmt.Fprintf(e.stdout, "%s\t%s\t%s\n", id, kind, oneLine(recordSummary(b)))
			return err
		}, opts...)
		if err != nil {
			return err
		}
		// Records in compartments you are not a member of: that they
		// exist, and where, and nothing more.
		rs, err := a.RestrictedRecords(ctx, kind)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if asJSON {
				err = enc.Encode(r)
			} else {
				_, err = fmt.Fprintf(e.stdout, "%s\t%s\t[restricted: %s]\n", r.ID, r.Kind, oneLine(r.Compartment))
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	return a.List(ctx, func(l archive.Listed) error {
		r := l.Record
		if asJSON {
			j := itemJSON{ID: l.ID.String(), SHA256: l.SHA256.String(), Size: l.Size, Version: l.Version,
				Title: r.Title, Lang: r.Lang, Kind: string(r.Kind), Witness: r.Witness, Note: r.Note, Filename: r.Filename}
			if r.TranslationOf != nil {
				j.TranslationOf = r.TranslationOf.String()
			}
			return enc.Encode(j)
		}
		lang := r.Lang
		if lang == "" {
			lang = "-"
		}
		_, err := fmt.Fprintf(e.stdout, "%s\t%s\t%s\t%d\t%d\t%s\n", l.ID, r.Kind, lang, l.Size, l.Version, oneLine(r.Title))
		return err
	}, opts...)
}

// oneLine keeps a value on one output line.
func oneLine(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ", "\t", " ").Replace(s)
}
