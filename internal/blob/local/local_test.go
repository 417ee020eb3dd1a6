package local_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"sori/internal/blob"
	"sori/internal/blob/blobtest"
	"sori/internal/blob/local"
)

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store { return open(t, t.TempDir()) })
}

func open(t *testing.T, dir string) *local.Store {
	t.Helper()
	s, err := local.Open(dir)
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	return s
}

const name = "0123456789abcdef0123456789abcdef"

func put(t *testing.T, s *local.Store, name string, data []byte) {
	t.Helper()
	if _, err := blob.Put(t.Context(), s, name, bytes.NewReader(data)); err != nil {
		t.Fatalf("put %s: %v", name, err)
	}
}

// tempFiles returns the names of the files in dir/tmp.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode() & (os.ModeDir | os.ModePerm); got != want {
		t.Errorf("%s: mode %v, want %v", path, got, want)
	}
}

func TestOpenCreatesLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "store")
	open(t, dir)
	checkMode(t, dir, os.ModeDir|0o700)
	checkMode(t, filepath.Join(dir, "tmp"), os.ModeDir|0o700)
	open(t, dir) // opening again is fine

	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := local.Open(file); err == nil {
		t.Error("open on a regular file succeeded")
	}
}

func TestCommitLayout(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	data := []byte("ciphertext")
	put(t, s, name, data)

	p := filepath.Join(dir, name[:2], name)
	checkMode(t, p, 0o600)
	checkMode(t, filepath.Dir(p), os.ModeDir|0o700)
	got, err := os.ReadFile(p)
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("read %s = %q, %v; want %q", p, got, err, data)
	}
	if tmp := tempFiles(t, dir); len(tmp) != 0 {
		t.Errorf("temp files after commit: %v", tmp)
	}

	// A reopened store sees the object.
	fi, err := open(t, dir).Stat(t.Context(), name)
	if err != nil || fi.Size != int64(len(data)) {
		t.Errorf("stat after reopen = %+v, %v", fi, err)
	}
}

func TestNoTempFilesLeft(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	put(t, s, name, []byte("first"))

	w, err := s.Create(t.Context(), "ffff"+name)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("aborted"))
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}

	// Lose a race for name: Commit fails and cleans up.
	other := open(t, dir)
	w, err = other.Create(t.Context(), "eeee"+name)
	if err != nil {
		t.Fatal(err)
	}
	put(t, s, "eeee"+name, []byte("winner"))
	w.Write([]byte("loser"))
	if err := w.Commit(t.Context()); !errors.Is(err, blob.ErrExists) {
		t.Fatalf("commit: got %v, want ErrExists", err)
	}
	if tmp := tempFiles(t, dir); len(tmp) != 0 {
		t.Errorf("temp files left: %v", tmp)
	}
}

// TestCrashedWriter simulates a process killed mid-write: its temporary file
// stays in tmp, and no reader ever sees it.
func TestCrashedWriter(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	w, err := s.Create(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(bytes.Repeat([]byte("x"), 3<<20)) // past the buffer: reaches disk
	// A stray file named like an object inside tmp is not an object either.
	stray := filepath.Join(dir, "tmp", "ffff"+name)
	if err := os.WriteFile(stray, []byte("stray"), 0o600); err != nil {
		t.Fatal(err)
	}

	s2 := open(t, dir) // the "restarted" process
	for _, st := range []*local.Store{s, s2} {
		for _, n := range []string{name, "ffff" + name} {
			if _, err := st.Stat(t.Context(), n); !errors.Is(err, blob.ErrNotFound) {
				t.Errorf("stat %s: got %v, want ErrNotFound", n, err)
			}
		}
		err := st.List(t.Context(), func(fi blob.Info) error {
			t.Errorf("list shows %s", fi.Name)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s2.CleanTemp(0); err != nil || n != 2 {
		t.Errorf("clean temp = %d, %v; want 2 files removed", n, err)
	}
	// The crashed writer's file is gone: committing it now publishes nothing.
	if err := w.Commit(t.Context()); err == nil {
		t.Error("commit after its temp file was cleaned succeeded")
	}
	if _, err := s2.Stat(t.Context(), name); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("stat: got %v, want ErrNotFound", err)
	}
}

func TestCleanTemp(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	put(t, s, name, []byte("committed"))

	stale := filepath.Join(dir, "tmp", "w-stale")
	fresh := filepath.Join(dir, "tmp", "w-fresh")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	live, err := s.Create(t.Context(), "ffff"+name)
	if err != nil {
		t.Fatal(err)
	}
	live.Write([]byte("live"))

	n, err := s.CleanTemp(time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("clean temp = %d, %v; want 1 file removed", n, err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temp file survived: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temp file removed: %v", err)
	}
	if err := live.Commit(t.Context()); err != nil {
		t.Errorf("live writer's commit: %v", err)
	}
	for _, n := range []string{name, "ffff" + name} {
		if _, err := s.Stat(t.Context(), n); err != nil {
			t.Errorf("stat %s after clean: %v", n, err)
		}
	}
}
