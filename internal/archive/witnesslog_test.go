package archive

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"testing"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/store"
)

// TestCosignaturesKeptAndRechecked: a verified cosignature is kept and
// comes back after the log's own signature line; a row that does not
// verify — written past AddCosignature, as an attacker who can write the
// database would — is refused when it would leave in a bundle.
func TestCosignaturesKeptAndRechecked(t *testing.T) {
	ctx := t.Context()
	a := newArchive(t)
	if _, _, err := a.LatestCosigned(ctx, 1<<40); !errors.Is(err, evidence.ErrNotFound) {
		t.Fatalf("no cosignature yet: %v", err)
	}
	seed := sha256.Sum256([]byte("sori test witness"))
	priv := ed25519.NewKeyFromSeed(seed[:])
	k := append([]byte{0x04}, priv.Public().(ed25519.PublicKey)...)
	h := sha256.Sum256(append([]byte("w.example\n"), k...))
	vkey := fmt.Sprintf("w.example+%x+%s", h[:4], base64.StdEncoding.EncodeToString(k))
	cp, err := a.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := custody.NoteText(cp.Note)
	line := func(ts uint64, msg []byte) string {
		sig := ed25519.Sign(priv, append([]byte("cosignature/v1\ntime "+strconv.FormatUint(ts, 10)+"\n"), msg...))
		return "— w.example " + base64.StdEncoding.EncodeToString(append(append(h[:4:4], binary.BigEndian.AppendUint64(nil, ts)...), sig...)) + "\n"
	}
	good := line(1_800_000_000, text)
	if err := a.AddCosignature(ctx, cp, vkey, custody.Cosignature{Line: good}); err != nil {
		t.Fatal(err)
	}
	got, note, err := a.LatestCosigned(ctx, cp.Size)
	if err != nil || got.Size != cp.Size || string(note) != string(cp.Note)+good {
		t.Fatalf("LatestCosigned: %v %d %q", err, got.Size, note)
	}
	// A line over other text is refused by AddCosignature, and, stored
	// behind its back (the newest row of that witness for the checkpoint),
	// refused on the way out.
	forged := line(1_800_000_001, []byte("another log\n"))
	if err := a.AddCosignature(ctx, cp, vkey, custody.Cosignature{Line: forged}); !errors.Is(err, evidence.ErrTampered) {
		t.Errorf("AddCosignature of a forged line: %v", err)
	}
	if err := a.db.AddCosignature(ctx, store.Cosignature{Size: cp.Size, Note: cp.Note, Key: vkey, Line: forged}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.LatestCosigned(ctx, 1<<40); !errors.Is(err, evidence.ErrTampered) {
		t.Errorf("a forged row on the way out: %v", err)
	}
}
