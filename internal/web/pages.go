package web

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"sort"
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
	Hits          []searchHit
	Records       bool // some hits are records (which bulk actions take)
	Total         int
	Kinds, Langs  []kindCount
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
const searchLimit = 200

// search runs a query (or the user's saved search ?saved=ID) and narrows
// its hits by kind and language facets. The facet counts are of the hits
// the archive returned (already through its guard), so they tell nothing a
// hit does not.
func (s *Server) search(w http.ResponseWriter, r *http.Request, ss *session) {
	q := r.URL.Query()
	d := searchData{Q: strings.TrimSpace(q.Get("q")), Kind: q.Get("kind"), Lang: q.Get("lang"), Done: doneMessage(r)}
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
		hits, err = ss.arch.Search(r.Context(), d.Q, archive.SearchOptions{Limit: searchLimit, Open: markOpen, Shut: markShut})
		if err != nil {
			s.failErr(w, r, ss, err)
			return
		}
	}
	if d.Searched {
		kinds, langs := map[string]int{}, map[string]int{}
		for _, h := range hits {
			sh := searchHit{ID: h.Doc, Kind: h.Kind, Title: h.Title, Snippet: splitSnippet(h.Snippet)}
			if _, err := evidence.ParseKind(h.Kind); err == nil {
				if it, err := ss.arch.Show(r.Context(), h.Doc); err == nil {
					sh.Lang = it.Current.Lang
				}
			} else {
				sh.Record = true
			}
			kinds[sh.Kind]++
			if sh.Lang != "" {
				langs[sh.Lang]++
			}
			if (d.Kind == "" || d.Kind == sh.Kind) && (d.Lang == "" || d.Lang == sh.Lang) {
				d.Hits = append(d.Hits, sh)
				d.Records = d.Records || sh.Record
			}
		}
		d.Total = len(d.Hits)
		d.Kinds, d.Langs = sortedCounts(kinds, d.Kind), sortedCounts(langs, d.Lang)
	}
	if d.Saved, err = ss.arch.SavedSearches(r.Context()); err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	s.render(w, r, ss, http.StatusOK, "search", "search.title", d)
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
