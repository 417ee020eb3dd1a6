package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"sori/internal/archive"
	"sori/internal/evidence"
)

var witnessCmd = &command{
	name:    "witness",
	summary: "the identity vault: who a witness really is (protection officers)",
	usage: `
Usage: sori witness add --pseudonym P [--identity FILE|-] [--json]
       sori witness show P [--json]
       sori witness ls [--json]
       sori witness withdraw P [--shred-items] [--yes] [--json]
       sori witness rehash [--json]

The identity vault holds a witness's true names, contact and notes under
keys only protection officers hold (docs/roles.md); everything else names
the witness by pseudonym P (letters, digits, '-', '_', with a digit, e.g.
W-17). Nothing from the vault is logged, indexed or repeated in an error
message. Each entry is sealed under a key of its own.

'add' stores a new entry and prints P<TAB>STATUS<TAB>ENTRY-ID. A pseudonym
already in the vault, withdrawn ones included, exits 1.

'show' decrypts P's entry and prints it; every opening is a signed custody
entry ('sori log' shows who opened which entry ID, and when). A withdrawn
witness shows its status only: nothing is left to open.

'ls' prints one line per witness, pseudonym and status only:
  P<TAB>STATUS<TAB>ENTRY-ID<TAB>ADDED<TAB>WITHDRAWN   (STATUS active|withdrawn; WITHDRAWN "-" if not)

'withdraw' records that P withdrew consent: the entry and its key are
destroyed (crypto-shredding: no key anyone holds recovers them), and a
signed "withdraw" custody entry naming only the entry ID is its tombstone.
It cannot be undone: it first lists, by ID, every testimony, item and
record that falls under the witness's consent, and on a terminal asks for
the pseudonym to be typed again (--yes confirms without asking; off a
terminal --yes is required). Afterwards nothing of the witness is exported
or published; the names' hashes stay, so the names stay masked in other
witnesses' testimonies (docs/protection.md).

'withdraw --shred-items' also crypto-shreds every item that falls under the
witness's consent, for a witness who asks for their material to be
destroyed: each item's own key is destroyed, its text leaves the search
index, and a signed "shred" custody entry per item is its tombstone. The
ciphertext, the item's records and its custody entries stay; nothing opens
the item again ('sori cat' fails, 'sori verify' accepts it only with its
shred entry). Items taken in before sori gave items keys of their own
cannot be shredded: the command then lists them and changes nothing. A
witness withdrawn earlier can be given --shred-items later. It prints one
more line per item: shredded<TAB>ITEM-ID (--json: "shredded": [IDs]).
Copies made before (replicas not yet updated, backups of meta.db) keep the
keys: docs/protection.md.

'add' also stores, for the safety net, keyed hashes of the normalized forms
of the names (never the names): they let 'sori add' and the record commands
warn whoever adds text that names the witness, in Hangul or any
romanization, without opening the vault, and let every view of a user
without protection mask them. 'withdraw' keeps them. 'rehash' stores them for entries added before the safety net existed
(each such entry is opened, and its opening recorded as for 'show'), and
prints how many entries it hashed (--json: {"hashed":N}).

--json prints {"pseudonym","id","status","added","added_by","withdrawn"}
('show' adds "names","contact","note").

Flags:
  --pseudonym P        the witness's pseudonym (add)
  --identity FILE      the true identity, as JSON (- reads standard input):
                         {"names": ["림송화", "Rim Song-hwa"], "contact": "…", "note": "…"}
                       names: as written, Hangul and romanizations (at least one);
                       contact: how to reach the witness (phone numbers and
                       e-mail addresses in it are masked wherever text quotes
                       them); note: family, circumstances, protection needs.
                       Without --identity, on a terminal, sori asks for each
                       without echoing it.
  --shred-items        withdraw: also crypto-shred the witness's items
  --yes                confirm a withdrawal without being asked
  --json               JSON output
  plus --archive, --user, --passphrase-file (see 'sori help')

True names, contacts and notes are never taken as arguments: a command line
can be read by any user of the machine while it runs, and shell history
keeps it. --name, --contact and --note are refused (exit 2, nothing stored).
Write the identity file on an encrypted disk and delete it afterwards, or
pipe it in.

Exit status: 0 ok, 1 failure, 2 invalid input (nothing changed), 3 locked or
not a protection officer.

Examples:
  sori witness add --pseudonym W-17 --identity w17.json
  sori witness add --pseudonym W-18          # asks for names, contact, note
  sori witness show W-17
  sori witness ls
  sori witness withdraw W-17
  sori witness withdraw W-17 --shred-items
`,
	run: runWitness,
}

func runWitness(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("give a subcommand: add, show, ls, withdraw or rehash")
	}
	switch args[0] {
	case "-h", "-help", "--help":
		return flag.ErrHelp
	case "add":
		return runWitnessAdd(ctx, e, args[1:])
	case "show":
		return runWitnessOne(ctx, e, "show", args[1:])
	case "ls":
		return runWitnessLs(ctx, e, args[1:])
	case "withdraw":
		return runWitnessOne(ctx, e, "withdraw", args[1:])
	case "rehash":
		return runWitnessRehash(ctx, e, args[1:])
	}
	return usagef("unknown subcommand: want add, show, ls, withdraw or rehash")
}

// witnessJSON is the --json form; Names, Contact and Note only for show.
type witnessJSON struct {
	archive.WitnessInfo
	Names   []string `json:"names,omitempty"`
	Contact string   `json:"contact,omitempty"`
	Note    string   `json:"note,omitempty"`
}

// identityFlags are the flags that once carried a true identity on the
// command line, where any local user reads it (/proc) and shell history
// keeps it. They are refused before anything else is parsed, without
// repeating the value.
var identityFlags = []string{"name", "contact", "note"}

// refuseIdentityArgs returns a usage error if args give a true identity
// as a flag.
func refuseIdentityArgs(args []string) error {
	for _, a := range args {
		if a == "--" {
			return nil
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && slices.Contains(identityFlags, name) {
			return usagef("--%s is refused: a true name, contact or note on the command line can be read by any user of this machine while the command runs. Nothing was stored. Give them with --identity FILE (JSON {\"names\": [...], \"contact\": \"...\", \"note\": \"...\"}; - reads standard input), or run on a terminal without --identity to be asked for them", name)
		}
	}
	return nil
}

// identityFile is the JSON form of --identity.
type identityFile struct {
	Names   []string `json:"names"`
	Contact string   `json:"contact"`
	Note    string   `json:"note"`
}

// maxIdentityFile bounds what --identity reads.
const maxIdentityFile = 1 << 20

// readIdentity reads the true identity from --identity (a file, or - for
// standard input) or, on a terminal, from no-echo prompts.
func readIdentity(e *env, path string) (identityFile, error) {
	var id identityFile
	if path == "" {
		if !e.stdinTTY || e.readPassword == nil {
			return id, usagef("give the identity with --identity FILE (or - for standard input); nothing was stored")
		}
		for i := 1; ; i++ {
			n, err := e.readPassword(fmt.Sprintf("True name %d (as written; empty line when done): ", i))
			if err != nil {
				return id, err
			}
			if strings.TrimSpace(n) == "" {
				break
			}
			id.Names = append(id.Names, n)
		}
		var err error
		if id.Contact, err = e.readPassword("Contact (empty for none): "); err != nil {
			return id, err
		}
		if id.Note, err = e.readPassword("Note (one line; empty for none): "); err != nil {
			return id, err
		}
		return id, nil
	}
	var r io.Reader
	if path == "-" {
		r = e.stdin
	} else {
		fh, err := os.Open(path)
		if err != nil {
			return id, usagef("--identity: %v", err)
		}
		defer fh.Close()
		r = fh
	}
	b, err := io.ReadAll(io.LimitReader(r, maxIdentityFile+1))
	if err != nil {
		return id, usagef("--identity: %v", err)
	}
	if len(b) > maxIdentityFile {
		return id, usagef("--identity: more than %d bytes", maxIdentityFile)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&id); err != nil {
		// The decoder's message may quote the file's text: not repeated.
		return id, usagef("--identity: not a JSON object {\"names\": [...], \"contact\": \"...\", \"note\": \"...\"} (the content is not repeated here)")
	}
	if dec.More() {
		return id, usagef("--identity: more than one JSON value")
	}
	return id, nil
}

func runWitnessAdd(ctx context.Context, e *env, args []string) error {
	if err := refuseIdentityArgs(args); err != nil {
		return err
	}
	var f archiveFlags
	var w archive.Witness
	var identity string
	var asJSON bool
	fs := newFlags("witness add")
	f.register(fs, e)
	fs.StringVar(&w.Pseudonym, "pseudonym", "", "")
	fs.StringVar(&identity, "identity", "", "")
	fs.BoolVar(&asJSON, "json", false, "")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		// Not repeated: a stray argument may be half of an unquoted name.
		return usagef("witness add takes no arguments, only flags; true names go in --identity")
	}
	if w.Pseudonym == "" {
		return usagef("give the witness's pseudonym: --pseudonym W-17")
	}
	if !evidence.ValidPseudonym(w.Pseudonym) {
		return usagef("--pseudonym: not a pseudonym (letters, digits, '-' and '_', with a digit, such as W-17); the value is not repeated here in case it is a name")
	}
	if identity == "-" && f.passphraseFile == "" && e.getenv("SORI_PASSPHRASE") == "" {
		return usagef("--identity - reads standard input, so the passphrase must come from --passphrase-file or SORI_PASSPHRASE")
	}
	id, err := readIdentity(e, identity)
	if err != nil {
		return err
	}
	if len(id.Names) == 0 {
		return usagef("the identity gives no name: at least one is needed; nothing was stored")
	}
	w.Names, w.Contact, w.Note = id.Names, id.Contact, id.Note
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	info, err := a.AddWitness(ctx, w)
	if err != nil {
		return err
	}
	return printWitness(e.stdout, info, nil, asJSON)
}

func runWitnessOne(ctx context.Context, e *env, sub string, args []string) error {
	var f archiveFlags
	var asJSON, yes, shred bool
	fs := newFlags("witness " + sub)
	f.register(fs, e)
	fs.BoolVar(&asJSON, "json", false, "")
	if sub == "withdraw" {
		fs.BoolVar(&yes, "yes", false, "")
		fs.BoolVar(&shred, "shred-items", false, "")
	}
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("give one pseudonym")
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	if sub == "withdraw" {
		if err := confirmWithdraw(ctx, e, a, rest[0], yes, shred); err != nil {
			return err
		}
		info, err := a.WithdrawWitness(ctx, rest[0], archive.WithdrawOptions{ShredItems: shred})
		if err != nil && info.ID == "" {
			return err
		}
		if perr := printWitness(e.stdout, info, nil, asJSON); perr != nil {
			return perr
		}
		if !asJSON {
			for _, id := range info.Shredded {
				if _, perr := fmt.Fprintf(e.stdout, "shredded\t%s\n", id); perr != nil {
					return perr
				}
			}
		}
		return err // withdrawn, but the WAL was not emptied
	}
	info, w, err := a.OpenWitness(ctx, rest[0])
	if err != nil {
		return err
	}
	return printWitness(e.stdout, info, w, asJSON)
}

// confirmWithdraw lists on stderr what a withdrawal affects, by ID, and
// asks on a terminal for the pseudonym to be typed again; off a terminal
// it needs --yes.
func confirmWithdraw(ctx context.Context, e *env, a *archive.Archive, pseudonym string, yes, shred bool) error {
	m, err := a.MaterialOf(ctx, pseudonym)
	if err != nil {
		return err
	}
	if shred {
		fmt.Fprintf(e.stderr, "Withdrawing %s with --shred-items destroys the vault entry and the keys of every item below for good: nobody will read those items again. Their records and custody entries stay; sealed names stay masked. It affects:\n", pseudonym)
	} else {
		fmt.Fprintf(e.stderr, "Withdrawing %s destroys the vault entry for good. From now on nothing of the witness leaves the archive (export and publication refuse it); the evidence stays, sealed names stay masked. It affects:\n", pseudonym)
	}
	for _, g := range []struct {
		what string
		ids  []evidence.ID
	}{{"testimony", m.Testimonies}, {"item", m.Items}, {"record", m.Records}} {
		for _, id := range g.ids {
			fmt.Fprintf(e.stderr, "  %-9s %s\n", g.what, id)
		}
	}
	if len(m.Testimonies)+len(m.Items)+len(m.Records) == 0 {
		fmt.Fprintln(e.stderr, "  (no testimony, item or record names this pseudonym)")
	}
	if yes {
		return nil
	}
	if !e.stdinTTY {
		return usagef("withdrawal cannot be undone: pass --yes to confirm when not on a terminal")
	}
	fmt.Fprintf(e.stderr, "Type %s to confirm: ", pseudonym)
	line, _ := bufio.NewReader(e.stdin).ReadString('\n')
	if strings.TrimSpace(line) != pseudonym {
		return usagef("not confirmed; nothing was changed")
	}
	return nil
}

func runWitnessRehash(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var asJSON bool
	fs := newFlags("witness rehash")
	f.register(fs, e)
	fs.BoolVar(&asJSON, "json", false, "")
	if rest, err := parse(fs, args); err != nil {
		return err
	} else if len(rest) != 0 {
		return usagef("witness rehash takes no arguments")
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	n, err := a.HashWitnessNames(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]int{"hashed": n})
	}
	_, err = fmt.Fprintf(e.stdout, "%d entries hashed\n", n)
	return err
}

func runWitnessLs(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var asJSON bool
	fs := newFlags("witness ls")
	f.register(fs, e)
	fs.BoolVar(&asJSON, "json", false, "")
	if rest, err := parse(fs, args); err != nil {
		return err
	} else if len(rest) != 0 {
		return usagef("witness ls takes no arguments")
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	ws, err := a.Witnesses(ctx)
	if err != nil {
		return err
	}
	for _, info := range ws {
		if asJSON {
			if err := json.NewEncoder(e.stdout).Encode(info); err != nil {
				return err
			}
			continue
		}
		withdrawn := "-"
		if !info.Withdrawn.IsZero() {
			withdrawn = info.Withdrawn.UTC().Format(time.RFC3339)
		}
		if _, err := fmt.Fprintf(e.stdout, "%s\t%s\t%s\t%s\t%s\n", info.Pseudonym, info.Status, info.ID, info.Added.UTC().Format(time.RFC3339), withdrawn); err != nil {
			return err
		}
	}
	return nil
}

// printWitness prints an entry's public part and, for show, its contents.
func printWitness(out io.Writer, info archive.WitnessInfo, w *archive.Witness, asJSON bool) error {
	if asJSON {
		j := witnessJSON{WitnessInfo: info}
		if w != nil {
			j.Names, j.Contact, j.Note = w.Names, w.Contact, w.Note
		}
		return json.NewEncoder(out).Encode(j)
	}
	if w == nil {
		_, err := fmt.Fprintf(out, "%s\t%s\t%s\n", info.Pseudonym, info.Status, info.ID)
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "pseudonym: %s\nstatus:    %s\nentry:     %s\nadded:     %s by %s\n", info.Pseudonym, info.Status, info.ID, info.Added.UTC().Format(time.RFC3339), info.AddedBy)
	for _, n := range w.Names {
		fmt.Fprintf(&b, "name:      %s\n", n)
	}
	if w.Contact != "" {
		fmt.Fprintf(&b, "contact:   %s\n", w.Contact)
	}
	if w.Note != "" {
		fmt.Fprintf(&b, "note:      %s\n", strings.ReplaceAll(w.Note, "\n", "\n           "))
	}
	_, err := io.WriteString(out, b.String())
	return err
}
