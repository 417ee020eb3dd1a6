// Package local is a blob.Store on a local file system.
//
// Layout under the store's directory DIR:
//
//	DIR/<first two characters of name>/<name>   committed objects
//	DIR/tmp/                                    objects being written
//
// A Writer writes to a uniquely named file in DIR/tmp. Commit flushes and
// fsyncs that file, then publishes it with a hard link to the final name
// (link(2) fails if the name is taken, so an object is never overwritten and
// never visible half-written), removes the temporary name and fsyncs the
// directories involved. The file system must therefore support hard links
// within DIR. A process killed mid-write leaves only a file in DIR/tmp, which
// no reader sees and CleanTemp removes.
//
// Directories are created 0700 and files 0600.
package local

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"sori/internal/blob"
	"sori/internal/durable"
)

const (
	tmpDir     = "tmp"
	dirMode    = 0o700
	bufferSize = 1 << 20 // bytes a Writer buffers before writing to disk
)

// errDone is returned by a Writer used after Commit or Abort.
var errDone = errors.New("local: writer already committed or aborted")

// Store is a blob.Store rooted at a directory. It is safe for concurrent use,
// also by several processes sharing the directory.
type Store struct {
	root string
	tmp  string

	mu     sync.Mutex
	shards map[string]bool // shard directories known to exist durably
}

var _ blob.Store = (*Store)(nil)

// Open returns the store in dir, creating dir and its tmp directory if they
// are missing. It fails if dir exists but is not a directory.
func Open(dir string) (*Store, error) {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, dirMode); err != nil {
			return nil, fmt.Errorf("local: create store: %w", err)
		}
		// Make dir's own entry durable, so later commits are not lost
		// with it.
		if err := durable.SyncDir(filepath.Dir(dir)); err != nil {
			return nil, fmt.Errorf("local: create store: %w", err)
		}
	case err != nil:
		return nil, fmt.Errorf("local: open store: %w", err)
	case !fi.IsDir():
		return nil, fmt.Errorf("local: open store: %s is not a directory", dir)
	}
	tmp := filepath.Join(dir, tmpDir)
	if err := os.Mkdir(tmp, dirMode); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("local: create store: %w", err)
	}
	return &Store{root: dir, tmp: tmp, shards: make(map[string]bool)}, nil
}

// path returns where the committed object name lives. name must be valid.
func (s *Store) path(name string) string {
	return filepath.Join(s.root, name[:2], name)
}

// ensureShard creates the shard directory for name if needed and makes its
// directory entry durable before any object is linked into it. Each process
// does this once per shard: a directory that merely exists may have been
// created by a process that crashed before syncing DIR.
func (s *Store) ensureShard(name string) (string, error) {
	shard := name[:2]
	dir := filepath.Join(s.root, shard)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shards[shard] {
		return dir, nil
	}
	if err := os.Mkdir(dir, dirMode); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", err
	}
	if err := durable.SyncDir(s.root); err != nil {
		return "", err
	}
	s.shards[shard] = true
	return dir, nil
}

func checkName(op, name string) error {
	if !blob.ValidName(name) {
		return fmt.Errorf("local: %s %q: %w", op, name, blob.ErrInvalidName)
	}
	return nil
}

// Create starts writing the object name into a new temporary file. It fails
// early with blob.ErrExists when name is already committed.
func (s *Store) Create(ctx context.Context, name string) (blob.Writer, error) {
	if err := checkName("create", name); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, err := os.Lstat(s.path(name)); err == nil {
		return nil, fmt.Errorf("local: create %s: %w", name, blob.ErrExists)
	}
	f, err := os.CreateTemp(s.tmp, "w-*") // O_EXCL, mode 0600
	if err != nil {
		return nil, fmt.Errorf("local: create %s: %w", name, err)
	}
	return &writer{s: s, name: name, f: f, buf: bufio.NewWriterSize(f, bufferSize)}, nil
}

// Open returns a reader for the byte range [off, off+length) of name, or to
// its end when length < 0.
func (s *Store) Open(ctx context.Context, name string, off, length int64) (io.ReadCloser, error) {
	if err := checkName("open", name); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(s.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("local: open %s: %w", name, blob.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("local: open %s: %w", name, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("local: open %s: %w", name, err)
	}
	n, err := rangeLen(fi.Size(), off, length)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("local: open %s: offset %d length %d of %d bytes: %w", name, off, length, fi.Size(), err)
	}
	return &rangeReader{SectionReader: io.NewSectionReader(f, off, n), f: f}, nil
}

// rangeLen returns how many bytes [off, off+length) spans in an object of
// size bytes (length < 0: to the end), or blob.ErrRange.
func rangeLen(size, off, length int64) (int64, error) {
	if off < 0 || off > size {
		return 0, blob.ErrRange
	}
	if length < 0 {
		return size - off, nil
	}
	if length > size-off {
		return 0, blob.ErrRange
	}
	return length, nil
}

type rangeReader struct {
	*io.SectionReader
	f *os.File
}

func (r *rangeReader) Close() error { return r.f.Close() }

// Stat reports the size of the committed object name.
func (s *Store) Stat(ctx context.Context, name string) (blob.Info, error) {
	if err := checkName("stat", name); err != nil {
		return blob.Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return blob.Info{}, err
	}
	fi, err := os.Lstat(s.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return blob.Info{}, fmt.Errorf("local: stat %s: %w", name, blob.ErrNotFound)
	}
	if err != nil {
		return blob.Info{}, fmt.Errorf("local: stat %s: %w", name, err)
	}
	if !fi.Mode().IsRegular() {
		return blob.Info{}, fmt.Errorf("local: stat %s: not a regular file", name)
	}
	return blob.Info{Name: name, Size: fi.Size()}, nil
}

// List calls fn for every committed object. It walks the shard directories
// and ignores DIR/tmp and anything that is not a validly named regular file
// in its proper shard. Objects removed while List runs may or may not be
// reported.
func (s *Store) List(ctx context.Context, fn func(blob.Info) error) error {
	shards, err := os.ReadDir(s.root)
	if err != nil {
		return fmt.Errorf("local: list: %w", err)
	}
	for _, sd := range shards {
		if !sd.IsDir() || !isShard(sd.Name()) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		entries, err := os.ReadDir(filepath.Join(s.root, sd.Name()))
		if err != nil {
			return fmt.Errorf("local: list: %w", err)
		}
		for _, e := range entries {
			name := e.Name()
			if !e.Type().IsRegular() || !blob.ValidName(name) || !strings.HasPrefix(name, sd.Name()) {
				continue
			}
			fi, err := e.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed meanwhile
			}
			if err != nil {
				return fmt.Errorf("local: list: %w", err)
			}
			if err := fn(blob.Info{Name: name, Size: fi.Size()}); err != nil {
				return err
			}
		}
	}
	return nil
}

// isShard reports whether name could be a shard directory: two lowercase
// hexadecimal characters.
func isShard(name string) bool {
	if len(name) != 2 {
		return false
	}
	for _, c := range []byte(name) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Remove deletes the committed object name and makes the removal durable.
func (s *Store) Remove(ctx context.Context, name string) error {
	if err := checkName("remove", name); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	p := s.path(name)
	if err := os.Remove(p); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("local: remove %s: %w", name, blob.ErrNotFound)
	} else if err != nil {
		return fmt.Errorf("local: remove %s: %w", name, err)
	}
	if err := durable.SyncDir(filepath.Dir(p)); err != nil {
		return fmt.Errorf("local: remove %s: %w", name, err)
	}
	return nil
}

// CleanTemp removes files in DIR/tmp last modified more than olderThan ago,
// left behind by writers that were never committed or aborted (for instance
// because their process was killed). It returns how many it removed.
//
// A live Writer's file is only modified when its buffer is flushed, so
// olderThan MUST exceed the longest time any writer may stay idle; a Writer
// whose file was removed fails on Commit and publishes nothing.
func (s *Store) CleanTemp(olderThan time.Duration) (int, error) {
	entries, err := os.ReadDir(s.tmp)
	if err != nil {
		return 0, fmt.Errorf("local: clean temp: %w", err)
	}
	cutoff := time.Now().Add(-olderThan)
	var errs []error
	n := 0
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if fi.ModTime().After(cutoff) {
			continue
		}
		err = os.Remove(filepath.Join(s.tmp, e.Name()))
		switch {
		case err == nil:
			n++
		case !errors.Is(err, fs.ErrNotExist):
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return n, fmt.Errorf("local: clean temp: %w", err)
	}
	return n, nil
}

// writer writes one object into a temporary file. It is not safe for
// concurrent use.
type writer struct {
	s      *Store
	name   string
	f      *os.File
	buf    *bufio.Writer
	closed bool // f has been closed
	done   bool // Commit or Abort has been called
}

func (w *writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, errDone
	}
	return w.buf.Write(p)
}

// Commit makes the object durable and then visible. On any error the
// temporary file is removed and nothing is visible under the name; a name
// already taken yields blob.ErrExists and leaves that object untouched.
func (w *writer) Commit(ctx context.Context) error {
	if w.done {
		return errDone
	}
	w.done = true
	if err := ctx.Err(); err != nil {
		w.discard()
		return err
	}
	if err := w.commit(); err != nil {
		w.discard()
		return err
	}
	return nil
}

func (w *writer) commit() error {
	if err := w.buf.Flush(); err != nil {
		return fmt.Errorf("local: write %s: %w", w.name, err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("local: sync %s: %w", w.name, err)
	}
	w.closed = true
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("local: close %s: %w", w.name, err)
	}
	shard, err := w.s.ensureShard(w.name)
	if err != nil {
		return fmt.Errorf("local: commit %s: %w", w.name, err)
	}
	final := filepath.Join(shard, w.name)
	if err := os.Link(w.f.Name(), final); errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("local: commit %s: %w", w.name, blob.ErrExists)
	} else if err != nil {
		return fmt.Errorf("local: commit %s: %w", w.name, err)
	}
	// The object is published. A leftover temporary name is harmless
	// (CleanTemp removes it), so a failure to remove it is not reported.
	_ = os.Remove(w.f.Name())
	if err := durable.SyncDir(shard); err != nil {
		// The link may not survive a crash: withdraw it so that an error
		// still means nothing is visible.
		_ = os.Remove(final)
		return fmt.Errorf("local: commit %s: %w", w.name, err)
	}
	return nil
}

// Abort discards the temporary file. It does nothing after Commit.
func (w *writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	if err := w.discard(); err != nil {
		return fmt.Errorf("local: abort %s: %w", w.name, err)
	}
	return nil
}

// discard closes and removes the temporary file. A file already gone (for
// example removed by CleanTemp) is not an error.
func (w *writer) discard() error {
	if !w.closed {
		w.closed = true
		w.f.Close()
	}
	if err := os.Remove(w.f.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
