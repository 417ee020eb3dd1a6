package web

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/internal/model"
)

// Team work in the web app: a record's review state and its steps (on the
// record and testimony pages, with the forms the user's role allows), the
// review queue (/review), four-eyes requests (/approvals) and time-coded
// notes on the page of an audio or video item. Every page and form goes
// through the archive's own methods: the same rules, custody entries and
// disclosure guard as 'sori review' and 'sori approve'.

var teamMessages = map[string][2]string{
	"nav.review":        {"Review", "검토"},
	"nav.approvals":     {"Approvals", "승인"},
	"review.title":      {"Review queue", "검토 대기열"},
	"review.state":      {"Review state", "검토 상태"},
	"review.draft":      {"Draft", "초안"},
	"review.needs":      {"Needs review", "검토 필요"},
	"review.done":       {"Reviewed", "검토 완료"},
	"review.all":        {"All", "전체"},
	"review.steps":      {"Review steps", "검토 단계"},
	"review.nosteps":    {"No review steps yet.", "아직 검토 단계가 없습니다."},
	"review.none":       {"No records in this state.", "이 상태의 기록이 없습니다."},
	"review.request":    {"Ask for review", "검토 요청"},
	"review.approve":    {"Approve", "승인"},
	"review.reject":     {"Send back to draft", "초안으로 반려"},
	"review.note":       {"Note on this step (optional)", "이 단계에 대한 메모 (선택)"},
	"review.rule":       {"A reviewer cannot review what they wrote or asked review of; an edit makes the record a draft again.", "자신이 작성했거나 검토를 요청한 기록은 검토할 수 없습니다. 기록을 고치면 다시 초안이 됩니다."},
	"review.filter":     {"Show records in state", "표시할 상태"},
	"review.show":       {"Show", "보기"},
	"review.step":       {"Step", "단계"},
	"review.on":         {"On version", "대상 판"},
	"review.rec":        {"Record", "기록"},
	"step.request":      {"review requested", "검토 요청"},
	"step.approve":      {"approved", "승인"},
	"step.reject":       {"sent back", "반려"},
	"appr.title":        {"Approval requests (four eyes)", "승인 요청 (4안 원칙)"},
	"appr.none":         {"No requests.", "요청이 없습니다."},
	"appr.action":       {"Action", "작업"},
	"appr.by":           {"Requested by", "요청자"},
	"appr.what":         {"What", "대상"},
	"appr.fourEyes":     {"Needs a second user's approval", "두 번째 사용자의 승인이 필요한 작업"},
	"appr.off":          {"none", "없음"},
	"appr.approve":      {"Approve", "승인"},
	"appr.deny":         {"Deny", "거부"},
	"appr.note":         {"Note on the decision (optional)", "결정에 대한 메모 (선택)"},
	"appr.rule":         {"A request is decided by a second user whose role may perform it; refused attempts are recorded in the custody log.", "요청은 그 작업을 할 수 있는 역할의 다른 사용자가 결정합니다. 거부된 시도도 보관 이력에 기록됩니다."},
	"appr.history":      {"History", "이력"},
	"appr.pending":      {"pending", "대기"},
	"appr.approved":     {"approved", "승인됨"},
	"appr.denied":       {"denied", "거부됨"},
	"appr.refused":      {"refused attempt", "거부된 시도"},
	"appr.done":         {"done", "실행됨"},
	"tn.title":          {"Time-coded notes", "시간 표시 메모"},
	"tn.none":           {"No time-coded notes yet.", "시간 표시 메모가 없습니다."},
	"tn.at":             {"At", "시점"},
	"tn.add":            {"Add a note at a time of the recording", "녹음의 한 시점에 메모 추가"},
	"tn.time":           {"Time from the start (12:31 or 1:02:03)", "시작부터의 시간 (12:31 또는 1:02:03)"},
	"tn.save":           {"Add note", "메모 추가"},
	"kind.review":       {"review step", "검토 단계"},
	"kind.approval":     {"approval request", "승인 요청"},
	"kind.setting":      {"setting", "설정"},
	"err.pending":       {"This waits for a second user's approval.", "두 번째 사용자의 승인을 기다리고 있습니다."},
	"review.stateLabel": {"State", "상태"},
	"bulk.results":      {"Result of the step, record by record", "기록별 처리 결과"},
	"bulk.result":       {"Result", "결과"},
	"bulk.select":       {"Select", "선택"},
	"bulk.legend":       {"Take one review step on the selected records", "선택한 기록에 검토 단계 적용"},
	"bulk.go":           {"Apply to selected", "선택한 기록에 적용"},
}

func init() {
	for k, v := range teamMessages {
		messages[k] = v
	}
	funcs["reviewview"] = func(p page, info archive.ReviewInfo, ok bool) reviewView {
		return reviewView{L: p.L, CSRF: p.CSRF, Info: info, OK: ok, CanReview: archive.Permits(p.Roles, archive.OpReview)}
	}
	funcs["statekey"] = stateKey
}

// reviewView is what the shared "reviewpanel" template takes.
type reviewView struct {
	L         lang
	CSRF      string
	Info      archive.ReviewInfo
	OK        bool // the record has a review state
	CanReview bool
}

func stateKey(state string) string {
	switch state {
	case archive.ReviewNeedsReview:
		return "review.needs"
	case archive.ReviewReviewed:
		return "review.done"
	}
	return "review.draft"
}

// reviewOf is record id's review panel data; a record with no review state
// (a void, a review step) shows none.
func reviewOf(r *http.Request, ss *session, id evidence.ID) (archive.ReviewInfo, bool, error) {
	info, err := ss.arch.ReviewOf(r.Context(), id.String())
	if err != nil {
		if errorsIsInvalid(err) {
			return info, false, nil
		}
		return info, false, err
	}
	return info, true, nil
}

type queueRow struct {
	Info  archive.ReviewInfo
	Label string
	By    string
}

type queueData struct {
	State     string
	States    []string
	Rows      []queueRow
	CanReview bool
	// Results are the outcome of a bulk step, one per record.
	Results []bulkRow
}

type bulkRow struct {
	ID, Label, State, Error string
	Done                    string // a message key: what was done (bulk tagging)
}

// reviewQueue lists the records in one review state (by default those
// that need review), with their labels.
func (s *Server) reviewQueue(w http.ResponseWriter, r *http.Request, ss *session) {
	s.renderQueue(w, r, ss, r.URL.Query().Get("state"), nil)
}

// reviewBulk takes one review step on every record ticked in the queue,
// each on its own, and shows the queue again with a result per record.
func (s *Server) reviewBulk(w http.ResponseWriter, r *http.Request, ss *session) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, ss, http.StatusBadRequest, "err.bad")
		return
	}
	refs, state := r.PostForm["ref"], r.PostFormValue("state")
	if len(refs) == 0 || len(refs) > 1000 || (state != "" && !slices.Contains(append(archive.ReviewStates(), "all"), state)) {
		s.fail(w, r, ss, http.StatusBadRequest, "err.bad")
		return
	}
	results, err := ss.arch.ReviewMany(r.Context(), refs, r.PostFormValue("step"), r.PostFormValue("note"))
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	rows := make([]bulkRow, len(results))
	for i, res := range results {
		rows[i] = bulkRow{ID: res.Ref, Error: res.Error}
		if res.Info != nil {
			rows[i].ID, rows[i].State = res.Info.Target.String(), res.Info.State
		}
	}
	s.renderQueue(w, r, ss, state, rows)
}

func (s *Server) renderQueue(w http.ResponseWriter, r *http.Request, ss *session, state string, results []bulkRow) {
	ctx := r.Context()
	d := queueData{State: state, States: append(archive.ReviewStates(), "all"), CanReview: archive.Permits(ss.roles, archive.OpReview), Results: results}
	if d.State == "" {
		d.State = archive.ReviewNeedsReview
	}
	if !slices.Contains(d.States, d.State) {
		s.fail(w, r, ss, http.StatusBadRequest, "err.bad")
		return
	}
	want := d.State
	if want == "all" {
		want = ""
	}
	list, err := ss.arch.Reviews(ctx, want)
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	labels := map[evidence.ID]string{}
	err = ss.arch.Records(ctx, "", func(id evidence.ID, b model.Body) error {
		labels[id] = labelOf(b)
		return nil
	})
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	for _, info := range list {
		row := queueRow{Info: info, Label: labels[info.Target]}
		if n := len(info.Steps); n > 0 {
			row.By = info.Steps[n-1].ActorName
		}
		d.Rows = append(d.Rows, row)
	}
	for i := range d.Results {
		if id, err := evidence.ParseID(d.Results[i].ID); err == nil {
			d.Results[i].Label = labels[id]
		}
	}
	s.render(w, r, ss, http.StatusOK, "review", "review.title", d)
}

// reviewPost takes one review step on record {id}: request, approve or
// reject, with an optional note, then shows the record again.
func (s *Server) reviewPost(w http.ResponseWriter, r *http.Request, ss *session) {
	ctx := r.Context()
	ref, note := r.PathValue("id"), r.PostFormValue("note")
	var err error
	switch r.PostFormValue("step") {
	case model.StepRequest:
		_, err = ss.arch.RequestReview(ctx, ref, note)
	case model.StepApprove:
		_, err = ss.arch.ApproveReview(ctx, ref, note)
	case model.StepReject:
		_, err = ss.arch.RejectReview(ctx, ref, note)
	default:
		s.fail(w, r, ss, http.StatusBadRequest, "err.bad")
		return
	}
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	id, _, err := ss.arch.ResolveAny(ctx, ref)
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	http.Redirect(w, r, "/show/"+id.String(), http.StatusSeeOther)
}

type approvalsData struct {
	FourEyes   []string
	Rows       []archive.ApprovalInfo
	CanApprove bool
}

// approvals lists the four-eyes requests, newest decisions last, with the
// forms to approve or deny those pending.
func (s *Server) approvals(w http.ResponseWriter, r *http.Request, ss *session) {
	ctx := r.Context()
	d := approvalsData{CanApprove: archive.Permits(ss.roles, archive.OpApprove)}
	var err error
	if d.FourEyes, err = ss.arch.FourEyes(ctx); err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	if d.Rows, err = ss.arch.Approvals(ctx, ""); err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	slices.Reverse(d.Rows)
	s.render(w, r, ss, http.StatusOK, "approvals", "appr.title", d)
}

// approvalPost approves or denies request {id}. A refused attempt is
// recorded by the archive before the error page.
func (s *Server) approvalPost(w http.ResponseWriter, r *http.Request, ss *session) {
	var deny bool
	switch r.PostFormValue("decision") {
	case "approve":
	case "deny":
		deny = true
	default:
		s.fail(w, r, ss, http.StatusBadRequest, "err.bad")
		return
	}
	if _, err := ss.arch.Approve(r.Context(), r.PathValue("id"), deny, r.PostFormValue("note")); err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	http.Redirect(w, r, "/approvals", http.StatusSeeOther)
}

// timeNotesOf lists an audio or video item's time-coded notes, by time;
// other items have none.
func timeNotesOf(r *http.Request, ss *session, info archive.ItemInfo) ([]archive.TimeNote, error) {
	if k := info.Current.Kind; k != evidence.Audio && k != evidence.Video {
		return nil, nil
	}
	return ss.arch.TimeNotes(r.Context(), info.ID.String())
}

func errorsIsInvalid(err error) bool { return errors.Is(err, evidence.ErrInvalid) }

// timeNotePost adds a time-coded note to the audio or video item {item}
// ("at" as 12:31 or 1:02:03) and shows the item again.
func (s *Server) timeNotePost(w http.ResponseWriter, r *http.Request, ss *session) {
	ms, err := archive.ParseTimecode(strings.TrimSpace(r.PostFormValue("at")))
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	item := r.PathValue("item")
	if _, err := ss.arch.AddTimeNote(r.Context(), item, ms, r.PostFormValue("note"), ""); err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	id, err := ss.arch.Resolve(r.Context(), item)
	if err != nil {
		s.failErr(w, r, ss, err)
		return
	}
	http.Redirect(w, r, "/show/"+id.String(), http.StatusSeeOther)
}
