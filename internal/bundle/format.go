// Package bundle writes court bundles: BagIt (RFC 8493) bags holding
// exported items, their record versions, their custody entries with the
// salts that let an outsider recompute each Merkle leaf, a C2SP tlog-proof
// of every entry against one signed checkpoint, and the log's public key.
//
// The specification, sori-bundle-spec.md here, is the contract for the
// layout and every step of verifying a bundle without sori; each bundle
// carries it; verify.Bundle checks one, and verify/independent
// follows that specification to the letter. The types here are the JSON files
// of a bundle (format version 2).
package bundle

import (
	_ "embed"
	"strings"
	"time"

	"sori/internal/evidence"
)

// Version is the bundle format version, written to bag-info.txt as
// Sori-Bundle-Version. Readers refuse versions they do not know. Version 2
// added several recipients (X25519 and SSH), SHA-512 manifests, the
// BagIt-Profile-Identifier, originals named with their file extension, and
// the specification as the tag file SpecFile.
const Version = 2

// Files and directories of a bag, relative to its root, with forward
// slashes (as in the manifests).
const (
	BagItFile             = "bagit.txt"
	BagInfoFile           = "bag-info.txt"
	ManifestFile          = "manifest-sha256.txt"
	ManifestSHA512File    = "manifest-sha512.txt"
	TagManifestFile       = "tagmanifest-sha256.txt"
	TagManifestSHA512File = "tagmanifest-sha512.txt"
	// SpecFile is the bundle's own specification (Spec), a tag file: the
	// layout and every step of verifying the bag without sori.
	SpecFile = "sori-bundle-spec.md"
	// ConsistencyFile, an optional tag file, is a consistency proof
	// (docs/format.md "Consistency proof") from a checkpoint the recipient
	// kept ('sori export --since') to data/checkpoint.txt.
	ConsistencyFile = "sori-consistency-proof.txt"
	// The optional tag files of an RFC 3161 time stamp (spec step 11): a
	// checkpoint of the log, a TimeStampToken (DER, as 'openssl ts
	// -verify -token_in' reads it) whose imprint is SHA-256 of that
	// checkpoint's note text, and a consistency proof from it to
	// data/checkpoint.txt.
	TimestampCheckpointFile = "sori-timestamp-checkpoint.txt"
	TimestampTokenFile      = "sori-timestamp.tsr"
	TimestampProofFile      = "sori-timestamp-proof.txt"
	// The optional tag files of witness cosignatures (spec step 12): a
	// checkpoint of the log followed by its witnesses' cosignature lines
	// (a C2SP signed note), and a consistency proof from it to
	// data/checkpoint.txt.
	CosignedCheckpointFile = "sori-cosigned-checkpoint.txt"
	CosignedProofFile      = "sori-cosigned-proof.txt"

	ReadmeFile = "data/README.txt"
	LogKeyFile = "data/log-key.txt" // the log's first key, as published when the archive was made
	// LogKeyChainFile, present only after a log key handover (spec step
	// 2): the handover notes from data/log-key.txt to the key that signed
	// data/checkpoint.txt, each exactly seven lines.
	LogKeyChainFile = "data/log-key-chain.txt"
	CheckpointFile  = "data/checkpoint.txt"
	ConsentFile     = "data/consent/README.txt"
	ConsentDir      = "data/consent" // one directory per consent record, named by its ID
	// TestimonyDir holds one directory per testimony record that a consent
	// record of the bundle is of, named by its ID, laid out as a consent
	// record's (its record.json's "testimony" is its own ID).
	TestimonyDir = "data/testimony"

	ExportManifestFile = "data/export/manifest.json" // exactly the bytes the export entry's digest is of
	ExportEntryFile    = "data/export/entry.json"    // an EntryFile
	ExportProofFile    = "data/export/entry.tlog-proof"

	ItemsDir = "data/items" // one directory per item, named by item ID

	// Inside an item directory:
	// OriginalFile is the name of the plaintext, byte for byte, before its
	// extension (OriginalName); AgeExt ends it when it is encrypted to the
	// recipients.
	OriginalFile  = "original"
	AgeExt        = ".age"
	MetadataFile  = "metadata.json"
	ConsentRecord = "record.json" // inside a consent or testimony directory (which has custody/ too)
	CustodyDir    = "custody"     // <seq>.json (EntryFile) and <seq>.tlog-proof
	ProofExt      = ".tlog-proof"
)

// Spec is the bundle format's specification (sori-bundle-spec.md in
// this package): written into every bag as SpecFile, so that a verifier
// needs nothing but the bag. docs/bundle.md points to it.
//
//go:embed sori-bundle-spec.md
var Spec string

// BagItText is the exact content of bagit.txt.
const BagItText = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"

// Bag-info labels sori writes besides the standard ones.
const (
	InfoVersion = "Sori-Bundle-Version"
	InfoOrigin  = "Sori-Log-Origin"
	// InfoProfile names the BagIt profile the bag follows (BagIt Profiles
	// specification); ProfileID is sori's, one per format version.
	InfoProfile = "BagIt-Profile-Identifier"
	ProfileID   = "tag:sori.archive,2026:bagit-profile:court-bundle:2"
)

// AgeHeader starts every age file (the age v1 format).
const AgeHeader = "age-encryption.org/v1\n"

// Metadata is data/items/<id>/metadata.json.
type Metadata struct {
	V        int             `json:"v"` // 2
	Item     evidence.ID     `json:"item"`
	SHA256   evidence.Digest `json:"sha256"`   // of the plaintext original
	Size     int64           `json:"size"`     // of the plaintext original
	Original string          `json:"original"` // OriginalName of the item
	// EncryptedTo are the age recipients (canonical, sorted) the original
	// is encrypted to; none for a plaintext original.
	EncryptedTo []string          `json:"encrypted_to,omitempty"`
	Versions    []MetadataVersion `json:"versions"` // oldest first
}

// MetadataVersion is one record version of an item.
type MetadataVersion struct {
	Version int `json:"version"`
	// Record is the canonical record, exactly the bytes Digest is the
	// SHA-256 of (docs/format.md "Item record").
	Record    string          `json:"record"`
	Digest    evidence.Digest `json:"digest"`
	CreatedAt time.Time       `json:"created_at"`
	Actor     string          `json:"actor"` // user key ID
}

// EntryFile is a custody entry as a bundle holds it: custody/<seq>.json
// of an item, and data/export/entry.json.
type EntryFile struct {
	V   int   `json:"v"` // 1
	Seq int64 `json:"seq"`
	// Entry is the canonical custody entry, exactly the bytes that were
	// signed and committed to the leaf.
	Entry     string `json:"entry"`
	Signature []byte `json:"signature"` // Ed25519, base64
	Actor     string `json:"actor"`     // user key ID, as in the entry
	ActorName string `json:"actor_name,omitempty"`
	ActorKey  []byte `json:"actor_public_key"` // Ed25519, base64
	// Salt (32 bytes), Content (SHA-256 of the item's plaintext, or zero)
	// and LeafData are hex.
	Salt     string          `json:"salt"`
	Content  evidence.Digest `json:"content"`
	LeafData string          `json:"leaf_data"`
	Proof    string          `json:"proof"` // name of the tlog-proof file beside this one
}

// ConsentFileJSON is data/consent/<id>/record.json: a consent record of a
// testimony that exported items belong to, with every version; and
// data/testimony/<id>/record.json, that testimony's record.
type ConsentFileJSON struct {
	V         int           `json:"v"` // 1
	Record    evidence.ID   `json:"record"`
	Testimony evidence.ID   `json:"testimony"` // what the current version is the consent of
	Items     []evidence.ID `json:"items"`     // the bundle's items of that testimony, sorted
	// Versions are the record's versions, oldest first; Record is the
	// canonical model record (docs/format.md "Model records").
	Versions []MetadataVersion `json:"versions"`
}

// OriginalName is the file name of an item's original in its directory:
// "original", then the extension of filename (the name the item had at
// intake, from its version 1 record) when that is a dot and 1 to 16 ASCII
// letters or digits, then ".age" when encrypted. Anything else in the
// extension (spaces, other scripts, path tricks) is dropped, so a hostile
// name cannot shape a path.
func OriginalName(filename string, encrypted bool) string {
	name := OriginalFile + Extension(filename)
	if encrypted {
		name += AgeExt
	}
	return name
}

// Extension returns filename's extension as OriginalName keeps it, with
// its dot, or "".
func Extension(filename string) string {
	i := strings.LastIndexByte(filename, '.')
	if i < 0 || len(filename)-i-1 < 1 || len(filename)-i-1 > 16 {
		return ""
	}
	for _, r := range filename[i+1:] {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return ""
		}
	}
	return filename[i:]
}
