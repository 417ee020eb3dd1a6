// Package custody is sori's chain of custody: signed entries for every
// change, committed to an RFC 6962 Merkle tree (golang.org/x/mod/sumdb/tlog)
// whose heads are published as signed checkpoints (C2SP tlog-checkpoint,
// signed notes) and from which inclusion proofs (C2SP tlog-proof) are cut.
//
// An entry says who (actor key ID) did what (kind) to which object, when,
// and the digest of the resulting record. The actor signs the entry with
// Ed25519. The tree's leaf for an entry is a salted commitment
//
//	leaf data = SHA-256("sori leaf v1" ‖ 0x00 ‖ salt[32] ‖ content[32] ‖ SHA-256(entry))
//	leaf hash = SHA-256(0x00 ‖ leaf data)                      (RFC 6962)
//
// where content is the SHA-256 of the item's plaintext (zero for entries
// about no file). Without the salt, which stays in the encrypted archive
// until an export reveals it, a leaf does not let anyone confirm that a file
// they hold is in the archive.
//
// This package does no I/O; the store keeps entries and tree hashes in the
// same transaction as the change they record.
package custody

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"sori/internal/evidence"
)

// EntryVersion is the version of the entry encoding.
const EntryVersion = 1

// Kinds of custody entry.
const (
	KindInit      = "init"       // the archive was created (object: archive ID)
	KindIntake    = "intake"     // an item was added (object: item ID; digest: record v1)
	KindVersion   = "version"    // a new record version (object: item ID; digest: that version)
	KindExport    = "export"     // items left the archive in a bundle (object: bundle ID)
	KindGrant     = "grant"      // a user was given keys (object: user key ID)
	KindRevoke    = "revoke"     // a user's keys were withdrawn
	KindWithdraw  = "withdraw"   // consent withdrawn: a witness's vault entry destroyed (object: vault entry ID)
	KindWitness   = "witness"    // a witness entered the identity vault (object: vault entry ID)
	KindVaultOpen = "vault-open" // a protection officer opened a witness's vault entry (object: vault entry ID)
	KindRecord    = "record"     // a model record version (object: record ID; digest: that version)
	KindRead      = "read"       // the original bytes of an item of a testimony were read (object: item ID; content: its SHA-256)
	KindPublish   = "publish"    // a redacted public dataset was published (object: publication ID; digest: its manifest)
	KindPurge     = "purge"      // a version's body was destroyed (object: item or record ID; version; digest: that version's, which stays)
	KindShred     = "shred"      // an item's own key was destroyed at a witness's request (object: item ID; version and digest: its current record version's)
	// KindRecordsExport: records left the archive in an analysts' export
	// (sori export-records; object: export ID; digest: its file list).
	KindRecordsExport = "records-export"
	// KindToken: a user made an API token for themselves (object: token
	// ID; digest: its public record). KindTokenRevoke: a token was
	// revoked, by its user or an admin (same object and digest).
	KindToken       = "token"
	KindTokenRevoke = "token-revoke"
	// KindTOTP: an admin required a second factor (TOTP) at a user's web
	// login, or lifted it (object: user key ID; digest: the setting).
	KindTOTP = "totp"
	// KindDenied: a user's role refused them an export or a publication
	// (object: the operation, "export" or "publish"; version: how many
	// items were named; digest: zero). What was asked for is not recorded.
	KindDenied = "denied"
	// KindCompartment: a compartment was made, or a member added or taken
	// out (object: compartment ID; version: its key generation; digest:
	// its name, generation and members).
	KindCompartment = "compartment"
)

// Entry is one custody entry. Its canonical encoding (Marshal) is signed by
// the actor and committed to the tree.
type Entry struct {
	V       int             `json:"v"`
	Seq     int64           `json:"seq"` // its index in the tree
	Kind    string          `json:"kind"`
	Time    time.Time       `json:"time"`
	Actor   string          `json:"actor"`  // user key ID
	Object  string          `json:"object"` // item ID, user key ID, archive ID …
	Version int             `json:"version,omitempty"`
	Digest  evidence.Digest `json:"digest"` // digest of the record the entry is about
}

// Marshal returns the canonical encoding: compact JSON, fields in
// declaration order, time in UTC.
func (e Entry) Marshal() []byte {
	e.Time = e.Time.UTC()
	b, err := json.Marshal(e)
	if err != nil {
		panic("custody: marshal entry: " + err.Error()) // plain types only
	}
	return b
}

// Unmarshal decodes a stored entry, refusing unknown versions and
// non-canonical encodings (so that what was signed is what is read).
func Unmarshal(b []byte) (Entry, error) {
	var e Entry
	if err := json.Unmarshal(b, &e); err != nil {
		return e, fmt.Errorf("%w: custody entry: %v", evidence.ErrDamaged, err)
	}
	if e.V != EntryVersion {
		return e, fmt.Errorf("%w: custody entry version %d", evidence.ErrDamaged, e.V)
	}
	if !bytes.Equal(e.Marshal(), b) {
		return e, fmt.Errorf("%w: custody entry %d is not in canonical form", evidence.ErrTampered, e.Seq)
	}
	return e, nil
}

const signContext = "sori custody entry v1\n"

// SignedMessage is what the actor's Ed25519 signature covers.
func (e Entry) SignedMessage() []byte { return append([]byte(signContext), e.Marshal()...) }

// Verify checks an entry's signature.
func (e Entry) Verify(pub ed25519.PublicKey, sig []byte) bool {
	return len(pub) == ed25519.PublicKeySize && ed25519.Verify(pub, e.SignedMessage(), sig)
}

// VerifyEncoded checks the signature of an entry given in its canonical
// encoding (as Unmarshal accepts it): Verify without encoding it again.
func VerifyEncoded(pub ed25519.PublicKey, entry, sig []byte) bool {
	msg := make([]byte, 0, len(signContext)+len(entry))
	msg = append(append(msg, signContext...), entry...)
	return len(pub) == ed25519.PublicKeySize && ed25519.Verify(pub, msg, sig)
}

// Sum is SHA-256 of the canonical encoding.
func (e Entry) Sum() evidence.Digest { return evidence.Sum(e.Marshal()) }

// SaltSize is the length of a leaf salt.
const SaltSize = 32

// LeafData is the tree record for an entry: the salted commitment.
func LeafData(salt []byte, content evidence.Digest, entry evidence.Digest) []byte {
	h := sha256.New()
	h.Write([]byte("sori leaf v1\x00"))
	h.Write(salt)
	h.Write(content[:])
	h.Write(entry[:])
	return h.Sum(nil)
}

// LeafHash is the RFC 6962 leaf hash of the leaf data.
func LeafHash(leafData []byte) tlog.Hash { return tlog.RecordHash(leafData) }
