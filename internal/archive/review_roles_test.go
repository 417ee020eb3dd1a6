package archive

import (
	"errors"
	"testing"

	"sori/internal/evidence"
	"sori/internal/model"
)

// The role matrix rows of review, four eyes and time-coded notes (the
// matrix test, TestRoleMatrix, calls each as every role).
func init() {
	// reviewed returns a fresh event, written and put under review by the
	// first admin, so that any other user may review it.
	reviewed := func(t *testing.T, f *roleFixture) string {
		adm := f.open(t, "")
		defer adm.Close()
		id, err := adm.AddRecord(t.Context(), &model.Event{Title: "to review"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := adm.RequestReview(t.Context(), id.String(), ""); err != nil {
			t.Fatal(err)
		}
		return id.String()
	}
	// fourEyes turns four eyes on export on, runs fn, and turns it off.
	fourEyes := func(t *testing.T, f *roleFixture, fn func(adm *Archive)) {
		adm := f.open(t, "")
		defer adm.Close()
		if err := adm.SetFourEyes(t.Context(), []string{model.ActionExport}); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := adm.SetFourEyes(t.Context(), nil); err != nil {
				t.Fatal(err)
			}
		}()
		fn(adm)
	}
	rows := map[string]call{
		"Archive.RequestReview": {OpReview, func(t *testing.T, f *roleFixture, a *Archive) error {
			adm := f.open(t, "")
			id, err := adm.AddRecord(t.Context(), &model.Event{Title: "draft"})
			adm.Close()
			if err != nil {
				t.Fatal(err)
			}
			_, err = a.RequestReview(t.Context(), id.String(), "")
			return err
		}},
		"Archive.ApproveReview": {OpReview, func(t *testing.T, f *roleFixture, a *Archive) error {
			_, err := a.ApproveReview(t.Context(), reviewed(t, f), "")
			return err
		}},
		"Archive.RejectReview": {OpReview, func(t *testing.T, f *roleFixture, a *Archive) error {
			_, err := a.RejectReview(t.Context(), reviewed(t, f), "")
			return err
		}},
		"Archive.ReviewMany": {OpReview, func(t *testing.T, f *roleFixture, a *Archive) error {
			rs, err := a.ReviewMany(t.Context(), []string{reviewed(t, f)}, model.StepReject, "")
			if err == nil && rs[0].Err != nil {
				return rs[0].Err
			}
			return err
		}},
		"Archive.ReviewOf": {OpShow, func(t *testing.T, f *roleFixture, a *Archive) error {
			_, err := a.ReviewOf(t.Context(), f.event)
			return err
		}},
		"Archive.Reviews": {OpList, func(t *testing.T, f *roleFixture, a *Archive) error {
			_, err := a.Reviews(t.Context(), "")
			return err
		}},
		"Archive.AddTimeNote": {OpRecordAdd, func(t *testing.T, f *roleFixture, a *Archive) error {
			adm := f.open(t, "")
			audio := addAudio(t, adm)
			adm.Close()
			_, err := a.AddTimeNote(t.Context(), audio.String(), 1000, "a note", "")
			return err
		}},
		"Archive.TimeNotes": {OpList, func(t *testing.T, f *roleFixture, a *Archive) error {
			_, err := a.TimeNotes(t.Context(), f.item)
			return err
		}},
		"Archive.FourEyes": {OpList, func(t *testing.T, f *roleFixture, a *Archive) error {
			_, err := a.FourEyes(t.Context())
			return err
		}},
		"Archive.SetFourEyes": {OpSetting, func(t *testing.T, f *roleFixture, a *Archive) error {
			return a.SetFourEyes(t.Context(), nil)
		}},
		"Archive.Approve": {OpApprove, func(t *testing.T, f *roleFixture, a *Archive) error {
			var req string
			fourEyes(t, f, func(adm *Archive) {
				var need *ApprovalNeeded
				if _, err := adm.Export(t.Context(), []string{f.item}, nil); !errors.As(err, &need) {
					t.Fatalf("export under four eyes: %v", err)
				}
				req = need.ID.String()
			})
			_, err := a.Approve(t.Context(), req, false, "")
			return err
		}},
		"Archive.Approvals": {OpList, func(t *testing.T, f *roleFixture, a *Archive) error {
			_, err := a.Approvals(t.Context(), "")
			return err
		}},
		"Archive.ApprovalOf": {OpShow, func(t *testing.T, f *roleFixture, a *Archive) error {
			var req string
			fourEyes(t, f, func(adm *Archive) {
				var need *ApprovalNeeded
				if _, err := adm.Export(t.Context(), []string{f.item}, nil); !errors.As(err, &need) {
					t.Fatalf("export under four eyes: %v", err)
				}
				req = need.ID.String()
			})
			_, err := a.ApprovalOf(t.Context(), req)
			return err
		}},
		"Archive.ExportApproved": {OpExport, func(t *testing.T, f *roleFixture, a *Archive) error {
			var req string
			var refused error
			fourEyes(t, f, func(adm *Archive) {
				var need *ApprovalNeeded
				_, err := a.Export(t.Context(), []string{f.item}, nil)
				if errors.Is(err, evidence.ErrForbidden) {
					refused = err
					return
				}
				if !errors.As(err, &need) {
					t.Fatalf("export under four eyes: %v", err)
				}
				req = need.ID.String()
				if _, err := adm.Approve(t.Context(), req, false, ""); err != nil {
					t.Fatal(err)
				}
			})
			if refused != nil {
				_, err := a.ExportApproved(t.Context(), f.event, []string{f.item}, nil)
				return err
			}
			_, err := a.ExportApproved(t.Context(), req, []string{f.item}, nil)
			return err
		}},
		"Archive.PublishGate": {OpPublish, func(t *testing.T, f *roleFixture, a *Archive) error {
			return a.PublishGate(t.Context(), "", []string{"json"})
		}},
		"Archive.RecordPublicationApproved": {OpPublish, func(t *testing.T, f *roleFixture, a *Archive) error {
			adm := f.open(t, "")
			p, err := adm.Publish(t.Context(), []string{"json"})
			adm.Close()
			if err != nil {
				t.Fatal(err)
			}
			return a.RecordPublicationApproved(t.Context(), p, "", nil)
		}},
	}
	for name, c := range rows {
		calls[name] = c
	}
}
