package seal

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"

	"sori/internal/evidence"
)

// An item taken in since per-item keys exist has a key of its own, so that
// it can be crypto-shredded alone (docs/protection.md, "Shredding a
// witness's items"): its age header holds one stanza
//
//	-> sori-item <handle>
//	base64(nonce[24] ‖ XChaCha20-Poly1305(item key, nonce, file key, ad))
//
// with ad = "sori-item <handle>", where the handle is 16 random bytes in
// hex, named again by the item's key row. The item key is 32 random bytes,
// stored in the database wrapped under the content key of a generation:
//
//	nonce[24] ‖ XChaCha20-Poly1305(content key, nonce, item key, "sori-item-key <handle>")
//
// Deleting that row destroys the only copy of the item key; the pack bytes
// stay, ciphertext that no key opens. Items taken in before have a
// sori-content stanza (item.go) and no key row.
const itemStanza = "sori-item"

// ItemKey is an item's key as the database keeps it: wrapped under the
// content key of generation Gen.
type ItemKey struct {
	Handle  string // 32 hex digits, the stanza's argument
	Gen     int
	Wrapped []byte
	// open is the plain key of a row opened by OpenItemKeyIn (a
	// compartment's), never stored.
	open *[32]byte
}

// NewItemKey makes a fresh item key, wrapped under the newest content key,
// and returns it with its plain form for EncryptItemKeyed.
func (k *Keyring) NewItemKey() (ItemKey, [32]byte, error) {
	var key [32]byte
	gen := k.CurrentGen()
	ck, ok := k.Content[gen]
	if !ok {
		return ItemKey{}, key, fmt.Errorf("%w: no content key of generation %d", evidence.ErrLocked, gen)
	}
	var h [16]byte
	rand.Read(h[:])
	rand.Read(key[:])
	handle := hex.EncodeToString(h[:])
	aead, err := chacha20poly1305.NewX(ck[:])
	if err != nil {
		return ItemKey{}, key, err
	}
	nonce := make([]byte, chacha20poly1305.NonceSizeX, chacha20poly1305.NonceSizeX+len(key)+aead.Overhead())
	rand.Read(nonce)
	wrapped := aead.Seal(nonce, nonce, key[:], []byte(itemKeyAD(handle)))
	return ItemKey{Handle: handle, Gen: gen, Wrapped: wrapped}, key, nil
}

func itemKeyAD(handle string) string { return "sori-item-key " + handle }

// openItemKey unwraps ik under the content key of its generation.
func (k *Keyring) openItemKey(ik *ItemKey) ([32]byte, error) {
	var key [32]byte
	if ik.open != nil {
		return *ik.open, nil
	}
	if ik.CompartmentOf() != "" {
		return key, fmt.Errorf("%w: the item is in a compartment this user is not a member of", evidence.ErrForbidden)
	}
	ck, ok := k.Content[ik.Gen]
	if !ok {
		return key, fmt.Errorf("%w: no content key of generation %d", evidence.ErrLocked, ik.Gen)
	}
	aead, err := chacha20poly1305.NewX(ck[:])
	if err != nil {
		return key, err
	}
	if len(ik.Wrapped) != chacha20poly1305.NonceSizeX+len(key)+aead.Overhead() {
		return key, fmt.Errorf("%w: item key %s: bad length", evidence.ErrTampered, ik.Handle)
	}
	nonce, ct := ik.Wrapped[:chacha20poly1305.NonceSizeX], ik.Wrapped[chacha20poly1305.NonceSizeX:]
	plain, err := aead.Open(nil, nonce, ct, []byte(itemKeyAD(ik.Handle)))
	if err != nil {
		return key, fmt.Errorf("%w: item key %s does not authenticate", evidence.ErrTampered, ik.Handle)
	}
	copy(key[:], plain)
	clear(plain)
	return key, nil
}

type itemRecipient struct {
	handle string
	key    [32]byte
}

func (r itemRecipient) Wrap(fileKey []byte) ([]*age.Stanza, error) {
	aead, err := chacha20poly1305.NewX(r.key[:])
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, chacha20poly1305.NonceSizeX, chacha20poly1305.NonceSizeX+len(fileKey)+aead.Overhead())
	rand.Read(nonce)
	body := aead.Seal(nonce, nonce, fileKey, []byte(itemStanza+" "+r.handle))
	return []*age.Stanza{{Type: itemStanza, Args: []string{r.handle}, Body: body}}, nil
}

// unwrapItemStanza opens a sori-item stanza with the item's key row ik
// (nil: the row is gone, the item was shredded).
func (k *Keyring) unwrapItemStanza(s *age.Stanza, ik *ItemKey) ([]byte, error) {
	if len(s.Args) != 1 {
		return nil, fmt.Errorf("bad %s stanza", itemStanza)
	}
	if ik == nil {
		return nil, fmt.Errorf("%w: the item's own key was destroyed; its content cannot be read", evidence.ErrShredded)
	}
	if s.Args[0] != ik.Handle {
		return nil, fmt.Errorf("%s stanza names key %s, but the item's key row is %s", itemStanza, s.Args[0], ik.Handle)
	}
	key, err := k.openItemKey(ik)
	if err != nil {
		return nil, err
	}
	defer clear(key[:])
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		return nil, err
	}
	if len(s.Body) != chacha20poly1305.NonceSizeX+16+aead.Overhead() {
		return nil, fmt.Errorf("bad %s stanza length", itemStanza)
	}
	nonce, ct := s.Body[:chacha20poly1305.NonceSizeX], s.Body[chacha20poly1305.NonceSizeX:]
	fk, err := aead.Open(nil, nonce, ct, []byte(itemStanza+" "+s.Args[0]))
	if err != nil {
		return nil, fmt.Errorf("%s stanza does not authenticate", itemStanza)
	}
	return fk, nil
}

// EncryptItemKeyed returns a writer that encrypts an item's bytes to dst as
// one age file under its own key (plain, from NewItemKey, whose handle is
// ik.Handle). Close finishes the stream (it does not close dst).
func (k *Keyring) EncryptItemKeyed(dst io.Writer, ik ItemKey, plain [32]byte) (io.WriteCloser, error) {
	return age.Encrypt(dst, itemRecipient{handle: ik.Handle, key: plain})
}
