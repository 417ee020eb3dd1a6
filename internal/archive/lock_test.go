//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package archive

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"sori/internal/evidence"
)

// TestMain lets the test binary, re-run with SORI_TEST_LOCK_HELPER set, be
// the other process of the lock tests (lockHelper).
func TestMain(m *testing.M) {
	if mode := os.Getenv("SORI_TEST_LOCK_HELPER"); mode != "" {
		os.Exit(lockHelper(mode, os.Getenv("SORI_TEST_LOCK_DIR"), os.Getenv("SORI_TEST_LOCK_WAIT")))
	}
	os.Exit(m.Run())
}

// lockHelper takes the archive lock of dir as another process would:
// "shared" as an Open does, "exclusive" as an archive-wide change does. It
// prints "held" and keeps the lock until its standard input ends, or prints
// "busy" if it could not get the lock within wait.
func lockHelper(mode, dir, wait string) int {
	d, err := time.ParseDuration(wait)
	if err != nil {
		fmt.Println("error:", err)
		return 2
	}
	ctx := context.Background()
	l, err := lockShared(ctx, dir, d)
	if err == nil {
		l.openDone()
		hold := func() error {
			fmt.Println("held")
			io.Copy(io.Discard, os.Stdin)
			return nil
		}
		if mode == "exclusive" {
			err = l.exclusive(ctx, hold)
		} else {
			err = hold()
		}
	}
	switch {
	case errors.Is(err, ErrBusy):
		fmt.Println("busy")
		return 1
	case err != nil:
		fmt.Println("error:", err)
		return 2
	}
	return 0
}

// helper is a lockHelper process.
type helper struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
}

// startHelper runs lockHelper in a new process and returns once it reports
// (its first line: "held", "busy" or an error).
func startHelper(t *testing.T, mode, dir string, wait time.Duration) (*helper, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SORI_TEST_LOCK_HELPER="+mode, "SORI_TEST_LOCK_DIR="+dir, "SORI_TEST_LOCK_WAIT="+wait.String())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &helper{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
	t.Cleanup(func() { h.stop() })
	if !h.out.Scan() {
		t.Fatalf("lock helper %s: no output", mode)
	}
	return h, h.out.Text()
}

// stop ends the helper (and so its lock).
func (h *helper) stop() {
	if h.stdin != nil {
		h.stdin.Close()
		h.stdin = nil
		h.cmd.Wait()
	}
}

// lockArchive is a closed archive with a second user, reader-choi.
func lockArchive(t *testing.T) string {
	t.Helper()
	a := newArchive(t)
	if _, err := a.AddUser(context.Background(), "reader-choi", RoleReader+","+RoleAnalyst, testPass); err != nil {
		t.Fatal(err)
	}
	dir := a.dir
	a.Close()
	return dir
}

func wantBusy(t *testing.T, what string, err error, started time.Time, wait time.Duration) {
	t.Helper()
	if !errors.Is(err, ErrBusy) || !errors.Is(err, evidence.ErrBusy) {
		t.Fatalf("%s: %v, want archive busy", what, err)
	}
	if !strings.Contains(err.Error(), "archive busy: another sori process is changing the archive's keys") {
		t.Errorf("%s: unclear error %q", what, err)
	}
	if took := time.Since(started); took < wait {
		t.Errorf("%s: gave up after %v, before the wait of %v", what, took, wait)
	}
}

// TestLockExclusiveInOtherProcess: while another process holds the lock
// exclusive (an archive-wide change), Open waits the bounded time and fails
// with ErrBusy; once it is let go, Open succeeds.
func TestLockExclusiveInOtherProcess(t *testing.T) {
	dir := lockArchive(t)
	h, got := startHelper(t, "exclusive", dir, 10*time.Second)
	if got != "held" {
		t.Fatalf("helper: %s", got)
	}
	const wait = 300 * time.Millisecond
	start := time.Now()
	a, err := Open(context.Background(), dir, "", testPass, Options{LockWait: wait})
	if err == nil {
		a.Close()
	}
	wantBusy(t, "Open", err, start, wait)
	h.stop()
	a, err = Open(context.Background(), dir, "", testPass, Options{LockWait: 10 * time.Second})
	if err != nil {
		t.Fatalf("Open after the change: %v", err)
	}
	a.Close()
}

// TestLockSharedHolders: sessions in two processes (and two in one) do not
// block each other, nor does a role given; a removal and a role taken away
// wait for the other process's session, fail with ErrBusy changing
// nothing, and succeed once it has closed — while another session of the
// same process stays open. Afterwards the session holds its lock shared
// again: an exclusive lock in another process is refused.
func TestLockSharedHolders(t *testing.T) {
	ctx := context.Background()
	dir := lockArchive(t)
	h, got := startHelper(t, "shared", dir, 10*time.Second)
	if got != "held" {
		t.Fatalf("helper: %s", got)
	}
	const wait = 300 * time.Millisecond
	a, err := Open(ctx, dir, "", testPass, Options{LockWait: wait, WorkFactor: 10})
	if err != nil {
		t.Fatalf("Open beside another process's session: %v", err)
	}
	defer a.Close()
	b, err := Open(ctx, dir, "reader-choi", testPass, Options{LockWait: wait})
	if err != nil {
		t.Fatalf("second session of the process: %v", err)
	}
	defer b.Close()
	if _, changed, err := a.ChangeRole(ctx, "reader-choi", RoleInvestigator, ""); err != nil || !changed {
		t.Fatalf("giving a role beside other sessions: %v", err)
	}

	roles := func() string {
		users, err := a.Users(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			if u.Name == "reader-choi" {
				return strings.Join(u.Roles, ",")
			}
		}
		return ""
	}
	had := roles()
	before := snapshot(t, dir)
	start := time.Now()
	wantBusy(t, "RemoveUser", a.RemoveUser(ctx, "reader-choi"), start, wait)
	start = time.Now()
	_, _, err = a.ChangeRole(ctx, "reader-choi", "", RoleAnalyst)
	wantBusy(t, "ChangeRole remove", err, start, wait)
	sameSnapshot(t, before, snapshot(t, dir))
	if now := roles(); now != had {
		t.Errorf("reader-choi's roles changed from %s to %s by refused changes", had, now)
	}

	h.stop()
	if _, _, err := a.ChangeRole(ctx, "reader-choi", "", RoleAnalyst); err != nil {
		t.Fatalf("ChangeRole remove with the other process gone: %v", err)
	}
	// A removal replaces meta.db (rotate.go): another session of this
	// process, which would go on with the replaced file, must close first.
	before = snapshot(t, dir)
	if err := a.RemoveUser(ctx, "reader-choi"); !errors.Is(err, ErrBusy) {
		t.Fatalf("RemoveUser beside another session of the process: %v", err)
	}
	sameSnapshot(t, before, snapshot(t, dir))
	b.Close()
	if err := a.RemoveUser(ctx, "reader-choi"); err != nil {
		t.Fatalf("RemoveUser with the other process and session gone: %v", err)
	}
	if _, got := startHelper(t, "exclusive", dir, wait); got != "busy" {
		t.Errorf("another process took the lock exclusive while this one has the archive open: %s", got)
	}
	if _, got := startHelper(t, "shared", dir, wait); got != "held" {
		t.Errorf("another process could not open beside this one after the change: %s", got)
	}
}

// TestLockGate: a change waiting for a session to close holds the gate, so
// a new session waits behind it (and gives up at its own bound) instead of
// keeping the change waiting for ever.
func TestLockGate(t *testing.T) {
	ctx := context.Background()
	dir := lockArchive(t)
	h, got := startHelper(t, "shared", dir, 10*time.Second)
	if got != "held" {
		t.Fatalf("helper: %s", got)
	}
	a, err := Open(ctx, dir, "", testPass, Options{LockWait: 20 * time.Second, WorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	done := make(chan error, 1)
	go func() { done <- a.RemoveUser(ctx, "reader-choi") }()
	// Wait until the removal holds the gate.
	gate, err := os.Open(filepath.Join(dir, gateFile))
	if err != nil {
		t.Fatal(err)
	}
	defer gate.Close()
	for deadline := time.Now().Add(10 * time.Second); ; {
		err := syscall.Flock(int(gate.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
		if errors.Is(err, syscall.EWOULDBLOCK) {
			break
		}
		if err == nil {
			syscall.Flock(int(gate.Fd()), syscall.LOCK_UN)
		}
		if time.Now().After(deadline) {
			t.Fatal("the removal never took the gate")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, got := startHelper(t, "shared", dir, 300*time.Millisecond); got != "busy" {
		t.Errorf("a new session went past a waiting change: %s", got)
	}
	select {
	case err := <-done:
		t.Fatalf("the removal finished while another process had the archive open: %v", err)
	default:
	}
	h.stop()
	if err := <-done; err != nil {
		t.Fatalf("the removal, once the session closed: %v", err)
	}
}
