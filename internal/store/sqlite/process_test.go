package sqlite

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"sori/internal/store/storetest"
)

// childPath names the database a child process inserts items into, and
// childItems the hex prefix of its items; set only in the children
// TestIndexQueueTwoProcesses starts.
const childPath, childItems = "SORI_SQLITE_CHILD_PATH", "SORI_SQLITE_CHILD_ITEMS"

const itemsPerChild = 40

var processKey = [32]byte{5}

// TestIndexQueueTwoProcesses has two operating-system processes insert
// items, one per transaction, while this one indexes what they queue:
// every item must be indexed exactly once, none skipped, none twice.
func TestIndexQueueTwoProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	db, err := Create(t.Context(), path, processKey)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	storetest.AddUser(t, db)
	const procs = 2
	var wg sync.WaitGroup
	for p := range procs {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), childPath+"="+path, fmt.Sprintf("%s=%02x", childItems, p+1))
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

// TestMain runs the test binary as one inserting process of
// TestIndexQueueTwoProcesses when that test starts it, else the tests.
func TestMain(m *testing.M) {
	if path := os.Getenv(childPath); path != "" {
		if err := insertAsChild(path, os.Getenv(childItems)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func insertAsChild(path, prefix string) error {
	ctx := context.Background()
	db, err := Open(ctx, path, processKey)
	if err != nil {
		return err
	}
	defer db.Close()
	return storetest.InsertItems(ctx, db, prefix, itemsPerChild)
}
