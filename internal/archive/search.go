package archive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"sori/internal/blob"
	"sori/internal/evidence"
	"sori/internal/hangul"
	"sori/internal/model"
	"sori/internal/seal"
	"sori/internal/store"
	"sori/internal/textindex"
	"sori/internal/vocab"
)

// maxIndexText is the most text of one item that is indexed for search.
// Longer text files are stored whole but indexed by title only.
const maxIndexText = 8 << 20

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
	lines, _, parts := partLines(text)
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = strings.Join(lines[p[0]:p[1]], "\n")
	}
	return out
}

// paragraph is paragraphs(text)[n-1], or "" if there is no part n,
// without building the other parts (a snippet needs one).
func paragraph(text string, n int) string {
	lines, _, parts := partLines(text)
	if n < 1 || n > len(parts) {
		return ""
	}
	p := parts[n-1]
	return strings.Join(lines[p[0]:p[1]], "\n")
}

// partLines returns text's trimmed non-empty lines (long ones cut), where
// each starts in text (bytes), and each part as a range [lo, hi) of them.
// A part's lines are the lines partLines finds in the text from the part's
// start to the next part's (a snippet cuts only those bytes).
func partLines(text string) (lines []string, at []int, parts [][2]int) {
	next := 0 // where the next line of text starts
	for next <= len(text) {
		line := text[next:]
		end := strings.IndexByte(line, '\n')
		if end >= 0 {
			line = line[:end]
		}
		start := next
		next += len(line) + 1
		line, start = trimAt(line, start)
		for len(line) > 4096 {
			cut := strings.LastIndexByte(line[:4096], ' ')
			if cut < 1024 {
				cut = 4096
				for !utf8.RuneStart(line[cut]) {
					cut--
				}
			}
			lines, at = append(lines, line[:cut]), append(at, start)
			line, start = trimAt(line[cut:], start+cut)
		}
		if line != "" {
			lines, at = append(lines, line), append(at, start)
		}
	}
	size := 0 // bytes of the open part, newlines included
	for i, l := range lines {
		if size > 0 && size+len(l) > partTarget {
			parts[len(parts)-1][1] = i
			size = 0
		}
		if size == 0 {
			parts = append(parts, [2]int{i, i})
		} else {
			size++ // the newline that joins l
		}
		size += len(l)
	}
	if len(parts) > 0 {
		parts[len(parts)-1][1] = len(lines)
	}
	if len(parts) >= 1<<16-2 { // keep within the index's parts per document
		parts[1<<16-3][1] = len(lines)
		parts = parts[:1<<16-2]
	}
	return lines, at, parts
}

// trimAt is strings.TrimSpace(s) and where it starts, s starting at at.
func trimAt(s string, at int) (string, int) {
	t := strings.TrimSpace(s)
	if t == "" || strings.HasPrefix(s, t) {
		return t, at
	}
	return t, at + strings.Index(s, t)
}

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
	NoCache    bool   // rank anew, without the index's cached ranking of the query (benchmarks)
	All        bool   // voided records and items too
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
	d, expr, err := a.searchExpr(ctx, query)
	if err != nil {
		return nil, err
	}
	if expr == "" {
		return []store.Hit{}, nil
	}
	voided := map[evidence.ID]evidence.ID{}
	if !opt.All {
		if voided, err = a.voided(ctx); err != nil {
			return nil, err
		}
	}
	text, prefetch := a.partText(ctx)
	// The safety net's guard is taken only if a snippet is cut, once: the
	// disclosure guard's, not the vault read again (disclose.go).
	guard := sync.OnceValues(func() (*nameGuard, error) { return a.snippetGuard(ctx, d) })
	q := store.SearchQuery{Match: expr, Kind: opt.Kind, From: opt.From, To: opt.To, Limit: opt.Limit, Open: opt.Open, Shut: opt.Shut,
		Allow: func(doc string) bool {
			id, err := evidence.ParseID(doc)
			if err != nil {
				return false
			}
			_, hidden := voided[id]
			return !hidden && a.canRead(doc)
		}, NoSnippets: opt.NoSnippets, NoCache: opt.NoCache, Prefetch: prefetch,
		Text: func(doc string, n int) (string, error) {
			g, err := guard()
			if err != nil {
				return "", err // no snippet rather than one that may show a sealed name
			}
			return text(doc, n, g)
		}}
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
	hits, err := a.db.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	comp, err := a.compartmentHits(ctx, q, voided)
	if err != nil {
		return nil, err
	}
	return discloseAs(d, mergeHits(hits, comp, q.Limit)), nil
}

// searchExpr returns the session's disclosure guard and the index query
// for query, or "" for a query that holds a sealed name or contact: it
// finds nothing, as a name written nowhere would (what the index might
// still hold of it is never confirmed, and no error tells the query
// apart). A place is also searched by its other names in the gazetteer.
func (a *Archive) searchExpr(ctx context.Context, query string) (*discloser, string, error) {
	d, err := a.disclosure(ctx)
	if err != nil {
		return nil, "", err
	}
	if len(d.g.Find(query)) > 0 {
		return d, "", nil
	}
	expr := hangul.MatchExprPlaces(query, vocab.PlaceSpellings)
	if expr == "" {
		return nil, "", fmt.Errorf("%w: nothing to search for in %q", evidence.ErrInvalid, query)
	}
	return d, expr, nil
}

// partText returns the text of a document's index part n (from 1), for
// snippets: an item's part is decrypted from its blob (only the chunks
// that hold it), a record's is cut from its current body. The index keeps
// no copy of the text. prefetch reads the rows of a query's hits in one
// query (store.SearchQuery.Prefetch); text looks a document up on its own
// when prefetch did not see it. What guard finds is masked (see
// maskedPart: over the part and a margin around it, then cut).
func (a *Archive) partText(ctx context.Context) (text func(doc string, n int, guard *nameGuard) (string, error), prefetch func(docs []string)) {
	var rows map[string]store.SnippetItem // set before the first text call, read only after
	prefetch = func(docs []string) {
		rows, _ = a.db.SnippetItems(ctx, docs) // on error each text looks its document up
	}
	text = func(doc string, n int, guard *nameGuard) (string, error) {
		if r, ok := rows[doc]; ok {
			var ik *seal.ItemKey
			if r.Key != nil {
				ik = &seal.ItemKey{Handle: r.Key.Handle, Gen: r.Key.Gen, Wrapped: r.Key.Wrapped}
			}
			return shreddedEmpty(a.itemPartMasked(ctx, r.Item, ik, r.Starts, n, guard))
		}
		id, err := evidence.ParseID(doc)
		if err != nil {
			return "", err
		}
		if it, err := a.db.Item(ctx, id); err == nil {
			ik, err := a.itemKey(ctx, id)
			if err != nil {
				return "", err
			}
			return shreddedEmpty(a.itemPartMasked(ctx, it, ik, nil, n, guard))
		}
		info, err := a.Record(ctx, doc)
		if err != nil {
			return "", err
		}
		t := info.Current.Text()
		lo, hi, ok := partRange(t, n)
		if !ok {
			return "", nil
		}
		return maskedPart(t, lo, hi, guard), nil
	}
	return text, prefetch
}

// shreddedEmpty gives a shredded item's snippet as empty: its text left
// the index with its key, and its title may still be a hit.
func shreddedEmpty(s string, err error) (string, error) {
	if errors.Is(err, evidence.ErrShredded) {
		return "", nil
	}
	return s, err
}

// itemText returns an item's plaintext if it is text to index, else "".
// It decides from the first chunk whether the item is text, so a
// recording costs one chunk's decryption, not the whole file's.
func (a *Archive) itemText(ctx context.Context, it store.Item) (string, error) {
	ik, err := a.itemKey(ctx, it.ID)
	if err != nil {
		return "", err
	}
	return a.itemTextFrom(ctx, it, nil, ik)
}

// itemTextFrom is itemText with the item's key row ik already looked up
// and, if raw is not nil, its stored bytes already read. It decrypts
// through readChunks, in a pooled chunk buffer, as a snippet of a small
// item does: age's reader allocates and clears a 64 KiB chunk
// for every item, which was a sixth of the CPU of indexing 100,000
// one-paragraph items. A file that is not text is known by its first
// chunk and not read further.
func (a *Archive) itemTextFrom(ctx context.Context, it store.Item, raw []byte, ik *seal.ItemKey) (string, error) {
	if it.Size > maxIndexText {
		return "", nil
	}
	var text strings.Builder
	text.Grow(int(it.Size))
	err := a.readChunks(ctx, it, raw, ik, func(p []byte) error {
		if int64(text.Len()+len(p)) > it.Size {
			return fmt.Errorf("%w: item %s: longer than recorded", evidence.ErrTampered, it.ID)
		}
		if text.Len() == 0 && !looksLikeText(trimCutRune(p)) {
			return errNotText
		}
		text.Write(p)
		return nil
	})
	if errors.Is(err, errNotText) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	t := text.String()
	if !utf8.ValidString(t) || strings.IndexByte(t, 0) >= 0 {
		return "", nil
	}
	return t, nil
}

// errNotText stops reading an item whose first chunk is not text.
var errNotText = errors.New("not text")

// trimCutRune drops a rune cut at the end of b.
func trimCutRune(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}

// indexBatchBytes is how much item text one IndexPending transaction
// indexes: larger batches mean fewer, larger segments, and more memory.
const indexBatchBytes = 24 << 20

// RebuildIndex empties the search index and builds it again from every
// record and item: for an index suspected of damage (queries report it),
// or after a change to how text is tokenized. Records are indexed in the
// same transaction as the emptying; items then as IndexPending does.
func (a *Archive) RebuildIndex(ctx context.Context, progress func(done, total int)) (int, error) {
	// Emptying the index is a change to the archive: a writing role's.
	if err := a.allow(OpRecordAdd); err != nil {
		return 0, err
	}
	tx, err := a.db.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if err := tx.ClearSearch(ctx); err != nil {
		return 0, err
	}
	guard, err := a.newNameGuard(ctx, nil)
	if err != nil {
		return 0, err
	}
	anns := map[evidence.ID]*model.Annotation{}
	err = a.db.EachRecord(ctx, "", true, func(row store.RecordRow) error {
		if storedCompartment(row.Record) != "" {
			return nil // the shared index holds nothing of a compartment, whoever rebuilds it
		}
		_, b, err := a.decodeRecordBody(ctx, row)
		if err != nil {
			return err
		}
		id := row.ID
		doc, parts := recordDoc(id, b)
		doc.Title = maskNames(doc.Title, guard, "[…]")
		for i := range parts {
			parts[i] = maskNames(parts[i], guard, " ")
		}
		if an, ok := b.(*model.Annotation); ok {
			anns[id] = an
		}
		return tx.IndexDoc(ctx, doc, parts)
	})
	if err != nil {
		return 0, err
	}
	// Links once every target is indexed.
	for id, an := range anns {
		if an.Target.IsZero() {
			continue // a time-coded note that names no record
		}
		if err := tx.LinkAnnotation(ctx, id.String(), an.Item.String(), an.Target.String()); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return a.IndexPending(ctx, progress)
}

// indexed is one item ready for the index.
type indexed struct {
	p     store.PendingItem
	doc   store.SearchDoc
	text  *textindex.Doc
	bytes int64 // text analysed
	keyed bool  // the item had a key of its own when its text was read
	// sealed: the item is in a compartment; it leaves the queue and the
	// shared index gets nothing of it (compartment.go).
	sealed bool
	err    error
}

// IndexPending indexes the items added since it last ran — titles, file
// names and the text of text items. Intake leaves this to it (sori index,
// or the next search), so adding files never waits for the tokenizer.
// Items are decrypted and tokenized on every core while the previous batch
// commits; each batch of about indexBatchBytes of text is one transaction,
// which also takes its items off the index queue, so an interrupted run
// keeps what it committed and another indexer never indexes them again.
// It returns how many items it indexed; progress, if not nil, is called
// after each batch with the items done and the total.
// An item whose text cannot be read is indexed by its title only and
// logged (by ID); sori verify reports the damage.
func (a *Archive) IndexPending(ctx context.Context, progress func(done, total int)) (int, error) {
	// Whoever may search may bring the (derived) index up to date first.
	if err := a.allow(OpSearch); err != nil {
		return 0, err
	}
	done := 0
	// Names sealed in the identity vault are kept out of the index: their
	// spans are blanked before the text is analysed. The guard is built
	// once (only when something is pending) for every page.
	var guard *nameGuard
	for {
		pend, left, err := a.db.PendingItems(ctx, pendingPage)
		if err != nil || len(pend) == 0 {
			return done, err
		}
		if guard == nil {
			if guard, err = a.newNameGuard(ctx, nil); err != nil {
				return done, err
			}
		}
		n, err := a.indexItems(ctx, pend, guard, done, done+left, progress)
		done += n
		if err != nil {
			return done, err
		}
	}
}

// pendingPage is how many pending items IndexPending reads and indexes at
// a time: each waits in memory with its result slot until committed, so
// the page bounds the build's memory whatever the archive holds.
const pendingPage = 1 << 13

// indexItems indexes pend (in intake order), blanking what guard finds;
// done and total are for progress.
func (a *Archive) indexItems(ctx context.Context, pend []store.PendingItem, guard *nameGuard, done0, total int, progress func(done, total int)) (int, error) {
	var err error
	ctx, cancel := context.WithCancel(ctx)
	// Workers analyse items in any order; results are committed in intake
	// order, each with its removal from the index queue. The read-ahead
	// budget bounds the results waiting, and so memory.
	workers := runtime.GOMAXPROCS(0)
	ahead := newReadAhead(int64(aheadItems*workers), aheadBytes)
	results := make([]chan indexed, len(pend))
	for i := range results {
		results[i] = make(chan indexed, 1)
	}
	// A worker takes a run of items at a time: one item, or up to runMax
	// neighbours in one pack read with one request, where that is cheaper
	// than a request each (indexRuns).
	runs := a.indexRuns(pend)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				ri := int(next.Add(1) - 1)
				if ri >= len(runs) {
					return
				}
				run := runs[ri]
				var size int64
				for _, i := range run {
					size += aheadCharge(pend[i])
				}
				if !ahead.take(ri, int64(len(run)), size) {
					return
				}
				raw := a.readRun(ctx, pend, run)
				for j, i := range run {
					var b []byte
					if raw != nil {
						b = raw[j]
					}
					results[i] <- a.analyzeItemFrom(ctx, pend[i], guard, b)
				}
			}
		})
	}
	defer func() { cancel(); ahead.close(); wg.Wait() }()
	done := 0
	var tx store.Tx // the open batch
	defer func() {
		if tx != nil {
			tx.Rollback()
		}
	}()
	var size int64 // its text
	inTx := 0      // its items
	for i := range pend {
		var r indexed
		select {
		case r = <-results[i]:
		case <-ctx.Done():
			return done, ctx.Err()
		}
		ahead.give(1, aheadCharge(r.p))
		if r.err != nil {
			return done, r.err
		}
		if tx == nil {
			if tx, err = a.db.Begin(ctx); err != nil {
				return done, err
			}
		}
		// Another indexer (process) may have taken the item since it was
		// read: it is indexed once, by whoever takes it off the queue.
		taken, err := tx.TakeQueued(ctx, r.p.ID, r.p.Queued)
		if err != nil {
			return done, err
		}
		if taken && !r.sealed {
			if err := tx.IndexText(ctx, r.doc, r.text); err != nil {
				return done, err
			}
			if err := shreddedMeanwhile(ctx, tx, r); err != nil {
				return done, err
			}
			inTx++
			size += r.bytes
		}
		if size < indexBatchBytes && i < len(pend)-1 {
			continue
		}
		err = tx.Commit()
		tx = nil
		if err != nil {
			return done, err
		}
		done += inTx
		size, inTx = 0, 0
		if progress != nil {
			progress(done0+done, total)
		}
	}
	return done, nil
}

// aheadItems (per worker) and aheadBytes bound how far the workers read
// and analyse ahead of the committer. While a batch commits (on one core,
// a quarter of an index build's time) the workers go on with the next: a
// budget of 64 items a worker, as before, left them waiting through most
// of every commit. 16 MiB of text covers a commit's time at the workers'
// pace and bounds memory for long transcripts (the build of 10,000 files
// of 11 KiB peaked 60 MiB higher); the count bounds it for many small
// items.
const (
	aheadItems = 1024
	aheadBytes = 16 << 20
)

// aheadCharge is what an item counts against aheadBytes: its text, as
// much as is indexed.
func aheadCharge(p store.PendingItem) int64 {
	return min(max(p.Size, 0), maxIndexText)
}

// readAhead is the budget of items and bytes analysed and not yet
// committed. Runs are granted in the order they were taken, so the
// earliest waiting result always has its share and the committer never
// waits on a worker that waits on it; a run larger than the whole budget
// goes when nothing else is out.
type readAhead struct {
	mu           sync.Mutex
	cond         sync.Cond
	items, bytes int64 // the budget
	usedI, usedB int64 // out now
	next         int   // the run granted next
	closed       bool
}

func newReadAhead(items, bytes int64) *readAhead {
	r := &readAhead{items: items, bytes: bytes}
	r.cond.L = &r.mu
	return r
}

// take waits until run (numbered in the order runs were taken) may hold
// items and bytes; it reports false if the budget was closed meanwhile.
func (r *readAhead) take(run int, items, bytes int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for !r.closed && (r.next != run || r.usedI > 0 && (r.usedI+items > r.items || r.usedB+bytes > r.bytes)) {
		r.cond.Wait()
	}
	if r.closed {
		return false
	}
	r.usedI += items
	r.usedB += bytes
	r.next++
	r.cond.Broadcast()
	return true
}

// give returns what one committed item held.
func (r *readAhead) give(items, bytes int64) {
	r.mu.Lock()
	r.usedI -= items
	r.usedB -= bytes
	r.mu.Unlock()
	r.cond.Broadcast()
}

// close wakes every waiting take, to return false.
func (r *readAhead) close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.cond.Broadcast()
}

// shreddedMeanwhile refuses to index the text of an item whose key was
// shredded after the text was read (the shredding took its text out of the
// index; this would put it back). It runs after IndexText, when tx holds
// the index's write lock, which shredding takes too: a shredding that
// committed before is seen, and none can commit until tx ends. The batch is
// rolled back and stays queued; the next run cannot read the item's text.
func shreddedMeanwhile(ctx context.Context, tx store.Tx, r indexed) error {
	if !r.keyed || r.text == nil {
		return nil
	}
	_, err := tx.ItemKey(ctx, r.p.ID)
	if errors.Is(err, evidence.ErrNotFound) {
		return fmt.Errorf("%w: item %s was shredded while it was being indexed; index again", evidence.ErrBusy, r.p.ID)
	}
	return err
}

// analyzeItem reads an item's current record and, if it is text, its
// plaintext, and tokenizes them for the index.
func (a *Archive) analyzeItem(ctx context.Context, p store.PendingItem, guard *nameGuard) indexed {
	return a.analyzeItemFrom(ctx, p, guard, nil)
}

// runMax is the most items of one run (indexRuns); runSpan the most bytes
// one read of a run covers, and localRunSpan on a store that is not
// sequential, where only items of at most localRunItem bytes join runs.
const (
	runMax  = 32
	runSpan = 8 << 20

	localRunItem = 16 << 10
	localRunSpan = 256 << 10
)

// indexRuns cuts pend into runs of indexes: single items, or neighbours
// in one pack (ascending offsets, small gaps, text-sized) read together:
// where the blob store is read best in long ranges (blob.Sequential), up
// to runSpan bytes; elsewhere (a local store) small items only, up to
// localRunSpan, where a file's open and close for each item cost more
// than reading it (a fifth of the time of reading 100,000 one-paragraph
// items).
func (a *Archive) indexRuns(pend []store.PendingItem) [][]int {
	seq, _ := a.blobs.(blob.Sequential)
	span, most := int64(runSpan), int64(maxIndexText)
	if seq == nil || !seq.Sequential() {
		span, most = localRunSpan, localRunItem
	}
	var runs [][]int
	for i, p := range pend {
		if len(runs) > 0 {
			last := runs[len(runs)-1]
			first, prev := pend[last[0]], pend[last[len(last)-1]]
			if len(last) < runMax && p.Pack == prev.Pack && p.Size <= most && prev.Size <= most &&
				p.Off >= prev.Off+prev.Len && p.Off-(prev.Off+prev.Len) <= 64<<10 && p.Off+p.Len-first.Off <= span {
				runs[len(runs)-1] = append(last, i)
				continue
			}
		}
		runs = append(runs, []int{i})
	}
	return runs
}

// readRun reads the stored bytes of a run of more than one item with one
// request and returns each item's; nil (each item then reads its own) for
// a single item, or when the read fails — an item's own read reports it.
func (a *Archive) readRun(ctx context.Context, pend []store.PendingItem, run []int) [][]byte {
	if len(run) < 2 {
		return nil
	}
	first, last := pend[run[0]], pend[run[len(run)-1]]
	rc, err := a.blobs.Open(ctx, first.Pack, first.Off, last.Off+last.Len-first.Off)
	if err != nil {
		return nil
	}
	defer rc.Close()
	buf := make([]byte, last.Off+last.Len-first.Off)
	if _, err := io.ReadFull(rc, buf); err != nil {
		return nil
	}
	out := make([][]byte, len(run))
	for j, i := range run {
		p := pend[i]
		out[j] = buf[p.Off-first.Off : p.Off-first.Off+p.Len : p.Off-first.Off+p.Len]
	}
	return out
}

// analyzeItemFrom is analyzeItem with the item's stored bytes already read
// (raw; nil: read them from the blob store).
func (a *Archive) analyzeItemFrom(ctx context.Context, p store.PendingItem, guard *nameGuard, raw []byte) indexed {
	r := indexed{p: p}
	var v store.Version
	var err error
	switch {
	case !p.With:
		v, err = a.db.LatestVersion(ctx, p.ID)
	case p.Latest == nil:
		err = fmt.Errorf("%w: item %s has no record", evidence.ErrNotFound, p.ID)
	default:
		v = *p.Latest
	}
	if err != nil {
		r.err = err
		return r
	}
	if storedCompartment(v.Record) != "" {
		r.sealed = true
		return r
	}
	rec, err := a.decodeVersion(ctx, v)
	if err != nil {
		r.err = err
		return r
	}
	r.doc = itemDoc(rec)
	var ik *seal.ItemKey
	switch {
	case !p.With:
		ik, err = a.itemKey(ctx, p.ID)
	case p.Key != nil:
		ik, err = a.openItemKey(ctx, *p.Key)
	}
	if err != nil {
		r.err = err
		return r
	}
	r.keyed = ik != nil
	t, err := a.itemTextFrom(ctx, p.Item, raw, ik)
	if err != nil {
		a.log.Warn("item text unreadable; indexed by title only", "item", p.ID.String(), "err", err)
		return r
	}
	r.doc.Title = maskNames(r.doc.Title, guard, "[…]")
	if t != "" {
		masked, spans := maskNamesSpans(t, guard, " ")
		lines, at, parts := partLines(masked)
		texts := make([]string, len(parts))
		starts := make([]int, len(parts))
		for i, p := range parts {
			texts[i], starts[i] = strings.Join(lines[p[0]:p[1]], "\n"), at[p[0]]
		}
		r.doc.Starts = partStarts(starts, spans, " ")
		r.text, r.bytes = store.AnalyzeText(texts), int64(len(t))
	}
	return r
}

// maskNames replaces every span of text that guard finds (a name sealed
// in the identity vault) with repl: the index never holds a sealed name,
// and a snippet never shows one.
func maskNames(text string, guard *nameGuard, repl string) string {
	masked, _ := maskNamesSpans(text, guard, repl)
	return masked
}

// canRead is the access check every read of a document passes. Until roles
// arrive (the protection issue) every user of the archive may read all.
func (a *Archive) canRead(doc string) bool { return true }
