package verify

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"sori/internal/bundle"
	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/verify/independent"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const (
	katDir    = "testdata/tlog-proof"
	katOrigin = "sori.archive/00112233445566778899aabbccddeeff"
	katSize   = 7 // not a power of two: proofs of different lengths
)

// katLeaf is one entry of the known-answer tree.
type katLeaf struct {
	salt, entry, leaf []byte
	content           evidence.Digest
}

// knownAnswers builds the known-answer files from fixed inputs with sori's
// own code (custody, tlog, note): a tree of katSize salted leaves, signed
// by a log key whose Ed25519 seed is SHA-256("sori known-answer log key").
func knownAnswers(t *testing.T) (map[string][]byte, []katLeaf, string) {
	t.Helper()
	seed := sha256.Sum256([]byte("sori known-answer log key"))
	pub := ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(katOrigin, pub)
	if err != nil {
		t.Fatal(err)
	}
	// The signer key in signed-note form: PRIVATE+KEY+name+hash+base64(0x01 ‖ seed).
	parts := strings.Split(vkey, "+")
	skey := "PRIVATE+KEY+" + katOrigin + "+" + parts[1] + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, seed[:]...))

	var leaves []katLeaf
	var hashes []tlog.Hash
	hr := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	var vec strings.Builder
	fmt.Fprintf(&vec, "# sori tlog-proof known-answer vectors (docs/bundle.md)\n")
	fmt.Fprintf(&vec, "# leaf data = SHA-256(\"sori leaf v1\" || 0x00 || salt || content || SHA-256(entry)); leaf hash = SHA-256(0x00 || leaf data)\n")
	fmt.Fprintf(&vec, "log-key %s\n\n", vkey)
	for i := range int64(katSize) {
		e := custody.Entry{V: custody.EntryVersion, Seq: i, Kind: custody.KindIntake, Time: time.Date(2026, 11, 23, 18, 40, int(i), 123456789, time.UTC),
			Actor: "7ebec46d1b99ea585d9aa5531f12c324", Object: fmt.Sprintf("%032x", 0xa0+i), Version: 1,
			Digest: evidence.Sum([]byte("record " + strconv.FormatInt(i, 10)))}
		l := katLeaf{salt: bytes.Repeat([]byte{byte(0x10 + i)}, custody.SaltSize), content: evidence.Sum([]byte("content " + strconv.FormatInt(i, 10)))}
		if i == 0 {
			e.Kind, e.Object, e.Version, l.content = custody.KindInit, "00112233445566778899aabbccddeeff", 0, evidence.Digest{}
		}
		l.entry = e.Marshal()
		l.leaf = custody.LeafData(l.salt, l.content, evidence.Sum(l.entry))
		leaves = append(leaves, l)
		add, err := tlog.StoredHashes(i, l.leaf, hr)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, add...)
		lh := custody.LeafHash(l.leaf)
		fmt.Fprintf(&vec, "index %d\nsalt %x\ncontent %x\nentry %s\nentry-sha256 %x\nleaf-data %x\nleaf-hash %x\n\n",
			i, l.salt, l.content[:], l.entry, sha256.Sum256(l.entry), l.leaf, lh[:])
	}
	root, err := tlog.TreeHash(katSize, hr)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := custody.SignCheckpoint(skey, katOrigin, katSize, root)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&vec, "size %d\nroot %x\n", katSize, root[:])
	files := map[string][]byte{"vectors.txt": []byte(vec.String()), "log-key.txt": []byte(vkey + "\n"), "checkpoint.txt": cp.Note}
	for i := range int64(katSize) {
		p, err := tlog.ProveRecord(katSize, i, hr)
		if err != nil {
			t.Fatal(err)
		}
		files[fmt.Sprintf("%d.tlog-proof", i)] = custody.MarshalProof(i, p, cp, nil)
	}
	// A log key handover (spec step 2): from tree size katFrom the log is
	// signed by a second key, seed SHA-256("sori known-answer log key 2");
	// the same tree of katSize signed by it.
	skey2, vkey2 := katKey(t, "sori known-answer log key 2")
	h, err := custody.SignHandover(skey, katOrigin, katFrom, vkey2)
	if err != nil {
		t.Fatal(err)
	}
	cp2, err := custody.SignCheckpoint(skey2, katOrigin, katSize, root)
	if err != nil {
		t.Fatal(err)
	}
	files["handover-log-key-chain.txt"] = h.Note
	files["handover-checkpoint.txt"] = cp2.Note
	return files, leaves, vkey
}

// katFrom is the first tree size the known-answer handover's new key signs.
const katFrom = 5

// katKey is a log key of katOrigin whose Ed25519 seed is SHA-256(seedText),
// in signed-note form: the signer key PRIVATE+KEY+name+hash+base64(0x01 ‖
// seed) and the verifier key.
func katKey(t *testing.T, seedText string) (skey, vkey string) {
	t.Helper()
	seed := sha256.Sum256([]byte(seedText))
	pub := ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(katOrigin, pub)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.SplitN(vkey, "+", 3)
	return "PRIVATE+KEY+" + katOrigin + "+" + parts[1] + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, seed[:]...)), vkey
}

// TestGoldenHandover pins the handover note's encoding and holds both
// verifiers to the specification's step 2: the chain from the first key
// is accepted, the checkpoint of size katSize only under the second key
// (the first key's is refused once the log was handed over), and any
// one-byte change to the chain is refused.
func TestGoldenHandover(t *testing.T) {
	files, _, vkey := knownAnswers(t) // TestGoldenTlogProof compares and -update writes them
	chainNotes, cp2 := files["handover-log-key-chain.txt"], files["handover-checkpoint.txt"]
	cp1 := files["checkpoint.txt"]
	for name, b := range map[string][]byte{"handover-log-key-chain.txt": chainNotes, "handover-checkpoint.txt": cp2} {
		got, err := os.ReadFile(filepath.Join(katDir, name))
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("%s/%s differs from what sori computes today (%v)", katDir, name, err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if !strings.Contains(bundle.Spec, line) {
				t.Errorf("the bundle specification does not show %s line %q", name, line)
			}
		}
	}
	_, vkey2 := katKey(t, "sori known-answer log key 2")
	ic, err := independent.ParseKeyChain(vkey, chainNotes)
	if err != nil || len(ic.Keys) != 2 || ic.Strs[1] != vkey2 || ic.From[1] != katFrom {
		t.Fatalf("independent: the chain: %v %+v", err, ic)
	}
	sc, err := custody.ParseChain(katOrigin, vkey, chainNotes)
	if err != nil || sc.Current() != vkey2 {
		t.Fatalf("sori: the chain: %v", err)
	}
	if _, err := ic.OpenCheckpoint(cp2); err != nil {
		t.Errorf("independent: the second key's checkpoint: %v", err)
	}
	if _, err := sc.OpenCheckpoint(cp2); err != nil {
		t.Errorf("sori: the second key's checkpoint: %v", err)
	}
	if _, err := ic.OpenCheckpoint(cp1); err == nil {
		t.Error("independent: the first key's checkpoint of a size after the handover is accepted")
	}
	if _, err := sc.OpenCheckpoint(cp1); err == nil {
		t.Error("sori: the first key's checkpoint of a size after the handover is accepted")
	}
	for pos := range chainNotes {
		bad := bytes.Clone(chainNotes)
		bad[pos] ^= 0x01
		if c, err := independent.ParseKeyChain(vkey, bad); err == nil && len(c.Keys) == 2 {
			t.Errorf("independent verifier accepts the chain with byte %d changed", pos)
		}
		if c, err := custody.ParseChain(katOrigin, vkey, bad); err == nil && len(c.Handovers) == 1 {
			t.Errorf("sori accepts the chain with byte %d changed", pos)
		}
	}
}

// TestGoldenTlogProof pins the leaf, tree, proof and checkpoint encodings to
// checked-in bytes, and requires both verifiers to accept every proof and
// to reject every one-byte change to a proof or the checkpoint.
func TestGoldenTlogProof(t *testing.T) {
	files, leaves, vkey := knownAnswers(t)
	if *update {
		if err := os.MkdirAll(katDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(katDir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(katDir, name))
		if err != nil {
			t.Fatalf("%v (run go test ./verify -run Golden -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s/%s differs from what sori computes today: the leaf, proof or checkpoint encoding changed", katDir, name)
		}
	}
	key, err := independent.ParseLogKey(vkey)
	if err != nil {
		t.Fatal(err)
	}
	golden := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(katDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cpNote := golden("checkpoint.txt")
	for i, l := range leaves {
		// The independent verifier recomputes the leaf from the vector's inputs.
		if got := independent.LeafData(l.salt, l.content[:], l.entry); !bytes.Equal(got[:], l.leaf) {
			t.Errorf("leaf %d: independent leaf data %x, sori %x", i, got, l.leaf)
		}
		pf := golden(fmt.Sprintf("%d.tlog-proof", i))
		p, cp, err := independent.CheckProof(pf, l.leaf, key)
		if err != nil || p.Index != uint64(i) || cp.Size != katSize {
			t.Fatalf("independent verifier: proof %d: %v (index %d, size %d)", i, err, p.Index, cp.Size)
		}
		if idx, err := checkProofFile(pf, l.leaf, cpNote, katOrigin, vkey); err != nil || idx != int64(i) {
			t.Fatalf("verify: proof %d: %v (index %d)", i, err, idx)
		}
		// A proof is for its leaf only.
		other := leaves[(i+1)%len(leaves)].leaf
		if _, _, err := independent.CheckProof(pf, other, key); err == nil {
			t.Errorf("independent verifier accepts proof %d for another leaf", i)
		}
		if _, err := checkProofFile(pf, other, cpNote, katOrigin, vkey); err == nil {
			t.Errorf("verify accepts proof %d for another leaf", i)
		}
		for pos := range pf {
			for _, x := range []byte{0x01, 0x20, 0x80} {
				bad := bytes.Clone(pf)
				bad[pos] ^= x
				if p, _, err := independent.CheckProof(bad, l.leaf, key); err == nil && p.Index == uint64(i) {
					t.Errorf("independent verifier accepts proof %d with byte %d ^ %#x", i, pos, x)
				}
				if idx, err := checkProofFile(bad, l.leaf, nil, katOrigin, vkey); err == nil && idx == int64(i) {
					t.Errorf("verify accepts proof %d with byte %d ^ %#x", i, pos, x)
				}
			}
		}
	}
	for pos := range cpNote {
		bad := bytes.Clone(cpNote)
		bad[pos] ^= 0x01
		if _, err := independent.OpenCheckpoint(bad, key); err == nil {
			t.Errorf("independent verifier accepts the checkpoint with byte %d changed", pos)
		}
		_, err := custody.OpenCheckpoint(bad, katOrigin, vkey)
		if err == nil {
			err = canonicalNote(bad)
		}
		if err == nil {
			t.Errorf("verify accepts the checkpoint with byte %d changed", pos)
		}
	}
	if _, err := independent.ParseLogKey(strings.TrimSpace(string(golden("log-key.txt")))); err != nil {
		t.Errorf("golden log key: %v", err)
	}
	// The specification every bundle carries shows these very files as its
	// worked example.
	for _, name := range []string{"log-key.txt", "checkpoint.txt", "3.tlog-proof"} {
		for _, line := range strings.Split(string(golden(name)), "\n") {
			if !strings.Contains(bundle.Spec, line) {
				t.Errorf("the bundle specification does not show %s line %q", name, line)
			}
		}
	}
	// The vectors' root is the checkpoint's.
	cp, err := independent.OpenCheckpoint(cpNote, key)
	if err != nil || !strings.Contains(string(golden("vectors.txt")), "root "+hex.EncodeToString(cp.Root[:])) {
		t.Errorf("checkpoint root and vectors.txt disagree: %v", err)
	}
}
