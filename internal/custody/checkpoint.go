package custody

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/formats/proof"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"sori/internal/evidence"
)

// Origin is the checkpoint origin line (and log key name) of an archive.
func Origin(archiveID string) string { return "sori.archive/" + archiveID }

// NewLogKey generates the archive's checkpoint signing key: skey is secret
// (kept in keyrings), vkey is the public verifier key in signed-note form
// ("sori.archive/<id>+<hash>+<base64>"), safe to publish.
func NewLogKey(origin string) (skey, vkey string, err error) {
	return note.GenerateKey(rand.Reader, origin)
}

// Checkpoint is a verified tree head.
type Checkpoint struct {
	Origin string
	Size   int64
	Hash   tlog.Hash
	Note   []byte // the signed note, exactly as stored or received
}

// SignCheckpoint signs the tree head (size, hash) with the log key.
func SignCheckpoint(skey, origin string, size int64, hash tlog.Hash) (Checkpoint, error) {
	s, err := note.NewSigner(skey)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("log key: %w", err)
	}
	text := log.Checkpoint{Origin: origin, Size: uint64(size), Hash: hash[:]}.Marshal()
	msg, err := note.Sign(&note.Note{Text: string(text)}, s)
	if err != nil {
		return Checkpoint{}, err
	}
	return Checkpoint{Origin: origin, Size: size, Hash: hash, Note: msg}, nil
}

// OpenCheckpoint verifies a signed checkpoint against the log's verifier
// key and origin. Any failure wraps evidence.ErrTampered.
func OpenCheckpoint(msg []byte, origin, vkey string) (Checkpoint, error) {
	if err := strictSignatures(msg); err != nil {
		return Checkpoint{}, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%w: log verifier key: %v", evidence.ErrTampered, err)
	}
	cp, _, _, err := log.ParseCheckpoint(msg, origin, v)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint: %v", evidence.ErrTampered, err)
	}
	if len(cp.Hash) != tlog.HashSize || cp.Size > 1<<62 {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint: bad hash or size", evidence.ErrTampered)
	}
	c := Checkpoint{Origin: cp.Origin, Size: int64(cp.Size), Note: msg}
	copy(c.Hash[:], cp.Hash)
	return c, nil
}

// Consistent checks that the tree with hash newHash at size newSize
// extends the checkpoint old, using the tree's stored hashes r (which hold
// the newer tree). It is how a rolled-back or swapped archive is caught.
func Consistent(old Checkpoint, newSize int64, r tlog.HashReader) error {
	if newSize < old.Size {
		return fmt.Errorf("%w: the log has %d entries but a checkpoint seen earlier had %d: the archive was rolled back or replaced", evidence.ErrTampered, newSize, old.Size)
	}
	h, err := tlog.TreeHash(old.Size, r)
	if err != nil {
		return fmt.Errorf("%w: recomputing the tree at %d: %v", evidence.ErrTampered, old.Size, err)
	}
	if h != old.Hash {
		return fmt.Errorf("%w: the first %d log entries differ from a checkpoint seen earlier: the archive was rolled back, replaced or altered", evidence.ErrTampered, old.Size)
	}
	return nil
}

// MarshalProof builds a C2SP tlog-proof of entry index inside the tree of
// checkpoint cp. extra carries application data (sori: nothing yet).
func MarshalProof(index int64, p tlog.RecordProof, cp Checkpoint, extra []byte) []byte {
	hashes := make([][32]byte, len(p))
	for i, h := range p {
		hashes[i] = h
	}
	return proof.TLogProof{Index: uint64(index), Hashes: hashes, Checkpoint: cp.Note, ExtraData: extra}.Marshal()
}

// CheckProof verifies a C2SP tlog-proof: the checkpoint's signature under
// vkey and origin, and that leafData is entry index of that tree. It returns
// the checkpoint and the proof's index.
func CheckProof(b []byte, leafData []byte, origin, vkey string) (Checkpoint, int64, error) {
	var p proof.TLogProof
	if err := p.Unmarshal(b); err != nil {
		return Checkpoint{}, 0, fmt.Errorf("%w: tlog-proof: %v", evidence.ErrTampered, err)
	}
	// The parser ignores the unused bits of base64's last digit; a proof
	// must be exactly the bytes its fields encode to.
	if !bytes.Equal(p.Marshal(), b) {
		return Checkpoint{}, 0, fmt.Errorf("%w: tlog-proof is not in canonical form", evidence.ErrTampered)
	}
	cp, err := OpenCheckpoint(p.Checkpoint, origin, vkey)
	if err != nil {
		return cp, 0, err
	}
	if p.Index >= uint64(cp.Size) {
		return cp, 0, fmt.Errorf("%w: tlog-proof: index %d outside a tree of %d", evidence.ErrTampered, p.Index, cp.Size)
	}
	rp := make(tlog.RecordProof, len(p.Hashes))
	for i, h := range p.Hashes {
		rp[i] = h
	}
	if err := tlog.CheckRecord(rp, cp.Size, cp.Hash, int64(p.Index), LeafHash(leafData)); err != nil {
		return cp, 0, fmt.Errorf("%w: tlog-proof: %v", evidence.ErrTampered, err)
	}
	return cp, int64(p.Index), nil
}

// strictSignatures refuses signature lines whose base64 is not canonical
// (note.Open ignores unused trailing bits, so a changed byte could pass).
func strictSignatures(msg []byte) error {
	_, sigs, ok := bytes.Cut(msg, []byte("\n\n"))
	if !ok {
		return fmt.Errorf("%w: checkpoint has no signature block", evidence.ErrTampered)
	}
	for _, line := range strings.Split(strings.TrimSuffix(string(sigs), "\n"), "\n") {
		i := strings.LastIndexByte(line, ' ')
		if !strings.HasPrefix(line, "— ") || i < 0 {
			return fmt.Errorf("%w: malformed checkpoint signature line", evidence.ErrTampered)
		}
		if _, err := base64.StdEncoding.Strict().DecodeString(line[i+1:]); err != nil {
			return fmt.Errorf("%w: checkpoint signature is not canonical base64", evidence.ErrTampered)
		}
	}
	return nil
}

// ErrNoCheckpoint: no checkpoint has been recorded.
var ErrNoCheckpoint = errors.New("no checkpoint")

// VerifierName returns the key name of a verifier key string.
func VerifierName(vkey string) string {
	name, _, _ := strings.Cut(vkey, "+")
	return name
}

// NoteText returns the text of a signed note, the bytes its signatures
// cover: everything before the last blank line, plus one newline. An RFC
// 3161 time stamp of a checkpoint stamps SHA-256 of it.
func NoteText(note []byte) ([]byte, error) {
	i := bytes.LastIndex(note, []byte("\n\n"))
	if i < 0 {
		return nil, fmt.Errorf("%w: not a signed note", evidence.ErrInvalid)
	}
	return note[:i+1], nil
}
