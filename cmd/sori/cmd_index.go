package main

import (
	"context"
	"encoding/json"
	"fmt"
)

var indexCmd = &command{
	name:    "index",
	summary: "index the text of newly added items for search",
	usage: `
Usage: sori index [--rebuild] [--json]

sori add stores and commits items without waiting for the search index.
sori index adds the items added since it last ran — titles, file names and
the text of text items — to the (encrypted) index, decrypting and
tokenizing on every core, in batches of about 24 MiB of text, each batch in
one transaction; an interrupted run keeps the batches it finished. sori
search does the same before it answers, so this command is only needed to
do the work at a time of your choosing (after a large add, from a script).

--rebuild empties the index and builds it again from every record and item
(for an index a query reports as damaged, or after sori changes how it
tokenizes). The index is derived data: rebuilding changes no evidence, record
or custody entry.

Prints one line: the number of items indexed
  indexed N items
(--json: {"indexed":N}). A progress line is drawn on stderr when it is a
terminal and many items wait.

Examples:
  sori add recordings/ transcripts/ && sori index
  sori index --rebuild
`,
	run: runIndex,
}

func runIndex(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var asJSON, rebuild bool
	fs := newFlags("index")
	f.register(fs, e)
	fs.BoolVar(&asJSON, "json", false, "")
	fs.BoolVar(&rebuild, "rebuild", false, "")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	index := a.IndexPending
	if rebuild {
		index = a.RebuildIndex
	}
	n, err := index(ctx, indexProgress(e))
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]int{"indexed": n})
	}
	_, err = fmt.Fprintf(e.stdout, "indexed %d items\n", n)
	return err
}

// indexProgress reports indexing batches on a terminal's stderr.
func indexProgress(e *env) func(done, total int) {
	if !e.stderrTTY {
		return nil
	}
	return func(done, total int) {
		if done < total {
			fmt.Fprintf(e.stderr, "\rindexing text for search: %d of %d items ", done, total)
		} else if total > 0 {
			fmt.Fprintf(e.stderr, "\rindexing text for search: %d of %d items, done\n", done, total)
		}
	}
}
