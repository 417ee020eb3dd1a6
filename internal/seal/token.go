package seal

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"filippo.io/age"

	"sori/internal/evidence"
)

// API tokens (docs/format.md "API tokens"). A token's secret is a fresh age
// X25519 identity; the archive keeps only a copy of the user key encrypted
// to its recipient, so the token unlocks the user key (and through it the
// keyring, as the passphrase does) without any scrypt, and the stored form
// never contains the token.
//
//	token secret ─X25519─► <token ID>.token (user key + a binding line)

const tokenKeyHeader = "# sori token key v1"

// ErrBadToken: the token does not open the sealed copy, or the copy is not
// what the token was made for.
var ErrBadToken = fmt.Errorf("%w: the token does not open this archive", evidence.ErrLocked)

// NewTokenSecret returns a fresh token secret (age's "AGE-SECRET-KEY-1…"
// form) and its recipient.
func NewTokenSecret() (secret, recipient string, err error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return "", "", err
	}
	return id.String(), id.Recipient().String(), nil
}

// SealForToken encrypts the user key to a token's recipient, together with
// bind (one line, no newline): what the archive checks on opening, so that a
// sealed copy cannot be passed off as another token's or another user's.
func (k *UserKey) SealForToken(recipient, bind string) ([]byte, error) {
	if strings.ContainsAny(bind, "\r\n") || bind == "" {
		return nil, fmt.Errorf("%w: token binding must be one line", evidence.ErrInvalid)
	}
	r, err := age.ParseX25519Recipient(recipient)
	if err != nil {
		return nil, fmt.Errorf("%w: token recipient: %v", evidence.ErrInvalid, err)
	}
	plain := tokenKeyHeader + "\n" + bind + "\n" + k.id.String() + "\n" + base64.StdEncoding.EncodeToString(k.sign.Seed()) + "\n"
	return encryptBytes([]byte(plain), r)
}

// OpenTokenKey decrypts a copy sealed by SealForToken with the token
// secret and returns the user key and the binding line. A secret that is
// not an age identity, or not the copy's, gives ErrBadToken; a copy that
// opens but is malformed, evidence.ErrDamaged. The error never contains
// the secret.
func OpenTokenKey(sealed []byte, secret string) (*UserKey, string, error) {
	id, err := age.ParseX25519Identity(secret)
	if err != nil {
		return nil, "", ErrBadToken
	}
	plain, err := decryptBytes(sealed, id)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) {
			return nil, "", ErrBadToken
		}
		return nil, "", fmt.Errorf("%w: token key file: cannot be decrypted", evidence.ErrDamaged)
	}
	lines := strings.Split(strings.TrimSuffix(string(plain), "\n"), "\n")
	if len(lines) != 4 || lines[0] != tokenKeyHeader {
		return nil, "", fmt.Errorf("%w: token key file: unexpected contents", evidence.ErrDamaged)
	}
	xid, err := age.ParseX25519Identity(lines[2])
	if err != nil {
		return nil, "", fmt.Errorf("%w: token key file: bad identity", evidence.ErrDamaged)
	}
	seed, err := base64.StdEncoding.DecodeString(lines[3])
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, "", fmt.Errorf("%w: token key file: bad signing key", evidence.ErrDamaged)
	}
	return &UserKey{id: xid, sign: ed25519.NewKeyFromSeed(seed)}, lines[1], nil
}
