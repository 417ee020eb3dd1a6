//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
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
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sori/internal/archive"
	"sori/verify"
)

// TestCrashSafety kills `sori add` of many files with SIGKILL at random
// moments, again and again on one archive, and checks after each kill that
// the archive opens and lists every item printed so far, and that every item
// the killed process had printed is intact: its stored bytes hash to the
// printed SHA-256, which is that of the original file. At the end every item
// in the archive is read back, and adding the whole corpus again without a
// kill must succeed with one item per distinct content.
//
// Half the kills come after a random delay: up to 400 ms, or, once runs have
// finished, up to a little more than the longest run over files only seen
// so far (plus the trickle time when standard input is read, see below).
// The other half come a random 0 to 1 ms after the first output arrives. sori is fast
// and commits a pack only every 300 ms or when it runs out of files, so a
// run over a directory of small files prints its lines in one or two bursts
// at the end; a delay alone rarely lands between them, a kill triggered by
// the first burst often does. In a quarter of the trials sori also reads
// standard input, which the test trickles in over 50 to 350 ms, so that
// kills land while an item streams in from a pipe.
//
// SORI_TEST_CRASH_TRIALS raises the number of kills (default and minimum
// 50); SORI_TEST_CRASH_SEED replays the corpus and the kill plan (the seed
// is logged), though not the timing of the machine.
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
	v := &crashVerifier{ta: ta, corpus: c, printed: map[string]addRecord{}, idOf: map[string]string{}, inArchive: map[string]bool{}}

	var st crashStats
	var dirs []string
	var genTime, runTime, checkTime time.Duration
	for i := range trials {
		t0 := time.Now()
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
		var in *stdinFeed
		if rng.IntN(4) == 0 {
			in = c.newStdin(t, i)
		}
		plan := killPlan{onOutput: rng.IntN(2) == 0}
		if plan.onOutput {
			plan.delay = time.Duration(rng.Int64N(int64(time.Millisecond)))
		} else {
			limit := 400 * time.Millisecond
			if st.plainMax > 0 {
				limit = max(st.plainMax*5/4, 50*time.Millisecond)
			}
			if in != nil {
				limit += in.over
			}
			plan.delay = time.Duration(rng.Int64N(int64(limit)))
		}
		t1 := time.Now()
		res := killAdd(t, ta, dir, in, plan)
		st.record(res)
		t2 := time.Now()
		v.check(t, i, res)
		if t.Failed() {
			t.Fatalf("trial %d (%s, stdin %v, %s) failed; seed %d", i, filepath.Base(dir), in != nil, plan, seed)
		}
		genTime += t1.Sub(t0)
		runTime += t2.Sub(t1)
		checkTime += time.Since(t2)
	}
	t.Logf("%d trials in %v (generating files %v, running sori add %v, checking %v)", trials,
		time.Since(start).Round(time.Millisecond), genTime.Round(time.Millisecond), runTime.Round(time.Millisecond), checkTime.Round(time.Millisecond))
	t.Logf("kills: %d before any output, %d between output lines, %d after the last line but before exit, %d after sori add had finished; %d planned on output; %d trials read stdin",
		st.before, st.during, st.afterLast, st.after, st.onOutput, st.stdin)
	t.Logf("lines: %d printed by killed runs, %d in all (%d duplicates); first line after %v..%v; finished runs took %v..%v",
		st.killedLines, st.lines, st.dups, st.firstMin.Round(time.Millisecond), st.firstMax.Round(time.Millisecond),
		st.ranMin.Round(time.Millisecond), st.ranMax.Round(time.Millisecond))
	if st.before == 0 || st.during == 0 {
		t.Errorf("the kills did not spread over the runs: %d before any output, %d between lines", st.before, st.during)
	}

	// Every item in the archive, printed or not, must be intact.
	t3 := time.Now()
	listed := v.checkAll(t)
	tmps, _ := os.ReadDir(filepath.Join(ta.dir, "blobs", "tmp"))
	t.Logf("after the kills: %d items listed, %d of them printed, all intact (read back in %v); %d files left in blobs/tmp",
		listed, len(v.printed), time.Since(t3).Round(time.Millisecond), len(tmps))

	// Adding everything again, uninterrupted, must succeed and leave exactly
	// one item per distinct content.
	t4 := time.Now()
	all := slices.Clip(dirs)
	if st.stdin > 0 {
		all = append(all, filepath.Join(c.root, "stdin"))
	}
	out := ta.mustRun(t, nil, append([]string{"add", "--json"}, all...)...)
	recs, partial := parseAddLines([]byte(out))
	if partial != "" {
		t.Fatalf("sori add printed an invalid line %q", partial)
	}
	if len(recs) != len(c.files) {
		t.Errorf("sori add of the whole corpus printed %d lines for %d files", len(recs), len(c.files))
	}
	v.checkRecords(t, recs, all, nil)
	distinct := map[string]bool{}
	for _, f := range c.files {
		distinct[f.sum] = true
	}
	if got := len(v.ls(t)); got != len(distinct) {
		t.Errorf("after adding the whole corpus again: %d items listed, want %d (one per distinct content)", got, len(distinct))
	}
	t.Logf("uninterrupted add of all %d files: %d items (%v); test total %v",
		len(recs), len(distinct), time.Since(t4).Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
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
	files map[string]corpusFile // by path
	paths []string              // in creation order, for picking copies
}

// newDir writes the directory of trial i: 20 to 150 files, mostly small,
// some empty, about one in twenty a copy of an earlier file, and in one
// trial out of three a file of 1 to 8 MiB.
func (c *crashCorpus) newDir(t *testing.T, i int) string {
	t.Helper()
	dir := filepath.Join(c.root, fmt.Sprintf("t%03d", i))
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	n := 20 + c.rng.IntN(131)
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
		binary.LittleEndian.PutUint64(seed[k*8:], c.rng.Uint64())
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

// stdinFeed is a stream the test writes to sori's standard input slowly.
type stdinFeed struct {
	data []byte
	file corpusFile
	over time.Duration // spread over about this long
}

// newStdin makes the standard input of trial i: up to 1 MiB, trickled over
// 50 to 350 ms. The same bytes go into the corpus as stdin/tNNN.bin, so the
// final uninterrupted add meets them too.
func (c *crashCorpus) newStdin(t *testing.T, i int) *stdinFeed {
	t.Helper()
	dir := filepath.Join(c.root, "stdin")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, fmt.Sprintf("t%03d.bin", i))
	c.writeFile(t, p, c.rng.Int64N(1<<20+1))
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	over := 50*time.Millisecond + time.Duration(c.rng.Int64N(int64(300*time.Millisecond)))
	return &stdinFeed{data: data, file: c.files[p], over: over}
}

// killPlan says when to kill: delay after the start, or, if onOutput, delay
// after the first output.
type killPlan struct {
	delay    time.Duration
	onOutput bool
}

func (p killPlan) String() string {
	if p.onOutput {
		return fmt.Sprintf("kill %v after the first output", p.delay)
	}
	return fmt.Sprintf("kill after %v", p.delay)
}

// addResult is what one killed (or finished) `sori add` did.
type addResult struct {
	dir       string
	stdin     *stdinFeed
	plan      killPlan
	killed    bool // died of the SIGKILL; otherwise it exited by itself, with status 0
	items     int  // files in dir, plus standard input
	recs      []addRecord
	firstLine time.Duration // after the start; 0 without output
	ran       time.Duration // start to exit
}

// killAdd starts `sori add --json dir` (with "-" too if in is set, and then
// trickles in into its standard input), collects its output as it comes,
// and kills it with SIGKILL as planned unless it has finished by then.
func killAdd(t *testing.T, ta *testArchive, dir string, in *stdinFeed, plan killPlan) addResult {
	t.Helper()
	res := addResult{dir: dir, stdin: in, plan: plan}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	res.items = len(entries)
	args := []string{"add", "--json", dir}
	if in != nil {
		args = append(args, "-")
		res.items++
	}
	cmd := ta.command(context.Background(), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdin io.WriteCloser
	if in != nil {
		if stdin, err = cmd.StdinPipe(); err != nil {
			t.Fatal(err)
		}
	}
	var (
		mu      sync.Mutex
		out     []byte
		first   time.Duration
		readErr error
	)
	eof := make(chan struct{})
	output := make(chan struct{}) // closed on the first output
	fed := make(chan struct{})
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
				close(output)
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
	go func() {
		defer close(fed)
		if in == nil {
			return
		}
		defer stdin.Close()
		const steps = 16
		chunk := max(1, (len(in.data)+steps-1)/steps)
		for off := 0; off < len(in.data); off += chunk {
			time.Sleep(in.over / steps)
			if _, err := stdin.Write(in.data[off:min(off+chunk, len(in.data))]); err != nil {
				return // killed
			}
		}
	}()
	var timer <-chan time.Time
	var firstOutput <-chan struct{}
	if plan.onOutput {
		firstOutput = output
	} else {
		timer = time.After(plan.delay)
	}
	select {
	case <-timer:
	case <-firstOutput:
		time.Sleep(plan.delay)
	case <-eof:
		// Standard output closed: the process is exiting by itself.
	}
	// Killing a process that has exited but not yet been waited for is
	// harmless; Wait tells which happened.
	_ = cmd.Process.Kill()
	<-eof
	werr := cmd.Wait()
	res.ran = time.Since(begin)
	<-fed

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
		t.Errorf("sori %s, not killed: %v\n%s", strings.Join(args, " "), werr, stderr.Bytes())
	}
	var partial string
	res.recs, partial = parseAddLines(out)
	if partial != "" {
		// A line is written with one write(2) of less than PIPE_BUF
		// bytes, so a kill cannot tear it.
		t.Errorf("sori %s printed an incomplete or invalid line %q", strings.Join(args, " "), partial)
	}
	res.firstLine = first
	if !res.killed && len(res.recs) != res.items {
		t.Errorf("sori %s finished with %d lines for %d items\n%s", strings.Join(args, " "), len(res.recs), res.items, stderr.Bytes())
	}
	return res
}

// crashStats counts where the kills landed.
type crashStats struct {
	before, during, afterLast, after int
	stdin, onOutput                  int // trials that read standard input, kills planned on output
	lines, killedLines, dups         int
	firstMin, firstMax               time.Duration // time to the first line
	ranMin, ranMax                   time.Duration // runs that finished before the kill
	plainMax                         time.Duration // … of those that did not read standard input
}

func (s *crashStats) record(r addResult) {
	if r.stdin != nil {
		s.stdin++
	}
	if r.plan.onOutput {
		s.onOutput++
	}
	s.lines += len(r.recs)
	for _, rec := range r.recs {
		if rec.Duplicate {
			s.dups++
		}
	}
	switch {
	case !r.killed:
		s.after++
		s.ranMin, s.ranMax = minMax(s.ranMin, s.ranMax, r.ran)
		if r.stdin == nil {
			s.plainMax = max(s.plainMax, r.ran)
		}
	case len(r.recs) == 0:
		s.before++
	case len(r.recs) == r.items:
		s.afterLast++
		s.killedLines += len(r.recs)
	default:
		s.during++
		s.killedLines += len(r.recs)
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

// crashVerifier holds what sori has printed and listed so far and checks
// it against the archive and the corpus.
type crashVerifier struct {
	ta        *testArchive
	corpus    *crashCorpus
	printed   map[string]addRecord // by ID, as first printed
	idOf      map[string]string    // SHA-256 → ID, as printed
	inArchive map[string]bool      // SHA-256s listed by the last sori ls
}

// check verifies one trial: its lines describe the files they name, the
// archive opens and lists every ID printed so far, and the items this trial
// printed are intact (read in-process, and one of them with `sori cat`).
func (v *crashVerifier) check(t *testing.T, trial int, r addResult) {
	t.Helper()
	var stdin *corpusFile
	if r.stdin != nil {
		stdin = &r.stdin.file
	}
	v.checkRecords(t, r.recs, []string{r.dir}, stdin)
	listed := v.ls(t)
	for id, rec := range v.printed {
		if !listed[id] {
			t.Errorf("trial %d: printed item %s (%s) is not listed", trial, id, rec.Path)
		}
	}
	if len(r.recs) == 0 {
		return
	}
	a := v.ta.open(t)
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

// checkRecords compares the lines printed by one run of sori add over dirs
// (and standard input, if stdin is set) with the corpus, with what was
// printed before, and with what the archive held before the run, which the
// duplicate flags must reflect.
func (v *crashVerifier) checkRecords(t *testing.T, recs []addRecord, dirs []string, stdin *corpusFile) {
	t.Helper()
	copies := map[string]int{} // SHA-256 → inputs of the run with these bytes
	for p, f := range v.corpus.files {
		if slices.Contains(dirs, filepath.Dir(p)) {
			copies[f.sum]++
		}
	}
	if stdin != nil {
		copies[stdin.sum]++
	}
	for _, rec := range recs {
		f, ok := v.corpus.files[rec.Path]
		if rec.Path == archive.Stdin && stdin != nil {
			f, ok = *stdin, true
		}
		switch {
		case !ok:
			t.Errorf("printed a path the test did not create: %+v", rec)
			continue
		case rec.SHA256 != f.sum || rec.Size != f.size:
			t.Errorf("%s: printed sha256 %s size %d, the file has %s size %d", rec.Path, rec.SHA256, rec.Size, f.sum, f.size)
		}
		if id, ok := v.idOf[rec.SHA256]; ok && id != rec.ID {
			t.Errorf("%s: the same bytes were printed as item %s and as %s", rec.Path, id, rec.ID)
		}
		if v.inArchive[rec.SHA256] && !rec.Duplicate {
			t.Errorf("%s: item %s was in the archive before this run, but is not reported as a duplicate", rec.Path, rec.ID)
		}
		if rec.Duplicate && !v.inArchive[rec.SHA256] && copies[rec.SHA256] < 2 {
			t.Errorf("%s: reported as a duplicate of %s, which was not in the archive", rec.Path, rec.ID)
		}
		v.idOf[rec.SHA256] = rec.ID
		if _, ok := v.printed[rec.ID]; !ok {
			v.printed[rec.ID] = rec
		}
	}
}

// ls runs `sori ls --json`, which must succeed, remembers the listed
// SHA-256s and returns the listed IDs.
func (v *crashVerifier) ls(t *testing.T) map[string]bool {
	t.Helper()
	out := v.ta.mustRun(t, nil, "ls", "--json")
	ids := map[string]bool{}
	dec := json.NewDecoder(strings.NewReader(out))
	for {
		var it struct {
			ID     string `json:"id"`
			SHA256 string `json:"sha256"`
		}
		if err := dec.Decode(&it); errors.Is(err, io.EOF) {
			return ids
		} else if err != nil {
			t.Fatalf("sori ls --json: %v\n%s", err, out)
		}
		ids[it.ID] = true
		v.inArchive[it.SHA256] = true
	}
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
	a := v.ta.open(t)
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
	// Whatever instant the kills hit, the archive must pass a full verify:
	// every item's custody entry, tree hash and checkpoint committed with it.
	if r, err := verify.Archive(t.Context(), a, verify.Options{}); err != nil || !r.OK() {
		t.Errorf("sori verify after the kills: err=%v findings=%v", err, r.Findings)
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
