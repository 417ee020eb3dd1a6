package textindex

import (
	"slices"
	"strings"
)

// Snippet cuts from text (one row) a passage of about width positions
// around the spans that match q, marks the matched spans with open and
// shut, and puts ellipsis where the passage is cut.
func Snippet(q Query, text, open, shut, ellipsis string, width int) string {
	return SnippetAt(q, text, -1, open, shut, ellipsis, width)
}

// snippetSlack is how many positions past at+width SnippetAt tokenizes:
// room for the last phrase that starts in the window, and for positions the
// index counted that the text given here lacks (a name masked since).
const snippetSlack = 24

// SnippetAt is Snippet for a row whose first match starts at position at
// (Match.At; -1: unknown). It tokenizes text only up to the window of
// width positions after at (a ~2 KiB passage is ~600 positions, and
// tokenizing them is most of a snippet's cost), and shows the window with
// the most matches among those that hold the first match or start before
// it. Where the text's own first match lies too far from at for that (the
// text differs from what the index read), or it finds none there, it
// tokenizes the whole text as Snippet does.
func SnippetAt(q Query, text string, at int, open, shut, ellipsis string, width int) string {
	return NewSnippeter(q).At(text, at, open, shut, ellipsis, width)
}

// A Snippeter cuts snippets for one query: what SnippetAt does, with the
// query's term sets made once for all its snippets. It is safe for
// concurrent use.
type Snippeter struct{ m *matcher }

// NewSnippeter prepares q's snippets.
func NewSnippeter(q Query) *Snippeter { return &Snippeter{newMatcher(q)} }

// At is SnippetAt for the Snippeter's query.
func (sn *Snippeter) At(text string, at int, open, shut, ellipsis string, width int) string {
	q := sn.m
	sc := rowScratches.Get().(*rowScratch)
	defer sc.release()
	if at >= 0 && at+width+snippetSlack <= MaxPos {
		limit := at + width + snippetSlack
		r, cut := analyzeRow(q, text, sc, limit)
		if !cut {
			return cutSnippet(r, text, -1, false, open, shut, ellipsis, width)
		}
		if first := firstSpanPos(r); first >= 0 && first+width <= limit {
			return cutSnippet(r, text, first, true, open, shut, ellipsis, width)
		}
	}
	r, _ := analyzeRow(q, text, sc, MaxPos+1)
	return cutSnippet(r, text, -1, false, open, shut, ellipsis, width)
}

// firstSpanPos is the position where r's first span starts (the last
// that starts at or before it: a bigram's position overlaps the next), or
// -1.
func firstSpanPos(r row) int {
	if len(r.spans) == 0 {
		return -1
	}
	p, _ := slices.BinarySearch(r.starts, r.spans[0][0]+1)
	return p - 1
}

// cutSnippet cuts the snippet from a tokenized row. With maxStart >= 0 the
// windows considered start at or before it; with more, text holds
// positions past the row's (it was tokenized only so far).
func cutSnippet(r row, text string, maxStart int, more bool, open, shut, ellipsis string, width int) string {
	spans, starts, ends := r.spans, r.starts, r.ends
	if len(starts) == 0 {
		return ""
	}
	// The window of width positions that holds the most span starts,
	// earliest first.
	best, bestN := 0, -1
	for w := 0; w < len(starts); w++ {
		if maxStart >= 0 && w > maxStart {
			break
		}
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
	last := hi == len(starts) && !more // the window reaches the end of text
	from, to := starts[lo], ends[hi-1]
	if lo == 0 {
		from = 0
	} else if i := strings.LastIndexAny(text[max(0, from-24):from], " \n\t"); i >= 0 {
		from = max(0, from-24) + i + 1 // start at the word's beginning
	}
	if last {
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
	if !last {
		b.WriteString(ellipsis)
	}
	return strings.TrimSpace(b.String())
}
