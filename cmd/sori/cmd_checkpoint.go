package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"time"

	"sori/internal/archive"
	"sori/internal/bundle"
	"sori/internal/custody"
	"sori/internal/tsa"
)

var checkpointCmd = &command{
	name:    "checkpoint",
	summary: "print the archive's latest signed checkpoint",
	usage: `
Usage: sori checkpoint [--out F] [--witness-file F] [--since F] [--tsa URL]
                       [--cosign] [--key]

Prints the newest checkpoint of the archive's custody log: a C2SP
tlog-checkpoint (origin line "sori.archive/<archive-id>", tree size, root
hash) signed by the archive's log key, as a signed note. Anyone holding a
checkpoint can later prove that the archive still contains everything it
covered: keep copies somewhere the archive's custodians do not control.

  --out F           write the output to F instead of stdout
  --witness-file F  append the checkpoint to F (a "# sori checkpoint" line,
                    then the note); 'sori verify --witness-file F' checks the
                    archive against every checkpoint in it
  --since F         F is a checkpoint kept earlier (as this command printed
                    it, optionally followed by a proof); print the newest
                    checkpoint followed by a consistency proof from F's tree
                    size to the newest (docs/format.md "Consistency proof":
                    "sori-consistency-proof/v1", "consistency OLD NEW", then
                    one base64 hash a line). Anyone holding both checkpoints
                    checks with it that the log was only appended to. A
                    checkpoint of another archive or log key, or one the log
                    does not extend (larger than the log, or the same size
                    with another root: a fork), is refused (exit 1)
  --tsa URL         have the checkpoint time-stamped by the RFC 3161
                    time-stamping authority at URL (HTTP POST of a
                    TimeStampReq for SHA-256 of the checkpoint's note text,
                    application/timestamp-query). The token is checked to
                    stamp the checkpoint and kept inside the archive; later
                    exports carry the newest one. stderr shows its genTime.
                    Nothing else of the archive is sent
  --cosign          ask every witness configured with 'sori witness-log add'
                    to cosign the checkpoint (C2SP tlog-witness: POST
                    URL/add-checkpoint with a consistency proof from the
                    size the witness last cosigned); print the checkpoint
                    with the cosignature lines of those that did, each
                    verified and kept (later exports carry the newest
                    cosigned checkpoint). A witness that cannot be reached or refuses is
                    reported on stderr; if none cosigns, exit 1. A witness
                    that has cosigned a larger tree, or another history of
                    this log, is a fork or rollback: exit 1
  --key             print the log's public verifier key in force instead
                    (a user's removal hands the log over to a new key;
                    checkpoints of earlier sizes stay under earlier keys)

Examples:
  sori checkpoint
  sori checkpoint --witness-file /media/usb/sori-witness.txt
  sori checkpoint --since /media/usb/checkpoint-2026-11.txt > now-and-proof.txt
  sori checkpoint --tsa https://freetsa.org/tsr
  sori checkpoint --key > log-key.txt
`,
	run: runCheckpoint,
}

func runCheckpoint(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var out, witness, since, tsaURL string
	var key, cosignFlag bool
	fs := newFlags("checkpoint")
	f.register(fs, e)
	fs.StringVar(&out, "out", "", "")
	fs.StringVar(&witness, "witness-file", "", "")
	fs.StringVar(&since, "since", "", "")
	fs.StringVar(&tsaURL, "tsa", "", "")
	fs.BoolVar(&cosignFlag, "cosign", false, "")
	fs.BoolVar(&key, "key", false, "")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	if key && (since != "" || witness != "" || tsaURL != "" || cosignFlag) {
		return usagef("--key prints the key only; it takes no --since, --tsa, --cosign or --witness-file")
	}
	if tsaURL != "" {
		if u, err := url.Parse(tsaURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("--tsa: %q is not an http or https URL", tsaURL)
		}
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
	if tsaURL != "" {
		if err := stampCheckpoint(ctx, e, a, cp, tsaURL); err != nil {
			return err
		}
	}
	text := bytes.Clone(cp.Note)
	if cosignFlag {
		if text, err = cosign(ctx, e, a, cp); err != nil {
			return err
		}
	}
	if since != "" {
		old, err := keptCheckpoint(since, a)
		if err != nil {
			return err
		}
		p, err := proveSince(ctx, a, old, cp)
		if err != nil {
			return err
		}
		text = append(text, p.Marshal()...)
		fmt.Fprintf(e.stderr, "sori checkpoint: the log of %d entries extends the checkpoint of %d entries in %s\n", cp.Size, old.Size, since)
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
		return os.WriteFile(out, text, 0o644)
	case witness == "" || since != "":
		_, err = e.stdout.Write(text)
		return err
	}
	return nil
}

// errForeignCheckpoint marks a kept checkpoint that is not of this archive.
var errForeignCheckpoint = errors.New("not a checkpoint of this archive")

// keptCheckpoint reads a checkpoint kept earlier from path (a signed note,
// possibly followed by a consistency proof, as 'sori checkpoint --since'
// prints them) and verifies it against the archive's origin and log key.
func keptCheckpoint(path string, a *archive.Archive) (custody.Checkpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return custody.Checkpoint{}, usagef("--since: %v", err)
	}
	note, _, err := custody.SplitNote(b)
	if err != nil {
		return custody.Checkpoint{}, fmt.Errorf("%s: %w: %v", path, errForeignCheckpoint, err)
	}
	cp, err := a.OpenCheckpoint(note) // under the log key in force at its size
	if err != nil {
		// Not evidence.ErrTampered: the archive is not in question, the file is.
		return custody.Checkpoint{}, fmt.Errorf("%s: %w (origin %s, log key in force at its size): %v", path, errForeignCheckpoint, a.Origin(), err)
	}
	return cp, nil
}

// proveSince proves that cp, the archive's checkpoint, extends old, and
// checks the proof before it is handed out. A log that does not extend old
// fails with evidence.ErrTampered.
func proveSince(ctx context.Context, a *archive.Archive, old, cp custody.Checkpoint) (custody.ConsistencyProof, error) {
	return bundle.ProveSince(ctx, a, old, cp)
}

// stampCheckpoint has cp time-stamped by the TSA at tsaURL and keeps the
// token in the archive.
func stampCheckpoint(ctx context.Context, e *env, a *archive.Archive, cp custody.Checkpoint, tsaURL string) error {
	d, err := archive.CheckpointDigest(cp.Note)
	if err != nil {
		return err
	}
	token, _, err := tsa.Stamp(ctx, &http.Client{Timeout: time.Minute}, tsaURL, d)
	if err != nil {
		return err
	}
	info, err := a.AddTimestamp(ctx, cp, tsaURL, token)
	if err != nil {
		return err
	}
	acc := ""
	if info.Accuracy > 0 {
		acc = fmt.Sprintf(" ±%s", info.Accuracy)
	}
	fmt.Fprintf(e.stderr, "sori checkpoint: time-stamped the checkpoint of %d entries: genTime %s%s, serial %s\n",
		cp.Size, info.GenTime.Format(time.RFC3339Nano), acc, info.Serial)
	return nil
}
