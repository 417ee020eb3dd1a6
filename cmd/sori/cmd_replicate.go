package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	s3blob "sori/internal/blob/s3"
	"sori/internal/replica"
)

var replicateCmd = &command{
	name:    "replicate",
	summary: "bring an encrypted copy of the archive at a second site (directory or S3) up to date",
	usage: `
Usage: sori replicate --to DIR|s3://BUCKET/PREFIX?endpoint=HOST:PORT [--json]
       sori replicate --check --to DIR|s3://… [--json]
       sori replicate --fetch s3://… --to DIR

Copies the archive into DIR, or brings a copy made before up to date:
only packs DIR lacks travel; the metadata database is replaced by a
consistent snapshot (taken under the same key: nothing is decrypted, and
writers need not stop); key files and sori.json follow. The copy is a whole
archive: open and verify it where it is with a member's passphrase
('sori verify --archive DIR'). DIR's replica.json records the archive's ID
and the size and root hash of the custody log it holds (the cursor); the
source records nothing.

An s3:// target keeps the same copy in an S3 bucket (which must exist):
packs under PREFIX/blobs/, each run's snapshot, key files and sori.json
under PREFIX/state/ID/ (written once), and PREFIX/replica.json naming the
current state, replaced last by one conditional write. URL parameters:
endpoint=HOST[:PORT] (default s3.amazonaws.com), region=R, insecure=1
(plain HTTP, for a gateway on loopback). Credentials are never part of the
URL: they come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and
AWS_SESSION_TOKEN), else from the shared credentials file
(AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, profile AWS_PROFILE).

A run refuses, changing nothing, when the archive's log does not extend
the copy's (the archive was rolled back, replaced or forked since: a good
replica is never overwritten by it) or when the copy's log holds entries
the archive lacks (someone wrote to the copy). Killed at any instant, the
copy is left at its previous state or the new one; run again to finish.

Needs a role that may verify (every role). DIR must be new, empty, or a
replica of this archive; it is locked while the copy is written. An S3
prefix must be new, or a replica of this archive; two runs writing one S3
replica at once are detected and the later fails (run it again).

--check verifies the replica at --to on its own, as 'sori verify' does,
with --user and the passphrase (SORI_PASSPHRASE or --passphrase-file); it
needs no --archive. An S3 replica is first fetched (all ciphertext) into a
private temporary directory (under TMPDIR), removed afterwards. Output and
exit status are those of 'sori verify', but for one check: a replica lags
its source between runs, so it is not compared with the newest checkpoint
this machine has seen of the archive (the next run checks that the source
extends it).

--fetch s3://… --to DIR copies an S3 replica into DIR (new or empty) as a
directory replica: no passphrase is needed and nothing is decrypted. Then
'sori verify --archive DIR' checks it, 'sori replicate --to DIR' from the
source keeps it up to date, and it opens as an archive. Output: one line,
"fetched ARCHIVE-ID at N entries to DIR".

Output: one line, "replicated ARCHIVE-ID to DIR: log N -> M entries, P packs
(B bytes), K key files" or "... up to date at M entries, P packs ...". With --json:
{"archive","to","from","size","root","up_to_date","packs","pack_bytes","key_files"}.

Exit status: 0 done, 1 failure (refused as tampered, damaged, busy; --check:
findings), 2 usage or a target that is not a replica of this archive,
3 locked/forbidden.

Examples:
  sori replicate --to /mnt/site-b/testimony
  sori replicate --to /mnt/site-b/testimony --json
  sori verify --archive /mnt/site-b/testimony
  AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… \
    sori replicate --to 's3://ngo-backup/testimony?endpoint=s3.example.org'
  sori replicate --check --to 's3://ngo-backup/testimony?endpoint=s3.example.org'
  sori replicate --fetch 's3://ngo-backup/testimony?endpoint=s3.example.org' --to /srv/restored
`,
	run: runReplicate,
}

func runReplicate(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var to, fetch string
	var asJSON, check bool
	fs := newFlags("replicate")
	f.register(fs, e)
	fs.StringVar(&to, "to", "", "")
	fs.StringVar(&fetch, "fetch", "", "")
	fs.BoolVar(&asJSON, "json", false, "")
	fs.BoolVar(&check, "check", false, "")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	if to == "" {
		return usagef("--to DIR or --to s3://BUCKET/PREFIX?endpoint=HOST:PORT is required")
	}
	switch {
	case check && fetch != "":
		return usagef("--check and --fetch do not go together")
	case check:
		return checkReplica(ctx, e, f, to, asJSON)
	case fetch != "":
		return fetchReplica(ctx, e, fetch, to, asJSON)
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	opt := replica.Options{LockWait: testLockWait(e), Progress: progressTo(e)}
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

// progressTo reports replication steps on a terminal's standard error.
func progressTo(e *env) func(string, ...any) {
	if !e.stderrTTY {
		return nil
	}
	return func(format string, args ...any) { fmt.Fprintf(e.stderr, "sori replicate: "+format+"\n", args...) }
}

// checkReplica verifies the replica at to with 'sori verify': in place for
// a directory, from a private temporary copy for S3. The newest checkpoint
// this machine has seen of the archive is not the replica's measure (a
// replica lags its source between runs): verify runs with a state
// directory of its own, so it checks the replica against itself; the next
// 'sori replicate' checks that the source extends it.
func checkReplica(ctx context.Context, e *env, f archiveFlags, to string, asJSON bool) error {
	tmp, err := os.MkdirTemp("", "sori-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	dir := to
	if s3blob.IsURL(to) {
		dir = filepath.Join(tmp, "replica")
		if _, err := replica.Fetch(ctx, to, dir, progressTo(e)); err != nil {
			return err
		}
	}
	own, getenv := *e, e.getenv
	state := filepath.Join(tmp, "state")
	own.getenv = func(k string) string {
		if k == "SORI_STATE_DIR" {
			return state
		}
		return getenv(k)
	}
	e = &own
	args := []string{"--archive", dir}
	if f.user != "" {
		args = append(args, "--user", f.user)
	}
	if f.passphraseFile != "" {
		args = append(args, "--passphrase-file", f.passphraseFile)
	}
	if asJSON {
		args = append(args, "--json")
	}
	return runVerify(ctx, e, args)
}

// fetchReplica copies the S3 replica from into the directory to.
func fetchReplica(ctx context.Context, e *env, from, to string, asJSON bool) error {
	if !s3blob.IsURL(from) {
		return usagef("--fetch takes an s3:// URL (a directory replica is copied with cp -a or rsync)")
	}
	if s3blob.IsURL(to) {
		return usagef("--fetch copies into a directory: --to DIR")
	}
	c, err := replica.Fetch(ctx, from, to, progressTo(e))
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(struct {
			Archive string `json:"archive"`
			To      string `json:"to"`
			Size    int64  `json:"size"`
			Root    string `json:"root"`
		}{c.Archive, to, c.Size, c.Root})
	}
	_, err = fmt.Fprintf(e.stdout, "fetched %s at %d entries to %s\n", c.Archive, c.Size, to)
	return err
}
