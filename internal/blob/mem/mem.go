// Package mem is an in-memory blob.Store for tests. Objects live only as long
// as the Store; "durable" means "committed to the map".
package mem

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"sori/internal/blob"
)

// errDone is returned by a Writer used after Commit or Abort.
var errDone = errors.New("mem: writer already committed or aborted")

// Store is an in-memory blob.Store. It is safe for concurrent use. Stored
// objects are never modified, so readers may share their bytes.
type Store struct {
	mu   sync.RWMutex
	objs map[string][]byte
}

var _ blob.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{objs: make(map[string][]byte)}
}

func check(ctx context.Context, op, name string) error {
	if !blob.ValidName(name) {
		return fmt.Errorf("mem: %s %q: %w", op, name, blob.ErrInvalidName)
	}
	return ctx.Err()
}

// Create starts a new object. It fails early with blob.ErrExists when name
// is already committed.
func (s *Store) Create(ctx context.Context, name string) (blob.Writer, error) {
	if err := check(ctx, "create", name); err != nil {
		return nil, err
	}
	s.mu.RLock()
	_, ok := s.objs[name]
	s.mu.RUnlock()
	if ok {
		return nil, fmt.Errorf("mem: create %s: %w", name, blob.ErrExists)
	}
	return &writer{s: s, name: name}, nil
}

// Open returns a reader for the byte range [off, off+length) of name, or to
// its end when length < 0.
func (s *Store) Open(ctx context.Context, name string, off, length int64) (io.ReadCloser, error) {
	if err := check(ctx, "open", name); err != nil {
		return nil, err
	}
	s.mu.RLock()
	data, ok := s.objs[name]
	s.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("mem: open %s: %w", name, blob.ErrNotFound)
	}
	size := int64(len(data))
	n, err := rangeLen(size, off, length)
	if err != nil {
		return nil, fmt.Errorf("mem: open %s: offset %d length %d of %d bytes: %w", name, off, length, size, err)
	}
	return io.NopCloser(bytes.NewReader(data[off : off+n])), nil
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

// Stat reports the size of the committed object name.
func (s *Store) Stat(ctx context.Context, name string) (blob.Info, error) {
	if err := check(ctx, "stat", name); err != nil {
		return blob.Info{}, err
	}
	s.mu.RLock()
	data, ok := s.objs[name]
	s.mu.RUnlock()
	if !ok {
		return blob.Info{}, fmt.Errorf("mem: stat %s: %w", name, blob.ErrNotFound)
	}
	return blob.Info{Name: name, Size: int64(len(data))}, nil
}

// List calls fn for every object committed when List was called. fn runs
// without the store's lock held, so it may use the store.
func (s *Store) List(ctx context.Context, fn func(blob.Info) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	infos := make([]blob.Info, 0, len(s.objs))
	for name, data := range s.objs {
		infos = append(infos, blob.Info{Name: name, Size: int64(len(data))})
	}
	s.mu.RUnlock()
	for _, fi := range infos {
		if err := fn(fi); err != nil {
			return err
		}
	}
	return nil
}

// Remove deletes the committed object name.
func (s *Store) Remove(ctx context.Context, name string) error {
	if err := check(ctx, "remove", name); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.objs[name]; !ok {
		return fmt.Errorf("mem: remove %s: %w", name, blob.ErrNotFound)
	}
	delete(s.objs, name)
	return nil
}

// writer buffers one object until Commit. It is not safe for concurrent use.
type writer struct {
	s    *Store
	name string
	buf  bytes.Buffer
	done bool
}

func (w *writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, errDone
	}
	return w.buf.Write(p)
}

// Commit stores a copy of the bytes written under the name, or fails with
// blob.ErrExists if the name is taken.
func (w *writer) Commit(ctx context.Context) error {
	if w.done {
		return errDone
	}
	w.done = true
	if err := ctx.Err(); err != nil {
		w.buf = bytes.Buffer{}
		return err
	}
	data := bytes.Clone(w.buf.Bytes())
	w.buf = bytes.Buffer{}
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	if _, ok := w.s.objs[w.name]; ok {
		return fmt.Errorf("mem: commit %s: %w", w.name, blob.ErrExists)
	}
	w.s.objs[w.name] = data
	return nil
}

// Abort discards what was written. It does nothing after Commit.
func (w *writer) Abort() error {
	w.done = true
	w.buf = bytes.Buffer{}
	return nil
}
