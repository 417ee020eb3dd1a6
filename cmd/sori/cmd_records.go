package main

// What the record commands (testimony, event, act, involvement, person,
// place, info, annotate) share: field flags that become importer.Values,
// so that the command line and import files are converted and checked by
// the same code; add and edit; and how records are shown and listed.

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/internal/importer"
	"sori/internal/model"
	"sori/internal/vocab"
)

// recordKind is a kind of model record and its 'sori CMD add|edit' command.
type recordKind struct {
	cmd  string // the command's name
	kind string // the model kind
	// flags registers the kind's field flags.
	flags func(fs *flag.FlagSet, fv *fieldValues)
	// args takes add's arguments (annotate's ITEM); nil when add takes none.
	args func(fv *fieldValues, args []string) error
}

// run dispatches 'sori CMD add|edit …'.
func (k *recordKind) run(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("give a subcommand: add or edit")
	}
	switch args[0] {
	case "-h", "-help", "--help":
		return flag.ErrHelp
	case "add":
		return k.add(ctx, e, args[1:])
	case "edit":
		return k.edit(ctx, e, args[1:])
	}
	return usagef("unknown subcommand %q: want add or edit", args[0])
}

// fieldValues collects the field flags of one command line as
// importer.Values. A repeated list flag adds to its list; a repeated
// single-valued flag replaces the value; an empty value clears the field.
type fieldValues struct {
	vals []importer.Value
}

func (fv *fieldValues) put(field, label string, kinds []string, list bool, s string) {
	for i := range fv.vals {
		if v := &fv.vals[i]; v.Name == field {
			if list {
				v.Text = append(v.Text, s)
			} else {
				v.Text, v.Label, v.Kinds = []string{s}, label, kinds
			}
			return
		}
	}
	fv.vals = append(fv.vals, importer.Value{Name: field, Label: label, Text: []string{s}, Kinds: kinds})
}

// one registers --flag for a single-valued field.
func (fv *fieldValues) one(fs *flag.FlagSet, name, field string) {
	fs.Func(name, "", func(s string) error { fv.put(field, "--"+name, nil, false, s); return nil })
}

// flag registers a boolean --flag for a Bool field: --flag sets it,
// --flag=false clears it (on edit).
func (fv *fieldValues) flag(fs *flag.FlagSet, name, field string) {
	fs.BoolFunc(name, "", func(s string) error {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		fv.put(field, "--"+name, nil, false, strconv.FormatBool(b))
		return nil
	})
}

// many registers a repeatable --flag for a list field.
func (fv *fieldValues) many(fs *flag.FlagSet, name, field string) {
	fs.Func(name, repeatable, func(s string) error { fv.put(field, "--"+name, nil, true, s); return nil })
}

// value returns the value collected for field (zero when none).
func (fv *fieldValues) value(field string) importer.Value {
	for _, v := range fv.vals {
		if v.Name == field {
			return v
		}
	}
	return importer.Value{}
}

// given reports the label of the flag that set field, or "".
func (fv *fieldValues) given(field string) string {
	for _, v := range fv.vals {
		if v.Name == field {
			return v.Label
		}
	}
	return ""
}

// parse parses a record command line: the archive flags, --json and
// the kind's field flags.
func (k *recordKind) parse(e *env, sub string, args []string) (archiveFlags, fieldValues, bool, []string, error) {
	f, fv, asJSON, _, rest, err := k.parseIn(e, sub, args)
	return f, fv, asJSON, rest, err
}

// parseIn is parse, and for 'add' the --compartment flag too.
func (k *recordKind) parseIn(e *env, sub string, args []string) (archiveFlags, fieldValues, bool, string, []string, error) {
	var f archiveFlags
	var fv fieldValues
	var asJSON bool
	var compartment string
	fs := newFlags(k.cmd + " " + sub)
	f.register(fs, e)
	fs.BoolVar(&asJSON, "json", false, "")
	if sub == "add" {
		fs.StringVar(&compartment, "compartment", "", "")
	}
	k.flags(fs, &fv)
	rest, err := parse(fs, args)
	return f, fv, asJSON, compartment, rest, err
}

func (k *recordKind) add(ctx context.Context, e *env, args []string) error {
	f, fv, asJSON, compartment, rest, err := k.parseIn(e, "add", args)
	if err != nil {
		return err
	}
	if k.args != nil {
		if err := k.args(&fv, rest); err != nil {
			return err
		}
	} else if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	p, err := importer.Build(ctx, []importer.Record{{Kind: k.kind, Fields: fv.vals}}, archive.ImportResolver(a))
	if err != nil {
		return err
	}
	ids, err := a.AddRecordsIn(ctx, compartment, p.Bodies[:1], nil)
	if err != nil {
		return err
	}
	id := ids[0]
	warnSealedRecords(ctx, a, e.stderr, k.cmd+" add", []evidence.ID{id}, p.Bodies[:1])
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]string{"id": id.String(), "kind": k.kind})
	}
	_, err = fmt.Fprintln(e.stdout, id)
	return err
}

// edit writes a new version of a record: the given flags over its current body.
func (k *recordKind) edit(ctx context.Context, e *env, args []string) error {
	f, fv, asJSON, rest, err := k.parse(e, "edit", args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("give exactly one %s ID", k.kind)
	}
	if len(fv.vals) == 0 {
		return usagef("nothing to change: give the flags of the fields to change")
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	info, err := a.Record(ctx, rest[0])
	if err != nil {
		return err
	}
	if info.Kind != k.kind {
		return fmt.Errorf("%w: %s is %s %s record: use 'sori %s edit'", evidence.ErrInvalid, info.ID, article(info.Kind), info.Kind, kindCommand(info.Kind))
	}
	// The given fields over a body: the new version is made by the archive
	// from the record as stored (EditRecord), not from info.Current, whose
	// sealed names a user without protection reads masked.
	apply := func(cur model.Body) (model.Body, error) {
		rec := importer.FromBody(cur)
		for _, v := range fv.vals {
			for i := range rec.Fields {
				if rec.Fields[i].Name == v.Name {
					rec.Fields = append(rec.Fields[:i], rec.Fields[i+1:]...)
					break
				}
			}
			rec.Fields = append(rec.Fields, v)
		}
		p, err := importer.Build(ctx, []importer.Record{rec}, archive.ImportResolver(a))
		if err != nil {
			return nil, err
		}
		return p.Bodies[0], nil
	}
	// The warning about sealed names looks at what this user typed, over
	// the copy they read: names already in the record are not theirs.
	shown, err := apply(info.Current)
	if err != nil {
		return err
	}
	v, changed, err := a.EditRecord(ctx, info.ID.String(), apply)
	if err != nil {
		return err
	}
	if changed {
		warnSealedRecords(ctx, a, e.stderr, k.cmd+" edit", []evidence.ID{info.ID}, []model.Body{shown})
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"id": info.ID.String(), "version": v, "changed": changed})
	}
	if !changed {
		fmt.Fprintf(e.stderr, "sori %s edit: nothing changed; %s stays at version %d\n", k.cmd, info.ID, v)
	}
	_, err = fmt.Fprintf(e.stdout, "%s\t%d\n", info.ID, v)
	return err
}

// kindCommand names the command that adds and edits records of kind.
func kindCommand(kind string) string {
	switch kind {
	case model.KindInformation:
		return "info"
	case model.KindAnnotation:
		return "annotate"
	}
	return kind
}

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// printRecord is 'sori show' for a record: the record, then every version,
// newest first, with its fields.
func printRecord(w io.Writer, info archive.RecordInfo) {
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	fmt.Fprintf(w, "record    %s\n", info.ID)
	fmt.Fprintf(w, "kind      %s\n", info.Kind)
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
			fmt.Fprintf(w, "  %-15s %s\n", "purged", "its text was destroyed ('sori log' shows the purge entry)")
			fmt.Fprintf(w, "  %-15s %s\n", "digest", v.Digest)
			continue
		}
		var body map[string]json.RawMessage
		json.Unmarshal(model.EncodeBody(v.Body), &body)
		fields := importer.Fields(info.Kind)
		if len(fields) == 0 { // a kind no record command makes (void)
			for _, k := range slices.Sorted(maps.Keys(body)) {
				fields = append(fields, importer.Field{Name: k})
			}
		}
		for _, f := range fields {
			if s := fieldText(f, body[f.Name]); s != "" {
				fmt.Fprintf(w, "  %-15s %s\n", strings.ReplaceAll(f.Name, "_", " "), oneLine(s))
			}
		}
		if v.Prev != nil {
			fmt.Fprintf(w, "  %-15s %s\n", "previous", v.Prev)
		}
		fmt.Fprintf(w, "  %-15s %s\n", "digest", v.Digest)
	}
}

// fieldText shows a body field's value: vocabulary codes with their
// English label, gazetteer codes with the place's names, lists joined by
// "; ". It is "" for an empty field.
func fieldText(f importer.Field, raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	switch f.Type {
	case importer.Date:
		var d model.Date
		json.Unmarshal(raw, &d)
		return d.String()
	case importer.Int, importer.Float:
		return string(raw)
	case importer.Bool:
		if string(raw) == "true" {
			return "yes"
		}
		return ""
	}
	var ss []string
	if f.Type.List() {
		json.Unmarshal(raw, &ss)
	} else {
		var s string
		json.Unmarshal(raw, &s)
		ss = []string{s}
	}
	var out []string
	for _, s := range ss {
		switch f.Type {
		case importer.Term, importer.Terms:
			if v, err := vocab.Get(f.Vocab); err == nil {
				if t, ok := v.Term(s); ok {
					s += " (" + t.EN + ")"
				}
			}
		case importer.PlaceRef, importer.PlaceRefs, importer.Gazetteer:
			if p, ok := vocab.PlaceByCode(s); ok {
				s += " (" + p.Hangul + ", " + p.EN + ")"
			}
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, "; ")
}

// recordSummary is the SUMMARY column of 'sori ls --kind': a one-line
// description for people (scripts use --json).
func recordSummary(b model.Body) string {
	short := func(id evidence.ID) string { return id.String()[:12] }
	switch b := b.(type) {
	case *model.Testimony:
		return fmt.Sprintf("%s · %s · %s", b.Witness, b.Date, b.Title)
	case *model.Event:
		return fmt.Sprintf("%s · %s", b.Date, b.Title)
	case *model.Act:
		s := fmt.Sprintf("%s · %s · event %s", b.Date, b.Violation, short(b.Event))
		if b.Victim != nil {
			s += " · victim " + short(*b.Victim)
		}
		return s
	case *model.Involvement:
		return fmt.Sprintf("%s · act %s · perpetrator %s", b.Degree, short(b.Act), short(b.Perpetrator))
	case *model.Person:
		s := strings.Join(append(append([]string{}, b.Names...), b.Aliases...), " / ")
		if b.Protected {
			s += " · protected"
			if b.Pseudonym != "" {
				s += " as " + b.Pseudonym
			}
		}
		return s
	case *model.Place:
		s := b.Type + " · " + strings.Join(b.Names, " / ")
		if b.Gazetteer != "" {
			s += " · " + b.Gazetteer
		}
		return s
	case *model.Information:
		return fmt.Sprintf("%s%s · %s · source %s · event %s", dash(b.Reliability), dash(b.Credibility), b.Connection, short(b.Source), short(b.Event))
	case *model.Annotation:
		return fmt.Sprintf("item %s %d:%d → %s", short(b.Item), b.Start, b.End, short(b.Target))
	case *model.Consent:
		return fmt.Sprintf("%s · testimony %s", b.Scope, short(b.Testimony))
	case *model.Redaction:
		s := fmt.Sprintf("item %s %d:%d · %s", short(b.Item), b.Start, b.End, b.Reason)
		if b.Withdrawn {
			s += " · withdrawn"
		}
		return s
	}
	return ""
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// parseSpan reads START:END.
func parseSpan(s string) (start, end string, err error) {
	a, b, ok := strings.Cut(s, ":")
	_, e1 := strconv.Atoi(a)
	_, e2 := strconv.Atoi(b)
	if !ok || e1 != nil || e2 != nil {
		return "", "", fmt.Errorf("want START:END in bytes, e.g. 120:348")
	}
	return a, b, nil
}
