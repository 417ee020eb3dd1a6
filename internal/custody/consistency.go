package custody

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"sori/internal/evidence"
)

// ConsistencyHeader is the first line of a consistency proof (docs/format.md
// "Consistency proof"). C2SP tlog-proof covers inclusion only, so sori
// writes consistency proofs in its own small, versioned text format:
//
//	sori-consistency-proof/v1
//	consistency OLD NEW
//	<base64 hash>            one line per hash of the RFC 6962 proof
//
// every line ending in "\n". OLD and NEW are tree sizes in decimal, 1 ≤ OLD
// ≤ NEW; the hashes are golang.org/x/mod/sumdb/tlog's TreeProof (none when
// OLD = NEW).
const ConsistencyHeader = "sori-consistency-proof/v1"

// maxProofHashes bounds a parsed proof: a tree of 2^62 leaves needs fewer
// than 2·62 hashes.
const maxProofHashes = 128

// ConsistencyProof proves that the tree of size New has the tree of size
// Old as its prefix.
type ConsistencyProof struct {
	Old, New int64
	Hashes   tlog.TreeProof
}

// ProveConsistency builds the proof that the tree of size newSize (whose
// stored hashes r reads) extends the tree of size oldSize.
func ProveConsistency(oldSize, newSize int64, r tlog.HashReader) (ConsistencyProof, error) {
	if oldSize < 1 || oldSize > newSize {
		return ConsistencyProof{}, fmt.Errorf("%w: no consistency proof from %d to %d entries", evidence.ErrInvalid, oldSize, newSize)
	}
	p, err := tlog.ProveTree(newSize, oldSize, r)
	if err != nil {
		return ConsistencyProof{}, fmt.Errorf("%w: consistency proof from %d to %d: %v", evidence.ErrTampered, oldSize, newSize, err)
	}
	return ConsistencyProof{Old: oldSize, New: newSize, Hashes: p}, nil
}

// Marshal encodes the proof in its text format.
func (p ConsistencyProof) Marshal() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\nconsistency %d %d\n", ConsistencyHeader, p.Old, p.New)
	for _, h := range p.Hashes {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// ParseConsistency decodes a proof, refusing anything that is not exactly
// what Marshal writes (so that no byte can change unnoticed). Errors wrap
// evidence.ErrTampered.
func ParseConsistency(b []byte) (ConsistencyProof, error) {
	bad := func(format string, a ...any) (ConsistencyProof, error) {
		return ConsistencyProof{}, fmt.Errorf("%w: consistency proof: %s", evidence.ErrTampered, fmt.Sprintf(format, a...))
	}
	s := string(b)
	if !strings.HasSuffix(s, "\n") {
		return bad("does not end with a newline")
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) < 2 || lines[0] != ConsistencyHeader {
		return bad("does not start with %q", ConsistencyHeader)
	}
	f := strings.Split(lines[1], " ")
	if len(f) != 3 || f[0] != "consistency" {
		return bad("second line is not \"consistency OLD NEW\"")
	}
	old, err1 := strconv.ParseInt(f[1], 10, 64)
	nw, err2 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil || old < 1 || old > nw || nw > 1<<62 {
		return bad("bad tree sizes %q", lines[1])
	}
	if len(lines)-2 > maxProofHashes {
		return bad("too many hashes")
	}
	p := ConsistencyProof{Old: old, New: nw, Hashes: make(tlog.TreeProof, 0, len(lines)-2)}
	for _, l := range lines[2:] {
		raw, err := base64.StdEncoding.Strict().DecodeString(l)
		if err != nil || len(raw) != tlog.HashSize {
			return bad("line %q is not a base64 hash", l)
		}
		var h tlog.Hash
		copy(h[:], raw)
		p.Hashes = append(p.Hashes, h)
	}
	if !bytes.Equal(p.Marshal(), b) {
		return bad("not in canonical form")
	}
	return p, nil
}

// Check verifies that the proof takes old to new: its sizes are theirs and
// the hashes prove that new's tree extends old's. old and new must already
// be verified checkpoints of the same log. A fork (same size, other root)
// or a tampered proof fails with evidence.ErrTampered.
func (p ConsistencyProof) Check(old, new Checkpoint) error {
	if old.Origin != new.Origin {
		return fmt.Errorf("%w: checkpoints of two logs (%s and %s)", evidence.ErrTampered, old.Origin, new.Origin)
	}
	if p.Old != old.Size || p.New != new.Size {
		return fmt.Errorf("%w: the consistency proof is from %d to %d entries, the checkpoints are of %d and %d", evidence.ErrTampered, p.Old, p.New, old.Size, new.Size)
	}
	if err := tlog.CheckTree(p.Hashes, new.Size, new.Hash, old.Size, old.Hash); err != nil {
		return fmt.Errorf("%w: the log of %d entries does not extend the checkpoint of %d entries (a fork, or a tampered proof): %v", evidence.ErrTampered, new.Size, old.Size, err)
	}
	return nil
}

// SplitNote returns the signed note at the start of b (its text, a blank
// line, and its signature lines "— …") and the rest of b. It lets a file
// hold a checkpoint followed by a consistency proof, as 'sori checkpoint
// --since' prints them. It does not verify the note.
func SplitNote(b []byte) (note, rest []byte, err error) {
	i := bytes.Index(b, []byte("\n\n"))
	if i < 0 {
		return nil, nil, fmt.Errorf("%w: not a signed note (no blank line)", evidence.ErrInvalid)
	}
	end := i + 2
	for end < len(b) && bytes.HasPrefix(b[end:], []byte("— ")) {
		nl := bytes.IndexByte(b[end:], '\n')
		if nl < 0 {
			return nil, nil, fmt.Errorf("%w: signed note: signature line without newline", evidence.ErrInvalid)
		}
		end += nl + 1
	}
	if end == i+2 {
		return nil, nil, fmt.Errorf("%w: signed note without signatures", evidence.ErrInvalid)
	}
	return b[:end], b[end:], nil
}
