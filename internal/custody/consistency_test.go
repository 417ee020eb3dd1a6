package custody_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/verify/independent"
)

// signedAt signs the tree head of the first n entries of r.
func signedAt(t testing.TB, n int64, r tlog.HashReader) custody.Checkpoint {
	t.Helper()
	skey, _ := logKeys(t)
	cp, err := custody.SignCheckpoint(skey, custody.Origin(testArchiveID), n, treeHash(t, n, r))
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

// TestConsistencyAcrossAppends proves and checks, through the text format,
// random pairs of sizes of a growing log, and refuses each proof against
// any other pair of sizes.
func TestConsistencyAcrossAppends(t *testing.T) {
	const n = 300
	r := tree(t, n, leafData)
	rng := rand.New(rand.NewPCG(16, 2))
	for range 200 {
		a, b := 1+rng.Int64N(n), 1+rng.Int64N(n)
		if a > b {
			a, b = b, a
		}
		old, nw := signedAt(t, a, r), signedAt(t, b, r)
		p, err := custody.ProveConsistency(a, b, r)
		if err != nil {
			t.Fatalf("prove %d→%d: %v", a, b, err)
		}
		q, err := custody.ParseConsistency(p.Marshal())
		if err != nil {
			t.Fatalf("parse %d→%d: %v", a, b, err)
		}
		if err := q.Check(old, nw); err != nil {
			t.Fatalf("check %d→%d: %v", a, b, err)
		}
		// The same proof against other checkpoints fails.
		if a > 1 {
			if err := q.Check(signedAt(t, a-1, r), nw); !errors.Is(err, evidence.ErrTampered) {
				t.Errorf("proof %d→%d accepted from %d: %v", a, b, a-1, err)
			}
		}
		if b < n {
			if err := q.Check(old, signedAt(t, b+1, r)); !errors.Is(err, evidence.ErrTampered) {
				t.Errorf("proof %d→%d accepted to %d: %v", a, b, b+1, err)
			}
		}
	}
	if _, err := custody.ProveConsistency(9, 8, r); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("proof from a larger tree: %v", err)
	}
}

// TestConsistencyForkRefused builds a second log that differs from the
// first at one entry: no proof from the first log's checkpoints reaches the
// fork's, whatever sizes (the same size with another root included).
func TestConsistencyForkRefused(t *testing.T) {
	const n = 40
	r := tree(t, n, leafData)
	for _, at := range []int64{0, 7, 31, 39} {
		forked := tree(t, n, func(i int64) []byte {
			if i == at {
				return custody.LeafData(salt(1000), content(i), entry(i).Sum())
			}
			return leafData(i)
		})
		for _, sizes := range [][2]int64{{at + 1, n}, {n, n}, {at + 1, at + 1}} {
			old := signedAt(t, sizes[0], r)
			nw := signedAt(t, sizes[1], forked)
			p, err := custody.ProveConsistency(sizes[0], sizes[1], forked)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Check(old, nw); !errors.Is(err, evidence.ErrTampered) {
				t.Errorf("fork at %d, %v: %v, want ErrTampered", at, sizes, err)
			}
			p2, _ := custody.ProveConsistency(sizes[0], sizes[1], r)
			if err := p2.Check(old, nw); !errors.Is(err, evidence.ErrTampered) {
				t.Errorf("fork at %d, %v, honest proof: %v, want ErrTampered", at, sizes, err)
			}
		}
	}
}

// TestConsistencyTampered changes every byte of an encoded proof in every
// bit: each change is refused by the parser or the check.
func TestConsistencyTampered(t *testing.T) {
	r := tree(t, 50, leafData)
	old, nw := signedAt(t, 13, r), signedAt(t, 50, r)
	p, err := custody.ProveConsistency(13, 50, r)
	if err != nil {
		t.Fatal(err)
	}
	enc := p.Marshal()
	for i := range enc {
		for bit := range 8 {
			b := bytes.Clone(enc)
			b[i] ^= 1 << bit
			q, err := custody.ParseConsistency(b)
			if err == nil {
				err = q.Check(old, nw)
			}
			if !errors.Is(err, evidence.ErrTampered) {
				t.Fatalf("byte %d bit %d changed: %v", i, bit, err)
			}
		}
	}
	// Dropping or adding a hash line.
	lines := bytes.SplitAfter(enc, []byte("\n"))
	short := bytes.Join(append(lines[:2:2], lines[3:]...), nil)
	long := append(bytes.Clone(enc), lines[2]...)
	for name, b := range map[string][]byte{"short": short, "long": long, "empty": nil, "no newline": enc[:len(enc)-1]} {
		q, err := custody.ParseConsistency(b)
		if err == nil {
			err = q.Check(old, nw)
		}
		if !errors.Is(err, evidence.ErrTampered) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestSplitNote(t *testing.T) {
	cp, _ := testCheckpoint(t)
	rest := []byte("sori-consistency-proof/v1\nconsistency 1 13\n")
	for _, tail := range [][]byte{nil, rest} {
		note, got, err := custody.SplitNote(append(bytes.Clone(cp.Note), tail...))
		if err != nil || !bytes.Equal(note, cp.Note) || !bytes.Equal(got, tail) {
			t.Errorf("split: %q %q %v", note, got, err)
		}
	}
	for _, bad := range []string{"", "text\n", "text\n\nno signature\n", "text\n\n— sig"} {
		if _, _, err := custody.SplitNote([]byte(bad)); !errors.Is(err, evidence.ErrInvalid) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func FuzzParseConsistency(f *testing.F) {
	r := tree(f, 20, leafData)
	for _, s := range [][2]int64{{1, 1}, {3, 20}, {16, 20}} {
		p, err := custody.ProveConsistency(s[0], s[1], r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(p.Marshal())
	}
	f.Add([]byte("sori-consistency-proof/v1\nconsistency 0 1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := custody.ParseConsistency(b)
		if err != nil {
			if !errors.Is(err, evidence.ErrTampered) {
				t.Fatalf("error kind: %v", err)
			}
			return
		}
		if !bytes.Equal(p.Marshal(), b) {
			t.Fatalf("round trip: %q", b)
		}
		_, _, _ = custody.SplitNote(b)
	})
}

// rfc9162Verify is the consistency proof verification of RFC 9162
// §2.1.4.2, written from the RFC, to show that the proofs sori writes are
// the RFC 6962 PROOF(m, D[n]) that docs/format.md says they are.
func rfc9162Verify(first, second int64, firstHash, secondHash tlog.Hash, path []tlog.Hash) bool {
	node := func(l, r tlog.Hash) tlog.Hash { return tlog.NodeHash(l, r) }
	if first == second {
		return len(path) == 0 && firstHash == secondHash
	}
	if first&(first-1) == 0 { // a power of two
		path = append([]tlog.Hash{firstHash}, path...)
	}
	if len(path) == 0 {
		return false
	}
	fn, sn := first-1, second-1
	for fn&1 == 1 {
		fn >>= 1
		sn >>= 1
	}
	fr, sr := path[0], path[0]
	for _, c := range path[1:] {
		if sn == 0 {
			return false
		}
		if fn&1 == 1 || fn == sn {
			fr, sr = node(c, fr), node(c, sr)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			sr = node(sr, c)
		}
		fn >>= 1
		sn >>= 1
	}
	return fr == firstHash && sr == secondHash && sn == 0
}

func TestConsistencyIsRFC9162(t *testing.T) {
	const n = 70
	r := tree(t, n, leafData)
	for a := int64(1); a <= n; a++ {
		for b := a; b <= n; b++ {
			p, err := custody.ProveConsistency(a, b, r)
			if err != nil {
				t.Fatal(err)
			}
			if !rfc9162Verify(a, b, treeHash(t, a, r), treeHash(t, b, r), p.Hashes) {
				t.Fatalf("proof %d→%d does not pass RFC 9162 §2.1.4.2", a, b)
			}
			// And the bundle specification's independent verifier, through
			// the text format.
			m, n, path, err := independent.ParseConsistency(p.Marshal())
			if err != nil || !independent.VerifyConsistency(m, n, independent.Hash(treeHash(t, a, r)), independent.Hash(treeHash(t, b, r)), path) {
				t.Fatalf("proof %d→%d refused by verify/independent: %v", a, b, err)
			}
			if a > 1 && independent.VerifyConsistency(m, n, independent.Hash(treeHash(t, a-1, r)), independent.Hash(treeHash(t, b, r)), path) {
				t.Fatalf("proof %d→%d accepted by verify/independent from %d", a, b, a-1)
			}
		}
	}
}
