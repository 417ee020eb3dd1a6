package storetest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"sori/internal/evidence"
	"sori/internal/hangul"
	"sori/internal/store"
)

type doc struct {
	id, kind, title string
	from, to        int
	places, viols   []string
	parts           []string
}

// corpus is synthetic: invented testimony fragments, no real person.
var corpus = []doc{
	{id: "d01", kind: "testimony", title: "두만강을 건넌 밤", from: 1997, to: 1998, places: []string{"KP-HAM"}, viols: []string{"movement.border"},
		parts: []string{"1997년 겨울 두만강을 건넜다. 물이 얼어 있었다.", "회령에서 보위부에 잡혔다."}},
	{id: "d02", kind: "testimony", title: "요덕 관리소", from: 2001, to: 2005, places: []string{"KP-SHN"}, viols: []string{"detention.camp", "torture"},
		parts: []string{"요덕 관리소에서 4년을 보냈다.", "관리소 안에서 강제노동을 했다. 두만강 이야기는 나중에 들었다."}},
	{id: "d03", kind: "transcript", title: "Interview with a former guard",
		parts: []string{"The guard described the camp at Yodok in 2003.", "He crossed the Tumen river in 2008."}},
	{id: "d04", kind: "event", title: "회령 구금 사건", from: 1998, to: 1998, places: []string{"KP-HAM"}, viols: []string{"detention.arbitrary"},
		parts: []string{"회령 보위부 구류장에서 석 달 동안 구금되었다."}},
	{id: "d05", kind: "testimony", title: "어머니의 이야기", from: 2010, to: 2012, places: []string{"CN-JL"}, viols: []string{"trafficking"},
		parts: []string{"중국 연길에서 팔려 갔다. 박철수 씨가 도와주었다.", "어머니는 두만강을 다시 건너지 못했다.", "강제송환 뒤 구금되었다."}},
	{id: "d06", kind: "note", title: "빈 문서"},
}

func indexDocs(t *testing.T, db store.DB, docs []doc) {
	t.Helper()
	tx := begin(t, db)
	for _, d := range docs {
		sd := store.SearchDoc{Doc: d.id, Kind: d.kind, Title: d.title, YearFrom: d.from, YearTo: d.to, Places: d.places, Violations: d.viols}
		must(t, tx.IndexDoc(ctxT(t), sd, d.parts))
	}
	commit(t, tx)
}

func partText(docs []doc) func(doc string, part int) (string, error) {
	return func(id string, part int) (string, error) {
		for _, d := range docs {
			if d.id == id && part >= 1 && part <= len(d.parts) {
				return d.parts[part-1], nil
			}
		}
		return "", fmt.Errorf("%w: no part %d of %s", evidence.ErrNotFound, part, id)
	}
}

// find returns the documents q matches, sorted.
func find(t *testing.T, db store.DB, q string) []string {
	t.Helper()
	hits, err := db.Search(ctxT(t), store.SearchQuery{Match: hangul.MatchExpr(q), Limit: 1000, NoSnippets: true})
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	var out []string
	for _, h := range hits {
		out = append(out, h.Doc)
	}
	slices.Sort(out)
	return out
}

// render shows hits as the golden table holds them: ranked, with the part
// that matched best, the snippet and the score.
func render(hits []store.Hit) string {
	var b strings.Builder
	for _, h := range hits {
		fmt.Fprintf(&b, "%s %s part=%d %.6f %q|", h.Doc, h.Kind, h.Part, h.Score, h.Snippet)
	}
	return b.String()
}

type goldenQuery struct {
	name string
	q    store.SearchQuery
	text string // typed query, through hangul.MatchExpr
	want string
}

// golden is the reference ranking (the SQLite driver's, which every
// driver must reproduce exactly: same tokenizer, same lists, same BM25).
// SORI_STORETEST_PRINT=1 prints what a driver returns.
var golden = []goldenQuery{
	{name: "hangul word", text: "두만강", want: goldenWant["hangul word"]},
	{name: "hangul phrase", text: "요덕 관리소", want: goldenWant["hangul phrase"]},
	{name: "latin", text: "camp", want: goldenWant["latin"]},
	{name: "syllable prefix", text: "회", want: goldenWant["syllable prefix"]},
	{name: "name", text: "박철수", want: goldenWant["name"]},
	{name: "kind filter", text: "두만강", q: store.SearchQuery{Kind: "testimony"}, want: goldenWant["kind filter"]},
	{name: "violation prefix", text: "구금", q: store.SearchQuery{Violation: "detention"}, want: goldenWant["violation prefix"]},
	{name: "place filter", text: "보위부", q: store.SearchQuery{Place: "KP-HAM"}, want: goldenWant["place filter"]},
	{name: "years", text: "두만강", q: store.SearchQuery{From: 2000, To: 2011}, want: goldenWant["years"]},
	{name: "limit", text: "두만강", q: store.SearchQuery{Limit: 2}, want: goldenWant["limit"]},
	{name: "allow", text: "두만강", q: store.SearchQuery{Allow: func(d string) bool { return d != "d02" }}, want: goldenWant["allow"]},
	{name: "none", text: "평양", want: ""},
}

func testSearchGolden(t *testing.T, db store.DB) {
	indexDocs(t, db, corpus[:3])
	indexDocs(t, db, corpus[3:])
	print := os.Getenv("SORI_STORETEST_PRINT") != ""
	for _, g := range golden {
		q := g.q
		q.Match = hangul.MatchExpr(g.text)
		q.Open, q.Shut = "[", "]"
		q.Text = partText(corpus)
		if q.Limit == 0 {
			q.Limit = 50
		}
		hits, err := db.Search(ctxT(t), q)
		if err != nil {
			t.Fatalf("%s: %v", g.name, err)
		}
		got := render(hits)
		if print {
			fmt.Printf("\t%q: %q,\n", g.name, got)
			continue
		}
		if got != g.want {
			t.Errorf("%s: got\n%s\nwant\n%s", g.name, got, g.want)
		}
	}
	if _, err := db.Search(ctxT(t), store.SearchQuery{Match: "  "}); err == nil {
		t.Errorf("an empty query was accepted")
	}
}

func testSearchReindex(t *testing.T, db store.DB) {
	indexDocs(t, db, corpus)
	// Title only: the text stays.
	indexDocs(t, db, []doc{{id: "d01", kind: "testimony", title: "강을 건넌 밤 (고침)"}})
	if got := find(t, db, "고침"); !slices.Equal(got, []string{"d01"}) {
		t.Errorf("new title: %v", got)
	}
	if got := find(t, db, "얼어"); !slices.Equal(got, []string{"d01"}) {
		t.Errorf("text kept by a title-only re-index: %v", got)
	}
	// New text replaces the old.
	indexDocs(t, db, []doc{{id: "d02", kind: "testimony", title: "요덕", parts: []string{"다른 이야기"}}})
	if got := find(t, db, "강제노동"); len(got) != 0 {
		t.Errorf("replaced text still found: %v", got)
	}
	if got := find(t, db, "두만강"); !slices.Equal(got, []string{"d01", "d05"}) {
		t.Errorf("after re-index, 두만강: %v", got)
	}
	// Many commits, so that a driver that merges segments does.
	for i := range 80 {
		indexDocs(t, db, []doc{{id: fmt.Sprintf("f%02d", i), kind: "note", title: "filler", parts: []string{"채움 문단 " + fmt.Sprint(i)}}})
		if i%9 == 0 {
			indexDocs(t, db, []doc{{id: "d05", kind: "testimony", title: "어머니의 이야기", parts: []string{fmt.Sprintf("판 %d 두만강", i)}}})
		}
	}
	if got := find(t, db, "채움"); len(got) != 80 {
		t.Errorf("filler: %d docs", len(got))
	}
	if got := find(t, db, "두만강"); !slices.Equal(got, []string{"d01", "d05"}) {
		t.Errorf("after merges, 두만강: %v", got)
	}
	if got := find(t, db, "판 72"); !slices.Equal(got, []string{"d05"}) {
		t.Errorf("latest text of d05: %v", got)
	}
	if got := find(t, db, "판 63"); len(got) != 0 {
		t.Errorf("an older text of d05 still found: %v", got)
	}
	tx := begin(t, db)
	must(t, tx.ClearSearch(ctxT(t)))
	commit(t, tx)
	if got := find(t, db, "두만강"); len(got) != 0 {
		t.Errorf("after ClearSearch: %v", got)
	}
	indexDocs(t, db, corpus[:1])
	if got := find(t, db, "두만강"); !slices.Equal(got, []string{"d01"}) {
		t.Errorf("after rebuilding: %v", got)
	}
}

func testSearchLinks(t *testing.T, db store.DB) {
	ctx := ctxT(t)
	indexDocs(t, db, corpus)
	indexDocs(t, db, []doc{{id: "i1", kind: "transcript", title: "녹취록", parts: []string{"녹취 내용"}}})
	search := func(q store.SearchQuery) []string {
		q.Match, q.Limit, q.NoSnippets = hangul.MatchExpr("녹취록"), 10, true
		hits, err := db.Search(ctx, q)
		must(t, err)
		var out []string
		for _, h := range hits {
			out = append(out, h.Doc)
		}
		return out
	}
	if got := search(store.SearchQuery{Place: "KP-HAM"}); len(got) != 0 {
		t.Fatalf("unlinked item has a place: %v", got)
	}
	tx := begin(t, db)
	must(t, tx.LinkAnnotation(ctx, "ann1", "i1", "d04"))
	commit(t, tx)
	if got := search(store.SearchQuery{Place: "KP-HAM", Violation: "detention", From: 1998, To: 1998}); !slices.Equal(got, []string{"i1"}) {
		t.Errorf("item inheriting d04's filters: %v", got)
	}
	// The target's own filters change: the item follows.
	tx = begin(t, db)
	must(t, tx.IndexDoc(ctx, store.SearchDoc{Doc: "d04", Kind: "event", Title: "회령 구금 사건", Places: []string{"KP-NHW"}}, nil))
	must(t, tx.RefreshLinked(ctx, "d04"))
	commit(t, tx)
	if got := search(store.SearchQuery{Place: "KP-HAM"}); len(got) != 0 {
		t.Errorf("item kept the target's old place: %v", got)
	}
	if got := search(store.SearchQuery{Place: "KP-NHW"}); !slices.Equal(got, []string{"i1"}) {
		t.Errorf("item has the target's new place: %v", got)
	}
	// Re-indexing the item keeps what it inherits; moving the annotation
	// drops it.
	indexDocs(t, db, []doc{{id: "i1", kind: "transcript", title: "녹취록 2"}})
	if got := search(store.SearchQuery{Place: "KP-NHW"}); !slices.Equal(got, []string{"i1"}) {
		t.Errorf("re-indexed item lost its inherited place: %v", got)
	}
	tx = begin(t, db)
	must(t, tx.LinkAnnotation(ctx, "ann1", "i1", "d02"))
	commit(t, tx)
	if got := search(store.SearchQuery{Violation: "torture"}); !slices.Equal(got, []string{"i1"}) {
		t.Errorf("annotation moved to d02: %v", got)
	}
	if got := search(store.SearchQuery{Place: "KP-NHW"}); len(got) != 0 {
		t.Errorf("annotation moved, old place kept: %v", got)
	}
}

func testSearchPending(t *testing.T, db store.DB) {
	ctx := ctxT(t)
	addUser(t, db, "u1", "kim")
	if p, n, err := db.PendingItems(ctx, 10); err != nil || n != 0 || len(p) != 0 {
		t.Fatalf("pending in a new store: %v %d %v", p, n, err)
	}
	ids := []evidence.ID{idFrom("c3"), idFrom("a1"), idFrom("b2")}
	for i, id := range ids {
		tx := begin(t, db)
		_, err := tx.InsertItem(ctx, item(id, 1, i))
		must(t, err)
		commit(t, tx)
	}
	// An item inserted again is not queued again.
	tx := begin(t, db)
	if ins, err := tx.InsertItem(ctx, item(ids[0], 1, 0)); err != nil || ins {
		t.Fatalf("InsertItem again: %v %v", ins, err)
	}
	commit(t, tx)
	p, n, err := db.PendingItems(ctx, 2)
	if err != nil || n != 3 || len(p) != 2 || p[0].ID != ids[0] || p[1].ID != ids[1] || !sameItem(p[0].Item, item(ids[0], 1, 0)) {
		t.Fatalf("PendingItems(2): %+v %d %v", p, n, err)
	}
	// Taking an item off the queue in a transaction rolled back leaves it
	// queued.
	q1 := p[1].Queued
	tx = begin(t, db)
	if ok, err := tx.TakeQueued(ctx, ids[1], q1); err != nil || !ok {
		t.Fatalf("TakeQueued: %v %v", ok, err)
	}
	must(t, tx.Rollback())
	if _, n, _ := db.PendingItems(ctx, 10); n != 3 {
		t.Fatalf("after a rolled-back take: %d pending, want 3", n)
	}
	// Out of order: the queue is no mark.
	tx = begin(t, db)
	if ok, err := tx.TakeQueued(ctx, ids[1], q1); err != nil || !ok {
		t.Fatalf("TakeQueued: %v %v", ok, err)
	}
	commit(t, tx)
	p, n, err = db.PendingItems(ctx, 10)
	if err != nil || n != 2 || len(p) != 2 || p[0].ID != ids[0] || p[1].ID != ids[2] {
		t.Fatalf("after TakeQueued: %+v %d %v", p, n, err)
	}
	// Taken once only.
	tx = begin(t, db)
	if ok, err := tx.TakeQueued(ctx, ids[1], q1); err != nil || ok {
		t.Errorf("TakeQueued of an item taken before: %v %v", ok, err)
	}
	if ok, err := tx.TakeQueued(ctx, idFrom("ff"), q1); err != nil || ok {
		t.Errorf("TakeQueued of an unknown item: %v %v", ok, err)
	}
	commit(t, tx)

	// A new version of a queued item's record moves it to the end of the
	// queue: an indexer that read the page before does not take it, and
	// the next page has it with the new record. A page read with records
	// and keys (With) has each item's newest version and own key.
	p, _, err = db.PendingItems(ctx, 10)
	must(t, err)
	q0 := p[0].Queued
	k0 := store.ItemKey{Item: ids[0], Handle: fmt.Sprintf("%032x", 7), Gen: 1, Wrapped: bytes.Repeat([]byte{7}, 72)}
	tx = begin(t, db)
	must(t, tx.InsertVersion(ctx, version(ids[0], 1, 1)))
	must(t, tx.InsertVersion(ctx, version(ids[2], 1, 1)))
	must(t, tx.InsertItemKey(ctx, k0))
	commit(t, tx)
	p, _, err = db.PendingItems(ctx, 10)
	must(t, err)
	if len(p) != 2 || p[0].ID != ids[0] || p[0].Queued != q0 {
		t.Fatalf("a first version moved its item in the queue: %+v", p)
	}
	if p[0].With && (p[0].Latest == nil || p[0].Latest.Version != 1 || p[0].Key == nil || p[0].Key.Handle != k0.Handle ||
		!bytes.Equal(p[0].Key.Wrapped, k0.Wrapped) || p[1].Key != nil || p[1].Latest == nil || p[1].Latest.Item != ids[2]) {
		t.Errorf("page read with records and keys: %+v", p)
	}
	tx = begin(t, db)
	must(t, tx.InsertVersion(ctx, version(ids[0], 2, 2)))
	commit(t, tx)
	tx = begin(t, db)
	if ok, err := tx.TakeQueued(ctx, ids[0], q0); err != nil || ok {
		t.Errorf("TakeQueued from the place an item had before its record changed: %v %v", ok, err)
	}
	commit(t, tx)
	p, n, err = db.PendingItems(ctx, 10)
	if err != nil || n != 2 || len(p) != 2 || p[0].ID != ids[2] || p[1].ID != ids[0] || p[1].Queued == q0 {
		t.Fatalf("an item whose record changed waits at the end of the queue: %+v %d %v", p, n, err)
	}
	if p[1].With && (p[1].Latest == nil || p[1].Latest.Version != 2 || !bytes.Equal(p[1].Latest.Record, version(ids[0], 2, 2).Record)) {
		t.Errorf("the page has the newest version: %+v", p[1].Latest)
	}
	tx = begin(t, db)
	if ok, err := tx.TakeQueued(ctx, ids[0], p[1].Queued); err != nil || !ok {
		t.Errorf("TakeQueued from its new place: %v %v", ok, err)
	}
	must(t, tx.Rollback())
	tx = begin(t, db)
	must(t, tx.ClearSearch(ctx))
	commit(t, tx)
	p, n, err = db.PendingItems(ctx, 10)
	if err != nil || n != 3 || len(p) != 3 || p[0].ID != ids[0] || p[1].ID != ids[1] || p[2].ID != ids[2] {
		t.Errorf("after ClearSearch every item is pending again, in intake order: %+v %d %v", p, n, err)
	}
}

// IndexQueue has writers goroutines on each of two handles (the same one
// twice for one process) insert n items each, one per transaction, while
// an indexer on each handle takes pending items off the queue and indexes
// them, until the writers are done and nothing is pending: every item must
// be indexed exactly once, none skipped, none twice.
func IndexQueue(t *testing.T, a, b store.DB, writers, n int) {
	ctx := ctxT(t)
	addUser(t, a, "u1", "kim")
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers+2)
	for w := range 2 * writers {
		db := a
		if w%2 == 1 {
			db = b
		}
		wg.Go(func() {
			if err := InsertItems(ctx, db, fmt.Sprintf("%02x", w), n); err != nil {
				errs <- fmt.Errorf("writer %d: %w", w, err)
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var mu sync.Mutex
	indexed := map[evidence.ID]int{}
	var ix sync.WaitGroup
	for _, db := range []store.DB{b, a} {
		ix.Go(func() {
			got, err := IndexUntil(ctx, db, done)
			if err != nil {
				errs <- fmt.Errorf("indexer: %w", err)
			}
			mu.Lock()
			for id, k := range got {
				indexed[id] += k
			}
			mu.Unlock()
		})
	}
	ix.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	CheckIndexedOnce(t, a, indexed, 2*writers*n)
}

// InsertItems inserts n items, one per transaction, with IDs starting with
// the hex prefix (up to 8 digits), made by user u1.
func InsertItems(ctx context.Context, db store.DB, prefix string, n int) error {
	for i := range n {
		tx, err := db.Begin(ctx)
		if err != nil {
			return err
		}
		_, err = tx.InsertItem(ctx, item(idFrom(fmt.Sprintf("%s%06x", prefix, i)), int64(1+i), i))
		if err == nil {
			err = tx.Commit()
		}
		tx.Rollback()
		if err != nil {
			return fmt.Errorf("item %d: %w", i, err)
		}
	}
	return nil
}

// IndexUntil takes pending items off db's queue and indexes them (by
// title), a few per transaction, until done is closed and nothing is
// pending; it returns how many times it indexed each item.
func IndexUntil(ctx context.Context, db store.DB, done <-chan struct{}) (map[evidence.ID]int, error) {
	indexed := map[evidence.ID]int{}
	for {
		finished := false
		select {
		case <-done:
			finished = true
		default:
		}
		pend, _, err := db.PendingItems(ctx, 7)
		if err != nil {
			return indexed, err
		}
		if len(pend) == 0 {
			if finished {
				return indexed, nil
			}
			runtime.Gosched()
			continue
		}
		tx, err := db.Begin(ctx)
		if err != nil {
			return indexed, err
		}
		var took []evidence.ID
		for _, p := range pend {
			ok, err := tx.TakeQueued(ctx, p.ID, p.Queued)
			if err == nil && ok {
				err = tx.IndexDoc(ctx, store.SearchDoc{Doc: p.ID.String(), Kind: "transcript", Title: "item " + p.ID.String()[:8]}, nil)
				took = append(took, p.ID)
			}
			if err != nil {
				tx.Rollback()
				return indexed, err
			}
		}
		if err := tx.Commit(); err != nil {
			return indexed, err
		}
		for _, id := range took {
			indexed[id]++
		}
	}
}

// CheckIndexedOnce checks that every item of db was indexed exactly once
// (counts from IndexUntil), that there are want of them, and that nothing
// is pending.
func CheckIndexedOnce(t *testing.T, db store.DB, indexed map[evidence.ID]int, want int) {
	t.Helper()
	ctx := ctxT(t)
	if len(indexed) != want {
		t.Errorf("%d items indexed, want %d (skipped)", len(indexed), want)
	}
	for id, k := range indexed {
		if k != 1 {
			t.Errorf("item %s indexed %d times", id, k)
		}
	}
	if _, left, err := db.PendingItems(ctx, 1); err != nil || left != 0 {
		t.Errorf("still pending: %d %v", left, err)
	}
	n := 0
	must(t, db.EachItem(ctx, func(it store.Item) error {
		n++
		if indexed[it.ID] != 1 {
			return fmt.Errorf("item %s stored but indexed %d times", it.ID, indexed[it.ID])
		}
		return nil
	}))
	if n != want {
		t.Errorf("%d items stored, want %d", n, want)
	}
}

// AddUser adds the user (u1) that InsertItems's items name as their maker.
func AddUser(t *testing.T, db store.DB) { addUser(t, db, "u1", "kim") }

// testSnippetItems: the rows a query's snippets need come in one call, with
// the starts of the item's text parts as they were indexed; a title-only
// re-index keeps them, new text replaces them, and a document that is not
// an item is absent. An item's own key comes with its row (none: nil), and
// not once it is deleted (shredded).
func testSnippetItems(t *testing.T, db store.DB) {
	ctx := ctxT(t)
	addUser(t, db, "u1", "kim")
	a, b, missing := idFrom("a1"), idFrom("b2"), idFrom("c3")
	tx := begin(t, db)
	for i, id := range []evidence.ID{a, b} {
		_, err := tx.InsertItem(ctx, item(id, 1, i))
		must(t, err)
	}
	commit(t, tx)
	tx = begin(t, db)
	must(t, tx.IndexText(ctx, store.SearchDoc{Doc: a.String(), Kind: "transcript", Title: "a", Starts: []int64{0, 2100, 70000, 1 << 33}},
		store.AnalyzeText([]string{"하나", "둘", "셋", "넷"})))
	must(t, tx.IndexDoc(ctx, store.SearchDoc{Doc: "rec1", Kind: "event", Title: "사건"}, []string{"기록"}))
	commit(t, tx)
	got, err := db.SnippetItems(ctx, []string{a.String(), b.String(), missing.String(), "rec1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !sameItem(got[a.String()].Item, item(a, 1, 0)) || !sameItem(got[b.String()].Item, item(b, 1, 1)) {
		t.Fatalf("SnippetItems: %+v", got)
	}
	if s := got[a.String()].Starts; !slices.Equal(s, []int64{0, 2100, 70000, 1 << 33}) {
		t.Errorf("starts of a: %v", s)
	}
	if s := got[b.String()].Starts; s != nil {
		t.Errorf("starts of b, not indexed: %v", s)
	}
	tx = begin(t, db)
	must(t, tx.IndexText(ctx, store.SearchDoc{Doc: a.String(), Kind: "transcript", Title: "a (new title)"}, nil))
	commit(t, tx)
	got, err = db.SnippetItems(ctx, []string{a.String()})
	if err != nil || !slices.Equal(got[a.String()].Starts, []int64{0, 2100, 70000, 1 << 33}) {
		t.Errorf("starts after a title-only re-index: %v %v", got[a.String()].Starts, err)
	}
	tx = begin(t, db)
	must(t, tx.IndexText(ctx, store.SearchDoc{Doc: a.String(), Kind: "transcript", Title: "a", Starts: []int64{5}}, store.AnalyzeText([]string{"다섯"})))
	commit(t, tx)
	got, err = db.SnippetItems(ctx, []string{a.String()})
	if err != nil || !slices.Equal(got[a.String()].Starts, []int64{5}) {
		t.Errorf("starts after new text: %v %v", got[a.String()].Starts, err)
	}
	if got, err := db.SnippetItems(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("SnippetItems(nil): %v %v", got, err)
	}
	if got[a.String()].Key != nil {
		t.Errorf("key of an item without one: %+v", got[a.String()].Key)
	}
	key := store.ItemKey{Item: b, Handle: "h-snippet-b", Gen: 3, Wrapped: []byte("wrapped key of b")}
	tx = begin(t, db)
	must(t, tx.InsertItemKey(ctx, key))
	commit(t, tx)
	got, err = db.SnippetItems(ctx, []string{a.String(), b.String()})
	if err != nil || got[a.String()].Key != nil || got[b.String()].Key == nil || !reflect.DeepEqual(*got[b.String()].Key, key) {
		t.Fatalf("keys with the rows: %+v, %+v (%v)", got[a.String()].Key, got[b.String()].Key, err)
	}
	tx = begin(t, db)
	must(t, tx.DeleteItemKey(ctx, b))
	commit(t, tx)
	if got, err = db.SnippetItems(ctx, []string{b.String()}); err != nil || got[b.String()].Key != nil {
		t.Errorf("key of a shredded item: %+v (%v)", got[b.String()].Key, err)
	}
}
