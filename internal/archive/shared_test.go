package archive_test

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// TestSharedArchiveTwoProcesses: two operating-system processes on one
// PostgreSQL + S3 archive, each with four clients (sessions of its Repo)
// doing mixed intake, records and search for SORI_TEST_STRESS_SECONDS
// (default 4; the full run is 120): no error, every acknowledged
// item and record is there, the custody log is gap-free and verify is
// clean.
func TestSharedArchiveTwoProcesses(t *testing.T) {
	if os.Getenv("SORI_STRESS_CHILD") != "" {
		stressChild(t)
		return
	}
	ctx := t.Context()
	opt := archive.Options{WorkFactor: 10}
	opt.DB, opt.Blobs = testenv.PostgresSchema(t), testenv.S3Bucket(t, "stress")
	dir := filepath.Join(t.TempDir(), "archive")
	adm, err := archive.Init(ctx, dir, "admin-kim", repoPass, opt)
	if err != nil {
		t.Fatal(err)
	}
	const clients = 4
	for p := range 2 {
		for c := range clients {
			if _, err := adm.AddUser(ctx, fmt.Sprintf("inv-%d-%d", p, c), archive.RoleInvestigator, repoPass); err != nil {
				t.Fatal(err)
			}
		}
	}
	adm.Close()
	seconds := cmp.Or(os.Getenv("SORI_TEST_STRESS_SECONDS"), "4")
	var outs [2]bytes.Buffer
	var cmds [2]*exec.Cmd
	for p := range 2 {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestSharedArchiveTwoProcesses$", "-test.count=1")
		cmd.Env = append(os.Environ(), "SORI_STRESS_CHILD="+strconv.Itoa(p), "SORI_STRESS_DIR="+dir,
			"SORI_STRESS_DB="+opt.DB, "SORI_STRESS_BLOBS="+opt.Blobs, "SORI_TEST_STRESS_SECONDS="+seconds)
		cmd.Stdout, cmd.Stderr = &outs[p], &outs[p]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[p] = cmd
	}
	items, records := 0, 0
	for p, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v\n%s", p, err, outs[p].String())
		}
		var i, r int
		for _, line := range strings.Split(outs[p].String(), "\n") {
			if _, err := fmt.Sscanf(line, "stress: %d items %d records", &i, &r); err == nil {
				items, records = items+i, records+r
			}
		}
	}
	if items == 0 || records == 0 {
		t.Fatalf("the processes acknowledged %d items and %d records:\n%s\n%s", items, records, outs[0].String(), outs[1].String())
	}
	a, err := archive.Open(ctx, dir, "admin-kim", repoPass, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	n := 0
	if err := a.List(ctx, func(archive.Listed) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	persons := 0
	if err := a.Records(ctx, model.KindPerson, func(evidence.ID, model.Body) error { persons++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != items || persons != records {
		t.Errorf("acknowledged %d items and %d records; the archive holds %d and %d", items, records, n, persons)
	}
	report, err := verify.Archive(ctx, a, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !report.OK() {
		t.Errorf("verify after two processes: %+v", report.Findings)
	}
	// Users, their grants, and one entry per item and per record.
	if want := int64(1 + 2*clients + items + records); report.TreeSize < want {
		t.Errorf("custody log of %d entries, want at least %d", report.TreeSize, want)
	}
	t.Logf("two processes × %d clients for %ss: %d items, %d records, %d custody entries", clients, seconds, items, records, report.TreeSize)
}

// stressChild is one process of TestSharedArchiveTwoProcesses.
func stressChild(t *testing.T) {
	ctx := t.Context()
	p := os.Getenv("SORI_STRESS_CHILD")
	opt := archive.Options{WorkFactor: 10, DB: os.Getenv("SORI_STRESS_DB"), Blobs: os.Getenv("SORI_STRESS_BLOBS")}
	secs, _ := strconv.Atoi(os.Getenv("SORI_TEST_STRESS_SECONDS"))
	repo, err := archive.OpenRepo(ctx, os.Getenv("SORI_STRESS_DIR"), opt)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	src := t.TempDir()
	deadline := time.Now().Add(time.Duration(secs) * time.Second)
	var items, records atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for c := range 4 {
		s, err := repo.Unlock(ctx, fmt.Sprintf("inv-%s-%d", p, c), repoPass)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline); i++ {
				switch i % 3 {
				case 0:
					name := fmt.Sprintf("p%s-c%d-%d.txt", p, c, i)
					path := filepath.Join(src, name)
					if err := os.WriteFile(path, []byte("stress statement "+name+" 회령\n"), 0o600); err != nil {
						errs <- err
						return
					}
					if err := s.Add(ctx, []string{path}, archive.AddOptions{}, func(a archive.Added) error { return a.Err }); err != nil {
						errs <- fmt.Errorf("add: %w", err)
						return
					}
					items.Add(1)
				case 1:
					if _, err := s.AddRecord(ctx, &model.Person{Names: []string{fmt.Sprintf("Stress %s %d %d", p, c, i)}}); err != nil {
						errs <- fmt.Errorf("record: %w", err)
						return
					}
					records.Add(1)
				case 2:
					if _, err := s.Search(ctx, "회령", archive.SearchOptions{}); err != nil {
						errs <- fmt.Errorf("search: %w", err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	fmt.Printf("stress: %d items %d records\n", items.Load(), records.Load())
}
