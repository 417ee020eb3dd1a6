package main

import (
	"context"
	"fmt"
)

var passwdCmd = &command{
	name:    "passwd",
	summary: "change your passphrase",
	usage: `
Usage: sori passwd [--new-passphrase-file F]

Seals your key (--user, default the first admin) under a new passphrase. The
current one comes from --passphrase-file, $SORI_PASSPHRASE or a prompt, and
is checked first; the new one from --new-passphrase-file F (first line),
else $SORI_NEW_PASSPHRASE, else a no-echo prompt (asked twice). At least 8
characters. The key itself, and so your key ID, stay the same; the key file
is replaced atomically. A lost passphrase cannot be recovered: an admin can
remove the user and add them again under another name.

Exit status: 0 ok, 1 failure, 2 invalid input (nothing changed), 3 wrong
passphrase.

Examples:
  sori passwd --user lee
  SORI_PASSPHRASE=old SORI_NEW_PASSPHRASE=new sori passwd --user lee
`,
	run: runPasswd,
}

func runPasswd(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var passFile string
	fs := newFlags("passwd")
	f.register(fs, e)
	fs.StringVar(&passFile, "new-passphrase-file", "", "")
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
	wf, err := testWorkFactor(e)
	if err != nil {
		return err
	}
	old, err := f.passphrase(e, "Current passphrase: ", false)
	if err != nil {
		return err
	}
	opt := archiveOptions(e)
	opt.WorkFactor = wf
	a, err := f.openPass(ctx, opt, old)
	if err != nil {
		return err
	}
	defer a.Close()
	p, err := newPassphrase(e, passFile, a.User().Name)
	if err != nil {
		return err
	}
	if err := a.ChangePassphrase(ctx, old, p); err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "passphrase changed for %s\n", a.User().Name)
	return err
}
