package postgres

import (
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

// TestCustodyTwoProcesses has two operating-system processes, each with
// four writers, append to one archive's custody log at once: the log must
// come out gap-free, with no entry lost or doubled.
func TestCustodyTwoProcesses(t *testing.T) {
	t.Parallel()
	u := scratch(t)
	db := create(t, u)
	const procs, writers, n = 2, 4, 5
	var wg sync.WaitGroup
	for p := range procs {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^TestChildAppender$", "-test.count=1")
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
	storetest.CheckLog(t, db, procs*writers*n)
}

// TestChildAppender is one process of TestCustodyTwoProcesses.
func TestChildAppender(t *testing.T) {
	u := os.Getenv(childURL)
	if u == "" {
		t.Skip("run by TestCustodyTwoProcesses only")
	}
	db, err := Open(t.Context(), u, testKey)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	name := os.Getenv("SORI_PGSTORE_CHILD_NAME")
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			if err := storetest.AppendEntries(t.Context(), db, fmt.Sprintf("%s-w%d", name, w), 5); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}
