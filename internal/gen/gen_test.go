package gen

import (
	"crypto/sha256"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sori/internal/hangul"
)

func digestDir(t *testing.T, dir string) [32]byte {
	h := sha256.New()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		h.Write([]byte(rel))
		h.Write(b)
		return nil
	})
	var s [32]byte
	h.Sum(s[:0])
	return s
}

func TestDeterministic(t *testing.T) {
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	ca, err := Write(a, Options{Paragraphs: 1000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Write(b, Options{Paragraphs: 1000, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	if digestDir(t, a) != digestDir(t, b) {
		t.Fatal("same seed gave different corpora")
	}
	c := filepath.Join(t.TempDir(), "c")
	Write(c, Options{Paragraphs: 1000, Seed: 8})
	if digestDir(t, a) == digestDir(t, c) {
		t.Fatal("different seeds gave the same corpus")
	}
	if ca.Paragraphs != 1000 || ca.Files != 10 || len(ca.Queries) != 200 {
		t.Errorf("corpus %+v", ca)
	}
	// Every person's romanizations are recognized as the same name.
	for _, p := range ca.People[:50] {
		for _, s := range p.Spelling {
			if !hangul.SameName(p.Hangul, s) {
				t.Errorf("%s and %q are not recognized as one name", p.Hangul, s)
			}
		}
	}
	ko, _ := os.ReadFile(filepath.Join(a, "ko", "000000.txt"))
	en, _ := os.ReadFile(filepath.Join(a, "en", "000001.txt"))
	if strings.Count(string(ko), "\n") != 100 || !strings.Contains(string(ko), "씨는") || !strings.Contains(string(en), "The witness said") {
		t.Errorf("unexpected content:\n%.300s\n%.300s", ko, en)
	}
}
