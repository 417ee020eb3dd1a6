package archive_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"sori/internal/archive"
	"sori/internal/blob"
	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/testenv"
	"sori/verify"
)

// TestSharedArchivePostgresS3: an archive whose metadata is in PostgreSQL
// and whose packs are in S3 (versitygw in CI) is made, written by two Repos
// at once — two servers, or two processes — and read, searched and
// verified as an embedded one is; sori.json names both without a
// credential, and nothing in the bucket is plaintext.
func TestSharedArchivePostgresS3(t *testing.T) {
	ctx := t.Context()
	db := testenv.PostgresSchema(t)
	blobs := testenv.S3Bucket(t, "archive-1")
	dir := filepath.Join(t.TempDir(), "archive")
	opt := archive.Options{WorkFactor: 10}
	opt.DB, opt.Blobs = db, blobs
	adm, err := archive.Init(ctx, dir, "admin-kim", repoPass, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"inv-a", "inv-b"} {
		if _, err := adm.AddUser(ctx, u, archive.RoleInvestigator, repoPass); err != nil {
			t.Fatal(err)
		}
	}
	adm.Close()
	cfg, err := os.ReadFile(filepath.Join(dir, "sori.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(cfg, []byte(`"db": "postgres://`)) || !bytes.Contains(cfg, []byte(`"blobs": "s3://`)) {
		t.Errorf("sori.json does not name its backends:\n%s", cfg)
	}
	if pw := os.Getenv("PGPASSWORD"); pw != "" && bytes.Contains(cfg, []byte(pw)) {
		t.Errorf("sori.json holds the database password")
	}
	if bytes.Contains(cfg, []byte(os.Getenv("AWS_SECRET_ACCESS_KEY"))) {
		t.Errorf("sori.json holds the S3 secret key")
	}
	if _, err := os.Stat(filepath.Join(dir, "meta.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a shared archive has a meta.db in its directory: %v", err)
	}

	// Two Repos on the one archive, as two servers would have.
	src := t.TempDir()
	const rounds = 5
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for r, user := range []string{"inv-a", "inv-b"} {
		repo, err := archive.OpenRepo(ctx, dir, opt)
		if err != nil {
			t.Fatal(err)
		}
		defer repo.Close()
		s, err := repo.Unlock(ctx, user, repoPass)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		wg.Go(func() {
			for i := range rounds {
				name := fmt.Sprintf("repo%d-%d.txt", r, i)
				p := filepath.Join(src, name)
				text := "shared statement about 두만강 crossing " + name + "\n"
				if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
					errs <- err
					return
				}
				if err := s.Add(ctx, []string{p}, archive.AddOptions{Lang: "ko"}, func(a archive.Added) error { return a.Err }); err != nil {
					errs <- fmt.Errorf("%s add: %w", user, err)
					return
				}
				if _, err := s.AddRecord(ctx, &model.Person{Names: []string{"Shared " + name}}); err != nil {
					errs <- fmt.Errorf("%s record: %w", user, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	a, err := archive.Open(ctx, dir, "admin-kim", repoPass, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var ids []evidence.ID
	if err := a.List(ctx, func(l archive.Listed) error { ids = append(ids, l.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2*rounds {
		t.Errorf("%d items, want %d", len(ids), 2*rounds)
	}
	rc, _, err := a.Open(ctx, ids[0].String())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if !strings.HasPrefix(string(b), "shared statement") {
		t.Errorf("item reads back %q", b)
	}
	hits, err := a.Search(ctx, "두만강", archive.SearchOptions{Limit: 50})
	if err != nil || len(hits) != 2*rounds {
		t.Errorf("search: %d hits, %v", len(hits), err)
	}
	report, err := verify.Archive(ctx, a, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !report.OK() {
		t.Errorf("verify of the shared archive: %+v", report.Findings)
	}
	if report.Items != 2*rounds {
		t.Errorf("verify saw %d items", report.Items)
	}
	// The bucket holds ciphertext only.
	n := 0
	if err := a.Blobs().List(ctx, func(i blob.Info) error {
		n++
		r, err := a.Blobs().Open(ctx, i.Name, 0, -1)
		if err != nil {
			return err
		}
		defer r.Close()
		all, _ := io.ReadAll(r)
		if bytes.Contains(all, []byte("shared statement")) || bytes.Contains(all, []byte("두만강")) {
			t.Errorf("pack %s holds plaintext", i.Name)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Errorf("no pack in the bucket")
	}
}
