package main

import (
	"context"
)

var helpCmd = &command{
	name:    "help",
	summary: "show help for sori or one command",
	usage: `
Usage: sori help [COMMAND]

Examples:
  sori help
  sori help add
`,
	run: runHelp,
}

const overview = `sori (소리, "voice") — an encrypted, evidence-grade archive for survivor testimony.

Usage: sori COMMAND [flags] [args]

Commands:
`

const overviewTail = `
Flags shared by commands that open an archive:
  --archive DIR          the archive (default $SORI_ARCHIVE)
  --user NAME            act as this user (default $SORI_USER, else the first admin)
  --passphrase-file F    read the passphrase from F's first line; else
                         $SORI_PASSPHRASE; else a no-echo prompt on a terminal

Exit status: 0 ok · 1 failure or findings, or archive busy (another sori
process is changing the archive's keys; tried for 30 s) · 2 usage or invalid
input · 3 locked (wrong passphrase, unknown or removed user) or forbidden
(the user's role does not allow it; docs/roles.md) · 4 waits for approval
(four eyes: export or publish recorded a request another user approves
with 'sori approve'; docs/roles.md).

Run 'sori help COMMAND' for a command's flags and examples; docs/cli.md is the
full contract.
`

func runHelp(ctx context.Context, e *env, args []string) error {
	args, err := parse(newFlags("help"), args)
	if err != nil {
		return err
	}
	switch len(args) {
	case 0:
		printOverview(e.stdout)
		return nil
	case 1:
		c := lookup(args[0])
		if c == nil {
			return usagef("unknown command %q", args[0])
		}
		printUsage(e.stdout, c)
		return nil
	}
	return usagef("give at most one command")
}
