package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/internal/model"
)

// Redaction and annotation by selecting text. A transcript's text is shown
// in an element the page's script watches; when the user selects a passage
// in it, the script fills the form beside it with the selection's start and
// end in characters of the text shown and the selected string. The server
// asks the archive to map that to bytes of the original (SelectionSpan:
// refused if the text no longer matches or the selection covers a mask),
// then records the redaction or annotation through the archive's own
// methods, which check the role again.

// textPart is a run of shown text, redacted or not.
type textPart struct {
	Text     string
	Redacted bool
}

// selView is one selectable text and the form beside it.
type selView struct {
	L            lang
	CSRF         string
	Item, SHA    string
	Lang         string
	Back         string
	Parts        []textPart
	CanRedact    bool
	CanAnnotate  bool
	Targets      []link
	RedactedSpan int // how many redactions are marked in the text
}

// selTargets lists the records an annotation may point to, by label.
func selTargets(r *http.Request, ss *session) ([]link, error) {
	var out []link
	for _, kind := range []string{model.KindEvent, model.KindAct, model.KindPerson, model.KindPlace} {
		err := ss.arch.Records(r.Context(), kind, func(id evidence.ID, b model.Body) error {
			out = append(out, link{ID: id.String(), Kind: kind, Label: labelOf(b)})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// selectionView is the selectable form of a text item's shown text: its
// redactions marked, and the form for the roles that may redact or
// annotate. targets are selTargets' (nil: looked up here when needed).
func (s *Server) selectionView(r *http.Request, ss *session, info archive.ItemInfo, text string, targets []link) (*selView, error) {
	// As a browser's DOM holds it, so that the runs marked below count
	// characters as the archive and the page's script do.
	text = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(text)
	v := &selView{L: langOf(r), CSRF: ss.csrf, Item: info.ID.String(), SHA: info.SHA256.String(), Lang: info.Current.Lang,
		Back: r.URL.Path, Parts: []textPart{{Text: text}},
		CanRedact:   archive.Permits(ss.roles, archive.OpRedact),
		CanAnnotate: archive.Permits(ss.roles, archive.OpRecordAdd)}
	if !v.CanRedact {
		return v, nil
	}
	marks, err := ss.arch.Redactions(r.Context(), v.Item)
	if err != nil {
		return nil, err
	}
	var spans [][2]int
	for _, m := range marks {
		if !m.Withdrawn {
			spans = append(spans, [2]int{m.Start, m.End})
		}
	}
	if len(spans) > 0 {
		shown, err := ss.arch.ShownSpans(r.Context(), v.Item, spans)
		if err != nil {
			return nil, err
		}
		v.Parts, v.RedactedSpan = splitMarked(text, shown), len(spans)
	}
	if v.CanAnnotate {
		if targets == nil {
			if targets, err = selTargets(r, ss); err != nil {
				return nil, err
			}
		}
		v.Targets = targets
	}
	return v, nil
}

// splitMarked cuts text into runs inside and outside the character spans.
func splitMarked(text string, spans [][2]int) []textPart {
	n := utf8.RuneCountInString(text)
	on := make([]bool, n)
	for _, sp := range spans {
		for i := max(sp[0], 0); i < min(sp[1], n); i++ {
			on[i] = true
		}
	}
	var out []textPart
	var b strings.Builder
	i, cur := 0, false
	for _, r := range text {
		if i < n && on[i] != cur && b.Len() > 0 {
			out = append(out, textPart{Text: b.String(), Redacted: cur})
			b.Reset()
		}
		if i < n {
			cur = on[i]
		}
		b.WriteRune(r)
		i++
	}
	if b.Len() > 0 {
		out = append(out, textPart{Text: b.String(), Redacted: cur})
	}
	return out
}

// selectPost redacts or annotates the selection a form sends.
func (s *Server) selectPost(w http.ResponseWriter, r *http.Request, ss *session) {
	action := r.PostFormValue("action")
	op := archive.OpRedact
	switch action {
	case "redact":
	case "annotate":
		op = archive.OpRecordAdd
	default:
		s.fail(w, r, ss, http.StatusBadRequest, "sel.noaction")
		return
	}
	if !archive.Permits(ss.roles, op) {
		s.fail(w, r, ss, http.StatusForbidden, "err.forbidden")
		return
	}
	item := r.PostFormValue("item")
	start, err1 := strconv.Atoi(r.PostFormValue("start"))
	end, err2 := strconv.Atoi(r.PostFormValue("end"))
	if err1 != nil || err2 != nil || item == "" {
		s.fail(w, r, ss, http.StatusBadRequest, "sel.none")
		return
	}
	sel := archive.Selection{Start: start, End: end, Text: r.PostFormValue("text")}
	if sha := r.PostFormValue("sha"); sha != "" {
		d, err := evidence.ParseDigest(sha)
		if err != nil {
			s.fail(w, r, ss, http.StatusBadRequest, "sel.none")
			return
		}
		sel.SHA256 = d
	}
	ctx := r.Context()
	bstart, bend, err := ss.arch.SelectionSpan(ctx, item, sel)
	if err != nil {
		s.failSelection(w, r, ss, err)
		return
	}
	switch action {
	case "redact":
		_, err = ss.arch.AddRedaction(ctx, item, bstart, bend, strings.TrimSpace(r.PostFormValue("reason")))
	case "annotate":
		var target evidence.ID
		if target, err = evidence.ParseID(r.PostFormValue("target")); err != nil {
			s.fail(w, r, ss, http.StatusBadRequest, "sel.notarget")
			return
		}
		var id evidence.ID
		if id, err = ss.arch.Resolve(ctx, item); err == nil {
			_, err = ss.arch.AddRecord(ctx, &model.Annotation{Item: id, Start: bstart, End: bend, Target: target, Note: strings.TrimSpace(r.PostFormValue("note"))})
		}
	}
	if err != nil {
		s.failSelection(w, r, ss, err)
		return
	}
	s.log.Info("web: selection recorded", "action", action, "item", item)
	http.Redirect(w, r, withQuery(localPath(r.PostFormValue("back")), "done", action), http.StatusSeeOther)
}

// failSelection is failErr with a line in the page's language before the
// archive's own reason.
func (s *Server) failSelection(w http.ResponseWriter, r *http.Request, ss *session, err error) {
	if errors.Is(err, evidence.ErrInvalid) {
		s.render(w, r, ss, http.StatusBadRequest, "error", "err.title", errorData{Key: "sel.refused", Detail: ss.arch.DiscloseError(err).Error()})
		return
	}
	s.failErr(w, r, ss, err)
}

// withQuery adds key=value to a local path's query.
func withQuery(p, key, value string) string {
	u, err := url.Parse(p)
	if err != nil {
		return p
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// doneKeys are the messages a page shows after ?done=….
var doneKeys = map[string]string{"redact": "sel.done.redact", "annotate": "sel.done.annotate"}

// doneMessage is the confirmation key for the request's ?done, or "".
func doneMessage(r *http.Request) string { return doneKeys[r.URL.Query().Get("done")] }

// redactionRow is a redaction of one of a testimony's items.
type redactionRow struct {
	ID, Item, Reason string
	Start, End       int
	Withdrawn        bool
}

// testimonyRedactions lists the redactions of items, for roles that may
// see them (those that may redact: the CLI's 'redact --list').
func testimonyRedactions(r *http.Request, ss *session, items []evidence.ID) ([]redactionRow, bool, error) {
	if !archive.Permits(ss.roles, archive.OpRedact) {
		return nil, false, nil
	}
	all, err := ss.arch.Redactions(r.Context(), "")
	if err != nil {
		return nil, true, err
	}
	var out []redactionRow
	for _, m := range all {
		if slices.Contains(items, m.Item) {
			out = append(out, redactionRow{ID: m.ID.String(), Item: m.Item.String(), Reason: m.Reason, Start: m.Start, End: m.End, Withdrawn: m.Withdrawn})
		}
	}
	return out, true, nil
}
