package seal

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"

	"sori/internal/evidence"
)

// The identity vault (docs/format.md "Identity vault"):
//
//	vault key ─X25519─► <loc>.vault, one file per protection officer
//	vault key ─XChaCha20-Poly1305─► each witness's own key ("wrapped")
//	witness key ─XChaCha20-Poly1305─► the witness's entry ("sealed")
//
// The vault key is not part of the keyring: an admin who is not a
// protection officer rewrites the other users' keyrings when removing a
// user, and must not need (or see) the vault key to do so. Each witness
// entry has its own random key, stored only wrapped under the vault key in
// a mutable database row: deleting that row (crypto-shredding) leaves
// nothing any key decrypts.

const (
	vaultKeyHeader = "# sori vault key v1"
	adWrap         = "sori vault wrap v1\x00"
	adEntry        = "sori vault entry v1\x00"
)

// HasVault reports whether the keyring was given the identity vault key
// (protection officers only).
func (k *Keyring) HasVault() bool { return k.Vault != [32]byte{} }

// NewVaultKey returns a fresh identity vault key.
func NewVaultKey() [32]byte {
	var v [32]byte
	rand.Read(v[:])
	return v
}

// SealVaultKey encrypts the vault key to a user's recipient string.
func SealVaultKey(v [32]byte, recipient string) ([]byte, error) {
	r, err := age.ParseX25519Recipient(recipient)
	if err != nil {
		return nil, fmt.Errorf("%w: recipient: %v", evidence.ErrInvalid, err)
	}
	return encryptBytes([]byte(vaultKeyHeader+"\n"+hex.EncodeToString(v[:])+"\n"), r)
}

// OpenVaultKey decrypts a sealed vault key with the user's key.
func OpenVaultKey(sealed []byte, k *UserKey) ([32]byte, error) {
	var v [32]byte
	plain, err := decryptBytes(sealed, k.id)
	if err != nil {
		return v, fmt.Errorf("%w: vault key file: %v", evidence.ErrDamaged, err)
	}
	lines := strings.Split(strings.TrimSpace(string(plain)), "\n")
	if len(lines) != 2 || lines[0] != vaultKeyHeader {
		return v, fmt.Errorf("%w: vault key file: unexpected contents", evidence.ErrDamaged)
	}
	if err := decodeHex32(lines[1], &v); err != nil || v == [32]byte{} {
		return [32]byte{}, fmt.Errorf("%w: vault key file: bad key", evidence.ErrDamaged)
	}
	return v, nil
}

// SealWitness encrypts a witness entry under a fresh key of its own, and
// that key under the vault key. Both are bound to the entry's ID, so a
// sealed entry moved to another row does not open. It returns the wrapped
// key and the sealed entry; the witness key exists nowhere else.
func (k *Keyring) SealWitness(id string, plain []byte) (wrapped, sealed []byte, err error) {
	if !k.HasVault() {
		return nil, nil, fmt.Errorf("%w: this keyring holds no identity vault key (protection officers only)", evidence.ErrForbidden)
	}
	var wk [32]byte
	rand.Read(wk[:])
	defer clear(wk[:])
	if wrapped, err = seal32(k.Vault, adWrap+id, wk[:]); err != nil {
		return nil, nil, err
	}
	if sealed, err = seal32(wk, adEntry+id, plain); err != nil {
		return nil, nil, err
	}
	return wrapped, sealed, nil
}

// OpenWitness decrypts a witness entry sealed by SealWitness.
func (k *Keyring) OpenWitness(id string, wrapped, sealed []byte) ([]byte, error) {
	if !k.HasVault() {
		return nil, fmt.Errorf("%w: this keyring holds no identity vault key (protection officers only)", evidence.ErrForbidden)
	}
	wk, err := open32(k.Vault, adWrap+id, wrapped)
	if err != nil || len(wk) != 32 {
		return nil, fmt.Errorf("%w: vault entry %s: the witness key does not open", evidence.ErrDamaged, id)
	}
	defer clear(wk)
	var key [32]byte
	copy(key[:], wk)
	defer clear(key[:])
	plain, err := open32(key, adEntry+id, sealed)
	if err != nil {
		return nil, fmt.Errorf("%w: vault entry %s does not authenticate", evidence.ErrDamaged, id)
	}
	return plain, nil
}

func seal32(key [32]byte, ad string, plain []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, chacha20poly1305.NonceSizeX, chacha20poly1305.NonceSizeX+len(plain)+aead.Overhead())
	rand.Read(nonce)
	return aead.Seal(nonce, nonce, plain, []byte(ad)), nil
}

func open32(key [32]byte, ad string, sealed []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		return nil, err
	}
	if len(sealed) < chacha20poly1305.NonceSizeX+aead.Overhead() {
		return nil, fmt.Errorf("too short")
	}
	return aead.Open(nil, sealed[:chacha20poly1305.NonceSizeX], sealed[chacha20poly1305.NonceSizeX:], []byte(ad))
}
