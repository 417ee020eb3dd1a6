package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"sori/internal/archive"
	"sori/internal/seal"
)

// archiveFlags are shared by every command that opens an archive.
type archiveFlags struct {
	dir            string
	user           string
	passphraseFile string
}

func (f *archiveFlags) register(fs *flag.FlagSet, e *env) {
	fs.StringVar(&f.dir, "archive", e.getenv("SORI_ARCHIVE"), "archive directory (default $SORI_ARCHIVE)")
	fs.StringVar(&f.user, "user", e.getenv("SORI_USER"), "act as this user (default $SORI_USER, else the first admin)")
	fs.StringVar(&f.passphraseFile, "passphrase-file", "", "read the passphrase from the first line of this file")
}

func (f *archiveFlags) needDir() error {
	if f.dir == "" {
		return usagef("no archive: pass --archive DIR or set SORI_ARCHIVE")
	}
	return nil
}

// passphrase finds the passphrase: --passphrase-file, else $SORI_PASSPHRASE,
// else a no-echo prompt when standard input is a terminal.
func (f *archiveFlags) passphrase(e *env, prompt string, confirm bool) (string, error) {
	if f.passphraseFile != "" {
		b, err := os.ReadFile(f.passphraseFile)
		if err != nil {
			return "", usagef("--passphrase-file: %v", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimRight(line, "\r"), nil
	}
	if p := e.getenv("SORI_PASSPHRASE"); p != "" {
		return p, nil
	}
	if !e.stdinTTY || e.readPassword == nil {
		return "", usagef("no passphrase: use --passphrase-file F or SORI_PASSPHRASE when not on a terminal")
	}
	p, err := e.readPassword(prompt)
	if err != nil {
		return "", err
	}
	if confirm {
		again, err := e.readPassword("Repeat the passphrase: ")
		if err != nil {
			return "", err
		}
		if again != p {
			return "", usagef("the passphrases differ")
		}
	}
	return p, nil
}

// open unlocks the archive named by the flags.
func (f *archiveFlags) open(ctx context.Context, e *env) (*archive.Archive, error) {
	return f.openWith(ctx, e, archiveOptions(e))
}

// openWith is open with other options (a work factor for new keys).
func (f *archiveFlags) openWith(ctx context.Context, e *env, opt archive.Options) (*archive.Archive, error) {
	if err := f.needDir(); err != nil {
		return nil, err
	}
	if !archive.IsArchive(f.dir) {
		return nil, fmt.Errorf("%s is not a sori archive (run 'sori init --archive %s' to create one)", f.dir, f.dir)
	}
	who := "the first admin"
	if f.user != "" {
		who = f.user
	}
	p, err := f.passphrase(e, fmt.Sprintf("Passphrase for %s: ", who), false)
	if err != nil {
		return nil, err
	}
	a, err := f.openPass(ctx, opt, p)
	if err == nil {
		e.opened = a
	}
	return a, err
}

// openPass opens the archive with a passphrase already read.
func (f *archiveFlags) openPass(ctx context.Context, opt archive.Options, passphrase string) (*archive.Archive, error) {
	if err := f.needDir(); err != nil {
		return nil, err
	}
	if !archive.IsArchive(f.dir) {
		return nil, fmt.Errorf("%s is not a sori archive (run 'sori init --archive %s' to create one)", f.dir, f.dir)
	}
	return archive.Open(ctx, f.dir, f.user, passphrase, opt)
}

// archiveOptions are the options every command opens archives with.
func archiveOptions(e *env) archive.Options {
	return archive.Options{Logger: e.log, StateDir: stateDir(e), LockWait: testLockWait(e)}
}

// testLockWait reads the test-only knob SORI_TEST_LOCK_WAIT (a Go duration,
// e.g. 300ms): how long a command waits for the archive lock before it
// fails with "archive busy", instead of archive.DefaultLockWait.
func testLockWait(e *env) time.Duration {
	s := e.getenv("SORI_TEST_LOCK_WAIT")
	if s == "" {
		return 0
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		fmt.Fprintf(e.stderr, "sori: WARNING: SORI_TEST_LOCK_WAIT=%q is not a positive duration; waiting %v\n", s, archive.DefaultLockWait)
		return 0
	}
	return d
}

// stateDir is where sori keeps what must live outside archives: the newest
// checkpoint seen of each (rollback detection). $SORI_STATE_DIR, else the
// user's configuration directory.
func stateDir(e *env) string {
	if d := e.getenv("SORI_STATE_DIR"); d != "" {
		return d
	}
	home := e.getenv("XDG_CONFIG_HOME")
	if home == "" {
		if h := e.getenv("HOME"); h != "" {
			home = filepath.Join(h, ".config")
		}
	}
	if home == "" {
		fmt.Fprintln(e.stderr, "sori: WARNING: no HOME or SORI_STATE_DIR: checkpoints are not kept outside the archive, so a rolled-back archive would go unnoticed")
		return ""
	}
	return filepath.Join(home, "sori")
}

// testWorkFactor reads the test-only knob SORI_TEST_KDF_LOGN, which lowers
// the scrypt cost of new user keys so that test suites run fast. It is never
// needed in real use, and sori says so loudly when it is set.
func testWorkFactor(e *env) (int, error) {
	s := e.getenv("SORI_TEST_KDF_LOGN")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < seal.MinWorkFactor || n > seal.DefaultWorkFactor {
		return 0, usagef("SORI_TEST_KDF_LOGN=%q: want %d..%d", s, seal.MinWorkFactor, seal.DefaultWorkFactor)
	}
	if n < seal.DefaultWorkFactor {
		fmt.Fprintf(e.stderr, "sori: WARNING: SORI_TEST_KDF_LOGN=%d weakens the passphrase protection of new keys; for tests only\n", n)
	}
	return n, nil
}

// openListing parses the command line of a listing command that takes the
// archive flags and --json only (name is the command, for messages) and
// opens the archive; the caller closes it.
func openListing(ctx context.Context, e *env, name string, args []string) (a *archive.Archive, asJSON bool, err error) {
	var f archiveFlags
	fs := newFlags(name)
	f.register(fs, e)
	fs.BoolVar(&asJSON, "json", false, "")
	if err := parseNone(fs, args); err != nil {
		return nil, false, err
	}
	a, err = f.open(ctx, e)
	return a, asJSON, err
}
