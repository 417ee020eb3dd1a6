package archive_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/internal/model"
	"sori/verify"
)

// TestVerifyApprovalSemantics: sori verify replays four eyes from the log.
// An export run through a request a second user approved verifies clean;
// validly signed entries that break the rules — a requester approving
// their own request, a reader approving, a denied request approved after,
// a request run unapproved, "done" with no export after it, an export
// under four eyes with no request — are each reported, naming the request.
func TestVerifyApprovalSemantics(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "archive")
	opt := archive.Options{WorkFactor: 10}
	adm, err := archive.Init(ctx, dir, "kim", repoPass, opt)
	if err != nil {
		t.Fatal(err)
	}
	for name, role := range map[string]string{"lee": archive.RoleInvestigator, "park": archive.RoleInvestigator, "choi": archive.RoleReader} {
		if _, err := adm.AddUser(ctx, name, role, repoPass); err != nil {
			t.Fatal(err)
		}
	}
	var item evidence.ID
	err = adm.Add(ctx, []string{archive.Stdin}, archive.AddOptions{Stdin: strings.NewReader("synthetic exhibit"), StdinName: "x.txt"}, func(r archive.Added) error {
		item = r.ID
		return r.Err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := adm.SetFourEyes(ctx, []string{model.ActionExport, model.ActionPublish}); err != nil {
		t.Fatal(err)
	}
	adm.Close()
	repo, err := archive.OpenRepo(ctx, dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	as := func(user string) *archive.Session {
		s, err := repo.Unlock(ctx, user, repoPass)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	lee, park, choi, kim := as("lee"), as("park"), as("choi"), as("kim")
	request := func() string {
		t.Helper()
		var need *archive.ApprovalNeeded
		if _, err := lee.Export(ctx, []string{item.String()}, nil); !errors.As(err, &need) {
			t.Fatalf("export under four eyes: %v", err)
		}
		return need.ID.String()
	}
	approvalFindings := func() []verify.Finding {
		t.Helper()
		rep, err := verify.Archive(ctx, kim, verify.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var out []verify.Finding
		for _, f := range rep.Findings {
			if f.Kind != verify.KindApproval {
				t.Errorf("a finding that is not about approvals: %s", f)
				continue
			}
			out = append(out, f)
		}
		return out
	}

	// As sori writes it: clean.
	good := request()
	if _, err := park.Approve(ctx, good, false, "checked"); err != nil {
		t.Fatal(err)
	}
	if _, err := lee.ExportApproved(ctx, good, []string{item.String()}, nil); err != nil {
		t.Fatal(err)
	}
	if f := approvalFindings(); len(f) != 0 {
		t.Fatalf("a four-eyes export as sori writes it: %v", f)
	}

	forged := map[string]string{} // request (or "") → what the finding must say
	self := request()
	must(t, lee.ForgeApprovalStep(ctx, self, model.ApprovalApproved, false))
	forged[self] = "by the user who requested it"
	byReader := request()
	must(t, choi.ForgeApprovalStep(ctx, byReader, model.ApprovalApproved, false))
	forged[byReader] = "may not approve"
	denied := request()
	if _, err := park.Approve(ctx, denied, true, "no"); err != nil {
		t.Fatal(err)
	}
	must(t, park.ForgeApprovalStep(ctx, denied, model.ApprovalApproved, false))
	forged[denied] = "while it was denied"
	unapproved := request()
	must(t, lee.ForgeApprovalStep(ctx, unapproved, model.ApprovalDone, true))
	forged[unapproved] = "ran while it was pending"
	noExport := request()
	if _, err := park.Approve(ctx, noExport, false, ""); err != nil {
		t.Fatal(err)
	}
	must(t, lee.ForgeApprovalStep(ctx, noExport, model.ApprovalDone, false))
	forged[noExport] = "is not the export it authorised"
	must(t, lee.ForgeAction(ctx, model.ActionExport))
	forged[""] = "a export while four eyes held it back"

	findings := approvalFindings()
	for req, want := range forged {
		found := false
		for _, f := range findings {
			found = found || (strings.Contains(f.Detail, req) && strings.Contains(f.Detail, want))
		}
		if !found {
			t.Errorf("request %q: no finding saying %q in\n%v", req, want, findings)
		}
	}
	for _, f := range findings {
		if strings.Contains(f.Detail, good) {
			t.Errorf("the request run as sori runs it is reported: %s", f)
		}
	}
	if len(findings) > len(forged)+1 {
		t.Errorf("%d findings for %d forgeries:\n%v", len(findings), len(forged), findings)
	}
	_ = context.Background
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
