package archive_test

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/testenv"
	"sori/verify"
)

// TestReviewAndFourEyesConcurrent: two reviewers deciding the same review,
// two users deciding the same four-eyes request, and the requester running
// an approved request twice at once — on the embedded store and on
// PostgreSQL + S3, each through its own Repo as two servers would. Exactly
// one of each pair succeeds (the state is re-derived inside the writing
// transaction), and the archive verifies.
func TestReviewAndFourEyesConcurrent(t *testing.T) {
	t.Run("embedded", func(t *testing.T) { concurrentTeam(t, archive.Options{WorkFactor: 10}) })
	t.Run("postgres-s3", func(t *testing.T) {
		opt := archive.Options{WorkFactor: 10}
		opt.DB, opt.Blobs = testenv.PostgresSchema(t), testenv.S3Bucket(t, "review")
		concurrentTeam(t, opt)
	})
}

func concurrentTeam(t *testing.T, opt archive.Options) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "archive")
	adm, err := archive.Init(ctx, dir, "adm", repoPass, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	for _, u := range []string{"a", "b", "c"} {
		if _, err := adm.AddUser(ctx, u, archive.RoleInvestigator, repoPass); err != nil {
			t.Fatal(err)
		}
	}
	session := func(user string) *archive.Archive {
		repo, err := archive.OpenRepo(ctx, dir, opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { repo.Close() })
		s, err := repo.Unlock(ctx, user, repoPass)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	both := func(fns ...func() error) (ok int, errs []error) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		for _, fn := range fns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := fn()
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					ok++
				} else {
					errs = append(errs, err)
				}
			}()
		}
		wg.Wait()
		return ok, errs
	}
	sa, sb, sc, sa2 := session("a"), session("b"), session("c"), session("a")

	ev, err := adm.AddRecord(ctx, &model.Event{Title: "Arrest"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := adm.RequestReview(ctx, ev.String(), ""); err != nil {
		t.Fatal(err)
	}
	ok, errs := both(
		func() error { _, err := sa.ApproveReview(ctx, ev.String(), ""); return err },
		func() error { _, err := sb.RejectReview(ctx, ev.String(), ""); return err },
	)
	if ok != 1 || !errors.Is(errs[0], evidence.ErrInvalid) {
		t.Errorf("two reviewers at once: %d succeeded, errors %v", ok, errs)
	}
	if info, err := adm.ReviewOf(ctx, ev.String()); err != nil || len(info.Steps) != 2 || info.Steps[1].Seq != 2 {
		t.Errorf("after two reviewers: %+v %v", info, err)
	}

	src := filepath.Join(t.TempDir(), "t.txt")
	if err := os.WriteFile(src, []byte("synthetic transcript for a concurrent export\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var item string
	err = adm.Add(ctx, []string{src}, archive.AddOptions{Lang: "en"}, func(r archive.Added) error { item = r.ID.String(); return r.Err })
	if err != nil {
		t.Fatal(err)
	}
	if err := adm.SetFourEyes(ctx, []string{model.ActionExport}); err != nil {
		t.Fatal(err)
	}
	var need *archive.ApprovalNeeded
	if _, err := sa.Export(ctx, []string{item}, nil); !errors.As(err, &need) {
		t.Fatalf("export under four eyes: %v", err)
	}
	req := need.ID.String()
	ok, errs = both(
		func() error { _, err := sb.Approve(ctx, req, false, ""); return err },
		func() error { _, err := sc.Approve(ctx, req, true, ""); return err },
	)
	if ok != 1 || !(errors.Is(errs[0], evidence.ErrInvalid) || errors.Is(errs[0], evidence.ErrExists)) {
		t.Errorf("two deciders at once: %d succeeded, errors %v", ok, errs)
	}
	info, err := adm.ApprovalOf(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if info.State == model.ApprovalApproved {
		ok, errs = both(
			func() error { _, err := sa.ExportApproved(ctx, req, []string{item}, nil); return err },
			func() error { _, err := sa2.ExportApproved(ctx, req, []string{item}, nil); return err },
		)
		if ok != 1 {
			t.Errorf("one request run twice at once: %d succeeded, errors %v", ok, errs)
		}
	} else if _, err := sa.ExportApproved(ctx, req, []string{item}, nil); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("a denied request runs: %v", err)
	}
	report, err := verify.Archive(ctx, adm, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !report.OK() {
		t.Errorf("verify: %+v", report.Findings)
	}
}
