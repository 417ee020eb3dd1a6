package archive

import (
	"errors"
	"path/filepath"
	"testing"

	"sori/internal/evidence"
	"sori/internal/model"
)

// TestFourEyesExport: with four eyes on export, an export waits for a
// second user's approval; the requester cannot approve it, nor can a role
// that may not export (both attempts are recorded); the approved request
// runs once, for exactly what was asked.
func TestFourEyesExport(t *testing.T) {
	ctx := t.Context()
	f, admin := newTeam(t, map[string]string{"inv": RoleInvestigator, "pro": RoleProtection, "ana": RoleAnalyst})
	inv, pro, ana := f.as("inv"), f.as("pro"), f.as("ana")
	p := filepath.Join(t.TempDir(), "t.ko.txt")
	writeFile(t, p, []byte(koSentence))
	item := addAll(t, admin, []string{p}, AddOptions{Lang: "ko"})[0].ID.String()

	if err := ana.SetFourEyes(ctx, []string{"export"}); !errors.Is(err, evidence.ErrForbidden) {
		t.Errorf("analyst sets four eyes: %v", err)
	}
	if err := admin.SetFourEyes(ctx, []string{"court"}); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("unknown action: %v", err)
	}
	if err := admin.SetFourEyes(ctx, []string{"export"}); err != nil {
		t.Fatal(err)
	}
	if fe, err := inv.FourEyes(ctx); err != nil || len(fe) != 1 || fe[0] != "export" {
		t.Fatalf("FourEyes = %v, %v", fe, err)
	}

	_, err := inv.Export(ctx, []string{item}, nil)
	var need *ApprovalNeeded
	if !errors.As(err, &need) || !errors.Is(err, evidence.ErrPending) {
		t.Fatalf("export under four eyes: %v, want ApprovalNeeded", err)
	}
	req := need.ID.String()
	// Waiting: running it before approval is refused.
	if _, err := inv.ExportApproved(ctx, req, []string{item}, nil); !errors.Is(err, evidence.ErrPending) {
		t.Errorf("run before approval: %v, want pending", err)
	}
	// The requester cannot approve their own request.
	if _, err := inv.Approve(ctx, req, false, ""); !errors.Is(err, evidence.ErrForbidden) {
		t.Errorf("self-approval: %v, want forbidden", err)
	}
	// A role that may not export cannot approve an export.
	if _, err := ana.Approve(ctx, req, false, ""); !errors.Is(err, evidence.ErrForbidden) {
		t.Errorf("analyst approval: %v, want forbidden", err)
	}
	info, err := admin.ApprovalOf(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if info.State != model.ApprovalPending || len(info.History) != 3 || info.History[1].State != model.ApprovalRefused || info.History[2].ActorName != "ana" {
		t.Fatalf("after refused attempts: %+v", info)
	}
	// Another user who may export approves.
	if info, err = pro.Approve(ctx, req, false, "bundle for the inquiry"); err != nil || info.State != model.ApprovalApproved {
		t.Fatalf("approve: %+v, %v", info, err)
	}
	if _, err := pro.Approve(ctx, req, true, ""); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("deciding twice: %v", err)
	}
	// Only the requester runs it, and only as asked.
	if _, err := pro.ExportApproved(ctx, req, []string{item}, nil); !errors.Is(err, evidence.ErrForbidden) {
		t.Errorf("another user runs it: %v", err)
	}
	if _, err := inv.ExportApproved(ctx, req, []string{item}, []string{"age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq"}); err == nil {
		t.Errorf("run with other recipients than approved succeeded")
	}
	x, err := inv.ExportApproved(ctx, req, []string{item}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(x.Items) != 1 {
		t.Fatalf("export of %d items", len(x.Items))
	}
	if info, _ = admin.ApprovalOf(ctx, req); info.State != model.ApprovalDone {
		t.Errorf("after the run: %s, want done", info.State)
	}
	// Once.
	if _, err := inv.ExportApproved(ctx, req, []string{item}, nil); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("second run: %v, want invalid", err)
	}
	// Off again: exports run at once.
	if err := admin.SetFourEyes(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := inv.Export(ctx, []string{item}, nil); err != nil {
		t.Errorf("export with four eyes off: %v", err)
	}
	list, err := ana.Approvals(ctx, model.ApprovalDone)
	if err != nil || len(list) != 1 {
		t.Errorf("done requests: %+v, %v", list, err)
	}
}

// TestFourEyesPublish: the gate records a request; a denied request never
// runs; an approved one is recorded with the publication.
func TestFourEyesPublish(t *testing.T) {
	ctx := t.Context()
	f, admin := newTeam(t, map[string]string{"inv": RoleInvestigator, "reader": RoleReader})
	inv, rd := f.as("inv"), f.as("reader")
	if err := admin.SetFourEyes(ctx, []string{"publish", "export"}); err != nil {
		t.Fatal(err)
	}
	formats := []string{"json"}
	err := inv.PublishGate(ctx, "", formats)
	var need *ApprovalNeeded
	if !errors.As(err, &need) {
		t.Fatalf("gate: %v", err)
	}
	p, err := inv.Publish(ctx, formats) // the dry run is not held back
	if err != nil {
		t.Fatal(err)
	}
	if err := inv.RecordPublication(ctx, p); !errors.Is(err, evidence.ErrPending) {
		t.Errorf("recording without approval: %v, want pending", err)
	}
	if _, err := rd.Approve(ctx, need.ID.String(), false, ""); !errors.Is(err, evidence.ErrForbidden) {
		t.Errorf("reader approval: %v", err)
	}
	if _, err := admin.Approve(ctx, need.ID.String(), true, "not before the hearing"); err != nil {
		t.Fatal(err)
	}
	if err := inv.PublishGate(ctx, need.ID.String(), formats); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("denied request passes the gate: %v", err)
	}
	// A new request, approved.
	err = inv.PublishGate(ctx, "", formats)
	if !errors.As(err, &need) {
		t.Fatalf("gate: %v", err)
	}
	if _, err := admin.Approve(ctx, need.ID.String(), false, ""); err != nil {
		t.Fatal(err)
	}
	if err := inv.PublishGate(ctx, need.ID.String(), []string{"csv"}); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("other formats pass the gate: %v", err)
	}
	if err := inv.PublishGate(ctx, need.ID.String(), formats); err != nil {
		t.Fatal(err)
	}
	if err := inv.RecordPublicationApproved(ctx, p, need.ID.String(), formats); err != nil {
		t.Fatal(err)
	}
	if err := inv.RecordPublicationApproved(ctx, p, need.ID.String(), formats); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("second use: %v", err)
	}
}
