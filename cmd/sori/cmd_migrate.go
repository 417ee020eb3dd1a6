package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/verify"
)

var migrateCmd = &command{
	name:    "migrate",
	summary: "copy an archive to other backends (PostgreSQL + S3, or embedded) and switch to them",
	usage: `
Usage: sori migrate [--archive DIR] [--user NAME] [--passphrase-file F]
                    (--to-db postgres://HOST/DB --to-blobs s3://BUCKET[/PREFIX]?endpoint=HOST:PORT
                     | --to-embedded)
                    [--to NEWDIR] [--json]

Copies the archive in DIR to other backends: an embedded archive's metadata
and packs to PostgreSQL and an S3 bucket (--to-db and --to-blobs, as for
sori init), or a shared archive's back into the directory (--to-embedded:
DIR/meta.db and DIR/blobs/). Every row is copied (items and their own keys,
record versions, records, custody entries, checkpoints, settings, users, the
identity vault as ciphertext, time stamps, cosignatures, log witnesses) and
every pack byte for byte; the search index is rebuilt on the copy. Then the copy is checked
— the same custody tree (size and root hash) as the source's checkpoint,
every item row the same as the source's, and a full sori verify (every item
read back through the new blob store against its SHA-256) — and only then is DIR/sori.json rewritten (atomically) to
name the copy. With --to, DIR is left as it is and NEWDIR (new or empty)
becomes an archive of its own naming the copy, with DIR's key files.

The source is only read: after an error or a crash it still opens and
verifies, and sori.json names it until the last step. Running the command
again starts over: an unfinished embedded copy (DIR/migrating/) or an
unfinished copy in the target database is discarded, packs already in the
bucket are compared instead of copied. A finished copy or another archive
in the target database is never touched. The archive lock is held
throughout; stop sori serve and other users of a shared source first.

The URLs must not hold credentials (PGPASSWORD or ~/.pgpass; the AWS
environment variables or ~/.aws/credentials). An admin's command.

Prints what was copied:
  migrated N items, V versions, R records, E custody entries, P packs (B bytes); root HASH
  archive DIR now uses BACKENDS
(--json: an object with those fields).

Examples:
  sori migrate --archive ~/testimony \
    --to-db "postgres://sori@db.internal/sori?sslmode=verify-full" \
    --to-blobs "s3://sori-packs/archive1?endpoint=s3.internal:9000"
  sori migrate --archive /srv/sori --to-embedded --to ~/sori-copy
`,
	run: runMigrate,
}

func runMigrate(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var opt archive.MigrateOptions
	var embedded, asJSON bool
	fs := newFlags("migrate")
	f.register(fs, e)
	fs.StringVar(&opt.DB, "to-db", "", "")
	fs.StringVar(&opt.Blobs, "to-blobs", "", "")
	fs.BoolVar(&embedded, "to-embedded", false, "")
	fs.StringVar(&opt.To, "to", "", "")
	fs.BoolVar(&asJSON, "json", false, "")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	switch {
	case embedded && (opt.DB != "" || opt.Blobs != ""):
		return usagef("give --to-embedded, or --to-db and --to-blobs, not both")
	case !embedded && (opt.DB == "" || opt.Blobs == ""):
		return usagef("name the target: --to-db URL and --to-blobs URL (PostgreSQL and S3), or --to-embedded")
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	opt.Check = func(ctx context.Context, t *archive.Archive) error {
		report, err := verify.Archive(ctx, t, verify.Options{})
		if err != nil {
			return err
		}
		if len(report.Findings) > 0 {
			return fmt.Errorf("%w: %d findings, first: %s", evidence.ErrTampered, len(report.Findings), report.Findings[0])
		}
		return nil
	}
	if e.stderrTTY {
		opt.Progress = func(stage string) { fmt.Fprintf(e.stderr, "migrate: %s\n", stage) }
	}
	res, err := a.Migrate(ctx, opt)
	if err != nil {
		if errors.Is(err, evidence.ErrInvalid) || errors.Is(err, evidence.ErrExists) {
			return err
		}
		return fmt.Errorf("%w (the archive still uses its present backends, unchanged; run sori migrate again to start over: the unfinished copy is discarded then)", err)
	}
	backends := "its embedded database and packs"
	if !embedded {
		backends = opt.DB + " and " + opt.Blobs
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"dir": res.Dir, "items": res.Items, "versions": res.Versions,
			"records": res.Records, "entries": res.Custody, "packs": res.Packs, "pack_bytes": res.PackBytes, "root": res.Root})
	}
	fmt.Fprintf(e.stdout, "migrated %d items, %d versions, %d records, %d custody entries, %d packs (%d bytes); root %s\n",
		res.Items, res.Versions, res.Records, res.Custody, res.Packs, res.PackBytes, res.Root)
	_, err = fmt.Fprintf(e.stdout, "archive %s now uses %s\n", res.Dir, backends)
	return err
}
