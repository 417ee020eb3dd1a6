package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"sori/bench/searchbench/brute"
)

// sets is what the brute-force scan expects for one query.
type sets struct {
	paras map[docPart]bool
	docs  map[string]bool
}

func newSets(ps []brute.Paragraph, idx []int) sets {
	s := sets{paras: map[docPart]bool{}, docs: map[string]bool{}}
	for _, i := range idx {
		s.paras[docPart{ps[i].Doc, ps[i].Part}] = true
		s.docs[ps[i].Doc] = true
	}
	return s
}

// result gathers everything measured for one query.
type result struct {
	q      brute.Query
	expect sets

	soriDocs         map[string]bool
	soriTop, soriAll []time.Duration

	grnParas                               map[docPart]bool
	grnDocs                                map[string]bool
	grnTop, grnAll, grnTopSelf, grnAllSelf []time.Duration
}

// score counts found, expected and returned items over queries.
type score struct {
	hit, want, got int
	complete, of   int // queries with full recall, queries with something expected
}

func (s *score) add(want, got map[string]bool) {
	n := 0
	for k := range want {
		if got[k] {
			n++
		}
	}
	s.hit += n
	s.want += len(want)
	s.got += len(got)
	if len(want) > 0 {
		s.of++
		if n == len(want) {
			s.complete++
		}
	}
}

func (s score) recall() string {
	if s.want == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f%% (%d/%d queries complete)", 100*float64(s.hit)/float64(s.want), s.complete, s.of)
}

func (s score) precision() string {
	if s.got == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f%%", 100*float64(s.hit)/float64(s.got))
}

func paraKeys(m map[docPart]bool) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[fmt.Sprintf("%s:%d", k.doc, k.part)] = true
	}
	return out
}

// percentile returns the nearest-rank p-th percentile of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(p/100*float64(len(s))+0.999999) - 1
	return s[max(0, min(len(s)-1, i))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

func ratio(a, b float64) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f", a/b)
}

func collect(qs []*result, f func(*result) []time.Duration) []time.Duration {
	var out []time.Duration
	for _, r := range qs {
		out = append(out, f(r)...)
	}
	return out
}

func report(w io.Writer, c config, paras, docs int, qs []*result) {
	var sori, grnDoc, grnPara score
	for _, r := range qs {
		sori.add(r.expect.docs, r.soriDocs)
		grnDoc.add(r.expect.docs, r.grnDocs)
		grnPara.add(paraKeys(r.expect.paras), paraKeys(r.grnParas))
	}
	fmt.Fprintf(w, "\n%d paragraphs in %d documents; %d queries, %d timed passes each; latency per query, in one process (sori: archive.Search after unlock; Groonga: command on a pipe to `groonga DB`, until the whole response is read)\n\n",
		paras, docs, len(qs), c.passes)
	fmt.Fprintln(w, "| | sori | Groonga | sori/Groonga |")
	fmt.Fprintln(w, "| --- | --- | --- | --- |")
	fmt.Fprintf(w, "| index build | %.1f s | %.1f s | %s |\n", c.soriBuild, c.groongaBuild, ratio(c.soriBuild, c.groongaBuild))
	type lat struct {
		name      string
		sori, grn func(*result) []time.Duration
		self      func(*result) []time.Duration
	}
	for _, l := range []lat{
		{"top 20", func(r *result) []time.Duration { return r.soriTop }, func(r *result) []time.Duration { return r.grnTop }, func(r *result) []time.Duration { return r.grnTopSelf }},
		{"all hits", func(r *result) []time.Duration { return r.soriAll }, func(r *result) []time.Duration { return r.grnAll }, func(r *result) []time.Duration { return r.grnAllSelf }},
	} {
		s, g, self := collect(qs, l.sori), collect(qs, l.grn), collect(qs, l.self)
		for _, p := range []float64{50, 99} {
			fmt.Fprintf(w, "| p%.0f, %s | %s | %s (self-reported %s) | %s |\n", p, l.name, ms(percentile(s, p)), ms(percentile(g, p)),
				ms(percentile(self, p)), ratio(float64(percentile(s, p)), float64(percentile(g, p))))
		}
	}
	fmt.Fprintf(w, "| recall, documents | %s | %s | |\n", sori.recall(), grnDoc.recall())
	fmt.Fprintf(w, "| precision, documents | %s | %s | |\n", sori.precision(), grnDoc.precision())
	fmt.Fprintf(w, "| recall, paragraphs | (sori returns documents) | %s | |\n", grnPara.recall())
	fmt.Fprintf(w, "| precision, paragraphs | | %s | |\n", grnPara.precision())

	fmt.Fprintln(w, "\nBy kind of query (documents; Groonga also paragraphs):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| kind | queries | sori recall | sori precision | sori p50 top 20 | Groonga recall | Groonga precision | Groonga p50 top 20 | Groonga paragraph recall |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, kind := range []string{brute.Korean1, brute.Korean2, brute.Korean3, brute.Latin, brute.NameKo, brute.NameRom, brute.Mixed} {
		var s, g, gp score
		var st, gt []time.Duration
		n := 0
		for _, r := range qs {
			if r.q.Kind != kind {
				continue
			}
			n++
			s.add(r.expect.docs, r.soriDocs)
			g.add(r.expect.docs, r.grnDocs)
			gp.add(paraKeys(r.expect.paras), paraKeys(r.grnParas))
			st, gt = append(st, r.soriTop...), append(gt, r.grnTop...)
		}
		if n == 0 {
			continue
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", kind, n, s.recall(), s.precision(), ms(percentile(st, 50)),
			g.recall(), g.precision(), ms(percentile(gt, 50)), gp.recall())
	}
}

func writeDetail(path string, qs []*result) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "query\tkind\texpected_paras\texpected_docs\tsori_docs\tsori_missed\tsori_extra\tsori_p50_top_ms\tsori_p50_all_ms\tgroonga_paras\tgroonga_missed_paras\tgroonga_docs\tgroonga_missed_docs\tgroonga_p50_top_ms\tgroonga_p50_all_ms")
	for _, r := range qs {
		missed := func(want, got map[string]bool) (n int) {
			for k := range want {
				if !got[k] {
					n++
				}
			}
			return n
		}
		gm := missed(paraKeys(r.expect.paras), paraKeys(r.grnParas))
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%.2f\t%.2f\t%d\t%d\t%d\t%d\t%.2f\t%.2f\n", r.q.Text, r.q.Kind,
			len(r.expect.paras), len(r.expect.docs), len(r.soriDocs), missed(r.expect.docs, r.soriDocs), missed(r.soriDocs, r.expect.docs),
			float64(percentile(r.soriTop, 50))/1e6, float64(percentile(r.soriAll, 50))/1e6,
			len(r.grnParas), gm, len(r.grnDocs), missed(r.expect.docs, r.grnDocs),
			float64(percentile(r.grnTop, 50))/1e6, float64(percentile(r.grnAll, 50))/1e6)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
