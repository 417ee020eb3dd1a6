package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sori/internal/tsa/tsatest"
	"sori/verify/independent"
)

// TestLogKeyHandoverCLI: a removal hands the log over to a new key
// ('checkpoint --key' prints it); 'verify' stays clean, a witness file and
// a checkpoint kept from before still check ('verify --witness-file',
// 'checkpoint --since'), and a bundle exported after verifies with the
// first published key, with the current one, and with the standalone
// verifier.
func TestLogKeyHandoverCLI(t *testing.T) {
	c := newCLI(t)
	c.env["SORI_NEW_PASSPHRASE"] = "choi's own passphrase"
	c.ok("init", "--user", "kim")
	src := t.TempDir()
	add := func(name string) string {
		p := filepath.Join(src, name)
		os.WriteFile(p, []byte("synthetic "+name+"\n"), 0o600)
		return c.ok("add", p)[:32]
	}
	before := add("before.txt")
	first := strings.TrimSpace(c.ok("checkpoint", "--key"))
	firstFile := filepath.Join(t.TempDir(), "first-log-key.txt")
	os.WriteFile(firstFile, []byte(first+"\n"), 0o600)
	witness := filepath.Join(t.TempDir(), "witness.txt")
	c.ok("checkpoint", "--witness-file", witness)
	kept := filepath.Join(t.TempDir(), "kept.txt")
	c.ok("checkpoint", "--out", kept)
	ts := tsatest.Start(t, false)
	c.ok("checkpoint", "--tsa", ts.URL)

	c.ok("user", "add", "choi", "--role", "reader")
	c.ok("user", "rm", "choi")
	now := strings.TrimSpace(c.ok("checkpoint", "--key"))
	if now == first || !strings.HasPrefix(now, strings.SplitN(first, "+", 2)[0]+"+") {
		t.Fatalf("after the removal the log key is %q (was %q): not a new key of the same origin", now, first)
	}
	after := add("after.txt")
	c.ok("verify")
	c.ok("verify", "--witness-file", witness)
	if out := c.ok("checkpoint", "--since", kept); !strings.Contains(out, "sori-consistency-proof/v1\n") {
		t.Errorf("checkpoint --since a checkpoint from before the handover: %q", out)
	}

	bdir := filepath.Join(t.TempDir(), "bundle")
	c.ok("export", "--out", bdir, before, after)
	for _, f := range []string{"data/log-key-chain.txt", "sori-timestamp.tsr"} {
		if _, err := os.Stat(filepath.Join(bdir, f)); err != nil {
			t.Fatalf("the bundle lacks %s: %v", f, err)
		}
	}
	outsider := &cli{t: t, env: map[string]string{}}
	// The time stamp of a checkpoint under the first key, the bundle's
	// checkpoint under the second.
	for _, args := range [][]string{{"--log-key-file", firstFile, "--tsa-cert", ts.CAFile}, {"--log-key", now}, nil} {
		code, out, errs := outsider.run("", append(append([]string{"verify-bundle"}, args...), bdir)...)
		if code != 0 || (len(args) > 2 && !strings.Contains(errs, "TSA signature verified")) {
			t.Errorf("verify-bundle %v: exit %d\n%s%s", args, code, out, errs)
		}
	}
	for _, key := range []string{first, now} {
		if problems, err := independent.Check(bdir, key); err != nil || len(problems) > 0 {
			t.Errorf("the standalone verifier with %q: %v %v", key, problems, err)
		}
	}
}
