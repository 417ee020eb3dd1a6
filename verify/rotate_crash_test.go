//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package verify_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"sori/internal/archive"
	"sori/verify"
)

// TestMain lets the test binary, re-run with SORI_TEST_ROTATE_HELPER set,
// be the process the crash test kills (rotateHelper).
func TestMain(m *testing.M) {
	if os.Getenv("SORI_TEST_ROTATE_HELPER") != "" {
		os.Exit(rotateHelper())
	}
	os.Exit(m.Run())
}

// rotateChanges are the key-replacing changes the crash test interrupts,
// one per trial in turn: removals and roles taken away, of users who hold
// the item ID key, the vault key, or neither.
var rotateChanges = []struct{ user, rm string }{
	{"inv-kim", ""},                       // removal of an investigator
	{"po-han", ""},                        // removal of a protection officer
	{"inv-lee", archive.RoleInvestigator}, // loses the ID key
	{"po-yun", archive.RoleProtection},    // loses the vault key
	{"reader-choi", ""},                   // removal of a reader
}

// rotateHelper opens the archive as its first admin and makes one change
// (SORI_TEST_ROTATE_HELPER = its index in rotateChanges), with the
// rotation naming its steps on standard error; it prints "done" at the end.
func rotateHelper() int {
	ctx := context.Background()
	var i int
	fmt.Sscan(os.Getenv("SORI_TEST_ROTATE_HELPER"), &i)
	a, err := archive.Open(ctx, os.Getenv("SORI_TEST_ROTATE_DIR"), "", testPass, archive.Options{WorkFactor: 10, StateDir: os.Getenv("SORI_TEST_ROTATE_STATE")})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		return 2
	}
	c := rotateChanges[i%len(rotateChanges)]
	if c.rm == "" {
		err = a.RemoveUser(ctx, c.user)
	} else {
		_, _, err = a.ChangeRole(ctx, c.user, "", c.rm)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "change:", err)
		return 2
	}
	if err := a.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "close:", err)
		return 2
	}
	fmt.Fprintln(os.Stderr, "done")
	return 0
}

// rotateBase builds the archive every trial starts from: a first admin
// (admin, protection), the users of rotateChanges, a sealed witness and a
// few items; closed, its WAL folded in.
func rotateBase(t *testing.T) string {
	t.Helper()
	return rotateBaseOn(t, archive.Options{WorkFactor: 10})
}

// rotateBaseOn is rotateBase with the archive's backends in opt (DB: a
// PostgreSQL store); its items are indexed, so that the search index has
// rows to re-seal.
func rotateBaseOn(t *testing.T, opt archive.Options) string {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "a")
	a, err := archive.Init(ctx, dir, "admin", testPass, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct{ name, roles string }{
		{"inv-kim", archive.RoleInvestigator},
		{"po-han", archive.RoleProtection},
		{"inv-lee", archive.RoleInvestigator + "," + archive.RoleReader},
		{"po-yun", archive.RoleProtection + "," + archive.RoleReader},
		{"reader-choi", archive.RoleReader},
	} {
		if _, err := a.AddUser(ctx, u.name, u.roles, testPass); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.AddWitness(ctx, archive.Witness{Pseudonym: "W-17", Names: []string{"박철민"}}); err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	var paths []string
	for i := range 5 {
		p := filepath.Join(src, fmt.Sprintf("f%d.txt", i))
		if err := os.WriteFile(p, []byte(fmt.Sprintf("synthetic statement %d: the guard at the crossing asked for papers", i)), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	if err := a.Add(ctx, paths, archive.AddOptions{}, func(r archive.Added) error { return r.Err }); err != nil {
		t.Fatal(err)
	}
	if _, err := a.IndexPending(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// rotateRun runs the helper on dir for change i and kills it with SIGKILL
// once it has named step kill (counting from 0; -1: never) and a random
// pause after. It returns the steps named and whether the kill happened
// before the helper finished.
func rotateRun(t *testing.T, dir, state string, i, kill int, pause time.Duration) ([]string, bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("SORI_TEST_ROTATE_HELPER=%d", i), "SORI_TEST_ROTATE_DIR="+dir,
		"SORI_TEST_ROTATE_STATE="+state, "SORI_TEST_ROTATE_TRACE=1", "SORI_TEST_KDF_LOGN=10")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var steps []string
	var other []string
	sc := bufio.NewScanner(stderr)
	killed := false
	for sc.Scan() {
		line := sc.Text()
		step, ok := strings.CutPrefix(line, "rotate step: ")
		if !ok {
			if line != "done" {
				other = append(other, line)
			}
			continue
		}
		steps = append(steps, step)
		if len(steps)-1 == kill {
			time.Sleep(pause)
			cmd.Process.Signal(syscall.SIGKILL)
			killed = true
			break
		}
	}
	io.Copy(io.Discard, stderr)
	err = cmd.Wait()
	var ee *exec.ExitError
	if killed && errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return steps, true
		}
	}
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, strings.Join(other, "\n"))
	}
	return steps, false
}

// TestRotationKilled: a rotation killed by SIGKILL at random moments (a
// random step, then a random pause of up to 2 ms) leaves an archive that
// opens, with the key files on disk, for every remaining user, and that
// verify accepts; the change happened entirely or not at all.
func TestRotationKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: many processes")
	}
	ctx := context.Background()
	base := rotateBase(t)
	// A run to the end, per change: its steps, and that it works.
	nsteps := make([]int, len(rotateChanges))
	for i := range rotateChanges {
		dir := filepath.Join(t.TempDir(), "a")
		copyTree(t, base, dir)
		steps, _ := rotateRun(t, dir, t.TempDir(), i, -1, 0)
		if len(steps) < 8 {
			t.Fatalf("change %d named only steps %v", i, steps)
		}
		nsteps[i] = len(steps)
		checkRotated(t, ctx, dir, t.TempDir(), i, true)
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	kills, finished := 0, 0
	for trial := 0; kills < 50 && trial < 200; trial++ {
		i := trial % len(rotateChanges)
		dir := filepath.Join(t.TempDir(), "a")
		copyTree(t, base, dir)
		state := t.TempDir()
		pause := time.Duration(rng.IntN(2000)) * time.Microsecond
		_, killed := rotateRun(t, dir, state, i, rng.IntN(nsteps[i]), pause)
		if killed {
			kills++
		} else {
			finished++
		}
		checkRotated(t, ctx, dir, state, i, false)
		if t.Failed() {
			t.Fatalf("trial %d (change %d, seed %d) left a broken archive", trial, i, seed)
		}
	}
	if kills < 50 {
		t.Fatalf("only %d kills landed during a rotation (%d runs finished first)", kills, finished)
	}
	t.Logf("%d kills during a rotation, %d runs finished before their kill", kills, finished)
}

// checkRotated opens dir as every user still holding a role and verifies
// it as the first admin; the change of trial i happened entirely or not at
// all (done: it must have happened).
func checkRotated(t *testing.T, ctx context.Context, dir, state string, i int, done bool) {
	t.Helper()
	a, err := archive.Open(ctx, dir, "", testPass, archive.Options{WorkFactor: 10, StateDir: state})
	if err != nil {
		t.Errorf("open after the kill: %v", err)
		return
	}
	defer a.Close()
	if _, err := os.Stat(filepath.Join(dir, "rotate")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the rotation directory is still there after open: %v", err)
	}
	rep, err := verify.Archive(ctx, a, verify.Options{})
	if err != nil {
		t.Errorf("verify: %v", err)
		return
	}
	if !rep.OK() {
		t.Errorf("verify after the kill: %+v", rep.Findings)
	}
	users, err := a.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := rotateChanges[i]
	// The log key: handed over exactly when the user was removed, and
	// sori.json publishes the key in force.
	var cfg struct {
		LogKey string `json:"log_key"`
	}
	readJSON(t, filepath.Join(dir, "sori.json"), &cfg)
	if cfg.LogKey != a.LogKey() {
		t.Errorf("sori.json names log key %q, the archive's in force is %q", cfg.LogKey, a.LogKey())
	}
	var active []string
	for _, u := range users {
		if u.Name == c.user {
			changed := u.Removed || (c.rm != "" && !slices.Contains(u.Roles, c.rm))
			if done && !changed {
				t.Errorf("the change of %s did not happen: %+v", c.user, u)
			}
			if n := len(a.LogKeyChain().Handovers); (n == 1) != u.Removed || n > 1 {
				t.Errorf("%d log key handovers after the change of %s (removed: %v)", n, c.user, u.Removed)
			}
		}
		if !u.Removed && u.Name != "admin" {
			active = append(active, u.Name)
		}
	}
	for _, name := range active {
		b, err := archive.Open(ctx, dir, name, testPass, archive.Options{WorkFactor: 10, StateDir: state, LockWait: 5 * time.Second})
		if err != nil {
			t.Errorf("%s cannot open the archive: %v", name, err)
			continue
		}
		b.Close()
	}
}
