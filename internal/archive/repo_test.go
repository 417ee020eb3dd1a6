package archive_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/internal/model"
	"sori/verify"
)

const repoPass = "correct horse battery staple"

// TestSessionsShareOneRepo: sessions of several users on one Repo, each
// used by goroutines at once — intake, records, search, listing, the
// checkpoint, and role changes of another user — lose nothing: every item
// and record is there, the custody log has no gap and verify accepts the
// archive. Run under -race (CI does), it is also the data-race check of
// the Repo/Session split.
func TestSessionsShareOneRepo(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "archive")
	opt := archive.Options{WorkFactor: 10}
	adm, err := archive.Init(ctx, dir, "admin-kim", repoPass, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct{ name, role string }{
		{"inv-a", archive.RoleInvestigator}, {"inv-b", archive.RoleInvestigator},
		{"reader-c", archive.RoleReader}, {"analyst-d", archive.RoleAnalyst},
	} {
		if _, err := adm.AddUser(ctx, u.name, u.role, repoPass); err != nil {
			t.Fatal(err)
		}
	}
	adm.Close()

	repo, err := archive.OpenRepo(ctx, dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	unlock := func(user string) *archive.Session {
		s, err := repo.Unlock(ctx, user, repoPass)
		if err != nil {
			t.Fatalf("unlock %s: %v", user, err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	admin, invA, invB, reader, analyst := unlock("admin-kim"), unlock("inv-a"), unlock("inv-b"), unlock("reader-c"), unlock("analyst-d")
	if _, err := repo.Unlock(ctx, "inv-a", "not the passphrase"); !errors.Is(err, evidence.ErrLocked) {
		t.Errorf("a wrong passphrase on an open Repo: %v", err)
	}

	const rounds = 6
	src := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	fail := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	for _, inv := range []*archive.Session{invA, invB} {
		for g := range 2 { // two goroutines per session
			wg.Go(func() {
				for i := range rounds {
					name := fmt.Sprintf("%s-%d-%d.txt", inv.User().Name, g, i)
					p := filepath.Join(src, name)
					if err := os.WriteFile(p, []byte("concurrent statement "+name+"\n"), 0o600); err != nil {
						fail(err)
						return
					}
					if err := inv.Add(ctx, []string{p}, archive.AddOptions{}, func(r archive.Added) error { return r.Err }); err != nil {
						fail(fmt.Errorf("add %s: %w", name, err))
						return
					}
					if _, err := inv.AddRecord(ctx, &model.Person{Names: []string{"Person " + name}}); err != nil {
						fail(fmt.Errorf("record %s: %w", name, err))
						return
					}
				}
			})
		}
	}
	wg.Go(func() {
		for range rounds {
			if _, err := reader.Search(ctx, "concurrent statement", archive.SearchOptions{}); err != nil {
				fail(fmt.Errorf("search: %w", err))
				return
			}
			if err := reader.List(ctx, func(archive.Listed) error { return nil }); err != nil {
				fail(fmt.Errorf("list: %w", err))
				return
			}
		}
	})
	wg.Go(func() {
		for i := range rounds {
			add, rm := archive.RoleReader, ""
			if i%2 == 1 {
				add, rm = "", archive.RoleReader
			}
			if _, _, err := admin.ChangeRole(ctx, "analyst-d", add, rm); err != nil {
				fail(fmt.Errorf("role change: %w", err))
				return
			}
			if _, err := admin.Checkpoint(ctx); err != nil {
				fail(fmt.Errorf("checkpoint: %w", err))
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// The analyst's role changed while their session was open: it is stale.
	if _, err := analyst.AddRecord(ctx, &model.Person{Names: []string{"Stale"}}); !errors.Is(err, evidence.ErrLocked) {
		t.Errorf("a stale session writes: %v", err)
	}

	check := unlock("admin-kim")
	items := 0
	if err := check.List(ctx, func(archive.Listed) error { items++; return nil }); err != nil {
		t.Fatal(err)
	}
	if want := 2 * 2 * rounds; items != want {
		t.Errorf("%d items listed, want %d", items, want)
	}
	persons := 0
	if err := check.Records(ctx, model.KindPerson, func(evidence.ID, model.Body) error { persons++; return nil }); err != nil {
		t.Fatal(err)
	}
	if want := 2 * 2 * rounds; persons != want {
		t.Errorf("%d person records, want %d", persons, want)
	}
	hits, err := check.Search(ctx, "concurrent statement", archive.SearchOptions{Kind: "transcript", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != items {
		t.Errorf("search finds %d of %d items", len(hits), items)
	}
	report, err := verify.Archive(ctx, check, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !report.OK() {
		t.Errorf("verify after concurrent sessions: %+v", report)
	}
}

// TestArchiveFromEarlierRelease: an archive written by sori at commit
// 3b7826e (before the Repo/Session split and the storage contract; `sori
// demo` with the test work factor, committed as testdata) opens, is
// searched and verifies: users keep their archives across upgrades.
func TestArchiveFromEarlierRelease(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "archive")
	if err := os.CopyFS(dir, os.DirFS("testdata/archive-3b7826e")); err != nil {
		t.Fatal(err)
	}
	a, err := archive.Open(ctx, dir, "demo", "sori demo passphrase", archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	items := 0
	if err := a.List(ctx, func(archive.Listed) error { items++; return nil }); err != nil {
		t.Fatal(err)
	}
	if items != 15 {
		t.Errorf("%d items in the earlier archive, want the demo's 15", items)
	}
	hits, err := a.Search(ctx, "두만강", archive.SearchOptions{})
	if err != nil || len(hits) == 0 {
		t.Errorf("search in the earlier archive: %d hits, %v", len(hits), err)
	}
	report, err := verify.Archive(ctx, a, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !report.OK() {
		t.Errorf("verify of the earlier archive: %+v", report)
	}
	// It takes new writes and still verifies.
	if _, err := a.AddRecord(ctx, &model.Person{Names: []string{"Synthetic Person"}}); err != nil {
		t.Fatal(err)
	}
	if report, err := verify.Archive(ctx, a, verify.Options{}); err != nil || !report.OK() {
		t.Errorf("verify after a write: %+v %v", report, err)
	}
}
