package main

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sori/internal/custody"
	"sori/internal/tsa/tsatest"
	"sori/verify/independent"
)

// TestCheckpointTSACLI time-stamps a checkpoint at a real local TSA
// (openssl ts), exports a bundle that carries the token, and checks it
// with verify-bundle (with the TSA's CA, with another TSA's, without) and
// with stock openssl; a TSA that fails stores nothing.
func TestCheckpointTSACLI(t *testing.T) {
	ts := tsatest.Start(t, false)
	other := tsatest.Start(t, false)
	c := newCLI(t)
	c.ok("init", "--user", "kim")
	src := t.TempDir()
	add := func(i int) string {
		p := filepath.Join(src, fmt.Sprintf("note-%d.txt", i))
		os.WriteFile(p, []byte(fmt.Sprintf("synthetic note %d\n", i)), 0o600)
		return c.ok("add", p)[:32]
	}
	id := add(0)

	// Bad URLs and failing TSAs change nothing.
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/timestamp-reply")
		w.Write([]byte{0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x02}) // status rejection, no token
	}))
	defer broken.Close()
	for _, tc := range []struct {
		url  string
		code int
		msg  string
	}{
		{"ftp://tsa.example/", 2, "not an http or https URL"},
		{broken.URL, 1, "the TSA refused"},
		{broken.URL + "/missing\x00", 2, "not an http"},
	} {
		code, out, errs := c.run("", "checkpoint", "--tsa", tc.url)
		if code != tc.code || out != "" || !strings.Contains(errs, tc.msg) {
			t.Errorf("--tsa %q: exit %d %q %q", tc.url, code, out, errs)
		}
	}
	empty := filepath.Join(t.TempDir(), "b0")
	c.ok("export", "--out", empty, id)
	if _, err := os.Stat(filepath.Join(empty, "sori-timestamp.tsr")); err == nil {
		t.Error("a bundle carries a time stamp though none was stored")
	}

	code, out, errs := c.run("", "checkpoint", "--tsa", ts.URL)
	if code != 0 || !strings.Contains(errs, "time-stamped the checkpoint of") || !strings.Contains(errs, "genTime 20") {
		t.Fatalf("checkpoint --tsa: exit %d %s", code, errs)
	}
	stampedNote := out
	if ts.Count() != 1 {
		t.Errorf("the TSA answered %d requests", ts.Count())
	}
	add(1)
	add(2)
	dir := filepath.Join(t.TempDir(), "bundle")
	c.ok("export", "--out", dir, id)
	got, err := os.ReadFile(filepath.Join(dir, "sori-timestamp-checkpoint.txt"))
	if err != nil || string(got) != stampedNote {
		t.Fatalf("the bundle's stamped checkpoint: %v\n%q\nwant %q", err, got, stampedNote)
	}

	// Stock openssl verifies the token against SHA-256 of the note text.
	text, _ := custody.NoteText(got)
	sum := sha256.Sum256(text)
	cmd := exec.Command("openssl", "ts", "-verify", "-digest", hex.EncodeToString(sum[:]), "-in", filepath.Join(dir, "sori-timestamp.tsr"), "-token_in", "-CAfile", ts.CAFile)
	if msg, err := cmd.CombinedOutput(); err != nil || !bytes.Contains(msg, []byte("Verification: OK")) {
		t.Errorf("openssl ts -verify of the bundle's token: %v\n%s", err, msg)
	}

	// The spec's shell recipe (step 11) computes the same digest.
	sh := exec.Command("sh", "-c", `sed -n '1,/^$/p' sori-timestamp-checkpoint.txt | head -n -1 | sha256sum | cut -c1-64`)
	sh.Dir = dir
	if b, err := sh.Output(); err != nil || strings.TrimSpace(string(b)) != hex.EncodeToString(sum[:]) {
		t.Errorf("the spec's recipe gives %q, %v; want %x", b, err, sum)
	}

	if problems, err := independent.Check(dir, ""); err != nil || len(problems) > 0 {
		t.Errorf("independent verifier: %v %v", problems, err)
	}
	// The independent verifier checks the TSA's signature (step 11.4)
	// against the TSA's CA or its own certificate, and refuses another's.
	for _, cert := range []*x509.Certificate{ts.CA, ts.Cert} {
		if problems, err := independent.CheckWith(dir, independent.Options{TSACert: cert}); err != nil || len(problems) > 0 {
			t.Errorf("independent verifier with %s: %v %v", cert.Subject, problems, err)
		}
	}
	for _, cert := range []*x509.Certificate{other.CA, other.Cert} {
		if problems, _ := independent.CheckWith(dir, independent.Options{TSACert: cert}); len(problems) != 1 || !strings.Contains(problems[0], "sori-timestamp.tsr") {
			t.Errorf("independent verifier with another TSA's %s: %v", cert.Subject, problems)
		}
	}

	outsider := &cli{t: t, env: map[string]string{}}
	code, _, errs = outsider.run("", "verify-bundle", "--tsa-cert", ts.CAFile, dir)
	if code != 0 || !strings.Contains(errs, "TSA signature verified") {
		t.Errorf("verify-bundle --tsa-cert CA: exit %d %s", code, errs)
	}
	outsider.ok("verify-bundle", "--tsa-cert", ts.CertPEM, dir)
	code, _, errs = outsider.run("", "verify-bundle", dir)
	if code != 0 || !strings.Contains(errs, "NOT checked") || !strings.Contains(errs, "note: the bundle carries an RFC 3161 time stamp") {
		t.Errorf("verify-bundle without --tsa-cert: exit %d %s", code, errs)
	}
	code, out, _ = outsider.run("", "verify-bundle", "--tsa-cert", other.CAFile, dir)
	if code != 1 || !strings.Contains(out, "timestamp\tsori-timestamp.tsr") {
		t.Errorf("verify-bundle against another TSA: exit %d %s", code, out)
	}
	if code, _, errs := outsider.run("", "verify-bundle", "--tsa-cert", filepath.Join(dir, "bagit.txt"), dir); code != 2 || !strings.Contains(errs, "not a PEM certificate") {
		t.Errorf("--tsa-cert not PEM: exit %d %s", code, errs)
	}

	// A token of another checkpoint (here: the stamped note of another
	// archive's log swapped in) is refused, even with the tag manifests
	// rewritten to match.
	for name, change := range map[string]func(dir string){
		"token of another digest": func(d string) {
			b, _ := os.ReadFile(filepath.Join(d, "sori-timestamp.tsr"))
			i := bytes.Index(b, sum[:])
			b[i] ^= 1
			os.WriteFile(filepath.Join(d, "sori-timestamp.tsr"), b, 0o600)
		},
		"proof dropped a hash": func(d string) {
			b, _ := os.ReadFile(filepath.Join(d, "sori-timestamp-proof.txt"))
			lines := strings.SplitAfter(string(b), "\n")
			os.WriteFile(filepath.Join(d, "sori-timestamp-proof.txt"), []byte(strings.Join(append(lines[:2], lines[3:]...), "")), 0o600)
		},
		"token missing": func(d string) { os.Remove(filepath.Join(d, "sori-timestamp.tsr")) },
	} {
		d := filepath.Join(t.TempDir(), "b")
		if err := exec.Command("cp", "-r", dir, d).Run(); err != nil {
			t.Fatal(err)
		}
		change(d)
		rewriteTagManifests(t, d)
		code, out, _ := outsider.run("", "verify-bundle", "--tsa-cert", ts.CAFile, d)
		if code != 1 || !strings.Contains(out, "timestamp\t") {
			t.Errorf("%s: exit %d %s", name, code, out)
		}
		if problems, err := independent.CheckWith(d, independent.Options{TSACert: ts.CA}); err != nil || len(problems) == 0 {
			t.Errorf("%s: the independent verifier finds nothing (%v)", name, err)
		}
	}
}

// rewriteTagManifests makes both tag manifests match the tag files as they
// now are, so that a check behind the manifests is what must catch a change.
func rewriteTagManifests(t *testing.T, dir string) {
	t.Helper()
	for _, m := range []string{"tagmanifest-sha256.txt", "tagmanifest-sha512.txt"} {
		alg := "sha256sum"
		if strings.Contains(m, "512") {
			alg = "sha512sum"
		}
		var files []string
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if !e.IsDir() && !strings.HasPrefix(e.Name(), "tagmanifest-") {
				files = append(files, e.Name())
			}
		}
		cmd := exec.Command(alg, files...)
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, m), out, 0o600)
	}
}
