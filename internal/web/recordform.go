package web

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/internal/importer"
	"sori/internal/model"
	"sori/internal/vocab"
)

// Record forms: add or edit an event, act, involvement, person, place or
// piece of information in the browser. The fields are the importer's (the
// same table 'sori event add' and 'sori import' read), each typed as text;
// references and vocabulary terms offer suggestions as one types (HTML
// datalists: record labels as the session reads them, gazetteer names,
// vocabulary labels in the page's language), so nobody types a hex ID, and
// the importer's own messages ("did you mean …") come back on the form.
// An edit applies only the fields the user changed, over the record as
// stored (archive.EditRecord): a field the session reads masked is never
// written back masked.

// formKinds are the kinds these forms add and edit; testimonies, consent,
// annotations and redactions have pages and commands of their own.
var formKinds = []string{model.KindEvent, model.KindAct, model.KindInvolvement, model.KindPerson, model.KindPlace, model.KindInformation}

type formField struct {
	Name, Label string
	Value       string
	Multi       bool   // one value a line
	List        string // the datalist offering values, "" for none
	Hint        string // the expected form, a message key
	Bool        bool
}

type option struct{ Value, Label string }

type recordForm struct {
	Kind, ID string // ID: the record edited ("" when adding)
	Fields   []formField
	Lists    map[string][]option
	Error    string
}

// textOf gives a field's stored JSON value as the form's text.
func textOf(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, false
	}
	var ss []string
	if json.Unmarshal(raw, &ss) == nil {
		return strings.Join(ss, "\n"), true
	}
	var d model.Date
	if json.Unmarshal(raw, &d) == nil && d.Precision != "" {
		return d.String(), false
	}
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		if b {
			return "true", false
		}
		return "", false
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String(), false
	}
	return strings.TrimSpace(string(raw)), false
}

// formFields lays out kind's fields with the values of b (nil: empty).
func formFields(l lang, kind string, b model.Body) []formField {
	vals := map[string]string{}
	if b != nil {
		for _, v := range importer.FromBody(b).Fields {
			vals[v.Name], _ = textOf(v.JSON)
		}
	}
	var out []formField
	for _, f := range importer.Fields(kind) {
		ff := formField{Name: f.Name, Label: l.T("field." + f.Name), Value: vals[f.Name]}
		switch f.Type {
		case importer.Texts, importer.Terms, importer.PlaceRefs, importer.ItemRefs:
			ff.Multi = true
		case importer.Bool:
			ff.Bool = true
		case importer.Date:
			ff.Hint = "form.hint.date"
		case importer.Int, importer.Float:
			ff.Hint = "form.hint.number"
		}
		switch f.Type {
		case importer.Term, importer.Terms:
			ff.List = "v-" + f.Vocab
		case importer.PlaceRef, importer.PlaceRefs, importer.Gazetteer:
			ff.List = "places"
		case importer.RecordRef:
			ff.List = "r-" + strings.Join(f.Kinds, "-")
		}
		out = append(out, ff)
	}
	return out
}

// formLists builds the datalists kind's fields use.
func (s *Server) formLists(r *http.Request, ss *session, l lang, fields []formField) (map[string][]option, error) {
	lists := map[string][]option{}
	set, err := vocab.Load()
	if err != nil {
		return nil, err
	}
	langCode := string(l)
	for _, f := range fields {
		if f.List == "" || lists[f.List] != nil {
			continue
		}
		var opts []option
		switch {
		case strings.HasPrefix(f.List, "v-"):
			v, err := set.Vocabulary(strings.TrimPrefix(f.List, "v-"))
			if err != nil {
				return nil, err
			}
			for _, t := range v.Terms {
				opts = append(opts, option{t.Code, t.Label(langCode)})
			}
		case f.List == "places":
			for _, p := range set.Gazetteer().Places() {
				label := p.EN
				if langCode == "ko" {
					label = p.Hangul
				}
				opts = append(opts, option{p.Code, label})
			}
			err := ss.arch.Records(r.Context(), model.KindPlace, func(id evidence.ID, b model.Body) error {
				opts = append(opts, option{id.String(), labelOf(b)})
				return nil
			})
			if err != nil {
				return nil, err
			}
		default:
			for _, k := range strings.Split(strings.TrimPrefix(f.List, "r-"), "-") {
				err := ss.arch.Records(r.Context(), k, func(id evidence.ID, b model.Body) error {
					opts = append(opts, option{id.String(), l.Kind(k) + ": " + labelOf(b)})
					return nil
				})
				if err != nil {
					return nil, err
				}
			}
		}
		lists[f.List] = opts
	}
	return lists, nil
}

func (s *Server) renderForm(w http.ResponseWriter, r *http.Request, ss *session, status int, d recordForm) {
	lists, err := s.formLists(r, ss, langOf(r), d.Fields)
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	d.Lists = lists
	s.render(w, r, ss, status, "recordform", "form.title", d)
}

// recordNew shows the form that adds a record of the kind asked for.
func (s *Server) recordNew(w http.ResponseWriter, r *http.Request, ss *session) {
	kind := r.URL.Query().Get("kind")
	if !slices.Contains(formKinds, kind) {
		s.fail(w, r, ss, http.StatusNotFound, "err.notfound")
		return
	}
	if !archive.Permits(ss.roles, archive.OpRecordAdd) {
		s.fail(w, r, ss, http.StatusForbidden, "err.forbidden")
		return
	}
	s.renderForm(w, r, ss, http.StatusOK, recordForm{Kind: kind, Fields: formFields(langOf(r), kind, nil)})
}

// submitted reads the form's values for kind's fields.
func submitted(r *http.Request, fields []formField) []formField {
	out := slices.Clone(fields)
	for i := range out {
		v := strings.ReplaceAll(r.PostFormValue("f."+out[i].Name), "\r\n", "\n")
		if out[i].Bool {
			if v != "" {
				v = "true"
			}
		} else {
			v = strings.TrimSpace(v)
		}
		out[i].Value = v
	}
	return out
}

// value is a form field as the importer reads text.
func value(f formField) importer.Value {
	v := importer.Value{Name: f.Name, Label: f.Label}
	switch {
	case f.Multi:
		for _, line := range strings.Split(f.Value, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				v.Text = append(v.Text, line)
			}
		}
	case f.Bool && f.Value == "":
		v.Text = []string{"false"}
	default:
		v.Text = []string{f.Value}
	}
	return v
}

// recordCreate adds the record the form describes.
func (s *Server) recordCreate(w http.ResponseWriter, r *http.Request, ss *session) {
	kind := r.PostFormValue("kind")
	if !slices.Contains(formKinds, kind) {
		s.fail(w, r, ss, http.StatusNotFound, "err.notfound")
		return
	}
	if !archive.Permits(ss.roles, archive.OpRecordAdd) {
		s.fail(w, r, ss, http.StatusForbidden, "err.forbidden")
		return
	}
	d := recordForm{Kind: kind, Fields: submitted(r, formFields(langOf(r), kind, nil))}
	rec := importer.Record{Kind: kind}
	for _, f := range d.Fields {
		if f.Value != "" {
			rec.Fields = append(rec.Fields, value(f))
		}
	}
	p, err := importer.Build(r.Context(), []importer.Record{rec}, archive.ImportResolver(ss.arch))
	var id evidence.ID
	if err == nil {
		id, err = ss.arch.AddRecord(r.Context(), p.Bodies[0])
	}
	if err != nil {
		d.Error = ss.arch.DiscloseError(err).Error()
		s.renderForm(w, r, ss, http.StatusBadRequest, d)
		return
	}
	http.Redirect(w, r, "/show/"+id.String(), http.StatusSeeOther)
}

// editable reads record id for its form, as the session reads it.
func (s *Server) editable(w http.ResponseWriter, r *http.Request, ss *session) (archive.RecordInfo, bool) {
	if !archive.Permits(ss.roles, archive.OpRecordEdit) {
		s.fail(w, r, ss, http.StatusForbidden, "err.forbidden")
		return archive.RecordInfo{}, false
	}
	info, err := ss.arch.Record(r.Context(), r.PathValue("id"))
	if err != nil {
		s.failErr(w, r, ss, err)
		return info, false
	}
	if !slices.Contains(formKinds, info.Kind) || info.Current == nil {
		s.fail(w, r, ss, http.StatusNotFound, "err.notfound")
		return info, false
	}
	return info, true
}

// recordEdit shows the form that edits a record.
func (s *Server) recordEdit(w http.ResponseWriter, r *http.Request, ss *session) {
	info, ok := s.editable(w, r, ss)
	if !ok {
		return
	}
	s.renderForm(w, r, ss, http.StatusOK, recordForm{Kind: info.Kind, ID: info.ID.String(), Fields: formFields(langOf(r), info.Kind, info.Current)})
}

// recordUpdate writes a new version with the fields the user changed.
func (s *Server) recordUpdate(w http.ResponseWriter, r *http.Request, ss *session) {
	info, ok := s.editable(w, r, ss)
	if !ok {
		return
	}
	shown := formFields(langOf(r), info.Kind, info.Current)
	d := recordForm{Kind: info.Kind, ID: info.ID.String(), Fields: submitted(r, shown)}
	var changed []importer.Value
	for i, f := range d.Fields {
		if f.Value != shown[i].Value {
			changed = append(changed, value(f))
		}
	}
	if len(changed) == 0 {
		http.Redirect(w, r, "/show/"+info.ID.String(), http.StatusSeeOther)
		return
	}
	ctx := r.Context()
	_, _, err := ss.arch.EditRecord(ctx, info.ID.String(), func(cur model.Body) (model.Body, error) {
		rec := importer.FromBody(cur)
		for _, v := range changed {
			rec.Fields = slices.DeleteFunc(rec.Fields, func(f importer.Value) bool { return f.Name == v.Name })
			rec.Fields = append(rec.Fields, v)
		}
		p, err := importer.Build(ctx, []importer.Record{rec}, archive.ImportResolver(ss.arch))
		if err != nil {
			return nil, err
		}
		return p.Bodies[0], nil
	})
	if err != nil {
		d.Error = ss.arch.DiscloseError(err).Error()
		s.renderForm(w, r, ss, http.StatusBadRequest, d)
		return
	}
	http.Redirect(w, r, "/show/"+info.ID.String(), http.StatusSeeOther)
}
