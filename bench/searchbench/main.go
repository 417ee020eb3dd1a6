// Command searchbench is the measuring half of bench/search.sh: it writes
// the Groonga load script for a `sori gen` corpus, and it times the
// corpus's 200 queries against an archive (archive.Search, in process,
// after the one-time unlock) and against a Groonga database (a `groonga DB`
// process on pipes), and scores both against a brute-force scan
// (package brute).
//
//	searchbench grn -corpus DIR [-shape paragraph|file] > load.grn
//	searchbench run -corpus DIR -archive DIR -groonga DB [-groonga-file DB]
//	                [-passes N] [-sori-build SECONDS] [-groonga-build SECONDS]
//	                [-groonga-file-build SECONDS] [-detail FILE] [-cpuprofile FILE]
//	searchbench mem -db FILE [-build -docs N] [-queries 'q1,q2,…']   (see mem.go)
//
// Groonga holds the corpus in one of two shapes (see shape): -groonga is
// the database of one record per paragraph, -groonga-file the one of one
// record per file; run reports sori beside each it is given. sori's
// archive is the same for both (an item per file, indexed by paragraph).
//
// run reads the passphrase from $SORI_PASSPHRASE and prints a Markdown
// summary on standard output; -detail writes one TSV line per query.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"sori/bench/searchbench/brute"
	"sori/internal/archive"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: searchbench grn|run|mem [flags] (see the source)")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "grn":
		err = runGrn(os.Args[2:])
	case "run":
		err = runBench(context.Background(), os.Args[2:])
	case "mem":
		err = runMem(context.Background(), os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "searchbench:", err)
		os.Exit(1)
	}
}

func runGrn(args []string) error {
	fs := flag.NewFlagSet("grn", flag.ExitOnError)
	corpus := fs.String("corpus", "", "`sori gen` output directory")
	shapeName := fs.String("shape", "paragraph", "Groonga record per `paragraph` or per file")
	fs.Parse(args)
	sh, err := shapeNamed(*shapeName)
	if err != nil {
		return err
	}
	ps, err := brute.Load(*corpus)
	if err != nil {
		return err
	}
	if len(ps) == 0 {
		return errors.New("empty corpus")
	}
	return writeGroongaLoad(os.Stdout, ps, sh)
}

// allHits is the limit that returns every hit.
const allHits = 1 << 30

// topN is the interactive result size (`sori search`'s default).
const topN = 20

type config struct {
	corpus, archive, detail, profile string
	groonga                          [2]string  // database by shape (index in shapes); "" not measured
	groongaBuild                     [2]float64 // seconds its load and index took
	passes                           int
	soriBuild                        float64
}

func runBench(ctx context.Context, args []string) error {
	var c config
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	fs.StringVar(&c.corpus, "corpus", "", "`sori gen` output directory")
	fs.StringVar(&c.archive, "archive", "", "sori archive holding the corpus")
	fs.StringVar(&c.groonga[0], "groonga", "", "Groonga database holding the corpus, a record per paragraph")
	fs.StringVar(&c.groonga[1], "groonga-file", "", "Groonga database holding the corpus, a record per file")
	fs.StringVar(&c.detail, "detail", "", "write per-query results (TSV) to this file")
	fs.StringVar(&c.profile, "cpuprofile", "", "write a CPU profile of sori's timed queries")
	fs.IntVar(&c.passes, "passes", 3, "timed passes over the queries")
	fs.Float64Var(&c.soriBuild, "sori-build", 0, "seconds `sori add` took (for the summary)")
	fs.Float64Var(&c.groongaBuild[0], "groonga-build", 0, "seconds Groonga's load and index took, a record per paragraph (for the summary)")
	fs.Float64Var(&c.groongaBuild[1], "groonga-file-build", 0, "seconds Groonga's load and index took, a record per file (for the summary)")
	fs.Parse(args)
	if c.corpus == "" || c.archive == "" || c.groonga == [2]string{} {
		return errors.New("run needs -corpus, -archive and -groonga or -groonga-file")
	}

	people, err := brute.ReadPeople(filepath.Join(c.corpus, "people.tsv"))
	if err != nil {
		return err
	}
	qb, err := os.ReadFile(filepath.Join(c.corpus, "queries.txt"))
	if err != nil {
		return err
	}
	var qs []*result
	for _, line := range strings.Split(string(qb), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			q := brute.Compile(line, people)
			qs = append(qs, &result{q: q})
		}
	}

	// Both are timed before the brute-force reference is loaded: its
	// corpus is most of a gigabyte of strings (a million paragraphs, three
	// forms of each), and collecting it took a core for 0.2-0.3 s at a time
	// in the middle of the timed passes, sori's (in this process) and the
	// reading of Groonga's responses.
	if err := benchSori(ctx, c, qs); err != nil {
		return err
	}
	for i, db := range c.groonga {
		if db == "" {
			continue
		}
		if err := benchGroonga(db, shapes[i], c.passes, qs, func(r *result) *grnResult { return &r.grn[i] }); err != nil {
			return err
		}
	}

	t0 := time.Now()
	ps, err := brute.Load(c.corpus)
	if err != nil {
		return err
	}
	docs := map[string]bool{}
	for _, p := range ps {
		docs[p.Doc] = true
	}
	fmt.Fprintf(os.Stderr, "searchbench: %d paragraphs in %d documents, %d queries, loaded in %.1f s\n",
		len(ps), len(docs), len(qs), time.Since(t0).Seconds())
	t0 = time.Now()
	for _, r := range qs {
		r.expect = newSets(ps, brute.Scan(&r.q, ps))
	}
	fmt.Fprintf(os.Stderr, "searchbench: brute-force scan of %d queries in %.1f s\n", len(qs), time.Since(t0).Seconds())
	report(os.Stdout, c, len(ps), len(docs), qs)
	if c.detail != "" {
		return writeDetail(c.detail, qs)
	}
	return nil
}

func benchSori(ctx context.Context, c config, qs []*result) error {
	pass := os.Getenv("SORI_PASSPHRASE")
	if pass == "" {
		return errors.New("set SORI_PASSPHRASE")
	}
	t0 := time.Now()
	a, err := archive.Open(ctx, c.archive, "", pass, archive.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	fmt.Fprintf(os.Stderr, "searchbench: sori archive unlocked in %.2f s (not counted)\n", time.Since(t0).Seconds())
	// Untimed pass: every hit, for recall (it also warms the page cache).
	for _, r := range qs {
		hits, err := a.Search(ctx, r.q.Text, archive.SearchOptions{Limit: allHits, NoSnippets: true, NoCache: true})
		if err != nil {
			return fmt.Errorf("sori: query %q: %w", r.q.Text, err)
		}
		r.soriDocs = map[string]bool{}
		for _, h := range hits {
			doc, _, _ := strings.Cut(h.Title, "\n")
			r.soriDocs[doc] = true
		}
	}
	if c.profile != "" {
		f, err := os.Create(c.profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	for range c.passes {
		for _, mode := range []struct {
			limit int
			times func(*result) *[]time.Duration
		}{
			{topN, func(r *result) *[]time.Duration { return &r.soriTop }},
			{allHits, func(r *result) *[]time.Duration { return &r.soriAll }},
		} {
			for _, r := range qs {
				t := time.Now()
				// Like Groonga's two shapes: the top 20 with snippets, every
				// hit without.
				_, err := a.Search(ctx, r.q.Text, archive.SearchOptions{Limit: mode.limit, Open: "<b>", Shut: "</b>", NoSnippets: mode.limit == allHits, NoCache: true})
				d := time.Since(t)
				if err != nil {
					return err
				}
				*mode.times(r) = append(*mode.times(r), d)
			}
		}
	}
	return nil
}

// benchGroonga measures the Groonga database db, of shape sh, into the
// grnResult that at picks of each query.
func benchGroonga(db string, sh shape, passes int, qs []*result, at func(*result) *grnResult) error {
	g, err := startGroonga(db)
	if err != nil {
		return err
	}
	defer g.close()
	for _, r := range qs {
		resp, _, _, err := g.do(selectAll(sh, r.q.Text))
		if err != nil {
			return err
		}
		rows, err := parseRows(resp)
		if err != nil {
			return err
		}
		gr := at(r)
		gr.paras = map[docPart]bool{}
		gr.docs = map[string]bool{}
		for _, row := range rows {
			gr.paras[row] = true
			gr.docs[row.doc] = true
		}
	}
	for range passes {
		for _, r := range qs {
			_, wall, self, err := g.do(selectTop(sh, r.q.Text, topN))
			if err != nil {
				return err
			}
			gr := at(r)
			gr.top = append(gr.top, wall)
			gr.topSelf = append(gr.topSelf, self)
		}
		for _, r := range qs {
			_, wall, self, err := g.do(selectAll(sh, r.q.Text))
			if err != nil {
				return err
			}
			gr := at(r)
			gr.all = append(gr.all, wall)
			gr.allSelf = append(gr.allSelf, self)
		}
	}
	return nil
}
