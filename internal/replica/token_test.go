package replica

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sori/internal/archive"
	"sori/internal/evidence"
)

// TestReplicateTokens: an API token's key file is a key file — listed in
// keys/SUMS and copied by sori replicate — so the token opens the copy as
// it opens the source, the copy verifies clean, and a revocation at the
// source takes the file (and the token) away from the copy at the next run.
func TestReplicateTokens(t *testing.T) {
	ctx := context.Background()
	a, dir := newSource(t)
	add(t, a, "one", 3)
	tok, info, err := a.CreateToken(ctx, "replicated", 0)
	if err != nil {
		t.Fatal(err)
	}
	sums, err := os.ReadFile(filepath.Join(dir, "keys", "SUMS"))
	if err != nil || !strings.Contains(string(sums), "  "+info.ID+".token\n") {
		t.Fatalf("keys/SUMS does not list the token's key file: %v\n%s", err, sums)
	}
	to := filepath.Join(t.TempDir(), "copy")
	if _, err := Run(ctx, a, to, Options{}); err != nil {
		t.Fatal(err)
	}
	checkReplica(t, to, "", items(t, a))
	unlockAt := func(dir string) error {
		r, err := archive.OpenRepo(ctx, dir, opts(t))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		s, _, err := r.UnlockToken(ctx, tok)
		if err == nil {
			s.Close()
		}
		return err
	}
	if err := unlockAt(to); err != nil {
		t.Fatalf("the token does not open the replica: %v", err)
	}
	// A token file altered at the copy is damage, not a wrong token.
	p := filepath.Join(to, "keys", info.ID+".token")
	good, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte{}, good...)
	bad[len(bad)-1] ^= 1
	if err := os.WriteFile(p, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := unlockAt(to); !errors.Is(err, evidence.ErrDamaged) {
		t.Errorf("an altered token file: %v", err)
	}
	if err := os.WriteFile(p, good, 0o600); err != nil {
		t.Fatal(err)
	}

	if _, err := a.RevokeToken(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, a, to, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the revoked token's key file is still in the replica: %v", err)
	}
	if err := unlockAt(to); !errors.Is(err, evidence.ErrLocked) {
		t.Errorf("a revoked token opens the replica: %v", err)
	}
	checkReplica(t, to, "", items(t, a))
}
