package archive

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"sori/internal/evidence"
	"sori/internal/store"
	"sori/internal/textindex"
)

// Search inside compartments. The shared index holds nothing of a
// compartment (every user's database key opens it); a member's search
// reads the compartments' sealed records and items instead and indexes
// them in memory, for this session only, ranked with the same code as the
// shared index (store.RunSearch). The in-memory index is kept until the
// custody log grows (anything written anywhere), then built again:
// compartments are small by design, a need-to-know case file rather than
// the archive.

// compIndex is a session's in-memory index of the compartments it reads.
type compIndex struct {
	size  int64 // custody tree size it was built at
	docs  int   // how many documents it holds
	cache *store.SearchCache
	lists map[string][]byte
	terms []string            // sorted
	text  map[string][]string // doc → its text parts (1-based: text[doc][n-1])
	held  map[string]bool     // every doc it holds
}

type compSearch struct {
	mu   sync.Mutex
	idx  *compIndex
	docs map[string]*compDoc // by document ID, as analysed for idx
	// vault identifies the sealed names the docs were masked with
	// (vaultFingerprint).
	vault string
}

// compDoc is one document of a compartment, analysed.
type compDoc struct {
	digest [32]byte // of the version analysed
	d      store.SearchDoc
	parts  []string
	title  *textindex.Doc
	text   *textindex.Doc // nil: no text
}

func analyzeCompDoc(d store.SearchDoc, parts []string) *compDoc {
	c := &compDoc{d: d, parts: parts, title: textindex.Analyze([]string{d.Title})}
	if len(parts) > 0 {
		c.text = store.AnalyzeText(parts)
	}
	return c
}

// Lists and ListsOf make compIndex a textindex.Source.
func (x *compIndex) Lists(a textindex.Alt) ([][]byte, error) {
	if !a.Prefix {
		if l, ok := x.lists[a.Term]; ok {
			return [][]byte{l}, nil
		}
		return nil, nil
	}
	var out [][]byte
	i, _ := slices.BinarySearch(x.terms, a.Term)
	for ; i < len(x.terms) && strings.HasPrefix(x.terms[i], a.Term); i++ {
		out = append(out, x.lists[x.terms[i]])
	}
	return out, nil
}

func (x *compIndex) ListsOf(terms []string) ([][]byte, error) {
	var out [][]byte
	for _, t := range terms {
		if l, ok := x.lists[t]; ok {
			out = append(out, l)
		}
	}
	return out, nil
}

// memberOfAny reports whether the acting user is a member of a compartment.
func (a *Archive) memberOfAny(ctx context.Context) (bool, error) {
	t, err := readCompartments(ctx, a.db.Meta)
	if err != nil {
		return false, err
	}
	for _, c := range t.List {
		if slices.Contains(c.Members, a.me.ID) {
			return true, nil
		}
	}
	return false, nil
}

// compartmentIndex returns the session's in-memory index of what it reads
// in compartments (nil: nothing), building it if the archive changed.
func (a *Archive) compartmentIndex(ctx context.Context) (*compIndex, error) {
	size, err := a.db.TreeSize(ctx)
	if err != nil {
		return nil, err
	}
	a.compSearch.mu.Lock()
	defer a.compSearch.mu.Unlock()
	if x := a.compSearch.idx; x != nil && x.size == size {
		return x, nil
	}
	guard, err := a.newNameGuard(ctx, nil)
	if err != nil {
		return nil, err
	}
	// What was analysed before is kept by document and version digest:
	// a rebuild after a change elsewhere reads and tokenizes only what
	// changed. A change of the sealed names invalidates everything.
	vault, err := a.vaultFingerprint(ctx)
	if err != nil {
		return nil, err
	}
	prev := a.compSearch.docs
	if a.compSearch.vault != vault {
		prev = nil
	}
	var docs []*compDoc
	next := map[string]*compDoc{}
	keep := func(id string, digest [32]byte, make func() (*compDoc, error)) error {
		if d, ok := prev[id]; ok && d.digest == digest {
			docs = append(docs, d)
			next[id] = d
			return nil
		}
		d, err := make()
		if err != nil || d == nil {
			return err
		}
		d.digest = digest
		docs = append(docs, d)
		next[id] = d
		return nil
	}
	err = a.db.EachLatest(ctx, func(it store.Item, v store.Version) error {
		if storedCompartment(v.Record) == "" {
			return nil
		}
		return keep(it.ID.String(), v.Digest, func() (*compDoc, error) {
			rec, err := a.decodeVersion(ctx, v)
			if isRestricted(err) {
				return nil, nil
			}
			if err != nil {
				return nil, err
			}
			d := itemDoc(rec)
			d.Title = maskNames(d.Title, guard, Mask)
			var parts []string
			ik, err := a.itemKey(ctx, it.ID)
			if err != nil {
				return nil, err
			}
			if t, err := a.itemTextFrom(ctx, it, nil, ik); err == nil && t != "" {
				lines, _, ps := partLines(maskNames(t, guard, " "))
				for _, p := range ps {
					parts = append(parts, strings.Join(lines[p[0]:p[1]], "\n"))
				}
			} // unreadable text (shredded): found by title only, as the index does
			return analyzeCompDoc(d, parts), nil
		})
	})
	if err != nil {
		return nil, err
	}
	err = a.db.EachRecord(ctx, "", true, func(row store.RecordRow) error {
		if storedCompartment(row.Record) == "" {
			return nil
		}
		return keep(row.ID.String(), row.Digest, func() (*compDoc, error) {
			_, b, err := a.decodeRecordBody(ctx, row)
			if isRestricted(err) {
				return nil, nil
			}
			if err != nil {
				return nil, err
			}
			d, parts := recordDoc(row.ID, b)
			d.Title = maskNames(d.Title, guard, Mask)
			for i := range parts {
				parts[i] = maskNames(parts[i], guard, " ")
			}
			return analyzeCompDoc(d, parts), nil
		})
	})
	if err != nil {
		return nil, err
	}
	a.compSearch.docs, a.compSearch.vault = next, vault
	x := &compIndex{size: size, lists: map[string][]byte{}, text: map[string][]string{}, held: map[string]bool{}}
	b := textindex.NewBuilder()
	infos := make([]store.DocInfo, 0, len(docs))
	total := 0
	for i, d := range docs {
		tgen, gen := int64(2*i+1), int64(2*i+2)
		x.held[d.d.Doc] = true
		b.Add(uint64(tgen), d.title)
		lens := []uint32{d.title.Lens[0]}
		info := store.DocInfo{Doc: d.d.Doc, Kind: d.d.Kind, Title: d.d.Title, YearFrom: d.d.YearFrom, YearTo: d.d.YearTo,
			Places: store.Spaced(d.d.Places), Violations: store.Spaced(d.d.Violations), TGen: tgen}
		if d.text != nil {
			b.Add(uint64(gen), d.text)
			lens = append(lens, d.text.Lens[1:]...)
			info.Gen = gen
			x.text[d.d.Doc] = d.parts
		}
		for _, l := range lens {
			total += int(l)
		}
		info.Lens = lens
		infos = append(infos, info)
	}
	if err := b.Each(func(term string, list []byte) error {
		x.lists[term] = list
		x.terms = append(x.terms, term)
		return nil
	}); err != nil {
		return nil, err
	}
	rows := 0
	for _, d := range infos {
		rows += len(d.Lens)
	}
	x.docs = len(infos)
	x.cache = store.NewSearchCache(size, int64(rows), int64(total), func(_ context.Context, lo, hi int64) ([]store.DocInfo, error) {
		var out []store.DocInfo
		for _, d := range infos {
			if (d.TGen >= lo && d.TGen < hi) || (d.Gen != 0 && d.Gen >= lo && d.Gen < hi) {
				out = append(out, d)
			}
		}
		return out, nil
	})
	a.compSearch.idx = x
	return x, nil
}

// compartmentHits runs q over the compartments the acting user reads
// (none: nil), with the shared search's filters and voided records left
// out. Snippets are cut from the parts held in memory.
func (a *Archive) compartmentHits(ctx context.Context, q store.SearchQuery, voided map[evidence.ID]evidence.ID) ([]store.Hit, error) {
	if ok, err := a.memberOfAny(ctx); err != nil || !ok {
		return nil, err
	}
	x, err := a.compartmentIndex(ctx)
	if err != nil || x.docs == 0 {
		return nil, err
	}
	q.Allow = func(doc string) bool {
		id, err := evidence.ParseID(doc)
		if err != nil {
			return false
		}
		_, hidden := voided[id]
		return !hidden
	}
	q.Prefetch = nil
	q.Text = func(doc string, n int) (string, error) {
		ps := x.text[doc]
		if n < 1 || n > len(ps) {
			return "", nil
		}
		return ps[n-1], nil
	}
	return store.RunSearch(ctx, q, x.cache, func(context.Context) (textindex.Source, error) { return x, nil })
}

// mergeHits joins the shared index's hits and the compartments' by score
// (lower is better; the two are ranked against different collections,
// so the order between them is approximate), keeping limit.
func mergeHits(shared, comp []store.Hit, limit int) []store.Hit {
	if len(comp) == 0 {
		return shared
	}
	all := append(slices.Clone(shared), comp...)
	slices.SortStableFunc(all, func(a, b store.Hit) int { return cmp.Compare(a.Score, b.Score) })
	if limit <= 0 {
		limit = 20
	}
	if len(all) > limit {
		all = all[:limit]
	}
	return all
}

// vaultFingerprint changes whenever the sealed names do: a witness added
// or withdrawn.
func (a *Archive) vaultFingerprint(ctx context.Context) (string, error) {
	rows, err := a.db.VaultRows(ctx)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%s:%t;", r.ID, r.Withdrawn)
	}
	return b.String(), nil
}
