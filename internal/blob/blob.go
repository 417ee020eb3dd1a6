// Package blob defines the contract for sori's blob stores: flat namespaces of
// opaque, already-encrypted objects ("packs") written once and never changed.
//
// sori never hands a store anything readable: every byte given to Create is
// ciphertext. A store MUST make an object visible atomically and durably on
// Writer.Commit, MUST NOT show a partial object under its final name at any
// instant (including after a crash), and MUST NOT overwrite an existing object.
//
// Drivers live in subpackages (local, mem, s3) and all pass the one
// conformance suite in blobtest.
package blob

import (
	"context"
	"errors"
	"io"
	"regexp"
)

// Errors every driver returns (wrapped with %w) so callers can inspect them
// with errors.Is.
var (
	// ErrNotFound: no object has that name.
	ErrNotFound = errors.New("blob not found")
	// ErrExists: Commit found an object already committed under that name.
	ErrExists = errors.New("blob already exists")
	// ErrInvalidName: the name does not match ValidName.
	ErrInvalidName = errors.New("invalid blob name")
	// ErrRange: the requested byte range lies outside the object.
	ErrRange = errors.New("blob range out of bounds")
)

var validName = regexp.MustCompile(`^[0-9a-f]{32,64}$`)

// ValidName reports whether name is an acceptable object name: 32 to 64
// lowercase hexadecimal characters. Names carry no meaning a reader of the
// store could use; sori chooses them at random.
func ValidName(name string) bool { return validName.MatchString(name) }

// Info describes a committed object.
type Info struct {
	Name string
	Size int64
}

// Store is the contract every blob driver implements.
type Store interface {
	// Create starts a new object called name. Nothing is visible under name
	// until the returned Writer's Commit returns nil. Create fails with
	// ErrInvalidName for a bad name; it may fail with ErrExists early when the
	// name is already taken, and Commit MUST fail with ErrExists if it is.
	Create(ctx context.Context, name string) (Writer, error)

	// Open returns a reader for length bytes of the object starting at off.
	// length < 0 means "to the end". It fails with ErrNotFound when the object
	// does not exist (checked first), and ErrRange when off is negative or
	// off or off+length lies past its end (or overflows).
	// The reader MAY return an error mid-way (e.g. I/O failure); callers that
	// need integrity authenticate what they read.
	Open(ctx context.Context, name string, off, length int64) (io.ReadCloser, error)

	// Stat reports a committed object's size, or ErrNotFound.
	Stat(ctx context.Context, name string) (Info, error)

	// List calls fn for every committed object, in no particular order. Objects
	// being written (not yet committed) are never listed. If fn returns an
	// error, List stops and returns it.
	List(ctx context.Context, fn func(Info) error) error

	// Remove deletes a committed object. It returns ErrNotFound if there is
	// none. sori removes only unreferenced objects (never evidence).
	Remove(ctx context.Context, name string) error
}

// Sequential is implemented by stores where one long read costs far less
// than many short ones (a remote object store: a request each). Readers of
// many items should then stream each pack once, in offset order, rather
// than read item by item.
type Sequential interface {
	Sequential() bool
}

// Writer receives the bytes of an object being created. It is used by one
// goroutine at a time; Write after Commit or Abort fails.
type Writer interface {
	io.Writer
	// Commit makes the object's bytes durable, then makes it visible under
	// its name atomically, then makes the name durable. After Commit returns
	// nil the object survives a crash or power loss; at no instant is a
	// partial object visible. After an error nothing is visible under the
	// name (unless the error is ErrExists, in which case the earlier object
	// is untouched). Commit is called at most once. ctx bounds the work
	// Commit still has to do (a network driver uploads the rest of the
	// object then); a cancelled Commit publishes nothing.
	Commit(ctx context.Context) error
	// Abort discards everything written. It may be called any number of
	// times and does nothing after Commit (successful or not), so that
	// `defer w.Abort()` is always correct.
	Abort() error
}

// Put is a convenience: it creates name, copies r into it and commits.
func Put(ctx context.Context, s Store, name string, r io.Reader) (int64, error) {
	w, err := s.Create(ctx, name)
	if err != nil {
		return 0, err
	}
	defer w.Abort()
	n, err := io.Copy(w, r)
	if err != nil {
		return n, err
	}
	return n, w.Commit(ctx)
}
