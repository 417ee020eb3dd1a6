package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"sori/internal/evidence"
)

const testPass = "correct horse battery staple"

// newArchive creates an archive with a cheap KDF (the test-only knob).
func newArchive(t *testing.T) *Archive {
	t.Helper()
	a, err := Init(context.Background(), filepath.Join(t.TempDir(), "archive"), "investigator-kim", testPass, Options{WorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func reopen(t *testing.T, a *Archive) *Archive {
	t.Helper()
	a.Close()
	b, err := Open(context.Background(), a.dir, "", testPass, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func addAll(t *testing.T, a *Archive, paths []string, opt AddOptions) []Added {
	t.Helper()
	var out []Added
	err := a.Add(context.Background(), paths, opt, func(r Added) error {
		if r.Err != nil {
			t.Errorf("add %s: %v", r.Path, r.Err)
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readItem(t *testing.T, a *Archive, id evidence.ID) []byte {
	t.Helper()
	rc, _, err := a.Open(context.Background(), id.String())
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func randBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

const koSentence = "질문: 언제 두만강을 건넜습니까? 답변: 1998년 가을, 무산 근처에서 얼음이 얼기 전에 건넜습니다."
const enSentence = "Question: when did you cross the Tumen? Answer: in the autumn of 1998, near Musan, before the ice."

func TestRoundTrip(t *testing.T) {
	a := newArchive(t)
	src := t.TempDir()
	files := map[string][]byte{
		"interview.ko.txt":    []byte(strings.Repeat(koSentence+"\n", 40)),
		"big.bin":             randBytes(1, 50<<20),
		"empty.txt":           {},
		"증언-녹취록.txt":          []byte("탈출 고문 요덕\n"),
		"tree/a/one.txt":      []byte("one"),
		"tree/a/b/two.jpg":    randBytes(2, 70_000),
		"tree/c/three.mp3":    randBytes(3, 300_000),
		"tree/c/세번째/four.txt": []byte(enSentence),
	}
	for name, data := range files {
		writeFile(t, filepath.Join(src, name), data)
	}
	paths := []string{filepath.Join(src, "interview.ko.txt"), filepath.Join(src, "big.bin"), filepath.Join(src, "empty.txt"),
		filepath.Join(src, "증언-녹취록.txt"), filepath.Join(src, "tree")}
	got := addAll(t, a, paths, AddOptions{})
	if len(got) != 8 {
		t.Fatalf("got %d results, want 8", len(got))
	}
	// Results come in argument order, directory contents sorted.
	wantOrder := []string{"interview.ko.txt", "big.bin", "empty.txt", "증언-녹취록.txt", "tree/a/b/two.jpg", "tree/a/one.txt", "tree/c/three.mp3", "tree/c/세번째/four.txt"}
	a = reopen(t, a)
	for i, r := range got {
		rel, _ := filepath.Rel(src, r.Path)
		if rel != filepath.FromSlash(wantOrder[i]) {
			t.Errorf("result %d is %s, want %s", i, rel, wantOrder[i])
		}
		want := files[filepath.ToSlash(rel)]
		if r.SHA256 != sha256.Sum256(want) || r.Size != int64(len(want)) || r.Duplicate {
			t.Errorf("%s: result %+v does not describe the file", rel, r)
		}
		if b := readItem(t, a, r.ID); !bytes.Equal(b, want) {
			t.Errorf("%s: cat gives %d bytes that differ from the %d added", rel, len(b), len(want))
		}
	}
	info, err := a.Show(context.Background(), got[3].ID.String())
	if err != nil {
		t.Fatal(err)
	}
	if info.Current.Title != "증언-녹취록.txt" || info.Current.Kind != evidence.Transcript || info.AddedBy != "investigator-kim" {
		t.Errorf("Hangul file: record %+v", info.Current)
	}
	info, _ = a.Show(context.Background(), got[6].ID.String())
	if info.Current.Kind != evidence.Audio {
		t.Errorf("mp3 kind = %s", info.Current.Kind)
	}
}

func TestDuplicates(t *testing.T) {
	a := newArchive(t)
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "a.txt"), []byte(koSentence))
	writeFile(t, filepath.Join(src, "copy/a-again.txt"), []byte(koSentence))
	first := addAll(t, a, []string{filepath.Join(src, "a.txt")}, AddOptions{Title: "first"})
	again := addAll(t, a, []string{src}, AddOptions{})
	for _, r := range again {
		if r.ID != first[0].ID || !r.Duplicate {
			t.Errorf("%s: got %s duplicate=%v, want the first item %s as a duplicate", r.Path, r.ID, r.Duplicate, first[0].ID)
		}
	}
	// Same bytes twice in one call: one item, the second reported as duplicate.
	other := t.TempDir()
	writeFile(t, filepath.Join(other, "x1"), []byte(enSentence))
	writeFile(t, filepath.Join(other, "x2"), []byte(enSentence))
	res := addAll(t, a, []string{other}, AddOptions{})
	if res[0].ID != res[1].ID || res[0].Duplicate == res[1].Duplicate {
		t.Errorf("same bytes in one call: %+v", res)
	}
	n := 0
	a.List(context.Background(), func(Listed) error { n++; return nil })
	if n != 2 {
		t.Errorf("archive lists %d items, want 2", n)
	}
	info, _ := a.Show(context.Background(), first[0].ID.String())
	if len(info.Versions) != 1 || info.Current.Title != "first" {
		t.Errorf("duplicate changed the record: %+v", info.Versions)
	}
}

func TestNothingReadableAtRest(t *testing.T) {
	a := newArchive(t)
	src := t.TempDir()
	titleKo := "요덕 수용소 생존자 면담 기록"
	titleEn := "Interview with a survivor of the Yodok camp"
	note := "Interviewer remarks: the witness asked that her village not be named"
	fileName := "두만강-도강-증언.txt"
	writeFile(t, filepath.Join(src, fileName), []byte(koSentence))
	writeFile(t, filepath.Join(src, "en.txt"), []byte(enSentence))
	ko := addAll(t, a, []string{filepath.Join(src, fileName)}, AddOptions{Title: titleKo, Lang: "ko", Witness: "W-0042", Note: note})
	addAll(t, a, []string{filepath.Join(src, "en.txt")}, AddOptions{Title: titleEn, Lang: "en", TranslationOf: ko[0].ID.String()})
	edited := "수정된 제목: 혜산 압록강 도강"
	if _, _, err := a.Edit(context.Background(), ko[0].ID.String(), Edit{Title: &edited}); err != nil {
		t.Fatal(err)
	}
	ring := a.ring
	a.Close()

	needles := []string{koSentence, enSentence, titleKo, titleEn, note, fileName, edited, testPass, "investigator-kim",
		"두만강을 건넜습니까", "before the ice", "survivor of the Yodok"}
	var raw [][]byte
	for _, s := range needles {
		raw = append(raw, []byte(s), []byte(norm.NFD.String(s)))
	}
	for _, k := range [][]byte{ring.DB[:], ring.IDKey[:], func() []byte { c := ring.Content[1]; return c[:] }()} {
		raw = append(raw, k, []byte(hex.EncodeToString(k)))
	}
	files := 0
	filepath.WalkDir(a.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range raw {
			if bytes.Contains(b, n) {
				t.Errorf("%s contains secret #%d in the clear", p, i)
			}
		}
		return nil
	})
	if files < 5 {
		t.Errorf("scanned only %d files", files)
	}
}
