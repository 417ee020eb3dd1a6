package seal

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"

	"sori/internal/evidence"
)

// A compartment (need-to-know) has symmetric keys by generation, 32 random
// bytes each, held only by its members (docs/roles.md, "Compartments"). A
// member's copy of a generation is an age file encrypted to the member's
// X25519 recipient, whose plaintext is one line:
//
//	sori-compartment-key <compartment ID> <gen> <64 hex digits>
//
// What a compartment holds is sealed under one of its keys:
//
//   - a record version or an item's record version is stored as the
//     envelope SealedRecord, whose ciphertext is the canonical record;
//   - an item's own key (itemkey.go) is wrapped under the compartment key
//     instead of the content key: its key row's Wrapped is
//     "sori-c <compartment ID> " ‖ nonce[24] ‖ XChaCha20-Poly1305(key, nonce,
//     item key, "sori-item-key <handle> <compartment ID> <gen>"), and Gen
//     is the compartment key's generation.
//
// Every seal is XChaCha20-Poly1305 with a fresh random nonce.

const compartmentKeyLine = "sori-compartment-key"

// NewCompartmentKey returns a fresh compartment key.
func NewCompartmentKey() [32]byte {
	var k [32]byte
	rand.Read(k[:])
	return k
}

// SealCompartmentKey encrypts generation gen of compartment cid's key to
// a member's age recipient.
func SealCompartmentKey(key [32]byte, cid string, gen int, recipient string) ([]byte, error) {
	r, err := age.ParseX25519Recipient(recipient)
	if err != nil {
		return nil, fmt.Errorf("%w: member's recipient: %v", evidence.ErrDamaged, err)
	}
	line := fmt.Sprintf("%s %s %d %s\n", compartmentKeyLine, cid, gen, hex.EncodeToString(key[:]))
	return encryptBytes([]byte(line), r)
}

// OpenCompartmentKey opens a member's copy of generation gen of compartment
// cid's key with the member's user key. A copy that names another
// compartment or generation is refused.
func (k *UserKey) OpenCompartmentKey(sealed []byte, cid string, gen int) ([32]byte, error) {
	var key [32]byte
	plain, err := decryptBytes(sealed, k.id)
	if err != nil {
		return key, fmt.Errorf("%w: compartment key: not sealed to this user", evidence.ErrLocked)
	}
	defer clear(plain)
	f := strings.Fields(string(plain))
	if len(f) != 4 || f[0] != compartmentKeyLine || f[1] != cid || f[2] != strconv.Itoa(gen) {
		return key, fmt.Errorf("%w: compartment key copy names another compartment or generation", evidence.ErrTampered)
	}
	if err := decodeHex32(f[3], &key); err != nil {
		return key, err
	}
	return key, nil
}

// SealedRecord is how a record version in a compartment is stored: the
// kind's canonical record, encrypted under the compartment's key of
// generation Gen. Its digest (the row's, the custody entry's, the next
// version's Prev) is the digest of the canonical record inside, so that a
// member's export carries records a court checks as any other.
type SealedRecord struct {
	Sealed      int    `json:"sealed"` // 1
	Compartment string `json:"compartment"`
	Gen         int    `json:"gen"`
	Box         []byte `json:"box"` // nonce[24] ‖ ciphertext
}

var sealedPrefix = []byte(`{"sealed":`)

// IsSealed reports whether a stored record is a SealedRecord envelope
// (canonical records begin {"v":).
func IsSealed(stored []byte) bool { return bytes.HasPrefix(stored, sealedPrefix) }

// ParseSealed decodes a stored envelope.
func ParseSealed(stored []byte) (SealedRecord, error) {
	var s SealedRecord
	if err := json.Unmarshal(stored, &s); err != nil {
		return s, fmt.Errorf("%w: sealed record: %v", evidence.ErrDamaged, err)
	}
	if s.Sealed != 1 || s.Compartment == "" || s.Gen < 1 || len(s.Box) < chacha20poly1305.NonceSizeX+chacha20poly1305.Overhead {
		return s, fmt.Errorf("%w: sealed record: bad envelope", evidence.ErrDamaged)
	}
	return s, nil
}

// recordAD binds a sealed record to its place: which compartment and
// generation, and which record ("item 3fa4… 2" or "record 9d1e… 1").
func recordAD(cid string, gen int, place string) string {
	return fmt.Sprintf("sori-compartment %s %d %s", cid, gen, place)
}

// SealRecordIn seals canonical record bytes plain under a compartment key;
// place names the record ("item <id> <version>", "record <id> <version>").
func SealRecordIn(key [32]byte, cid string, gen int, place string, plain []byte) ([]byte, error) {
	box, err := seal32(key, recordAD(cid, gen, place), plain)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(SealedRecord{Sealed: 1, Compartment: cid, Gen: gen, Box: box})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Open opens the envelope with its compartment key; an envelope moved to
// another place, or altered, does not authenticate.
func (s SealedRecord) Open(key [32]byte, place string) ([]byte, error) {
	plain, err := open32(key, recordAD(s.Compartment, s.Gen, place), s.Box)
	if err != nil {
		return nil, fmt.Errorf("%w: sealed %s does not authenticate under its compartment key", evidence.ErrTampered, place)
	}
	return plain, nil
}

const compartmentWrap = "sori-c "

// CompartmentOf reports the compartment an item key row is wrapped under
// ("" for the content key).
func (ik *ItemKey) CompartmentOf() string {
	if !bytes.HasPrefix(ik.Wrapped, []byte(compartmentWrap)) {
		return ""
	}
	rest := ik.Wrapped[len(compartmentWrap):]
	i := bytes.IndexByte(rest, ' ')
	if i <= 0 {
		return ""
	}
	return string(rest[:i])
}

func itemKeyInAD(handle, cid string, gen int) string {
	return fmt.Sprintf("sori-item-key %s %s %d", handle, cid, gen)
}

// NewItemKeyIn is NewItemKey for an item in a compartment: the item key
// is wrapped under generation gen of compartment cid's key.
func NewItemKeyIn(ck [32]byte, cid string, gen int) (ItemKey, [32]byte, error) {
	var key [32]byte
	var h [16]byte
	rand.Read(h[:])
	rand.Read(key[:])
	ik, err := WrapItemKeyIn(ck, cid, gen, hex.EncodeToString(h[:]), key)
	return ik, key, err
}

// WrapItemKeyIn wraps an item's key (handle, plain) under a compartment
// key: for intake, and to move an item into a compartment.
func WrapItemKeyIn(ck [32]byte, cid string, gen int, handle string, plain [32]byte) (ItemKey, error) {
	box, err := seal32(ck, itemKeyInAD(handle, cid, gen), plain[:])
	if err != nil {
		return ItemKey{}, err
	}
	wrapped := append([]byte(compartmentWrap+cid+" "), box...)
	return ItemKey{Handle: handle, Gen: gen, Wrapped: wrapped}, nil
}

// OpenItemKeyIn unwraps a compartment-wrapped item key row with its
// compartment key and returns a row the keyring opens without it.
func OpenItemKeyIn(ck [32]byte, ik ItemKey) (ItemKey, error) {
	cid := ik.CompartmentOf()
	if cid == "" {
		return ik, fmt.Errorf("%w: item key %s is not wrapped under a compartment key", evidence.ErrDamaged, ik.Handle)
	}
	box := ik.Wrapped[len(compartmentWrap)+len(cid)+1:]
	plain, err := open32(ck, itemKeyInAD(ik.Handle, cid, ik.Gen), box)
	if err != nil || len(plain) != 32 {
		return ik, fmt.Errorf("%w: item key %s does not authenticate under its compartment key", evidence.ErrTampered, ik.Handle)
	}
	var key [32]byte
	copy(key[:], plain)
	clear(plain)
	return ItemKey{Handle: ik.Handle, Gen: ik.Gen, Wrapped: ik.Wrapped, open: &key}, nil
}

// UnwrapItemKey returns an item's plain key from a row the keyring opens
// (content-wrapped, or opened by OpenItemKeyIn): to move it.
func (k *Keyring) UnwrapItemKey(ik ItemKey) ([32]byte, error) { return k.openItemKey(&ik) }
