package verify

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"sori/internal/bundle"
	"sori/internal/seal"
)

// TestBundleRecipient: with two recipients, an age X25519 key and an SSH
// ed25519 key (a court and the defence), originals are age files that each
// of them decrypts alone with the stock age binary, no plaintext is
// anywhere in the bag, and both verifiers accept the bag (verify.Bundle
// noting that it did not decrypt).
func TestBundleRecipient(t *testing.T) {
	court, courtKey := testRecipient(t)
	defence, defenceKey := testSSHRecipient(t)
	dir, key := exportBag(t, court, defence+" defence@laptop")
	r := requireClean(t, "encrypted bundle", dir, key)
	if len(r.Notes) == 0 || r.Bytes != 0 {
		t.Errorf("report: %+v", r)
	}
	want := []string{court, defence}
	slices.Sort(want)
	decrypted := 0
	for _, p := range bagFiles(t, dir) {
		b := readBagFile(t, dir, p)
		if bytes.Contains(b, []byte("두만강")) || bytes.Contains(b, []byte("얼음이 얼기 전")) {
			t.Errorf("%s holds plaintext of the testimony", p)
		}
		if bytes.Contains(b, []byte("defence@laptop")) {
			t.Errorf("%s holds the SSH key's comment", p)
		}
		if regexp.MustCompile(`/original(\.[a-z]+)?$`).MatchString(p) {
			t.Errorf("%s: plaintext original in an encrypted bundle", p)
		}
		if !strings.HasSuffix(p, ".age") {
			continue
		}
		if !bytes.HasPrefix(b, []byte("age-encryption.org/v1\n")) {
			t.Errorf("%s is not an age file", p)
		}
		var m bundle.Metadata
		if err := json.Unmarshal(readBagFile(t, dir, path.Dir(p)+"/metadata.json"), &m); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(m.EncryptedTo, want) || m.Original != path.Base(p) {
			t.Errorf("%s: metadata.json says %q encrypted to %q, want %q", p, m.Original, m.EncryptedTo, want)
		}
		for _, k := range []string{courtKey, defenceKey} {
			if k == "" {
				continue
			}
			out, err := exec.Command("age", "-d", "-i", k, filepath.Join(dir, p)).Output()
			if err != nil {
				t.Fatalf("age -d -i %s %s: %v", filepath.Base(k), p, err)
			}
			if sha256.Sum256(out) != m.SHA256 || int64(len(out)) != m.Size {
				t.Errorf("%s decrypts with %s to bytes that do not match metadata.json", p, filepath.Base(k))
			}
			decrypted++
		}
	}
	if courtKey != "" && decrypted != 2*3 {
		t.Errorf("decrypted %d originals with stock age, want 3 items × 2 recipients", decrypted)
	}
	// Swapping a ciphertext for another is caught by the manifest only
	// (the commitment is to the plaintext): both verifiers see it.
	bag := copyBag(t, dir)
	var ages []string
	for _, p := range bagFiles(t, bag) {
		if strings.HasSuffix(p, ".age") {
			ages = append(ages, p)
		}
	}
	a, b := readBagFile(t, bag, ages[0]), readBagFile(t, bag, ages[1])
	writeBagFile(t, bag, ages[0], b)
	writeBagFile(t, bag, ages[1], a)
	requireCaught(t, "age originals swapped", bag, key)
}

// testRecipient makes an age identity with the stock age-keygen, as a
// court's recipient would, and returns its recipient and key file, so the
// test can decrypt with stock age. Without age installed it returns a
// recipient whose identity the test does not hold (keyFile ""), and the
// decryption checks are skipped — a failure under SORI_TEST_DISALLOW_SKIP.
func testRecipient(t *testing.T) (recipient, keyFile string) {
	t.Helper()
	if !haveAge(t) {
		k, err := seal.NewUserKey()
		if err != nil {
			t.Fatal(err)
		}
		return k.Recipient(), ""
	}
	keyFile = filepath.Join(t.TempDir(), "key.txt")
	if out, err := exec.Command("age-keygen", "-o", keyFile).CombinedOutput(); err != nil {
		t.Fatalf("age-keygen: %v\n%s", err, out)
	}
	out, err := exec.Command("age-keygen", "-y", keyFile).Output()
	if err != nil {
		t.Fatalf("age-keygen -y: %v", err)
	}
	return strings.TrimSpace(string(out)), keyFile
}

// testSSHRecipient makes an ssh-ed25519 key pair as ssh-keygen would
// (OpenSSH private key file, authorized_keys public line) and returns the
// public key "ssh-ed25519 BASE64" and the private key file, or "" for the
// file when stock age is missing (see testRecipient).
func testSSHRecipient(t *testing.T) (recipient, keyFile string) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	recipient = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub)))
	if !haveAge(t) {
		return recipient, ""
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	keyFile = filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return recipient, keyFile
}

// haveAge reports whether the stock age and age-keygen are installed; when
// they are not, it fails the test under SORI_TEST_DISALLOW_SKIP.
func haveAge(t *testing.T) bool {
	t.Helper()
	for _, tool := range []string{"age", "age-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("SORI_TEST_DISALLOW_SKIP") != "" {
				t.Fatalf("%s is not installed and SORI_TEST_DISALLOW_SKIP forbids skipping the decryption check", tool)
			}
			t.Logf("%s is not installed: not decrypting with stock age", tool)
			return false
		}
	}
	return true
}
