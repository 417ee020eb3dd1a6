package store

import "sori/internal/textindex"

// HitSnippet cuts the snippet of hit h, as RunSearch does, from text: its
// title (part 0) or its part's text. q is the hit's query, compiled; open
// and shut mark the matches. For a caller that ranks without snippets and
// cuts them afterwards only for the hits it shows.
func HitSnippet(q textindex.Query, h Hit, text, open, shut string) string {
	return textindex.SnippetAt(q, text, h.At, open, shut, "…", snippetWidth)
}
