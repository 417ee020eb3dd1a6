//go:build unix

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"sori/internal/archive"
	"sori/internal/replica"
	"sori/internal/store"
	"sori/verify"
)

// TestReplicateKilled kills `sori replicate` with SIGKILL at random moments
// while the source keeps growing, and after every kill checks that the copy
// is a whole archive — it is either not an archive yet (the first run never
// finished) or it opens with the source's passphrase and verifies clean,
// holding a subset of the source's items — then resumes replication to the
// end, and checks that `sori verify --archive COPY` is clean and the copy's
// items equal the source's. The kill moments are spread over the measured
// duration of a run with as much to do (a first replication, then the last
// resume), so they land in every phase: snapshot, packs, key files, the
// swap of meta.db, the cursor.
//
// SORI_TEST_REPL_TRIALS raises the number of kills (default 12);
// SORI_TEST_REPL_SEED replays the plan (the seed is logged).
func TestReplicateKilled(t *testing.T) {
	trials := 12
	if s := os.Getenv("SORI_TEST_REPL_TRIALS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("SORI_TEST_REPL_TRIALS=%q: %v", s, err)
		}
		trials = max(n, trials)
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SORI_TEST_REPL_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("SORI_TEST_REPL_SEED=%q: %v", s, err)
		}
		seed = n
	}
	t.Logf("seed %d (replay with SORI_TEST_REPL_SEED=%d), %d trials", seed, seed, trials)
	rng := rand.New(rand.NewPCG(seed, 0x7e91))

	ta := newTestArchive(t)
	batch := 0
	addBatch := func(files int) {
		batch++
		dir := filepath.Join(t.TempDir(), fmt.Sprintf("batch-%d", batch))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		for i := range files {
			b := make([]byte, 16<<10+rng.IntN(256<<10))
			for k := range b {
				b[k] = 'a' + byte(rng.IntN(26))
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d.txt", i)), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		ta.mustRun(t, nil, "add", dir)
	}
	// Many packs: each run of add writes its own.
	for range 8 {
		addBatch(4)
	}
	ta.mustRun(t, nil, "user", "add", "lee", "--role", "reader", "--new-passphrase-file", writePass(t))

	// How long a whole first replication takes, on a copy thrown away.
	start := time.Now()
	ta.mustRun(t, nil, "replicate", "--to", filepath.Join(t.TempDir(), "measure"))
	whole := time.Since(start)
	t.Logf("a whole first replication takes %v", whole)

	to := filepath.Join(t.TempDir(), "copy")
	var notArchive, older, advanced, finished int
	for trial := range trials {
		if trial > 0 {
			addBatch(1 + rng.IntN(4))
		}
		if trial == trials/2 {
			// A removal mid-way: a new content key generation, key files
			// rewritten and deleted.
			ta.mustRun(t, nil, "user", "rm", "lee")
		}
		before := readCursor(t, to)
		cmd := ta.command(context.Background(), "replicate", "--to", to)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		delay := time.Duration(rng.Int64N(int64(whole) + int64(whole)/5))
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		after := readCursor(t, to)
		srcItems := cliItems(t, ta.dir, ta.pass, ta.state)

		// The interrupted copy is a whole archive, or not an archive yet.
		switch {
		case !archive.IsArchive(to):
			notArchive++
			if after.Size != 0 {
				t.Errorf("trial %d: cursor at %d entries but no sori.json", trial, after.Size)
			}
		default:
			got := checkCopy(t, to, ta.pass)
			for _, it := range got {
				if !slices.Contains(srcItems, it) {
					t.Errorf("trial %d: the copy holds %s, which the source does not", trial, it)
				}
			}
			switch {
			case err == nil:
				finished++
			case after.Size != before.Size:
				// The cursor is the run's last write: a kill that lands
				// after it, before the process exits, finds the run done.
				if len(got) == 0 {
					t.Errorf("trial %d: killed, the cursor moved from %d to %d, yet the copy holds no item", trial, before.Size, after.Size)
				}
				finished++
			case len(got) > 0 && len(got) == len(srcItems):
				advanced++ // the new meta.db was in place, the cursor not yet
			default:
				older++
			}
		}
		t.Logf("trial %d: killed after %v (%v): cursor %d -> %d", trial, delay.Round(time.Millisecond), exitOf(err), before.Size, after.Size)

		// Resume to the end; then the copy verifies clean with the CLI and
		// holds exactly the source's items.
		began := time.Now()
		out := ta.mustRun(t, nil, "replicate", "--to", to)
		// The next run has about as much to do as this one had: its
		// kill moment is drawn over this one's duration.
		whole = time.Since(began)
		if !strings.HasPrefix(out, "replicated ") {
			t.Errorf("trial %d: replicate printed %q", trial, out)
		}
		if vout, verr, code := ta.run(t, nil, "verify", "--archive", to); code != exitOK {
			t.Fatalf("trial %d: verify of the resumed copy: exit %d\n%s%s", trial, code, vout, verr)
		}
		if got := cliItems(t, to, ta.pass, ta.state); strings.Join(got, "\n") != strings.Join(srcItems, "\n") {
			t.Fatalf("trial %d: resumed copy's items differ from the source's:\n%v\n%v", trial, got, srcItems)
		}
		if c := readCursor(t, to); c.Size == 0 {
			t.Fatalf("trial %d: resumed copy has no cursor", trial)
		}
	}
	t.Logf("kills: %d before the copy was an archive, %d left it at its previous state, %d with the new meta.db before the cursor, %d after the run finished",
		notArchive, older, advanced, finished)

	// Nothing new: up to date.
	var res struct {
		UpToDate bool  `json:"up_to_date"`
		Packs    int   `json:"packs"`
		Size     int64 `json:"size"`
	}
	if err := json.Unmarshal([]byte(ta.mustRun(t, nil, "replicate", "--to", to, "--json")), &res); err != nil || !res.UpToDate || res.Packs != 0 {
		t.Errorf("replicate with nothing new: %+v %v", res, err)
	}
}

func writePass(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(p, []byte(testPassphrase+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func exitOf(err error) string {
	if err == nil {
		return "had finished"
	}
	return err.Error()
}

// readCursor reads dir's replica.json (the zero cursor when absent).
func readCursor(t *testing.T, dir string) replica.Cursor {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, replica.CursorFile))
	if os.IsNotExist(err) {
		return replica.Cursor{}
	}
	if err != nil {
		t.Fatal(err)
	}
	c, err := replica.ParseCursor(b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// cliItems lists an archive's items ("ID SHA-256 size"), opened in-process.
func cliItems(t *testing.T, dir, pass, state string) []string {
	t.Helper()
	a, err := archive.Open(t.Context(), dir, "", pass, archive.Options{StateDir: state})
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	defer a.Close()
	var out []string
	if err := a.Inspect().Items(t.Context(), func(it store.Item) error {
		out = append(out, fmt.Sprintf("%s %x %d", it.ID, it.SHA256, it.Size))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// checkCopy opens an interrupted copy on its own (a pin directory of its
// own: it may be older than what the source's machine has seen), verifies
// it in full, and returns its items.
func checkCopy(t *testing.T, dir, pass string) []string {
	t.Helper()
	state := t.TempDir()
	a, err := archive.Open(t.Context(), dir, "", pass, archive.Options{StateDir: state})
	if err != nil {
		t.Fatalf("the interrupted copy does not open: %v", err)
	}
	rep, err := verify.Archive(t.Context(), a, verify.Options{})
	a.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		t.Errorf("the interrupted copy: %s", f)
	}
	return cliItems(t, dir, pass, state)
}

// TestReplicateCLI: the command's exit codes and messages for a missing
// --to (2), a directory that is not a replica (2), and a source whose log
// does not extend the replica's (1, "not replicating"), which changes
// nothing.
func TestReplicateCLI(t *testing.T) {
	ta := newTestArchive(t)
	src := filepath.Join(t.TempDir(), "in")
	os.MkdirAll(src, 0o700)
	os.WriteFile(filepath.Join(src, "a.txt"), []byte("synthetic statement one"), 0o600)
	ta.mustRun(t, nil, "add", src)
	// An older copy of the archive: same ID, shorter log.
	old := filepath.Join(t.TempDir(), "old")
	if err := os.CopyFS(old, os.DirFS(ta.dir)); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(src, "b.txt"), []byte("synthetic statement two"), 0o600)
	ta.mustRun(t, nil, "add", src)

	if _, stderr, code := ta.run(t, nil, "replicate"); code != exitUsage || !strings.Contains(stderr, "--to") {
		t.Errorf("no --to: exit %d, %s", code, stderr)
	}
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("x"), 0o600)
	if _, stderr, code := ta.run(t, nil, "replicate", "--to", other); code != exitUsage || !strings.Contains(stderr, "not a replica") {
		t.Errorf("a directory of other files: exit %d, %s", code, stderr)
	}
	to := filepath.Join(t.TempDir(), "copy")
	out := ta.mustRun(t, nil, "replicate", "--to", to)
	if !strings.Contains(out, "log 0 -> ") {
		t.Errorf("first run printed %q", out)
	}
	cursor, _ := os.ReadFile(filepath.Join(to, replica.CursorFile))
	// The older copy, replicated onto the newer replica, is refused.
	oldEnv := *ta
	oldEnv.dir, oldEnv.state = old, t.TempDir()
	if _, stderr, code := oldEnv.run(t, nil, "replicate", "--to", to); code != exitFail || !strings.Contains(stderr, "not replicating") {
		t.Errorf("a rolled-back source: exit %d, %s", code, stderr)
	}
	if now, _ := os.ReadFile(filepath.Join(to, replica.CursorFile)); string(now) != string(cursor) {
		t.Error("a refused run moved the cursor")
	}
	if _, stderr, code := ta.run(t, nil, "verify", "--archive", to); code != exitOK {
		t.Errorf("verify of the replica: exit %d, %s", code, stderr)
	}
}
