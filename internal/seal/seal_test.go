package seal

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"crypto/ed25519"

	"filippo.io/age"

	"sori/internal/evidence"
)

func TestUserKeyRoundTrip(t *testing.T) {
	k, err := NewUserKey()
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := k.Seal("a long enough passphrase", MinWorkFactor)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("AGE-SECRET-KEY")) || !bytes.HasPrefix(sealed, []byte("age-encryption.org/v1\n-> scrypt ")) {
		t.Fatalf("sealed key is not an age scrypt file:\n%s", sealed)
	}
	got, err := OpenUserKey(sealed, "a long enough passphrase")
	if err != nil {
		t.Fatal(err)
	}
	if got.KeyID() != k.KeyID() || !bytes.Equal(got.SigningPublic(), k.SigningPublic()) {
		t.Error("reopened key differs")
	}
	for _, wrong := range []string{"", "a long enough passphrasE", "a long enough passphrase "} {
		if _, err := OpenUserKey(sealed, wrong); !errors.Is(err, ErrWrongPassphrase) || !errors.Is(err, evidence.ErrLocked) {
			t.Errorf("passphrase %q: %v", wrong, err)
		}
	}
	if _, err := k.Seal("x", 5); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("weak work factor accepted: %v", err)
	}
}

// sealAt seals k as Seal does but with age's recipient set to any work
// factor, as another tool (or an adversary with write access) could.
func sealAt(t *testing.T, k *UserKey, pass string, workFactor int) []byte {
	t.Helper()
	r, err := age.NewScryptRecipient(pass)
	if err != nil {
		t.Fatal(err)
	}
	r.SetWorkFactor(workFactor)
	plain := userKeyHeader + "\n" + k.id.String() + "\n" + base64.StdEncoding.EncodeToString(k.sign.Seed()) + "\n"
	sealed, err := encryptBytes([]byte(plain), r)
	if err != nil {
		t.Fatal(err)
	}
	return sealed
}

// TestWorkFactorCap: a key file one above what sori writes opens; two above
// is refused as too costly, not as a wrong passphrase, whatever the
// passphrase; a wrong passphrase at the cap is still a wrong passphrase.
func TestWorkFactorCap(t *testing.T) {
	const pass = "a long enough passphrase"
	k, _ := NewUserKey()

	atCap := sealAt(t, k, pass, DefaultWorkFactor+1)
	if !bytes.Contains(atCap, fmt.Appendf(nil, "-> scrypt ")) || !bytes.Contains(atCap, fmt.Appendf(nil, " %d\n", DefaultWorkFactor+1)) {
		t.Fatalf("the fixture is not at work factor %d:\n%.80s", DefaultWorkFactor+1, atCap)
	}
	got, err := OpenUserKey(atCap, pass)
	if err != nil || got.KeyID() != k.KeyID() {
		t.Fatalf("work factor %d (the cap): %v", DefaultWorkFactor+1, err)
	}
	if _, err := OpenUserKey(atCap, pass+"!"); !errors.Is(err, ErrWrongPassphrase) || errors.Is(err, ErrWorkFactorTooHigh) {
		t.Errorf("wrong passphrase at the cap: %v", err)
	}

	above := sealAt(t, k, pass, DefaultWorkFactor+2)
	for _, p := range []string{pass, "wrong"} {
		_, err := OpenUserKey(above, p)
		if !errors.Is(err, ErrWorkFactorTooHigh) || !errors.Is(err, evidence.ErrDamaged) || errors.Is(err, evidence.ErrLocked) {
			t.Errorf("work factor %d, passphrase %q: %v", DefaultWorkFactor+2, p, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, "work factor too high") || strings.Contains(msg, "passphrase") || strings.Contains(msg, p) {
			t.Errorf("unclear error: %q", msg)
		}
	}

	// A stanza rewritten to ask for an absurd cost is refused before any
	// derivation, as fast as a malformed file (the header's MAC is never
	// reached).
	small := sealAt(t, k, pass, MinWorkFactor)
	for _, wf := range []string{"19", "22", "30", "4294967297", "99999999999999999999"} {
		bad := bytes.Replace(small, fmt.Appendf(nil, " %d\n", MinWorkFactor), []byte(" "+wf+"\n"), 1)
		if _, err := OpenUserKey(bad, pass); !errors.Is(err, ErrWorkFactorTooHigh) {
			t.Errorf("work factor %s: %v", wf, err)
		}
	}
	// Test archives' small work factors still open: the cap is an upper bound only.
	if _, err := OpenUserKey(small, pass); err != nil {
		t.Errorf("work factor %d: %v", MinWorkFactor, err)
	}
	if _, err := k.Seal(pass, MaxWorkFactor+1); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("Seal wrote a key file OpenUserKey refuses: %v", err)
	}
}

func TestWorkFactorArg(t *testing.T) {
	for in, want := range map[string]int{"1": 1, "17": 17, "18": 18, "22": 22, "123456": 1000} {
		if n, ok := workFactorArg(in); !ok || min(n, 1000) != want {
			t.Errorf("%q: %d, %v; want %d", in, n, ok, want)
		}
	}
	for _, in := range []string{"", "0", "017", "-1", "+5", "1a", " 17", "17 ", "１７"} {
		if n, ok := workFactorArg(in); ok {
			t.Errorf("%q read as %d", in, n)
		}
	}
}

func FuzzWorkFactorArg(f *testing.F) {
	for _, s := range []string{"17", "0", "017", "99999999999999999999", "1a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := workFactorArg(s)
		canonical := regexp.MustCompile(`^[1-9][0-9]*$`).MatchString(s)
		if ok != canonical {
			t.Fatalf("%q: ok %v", s, ok)
		}
		if !ok {
			return
		}
		if v, err := strconv.Atoi(s); err == nil && v < 1000 && v != n {
			t.Fatalf("%q read as %d", s, n)
		} else if (err != nil || v >= 1000) && n < 1000 {
			t.Fatalf("%q (huge) read as %d", s, n)
		}
	})
}

func TestKeyringRoundTrip(t *testing.T) {
	k, _ := NewUserKey()
	ring, err := NewKeyring()
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := ring.SealTo(k.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	got, err := OpenKeyring(sealed, k)
	if err != nil {
		t.Fatal(err)
	}
	if got.DB != ring.DB || got.IDKey != ring.IDKey || got.Content[1] != ring.Content[1] || got.CurrentGen() != 1 {
		t.Error("keyring differs after round trip")
	}
	other, _ := NewUserKey()
	if _, err := OpenKeyring(sealed, other); !errors.Is(err, evidence.ErrDamaged) {
		t.Errorf("keyring opened by another user's key: %v", err)
	}
	// Item IDs are keyed: another keyring gives other IDs for the same bytes.
	sum := evidence.Sum([]byte("x"))
	if ring.ItemID(sum) != got.ItemID(sum) {
		t.Error("item ID not deterministic")
	}
	ring2, _ := NewKeyring()
	if ring2.ItemID(sum) == ring.ItemID(sum) {
		t.Error("item ID does not depend on the key")
	}
}

func encryptItem(t *testing.T, ring *Keyring, plain []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := ring.EncryptItem(&buf, ring.CurrentGen())
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestItemEncryption(t *testing.T) {
	ring, _ := NewKeyring()
	plain := bytes.Repeat([]byte("증언 testimony "), 20000) // > several 64 KiB chunks
	ct := encryptItem(t, ring, plain)
	if bytes.Contains(ct, []byte("증언")) || !strings.HasPrefix(string(ct), "age-encryption.org/v1\n-> sori-content 1\n") {
		t.Fatal("ciphertext is not a sori-content age file")
	}
	r, err := ring.DecryptItem(bytes.NewReader(ct), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("round trip: %v", err)
	}
	// Every single-byte change anywhere is detected.
	for _, off := range []int{0, 25, 40, 60, 90, 200, len(ct) / 2, len(ct) - 1} {
		bad := bytes.Clone(ct)
		bad[off] ^= 0x20
		if err := readAll(ring, bad); !errors.Is(err, evidence.ErrTampered) {
			t.Errorf("flip at %d: %v", off, err)
		}
	}
	for _, n := range []int{0, 10, len(ct) - 1, len(ct) - 17, len(ct) / 2} {
		if err := readAll(ring, ct[:n]); !errors.Is(err, evidence.ErrTampered) {
			t.Errorf("truncated to %d: %v", n, err)
		}
	}
	other, _ := NewKeyring()
	if err := readAll(other, ct); err == nil {
		t.Error("another archive's keyring decrypted the item")
	}
}

func readAll(ring *Keyring, ct []byte) error {
	r, err := ring.DecryptItem(bytes.NewReader(ct), nil)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, r)
	return err
}

// fixedUserKey is a constant test key, so that fuzz workers (separate
// processes) share it with the seed corpus.
func fixedUserKey(t testing.TB) *UserKey {
	id, err := age.ParseX25519Identity("AGE-SECRET-KEY-1342MFTVCSY0TX93G90Y6M7JEQU2E9P5EJ5H2JU7HUAH7UCU8MPWSRTQE5A")
	if err != nil {
		t.Fatal(err)
	}
	return &UserKey{id: id, sign: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))}
}

func fixedKeyring() *Keyring {
	return &Keyring{DB: [32]byte{1}, IDKey: [32]byte{2}, Content: map[int][32]byte{1: {3}}}
}

func FuzzOpenUserKey(f *testing.F) {
	k := fixedUserKey(f)
	sealed, _ := k.Seal("passphrase!", MinWorkFactor)
	f.Add(sealed)
	f.Add([]byte("age-encryption.org/v1\n-> scrypt AAAA 10\n\n--- AAAA\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := OpenUserKey(b, "passphrase!")
		if err != nil {
			if !errors.Is(err, evidence.ErrLocked) && !errors.Is(err, evidence.ErrDamaged) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		// Whoever knows the passphrase can write a valid file; what opens
		// must be a complete, usable key.
		if got.KeyID() == "" || len(got.Sign([]byte("x"))) != ed25519.SignatureSize {
			t.Fatal("opened an unusable key")
		}
	})
}

func FuzzDecryptItem(f *testing.F) {
	ring := fixedKeyring()
	var buf bytes.Buffer
	w, _ := ring.EncryptItem(&buf, 1)
	w.Write([]byte("testimony"))
	w.Close()
	f.Add(buf.Bytes())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ring.DecryptItem(bytes.NewReader(b), nil)
		if err != nil {
			return
		}
		got, err := io.ReadAll(r)
		if err == nil && string(got) != "testimony" && !bytes.Equal(b, buf.Bytes()) {
			// Only our own key can produce an authentic stream; any other
			// accepted input must decrypt to what we wrote.
			t.Fatalf("forged stream accepted: %q", got)
		}
	})
}

func FuzzOpenKeyring(f *testing.F) {
	k := fixedUserKey(f)
	ring := fixedKeyring()
	sealed, _ := ring.SealTo(k.Recipient())
	f.Add(sealed)
	f.Add([]byte("age-encryption.org/v1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := OpenKeyring(b, k)
		if err != nil {
			return
		}
		if got.DB != ring.DB || len(got.Content) == 0 {
			t.Fatal("a forged keyring was accepted")
		}
	})
}
