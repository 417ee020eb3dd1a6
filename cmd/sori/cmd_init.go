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

Creates an archive in DIR (default $SORI_ARCHIVE), which must not exist or be
empty. NAME (default $SORI_USER) becomes its first user, an admin. The new
user's passphrase comes from --passphrase-file, else $SORI_PASSPHRASE, else a
no-echo prompt (asked twice). It protects the user's key with scrypt; it
cannot be recovered if lost.

Examples:
  sori init --archive ~/testimony --user kim
  SORI_PASSPHRASE=... sori init --archive /srv/sori --user admin
`,
	run: runInit,
}

func runInit(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	fs := newFlags("init")
	f.register(fs, e)
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
	wf, err := testWorkFactor(e)
	if err != nil {
		return err
	}
	p, err := f.passphrase(e, fmt.Sprintf("New passphrase for %s: ", f.user), true)
	if err != nil {
		return err
	}
	a, err := archive.Init(ctx, f.dir, f.user, p, archive.Options{WorkFactor: wf, Logger: e.log, StateDir: stateDir(e)})
	if err != nil {
		return err
	}
	defer a.Close()
	fmt.Fprintf(e.stdout, "created archive %s at %s; %s is its admin\n", a.ID(), f.dir, a.User().Name)
	return nil
}
