package custody_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/formats/proof"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"sori/internal/custody"
	"sori/internal/evidence"
)

// Known-answer vectors. The golden files in testdata/ are what this code
// wrote when the format was fixed (docs/format.md); a change to any of them
// is a change of the on-disk or on-wire format. Refresh them, knowingly,
// with
//
//	go test ./internal/custody -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/custody -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s changed: the encoding is not what it was.\n got: %q\nwant: %q", path, got, want)
	}
}

// The fixed inputs of the vectors.
const (
	testArchiveID = "00112233445566778899aabbccddeeff"
	testTreeSize  = 13
	testProofLeaf = 5
)

var testTime = time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)

// seed returns a 32-byte Ed25519 seed filled with b, b+1, b+2, …
func seed(b byte) []byte {
	s := make([]byte, ed25519.SeedSize)
	for i := range s {
		s[i] = b + byte(i)
	}
	return s
}

// actorKey is the fixed key of the actor who signs the test entries.
var actorKey = ed25519.NewKeyFromSeed(seed(0x40))

// logKeys builds the signed-note key pair of the test log from a fixed
// seed, in the formats of golang.org/x/mod/sumdb/note:
// skey "PRIVATE+KEY+<name>+<hash>+<base64(0x01 ‖ seed)>",
// vkey "<name>+<hash>+<base64(0x01 ‖ public key)>".
func logKeys(t testing.TB) (skey, vkey string) {
	t.Helper()
	name := custody.Origin(testArchiveID)
	s := seed(0)
	pub := ed25519.NewKeyFromSeed(s).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(name, pub)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(vkey, "+")
	skey = "PRIVATE+KEY+" + name + "+" + parts[1] + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, s...))
	// The key hash is SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)[:4], big-endian.
	h := sha256.Sum256(append([]byte(name+"\n\x01"), pub...))
	if want := fmt.Sprintf("%08x", binary.BigEndian.Uint32(h[:4])); parts[1] != want {
		t.Fatalf("key hash %s, want %s", parts[1], want)
	}
	return skey, vkey
}

// entry returns test entry i: the archive's init entry, then intakes.
func entry(i int64) custody.Entry {
	e := custody.Entry{V: custody.EntryVersion, Seq: i, Kind: custody.KindIntake, Time: testTime.Add(time.Duration(i) * time.Second),
		Actor: "0123456789abcdef0123456789abcdef", Object: fmt.Sprintf("%032x", i+1), Version: 1,
		Digest: evidence.Sum([]byte(fmt.Sprintf("record %d", i)))}
	if i == 0 {
		e.Kind, e.Object, e.Version = custody.KindInit, testArchiveID, 0
	}
	return e
}

func salt(i int64) []byte {
	h := sha256.Sum256([]byte(fmt.Sprintf("salt %d", i)))
	return h[:]
}

func content(i int64) evidence.Digest {
	if i == 0 {
		return evidence.Digest{} // entries about no file commit to zero
	}
	return evidence.Sum([]byte(fmt.Sprintf("content %d", i)))
}

func leafData(i int64) []byte { return custody.LeafData(salt(i), content(i), entry(i).Sum()) }

// tree is an in-memory Merkle tree of the first n test entries.
func tree(t testing.TB, n int64, leaf func(int64) []byte) tlog.HashReader {
	t.Helper()
	var hashes []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x < 0 || x >= int64(len(hashes)) {
				return nil, fmt.Errorf("no hash %d", x)
			}
			out[i] = hashes[x]
		}
		return out, nil
	})
	for i := range n {
		add, err := tlog.StoredHashes(i, leaf(i), r)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, add...)
	}
	return r
}

func treeHash(t testing.TB, n int64, r tlog.HashReader) tlog.Hash {
	t.Helper()
	h, err := tlog.TreeHash(n, r)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// testCheckpoint signs the 13-entry test tree.
func testCheckpoint(t testing.TB) (custody.Checkpoint, tlog.HashReader) {
	t.Helper()
	skey, _ := logKeys(t)
	r := tree(t, testTreeSize, leafData)
	cp, err := custody.SignCheckpoint(skey, custody.Origin(testArchiveID), testTreeSize, treeHash(t, testTreeSize, r))
	if err != nil {
		t.Fatal(err)
	}
	return cp, r
}

func testProof(t testing.TB) []byte {
	t.Helper()
	cp, r := testCheckpoint(t)
	p, err := tlog.ProveRecord(testTreeSize, testProofLeaf, r)
	if err != nil {
		t.Fatal(err)
	}
	return custody.MarshalProof(testProofLeaf, p, cp, nil)
}

func TestGoldenEntry(t *testing.T) {
	e := entry(testProofLeaf)
	golden(t, "entry.json", e.Marshal())
	// Canonical: the same entry in another time zone encodes the same.
	e2 := e
	e2.Time = e.Time.In(time.FixedZone("KST", 9*3600))
	if !bytes.Equal(e2.Marshal(), e.Marshal()) {
		t.Errorf("the encoding depends on the time zone: %s", e2.Marshal())
	}
}

func TestGoldenLeaf(t *testing.T) {
	i := int64(testProofLeaf)
	e := entry(i)
	data := leafData(i)
	hash := custody.LeafHash(data)

	// The documented formula, computed here without the package.
	h := sha256.New()
	h.Write([]byte("sori leaf v1"))
	h.Write([]byte{0})
	h.Write(salt(i))
	c := content(i)
	h.Write(c[:])
	es := sha256.Sum256(e.Marshal())
	h.Write(es[:])
	if want := h.Sum(nil); !bytes.Equal(data, want) {
		t.Errorf("leaf data %x, want SHA-256(\"sori leaf v1\" ‖ 0x00 ‖ salt ‖ content ‖ SHA-256(entry)) = %x", data, want)
	}
	if want := sha256.Sum256(append([]byte{0}, data...)); hash != tlog.Hash(want) {
		t.Errorf("leaf hash %x, want the RFC 6962 leaf hash SHA-256(0x00 ‖ leaf data) = %x", hash, want)
	}

	sig := ed25519.Sign(actorKey, e.SignedMessage())
	if !bytes.HasPrefix(e.SignedMessage(), []byte("sori custody entry v1\n")) {
		t.Errorf("signed message %q lacks its context line", e.SignedMessage())
	}
	var b strings.Builder
	fmt.Fprintf(&b, "entry       %s\n", e.Marshal())
	fmt.Fprintf(&b, "salt        %x\n", salt(i))
	fmt.Fprintf(&b, "content     %x\n", c[:])
	fmt.Fprintf(&b, "entry_sum   %x\n", es[:])
	fmt.Fprintf(&b, "leaf_data   %x\n", data)
	fmt.Fprintf(&b, "leaf_hash   %x\n", hash[:])
	fmt.Fprintf(&b, "actor_seed  %x\n", seed(0x40))
	fmt.Fprintf(&b, "entry_sig   %s\n", base64.StdEncoding.EncodeToString(sig))
	golden(t, "leaf.txt", []byte(b.String()))
}

func TestGoldenCheckpoint(t *testing.T) {
	_, vkey := logKeys(t)
	golden(t, "logkey.txt", []byte(vkey+"\n"))
	cp, _ := testCheckpoint(t)
	golden(t, "checkpoint.txt", cp.Note)

	got, err := custody.OpenCheckpoint(cp.Note, custody.Origin(testArchiveID), vkey)
	if err != nil {
		t.Fatal(err)
	}
	if got.Size != testTreeSize || got.Hash != cp.Hash || got.Origin != custody.Origin(testArchiveID) {
		t.Errorf("opened %+v, want size %d hash %s", got, testTreeSize, cp.Hash)
	}
	if _, err := custody.OpenCheckpoint(cp.Note, custody.Origin("ffeeddccbbaa99887766554433221100"), vkey); !errors.Is(err, evidence.ErrTampered) {
		t.Errorf("checkpoint accepted for another origin: %v", err)
	}
	_, other, _ := custody.NewLogKey(custody.Origin(testArchiveID))
	if _, err := custody.OpenCheckpoint(cp.Note, custody.Origin(testArchiveID), other); !errors.Is(err, evidence.ErrTampered) {
		t.Errorf("checkpoint accepted under another key of the same name: %v", err)
	}
	if custody.VerifierName(vkey) != custody.Origin(testArchiveID) {
		t.Errorf("VerifierName(%q) = %q", vkey, custody.VerifierName(vkey))
	}
}

func TestGoldenProof(t *testing.T) {
	p := testProof(t)
	golden(t, fmt.Sprintf("proof-%d-of-%d.txt", testProofLeaf, testTreeSize), p)

	_, vkey := logKeys(t)
	cp, idx, err := custody.CheckProof(p, leafData(testProofLeaf), custody.Origin(testArchiveID), vkey)
	if err != nil {
		t.Fatal(err)
	}
	if idx != testProofLeaf || cp.Size != testTreeSize {
		t.Errorf("proof of entry %d in a tree of %d, want %d of %d", idx, cp.Size, testProofLeaf, testTreeSize)
	}
	// The proof is for that leaf only.
	for i := range int64(testTreeSize) {
		if i == testProofLeaf {
			continue
		}
		if _, _, err := custody.CheckProof(p, leafData(i), custody.Origin(testArchiveID), vkey); !errors.Is(err, evidence.ErrTampered) {
			t.Errorf("the proof of entry %d also proves entry %d: %v", testProofLeaf, i, err)
		}
	}
	// Salt, content and entry each matter.
	e := entry(testProofLeaf)
	e.Version = 2
	for name, leaf := range map[string][]byte{
		"salt":    custody.LeafData(salt(99), content(testProofLeaf), entry(testProofLeaf).Sum()),
		"content": custody.LeafData(salt(testProofLeaf), content(99), entry(testProofLeaf).Sum()),
		"entry":   custody.LeafData(salt(testProofLeaf), content(testProofLeaf), e.Sum()),
	} {
		if _, _, err := custody.CheckProof(p, leaf, custody.Origin(testArchiveID), vkey); err == nil {
			t.Errorf("proof accepted with another %s", name)
		}
	}
}

func TestUnmarshal(t *testing.T) {
	for i := range int64(3) {
		e := entry(i)
		got, err := custody.Unmarshal(e.Marshal())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Marshal(), e.Marshal()) || !got.Time.Equal(e.Time) {
			t.Errorf("round trip of entry %d: %+v, want %+v", i, got, e)
		}
	}
	canon := string(entry(1).Marshal())
	future := entry(1)
	future.V = 2
	for _, c := range []struct {
		name string
		in   string
		want error
	}{
		{"not JSON", "{", evidence.ErrDamaged},
		{"empty", "", evidence.ErrDamaged},
		{"unknown version", string(future.Marshal()), evidence.ErrDamaged},
		{"no version", strings.Replace(canon, `"v":1,`, ``, 1), evidence.ErrDamaged},
		{"space", strings.Replace(canon, `,"seq"`, `, "seq"`, 1), evidence.ErrTampered},
		{"trailing newline", canon + "\n", evidence.ErrTampered},
		{"fields reordered", strings.Replace(canon, `"v":1,"seq":1,`, `"seq":1,"v":1,`, 1), evidence.ErrTampered},
		{"key case", strings.Replace(canon, `"kind"`, `"Kind"`, 1), evidence.ErrTampered},
		{"unknown field", strings.Replace(canon, `"v":1,`, `"v":1,"x":0,`, 1), evidence.ErrTampered},
		{"duplicate field", strings.Replace(canon, `"v":1,`, `"v":1,"v":1,`, 1), evidence.ErrTampered},
		{"time zone", strings.Replace(canon, `03:04:06.123456789Z`, `12:04:06.123456789+09:00`, 1), evidence.ErrTampered},
		{"escaped character", strings.Replace(canon, `"intake"`, `"\u0069ntake"`, 1), evidence.ErrTampered},
		{"digest in capitals", upperDigest(canon), evidence.ErrTampered},
	} {
		if c.in == canon {
			t.Fatalf("%s: the test input is the canonical entry", c.name)
		}
		_, err := custody.Unmarshal([]byte(c.in))
		if !errors.Is(err, c.want) {
			t.Errorf("%s: Unmarshal(%q) = %v, want %v", c.name, c.in, err, c.want)
		}
	}
}

// upperDigest writes the digest of an encoded entry in capital hex.
func upperDigest(canon string) string {
	i := strings.Index(canon, `"digest":"`) + len(`"digest":"`)
	return canon[:i] + strings.ToUpper(canon[i:i+64]) + canon[i+64:]
}

func TestVerify(t *testing.T) {
	e := entry(3)
	sig := ed25519.Sign(actorKey, e.SignedMessage())
	pub := actorKey.Public().(ed25519.PublicKey)
	if !e.Verify(pub, sig) || !custody.VerifyEncoded(pub, e.Marshal(), sig) {
		t.Fatal("a good signature does not verify")
	}
	for name, alter := range map[string]func(*custody.Entry){
		"v":       func(e *custody.Entry) { e.V++ },
		"seq":     func(e *custody.Entry) { e.Seq++ },
		"kind":    func(e *custody.Entry) { e.Kind = custody.KindVersion },
		"time":    func(e *custody.Entry) { e.Time = e.Time.Add(time.Nanosecond) },
		"actor":   func(e *custody.Entry) { e.Actor = "f" + e.Actor[1:] },
		"object":  func(e *custody.Entry) { e.Object = "f" + e.Object[1:] },
		"version": func(e *custody.Entry) { e.Version++ },
		"digest":  func(e *custody.Entry) { e.Digest[31] ^= 1 },
	} {
		a := e
		alter(&a)
		if a.Verify(pub, sig) || custody.VerifyEncoded(pub, a.Marshal(), sig) {
			t.Errorf("entry with another %s verifies", name)
		}
		if a.Sum() == e.Sum() {
			t.Errorf("entry with another %s has the same digest", name)
		}
	}
	// Signatures of the bare JSON (without the context line) do not verify.
	if e.Verify(pub, ed25519.Sign(actorKey, e.Marshal())) {
		t.Error("a signature without the context line verifies")
	}
	other := ed25519.NewKeyFromSeed(seed(0x80)).Public().(ed25519.PublicKey)
	for name, c := range map[string]struct {
		pub ed25519.PublicKey
		sig []byte
	}{
		"other key":       {other, sig},
		"short key":       {pub[:31], sig},
		"no key":          {nil, sig},
		"short signature": {pub, sig[:63]},
		"no signature":    {pub, nil},
	} {
		if e.Verify(c.pub, c.sig) || custody.VerifyEncoded(c.pub, e.Marshal(), c.sig) {
			t.Errorf("%s: verifies", name)
		}
	}
}

func TestConsistent(t *testing.T) {
	r := tree(t, testTreeSize, leafData)
	at := func(n int64, r tlog.HashReader) custody.Checkpoint {
		return custody.Checkpoint{Size: n, Hash: treeHash(t, n, r)}
	}
	for _, n := range []int64{1, 5, 8, 12, 13} {
		if err := custody.Consistent(at(n, r), testTreeSize, r); err != nil {
			t.Errorf("tree of %d does not extend its own prefix of %d: %v", testTreeSize, n, err)
		}
	}
	// A smaller tree than the one seen before: rollback.
	bigger := tree(t, testTreeSize+1, leafData)
	if err := custody.Consistent(at(testTreeSize+1, bigger), testTreeSize, r); !errors.Is(err, evidence.ErrTampered) {
		t.Errorf("smaller tree: %v, want ErrTampered", err)
	}
	// A tree that diverged at entry 3.
	forked := tree(t, testTreeSize, func(i int64) []byte {
		if i == 3 {
			return custody.LeafData(salt(99), content(i), entry(i).Sum())
		}
		return leafData(i)
	})
	for _, n := range []int64{4, 8, 13} {
		if err := custody.Consistent(at(n, forked), testTreeSize, r); !errors.Is(err, evidence.ErrTampered) {
			t.Errorf("tree diverging at entry 3, checkpoint of %d: %v, want ErrTampered", n, err)
		}
	}
	// Entries after the checkpoint may be anything.
	if err := custody.Consistent(at(3, forked), testTreeSize, r); err != nil {
		t.Errorf("trees agree on the first 3 entries, yet: %v", err)
	}
	// Stored hashes missing.
	empty := tlog.HashReaderFunc(func([]int64) ([]tlog.Hash, error) { return nil, errors.New("no hashes") })
	if err := custody.Consistent(at(5, r), testTreeSize, empty); !errors.Is(err, evidence.ErrTampered) {
		t.Errorf("unreadable tree: %v, want ErrTampered", err)
	}
}

// TestCheckProofOneByteChanges changes every byte of the golden proof in
// nine ways (each bit, and all bits), and the last bytes in all 255 ways.
// Each change must be refused: a proof is exactly the bytes its fields
// encode to, so even a change that decodes to the same proof (unused bits
// of a base64 digit, a carriage return) is refused.
func TestCheckProofOneByteChanges(t *testing.T) {
	p := testProof(t)
	_, vkey := logKeys(t)
	origin := custody.Origin(testArchiveID)
	leaf := leafData(testProofLeaf)
	for off := range p {
		masks := []byte{1, 2, 4, 8, 16, 32, 64, 128, 255}
		if off >= len(p)-3 {
			masks = masks[:0]
			for m := 1; m < 256; m++ {
				masks = append(masks, byte(m))
			}
		}
		for _, mask := range masks {
			b := bytes.Clone(p)
			b[off] ^= mask
			_, _, err := custody.CheckProof(b, leaf, origin, vkey)
			if err == nil {
				t.Errorf("offset %d XOR %#02x (%q→%q): accepted (decodes to the same proof: %v)", off, mask, p[off], b[off], sameProof(b, p))
			} else if !errors.Is(err, evidence.ErrTampered) {
				t.Errorf("offset %d XOR %#02x: %v, want ErrTampered", off, mask, err)
			}
		}
	}
}

func TestCheckProofRefuses(t *testing.T) {
	p := testProof(t)
	skey, vkey := logKeys(t)
	origin := custody.Origin(testArchiveID)
	leaf := leafData(testProofLeaf)
	cp, r := testCheckpoint(t)
	rp, err := tlog.ProveRecord(testTreeSize, testProofLeaf, r)
	if err != nil {
		t.Fatal(err)
	}
	// Index beyond the tree, signed properly.
	if _, _, err := custody.CheckProof(custody.MarshalProof(testTreeSize, rp, cp, nil), leaf, origin, vkey); !errors.Is(err, evidence.ErrTampered) {
		t.Errorf("index outside the tree: %v", err)
	}
	// A proof cut against a checkpoint of another tree of the same size.
	forked := tree(t, testTreeSize, func(i int64) []byte {
		if i == 12 {
			return custody.LeafData(salt(99), content(i), entry(i).Sum())
		}
		return leafData(i)
	})
	fcp, err := custody.SignCheckpoint(skey, origin, testTreeSize, treeHash(t, testTreeSize, forked))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := custody.CheckProof(custody.MarshalProof(testProofLeaf, rp, fcp, nil), leaf, origin, vkey); !errors.Is(err, evidence.ErrTampered) {
		t.Errorf("proof against another tree's checkpoint: %v", err)
	}
	// Truncations, and a byte more.
	for n := range len(p) {
		if _, _, err := custody.CheckProof(p[:n], leaf, origin, vkey); err == nil {
			t.Errorf("proof truncated to %d of %d bytes accepted (decodes to the same proof: %v)", n, len(p), sameProof(p[:n], p))
		}
	}
	for _, extra := range []string{"\n", "\r\n", " ", "x"} {
		if _, _, err := custody.CheckProof(append(bytes.Clone(p), extra...), leaf, origin, vkey); err == nil {
			t.Errorf("proof with %q appended accepted", extra)
		}
	}
}

// sameProof reports whether a and b decode to the same tlog-proof.
func sameProof(a, b []byte) bool {
	var pa, pb proof.TLogProof
	return pa.Unmarshal(a) == nil && pb.Unmarshal(b) == nil && bytes.Equal(pa.Marshal(), pb.Marshal())
}

// FuzzUnmarshal: whatever Unmarshal accepts is exactly the canonical
// encoding of what it returns.
func FuzzUnmarshal(f *testing.F) {
	for i := range int64(3) {
		f.Add(entry(i).Marshal())
	}
	if b, err := os.ReadFile(filepath.Join("testdata", "entry.json")); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"v":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := custody.Unmarshal(b)
		if err != nil {
			if !errors.Is(err, evidence.ErrDamaged) && !errors.Is(err, evidence.ErrTampered) {
				t.Fatalf("error of no kind: %v", err)
			}
			return
		}
		if !bytes.Equal(e.Marshal(), b) {
			t.Fatalf("accepted %q, which encodes as %q", b, e.Marshal())
		}
		e2, err := custody.Unmarshal(e.Marshal())
		if err != nil || e2.Sum() != e.Sum() {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// FuzzCheckProof: CheckProof never panics, and what it accepts for leaf 5
// is a proof of leaf 5 in the one signed tree.
func FuzzCheckProof(f *testing.F) {
	p := testProof(f)
	f.Add(p)
	f.Add([]byte("c2sp.org/tlog-proof@v1\nindex 5\n\n"))
	f.Add([]byte("c2sp.org/tlog-proof@v1\nextra AA==\nindex 99999999999999999999\n"))
	_, vkey := logKeys(f)
	cp, _ := testCheckpoint(f)
	origin := custody.Origin(testArchiveID)
	leaf := leafData(testProofLeaf)
	f.Fuzz(func(t *testing.T, b []byte) {
		got, idx, err := custody.CheckProof(b, leaf, origin, vkey)
		if err != nil {
			if !errors.Is(err, evidence.ErrTampered) {
				t.Fatalf("error of no kind: %v", err)
			}
			return
		}
		if idx != testProofLeaf || got.Size != cp.Size || got.Hash != cp.Hash {
			t.Fatalf("accepted a proof of entry %d in a tree of %d (%s)", idx, got.Size, got.Hash)
		}
	})
}
