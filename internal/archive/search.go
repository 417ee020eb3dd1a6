package archive

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"sori/internal/evidence"
	"sori/internal/hangul"
	"sori/internal/model"
	"sori/internal/store"
	"sori/internal/textindex"
	"sori/internal/vocab"
)

// maxIndexText is the most text of one item that is indexed for search.
// Longer text files are stored whole but indexed by title only.
const maxIndexText = 8 << 20

// textCheck decides, as an item streams past, whether it is UTF-8 text
// without NUL bytes and short enough (maxIndexText) to index for search.
// It keeps only the bytes of a rune cut between two chunks.
type textCheck struct {
	n     int64
	carry []byte
	buf   []byte
	dead  bool
}

func (c *textCheck) Write(p []byte) {
	if c.dead {
		return
	}
	c.n += int64(len(p))
	if c.n > maxIndexText || bytes.IndexByte(p, 0) >= 0 {
		c.dead = true
		return
	}
	b := p
	if len(c.carry) > 0 {
		c.buf = append(append(c.buf[:0], c.carry...), p...)
		b = c.buf
	}
	// Hold back a rune cut at the end of the chunk.
	cut := len(b)
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				cut = i
			}
			break
		}
	}
	if !utf8.Valid(b[:cut]) {
		c.dead = true
		return
	}
	c.carry = append(c.carry[:0], b[cut:]...)
}

// Text reports whether everything written was text to index.
func (c *textCheck) Text() bool { return !c.dead && len(c.carry) == 0 }

// looksLikeText: valid UTF-8 without NUL bytes.
func looksLikeText(b []byte) bool {
	return utf8.Valid(b) && bytes.IndexByte(b, 0) < 0
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
	NoSnippets bool   // leave snippets empty (counting, benchmarks)
}

// Search finds items and records matching query (Korean, English or
// romanized names; see hangul.MatchExpr), best first (BM25), one hit per
// document with a snippet of its best part. Results pass through the same
// access check as every read.
func (a *Archive) Search(ctx context.Context, query string, opt SearchOptions) ([]store.Hit, error) {
	if err := a.allow(OpSearch); err != nil {
		return nil, err
	}
	if _, err := a.IndexPending(ctx, nil); err != nil {
		return nil, err
	}
	expr := hangul.MatchExpr(query)
	if expr == "" {
		return nil, fmt.Errorf("%w: nothing to search for in %q", evidence.ErrInvalid, query)
	}
	q := store.SearchQuery{Match: expr, Kind: opt.Kind, From: opt.From, To: opt.To, Limit: opt.Limit, Open: opt.Open, Shut: opt.Shut,
		Allow: a.canRead, Text: a.partText(ctx), NoSnippets: opt.NoSnippets}
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

// partText returns the text of a document's index part n (from 1), for
// snippets: an item's text is decrypted from its blob (and checked), a
// record's is its current body. The index keeps no copy of the text.
func (a *Archive) partText(ctx context.Context) func(doc string, n int) (string, error) {
	return func(doc string, n int) (string, error) {
		id, err := evidence.ParseID(doc)
		if err != nil {
			return "", err
		}
		var text string
		if it, err := a.db.Item(ctx, id); err == nil {
			if text, err = a.itemText(ctx, it); err != nil {
				return "", err
			}
		} else {
			info, err := a.Record(ctx, doc)
			if err != nil {
				return "", err
			}
			text = info.Current.Text()
		}
		parts := paragraphs(text)
		if n < 1 || n > len(parts) {
			return "", nil
		}
		return parts[n-1], nil
	}
}

// itemText returns an item's plaintext if it is text to index, else "".
func (a *Archive) itemText(ctx context.Context, it store.Item) (string, error) {
	if it.Size > maxIndexText {
		return "", nil
	}
	rc, err := a.openItem(ctx, it)
	if err != nil {
		return "", err
	}
	b, err := io.ReadAll(rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	if !looksLikeText(b) {
		return "", nil
	}
	return string(b), nil
}

// indexBatchBytes is how much item text one IndexPending transaction
// indexes: larger batches mean fewer, larger segments.
const indexBatchBytes = 32 << 20

// IndexPending indexes the text of items queued by intake, in batches of
// about indexBatchBytes, tokenizing on every core, each batch in one
// transaction. It returns how many items it indexed. progress, if not
// nil, is called after each batch with the items done and the total.
// An item whose text cannot be read is indexed by its title only and
// logged (by ID); sori verify reports the damage.
func (a *Archive) IndexPending(ctx context.Context, progress func(done, total int)) (int, error) {
	// Whoever may search may bring the (derived) index up to date first.
	if err := a.allow(OpSearch); err != nil {
		return 0, err
	}
	done := 0
	for {
		docs, left, err := a.db.Pending(ctx, 4096)
		if err != nil || len(docs) == 0 {
			return done, err
		}
		total := done + left
		var batch []store.Item
		var size int64
		for _, d := range docs {
			id, err := evidence.ParseID(d)
			if err != nil {
				return done, fmt.Errorf("%w: search queue: %v", evidence.ErrDamaged, err)
			}
			it, err := a.db.Item(ctx, id)
			if err != nil {
				return done, err
			}
			if len(batch) > 0 && size+it.Size > indexBatchBytes {
				break
			}
			batch = append(batch, it)
			size += it.Size
		}
		texts := make([]*textindex.Doc, len(batch))
		var next atomic.Int64
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for i := int(next.Add(1) - 1); i < len(batch); i = int(next.Add(1) - 1) {
					t, err := a.itemText(ctx, batch[i])
					if err != nil {
						a.log.Warn("item text unreadable; indexed by title only", "item", batch[i].ID.String(), "err", err)
						continue
					}
					if t != "" {
						texts[i] = store.AnalyzeText(paragraphs(t))
					}
				}
			})
		}
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return done, err
		}
		tx, err := a.db.Begin(ctx)
		if err != nil {
			return done, err
		}
		for i, it := range batch {
			if err := tx.AttachText(ctx, it.ID.String(), texts[i]); err != nil {
				tx.Rollback()
				return done, err
			}
		}
		if err := tx.Commit(); err != nil {
			return done, err
		}
		done += len(batch)
		if progress != nil {
			progress(done, total)
		}
	}
}

// canRead is the access check every read of a document passes. Until roles
// arrive (the protection issue) every user of the archive may read all.
func (a *Archive) canRead(doc string) bool { return true }
