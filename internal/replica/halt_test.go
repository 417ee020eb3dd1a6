package replica

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sori/internal/archive"
	"sori/verify"
)

var errHalted = errors.New("halted by the test")

// TestHaltedAtEveryStep stops a run after each step that changes the copy
// in turn — every pack, key file, the swap of meta.db, the cursor — as a
// kill there would, both for a first replication and for one that brings
// in intake, a new user, a changed passphrase, the protection role given
// (a new .vault file) and a removed user (a new content key generation,
// keyrings rewritten, key files deleted). After
// each stop the copy must be a whole archive that verifies clean on its
// own, holding only the source's items (or, in a first run, not yet an
// archive); the next run must finish it to equal the source. The random
// SIGKILLs of cmd/sori's TestReplicateKilled rarely land in the narrow
// windows; this lands in every one.
func TestHaltedAtEveryStep(t *testing.T) {
	ctx := context.Background()
	a, dir := newSource(t)
	add(t, a, "one", 5)
	add(t, a, "two", 5)
	for _, u := range []string{"lee", "park"} {
		if _, err := a.AddUser(ctx, u, archive.RoleReader, testPass); err != nil {
			t.Fatal(err)
		}
	}
	first := items(t, a)
	base := filepath.Join(t.TempDir(), "base")

	t.Run("first", func(t *testing.T) {
		haltEverywhere(t, a, "", first)
	})
	if _, err := Run(ctx, a, base, Options{}); err != nil {
		t.Fatal(err)
	}

	// The source moves on.
	add(t, a, "three", 4)
	if _, err := a.AddUser(ctx, "choi", archive.RoleAnalyst, testPass); err != nil {
		t.Fatal(err)
	}
	park, err := archive.Open(ctx, dir, "park", testPass, opts(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := park.ChangePassphrase(ctx, testPass, testPass); err != nil {
		t.Fatal(err)
	}
	park.Close()
	if _, _, err := a.ChangeRole(ctx, "park", archive.RoleProtection, ""); err != nil {
		t.Fatal(err)
	}
	if err := a.RemoveUser(ctx, "lee"); err != nil {
		t.Fatal(err)
	}
	a.Close()
	if a, err = archive.Open(ctx, dir, "", testPass, opts(t)); err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	add(t, a, "four", 3)
	t.Run("incremental", func(t *testing.T) {
		haltEverywhere(t, a, base, items(t, a))
	})
}

// haltEverywhere counts the steps of a whole run from a copy of base (""
// for none), then for each k stops a run from a fresh copy of base after
// step k, checks the copy, resumes and compares it with want.
func haltEverywhere(t *testing.T, a *archive.Archive, base string, want []string) {
	ctx := context.Background()
	fresh := func() string {
		to := filepath.Join(t.TempDir(), "copy")
		if base != "" {
			if err := os.CopyFS(to, os.DirFS(base)); err != nil {
				t.Fatal(err)
			}
		}
		return to
	}
	var steps []string
	if _, err := Run(ctx, a, fresh(), Options{halt: func(s string) error { steps = append(steps, s); return nil }}); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d steps: %v", len(steps), steps)
	for _, must := range []string{"snapshot", "pack", "meta.db replaced"} {
		if !slices.Contains(steps, must) {
			t.Errorf("no step %q in a run", must)
		}
	}
	vaultWindow := 0
	defer func() { t.Logf("findings in the .vault window: %d", vaultWindow) }()
	for k := range steps {
		to := fresh()
		n := 0
		_, err := Run(ctx, a, to, Options{halt: func(string) error {
			if n++; n > k {
				return errHalted
			}
			return nil
		}})
		if !errors.Is(err, errHalted) {
			t.Fatalf("halt after step %d (%s): %v", k, steps[k], err)
		}
		what := fmt.Sprintf("stopped after step %d (%s)", k, steps[k])
		if archive.IsArchive(to) {
			c, err := archive.Open(ctx, to, "", testPass, opts(t))
			if err != nil {
				t.Fatalf("%s: the copy does not open: %v", what, err)
			}
			rep, err := verify.Archive(ctx, c, verify.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range rep.Findings {
				if strings.HasSuffix(f.Object, ".vault") && f.Kind == verify.KindUser {
					// The one window not closed (docs/format.md,
					// "Replicas"): the .vault file of a user given
					// protection, beside a database that has not given
					// it yet. The next run closes it (checked below).
					vaultWindow++
					continue
				}
				t.Errorf("%s: %s", what, f)
			}
			for _, it := range items(t, c) {
				if !slices.Contains(want, it) {
					t.Errorf("%s: the copy holds %s, the source does not", what, it)
				}
			}
			c.Close()
		} else if base != "" {
			t.Errorf("%s: the copy is no longer an archive", what)
		}
		if _, err := Run(ctx, a, to, Options{}); err != nil {
			t.Fatalf("%s: resuming: %v", what, err)
		}
		checkReplica(t, to, "", want)
	}
}
