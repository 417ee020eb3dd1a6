package main

import (
	"context"
	"fmt"
	"os"
	"time"
)

var checkpointCmd = &command{
	name:    "checkpoint",
	summary: "print the archive's latest signed checkpoint",
	usage: `
Usage: sori checkpoint [--out F] [--witness-file F] [--key]

Prints the newest checkpoint of the archive's custody log: a C2SP
tlog-checkpoint (origin line "sori.archive/<archive-id>", tree size, root
hash) signed by the archive's log key, as a signed note. Anyone holding a
checkpoint can later prove that the archive still contains everything it
covered: keep copies somewhere the archive's custodians do not control.

  --out F           write the checkpoint to F instead of stdout
  --witness-file F  append the checkpoint to F (a "# sori checkpoint" line,
                    then the note); 'sori verify --witness-file F' checks the
                    archive against every checkpoint in it
  --key             print the log's public verifier key instead

Examples:
  sori checkpoint
  sori checkpoint --witness-file /media/usb/sori-witness.txt
  sori checkpoint --key > log-key.txt
`,
	run: runCheckpoint,
}

func runCheckpoint(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var out, witness string
	var key bool
	fs := newFlags("checkpoint")
	f.register(fs, e)
	fs.StringVar(&out, "out", "", "")
	fs.StringVar(&witness, "witness-file", "", "")
	fs.BoolVar(&key, "key", false, "")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	if key {
		_, err := fmt.Fprintln(e.stdout, a.LogKey())
		return err
	}
	cp, err := a.Checkpoint(ctx)
	if err != nil {
		return err
	}
	if witness != "" {
		w, err := os.OpenFile(witness, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s %s\n%s", witnessMarker, time.Now().UTC().Format(time.RFC3339), cp.Note)
		if err := w.Sync(); err != nil {
			w.Close()
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "sori checkpoint: appended the checkpoint of %d entries to %s\n", cp.Size, witness)
	}
	switch {
	case out != "":
		return os.WriteFile(out, cp.Note, 0o644)
	case witness == "":
		_, err = e.stdout.Write(cp.Note)
		return err
	}
	return nil
}
