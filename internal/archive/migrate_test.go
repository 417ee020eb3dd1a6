package archive_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/store"
	"sori/internal/testenv"
	"sori/verify"
)

// migrationFixture makes an embedded archive holding items, an edited
// item, records, a second user, an active and a withdrawn witness, and
// returns its directory and item IDs.
func migrationFixture(t *testing.T) (string, []evidence.ID) {
	t.Helper()
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "laptop")
	a, err := archive.Init(ctx, dir, "admin-kim", repoPass, archive.Options{WorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.AddUser(ctx, "inv-a", archive.RoleInvestigator, repoPass); err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	var ids []evidence.ID
	for i := range 3 {
		p := filepath.Join(src, fmt.Sprintf("statement-%d.txt", i))
		text := fmt.Sprintf("invented statement %d: crossed the 두만강 at night with W-%d\n", i, i)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := a.Add(ctx, []string{p}, archive.AddOptions{Lang: "ko", Kind: "transcript"}, func(r archive.Added) error {
			ids = append(ids, r.ID)
			return r.Err
		}); err != nil {
			t.Fatal(err)
		}
	}
	title := "edited title"
	if _, _, err := a.Edit(ctx, ids[0].String(), archive.Edit{Title: &title}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddRecord(ctx, &model.Person{Names: []string{"Invented Person"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddRecord(ctx, &model.Event{Title: "invented crossing"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"W-1", "W-2"} {
		if _, err := a.AddWitness(ctx, archive.Witness{Pseudonym: p, Names: []string{"김가명" + p[2:]}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.WithdrawWitness(ctx, "W-2"); err != nil {
		t.Fatal(err)
	}
	// The first version of the edited item, purged.
	if _, err := a.Purge(ctx, ids[0].String(), 1, "invented for the test"); err != nil {
		t.Fatal(err)
	}
	pub := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey)
	h := sha256.Sum256(append([]byte("w.example\n\x04"), pub...))
	vkey := fmt.Sprintf("w.example+%x+%s", h[:4], base64.StdEncoding.EncodeToString(append([]byte{4}, pub...)))
	if _, err := a.AddLogWitness(ctx, "http://127.0.0.1:1/", vkey); err != nil {
		t.Fatal(err)
	}
	return dir, ids
}

// state is what must be the same on both sides of a migration.
type state struct {
	checkpoint string
	items      []string
	hits       int
	witnesses  []string
	users      int
	versions   []string // item ID, version, body length (0: purged)
	logWitness []string
}

func archiveState(t *testing.T, dir string) state {
	t.Helper()
	ctx := t.Context()
	a, err := archive.Open(ctx, dir, "admin-kim", repoPass, archive.Options{WorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	report, err := verify.Archive(ctx, a, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !report.OK() {
		t.Errorf("verify %s: %+v", dir, report.Findings)
	}
	var s state
	s.checkpoint = report.Checkpoint
	if err := a.List(ctx, func(l archive.Listed) error {
		rc, _, err := a.Open(ctx, l.ID.String())
		if err != nil {
			return err
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		s.items = append(s.items, fmt.Sprint(l.ID, " ", l.SHA256, " ", l.Version, " ", l.Record.Title, " ", string(b)))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(s.items)
	hits, err := a.Search(ctx, "두만강", archive.SearchOptions{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	s.hits = len(hits)
	ws, err := a.Witnesses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		s.witnesses = append(s.witnesses, w.Pseudonym+" "+w.Status)
	}
	us, err := a.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.users = len(us)
	if err := a.Inspect().Versions(ctx, func(v store.Version) error {
		s.versions = append(s.versions, fmt.Sprint(v.Item, " ", v.Version, " ", len(v.Record)))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	lw, err := a.LogWitnesses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range lw {
		s.logWitness = append(s.logWitness, w.Key+" "+w.URL+" "+w.AddedAt.String())
	}
	return s
}

func sameState(t *testing.T, what string, got, want state) {
	t.Helper()
	if got.checkpoint != want.checkpoint || !slices.Equal(got.items, want.items) || got.hits != want.hits ||
		!slices.Equal(got.witnesses, want.witnesses) || got.users != want.users || !slices.Equal(got.versions, want.versions) ||
		!slices.Equal(got.logWitness, want.logWitness) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func migrate(t *testing.T, dir string, opt archive.MigrateOptions) (archive.Migrated, error) {
	t.Helper()
	return migrateCtx(t, t.Context(), dir, opt)
}

func migrateCtx(t *testing.T, ctx context.Context, dir string, opt archive.MigrateOptions) (archive.Migrated, error) {
	t.Helper()
	a, err := archive.Open(t.Context(), dir, "admin-kim", repoPass, archive.Options{WorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if opt.Check == nil {
		opt.Check = func(ctx context.Context, c *archive.Archive) error {
			r, err := verify.Archive(ctx, c, verify.Options{})
			if err == nil && !r.OK() {
				err = fmt.Errorf("findings: %+v", r.Findings)
			}
			return err
		}
	}
	return a.Migrate(ctx, opt)
}

// TestMigrateRoundTrip: an embedded archive is copied to PostgreSQL + S3
// in a new directory (the source left as it was), then back to embedded in
// place: every side verifies, with the same checkpoint, items, search
// results, witnesses and users.
func TestMigrateRoundTrip(t *testing.T) {
	db, blobs := testenv.PostgresSchema(t), testenv.S3Bucket(t, "moved")
	dir, ids := migrationFixture(t)
	want := archiveState(t, dir)
	purged := slices.ContainsFunc(want.versions, func(v string) bool { return strings.HasSuffix(v, " 1 0") })
	if want.hits != len(ids) || len(want.witnesses) != 2 || !purged || len(want.logWitness) != 1 {
		t.Fatalf("fixture: %+v", want)
	}
	cfg, _ := os.ReadFile(filepath.Join(dir, "sori.json"))

	// A failed copy into an existing empty directory leaves it empty.
	server := filepath.Join(t.TempDir(), "server")
	if err := os.Mkdir(server, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := migrate(t, dir, archive.MigrateOptions{DB: db, Blobs: blobs, To: server,
		Check: func(context.Context, *archive.Archive) error { return errors.New("not this time") }}); err == nil {
		t.Fatal("a failing check did not fail the migration")
	}
	if left, _ := os.ReadDir(server); len(left) != 0 {
		t.Errorf("a failed copy left %v in the new directory", left)
	}
	res, err := migrate(t, dir, archive.MigrateOptions{DB: db, Blobs: blobs, To: server})
	if err != nil {
		t.Fatal(err)
	}
	if res.Items != int64(len(ids)) || res.Versions != int64(len(ids)+1) || res.Records < 2 || res.Packs == 0 || res.Root == "" {
		t.Errorf("Migrated: %+v", res)
	}
	if !strings.Contains(want.checkpoint, res.Root) {
		t.Errorf("root %s is not the source checkpoint's (%s)", res.Root, want.checkpoint)
	}
	if now, _ := os.ReadFile(filepath.Join(dir, "sori.json")); !bytes.Equal(now, cfg) {
		t.Errorf("the source's sori.json changed")
	}
	if b, _ := os.ReadFile(filepath.Join(server, "sori.json")); !bytes.Contains(b, []byte(`"db": "postgres://`)) {
		t.Errorf("the new directory's sori.json:\n%s", b)
	}
	sameState(t, "source after the copy out", archiveState(t, dir), want)
	sameState(t, "PostgreSQL + S3 copy", archiveState(t, server), want)

	// And back, in place: the server directory becomes embedded. A first
	// attempt is interrupted while it indexes the copy, as a crash would:
	// the directory still names PostgreSQL + S3, the unfinished copy is
	// left in migrating/, and the next attempt discards it.
	serverCfg, _ := os.ReadFile(filepath.Join(server, "sori.json"))
	ctx, cancel := context.WithCancel(t.Context())
	_, err = migrateCtx(t, ctx, server, archive.MigrateOptions{Progress: func(stage string) {
		if strings.HasPrefix(stage, "indexing") {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted migration: %v", err)
	}
	if now, _ := os.ReadFile(filepath.Join(server, "sori.json")); !bytes.Equal(now, serverCfg) {
		t.Fatalf("sori.json changed by an interrupted migration")
	}
	if _, err := os.Stat(filepath.Join(server, "migrating", "meta.db")); err != nil {
		t.Errorf("the unfinished copy: %v", err)
	}
	sameState(t, "after the interrupted migration", archiveState(t, server), want)
	if _, err := migrate(t, server, archive.MigrateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"meta.db", "blobs"} {
		if _, err := os.Stat(filepath.Join(server, name)); err != nil {
			t.Errorf("embedded again, but %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(server, "migrating")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the staging directory was left: %v", err)
	}
	sameState(t, "embedded again", archiveState(t, server), want)
}

// TestMigrateInterrupted: a migration that fails at its last check leaves
// the archive on its backends, opening and verifying as before; the next
// attempt discards the unfinished copy and finishes. A target holding a
// finished copy, another archive, the same backends, or a directory
// holding an old meta.db are refused with nothing changed.
func TestMigrateInterrupted(t *testing.T) {
	db, blobs := testenv.PostgresSchema(t), testenv.S3Bucket(t, "moved")
	dir, _ := migrationFixture(t)
	want := archiveState(t, dir)
	cfg, _ := os.ReadFile(filepath.Join(dir, "sori.json"))

	// Interrupted halfway — the rows copied, no pack yet — as a crash
	// would.
	ctx, cancel := context.WithCancel(t.Context())
	_, err := migrateCtx(t, ctx, dir, archive.MigrateOptions{DB: db, Blobs: blobs, Progress: func(stage string) {
		if strings.HasPrefix(stage, "copying the packs") {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted migration: %v", err)
	}
	if now, _ := os.ReadFile(filepath.Join(dir, "sori.json")); !bytes.Equal(now, cfg) {
		t.Fatalf("sori.json changed by an interrupted migration")
	}
	sameState(t, "after the interrupted migration", archiveState(t, dir), want)

	// Failing at the last check, after every pack is in the bucket.
	boom := errors.New("interrupted for the test")
	_, err = migrate(t, dir, archive.MigrateOptions{DB: db, Blobs: blobs, Check: func(context.Context, *archive.Archive) error { return boom }})
	if !errors.Is(err, boom) {
		t.Fatalf("interrupted migration: %v", err)
	}
	if now, _ := os.ReadFile(filepath.Join(dir, "sori.json")); !bytes.Equal(now, cfg) {
		t.Fatalf("sori.json changed by a failed migration")
	}
	sameState(t, "after the failed migration", archiveState(t, dir), want)

	// Again: the unfinished copy in the database is dropped, the packs in
	// the bucket compared.
	res, err := migrate(t, dir, archive.MigrateOptions{DB: db, Blobs: blobs})
	if err != nil {
		t.Fatal(err)
	}
	if res.Dir != dir {
		t.Errorf("migrated %s, want %s", res.Dir, dir)
	}
	if now, _ := os.ReadFile(filepath.Join(dir, "sori.json")); !bytes.Contains(now, []byte(`"db": "postgres://`)) {
		t.Errorf("sori.json after migrating in place:\n%s", now)
	}
	sameState(t, "migrated in place", archiveState(t, dir), want)

	for _, c := range []struct {
		name string
		opt  archive.MigrateOptions
		kind error
		says string
	}{
		{"same backends", archive.MigrateOptions{DB: db, Blobs: blobs}, evidence.ErrInvalid, "there already"},
		{"one URL", archive.MigrateOptions{DB: db}, evidence.ErrInvalid, "both"},
		{"password in URL", archive.MigrateOptions{DB: "postgres://u:pw@127.0.0.1/x", Blobs: blobs}, evidence.ErrInvalid, "PGPASSWORD"},
		// The laptop's meta.db is still there, as the source was left.
		{"old meta.db", archive.MigrateOptions{}, evidence.ErrExists, "meta.db"},
		{"finished copy", archive.MigrateOptions{DB: db, Blobs: blobs, To: filepath.Join(t.TempDir(), "again")}, evidence.ErrExists, "finished copy"},
	} {
		_, err := migrate(t, dir, c.opt)
		if !errors.Is(err, c.kind) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	sameState(t, "after the refused migrations", archiveState(t, dir), want)

	// Another archive's migration into the same schema is refused.
	other, _ := migrationFixture(t)
	if _, err := migrate(t, other, archive.MigrateOptions{DB: db, Blobs: blobs}); !errors.Is(err, evidence.ErrExists) || !strings.Contains(err.Error(), "another archive") {
		t.Errorf("into another archive's schema: %v", err)
	}
}
