package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"strings"

	"sori/internal/custody"
	"sori/verify"
)

var verifyBundleCmd = &command{
	name:    "verify-bundle",
	summary: "check a court bundle offline and report every finding",
	usage: `
Usage: sori verify-bundle [--json] [--log-key K | --log-key-file F]
                          [--checkpoint F [--proof P]] [--tsa-cert C]
                          [--witness-key K]… DIR

Checks the court bundle in DIR (written by 'sori export', bundle format 2)
without any archive or passphrase: the BagIt manifests, SHA-256 and
SHA-512 (every file hashes right, none missing, none added), that the
bundle carries its specification (sori-bundle-spec.md) and sori's BagIt
profile, the checkpoint's signature, each custody entry's signature, its
salted leaf and its inclusion proof against the checkpoint, that the
entries match every record version and the item's SHA-256, that each
original is named with its extension and plaintext ones hash to it, and
the export's own entry. Originals encrypted to recipients are not
decrypted (a note says so).

Without sori, the bundle's own sori-bundle-spec.md gives every step; sori's
source has a standalone verifier written from it alone (Go standard
library only): go run ./verify/independent/cmd/sori-check-bundle DIR

Without --log-key the bundle is checked against its own data/log-key.txt,
which shows it is intact, not whose log it came from. Give the archive's
log key as you obtained it independently (e.g. 'sori checkpoint --key' run
by the archive, a published checkpoint) to check that too: the archive's
first key, or a later one that the handovers the bundle carries
(data/log-key-chain.txt, after a user's removal replaced the log key)
lead to. Each checkpoint must be signed by the key in force at its size.

With --checkpoint F (a checkpoint of the same log that you kept earlier,
as 'sori checkpoint' printed it), the bundle's checkpoint must be
consistent with it: the same, or the newer one extending the older. When
yours is older, the proof is the bundle's tag file sori-consistency-proof.txt
('sori export --since F'); when it is newer, or to use another proof, give
the output of 'sori checkpoint --since' with --proof P. A fork (same size,
another root), a missing or altered proof, or a checkpoint of another log
is a finding of kind consistency (or missing).

A bundle may carry an RFC 3161 time stamp of an earlier checkpoint of its
log ('sori checkpoint --tsa'): the tag files sori-timestamp-checkpoint.txt,
sori-timestamp.tsr and sori-timestamp-proof.txt. The stamped checkpoint's
signature, the token's imprint (SHA-256 of that checkpoint's note text) and
the consistency proof to the bundle's checkpoint are always checked; the
TSA's signature only with --tsa-cert C (PEM: the TSA's certificate or the
CA that issued it), otherwise a note says so. A failure is a finding of
kind timestamp. stderr then shows the genTime.

A bundle may carry a checkpoint of its log cosigned by witnesses ('sori
checkpoint --cosign'): the tag files sori-cosigned-checkpoint.txt (the
checkpoint with the witnesses' cosignature lines) and
sori-cosigned-proof.txt. The checkpoint's log signature and the
consistency proof to the bundle's checkpoint are always checked; a
witness's cosignature only with --witness-key K (its verifier key,
NAME+HASH+KEY, obtained from the witness; repeatable), otherwise a note
lists the names on the lines. A cosignature missing or failing for a key
given is a finding of kind cosignature (missing: no cosigned checkpoint).

Every finding is printed on its own line: KIND<TAB>OBJECT<TAB>DETAIL<TAB>HINT.
Kinds: bag, proof, checkpoint, consistency, timestamp, cosignature, entry,
signature, record, content, missing.
With --json, one report object:
{"mode":"bundle","items","versions","entries","bytes","tree_size","checkpoint",
 "consistency"?,"timestamp"?,"cosigned"?,"findings":[{"kind","object","detail","hint"}],"notes":[…]}
("consistency": "OLDSIZE OLDHASH ⊑ NEWSIZE NEWHASH" once checked;
"timestamp": "SIZE GENTIME verified|unverified";
"cosigned": "SIZE NAME,… verified|unverified").

  --log-key K       the log verifier key you trust (NAME+HASH+KEY)
  --log-key-file F  read it from the first line of F
  --checkpoint F    a checkpoint of this log you kept: check consistency
  --proof P         a consistency proof between it and the bundle's
  --tsa-cert C      the TSA certificate (PEM) to check a time stamp with
  --witness-key K   a witness's verifier key whose cosignature must be on
                    the bundle's cosigned checkpoint (repeatable)
  --json            JSON output

Exit status: 0 clean, 1 findings, 2 could not run.

Examples:
  sori verify-bundle /media/usb/bundle-2026-11
  sori verify-bundle --log-key-file published-log-key.txt bundle
  sori verify-bundle --json bundle
  sori verify-bundle --checkpoint kept-checkpoint.txt bundle
`,
	run: runVerifyBundle,
}

func runVerifyBundle(ctx context.Context, e *env, args []string) error {
	var key, keyFile, kept, proof, tsaCert string
	var asJSON bool
	fs := newFlags("verify-bundle")
	fs.StringVar(&key, "log-key", "", "")
	fs.StringVar(&keyFile, "log-key-file", "", "")
	fs.StringVar(&kept, "checkpoint", "", "")
	fs.StringVar(&proof, "proof", "", "")
	fs.StringVar(&tsaCert, "tsa-cert", "", "")
	fs.BoolVar(&asJSON, "json", false, "")
	var witnessKeys witnessKeyList
	fs.Var(&witnessKeys, "witness-key", repeatable)
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("give exactly one bundle directory")
	}
	if key != "" && keyFile != "" {
		return usagef("give --log-key or --log-key-file, not both")
	}
	if keyFile != "" {
		b, err := os.ReadFile(keyFile)
		if err != nil {
			return usagef("--log-key-file: %v", err)
		}
		line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
		key = strings.TrimSpace(line)
		if key == "" {
			return usagef("--log-key-file %s is empty", keyFile)
		}
	}
	opt := verify.BundleOptions{LogKey: key, WitnessKeys: witnessKeys}
	if proof != "" && kept == "" {
		return usagef("--proof needs --checkpoint")
	}
	if kept != "" {
		if opt.Checkpoint, err = os.ReadFile(kept); err != nil {
			return usagef("--checkpoint: %v", err)
		}
	}
	if proof != "" {
		if opt.Proof, err = os.ReadFile(proof); err != nil {
			return usagef("--proof: %v", err)
		}
	}
	if tsaCert != "" {
		b, err := os.ReadFile(tsaCert)
		if err != nil {
			return usagef("--tsa-cert: %v", err)
		}
		blk, _ := pem.Decode(b)
		if blk == nil || blk.Type != "CERTIFICATE" {
			return usagef("--tsa-cert %s is not a PEM certificate", tsaCert)
		}
		if opt.TSACert, err = x509.ParseCertificate(blk.Bytes); err != nil {
			return usagef("--tsa-cert %s: %v", tsaCert, err)
		}
	}
	report, err := verify.Bundle(rest[0], opt)
	if err != nil {
		return exitError{exitUsage, fmt.Errorf("could not run: %w", err)}
	}
	if asJSON {
		if report.Findings == nil {
			report.Findings = []verify.Finding{}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
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
		trust := "its own log key"
		if key != "" {
			trust = "the log key given"
		}
		if report.Timestamp != "" {
			fmt.Fprintf(e.stderr, "sori verify-bundle: time stamp: the log had %s\n", timestampText(report.Timestamp))
		}
		if report.Cosigned != "" {
			fmt.Fprintf(e.stderr, "sori verify-bundle: cosigned checkpoint: %s\n", cosignedText(report.Cosigned))
		}
		if report.Consistency != "" {
			fmt.Fprintf(e.stderr, "sori verify-bundle: consistent with the checkpoint kept (%s)\n", report.Consistency)
		}
		fmt.Fprintf(e.stderr, "sori verify-bundle: %s — %d items, %d versions, %d custody entries, %s re-hashed; checkpoint %s, against %s\n",
			verdict, report.Items, report.Versions, report.Entries, human(report.Bytes), report.Checkpoint, trust)
	}
	if !report.OK() {
		return errSilent
	}
	return nil
}

// timestampText words a report's "SIZE GENTIME verified|unverified".
func timestampText(s string) string {
	f := strings.Fields(s)
	if len(f) != 3 {
		return s
	}
	how := "TSA signature verified"
	if f[2] != "verified" {
		how = "TSA signature NOT checked: give --tsa-cert"
	}
	return fmt.Sprintf("%s entries by %s (%s)", f[0], f[1], how)
}

// cosignedText words a report's "SIZE NAMES verified|unverified".
func cosignedText(s string) string {
	f := strings.Fields(s)
	if len(f) != 3 {
		return s
	}
	if f[2] == "verified" {
		return fmt.Sprintf("the log had %s entries, cosigned by %s (verified with the witness key(s) given)", f[0], f[1])
	}
	return fmt.Sprintf("the log had %s entries, with lines under the name(s) %s (NOT checked: give --witness-key)", f[0], f[1])
}

// witnessKeyList is the repeatable --witness-key flag; each value must be
// a witness verifier key.
type witnessKeyList []string

func (w *witnessKeyList) String() string { return strings.Join(*w, ",") }

func (w *witnessKeyList) Set(s string) error {
	if _, err := custody.ParseWitnessKey(s); err != nil {
		return err
	}
	*w = append(*w, s)
	return nil
}
