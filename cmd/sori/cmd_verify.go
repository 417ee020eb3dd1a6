package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/verify"
)

var verifyCmd = &command{
	name:    "verify",
	summary: "check the archive's integrity and report every finding",
	usage: `
Usage: sori verify [--quick] [--json] [--witness-file F]

Full mode decrypts and re-hashes every item, recomputes every record
digest and custody leaf, rebuilds the Merkle tree and compares it hash by
hash with the stored one, checks every entry's signature and every stored
checkpoint, and compares the log with the checkpoint sori keeps outside the
archive and with the checkpoints in witness files (catching an older copy
swapped in). --quick checks the database structure and the checkpoints only.

Every finding is printed on its own line: KIND<TAB>OBJECT<TAB>DETAIL<TAB>HINT.
Kinds: unreadable, database, content, record, entry, signature, tree,
checkpoint, rollback, missing, user, approval. With --json, one report object:
{"mode","items","versions","entries","bytes","tree_size","checkpoint",
 "findings":[{"kind","object","detail","hint"}],"notes":[…]}.

  --witness-file F  a file written by 'sori checkpoint --witness-file'
                    (repeatable)

Exit status: 0 clean, 1 findings, 2 could not run, 3 locked.

Examples:
  sori verify
  sori verify --quick
  sori verify --json --witness-file /media/usb/sori-witness.txt
`,
	run: runVerify,
}

const witnessMarker = "# sori checkpoint"

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// verifyMemoryLimit is the soft limit of the Go heap during sori verify
// (runtime/debug.SetMemoryLimit).
const verifyMemoryLimit = 320 << 20

func runVerify(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var quick, asJSON bool
	var witnesses multiFlag
	fs := newFlags("verify")
	f.register(fs, e)
	fs.BoolVar(&quick, "quick", false, "")
	fs.BoolVar(&asJSON, "json", false, "")
	fs.Var(&witnesses, "witness-file", repeatable)
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	var witnessed [][]byte
	for _, w := range witnesses {
		b, err := os.ReadFile(w)
		if err != nil {
			return usagef("--witness-file: %v", err)
		}
		cps := parseWitnessFile(b)
		if len(cps) == 0 {
			return usagef("--witness-file %s holds no checkpoint", w)
		}
		witnessed = append(witnessed, cps...)
	}
	if err := f.needDir(); err != nil {
		return err
	}
	if !archive.IsArchive(f.dir) {
		return fmt.Errorf("%s is not a sori archive", f.dir)
	}
	p, err := f.passphrase(e, "Passphrase: ", false)
	if err != nil {
		return err
	}
	// Re-hashing allocates a chunk buffer per item and little else lives
	// long: fewer collections save ~5% of a full verify. But then the heap
	// grows to five times what is live (at a million items, 1.1 GB for
	// 220 MB live): a soft limit collects more often past 320 MiB, so a
	// large archive verifies in bounded memory and a small one as fast.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(verifyMemoryLimit))
	opt := archiveOptions(e)
	opt.NoPinCheck = true // verify reports a failed pin check as a finding
	opt.Scan = true       // it reads the database once: a small page cache
	a, err := archive.Open(ctx, f.dir, f.user, p, opt)
	var report *verify.Report
	switch {
	case err == nil:
		defer a.Close()
		report, err = verify.Archive(ctx, a, verify.Options{Quick: quick, Witnessed: witnessed})
		if err != nil {
			return exitError{exitUsage, fmt.Errorf("could not run: %w", err)}
		}
	case errors.Is(err, evidence.ErrDamaged) || errors.Is(err, evidence.ErrTampered):
		report = &verify.Report{Mode: "full", Findings: []verify.Finding{{Kind: verify.KindUnreadable, Object: f.dir, Detail: err.Error(),
			Hint: "the archive cannot be opened; keep a copy as it is"}}}
		if quick {
			report.Mode = "quick"
		}
	case errors.Is(err, evidence.ErrLocked):
		return err
	default:
		return exitError{exitUsage, fmt.Errorf("could not run: %w", err)}
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if report.Findings == nil {
			report.Findings = []verify.Finding{}
		}
		if err := enc.Encode(report); err != nil {
			return err
		}
	} else {
		for _, fd := range report.Findings {
			fmt.Fprintf(e.stdout, "%s\t%s\t%s\t%s\n", fd.Kind, fd.Object, oneLine(fd.Detail), fd.Hint)
		}
		for _, n := range report.Notes {
			fmt.Fprintf(e.stderr, "note: %s\n", n)
		}
		verdict := "OK"
		if !report.OK() {
			verdict = fmt.Sprintf("%d finding(s)", len(report.Findings))
		}
		fmt.Fprintf(e.stderr, "sori verify (%s): %s — %d items, %d versions, %d custody entries, %s re-hashed; checkpoint %s\n",
			report.Mode, verdict, report.Items, report.Versions, report.Entries, human(report.Bytes), report.Checkpoint)
	}
	if !report.OK() {
		return errSilent
	}
	return nil
}

// parseWitnessFile splits a witness file into its checkpoints.
func parseWitnessFile(b []byte) [][]byte {
	var out [][]byte
	for _, part := range strings.Split(string(b), witnessMarker) {
		_, note, ok := strings.Cut(part, "\n")
		if ok && strings.TrimSpace(note) != "" {
			out = append(out, []byte(note))
		}
	}
	return out
}
