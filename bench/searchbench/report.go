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

	grn [2]grnResult // by shape (index in shapes)
}

// grnResult is what was measured of one query in one Groonga shape.
type grnResult struct {
	paras                      map[docPart]bool // shape file: part 0
	docs                       map[string]bool
	top, all, topSelf, allSelf []time.Duration
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
	fmt.Fprintf(w, "\n%d paragraphs in %d documents; %d queries, %d timed passes each; latency per query, in one process (sori: archive.Search after unlock; Groonga: command on a pipe to `groonga DB`, until the whole response is read)\n",
		paras, docs, len(qs), c.passes)
	for i, sh := range shapes {
		if c.groonga[i] != "" {
			reportShape(w, c, i, sh, qs)
		}
	}
}

// reportShape is the summary of sori beside Groonga in shape sh (index i).
func reportShape(w io.Writer, c config, i int, sh shape, qs []*result) {
	var sori, grnDoc, grnPara score
	for _, r := range qs {
		sori.add(r.expect.docs, r.soriDocs)
		grnDoc.add(r.expect.docs, r.grn[i].docs)
		grnPara.add(paraKeys(r.expect.paras), paraKeys(r.grn[i].paras))
	}
	fmt.Fprintf(w, "\n### Groonga one record per %s\n\n", sh.name)
	fmt.Fprintln(w, "| | sori | Groonga | sori/Groonga |")
	fmt.Fprintln(w, "| --- | --- | --- | --- |")
	fmt.Fprintf(w, "| index build | %.1f s | %.1f s | %s |\n", c.soriBuild, c.groongaBuild[i], ratio(c.soriBuild, c.groongaBuild[i]))
	type lat struct {
		name      string
		sori, grn func(*result) []time.Duration
		self      func(*result) []time.Duration
	}
	for _, l := range []lat{
		{"top 20", func(r *result) []time.Duration { return r.soriTop }, func(r *result) []time.Duration { return r.grn[i].top }, func(r *result) []time.Duration { return r.grn[i].topSelf }},
		{"all hits", func(r *result) []time.Duration { return r.soriAll }, func(r *result) []time.Duration { return r.grn[i].all }, func(r *result) []time.Duration { return r.grn[i].allSelf }},
	} {
		s, g, self := collect(qs, l.sori), collect(qs, l.grn), collect(qs, l.self)
		for _, p := range []float64{50, 99} {
			fmt.Fprintf(w, "| p%.0f, %s | %s | %s (self-reported %s) | %s |\n", p, l.name, ms(percentile(s, p)), ms(percentile(g, p)),
				ms(percentile(self, p)), ratio(float64(percentile(s, p)), float64(percentile(g, p))))
		}
		fmt.Fprintf(w, "| total, %s | %s | %s | %s |\n", l.name, secs(sum(s)), secs(sum(g)), ratio(float64(sum(s)), float64(sum(g))))
	}
	fmt.Fprintf(w, "| recall, documents | %s | %s | |\n", sori.recall(), grnDoc.recall())
	fmt.Fprintf(w, "| precision, documents | %s | %s | |\n", sori.precision(), grnDoc.precision())
	if sh == perParagraph {
		fmt.Fprintf(w, "| recall, paragraphs | (sori returns documents) | %s | |\n", grnPara.recall())
		fmt.Fprintf(w, "| precision, paragraphs | | %s | |\n", grnPara.precision())
	}

	fmt.Fprintf(w, "\nBy kind of query, Groonga one record per %s (documents; Groonga also paragraphs):\n\n", sh.name)
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
			g.add(r.expect.docs, r.grn[i].docs)
			gp.add(paraKeys(r.expect.paras), paraKeys(r.grn[i].paras))
			st, gt = append(st, r.soriTop...), append(gt, r.grn[i].top...)
		}
		if n == 0 {
			continue
		}
		pr := gp.recall()
		if sh == perFile {
			pr = "—"
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", kind, n, s.recall(), s.precision(), ms(percentile(st, 50)),
			g.recall(), g.precision(), ms(percentile(gt, 50)), pr)
	}
}

func sum(ds []time.Duration) (t time.Duration) {
	for _, d := range ds {
		t += d
	}
	return t
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func writeDetail(path string, qs []*result) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprint(w, "query\tkind\texpected_paras\texpected_docs\tsori_docs\tsori_missed\tsori_extra\tsori_p50_top_ms\tsori_p50_all_ms")
	for _, sh := range shapes {
		p := "groonga_" + sh.name + "_"
		fmt.Fprintf(w, "\t%sparas\t%smissed_paras\t%sdocs\t%smissed_docs\t%sp50_top_ms\t%sp50_all_ms", p, p, p, p, p, p)
	}
	fmt.Fprintln(w)
	for _, r := range qs {
		missed := func(want, got map[string]bool) (n int) {
			for k := range want {
				if !got[k] {
					n++
				}
			}
			return n
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%.2f\t%.2f", r.q.Text, r.q.Kind,
			len(r.expect.paras), len(r.expect.docs), len(r.soriDocs), missed(r.expect.docs, r.soriDocs), missed(r.soriDocs, r.expect.docs),
			float64(percentile(r.soriTop, 50))/1e6, float64(percentile(r.soriAll, 50))/1e6)
		for _, g := range r.grn {
			// A shape not measured has empty sets and no times.
			fmt.Fprintf(w, "\t%d\t%d\t%d\t%d\t%.2f\t%.2f", len(g.paras), missed(paraKeys(r.expect.paras), paraKeys(g.paras)),
				len(g.docs), missed(r.expect.docs, g.docs), float64(percentile(g.top, 50))/1e6, float64(percentile(g.all, 50))/1e6)
		}
		fmt.Fprintln(w)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
