package bundle_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"sori/internal/archive"
	"sori/internal/bundle"
	"sori/internal/evidence"
	"sori/internal/seal"
	"sori/internal/store"
	"sori/verify"
	"sori/verify/independent"
)

// Distinctive contents, so that the tests can look for their plaintext.
var testFiles = map[string][]byte{
	"w17-ko.txt": []byte("질문: 언제 두만강을 건넜습니까?\n답변: 1998년 가을입니다.\n"),
	"w17-en.txt": []byte("Question: when did you cross the Tumen river?\n"),
	"scan.bin":   bytes.Repeat([]byte("SCANNED-PAGE-OF-TESTIMONY "), 4000), // > 64 KiB: several age chunks
}

type fixture struct {
	a   *archive.Archive
	ids map[string]evidence.ID // by file name
}

// newFixture builds an archive with testFiles, the Korean item in two
// record versions.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	root := t.TempDir()
	a, err := archive.Init(ctx, filepath.Join(root, "archive"), "investigator-kim", "correct horse battery staple",
		archive.Options{WorkFactor: 10, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	src := filepath.Join(root, "src")
	os.MkdirAll(src, 0o700)
	for name, b := range testFiles {
		os.WriteFile(filepath.Join(src, name), b, 0o600)
	}
	f := &fixture{a: a, ids: map[string]evidence.ID{}}
	err = a.Add(ctx, []string{src}, archive.AddOptions{}, func(r archive.Added) error {
		f.ids[filepath.Base(r.Path)] = r.ID
		return r.Err
	})
	if err != nil {
		t.Fatal(err)
	}
	title, lang := "첫 면담", "ko"
	if _, _, err := a.Edit(ctx, f.ids["w17-ko.txt"].String(), archive.Edit{Title: &title, Lang: &lang}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) export(t *testing.T, recipients ...string) *archive.Export {
	t.Helper()
	var refs []string
	for _, id := range f.ids {
		refs = append(refs, id.String())
	}
	x, err := f.a.Export(context.Background(), refs, recipients)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func (f *fixture) open(it store.Item) (io.ReadCloser, error) {
	return f.a.Inspect().OpenItem(context.Background(), it)
}

// listTree lists every file and directory under root with its mode.
func listTree(t *testing.T, root string) map[string]fs.FileMode {
	t.Helper()
	out := map[string]fs.FileMode{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, _ := d.Info()
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = info.Mode()
		return nil
	})
	return out
}

func checkClean(t *testing.T, dir string) *verify.Report {
	t.Helper()
	r, err := verify.Bundle(dir, verify.BundleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range r.Findings {
		t.Errorf("verify.Bundle: %s", fd)
	}
	probs, err := independent.Check(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range probs {
		t.Errorf("independent: %s", p)
	}
	return r
}

func TestWriteLayout(t *testing.T) {
	f := newFixture(t)
	x := f.export(t)
	dir := filepath.Join(t.TempDir(), "bundle")
	if err := bundle.Write(context.Background(), x, f.open, dir); err != nil {
		t.Fatal(err)
	}
	want := []string{".", "bag-info.txt", "bagit.txt", "data", "data/README.txt", "data/checkpoint.txt", "data/consent",
		"data/consent/README.txt", "data/export", "data/export/entry.json", "data/export/entry.tlog-proof",
		"data/export/manifest.json", "data/items", "data/log-key.txt", "manifest-sha256.txt", "manifest-sha512.txt",
		"sori-bundle-spec.md", "tagmanifest-sha256.txt", "tagmanifest-sha512.txt"}
	for name, id := range f.ids {
		d := "data/items/" + id.String()
		original := "original" + filepath.Ext(name) // .txt, .bin: the extension travels
		want = append(want, d, d+"/"+original, d+"/metadata.json", d+"/custody")
		for _, e := range itemEntries(x, id) {
			want = append(want, fmt.Sprintf("%s/custody/%d.json", d, e.Seq), fmt.Sprintf("%s/custody/%d.tlog-proof", d, e.Seq))
		}
		got, err := os.ReadFile(filepath.Join(dir, d, original))
		if err != nil || !bytes.Equal(got, testFiles[name]) {
			t.Errorf("%s: original differs (%v)", name, err)
		}
	}
	tree := listTree(t, dir)
	var got []string
	for p, mode := range tree {
		got = append(got, p)
		if mode.IsDir() && mode.Perm() != 0o700 || mode.IsRegular() && mode.Perm() != 0o600 {
			t.Errorf("%s has mode %v", p, mode)
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("bag layout:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if siblings, _ := os.ReadDir(filepath.Dir(dir)); len(siblings) != 1 {
		t.Errorf("left beside the bag: %v", siblings)
	}

	// The Korean item holds both versions, the second chained to the first.
	var m bundle.Metadata
	b, _ := os.ReadFile(filepath.Join(dir, "data/items", f.ids["w17-ko.txt"].String(), "metadata.json"))
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Versions) != 2 || !strings.Contains(m.Versions[1].Record, "첫 면담") ||
		!strings.Contains(m.Versions[1].Record, `"prev":"`+m.Versions[0].Digest.String()) ||
		m.SHA256 != sha256.Sum256(testFiles["w17-ko.txt"]) || m.Original != "original.txt" || m.EncryptedTo != nil || m.V != 2 {
		t.Errorf("metadata: %+v", m)
	}
	// Entries and proofs are exactly the export's bytes.
	for _, e := range itemEntries(x, f.ids["w17-ko.txt"]) {
		d := filepath.Join(dir, "data/items", f.ids["w17-ko.txt"].String(), "custody")
		var ef bundle.EntryFile
		b, _ := os.ReadFile(filepath.Join(d, fmt.Sprintf("%d.json", e.Seq)))
		json.Unmarshal(b, &ef)
		p, _ := os.ReadFile(filepath.Join(d, fmt.Sprintf("%d.tlog-proof", e.Seq)))
		if ef.Entry != string(e.Entry) || !bytes.Equal(ef.Signature, e.Signature) || ef.Salt != hex.EncodeToString(e.Salt) ||
			ef.LeafData != hex.EncodeToString(e.LeafData) || !bytes.Equal(p, e.Proof) || ef.ActorName != "investigator-kim" {
			t.Errorf("entry %d written as %+v", e.Seq, ef)
		}
	}
	info, _ := os.ReadFile(filepath.Join(dir, "bag-info.txt"))
	for _, line := range []string{"External-Identifier: " + x.ID, "Sori-Bundle-Version: 2", "Sori-Log-Origin: " + x.Origin, "Payload-Oxum: ",
		"BagIt-Profile-Identifier: " + bundle.ProfileID} {
		if !strings.Contains(string(info), line) {
			t.Errorf("bag-info.txt lacks %q:\n%s", line, info)
		}
	}
	// The specification travels as a tag file, covered by both tag
	// manifests; both payload manifests list the same files.
	if spec, _ := os.ReadFile(filepath.Join(dir, bundle.SpecFile)); string(spec) != bundle.Spec || len(spec) < 1000 {
		t.Errorf("%s is not the specification (%d bytes)", bundle.SpecFile, len(spec))
	}
	for _, tm := range []string{bundle.TagManifestFile, bundle.TagManifestSHA512File} {
		b, _ := os.ReadFile(filepath.Join(dir, tm))
		for _, f := range []string{bundle.BagItFile, bundle.BagInfoFile, bundle.ManifestFile, bundle.ManifestSHA512File, bundle.SpecFile} {
			if !strings.Contains(string(b), "  "+f+"\n") {
				t.Errorf("%s does not list %s:\n%s", tm, f, b)
			}
		}
	}
	m256, _ := os.ReadFile(filepath.Join(dir, bundle.ManifestFile))
	m512, _ := os.ReadFile(filepath.Join(dir, bundle.ManifestSHA512File))
	strip := regexp.MustCompile(`(?m)^[0-9a-f]+  `)
	if l := strings.Count(string(m256), "\n"); l < 10 || string(strip.ReplaceAll(m256, nil)) != string(strip.ReplaceAll(m512, nil)) ||
		!regexp.MustCompile(`^([0-9a-f]{128}  data/\S+\n)+$`).Match(m512) {
		t.Errorf("the SHA-512 manifest does not list the payload as the SHA-256 one does:\n%s", m512)
	}
	r := checkClean(t, dir)
	if r.Items != 3 || r.Versions != 4 || r.Entries != 5 {
		t.Errorf("report %+v", r)
	}
}

func itemEntries(x *archive.Export, id evidence.ID) []archive.ExportEntry {
	for _, xi := range x.Items {
		if xi.Item.ID == id {
			return xi.Entries
		}
	}
	return nil
}

func TestWriteRecipientNoPlaintext(t *testing.T) {
	f := newFixture(t)
	k, err := seal.NewUserKey()
	if err != nil {
		t.Fatal(err)
	}
	// Nothing may be written outside the bag, temporary files included.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	x := f.export(t, k.Recipient())
	dir := filepath.Join(t.TempDir(), "bundle")
	if err := bundle.Write(context.Background(), x, f.open, dir); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("export wrote to the temporary directory: %v", left)
	}
	for p, mode := range listTree(t, dir) {
		if !mode.IsRegular() {
			continue
		}
		b, _ := os.ReadFile(filepath.Join(dir, p))
		for name, plain := range testFiles {
			for _, frag := range []string{string(plain[:20]), "두만강", "Tumen", "SCANNED-PAGE"} {
				if bytes.Contains(b, []byte(frag)) {
					t.Errorf("%s holds plaintext of %s (%q)", p, name, frag)
				}
			}
		}
		if strings.Contains(p, "/original") && !strings.HasSuffix(p, ".age") {
			t.Errorf("plaintext original %s", p)
		}
		if strings.HasSuffix(p, ".age") && !bytes.HasPrefix(b, []byte("age-encryption.org/v1\n")) {
			t.Errorf("%s is not an age file", p)
		}
	}
	var m bundle.Metadata
	b, _ := os.ReadFile(filepath.Join(dir, "data/items", f.ids["scan.bin"].String(), "metadata.json"))
	json.Unmarshal(b, &m)
	if m.Original != "original.bin.age" || len(m.EncryptedTo) != 1 || m.EncryptedTo[0] != k.Recipient() {
		t.Errorf("metadata %+v", m)
	}
	r := checkClean(t, dir)
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "3 original(s)") {
		t.Errorf("notes: %q", r.Notes)
	}
	bad := *x
	bad.Recipients = []string{"age1notarecipient"}
	if err := bundle.Write(context.Background(), &bad, f.open, filepath.Join(t.TempDir(), "b")); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("bad recipient: %v", err)
	}
}

func TestWriteRefusesNonEmptyDir(t *testing.T) {
	f := newFixture(t)
	x := f.export(t)
	parent := t.TempDir()
	dir := filepath.Join(parent, "bundle")
	os.Mkdir(dir, 0o700)
	os.WriteFile(filepath.Join(dir, "keep.txt"), []byte("mine"), 0o600)
	if err := bundle.Write(context.Background(), x, f.open, dir); !errors.Is(err, evidence.ErrExists) {
		t.Errorf("non-empty dir: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "keep.txt")); string(b) != "mine" {
		t.Error("the existing directory was touched")
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 1 {
		t.Errorf("left in the parent: %v", entries)
	}
	file := filepath.Join(parent, "file")
	os.WriteFile(file, nil, 0o600)
	if err := bundle.CheckDir(file); !errors.Is(err, evidence.ErrExists) {
		t.Errorf("a file as bundle directory: %v", err)
	}
	if err := bundle.CheckDir(filepath.Join(parent, "no", "such")); err == nil {
		t.Error("a bundle directory whose parent is missing is accepted")
	}
	// An empty directory is fine.
	empty := filepath.Join(parent, "empty")
	os.Mkdir(empty, 0o700)
	if err := bundle.Write(context.Background(), x, f.open, empty); err != nil {
		t.Fatal(err)
	}
	checkClean(t, empty)
}

// TestWriteFailureLeavesNoBag: a failing or lying reader, or a cancelled
// context, leaves neither the bag nor its temporary directory.
func TestWriteFailureLeavesNoBag(t *testing.T) {
	f := newFixture(t)
	x := f.export(t)
	n := 0
	cases := []struct {
		name string
		ctx  func() context.Context
		open func(store.Item) (io.ReadCloser, error)
		want error
	}{
		{"open fails on the second item", context.Background, func(it store.Item) (io.ReadCloser, error) {
			if n++; n == 2 {
				return nil, fmt.Errorf("%w: pack gone", evidence.ErrTampered)
			}
			return f.open(it)
		}, evidence.ErrTampered},
		{"reader gives other bytes", context.Background, func(it store.Item) (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader("not the testimony")), nil
		}, evidence.ErrTampered},
		{"cancelled", func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, f.open, context.Canceled},
	}
	for _, tc := range cases {
		parent := t.TempDir()
		for _, recipients := range [][]string{nil, {mustRecipient(t)}} {
			n = 0
			xr := *x
			xr.Recipients = recipients
			err := bundle.Write(tc.ctx(), &xr, tc.open, filepath.Join(parent, "bundle"))
			if !errors.Is(err, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			}
			if entries, _ := os.ReadDir(parent); len(entries) != 0 {
				t.Errorf("%s: left %v", tc.name, entries)
			}
		}
	}
}

func mustRecipient(t *testing.T) string {
	k, err := seal.NewUserKey()
	if err != nil {
		t.Fatal(err)
	}
	return k.Recipient()
}

// TestProfileDocument: docs/bagit-profile-court-bundle-2.json, the BagIt
// profile that bag-info.txt names, says what Write does.
func TestProfileDocument(t *testing.T) {
	b, err := os.ReadFile("../../docs/bagit-profile-court-bundle-2.json")
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Info struct {
			ID      string `json:"BagIt-Profile-Identifier"`
			Version string `json:"Version"`
		} `json:"BagIt-Profile-Info"`
		BagInfo   map[string]struct{ Values []string } `json:"Bag-Info"`
		Manifests []string                             `json:"Manifests-Required"`
		Tags      []string                             `json:"Tag-Manifests-Required"`
		TagFiles  []string                             `json:"Tag-Files-Required"`
		Allowed   []string                             `json:"Tag-Files-Allowed"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	if p.Info.ID != bundle.ProfileID || p.Info.Version != fmt.Sprint(bundle.Version) ||
		!slices.Equal(p.BagInfo[bundle.InfoProfile].Values, []string{bundle.ProfileID}) ||
		!slices.Equal(p.BagInfo[bundle.InfoVersion].Values, []string{fmt.Sprint(bundle.Version)}) ||
		!slices.Equal(p.Manifests, []string{"sha256", "sha512"}) || !slices.Equal(p.Tags, p.Manifests) ||
		!slices.Equal(p.TagFiles, []string{bundle.SpecFile}) {
		t.Errorf("the profile document disagrees with the writer: %+v", p)
	}
	// Every tag file Write may add is allowed: a profile validator refuses
	// a bag with a tag file the list does not name.
	optional := []string{bundle.SpecFile, bundle.ConsistencyFile, bundle.TimestampCheckpointFile, bundle.TimestampTokenFile,
		bundle.TimestampProofFile, bundle.CosignedCheckpointFile, bundle.CosignedProofFile}
	if !slices.Equal(p.Allowed, optional) {
		t.Errorf("Tag-Files-Allowed is %q, want %q", p.Allowed, optional)
	}
}
