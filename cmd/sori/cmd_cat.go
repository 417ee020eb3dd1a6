package main

import (
	"context"
	"io"
)

var catCmd = &command{
	name:    "cat",
	summary: "write an item's original bytes to stdout",
	usage: `
Usage: sori cat ID

Writes the original bytes of item ID (full ID or unique prefix) to standard
output, byte for byte. Every 64 KiB chunk is authenticated before it is
written, and at the end the SHA-256 and size are checked against the record.
If the stored data was altered or truncated, sori stops with exit status 1
and a message naming the item; what was written before is authentic but
incomplete.

An item of a testimony (its original or a translation) is restricted: the
read is recorded first as a signed "read" custody entry ('sori log --actor
NAME' lists it), and if it cannot be recorded nothing is written (a
keyring without the log key: exit 3).

Examples:
  sori cat 3fa4c2 > interview1.ko.txt
  sori cat 3fa4c2 | sha256sum
`,
	run: runCat,
}

func runCat(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	fs := newFlags("cat")
	f.register(fs, e)
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("give exactly one item ID")
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	rc, _, err := a.Open(ctx, rest[0])
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(e.stdout, rc)
	return err
}
