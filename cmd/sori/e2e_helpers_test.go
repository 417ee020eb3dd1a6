package main

// Helpers for end-to-end tests that drive the real sori binary: it is built
// once per test run (lazily, by the first test that needs it) and removed by
// TestMain when the run ends.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"sori/internal/archive"
)

// testPassphrase unlocks every archive the end-to-end tests create.
const testPassphrase = "e2e-test-passphrase"

var built struct {
	once sync.Once
	dir  string // holds the binary; removed by TestMain
	bin  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// goTool is the go command on PATH (go test runs with the toolchain's bin
// directory there in every supported set-up).
func goTool() string { return "go" }

// soriBinary returns the path of the sori binary, building it on first use.
// It is an ordinary build, never a race-enabled one, even when the tests
// run with -race: the end-to-end tests measure the program as shipped.
func soriBinary(t testing.TB) string {
	t.Helper()
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "sori-e2e-")
		if err != nil {
			built.err = err
			return
		}
		built.dir = dir
		bin := filepath.Join(dir, "sori")
		if runtime.GOOS == "windows" {
			bin += ".exe"
		}
		cmd := exec.Command(goTool(), "build", "-race=false", "-o", bin, "./")
		out, err := cmd.CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		built.bin = bin
	})
	if built.err != nil {
		t.Fatalf("building sori: %v", built.err)
	}
	return built.bin
}

// testArchive is an archive in a temporary directory, created with sori
// init, for driving the binary against.
type testArchive struct {
	bin   string
	dir   string
	state string // SORI_STATE_DIR: the checkpoint pin lives outside the archive
	pass  string
}

// newTestArchive builds sori if needed and runs `sori init` in a fresh
// t.TempDir().
func newTestArchive(t testing.TB) *testArchive {
	t.Helper()
	ta := &testArchive{bin: soriBinary(t), dir: filepath.Join(t.TempDir(), "archive"), state: t.TempDir(), pass: testPassphrase}
	if _, stderr, code := ta.run(t, nil, "init", "--user", "tester"); code != exitOK {
		t.Fatalf("sori init: exit %d\n%s", code, stderr)
	}
	return ta
}

// env is the whole environment of a sori process: nothing is inherited from
// the test's own environment.
func (ta *testArchive) env() []string {
	return []string{
		"SORI_PASSPHRASE=" + ta.pass,
		"SORI_TEST_KDF_LOGN=10",
		"SORI_ARCHIVE=" + ta.dir,
		"SORI_STATE_DIR=" + ta.state,
	}
}

// command prepares sori with args against the archive; the caller starts it.
func (ta *testArchive) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, ta.bin, args...)
	cmd.Env = ta.env()
	cmd.Dir = filepath.Dir(ta.dir)
	return cmd
}

// run runs sori with args to completion, with stdin as its standard input
// (nil: none), and returns its output and exit code. Failing to start or a
// death by signal fails the test.
func (ta *testArchive) run(t testing.TB, stdin io.Reader, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := ta.command(t.Context(), args...)
	cmd.Stdin = stdin
	cmd.Stdout = &out
	cmd.Stderr = &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		code = ee.ExitCode()
	default:
		t.Fatalf("sori %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), errb.String(), code
}

// mustRun is run for commands that must succeed; it returns standard output.
func (ta *testArchive) mustRun(t testing.TB, stdin io.Reader, args ...string) string {
	t.Helper()
	out, stderr, code := ta.run(t, stdin, args...)
	if code != exitOK {
		t.Fatalf("sori %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
	return out
}

// open unlocks the archive in-process, for checks that bypass the CLI. The
// caller closes it (before running sori against the archive again, so that
// each run finds it as a fresh process would).
func (ta *testArchive) open(t testing.TB) *archive.Archive {
	t.Helper()
	a, err := archive.Open(t.Context(), ta.dir, "", ta.pass, archive.Options{StateDir: ta.state})
	if err != nil {
		t.Fatalf("opening the archive in-process: %v", err)
	}
	return a
}

// itemDigest streams item ref out of a and returns the hex SHA-256 and size
// of its bytes. The archive's own checks (chunk authentication, recorded
// size and digest) also apply.
func itemDigest(ctx context.Context, a *archive.Archive, ref string) (sum string, size int64, err error) {
	rc, _, err := a.Open(ctx, ref)
	if err != nil {
		return "", 0, err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
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
