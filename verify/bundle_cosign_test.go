package verify

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"sori/internal/archive"
	"sori/internal/bundle"
	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/store"
	"sori/verify/independent"
)

// testWitness is a synthetic C2SP witness: it signs cosignature/v1 lines
// as the specification (step 12.4) describes, so that both verifiers are
// held to the text without a running witness (the CLI test runs a real
// litewitness).
type testWitness struct {
	name string
	priv ed25519.PrivateKey
	vkey string
	id   [4]byte
}

func newTestWitness(t *testing.T, name string) testWitness {
	t.Helper()
	seed := sha256.Sum256([]byte("sori test witness " + name))
	priv := ed25519.NewKeyFromSeed(seed[:])
	k := append([]byte{0x04}, priv.Public().(ed25519.PublicKey)...)
	h := sha256.Sum256(append([]byte(name+"\n"), k...))
	return testWitness{name: name, priv: priv, id: [4]byte(h[:4]),
		vkey: fmt.Sprintf("%s+%x+%s", name, h[:4], base64.StdEncoding.EncodeToString(k))}
}

// cosign returns the witness's signature line over the note's text.
func (w testWitness) cosign(t *testing.T, note []byte, ts uint64) string {
	t.Helper()
	text, err := custody.NoteText(note)
	if err != nil {
		t.Fatal(err)
	}
	sig := ed25519.Sign(w.priv, append([]byte("cosignature/v1\ntime "+strconv.FormatUint(ts, 10)+"\n"), text...))
	raw := append(append(w.id[:], binary.BigEndian.AppendUint64(nil, ts)...), sig...)
	return "— " + w.name + " " + base64.StdEncoding.EncodeToString(raw) + "\n"
}

// TestBundleCosigned: cosignatures the archive kept (AddCosignature checks
// each) travel in a bundle; both verifiers accept them with the witnesses'
// keys, refuse a key with no line, and refuse a line or proof altered.
func TestBundleCosigned(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	a := bagArchive(t, root)
	add := func(name string) evidence.ID {
		p := filepath.Join(root, name)
		if err := os.WriteFile(p, []byte("synthetic "+name+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		var id evidence.ID
		if err := a.Add(ctx, []string{p}, archive.AddOptions{}, func(r archive.Added) error { id = r.ID; return r.Err }); err != nil {
			t.Fatal(err)
		}
		return id
	}
	id := add("note-1.txt")
	w1, w2, stranger := newTestWitness(t, "w1.example"), newTestWitness(t, "w2.example"), newTestWitness(t, "w1.example/other")
	cp, err := a.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []testWitness{w2, w1} {
		if err := a.AddCosignature(ctx, cp, w.vkey, custody.Cosignature{Line: w.cosign(t, cp.Note, 1_800_000_000)}); err != nil {
			t.Fatal(err)
		}
	}
	// A line that does not verify, or a checkpoint not of this log, is not kept.
	bad := flipBase64(w1.cosign(t, cp.Note, 1_800_000_001), len("— w1.example ")+40) // inside the signature
	if err := a.AddCosignature(ctx, cp, w1.vkey, custody.Cosignature{Line: bad}); !errors.Is(err, evidence.ErrTampered) {
		t.Errorf("a forged cosignature: %v", err)
	}
	other := bagArchive(t, t.TempDir())
	ocp, _ := other.Checkpoint(ctx)
	if err := a.AddCosignature(ctx, ocp, w1.vkey, custody.Cosignature{Line: w1.cosign(t, ocp.Note, 1)}); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("another archive's checkpoint: %v", err)
	}
	add("note-2.txt")

	x, err := a.Export(ctx, []string{id.String()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cosigned, note, err := a.LatestCosigned(ctx, x.Checkpoint.Size)
	if err != nil || cosigned.Size != cp.Size {
		t.Fatalf("LatestCosigned: %v, size %d want %d", err, cosigned.Size, cp.Size)
	}
	if want := string(cp.Note) + w1.cosign(t, cp.Note, 1_800_000_000) + w2.cosign(t, cp.Note, 1_800_000_000); string(note) != want {
		t.Fatalf("the cosigned note:\n%s\nwant (lines sorted by witness key)\n%s", note, want)
	}
	p, err := custody.ProveConsistency(cosigned.Size, x.Checkpoint.Size, a.Inspect().HashReader(ctx))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "bundle")
	err = bundle.WriteExtras(ctx, x, func(it store.Item) (io.ReadCloser, error) { return x.Open(ctx, it) }, dir,
		bundle.Extras{Cosigned: &bundle.Cosigned{Checkpoint: note, Proof: p.Marshal()}})
	if err != nil {
		t.Fatal(err)
	}

	check := func(dir string, keys ...string) (*Report, []string) {
		t.Helper()
		r, err := Bundle(dir, BundleOptions{LogKey: a.LogKey(), WitnessKeys: keys})
		if err != nil {
			t.Fatal(err)
		}
		probs, err := independent.CheckWith(dir, independent.Options{LogKey: a.LogKey(), WitnessKeys: keys})
		if err != nil {
			t.Fatal(err)
		}
		return r, probs
	}
	r, probs := check(dir, w1.vkey, w2.vkey)
	if !r.OK() || len(probs) > 0 || r.Cosigned != fmt.Sprintf("%d w1.example,w2.example verified", cp.Size) {
		t.Errorf("both witnesses' keys: %v %q %q", r.Findings, probs, r.Cosigned)
	}
	r, probs = check(dir)
	if !r.OK() || len(probs) > 0 || !strings.HasSuffix(r.Cosigned, " unverified") || len(r.Notes) == 0 {
		t.Errorf("no witness key: %v %q %q %q", r.Findings, probs, r.Cosigned, r.Notes)
	}
	r, probs = check(dir, w1.vkey, stranger.vkey)
	if !hasKind(r, KindCosignature) || len(r.Findings) != 1 || len(probs) != 1 {
		t.Errorf("a witness that did not cosign: %v %q", r.Findings, probs)
	}

	for what, change := range map[string]func(bag string){
		"a cosignature's signature altered": func(bag string) {
			b, _ := os.ReadFile(filepath.Join(bag, bundle.CosignedCheckpointFile))
			s := string(b)
			writeBagFile(t, bag, bundle.CosignedCheckpointFile, []byte(flipBase64(s, strings.Index(s, "— w2.example ")+len("— w2.example ")+40)))
		},
		"the cosigned checkpoint's size altered": func(bag string) {
			b, _ := os.ReadFile(filepath.Join(bag, bundle.CosignedCheckpointFile))
			lines := strings.SplitN(string(b), "\n", 3)
			lines[1] = strconv.FormatInt(cp.Size+1, 10)
			writeBagFile(t, bag, bundle.CosignedCheckpointFile, []byte(strings.Join(lines, "\n")))
		},
		"the proof removed": func(bag string) { os.Remove(filepath.Join(bag, bundle.CosignedProofFile)) },
	} {
		bag := copyBag(t, dir)
		change(bag)
		reseal(t, bag)
		r, probs := check(bag, w1.vkey, w2.vkey)
		if !hasKind(r, KindCosignature) || len(probs) == 0 {
			t.Errorf("%s: verify %v, independent %q", what, r.Findings, probs)
		}
		for _, f := range r.Findings {
			if f.Kind == KindBag {
				t.Errorf("%s: the resealed bag is not clean: %v", what, f)
			}
		}
	}
}

// flipBase64 changes the base64 letter at byte offset i of s to another
// letter, so the text still decodes but to other bytes.
func flipBase64(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}
