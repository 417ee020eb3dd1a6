package verify

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"sori/internal/bundle"
	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/verify/independent"
)

// TestIndependentImportsStdlibOnly guards the independent verifier's
// independence: it and its command may use the standard library only.
func TestIndependentImportsStdlibOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "sori/verify/independent/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	own := map[string]bool{"sori/verify/independent": true, "sori/verify/independent/cmd/sori-check-bundle": true}
	seen := 0
	for _, pkg := range strings.Fields(string(out)) {
		if !own[pkg] {
			t.Errorf("%s is a dependency of verify/independent; it must use the standard library only", pkg)
			continue
		}
		seen++
	}
	if seen != len(own) {
		t.Errorf("go list saw %d of the independent verifier's %d packages:\n%s", seen, len(own), out)
	}
}

// TestSpecMatchesIndependent: the specification every bundle carries and
// the independent verifier written from it state the same constants, and
// the same as the writer and the custody log use, so that neither can
// drift from the other unnoticed.
func TestSpecMatchesIndependent(t *testing.T) {
	spec := bundle.Spec
	for _, s := range []string{
		"version " + independent.BundleVersion,
		bundle.InfoVersion + ": " + independent.BundleVersion,
		bundle.InfoProfile + ": " + independent.ProfileID,
		"`" + independent.SpecFile + "`",
		strconv.Quote(independent.LeafPrefix),
		strconv.Quote(independent.EntrySignaturePrefix),
		strings.TrimSuffix(independent.AgeHeader, "\n"),
		independent.ConsistencyHeader,
		"`" + independent.TimestampCheckpointFile + "`",
		"`" + independent.TimestampTokenFile + "`",
		"`" + independent.TimestampProofFile + "`",
		"`" + independent.CosignedCheckpointFile + "`",
		"`" + independent.CosignedProofFile + "`",
		strconv.Quote(independent.CosignaturePrefix),
		"`" + independent.HandoverHeader + "`",
		"`" + bundle.LogKeyChainFile + "`",
	} {
		if !strings.Contains(spec, s) {
			t.Errorf("the specification does not say %q", s)
		}
	}
	if bundle.TimestampCheckpointFile != independent.TimestampCheckpointFile || bundle.TimestampTokenFile != independent.TimestampTokenFile ||
		bundle.TimestampProofFile != independent.TimestampProofFile || custody.ConsistencyHeader != independent.ConsistencyHeader ||
		bundle.CosignedCheckpointFile != independent.CosignedCheckpointFile || bundle.CosignedProofFile != independent.CosignedProofFile {
		t.Error("the time-stamp tag files or the consistency proof header differ between internal/bundle, custody and verify/independent")
	}
	if custody.HandoverHeader != independent.HandoverHeader {
		t.Error("the handover note's header differs between custody and verify/independent")
	}
	if strconv.Itoa(bundle.Version) != independent.BundleVersion || bundle.ProfileID != independent.ProfileID ||
		bundle.SpecFile != independent.SpecFile || bundle.AgeHeader != independent.AgeHeader {
		t.Errorf("the writer (version %d, %s, %s) and the independent verifier (%s, %s, %s) disagree",
			bundle.Version, bundle.ProfileID, bundle.SpecFile, independent.BundleVersion, independent.ProfileID, independent.SpecFile)
	}
	// The custody log's own formulas, through its functions.
	e := custody.Entry{V: 1, Seq: 3, Kind: custody.KindExport, Object: "x", Actor: "a"}
	if !bytes.HasPrefix(e.SignedMessage(), []byte(independent.EntrySignaturePrefix)) {
		t.Errorf("custody signs %q, not after the prefix the specification gives", e.SignedMessage())
	}
	salt, content, entry := bytes.Repeat([]byte{1}, 32), evidence.Digest{2}, []byte("{}")
	got := custody.LeafData(salt, content, evidence.Sum(entry))
	want := independent.LeafData(salt, content[:], entry)
	if !bytes.Equal(got, want[:]) {
		t.Errorf("custody's leaf data differs from the specification's formula")
	}
}

// TestIndependentCommand runs the standalone verifier as a court would
// (go run, nothing but the bundle): 0 on a genuine bundle, 1 with the
// problem on a tampered one, 2 on a path that is not a bundle.
func TestIndependentCommand(t *testing.T) {
	dir, key := exportBag(t)
	bin := filepath.Join(t.TempDir(), "sori-check-bundle")
	if out, err := exec.Command("go", "build", "-o", bin, "sori/verify/independent/cmd/sori-check-bundle").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// Only the bundle: a copy in a fresh directory, run from there.
	bag := copyBag(t, dir)
	run := func(args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		cmd.Dir = t.TempDir()
		cmd.Env = []string{"PATH=/usr/bin:/bin"}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, out.String()
	}
	if code, out := run(bag); code != 0 || !strings.Contains(out, "OK") {
		t.Errorf("genuine bundle: exit %d\n%s", code, out)
	}
	if code, out := run("-log-key", key, bag); code != 0 {
		t.Errorf("genuine bundle, pinned key: exit %d\n%s", code, out)
	}
	// Keys and certificates the holder gives are read before the bundle: a
	// bad one is a usage error. A witness key for a bundle that carries no
	// cosigned checkpoint is a problem (here, the log key, a well-formed
	// Ed25519 verifier key).
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-witness-key", "not-a-key", bag}, 2, "witness key"},
		{[]string{"-tsa-cert", filepath.Join(bag, "bagit.txt"), bag}, 2, "-tsa-cert"},
		{[]string{"-witness-key", key, bag}, 1, "step 12"},
	} {
		if code, out := run(tc.args...); code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d, want %d and %q\n%s", tc.args, code, tc.code, tc.want, out)
		}
	}
	spec := filepath.Join(bag, bundle.SpecFile)
	b, _ := os.ReadFile(spec)
	if err := os.WriteFile(spec, bytes.Replace(b, []byte("leaf"), []byte("lief"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := run(bag); code != 1 || !strings.Contains(out, bundle.SpecFile) {
		t.Errorf("altered specification: exit %d\n%s", code, out)
	}
	// An encrypted bundle, to an age key and an SSH key, checks the same.
	court, _ := testRecipient(t)
	defence, _ := testSSHRecipient(t)
	sealed, sealedKey := exportBag(t, court, defence)
	if code, out := run("-log-key", sealedKey, copyBag(t, sealed)); code != 0 {
		t.Errorf("encrypted bundle: exit %d\n%s", code, out)
	}
	if code, out := run(filepath.Join(bag, "nothing")); code != 2 {
		t.Errorf("no bundle: exit %d\n%s", code, out)
	}
}

// FuzzExtension: the writer's and the independent verifier's reading of
// step 5.3 agree on every name, and keep nothing but a dot and 1 to 16
// ASCII letters or digits from its end.
func FuzzExtension(f *testing.F) {
	for _, s := range []string{"면담.ko.txt", "scan", "a.tar gz", ".bashrc", "x.", "../../etc/passwd", "a.b/c", "v.MP4", "x.abcdefghijklmnopq", "x.äö"} {
		f.Add(s)
	}
	ok := regexp.MustCompile(`^(\.[A-Za-z0-9]{1,16})?$`)
	f.Fuzz(func(t *testing.T, name string) {
		got := bundle.Extension(name)
		if got != independent.Extension(name) {
			t.Fatalf("%q: writer %q, independent verifier %q", name, got, independent.Extension(name))
		}
		if !ok.MatchString(got) || !strings.HasSuffix(name, got) {
			t.Fatalf("%q: extension %q", name, got)
		}
	})
}

// FuzzBundleManifest: whatever replaces a manifest, neither verifier
// panics, and both find a problem unless it is the genuine manifest.
func FuzzBundleManifest(f *testing.F) {
	dir, key := exportBag(f)
	for _, m := range []string{bundle.ManifestSHA512File, bundle.TagManifestFile} {
		b, err := os.ReadFile(filepath.Join(dir, m))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(m == bundle.ManifestSHA512File, b)
		f.Add(m == bundle.ManifestSHA512File, bytes.ToUpper(b))
		f.Add(m == bundle.ManifestSHA512File, b[:len(b)/2])
	}
	f.Add(true, []byte(""))
	f.Fuzz(func(t *testing.T, payload bool, text []byte) {
		m := bundle.TagManifestFile
		if payload {
			m = bundle.ManifestSHA512File
		}
		genuine, _ := os.ReadFile(filepath.Join(dir, m))
		bag := copyBag(t, dir)
		if err := os.WriteFile(filepath.Join(bag, m), text, 0o600); err != nil {
			t.Fatal(err)
		}
		r, probs := checkBoth(t, bag, key)
		if bytes.Equal(text, genuine) {
			if !r.OK() || len(probs) != 0 {
				t.Fatalf("genuine manifest refused: %v %v", r.Findings, probs)
			}
			return
		}
		if r.OK() || len(probs) == 0 {
			t.Fatalf("%s replaced by %q: verify.Bundle %v, independent %v", m, text, r.Findings, probs)
		}
	})
}

// TestBundleSHA512Catches: a payload change with only the SHA-256
// manifests brought up to date is caught by the SHA-512 ones, by both
// verifiers.
func TestBundleSHA512Catches(t *testing.T) {
	dir, key := exportBag(t)
	bag := copyBag(t, dir)
	var ko string
	for _, p := range bagFiles(t, bag) {
		if strings.HasSuffix(p, "/original.txt") && bytes.Equal(readBagFile(t, bag, p), []byte(bagKorean)) {
			ko = p
		}
	}
	if ko == "" {
		t.Fatal("no Korean original.txt in the bag")
	}
	writeBagFile(t, bag, ko, bytes.Replace([]byte(bagKorean), []byte("1998"), []byte("1999"), 1))
	sha512s := map[string][]byte{}
	for _, m := range []string{bundle.ManifestSHA512File, bundle.TagManifestSHA512File} {
		sha512s[m] = readBagFile(t, bag, m)
	}
	reseal(t, bag)
	for m, b := range sha512s {
		writeBagFile(t, bag, m, b)
	}
	r, probs := checkBoth(t, bag, key)
	found := false
	for _, f := range r.Findings {
		found = found || (f.Object == ko && strings.Contains(f.Detail, bundle.ManifestSHA512File))
	}
	if !found || !strings.Contains(strings.Join(probs, "\n"), "manifest-sha512.txt: "+ko+": FAILED") {
		t.Errorf("a change seen only by the SHA-512 manifest: verify.Bundle %v, independent %v", r.Findings, probs)
	}
}
