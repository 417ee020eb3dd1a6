package main

import (
	"context"
	"fmt"

	"sori/internal/gen"
)

var genCmd = &command{
	name:    "gen",
	summary: "write a deterministic synthetic corpus (tests and benchmarks)",
	usage: `
Usage: sori gen --paragraphs N [--seed S] [--per-file K] --out DIR

Writes a synthetic corpus of testimony-shaped paragraphs, one per line, in
Korean (DIR/ko/*.txt) and English (DIR/en/*.txt), K paragraphs per file
(default 100), about invented people whose names appear in Hangul (North
and South spellings) and in several romanizations, real public place names,
and dates of varied precision. Also DIR/people.tsv (each invented person's
spellings) and DIR/queries.txt (200 queries: 1-, 2-, 3-syllable Korean,
English words, names). The same N and S always give the same bytes; it
scales to millions of paragraphs. Everything in it is invented. No archive
is needed.

Examples:
  sori gen --paragraphs 10000 --seed 1 --out /tmp/corpus
  sori add /tmp/corpus/ko /tmp/corpus/en
`,
	run: runGen,
}

func runGen(ctx context.Context, e *env, args []string) error {
	var opt gen.Options
	var out string
	fs := newFlags("gen")
	fs.IntVar(&opt.Paragraphs, "paragraphs", 0, "")
	fs.Uint64Var(&opt.Seed, "seed", 1, "")
	fs.IntVar(&opt.PerFile, "per-file", 100, "")
	fs.StringVar(&out, "out", "", "")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	if out == "" || opt.Paragraphs < 1 || opt.PerFile < 1 {
		return usagef("give --paragraphs N (≥ 1) and --out DIR")
	}
	c, err := gen.Write(out, opt)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s\t%d files\t%d paragraphs\t%d bytes\n", out, c.Files, c.Paragraphs, c.Bytes)
	return nil
}
