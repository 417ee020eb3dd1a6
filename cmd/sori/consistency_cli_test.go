package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sori/verify/independent"
)

// TestCheckpointSinceCLI keeps checkpoints while the log grows, proves and
// checks consistency from each through the CLI, and refuses a checkpoint
// of another archive, of a forked copy, and one larger than the log.
func TestCheckpointSinceCLI(t *testing.T) {
	c := newCLI(t)
	c.ok("init", "--user", "kim")
	src := t.TempDir()
	add := func(i int) string {
		p := filepath.Join(src, fmt.Sprintf("note-%d.txt", i))
		os.WriteFile(p, []byte(fmt.Sprintf("synthetic note %d\n", i)), 0o600)
		return c.ok("add", p)[:32]
	}
	keep := func(c *cli, name string) string {
		p := filepath.Join(t.TempDir(), name)
		c.ok("checkpoint", "--out", p)
		return p
	}
	var kept []string
	var ids []string
	for i := range 5 {
		ids = append(ids, add(i))
		kept = append(kept, keep(c, fmt.Sprintf("cp-%d.txt", i)))
	}
	for i, k := range kept {
		out := c.ok("checkpoint", "--since", k)
		if !strings.Contains(out, "\n\n— ") || !strings.Contains(out, "sori-consistency-proof/v1\nconsistency ") {
			t.Fatalf("--since %d printed %q", i, out)
		}
		// What --since prints is itself a checkpoint that --since takes.
		p := filepath.Join(t.TempDir(), "since.txt")
		os.WriteFile(p, []byte(out), 0o600)
		c.ok("checkpoint", "--since", p)
	}

	// An export for a holder of kept[1]: the bundle carries the proof and
	// verify-bundle checks it against the kept checkpoint.
	bdir := filepath.Join(t.TempDir(), "bundle")
	c.ok("export", "--out", bdir, "--since", kept[1], ids[0])
	outsider := &cli{t: t, env: map[string]string{}}
	code, _, errs := outsider.run("", "verify-bundle", "--checkpoint", kept[1], bdir)
	if code != 0 || !strings.Contains(errs, "consistent with the checkpoint kept") {
		t.Fatalf("verify-bundle --checkpoint: exit %d %s", code, errs)
	}
	// The standalone verifier accepts the optional tag file.
	if problems, err := independent.Check(bdir, ""); err != nil || len(problems) > 0 {
		t.Errorf("independent verifier on a bundle with a consistency proof: %v %v", problems, err)
	}
	if _, _, errs := outsider.run("", "verify-bundle", bdir); !strings.Contains(errs, "consistency proof from a checkpoint of") {
		t.Errorf("without --checkpoint, no note of the carried proof: %s", errs)
	}
	// Kept checkpoint newer than the bundle's: needs --proof.
	ids = append(ids, add(9))
	newer := keep(c, "newer.txt")
	if code, out, _ := outsider.run("", "verify-bundle", "--checkpoint", newer, bdir); code != 1 || !strings.Contains(out, "missing") {
		t.Errorf("newer kept checkpoint without proof: exit %d %s", code, out)
	}
	proof := filepath.Join(t.TempDir(), "proof.txt")
	cpOut := c.ok("checkpoint", "--since", filepath.Join(bdir, "data", "checkpoint.txt"))
	os.WriteFile(proof, []byte(cpOut), 0o600)
	// The proof is to the archive's newest checkpoint: keep that one.
	newest := filepath.Join(t.TempDir(), "newest.txt")
	os.WriteFile(newest, []byte(cpOut), 0o600)
	if code, out, errs := outsider.run("", "verify-bundle", "--checkpoint", newest, "--proof", proof, bdir); code != 0 {
		t.Errorf("newer kept checkpoint with proof: exit %d %s %s", code, out, errs)
	}
	// A tampered carried proof is a finding (it is a tag file: the tag
	// manifest catches it too, and so does the proof check).
	tampered := filepath.Join(t.TempDir(), "tampered")
	if err := exec.Command("cp", "-r", bdir, tampered).Run(); err != nil {
		t.Fatal(err)
	}
	pf := filepath.Join(tampered, "sori-consistency-proof.txt")
	b, _ := os.ReadFile(pf)
	lines := strings.Split(string(b), "\n")
	lines[2] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	os.WriteFile(pf, []byte(strings.Join(lines, "\n")), 0o600)
	if code, out, _ := outsider.run("", "verify-bundle", "--checkpoint", kept[1], tampered); code != 1 || !strings.Contains(out, "consistency\t") {
		t.Errorf("tampered proof: exit %d %s", code, out)
	}

	// Another archive's checkpoint.
	other := newCLI(t)
	other.ok("init", "--user", "lee")
	foreign := keep(other, "foreign.txt")
	entries := strings.Count(c.ok("log"), "\n")
	for _, args := range [][]string{
		{"checkpoint", "--since", foreign},
		{"export", "--out", filepath.Join(t.TempDir(), "b2"), "--since", foreign, ids[0]},
	} {
		code, out, errs := c.run("", args...)
		if code != 1 || out != "" || !strings.Contains(errs, "not a checkpoint of this archive") {
			t.Errorf("%v with another archive's checkpoint: exit %d %q %q", args, code, out, errs)
		}
	}
	if code, out, _ := outsider.run("", "verify-bundle", "--checkpoint", foreign, bdir); code != 1 || !strings.Contains(out, "consistency\tcheckpoint kept") {
		t.Errorf("verify-bundle with another archive's checkpoint: exit %d %s", code, out)
	}

	// A fork: a copy of the archive that grows apart from the original.
	fork := &cli{t: t, env: map[string]string{}}
	for k, v := range c.env {
		fork.env[k] = v
	}
	fork.env["SORI_ARCHIVE"] = filepath.Join(t.TempDir(), "fork")
	fork.env["SORI_STATE_DIR"] = t.TempDir()
	if err := exec.Command("cp", "-a", c.env["SORI_ARCHIVE"], fork.env["SORI_ARCHIVE"]).Run(); err != nil {
		t.Fatal(err)
	}
	ids = append(ids, add(10))
	origAtForked := keep(c, "orig-at-forked.txt")
	p := filepath.Join(src, "fork.txt")
	os.WriteFile(p, []byte("another synthetic note\n"), 0o600)
	fork.ok("add", p)
	forked := keep(fork, "forked.txt") // same size as the original's, another root
	ids = append(ids, add(11))
	larger := keep(c, "larger.txt")
	for i := 2; i < 4; i++ {
		p := filepath.Join(src, fmt.Sprintf("fork-%d.txt", i))
		os.WriteFile(p, []byte(fmt.Sprintf("another synthetic note %d\n", i)), 0o600)
		fork.ok("add", p)
	}
	forkLarger := keep(fork, "fork-larger.txt")
	for name, k := range map[string]string{"fork, same size": forked, "fork, larger": forkLarger} {
		code, out, errs := c.run("", "checkpoint", "--since", k)
		if code != 1 || out != "" || !strings.Contains(errs, "integrity check failed") {
			t.Errorf("%s: exit %d %q %q", name, code, out, errs)
		}
	}
	// The fork's own export, checked against the original's checkpoint.
	fdir := filepath.Join(t.TempDir(), "fork-bundle")
	fork.ok("export", "--out", fdir, ids[0])
	// Against the original's newer checkpoint, without a proof.
	if code, out, _ := outsider.run("", "verify-bundle", "--checkpoint", larger, fdir); code != 1 || !strings.Contains(out, "missing\t") {
		t.Errorf("fork bundle against the original's checkpoint: exit %d %s", code, out)
	}
	// Against the original's checkpoint of the bundle's size: a fork.
	sameSize := filepath.Join(t.TempDir(), "same-size.txt")
	for os.WriteFile(sameSize, []byte(c.ok("checkpoint")), 0o600); ; {
		b, _ := os.ReadFile(filepath.Join(fdir, "data", "checkpoint.txt"))
		if strings.Split(string(b), "\n")[1] == strings.Split(c.ok("checkpoint"), "\n")[1] {
			os.WriteFile(sameSize, []byte(c.ok("checkpoint")), 0o600)
			break
		}
		ids = append(ids, add(100+len(ids)))
	}
	if code, out, _ := outsider.run("", "verify-bundle", "--checkpoint", sameSize, fdir); code != 1 || !strings.Contains(out, "two different logs") {
		t.Errorf("fork bundle against the original's checkpoint of its size: exit %d %s", code, out)
	}
	// The fork proves its bundle consistent with its own checkpoint of the
	// size of origAtForked: against that one, the proof fails.
	forkProof := filepath.Join(t.TempDir(), "fork-proof.txt")
	os.WriteFile(forkProof, []byte(fork.ok("checkpoint", "--since", forked)), 0o600)
	outsider.ok("verify-bundle", "--checkpoint", forked, "--proof", forkProof, fdir)
	if code, out, _ := outsider.run("", "verify-bundle", "--checkpoint", origAtForked, "--proof", forkProof, fdir); code != 1 || !strings.Contains(out, "consistency\tcheckpoint kept") {
		t.Errorf("fork bundle against the original's checkpoint: exit %d %s", code, out)
	}
	if n := strings.Count(c.ok("log"), "\n"); n != entries+len(ids)-6 {
		t.Errorf("refused commands logged something: %d entries, want %d", n, entries+len(ids)-6)
	}
}
