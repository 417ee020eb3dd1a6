package archive

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"sori/internal/evidence"
	"sori/internal/store"
)

// Selections (docs/deploy.md, "Selecting text"): a person reading a transcript in a browser
// selects a passage to redact or annotate. The browser knows only the text
// it was shown — masked by the disclosure guard for a session without the
// protection role, with line ends as an HTML parser leaves them — and
// counts characters; redaction and annotation records count bytes of the
// item's original. SelectionSpan relates the two without letting the text
// under a mask out of the archive.

// Selection is a passage of a text item as the session was shown it.
type Selection struct {
	// Start and End count characters (Unicode code points) of the shown
	// text, End exclusive.
	Start, End int
	// Text is the passage as the browser read it: it MUST equal the shown
	// text from Start to End, or the selection is refused.
	Text string
	// SHA256, if not zero, is the item's digest as the page showed it.
	SHA256 evidence.Digest
}

// shownChar is one character of the shown text: the byte span [from, to)
// of the original it stands for (a character of a mask stands for the
// whole masked name; a CR LF shown as one line feed for both bytes).
type shownChar struct {
	from, to int
	r        rune
	masked   bool
}

// eachShown calls fn for every character of the text a session is shown of
// b, given the spans of b the guard masks (sorted, not overlapping), until
// fn returns false. The shown text is what Open gives, as an HTML parser
// reads it: CR LF and a lone CR become one line feed.
func eachShown(b []byte, masks []NameSpan, fn func(i int, c shownChar) bool) {
	i, at := 0, 0
	next := func(end int) bool {
		for at < end {
			r, n := utf8.DecodeRune(b[at:])
			c := shownChar{from: at, to: at + n, r: r}
			if r == '\r' {
				c.r = '\n'
				if at+1 < end && b[at+1] == '\n' {
					c.to++
				}
			}
			at = c.to
			if !fn(i, c) {
				return false
			}
			i++
		}
		return true
	}
	for _, m := range masks {
		if !next(m.Start) {
			return
		}
		for _, r := range Mask {
			if !fn(i, shownChar{from: m.Start, to: m.End, r: r, masked: true}) {
				return
			}
			i++
		}
		at = m.End
	}
	next(len(b))
}

// shownSource reads a text item's original bytes (checked against its
// digest) and where the session's guard masks them. The caller clears the
// bytes when done. Only roles that may redact (and so annotate) come here:
// offsets into the original are what they write.
func (a *Archive) shownSource(ctx context.Context, ref string) (store.Item, []byte, []NameSpan, error) {
	if err := a.allow(OpRedact); err != nil {
		return store.Item{}, nil, nil, err
	}
	id, err := a.Resolve(ctx, ref)
	if err != nil {
		return store.Item{}, nil, nil, err
	}
	it, err := a.db.Item(ctx, id)
	if err != nil {
		return it, nil, nil, err
	}
	if it.Size > maxRedactText {
		return it, nil, nil, fmt.Errorf("%w: item %s is larger than a transcript", evidence.ErrInvalid, id)
	}
	b, err := a.itemBytes(ctx, it)
	if err != nil {
		return it, nil, nil, err
	}
	if !looksLikeText(b) {
		clear(b)
		return it, nil, nil, fmt.Errorf("%w: item %s is not UTF-8 text", evidence.ErrInvalid, id)
	}
	if a.sees() {
		return it, b, nil, nil
	}
	d, err := a.disclosure(ctx)
	if err != nil {
		clear(b)
		return it, nil, nil, err
	}
	var masks []NameSpan
	if !d.g.Empty() && mayName(string(b)) {
		masks = d.g.Find(string(b))
	}
	return it, b, masks, nil
}

// SelectionSpan maps sel, a passage of text item ref as this session is
// shown it, to byte offsets [start, end) of the item's original, for
// AddRedaction or an annotation. It refuses, with an error wrapping
// evidence.ErrInvalid that repeats no text, a selection that is empty or
// blank, lies outside the text, touches a mask (the name under it is not
// the session's to place), or whose Text or SHA256 differs from what the
// item shows now (the page was out of date). It changes nothing.
func (a *Archive) SelectionSpan(ctx context.Context, ref string, sel Selection) (start, end int, err error) {
	it, b, masks, err := a.shownSource(ctx, ref)
	if err != nil {
		return 0, 0, err
	}
	defer clear(b)
	if sel.SHA256 != (evidence.Digest{}) && sel.SHA256 != it.SHA256 {
		return 0, 0, fmt.Errorf("%w: item %s is not the one the page showed: reload it and select again; nothing was changed", evidence.ErrInvalid, it.ID)
	}
	if sel.Start < 0 || sel.End <= sel.Start || strings.TrimSpace(sel.Text) == "" {
		return 0, 0, fmt.Errorf("%w: select some text of item %s first; nothing was changed", evidence.ErrInvalid, it.ID)
	}
	var shown strings.Builder
	start, end = -1, -1
	crossed := false
	eachShown(b, masks, func(i int, c shownChar) bool {
		if i >= sel.End {
			return false
		}
		if i < sel.Start {
			return true
		}
		if c.masked {
			crossed = true
			return false
		}
		if i == sel.Start {
			start = c.from
		}
		shown.WriteRune(c.r)
		end = c.to
		return i < sel.End-1
	})
	switch {
	case crossed:
		return 0, 0, fmt.Errorf("%w: the selection crosses a masked name (%s) of item %s: select the text before or after it; nothing was changed", evidence.ErrInvalid, Mask, it.ID)
	case start < 0 || utf8.RuneCountInString(shown.String()) != sel.End-sel.Start:
		return 0, 0, fmt.Errorf("%w: the selection %d:%d lies outside the text of item %s; nothing was changed", evidence.ErrInvalid, sel.Start, sel.End, it.ID)
	case shown.String() != sel.Text:
		return 0, 0, fmt.Errorf("%w: the selected text does not match item %s as it is shown now (the page is out of date, or the text changed under it): reload the page and select again; nothing was changed", evidence.ErrInvalid, it.ID)
	}
	return start, end, nil
}

// ShownSpans maps byte spans of text item ref's original (redactions,
// annotations) to character offsets of the text this session is shown of
// it, so that a page can mark them: each span becomes the shown characters
// that stand for bytes within it (a mask inside it included). A span that
// covers no whole shown character is [0, 0). Bytes are read, not changed.
func (a *Archive) ShownSpans(ctx context.Context, ref string, spans [][2]int) ([][2]int, error) {
	_, b, masks, err := a.shownSource(ctx, ref)
	if err != nil {
		return nil, err
	}
	defer clear(b)
	out := make([][2]int, len(spans))
	for k := range out {
		out[k] = [2]int{-1, -1}
	}
	eachShown(b, masks, func(i int, c shownChar) bool {
		for k, sp := range spans {
			if c.from >= sp[0] && c.to <= sp[1] {
				if out[k][0] < 0 {
					out[k][0] = i
				}
				out[k][1] = i + 1
			}
		}
		return true
	})
	for k := range out {
		if out[k][0] < 0 {
			out[k] = [2]int{}
		}
	}
	return out, nil
}
