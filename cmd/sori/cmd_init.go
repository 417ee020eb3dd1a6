package main

import (
	"context"
	"fmt"

	"sori/internal/archive"
)

var initCmd = &command{
	name:    "init",
	summary: "create a new encrypted archive",
	usage: `
Usage: sori init [--archive DIR] [--user NAME] [--passphrase-file F]
                 [--db postgres://HOST/DB --blobs s3://BUCKET[/PREFIX]?endpoint=HOST:PORT]

Creates an archive in DIR (default $SORI_ARCHIVE), which must not exist or be
empty. NAME (default $SORI_USER) becomes its first user, an admin. The new
user's passphrase comes from --passphrase-file, else $SORI_PASSPHRASE, else a
no-echo prompt (asked twice). It protects the user's key with scrypt; it
cannot be recovered if lost.

By default the archive keeps everything in DIR. With --db and --blobs (both
or neither) a team's archive keeps its metadata in PostgreSQL and its packs
in an S3 bucket, encrypted before they leave this machine; DIR then holds
the configuration and the key files, and every other command works as with
an embedded archive. The URLs are stored in DIR/sori.json: they must not hold
credentials, which come from PGPASSWORD or ~/.pgpass, and from
AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or ~/.aws/credentials (docs/deploy.md).

Examples:
  sori init --archive ~/testimony --user kim
  SORI_PASSPHRASE=... sori init --archive /srv/sori --user admin
  sori init --archive /srv/sori --user admin \
    --db "postgres://sori@db.internal/sori?sslmode=verify-full" \
    --blobs "s3://sori-packs/archive1?endpoint=s3.internal:9000"
`,
	run: runInit,
}

func runInit(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var db, blobs string
	fs := newFlags("init")
	f.register(fs, e)
	fs.StringVar(&db, "db", "", "")
	fs.StringVar(&blobs, "blobs", "", "")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	if err := f.needDir(); err != nil {
		return err
	}
	if f.user == "" {
		return usagef("name the first user with --user NAME (or SORI_USER)")
	}
	if (db == "") != (blobs == "") {
		return usagef("give both --db and --blobs, or neither (an embedded archive)")
	}
	wf, err := testWorkFactor(e)
	if err != nil {
		return err
	}
	p, err := f.passphrase(e, fmt.Sprintf("New passphrase for %s: ", f.user), true)
	if err != nil {
		return err
	}
	a, err := archive.Init(ctx, f.dir, f.user, p, archive.Options{WorkFactor: wf, Logger: e.log, StateDir: stateDir(e), DB: db, Blobs: blobs})
	if err != nil {
		return err
	}
	defer a.Close()
	fmt.Fprintf(e.stdout, "created archive %s at %s; %s is its admin\n", a.ID(), f.dir, a.User().Name)
	return nil
}
