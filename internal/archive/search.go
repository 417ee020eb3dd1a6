package archive

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"sori/internal/evidence"
	"sori/internal/hangul"
	"sori/internal/model"
	"sori/internal/store"
	"sori/internal/vocab"
)

// maxIndexText is the most text of one item that is indexed for search.
// Longer text files are stored whole but indexed by title only.
const maxIndexText = 8 << 20

// textCapture keeps the plaintext of an item as it streams past, as long
// as it looks like UTF-8 text and is not too long, for the search index.
type textCapture struct {
	buf  []byte
	dead bool
}

func (c *textCapture) Write(p []byte) {
	if c.dead {
		return
	}
	if len(c.buf)+len(p) > maxIndexText {
		c.buf, c.dead = nil, true
		return
	}
	c.buf = append(c.buf, p...)
	// Judge early so binary files are dropped after their first chunk.
	if len(c.buf) <= len(p) && !looksLikeText(c.buf, true) {
		c.buf, c.dead = nil, true
	}
}

func (c *textCapture) Text() string {
	if c.dead || !looksLikeText(c.buf, false) {
		return ""
	}
	return string(c.buf)
}

// looksLikeText: valid UTF-8 without NUL bytes (a rune cut at the end of a
// first chunk is allowed).
func looksLikeText(b []byte, partial bool) bool {
	if partial {
		for i := 0; i < 3 && len(b) > 0 && !utf8.Valid(b); i++ {
			b = b[:len(b)-1]
		}
	}
	return utf8.Valid(b) && !strings.ContainsRune(string(b), 0)
}

// partTarget is the size the index's text parts are gathered to: each
// part costs a row insert, so one row per line (transcripts are mostly
// short lines) made indexing dominate intake; ~2 KiB parts keep snippets
// local and ranking per passage.
const partTarget = 2048

// paragraphs splits text into the parts the index holds: consecutive
// non-empty lines gathered up to about partTarget bytes, a long line cut
// at a space near 4 KiB.
func paragraphs(text string) []string {
	var lines []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		for len(line) > 4096 {
			cut := strings.LastIndexByte(line[:4096], ' ')
			if cut < 1024 {
				cut = 4096
				for !utf8.RuneStart(line[cut]) {
					cut--
				}
			}
			lines = append(lines, line[:cut])
			line = strings.TrimSpace(line[cut:])
		}
		if line != "" {
			lines = append(lines, line)
		}
	}
	var out []string
	var b strings.Builder
	for _, l := range lines {
		if b.Len() > 0 && b.Len()+len(l) > partTarget {
			out = append(out, b.String())
			b.Reset()
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	if len(out) >= 1<<16-2 { // keep within the index's parts per document
		tail := strings.Join(out[1<<16-3:], "\n")
		out = append(out[:1<<16-3], tail)
	}
	return out
}

// itemDoc is the index entry of an item's record.
func itemDoc(rec evidence.ItemRecord) store.SearchDoc {
	title := rec.Title
	if rec.Filename != "" && rec.Filename != rec.Title {
		title += "\n" + rec.Filename
	}
	return store.SearchDoc{Doc: rec.Item.String(), Kind: string(rec.Kind), Title: title}
}

// recordDoc is the index entry of a model record.
func recordDoc(id evidence.ID, b model.Body) (store.SearchDoc, []string) {
	d := store.SearchDoc{Doc: id.String(), Kind: b.Kind()}
	var date *model.Date
	switch v := b.(type) {
	case *model.Testimony:
		d.Title, date = v.Title, &v.Date
		if v.Place != "" {
			d.Places = placeCodes([]string{v.Place})
		}
	case *model.Event:
		d.Title, date, d.Violations, d.Places = v.Title, &v.Date, v.Violations, placeCodes(v.Places)
	case *model.Act:
		d.Title, date, d.Violations = actTitle(v), &v.Date, []string{v.Violation}
		if v.Place != "" {
			d.Places = placeCodes([]string{v.Place})
		}
	case *model.Person:
		d.Title = strings.Join(v.Names, " / ")
	case *model.Place:
		d.Title = strings.Join(v.Names, " / ")
		if v.Gazetteer != "" {
			d.Places = []string{v.Gazetteer}
		}
	default:
		d.Title = b.Kind()
	}
	if date != nil {
		d.YearFrom, d.YearTo = date.Year(), date.LastYear()
	}
	return d, paragraphs(b.Text())
}

func actTitle(a *model.Act) string {
	if v, err := vocab.Get(vocab.Violations); err == nil {
		if t, ok := v.Term(a.Violation); ok {
			return t.Label("en") + " / " + t.Label("ko")
		}
	}
	return a.Violation
}

// placeCodes maps place names to gazetteer codes where the name is
// unambiguous, so that a filter by place finds them whatever the spelling.
func placeCodes(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if _, ok := vocab.PlaceByCode(n); ok {
			out = append(out, n)
			continue
		}
		if ps := vocab.FindPlace(n); len(ps) == 1 {
			out = append(out, ps[0].Code)
			continue
		}
		out = append(out, strings.ToLower(strings.Join(strings.Fields(n), "_")))
	}
	return out
}

// SearchOptions narrow a search.
type SearchOptions struct {
	Kind       string // item kind (transcript, audio, …) or record kind (event, person, …)
	Violation  string // vocabulary code or label; a parent code includes its children
	Place      string // gazetteer code or any spelling of a place name
	From, To   int    // years, inclusive; 0 = open
	Limit      int    // default 20
	Open, Shut string // snippet highlight markers
}

// Search finds items and records matching query (Korean, English or
// romanized names; see hangul.MatchExpr), best first (BM25), one hit per
// document with a snippet of its best part. Results pass through the same
// access check as every read.
func (a *Archive) Search(ctx context.Context, query string, opt SearchOptions) ([]store.Hit, error) {
	if err := a.allow(OpSearch); err != nil {
		return nil, err
	}
	expr := hangul.MatchExpr(query)
	if expr == "" {
		return nil, fmt.Errorf("%w: nothing to search for in %q", evidence.ErrInvalid, query)
	}
	q := store.SearchQuery{Match: expr, Kind: opt.Kind, From: opt.From, To: opt.To, Limit: opt.Limit, Open: opt.Open, Shut: opt.Shut,
		Allow: a.canRead}
	if opt.Violation != "" {
		v, err := vocab.Get(vocab.Violations)
		if err != nil {
			return nil, err
		}
		if t, ok := v.Term(opt.Violation); ok {
			q.Violation = t.Code
		} else if ts := v.Lookup(opt.Violation); len(ts) == 1 {
			q.Violation = ts[0].Code
		} else {
			return nil, fmt.Errorf("%w: violation %q is not a term of the violations vocabulary (see 'sori vocab violations')", evidence.ErrInvalid, opt.Violation)
		}
	}
	if opt.Place != "" {
		q.Place = placeCodes([]string{opt.Place})[0]
	}
	return a.db.Search(ctx, q)
}

// canRead is the access check every read of a document passes. Until roles
// arrive (the protection issue) every user of the archive may read all.
func (a *Archive) canRead(doc string) bool { return true }
