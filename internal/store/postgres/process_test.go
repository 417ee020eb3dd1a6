package postgres

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"

	"sori/internal/store/storetest"
)

// childURL names the archive a child process appends to; set only in the
// children TestCustodyTwoProcesses starts.
const childURL = "SORI_PGSTORE_CHILD_URL"

// Each child process appends childEntries entries from each of
// childWriters goroutines.
const childWriters, childEntries = 4, 5

// TestCustodyTwoProcesses has two operating-system processes, each with
// four writers, append to one archive's custody log at once: the log must
// come out gap-free, with no entry lost or doubled.
func TestCustodyTwoProcesses(t *testing.T) {
	t.Parallel()
	u := scratch(t)
	db := create(t, u)
	const procs = 2
	var wg sync.WaitGroup
	for p := range procs {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), childURL+"="+u, fmt.Sprintf("SORI_PGSTORE_CHILD_NAME=p%d", p))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("process %d: %v\n%s", p, err, out)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	storetest.CheckLog(t, db, procs*childWriters*childEntries)
}

// TestMain runs the test binary as one appending process of
// TestCustodyTwoProcesses when that test starts it, else the tests.
func TestMain(m *testing.M) {
	if u := os.Getenv(lockChildURL); u != "" {
		if err := holdLockAsChild(u); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if u := os.Getenv(childURL); u != "" {
		if err := appendAsChild(u, os.Getenv("SORI_PGSTORE_CHILD_NAME")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// appendAsChild opens the archive at u and appends from childWriters
// goroutines.
func appendAsChild(u, name string) error {
	ctx := context.Background()
	db, err := Open(ctx, u, testKey)
	if err != nil {
		return err
	}
	defer db.Close()
	var wg sync.WaitGroup
	errs := make(chan error, childWriters)
	for w := range childWriters {
		wg.Go(func() { errs <- storetest.AppendEntries(ctx, db, fmt.Sprintf("%s-w%d", name, w), childEntries) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
