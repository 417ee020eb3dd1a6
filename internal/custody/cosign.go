package custody

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"sori/internal/evidence"
)

// Witness cosigning (C2SP tlog-witness, tlog-cosignature): a witness checks
// that each checkpoint it is shown extends the last one it cosigned for the
// log, and returns a cosignature/v1 signature line over the checkpoint.

const (
	algEd25519         = 0x01
	algCosignatureV1   = 0x04
	cosignatureContext = "cosignature/v1\ntime "
)

// WitnessKey is a witness's Ed25519 cosignature/v1 verifier key.
type WitnessKey struct {
	Name string
	Hash uint32 // key ID: SHA-256(name ‖ "\n" ‖ 0x04 ‖ public key)[:4]
	Pub  ed25519.PublicKey
}

// ParseWitnessKey parses a verifier key "NAME+HASH+BASE64(0x04 ‖ key)" (an
// Ed25519 key of type 0x01 is taken as the same key for cosignature/v1,
// with its key ID recomputed). Errors wrap evidence.ErrInvalid.
func ParseWitnessKey(vkey string) (WitnessKey, error) {
	bad := fmt.Errorf("%w: %q is not an Ed25519 witness verifier key (NAME+HASH+BASE64)", evidence.ErrInvalid, vkey)
	name, rest, ok1 := strings.Cut(vkey, "+")
	hash16, key64, ok2 := strings.Cut(rest, "+")
	if !ok1 || !ok2 || name == "" || len(hash16) != 8 || strings.ContainsAny(name, " \n+") {
		return WitnessKey{}, bad
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(key64)
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || (raw[0] != algEd25519 && raw[0] != algCosignatureV1) {
		return WitnessKey{}, bad
	}
	h, err := strconv.ParseUint(hash16, 16, 32)
	if err != nil {
		return WitnessKey{}, bad
	}
	if keyID(name, raw) != uint32(h) {
		return WitnessKey{}, fmt.Errorf("%w: witness key %q: its hash does not match", evidence.ErrInvalid, vkey)
	}
	pub := ed25519.PublicKey(bytes.Clone(raw[1:]))
	return WitnessKey{Name: name, Hash: keyID(name, append([]byte{algCosignatureV1}, pub...)), Pub: pub}, nil
}

func keyID(name string, algKey []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name + "\n"))
	h.Write(algKey)
	return binary.BigEndian.Uint32(h.Sum(nil)[:4])
}

// AddCheckpointRequest is the body of a tlog-witness add-checkpoint
// request: "old SIZE", the consistency proof from SIZE to the checkpoint
// (one base64 hash a line), a blank line, and the signed checkpoint.
func AddCheckpointRequest(oldSize int64, proof tlog.TreeProof, note []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", oldSize)
	for _, h := range proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
	}
	b.WriteString("\n")
	b.Write(note)
	return b.Bytes()
}

// Cosignature is a verified cosignature of a checkpoint.
type Cosignature struct {
	Line string    // the signature line, "— NAME BASE64\n"
	Time time.Time // when the witness cosigned
}

// CheckCosignature finds, in a witness's response body (signature lines),
// the cosignature/v1 line of key w over the checkpoint note, and verifies
// it. Errors wrap evidence.ErrTampered.
func CheckCosignature(note []byte, body []byte, w WitnessKey) (Cosignature, error) {
	text, err := NoteText(note)
	if err != nil {
		return Cosignature{}, err
	}
	for _, line := range strings.SplitAfter(string(body), "\n") {
		rest, ok := strings.CutPrefix(line, "— "+w.Name+" ")
		if !ok || !strings.HasSuffix(rest, "\n") {
			continue
		}
		raw, err := base64.StdEncoding.Strict().DecodeString(strings.TrimSuffix(rest, "\n"))
		if err != nil || len(raw) != 4+8+ed25519.SignatureSize || binary.BigEndian.Uint32(raw[:4]) != w.Hash {
			continue
		}
		ts := binary.BigEndian.Uint64(raw[4:12])
		msg := []byte(cosignatureContext + strconv.FormatUint(ts, 10) + "\n" + string(text))
		if !ed25519.Verify(w.Pub, msg, raw[12:]) || ts > 1<<62 {
			return Cosignature{}, fmt.Errorf("%w: the cosignature of witness %s does not verify", evidence.ErrTampered, w.Name)
		}
		return Cosignature{Line: line, Time: time.Unix(int64(ts), 0).UTC()}, nil
	}
	return Cosignature{}, fmt.Errorf("%w: no cosignature of witness %s in its answer", evidence.ErrTampered, w.Name)
}
