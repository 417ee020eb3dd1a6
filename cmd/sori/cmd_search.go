package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"sori/internal/archive"
)

var searchCmd = &command{
	name:    "search",
	summary: "search testimony, titles and names in Korean and English",
	usage: `
Usage: sori search [--json] [--limit N] [--kind K] [--violation V] [--place P]
                   [--from YEAR] [--to YEAR] [--all] QUERY
       sori search --batch FILE [same flags]

Finds items (titles, file names, the text of transcripts) and records
(testimonies, events, acts, persons, places, …), best first (BM25). One hit
per line:
  ID<TAB>KIND<TAB>TITLE<TAB>SNIPPET
with the matched words in the snippet between [ and ] (bold on a terminal).
--json prints one object per line: {"id","kind","title","snippet","part","score"}.

How queries match:
  - Korean: any syllable sequence, whatever the particles around it (요덕,
    두만강, 탈출, 혁); North and South spellings find each other (로동/노동,
    녀성/여성, 리/이 in names).
  - Latin: case and diacritics do not matter (Chŏngjin = chongjin).
  - Names in either script and any romanization find each other, in records
    and in running text: 박철민 = Pak Chol Min = Park Cheol-min = Pak Ch'ŏl-min.
    A query may spell a name in RR, McCune-Reischauer, the DPRK system,
    popular spellings (Park, Bahk, Lee, Rhee, Lyu, Nahm), RR
    transliteration (Bag Cheol-min), or Yale (Pak Chelmin); surname first
    or last; spaced, hyphenated or joined (Bakcheolmin); with punctuation
    as lists write it (Park, Cheol-min / (Han Deok-su) / Kim Jeong-il.).
    A joined given name is tried in every split (Yu Hyeok = 유혁 or 유혜옥).
    In documents, RR, MR, DPRK and popular spellings are recognised.
  - A place in any script or spelling finds its other names in the
    gazetteer ('sori vocab places'): Hoeryong = Hoeryŏng = 회령 = 會寧,
    Tumen = Tuman River = 두만강 = 圖們江.
  - English words also find their inflections (rations = ration).
  - One Korean syllable ranks the word (강, 강을) above longer words (강제).
  - Words are ANDed; "double quotes" make a phrase.
Filters: --kind (transcript, audio, …, event, person, …), --violation (a
code or label from 'sori vocab violations'; a parent includes its children),
--place (a gazetteer code or any spelling), --from/--to (years of the event).
Voided records and items ('sori void') are left out; --all finds them too.
To a user without the protection role, titles and snippets pass the
disclosure guard (sealed names and contacts show as "[…]"), and a query
that holds a sealed name or contact finds nothing (docs/protection.md).
A transcript annotated with an event, act or place (sori annotate) is found
by that record's violations, places and years too.

Items added since the last search are indexed first (see 'sori index').

--batch FILE answers one query per line of FILE (one unlock, for scripts and
benchmarks): for each query, the line "# QUERY" then its hits (or with
--json, one object per query: {"query","hits":[…]}).

Examples:
  sori search 두만강
  sori search --kind event --violation detention "Pak Chol Min"
  sori search --place hyesan --from 1997 --to 1999 기근
`,
	run: runSearch,
}

func runSearch(ctx context.Context, e *env, args []string) error {
	var f archiveFlags
	var opt archive.SearchOptions
	var asJSON bool
	var batch string
	fs := newFlags("search")
	f.register(fs, e)
	fs.BoolVar(&asJSON, "json", false, "")
	fs.BoolVar(&opt.All, "all", false, "")
	fs.IntVar(&opt.Limit, "limit", 20, "")
	fs.StringVar(&opt.Kind, "kind", "", "")
	fs.StringVar(&opt.Violation, "violation", "", "")
	fs.StringVar(&opt.Place, "place", "", "")
	fs.IntVar(&opt.From, "from", 0, "")
	fs.IntVar(&opt.To, "to", 0, "")
	fs.StringVar(&batch, "batch", "", "")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if batch == "" && len(rest) == 0 {
		return usagef("give a query, or --batch FILE")
	}
	if batch != "" && len(rest) > 0 {
		return usagef("give a query or --batch FILE, not both")
	}
	if opt.Limit < 1 || opt.Limit > 10000 {
		return usagef("--limit must be 1..10000")
	}
	opt.Open, opt.Shut = "[", "]"
	if asJSON {
		opt.Open, opt.Shut = "«", "»"
	} else if f, ok := e.stdout.(*os.File); ok && isTerminal(f) {
		opt.Open, opt.Shut = "\033[1m", "\033[0m"
	}
	var queries []string
	if batch != "" {
		b, err := os.ReadFile(batch)
		if err != nil {
			return usagef("--batch: %v", err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if q := strings.TrimSpace(line); q != "" {
				queries = append(queries, q)
			}
		}
	} else {
		queries = []string{strings.Join(rest, " ")}
	}
	a, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	// Text added since the last search is indexed first (Search would do it
	// too, silently); here a terminal sees the progress.
	if _, err := a.IndexPending(ctx, indexProgress(e)); err != nil {
		return err
	}
	w := bufio.NewWriter(e.stdout)
	defer w.Flush()
	enc := json.NewEncoder(w)
	for _, q := range queries {
		hits, err := a.Search(ctx, q, opt)
		if err != nil {
			if batch != "" {
				return fmt.Errorf("query %q: %w", q, err)
			}
			return err
		}
		switch {
		case asJSON && batch != "":
			if err := enc.Encode(map[string]any{"query": q, "hits": hits}); err != nil {
				return err
			}
		case asJSON:
			for _, h := range hits {
				if err := enc.Encode(h); err != nil {
					return err
				}
			}
		default:
			if batch != "" {
				fmt.Fprintf(w, "# %s\n", oneLine(q))
			}
			for _, h := range hits {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", h.Doc, h.Kind, oneLine(h.Title), oneLine(h.Snippet))
			}
		}
	}
	if batch == "" && !asJSON {
		return w.Flush()
	}
	return nil
}

// isTerminal reports whether f is a terminal (for highlighting).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
