package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"sori/internal/replica"
)

var replicateCmd = &command{
	name:    "replicate",
	summary: "bring an encrypted copy of the archive at a second site up to date",
	usage: `
Usage: sori replicate --to DIR [--json]

Copies the archive into DIR, or brings a copy made before up to date:
only packs DIR lacks travel; the metadata database is replaced by a
consistent snapshot (taken under the same key: nothing is decrypted, and
writers need not stop); key files and sori.json follow. The copy is a whole
archive: open and verify it where it is with a member's passphrase
('sori verify --archive DIR'). DIR's replica.json records the archive's ID
and the size and root hash of the custody log it holds (the cursor); the
source records nothing.

A run refuses, changing nothing, when the archive's log does not extend
the copy's (the archive was rolled back, replaced or forked since: a good
replica is never overwritten by it) or when the copy's log holds entries
the archive lacks (someone wrote to the copy). Killed at any instant, the
copy is left at its previous state or the new one; run again to finish.

Needs a role that may verify (every role). DIR must be new, empty, or a
replica of this archive; it is locked while the copy is written. s3://
targets are not supported yet.

Output: one line, "replicated ARCHIVE-ID to DIR: log N -> M entries, P packs
(B bytes), K key files" or "... up to date at M entries, P packs ...". With --json:
{"archive","to","from","size","root","up_to_date","packs","pack_bytes","key_files"}.

Exit status: 0 done, 1 failure (refused as tampered, damaged, busy),
2 usage or a DIR that is not a replica of this archive, 3 locked/forbidden.

Examples:
  sori replicate --to /mnt/site-b/testimony
  sori replicate --to /mnt/site-b/testimony --json
  sori verify --archive /mnt/site-b/testimony
`,
	run: runReplicate,
}

func runReplicate(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var to string
	var asJSON bool
	fs := newFlags("replicate")
	f.register(fs, e)
	fs.StringVar(&to, "to", "", "")
	fs.BoolVar(&asJSON, "json", false, "")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	if to == "" {
		return usagef("--to DIR is required")
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	opt := replica.Options{LockWait: testLockWait(e)}
	if e.stderrTTY {
		opt.Progress = func(format string, args ...any) { fmt.Fprintf(e.stderr, "sori replicate: "+format+"\n", args...) }
	}
	res, err := replica.Run(ctx, a, to, opt)
	if err != nil {
		return err
	}
	root := ""
	if res.To > 0 {
		root = base64.StdEncoding.EncodeToString(res.Root[:])
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(struct {
			Archive   string `json:"archive"`
			To        string `json:"to"`
			From      int64  `json:"from"`
			Size      int64  `json:"size"`
			Root      string `json:"root"`
			UpToDate  bool   `json:"up_to_date"`
			Packs     int    `json:"packs"`
			PackBytes int64  `json:"pack_bytes"`
			KeyFiles  int    `json:"key_files"`
		}{res.Archive, to, res.From, res.To, root, res.UpToDate, res.Packs, res.PackBytes, res.KeyFiles})
	}
	if res.UpToDate {
		_, err = fmt.Fprintf(e.stdout, "replicated %s to %s: up to date at %d entries, %d packs (%d bytes), %d key files\n",
			res.Archive, to, res.To, res.Packs, res.PackBytes, res.KeyFiles)
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "replicated %s to %s: log %d -> %d entries, %d packs (%d bytes), %d key files\n",
		res.Archive, to, res.From, res.To, res.Packs, res.PackBytes, res.KeyFiles)
	return err
}
