package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"sori/internal/evidence"
	"sori/internal/vocab"
)

var vocabCmd = &command{
	name:    "vocab",
	summary: "list the controlled vocabularies and their terms",
	usage: `
Usage: sori vocab [--json] [NAME [LABEL]]

Without NAME, lists the vocabularies, one per line:
  NAME<TAB>VERSION<TAB>EN<TAB>KO
With NAME, lists its terms in display order (parents before children):
  CODE<TAB>EN<TAB>KO
With LABEL too, only the terms LABEL names: a code, or an English,
Korean, DPRK or alternative label, ignoring case, spacing, punctuation and
diacritics — what record commands accept in place of a code. Exit 1 when
none matches.

With --json, one object per line: {"name","version","en","ko","terms"} for
vocabularies; for terms every field of the term ({"code","en","ko",
"ko_kp"?,"alt"?,"parent"?,"basis","source"?,"note"?,"cah"?,"maps"?}).
No archive is needed. Places are in the gazetteer: see 'sori place'.

Examples:
  sori vocab
  sori vocab violations
  sori vocab violations 공개처형
  sori vocab --json admiralty_source
`,
	run: runVocab,
}

func runVocab(ctx context.Context, e *env, args []string) error {
	var asJSON bool
	fs := newFlags("vocab")
	fs.BoolVar(&asJSON, "json", false, "")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	set, err := vocab.Load()
	if err != nil {
		return err
	}
	enc := json.NewEncoder(e.stdout)
	switch len(rest) {
	case 0:
		for _, n := range set.Names() {
			v, _ := set.Vocabulary(n)
			if asJSON {
				err = enc.Encode(map[string]any{"name": v.Name, "version": v.Version, "en": v.EN, "ko": v.KO, "terms": len(v.Terms)})
			} else {
				_, err = fmt.Fprintf(e.stdout, "%s\t%s\t%s\t%s\n", v.Name, v.Version, v.EN, v.KO)
			}
			if err != nil {
				return err
			}
		}
		return nil
	case 1, 2:
	default:
		return usagef("give a vocabulary and at most one label (quote a label with spaces)")
	}
	if rest[0] == "places" || rest[0] == "gazetteer" {
		return usagef("places are in the gazetteer: use 'sori place find NAME' or 'sori place ls --gazetteer'")
	}
	v, err := set.Vocabulary(rest[0])
	if err != nil {
		return usagef("unknown vocabulary %q: have %s", rest[0], strings.Join(set.Names(), ", "))
	}
	terms := v.Terms
	if len(rest) == 2 {
		if terms = v.Lookup(rest[1]); len(terms) == 0 {
			return fmt.Errorf("%w: no term of %s is called %q", evidence.ErrNotFound, v.Name, rest[1])
		}
	}
	for _, t := range terms {
		if asJSON {
			err = enc.Encode(t)
		} else {
			_, err = fmt.Fprintf(e.stdout, "%s\t%s\t%s\n", t.Code, t.EN, t.KO)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
