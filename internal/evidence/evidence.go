// Package evidence is sori's small vocabulary: identifiers, digests, kinds of
// error and the value types every other package shares. It depends on the
// standard library only and holds no state.
package evidence

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Kinds of error. Packages wrap them with %w; cmd/sori maps them to exit
// codes in one place (and the HTTP layer, later, to status codes).
var (
	// ErrNotFound: no object (item, user, version) has that identifier.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: the input is malformed or violates a rule; nothing changed.
	ErrInvalid = errors.New("invalid input")
	// ErrExists: the thing to create exists already.
	ErrExists = errors.New("already exists")
	// ErrTampered: stored data failed an integrity check (altered, truncated
	// or swapped). Treat the archive as evidence of interference.
	ErrTampered = errors.New("integrity check failed")
	// ErrDamaged: stored data cannot be read at all (corrupt, truncated
	// database, missing files).
	ErrDamaged = errors.New("archive damaged")
	// ErrLocked: the archive could not be unlocked (wrong passphrase, no such
	// user).
	ErrLocked = errors.New("archive locked")
	// ErrForbidden: the acting user's role does not allow the operation.
	ErrForbidden = errors.New("forbidden")
	// ErrBusy: another process holds a lock the operation needs (an
	// archive-wide change such as a key rotation); nothing changed, and the
	// same command can be run again later.
	ErrBusy = errors.New("archive busy")
	// ErrShredded: the item's own key was destroyed (crypto-shredded at a
	// witness's request): its ciphertext stays, and nothing opens it.
	ErrShredded = errors.New("shredded")
	// ErrPending: the operation waits for a second user's approval (four
	// eyes); a request was recorded and nothing else was done.
	ErrPending = errors.New("waits for approval")
)

// IDLen is the length in bytes of an ID.
const IDLen = 16

// ID identifies an item or a record. It is opaque: it reveals nothing about
// the content it names. IDs are written as 32 lowercase hex digits.
type ID [IDLen]byte

// NewID returns a random ID.
func NewID() ID {
	var id ID
	rand.Read(id[:]) // never returns an error (crypto/rand, Go ≥ 1.24)
	return id
}

// ParseID parses the 32-hex-digit form of an ID.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 2*IDLen {
		return id, fmt.Errorf("%w: ID %q: want %d hex digits", ErrInvalid, s, 2*IDLen)
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("%w: ID %q is not hexadecimal", ErrInvalid, s)
	}
	return id, nil
}

// IsZero reports whether id is the zero ID (no ID).
func (id ID) IsZero() bool { return id == ID{} }

func (id ID) String() string { return hex.EncodeToString(id[:]) }

// MarshalText encodes the ID as hex (JSON strings, flags).
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText parses hex.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// MinPrefix is the shortest ID prefix accepted where a user types an ID.
const MinPrefix = 6

// CheckPrefix reports whether s can name an ID: the full ID or a unique
// prefix of at least MinPrefix hex digits. It returns s lowercased.
func CheckPrefix(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) < MinPrefix || len(s) > 2*IDLen {
		return "", fmt.Errorf("%w: ID %q: give the full ID or at least %d of its hex digits", ErrInvalid, s, MinPrefix)
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", fmt.Errorf("%w: ID %q is not hexadecimal", ErrInvalid, s)
		}
	}
	return s, nil
}

// Digest is a SHA-256 value.
type Digest [sha256.Size]byte

// Sum returns the SHA-256 digest of b.
func Sum(b []byte) Digest { return sha256.Sum256(b) }

// ParseDigest parses 64 hex digits.
func ParseDigest(s string) (Digest, error) {
	var d Digest
	if len(s) != 2*len(d) {
		return d, fmt.Errorf("%w: digest %q: want %d hex digits", ErrInvalid, s, 2*len(d))
	}
	if _, err := hex.Decode(d[:], []byte(s)); err != nil {
		return d, fmt.Errorf("%w: digest %q is not hexadecimal", ErrInvalid, s)
	}
	return d, nil
}

func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// MarshalText encodes the digest as hex.
func (d Digest) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses hex.
func (d *Digest) UnmarshalText(b []byte) error {
	v, err := ParseDigest(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
