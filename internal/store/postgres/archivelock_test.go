package postgres

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

	"sori/internal/evidence"
)

// TestArchiveLock: two handles on one archive (two pools, as two processes
// have): while one holds the archive lock shared, the other's archive-wide
// change waits its bounded time and fails busy without running; once the
// first closes, the change runs, and holds the lock shared again after.
// A third handle opening meanwhile queues behind the change (the gate).
func TestArchiveLock(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	u := scratch(t)
	a := create(t, u)
	b, err := Open(ctx, u, testKey)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	soon := func() time.Time { return time.Now().Add(200 * time.Millisecond) }
	if err := a.LockShared(ctx, soon()); err != nil {
		t.Fatal(err)
	}
	if err := b.LockShared(ctx, soon()); err != nil {
		t.Fatalf("two holders of the shared lock: %v", err)
	}
	ran := false
	err = a.Exclusive(ctx, soon(), func() error { ran = true; return nil })
	if !errors.Is(err, evidence.ErrBusy) || ran {
		t.Fatalf("a change beside another open handle: ran %v, err %v", ran, err)
	}
	b.Close()
	c, err := Open(ctx, u, testKey)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = a.Exclusive(ctx, soon(), func() error {
		ran = true
		// Meanwhile another handle cannot open the archive.
		if err := c.LockShared(ctx, soon()); !errors.Is(err, evidence.ErrBusy) {
			t.Errorf("a handle opened during the change: %v", err)
		}
		return nil
	})
	if err != nil || !ran {
		t.Fatalf("the change after the other handle closed: ran %v, err %v", ran, err)
	}
	if err := c.LockShared(ctx, soon()); err != nil {
		t.Fatalf("opening after the change: %v", err)
	}
	ran = false
	if err := a.Exclusive(ctx, soon(), func() error { ran = true; return nil }); !errors.Is(err, evidence.ErrBusy) || ran {
		t.Fatalf("the change beside the handle opened after: ran %v, err %v", ran, err)
	}
}

// lockChildURL names the archive whose lock a child process of
// TestArchiveLockTwoProcesses holds shared.
const lockChildURL = "SORI_PGSTORE_LOCK_CHILD_URL"

// holdLockAsChild opens the archive at u, takes the archive lock shared,
// says "locked" on stdout, and holds it until its standard input closes.
func holdLockAsChild(u string) error {
	ctx := context.Background()
	db, err := Open(ctx, u, testKey)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.LockShared(ctx, time.Now().Add(10*time.Second)); err != nil {
		return err
	}
	fmt.Println("locked")
	io.Copy(io.Discard, os.Stdin)
	return nil
}

// TestArchiveLockTwoProcesses: another operating-system process holding
// the archive open keeps an archive-wide change out (busy, not run) until
// it closes the archive, and a process killed with SIGKILL holds nothing
// (its connection, and so its lock, ends with it).
func TestArchiveLockTwoProcesses(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	u := scratch(t)
	a := create(t, u)
	if err := a.LockShared(ctx, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	child := func() (*exec.Cmd, io.WriteCloser) {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), lockChildURL+"="+u)
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil || line != "locked\n" {
			t.Fatalf("the child did not take the lock: %q %v", line, err)
		}
		return cmd, in
	}
	busy := func(what string) {
		t.Helper()
		ran := false
		err := a.Exclusive(ctx, time.Now().Add(200*time.Millisecond), func() error { ran = true; return nil })
		if !errors.Is(err, evidence.ErrBusy) || ran {
			t.Fatalf("%s: ran %v, err %v", what, ran, err)
		}
	}
	free := func(what string) {
		t.Helper()
		ran := false
		// The other process's end reaches the server a moment later: the
		// bounded wait covers it.
		if err := a.Exclusive(ctx, time.Now().Add(10*time.Second), func() error { ran = true; return nil }); err != nil || !ran {
			t.Fatalf("%s: ran %v, err %v", what, ran, err)
		}
	}

	cmd, in := child()
	busy("another process has the archive open")
	in.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	free("after it closed the archive")

	cmd, in = child()
	defer in.Close()
	busy("another process has the archive open again")
	cmd.Process.Kill()
	cmd.Wait()
	free("after it was killed")
}
