package seal

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"

	"sori/internal/evidence"
)

// The name-net key (docs/format.md "Name-net key") keys the hashes of
// sealed names' forms (internal/namenet) that let text be checked for
// names without the identity vault. Every role that writes needs it (what
// they add or publish is checked), and every such role holds the log key,
// so the name-net key is stored once, in the database, wrapped under a key
// derived from the log key:
//
//	log key ─HMAC-SHA256─► wrapping key ─XChaCha20-Poly1305─► name-net key
//
// A user given the log key (user add) can therefore unwrap it, and a
// reader cannot. Removing a user replaces the log key, and so wraps the
// name-net key again (or replaces it).

const (
	nameNetDerive = "sori name-net wrap v1"
	adNameNet     = "sori name-net key v1\x00"
)

// HasNameNet reports whether the keyring can unwrap (or make) the name-net
// key: it holds the log key.
func (k *Keyring) HasNameNet() bool { return k.Log != "" }

func (k *Keyring) nameNetWrap() ([32]byte, error) {
	var w [32]byte
	if !k.HasNameNet() {
		return w, fmt.Errorf("%w: this keyring holds no log key, so no name-net key (roles that write hold it)", evidence.ErrForbidden)
	}
	m := hmac.New(sha256.New, []byte(k.Log))
	m.Write([]byte(nameNetDerive))
	m.Sum(w[:0])
	return w, nil
}

// NewNameNetKey returns a fresh name-net key and the same key wrapped for
// storage.
func (k *Keyring) NewNameNetKey() (key [32]byte, wrapped []byte, err error) {
	w, err := k.nameNetWrap()
	if err != nil {
		return key, nil, err
	}
	defer clear(w[:])
	rand.Read(key[:])
	wrapped, err = seal32(w, adNameNet, key[:])
	return key, wrapped, err
}

// WrapNameNetKey wraps an existing name-net key under this keyring's log
// key: after a log key handover the stored key is wrapped again under the
// new one.
func (k *Keyring) WrapNameNetKey(key [32]byte) ([]byte, error) {
	w, err := k.nameNetWrap()
	if err != nil {
		return nil, err
	}
	defer clear(w[:])
	return seal32(w, adNameNet, key[:])
}

// OpenNameNetKey unwraps a stored name-net key.
func (k *Keyring) OpenNameNetKey(wrapped []byte) ([32]byte, error) {
	var key [32]byte
	w, err := k.nameNetWrap()
	if err != nil {
		return key, err
	}
	defer clear(w[:])
	plain, err := open32(w, adNameNet, wrapped)
	if err != nil || len(plain) != 32 {
		return key, fmt.Errorf("%w: the stored name-net key does not open with this keyring's log key", evidence.ErrDamaged)
	}
	copy(key[:], plain)
	clear(plain)
	return key, nil
}
