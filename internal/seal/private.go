package seal

import (
	"errors"
	"fmt"

	"filippo.io/age"

	"sori/internal/evidence"
)

// Private data of one user (a saved search, say): sealed to the user's own
// X25519 key, so that only a session of that user opens it — not another
// user, and not whoever holds the database key.

// SealPrivate encrypts plain (at most 1 MiB) to the user's own key.
func (k *UserKey) SealPrivate(plain []byte) ([]byte, error) {
	if len(plain) > 1<<20 {
		return nil, fmt.Errorf("%w: private data over 1 MiB", evidence.ErrInvalid)
	}
	return encryptBytes(plain, k.id.Recipient())
}

// OpenPrivate decrypts what SealPrivate sealed with this key. Anything
// else (another user's, damaged bytes) gives evidence.ErrDamaged.
func (k *UserKey) OpenPrivate(sealed []byte) ([]byte, error) {
	plain, err := decryptBytes(sealed, k.id)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) {
			return nil, fmt.Errorf("%w: private data sealed to another key", evidence.ErrDamaged)
		}
		return nil, fmt.Errorf("%w: private data cannot be decrypted", evidence.ErrDamaged)
	}
	return plain, nil
}
