package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"sori/internal/archive"
)

var reviewCmd = &command{
	name:    "review",
	summary: "ask for review of a record, approve or reject it, list the queue",
	usage: `
Usage: sori review request|approve|reject REF... [--note N] [--json]
       sori review show REF [--json]
       sori review ls [--state draft|needs-review|reviewed|all] [--json]

A testimony or any other record moves from draft to needs review (its
author asks: 'request') to reviewed (a second user: 'approve'), or back to
draft ('reject', with a note saying why). Every step is a signed record of
its own with a custody entry; nothing is changed in place, and the state is
derived from the steps and the record's current version:

  - an edit makes a record a draft again, whatever its state: a reviewed
    record that changes must be reviewed again;
  - editing while under review is allowed, and sends it back to draft;
  - a reviewer cannot review what they wrote: the user who asked for the
    review, and every author of a version since the last approval, may not
    approve or reject it (exit 3).

REF is a record ID or unique prefix; request, approve and reject take
several and print one line per REF: REF<TAB>STATE, or REF<TAB>error<TAB>
MESSAGE for one that failed (the others are still done; exit 1 if any
failed). 'show' prints the state and every step; 'ls' prints
ID<TAB>KIND<TAB>STATE<TAB>VERSION<TAB>LAST-STEP-BY, by default the queue
(needs-review).

Flags:
  --note N        a note on the step (approve, reject, request)
  --state S       ls: draft, needs-review, reviewed or all (default needs-review)
  --json          JSON output: {"target","kind","version","state","steps":[…]}
                  per record (ls: an array); several REFs: one object a
                  line, {"ref","review":{…}} or {"ref","error"}
  plus --archive, --user, --passphrase-file (see 'sori help')

Exit status: 0 ok, 1 failure (or a REF of several failed), 2 invalid input
(such as approving a draft), 3 locked or not allowed (readers may not
review; nobody reviews their own work).

Examples:
  sori review request 7c1d2e --note "first pass done"
  sori review ls
  sori --user lee review approve 7c1d2e
  sori review reject 7c1d2e --note "the date of the crossing is 1998, not 1997"
`,
	run: runReview,
}

func runReview(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("give a subcommand: request, approve, reject, show or ls")
	}
	sub := args[0]
	switch sub {
	case "-h", "-help", "--help":
		return flag.ErrHelp
	case "request", "approve", "reject", "show", "ls":
	default:
		return usagef("unknown subcommand %q: want request, approve, reject, show or ls", sub)
	}
	var f archiveFlags
	var note, state string
	var asJSON bool
	fs := newFlags("review")
	f.register(fs, e)
	fs.StringVar(&note, "note", "", "")
	fs.StringVar(&state, "state", "", "")
	fs.BoolVar(&asJSON, "json", false, "")
	refs, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	switch {
	case sub == "ls" && len(refs) > 0:
		return usagef("ls takes no arguments")
	case sub != "ls" && state != "":
		return usagef("--state is for ls")
	case sub == "show" && len(refs) != 1:
		return usagef("give exactly one record ID")
	case sub != "ls" && len(refs) == 0:
		return usagef("give the record ID")
	case (sub == "show" || sub == "ls") && note != "":
		return usagef("--note is for request, approve and reject")
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	switch sub {
	case "ls":
		switch state {
		case "":
			state = archive.ReviewNeedsReview
		case "all":
			state = ""
		}
		list, err := a.Reviews(ctx, state)
		if err != nil {
			return err
		}
		if asJSON {
			return json.NewEncoder(e.stdout).Encode(list)
		}
		for _, r := range list {
			by := "-"
			if n := len(r.Steps); n > 0 {
				by = r.Steps[n-1].ActorName
			}
			if _, err := fmt.Fprintf(e.stdout, "%s\t%s\t%s\t%d\t%s\n", r.Target, r.Kind, r.State, r.Version, by); err != nil {
				return err
			}
		}
		return nil
	case "show":
		r, err := a.ReviewOf(ctx, refs[0])
		if err != nil {
			return err
		}
		if asJSON {
			return json.NewEncoder(e.stdout).Encode(r)
		}
		return printReview(e.stdout, r)
	}
	step := map[string]func(context.Context, string, string) (archive.ReviewInfo, error){
		"request": a.RequestReview, "approve": a.ApproveReview, "reject": a.RejectReview,
	}[sub]
	if len(refs) == 1 {
		r, err := step(ctx, refs[0], note)
		if err != nil {
			return err
		}
		if asJSON {
			return json.NewEncoder(e.stdout).Encode(r)
		}
		_, err = fmt.Fprintf(e.stdout, "%s\t%s\n", r.Target, r.State)
		return err
	}
	// Bulk: each REF on its own, one result a line.
	results, err := a.ReviewMany(ctx, refs, sub, note)
	if err != nil {
		return err
	}
	failed := 0
	for _, r := range results {
		switch {
		case asJSON:
			err = json.NewEncoder(e.stdout).Encode(r)
		case r.Info == nil:
			_, err = fmt.Fprintf(e.stdout, "%s\terror\t%s\n", r.Ref, r.Error)
		default:
			_, err = fmt.Fprintf(e.stdout, "%s\t%s\n", r.Info.Target, r.Info.State)
		}
		if err != nil {
			return err
		}
		if r.Info == nil {
			failed++
		}
	}
	if failed > 0 {
		return exitError{exitFail, fmt.Errorf("%d of %d records failed (see each line)", failed, len(refs))}
	}
	return nil
}

func printReview(w io.Writer, r archive.ReviewInfo) error {
	fmt.Fprintf(w, "record\t%s\nkind\t%s\nversion\t%d\nstate\t%s\n", r.Target, r.Kind, r.Version, r.State)
	for _, s := range r.Steps {
		fmt.Fprintf(w, "step %d\t%s\tversion %d\t%s\t%s", s.Seq, s.Step, s.Version, s.ActorName, s.Time.UTC().Format("2006-01-02 15:04:05Z"))
		if s.Note != "" {
			fmt.Fprintf(w, "\t%s", s.Note)
		}
		if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
	}
	return nil
}
