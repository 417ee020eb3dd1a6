package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"sori/internal/archive"
	"sori/internal/model"
)

var approveCmd = &command{
	name:    "approve",
	summary: "approve or deny another user's export or publication (four eyes)",
	usage: `
Usage: sori approve REQ [--deny] [--note N] [--json]
       sori approve show REQ [--json]
       sori approve ls [--state pending|approved|denied|done] [--json]

When the archive needs a second user's approval for exports or
publications ('sori settings four-eyes …'), 'sori export' and 'sori
publish' record a request and exit 4 with its ID. Another user approves it
(or denies it, --deny); then the requester runs the same command again
with --request REQ, which runs it once.

Who may approve: a user, other than the requester, whose role may perform
the action (export, publish: admins, protection officers, investigators).
An attempt by anyone else — the requester, an analyst, a reader — is
refused (exit 3) and recorded: the request gets a "refused" version, a
signed custody entry naming who tried. Every step (pending, approved,
denied, refused, done) is a version of the request record with its
custody entry.

'approve' prints REQ<TAB>STATE; 'show' the request, what it asks for and
its history; 'ls' REQ<TAB>ACTION<TAB>STATE<TAB>REQUESTED-BY (default: every
request).

Flags:
  --deny        deny the request: it can never run
  --note N      why (kept with the decision)
  --state S     ls: only requests in state S
  --json        JSON output: {"id","action","state","items","recipients",
                "formats","requested_by","history":[…]} (ls: an array)
  plus --archive, --user, --passphrase-file (see 'sori help')

Exit status: 0 ok, 1 failure, 2 invalid input (the request is not pending),
3 locked or not allowed (the attempt is recorded).

Examples:
  sori --user lee approve ls --state pending
  sori --user lee approve 5d0e91 --note "checked the item list with the prosecutor"
  sori --user lee approve 5d0e91 --deny --note "consent is being reviewed"
`,
	run: runApprove,
}

func runApprove(ctx context.Context, e *env, args []string) error {
	sub := ""
	if len(args) > 0 {
		switch args[0] {
		case "-h", "-help", "--help":
			return flag.ErrHelp
		case "ls", "show":
			sub, args = args[0], args[1:]
		}
	}
	var f archiveFlags
	var note, state string
	var deny, asJSON bool
	fs := newFlags("approve")
	f.register(fs, e)
	fs.StringVar(&note, "note", "", "")
	fs.StringVar(&state, "state", "", "")
	fs.BoolVar(&deny, "deny", false, "")
	fs.BoolVar(&asJSON, "json", false, "")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case sub == "ls" && len(rest) > 0:
		return usagef("ls takes no arguments")
	case sub != "ls" && len(rest) != 1:
		return usagef("give exactly one request ID")
	case sub != "ls" && state != "":
		return usagef("--state is for ls")
	case sub != "" && (deny || note != ""):
		return usagef("--deny and --note are for approving")
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	switch sub {
	case "ls":
		list, err := a.Approvals(ctx, state)
		if err != nil {
			return err
		}
		if asJSON {
			return json.NewEncoder(e.stdout).Encode(list)
		}
		for _, r := range list {
			if _, err := fmt.Fprintf(e.stdout, "%s\t%s\t%s\t%s\n", r.ID, r.Action, r.State, r.RequestedBy); err != nil {
				return err
			}
		}
		return nil
	case "show":
		r, err := a.ApprovalOf(ctx, rest[0])
		if err != nil {
			return err
		}
		if asJSON {
			return json.NewEncoder(e.stdout).Encode(r)
		}
		return printApproval(e.stdout, r)
	}
	r, err := a.Approve(ctx, rest[0], deny, note)
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(r)
	}
	_, err = fmt.Fprintf(e.stdout, "%s\t%s\n", r.ID, r.State)
	return err
}

func printApproval(w io.Writer, r archive.ApprovalInfo) error {
	fmt.Fprintf(w, "request\t%s\naction\t%s\nstate\t%s\nrequested by\t%s\n", r.ID, r.Action, r.State, r.RequestedBy)
	for _, id := range r.Items {
		fmt.Fprintf(w, "item\t%s\n", id)
	}
	for _, rc := range r.Recipients {
		fmt.Fprintf(w, "recipient\t%s\n", rc)
	}
	if len(r.Formats) > 0 {
		fmt.Fprintf(w, "formats\t%s\n", strings.Join(r.Formats, ","))
	}
	for _, h := range r.History {
		fmt.Fprintf(w, "version %d\t%s\t%s\t%s", h.Version, h.State, h.ActorName, h.Time.UTC().Format("2006-01-02 15:04:05Z"))
		if h.Note != "" {
			fmt.Fprintf(w, "\t%s", h.Note)
		}
		if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
	}
	return nil
}

// pendingRequest prints, for an action four eyes held back, the request's
// ID on stdout (for scripts) before the error reports how to go on.
func pendingRequest(e *env, err error) error {
	var need *archive.ApprovalNeeded
	if errors.As(err, &need) {
		fmt.Fprintf(e.stdout, "pending\t%s\n", need.ID)
	}
	return err
}

var settingsCmd = &command{
	name:    "settings",
	summary: "show or change archive settings (four eyes)",
	usage: `
Usage: sori settings [--json]
       sori settings four-eyes none|export|publish|export,publish

Archive-wide settings. Each change is a new version of a signed setting
record with its custody entry (admins only).

  four-eyes   which actions need a second user's approval before they run:
              none (the default), export, publish, or both. Under it
              'sori export' and 'sori publish' record a request and exit
              4; see 'sori help approve'.

'settings' prints NAME<TAB>VALUE (--json: {"four-eyes":[…]}).

Exit status: 0 ok, 1 failure, 2 invalid input, 3 locked or not allowed
(only admins change settings).

Examples:
  sori settings four-eyes export,publish
  sori settings
`,
	run: runSettings,
}

func runSettings(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var asJSON bool
	fs := newFlags("settings")
	f.register(fs, e)
	fs.BoolVar(&asJSON, "json", false, "")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	var set []string
	switch {
	case len(rest) == 0:
	case len(rest) == 2 && rest[0] == model.SettingFourEyes:
		if asJSON {
			return usagef("--json is for showing the settings")
		}
		if rest[1] != "none" {
			set = strings.Split(rest[1], ",")
		}
		for _, s := range set {
			if s != model.ActionExport && s != model.ActionPublish {
				return usagef("four-eyes: want none, export, publish or export,publish")
			}
		}
		if set == nil {
			set = []string{}
		}
	default:
		return usagef("give no arguments to show the settings, or: four-eyes none|export|publish|export,publish")
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	if set != nil {
		if err := a.SetFourEyes(ctx, set); err != nil {
			return err
		}
	}
	fe, err := a.FourEyes(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string][]string{model.SettingFourEyes: fe})
	}
	v := strings.Join(fe, ",")
	if v == "" {
		v = "none"
	}
	_, err = fmt.Fprintf(e.stdout, "%s\t%s\n", model.SettingFourEyes, v)
	return err
}
