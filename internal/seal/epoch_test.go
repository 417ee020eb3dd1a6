package seal

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"sori/internal/evidence"
)

// TestContentEpoch is the cryptographic half of removing a user: a new
// content generation is given to the remaining users only. Whoever kept the
// old keyring still reads what was stored before, and nothing stored after.
func TestContentEpoch(t *testing.T) {
	old, _ := NewKeyring()
	old.Log = "log-key-placeholder"
	before := encryptItem(t, old, []byte("증언 stored before the removal"))

	next, gen := old.NewContentGen()
	if gen != 2 || next.CurrentGen() != 2 || old.CurrentGen() != 1 {
		t.Fatalf("new generation %d (current %d, old keyring now %d)", gen, next.CurrentGen(), old.CurrentGen())
	}
	if next.Content[1] != old.Content[1] || next.Content[2] == old.Content[1] {
		t.Fatal("the new keyring must keep generation 1 and add a different key")
	}
	after := encryptItem(t, next, []byte("증언 stored after the removal"))
	if !bytes.HasPrefix(after, []byte("age-encryption.org/v1\n-> sori-content 2\n")) {
		t.Fatalf("new items are not under generation 2:\n%.60q", after)
	}

	// The remaining users read both (their keyring goes through a seal/open
	// round trip, as on disk).
	k, _ := NewUserKey()
	sealed, err := next.SealTo(k.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	remaining, err := OpenKeyring(sealed, k)
	if err != nil {
		t.Fatal(err)
	}
	for _, ct := range [][]byte{before, after} {
		if err := readAll(remaining, ct); err != nil {
			t.Errorf("remaining user: %v", err)
		}
	}
	// The removed user's old keyring reads the old item, not the new one.
	if err := readAll(old, before); err != nil {
		t.Errorf("old keyring on an old item: %v", err)
	}
	r, err := old.DecryptItem(bytes.NewReader(after), nil)
	if err == nil {
		_, err = io.Copy(io.Discard, r)
	}
	if !errors.Is(err, evidence.ErrLocked) {
		t.Errorf("old keyring on an item stored after the removal: %v, want locked", err)
	}
	// An interrupted removal leaves a generation the archive never used.
	next.DropGensAbove(1)
	if next.CurrentGen() != 1 {
		t.Errorf("after DropGensAbove(1): current %d", next.CurrentGen())
	}
}

func TestSubset(t *testing.T) {
	full, _ := NewKeyring()
	full.Log = "log-key-placeholder"
	full, _ = full.NewContentGen()
	reader, err := full.Subset(Grant{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if reader.HasIDKey() || reader.Log != "" || reader.DB != full.DB || len(reader.Content) != 2 {
		t.Errorf("reader keyring: id key %v, log %q, %d content keys", reader.HasIDKey(), reader.Log, len(reader.Content))
	}
	k, _ := NewUserKey()
	sealed, _ := reader.SealTo(k.Recipient())
	got, err := OpenKeyring(sealed, k)
	if err != nil || got.HasIDKey() || got.Log != "" {
		t.Fatalf("reader keyring round trip: %v", err)
	}
	writer, err := full.Subset(Grant{IDKey: true, Log: true}, 1)
	if err != nil || writer.IDKey != full.IDKey || writer.Log != full.Log || writer.CurrentGen() != 1 {
		t.Errorf("writer keyring up to generation 1: %v", err)
	}
	if _, err := reader.Subset(Grant{Log: true}, 0); !errors.Is(err, evidence.ErrForbidden) {
		t.Errorf("passing on a key not held: %v", err)
	}
}
