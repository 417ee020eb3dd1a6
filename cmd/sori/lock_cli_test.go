//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestArchiveBusy drives the built binary against an archive whose lock
// (docs/format.md "Locks") this test process holds, as another sori would:
// exclusive, every command waits SORI_TEST_LOCK_WAIT and fails with
// "archive busy" and exit 1; shared, ordinary commands run and only the
// archive-wide ones (user rm, user role --rm) are busy; let go, they
// succeed.
func TestArchiveBusy(t *testing.T) {
	ta := newTestArchive(t)
	const wait = 300 * time.Millisecond
	run := func(args ...string) (string, int, time.Duration) {
		t.Helper()
		var errb strings.Builder
		cmd := ta.command(t.Context(), args...)
		cmd.Env = append(cmd.Env, "SORI_TEST_LOCK_WAIT="+wait.String(), "SORI_NEW_PASSPHRASE=choi's passphrase")
		cmd.Stderr = &errb
		start := time.Now()
		err := cmd.Run()
		took := time.Since(start)
		code := 0
		if err != nil {
			if code = cmd.ProcessState.ExitCode(); code < 0 {
				t.Fatalf("sori %s: %v", strings.Join(args, " "), err)
			}
		}
		return errb.String(), code, took
	}
	wantBusy := func(args ...string) {
		t.Helper()
		stderr, code, took := run(args...)
		if code != exitFail || !strings.Contains(stderr, "archive busy: another sori process is changing the archive's keys") {
			t.Errorf("sori %s: exit %d, want 1 and archive busy\n%s", strings.Join(args, " "), code, stderr)
		}
		if strings.Contains(stderr, "altered or damaged") {
			t.Errorf("sori %s: a busy archive reported as damaged:\n%s", strings.Join(args, " "), stderr)
		}
		if took < wait {
			t.Errorf("sori %s: gave up after %v, before the wait of %v", strings.Join(args, " "), took, wait)
		}
	}
	wantOK := func(args ...string) {
		t.Helper()
		if stderr, code, _ := run(args...); code != exitOK {
			t.Errorf("sori %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
		}
	}

	wantOK("user", "add", "reader-choi", "--role", "reader,analyst")

	f, err := os.Open(filepath.Join(ta.dir, "lock"))
	if err != nil {
		t.Fatalf("the archive has no lock file: %v", err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	wantBusy("ls")
	wantBusy("user", "rm", "reader-choi")

	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	wantOK("ls")
	wantOK("user", "role", "reader-choi", "--add", "investigator")
	wantBusy("user", "rm", "reader-choi")
	wantBusy("user", "role", "reader-choi", "--rm", "analyst")

	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_UN); err != nil {
		t.Fatal(err)
	}
	wantOK("user", "role", "reader-choi", "--rm", "analyst")
	wantOK("user", "rm", "reader-choi")
	wantOK("verify")
}
