package custody

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"sori/internal/evidence"
)

// Log key handover (docs/format.md "Log key handover"). When a user who
// held the checkpoint signing key is removed, the archive replaces it: the
// old key signs a handover note naming the new key and the first tree
// size the new key signs, a "log-key" custody entry commits to that note,
// and every checkpoint from that size on is signed by the new key. The
// notes, in order, are the key chain: whoever trusts the first key (the
// one published when the archive was made) follows it to the current one,
// and a checkpoint is valid only under the key in force at its size.
//
// A handover note is a signed note (golang.org/x/mod/sumdb/note) with
// exactly this text and exactly one signature line, the old key's:
//
//	sori log-key handover v1
//	<origin>
//	<from: decimal tree size, ≥ 1, no sign or leading zero>
//	<old verifier key>
//	<new verifier key>
//
// The handover custody entry is at index from−1 (the last entry the new
// key's first checkpoint adds is the handover itself): the checkpoint of a
// tree of size ≥ from covers it.

// KindLogKey is the custody entry of a log key handover (object: archive
// ID; digest: SHA-256 of the handover note, as stored).
const KindLogKey = "log-key"

// HandoverHeader is the first line of a handover note.
const HandoverHeader = "sori log-key handover v1"

// Handover is a verified log key handover.
type Handover struct {
	Origin string
	From   int64  // the first tree size signed by New
	Old    string // verifier key that signed the note
	New    string // verifier key in force from tree size From
	Note   []byte // the signed note, exactly as stored
}

// Digest is what the handover's custody entry commits to.
func (h Handover) Digest() evidence.Digest { return evidence.Sum(h.Note) }

func handoverText(origin string, from int64, oldKey, newKey string) string {
	return fmt.Sprintf("%s\n%s\n%d\n%s\n%s\n", HandoverHeader, origin, from, oldKey, newKey)
}

// SignHandover signs, with the old log key oldSkey, the note handing the
// log over to newVkey from tree size from.
func SignHandover(oldSkey, origin string, from int64, newVkey string) (Handover, error) {
	oldVkey, err := VerifierKey(oldSkey)
	if err != nil {
		return Handover{}, err
	}
	if from < 1 {
		return Handover{}, fmt.Errorf("%w: handover from tree size %d", evidence.ErrInvalid, from)
	}
	if _, err := note.NewVerifier(newVkey); err != nil || VerifierName(newVkey) != origin || VerifierName(oldVkey) != origin {
		return Handover{}, fmt.Errorf("%w: handover keys must be verifier keys named %s", evidence.ErrInvalid, origin)
	}
	s, err := note.NewSigner(oldSkey)
	if err != nil {
		return Handover{}, fmt.Errorf("log key: %w", err)
	}
	msg, err := note.Sign(&note.Note{Text: handoverText(origin, from, oldVkey, newVkey)}, s)
	if err != nil {
		return Handover{}, err
	}
	return Handover{Origin: origin, From: from, Old: oldVkey, New: newVkey, Note: msg}, nil
}

// OpenHandover verifies a handover note: exactly the form above, of
// origin, handing over from oldVkey (the key in force before it), signed
// by oldVkey alone. Any failure wraps evidence.ErrTampered.
func OpenHandover(msg []byte, origin, oldVkey string) (Handover, error) {
	bad := func(format string, args ...any) (Handover, error) {
		return Handover{}, fmt.Errorf("%w: log key handover: "+format, append([]any{evidence.ErrTampered}, args...)...)
	}
	text, sigs, ok := bytes.Cut(msg, []byte("\n\n"))
	if !ok || bytes.Count(sigs, []byte("\n")) != 1 || !bytes.HasSuffix(sigs, []byte("\n")) {
		return bad("not a note with one signature line")
	}
	lines := strings.Split(string(text), "\n")
	if len(lines) != 5 || lines[0] != HandoverHeader {
		return bad("not a %q note", HandoverHeader)
	}
	if lines[1] != origin {
		return bad("of log %q, not %q", lines[1], origin)
	}
	from, err := strconv.ParseInt(lines[2], 10, 64)
	if err != nil || from < 1 || strconv.FormatInt(from, 10) != lines[2] {
		return bad("bad tree size %q", lines[2])
	}
	if lines[3] != oldVkey {
		return bad("hands over from key %q, but the key in force was %q", lines[3], oldVkey)
	}
	if _, err := note.NewVerifier(lines[4]); err != nil || VerifierName(lines[4]) != origin || lines[4] == oldVkey {
		return bad("the new key %q is not another verifier key of %s", lines[4], origin)
	}
	if err := strictSignatures(msg); err != nil {
		return Handover{}, err
	}
	v, err := note.NewVerifier(oldVkey)
	if err != nil {
		return bad("old key: %v", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil || len(n.Sigs) != 1 || len(n.UnverifiedSigs) != 0 {
		return bad("not signed by the key in force before it (%s)", oldVkey)
	}
	return Handover{Origin: origin, From: from, Old: oldVkey, New: lines[4], Note: msg}, nil
}

// VerifierKey returns the public verifier key of a signed-note secret key
// ("PRIVATE+KEY+name+hash+base64"), so that a keyring's log key can be
// matched with the key in force.
func VerifierKey(skey string) (string, error) {
	bad := fmt.Errorf("%w: not a signed-note secret key", evidence.ErrInvalid)
	rest, ok := strings.CutPrefix(skey, "PRIVATE+KEY+")
	if !ok {
		return "", bad
	}
	parts := strings.SplitN(rest, "+", 3)
	if len(parts) != 3 {
		return "", bad
	}
	b, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(b) != 1+ed25519.SeedSize || b[0] != 1 {
		return "", bad
	}
	pub := ed25519.NewKeyFromSeed(b[1:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(parts[0], pub)
	if err != nil {
		return "", bad
	}
	if !strings.HasPrefix(vkey, parts[0]+"+"+parts[1]+"+") {
		return "", bad
	}
	return vkey, nil
}

// KeyChain is the succession of an archive's log keys: the first, and the
// handovers after it, each verified under the key before it.
type KeyChain struct {
	Origin    string
	First     string
	Handovers []Handover
}

// Current is the key that signs new checkpoints.
func (c KeyChain) Current() string {
	if n := len(c.Handovers); n > 0 {
		return c.Handovers[n-1].New
	}
	return c.First
}

// KeyAt is the key in force for a checkpoint of the given tree size.
func (c KeyChain) KeyAt(size int64) string {
	k := c.First
	for _, h := range c.Handovers {
		if size < h.From {
			break
		}
		k = h.New
	}
	return k
}

// Has reports whether vkey is one of the chain's keys.
func (c KeyChain) Has(vkey string) bool {
	if vkey == c.First {
		return true
	}
	for _, h := range c.Handovers {
		if h.New == vkey {
			return true
		}
	}
	return false
}

// Since returns the chain from vkey on (vkey as its first key), or false
// if vkey is not in it: what a holder of a later key follows.
func (c KeyChain) Since(vkey string) (KeyChain, bool) {
	if vkey == c.First {
		return c, true
	}
	for i, h := range c.Handovers {
		if h.New == vkey {
			return KeyChain{Origin: c.Origin, First: vkey, Handovers: c.Handovers[i+1:]}, true
		}
	}
	return KeyChain{}, false
}

// Append verifies note as the next handover of the chain: signed by the
// current key, from a tree size above the last handover's.
func (c KeyChain) Append(note []byte) (KeyChain, error) {
	h, err := OpenHandover(note, c.Origin, c.Current())
	if err != nil {
		return c, err
	}
	if n := len(c.Handovers); n > 0 && h.From <= c.Handovers[n-1].From {
		return c, fmt.Errorf("%w: log key handover from tree size %d does not follow the one from %d", evidence.ErrTampered, h.From, c.Handovers[n-1].From)
	}
	out := c
	out.Handovers = append(append([]Handover(nil), c.Handovers...), h)
	return out, nil
}

// OpenCheckpoint verifies a checkpoint under the key in force at the tree
// size it states: a checkpoint signed by a key the log had already handed
// over from (a removed user's kept key) is refused.
func (c KeyChain) OpenCheckpoint(msg []byte) (Checkpoint, error) {
	size, err := noteSize(msg)
	if err != nil {
		return Checkpoint{}, err
	}
	cp, err := OpenCheckpoint(msg, c.Origin, c.KeyAt(size))
	if err != nil && len(c.Handovers) > 0 {
		return cp, fmt.Errorf("%w (a checkpoint of size %d must be signed by the log key in force at that size)", err, size)
	}
	return cp, err
}

// noteSize reads the tree size line of a checkpoint note, unverified.
func noteSize(msg []byte) (int64, error) {
	lines := strings.SplitN(string(msg), "\n", 3)
	if len(lines) < 3 {
		return 0, fmt.Errorf("%w: checkpoint: malformed", evidence.ErrTampered)
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: checkpoint: bad tree size", evidence.ErrTampered)
	}
	return n, nil
}

// MarshalNotes is the chain's handover notes, concatenated in order: the
// stored form (meta.log_key_chain) and a bundle's data/log-key-chain.txt.
// Each note is exactly seven lines, so the file splits without a parser of
// its own.
func (c KeyChain) MarshalNotes() []byte {
	var b []byte
	for _, h := range c.Handovers {
		b = append(b, h.Note...)
	}
	return b
}

// ParseChain verifies the handover notes b (MarshalNotes' form) as the
// chain from the first key.
func ParseChain(origin, first string, b []byte) (KeyChain, error) {
	c := KeyChain{Origin: origin, First: first}
	if len(b) == 0 {
		return c, nil
	}
	if !bytes.HasSuffix(b, []byte("\n")) {
		return c, fmt.Errorf("%w: log key chain: does not end with a newline", evidence.ErrTampered)
	}
	lines := strings.SplitAfter(string(b[:len(b)-1]), "\n")
	lines[len(lines)-1] += "\n"
	if len(lines)%7 != 0 {
		return c, fmt.Errorf("%w: log key chain: not a sequence of seven-line handover notes", evidence.ErrTampered)
	}
	for i := 0; i < len(lines); i += 7 {
		var err error
		if c, err = c.Append([]byte(strings.Join(lines[i:i+7], ""))); err != nil {
			return c, fmt.Errorf("handover %d: %w", i/7+1, err)
		}
	}
	return c, nil
}

// FirstOfChain returns the first key of stored notes b: the old key of the
// first note, unverified (ParseChain verifies), or "" if there is none.
func FirstOfChain(b []byte) string {
	lines := strings.SplitN(string(b), "\n", 5)
	if len(lines) < 5 || lines[0] != HandoverHeader {
		return ""
	}
	return lines[3]
}
