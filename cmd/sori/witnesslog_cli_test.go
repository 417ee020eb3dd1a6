package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// toolPath finds a tool .ci/run installs (in PATH or GOPATH/bin), or skips
// the test — fails it under SORI_TEST_DISALLOW_SKIP.
func toolPath(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("SORI_TEST_DISALLOW_SKIP") != "" {
		t.Fatalf("%s is not installed and SORI_TEST_DISALLOW_SKIP forbids skipping this integration test", name)
	}
	t.Skipf("%s not installed; skipping", name)
	return ""
}

// startLitewitness runs torchwood's litewitness on loopback with a fresh
// SSH key in its own ssh-agent, knowing the log origin with key logKey,
// and returns its URL and verifier key.
func startLitewitness(t *testing.T, origin, logKey string) (url, vkey string) {
	t.Helper()
	lw, ctl := toolPath(t, "litewitness"), toolPath(t, "witnessctl")
	agent, keygen, add := toolPath(t, "ssh-agent"), toolPath(t, "ssh-keygen"), toolPath(t, "ssh-add")
	dir := t.TempDir()
	run := func(env []string, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	run(nil, keygen, "-q", "-t", "ed25519", "-N", "", "-C", "sori-test-witness", "-f", "key")
	fp := strings.Fields(run(nil, keygen, "-l", "-E", "sha256", "-f", "key.pub"))[1]
	sock := filepath.Join(dir, "agent.sock")
	ag := exec.Command(agent, "-D", "-a", sock)
	if err := ag.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ag.Process.Kill(); ag.Wait() })
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	run([]string{"SSH_AUTH_SOCK=" + sock}, add, "key")
	db := filepath.Join(dir, "witness.db")
	run(nil, ctl, "add-log", "-db", db, "-origin", origin)
	run(nil, ctl, "add-key", "-db", db, "-origin", origin, "-key", logKey)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	w := exec.CommandContext(ctx, lw, "-db", db, "-name", "witness.sori.test/w1", "-key", fp, "-ssh-agent", sock, "-listen", addr)
	stderr, _ := w.StderrPipe()
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); w.Wait() })
	keyRE := regexp.MustCompile(`vkey=(\S+)`)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := keyRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- strings.Trim(m[1], `"`):
				default:
				}
			}
		}
	}()
	select {
	case vkey = <-found:
	case <-time.After(20 * time.Second):
		t.Fatal("litewitness printed no verifier key")
	}
	for i := 0; i < 200; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr + "/", vkey
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatal("litewitness does not listen")
	return "", ""
}

// TestCosignLitewitnessCLI has a real witness (litewitness) cosign the
// checkpoints of a growing log, and refuse a forked copy of it.
func TestCosignLitewitnessCLI(t *testing.T) {
	c := newCLI(t)
	c.ok("init", "--user", "kim")
	origin := strings.SplitN(c.ok("checkpoint"), "\n", 2)[0]
	url, vkey := startLitewitness(t, origin, strings.TrimSpace(c.ok("checkpoint", "--key")))

	for _, args := range [][]string{
		{"witness-log", "add", "ftp://x/", vkey},
		{"witness-log", "add", url, "not-a-key"},
		{"witness-log", "add", url},
		{"witness-log", "frob"},
	} {
		if code, _, _ := c.run("", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code, _, errs := c.run("", "checkpoint", "--cosign"); code != 1 || !strings.Contains(errs, "no witness configured") {
		t.Errorf("--cosign without witnesses: exit %d %s", code, errs)
	}
	c.ok("witness-log", "add", url, vkey)
	if code, _, _ := c.run("", "witness-log", "add", url, vkey); code != 1 {
		t.Errorf("adding a witness twice: exit %d", code)
	}
	if ls := c.ok("witness-log", "ls"); !strings.HasPrefix(ls, vkey+"\t"+url+"\t") {
		t.Errorf("witness-log ls: %q", ls)
	}
	src := t.TempDir()
	add := func(c *cli, name string) {
		p := filepath.Join(src, name)
		os.WriteFile(p, []byte("synthetic "+name+"\n"), 0o600)
		c.ok("add", p)
	}
	name := strings.SplitN(vkey, "+", 2)[0]
	cosigned := func(out string) bool { return strings.Contains(out, "\n— "+name+" ") }
	for i := range 3 {
		code, out, errs := c.run("", "checkpoint", "--cosign")
		if code != 0 || !cosigned(out) || !strings.Contains(errs, "cosigned the checkpoint") {
			t.Fatalf("cosign %d: exit %d %q %s", i, code, out, errs)
		}
		// The cosigned checkpoint is still a checkpoint sori reads.
		p := filepath.Join(t.TempDir(), "cosigned.txt")
		os.WriteFile(p, []byte(out), 0o600)
		c.ok("checkpoint", "--since", p)
		add(c, fmt.Sprintf("note-%d.txt", i))
	}

	// A copy that grows apart: the witness has cosigned the original's
	// history and refuses the fork's.
	fork := &cli{t: t, env: map[string]string{}}
	for k, v := range c.env {
		fork.env[k] = v
	}
	fork.env["SORI_ARCHIVE"] = filepath.Join(t.TempDir(), "fork")
	fork.env["SORI_STATE_DIR"] = t.TempDir()
	if err := exec.Command("cp", "-a", c.env["SORI_ARCHIVE"], fork.env["SORI_ARCHIVE"]).Run(); err != nil {
		t.Fatal(err)
	}
	add(c, "original.txt")
	add(fork, "forked.txt")
	c.ok("checkpoint", "--cosign")
	code, out, errs := fork.run("", "checkpoint", "--cosign")
	if code != 1 || out != "" || !strings.Contains(errs, "another history of this log") {
		t.Errorf("fork cosign: exit %d %q %s", code, out, errs)
	}
	// A fork that is behind the witness: rolled back.
	back := &cli{t: t, env: map[string]string{}}
	for k, v := range fork.env {
		back.env[k] = v
	}
	back.env["SORI_ARCHIVE"] = filepath.Join(t.TempDir(), "back")
	back.env["SORI_STATE_DIR"] = t.TempDir()
	exec.Command("cp", "-a", fork.env["SORI_ARCHIVE"], back.env["SORI_ARCHIVE"]).Run()
	add(c, "more.txt")
	c.ok("checkpoint", "--cosign")
	if code, _, errs := back.run("", "checkpoint", "--cosign"); code != 1 || !strings.Contains(errs, "rolled back or forked") {
		t.Errorf("rolled-back copy: exit %d %s", code, errs)
	}
}
