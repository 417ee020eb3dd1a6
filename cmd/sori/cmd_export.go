package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"

	"sori/internal/bundle"
	"sori/internal/seal"
	"sori/internal/store"
)

var exportCmd = &command{
	name:    "export",
	summary: "write a court bundle of items that anyone can verify offline",
	usage: `
Usage: sori export --out DIR [--recipient age1…] [--json] ID...

Writes the items ID... (full IDs or unique prefixes) to DIR as a court
bundle: a BagIt bag (RFC 8493) holding each original, every version of its
record, its custody entries, an inclusion proof (c2sp.org/tlog-proof) of
every entry against one signed checkpoint, the log's public key, and
SHA-256 manifests of it all. The export itself is recorded in the custody
log first and is the newest entry of that checkpoint.

Consent comes first: an item that is the original or a translation of a
testimony is exported only when the testimony's consent allows court use
('sori consent set TESTIMONY --scope court'; without a consent record a
testimony is internal only), an audio item not under --no-audio, a video or
image not under --no-video, and never once the witness was withdrawn from
the identity vault. Otherwise every refused item is named with its reason,
exit 2, and nothing is logged or written. The bundle carries the consent
records of the items' testimonies and those testimony records (which show
that each item belongs to its testimony), every version with its custody
entries.

A court or repository checks the bundle without sori (docs/bundle.md) or
with 'sori verify-bundle DIR'. DIR must not exist or be empty; the bundle
is written beside it and renamed into place only when complete.

Without --recipient the originals are written in plaintext: treat the
bundle like the testimony it holds. With --recipient they are encrypted
with age to that recipient and nothing in the bundle is their plaintext
(metadata such as titles stays readable); the recipient runs
'age -d -i key.txt original.age' and compares the SHA-256 with
metadata.json.

Prints DIR<TAB>BUNDLE-ID<TAB>ITEMS. With --json:
  {"path","bundle","items","encrypted","checkpoint"}

  --out DIR          the bundle directory (required)
  --recipient age1…  encrypt the originals to this age recipient
  --json             JSON output
  plus --archive, --user, --passphrase-file (see 'sori help')

Examples:
  sori export --out /media/usb/bundle-2026-11 3fa4c2 9b01ee
  sori export --out bundle --recipient age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p 3fa4c2
  sori verify-bundle bundle
`,
	run: runExport,
}

func runExport(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var out, recipient string
	var asJSON bool
	fs := newFlags("export")
	f.register(fs, e)
	fs.StringVar(&out, "out", "", "")
	fs.StringVar(&recipient, "recipient", "", "")
	fs.BoolVar(&asJSON, "json", false, "")
	ids, err := parse(fs, args)
	if err != nil {
		return err
	}
	if out == "" {
		return usagef("give the bundle directory with --out DIR")
	}
	if len(ids) == 0 {
		return usagef("name the items to export")
	}
	if recipient != "" {
		if err := seal.CheckRecipient(recipient); err != nil {
			return usagef("--recipient: %v", err)
		}
	}
	// Before the export is logged: a bundle that cannot be written must not
	// appear in the custody log as exported.
	if err := bundle.CheckDir(out); err != nil {
		return err
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	x, err := a.Export(ctx, ids, recipient)
	if err != nil {
		return err
	}
	open := func(it store.Item) (io.ReadCloser, error) { return x.Open(ctx, it) }
	if err := bundle.Write(ctx, x, open, out, recipient); err != nil {
		return fmt.Errorf("%w (the custody log records export %s, entry %d, but no bundle was written)", err, x.ID, x.Entry.Seq)
	}
	path, err := filepath.Abs(out)
	if err != nil {
		path = out
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(struct {
			Path       string `json:"path"`
			Bundle     string `json:"bundle"`
			Items      int    `json:"items"`
			Encrypted  bool   `json:"encrypted"`
			Checkpoint string `json:"checkpoint"`
		}{path, x.ID, len(x.Items), recipient != "", fmt.Sprintf("%d %s", x.Checkpoint.Size, x.Checkpoint.Hash)})
	}
	fmt.Fprintf(e.stdout, "%s\t%s\t%d\n", path, x.ID, len(x.Items))
	fmt.Fprintf(e.stderr, "sori export: wrote %d item(s) to %s (bundle %s); check it with 'sori verify-bundle %s'\n", len(x.Items), path, x.ID, out)
	return nil
}
