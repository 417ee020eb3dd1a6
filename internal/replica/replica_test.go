package replica

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/internal/store"
	"sori/verify"
)

const testPass = "correct horse battery"

// marker is in every file added: nothing in a replica may show it.
const marker = "synthetic-testimony-marker"

func opts(t *testing.T) archive.Options {
	return archive.Options{WorkFactor: 10, StateDir: t.TempDir()}
}

func newSource(t *testing.T) (*archive.Archive, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "src")
	a, err := archive.Init(context.Background(), dir, "kim", testPass, opts(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a, dir
}

// add adds n new files (one call: one pack per CPU at most).
func add(t *testing.T, a *archive.Archive, tag string, n int) {
	t.Helper()
	if err := addFiles(t.TempDir(), a, tag, n); err != nil {
		t.Fatal(err)
	}
}

func addFiles(src string, a *archive.Archive, tag string, n int) error {
	var paths []string
	for i := range n {
		p := filepath.Join(src, fmt.Sprintf("%s-%d.txt", tag, i))
		if err := os.WriteFile(p, []byte(fmt.Sprintf("%s %s file %d 탈북 증언\n", marker, tag, i)), 0o600); err != nil {
			return err
		}
		paths = append(paths, p)
	}
	return a.Add(context.Background(), paths, archive.AddOptions{Lang: "ko"}, func(r archive.Added) error { return r.Err })
}

// items lists an archive's items as "ID SHA-256 size".
func items(t *testing.T, a *archive.Archive) []string {
	t.Helper()
	var out []string
	err := a.Inspect().Items(context.Background(), func(it store.Item) error {
		out = append(out, fmt.Sprintf("%s %x %d", it.ID, it.SHA256, it.Size))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkReplica opens the copy on its own (its own pin directory) as user
// with testPass, verifies it in full, and compares its items with want.
func checkReplica(t *testing.T, dir, user string, want []string) {
	t.Helper()
	ctx := context.Background()
	c, err := archive.Open(ctx, dir, user, testPass, opts(t))
	if err != nil {
		t.Fatalf("open the replica: %v", err)
	}
	defer c.Close()
	rep, err := verify.Archive(ctx, c, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		t.Errorf("verify of the replica: %s", f)
	}
	if got := items(t, c); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("replica items:\n%s\nsource items:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	noPlaintext(t, dir)
}

func noPlaintext(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err == nil && (bytes.Contains(b, []byte(marker)) || bytes.Contains(b, []byte("탈북"))) {
			t.Errorf("%s holds plaintext", p)
		}
		return nil
	})
}

func TestReplicateIncremental(t *testing.T) {
	ctx := context.Background()
	a, _ := newSource(t)
	add(t, a, "one", 5)
	add(t, a, "two", 5)
	if _, err := a.AddUser(ctx, "lee", archive.RoleReader, testPass); err != nil {
		t.Fatal(err)
	}
	to := filepath.Join(t.TempDir(), "copy")
	res, err := Run(ctx, a, to, Options{})
	if err != nil {
		t.Fatal(err)
	}
	size, _ := a.Inspect().TreeSize(ctx)
	if res.From != 0 || res.To != size || res.Packs == 0 || res.UpToDate {
		t.Errorf("first run: %+v (tree %d)", res, size)
	}
	checkReplica(t, to, "", items(t, a))
	checkReplica(t, to, "lee", items(t, a)) // a reader opens and verifies it too

	if res, err = Run(ctx, a, to, Options{}); err != nil || !res.UpToDate || res.Packs != 0 || res.KeyFiles != 0 {
		t.Errorf("second run with nothing new: %+v %v", res, err)
	}
	// A pack deleted from the copy (as after damage) is copied again.
	var gone string
	filepath.WalkDir(filepath.Join(to, "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && gone == "" && !strings.Contains(filepath.Base(filepath.Dir(p)), "tmp") {
			gone = p
		}
		return err
	})
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	if res, err = Run(ctx, a, to, Options{}); err != nil || !res.UpToDate || res.Packs != 1 {
		t.Errorf("run after a pack was deleted from the copy: %+v %v", res, err)
	}
	checkReplica(t, to, "", items(t, a))
	// A passphrase change logs nothing but changes a key file.
	lee, err := archive.Open(ctx, a.Dir(), "lee", testPass, opts(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := lee.ChangePassphrase(ctx, testPass, testPass+"!"); err != nil {
		t.Fatal(err)
	}
	lee.Close()
	if res, err = Run(ctx, a, to, Options{}); err != nil || !res.UpToDate || res.KeyFiles != 1 {
		t.Errorf("run after a passphrase change: %+v %v", res, err)
	}

	// More intake, a removal (a new content key generation, key files
	// rewritten and deleted): only the new packs travel.
	before := packCount(t, to)
	add(t, a, "three", 4)
	if err := a.RemoveUser(ctx, "lee"); err != nil {
		t.Fatal(err)
	}
	a.Close() // intake needs a session opened after the removal
	if a, err = archive.Open(ctx, a.Dir(), "", testPass, opts(t)); err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	add(t, a, "four", 3)
	res, err = Run(ctx, a, to, Options{})
	if err != nil {
		t.Fatal(err)
	}
	after := packCount(t, to)
	if res.From != size || res.Packs != after-before || res.Packs == 0 || res.KeyFiles == 0 {
		t.Errorf("incremental run: %+v, packs %d → %d", res, before, after)
	}
	checkReplica(t, to, "", items(t, a))
	if _, err := archive.Open(ctx, to, "lee", testPass+"!", opts(t)); !errors.Is(err, evidence.ErrLocked) {
		t.Errorf("the removed user opens the replica: %v", err)
	}
}

func packCount(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	root := filepath.Join(dir, "blobs")
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if rel, _ := filepath.Rel(root, p); err == nil && !d.IsDir() && !strings.HasPrefix(rel, "tmp") {
			n++
		}
		return err
	})
	return n
}

// snapshotDir copies a closed archive's files: a second archive with the
// same ID and history, which can then diverge (a fork) or stay behind (a
// rollback).
func snapshotDir(t *testing.T, from string) string {
	t.Helper()
	to := filepath.Join(t.TempDir(), "clone")
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return to
}

// dirState is every file of a directory with its content, to show that a
// refused run changed nothing.
func dirState(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			out[p] = string(b)
		}
		return err
	})
	return out
}

func sameState(t *testing.T, what string, a, b map[string]string) {
	t.Helper()
	for p, s := range a {
		if b[p] != s {
			t.Errorf("%s: %s changed", what, p)
		}
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			t.Errorf("%s: %s appeared", what, p)
		}
	}
}

// TestReplicateRefuses: a source rolled back or forked behind the replica's
// back, a replica written to, a replica of another archive, a directory
// that is not a replica: each is refused and the copy left as it was.
func TestReplicateRefuses(t *testing.T) {
	ctx := context.Background()
	a, dir := newSource(t)
	add(t, a, "one", 3)
	a.Close()
	old := snapshotDir(t, dir) // the archive as it was: same ID, shorter log
	a, err := archive.Open(ctx, dir, "", testPass, opts(t))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	add(t, a, "two", 3)
	to := filepath.Join(t.TempDir(), "copy")
	if _, err := Run(ctx, a, to, Options{}); err != nil {
		t.Fatal(err)
	}

	// Rolled back: the old copy of the source has fewer entries.
	o, err := archive.Open(ctx, old, "", testPass, opts(t))
	if err != nil {
		t.Fatal(err)
	}
	st := dirState(t, to)
	if _, err := Run(ctx, o, to, Options{}); !errors.Is(err, evidence.ErrTampered) {
		t.Errorf("rolled-back source: %v", err)
	}
	sameState(t, "rolled-back source", st, dirState(t, to))
	// Forked: the old copy gains other entries, as many as the source has.
	for size, _ := o.Inspect().TreeSize(ctx); ; size, _ = o.Inspect().TreeSize(ctx) {
		if want, _ := a.Inspect().TreeSize(ctx); size >= want {
			break
		}
		add(t, o, fmt.Sprintf("fork-%d", size), 1)
	}
	if _, err := Run(ctx, o, to, Options{}); !errors.Is(err, evidence.ErrTampered) {
		t.Errorf("forked source: %v", err)
	}
	sameState(t, "forked source", st, dirState(t, to))
	o.Close()

	// A replica written to has entries the source lacks.
	w := snapshotDir(t, to)
	c, err := archive.Open(ctx, w, "", testPass, opts(t))
	if err != nil {
		t.Fatal(err)
	}
	add(t, c, "on-the-copy", 1)
	c.Close()
	add(t, a, "three", 1)
	st = dirState(t, w)
	if _, err := Run(ctx, a, w, Options{}); !errors.Is(err, evidence.ErrTampered) {
		t.Errorf("replica written to: %v", err)
	}
	sameState(t, "replica written to", st, dirState(t, w))

	// Another archive's replica, an archive, a directory of other files.
	b, _ := newSource(t)
	st = dirState(t, to)
	if _, err := Run(ctx, b, to, Options{}); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("replica of another archive: %v", err)
	}
	sameState(t, "another archive's replica", st, dirState(t, to))
	if _, err := Run(ctx, b, old, Options{}); !errors.Is(err, evidence.ErrInvalid) || !strings.Contains(err.Error(), "is an archive") {
		t.Errorf("an archive as the target: %v", err)
	}
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("x"), 0o600)
	if _, err := Run(ctx, b, other, Options{}); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("a directory of other files: %v", err)
	}
	if _, err := os.Stat(filepath.Join(other, "lock")); err == nil {
		t.Error("a refused directory got lock files")
	}
	if _, err := Run(ctx, a, dir, Options{}); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("the archive itself as the target: %v", err)
	}
	if _, err := Run(ctx, a, filepath.Join(dir, "blobs", "copy"), Options{}); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("a directory inside the archive as the target: %v", err)
	}
	for _, bad := range []string{"ftp://host/copy", "s3://AKEXAMPLE:wJalrXUtnFEMIEXAMPLE@bucket/copy", "s3://Bad_Bucket/copy", "s3://bucket/a//b"} {
		_, err := Run(ctx, a, bad, Options{})
		if !errors.Is(err, evidence.ErrInvalid) {
			t.Errorf("target %s: %v", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), "wJalr") {
			t.Errorf("target %s: the error repeats the credentials: %v", bad, err)
		}
	}
	// And the good replica still catches up.
	if _, err := Run(ctx, a, to, Options{}); err != nil {
		t.Fatal(err)
	}
	checkReplica(t, to, "", items(t, a))
}

// TestReplicateWhileWriting: intake and a vault entry committed while a
// run copies do not tear the copy — it verifies clean with a subset of the
// source's items — and the next run catches up exactly.
func TestReplicateWhileWriting(t *testing.T) {
	ctx := context.Background()
	a, _ := newSource(t)
	add(t, a, "base", 6)
	if _, err := a.AddWitness(ctx, archive.Witness{Pseudonym: "W-7", Names: []string{"Han Eun-byeol"}}); err != nil {
		t.Fatal(err)
	}
	to := filepath.Join(t.TempDir(), "copy")
	done := make(chan error, 1)
	src := t.TempDir()
	go func() {
		var err error
		for i := 0; i < 6 && err == nil; i++ {
			err = addFiles(src, a, fmt.Sprintf("during-%d", i), 2)
		}
		done <- err
	}()
	for range 3 {
		if _, err := Run(ctx, a, to, Options{}); err != nil {
			t.Fatal(err)
		}
		c, err := archive.Open(ctx, to, "", testPass, opts(t))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := verify.Archive(ctx, c, verify.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range rep.Findings {
			t.Errorf("copy taken while writing: %s", f)
		}
		src := strings.Join(items(t, a), "\n")
		for _, it := range items(t, c) {
			if !strings.Contains(src, it) {
				t.Errorf("the copy holds %s, the source does not", it)
			}
		}
		c.Close()
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, a, to, Options{}); err != nil {
		t.Fatal(err)
	}
	checkReplica(t, to, "", items(t, a))
	// The identity vault travels sealed: its witness opens in the copy
	// (which appends a vault-open entry there: the copy is done with).
	c, err := archive.Open(ctx, to, "", testPass, opts(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, w, err := c.OpenWitness(ctx, "W-7"); err != nil || w.Names[0] != "Han Eun-byeol" {
		t.Errorf("the vault entry in the copy: %+v %v", w, err)
	}
}
