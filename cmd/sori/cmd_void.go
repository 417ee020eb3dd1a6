package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"sori/internal/archive"
)

var voidCmd = &command{
	name:    "void",
	summary: "hide a record or item made by mistake (the audit trail stays)",
	usage: `
Usage: sori void ID --reason R [--json]
       sori void --lift VOID [--json]
       sori void ls [--json]

A record or an item made by mistake — a stray record, a wrong file — is
never deleted: 'void' adds a signed void record that hides it from ls,
search, export and publish. 'ls --all' and 'search --all' still show it,
'show' and 'log' show it and its history, and 'sori verify' checks it as
any other version. '--lift' undoes a void (a new version of the void).

To remove a version's text for good (a real name typed into a
description), correct it first (a new version) and then purge the old
version: see 'sori help purge'. A name sealed in the identity vault is
masked in every view of a user without protection anyway
(docs/protection.md).

'void' prints VOID<TAB>TARGET (--json: {"id","version","target","item","reason","lifted"});
'ls' prints VOID<TAB>TARGET<TAB>active|lifted<TAB>REASON.

Flags:
  --reason R    why it is voided (required; one line)
  --lift        lift the void VOID
  --json        JSON output
  plus --archive, --user, --passphrase-file (see 'sori help')

Exit status: 0 ok, 1 failure, 2 invalid input (nothing changed), 3 locked or
not allowed (admins, protection officers and investigators may void).

Examples:
  sori void 5d0e91 --reason "entered twice"
  sori ls --all
  sori void --lift 7c21aa
`,
	run: runVoid,
}

func runVoid(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "-h", "-help", "--help":
			return flag.ErrHelp
		case "ls":
			return runVoidLs(ctx, e, args[1:])
		}
	}
	var f archiveFlags
	var reason string
	var lift, asJSON bool
	fs := newFlags("void")
	f.register(fs, e)
	fs.StringVar(&reason, "reason", "", "")
	fs.BoolVar(&lift, "lift", false, "")
	fs.BoolVar(&asJSON, "json", false, "")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("give exactly one ID")
	}
	if lift && reason != "" {
		return usagef("--lift takes no --reason")
	}
	if !lift && reason == "" {
		return usagef("give the reason: --reason R")
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	var v archive.VoidInfo
	if lift {
		v, err = a.LiftVoid(ctx, rest[0])
	} else {
		v, err = a.Void(ctx, rest[0], reason)
	}
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(v)
	}
	_, err = fmt.Fprintf(e.stdout, "%s\t%s\n", v.ID, v.Target)
	return err
}

func runVoidLs(ctx context.Context, e *env, args []string) error {
	a, asJSON, err := openListing(ctx, e, "void ls", args)
	if err != nil {
		return err
	}
	defer a.Close()
	vs, err := a.Voids(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(vs)
	}
	return printVoids(e.stdout, vs)
}

func printVoids(w io.Writer, vs []archive.VoidInfo) error {
	for _, v := range vs {
		state := "active"
		if v.Lifted {
			state = "lifted"
		}
		if _, err := fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", v.ID, v.Target, state, v.Reason); err != nil {
			return err
		}
	}
	return nil
}
