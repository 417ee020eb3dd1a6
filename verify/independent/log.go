// Package independent is a second, deliberately separate verifier of sori
// court bundles, written from the bundle specification alone (the tag file
// sori-bundle-spec.md every bundle carries; internal/bundle holds its source). It imports only the standard library — none of sori's packages,
// nor the transparency-log or signed-note libraries sori itself uses — so
// that a mistake shared by sori's writer and its own verifier, or a gap
// between them and the published text, shows up as a disagreement. Each
// function names the step of the specification it implements; the command
// in cmd/sori-check-bundle runs Check on a directory. Production
// verification is verify.Bundle; this package exists to keep the document
// honest and to show that a court's own programmer can do the same.
package independent

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Constants of the specification. A test checks that each appears in the
// specification's text, so the two cannot drift apart.
const (
	BundleVersion        = "2"                                                  // Sori-Bundle-Version (step 1)
	ProfileID            = "tag:sori.archive,2026:bagit-profile:court-bundle:2" // BagIt-Profile-Identifier (step 1)
	SpecFile             = "sori-bundle-spec.md"                                // the specification, a tag file (step 1)
	LeafPrefix           = "sori leaf v1"                                       // leaf data (step 4.3)
	EntrySignaturePrefix = "sori custody entry v1\n"                            // signed message (step 4.2)
	AgeHeader            = "age-encryption.org/v1\n"                            // an encrypted original (step 5.3)
)

// Hash is a SHA-256 value.
type Hash [32]byte

// LogKey is a parsed log verifier key (step 2).
type LogKey struct {
	Name    string
	KeyHash [4]byte
	Public  ed25519.PublicKey
}

// ParseLogKey parses "NAME+HASH+KEY" (step 2), split at the first two
// "+" (base64 KEY may contain "+"): KEY is base64 of 0x01 ‖ the
// 32-byte Ed25519 key, HASH the hex of the first 4 bytes of
// SHA-256(NAME ‖ "\n" ‖ 0x01 ‖ key).
func ParseLogKey(s string) (LogKey, error) {
	// Split at the first two "+": NAME has none, KEY (base64) may.
	name, rest, ok1 := strings.Cut(s, "+")
	hash16, key64, ok2 := strings.Cut(rest, "+")
	if !ok1 || !ok2 || name == "" || strings.ContainsAny(name, " \t\n") {
		return LogKey{}, errors.New("log key is not NAME+HASH+KEY")
	}
	parts := []string{name, hash16, key64}
	raw, err := strictBase64(parts[2])
	if err != nil || len(raw) != 33 || raw[0] != 0x01 {
		return LogKey{}, errors.New("log key: KEY is not base64 of 0x01 and a 32-byte Ed25519 key")
	}
	hash, err := hex.DecodeString(parts[1])
	if err != nil || len(parts[1]) != 8 {
		return LogKey{}, errors.New("log key: HASH is not 8 hex digits")
	}
	want := keyHash(parts[0], raw[1:])
	if !bytes.Equal(hash, want[:]) {
		return LogKey{}, errors.New("log key: HASH does not match NAME and KEY")
	}
	return LogKey{Name: parts[0], KeyHash: want, Public: ed25519.PublicKey(raw[1:])}, nil
}

// keyHash is the first 4 bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ pub).
func keyHash(name string, pub []byte) [4]byte {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte("\n"))
	h.Write([]byte{0x01})
	h.Write(pub)
	var kh [4]byte
	copy(kh[:], h.Sum(nil))
	return kh
}

// Checkpoint is a verified tree head (step 3).
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   Hash
}

// OpenCheckpoint checks a signed checkpoint note against key (step 3).
func OpenCheckpoint(note []byte, key LogKey) (Checkpoint, error) {
	if !utf8.Valid(note) {
		return Checkpoint{}, errors.New("checkpoint is not UTF-8")
	}
	for _, c := range note {
		if c < 0x20 && c != '\n' {
			return Checkpoint{}, errors.New("checkpoint holds a control character")
		}
	}
	i := bytes.LastIndex(note, []byte("\n\n"))
	if i < 0 {
		return Checkpoint{}, errors.New("checkpoint has no signature block")
	}
	text, sigs := note[:i+1], note[i+2:]
	if len(sigs) == 0 || sigs[len(sigs)-1] != '\n' {
		return Checkpoint{}, errors.New("checkpoint's signature lines do not end in a newline")
	}
	lines := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
	if len(lines) < 3 {
		return Checkpoint{}, errors.New("checkpoint text has fewer than 3 lines")
	}
	if lines[0] != key.Name {
		return Checkpoint{}, fmt.Errorf("checkpoint origin %q is not the log key's name %q", lines[0], key.Name)
	}
	size, err := decimal(lines[1])
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint size: %v", err)
	}
	root, err := strictBase64(lines[2])
	if err != nil || len(root) != 32 {
		return Checkpoint{}, errors.New("checkpoint root is not base64 of 32 bytes")
	}
	verified := false
	for _, line := range strings.Split(strings.TrimSuffix(string(sigs), "\n"), "\n") {
		rest, ok := strings.CutPrefix(line, "\u2014 ")
		name, b64, ok2 := strings.Cut(rest, " ")
		if !ok || !ok2 || name == "" {
			return Checkpoint{}, errors.New("checkpoint signature line is not \"— NAME SIG\"")
		}
		sig, err := strictBase64(b64)
		if err != nil || len(sig) < 5 {
			return Checkpoint{}, errors.New("checkpoint signature is not base64 of a key hash and a signature")
		}
		if name != key.Name || !bytes.Equal(sig[:4], key.KeyHash[:]) {
			continue // another key's signature (a witness's cosignature)
		}
		if len(sig) != 4+ed25519.SignatureSize || !ed25519.Verify(key.Public, text, sig[4:]) {
			return Checkpoint{}, errors.New("checkpoint signature does not verify under the log key")
		}
		verified = true
	}
	if !verified {
		return Checkpoint{}, errors.New("checkpoint is not signed by the log key")
	}
	cp := Checkpoint{Origin: lines[0], Size: size}
	copy(cp.Root[:], root)
	return cp, nil
}

// LeafData is step 4.3:
// SHA-256("sori leaf v1" ‖ 0x00 ‖ salt ‖ content ‖ SHA-256(entry)).
func LeafData(salt, content []byte, entry []byte) Hash {
	es := sha256.Sum256(entry)
	h := sha256.New()
	h.Write([]byte(LeafPrefix))
	h.Write([]byte{0x00})
	h.Write(salt)
	h.Write(content)
	h.Write(es[:])
	var d Hash
	copy(d[:], h.Sum(nil))
	return d
}

// LeafHash is step 4.4: SHA-256(0x00 ‖ leaf data).
func LeafHash(leafData []byte) Hash {
	return sha256.Sum256(append([]byte{0x00}, leafData...))
}

func nodeHash(left, right Hash) Hash {
	b := make([]byte, 0, 65)
	b = append(b, 0x01)
	b = append(b, left[:]...)
	b = append(b, right[:]...)
	return sha256.Sum256(b)
}

// Proof is a parsed C2SP tlog-proof (step 4.5).
type Proof struct {
	Index      uint64
	Path       []Hash
	Checkpoint []byte // the signed note, exactly as in the proof
}

// ParseProof parses a tlog-proof strictly (step 4.5).
func ParseProof(b []byte) (Proof, error) {
	const header = "c2sp.org/tlog-proof@v1\n"
	rest, ok := bytes.CutPrefix(b, []byte(header))
	if !ok {
		return Proof{}, errors.New("tlog-proof: first line is not c2sp.org/tlog-proof@v1")
	}
	line := func() (string, bool) {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return "", false
		}
		l := string(rest[:i])
		rest = rest[i+1:]
		return l, true
	}
	l, ok := line()
	if ok && strings.HasPrefix(l, "extra ") {
		if _, err := strictBase64(strings.TrimPrefix(l, "extra ")); err != nil {
			return Proof{}, errors.New("tlog-proof: extra is not base64")
		}
		l, ok = line()
	}
	idx, found := strings.CutPrefix(l, "index ")
	if !ok || !found {
		return Proof{}, errors.New("tlog-proof: no index line")
	}
	var p Proof
	var err error
	if p.Index, err = decimal(idx); err != nil {
		return Proof{}, fmt.Errorf("tlog-proof index: %v", err)
	}
	for {
		l, ok := line()
		if !ok {
			return Proof{}, errors.New("tlog-proof: no empty line before the checkpoint")
		}
		if l == "" {
			break
		}
		h, err := strictBase64(l)
		if err != nil || len(h) != 32 {
			return Proof{}, errors.New("tlog-proof: a path line is not base64 of 32 bytes")
		}
		p.Path = append(p.Path, Hash(h))
	}
	p.Checkpoint = rest
	return p, nil
}

// RootFromPath walks the audit path of leaf hash leaf at index in a tree
// of size leaves (step 4.6, RFC 9162 §2.1.3.2) and returns the root it
// implies.
func RootFromPath(index, size uint64, leaf Hash, path []Hash) (Hash, error) {
	if index >= size {
		return Hash{}, fmt.Errorf("index %d is outside a tree of %d", index, size)
	}
	fn, sn, r := index, size-1, leaf
	for _, p := range path {
		if sn == 0 {
			return Hash{}, errors.New("audit path is too long")
		}
		if fn%2 == 1 || fn == sn {
			r = nodeHash(p, r)
			if fn%2 == 0 {
				for fn%2 == 0 && fn != 0 {
					fn >>= 1
					sn >>= 1
				}
			}
		} else {
			r = nodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return Hash{}, errors.New("audit path is too short")
	}
	return r, nil
}

// CheckProof runs steps 3, 4.4, 4.5 and 4.6 for one leaf: the proof's
// checkpoint is signed by key, and leafData is entry Index of its tree. It
// returns the proof (for its index) and the checkpoint.
func CheckProof(proof, leafData []byte, key LogKey) (Proof, Checkpoint, error) {
	p, err := ParseProof(proof)
	if err != nil {
		return p, Checkpoint{}, err
	}
	cp, err := OpenCheckpoint(p.Checkpoint, key)
	if err != nil {
		return p, cp, err
	}
	root, err := RootFromPath(p.Index, cp.Size, LeafHash(leafData), p.Path)
	if err != nil {
		return p, cp, err
	}
	if root != cp.Root {
		return p, cp, errors.New("the audit path leads to another root than the checkpoint's")
	}
	return p, cp, nil
}

// strictBase64 decodes standard padded base64 that re-encodes to the same
// text (no unused bits set, no line breaks).
func strictBase64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || base64.StdEncoding.EncodeToString(b) != s {
		return nil, errors.New("not canonical base64")
	}
	return b, nil
}

// decimal parses a non-negative decimal number without leading zeros.
func decimal(s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || strconv.FormatUint(n, 10) != s {
		return 0, fmt.Errorf("%q is not a decimal number", s)
	}
	return n, nil
}
