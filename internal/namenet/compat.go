package namenet

import (
	"golang.org/x/text/unicode/norm"
)

// Compatibility forms. A name can be written in characters that look or
// read the same but are other code points: fullwidth Latin (Ｃｈｏｉ),
// compatibility jamo, circled or styled letters. Find reads the text's
// NFKC normalization, where those become the ordinary letters, and maps
// every span back to the bytes of the text as given.

// compatText is text in NFKC with, for each byte of it, the span of the
// original text it came from.
type compatText struct {
	text       string
	start, end []int32 // per byte of text: the original segment's bounds
}

// toCompat returns the NFKC form of text with its map, or ok=false when
// text is already in NFKC (spans then need no mapping).
func toCompat(text string) (compatText, bool) {
	if norm.NFKC.IsNormalString(text) {
		return compatText{}, false
	}
	c := compatText{
		start: make([]int32, 0, len(text)+len(text)/4),
		end:   make([]int32, 0, len(text)+len(text)/4),
	}
	out := make([]byte, 0, len(text)+len(text)/4)
	for i := 0; i < len(text); {
		n := norm.NFKC.NextBoundaryInString(text[i:], true)
		if n <= 0 {
			n = len(text) - i
		}
		seg := norm.NFKC.String(text[i : i+n])
		out = append(out, seg...)
		for range len(seg) {
			c.start = append(c.start, int32(i))
			c.end = append(c.end, int32(i+n))
		}
		i += n
	}
	c.text = string(out)
	return c, true
}

// back maps spans of c.text to spans of the original text, merging any
// that come to overlap.
func (c compatText) back(spans []Span) []Span {
	out := spans[:0]
	for _, s := range spans {
		o := Span{Start: int(c.start[s.Start]), End: int(c.end[s.End-1]), Label: s.Label}
		if n := len(out); n > 0 && o.Start < out[n-1].End {
			if o.End > out[n-1].End {
				out[n-1].End = o.End
			}
			continue
		}
		out = append(out, o)
	}
	return out
}
