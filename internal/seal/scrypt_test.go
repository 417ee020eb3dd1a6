package seal

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"regexp"
	"testing"

	"filippo.io/age"
	"golang.org/x/crypto/scrypt"
)

func TestScryptMatches(t *testing.T) {
	// RFC 7914 section 12.
	vectors := []struct {
		pass, salt string
		logN, r, p int
		want       string
	}{
		{"", "", 4, 1, 1, "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906"},
		{"password", "NaCl", 10, 8, 16, "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"},
		{"pleaseletmein", "SodiumChloride", 14, 8, 1, "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887"},
	}
	for _, v := range vectors {
		got, err := scryptKey([]byte(v.pass), []byte(v.salt), v.logN, v.r, v.p, 64)
		if err != nil || hex.EncodeToString(got) != v.want {
			t.Errorf("scrypt(%q, %q, 2^%d, %d, %d) = %x, %v", v.pass, v.salt, v.logN, v.r, v.p, got, err)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 40 {
		logN, r, p := 1+rng.IntN(12), 1+rng.IntN(9), 1+rng.IntN(3)
		pass := fmt.Appendf(nil, "passphrase %d", i)
		salt := fmt.Appendf(nil, "salt %d", rng.Uint64())
		want, err := scrypt.Key(pass, salt, 1<<logN, r, p, 32)
		if err != nil {
			t.Fatal(err)
		}
		got, err := scryptKey(pass, salt, logN, r, p, 32)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("logN %d r %d p %d: %x, want %x (%v)", logN, r, p, got, want, err)
		}
	}
	for _, bad := range [][3]int{{0, 8, 1}, {31, 8, 1}, {10, 0, 1}, {10, 8, 0}} {
		if _, err := scryptKey([]byte("p"), []byte("s"), bad[0], bad[1], bad[2], 32); err == nil {
			t.Errorf("parameters %v accepted", bad)
		}
	}
}

// BenchmarkScrypt is one unlock at the production work factor, with the
// module's scrypt beside it.
func BenchmarkScrypt(b *testing.B) {
	b.Run("sori", func(b *testing.B) {
		for b.Loop() {
			scryptKey([]byte("p"), []byte("salt"), DefaultWorkFactor, 8, 1, 32)
		}
	})
	b.Run("x-crypto", func(b *testing.B) {
		for b.Loop() {
			scrypt.Key([]byte("p"), []byte("salt"), 1<<DefaultWorkFactor, 8, 1, 32)
		}
	})
}

// FuzzScryptIdentity checks that scryptIdentity opens exactly the files
// age's own scrypt identity opens, to the same plaintext.
func FuzzScryptIdentity(f *testing.F) {
	const pass = "passphrase!"
	for _, wf := range []int{MinWorkFactor, MinWorkFactor + 1} {
		r, _ := age.NewScryptRecipient(pass)
		r.SetWorkFactor(wf)
		sealed, _ := encryptBytes([]byte("a sealed user key"), r)
		f.Add(sealed)
	}
	f.Add([]byte("age-encryption.org/v1\n-> scrypt AAAAAAAAAAAAAAAAAAAAAA 10\nAAAA\n--- AAAA\n"))
	costly := regexp.MustCompile(`-> scrypt \S+ 0*(1[3-9]|[2-9]\d|\d{3,})`)
	f.Fuzz(func(t *testing.T, b []byte) {
		if costly.Match(b) {
			t.Skip("work factor above 12: each try would take seconds and gigabytes")
		}
		id, _ := age.NewScryptIdentity(pass)
		want, werr := decryptBytes(b, id)
		got, err := decryptBytes(b, scryptIdentity{[]byte(pass)})
		if (err == nil) != (werr == nil) {
			t.Fatalf("sori: %v; age: %v", err, werr)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Fatal("the plaintexts differ")
		}
	})
}
