package verify

import (
	"fmt"
	"strings"
	"time"

	"sori/internal/archive"
	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/model"
)

// Four eyes, replayed from the log (internal/archive/approval.go says what
// sori writes). A request's versions must tell a story sori could have
// written, in log order:
//
//   - version 1 is pending, and its requester (By) is its signer;
//   - every later version keeps the requester and the action;
//   - an approval or a denial decides a pending request, is signed by
//     another user than the requester, whose role at the time may approve
//     and may perform the action;
//   - "done" follows an approval, is signed by the requester, and the
//     very next entry is the export or publication it authorised, signed
//     by the same user at the same time (sori writes both in one change);
//   - while the archive's four-eyes setting names an action, every export
//     or publication entry comes right after the "done" version of an
//     approved request for it.
//
// Refused attempts (state "refused") change nothing and may be signed by
// anyone. Violations are findings of kind "approval".

// KindApproval: the log's four-eyes requests, approvals and the actions
// they authorise do not tell a story sori could have written.
const KindApproval = "approval"

const hintApproval = "an export or publication may have run without a second user's approval; the archive may have been altered or written by something other than sori"

// apprVersion is what is kept of one version of a request.
type apprVersion struct{ state, by, action string }

// apprReplay is a request as the log has told it so far.
type apprReplay struct {
	versions  []apprVersion // from the stored records, by version
	logged    int           // versions replayed
	requester string
	action    string
	state     string
}

// teamwork is the four-eyes part of the verifier's state.
type teamwork struct {
	approvals map[evidence.ID]*apprReplay
	settings  map[evidence.ID][]string // four-eyes setting record → value of each version
	fourEyes  string                   // the setting in force, as replayed
	// done is the "done" version replayed last, whose action entry must
	// come next.
	done *doneAt
}

type doneAt struct {
	seq    int64
	time   time.Time // sori writes the action's entry in the same change: the same time
	id     evidence.ID
	action string
	actor  string
}

// keepTeamwork keeps what the replay needs of an approval or a four-eyes
// setting record version (others are ignored).
func (v *verifier) keepTeamwork(rec model.Record) {
	if rec.Kind != model.KindApproval && rec.Kind != model.KindSetting {
		return
	}
	b, err := model.DecodeBody(rec)
	if err != nil {
		return // reported with the record
	}
	if v.tw.approvals == nil {
		v.tw.approvals, v.tw.settings = map[evidence.ID]*apprReplay{}, map[evidence.ID][]string{}
	}
	switch b := b.(type) {
	case *model.Approval:
		a := v.tw.approvals[rec.ID]
		if a == nil {
			a = &apprReplay{}
			v.tw.approvals[rec.ID] = a
		}
		for len(a.versions) < rec.Version {
			a.versions = append(a.versions, apprVersion{})
		}
		a.versions[rec.Version-1] = apprVersion{state: b.State, by: b.By, action: b.Action}
	case *model.Setting:
		if b.Name != model.SettingFourEyes {
			return
		}
		s := v.tw.settings[rec.ID]
		for len(s) < rec.Version {
			s = append(s, "")
		}
		s[rec.Version-1] = b.Value
		v.tw.settings[rec.ID] = s
	}
}

func actionOp(action string) archive.Op {
	if action == model.ActionPublish {
		return archive.OpPublish
	}
	return archive.OpExport
}

// replayApproval is called for every entry, in log order, with the
// signer's role at the time.
func (v *verifier) replayApproval(e custody.Entry, role string) {
	obj := fmt.Sprintf("entry %d", e.Seq)
	add := func(format string, args ...any) { v.r.add(KindApproval, obj, hintApproval, format, args...) }

	// The entry after a "done" version must be the action it authorised.
	done := v.tw.done
	v.tw.done = nil
	if done != nil {
		want := custody.KindExport
		if done.action == model.ActionPublish {
			want = custody.KindPublish
		}
		if e.Kind != want || e.Actor != done.actor || !e.Time.Equal(done.time) {
			add("request %s is marked done, but the entry after it is not the %s it authorised, by its requester, in the same change", done.id, done.action)
			done = nil
		}
	}
	if e.Kind == custody.KindExport || e.Kind == custody.KindPublish {
		action := model.ActionExport
		if e.Kind == custody.KindPublish {
			action = model.ActionPublish
		}
		if v.fourEyesOn(action) && (done == nil || done.action != action) {
			add("a %s while four eyes held it back, with no approved request run with it", action)
		}
		return
	}
	if e.Kind != custody.KindRecord {
		return
	}
	id, err := evidence.ParseID(e.Object)
	if err != nil {
		return
	}
	if s, ok := v.tw.settings[id]; ok {
		if e.Version >= 1 && e.Version <= len(s) {
			v.tw.fourEyes = s[e.Version-1]
		}
		return
	}
	a, ok := v.tw.approvals[id]
	if !ok || e.Version < 1 || e.Version > len(a.versions) {
		return // not a request, or a version checkEntryRecord reports
	}
	if e.Version != a.logged+1 {
		add("request %s: version %d is logged after version %d", id, e.Version, a.logged)
	}
	a.logged = max(a.logged, e.Version)
	p := a.versions[e.Version-1]
	if e.Version == 1 {
		a.requester, a.action, a.state = e.Actor, p.action, p.state
		if p.state != model.ApprovalPending {
			add("request %s starts %q, not pending", id, p.state)
		}
		if p.by != e.Actor {
			add("request %s names requester %s but was signed by %s", id, p.by, e.Actor)
		}
		return
	}
	if p.by != a.requester || p.action != a.action {
		add("request %s: version %d changes its requester or its action", id, e.Version)
	}
	switch p.state {
	case model.ApprovalRefused:
		// A refused attempt, logged: the state is unchanged.
	case model.ApprovalApproved, model.ApprovalDenied:
		if a.state != model.ApprovalPending {
			add("request %s is %s while it was %s, not pending", id, p.state, a.state)
		}
		if e.Actor == a.requester {
			add("request %s is %s by the user who requested it", id, p.state)
		}
		if !archive.Permits(role, archive.OpApprove) || !archive.Permits(role, actionOp(a.action)) {
			add("request %s is %s by %s, whose role %q at the time may not approve a request to %s", id, p.state, e.Actor, role, a.action)
		}
		a.state = p.state
	case model.ApprovalDone:
		if a.state != model.ApprovalApproved {
			add("request %s ran while it was %s, not approved", id, a.state)
		}
		if e.Actor != a.requester {
			add("request %s was run by %s, not by its requester", id, e.Actor)
		}
		a.state = p.state
		v.tw.done = &doneAt{seq: e.Seq, time: e.Time, id: id, action: a.action, actor: e.Actor}
	default:
		add("request %s: version %d is %q again", id, e.Version, p.state)
		a.state = p.state
	}
}

// fourEyesOn reports whether the setting in force holds action back.
func (v *verifier) fourEyesOn(action string) bool {
	for _, a := range strings.Split(v.tw.fourEyes, ",") {
		if a == action {
			return true
		}
	}
	return false
}

// finishApprovals reports a "done" version that is the log's last entry:
// the action it authorised is missing.
func (v *verifier) finishApprovals() {
	if d := v.tw.done; d != nil {
		v.r.add(KindApproval, fmt.Sprintf("entry %d", d.seq), hintApproval, "request %s is marked done, but the %s it authorised is not in the log", d.id, d.action)
	}
}
