package verify_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sori/internal/archive"
	"sori/internal/evidence"
	"sori/verify"
)

// withVault is the test archive with a protection officer, three witnesses
// (one opened, one withdrawn), and a second officer removed (the vault key
// replaced).
func withVault(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	f := buildArchive(t).clone(t)
	a := f.mustOpen(t, archive.Options{WorkFactor: 10})
	for _, n := range []string{"po-han", "po-lee"} {
		if _, err := a.AddUser(ctx, n, archive.RoleProtection, testPass); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()
	po, err := archive.Open(ctx, f.dir, "po-han", testPass, archive.Options{WorkFactor: 10, StateDir: f.state})
	if err != nil {
		t.Fatal(err)
	}
	defer po.Close()
	for _, w := range []archive.Witness{
		{Pseudonym: "W-17", Names: []string{"림송화", "Rim Song-hwa"}, Contact: "+82 10-5555-0117"},
		{Pseudonym: "W-18", Names: []string{"Kang Ŏn-ju"}},
		{Pseudonym: "W-19", Names: []string{"Yun Ga-ram"}},
	} {
		if _, err := po.AddWitness(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := po.OpenWitness(ctx, "W-17"); err != nil {
		t.Fatal(err)
	}
	if _, err := po.WithdrawWitness(ctx, "W-18"); err != nil {
		t.Fatal(err)
	}
	// Removing an officer replaces the vault key.
	if err := po.RemoveUser(ctx, "po-lee"); !errors.Is(err, evidence.ErrForbidden) {
		t.Fatalf("a protection officer removes a user: %v", err)
	}
	po.Close() // a rotation replaces meta.db: no other session of the process may be open
	a = f.mustOpen(t, archive.Options{WorkFactor: 10})
	if err := a.RemoveUser(ctx, "po-lee"); err != nil {
		t.Fatal(err)
	}
	a.Close()
	return f
}

func TestVaultClean(t *testing.T) {
	f := withVault(t)
	a := f.mustOpen(t, archive.Options{})
	for _, quick := range []bool{false, true} {
		r := run(t, a, verify.Options{Quick: quick})
		if !r.OK() || len(r.Notes) != 0 {
			t.Errorf("quick=%v after vault changes:\n%s", quick, reportText(r))
		}
	}
}

// TestVaultTampered: vault rows that disagree with the custody log are
// found — a tombstone or an active entry deleted, a withdrawn entry made
// active again, a pseudonym changed.
func TestVaultTampered(t *testing.T) {
	base := withVault(t)
	for name, c := range map[string]struct {
		q    string
		kind string
	}{
		"tombstone deleted":  {`DELETE FROM vault_names WHERE entry = (SELECT id FROM vault WHERE pseudonym = 'W-18'); DELETE FROM vault WHERE pseudonym = 'W-18'`, verify.KindMissing},
		"entry deleted":      {`DELETE FROM vault_names WHERE entry = (SELECT id FROM vault WHERE pseudonym = 'W-19'); DELETE FROM vault WHERE pseudonym = 'W-19'`, verify.KindMissing},
		"revived":            {`UPDATE vault SET status = 'active', wrapped = x'00', entry = x'00' WHERE pseudonym = 'W-18'`, verify.KindEntry},
		"pseudonym swapped":  {`UPDATE vault SET pseudonym = 'W-99' WHERE pseudonym = 'W-17'`, verify.KindEntry},
		"withdrawn silently": {`UPDATE vault SET status = 'withdrawn', wrapped = NULL, entry = NULL WHERE pseudonym = 'W-19'`, verify.KindMissing},
		"names of no entry":  {`PRAGMA foreign_keys = OFF; INSERT INTO vault_names (entry, hash, given) VALUES ('0123456789abcdef0123456789abcdef', randomblob(32), 1)`, verify.KindEntry},
	} {
		t.Run(name, func(t *testing.T) {
			f := base.clone(t)
			_, ring := unlock(t, f.dir)
			db := rawDB(t, f.dir, ring.DB)
			mustExec(t, db, c.q)
			db.Close()
			r := run(t, f.mustOpen(t, archive.Options{}), verify.Options{})
			wantFinding(t, r, c.kind)
		})
	}
}

// TestVaultKeyFileMissing: a protection officer whose vault key file is
// gone (and unlisted) is noted; one still listed in keys/SUMS is damage
// they see on open.
func TestVaultKeyFileMissing(t *testing.T) {
	f := withVault(t).clone(t)
	des, err := os.ReadDir(filepath.Join(f.dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct{ Admin string }
	readJSON(t, filepath.Join(f.dir, "sori.json"), &cfg)
	var victim string
	for _, de := range des {
		if strings.HasSuffix(de.Name(), ".vault") && !strings.HasPrefix(de.Name(), cfg.Admin) {
			victim = de.Name()
		}
	}
	if victim == "" {
		t.Fatal("no vault key file of po-han")
	}
	os.Remove(filepath.Join(f.dir, "keys", victim))
	if _, err := archive.Open(context.Background(), f.dir, "po-han", testPass, archive.Options{}); !errors.Is(err, evidence.ErrDamaged) {
		t.Errorf("opening with a listed vault key file missing: %v", err)
	}
	sums := filepath.Join(f.dir, "keys", "SUMS")
	var kept []string
	for _, line := range strings.Split(string(readFile(t, sums)), "\n") {
		if line != "" && !strings.HasSuffix(line, victim) {
			kept = append(kept, line)
		}
	}
	writeFile(t, sums, []byte(strings.Join(kept, "\n")+"\n"))
	r := run(t, f.mustOpen(t, archive.Options{}), verify.Options{})
	if !r.OK() || len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "without the identity vault key") {
		t.Errorf("report:\n%s", reportText(r))
	}
}

// TestWithdrawnEntryKeepsHashes pins what docs/format.md ("Vault names")
// and docs/roles.md ("Removing a user") say of a withdrawn entry's name
// hashes: a withdrawal keeps them (the name stays masked by the safety
// net; only the entry and its key are destroyed), and verification does
// not report them; hashes of an entry that does not exist are reported
// (TestVaultTampered, "names of no entry").
func TestWithdrawnEntryKeepsHashes(t *testing.T) {
	ctx := context.Background()
	f := withVault(t)
	a := f.mustOpen(t, archive.Options{})
	rows, err := a.Inspect().Vault(ctx)
	if err != nil {
		t.Fatal(err)
	}
	counts, err := a.Inspect().VaultNameCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	withdrawn := 0
	for _, r := range rows {
		if r.Withdrawn {
			withdrawn++
			if counts[r.ID] == 0 {
				t.Errorf("withdrawn entry %s kept no name hashes", r.Pseudonym)
			}
		}
	}
	if withdrawn != 1 {
		t.Fatalf("%d withdrawn entries, want W-18", withdrawn)
	}
	if r := run(t, a, verify.Options{}); !r.OK() {
		t.Errorf("a withdrawn entry's kept hashes are reported:\n%s", reportText(r))
	}
}
