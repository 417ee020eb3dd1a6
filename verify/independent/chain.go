package independent

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
)

// HandoverHeader is the first line of a log key handover note (step 2).
const HandoverHeader = "sori log-key handover v1"

// KeyChain is the log's keys in order (step 2): the first, from
// data/log-key.txt, and each key a handover note handed the log to, with
// the first tree size it signs.
type KeyChain struct {
	Keys []LogKey // Keys[0] the first
	Strs []string // each key as written, NAME+HASH+KEY
	From []uint64 // From[i] is the first tree size Keys[i] signs (From[0] = 0)
}

// ParseKeyChain is step 2 after the log key: the handover notes of
// data/log-key-chain.txt (b; empty when there is none), each seven lines
// — the header, the origin, the first tree size of the new key, the old
// key, the new key, an empty line, and one signature line by the old key
// over the first five lines — the old key being the one in force, the
// sizes increasing.
func ParseKeyChain(first string, b []byte) (KeyChain, error) {
	k0, err := ParseLogKey(first)
	if err != nil {
		return KeyChain{}, err
	}
	c := KeyChain{Keys: []LogKey{k0}, Strs: []string{first}, From: []uint64{0}}
	if len(b) == 0 {
		return c, nil
	}
	if b[len(b)-1] != '\n' {
		return c, errors.New("log key chain does not end in a newline")
	}
	lines := strings.Split(string(b[:len(b)-1]), "\n")
	if len(lines)%7 != 0 {
		return c, errors.New("log key chain is not a sequence of seven-line handover notes")
	}
	for i := 0; i < len(lines); i += 7 {
		n := i/7 + 1
		l := lines[i : i+7]
		cur := c.Keys[len(c.Keys)-1]
		if l[0] != HandoverHeader || l[1] != k0.Name || l[5] != "" {
			return c, fmt.Errorf("handover %d: not a %q note of %s", n, HandoverHeader, k0.Name)
		}
		from, err := decimal(l[2])
		if err != nil || from < 1 || from <= c.From[len(c.From)-1] {
			return c, fmt.Errorf("handover %d: the tree size %q is not above the one before", n, l[2])
		}
		if l[3] != c.Strs[len(c.Strs)-1] {
			return c, fmt.Errorf("handover %d: hands over from a key that is not the one in force", n)
		}
		next, err := ParseLogKey(l[4])
		if err != nil || next.Name != k0.Name || l[4] == l[3] {
			return c, fmt.Errorf("handover %d: the new key is not another key of %s", n, k0.Name)
		}
		rest, ok := strings.CutPrefix(l[6], "\u2014 ")
		name, b64, ok2 := strings.Cut(rest, " ")
		sig, err := strictBase64(b64)
		text := []byte(strings.Join(l[:5], "\n") + "\n")
		if !ok || !ok2 || name != cur.Name || err != nil || len(sig) != 4+ed25519.SignatureSize ||
			!bytes.Equal(sig[:4], cur.KeyHash[:]) || !ed25519.Verify(cur.Public, text, sig[4:]) {
			return c, fmt.Errorf("handover %d is not signed by the key in force before it", n)
		}
		c.Keys, c.Strs, c.From = append(c.Keys, next), append(c.Strs, l[4]), append(c.From, from)
	}
	return c, nil
}

// At is the index of the key in force at tree size n: the last whose
// From is at most n.
func (c KeyChain) At(n uint64) int {
	i := 0
	for j, f := range c.From {
		if f <= n {
			i = j
		}
	}
	return i
}

// Index is the position of the key written s in the chain, or -1.
func (c KeyChain) Index(s string) int {
	for i, k := range c.Strs {
		if k == s {
			return i
		}
	}
	return -1
}

// OpenCheckpoint is step 3 for any checkpoint of the log: it must be
// signed by the key in force at the size it states.
func (c KeyChain) OpenCheckpoint(note []byte) (Checkpoint, error) {
	lines := strings.SplitN(string(note), "\n", 3)
	if len(lines) < 3 {
		return Checkpoint{}, errors.New("checkpoint text has fewer than 3 lines")
	}
	size, err := decimal(lines[1])
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint size: %v", err)
	}
	cp, err := OpenCheckpoint(note, c.Keys[c.At(size)])
	if err != nil && len(c.Keys) > 1 {
		err = fmt.Errorf("%v (a checkpoint of %d entries must be signed by the log key in force at that size)", err, size)
	}
	return cp, err
}
