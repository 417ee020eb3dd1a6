package web

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/store"
)

type dashData struct {
	Items     int
	Recent    []archive.Listed
	Records   int
	ByKind    []kindCount
	LogSize   int64
	RolesList []string
}

type kindCount struct {
	Kind  string
	Count int
	On    bool // the facet chosen
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, ss *session) {
	ctx := r.Context()
	a := ss.arch
	d := dashData{RolesList: strings.Split(ss.roles, ",")}
	err := a.List(ctx, func(l archive.Listed) error {
		d.Items++
		d.Recent = append(d.Recent, l)
		if len(d.Recent) > 10 {
			d.Recent = d.Recent[1:]
		}
		return nil
	})
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	slices.Reverse(d.Recent)
	counts := map[string]int{}
	err = a.Records(ctx, "", func(_ evidence.ID, b model.Body) error {
		d.Records++
		counts[b.Kind()]++
		return nil
	})
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	d.ByKind = sortedCounts(counts, "")
	if cp, err := a.Checkpoint(ctx); err == nil {
		d.LogSize = cp.Size
	}
	s.render(w, r, ss, http.StatusOK, "dashboard", "dash.title", d)
}

func sortedCounts(m map[string]int, on string) []kindCount {
	var out []kindCount
	for k, n := range m {
		out = append(out, kindCount{Kind: k, Count: n, On: k == on})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out
}

// Highlight markers the archive puts around matches in snippets: private-use
// characters, which the template turns into <mark> after escaping the text.
const markOpen, markShut = "\uE000", "\uE001"

type searchData struct {
	Q, Kind, Lang string
	Searched      bool
	Hits          []searchHit // the page shown
	Records       bool        // some hits shown are records (which bulk actions take)
	Total         int         // hits through the facets, on every page
	Kinds, Langs  []kindCount
	// Page is the page shown (from 1) of Pages; PrevHref and NextHref
	// link to its neighbours ("" at an end).
	Page, Pages        int
	PrevHref, NextHref string
	// Saved is the user's saved searches; Run the one shown, if any;
	// Done a confirmation key.
	Saved []archive.SavedSearch
	Run   *archive.SavedSearch
	Done  string
}

type searchHit struct {
	Record         bool // a record, not an item
	ID, Kind, Lang string
	Title          string
	Snippet        []snippetPart
}

type snippetPart struct {
	Text string
	Mark bool
}

// searchLimit bounds the hits one search fetches; the facets count them.
// searchPageSize is how many of them a page shows, each with its snippet.
const (
	searchLimit    = 200
	searchPageSize = 20
)

// search runs a query (or the user's saved search ?saved=ID) and narrows
// its hits by kind and language facets, ?page=N of them at a time. The
// hits are fetched without snippets and the facets counted over all of
// them (already through the archive's guard, so they tell nothing a hit
// does not); only the page shown gets its snippets and, for the language
// facet, the items' languages are read in one call.
func (s *Server) search(w http.ResponseWriter, r *http.Request, ss *session) {
	q := r.URL.Query()
	d := searchData{Q: strings.TrimSpace(q.Get("q")), Kind: q.Get("kind"), Lang: q.Get("lang"), Done: doneMessage(r), Page: 1}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			s.fail(w, r, ss, http.StatusBadRequest, "err.bad")
			return
		}
		d.Page = n
	}
	ctx := r.Context()
	var hits []store.Hit
	var err error
	switch id := savedID(r); {
	case id != "":
		var run archive.SavedSearch
		run, hits, err = s.savedRun(r, ss, id)
		if err != nil {
			s.failErr(w, r, ss, err)
			return
		}
		d.Run, d.Searched, d.Q = &run, true, run.Query
		if d.Kind == "" {
			d.Kind = run.Kind
		}
		if d.Lang == "" {
			d.Lang = run.Lang
		}
	case d.Q != "":
		d.Searched = true
		hits, err = ss.arch.Search(ctx, d.Q, archive.SearchOptions{Limit: searchLimit, NoSnippets: true})
		if err != nil {
			s.failErr(w, r, ss, err)
			return
		}
	}
	if d.Searched {
		var items []string
		for _, h := range hits {
			if _, err := evidence.ParseKind(h.Kind); err == nil {
				items = append(items, h.Doc)
			}
		}
		langs, err := ss.arch.ItemLangs(ctx, items)
		if err != nil {
			s.failErr(w, r, ss, err)
			return
		}
		kindN, langN := map[string]int{}, map[string]int{}
		var kept []store.Hit // through the facets
		for _, h := range hits {
			lang := langs[h.Doc]
			kindN[h.Kind]++
			if lang != "" {
				langN[lang]++
			}
			if (d.Kind == "" || d.Kind == h.Kind) && (d.Lang == "" || d.Lang == lang) {
				kept = append(kept, h)
			}
		}
		d.Total = len(kept)
		d.Kinds, d.Langs = sortedCounts(kindN, d.Kind), sortedCounts(langN, d.Lang)
		d.Pages = max(1, (d.Total+searchPageSize-1)/searchPageSize)
		d.Page = min(d.Page, d.Pages)
		shown := kept[(d.Page-1)*searchPageSize : min(d.Page*searchPageSize, d.Total)]
		if err := ss.arch.Snippets(ctx, d.Q, shown, markOpen, markShut); err != nil {
			s.failErr(w, r, ss, err)
			return
		}
		for _, h := range shown {
			_, err := evidence.ParseKind(h.Kind)
			d.Hits = append(d.Hits, searchHit{Record: err != nil, ID: h.Doc, Kind: h.Kind, Lang: langs[h.Doc], Title: h.Title, Snippet: splitSnippet(h.Snippet)})
			d.Records = d.Records || err != nil
		}
		if d.Page > 1 {
			d.PrevHref = searchHref(r, d.Page-1)
		}
		if d.Page < d.Pages {
			d.NextHref = searchHref(r, d.Page+1)
		}
	}
	if d.Saved, err = ss.arch.SavedSearches(ctx); err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	s.render(w, r, ss, http.StatusOK, "search", "search.title", d)
}

// searchHref is the search page's own URL (query, saved search and
// facets as asked) at page n.
func searchHref(r *http.Request, n int) string {
	v := url.Values{}
	for _, k := range []string{"q", "saved", "kind", "lang"} {
		if x := r.URL.Query().Get(k); x != "" {
			v.Set(k, x)
		}
	}
	if n > 1 {
		v.Set("page", strconv.Itoa(n))
	}
	return "/search?" + v.Encode()
}

func splitSnippet(s string) []snippetPart {
	var out []snippetPart
	for s != "" {
		i := strings.Index(s, markOpen)
		if i < 0 {
			out = append(out, snippetPart{Text: s})
			break
		}
		if i > 0 {
			out = append(out, snippetPart{Text: s[:i]})
		}
		s = s[i+len(markOpen):]
		j := strings.Index(s, markShut)
		if j < 0 {
			j = len(s)
		}
		out = append(out, snippetPart{Text: s[:j], Mark: true})
		s = strings.TrimPrefix(s[j:], markShut)
	}
	return out
}

// show is an item's or a record's page, by full ID or unique prefix.
func (s *Server) show(w http.ResponseWriter, r *http.Request, ss *session) {
	id, isItem, err := ss.arch.ResolveAny(r.Context(), r.PathValue("id"))
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	if isItem {
		s.itemPage(w, r, ss, id)
		return
	}
	s.recordPage(w, r, ss, id)
}

type itemData struct {
	Info     archive.ItemInfo
	Cur      evidence.ItemRecord
	Text     string
	HasText  bool
	Log      []archive.LogEntry
	Restrict bool
	Links    []link
	Sel      *selView // the text, selectable
	Shredded bool     // the item's key was destroyed: no text to show
	Done     string   // a confirmation message key
	// TimeNotes are an audio or video item's time-coded notes, by time;
	// CanNote: the user may add one.
	TimeNotes []archive.TimeNote
	CanNote   bool
}

// maxShownText is the largest text item shown in a page.
const maxShownText = 2 << 20

func (s *Server) itemPage(w http.ResponseWriter, r *http.Request, ss *session, id evidence.ID) {
	ctx := r.Context()
	info, err := ss.arch.Show(ctx, id.String())
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	d := itemData{Info: info, Cur: info.Current, Restrict: info.Current.Witness != ""}
	if d.Text, d.HasText, err = s.itemText(r, ss, info); errors.Is(err, evidence.ErrShredded) {
		d.Shredded = true // its record and custody are still shown
	} else if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	if d.HasText {
		if d.Sel, err = s.selectionView(r, ss, info, d.Text, nil); err != nil {
			s.failErr(w, r, ss, err)
			return
		}
	}
	d.Done = doneMessage(r)
	if d.Links, err = linksTo(r, ss, id, true); err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	d.CanNote = archive.Permits(ss.roles, archive.OpRecordAdd)
	if d.TimeNotes, err = timeNotesOf(r, ss, info); err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	err = ss.arch.Log(ctx, id.String(), func(e archive.LogEntry) error {
		d.Log = append(d.Log, e)
		return nil
	})
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	s.render(w, r, ss, http.StatusOK, "item", "item.heading", d)
}

// itemText reads a text item through the archive (masked for the session,
// and recorded as a read when it belongs to a testimony); other kinds and
// large items are not shown.
func (s *Server) itemText(r *http.Request, ss *session, info archive.ItemInfo) (string, bool, error) {
	k := info.Current.Kind
	if (k != evidence.Transcript && k != evidence.Document) || info.Size > maxShownText {
		return "", false, nil
	}
	rc, _, err := ss.arch.Open(r.Context(), info.ID.String())
	if err != nil {
		return "", false, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxShownText+1))
	if err != nil {
		return "", false, err
	}
	if !utf8.Valid(b) {
		return "", false, nil
	}
	return string(b), true, nil
}
