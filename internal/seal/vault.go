package seal

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
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

// SealVaultKey encrypts the keyring's vault keys (the current one, then
// the earlier ones) to a user's recipient string.
func (k *Keyring) SealVaultKey(recipient string) ([]byte, error) {
	if !k.HasVault() {
		return nil, fmt.Errorf("%w: this keyring holds no identity vault key", evidence.ErrForbidden)
	}
	r, err := age.ParseX25519Recipient(recipient)
	if err != nil {
		return nil, fmt.Errorf("%w: recipient: %v", evidence.ErrInvalid, err)
	}
	plain := vaultKeyHeader + "\n" + hex.EncodeToString(k.Vault[:]) + "\n"
	for _, old := range k.VaultOld {
		plain += hex.EncodeToString(old[:]) + "\n"
	}
	return encryptBytes([]byte(plain), r)
}

// OpenVaultKey decrypts a sealed vault key file with the user's key into
// ring (Vault and VaultOld).
func OpenVaultKey(sealed []byte, k *UserKey, ring *Keyring) error {
	plain, err := decryptBytes(sealed, k.id)
	if err != nil {
		return fmt.Errorf("%w: vault key file: %v", evidence.ErrDamaged, err)
	}
	lines := strings.Split(strings.TrimSpace(string(plain)), "\n")
	if len(lines) < 2 || lines[0] != vaultKeyHeader {
		return fmt.Errorf("%w: vault key file: unexpected contents", evidence.ErrDamaged)
	}
	keys := make([][32]byte, len(lines)-1)
	for i, l := range lines[1:] {
		if err := decodeHex32(l, &keys[i]); err != nil || keys[i] == [32]byte{} {
			return fmt.Errorf("%w: vault key file: bad key", evidence.ErrDamaged)
		}
	}
	ring.Vault, ring.VaultOld = keys[0], keys[1:]
	return nil
}

// VaultKeyID is a public identifier of the current vault key (the
// database records which one new entries must be wrapped under).
func (k *Keyring) VaultKeyID() string {
	h := hmac.New(sha256.New, k.Vault[:])
	h.Write([]byte("sori vault key id v1"))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// RotateVault returns a copy of k with a fresh vault key, the current one
// moving to VaultOld.
func (k *Keyring) RotateVault() *Keyring {
	out := *k
	out.VaultOld = append([][32]byte{k.Vault}, k.VaultOld...)
	out.Vault = NewVaultKey()
	return &out
}

// RewrapWitness re-wraps an entry's witness key from whichever of from's
// vault keys wrapped it to to's current vault key. The entry itself is not
// touched.
func RewrapWitness(from, to *Keyring, id string, wrapped []byte) ([]byte, error) {
	wk, err := from.unwrap(id, wrapped)
	if err != nil {
		return nil, err
	}
	defer clear(wk)
	return seal32(to.Vault, adWrap+id, wk)
}

func (k *Keyring) unwrap(id string, wrapped []byte) ([]byte, error) {
	for _, v := range append([][32]byte{k.Vault}, k.VaultOld...) {
		if wk, err := open32(v, adWrap+id, wrapped); err == nil && len(wk) == 32 {
			return wk, nil
		}
	}
	return nil, fmt.Errorf("%w: vault entry %s: the witness key does not open", evidence.ErrDamaged, id)
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
	wk, err := k.unwrap(id, wrapped)
	if err != nil {
		return nil, err
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
