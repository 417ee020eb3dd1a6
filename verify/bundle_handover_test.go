package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sori/internal/archive"
	"sori/internal/bundle"
	"sori/internal/custody"
	"sori/internal/seal"
	"sori/internal/store"
	"sori/verify/independent"
)

// TestBundleAfterHandover: a checkpoint cosigned by a witness before a
// removal (which hands the log over to a new key), an item added after,
// and an export: the bundle carries the chain, and both verifiers accept
// it trusting the first published key (the cosigned checkpoint under the
// old key, the bundle's under the new), or the current key; they refuse
// it without the chain, with a handover not signed by the key before it,
// with the bundle's checkpoint signed by the retired key, and trusting a
// key that is not in the chain.
func TestBundleAfterHandover(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	a := bagArchive(t, root)
	if _, err := a.AddUser(ctx, "reader-choi", archive.RoleReader, "correct horse battery staple"); err != nil {
		t.Fatal(err)
	}
	add := func(name string) string {
		p := filepath.Join(root, name)
		if err := os.WriteFile(p, []byte("synthetic "+name+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		var id string
		if err := a.Add(ctx, []string{p}, archive.AddOptions{}, func(r archive.Added) error { id = r.ID.String(); return r.Err }); err != nil {
			t.Fatal(err)
		}
		return id
	}
	before := add("before.txt")
	first := a.LogKey()
	w := newTestWitness(t, "w1.example")
	cp, err := a.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.AddCosignature(ctx, cp, w.vkey, custody.Cosignature{Line: w.cosign(t, cp.Note, 1_800_000_000)}); err != nil {
		t.Fatal(err)
	}
	if err := a.RemoveUser(ctx, "reader-choi"); err != nil {
		t.Fatal(err)
	}
	now := a.LogKey()
	if now == first {
		t.Fatal("the removal did not hand the log over")
	}
	after := add("after.txt")
	x, err := a.Export(ctx, []string{before, after}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if x.LogKey != first || len(x.LogKeyChain) == 0 {
		t.Fatalf("the export names key %q with a chain of %d bytes, want the first key and the chain", x.LogKey, len(x.LogKeyChain))
	}
	cosigned, note, err := a.LatestCosigned(ctx, x.Checkpoint.Size)
	if err != nil || cosigned.Size != cp.Size {
		t.Fatalf("LatestCosigned across the handover: %v (size %d, want %d)", err, cosigned.Size, cp.Size)
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
	check := func(dir, key string) (*Report, []string) {
		t.Helper()
		r, err := Bundle(dir, BundleOptions{LogKey: key, WitnessKeys: []string{w.vkey}})
		if err != nil {
			t.Fatal(err)
		}
		probs, err := independent.CheckWith(dir, independent.Options{LogKey: key, WitnessKeys: []string{w.vkey}})
		if err != nil {
			t.Fatal(err)
		}
		return r, probs
	}
	for _, key := range []string{first, now, ""} {
		r, probs := check(dir, key)
		if !r.OK() || len(probs) > 0 || !strings.HasSuffix(r.Cosigned, " verified") {
			t.Errorf("trusting %q: verify %v (cosigned %q), independent %q", key, r.Findings, r.Cosigned, probs)
		}
	}

	chainNotes := readBagFile(t, dir, bundle.LogKeyChainFile)
	for what, change := range map[string]func(bag string){
		"the chain removed": func(bag string) { os.Remove(filepath.Join(bag, filepath.FromSlash(bundle.LogKeyChainFile))) },
		"a handover signed by another key": func(bag string) {
			sx, _, err := custody.NewLogKey(a.Origin())
			if err != nil {
				t.Fatal(err)
			}
			h, err := custody.SignHandover(sx, a.Origin(), x.Checkpoint.Size, now)
			if err != nil {
				t.Fatal(err)
			}
			// The same text as the genuine note (from the first key), the
			// signature line of another key.
			gen, _ := custody.NoteText(chainNotes)
			forged := append(append([]byte{}, gen...), '\n')
			forged = append(forged, h.Note[bytes.LastIndex(h.Note, []byte("\n\n"))+2:]...)
			writeBagFile(t, bag, bundle.LogKeyChainFile, forged)
		},
		"the handover's size altered": func(bag string) {
			lines := strings.Split(string(chainNotes), "\n")
			lines[2] = lines[2] + "0"
			writeBagFile(t, bag, bundle.LogKeyChainFile, []byte(strings.Join(lines, "\n")))
		},
	} {
		bag := copyBag(t, dir)
		change(bag)
		reseal(t, bag)
		requireCaught(t, what, bag, first)
	}
	// The bundle's checkpoint signed by the retired first key (which the
	// removed user kept; the test takes it from the admin's keyring, which
	// holds the key it replaced): with the chain, it is not the key in
	// force at that size; without it, not the key trusted now.
	kept := retiredLogKey(t, a)
	forged, err := custody.SignCheckpoint(kept, a.Origin(), x.Checkpoint.Size, x.Checkpoint.Hash)
	if err != nil {
		t.Fatal(err)
	}
	bag := copyBag(t, dir)
	for _, p := range bagFiles(t, bag) {
		if b := readBagFile(t, bag, p); bytes.Contains(b, x.Checkpoint.Note) {
			writeBagFile(t, bag, p, bytes.Replace(b, x.Checkpoint.Note, forged.Note, 1))
		}
	}
	reseal(t, bag)
	requireCaught(t, "the checkpoint signed by the retired key, with the chain, trusting the first key", bag, first)
	os.Remove(filepath.Join(bag, filepath.FromSlash(bundle.LogKeyChainFile)))
	reseal(t, bag)
	requireCaught(t, "the checkpoint signed by the retired key, no chain, trusting the current key", bag, now)
	// Trusting a key the chain does not lead to.
	_, stranger, _ := custody.NewLogKey(a.Origin())
	requireCaught(t, "a key not in the chain", dir, stranger)
}

// retiredLogKey is the log key a's admin held before its last handover:
// the first (and only) of seal.Keyring.LogOld in the admin's keyring.
func retiredLogKey(t *testing.T, a *archive.Archive) string {
	t.Helper()
	var cfg struct{ Admin string }
	b, _ := os.ReadFile(filepath.Join(a.Dir(), "sori.json"))
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	u, err := os.ReadFile(filepath.Join(a.Dir(), "keys", cfg.Admin+".user"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := os.ReadFile(filepath.Join(a.Dir(), "keys", cfg.Admin+".ring"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := seal.OpenUserKey(u, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	ring, err := seal.OpenKeyring(r, key)
	if err != nil || len(ring.LogOld) != 1 {
		t.Fatalf("the admin's keyring: %v, %d earlier log keys", err, len(ring.LogOld))
	}
	return ring.LogOld[0]
}
