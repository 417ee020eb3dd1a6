package web

import (
	"net/http"
	"slices"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/internal/model"
)

// Bulk actions on the records list and the search page: the user ticks
// records, picks an action and gets a result per record (done, or refused
// and why). Each record is its own change through the archive's methods —
// the same role checks, review rules and custody entries as the CLI — and
// every action appends (a review step is a new record); nothing is
// overwritten. Actions:
//
//	review-request, review-approve, review-reject   archive.ReviewMany
//	tag, untag                                      archive.TagMany (form field tag)
//	move                                            archive.MoveToCompartment, one record at a time
//	                                                (form field compartment): what refers to it moves along

// maxBulk bounds the records one bulk action takes.
const maxBulk = 1000

var bulkMessages = map[string][2]string{
	"bulk.title":     {"Bulk action", "일괄 작업"},
	"bulk.action":    {"Action", "작업"},
	"bulk.legend2":   {"Act on the selected records", "선택한 기록에 작업 적용"},
	"bulk.ok":        {"done", "완료"},
	"bulk.refused":   {"refused", "거부됨"},
	"bulk.back":      {"Back", "돌아가기"},
	"bulk.r.request": {"Review: ask for review", "검토: 검토 요청"},
	"bulk.r.approve": {"Review: approve", "검토: 승인"},
	"bulk.r.reject":  {"Review: send back to draft", "검토: 초안으로 반려"},
	"bulk.tag":       {"Add the tag", "태그 달기"},
	"bulk.untag":     {"Remove the tag", "태그 떼기"},
	"bulk.tagfield":  {"Tag (for adding or removing a tag)", "태그 (태그를 달거나 뗄 때)"},
	"bulk.tagged":    {"tagged", "태그 달림"},
	"bulk.untagged":  {"tag removed", "태그 떼어짐"},
	"tags":           {"Tags", "태그"},
	"bulk.move":      {"Place in the compartment", "제한 구획에 넣기"},
	"bulk.compfield": {"Compartment (for placing in one; you must be a member)", "제한 구획 (넣을 때; 구성원만)"},
	"bulk.moved":     {"placed in the compartment", "제한 구획에 넣음"},
}

func init() {
	for k, v := range bulkMessages {
		messages[k] = v
	}
	funcs["bulkview"] = func(p page) bulkView {
		return bulkView{L: p.L, CSRF: p.CSRF, Back: p.Path, Actions: bulkActions(p.Roles),
			Tags: archive.Permits(p.Roles, archive.OpRecordEdit), Review: archive.Permits(p.Roles, archive.OpReview)}
	}
}

// bulkView is what the shared "bulkfields" template takes.
type bulkView struct {
	L       lang
	CSRF    string
	Back    string
	Actions []bulkAction
	// Tags and Review: the form asks a tag, a review note.
	Tags, Review bool
}

// bulkAction is one action of the bulk form: its value and message key.
type bulkAction struct{ Value, Key string }

// bulkActions lists the actions a session's roles may take: none for a
// role that may take none (the form is then not shown).
func bulkActions(roles string) []bulkAction {
	var out []bulkAction
	if archive.Permits(roles, archive.OpRecordEdit) {
		out = append(out, bulkAction{"tag", "bulk.tag"}, bulkAction{"untag", "bulk.untag"}, bulkAction{"move", "bulk.move"})
	}
	if archive.Permits(roles, archive.OpReview) {
		out = append(out,
			bulkAction{"review-request", "bulk.r.request"},
			bulkAction{"review-approve", "bulk.r.approve"},
			bulkAction{"review-reject", "bulk.r.reject"})
	}
	return out
}

var allBulkActions = []string{"review-request", "review-approve", "review-reject", "tag", "untag", "move"}

type bulkData struct {
	Action  string
	Results []bulkRow
	Back    string
}

// bulkPost takes one action on every ticked record (form fields ref) and
// shows a result per record.
func (s *Server) bulkPost(w http.ResponseWriter, r *http.Request, ss *session) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, ss, http.StatusBadRequest, "err.bad")
		return
	}
	refs, action, note := r.PostForm["ref"], r.PostFormValue("action"), r.PostFormValue("note")
	if len(refs) == 0 || len(refs) > maxBulk {
		s.fail(w, r, ss, http.StatusBadRequest, "err.bad")
		return
	}
	// The form offers what the role may do; the archive decides (a role
	// that may not review is refused there, as by the CLI).
	if !slices.Contains(allBulkActions, action) {
		s.fail(w, r, ss, http.StatusBadRequest, "err.bad")
		return
	}
	d := bulkData{Action: action, Back: localPath(r.PostFormValue("back"))}
	switch action {
	case "review-request", "review-approve", "review-reject":
		step := map[string]string{"review-request": model.StepRequest, "review-approve": model.StepApprove, "review-reject": model.StepReject}[action]
		results, err := ss.arch.ReviewMany(r.Context(), refs, step, note)
		if err != nil {
			s.failErr(w, r, ss, err)
			return
		}
		for _, res := range results {
			row := bulkRow{ID: res.Ref, Error: res.Error}
			if res.Info != nil {
				row.ID, row.State = res.Info.Target.String(), res.Info.State
			}
			d.Results = append(d.Results, row)
		}
	case "tag", "untag":
		results, err := ss.arch.TagMany(r.Context(), refs, r.PostFormValue("tag"), action == "untag")
		if err != nil {
			s.failErr(w, r, ss, err)
			return
		}
		for _, res := range results {
			row := bulkRow{ID: res.Ref, Error: res.Error}
			if res.Error == "" {
				row.ID, row.Done = res.ID.String(), "bulk.tagged"
				if action == "untag" {
					row.Done = "bulk.untagged"
				}
			}
			d.Results = append(d.Results, row)
		}
	case "move":
		// One move per record, each its own change: a record refused (not
		// a member, in another compartment) leaves the others placed.
		name := r.PostFormValue("compartment")
		for _, ref := range refs {
			row := bulkRow{ID: ref}
			if _, err := ss.arch.MoveToCompartment(r.Context(), name, []string{ref}); err != nil {
				row.Error = ss.arch.DiscloseError(err).Error()
			} else {
				row.Done = "bulk.moved"
			}
			d.Results = append(d.Results, row)
		}
	}
	labels := map[evidence.ID]string{}
	err := ss.arch.Records(r.Context(), "", func(id evidence.ID, b model.Body) error {
		labels[id] = labelOf(b)
		return nil
	})
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	for i := range d.Results {
		if id, err := evidence.ParseID(d.Results[i].ID); err == nil {
			d.Results[i].Label = labels[id]
		}
	}
	s.render(w, r, ss, http.StatusOK, "bulk", "bulk.title", d)
}
