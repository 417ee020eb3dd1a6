package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"sori/internal/archive"
)

var redactCmd = &command{
	name:    "redact",
	summary: "mark a span of a transcript that publication must hide",
	usage: `
Usage: sori redact ITEM --span START:END --reason R [--json]
       sori redact ITEM --match TEXT [--all] --reason R [--json]
       sori redact ls [ITEM] [--json]
       sori redact withdraw ID [--json]

Marks the bytes START (inclusive) to END (exclusive) of the text item ITEM
as never to be published: 'sori publish' replaces them with "[redacted]".
The item itself is never changed; the mark is a record with its own
custody entry. Offsets count bytes of the item's original bytes as
'sori cat ITEM' writes them — not characters: a Hangul syllable is 3 bytes
in UTF-8. The span must lie within the item and must not split a
character. Only text can be redacted (a recording's bytes are never
published).

The reason is listed by 'sori publish --dry-run': say why ("names the
witness's village"), never quote the text it hides.

Prints ID<TAB>ITEM<TAB>START:END. 'ls' prints one line per redaction,
oldest first, of ITEM only if given:
  ID<TAB>ITEM<TAB>START:END<TAB>STATUS<TAB>REASON     (STATUS active|withdrawn)
'withdraw' lifts redaction ID (a new version of its record, marked
withdrawn; the mark and its withdrawal both stay in the custody log) and
prints ID<TAB>VERSION.

--json prints {"id","version","item","start","end","reason","withdrawn"}
(an array of them for 'ls').

Flags:
  --span START:END   byte offsets, END exclusive
  --match TEXT       the text to hide, found in the item (as written, NFC or
                     NFD): no byte counting; "-" reads it from the first line
                     of standard input (a name is better kept off the command
                     line). More than one occurrence needs --all; none is an
                     error. One line of output per span marked.
  --all              mark every occurrence of --match
  --reason R         why the span is hidden (required; one line)
  --json             JSON output
  plus --archive, --user, --passphrase-file (see 'sori help')

Exit status: 0 ok, 1 failure, 2 invalid input (nothing stored), 3 locked
or not allowed (readers may not redact).

Examples:
  sori redact 3fa4c2 --span 120:141 --reason "names the witness's village"
  echo 삼봉리 | sori redact 3fa4c2 --match - --all --reason "names the village"
  sori redact ls 3fa4c2
  sori redact withdraw 0a1b2c
`,
	run: runRedact,
}

func runRedact(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "-h", "-help", "--help":
			return flag.ErrHelp
		case "ls":
			return runRedactLs(ctx, e, args[1:])
		case "withdraw":
			return runRedactWithdraw(ctx, e, args[1:])
		case "add":
			args = args[1:]
		}
	}
	var f archiveFlags
	var span, match, reason string
	var asJSON, all bool
	fs := newFlags("redact")
	f.register(fs, e)
	fs.StringVar(&span, "span", "", "")
	fs.StringVar(&match, "match", "", "")
	fs.BoolVar(&all, "all", false, "")
	fs.StringVar(&reason, "reason", "", "")
	fs.BoolVar(&asJSON, "json", false, "")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("give exactly one item ID")
	}
	if (span == "") == (match == "") {
		return usagef("give the span (--span START:END) or the text (--match TEXT), one of them")
	}
	if all && match == "" {
		return usagef("--all goes with --match")
	}
	if reason == "" {
		return usagef("give the reason: --reason R")
	}
	if match == "-" {
		// The text may be a name: read it from standard input rather than
		// from the command line, which other users of the machine can see.
		if f.passphraseFile == "" && e.getenv("SORI_PASSPHRASE") == "" {
			return usagef("--match - reads standard input, so the passphrase must come from --passphrase-file or SORI_PASSPHRASE")
		}
		line, err := bufio.NewReader(io.LimitReader(e.stdin, 1<<16)).ReadString('\n')
		if err != nil && err != io.EOF {
			return err
		}
		match = strings.TrimRight(line, "\r\n")
	}
	var start, end int
	if span != "" {
		if start, end, err = parseByteSpan(span); err != nil {
			return usagef("--span: %v", err)
		}
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	if match != "" {
		rs, err := a.AddRedactionMatch(ctx, rest[0], match, all, reason)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if asJSON {
				if err := json.NewEncoder(e.stdout).Encode(r); err != nil {
					return err
				}
				continue
			}
			fmt.Fprintf(e.stdout, "%s\t%s\t%d:%d\n", r.ID, r.Item, r.Start, r.End)
		}
		return nil
	}
	r, err := a.AddRedaction(ctx, rest[0], start, end, reason)
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(r)
	}
	_, err = fmt.Fprintf(e.stdout, "%s\t%s\t%d:%d\n", r.ID, r.Item, r.Start, r.End)
	return err
}

// parseByteSpan reads START:END as two byte offsets, 0 <= START < END.
func parseByteSpan(s string) (int, int, error) {
	a, b, err := parseSpan(s)
	if err != nil {
		return 0, 0, err
	}
	start, _ := strconv.Atoi(a)
	end, _ := strconv.Atoi(b)
	if start < 0 || end <= start {
		return 0, 0, fmt.Errorf("want START:END with 0 <= START < END, e.g. 120:348")
	}
	return start, end, nil
}

func runRedactLs(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var asJSON bool
	fs := newFlags("redact ls")
	f.register(fs, e)
	fs.BoolVar(&asJSON, "json", false, "")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 1 {
		return usagef("give at most one item ID")
	}
	item := ""
	if len(rest) == 1 {
		item = rest[0]
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	rs, err := a.Redactions(ctx, item)
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(rs)
	}
	return printRedactions(e.stdout, rs)
}

func printRedactions(w io.Writer, rs []archive.RedactionInfo) error {
	for _, r := range rs {
		status := "active"
		if r.Withdrawn {
			status = "withdrawn"
		}
		if _, err := fmt.Fprintf(w, "%s\t%s\t%d:%d\t%s\t%s\n", r.ID, r.Item, r.Start, r.End, status, r.Reason); err != nil {
			return err
		}
	}
	return nil
}

func runRedactWithdraw(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var asJSON bool
	fs := newFlags("redact withdraw")
	f.register(fs, e)
	fs.BoolVar(&asJSON, "json", false, "")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("give exactly one redaction ID")
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	r, err := a.WithdrawRedaction(ctx, rest[0])
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(r)
	}
	_, err = fmt.Fprintf(e.stdout, "%s\t%d\n", r.ID, r.Version)
	return err
}
