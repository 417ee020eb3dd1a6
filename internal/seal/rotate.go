package seal

import (
	"crypto/rand"
	"fmt"

	"sori/internal/evidence"
)

// Key rotation (docs/format.md "Key rotation"): when a user is removed, or
// loses a role that granted a key, the keys they held are replaced in the
// keyrings of the others. Item IDs are stored, never recomputed, so an
// item keeps the ID it was given under an earlier ID key; intake's
// deduplication still finds it by computing the ID under every earlier key
// too. Those earlier keys are kept in the database, sealed under the
// current ID key, so that only holders of the current key read them.

const adIDHistory = "sori id key history v1\x00"

// Rotated returns a copy of k with a fresh database key (the current one
// moving to DBOld), a fresh item ID key if k holds one and idKey is set,
// and the same other keys.
func (k *Keyring) Rotated(idKey bool) *Keyring {
	out := &Keyring{IDKey: k.IDKey, Log: k.Log, LogOld: k.LogOld, Vault: k.Vault, VaultOld: k.VaultOld, Content: map[int][32]byte{}}
	for gen, c := range k.Content {
		out.Content[gen] = c
	}
	out.DBOld = append([][32]byte{k.DB}, k.DBOld...)
	rand.Read(out.DB[:])
	if idKey && k.HasIDKey() {
		rand.Read(out.IDKey[:])
	}
	return out
}

// SealIDHistory seals earlier item ID keys (newest first) under k's ID key.
func (k *Keyring) SealIDHistory(old [][32]byte) ([]byte, error) {
	if !k.HasIDKey() {
		return nil, fmt.Errorf("%w: this keyring holds no item ID key", evidence.ErrForbidden)
	}
	plain := make([]byte, 0, 32*len(old))
	for _, o := range old {
		plain = append(plain, o[:]...)
	}
	defer clear(plain)
	return seal32(k.IDKey, adIDHistory, plain)
}

// OpenIDHistory opens what SealIDHistory sealed under k's ID key.
func (k *Keyring) OpenIDHistory(sealed []byte) ([][32]byte, error) {
	if !k.HasIDKey() {
		return nil, fmt.Errorf("%w: this keyring holds no item ID key", evidence.ErrForbidden)
	}
	plain, err := open32(k.IDKey, adIDHistory, sealed)
	if err != nil || len(plain)%32 != 0 {
		return nil, fmt.Errorf("%w: the earlier item ID keys do not open with this keyring's ID key", evidence.ErrDamaged)
	}
	defer clear(plain)
	out := make([][32]byte, len(plain)/32)
	for i := range out {
		copy(out[i][:], plain[32*i:])
	}
	return out, nil
}

// ItemIDUnder derives an item ID as ItemID does, under another ID key.
func ItemIDUnder(idKey [32]byte, sum evidence.Digest) evidence.ID {
	return (&Keyring{IDKey: idKey}).ItemID(sum)
}

// WithLog returns a copy of k whose log key is skey, the current one
// becoming LogOld (a log key handover). Only the one it replaces is kept:
// that is all a keyring ahead of its database needs.
func (k *Keyring) WithLog(skey string) *Keyring {
	out := *k
	out.LogOld = []string{k.Log}
	out.Log = skey
	return &out
}

// UseLog makes skey, one of the keyring's log keys, the one it signs with
// (the key in force in the database it opened): the keys are reordered, none
// is dropped. It reports whether skey was among them.
func (k *Keyring) UseLog(skey string) bool {
	if skey == k.Log {
		return true
	}
	for i, o := range k.LogOld {
		if o == skey {
			old := append([]string{k.Log}, k.LogOld[:i]...)
			k.LogOld = append(old, k.LogOld[i+1:]...)
			k.Log = skey
			return true
		}
	}
	return false
}
