package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sori/verify/independent"
)

// TestCosignedBundleLitewitnessCLI has a real witness (litewitness) cosign
// a checkpoint, exports a bundle that carries it, and checks the
// cosignature with verify-bundle and the independent verifier: with the
// witness's key, with another key of the same name, without a key, and
// after the cosignature or its proof was altered.
func TestCosignedBundleLitewitnessCLI(t *testing.T) {
	c := newCLI(t)
	c.ok("init", "--user", "kim")
	origin := strings.SplitN(c.ok("checkpoint"), "\n", 2)[0]
	url, vkey := startLitewitness(t, origin, strings.TrimSpace(c.ok("checkpoint", "--key")))
	c.ok("witness-log", "add", url, vkey)
	src := t.TempDir()
	add := func(i int) string {
		p := filepath.Join(src, fmt.Sprintf("note-%d.txt", i))
		os.WriteFile(p, []byte(fmt.Sprintf("synthetic note %d\n", i)), 0o600)
		return c.ok("add", p)[:32]
	}
	id := add(0)
	plain := filepath.Join(t.TempDir(), "b0")
	c.ok("export", "--out", plain, id)
	if _, err := os.Stat(filepath.Join(plain, "sori-cosigned-checkpoint.txt")); err == nil {
		t.Error("a bundle carries a cosigned checkpoint though none was cosigned")
	}
	outsider := &cli{t: t, env: map[string]string{}}
	if code, out, _ := outsider.run("", "verify-bundle", "--witness-key", vkey, plain); code != 1 || !strings.Contains(out, "missing\tsori-cosigned-checkpoint.txt") {
		t.Errorf("a witness key for a bundle without cosignatures: exit %d %s", code, out)
	}

	cosignedNote := c.ok("checkpoint", "--cosign")
	add(1)
	add(2)
	dir := filepath.Join(t.TempDir(), "bundle")
	c.ok("export", "--out", dir, id)
	got, err := os.ReadFile(filepath.Join(dir, "sori-cosigned-checkpoint.txt"))
	if err != nil || string(got) != cosignedNote {
		t.Fatalf("the bundle's cosigned checkpoint: %v\n%q\nwant %q", err, got, cosignedNote)
	}

	code, _, errs := outsider.run("", "verify-bundle", "--witness-key", vkey, dir)
	name := strings.SplitN(vkey, "+", 2)[0]
	if code != 0 || !strings.Contains(errs, "cosigned by "+name+" (verified") {
		t.Errorf("verify-bundle --witness-key: exit %d %s", code, errs)
	}
	code, _, errs = outsider.run("", "verify-bundle", dir)
	if code != 0 || !strings.Contains(errs, "NOT checked: give --witness-key") || !strings.Contains(errs, "note: the bundle carries a checkpoint of") {
		t.Errorf("verify-bundle without --witness-key: exit %d %s", code, errs)
	}
	impostor := witnessKeyNamed(t, name)
	code, out, _ := outsider.run("", "verify-bundle", "--witness-key", vkey, "--witness-key", impostor, dir)
	if code != 1 || !strings.Contains(out, "cosignature\tsori-cosigned-checkpoint.txt") || strings.Count(out, "\n") != 1 {
		t.Errorf("verify-bundle with another key of the same name: exit %d %s", code, out)
	}
	if code, _, errs := outsider.run("", "verify-bundle", "--witness-key", "not-a-key", dir); code != 2 || !strings.Contains(errs, "witness") {
		t.Errorf("--witness-key not a key: exit %d %s", code, errs)
	}
	if problems, err := independent.CheckWith(dir, independent.Options{WitnessKeys: []string{vkey}}); err != nil || len(problems) > 0 {
		t.Errorf("independent verifier with the witness key: %v %v", problems, err)
	}
	if problems, _ := independent.CheckWith(dir, independent.Options{WitnessKeys: []string{impostor}}); len(problems) != 1 {
		t.Errorf("independent verifier with another key of the same name: %v", problems)
	}

	// Altered: every check behind the (rewritten) tag manifests catches it.
	for what, change := range map[string]func(d string){
		"cosignature altered": func(d string) {
			p := filepath.Join(d, "sori-cosigned-checkpoint.txt")
			b, _ := os.ReadFile(p)
			i := strings.LastIndex(string(b), "— "+name+" ") + len("— "+name+" ") + 20
			b[i] ^= 'A' ^ 'B' // another base64 letter
			os.WriteFile(p, b, 0o600)
		},
		"cosignature line dropped": func(d string) {
			p := filepath.Join(d, "sori-cosigned-checkpoint.txt")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, []byte(cosignedNote[:strings.LastIndex(string(b), "— "+name+" ")]), 0o600)
		},
		"proof dropped a hash": func(d string) {
			p := filepath.Join(d, "sori-cosigned-proof.txt")
			b, _ := os.ReadFile(p)
			lines := strings.SplitAfter(string(b), "\n")
			os.WriteFile(p, []byte(strings.Join(append(lines[:2], lines[3:]...), "")), 0o600)
		},
		"proof missing": func(d string) { os.Remove(filepath.Join(d, "sori-cosigned-proof.txt")) },
	} {
		d := filepath.Join(t.TempDir(), "b")
		if err := exec.Command("cp", "-r", dir, d).Run(); err != nil {
			t.Fatal(err)
		}
		change(d)
		rewriteTagManifests(t, d)
		code, out, _ := outsider.run("", "verify-bundle", "--witness-key", vkey, d)
		if code != 1 || !strings.Contains(out, "cosignature\t") {
			t.Errorf("%s: verify-bundle exit %d %s", what, code, out)
		}
		if problems, err := independent.CheckWith(d, independent.Options{WitnessKeys: []string{vkey}}); err != nil || len(problems) == 0 {
			t.Errorf("%s: the independent verifier finds nothing (%v)", what, err)
		}
	}
}

// witnessKeyNamed makes a fresh witness verifier key under name: the same
// name as a real witness, another key.
func witnessKeyNamed(t *testing.T, name string) string {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k := append([]byte{0x04}, pub...)
	h := sha256.Sum256(append([]byte(name+"\n"), k...))
	return fmt.Sprintf("%s+%x+%s", name, h[:4], base64.StdEncoding.EncodeToString(k))
}
