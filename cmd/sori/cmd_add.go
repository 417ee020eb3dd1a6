package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"sori/internal/archive"
)

var addCmd = &command{
	name:    "add",
	summary: "add evidence files (encrypted, hashed, deduplicated)",
	usage: `
Usage: sori add [--title T] [--lang L] [--kind K] [--witness PSEUDONYM]
                [--translation-of ID] [--note TEXT] [--compartment NAME] [--json] PATH...

Adds files as items. Directories are added recursively (regular files only,
in name order; their file names become titles). "-" reads standard input.
Each file is hashed (SHA-256) and encrypted in one streaming pass. Adding
the same bytes again gives the same item, and sori says so on stderr.

For each file, once its item is safely stored, one line is printed:
  ID<TAB>SHA256<TAB>PATH
With --json, one object per line:
  {"id":…,"sha256":…,"path":…,"size":…,"duplicate":false}
A line is printed only when its item is durable: after an interruption,
every printed item is intact. A progress bar is shown on a terminal.

When the identity vault holds witnesses, each new text file is checked for
their names in Hangul and any romanization (the vault is not opened: only
keyed hashes of the names' forms are compared). Each match is a warning on
stderr, which says where but never whose name or which:
  sori add: warning: FILE: bytes 120:129 hold a name sealed in the identity
  vault; mark it with 'sori redact ID --span 120:129 --reason sealed-name'
  before any publication
A given name alone is reported as "a given name … (a weaker match)". With
--json the same spans are in "sealed_names": [{"start","end","label"}]
(left out when none). The exit status does not change.

Flags:
  --title T            title (a single file only)
  --lang L             language tag: ko, en, ko-KP, …
  --kind K             transcript|audio|video|image|document (default: from the extension)
  --witness P          the witness's pseudonym (e.g. W-17), never a name
  --translation-of ID  this file translates item ID (full ID or unique prefix)
  --compartment NAME   place the items in compartment NAME, sealed under its key
                       (you must be a member; 'sori help compartment'); a
                       translation is in its original's compartment anyway
  --note TEXT          free-text note
  --json               JSON lines output
  plus --archive, --user, --passphrase-file (see 'sori help')

Exit status: 0 all added, 1 some files failed (the others are added),
2 bad arguments (nothing added), 3 locked.

Examples:
  sori add --lang ko --witness W-17 --title "Interview 1 (ko)" interview1.ko.txt
  sori add --lang en --translation-of 3fa4c2 interview1.en.txt
  sori add recordings/
  gpg -d tape.gpg | sori add --kind audio --title "Tape 4" -
`,
	run: runAdd,
}

func runAdd(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var opt archive.AddOptions
	var asJSON bool
	fs := newFlags("add")
	f.register(fs, e)
	fs.StringVar(&opt.Title, "title", "", "")
	fs.StringVar(&opt.Lang, "lang", "", "")
	fs.StringVar(&opt.Kind, "kind", "", "")
	fs.StringVar(&opt.Witness, "witness", "", "")
	fs.StringVar(&opt.TranslationOf, "translation-of", "", "")
	fs.StringVar(&opt.Note, "note", "", "")
	fs.StringVar(&opt.Compartment, "compartment", "", "")
	fs.BoolVar(&asJSON, "json", false, "")
	paths, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usagef("nothing to add: give files, directories or - for standard input")
	}
	for _, p := range paths {
		if p == archive.Stdin && f.passphraseFile == "" && e.getenv("SORI_PASSPHRASE") == "" && e.stdinTTY {
			return usagef("reading data from standard input needs the passphrase from --passphrase-file or SORI_PASSPHRASE")
		}
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	opt.Stdin = e.stdin
	bar := newProgressBar(e)
	opt.Progress = bar.update
	failed, added, dups := 0, 0, 0
	enc := json.NewEncoder(e.stdout)
	err = a.Add(ctx, paths, opt, func(r archive.Added) error {
		if r.Err != nil {
			failed++
			bar.clear()
			fmt.Fprintf(e.stderr, "sori add: %s: %v\n", displayPath(r.Path), r.Err)
			return nil
		}
		if r.Duplicate {
			dups++
			bar.clear()
			fmt.Fprintf(e.stderr, "sori add: %s: same bytes as item %s, already in the archive\n", r.Path, r.ID)
		} else {
			added++
		}
		if len(r.Names) > 0 {
			bar.clear()
			warnSealedItem(e.stderr, "add", r.Path, r.ID, r.Names)
		}
		if asJSON {
			return enc.Encode(struct {
				ID          string             `json:"id"`
				SHA256      string             `json:"sha256"`
				Path        string             `json:"path"`
				Size        int64              `json:"size"`
				Duplicate   bool               `json:"duplicate"`
				SealedNames []archive.NameSpan `json:"sealed_names,omitempty"`
			}{r.ID.String(), r.SHA256.String(), r.Path, r.Size, r.Duplicate, r.Names})
		}
		_, err := fmt.Fprintf(e.stdout, "%s\t%s\t%s\n", r.ID, r.SHA256, r.Path)
		return err
	})
	bar.clear()
	if err != nil {
		return err
	}
	if failed > 0 {
		fmt.Fprintf(e.stderr, "sori add: %d added, %d already present, %d failed\n", added, dups, failed)
		return errSilent
	}
	return nil
}

// displayPath is a path as an error message shows it: as it is when it is
// valid UTF-8, else quoted with its bad bytes escaped, so that the message
// names the file that failed and stays printable.
func displayPath(p string) string {
	if utf8.ValidString(p) {
		return p
	}
	return strconv.Quote(p)
}
