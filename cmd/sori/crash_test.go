package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"sori/internal/archive"
)

// TestCrashSafety kills `sori add` of many files with SIGKILL at random
// moments, again and again on one archive, and checks after each kill that
// the archive opens and that every item the killed process had printed is
// intact: listed, and its stored bytes hash to the printed SHA-256, which is
// that of the original file.
//
// SORI_TEST_CRASH_TRIALS raises the number of kills (default and minimum
// 50); SORI_TEST_CRASH_SEED replays a run (the seed is logged).
func TestCrashSafety(t *testing.T) {
	trials := 50
	if s := os.Getenv("SORI_TEST_CRASH_TRIALS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("SORI_TEST_CRASH_TRIALS=%q: %v", s, err)
		}
		trials = max(n, 50)
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SORI_TEST_CRASH_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("SORI_TEST_CRASH_SEED=%q: %v", s, err)
		}
		seed = n
	}
	t.Logf("seed %d (replay with SORI_TEST_CRASH_SEED=%d), %d trials", seed, seed, trials)
	rng := rand.New(rand.NewPCG(seed, 0x5071))

	start := time.Now()
	ta := newTestArchive(t)
	c := &crashCorpus{root: t.TempDir(), rng: rng, files: map[string]corpusFile{}}
	v := &crashVerifier{ta: ta, corpus: c, printed: map[string]addRecord{}, idOf: map[string]string{}}

	var st crashStats
	var dirs []string
	for i := range trials {
		// Most trials add a new directory (with a few copies of earlier
		// files among new ones); some add an earlier directory again, whose
		// items are then partly duplicates and partly new.
		var dir string
		if i > 0 && rng.IntN(6) == 0 {
			dir = dirs[rng.IntN(len(dirs))]
		} else {
			dir = c.newDir(t, i)
			dirs = append(dirs, dir)
		}
		delay := time.Duration(rng.Int64N(int64(400 * time.Millisecond)))
		res := killAdd(t, ta, dir, delay)
		st.record(res)
		v.check(t, i, res)
		if t.Failed() {
			t.Fatalf("trial %d (%s, kill after %v) failed; seed %d", i, filepath.Base(dir), delay, seed)
		}
		if (i+1)%10 == 0 {
			v.checkAll(t)
		}
	}
	killed := time.Since(start)
	t.Logf("%d trials in %v: %d killed before any output, %d killed during output (%d of them after the last line), %d finished before the kill",
		trials, killed.Round(time.Millisecond), st.before, st.during, st.duringAll, st.after)
	t.Logf("lines printed by killed processes: %d; in all: %d (%d duplicates); time to first line %v..%v, full runs %v..%v",
		st.killedLines, st.lines, st.dups, st.firstMin, st.firstMax, st.fullMin, st.fullMax)
	if st.before == 0 || st.during == 0 {
		t.Errorf("the kills did not spread over the run: %d before output, %d during", st.before, st.during)
	}

	// Every item in the archive, printed or not, must be intact.
	listed := v.checkAll(t)
	tmps, _ := os.ReadDir(filepath.Join(ta.dir, "blobs", "tmp"))
	t.Logf("archive after the kills: %d items listed, %d printed, %d leftover files in blobs/tmp", listed, len(v.printed), len(tmps))

	// Adding everything again, uninterrupted, must succeed and leave exactly
	// one item per distinct content.
	args := append([]string{"add", "--json"}, dirs...)
	out := ta.mustRun(t, nil, args...)
	recs, partial := parseAddLines([]byte(out))
	if partial != "" {
		t.Fatalf("partial output line %q", partial)
	}
	v.checkRecords(t, recs)
	distinct := map[string]bool{}
	for _, d := range dirs {
		for p, f := range c.files {
			if filepath.Dir(p) == d {
				distinct[f.sum] = true
			}
		}
	}
	if listed = v.checkAll(t); listed != len(distinct) {
		t.Errorf("after adding the whole corpus again: %d items listed, want %d (one per distinct content)", listed, len(distinct))
	}
	t.Logf("final uninterrupted add of %d files: %d items, total test time %v", len(recs), listed, time.Since(start).Round(time.Millisecond))
}

// addRecord is one line of `sori add --json`.
type addRecord struct {
	ID        string `json:"id"`
	SHA256    string `json:"sha256"`
	Path      string `json:"path"`
	Size      int64  `json:"size"`
	Duplicate bool   `json:"duplicate"`
}

// parseAddLines parses complete JSON lines; an unterminated last line is
// returned as partial.
func parseAddLines(b []byte) (recs []addRecord, partial string) {
	for len(b) > 0 {
		line, rest, ok := bytes.Cut(b, []byte("\n"))
		if !ok {
			return recs, string(b)
		}
		var r addRecord
		if err := json.Unmarshal(line, &r); err != nil {
			return recs, string(line)
		}
		recs = append(recs, r)
		b = rest
	}
	return recs, ""
}

// corpusFile is what the test knows of a file it generated.
type corpusFile struct {
	sum  string // hex SHA-256
	size int64
}

// crashCorpus generates reproducible directories of files.
type crashCorpus struct {
	root  string
	rng   *rand.Rand
	files map[string]corpusFile
	paths []string // in creation order, for picking copies
}

// newDir writes the directory of trial i: 40 to 200 files, mostly small,
// some empty, about one in twenty a copy of an earlier file, and in one
// trial out of three a file of 1 to 8 MiB.
func (c *crashCorpus) newDir(t *testing.T, i int) string {
	t.Helper()
	dir := filepath.Join(c.root, fmt.Sprintf("t%03d", i))
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	n := 40 + c.rng.IntN(161)
	big := -1
	if c.rng.IntN(3) == 0 {
		big = c.rng.IntN(n)
	}
	for j := range n {
		p := filepath.Join(dir, fmt.Sprintf("f%03d.bin", j))
		var size int64
		switch r := c.rng.IntN(100); {
		case j == big:
			size = 1<<20 + c.rng.Int64N(7<<20+1)
		case r < 3:
			size = 0
		case r < 70:
			size = 1 + c.rng.Int64N(16<<10)
		case r < 96:
			size = 16<<10 + c.rng.Int64N(240<<10)
		default:
			size = 256<<10 + c.rng.Int64N(768<<10)
		}
		if len(c.paths) > 0 && j != big && c.rng.IntN(20) == 0 {
			c.copyFile(t, c.paths[c.rng.IntN(len(c.paths))], p)
			continue
		}
		c.writeFile(t, p, size)
	}
	return dir
}

func (c *crashCorpus) writeFile(t *testing.T, path string, size int64) {
	t.Helper()
	var seed [32]byte
	for k := range 4 {
		v := c.rng.Uint64()
		for b := range 8 {
			seed[k*8+b] = byte(v >> (8 * b))
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	w := bufio.NewWriterSize(io.MultiWriter(f, h), 256<<10)
	if _, err := io.CopyN(w, rand.NewChaCha8(seed), size); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	c.add(path, corpusFile{sum: hex.EncodeToString(h.Sum(nil)), size: size})
}

func (c *crashCorpus) copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
	c.add(to, c.files[from])
}

func (c *crashCorpus) add(path string, f corpusFile) {
	c.files[path] = f
	c.paths = append(c.paths, path)
}

// addResult is what one killed (or finished) `sori add` did.
type addResult struct {
	dir       string
	delay     time.Duration
	killed    bool // died of the SIGKILL; otherwise it exited by itself, with status 0
	files     int  // files in dir
	recs      []addRecord
	firstLine time.Duration // after start; 0 without output
	ran       time.Duration // start to exit
}

// killAdd starts `sori add --json dir`, collects its output lines as they
// arrive, and kills it with SIGKILL after delay unless it has finished.
func killAdd(t *testing.T, ta *testArchive, dir string, delay time.Duration) addResult {
	t.Helper()
	res := addResult{dir: dir, delay: delay}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	res.files = len(entries)

	cmd := ta.command(context.Background(), "add", "--json", dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu      sync.Mutex
		out     []byte
		first   time.Duration
		readErr error
	)
	eof := make(chan struct{})
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(eof)
		buf := make([]byte, 64<<10)
		for {
			n, err := stdout.Read(buf)
			mu.Lock()
			if n > 0 && first == 0 {
				first = time.Since(begin)
			}
			out = append(out, buf[:n]...)
			if err != nil && err != io.EOF {
				readErr = err
			}
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	timer := time.NewTimer(delay)
	select {
	case <-timer.C:
		// Killing a process that has just exited but not been waited for
		// is harmless; Wait tells which happened.
		_ = cmd.Process.Kill()
	case <-eof:
		// Standard output closed: the process is exiting by itself.
		timer.Stop()
	}
	<-eof
	werr := cmd.Wait()
	res.ran = time.Since(begin)

	mu.Lock()
	defer mu.Unlock()
	if readErr != nil {
		t.Fatalf("reading sori add output: %v", readErr)
	}
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	switch {
	case ws.Signaled() && ws.Signal() == syscall.SIGKILL:
		res.killed = true
	case werr != nil:
		t.Errorf("sori add %s, not killed: %v\n%s", dir, werr, stderr.Bytes())
	}
	var partial string
	res.recs, partial = parseAddLines(out)
	if partial != "" {
		// A line is written with one write(2) of less than PIPE_BUF
		// bytes, so a kill cannot tear it.
		t.Errorf("sori add %s printed an incomplete or invalid line %q", dir, partial)
	}
	res.firstLine = first
	if !res.killed && len(res.recs) != res.files {
		t.Errorf("sori add %s finished with %d lines for %d files\n%s", dir, len(res.recs), res.files, stderr.Bytes())
	}
	return res
}

// crashStats counts where the kills landed.
type crashStats struct {
	before, during, duringAll, after int
	lines, killedLines, dups         int
	firstMin, firstMax               time.Duration
	fullMin, fullMax                 time.Duration
}

func (s *crashStats) record(r addResult) {
	s.lines += len(r.recs)
	for _, rec := range r.recs {
		if rec.Duplicate {
			s.dups++
		}
	}
	switch {
	case !r.killed:
		s.after++
		s.fullMin, s.fullMax = minMax(s.fullMin, s.fullMax, r.ran)
	case len(r.recs) == 0:
		s.before++
	default:
		s.during++
		s.killedLines += len(r.recs)
		if len(r.recs) == r.files {
			s.duringAll++
		}
	}
	if r.firstLine > 0 {
		s.firstMin, s.firstMax = minMax(s.firstMin, s.firstMax, r.firstLine)
	}
}

func minMax(lo, hi, d time.Duration) (time.Duration, time.Duration) {
	if lo == 0 || d < lo {
		lo = d
	}
	return lo, max(hi, d)
}

// crashVerifier holds everything sori has printed so far and checks it
// against the archive and the corpus.
type crashVerifier struct {
	ta      *testArchive
	corpus  *crashCorpus
	printed map[string]addRecord // by ID, as first printed
	idOf    map[string]string    // SHA-256 → ID
}

// check verifies one trial: its lines describe the files they name, the
// archive opens and lists every ID printed so far, and the items this trial
// printed are intact (in-process, and one of them through `sori cat`).
func (v *crashVerifier) check(t *testing.T, trial int, r addResult) {
	t.Helper()
	v.checkRecords(t, r.recs)
	ids := v.ls(t)
	for id := range v.printed {
		if !ids[id] {
			t.Errorf("trial %d: printed item %s (%s) is not listed", trial, id, v.printed[id].Path)
		}
	}
	if len(r.recs) == 0 {
		return
	}
	a := v.open(t)
	defer a.Close()
	for _, rec := range r.recs {
		v.checkItem(t, a, rec.ID, rec.SHA256, rec.Size)
	}
	rec := r.recs[len(r.recs)/2]
	cmd := v.ta.command(t.Context(), "cat", rec.ID)
	h := sha256.New()
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = h, &stderr
	if err := cmd.Run(); err != nil {
		t.Errorf("sori cat %s: %v\n%s", rec.ID, err, stderr.Bytes())
	} else if got := hex.EncodeToString(h.Sum(nil)); got != rec.SHA256 {
		t.Errorf("sori cat %s: SHA-256 %s, printed %s", rec.ID, got, rec.SHA256)
	}
}

// checkRecords compares printed lines with the corpus and with what was
// printed before.
func (v *crashVerifier) checkRecords(t *testing.T, recs []addRecord) {
	t.Helper()
	seenBefore := make(map[string]bool, len(v.idOf))
	for sum := range v.idOf {
		seenBefore[sum] = true
	}
	for _, rec := range recs {
		f, ok := v.corpus.files[rec.Path]
		switch {
		case !ok:
			t.Errorf("printed a path the test did not create: %+v", rec)
			continue
		case rec.SHA256 != f.sum || rec.Size != f.size:
			t.Errorf("%s: printed sha256 %s size %d, the file has %s size %d", rec.Path, rec.SHA256, rec.Size, f.sum, f.size)
		}
		if id, ok := v.idOf[rec.SHA256]; ok && id != rec.ID {
			t.Errorf("%s: same content printed as item %s and as %s", rec.Path, id, rec.ID)
		}
		if seenBefore[rec.SHA256] && !rec.Duplicate {
			t.Errorf("%s: item %s was printed by an earlier run but now is not reported as a duplicate", rec.Path, rec.ID)
		}
		v.idOf[rec.SHA256] = rec.ID
		if _, ok := v.printed[rec.ID]; !ok {
			v.printed[rec.ID] = rec
		}
	}
}

// ls runs `sori ls --json`, which must succeed, and returns the listed IDs.
func (v *crashVerifier) ls(t *testing.T) map[string]bool {
	t.Helper()
	out := v.ta.mustRun(t, nil, "ls", "--json")
	ids := map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader([]byte(out)))
	for {
		var it struct {
			ID string `json:"id"`
		}
		if err := dec.Decode(&it); errors.Is(err, io.EOF) {
			return ids
		} else if err != nil {
			t.Fatalf("sori ls --json: %v\n%s", err, out)
		}
		ids[it.ID] = true
	}
}

func (v *crashVerifier) open(t *testing.T) *archive.Archive {
	t.Helper()
	a, err := archive.Open(t.Context(), v.ta.dir, "", v.ta.pass, archive.Options{})
	if err != nil {
		t.Fatalf("the archive does not open after a kill: %v", err)
	}
	return a
}

func (v *crashVerifier) checkItem(t *testing.T, a *archive.Archive, id, sum string, size int64) {
	t.Helper()
	got, n, err := itemDigest(t.Context(), a, id)
	switch {
	case err != nil:
		t.Errorf("item %s: %v", id, err)
	case got != sum || n != size:
		t.Errorf("item %s: stored bytes have SHA-256 %s size %d, want %s size %d", id, got, n, sum, size)
	}
}

// checkAll reads back every listed item, printed or not (an item committed
// just before a kill is in the archive without having been printed), checks
// that every item printed so far is listed with the printed SHA-256 and size,
// and returns how many items are listed.
func (v *crashVerifier) checkAll(t *testing.T) int {
	t.Helper()
	a := v.open(t)
	defer a.Close()
	listed := map[string]archive.Listed{}
	if err := a.List(t.Context(), func(l archive.Listed) error {
		listed[l.ID.String()] = l
		return nil
	}); err != nil {
		t.Fatalf("listing: %v", err)
	}
	for _, id := range slices.Sorted(maps.Keys(listed)) {
		l := listed[id]
		v.checkItem(t, a, id, l.SHA256.String(), l.Size)
	}
	for _, id := range slices.Sorted(maps.Keys(v.printed)) {
		rec := v.printed[id]
		l, ok := listed[id]
		switch {
		case !ok:
			t.Errorf("printed item %s (%s) is not listed", id, rec.Path)
		case l.SHA256.String() != rec.SHA256 || l.Size != rec.Size:
			t.Errorf("printed item %s (%s): listed with sha256 %s size %d, printed %s size %d", id, rec.Path, l.SHA256, l.Size, rec.SHA256, rec.Size)
		}
	}
	return len(listed)
}
