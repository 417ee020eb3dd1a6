package seal

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"golang.org/x/crypto/ssh"

	"sori/internal/evidence"
)

func sshKey(t testing.TB) (string, ed25519.PrivateKey) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(p))), priv
}

// TestCanonicalRecipients: X25519 and SSH recipients (ed25519 and RSA)
// are accepted in canonical form, sorted, each once, an SSH comment
// dropped; anything else is ErrInvalid.
func TestCanonicalRecipients(t *testing.T) {
	x, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	ed, _ := sshKey(t)
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rp, _ := ssh.NewPublicKey(&rk.PublicKey)
	rsaLine := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(rp)))
	got, err := CanonicalRecipients([]string{ed + " kim@laptop", "  " + x.Recipient().String() + "\n", rsaLine, ed})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{x.Recipient().String(), ed, rsaLine}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, bad := range [][]string{
		nil,
		{""},
		{"age1bogus"},
		{"AGE-SECRET-KEY-1QQQ"},
		{"ssh-dss AAAAB3NzaC1kc3MAAAA="},
		{"ssh-ed25519 notbase64"},
		{ed + "\n" + ed},
		{"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTY="},
		{x.Recipient().String(), "age1pq1xyz"},
	} {
		if _, err := CanonicalRecipients(bad); !errors.Is(err, evidence.ErrInvalid) {
			t.Errorf("%q: %v, want ErrInvalid", bad, err)
		}
	}
}

// TestEncryptToEach: a file encrypted to an X25519 and an SSH recipient
// opens with either identity alone.
func TestEncryptToEach(t *testing.T) {
	x, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	ed, priv := sshKey(t)
	sshID, err := agessh.NewEd25519Identity(priv)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := EncryptTo(&buf, []string{x.Recipient().String(), ed})
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("Question: when did you cross?\n")
	w.Write(msg)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, id := range []age.Identity{x, sshID} {
		r, err := age.Decrypt(bytes.NewReader(buf.Bytes()), id)
		if err != nil {
			t.Fatalf("%T: %v", id, err)
		}
		if got, _ := io.ReadAll(r); !bytes.Equal(got, msg) {
			t.Errorf("%T: got %q", id, got)
		}
	}
	if _, err := EncryptTo(io.Discard, nil); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("no recipient: %v", err)
	}
}

// FuzzCanonicalRecipients: any input either fails with ErrInvalid or
// gives canonical recipients that parse again to themselves.
func FuzzCanonicalRecipients(f *testing.F) {
	f.Add("age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p")
	f.Add("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsKLqeplhpW+uObz5dvMgjz1OxfM/XXUB+VHtZ6isGN kim@laptop")
	f.Add("ssh-rsa AAAA")
	f.Add("age1")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := CanonicalRecipients([]string{s})
		if err != nil {
			if !errors.Is(err, evidence.ErrInvalid) {
				t.Fatalf("%q: %v is not ErrInvalid", s, err)
			}
			return
		}
		again, err := CanonicalRecipients(got)
		if err != nil || !slices.Equal(again, got) || len(got) != 1 {
			t.Fatalf("%q: canonical %q is not stable: %q %v", s, got, again, err)
		}
	})
}
