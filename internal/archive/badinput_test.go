package archive

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sori/internal/evidence"
)

// snapshot hashes every file under dir, so a test can show nothing changed.
func snapshot(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	m := map[string][32]byte{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if d.IsDir() || strings.HasSuffix(p, "-shm") {
			return nil // the -shm index is shared memory, rewritten by readers
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m[p] = sha256.Sum256(b)
		return nil
	})
	return m
}

func sameSnapshot(t *testing.T, before, after map[string][32]byte) {
	t.Helper()
	for p, h := range before {
		if after[p] != h {
			t.Errorf("%s changed", p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s appeared", p)
		}
	}
}

// closedArchive returns the directory of an archive holding one item.
func closedArchive(t *testing.T) (string, Added) {
	a := newArchive(t)
	src := filepath.Join(t.TempDir(), "t.txt")
	writeFile(t, src, randBytes(7, 200_000))
	r := addAll(t, a, []string{src}, AddOptions{Lang: "ko"})
	a.Close()
	return a.dir, r[0]
}

func TestWrongPassphraseAndUser(t *testing.T) {
	dir, _ := closedArchive(t)
	before := snapshot(t, dir)
	ctx := context.Background()
	_, err := Open(ctx, dir, "", "not the passphrase", Options{})
	if !errors.Is(err, evidence.ErrLocked) || !contains(err, "passphrase") {
		t.Errorf("wrong passphrase: %v", err)
	}
	_, err = Open(ctx, dir, "nobody", testPass, Options{})
	if !errors.Is(err, evidence.ErrLocked) || !contains(err, "nobody") {
		t.Errorf("unknown user: %v", err)
	}
	_, err = Open(ctx, filepath.Join(dir, "nope"), "", testPass, Options{})
	if !errors.Is(err, evidence.ErrNotFound) {
		t.Errorf("missing archive: %v", err)
	}
	sameSnapshot(t, before, snapshot(t, dir))
}

func contains(err error, s string) bool {
	return err != nil && strings.Contains(err.Error(), s)
}

func TestUnknownAndAmbiguousIDs(t *testing.T) {
	dir, _ := closedArchive(t)
	before := snapshot(t, dir)
	a, err := Open(context.Background(), dir, "", testPass, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, ref := range []string{"00000000000000000000000000000000", "ffffff", "abcdef0123"} {
		if _, _, err := a.Open(ctx, ref); !errors.Is(err, evidence.ErrNotFound) {
			t.Errorf("Open(%s): %v", ref, err)
		}
		if _, err := a.Show(ctx, ref); !errors.Is(err, evidence.ErrNotFound) {
			t.Errorf("Show(%s): %v", ref, err)
		}
		title := "x"
		if _, _, err := a.Edit(ctx, ref, Edit{Title: &title}); !errors.Is(err, evidence.ErrNotFound) {
			t.Errorf("Edit(%s): %v", ref, err)
		}
	}
	for _, ref := range []string{"", "abc", "zzzzzzzz", "0123456789abcdef0123456789abcdef00"} {
		if _, _, err := a.Open(ctx, ref); !errors.Is(err, evidence.ErrInvalid) {
			t.Errorf("Open(%q): %v", ref, err)
		}
	}
	a.Close()
	sameSnapshot(t, before, snapshot(t, dir))
}

func TestTruncatedDatabase(t *testing.T) {
	for _, keep := range []int64{0, 100, 4096, 8192} {
		dir, r := closedArchive(t)
		db := filepath.Join(dir, dbFile)
		if err := os.Truncate(db, keep); err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, dir)
		a, err := Open(context.Background(), dir, "", testPass, Options{})
		if err == nil {
			// Some truncations only show when a page is read.
			_, _, err = a.Open(context.Background(), r.ID.String())
			a.Close()
		}
		if !errors.Is(err, evidence.ErrDamaged) {
			t.Errorf("database truncated to %d bytes: got %v, want a damage error", keep, err)
		}
		sameSnapshot(t, before, snapshot(t, dir))
	}
}

func TestDamagedBlob(t *testing.T) {
	cases := map[string]func(t *testing.T, pack string, it Added){
		"flipped byte in header": func(t *testing.T, pack string, _ Added) { flip(t, pack, 40) },
		"flipped byte in payload": func(t *testing.T, pack string, _ Added) {
			st, _ := os.Stat(pack)
			flip(t, pack, st.Size()/2)
		},
		"flipped last byte": func(t *testing.T, pack string, _ Added) {
			st, _ := os.Stat(pack)
			flip(t, pack, st.Size()-1)
		},
		"truncated": func(t *testing.T, pack string, _ Added) {
			st, _ := os.Stat(pack)
			os.Truncate(pack, st.Size()-1000)
		},
		"deleted": func(t *testing.T, pack string, _ Added) { os.Remove(pack) },
	}
	for name, damage := range cases {
		t.Run(name, func(t *testing.T) {
			dir, r := closedArchive(t)
			a, err := Open(context.Background(), dir, "", testPass, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			it, err := a.db.Item(context.Background(), r.ID)
			if err != nil {
				t.Fatal(err)
			}
			pack := filepath.Join(dir, blobsDir, it.Pack[:2], it.Pack)
			damage(t, pack, r)
			before := snapshot(t, dir)
			rc, _, err := a.Open(context.Background(), r.ID.String())
			if err == nil {
				_, err = io.Copy(io.Discard, rc)
				rc.Close()
			}
			if !errors.Is(err, evidence.ErrTampered) {
				t.Errorf("got %v, want a tamper error", err)
			}
			sameSnapshot(t, before, snapshot(t, dir))
		})
	}
}

func flip(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x01
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func TestBadAddChangesNothing(t *testing.T) {
	a := newArchive(t)
	src := t.TempDir()
	good := filepath.Join(src, "good.txt")
	writeFile(t, good, []byte("good"))
	writeFile(t, filepath.Join(src, "dir/x.txt"), []byte("x"))
	writeFile(t, filepath.Join(src, "dir/y.txt"), []byte("y"))
	ctx := context.Background()
	cases := []struct {
		name  string
		paths []string
		opt   AddOptions
		kind  error
	}{
		{"missing path", []string{good, filepath.Join(src, "missing.txt")}, AddOptions{}, evidence.ErrNotFound},
		{"title for many files", []string{filepath.Join(src, "dir")}, AddOptions{Title: "t"}, evidence.ErrInvalid},
		{"bad kind", []string{good}, AddOptions{Kind: "movie"}, evidence.ErrInvalid},
		{"bad lang", []string{good}, AddOptions{Lang: "Korean!"}, evidence.ErrInvalid},
		{"name as witness", []string{good}, AddOptions{Witness: "Kim Young-hee"}, evidence.ErrInvalid},
		{"unknown original", []string{good}, AddOptions{TranslationOf: "abcdef"}, evidence.ErrNotFound},
		{"title with newline", []string{good}, AddOptions{Title: "a\nb"}, evidence.ErrInvalid},
		{"nothing", nil, AddOptions{}, evidence.ErrInvalid},
		{"stdin twice", []string{"-", "-"}, AddOptions{}, evidence.ErrInvalid},
	}
	before := snapshot(t, a.dir)
	for _, c := range cases {
		err := a.Add(ctx, c.paths, c.opt, func(r Added) error {
			t.Errorf("%s: emitted %+v", c.name, r)
			return nil
		})
		if !errors.Is(err, c.kind) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.kind)
		}
	}
	sameSnapshot(t, before, snapshot(t, a.dir))
}

func TestEditWritesVersions(t *testing.T) {
	a := newArchive(t)
	src := filepath.Join(t.TempDir(), "t.txt")
	writeFile(t, src, []byte(koSentence))
	r := addAll(t, a, []string{src}, AddOptions{Lang: "ko"})[0]
	ctx := context.Background()
	title, lang := "두만강 도강 (1차 면담)", "ko-KP"
	v, changed, err := a.Edit(ctx, r.ID.String()[:8], Edit{Title: &title, Lang: &lang})
	if err != nil || v != 2 || !changed {
		t.Fatalf("edit: v=%d changed=%v err=%v", v, changed, err)
	}
	v, changed, err = a.Edit(ctx, r.ID.String(), Edit{Title: &title})
	if err != nil || v != 2 || changed {
		t.Fatalf("no-op edit: v=%d changed=%v err=%v", v, changed, err)
	}
	bad := "film"
	if _, _, err := a.Edit(ctx, r.ID.String(), Edit{Kind: &bad}); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("bad kind: %v", err)
	}
	info, err := a.Show(ctx, r.ID.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Versions) != 2 {
		t.Fatalf("%d versions", len(info.Versions))
	}
	v1, v2 := info.Versions[0], info.Versions[1]
	if v1.Title != "t.txt" || v1.Lang != "ko" || v2.Title != title || v2.Lang != "ko-KP" {
		t.Errorf("versions: %+v / %+v", v1.ItemRecord, v2.ItemRecord)
	}
	if v2.Prev == nil || *v2.Prev != v1.Digest || v1.Prev != nil {
		t.Errorf("v2 does not chain to v1's digest")
	}
	// The evidence bytes never change.
	if string(readItem(t, a, r.ID)) != koSentence {
		t.Error("content changed by edit")
	}
}

func TestInitRefusesNonEmptyDir(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "something"), []byte("x"))
	_, err := Init(context.Background(), dir, "kim", testPass, Options{WorkFactor: 10})
	if !errors.Is(err, evidence.ErrExists) {
		t.Errorf("non-empty dir: %v", err)
	}
	if _, err := Init(context.Background(), t.TempDir(), "kim", "short", Options{WorkFactor: 10}); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("short passphrase: %v", err)
	}
}
