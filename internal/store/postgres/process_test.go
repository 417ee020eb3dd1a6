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

// childItems, set in the children TestIndexQueueTwoProcesses starts, is
// the hex prefix of the items the child inserts (instead of appending).
const childItems = "SORI_PGSTORE_CHILD_ITEMS"

// itemsPerChild is how many items each such child inserts.
const itemsPerChild = 40

// TestIndexQueueTwoProcesses has two operating-system processes insert
// items, one per transaction, while this one indexes what they queue:
// every item must be indexed exactly once, none skipped (an intake that
// commits after a later one), none twice.
func TestIndexQueueTwoProcesses(t *testing.T) {
	t.Parallel()
	u := scratch(t)
	db := create(t, u)
	storetest.AddUser(t, db)
	const procs = 2
	var wg sync.WaitGroup
	for p := range procs {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), childURL+"="+u, fmt.Sprintf("%s=%02x", childItems, p+1))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("process %d: %v\n%s", p, err, out)
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	indexed, err := storetest.IndexUntil(t.Context(), db, done)
	if err != nil {
		t.Fatal(err)
	}
	if t.Failed() {
		return
	}
	storetest.CheckIndexedOnce(t, db, indexed, procs*itemsPerChild)
}

// TestMain runs the test binary as one writing process of
// TestCustodyTwoProcesses or TestIndexQueueTwoProcesses when that test
// starts it, else the tests.
func TestMain(m *testing.M) {
	if u := os.Getenv(lockChildURL); u != "" {
		if err := holdLockAsChild(u); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if u := os.Getenv(childURL); u != "" {
		err := error(nil)
		if prefix := os.Getenv(childItems); prefix != "" {
			err = insertAsChild(u, prefix)
		} else {
			err = appendAsChild(u, os.Getenv("SORI_PGSTORE_CHILD_NAME"))
		}
		if err != nil {
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

// insertAsChild opens the archive at u and inserts itemsPerChild items.
func insertAsChild(u, prefix string) error {
	ctx := context.Background()
	db, err := Open(ctx, u, testKey)
	if err != nil {
		return err
	}
	defer db.Close()
	return storetest.InsertItems(ctx, db, prefix, itemsPerChild)
}
