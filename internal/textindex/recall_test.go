package textindex

import (
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"sori/internal/gen"
	"sori/internal/hangul"
)

// nameSpellings returns a person's name as "surname given" in each
// romanization sori reads: RR (hyphenated and joined), MR (with breves and
// ASCII), DPRK, the popular surname spelling, and, for queries only
// (documents are not keyed for them), Yale and RR transliteration.
func nameSpellings(t *testing.T, p gen.Person) (docForms, queryOnly []string) {
	t.Helper()
	add := func(to *[]string, s string) {
		if s != "" && !slices.Contains(docForms, s) && !slices.Contains(queryOnly, s) {
			*to = append(*to, s)
		}
	}
	for _, sys := range []hangul.System{hangul.RR, hangul.MR, hangul.DPRK} {
		for _, o := range []hangul.NameOptions{{Hyphen: true}, {}, {ASCII: true}, {Hyphen: true, ASCII: true}} {
			s, err := hangul.RomanizeName(p.Hangul, sys, o)
			if err != nil {
				t.Fatal(err)
			}
			add(&docForms, s)
		}
	}
	for _, s := range p.Spelling {
		add(&docForms, s)
	}
	sur, given, _ := hangul.SplitName(p.Hangul)
	title := func(s string) string { return strings.ToUpper(s[:1]) + s[1:] }
	add(&queryOnly, title(hangul.Yale(sur))+" "+title(hangul.Yale(given)))
	add(&queryOnly, title(hangul.RRTransliterate(sur))+" "+title(hangul.RRTransliterate(given)))
	return docForms, queryOnly
}

// punctuated writes "surname given" the ways lists and prose do.
func punctuated(name string) []string {
	sur, given, _ := strings.Cut(name, " ")
	return []string{
		sur + ", " + given, // SURNAME, Given (victim lists, bibliographies)
		strings.ToUpper(sur) + ", " + given,
		given + " " + sur + ".",                  // Given Surname.
		"(" + sur + " " + given + ")",            // (Surname Given)
		sur + " " + given + ".",                  // Surname Given.
		"\u201c" + sur + " " + given + ",\u201d", // “Surname Given,”
	}
}

// TestNameRecallPunctuation measures, over 300 generated persons, whether
// a name written with punctuation around it in any romanization finds the
// person: as a query, every document about them (Korean text with the
// Hangul name, English text with each romanization in punctuation); and
// the Hangul name as a query, every such English document. Issue 15 asks
// for 99.5% at least.
func TestNameRecallPunctuation(t *testing.T) {
	people := gen.People(15, 300)
	var docs []string
	rowsOf := make([][]uint64, len(people))
	var queries [][]string
	for i, p := range people {
		docs = append(docs, "증언자 "+p.Hangul+"는 1998년 국경을 넘다가 붙잡혔다.")
		rowsOf[i] = append(rowsOf[i], uint64(len(docs)))
		docForms, queryOnly := nameSpellings(t, p)
		var qs []string
		for j, f := range docForms {
			pf := punctuated(f)
			docs = append(docs, "The list reads: "+pf[j%len(pf)]+" was taken away.")
			rowsOf[i] = append(rowsOf[i], uint64(len(docs)))
			qs = append(qs, pf...)
		}
		for _, f := range queryOnly {
			qs = append(qs, punctuated(f)...)
		}
		queries = append(queries, qs)
	}
	m, st := index(docs, 500)
	run := func(q string) []uint64 {
		cq, err := Compile(hangul.MatchExpr(q))
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		got, err := Eval(cq, m, st)
		if err != nil {
			t.Fatal(err)
		}
		rows := make([]uint64, len(got))
		for i, g := range got {
			rows[i] = g.Row
		}
		return rows
	}
	var pairs, found, nq, extra int
	var misses []string
	check := func(q string, want []uint64) {
		got := run(q)
		nq++
		for _, w := range want {
			pairs++
			if slices.Contains(got, w) {
				found++
			} else if len(misses) < 20 {
				misses = append(misses, fmt.Sprintf("%q (%s) misses %q", q, hangul.MatchExpr(q), docs[w-1]))
			}
		}
		for _, g := range got {
			if !slices.Contains(want, g) {
				extra++
			}
		}
	}
	// Under the race detector (ten times slower) every fifth query form.
	step := 1
	if raceEnabled() {
		step = 5
	}
	for i, p := range people {
		check(p.Hangul, rowsOf[i])
		for j := i % step; j < len(queries[i]); j += step {
			check(queries[i][j], rowsOf[i])
		}
	}
	recall := float64(found) / float64(pairs)
	t.Logf("%d persons, %d documents, %d queries: %d of %d query/document pairs found (recall %.3f%%); %.2f other documents per query",
		len(people), len(docs), nq, found, pairs, 100*recall, float64(extra)/float64(nq))
	for _, s := range misses {
		t.Log(s)
	}
	if recall < 0.995 {
		t.Errorf("recall %.3f%% is below 99.5%%", 100*recall)
	}
}

func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	return ok && slices.ContainsFunc(bi.Settings, func(s debug.BuildSetting) bool { return s.Key == "-race" && s.Value == "true" })
}
