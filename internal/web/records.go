package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/vocab"
)

type field struct{ Name, Value string }

type link struct {
	Role  string
	ID    string
	Kind  string
	Label string
}

type recordData struct {
	Info   archive.RecordInfo
	Fields []field
	Refs   []link
	Links  []link

	// Review is the record's review state (ReviewOK: it has one).
	Review   archive.ReviewInfo
	ReviewOK bool
	// Editable: the session may edit it with a form.
	Editable bool
	// Tags are the record's tags (archive.Tags: through the guard).
	Tags []string
}

func (s *Server) recordPage(w http.ResponseWriter, r *http.Request, ss *session, id evidence.ID) {
	ctx := r.Context()
	info, err := ss.arch.Record(ctx, id.String())
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	if t, ok := info.Current.(*model.Testimony); ok {
		s.testimonyPage(w, r, ss, info, t)
		return
	}
	d := recordData{Info: info, Fields: fieldsOf(info.Current, langOf(r)), Refs: refsOf(info.Current),
		Editable: info.Current != nil && slices.Contains(formKinds, info.Kind) && archive.Permits(ss.roles, archive.OpRecordEdit)}
	if d.Links, err = linksTo(r, ss, id, false); err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	if d.Review, d.ReviewOK, err = reviewOf(r, ss, id); err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	if d.Tags, err = ss.arch.Tags(ctx, id.String()); err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	s.render(w, r, ss, http.StatusOK, "record", "rec.heading", d)
}

// linksTo lists the records that refer to id (an item when item is set).
func linksTo(r *http.Request, ss *session, id evidence.ID, item bool) ([]link, error) {
	var out []link
	err := ss.arch.Records(r.Context(), "", func(from evidence.ID, b model.Body) error {
		for _, ref := range b.Refs() {
			if ref.ID == id && ref.Item == item {
				out = append(out, link{Role: ref.Role, ID: from.String(), Kind: b.Kind(), Label: labelOf(b)})
			}
		}
		return nil
	})
	return out, err
}

func refsOf(b model.Body) []link {
	var out []link
	for _, ref := range b.Refs() {
		kind := "record"
		if ref.Item {
			kind = "item"
		}
		out = append(out, link{Role: ref.Role, ID: ref.ID.String(), Kind: kind})
	}
	return out
}

// labelOf is a short human label of a record: its title or first name.
func labelOf(b model.Body) string {
	switch v := b.(type) {
	case *model.Testimony:
		return v.Title
	case *model.Event:
		return v.Title
	case *model.Person:
		return strings.Join(v.Names, " / ")
	case *model.Place:
		return strings.Join(v.Names, " / ")
	case *model.Act:
		return v.Violation
	}
	return b.Kind()
}

// vocabOf names the vocabulary a field's codes come from.
var vocabOf = map[string]string{
	"violations": vocab.Violations, "violation": vocab.Violations,
	"status": "violation_status", "status_at_end": "violation_status",
	"type": "place_types", "degree": "involvement_degree", "perpetrator_type": "perpetrator_types",
	"connection": "source_connection", "reliability": "admiralty_source", "credibility": "admiralty_info",
	"scope": "consent_scope", "place_precision": "place_precision", "date_precision": "date_precision",
}

// placeFields hold gazetteer codes (or record IDs).
var placeFields = map[string]bool{"places": true, "place": true, "parent": true, "gazetteer": true}

// label turns a vocabulary code or gazetteer code into its label in l,
// keeping the code; anything else is returned as it is.
func label(name, v string, l lang) string {
	if vn, ok := vocabOf[name]; ok {
		if voc, err := vocab.Get(vn); err == nil {
			if t, ok := voc.Term(v); ok {
				return t.Label(string(l)) + " (" + v + ")"
			}
		}
	}
	if placeFields[name] {
		if p, ok := vocab.PlaceByCode(v); ok {
			if l == "ko" {
				return p.Hangul + " (" + v + ")"
			}
			return p.EN + " (" + v + ")"
		}
	}
	return v
}

// fieldsOf lists a body's fields, named in l, each value as one line of
// text with vocabulary codes labelled: the record as the CLI's show --json
// gives it, readable.
func fieldsOf(b model.Body, l lang) []field {
	raw, err := json.Marshal(b)
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []field
	for _, k := range keys {
		if v := valueText(k, m[k], l); v != "" {
			name := k
			if _, ok := messages["field."+k]; ok {
				name = l.T("field." + k)
			}
			out = append(out, field{Name: name, Value: v})
		}
	}
	return out
}

func valueText(name string, v any, l lang) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return label(name, x, l)
	case bool:
		if x {
			return l.T("yes")
		}
		return l.T("no")
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, valueText(name, e, l))
		}
		return strings.Join(parts, "; ")
	case map[string]any:
		if _, ok := x["precision"]; ok { // a model.Date
			var d model.Date
			raw, _ := json.Marshal(x)
			if json.Unmarshal(raw, &d) == nil {
				return dateText(d)
			}
		}
		raw, _ := json.Marshal(x)
		return string(raw)
	default:
		return fmt.Sprint(x)
	}
}

func dateText(d model.Date) string {
	s := d.String()
	if s == "" {
		s = "?"
	}
	return s + " (" + d.Precision + ")"
}

type testimonyData struct {
	Info    archive.RecordInfo
	T       *model.Testimony
	Date    string
	Pairs   []textPair
	Items   []testimonyItem
	Consent archive.ConsentInfo
	C       *model.Consent
	Notes   []annotationRow
	// Redactions of its items, for the roles that may list them.
	Redactions     []redactionRow
	SeesRedactions bool
	Done           string
	Review         archive.ReviewInfo
	// ReviewOK: Review holds the testimony's review state.
	ReviewOK bool
	Tags     []string
}

// annotationRow is an annotation of one of the testimony's items. Its span
// is shown by byte offsets into the original: the text on this page may be
// masked for the session, so cutting the span out of it could show the
// wrong words.
type annotationRow struct {
	ID, Item, Target, Note string
	Start, End             int
}

// textPair is an original and its translation, shown side by side.
type textPair struct {
	Original, Translation testimonyItem
	HasTranslation        bool
}

type testimonyItem struct {
	ID, Title, Lang, Kind, Role string
	Text                        string
	HasText                     bool
	Sel                         *selView
}

func (s *Server) testimonyPage(w http.ResponseWriter, r *http.Request, ss *session, info archive.RecordInfo, t *model.Testimony) {
	ctx := r.Context()
	d := testimonyData{Info: info, T: t, Date: dateText(t.Date)}
	byID := map[evidence.ID]testimonyItem{}
	translationOf := map[evidence.ID]evidence.ID{}
	var targets []link
	if archive.Permits(ss.roles, archive.OpRecordAdd) {
		var err error
		if targets, err = selTargets(r, ss); err != nil {
			s.failErr(w, r, ss, err)
			return
		}
	}
	for _, id := range t.Items() {
		it, err := ss.arch.Show(ctx, id.String())
		if err != nil {
			s.failErr(w, r, ss, err)
			return
		}
		ti := testimonyItem{ID: id.String(), Title: it.Current.Title, Lang: it.Current.Lang, Kind: string(it.Current.Kind), Role: "t.original"}
		if it.Current.TranslationOf != nil {
			ti.Role = "t.translation"
			translationOf[id] = *it.Current.TranslationOf
		}
		if ti.Text, ti.HasText, err = s.itemText(r, ss, it); err != nil {
			s.failErr(w, r, ss, err)
			return
		}
		if ti.HasText {
			if ti.Sel, err = s.selectionView(r, ss, it, ti.Text, targets); err != nil {
				s.failErr(w, r, ss, err)
				return
			}
		}
		byID[id] = ti
		d.Items = append(d.Items, ti)
	}
	for _, id := range t.OriginalItems() {
		p := textPair{Original: byID[id]}
		for tr, of := range translationOf {
			if of == id {
				p.Translation, p.HasTranslation = byID[tr], true
				break
			}
		}
		if p.Original.HasText || p.HasTranslation {
			d.Pairs = append(d.Pairs, p)
		}
	}
	err := ss.arch.Records(ctx, model.KindAnnotation, func(id evidence.ID, b model.Body) error {
		if a, ok := b.(*model.Annotation); ok {
			if _, mine := byID[a.Item]; mine && a.At == nil { // time-coded notes are on the item's page
				d.Notes = append(d.Notes, annotationRow{ID: id.String(), Item: a.Item.String(), Target: a.Target.String(), Note: a.Note, Start: a.Start, End: a.End})
			}
		}
		return nil
	})
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	if d.Redactions, d.SeesRedactions, err = testimonyRedactions(r, ss, t.Items()); err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	d.Done = doneMessage(r)
	c, err := ss.arch.Consent(ctx, info.ID.String())
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	d.Consent = c
	if c.Found {
		d.C, _ = c.Record.Current.(*model.Consent)
	}
	if d.Review, d.ReviewOK, err = reviewOf(r, ss, info.ID); err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	if d.Tags, err = ss.arch.Tags(r.Context(), info.ID.String()); err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	s.render(w, r, ss, http.StatusOK, "testimony", "t.heading", d)
}

type listData struct {
	Kind string
	Rows []link
	Add  bool // the session may add a record of Kind with a form
}

// recordList lists the records of one kind with their labels: the way to
// the person, event and place pages without typing an ID.
func (s *Server) recordList(w http.ResponseWriter, r *http.Request, ss *session) {
	kind := r.URL.Query().Get("kind")
	if !slices.Contains(model.Kinds, kind) {
		s.fail(w, r, ss, http.StatusNotFound, "err.notfound")
		return
	}
	d := listData{Kind: kind, Add: slices.Contains(formKinds, kind) && archive.Permits(ss.roles, archive.OpRecordAdd)}
	err := ss.arch.Records(r.Context(), kind, func(id evidence.ID, b model.Body) error {
		d.Rows = append(d.Rows, link{ID: id.String(), Kind: kind, Label: labelOf(b)})
		return nil
	})
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	s.render(w, r, ss, http.StatusOK, "records", "list.title", d)
}
