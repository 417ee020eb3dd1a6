//go:build unix

package main

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// maxAddRSS is the most resident memory `sori add` may use for one large
// file: intake streams, so memory must not grow with the file.
const maxAddRSS = 128 << 20

// TestAddLargeFileMemory pipes a generated 2 GiB stream into `sori add -`,
// records the peak resident memory of the process (it must stay under
// 128 MiB), and checks that the item reads back with the stream's SHA-256.
// SORI_TEST_BIG_MIB sets the size in MiB (default 2048).
func TestAddLargeFileMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("adds a 2 GiB stream; not in -short mode")
	}
	mib := 2048
	if s := os.Getenv("SORI_TEST_BIG_MIB"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("SORI_TEST_BIG_MIB=%q: want a positive number of MiB", s)
		}
		mib = n
	}
	size := int64(mib) << 20
	ta := newTestArchive(t)

	// sori add reads the stream as the test generates it: no source file.
	cmd := ta.command(t.Context(), "add", "--json", "--title", "big", "-")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	mem := startMemWatch(t, cmd)
	type generated struct {
		sum string
		err error
	}
	gen := make(chan generated, 1)
	go func() {
		sum, err := writeStream(stdin, size)
		if cerr := stdin.Close(); err == nil {
			err = cerr
		}
		gen <- generated{sum, err}
	}()
	rss, how, werr := mem.wait()
	g := <-gen
	addTime := time.Since(begin)
	if werr != nil {
		t.Fatalf("sori add: %v\n%s", werr, stderr.Bytes())
	}
	if g.err != nil {
		t.Fatalf("writing the stream: %v", g.err)
	}
	t.Logf("sori add of %d MiB from stdin: %v (%.0f MiB/s); peak RSS %.1f MiB (limit %d MiB; %s)",
		mib, addTime.Round(time.Millisecond), float64(mib)/addTime.Seconds(), mibs(rss), maxAddRSS>>20, how)
	if rss >= maxAddRSS {
		t.Errorf("sori add of %d MiB used %.1f MiB of memory at its peak; want under %d MiB", mib, mibs(rss), maxAddRSS>>20)
	}

	var rec addRecord
	if err := json.Unmarshal(stdout.Bytes(), &rec); err != nil {
		t.Fatalf("sori add printed %q: %v", stdout.Bytes(), err)
	}
	if rec.SHA256 != g.sum || rec.Size != size || rec.Path != "-" || rec.Duplicate {
		t.Fatalf("sori add printed %+v; want sha256 %s, size %d, path -, not a duplicate", rec, g.sum, size)
	}

	// Read it back through sori cat, hashing as the bytes arrive.
	begin = time.Now()
	cat := ta.command(t.Context(), "cat", rec.ID)
	h := &countingHash{h: sha256.New()}
	stderr.Reset()
	cat.Stdout, cat.Stderr = h, &stderr
	rss, how, err = startMemWatch(t, cat).wait()
	if err != nil {
		t.Fatalf("sori cat %s: %v\n%s", rec.ID, err, stderr.Bytes())
	}
	catTime := time.Since(begin)
	t.Logf("sori cat: %v (%.0f MiB/s); peak RSS %.1f MiB (%s)",
		catTime.Round(time.Millisecond), float64(mib)/catTime.Seconds(), mibs(rss), how)
	if got := hex.EncodeToString(h.h.Sum(nil)); got != g.sum || h.n != size {
		t.Errorf("sori cat %s gave %d bytes with SHA-256 %s; want %d bytes with %s", rec.ID, h.n, got, size, g.sum)
	}
}

// writeStream writes size deterministic pseudo-random bytes (an AES-CTR key
// stream under a fixed key: fast, and incompressible) to w in 1 MiB pieces,
// and returns their hex SHA-256.
func writeStream(w io.Writer, size int64) (string, error) {
	block, err := aes.NewCipher([]byte("sori memory test"))
	if err != nil {
		return "", err
	}
	ctr := cipher.NewCTR(block, make([]byte, aes.BlockSize))
	h := sha256.New()
	buf := make([]byte, 1<<20)
	for left := size; left > 0; {
		b := buf[:min(int64(len(buf)), left)]
		clear(b)
		ctr.XORKeyStream(b, b)
		h.Write(b)
		if _, err := w.Write(b); err != nil {
			return "", err
		}
		left -= int64(len(b))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func mibs(n int64) float64 { return float64(n) / (1 << 20) }

// memWatch measures the peak resident memory of a child process.
//
// The child's ru_maxrss (getrusage, wait4) alone overstates it: os/exec
// starts the child with vfork semantics, sharing the test process's memory
// until exec, and Linux carries the high-water mark of that memory into the
// child's ru_maxrss at exec, so a child started by a test process that once
// used 80 MiB reports at least 80 MiB. The child's own high-water mark
// (VmHWM in /proc/PID/status, which starts afresh at exec) is therefore
// polled until the child exits, and is the measure; ru_maxrss, an upper
// bound, is the measure only where there is no /proc.
type memWatch struct {
	t      *testing.T
	cmd    *exec.Cmd
	polled chan int64
}

// startMemWatch starts cmd and begins watching its memory.
func startMemWatch(t *testing.T, cmd *exec.Cmd) *memWatch {
	t.Helper()
	m := &memWatch{t: t, cmd: cmd, polled: make(chan int64, 1)}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		// The child cannot be reaped, and its PID reused, before this
		// stops: wait reads the result first.
		var peak int64
		proc := strconv.Itoa(cmd.Process.Pid)
		for {
			hwm := readVmHWM(proc)
			if hwm == 0 { // exited (a zombie has no memory), or no /proc
				m.polled <- peak
				return
			}
			peak = max(peak, hwm)
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return m
}

// wait waits for the child and returns its peak resident memory in bytes,
// how that was measured, and the error of cmd.Wait.
func (m *memWatch) wait() (int64, string, error) {
	polled := <-m.polled
	err := m.cmd.Wait()
	ru, ok := m.cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		m.t.Fatalf("no resource usage for the process on %s", runtime.GOOS)
	}
	maxrss := int64(ru.Maxrss)
	if runtime.GOOS != "darwin" {
		maxrss <<= 10 // KiB, except on macOS: bytes
	}
	if polled == 0 {
		return maxrss, "ru_maxrss, an upper bound: no /proc to read", err
	}
	return polled, fmt.Sprintf("VmHWM polled every 5 ms; ru_maxrss, which includes the test process's memory, %.1f MiB", mibs(maxrss)), err
}

// readVmHWM returns the VmHWM of /proc/PROC/status in bytes, or 0 if there
// is none to read.
func readVmHWM(proc string) int64 {
	b, err := os.ReadFile("/proc/" + proc + "/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// countingHash is a hash that counts what it is fed.
type countingHash struct {
	h hash.Hash
	n int64
}

func (c *countingHash) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.h.Write(p)
}
