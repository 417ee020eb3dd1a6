package independent

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Tag files of the optional witness cosignatures (step 12).
const (
	CosignedCheckpointFile = "sori-cosigned-checkpoint.txt"
	CosignedProofFile      = "sori-cosigned-proof.txt"
	CosignaturePrefix      = "cosignature/v1\ntime " // the signed message's start (step 12.4)
)

// WitnessKey is a witness's verifier key (step 12.4).
type WitnessKey struct {
	Name   string
	KeyID  [4]byte // SHA-256(NAME ‖ "\n" ‖ 0x04 ‖ P)[:4], as cosignature lines carry it
	Public ed25519.PublicKey
}

// ParseWitnessKey parses "NAME+HASH+KEY" (step 12.4): KEY is base64 of
// 0x04 (or 0x01) ‖ a 32-byte Ed25519 key P, HASH the hex of the first 4
// bytes of SHA-256(NAME ‖ "\n" ‖ KEY's type byte ‖ P).
func ParseWitnessKey(s string) (WitnessKey, error) {
	name, rest, ok1 := strings.Cut(s, "+")
	hash16, key64, ok2 := strings.Cut(rest, "+")
	if !ok1 || !ok2 || name == "" || strings.ContainsAny(name, " \t\n") {
		return WitnessKey{}, errors.New("witness key is not NAME+HASH+KEY")
	}
	raw, err := strictBase64(key64)
	if err != nil || len(raw) != 33 || (raw[0] != 0x04 && raw[0] != 0x01) {
		return WitnessKey{}, errors.New("witness key: KEY is not base64 of 0x04 (or 0x01) and a 32-byte Ed25519 key")
	}
	hash, err := hex.DecodeString(hash16)
	if want := typedKeyHash(name, raw[0], raw[1:]); err != nil || !bytes.Equal(hash, want[:]) {
		return WitnessKey{}, errors.New("witness key: HASH does not match NAME and KEY")
	}
	return WitnessKey{Name: name, KeyID: typedKeyHash(name, 0x04, raw[1:]), Public: ed25519.PublicKey(raw[1:])}, nil
}

func typedKeyHash(name string, typ byte, pub []byte) [4]byte {
	h := sha256.Sum256(append(append([]byte(name+"\n"), typ), pub...))
	return [4]byte(h[:4])
}

// CheckCosignature looks in the signed note for a signature line of w
// (name and key ID) and verifies it as a cosignature/v1 (step 12.4); it
// returns the time the witness states it cosigned, in seconds since 1970.
func CheckCosignature(note []byte, w WitnessKey) (uint64, error) {
	i := bytes.LastIndex(note, []byte("\n\n"))
	if i < 0 {
		return 0, errors.New("not a signed note")
	}
	text, sigs := note[:i+1], string(note[i+2:])
	for _, line := range strings.Split(strings.TrimSuffix(sigs, "\n"), "\n") {
		b64, ok := strings.CutPrefix(line, "\u2014 "+w.Name+" ")
		if !ok {
			continue
		}
		sig, err := strictBase64(b64)
		if err != nil || len(sig) < 4 || [4]byte(sig[:4]) != w.KeyID {
			continue // another key of the same name
		}
		if len(sig) != 4+8+ed25519.SignatureSize {
			return 0, fmt.Errorf("the cosignature of %s is not 4 + 8 + 64 bytes", w.Name)
		}
		ts := binary.BigEndian.Uint64(sig[4:12])
		msg := append([]byte(CosignaturePrefix+strconv.FormatUint(ts, 10)+"\n"), text...)
		if !ed25519.Verify(w.Public, msg, sig[12:]) {
			return 0, fmt.Errorf("the cosignature of %s does not verify", w.Name)
		}
		return ts, nil
	}
	return 0, fmt.Errorf("no cosignature of %s", w.Name)
}

// step12 checks the optional witness cosignatures: the cosigned checkpoint
// (as in step 3), the consistency proof from it to the bundle's checkpoint
// (as in step 10), and a valid cosignature of every witness key given.
func (c *checker) step12(witnessKeys []string) {
	n := 0
	for _, f := range []string{CosignedCheckpointFile, CosignedProofFile} {
		if c.files[f] {
			n++
		}
	}
	if n == 0 {
		if len(witnessKeys) > 0 {
			c.fail("step 12: the bundle has no %s, and you gave %d witness key(s)", CosignedCheckpointFile, len(witnessKeys))
		}
		return
	}
	if n != 2 {
		c.fail("step 12: %s and %s go together; one is missing", CosignedCheckpointFile, CosignedProofFile)
		return
	}
	if !c.keyOK || !c.cpOK {
		return
	}
	note := c.read(CosignedCheckpointFile)
	cosigned, err := c.chain.OpenCheckpoint(note)
	if err != nil {
		c.fail("%s: %v", CosignedCheckpointFile, err)
		return
	}
	m, nn, path, err := ParseConsistency(c.read(CosignedProofFile))
	if err == nil && (m != cosigned.Size || nn != c.cp.Size) {
		err = fmt.Errorf("the proof is from %d to %d entries, the checkpoints have %d and %d", m, nn, cosigned.Size, c.cp.Size)
	}
	if err == nil && !VerifyConsistency(m, nn, cosigned.Root, c.cp.Root, path) {
		err = errors.New("the consistency proof does not verify")
	}
	if err != nil {
		c.fail("%s: %v", CosignedProofFile, err)
		return
	}
	for _, k := range witnessKeys {
		w, err := ParseWitnessKey(k)
		if err == nil {
			_, err = CheckCosignature(note, w)
		}
		if err != nil {
			c.fail("%s: witness key %q: %v", CosignedCheckpointFile, k, err)
		}
	}
}
