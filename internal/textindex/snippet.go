package textindex

import (
	"slices"
	"strings"
)

// Snippet cuts from text (one row) a passage of about width positions
// around the spans that match q, marks the matched spans with open and
// shut, and puts ellipsis where the passage is cut.
func Snippet(q Query, text, open, shut, ellipsis string, width int) string {
	sc := rowScratches.Get().(*rowScratch)
	defer sc.release()
	r := analyzeRow(q, text, sc)
	spans, starts, ends := r.spans, r.starts, r.ends
	if len(starts) == 0 {
		return ""
	}
	// The window of width positions that holds the most span starts,
	// earliest first.
	best, bestN := 0, -1
	for w := 0; w < len(starts); w++ {
		lo, hi := starts[w], ends[min(w+width, len(starts))-1]
		n := 0
		for _, s := range spans {
			if s[0] >= lo && s[1] <= hi {
				n++
			}
		}
		if n > bestN {
			best, bestN = w, n
		}
		if w+width >= len(starts) {
			break
		}
	}
	// Put the window's first match about a third of the way in.
	lo := best
	for p := best; p < min(best+width, len(starts)); p++ {
		if slices.ContainsFunc(spans, func(s [2]int) bool { return s[0] >= starts[p] && s[0] < ends[p] }) {
			lo = max(0, p-width/3)
			break
		}
	}
	hi := min(lo+width, len(starts))
	from, to := starts[lo], ends[hi-1]
	if lo == 0 {
		from = 0
	} else if i := strings.LastIndexAny(text[max(0, from-24):from], " \n\t"); i >= 0 {
		from = max(0, from-24) + i + 1 // start at the word's beginning
	}
	if hi == len(starts) {
		to = len(text)
	} else if i := strings.IndexAny(text[to:min(len(text), to+24)], " \n\t"); i >= 0 {
		to += i // end at the word's end
	}
	for _, s := range spans {
		if s[0] < to && s[1] > to {
			to = s[1] // never cut a match
		}
	}
	var b strings.Builder
	if lo > 0 {
		b.WriteString(ellipsis)
	}
	at := from
	for _, s := range spans {
		if s[1] <= from || s[0] >= to {
			continue
		}
		s0, s1 := max(s[0], from), min(s[1], to)
		b.WriteString(text[at:s0])
		b.WriteString(open)
		b.WriteString(text[s0:s1])
		b.WriteString(shut)
		at = s1
	}
	b.WriteString(text[at:to])
	if hi < len(starts) {
		b.WriteString(ellipsis)
	}
	return strings.TrimSpace(b.String())
}
