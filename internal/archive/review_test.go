package archive

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/model"
)

// teamFixture is an archive with users of several roles, each opened by
// name.
type teamFixture struct {
	dir string
	t   *testing.T
}

func newTeam(t *testing.T, users map[string]string) (*teamFixture, *Archive) {
	t.Helper()
	a := newArchive(t)
	for name, role := range users {
		if _, err := a.AddUser(context.Background(), name, role, testPass); err != nil {
			t.Fatal(err)
		}
	}
	return &teamFixture{dir: a.dir, t: t}, a
}

func (f *teamFixture) as(user string) *Archive {
	f.t.Helper()
	a, err := Open(context.Background(), f.dir, user, testPass, Options{WorkFactor: 10})
	if err != nil {
		f.t.Fatalf("open as %s: %v", user, err)
	}
	f.t.Cleanup(func() { a.Close() })
	return a
}

func wantState(t *testing.T, a *Archive, ref, want string) ReviewInfo {
	t.Helper()
	info, err := a.ReviewOf(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if info.State != want {
		t.Fatalf("state of %s = %s, want %s (steps %+v)", ref, info.State, want, info.Steps)
	}
	return info
}

// TestReviewStates walks a testimony through draft → needs review →
// reviewed, sends it back to draft by an edit, and checks that every step
// is an appended record with its own custody entry.
func TestReviewStates(t *testing.T) {
	ctx := t.Context()
	f, admin := newTeam(t, map[string]string{"ana": RoleAnalyst, "inv": RoleInvestigator})
	ana, inv := f.as("ana"), f.as("inv")
	id, err := ana.AddRecord(ctx, &model.Testimony{Title: "Interview at Hanawon", Witness: "W-3"})
	if err != nil {
		t.Fatal(err)
	}
	ref := id.String()
	wantState(t, admin, ref, ReviewDraft)
	before := custodySize(t, admin)

	if _, err := ana.RequestReview(ctx, ref, "first pass done"); err != nil {
		t.Fatal(err)
	}
	wantState(t, inv, ref, ReviewNeedsReview)
	if _, err := ana.RequestReview(ctx, ref, ""); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("second request while under review: %v, want invalid", err)
	}
	// The one who asked, and the author, may not approve.
	if _, err := ana.ApproveReview(ctx, ref, ""); !errors.Is(err, evidence.ErrForbidden) {
		t.Errorf("author approving own record: %v, want forbidden", err)
	}
	q, err := inv.Reviews(ctx, ReviewNeedsReview)
	if err != nil || len(q) != 1 || q[0].Target != id {
		t.Fatalf("queue = %+v, %v", q, err)
	}
	info, err := inv.ApproveReview(ctx, ref, "checked against the recording")
	if err != nil {
		t.Fatal(err)
	}
	if info.State != ReviewReviewed || len(info.Steps) != 2 || info.Steps[1].ActorName != "inv" || info.Steps[1].Note != "checked against the recording" {
		t.Fatalf("after approval: %+v", info)
	}
	if n := custodySize(t, admin); n != before+2 {
		t.Errorf("custody grew by %d for two steps, want 2", n-before)
	}

	// An edit sends it back to draft; the step records stay.
	if _, _, err := ana.UpdateRecord(ctx, ref, &model.Testimony{Title: "Interview at Hanawon (2)", Witness: "W-3"}); err != nil {
		t.Fatal(err)
	}
	info = wantState(t, inv, ref, ReviewDraft)
	if len(info.Steps) != 2 || info.Version != 2 {
		t.Fatalf("after edit: %+v", info)
	}
	// Reject sends a request back to draft.
	if _, err := ana.RequestReview(ctx, ref, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := inv.RejectReview(ctx, ref, "the date is wrong"); err != nil {
		t.Fatal(err)
	}
	wantState(t, admin, ref, ReviewDraft)

	// Every step is a record entry signed by its actor, in the log.
	var kinds []string
	err = admin.Log(ctx, "", func(e LogEntry) error {
		if e.Kind == custody.KindRecord {
			kinds = append(kinds, e.ActorName)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(kinds) < 6 {
		t.Errorf("record entries: %v", kinds)
	}
}

// TestReviewerCannotEditWhatTheyReview: a reviewer who edits a record under
// review sends it back to draft and, as its author, may no longer approve
// it; nor may someone who wrote an earlier version since the last approval.
func TestReviewerCannotEditWhatTheyReview(t *testing.T) {
	ctx := t.Context()
	f, _ := newTeam(t, map[string]string{"ana": RoleAnalyst, "inv": RoleInvestigator, "pro": RoleProtection})
	ana, inv, pro := f.as("ana"), f.as("inv"), f.as("pro")
	id, err := ana.AddRecord(ctx, &model.Event{Title: "Detention at Onsong"})
	if err != nil {
		t.Fatal(err)
	}
	ref := id.String()
	if _, err := pro.RequestReview(ctx, ref, ""); err != nil {
		t.Fatal(err)
	}
	// inv edits while under review: allowed, and back to draft.
	if _, _, err := inv.UpdateRecord(ctx, ref, &model.Event{Title: "Detention at Onsong SSD"}); err != nil {
		t.Fatal(err)
	}
	wantState(t, ana, ref, ReviewDraft)
	if _, err := inv.ApproveReview(ctx, ref, ""); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("approve a draft: %v, want invalid", err)
	}
	if _, err := pro.RequestReview(ctx, ref, ""); err != nil {
		t.Fatal(err)
	}
	for _, who := range []*Archive{inv, ana} { // wrote version 2, version 1
		if _, err := who.ApproveReview(ctx, ref, ""); !errors.Is(err, evidence.ErrForbidden) {
			t.Errorf("%s approving what they wrote: %v, want forbidden", who.me.Name, err)
		}
		if _, err := who.RejectReview(ctx, ref, ""); !errors.Is(err, evidence.ErrForbidden) {
			t.Errorf("%s rejecting what they wrote: %v, want forbidden", who.me.Name, err)
		}
	}
	if _, err := pro.ApproveReview(ctx, ref, ""); !errors.Is(err, evidence.ErrForbidden) {
		t.Errorf("requester approving: %v, want forbidden", err)
	}
	wantState(t, ana, ref, ReviewNeedsReview)
}

func TestReviewBadInput(t *testing.T) {
	ctx := t.Context()
	f, a := newTeam(t, map[string]string{"reader": RoleReader})
	rd := f.as("reader")
	id, err := a.AddRecord(ctx, &model.Event{Title: "e"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rd.RequestReview(ctx, id.String(), ""); !errors.Is(err, evidence.ErrForbidden) {
		t.Errorf("reader requests review: %v", err)
	}
	if _, err := a.Reviews(ctx, "done"); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("unknown state: %v", err)
	}
	before := custodySize(t, a)
	// Review records come from the review commands only.
	for _, b := range []model.Body{
		&model.Review{Target: id, Seq: 1, Version: 1, Step: model.StepApprove},
		&model.Approval{Action: model.ActionExport, State: model.ApprovalApproved, Items: []evidence.ID{id}, By: "x"},
		&model.Setting{Name: model.SettingFourEyes},
	} {
		if _, err := a.AddRecord(ctx, b); !errors.Is(err, evidence.ErrInvalid) {
			t.Errorf("AddRecord(%s): %v, want invalid", b.Kind(), err)
		}
		if _, _, err := a.UpdateRecord(ctx, id.String(), b); !errors.Is(err, evidence.ErrInvalid) {
			t.Errorf("UpdateRecord(%s): %v, want invalid", b.Kind(), err)
		}
	}
	// A review step cannot itself be reviewed.
	info, err := a.RequestReview(ctx, id.String(), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.RequestReview(ctx, info.Steps[0].ID.String(), ""); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("review of a review step: %v", err)
	}
	if n := custodySize(t, a); n != before+1 {
		t.Errorf("refused calls wrote %d entries", n-before-1)
	}
}

func custodySize(t *testing.T, a *Archive) int64 {
	t.Helper()
	n, err := a.db.TreeSize(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// addAudio adds a small file named as audio.
func addAudio(t *testing.T, a *Archive) evidence.ID {
	t.Helper()
	p := filepath.Join(t.TempDir(), "interview.ogg")
	writeFile(t, p, []byte("OggS synthetic recording bytes"))
	return addAll(t, a, []string{p}, AddOptions{Kind: "audio"})[0].ID
}

// TestReviewMany: a bulk step reports each record on its own; one that
// fails leaves the others done, and a record appears once per REF.
func TestReviewMany(t *testing.T) {
	ctx := t.Context()
	f, a := newTeam(t, map[string]string{"inv": RoleInvestigator, "reader": RoleReader})
	var refs []string
	for _, title := range []string{"one", "two", "three"} {
		id, err := a.AddRecord(ctx, &model.Event{Title: title})
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, id.String())
	}
	if _, err := a.RequestReview(ctx, refs[1], ""); err != nil {
		t.Fatal(err)
	}
	rs, err := a.ReviewMany(ctx, append(refs, "ffff"), model.StepRequest, "batch")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 4 || rs[0].Info == nil || rs[0].Info.State != ReviewNeedsReview || rs[2].Info == nil ||
		!errors.Is(rs[1].Err, evidence.ErrInvalid) || rs[1].Error == "" || rs[3].Err == nil {
		t.Fatalf("results: %+v", rs)
	}
	rs, err = f.as("inv").ReviewMany(ctx, refs, model.StepApprove, "")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		if r.Info == nil || r.Info.State != ReviewReviewed {
			t.Errorf("approve %d: %+v", i, r)
		}
	}
	if _, err := f.as("reader").ReviewMany(ctx, refs, model.StepReject, ""); !errors.Is(err, evidence.ErrForbidden) {
		t.Errorf("reader bulk: %v", err)
	}
	if _, err := a.ReviewMany(ctx, refs, "bless", ""); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("unknown step: %v", err)
	}
}
