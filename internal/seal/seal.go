// Package seal holds sori's keys and every use of them: passphrase-protected
// user keys, the keyring of archive keys granted to a user, and the age
// encryption of evidence. It is the only package that imports filippo.io/age
// (an architecture test guards this).
//
// Key hierarchy (docs/format.md "keys"):
//
//	passphrase ─scrypt─► user key (age X25519 identity + Ed25519 signing key)
//	user key ─X25519─► keyring (database key, ID key, content keys)
//	content key ─XChaCha20-Poly1305─► each item's age file key ("sori-content" stanza)
//	user key ─X25519─► vault key (protection officers; vault.go)
//	vault key ─XChaCha20-Poly1305─► witness key ─XChaCha20-Poly1305─► vault entry
//
// Every secret lives in memory only while an archive is open. Nothing here
// logs, and no error message contains key material.
package seal

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"

	"sori/internal/evidence"
)

// DefaultWorkFactor is the scrypt work factor (log2 N, with r=8, p=1)
// protecting user keys: 2^17 is OWASP's recommended minimum for scrypt
// (Password Storage Cheat Sheet), 128 MiB of memory per unlock. age's CLI
// default is 18.
const DefaultWorkFactor = 17

// MaxWorkFactor is the highest work factor OpenUserKey accepts, and Seal
// writes: one above what sori writes. A key file asking for more (each step
// doubles the time and memory of an unlock) is refused with
// ErrWorkFactorTooHigh before any key derivation, rather than left to run
// for minutes and gigabytes or to be reported as a wrong passphrase.
const MaxWorkFactor = DefaultWorkFactor + 1

// MinWorkFactor is the lowest work factor accepted. Values below
// DefaultWorkFactor are for tests only.
const MinWorkFactor = 10

// ErrWrongPassphrase: the passphrase does not open the user key.
var ErrWrongPassphrase = fmt.Errorf("%w: wrong passphrase", evidence.ErrLocked)

// ErrWorkFactorTooHigh: a user key file's scrypt work factor is above
// MaxWorkFactor. sori never writes such a file; the passphrase was not tried.
var ErrWorkFactorTooHigh = fmt.Errorf("%w: user key file: scrypt work factor too high", evidence.ErrDamaged)

// UserKey is one user's secret key pair.
type UserKey struct {
	id   *age.X25519Identity
	sign ed25519.PrivateKey
}

// NewUserKey generates a user key.
func NewUserKey() (*UserKey, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, err
	}
	_, sign, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return &UserKey{id: id, sign: sign}, nil
}

// Recipient is the public half that keyrings are encrypted to ("age1…").
func (k *UserKey) Recipient() string { return k.id.Recipient().String() }

// SigningPublic is the Ed25519 public key.
func (k *UserKey) SigningPublic() ed25519.PublicKey { return k.sign.Public().(ed25519.PublicKey) }

// KeyID is a short public identifier of the user key: the first 16 bytes of
// SHA-256 of the recipient string, in hex. It is what records name as actor.
func (k *UserKey) KeyID() string { return KeyID(k.Recipient()) }

// KeyID computes the key ID for a recipient string.
func KeyID(recipient string) string {
	h := sha256.Sum256([]byte(recipient))
	return hex.EncodeToString(h[:16])
}

// Sign signs msg with the user's Ed25519 key.
func (k *UserKey) Sign(msg []byte) []byte { return ed25519.Sign(k.sign, msg) }

const userKeyHeader = "# sori user key v1"

// Seal encrypts the user key under a passphrase with age's scrypt recipient,
// so stock `age -d` can open it too. The plaintext is three lines: a header,
// the age identity, and the base64 Ed25519 seed.
func (k *UserKey) Seal(passphrase string, workFactor int) ([]byte, error) {
	if passphrase == "" {
		return nil, fmt.Errorf("%w: empty passphrase", evidence.ErrInvalid)
	}
	if workFactor < MinWorkFactor || workFactor > MaxWorkFactor {
		return nil, fmt.Errorf("%w: scrypt work factor %d out of range", evidence.ErrInvalid, workFactor)
	}
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return nil, err
	}
	r.SetWorkFactor(workFactor)
	plain := userKeyHeader + "\n" + k.id.String() + "\n" + base64.StdEncoding.EncodeToString(k.sign.Seed()) + "\n"
	return encryptBytes([]byte(plain), r)
}

// OpenUserKey decrypts a sealed user key with age's own scrypt identity. A
// wrong passphrase gives ErrWrongPassphrase; a work factor above
// MaxWorkFactor gives ErrWorkFactorTooHigh (without deriving a key);
// anything else malformed gives evidence.ErrDamaged.
func OpenUserKey(sealed []byte, passphrase string) (*UserKey, error) {
	if passphrase == "" {
		return nil, ErrWrongPassphrase
	}
	id, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	id.SetMaxWorkFactor(MaxWorkFactor)
	plain, err := decryptBytes(sealed, cappedScrypt{id})
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		switch {
		case errors.Is(err, ErrWorkFactorTooHigh):
			return nil, err
		case errors.As(err, &noMatch):
			return nil, ErrWrongPassphrase
		}
		return nil, fmt.Errorf("%w: user key file: %v", evidence.ErrDamaged, err)
	}
	lines := strings.Split(strings.TrimSpace(string(plain)), "\n")
	if len(lines) != 3 || lines[0] != userKeyHeader {
		return nil, fmt.Errorf("%w: user key file: unexpected contents", evidence.ErrDamaged)
	}
	xid, err := age.ParseX25519Identity(lines[1])
	if err != nil {
		return nil, fmt.Errorf("%w: user key file: bad identity", evidence.ErrDamaged)
	}
	seed, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%w: user key file: bad signing key", evidence.ErrDamaged)
	}
	return &UserKey{id: xid, sign: ed25519.NewKeyFromSeed(seed)}, nil
}

// cappedScrypt is age's scrypt identity behind a check of the stanza's work
// factor, so that a file above MaxWorkFactor is told apart from a wrong
// passphrase: age refuses it too (SetMaxWorkFactor), but with an error of no
// kind. It reads the one argument only; age parses the header, checks the
// stanza and derives the key.
type cappedScrypt struct{ id *age.ScryptIdentity }

func (c cappedScrypt) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	for _, s := range stanzas {
		if s.Type != "scrypt" || len(s.Args) != 2 {
			continue
		}
		if n, ok := workFactorArg(s.Args[1]); ok && n > MaxWorkFactor {
			return nil, fmt.Errorf("%w: %d is above the %d this sori opens (it writes %d)", ErrWorkFactorTooHigh, n, MaxWorkFactor, DefaultWorkFactor)
		}
	}
	return c.id.Unwrap(stanzas)
}

// workFactorArg reads an scrypt stanza's work factor as age-encryption.org/v1
// writes it: decimal, no leading zero. Anything else is left to age, which
// refuses it; a number too long to hold is reported as huge.
func workFactorArg(w string) (int, bool) {
	if w == "" || w[0] < '1' || w[0] > '9' {
		return 0, false
	}
	n := 0
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return 0, false
		}
		if n < 1000 {
			n = n*10 + int(w[i]-'0')
		}
	}
	return n, true
}

// Keyring is the set of archive keys granted to a user.
type Keyring struct {
	// DB is the key of the encrypted metadata database.
	DB [32]byte
	// DBOld are the database keys replaced by key rotations, newest first:
	// a copy of meta.db made before one (a replica between its steps) is
	// under one of them. A removed user is given none of the later ones.
	DBOld [][32]byte
	// IDKey derives item IDs from content digests (so that the same bytes
	// give the same item, and an ID reveals nothing about the bytes). All
	// zero for users whose role may not add evidence (see HasIDKey).
	IDKey [32]byte
	// Content holds the symmetric content keys by generation; new items are
	// encrypted under the newest.
	Content map[int][32]byte
	// Log is the secret key (signed-note form) that signs the archive's
	// custody checkpoints; empty for users who may not write.
	Log string
	// LogOld are the log keys that handovers replaced, newest first, kept
	// for one purpose: a keyring written before its rotation committed (on
	// PostgreSQL) or a replica's copy between its steps meets a database
	// whose key in force is still an earlier one (UseLog).
	LogOld []string
	// Vault is the identity vault key, all zero unless the user is a
	// protection officer. It is not sealed with the keyring but in a file
	// of its own (SealVaultKey), so that it is never rewritten, or needed,
	// by those who rewrite keyrings.
	Vault [32]byte
	// VaultOld are earlier vault keys (replaced when a protection officer
	// was removed), newest first: they still open entries a rotation that
	// did not commit left wrapped under them.
	VaultOld [][32]byte
}

// NewKeyring generates a fresh keyring with content generation 1.
func NewKeyring() (*Keyring, error) {
	k := &Keyring{Content: map[int][32]byte{}}
	rand.Read(k.DB[:])
	rand.Read(k.IDKey[:])
	var c [32]byte
	rand.Read(c[:])
	k.Content[1] = c
	return k, nil
}

// CurrentGen is the newest content generation.
func (k *Keyring) CurrentGen() int {
	g := 0
	for n := range k.Content {
		g = max(g, n)
	}
	return g
}

// ItemID derives the ID of the item whose plaintext has SHA-256 sum.
func (k *Keyring) ItemID(sum evidence.Digest) evidence.ID {
	m := hmac.New(sha256.New, k.IDKey[:])
	m.Write([]byte("sori item id v1\x00"))
	m.Write(sum[:])
	var id evidence.ID
	copy(id[:], m.Sum(nil))
	return id
}

// HasIDKey reports whether the keyring holds the item ID key (only users
// who may add evidence do).
func (k *Keyring) HasIDKey() bool { return k.IDKey != [32]byte{} }

// Grant is what a keyring given to a user holds beyond the database key
// and the content keys, which every member needs to read.
type Grant struct {
	IDKey bool // may add evidence: derives item IDs
	Log   bool // may record changes: signs custody checkpoints
}

// Subset returns a copy of k with only what g grants, and the content keys
// of generations up to maxGen (all of them if maxGen is 0). It fails with
// evidence.ErrForbidden if k lacks a key that g asks for: a user can only
// pass on keys they hold.
func (k *Keyring) Subset(g Grant, maxGen int) (*Keyring, error) {
	out := &Keyring{DB: k.DB, DBOld: k.DBOld, Content: map[int][32]byte{}}
	if g.IDKey {
		if !k.HasIDKey() {
			return nil, fmt.Errorf("%w: the granting keyring holds no item ID key", evidence.ErrForbidden)
		}
		out.IDKey = k.IDKey
	}
	if g.Log {
		if k.Log == "" {
			return nil, fmt.Errorf("%w: the granting keyring holds no log key", evidence.ErrForbidden)
		}
		out.Log = k.Log // not LogOld: only a rotation passes that on
	}
	for gen, c := range k.Content {
		if maxGen == 0 || gen <= maxGen {
			out.Content[gen] = c
		}
	}
	if len(out.Content) == 0 {
		return nil, fmt.Errorf("%w: no content key up to generation %d", evidence.ErrLocked, maxGen)
	}
	return out, nil
}

// NewContentGen returns a copy of k with a fresh content key of the next
// generation, and that generation. New items are encrypted under it;
// whoever is not given the new keyring cannot read them, while the older
// generations still read older items.
func (k *Keyring) NewContentGen() (*Keyring, int) {
	out := &Keyring{DB: k.DB, DBOld: k.DBOld, IDKey: k.IDKey, Log: k.Log, LogOld: k.LogOld, Vault: k.Vault, VaultOld: k.VaultOld, Content: map[int][32]byte{}}
	for gen, c := range k.Content {
		out.Content[gen] = c
	}
	gen := k.CurrentGen() + 1
	var c [32]byte
	rand.Read(c[:])
	out.Content[gen] = c
	return out, gen
}

// DropGensAbove removes content keys of generations above gen (left in a
// keyring by a user removal that did not complete).
func (k *Keyring) DropGensAbove(gen int) {
	for g := range k.Content {
		if g > gen {
			delete(k.Content, g)
		}
	}
}

type keyringJSON struct {
	V       int               `json:"v"`
	DB      string            `json:"db"`
	DBOld   []string          `json:"db_old,omitempty"`
	IDKey   string            `json:"id_key,omitempty"`
	Content map[string]string `json:"content"`
	Log     string            `json:"log,omitempty"`
	LogOld  []string          `json:"log_old,omitempty"`
}

// SealTo encrypts the keyring to a user's recipient string.
func (k *Keyring) SealTo(recipient string) ([]byte, error) {
	r, err := age.ParseX25519Recipient(recipient)
	if err != nil {
		return nil, fmt.Errorf("%w: recipient: %v", evidence.ErrInvalid, err)
	}
	j := keyringJSON{V: 1, DB: hex.EncodeToString(k.DB[:]), Content: map[string]string{}, Log: k.Log, LogOld: k.LogOld}
	if k.HasIDKey() {
		j.IDKey = hex.EncodeToString(k.IDKey[:])
	}
	for _, o := range k.DBOld {
		j.DBOld = append(j.DBOld, hex.EncodeToString(o[:]))
	}
	for g, c := range k.Content {
		j.Content[fmt.Sprint(g)] = hex.EncodeToString(c[:])
	}
	plain, err := json.Marshal(j)
	if err != nil {
		return nil, err
	}
	return encryptBytes(plain, r)
}

// OpenKeyring decrypts a keyring with the user's key.
func OpenKeyring(sealed []byte, k *UserKey) (*Keyring, error) {
	plain, err := decryptBytes(sealed, k.id)
	if err != nil {
		return nil, fmt.Errorf("%w: keyring: %v", evidence.ErrDamaged, err)
	}
	var j keyringJSON
	if err := json.Unmarshal(plain, &j); err != nil || j.V != 1 {
		return nil, fmt.Errorf("%w: keyring: unexpected contents", evidence.ErrDamaged)
	}
	ring := &Keyring{Content: map[int][32]byte{}, Log: j.Log, LogOld: j.LogOld}
	if err := decodeHex32(j.DB, &ring.DB); err != nil {
		return nil, err
	}
	for _, s := range j.DBOld {
		var o [32]byte
		if err := decodeHex32(s, &o); err != nil {
			return nil, err
		}
		ring.DBOld = append(ring.DBOld, o)
	}
	if j.IDKey != "" {
		if err := decodeHex32(j.IDKey, &ring.IDKey); err != nil {
			return nil, err
		}
	}
	for g, s := range j.Content {
		var n int
		if _, err := fmt.Sscan(g, &n); err != nil || n < 1 {
			return nil, fmt.Errorf("%w: keyring: bad generation", evidence.ErrDamaged)
		}
		var c [32]byte
		if err := decodeHex32(s, &c); err != nil {
			return nil, err
		}
		ring.Content[n] = c
	}
	if len(ring.Content) == 0 {
		return nil, fmt.Errorf("%w: keyring: no content key", evidence.ErrDamaged)
	}
	return ring, nil
}

func decodeHex32(s string, dst *[32]byte) error {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return fmt.Errorf("%w: keyring: bad key", evidence.ErrDamaged)
	}
	copy(dst[:], b)
	return nil
}

func encryptBytes(plain []byte, r age.Recipient) ([]byte, error) {
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(plain); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func decryptBytes(sealed []byte, id age.Identity) ([]byte, error) {
	r, err := age.Decrypt(bytes.NewReader(sealed), id)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(r, 1<<20))
}
