package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestRotationBesideIntakeAndSearch: key rotations (users removed, a role
// taken away) run in their own processes while other processes add items
// and search, as a team's machines would. The archive lock orders them:
// every add that reported success is in the archive afterwards, readable
// under the newest keys, every search succeeded, verify is clean, and the
// removed users open nothing.
func TestRotationBesideIntakeAndSearch(t *testing.T) {
	ta := newTestArchive(t)
	// Every user has the test passphrase, so SORI_PASSPHRASE opens each.
	pf := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(pf, []byte(ta.pass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addUser := func(name, roles string) {
		ta.mustRun(t, nil, "user", "add", name, "--role", roles, "--new-passphrase-file", pf)
	}
	addUser("inv-a", "investigator")
	addUser("reader-b", "reader")
	gone := []string{"gone-1", "gone-2", "gone-3"}
	for _, u := range gone {
		addUser(u, "investigator")
	}
	addUser("demoted", "investigator,reader")
	src := t.TempDir()

	const adds = 12
	var mu sync.Mutex
	var added []string // standard output lines of the adds that succeeded
	var fails []string
	fail := func(format string, a ...any) {
		mu.Lock()
		fails = append(fails, fmt.Sprintf(format, a...))
		mu.Unlock()
	}
	var wg sync.WaitGroup
	wg.Go(func() { // intake, one process per file
		for i := range adds {
			p := filepath.Join(src, fmt.Sprintf("statement-%02d.txt", i))
			if err := os.WriteFile(p, []byte(fmt.Sprintf("rotation statement %d 두만강\n", i)), 0o600); err != nil {
				fail("%v", err)
				return
			}
			out, stderr, code := ta.run(t, nil, "add", "--user", "inv-a", p)
			if code != exitOK {
				fail("add %d: exit %d: %s", i, code, stderr)
				continue
			}
			mu.Lock()
			added = append(added, strings.TrimSpace(out))
			mu.Unlock()
		}
	})
	wg.Go(func() { // search
		for i := range adds {
			if _, stderr, code := ta.run(t, nil, "search", "--user", "reader-b", "두만강"); code != exitOK {
				fail("search %d: exit %d: %s", i, code, stderr)
			}
		}
	})
	wg.Go(func() { // rotations
		for _, u := range gone {
			if _, stderr, code := ta.run(t, nil, "user", "rm", u); code != exitOK {
				fail("user rm %s: exit %d: %s", u, code, stderr)
			}
		}
		if _, stderr, code := ta.run(t, nil, "user", "role", "demoted", "--rm", "investigator"); code != exitOK {
			fail("user role --rm: exit %d: %s", code, stderr)
		}
	})
	wg.Wait()
	for _, f := range fails {
		t.Error(f)
	}
	if len(added) != adds {
		t.Fatalf("%d of %d adds succeeded", len(added), adds)
	}

	listing := ta.mustRun(t, nil, "ls")
	for _, line := range added {
		id, _, _ := strings.Cut(line, "\t")
		if !strings.Contains(listing, id) {
			t.Errorf("item %s, acknowledged, is not listed", id)
		}
		if out := ta.mustRun(t, nil, "cat", id); !strings.HasPrefix(out, "rotation statement") {
			t.Errorf("item %s reads back %q", id, out)
		}
	}
	if out := ta.mustRun(t, nil, "search", "--user", "reader-b", "--limit", "100", "두만강"); strings.Count(out, "\n") != adds {
		t.Errorf("search after the rotations finds %d of %d items:\n%s", strings.Count(out, "\n"), adds, out)
	}
	ta.mustRun(t, nil, "verify") // exit 0: no finding
	for _, u := range gone {
		if _, _, code := ta.run(t, nil, "ls", "--user", u); code == exitOK {
			t.Errorf("removed user %s still opens the archive", u)
		}
	}
}
