package seal

import (
	"bytes"
	"errors"
	"testing"

	"sori/internal/evidence"
)

func TestVaultKeyFile(t *testing.T) {
	k, _ := NewUserKey()
	other, _ := NewUserKey()
	ring := (&Keyring{Vault: NewVaultKey()}).RotateVault()
	sealed, err := ring.SealVaultKey(k.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	var got Keyring
	if err := OpenVaultKey(sealed, k, &got); err != nil || got.Vault != ring.Vault || len(got.VaultOld) != 1 || got.VaultOld[0] != ring.VaultOld[0] {
		t.Fatalf("round trip: %v", err)
	}
	if err := OpenVaultKey(sealed, other, &got); !errors.Is(err, evidence.ErrDamaged) {
		t.Errorf("another user's key opens the vault key file: %v", err)
	}
}

func TestWitnessSealing(t *testing.T) {
	ring := &Keyring{Vault: NewVaultKey()}
	plain := []byte(`{"pseudonym":"W-17","names":["림송화"]}`)
	wrapped, sealed, err := ring.SealWitness("entry-a", plain)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("W-17")) || bytes.Contains(sealed, []byte("림송화")) {
		t.Error("the sealed entry holds its plaintext")
	}
	got, err := ring.OpenWitness("entry-a", wrapped, sealed)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("round trip: %q %v", got, err)
	}
	// Bound to its entry ID, its vault key and its own wrapped key.
	other := &Keyring{Vault: NewVaultKey()}
	w2, s2, _ := ring.SealWitness("entry-b", plain)
	for name, try := range map[string]func() error{
		"other ID":          func() error { _, err := ring.OpenWitness("entry-b", wrapped, sealed); return err },
		"other vault key":   func() error { _, err := other.OpenWitness("entry-a", wrapped, sealed); return err },
		"other wrapped key": func() error { _, err := ring.OpenWitness("entry-a", w2, sealed); return err },
		"swapped entry":     func() error { _, err := ring.OpenWitness("entry-a", wrapped, s2); return err },
		"no wrapped key":    func() error { _, err := ring.OpenWitness("entry-a", nil, sealed); return err },
	} {
		if err := try(); !errors.Is(err, evidence.ErrDamaged) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, _, err := (&Keyring{}).SealWitness("entry-c", plain); !errors.Is(err, evidence.ErrForbidden) {
		t.Errorf("sealing without the vault key: %v", err)
	}
	if _, err := (&Keyring{}).OpenWitness("entry-a", wrapped, sealed); !errors.Is(err, evidence.ErrForbidden) {
		t.Errorf("opening without the vault key: %v", err)
	}
	// A keyring sealed to a user never carries the vault key.
	k, _ := NewUserKey()
	full, _ := NewKeyring()
	full.Vault = ring.Vault
	sealedRing, _ := full.SealTo(k.Recipient())
	back, err := OpenKeyring(sealedRing, k)
	if err != nil || back.HasVault() {
		t.Errorf("keyring carries the vault key: %v", err)
	}
	if sub, _ := full.Subset(Grant{IDKey: true, Log: false}, 0); sub.HasVault() {
		t.Error("Subset passes the vault key on")
	}
}

func TestVaultRotation(t *testing.T) {
	old := &Keyring{Vault: NewVaultKey()}
	wrapped, sealed, _ := old.SealWitness("e", []byte("x"))
	next := old.RotateVault()
	if next.Vault == old.Vault || next.VaultKeyID() == old.VaultKeyID() {
		t.Fatal("rotation kept the key")
	}
	// Before the rewrap the new keyring still opens the entry (a rotation
	// that did not commit), after it the old vault key does not.
	if _, err := next.OpenWitness("e", wrapped, sealed); err != nil {
		t.Fatal(err)
	}
	re, err := RewrapWitness(old, next, "e", wrapped)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.OpenWitness("e", re, sealed); !errors.Is(err, evidence.ErrDamaged) {
		t.Errorf("the replaced vault key opens a rewrapped entry: %v", err)
	}
	if got, err := next.OpenWitness("e", re, sealed); err != nil || string(got) != "x" {
		t.Errorf("rewrapped: %q %v", got, err)
	}
}

func TestNameNetKey(t *testing.T) {
	ring, err := NewKeyring()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ring.NewNameNetKey(); !errors.Is(err, evidence.ErrForbidden) {
		t.Fatalf("without a log key: %v", err)
	}
	ring.Log = "PRIVATE+KEY+test+00000000+AAAA"
	key, wrapped, err := ring.NewNameNetKey()
	if err != nil {
		t.Fatal(err)
	}
	if key == ([32]byte{}) || bytes.Contains(wrapped, key[:]) {
		t.Fatal("the wrapped key holds the key")
	}
	got, err := ring.OpenNameNetKey(wrapped)
	if err != nil || got != key {
		t.Fatalf("OpenNameNetKey = %x, %v", got, err)
	}
	// A writer's subset keyring opens it; a reader's cannot.
	w, _ := ring.Subset(Grant{Log: true}, 0)
	if got, err := w.OpenNameNetKey(wrapped); err != nil || got != key {
		t.Fatalf("writer: %v", err)
	}
	r, _ := ring.Subset(Grant{}, 0)
	if _, err := r.OpenNameNetKey(wrapped); !errors.Is(err, evidence.ErrForbidden) {
		t.Fatalf("reader: %v", err)
	}
	other := *ring
	other.Log = "PRIVATE+KEY+test+00000000+BBBB"
	if _, err := other.OpenNameNetKey(wrapped); !errors.Is(err, evidence.ErrDamaged) {
		t.Fatalf("another log key: %v", err)
	}
	wrapped[len(wrapped)-1] ^= 1
	if _, err := ring.OpenNameNetKey(wrapped); !errors.Is(err, evidence.ErrDamaged) {
		t.Fatalf("tampered: %v", err)
	}
}
