package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// TestExportRecipientsCLI: --recipient repeats, one X25519 recipient (a
// court, its key made by the stock age-keygen), an ssh-ed25519 key (the
// defence) and an ssh-rsa key (an expert); each decrypts every original alone with the stock age binary,
// the SSH key's comment is not carried, and verify-bundle accepts the
// bundle. The stock tools are required: this test does not skip.
func TestExportRecipientsCLI(t *testing.T) {
	for _, tool := range []string{"age", "age-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (apt-get install age; .ci/run installs it): %v", tool, err)
		}
	}
	keys := t.TempDir()
	courtKey := filepath.Join(keys, "court.txt")
	if out, err := exec.Command("age-keygen", "-o", courtKey).CombinedOutput(); err != nil {
		t.Fatalf("age-keygen: %v\n%s", err, out)
	}
	out, err := exec.Command("age-keygen", "-y", courtKey).Output()
	if err != nil {
		t.Fatal(err)
	}
	court := strings.TrimSpace(string(out))
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	defence := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub)))
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	defenceKey := filepath.Join(keys, "id_ed25519")
	if err := os.WriteFile(defenceKey, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	// A third, an ssh-rsa key (an expert's).
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaPub, err := ssh.NewPublicKey(&rk.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	expert := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(rsaPub)))
	block, err = ssh.MarshalPrivateKey(rk, "")
	if err != nil {
		t.Fatal(err)
	}
	expertKey := filepath.Join(keys, "id_rsa")
	if err := os.WriteFile(expertKey, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}

	c := newCLI(t)
	c.env["SORI_STATE_DIR"] = t.TempDir()
	c.ok("init", "--user", "kim")
	src := filepath.Join(t.TempDir(), "면담.ko.txt")
	text := []byte("질문: 언제 건넜습니까?\n답변: 1998년 가을입니다.\n")
	os.WriteFile(src, text, 0o600)
	id := c.ok("add", src)[:32]

	dir := filepath.Join(t.TempDir(), "bundle")
	var res struct {
		Encrypted  bool     `json:"encrypted"`
		Recipients []string `json:"recipients"`
	}
	got := c.ok("export", "--json", "--out", dir, "--recipient", defence+" defence@laptop", "--recipient", court, "--recipient", expert, id)
	if err := json.Unmarshal([]byte(got), &res); err != nil {
		t.Fatal(err)
	}
	want := []string{court, defence, expert}
	slices.Sort(want)
	if !res.Encrypted || !slices.Equal(res.Recipients, want) {
		t.Errorf("export --json: %s, want recipients %q", got, want)
	}
	age := filepath.Join(dir, "data", "items", id, "original.txt.age")
	sum := sha256.Sum256(text)
	for _, k := range []string{courtKey, defenceKey, expertKey} {
		plain, err := exec.Command("age", "-d", "-i", k, age).Output()
		if err != nil {
			t.Fatalf("age -d -i %s: %v", filepath.Base(k), err)
		}
		if sha256.Sum256(plain) != sum {
			t.Errorf("age -d -i %s gives other bytes", filepath.Base(k))
		}
	}
	meta, _ := os.ReadFile(filepath.Join(dir, "data", "items", id, "metadata.json"))
	if !strings.Contains(string(meta), hex.EncodeToString(sum[:])) || strings.Contains(string(meta), "defence@laptop") {
		t.Errorf("metadata.json: %s", meta)
	}
	outsider := &cli{t: t, env: map[string]string{}}
	outsider.ok("verify-bundle", dir)

	// Plaintext JSON says so with an empty list.
	got = c.ok("export", "--json", "--out", filepath.Join(t.TempDir(), "plain"), id)
	if !strings.Contains(got, `"recipients":[]`) || !strings.Contains(got, `"encrypted":false`) {
		t.Errorf("plaintext export --json: %s", got)
	}
}
