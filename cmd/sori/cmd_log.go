package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"sori/internal/archive"
)

var logCmd = &command{
	name:    "log",
	summary: "show the custody history of an item or of the archive",
	usage: `
Usage: sori log [--json] [--actor NAME] [ID]

Lists custody entries — who did what, when — oldest first: of item ID (full
ID or unique prefix), or of the whole archive; --actor NAME keeps only the
entries NAME signed (what NAME did). One line per entry:
  SEQ<TAB>TIME<TAB>ACTOR<TAB>KIND<TAB>OBJECT<TAB>VERSION<TAB>DIGEST
SEQ is the entry's index in the Merkle tree; KIND is init, intake, version,
record, export, grant (a user added or given a role; OBJECT is their key
ID), revoke (a user removed or a role taken), read (the original of an item
of a testimony was read: sori cat; OBJECT is the item), witness, vault-open
or withdraw; VERSION is the record version ("-" if none); DIGEST is
the record's SHA-256. Each entry's signature is checked as
it is listed. With --json, one object per line:
  {"seq","time","actor","actor_name","kind","object","version","digest","signature_ok"}

Examples:
  sori log
  sori log 3fa4c2
  sori log --actor lee
`,
	run: runLog,
}

func runLog(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var asJSON bool
	fs := newFlags("log")
	f.register(fs, e)
	var actor string
	fs.BoolVar(&asJSON, "json", false, "")
	fs.StringVar(&actor, "actor", "", "")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if actor != "" {
		if actor, err = archive.CheckUserName(actor); err != nil {
			return err
		}
	}
	if len(rest) > 1 {
		return usagef("give at most one item ID")
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	ref := ""
	if len(rest) == 1 {
		id, err := a.Resolve(ctx, rest[0])
		if err != nil {
			return err
		}
		ref = id.String()
	}
	enc := json.NewEncoder(e.stdout)
	bad := 0
	err = a.Log(ctx, ref, func(l archive.LogEntry) error {
		if actor != "" && l.ActorName != actor {
			return nil
		}
		if !l.SignatureOK {
			bad++
		}
		if asJSON {
			return enc.Encode(l)
		}
		ver := "-"
		if l.Version > 0 {
			ver = fmt.Sprint(l.Version)
		}
		sig := ""
		if !l.SignatureOK {
			sig = "\tBAD SIGNATURE"
		}
		_, err := fmt.Fprintf(e.stdout, "%d\t%s\t%s\t%s\t%s\t%s\t%s%s\n", l.Seq, l.Time.UTC().Format(time.RFC3339), l.ActorName, l.Kind, l.Object, ver, l.Digest, sig)
		return err
	})
	if err != nil {
		return err
	}
	if bad > 0 {
		fmt.Fprintf(e.stderr, "sori log: %d entries have signatures that do not verify; run sori verify\n", bad)
		return errSilent
	}
	return nil
}
