//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package verify_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"sori/internal/archive"
	"sori/internal/testenv"
)

// TestRotationKilledPostgres is TestRotationKilled on a PostgreSQL store,
// where a rotation re-seals every row under a new database key in the
// change's one transaction (docs/format.md "Key rotation"): the helper
// process is killed with SIGKILL after a random step it names (the
// change recorded, each batch of a table re-sealed, the keyrings written,
// the commit, sori.json, the removed user's key files) and a random pause
// of up to 5 ms; afterwards the archive opens for every remaining user
// with the key files on disk, verify accepts it, and the change happened
// entirely or not at all. Each trial starts from a fresh schema. The
// default is a few kills, to keep CI short; SORI_TEST_PG_ROTATE_KILLS=50
// runs the full count (docs/BENCHMARKS.md records such a run).
func TestRotationKilledPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: many processes")
	}
	want := 4
	if v := os.Getenv("SORI_TEST_PG_ROTATE_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("SORI_TEST_PG_ROTATE_KILLS=%q: not a count", v)
		}
		want = n
	}
	ctx := t.Context()
	base := func() string {
		return rotateBaseOn(t, archive.Options{WorkFactor: 10, DB: testenv.PostgresSchema(t)})
	}
	nsteps := make([]int, len(rotateChanges))
	for i := range rotateChanges {
		dir := base()
		steps, _ := rotateRun(t, dir, t.TempDir(), i, -1, 0)
		if len(steps) < 10 {
			t.Fatalf("change %d named only steps %v", i, steps)
		}
		nsteps[i] = len(steps)
		checkRotated(t, ctx, dir, t.TempDir(), i, true)
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	kills, finished, afterCommit := 0, 0, 0
	for trial := 0; kills < want && trial < 4*want; trial++ {
		i := trial % len(rotateChanges)
		dir := base()
		state := t.TempDir()
		pause := time.Duration(rng.IntN(5000)) * time.Microsecond
		steps, killed := rotateRun(t, dir, state, i, rng.IntN(nsteps[i]), pause)
		if killed {
			kills++
			if slices.Contains(steps, "committed") {
				afterCommit++
			}
		} else {
			finished++
		}
		// Named after the commit: the change must have happened.
		checkRotated(t, ctx, dir, state, i, slices.Contains(steps, "committed"))
		if t.Failed() {
			t.Fatalf("trial %d (change %d, seed %d) left a broken archive", trial, i, seed)
		}
		os.RemoveAll(filepath.Dir(dir))
	}
	if kills < want {
		t.Fatalf("only %d kills landed during a rotation (%d runs finished first)", kills, finished)
	}
	t.Logf("%d kills during a rotation (%d of them after its commit), %d runs finished before their kill", kills, afterCommit, finished)
}
