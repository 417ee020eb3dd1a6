package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"sori/internal/archive"
	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/store"
)

var witnessLogCmd = &command{
	name:    "witness-log",
	summary: "configure the witnesses that cosign the archive's checkpoints",
	usage: `
Usage: sori witness-log add URL KEY
       sori witness-log ls

Witnesses (C2SP tlog-witness) are independent services that cosign a
checkpoint only if it extends every checkpoint of the log they cosigned
before: a log that forks or rolls back cannot get both histories cosigned.
'sori checkpoint --cosign' asks every configured witness; nothing but the
public checkpoint and consistency proofs is sent.

  add URL KEY   configure a witness: URL is its base URL (http or https;
                requests go to URL/add-checkpoint), KEY its Ed25519
                verifier key (NAME+HASH+BASE64, as the witness publishes
                it). The witness's operator must first add this log:
                its origin and key ('sori checkpoint --key'). Admins only
  ls            list them: KEY<TAB>URL<TAB>ADDED (RFC 3339)

  plus --archive, --user, --passphrase-file (see 'sori help')

Examples:
  sori witness-log add https://witness.example.org/ "witness.example.org+1f2e3d4c+BLHg…"
  sori witness-log ls
  sori checkpoint --cosign
`,
	run: runWitnessLog,
}

func runWitnessLog(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("give a subcommand: add or ls")
	}
	switch args[0] {
	case "-h", "-help", "--help":
		return flag.ErrHelp
	case "add", "ls":
	default:
		return usagef("unknown subcommand %q: want add or ls", args[0])
	}
	var f archiveFlags
	fs := newFlags("witness-log " + args[0])
	f.register(fs, e)
	rest, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if args[0] == "add" && len(rest) != 2 || args[0] == "ls" && len(rest) != 0 {
		return usagef("usage: sori witness-log add URL KEY | sori witness-log ls")
	}
	if args[0] == "add" {
		if _, err := custody.ParseWitnessKey(rest[1]); err != nil {
			return usagef("%v", err)
		}
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	if args[0] == "add" {
		w, err := a.AddLogWitness(ctx, rest[0], rest[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "sori witness-log: added witness %s at %s; its operator must add the log %s with key %s\n", custody.VerifierName(w.Key), w.URL, a.Origin(), a.LogKey())
		return nil
	}
	ws, err := a.LogWitnesses(ctx)
	if err != nil {
		return err
	}
	for _, w := range ws {
		fmt.Fprintf(e.stdout, "%s\t%s\t%s\n", w.Key, w.URL, w.AddedAt.Format(time.RFC3339))
	}
	return nil
}

// cosign asks every configured witness to cosign cp and returns the
// checkpoint note with their verified cosignature lines appended. A
// witness that cannot be reached or refuses is reported on stderr and left
// out; an answer that fails verification, or a witness that has cosigned
// a tree this log does not extend, is an error.
func cosign(ctx context.Context, e *env, a *archive.Archive, cp custody.Checkpoint) ([]byte, error) {
	ws, err := a.LogWitnesses(ctx)
	if err != nil {
		return nil, err
	}
	if len(ws) == 0 {
		return nil, fmt.Errorf("%w: no witness configured: add one with 'sori witness-log add URL KEY'", evidence.ErrNotFound)
	}
	out := bytes.Clone(cp.Note)
	client := &http.Client{Timeout: time.Minute}
	var failed []string
	for _, w := range ws {
		c, err := cosignOne(ctx, client, a, cp, w)
		if err != nil {
			if errors.Is(err, evidence.ErrTampered) {
				return nil, err
			}
			fmt.Fprintf(e.stderr, "sori checkpoint: witness %s: %v\n", custody.VerifierName(w.Key), err)
			failed = append(failed, custody.VerifierName(w.Key))
			continue
		}
		// Kept, so that exports carry the cosignature (bundle spec step 12).
		if err := a.AddCosignature(ctx, cp, w.Key, c); err != nil {
			return nil, err
		}
		out = append(out, c.Line...)
		fmt.Fprintf(e.stderr, "sori checkpoint: witness %s cosigned the checkpoint of %d entries at %s\n", custody.VerifierName(w.Key), cp.Size, c.Time.Format(time.RFC3339))
	}
	if len(failed) == len(ws) {
		return nil, fmt.Errorf("no witness cosigned the checkpoint (%s)", strings.Join(failed, ", "))
	}
	return out, nil
}

// cosignOne runs the add-checkpoint exchange with one witness: first from
// size 0; on 409 Conflict the witness names the size it knows, and the
// request is repeated with a consistency proof from there.
func cosignOne(ctx context.Context, client *http.Client, a *archive.Archive, cp custody.Checkpoint, w store.LogWitness) (custody.Cosignature, error) {
	key, err := custody.ParseWitnessKey(w.Key)
	if err != nil {
		return custody.Cosignature{}, err
	}
	endpoint, err := url.JoinPath(w.URL, "add-checkpoint")
	if err != nil {
		return custody.Cosignature{}, err
	}
	old := int64(0)
	for attempt := 0; attempt < 2; attempt++ {
		var req []byte
		if old == 0 {
			req = custody.AddCheckpointRequest(0, nil, cp.Note)
		} else {
			p, err := custody.ProveConsistency(old, cp.Size, a.Inspect().HashReader(ctx))
			if err != nil {
				return custody.Cosignature{}, err
			}
			req = custody.AddCheckpointRequest(old, p.Hashes, cp.Note)
		}
		hr, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(req))
		if err != nil {
			return custody.Cosignature{}, err
		}
		resp, err := client.Do(hr)
		if err != nil {
			return custody.Cosignature{}, err
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		if err != nil {
			return custody.Cosignature{}, err
		}
		switch resp.StatusCode {
		case http.StatusOK:
			return custody.CheckCosignature(cp.Note, body, key)
		case http.StatusConflict:
			n, err := strconv.ParseInt(strings.TrimSpace(string(body)), 10, 64)
			if err != nil || n < 0 {
				return custody.Cosignature{}, fmt.Errorf("answered 409 without a tree size")
			}
			if n > cp.Size {
				return custody.Cosignature{}, fmt.Errorf("%w: the witness has cosigned a tree of %d entries of this log, which has %d: the archive was rolled back or forked", evidence.ErrTampered, n, cp.Size)
			}
			old = n
		case http.StatusUnprocessableEntity:
			// The consistency proof from the tree the witness cosigned does
			// not hold: the witness has seen another history of this log.
			return custody.Cosignature{}, fmt.Errorf("%w: the witness refuses the consistency proof from the %d entries it cosigned before: it has seen another history of this log (a fork)", evidence.ErrTampered, old)
		default:
			return custody.Cosignature{}, fmt.Errorf("answered HTTP %d: %s", resp.StatusCode, oneLine(strings.TrimSpace(string(body[:min(len(body), 200)]))))
		}
	}
	return custody.Cosignature{}, fmt.Errorf("the witness's tree size keeps changing")
}
