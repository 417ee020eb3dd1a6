package verify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"sori/internal/archive"
	"sori/internal/bundle"
	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/store"
	"sori/verify/independent"
)

const bagKorean = "질문: 언제 두만강을 건넜습니까?\n답변: 1998년 가을, 얼음이 얼기 전이었습니다.\n"

// exportBag builds an archive of four items (Korean and English text, a
// binary larger than one age chunk, an empty file), gives one a second
// record version, exports three of them to a bag and returns its
// directory and the archive's log key.
func exportBag(t testing.TB, recipients ...string) (dir, logKey string) {
	t.Helper()
	ctx := context.Background()
	root := t.TempDir()
	a := bagArchive(t, root)
	src := filepath.Join(root, "src")
	big := make([]byte, 70_000)
	rand.Read(big)
	files := map[string][]byte{"w17-ko.txt": []byte(bagKorean), "w17-en.txt": []byte("Question: when did you cross?\n"),
		"photo.bin": big, "empty.txt": nil}
	os.MkdirAll(src, 0o700)
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(src, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ids := map[string]string{}
	err := a.Add(ctx, []string{src}, archive.AddOptions{Lang: "ko", Witness: "W-17"}, func(r archive.Added) error {
		ids[filepath.Base(r.Path)] = r.ID.String()
		return r.Err
	})
	if err != nil {
		t.Fatal(err)
	}
	title := "증언 — 두 번째 판"
	if _, _, err := a.Edit(ctx, ids["w17-ko.txt"], archive.Edit{Title: &title}); err != nil {
		t.Fatal(err)
	}
	// The Korean transcript is a testimony's original and the photo its
	// translation (of a sort): the bundle carries the testimony's consent
	// record, in two versions.
	ko, photo := mustID(t, ids["w17-ko.txt"]), mustID(t, ids["photo.bin"])
	tid, err := a.AddRecord(ctx, &model.Testimony{Title: "Interview 1", Witness: "W-17", Original: &ko, Translations: []evidence.ID{photo}})
	if err != nil {
		t.Fatal(err)
	}
	for _, scope := range []string{archive.ScopeInternal, archive.ScopeCourt} {
		if _, _, _, err := a.SetConsent(ctx, &model.Consent{Testimony: tid, Scope: scope, NoAudio: true}); err != nil {
			t.Fatal(err)
		}
	}
	dir = filepath.Join(root, "bundle")
	writeBag(t, a, []string{ids["w17-ko.txt"], ids["photo.bin"], ids["empty.txt"]}, recipients, dir)
	return dir, a.LogKey()
}

// bagArchive creates an archive under root for a bundle test; it is
// closed when the test ends.
func bagArchive(t testing.TB, root string) *archive.Archive {
	t.Helper()
	a, err := archive.Init(context.Background(), filepath.Join(root, "archive"), "investigator-kim", "correct horse battery staple",
		archive.Options{WorkFactor: 10, StateDir: filepath.Join(root, "state")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// writeBag exports refs from a and writes the bundle to dir.
func writeBag(t testing.TB, a *archive.Archive, refs, recipients []string, dir string) {
	t.Helper()
	ctx := context.Background()
	x, err := a.Export(ctx, refs, recipients)
	if err != nil {
		t.Fatal(err)
	}
	if err := bundle.Write(ctx, x, func(it store.Item) (io.ReadCloser, error) { return x.Open(ctx, it) }, dir); err != nil {
		t.Fatal(err)
	}
}

func mustID(t testing.TB, s string) evidence.ID {
	t.Helper()
	id, err := evidence.ParseID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// checkBoth runs verify.Bundle and the independent verifier.
func checkBoth(t testing.TB, dir, key string) (*Report, []string) {
	t.Helper()
	r, err := Bundle(dir, BundleOptions{LogKey: key})
	if err != nil {
		t.Fatalf("verify.Bundle could not run: %v", err)
	}
	probs, err := independent.Check(dir, key)
	if err != nil {
		t.Fatalf("independent.Check could not run: %v", err)
	}
	return r, probs
}

// requireCaught fails unless both verifiers find something.
func requireCaught(t *testing.T, what, dir, key string) *Report {
	t.Helper()
	r, probs := checkBoth(t, dir, key)
	if r.OK() {
		t.Errorf("%s: verify.Bundle finds nothing", what)
	}
	if len(probs) == 0 {
		t.Errorf("%s: the independent verifier finds nothing", what)
	}
	t.Logf("%s:\n  verify: %v\n  independent: %q", what, r.Findings, probs)
	return r
}

func requireClean(t *testing.T, what, dir, key string) *Report {
	t.Helper()
	r, probs := checkBoth(t, dir, key)
	for _, f := range r.Findings {
		t.Errorf("%s: verify.Bundle: %s", what, f)
	}
	for _, p := range probs {
		t.Errorf("%s: independent: %s", what, p)
	}
	return r
}

func copyBag(t testing.TB, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "bag")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// bagFiles lists a bag's files by bag path.
func bagFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	})
	sort.Strings(out)
	return out
}

// reseal rewrites both manifests and Payload-Oxum after a deliberate
// change, as a forger would, so that only the semantic checks remain.
func reseal(t *testing.T, dir string) {
	t.Helper()
	var payload, payload512, tags, tags512 strings.Builder
	var octets, n int64
	for _, p := range bagFiles(t, dir) {
		b, _ := os.ReadFile(filepath.Join(dir, p))
		if strings.HasPrefix(p, "data/") {
			fmt.Fprintf(&payload, "%x  %s\n", sha256.Sum256(b), p)
			fmt.Fprintf(&payload512, "%x  %s\n", sha512.Sum512(b), p)
			octets += int64(len(b))
			n++
		}
	}
	writeBagFile(t, dir, bundle.ManifestFile, []byte(payload.String()))
	writeBagFile(t, dir, bundle.ManifestSHA512File, []byte(payload512.String()))
	info, _ := os.ReadFile(filepath.Join(dir, bundle.BagInfoFile))
	info = regexp.MustCompile(`Payload-Oxum: \S+`).ReplaceAll(info, fmt.Appendf(nil, "Payload-Oxum: %d.%d", octets, n))
	writeBagFile(t, dir, bundle.BagInfoFile, info)
	for _, p := range bagFiles(t, dir) { // every tag file: those outside data/ but the tag manifests
		if strings.HasPrefix(p, "data/") || p == bundle.TagManifestFile || p == bundle.TagManifestSHA512File {
			continue
		}
		b, _ := os.ReadFile(filepath.Join(dir, p))
		fmt.Fprintf(&tags, "%x  %s\n", sha256.Sum256(b), p)
		fmt.Fprintf(&tags512, "%x  %s\n", sha512.Sum512(b), p)
	}
	writeBagFile(t, dir, bundle.TagManifestFile, []byte(tags.String()))
	writeBagFile(t, dir, bundle.TagManifestSHA512File, []byte(tags512.String()))
}

func readBagFile(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeBagFile(t *testing.T, dir, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestBundleClean(t *testing.T) {
	dir, key := exportBag(t)
	r := requireClean(t, "fresh bundle", dir, "")
	// Versions and entries: the items', the consent record's (2) and the
	// testimony record's (1).
	if r.Items != 3 || r.Versions != 7 || r.Entries != 8 || r.Bytes != int64(len(bagKorean))+70_000 || r.Checkpoint == "" {
		t.Errorf("report: %+v", r)
	}
	requireClean(t, "fresh bundle, pinned key", dir, key)
	if _, err := Bundle(filepath.Join(dir, "nope"), BundleOptions{}); err == nil {
		t.Error("a missing bundle directory is not an error")
	}
}

// TestBundleEveryFileTampered flips a byte at the start, middle and end of
// every file of a bag (each on a fresh copy), deletes each file, and adds
// unlisted files: both verifiers must object every time.
func TestBundleEveryFileTampered(t *testing.T) {
	dir, key := exportBag(t)
	files := bagFiles(t, dir)
	if len(files) < 20 {
		t.Fatalf("only %d files in the bag", len(files))
	}
	for _, name := range files {
		orig := readBagFile(t, dir, name)
		if len(orig) == 0 {
			continue // the empty original: covered by deletion and the added-file cases
		}
		for _, pos := range []int{0, len(orig) / 2, len(orig) - 1} {
			bag := copyBag(t, dir)
			b := bytes.Clone(orig)
			b[pos] ^= 0x01
			writeBagFile(t, bag, name, b)
			requireCaught(t, fmt.Sprintf("%s byte %d flipped", name, pos), bag, key)
		}
		bag := copyBag(t, dir)
		os.Remove(filepath.Join(bag, filepath.FromSlash(name)))
		requireCaught(t, name+" deleted", bag, key)
	}
	for _, extra := range []string{"data/extra.txt", "data/items/extra.txt", "notes.txt", "data/consent/w17.pdf"} {
		bag := copyBag(t, dir)
		os.MkdirAll(filepath.Dir(filepath.Join(bag, extra)), 0o700)
		writeBagFile(t, bag, extra, []byte("added later\n"))
		requireCaught(t, extra+" added", bag, key)
		if extra != "notes.txt" {
			reseal(t, bag)
			requireCaught(t, extra+" added and listed", bag, key)
		}
	}
}

// TestBundleResealedTampering changes what a forger would change and
// rewrites the manifests: the signatures, leaves and proofs must catch it.
func TestBundleResealedTampering(t *testing.T) {
	dir, key := exportBag(t)
	var itemDir, koDir string
	for _, p := range bagFiles(t, dir) {
		if strings.HasSuffix(p, "/original.txt") && bytes.Equal(readBagFile(t, dir, p), []byte(bagKorean)) {
			koDir = strings.TrimSuffix(p, "/original.txt")
		} else if strings.HasSuffix(p, "/original.bin") && itemDir == "" {
			itemDir = strings.TrimSuffix(p, "/original.bin")
		}
	}
	custodyFile := func(bag, item string, n int) string { // the nth entry file of an item
		var es []string
		for _, p := range bagFiles(t, bag) {
			if strings.HasPrefix(p, item+"/custody/") && strings.HasSuffix(p, ".json") {
				es = append(es, p)
			}
		}
		return es[n]
	}
	replace := func(bag, name, old, new string) {
		b := readBagFile(t, bag, name)
		if !bytes.Contains(b, []byte(old)) {
			t.Fatalf("%s does not contain %q", name, old)
		}
		writeBagFile(t, bag, name, bytes.Replace(b, []byte(old), []byte(new), 1))
	}
	var consentDir, testimonyDir string
	for _, p := range bagFiles(t, dir) {
		switch {
		case strings.HasPrefix(p, bundle.ConsentDir+"/") && strings.HasSuffix(p, "/"+bundle.ConsentRecord):
			consentDir = strings.TrimSuffix(p, "/"+bundle.ConsentRecord)
		case strings.HasPrefix(p, bundle.TestimonyDir+"/") && strings.HasSuffix(p, "/"+bundle.ConsentRecord):
			testimonyDir = strings.TrimSuffix(p, "/"+bundle.ConsentRecord)
		}
	}
	if consentDir == "" || testimonyDir == "" {
		t.Fatal("the bag holds no consent record or no testimony record")
	}
	cases := []struct {
		name string
		kind string
		edit func(bag string)
	}{
		{"consent scope altered, digest recomputed", KindEntry, func(bag string) {
			var c bundle.ConsentFileJSON
			editJSON(t, bag, consentDir+"/"+bundle.ConsentRecord, &c, func() {
				v := &c.Versions[1]
				v.Record = strings.Replace(v.Record, `"scope":"court"`, `"scope":"named"`, 1)
				v.Digest = sha256.Sum256([]byte(v.Record))
			})
		}},
		{"consent restriction dropped, digest recomputed", KindEntry, func(bag string) {
			var c bundle.ConsentFileJSON
			editJSON(t, bag, consentDir+"/"+bundle.ConsentRecord, &c, func() {
				v := &c.Versions[1]
				v.Record = strings.Replace(v.Record, `,"no_audio":true`, ``, 1)
				v.Digest = sha256.Sum256([]byte(v.Record))
			})
		}},
		{"consent version dropped", KindEntry, func(bag string) {
			var c bundle.ConsentFileJSON
			editJSON(t, bag, consentDir+"/"+bundle.ConsentRecord, &c, func() { c.Versions = c.Versions[1:] })
		}},
		{"consent names an item not in the bundle", KindMissing, func(bag string) {
			var c bundle.ConsentFileJSON
			editJSON(t, bag, consentDir+"/"+bundle.ConsentRecord, &c, func() { c.Items[0] = evidence.NewID() })
		}},
		{"consent about another testimony", KindRecord, func(bag string) {
			var c bundle.ConsentFileJSON
			editJSON(t, bag, consentDir+"/"+bundle.ConsentRecord, &c, func() { c.Testimony = evidence.NewID() })
		}},
		{"consent entry removed", KindMissing, func(bag string) {
			f := custodyFile(bag, consentDir, 1)
			os.Remove(filepath.Join(bag, f))
			os.Remove(filepath.Join(bag, strings.TrimSuffix(f, ".json")+bundle.ProofExt))
		}},
		{"testimony record removed", KindMissing, func(bag string) {
			os.RemoveAll(filepath.Join(bag, testimonyDir))
		}},
		{"testimony's original swapped, digest recomputed", KindEntry, func(bag string) {
			var c bundle.ConsentFileJSON
			editJSON(t, bag, testimonyDir+"/"+bundle.ConsentRecord, &c, func() {
				v := &c.Versions[len(c.Versions)-1]
				v.Record = regexp.MustCompile(`"original":"[0-9a-f]{32}"`).ReplaceAllString(v.Record, `"original":"`+evidence.NewID().String()+`"`)
				v.Digest = sha256.Sum256([]byte(v.Record))
			})
		}},
		{"testimony's file names other items", KindRecord, func(bag string) {
			var c bundle.ConsentFileJSON
			editJSON(t, bag, testimonyDir+"/"+bundle.ConsentRecord, &c, func() { c.Items = c.Items[:len(c.Items)-1] })
		}},
		{"testimony entry removed", KindMissing, func(bag string) {
			f := custodyFile(bag, testimonyDir, 0)
			os.Remove(filepath.Join(bag, f))
			os.Remove(filepath.Join(bag, strings.TrimSuffix(f, ".json")+bundle.ProofExt))
		}},
		{"original altered", KindContent, func(bag string) {
			replace(bag, koDir+"/original.txt", "1998", "1999")
		}},
		{"record title altered, digest recomputed", KindEntry, func(bag string) {
			var m bundle.Metadata
			editJSON(t, bag, koDir+"/metadata.json", &m, func() {
				m.Versions[1].Record = strings.Replace(m.Versions[1].Record, "두 번째", "세 번째", 1)
				m.Versions[1].Digest = sha256.Sum256([]byte(m.Versions[1].Record))
			})
		}},
		{"item sha256 in metadata altered", KindEntry, func(bag string) {
			var m bundle.Metadata
			editJSON(t, bag, koDir+"/metadata.json", &m, func() { m.SHA256[0] ^= 1 })
		}},
		{"entry time altered", KindSignature, func(bag string) {
			replace(bag, custodyFile(bag, koDir, 0), `\"time\":\"20`, `\"time\":\"19`)
		}},
		{"salt altered, leaf data recomputed", KindProof, func(bag string) {
			var e bundle.EntryFile
			editJSON(t, bag, custodyFile(bag, koDir, 1), &e, func() {
				salt := make([]byte, custody.SaltSize)
				e.Salt = hex.EncodeToString(salt)
				e.LeafData = hex.EncodeToString(custody.LeafData(salt, e.Content, sha256.Sum256([]byte(e.Entry))))
			})
		}},
		{"content digest altered, leaf data recomputed", KindProof, func(bag string) {
			var e bundle.EntryFile
			editJSON(t, bag, custodyFile(bag, itemDir, 0), &e, func() {
				salt, _ := hex.DecodeString(e.Salt)
				e.Content[31] ^= 1
				e.LeafData = hex.EncodeToString(custody.LeafData(salt, e.Content, sha256.Sum256([]byte(e.Entry))))
			})
		}},
		{"proof path hash replaced", KindProof, func(bag string) {
			f := strings.TrimSuffix(custodyFile(bag, itemDir, 0), ".json") + bundle.ProofExt
			lines := strings.Split(string(readBagFile(t, bag, f)), "\n")
			lines[2] = base64.StdEncoding.EncodeToString(make([]byte, 32))
			writeBagFile(t, bag, f, []byte(strings.Join(lines, "\n")))
		}},
		{"version entry removed", KindMissing, func(bag string) {
			f := custodyFile(bag, koDir, 1)
			os.Remove(filepath.Join(bag, f))
			os.Remove(filepath.Join(bag, strings.TrimSuffix(f, ".json")+bundle.ProofExt))
		}},
		{"item removed", KindMissing, func(bag string) {
			os.RemoveAll(filepath.Join(bag, itemDir))
		}},
		{"checkpoint size altered", KindCheckpoint, func(bag string) {
			b := readBagFile(t, bag, bundle.CheckpointFile)
			lines := strings.SplitN(string(b), "\n", 3)
			lines[1] += "0"
			writeBagFile(t, bag, bundle.CheckpointFile, []byte(strings.Join(lines, "\n")))
		}},
		{"checkpoint signature re-encoded with unused bits set", KindCheckpoint, func(bag string) {
			b := readBagFile(t, bag, bundle.CheckpointFile)
			i := bytes.LastIndex(b, []byte("=\n")) - 1 // the last base64 digit, which carries 2 unused bits
			const digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
			b[i] = digits[strings.IndexByte(digits, b[i])^1]
			writeBagFile(t, bag, bundle.CheckpointFile, b)
		}},
		{"export manifest drops an item", KindEntry, func(bag string) {
			b := readBagFile(t, bag, bundle.ExportManifestFile)
			writeBagFile(t, bag, bundle.ExportManifestFile, regexp.MustCompile(`\["[0-9a-f]{32}",`).ReplaceAll(b, []byte("[")))
		}},
		{"export manifest names another bundle", KindEntry, func(bag string) {
			b := readBagFile(t, bag, bundle.ExportManifestFile)
			writeBagFile(t, bag, bundle.ExportManifestFile, regexp.MustCompile(`"bundle":"[0-9a-f]`).ReplaceAll(b, []byte(`"bundle":"x`)))
		}},
		{"original renamed to another extension, metadata.json to match", KindBag, func(bag string) {
			os.Rename(filepath.Join(bag, koDir, "original.txt"), filepath.Join(bag, koDir, "original.md"))
			var m bundle.Metadata
			editJSON(t, bag, koDir+"/metadata.json", &m, func() { m.Original = "original.md" })
		}},
		{"a second original beside the first", KindBag, func(bag string) {
			writeBagFile(t, bag, koDir+"/original.txt.age", []byte(bundle.AgeHeader+"-> X25519 x\n"))
		}},
		{"the specification removed", KindMissing, func(bag string) {
			os.Remove(filepath.Join(bag, bundle.SpecFile))
		}},
		{"bag-info names another profile", KindBag, func(bag string) {
			replace(bag, bundle.BagInfoFile, "court-bundle:2", "court-bundle:3")
		}},
		{"plaintext original swapped for an age file", KindBag, func(bag string) {
			os.Rename(filepath.Join(bag, koDir, "original.txt"), filepath.Join(bag, koDir, "original.txt.age"))
			writeBagFile(t, bag, koDir+"/original.txt.age", []byte(bundle.AgeHeader+"-> X25519 x\n"))
		}},
	}
	for _, tc := range cases {
		bag := copyBag(t, dir)
		tc.edit(bag)
		reseal(t, bag)
		r := requireCaught(t, tc.name, bag, key)
		if !hasKind(r, tc.kind) {
			t.Errorf("%s: no %s finding among %v", tc.name, tc.kind, r.Findings)
		}
	}
}

// editJSON decodes a bag's JSON file into v, calls fn, and writes v back.
func editJSON(t *testing.T, bag, name string, v any, fn func()) {
	t.Helper()
	if err := json.Unmarshal(readBagFile(t, bag, name), v); err != nil {
		t.Fatal(err)
	}
	fn()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	writeBagFile(t, bag, name, append(b, '\n'))
}

func hasKind(r *Report, kind string) bool {
	for _, f := range r.Findings {
		if f.Kind == kind {
			return true
		}
	}
	return false
}

// TestBundleForeignLogKey re-signs a bag's checkpoint with a forger's key
// of the same name. The bag is then self-consistent: only the log key the
// reader obtained independently exposes it.
func TestBundleForeignLogKey(t *testing.T) {
	dir, key := exportBag(t)
	bag := copyBag(t, dir)
	origin := custody.VerifierName(key)
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	old := readBagFile(t, bag, bundle.CheckpointFile)
	cp, err := custody.OpenCheckpoint(old, origin, key)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := custody.SignCheckpoint(skey, origin, cp.Size, cp.Hash)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range bagFiles(t, bag) {
		if b := readBagFile(t, bag, p); bytes.Contains(b, old) {
			writeBagFile(t, bag, p, bytes.Replace(b, old, forged.Note, 1))
		}
	}
	writeBagFile(t, bag, bundle.LogKeyFile, []byte(vkey+"\n"))
	reseal(t, bag)
	requireClean(t, "forged key, unpinned", bag, "")
	r := requireCaught(t, "forged key, pinned", bag, key)
	if !hasKind(r, KindCheckpoint) || !hasKind(r, KindProof) {
		t.Errorf("pinned key: findings %v", r.Findings)
	}
	// And the genuine bag against the forger's key.
	requireCaught(t, "genuine bag, wrong pinned key", dir, vkey)
}

// TestBundleTranslationByItsRecord: an item that the testimony record does
// not list, but whose own record says it translates the testimony's
// original, belongs to the testimony too (step 9.5): the bundle verifies,
// and once its record no longer says so (digest recomputed), both
// verifiers find it.
func TestBundleTranslationByItsRecord(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	a := bagArchive(t, root)
	add := func(name, text string, opt archive.AddOptions) evidence.ID {
		p := filepath.Join(root, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		var id evidence.ID
		if err := a.Add(ctx, []string{p}, opt, func(r archive.Added) error { id = r.ID; return r.Err }); err != nil {
			t.Fatal(err)
		}
		return id
	}
	ko := add("w17-ko.txt", bagKorean, archive.AddOptions{Lang: "ko"})
	en := add("w17-en.txt", "Question: when did you cross the Tumen?\n", archive.AddOptions{Lang: "en", TranslationOf: ko.String()})
	tid, err := a.AddRecord(ctx, &model.Testimony{Title: "Interview 1", Witness: "W-17", Original: &ko})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := a.SetConsent(ctx, &model.Consent{Testimony: tid, Scope: archive.ScopeCourt}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "bundle")
	writeBag(t, a, []string{en.String()}, nil, dir)
	requireClean(t, "a translation by its own record", dir, a.LogKey())

	bag := copyBag(t, dir)
	var m bundle.Metadata
	editJSON(t, bag, bundle.ItemsDir+"/"+en.String()+"/"+bundle.MetadataFile, &m, func() {
		v := &m.Versions[len(m.Versions)-1]
		v.Record = strings.Replace(v.Record, `"translation_of":"`+ko.String()+`"`, `"translation_of":"`+evidence.NewID().String()+`"`, 1)
		v.Digest = sha256.Sum256([]byte(v.Record))
	})
	reseal(t, bag)
	r := requireCaught(t, "translation_of rewritten", bag, a.LogKey())
	if !hasKind(r, KindRecord) {
		t.Errorf("no %s finding among %v", KindRecord, r.Findings)
	}
}
