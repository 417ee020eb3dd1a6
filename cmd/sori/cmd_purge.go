package main

import (
	"context"
	"encoding/json"
	"fmt"
)

var purgeCmd = &command{
	name:    "purge",
	summary: "destroy an old version's text for good (admin holding protection)",
	usage: `
Usage: sori purge ID --version N --reason R [--json]

When a version of a record, or of an item's record, holds what must not be
kept — a witness's real name typed into a description — correct it first
(a new version: 'sori event edit', 'sori edit' …), then purge the old
version: its body is overwritten in the database and the write-ahead log
emptied, so that no key recovers it. Its digest stays, and with it the
custody leaf that commits to it (a salted commitment that reveals nothing)
and the chain of the versions after it. A signed "purge" custody entry is
its tombstone: 'sori verify' accepts a purged version with that entry and
reports one without it. 'show' lists the version as purged.

A court bundle carries a purged version (of an item's record, or of a
consent or testimony record) by its digest and purge entry, never its
body. The current version cannot be purged. The reason must not quote what is
purged. It takes a user who holds both the admin and the protection role.

Prints KIND<TAB>ID<TAB>VERSION (--json: {"kind","id","version","reason"}).

Flags:
  --version N   the version to purge (required)
  --reason R    why (required; one line)
  --json        JSON output
  plus --archive, --user, --passphrase-file (see 'sori help')

Exit status: 0 ok, 1 failure, 2 invalid input (nothing changed), 3 locked or
not allowed.

Example:
  sori event edit 41f0aa --description "The witness's neighbour was taken."
  sori purge 41f0aa --version 1 --reason "a real name was typed into the description"
`,
	run: runPurge,
}

func runPurge(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var version int
	var reason string
	var asJSON bool
	fs := newFlags("purge")
	f.register(fs, e)
	fs.IntVar(&version, "version", 0, "")
	fs.StringVar(&reason, "reason", "", "")
	fs.BoolVar(&asJSON, "json", false, "")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("give exactly one ID")
	}
	if version < 1 {
		return usagef("give the version to purge: --version N")
	}
	if reason == "" {
		return usagef("give the reason: --reason R")
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	p, err := a.Purge(ctx, rest[0], version, reason)
	if err != nil && p.Kind == "" {
		return err
	}
	if asJSON {
		if jerr := json.NewEncoder(e.stdout).Encode(p); jerr != nil {
			return jerr
		}
	} else {
		fmt.Fprintf(e.stdout, "%s\t%s\t%d\n", p.Kind, p.ID, p.Version)
	}
	return err
}
