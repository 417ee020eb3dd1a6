package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"sori/internal/archive"
	"sori/internal/bundle"
	"sori/internal/custody"
	"sori/internal/durable"
	"sori/internal/evidence"
	"sori/internal/seal"
	"sori/internal/store"
)

var exportCmd = &command{
	name:    "export",
	summary: "write a court bundle of items that anyone can verify offline",
	usage: `
Usage: sori export --out DIR [--recipient R]... [--since F] [--request REQ] [--json] ID...
       sori export --zip FILE|- [--recipient R]... [--since F] [--request REQ] [--json] ID...

Writes the items ID... (full IDs or unique prefixes) to DIR as a court
bundle: a BagIt bag (RFC 8493) holding each original, every version of its
record, its custody entries, an inclusion proof (c2sp.org/tlog-proof) of
every entry against one signed checkpoint, the log's public key,
SHA-256 and SHA-512 manifests of it all, and its own specification
(sori-bundle-spec.md: every step of checking it without sori). Originals
keep their file extension (data/items/ID/original.txt). The export itself is recorded in the custody
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

If a checkpoint was time-stamped ('sori checkpoint --tsa URL'), the
bundle carries the newest such time stamp as tag files: the checkpoint
(sori-timestamp-checkpoint.txt), the RFC 3161 token (sori-timestamp.tsr)
and a consistency proof from it to the bundle's checkpoint
(sori-timestamp-proof.txt): the entries it covers existed by its genTime.
Likewise, if witnesses cosigned a checkpoint ('sori checkpoint --cosign'),
the bundle carries the newest one with their cosignature lines
(sori-cosigned-checkpoint.txt) and a consistency proof from it to the
bundle's checkpoint (sori-cosigned-proof.txt).

A court or repository checks the bundle without sori (docs/bundle.md) or
with 'sori verify-bundle DIR'. DIR must not exist or be empty; the bundle
is written beside it and renamed into place only when complete.

Without --recipient the originals are written in plaintext: treat the
bundle like the testimony it holds. With --recipient (repeatable: a court
and the defence) they are encrypted with age to every recipient given, and
nothing in the bundle is their plaintext (metadata such as titles stays
readable). A recipient is an age X25519 recipient (age1…) or an SSH public
key (ssh-ed25519 … or ssh-rsa …, as in authorized_keys; its comment is
dropped), as stock age takes with -r. Each recipient alone runs
'age -d -i KEY original.txt.age' (KEY: the age identity file or the SSH
private key) and compares the SHA-256 with metadata.json. A recipient that
is neither is a usage error (exit 2).

With --zip the same bag is written as one zip file instead (the serialized
form of a bag: its files under one top-level directory,
sori-bundle-BUNDLE-ID/), streamed as it is made, so no file of the bundle
touches the disk but FILE; "-" writes it to standard output (for a pipe or
a download), and then nothing else is printed there. FILE must not exist;
it is written beside as FILE.partial and renamed when complete. Unzip it
and check the directory as any bundle.

Prints DIR<TAB>BUNDLE-ID<TAB>ITEMS (FILE for --zip; nothing with --zip -).
With --json:
  {"path","bundle","items","encrypted","recipients":[…],"checkpoint"}
(recipients in canonical form, sorted; [] for plaintext).

  --out DIR          the bundle directory (it, or --zip, is required)
  --zip FILE         write the bundle as a zip file (- for standard output)
  --recipient R      encrypt the originals to R (age1… or an SSH public
                     key); repeat for several recipients
  --since F          F is a checkpoint of this archive that the bundle's
                     recipient kept (as 'sori checkpoint' printed it): the
                     bundle carries the tag file sori-consistency-proof.txt,
                     a consistency proof from F to the bundle's checkpoint,
                     which 'sori verify-bundle --checkpoint F' checks. A
                     checkpoint of another archive, or one the log does not
                     extend, is refused before anything is logged (exit 1)
  --request REQ      run the export that four-eyes request REQ asked for,
                     once another user approved it ('sori approve REQ'):
                     the same items and recipients, by the same user
  --json             JSON output
  plus --archive, --user, --passphrase-file (see 'sori help')

Four eyes: when an admin set the archive so that exports need a second
user's approval ('sori settings four-eyes export'), an export without
--request writes nothing but a pending request, prints its ID and how to
go on, and exits 4. Another user whose role may export approves it with
'sori approve REQ'; then the same command with --request REQ writes the
bundle, and the request is marked done (it runs once).

Exit status: 0 ok, 1 failure, 2 invalid input (nothing written), 3 locked
or not allowed, 4 waits for approval (four eyes: a request was recorded).

Examples:
  sori export --out /media/usb/bundle-2026-11 3fa4c2 9b01ee
  sori export --out bundle --recipient age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p 3fa4c2
  sori export --out bundle --recipient "$(cat court.pub)" --recipient "$(cat ~/defence/id_ed25519.pub)" 3fa4c2
  sori export --out bundle --since court-kept-checkpoint.txt 3fa4c2
  sori verify-bundle bundle
`,
	run: runExport,
}

func runExport(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var out, zipOut, since, request string
	var recipients recipientList
	var asJSON bool
	fs := newFlags("export")
	f.register(fs, e)
	fs.StringVar(&out, "out", "", "")
	fs.StringVar(&zipOut, "zip", "", "")
	fs.StringVar(&request, "request", "", "")
	fs.Var(&recipients, "recipient", repeatable)
	fs.StringVar(&since, "since", "", "")
	fs.BoolVar(&asJSON, "json", false, "")
	ids, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case out != "" && zipOut != "":
		return usagef("give --out DIR or --zip FILE, not both")
	case out == "" && zipOut == "":
		return usagef("give the bundle directory with --out DIR (or a zip file with --zip FILE)")
	case zipOut == "-" && asJSON:
		return usagef("--zip - writes the bundle to standard output: --json has nowhere to go")
	}
	if len(ids) == 0 {
		return usagef("name the items to export")
	}
	if len(recipients) > 0 {
		if _, err := seal.CanonicalRecipients(recipients); err != nil {
			return usagef("--recipient: %v", err)
		}
	}
	// Before the export is logged: a bundle that cannot be written must not
	// appear in the custody log as exported.
	if out != "" {
		if err := bundle.CheckDir(out); err != nil {
			return err
		}
	}
	var zipFile *os.File // FILE.partial, renamed to FILE when complete
	if zipOut != "" && zipOut != "-" {
		if _, err := os.Lstat(zipOut); err == nil {
			return fmt.Errorf("%w: %s exists; a zipped bundle needs a new file", evidence.ErrExists, zipOut)
		}
		if zipFile, err = os.OpenFile(zipOut+".partial", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
			return err
		}
		defer func() {
			if zipFile != nil { // not renamed: the export failed
				zipFile.Close()
				os.Remove(zipOut + ".partial")
			}
		}()
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	var kept custody.Checkpoint
	if since != "" {
		// Checked before the export is logged, against the log as it is.
		if kept, err = keptCheckpoint(since, a); err != nil {
			return err
		}
		now, err := a.Checkpoint(ctx)
		if err != nil {
			return err
		}
		if _, err := proveSince(ctx, a, kept, now); err != nil {
			return err
		}
	}
	var x *archive.Export
	if request != "" {
		x, err = a.ExportApproved(ctx, request, ids, recipients)
	} else {
		x, err = a.Export(ctx, ids, recipients)
	}
	if err != nil {
		return pendingRequest(e, err)
	}
	var extras bundle.Extras
	if since != "" {
		p, err := proveSince(ctx, a, kept, x.Checkpoint)
		if err != nil {
			return fmt.Errorf("%w (the custody log records export %s, entry %d, but no bundle was written)", err, x.ID, x.Entry.Seq)
		}
		extras.Consistency = p.Marshal()
	}
	ex, err := bundle.ExtrasFor(ctx, a, x.Checkpoint)
	if err != nil {
		return fmt.Errorf("%w (the custody log records export %s, entry %d, but no bundle was written)", err, x.ID, x.Entry.Seq)
	}
	extras.Timestamp, extras.Cosigned = ex.Timestamp, ex.Cosigned
	open := func(it store.Item) (io.ReadCloser, error) { return x.Open(ctx, it) }
	if zipOut != "" {
		if err := writeZip(ctx, e, x, open, extras, zipOut, zipFile); err != nil {
			return fmt.Errorf("%w (the custody log records export %s, entry %d, but no bundle was written)", err, x.ID, x.Entry.Seq)
		}
		zipFile = nil
		if zipOut == "-" {
			fmt.Fprintf(e.stderr, "sori export: wrote %d item(s) to standard output as a zip (bundle %s, directory %s/ inside)\n", len(x.Items), x.ID, bundle.ZipRoot(x))
			return nil
		}
		out = zipOut
	} else if err := bundle.WriteExtras(ctx, x, open, out, extras); err != nil {
		return fmt.Errorf("%w (the custody log records export %s, entry %d, but no bundle was written)", err, x.ID, x.Entry.Seq)
	}
	path, err := filepath.Abs(out)
	if err != nil {
		path = out
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(struct {
			Path       string   `json:"path"`
			Bundle     string   `json:"bundle"`
			Items      int      `json:"items"`
			Encrypted  bool     `json:"encrypted"`
			Recipients []string `json:"recipients"`
			Checkpoint string   `json:"checkpoint"`
		}{path, x.ID, len(x.Items), len(x.Recipients) > 0, recipientsJSON(x.Recipients), fmt.Sprintf("%d %s", x.Checkpoint.Size, x.Checkpoint.Hash)})
	}
	fmt.Fprintf(e.stdout, "%s\t%s\t%d\n", path, x.ID, len(x.Items))
	if zipOut != "" {
		fmt.Fprintf(e.stderr, "sori export: wrote %d item(s) to %s (bundle %s); unzip it and check %s/ with 'sori verify-bundle'\n", len(x.Items), path, x.ID, bundle.ZipRoot(x))
		return nil
	}
	fmt.Fprintf(e.stderr, "sori export: wrote %d item(s) to %s (bundle %s); check it with 'sori verify-bundle %s'\n", len(x.Items), path, x.ID, out)
	return nil
}

// writeZip writes x as a zipped bundle to standard output (name "-") or
// to f (name.partial, opened by the caller), then syncs f and renames it to
// name without replacing a file that appeared meanwhile.
func writeZip(ctx context.Context, e *env, x *archive.Export, open func(store.Item) (io.ReadCloser, error), extras bundle.Extras, name string, f *os.File) error {
	if name == "-" {
		return bundle.WriteZip(ctx, x, open, e.stdout, extras)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := bundle.WriteZip(ctx, x, open, bw, extras); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Link(name+".partial", name); err != nil {
		os.Remove(name + ".partial")
		return err
	}
	os.Remove(name + ".partial")
	return durable.SyncDir(filepath.Dir(name))
}

// recipientList is the repeatable --recipient flag: each use adds one.
// (Other flags given twice are usage errors; this one is meant to repeat.)
type recipientList []string

func (r *recipientList) String() string { return strings.Join(*r, ",") }

func (r *recipientList) Set(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("empty recipient")
	}
	*r = append(*r, s)
	return nil
}

func recipientsJSON(rs []string) []string {
	if rs == nil {
		return []string{}
	}
	return rs
}
