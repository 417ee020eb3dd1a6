// Package blobtest is the conformance suite every blob.Store driver runs. It
// checks the contract documented in package blob and nothing more, so that a
// driver passing it can stand in for any other.
package blobtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"sori/internal/blob"
)

// Run runs the conformance suite against the driver. newStore MUST return a
// new, empty store for each call; it may register cleanups on t.
func Run(t *testing.T, newStore func(t *testing.T) blob.Store) {
	t.Helper()
	run := func(name string, fn func(*testing.T, blob.Store)) {
		t.Run(name, func(t *testing.T) { fn(t, newStore(t)) })
	}
	run("RoundTrip", testRoundTrip)
	run("InvisibleBeforeCommit", testInvisibleBeforeCommit)
	run("Abort", testAbort)
	run("AbortAfterCommit", testAbortAfterCommit)
	run("Exists", testExists)
	run("ExistsConcurrent", testExistsConcurrent)
	run("InvalidName", testInvalidName)
	run("NotFound", testNotFound)
	run("Range", testRange)
	run("List", testList)
	run("Remove", testRemove)
	run("ConcurrentWriters", testConcurrentWriters)
	run("FailingSource", testFailingSource)
	run("Large", testLarge)
	run("ExistsConcurrentLarge", testExistsConcurrentLarge)
	run("CommitCancelled", testCommitCancelled)
	run("FailingSourceLarge", testFailingSourceLarge)
}

// largeSize is more than a driver is likely to send in one request (S3's
// multipart parts are at least 5 MiB, minio-go's default 16 MiB): a driver
// that splits objects must join them exactly, and hide the pieces.
const largeSize = 17<<20 + 3

// randName returns a fresh valid name of n hexadecimal characters (n even).
func randName(n int) string { return hex.EncodeToString(randBytes(n / 2)) }

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func put(t *testing.T, s blob.Store, name string, data []byte) {
	t.Helper()
	if _, err := blob.Put(t.Context(), s, name, bytes.NewReader(data)); err != nil {
		t.Fatalf("put %s: %v", name, err)
	}
}

// create starts a writer and registers an Abort, which must be harmless
// whatever happened to the writer.
func create(t *testing.T, s blob.Store, name string) blob.Writer {
	t.Helper()
	w, err := s.Create(t.Context(), name)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := w.Abort(); err != nil {
			t.Errorf("abort %s at cleanup: %v", name, err)
		}
	})
	return w
}

// write writes data in chunks of varying sizes, so that drivers that buffer
// see writes straddling their buffer boundaries.
func write(t *testing.T, w io.Writer, data []byte) {
	t.Helper()
	sizes := []int{1, 7, 4096, 65536 + 3, 1<<20 + 5}
	for i := 0; len(data) > 0; i++ {
		n := min(sizes[i%len(sizes)], len(data))
		m, err := w.Write(data[:n])
		if err != nil || m != n {
			t.Fatalf("write: wrote %d of %d: %v", m, n, err)
		}
		data = data[n:]
	}
}

func read(t *testing.T, s blob.Store, name string, off, length int64) ([]byte, error) {
	t.Helper()
	r, err := s.Open(t.Context(), name, off, length)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("read %s [%d,%+d): %v", name, off, length, err)
	}
	return data, nil
}

// checkContent asserts that name is committed with exactly want.
func checkContent(t *testing.T, s blob.Store, name string, want []byte) {
	t.Helper()
	fi, err := s.Stat(t.Context(), name)
	if err != nil {
		t.Fatalf("stat %s: %v", name, err)
	}
	if fi.Name != name || fi.Size != int64(len(want)) {
		t.Errorf("stat %s = %+v, want size %d", name, fi, len(want))
	}
	got, err := read(t, s, name, 0, -1)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: read %d bytes that differ from the %d written", name, len(got), len(want))
	}
}

// checkAbsent asserts that nothing is visible under name.
func checkAbsent(t *testing.T, s blob.Store, name string) {
	t.Helper()
	if _, err := s.Stat(t.Context(), name); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("stat %s: got %v, want ErrNotFound", name, err)
	}
	if _, err := read(t, s, name, 0, -1); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("open %s: got %v, want ErrNotFound", name, err)
	}
	if _, ok := list(t, s)[name]; ok {
		t.Errorf("list shows %s", name)
	}
}

// checkCount asserts that List shows exactly n objects.
func checkCount(t *testing.T, s blob.Store, n int) {
	t.Helper()
	if got := list(t, s); len(got) != n {
		t.Errorf("list shows %d objects, want %d: %v", len(got), n, got)
	}
}

// list returns the size of every listed object, failing on duplicates.
func list(t *testing.T, s blob.Store) map[string]int64 {
	t.Helper()
	got := make(map[string]int64)
	err := s.List(t.Context(), func(fi blob.Info) error {
		if _, ok := got[fi.Name]; ok {
			t.Errorf("list: %s listed twice", fi.Name)
		}
		got[fi.Name] = fi.Size
		return nil
	})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	return got
}

func testRoundTrip(t *testing.T, s blob.Store) {
	for _, size := range []int{0, 1, 1000, 1 << 20, 3<<20 + 17} {
		name := randName(32)
		data := randBytes(size)
		w := create(t, s, name)
		write(t, w, data)
		if err := w.Commit(t.Context()); err != nil {
			t.Fatalf("commit %d bytes: %v", size, err)
		}
		checkContent(t, s, name, data)
	}
	checkCount(t, s, 5)
}

func testInvisibleBeforeCommit(t *testing.T, s blob.Store) {
	name := randName(32)
	data := randBytes(2<<20 + 1) // more than a driver is likely to buffer
	w := create(t, s, name)
	write(t, w, data)
	checkAbsent(t, s, name)
	checkCount(t, s, 0)
	if err := w.Commit(t.Context()); err != nil {
		t.Fatalf("commit: %v", err)
	}
	checkContent(t, s, name, data)
}

func testAbort(t *testing.T, s blob.Store) {
	name := randName(32)
	w := create(t, s, name)
	write(t, w, randBytes(2<<20+1))
	if err := w.Abort(); err != nil {
		t.Fatalf("abort: %v", err)
	}
	checkAbsent(t, s, name)
	checkCount(t, s, 0)
	// The name is not reserved by the aborted write.
	data := randBytes(10)
	put(t, s, name, data)
	checkContent(t, s, name, data)
}

func testAbortAfterCommit(t *testing.T, s blob.Store) {
	name := randName(32)
	data := randBytes(5000)
	w := create(t, s, name)
	write(t, w, data)
	if err := w.Commit(t.Context()); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if err := w.Abort(); err != nil {
		t.Errorf("abort after commit: %v", err)
	}
	checkContent(t, s, name, data)
	checkCount(t, s, 1)
}

func testExists(t *testing.T, s blob.Store) {
	ctx := t.Context()
	name := randName(32)
	first, second := randBytes(3000), randBytes(2000)

	// Two writers started before either commits: Commit itself must refuse.
	w1 := create(t, s, name)
	w2 := create(t, s, name)
	write(t, w1, first)
	write(t, w2, second)
	if err := w1.Commit(t.Context()); err != nil {
		t.Fatalf("first commit: %v", err)
	}
	if err := w2.Commit(t.Context()); !errors.Is(err, blob.ErrExists) {
		t.Fatalf("second commit: got %v, want ErrExists", err)
	}
	if err := w2.Abort(); err != nil {
		t.Errorf("abort after failed commit: %v", err)
	}
	checkContent(t, s, name, first)

	// A writer started after the commit: Create or Commit refuses.
	if _, err := blob.Put(ctx, s, name, bytes.NewReader(second)); !errors.Is(err, blob.ErrExists) {
		t.Errorf("put over existing: got %v, want ErrExists", err)
	}
	checkContent(t, s, name, first)
	checkCount(t, s, 1)
}

// testExistsConcurrent races writers for one name: exactly one wins, and the
// object holds exactly the winner's bytes.
func testExistsConcurrent(t *testing.T, s blob.Store) {
	const writers = 8
	name := randName(32)
	data := make([][]byte, writers)
	errs := make([]error, writers)
	for i := range data {
		data[i] = randBytes(10000 + i)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			<-start
			_, errs[i] = blob.Put(t.Context(), s, name, bytes.NewReader(data[i]))
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("writers %d and %d both committed", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, blob.ErrExists):
			t.Errorf("writer %d: got %v, want nil or ErrExists", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer committed")
	}
	checkContent(t, s, name, data[winner])
}

func testInvalidName(t *testing.T, s blob.Store) {
	ctx := t.Context()
	a32 := strings.Repeat("a", 32)
	bad := []string{
		"", "a", "tmp", strings.Repeat("a", 31), strings.Repeat("a", 65),
		strings.Repeat("A", 32), strings.Repeat("g", 32), a32 + "\n", " " + a32,
		a32 + ".tmp", "../" + a32, "tmp/" + a32, a32[:2] + "/" + a32, a32[:16] + "/" + a32[:16],
	}
	for _, name := range bad {
		if blob.ValidName(name) {
			t.Fatalf("suite bug: ValidName(%q) is true", name)
		}
		w, err := s.Create(ctx, name)
		if w != nil {
			w.Abort()
		}
		_, errOpen := s.Open(ctx, name, 0, -1)
		_, errStat := s.Stat(ctx, name)
		errs := map[string]error{"create": err, "open": errOpen, "stat": errStat, "remove": s.Remove(ctx, name)}
		for op, err := range errs {
			if !errors.Is(err, blob.ErrInvalidName) {
				t.Errorf("%s %q: got %v, want ErrInvalidName", op, name, err)
			}
		}
	}
	checkCount(t, s, 0)
}

func testNotFound(t *testing.T, s blob.Store) {
	ctx := t.Context()
	put(t, s, randName(32), randBytes(10)) // the store is not empty
	name := randName(32)
	checkAbsent(t, s, name)
	if _, err := s.Open(ctx, name, 5, 1); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("open range of missing: got %v, want ErrNotFound", err)
	}
	if err := s.Remove(ctx, name); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("remove missing: got %v, want ErrNotFound", err)
	}
}

func testRange(t *testing.T, s blob.Store) {
	name, empty := randName(32), randName(32)
	data := randBytes(1000)
	put(t, s, name, data)
	put(t, s, empty, nil)
	tests := []struct {
		name        string
		off, length int64
		want        []byte // nil: want ErrRange
	}{
		{name, 0, -1, data}, {name, 0, 1000, data}, {name, 0, 10, data[:10]},
		{name, 500, 100, data[500:600]}, {name, 990, -1, data[990:]}, {name, 999, 1, data[999:]},
		{name, 0, 0, []byte{}}, {name, 400, 0, []byte{}},
		{name, 1000, 0, []byte{}}, {name, 1000, -1, []byte{}},
		{name, 1001, 0, nil}, {name, 1001, -1, nil}, {name, 995, 10, nil}, {name, 0, 1001, nil},
		{name, -1, 10, nil}, {name, -1, -1, nil}, {name, 10, math.MaxInt64, nil}, {name, math.MaxInt64, 1, nil},
		{empty, 0, 0, []byte{}}, {empty, 0, -1, []byte{}}, {empty, 0, 1, nil}, {empty, 1, 0, nil},
	}
	for _, tc := range tests {
		desc := fmt.Sprintf("%s[%d,%+d)", tc.name[:4], tc.off, tc.length)
		got, err := read(t, s, tc.name, tc.off, tc.length)
		switch {
		case tc.want == nil && !errors.Is(err, blob.ErrRange):
			t.Errorf("%s: got %d bytes, error %v, want ErrRange", desc, len(got), err)
		case tc.want != nil && err != nil:
			t.Errorf("%s: %v", desc, err)
		case tc.want != nil && !bytes.Equal(got, tc.want):
			t.Errorf("%s: got %d bytes, want %d bytes that differ", desc, len(got), len(tc.want))
		}
	}
}

func testList(t *testing.T, s blob.Store) {
	checkCount(t, s, 0)
	want := make(map[string]int64)
	for _, size := range []int{0, 1, 100, 4096, 70000} {
		name := randName(32)
		put(t, s, name, randBytes(size))
		want[name] = int64(size)
	}
	long, longData := randName(64), randBytes(3) // the longest valid name
	put(t, s, long, longData)
	checkContent(t, s, long, longData)
	want[long] = 3
	// Neither a write in progress nor an aborted one is listed.
	write(t, create(t, s, randName(32)), randBytes(100))
	aborted := create(t, s, randName(32))
	write(t, aborted, randBytes(100))
	aborted.Abort()

	if got := list(t, s); !maps.Equal(got, want) {
		t.Errorf("list = %v, want %v", got, want)
	}

	errStop := errors.New("stop")
	calls := 0
	err := s.List(t.Context(), func(blob.Info) error {
		calls++
		return errStop
	})
	if !errors.Is(err, errStop) {
		t.Errorf("list with failing fn: got %v, want fn's error", err)
	}
	if calls != 1 {
		t.Errorf("list called fn %d times after it failed, want 1 call", calls)
	}
}

func testRemove(t *testing.T, s blob.Store) {
	ctx := t.Context()
	gone, kept := randName(32), randName(32)
	keptData := randBytes(500)
	put(t, s, gone, randBytes(500))
	put(t, s, kept, keptData)
	if err := s.Remove(ctx, gone); err != nil {
		t.Fatalf("remove: %v", err)
	}
	checkAbsent(t, s, gone)
	if err := s.Remove(ctx, gone); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("second remove: got %v, want ErrNotFound", err)
	}
	checkContent(t, s, kept, keptData)
	checkCount(t, s, 1)
}

func testConcurrentWriters(t *testing.T, s blob.Store) {
	const goroutines, each = 8, 8
	names := make([]string, goroutines*each)
	data := make([][]byte, len(names))
	for i := range names {
		names[i] = randName(32)
		data[i] = randBytes(1000 * i)
	}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := g * each; i < (g+1)*each; i++ {
				if _, err := blob.Put(t.Context(), s, names[i], bytes.NewReader(data[i])); err != nil {
					t.Errorf("put %s: %v", names[i], err)
				}
			}
		})
	}
	wg.Wait()
	checkCount(t, s, len(names))
	for i, name := range names {
		checkContent(t, s, name, data[i])
	}
}

func testFailingSource(t *testing.T, s blob.Store) {
	errSource := errors.New("source failed")
	name := randName(32)
	src := io.MultiReader(bytes.NewReader(randBytes(3<<20+1)), iotest.ErrReader(errSource))
	if _, err := blob.Put(t.Context(), s, name, src); !errors.Is(err, errSource) {
		t.Fatalf("put from failing source: got %v, want the source's error", err)
	}
	checkAbsent(t, s, name)
	checkCount(t, s, 0)
	data := randBytes(10)
	put(t, s, name, data)
	checkContent(t, s, name, data)
}

// testLarge writes an object bigger than a multipart part, checks it is
// invisible until Commit, and reads ranges across where parts would meet.
func testLarge(t *testing.T, s blob.Store) {
	name := randName(32)
	data := randBytes(largeSize)
	w := create(t, s, name)
	write(t, w, data)
	checkAbsent(t, s, name)
	if err := w.Commit(t.Context()); err != nil {
		t.Fatalf("commit %d bytes: %v", len(data), err)
	}
	checkContent(t, s, name, data)
	for _, mib := range []int64{5, 8, 16} {
		off := mib<<20 - 7
		got, err := read(t, s, name, off, 20)
		if err != nil || !bytes.Equal(got, data[off:off+20]) {
			t.Errorf("range across %d MiB: %d bytes, %v", mib, len(got), err)
		}
	}
	got, err := read(t, s, name, largeSize-5, -1)
	if err != nil || !bytes.Equal(got, data[largeSize-5:]) {
		t.Errorf("the last bytes: %d bytes, %v", len(got), err)
	}
	checkCount(t, s, 1)
}

// testExistsConcurrentLarge races writers of large objects for one name, all
// started (their parts sent) before any commits: exactly one Commit wins,
// and the object is exactly the winner's.
func testExistsConcurrentLarge(t *testing.T, s blob.Store) {
	const writers = 3
	name := randName(32)
	data := make([][]byte, writers)
	ws := make([]blob.Writer, writers)
	for i := range writers {
		data[i] = randBytes(largeSize - i)
		ws[i] = create(t, s, name)
		write(t, ws[i], data[i])
	}
	errs := make([]error, writers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			<-start
			errs[i] = ws[i].Commit(t.Context())
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("writers %d and %d both committed", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, blob.ErrExists):
			t.Errorf("writer %d: got %v, want nil or ErrExists", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer committed")
	}
	checkContent(t, s, name, data[winner])
	checkCount(t, s, 1)
}

// testCommitCancelled: a Commit whose context is already done publishes
// nothing, and the name stays free.
func testCommitCancelled(t *testing.T, s blob.Store) {
	name := randName(32)
	w := create(t, s, name)
	write(t, w, randBytes(1000))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := w.Commit(ctx); err == nil {
		t.Fatal("commit with a cancelled context succeeded")
	}
	checkAbsent(t, s, name)
	data := randBytes(10)
	put(t, s, name, data)
	checkContent(t, s, name, data)
}

// testFailingSourceLarge: a source that fails after more than a multipart
// part has been written leaves nothing visible, and the name free.
func testFailingSourceLarge(t *testing.T, s blob.Store) {
	errSource := errors.New("source failed")
	name := randName(32)
	src := io.MultiReader(bytes.NewReader(randBytes(largeSize)), iotest.ErrReader(errSource))
	if _, err := blob.Put(t.Context(), s, name, src); !errors.Is(err, errSource) {
		t.Fatalf("put from failing source: got %v, want the source's error", err)
	}
	checkAbsent(t, s, name)
	checkCount(t, s, 0)
	data := randBytes(10)
	put(t, s, name, data)
	checkContent(t, s, name, data)
}
